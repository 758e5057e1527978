"""Uploaded evidence: checked by content, cleaned, stored by hash outside the web root.

A file is trusted for what its bytes are, never for its name or the browser's content type.
Photos are decoded and re-encoded with Pillow, which drops EXIF (GPS position, camera serial)
and anything appended after the image; PDFs that carry JavaScript, launch actions or
encryption are refused, because staff open them.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import unicodedata
import warnings
import zlib
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Document,
    DocumentKind,
    DocumentState,
    User,
    utcnow,
)
from app.models.crypto_types import DecryptionError
from app.services import audit
from app.services.errors import InvalidInput, NotFound, ServiceError
from app.services.file_crypto import decrypt_bytes, encrypt_bytes

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"
HEIC = "image/heic"

_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
_MAX_PIXELS = 40_000_000  # a 40-megapixel photo is already more than any phone sends
_HEIF_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif"}
# PDF names that run code or open other things when the file is opened.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|RichMedia|XFA|SubmitForm|ImportData)\b")
_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.DOTALL)
_PDF_HEX_NAME = re.compile(rb"#([0-9A-Fa-f]{2})")

# While a document can still be changed by its owner.
_OPEN_STATUSES = frozenset(
    {
        ApplicationStatus.DRAFT,
        ApplicationStatus.SUBMITTED,
        ApplicationStatus.IN_REVIEW,
        ApplicationStatus.NEEDS_INFO,
    }
)


class UploadRefused(InvalidInput):
    """The file is not one Umit accepts (type, size, content)."""


def sniff(head: bytes) -> str | None:
    """Name the type of a file from its first bytes, or None when it is not one we accept."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIC
    # The PDF header may follow a little junk (the spec allows it within the first 1 KiB),
    # but not markup: an HTML page with a PDF after it is a polyglot, refused.
    start = head.find(b"%PDF-", 0, 1024)
    if start >= 0 and b"<" not in head[:start] and b">" not in head[:start]:
        return PDF
    return None


def _read_limited(file_storage: Any) -> bytes:
    limit = int(current_app.config["MAX_DOCUMENT_BYTES"])
    stream = getattr(file_storage, "stream", file_storage)
    data: bytes = stream.read(limit + 1)
    if len(data) > limit:
        raise UploadRefused(
            _(
                "The file is too large. The limit is %(mb)s MB: take the photo again at a "
                "lower resolution, or scan fewer pages.",
                mb=round(limit / 1024 / 1024, 1),
            )
        )
    if not data:
        raise UploadRefused(_("The file is empty. Choose the file again."))
    return data


def clean_image(data: bytes, mimetype: str) -> bytes:
    """Decode and re-encode a photo: upright, no EXIF/GPS, nothing hidden after the image."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > _MAX_PIXELS:
                    raise UploadRefused(_("The picture is too large. Send a smaller photo."))
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                fmt = _PIL_FORMATS[mimetype]
                if fmt == "JPEG" and upright.mode not in ("RGB", "L"):
                    upright = upright.convert("RGB")
                out = io.BytesIO()
                options: dict[str, Any] = {"optimize": True}
                if fmt in ("JPEG", "WEBP"):
                    options["quality"] = 88
                upright.save(out, format=fmt, **options)
                return out.getvalue()
    except UploadRefused:
        raise
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        SyntaxError,
        ValueError,
    ):
        raise UploadRefused(
            _("The picture could not be read; it may be damaged. Take the photo again.")
        ) from None


def check_pdf(data: bytes) -> None:
    """Refuse PDFs that are damaged, encrypted, or carry JavaScript or other active content."""
    if b"%%EOF" not in data[-2048:]:
        raise UploadRefused(_("The PDF is incomplete or damaged. Save or scan it again."))
    bodies = [data]
    for match in _PDF_STREAM.finditer(data):
        try:
            bodies.append(zlib.decompressobj().decompress(match.group(1), 5_000_000))
        except zlib.error:
            continue
    for body in bodies:
        # Names may be written with #xx escapes (/J#61vaScript); undo them before looking.
        plain = _PDF_HEX_NAME.sub(lambda m: bytes([int(m.group(1), 16)]), body)
        if b"/Encrypt" in plain:
            raise UploadRefused(
                _("The PDF is password-protected. Save it without a password and send it again.")
            )
        if _PDF_ACTIVE.search(plain):
            raise UploadRefused(
                _(
                    "The PDF contains scripts or actions, which we do not accept. Print it to a "
                    "new PDF, or send a photo of the pages."
                )
            )


def _safe_name(name: str, mimetype: str) -> str:
    base = os.path.basename((name or "").replace("\\", "/"))
    base = unicodedata.normalize("NFC", base)
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"/\\|?*').strip(" .")
    stem = os.path.splitext(base)[0][:120] or "document"
    ext = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", PDF: ".pdf"}[mimetype]
    return stem + ext


def _storage_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def _write(content: bytes) -> tuple[str, str]:
    digest = hashlib.sha256(content).hexdigest()
    key = f"{digest[:2]}/{digest}"
    path = _storage_root() / key
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        try:
            # Encrypted at rest: app/services/file_crypto.py
            tmp.write_bytes(encrypt_bytes(content))
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)  # a full disk or a crash leaves no partial file
            raise
    return digest, key


def _check_may_upload(
    application: Application, kind: DocumentKind, by: User, replaces: Document | None
) -> None:
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if kind == DocumentKind.APPEAL_EVIDENCE:
        return  # appeals have their own window, checked by the appeal service
    if application.status not in _OPEN_STATUSES:
        raise ServiceError(_("Documents can no longer be changed for this application."))
    if replaces is not None:
        if replaces.application_id != application.id:
            raise NotFound(_("There is no such document."))
        if replaces.state == DocumentState.REPLACED:
            raise ServiceError(_("This document was already replaced."))
        if replaces.kind != kind:
            raise InvalidInput(_("A replacement must be the same kind of document."))
        if replaces.state == DocumentState.VERIFIED:
            raise ServiceError(_("A verified document does not need replacing."))
        return
    from app.services.applications import editable_sections

    if "documents" not in editable_sections(application):
        raise ServiceError(
            _("Your application was sent; you can only replace a document staff rejected.")
        )


def store_upload(
    application: Application,
    kind: DocumentKind | str,
    file_storage: Any,
    *,
    by: User,
    evidence_type: str = "",
    replaces: Document | None = None,
) -> Document:
    """Check an uploaded file by its content, clean it and store it by hash; return the Document.

    Accepts JPEG, PNG and WebP photos (re-encoded without metadata) and PDFs without scripts,
    up to MAX_DOCUMENT_BYTES. Refuses HEIC (no decoder here), anything else, empty or oversize
    files, and uploads the application's state does not allow. With `replaces`, the old
    document is marked replaced.
    """
    try:
        kind = DocumentKind(kind)
    except ValueError:
        raise InvalidInput(_("Choose which document this is.")) from None
    _check_may_upload(application, kind, by, replaces)
    if kind == DocumentKind.ALTERNATIVE_EVIDENCE and not evidence_type:
        raise InvalidInput(_("Say what kind of alternative evidence this is."))
    data = _read_limited(file_storage)
    mimetype = sniff(data[:1024])
    if mimetype == HEIC:
        raise UploadRefused(
            _(
                "This is an HEIC photo, which we cannot open. On the phone, choose “Most "
                "compatible” (JPEG) in the camera settings, or send a screenshot of the photo."
            )
        )
    if mimetype is None:
        raise UploadRefused(_("Send a photo (JPEG, PNG or WebP) or a PDF. This file is neither."))
    content = check_and_clean(data, mimetype)
    digest, key = _write(content)
    document = Document(
        application=application,
        kind=kind,
        evidence_type=evidence_type[:40],
        original_name=_safe_name(getattr(file_storage, "filename", "") or "", mimetype),
        content_type=mimetype,
        size_bytes=len(content),
        sha256=digest,
        storage_key=key,
        state=DocumentState.UPLOADED,
        uploaded_at=utcnow(),
        uploaded_by_id=by.id,
        replaces_id=replaces.id if replaces is not None else None,
    )
    db.session.add(document)
    if replaces is not None:
        replaces.state = DocumentState.REPLACED
    db.session.flush()
    audit.record(
        by,
        "document.upload",
        document,
        after={
            "kind": kind.value,
            "sha256": digest,
            "size": len(content),
            "replaces": replaces.id if replaces is not None else None,
        },
    )
    return document


def check_and_clean(data: bytes, mimetype: str) -> bytes:
    """Return the bytes to store for a sniffed file: a re-encoded image or the checked PDF."""
    if mimetype == PDF:
        check_pdf(data)
        return data
    return clean_image(data, mimetype)


def purge_unreferenced(storage_keys: list[str]) -> int:
    """Delete stored files no document refers to any more (call after the deleting commit)."""
    from sqlalchemy import select

    removed = 0
    for key in set(storage_keys):
        still_used = db.session.scalar(
            select(Document.id).where(Document.storage_key == key).limit(1)
        )
        path = _storage_root() / key
        if still_used is None and path.is_file():
            path.unlink()
            removed += 1
    return removed


def read_document(document: Document) -> tuple[bytes, str]:
    """Return (content, mimetype) of a stored document, checking it was not altered on disk.

    Callers must have checked that the reader may see it (owner or staff).
    """
    path = _storage_root() / document.storage_key
    try:
        stored = path.read_bytes()
    except OSError:
        raise NotFound(_("The file of this document is missing.")) from None
    try:
        content = decrypt_bytes(stored)
    except DecryptionError:
        content = stored  # stored before encryption (`flask umit rotate-keys` encrypts it)
    if hashlib.sha256(content).hexdigest() != document.sha256:
        raise NotFound(_("The file of this document is damaged."))
    return content, document.content_type
