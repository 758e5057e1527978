"""Uploads are checked by content, cleaned of metadata, stored by hash and read back intact."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

import pytest
from flask import current_app
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import ApplicationStatus, AuditEvent, DocumentState
from app.services import documents
from app.services.errors import InvalidInput, NotFound, ServiceError

S = ApplicationStatus


def image_bytes(fmt: str, exif: bool = True) -> bytes:
    image = Image.new("RGB", (32, 24), (200, 40, 40))
    out = io.BytesIO()
    options = {}
    if exif and fmt in ("JPEG", "WEBP", "PNG"):
        data = Image.Exif()
        data[0x010F] = "PhoneMaker"
        data[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0)}
        options["exif"] = data
    image.save(out, format=fmt, **options)
    return out.getvalue()


def pdf_bytes(body: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + body + b">>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def upload(data: bytes, name: str = "file.jpg") -> FileStorage:
    return FileStorage(io.BytesIO(data), filename=name)


@pytest.fixture()
def draft(app_ctx, make):
    return make.application(make.user("applicant"), make.cycle(), status=S.DRAFT)


def store(draft, data, name="photo.jpg", kind="status_proof", **kw):
    return documents.store_upload(draft, kind, upload(data, name), by=draft.applicant, **kw)


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_photos_are_accepted_and_re_encoded_without_exif(draft, fmt, mime):
    original = image_bytes(fmt)
    assert b"PhoneMaker" in original
    doc = store(draft, original)
    content, mimetype = documents.read_document(doc)
    assert mimetype == mime == doc.content_type
    assert b"PhoneMaker" not in content
    with Image.open(io.BytesIO(content)) as again:
        assert again.getexif().get(0x8825) is None
        assert again.size == (32, 24)
    assert doc.original_name.endswith({"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}[fmt])


def test_a_pdf_is_stored_as_sent(draft):
    data = pdf_bytes()
    doc = store(draft, data, "certificate.pdf")
    assert documents.read_document(doc) == (data, "application/pdf")


def test_files_are_content_addressed_outside_static(draft):
    first = store(draft, pdf_bytes(), "a.pdf")
    second = store(draft, pdf_bytes(), "b.pdf")
    assert first.storage_key == second.storage_key == f"{first.sha256[:2]}/{first.sha256}"
    path = Path(current_app.config["UPLOAD_DIR"]) / first.storage_key
    assert path.is_file()
    assert "static" not in path.parts


def test_the_name_the_browser_gave_is_cleaned(draft):
    doc = store(draft, pdf_bytes(), "../../etc/<passwd>.exe")
    assert doc.original_name == "passwd.pdf"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<html><script>alert(1)</script></html>", "neither"),
        (b"MZ\x90\x00 windows program", "neither"),
        (b"", "empty"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "HEIC"),
        (b"\xff\xd8\xff\xe0 not really a jpeg", "damaged"),
        (pdf_bytes(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "scripts"),
        (pdf_bytes(b"/OpenAction << /S /J#61vaScript /J#53 (x) >> "), "scripts"),
        (pdf_bytes(b"/AA << /O << /S /Launch /F (cmd.exe) >> >> "), "scripts"),
        (pdf_bytes(b"/Encrypt 5 0 R "), "password"),
        (b"%PDF-1.4\n1 0 obj << >> endobj\n", "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_reason(draft, data, message):
    with pytest.raises(InvalidInput, match=message):
        store(draft, data)
    assert draft.documents == []


def test_javascript_hidden_in_a_compressed_stream_is_found(draft):
    hidden = zlib.compress(b"<< /S /JavaScript /JS (app.alert(1)) >>")
    data = (
        b"%PDF-1.5\n3 0 obj\n<< /Length "
        + str(len(hidden)).encode()
        + b" /Filter /FlateDecode >>\n"
        b"stream\n" + hidden + b"\nendstream\nendobj\n" + pdf_bytes()[9:]
    )
    with pytest.raises(InvalidInput, match="scripts"):
        store(draft, data, "x.pdf")


def test_files_over_the_limit_are_refused(draft, app):
    limit = app.config["MAX_DOCUMENT_BYTES"]
    with pytest.raises(InvalidInput, match="too large"):
        store(draft, b"%PDF-1.4\n" + b"0" * limit + b"%%EOF")


def test_a_kind_is_required_and_alternative_evidence_needs_its_type(draft):
    with pytest.raises(InvalidInput):
        store(draft, pdf_bytes(), kind="passport")
    with pytest.raises(InvalidInput, match="alternative"):
        store(draft, pdf_bytes(), kind="alternative_evidence")
    doc = store(draft, pdf_bytes(), kind="alternative_evidence", evidence_type="sworn_statement")
    assert doc.evidence_type == "sworn_statement"


def test_upload_is_audited(draft):
    doc = store(draft, pdf_bytes())
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "document.upload"))
    assert event.object_id == str(doc.id)
    assert event.after["sha256"] == doc.sha256


def test_someone_else_cannot_upload(draft, make):
    with pytest.raises(NotFound):
        documents.store_upload(
            draft, "status_proof", upload(pdf_bytes()), by=make.user("applicant")
        )


def test_a_rejected_document_is_replaced_even_after_submission(draft):
    old = store(draft, pdf_bytes())
    draft.status = S.IN_REVIEW
    old.state = DocumentState.REJECTED
    new = store(draft, image_bytes("PNG"), "new.png", replaces=old)
    assert old.state == DocumentState.REPLACED
    assert new.replaces_id == old.id and new.state == DocumentState.UPLOADED
    with pytest.raises(ServiceError, match="already replaced"):
        store(draft, pdf_bytes(), replaces=old)


def test_new_documents_are_refused_after_submission(draft):
    draft.status = S.SUBMITTED
    with pytest.raises(ServiceError, match="only replace"):
        store(draft, pdf_bytes())


def test_replacement_rules(draft, make):
    verified = store(draft, pdf_bytes())
    verified.state = DocumentState.VERIFIED
    with pytest.raises(ServiceError, match="verified"):
        store(draft, pdf_bytes(), replaces=verified)
    with pytest.raises(InvalidInput, match="same kind"):
        store(draft, pdf_bytes(), kind="school_certificate", replaces=verified)
    other = make.application(make.user("applicant"), draft.cycle)
    foreign = store(other, pdf_bytes())
    with pytest.raises(NotFound):
        store(draft, pdf_bytes(), replaces=foreign)


def test_documents_are_frozen_once_decided(draft):
    draft.status = S.ELIGIBLE
    with pytest.raises(ServiceError, match="no longer"):
        store(draft, pdf_bytes())


def test_a_tampered_or_missing_file_is_not_served(draft):
    doc = store(draft, pdf_bytes(b"/Title (unique-1) "))
    path = Path(current_app.config["UPLOAD_DIR"]) / doc.storage_key
    path.write_bytes(b"changed")
    with pytest.raises(NotFound):
        documents.read_document(doc)
    path.unlink()
    with pytest.raises(NotFound):
        documents.read_document(doc)


def test_purge_keeps_files_still_referenced(draft):
    shared = store(draft, pdf_bytes(b"/Title (shared) "))
    store(draft, pdf_bytes(b"/Title (shared) "))
    lonely = store(draft, pdf_bytes(b"/Title (lonely) "))
    root = Path(current_app.config["UPLOAD_DIR"])
    db.session.delete(lonely)
    db.session.delete(shared)
    db.session.flush()
    assert documents.purge_unreferenced([shared.storage_key, lonely.storage_key]) == 1
    assert (root / shared.storage_key).is_file()
    assert not (root / lonely.storage_key).exists()
