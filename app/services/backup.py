"""Backup and restore of the database and the upload folder, with a manifest of sha256 hashes.

A backup directory holds:
- `database.sqlite3` (SQLite online backup API: a consistent copy while the portal runs) or
  `database.pgdump` (`pg_dump -Fc`);
- `uploads.tar`, the upload folder (its files are already encrypted at rest);
- `manifest.json`: format, time, database kind, Alembic revision, and the sha256 of every file
  in the backup and of every file inside the upload folder.

Restore checks every hash first, refuses a non-empty database or upload folder unless forced,
and checks every restored file against the manifest. Stop the web processes and the worker
before restoring. Backups hold encrypted uploads and encrypted protection-status fields, but
names and contact details in clear: keep them as safe as the database itself.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess  # nosec B404 # runs pg_dump/pg_restore with fixed arguments, no shell
import tarfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import inspect, literal, select, table, text
from sqlalchemy.engine import URL, Engine

from app.extensions import db
from app.models import utcnow

FORMAT = "umit-backup/1"
MANIFEST = "manifest.json"
SQLITE_FILE = "database.sqlite3"
PG_FILE = "database.pgdump"
UPLOADS_TAR = "uploads.tar"


class BackupError(RuntimeError):
    """The backup or restore cannot go ahead; the message says why."""


@dataclass
class RestoreReport:
    """What a restore put back."""

    database: str
    files: int
    audit_problems: list[str] = field(default_factory=list)


def sha256_file(path: Path) -> str:
    """Return the sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _upload_files(root: Path) -> list[Path]:
    if not root.exists():
        return []
    return sorted(p for p in root.rglob("*") if p.is_file())


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """Return a libpq URL without the password, and an environment carrying it."""
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed (apt-get install postgresql-client).")
    return found


def _alembic_revisions(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        if "alembic_version" not in inspect(conn).get_table_names():
            return []
        return sorted(r[0] for r in conn.execute(text("SELECT version_num FROM alembic_version")))


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(url.database)


def backup(dest: Path) -> dict[str, Any]:
    """Write a backup of the database and the upload folder into `dest`; return the manifest.

    Refuses a `dest` that exists and is not empty (a backup never overwrites another).
    """
    if dest.exists() and any(dest.iterdir()):
        raise BackupError(f"{dest} is not empty; choose a new directory for the backup.")
    dest.mkdir(parents=True, exist_ok=True)
    engine = db.engine
    url = engine.url
    if url.get_backend_name() == "sqlite":
        target = dest / SQLITE_FILE
        source = sqlite3.connect(str(_sqlite_path(url)))
        copy = sqlite3.connect(str(target))
        try:
            with copy:
                source.backup(copy)  # the online backup API: consistent even under writes
        finally:
            copy.close()
            source.close()
        kind, db_file = "sqlite", SQLITE_FILE
    elif url.get_backend_name() == "postgresql":
        conninfo, env = _libpq(url)
        subprocess.run(  # noqa: S603  # nosec B603 # fixed argument list, no shell
            [_tool("pg_dump"), "-Fc", "--no-owner", "-f", str(dest / PG_FILE), conninfo],
            check=True,
            env=env,
            capture_output=True,
            timeout=3600,
        )
        kind, db_file = "postgresql", PG_FILE
    else:
        raise BackupError(f"No backup method for {url.get_backend_name()}.")

    root = _upload_root()
    uploads: dict[str, str] = {}
    with tarfile.open(dest / UPLOADS_TAR, "w") as archive:
        for path in _upload_files(root):
            name = path.relative_to(root).as_posix()
            uploads[name] = sha256_file(path)
            archive.add(path, arcname=name, recursive=False)

    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": utcnow().isoformat(),
        "database": {"kind": kind, "file": db_file},
        "alembic_revisions": _alembic_revisions(engine),
        "files": {name: sha256_file(dest / name) for name in (db_file, UPLOADS_TAR)},
        "uploads": uploads,
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True), "utf-8")
    return manifest


def read_manifest(src: Path) -> dict[str, Any]:
    """Load a backup's manifest and check the hash of every file it lists."""
    try:
        manifest: dict[str, Any] = json.loads((src / MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as err:
        raise BackupError(f"{src} has no readable {MANIFEST}.") from err
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{src}: unknown backup format {manifest.get('format')!r}.")
    for name, expected in manifest["files"].items():
        path = src / name
        if not path.is_file() or sha256_file(path) != expected:
            raise BackupError(f"{src}: {name} is missing or does not match the manifest.")
    return manifest


def database_is_empty(engine: Engine) -> bool:
    """Say whether no table (other than Alembic's) holds a row."""
    with engine.connect() as conn:
        for name in inspect(conn).get_table_names():
            if name == "alembic_version":
                continue
            if conn.execute(select(literal(1)).select_from(table(name)).limit(1)).first():
                return False
    return True


def restore(src: Path, *, force: bool = False) -> RestoreReport:
    """Restore a backup into this app's database and upload folder.

    Refuses a non-empty database or upload folder unless `force`, a backup whose files do
    not match its manifest, and a backup of another database kind.
    """
    manifest = read_manifest(src)
    engine = db.engine
    backend = engine.url.get_backend_name()
    if manifest["database"]["kind"] != backend:
        raise BackupError(
            f"This backup holds a {manifest['database']['kind']} database; "
            f"the configured one is {backend}."
        )
    root = _upload_root()
    if not force:
        if not database_is_empty(engine):
            raise BackupError("The database is not empty. Restore into an empty one, or --force.")
        if _upload_files(root):
            raise BackupError(
                "The upload folder is not empty. Restore into an empty one, or --force."
            )

    db.session.remove()
    engine.dispose()
    if backend == "sqlite":
        source = sqlite3.connect(str(src / SQLITE_FILE))
        target = sqlite3.connect(str(_sqlite_path(engine.url)))
        try:
            with target:
                source.backup(target)  # replaces the whole target database
        finally:
            target.close()
            source.close()
    else:
        conninfo, env = _libpq(engine.url)
        with engine.begin() as conn:  # pg_restore --clean cannot drop what the dump lacks
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
        subprocess.run(  # noqa: S603  # nosec B603 # fixed argument list, no shell
            [
                _tool("pg_restore"),
                "--no-owner",
                "--single-transaction",
                "--exit-on-error",
                "-d",
                conninfo,
                str(src / PG_FILE),
            ],
            check=True,
            env=env,
            capture_output=True,
            timeout=3600,
        )
    engine.dispose()

    if root.exists():
        for path in _upload_files(root):
            path.unlink()
    root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(src / UPLOADS_TAR, "r") as archive:
        archive.extractall(root, filter="data")  # the "data" filter refuses paths out of root
    restored = {p.relative_to(root).as_posix(): sha256_file(p) for p in _upload_files(root)}
    if restored != manifest["uploads"]:
        raise BackupError("The restored upload files do not match the manifest.")

    from app.services.audit import verify_chain

    return RestoreReport(database=backend, files=len(restored), audit_problems=verify_chain())


def table_rows(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Return every row of every table, raw (still encrypted), in a stable order."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for name in sorted(inspect(conn).get_table_names()):
            rows = conn.execute(select(text("*")).select_from(table(name))).all()
            out[name] = sorted((tuple(r) for r in rows), key=lambda r: json.dumps(r, default=str))
    return out


def describe(manifest: dict[str, Any]) -> str:
    """Summarise a manifest in one line for the command line."""
    buffer = io.StringIO()
    buffer.write(f"{manifest['database']['kind']} database, {len(manifest['uploads'])} file(s), ")
    buffer.write(f"revision {', '.join(manifest['alembic_revisions']) or 'none'}")
    return buffer.getvalue()
