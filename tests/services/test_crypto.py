"""Encryption at rest: protection-status fields, TOTP secrets and uploaded files never reach the
disk in plaintext; keys come from configuration and can be rotated."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from app import create_app
from app.config import Config
from app.extensions import db
from app.models import Application, User
from app.models.crypto_types import (
    DecryptionError,
    EncryptionKeyError,
    configured_keys,
    dev_key,
    encrypted_columns,
)
from app.services.file_crypto import decrypt_bytes, encrypt_bytes, rotate_folder

DOC_NUMBER = "RF-PLANTED-7731"
ISSUER = "PLANTED-ISSUER-Migration-Service-4410"
TOTP = "PLANTEDTOTPSECRETAAAAAAAAAAAAAAA"
CONTROL = "PLANTED-CONTROL-NAME-5520"  # stored in a plain column: proves the dump sees data


def _dump_database(app) -> bytes:
    """Return the bytes an attacker with the database files (or a pg_dump) would hold."""
    url = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        return b"".join(
            p.read_bytes()
            for p in (path, Path(f"{path}-wal"), Path(f"{path}-journal"))
            if p.exists()
        )
    if url.startswith("postgresql"):
        if shutil.which("pg_dump") is None:
            pytest.skip("pg_dump is not installed")
        plain_url = url.replace("postgresql+psycopg://", "postgresql://", 1)
        return subprocess.run(
            ["pg_dump", "--data-only", plain_url], check=True, capture_output=True, timeout=60
        ).stdout
    pytest.skip(f"no dump method for {url.split(':')[0]}")


def test_protection_status_fields_are_ciphertext_in_the_table(app_ctx, make):
    application = make.application(status_document_number=DOC_NUMBER, status_document_issuer=ISSUER)
    raw = db.session.execute(
        text(
            "SELECT status_document_number, status_document_issuer FROM application WHERE id = :i"
        ),
        {"i": application.id},
    ).one()
    assert DOC_NUMBER not in raw[0] and raw[0].startswith("gAAAAA")
    assert ISSUER not in raw[1] and raw[1].startswith("gAAAAA")
    db.session.expire_all()
    again = db.session.get(Application, application.id)
    assert again.status_document_number == DOC_NUMBER
    assert again.status_document_issuer == ISSUER


def test_database_dump_holds_no_planted_plaintext(app, make):
    from app.services import applications

    draft = make.application(name_latin=CONTROL, status_document_number="")
    make.user("ministry", totp_secret=TOTP)
    with app.test_request_context():
        # Through the applicant's own save path, so audit entries and the like are covered too.
        application = db.session.get(Application, draft.id)
        applications.save_step(
            application,
            "protection",
            {"status_document_number": DOC_NUMBER, "status_document_issuer": ISSUER},
            expected_version=application.version,
            by=db.session.get(User, draft.applicant_id),
        )
        db.session.commit()
        db.session.expire_all()
        assert db.session.get(Application, draft.id).status_document_number == DOC_NUMBER
        db.session.remove()
    dump = _dump_database(app)
    assert CONTROL.encode() in dump, "the dump method does not see the data"
    for secret in (DOC_NUMBER, ISSUER, TOTP):
        assert secret.encode() not in dump
        assert secret.encode("utf-16-le") not in dump


def test_the_encrypted_columns_are_the_ones_we_promise(app_ctx):
    names = {f"{table.name}.{column.name}" for table, column in encrypted_columns()}
    assert {
        "application.status_document_number",
        "application.status_document_issuer",
        "user.totp_secret",
    } <= names


def test_empty_values_stay_empty_and_queryable(app_ctx, make):
    application = make.application(status_document_number="", status_document_issuer="")
    raw = db.session.execute(
        text("SELECT status_document_number FROM application WHERE id = :i"), {"i": application.id}
    ).scalar_one()
    assert raw == ""


def test_file_encryption_round_trip_and_tamper_detection(app_ctx):
    data = b"%PDF-1.4 status proof " + DOC_NUMBER.encode() + b" %%EOF"
    blob = encrypt_bytes(data)
    assert DOC_NUMBER.encode() not in blob
    assert decrypt_bytes(blob) == data
    tampered = bytearray(blob)
    tampered[40] ^= 1
    with pytest.raises(DecryptionError):
        decrypt_bytes(bytes(tampered))


def test_uploads_written_by_the_document_service_are_encrypted_on_disk(
    app, make, tmp_path, monkeypatch
):
    from io import BytesIO

    from werkzeug.datastructures import FileStorage

    from app.models import DocumentKind
    from app.services import documents

    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")

    marker = b"PLANTED-UPLOAD-MARKER-9092"
    pdf = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n% " + marker + b"\ntrailer<</Root 1 0 R>>\n"
        b"%%EOF\n"
    )
    application = make.application()
    with app.test_request_context():
        app_obj = db.session.get(Application, application.id)
        user = db.session.get(User, application.applicant_id)
        upload = FileStorage(BytesIO(pdf), filename="proof.pdf", content_type="application/pdf")
        document = documents.store_upload(app_obj, DocumentKind.STATUS_PROOF, upload, by=user)
        db.session.commit()
        content, _mimetype = documents.read_document(document)
        assert content == pdf
        db.session.remove()
    root = Path(app.config["UPLOAD_DIR"])
    stored = [p.read_bytes() for p in root.rglob("*") if p.is_file()]
    assert stored, "nothing was written to the upload folder"
    assert all(marker not in blob for blob in stored)


def test_rotation_moves_everything_to_the_new_key(app, make, monkeypatch, tmp_path):
    monkeypatch.setitem(app.config, "UPLOAD_DIR", tmp_path / "uploads")
    application = make.application(status_document_number=DOC_NUMBER, status_document_issuer=ISSUER)
    user = make.user("ministry", totp_secret=TOTP)
    root = Path(app.config["UPLOAD_DIR"])
    root.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        (root / "rotation-test.bin").write_bytes(encrypt_bytes(b"file under the old key"))
    old = dev_key(app.config["SECRET_KEY"])
    new = Fernet.generate_key().decode()
    saved = app.config["UMIT_ENCRYPTION_KEYS"]
    try:
        app.config["UMIT_ENCRYPTION_KEYS"] = f"{new},{old}"
        result = app.test_cli_runner().invoke(args=["umit", "rotate-keys"])
        assert result.exit_code == 0, result.output
        assert "application.status_document_number: 1" in result.output
        app.config["UMIT_ENCRYPTION_KEYS"] = new  # the old key is gone
        with app.app_context():
            assert db.session.get(Application, application.id).status_document_number == DOC_NUMBER
            assert db.session.get(User, user.id).totp_secret == TOTP
            assert decrypt_bytes((root / "rotation-test.bin").read_bytes()) == (
                b"file under the old key"
            )
            db.session.remove()
    finally:
        app.config["UMIT_ENCRYPTION_KEYS"] = saved


def test_without_the_right_key_nothing_decrypts(app, make):
    application = make.application(status_document_number=DOC_NUMBER)
    saved = app.config["UMIT_ENCRYPTION_KEYS"]
    try:
        app.config["UMIT_ENCRYPTION_KEYS"] = Fernet.generate_key().decode()
        with app.app_context(), pytest.raises(DecryptionError):
            db.session.get(Application, application.id)
    finally:
        app.config["UMIT_ENCRYPTION_KEYS"] = saved
        with app.app_context():
            db.session.remove()


def test_rotation_encrypts_old_plaintext_uploads_and_reports_strangers(app_ctx, tmp_path):
    import hashlib

    legacy = b"uploaded before encryption " + DOC_NUMBER.encode()
    digest = hashlib.sha256(legacy).hexdigest()
    (tmp_path / digest[:2]).mkdir()
    (tmp_path / digest[:2] / digest).write_bytes(legacy)
    (tmp_path / "ab").mkdir()
    (tmp_path / "ab" / "plain").write_bytes(b"never encrypted, not named by its hash")
    (tmp_path / "ab" / "good").write_bytes(encrypt_bytes(b"ok"))
    outcome = rotate_folder(tmp_path)
    assert (outcome.rotated, outcome.encrypted_plaintext) == (1, 1)
    assert outcome.failed == [os.path.join("ab", "plain")]
    stored = (tmp_path / digest[:2] / digest).read_bytes()
    assert DOC_NUMBER.encode() not in stored and decrypt_bytes(stored) == legacy


def test_production_refuses_to_start_without_keys(tmp_path):
    class Production(Config):
        SECRET_KEY = "a-production-secret"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        INSTANCE_DIR = tmp_path
        UMIT_ENCRYPTION_KEYS = ""

    with pytest.raises(EncryptionKeyError):
        create_app(Production)
    with pytest.raises(EncryptionKeyError):
        create_app(Production, UMIT_ENCRYPTION_KEYS="not-a-fernet-key")
    key = Fernet.generate_key().decode()
    assert create_app(Production, UMIT_ENCRYPTION_KEYS=f" {key} ").config["SECRET_KEY"]


def test_keys_are_read_first_to_encrypt_then_all_to_decrypt():
    first, second = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert configured_keys({"UMIT_ENCRYPTION_KEYS": f"{first}, {second},"}) == (first, second)
    derived = configured_keys({"SECRET_KEY": "s", "ENCRYPTION_DEV_KEY_ALLOWED": True})
    assert derived == (dev_key("s"),)
    with pytest.raises(EncryptionKeyError):
        configured_keys({"SECRET_KEY": "s"})


def test_migration_encrypts_existing_values_and_downgrade_decrypts_them(app, make):
    from flask_migrate import downgrade, upgrade

    application = make.application(status_document_number=DOC_NUMBER)
    query = text("SELECT status_document_number FROM application WHERE id = :i")
    with app.app_context():
        downgrade(revision="0001")
        with db.engine.connect() as conn:
            assert conn.execute(query, {"i": application.id}).scalar_one() == DOC_NUMBER
        upgrade(revision="heads")
        with db.engine.connect() as conn:
            raw = conn.execute(query, {"i": application.id}).scalar_one()
        assert raw.startswith("gAAAAA") and DOC_NUMBER not in raw
        assert db.session.get(Application, application.id).status_document_number == DOC_NUMBER
        db.session.remove()
