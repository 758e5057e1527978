"""Backup and restore: one command backs up the database (SQLite online backup or pg_dump) and
the upload folder with a manifest of hashes; another restores into an empty place, giving back
every table row and every file byte for byte."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.models import Application, User
from app.services import accounts, audit
from app.services.backup import BackupError, backup, restore, sha256_file, table_rows
from app.services.file_crypto import encrypt_bytes


def _admin_url(url: str) -> str:
    return url.rsplit("/", 1)[0] + "/postgres"


@pytest.fixture()
def source(app: Flask, tmp_path: Path, monkeypatch) -> Flask:
    """The suite's app with its own upload folder holding a few (encrypted) files."""
    uploads = tmp_path / "uploads"
    monkeypatch.setitem(app.config, "UPLOAD_DIR", uploads)
    with app.app_context():
        for name, content in (("ab/abc1", b"passport scan"), ("cd/cd22", b"school certificate")):
            (uploads / name).parent.mkdir(parents=True, exist_ok=True)
            (uploads / name).write_bytes(encrypt_bytes(content))
    return app


@pytest.fixture()
def empty_target(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """A second app on an empty database of the same kind and an empty upload folder."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    created = None
    if url.startswith("sqlite"):
        target_url = f"sqlite:///{tmp_path / 'restored.db'}"
    else:
        created = f"{url.rsplit('/', 1)[1]}_restore_{os.getpid()}"
        admin = create_engine(_admin_url(url), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created}"'))
            conn.execute(text(f'CREATE DATABASE "{created}"'))
        target_url = url.rsplit("/", 1)[0] + "/" + created
    target = create_app(
        TestConfig,
        SQLALCHEMY_DATABASE_URI=target_url,
        INSTANCE_DIR=tmp_path,
        UPLOAD_DIR=tmp_path / "restored-uploads",
        SECRET_KEY=app.config["SECRET_KEY"],
    )
    yield target
    with target.app_context():
        db.session.remove()
        db.engine.dispose()
    if created:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
        admin.dispose()


def _some_data(make, app: Flask) -> int:
    application = make.application(status_document_number="RF-BACKUP-0042", name_latin="Ali Rezai")
    make.user("ministry", totp_secret="JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    with app.app_context():
        accounts.create_staff(
            "officer@test.example",
            "a long enough password",
            role=accounts.UserRole.MINISTRY,
            full_name="Officer",
            university=None,
            by=None,
        )
        audit.record(None, "test.backup", ("test", "1"), after={"note": "before backup"})
        db.session.commit()
    return application.id


def _files(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256_file(p) for p in root.rglob("*") if p.is_file()}


def test_backup_then_restore_into_an_empty_place_gives_everything_back(
    source, empty_target, make, tmp_path
):
    application_id = _some_data(make, source)
    dest = tmp_path / "backup-1"
    result = source.test_cli_runner().invoke(args=["umit", "backup", str(dest)])
    assert result.exit_code == 0, result.output

    manifest = json.loads((dest / "manifest.json").read_text())
    assert set(manifest["uploads"]) == {"ab/abc1", "cd/cd22"}
    for name, digest in manifest["files"].items():
        assert sha256_file(dest / name) == digest

    result = empty_target.test_cli_runner().invoke(args=["umit", "restore", str(dest)])
    assert result.exit_code == 0, result.output + str(result.exception)

    with source.app_context():
        before = table_rows(db.engine)
        db.session.remove()
    with empty_target.app_context():
        after = table_rows(db.engine)
        restored = db.session.get(Application, application_id)
        assert restored.status_document_number == "RF-BACKUP-0042"
        db.session.remove()
    assert set(after) == set(before)
    for name in before:
        assert after[name] == before[name], f"table {name} differs after restore"
    assert sum(len(rows) for rows in before.values()) >= 8  # users, application, audit, ...
    assert _files(Path(empty_target.config["UPLOAD_DIR"])) == _files(
        Path(source.config["UPLOAD_DIR"])
    )


def test_restore_refuses_a_database_with_data_unless_forced(source, empty_target, make, tmp_path):
    _some_data(make, source)
    dest = tmp_path / "backup-2"
    with source.app_context():
        backup(dest)
        db.session.remove()
    with empty_target.app_context():
        restore(dest)
        with pytest.raises(BackupError, match="not empty"):
            restore(dest)
        report = restore(dest, force=True)
        assert report.files == 2 and report.audit_problems == []
        assert db.session.query(User).count() >= 3
        db.session.remove()


def test_restore_refuses_a_non_empty_upload_folder(source, empty_target, tmp_path):
    dest = tmp_path / "backup-3"
    with source.app_context():
        backup(dest)
        db.session.remove()
    stray = Path(empty_target.config["UPLOAD_DIR"]) / "stray"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"x")
    with empty_target.app_context(), pytest.raises(BackupError, match="upload folder"):
        restore(dest)


def test_a_damaged_backup_is_refused(source, empty_target, tmp_path):
    dest = tmp_path / "backup-4"
    with source.app_context():
        backup(dest)
        db.session.remove()
    with (dest / "uploads.tar").open("ab") as handle:
        handle.write(b"\0")
    result = empty_target.test_cli_runner().invoke(args=["umit", "restore", str(dest)])
    assert result.exit_code == 2
    assert "does not match the manifest" in result.output


def test_backup_never_overwrites_another(source, tmp_path):
    dest = tmp_path / "backup-5"
    dest.mkdir()
    (dest / "something").write_text("older backup")
    result = source.test_cli_runner().invoke(args=["umit", "backup", str(dest)])
    assert result.exit_code == 2 and "not empty" in result.output
