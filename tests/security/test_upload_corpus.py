"""Hostile uploads: every file of the corpus is refused with a clear message, by the service
and through the upload page, and leaves nothing behind — no row, no file on disk. Photos that
hide something after the image or in EXIF are accepted only re-encoded, without it."""

from __future__ import annotations

import html
import io
import os
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Document, DocumentKind
from app.services import documents
from app.services.errors import InvalidInput
from tests.conftest import csrf_token, table_counts
from tests.security.upload_corpus import NEUTRALISED, bad_files

LIMIT = 8 * 1024 * 1024
CORPUS = bad_files(LIMIT)


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 25
    assert len({case for case, _, _ in CORPUS}) == len(CORPUS)


def _files(root: Path) -> set[str]:
    """Every file under the upload folder (temporary ones too)."""
    if not root.exists():
        return set()
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def _upload_dir(app: Flask) -> Path:
    return Path(app.config["UPLOAD_DIR"])


@pytest.mark.parametrize(("case", "name", "data"), CORPUS, ids=[c[0] for c in CORPUS])
def test_the_service_refuses_each_bad_file(
    app_ctx: Flask, make: Any, case: str, name: str, data: bytes
) -> None:
    assert app_ctx.config["MAX_DOCUMENT_BYTES"] == LIMIT
    user = make.user("applicant")
    application = make.application(user, make.cycle())
    files_before = _files(_upload_dir(app_ctx))
    with pytest.raises(InvalidInput) as refused:
        documents.store_upload(
            application,
            DocumentKind.STATUS_PROOF,
            FileStorage(io.BytesIO(data), filename=name),
            by=user,
        )
    message = str(refused.value)
    assert any(m in message for m in _REFUSALS), f"{case}: unclear message {message!r}"
    db.session.rollback()
    assert db.session.query(Document).count() == 0
    assert _files(_upload_dir(app_ctx)) == files_before, f"{case} left a file on disk"


def test_the_upload_page_refuses_each_bad_file_and_keeps_nothing(
    app: Flask, client: Any, make: Any, login_as: Any
) -> None:
    user = login_as("applicant")
    make.application(user, make.cycle())
    failures: list[str] = []
    for case, name, data in CORPUS:
        token = csrf_token(client, "/applicant/application/documents")
        page = client.get("/applicant/application/documents").get_data(as_text=True)
        version = _hidden(page, "version")
        with app.app_context():
            counts = table_counts()
        files_before = _files(_upload_dir(app))
        response = client.post(
            "/applicant/application/documents",
            data={
                "csrf_token": token,
                "version": version,
                "kind": "status_proof",
                "file": (io.BytesIO(data), name),
            },
            content_type="multipart/form-data",
        )
        body = response.get_data(as_text=True)
        if response.status_code != 400:
            failures.append(f"{case}: status {response.status_code}")
        elif not any(html.escape(m, quote=True) in body or m in body for m in _REFUSALS):
            failures.append(f"{case}: no clear message in the page")
        if "<script>alert(1)</script>" in body:
            failures.append(f"{case}: payload reflected")
        _close_spooled_upload_files()
        with app.app_context():
            after = table_counts()
        changed = {t for t in counts if counts[t] != after.get(t) and t != "audit_event"}
        if changed:
            failures.append(f"{case}: rows changed in {sorted(changed)}")
        if _files(_upload_dir(app)) != files_before:
            failures.append(f"{case}: left a file on disk")
    assert not failures, "\n".join(failures)


def _close_spooled_upload_files() -> None:
    """Werkzeug spools big request files to temporary files that only the garbage collector
    closes; collect them here so the suite's warnings-as-errors does not trip on that."""
    import gc
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


_REFUSALS = [
    "The file is too large",
    "The file is empty",
    "could not be read",
    "The picture is too large",
    "Send a photo (JPEG, PNG or WebP) or a PDF",
    "This is an HEIC photo",
    "The PDF is incomplete or damaged",
    "The PDF is password-protected",
    "The PDF contains scripts or actions",
]


def _hidden(page: str, name: str) -> str:
    import re

    match = re.search(rf'name="{name}"[^>]*value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*name="{name}"', page
    )
    return match.group(1) if match else ""


@pytest.mark.parametrize(
    ("case", "name", "build", "payload"), NEUTRALISED, ids=[c[0] for c in NEUTRALISED]
)
def test_photos_are_stored_only_re_encoded_without_what_they_hid(
    app_ctx: Flask, make: Any, case: str, name: str, build: Any, payload: bytes
) -> None:
    user = make.user("applicant")
    application = make.application(user, make.cycle())
    data = build()
    assert payload in data
    document = documents.store_upload(
        application,
        DocumentKind.STATUS_PROOF,
        FileStorage(io.BytesIO(data), filename=name),
        by=user,
    )
    db.session.commit()
    stored, mimetype = documents.read_document(document)
    assert payload not in stored
    # Not even in the ciphertext on disk (the file is encrypted; the payload is gone anyway).
    assert payload not in (_upload_dir(app_ctx) / document.storage_key).read_bytes()
    with Image.open(io.BytesIO(stored)) as image:
        image.load()
        assert image.format in ("JPEG", "PNG")
        exif = image.getexif()
        assert 0x8825 not in exif, "GPS position kept"
        assert not exif.get_ifd(0x8825)
        assert not image.info.get("exif")


def test_the_gps_photo_really_carried_gps() -> None:
    """The corpus is honest: the GPS case does hold a GPS position before cleaning."""
    from tests.security.upload_corpus import jpeg_with_gps

    with Image.open(io.BytesIO(jpeg_with_gps())) as image:
        assert image.getexif().get_ifd(0x8825)[2] == (43.0, 14.0, 18.0)


def test_no_temporary_file_survives_a_refusal_in_the_middle_of_writing(
    app_ctx: Flask, make: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If writing the encrypted file fails half-way, no partial file is left."""
    user = make.user("applicant")
    application = make.application(user, make.cycle())
    root = _upload_dir(app_ctx)
    before = _files(root)

    def broken(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken)
    from tests.security.upload_corpus import png

    unique = png((61, 17))  # content-addressed: a file nobody stored before
    with pytest.raises(OSError):
        documents.store_upload(
            application,
            DocumentKind.STATUS_PROOF,
            FileStorage(io.BytesIO(unique), "a.png"),
            by=user,
        )
    db.session.rollback()
    assert _files(root) == before
