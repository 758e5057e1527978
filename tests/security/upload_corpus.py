"""A corpus of hostile uploads, generated in code (no binary blobs in the repository).

`BAD_FILES` must all be refused by `app.services.documents.store_upload`; `NEUTRALISED`
are accepted only after cleaning (the stored bytes must no longer carry the payload).
Each entry: (case id, file name the browser sends, bytes).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Callable

from PIL import Image

SCRIPT = b"<script>alert(1)</script>"


def jpeg(size: tuple[int, int] = (64, 48), exif: bytes | None = None) -> bytes:
    out = io.BytesIO()
    image = Image.new("RGB", size, (10, 120, 200))
    if exif is not None:
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    """A JPEG whose EXIF holds a GPS position (Almaty) and a camera serial number."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0xA431] = "SERIAL-PLANTED-4411"  # BodySerialNumber (Exif IFD in real files)
    gps = {1: "N", 2: (43.0, 14.0, 18.0), 3: "E", 4: (76.0, 53.0, 12.0)}
    exif[0x8825] = gps  # GPSInfo
    return jpeg(exif=exif.tobytes())


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A tiny PNG whose header claims a 10-gigapixel image."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 1024, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def jpeg_bomb() -> bytes:
    """A real JPEG with its frame header rewritten to claim 65000 x 65000 pixels."""
    data = bytearray(jpeg())
    sof = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, sof + 5, 65000, 65000)
    return bytes(data)


def pdf(*objects: bytes, eof: bool = True) -> bytes:
    body = b"%PDF-1.7\n"
    body += b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    body += b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    for n, obj in enumerate(objects, start=3):
        body += str(n).encode() + b" 0 obj" + obj + b"endobj\n"
    body += b"trailer<</Root 1 0 R>>\n"
    return body + (b"%%EOF\n" if eof else b"")


def zip_bomb(levels: int = 1) -> bytes:
    """A small zip that inflates to 50 MB per level (nested)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("zeros.bin", b"\x00" * 50_000_000)
    data = out.getvalue()
    for _ in range(levels - 1):
        outer = io.BytesIO()
        with zipfile.ZipFile(outer, "w", zipfile.ZIP_DEFLATED) as zf:
            for i in range(4):
                zf.writestr(f"layer{i}.zip", data)
        data = outer.getvalue()
    return data


def _stream(content: bytes) -> bytes:
    packed = zlib.compress(content)
    return (
        b"<</Length "
        + str(len(packed)).encode()
        + b"/Filter/FlateDecode>>stream\n"
        + packed
        + b"\nendstream\n"
    )


def _bad_files(max_bytes: int) -> list[tuple[str, str, bytes]]:
    good_jpeg = jpeg()
    good_png = png()
    return [
        ("zero-bytes", "status.pdf", b""),
        ("oversize-jpeg", "photo.jpg", good_jpeg[:-2] + b"\x00" * max_bytes + b"\xff\xd9"),
        ("oversize-pdf", "scan.pdf", pdf(b"<<>>")[:-6] + b"%" * max_bytes + b"\n%%EOF\n"),
        ("plain-text-as-pdf", "certificate.pdf", b"This is my certificate, honestly.\n" * 20),
        ("html-as-jpg", "photo.jpg", b"<!doctype html><html><body>" + SCRIPT + b"</body></html>"),
        (
            "svg-with-script",
            "photo.png",
            b'<svg xmlns="http://www.w3.org/2000/svg">' + SCRIPT + b"</svg>",
        ),
        ("svg-as-svg", "logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("php-as-jpg", "photo.jpg", b"<?php system($_GET['c']); ?>"),
        ("elf-as-pdf", "scan.pdf", b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 200),
        (
            "exe-as-jpg",
            "photo.jpg",
            b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"\x00" * 200,
        ),
        ("zip-as-pdf", "documents.pdf", zip_bomb(1)),
        ("nested-zip-bomb-as-jpg", "photo.jpg", zip_bomb(2)),
        ("gzip-bomb-as-pdf", "scan.pdf", b"\x1f\x8b\x08\x00" + zlib.compress(b"\x00" * 10_000_000)),
        (
            "gif-as-png",
            "photo.png",
            b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
        ),
        ("bmp-as-jpg", "photo.jpg", _pil_bytes("BMP")),
        ("tiff-as-jpg", "photo.jpg", _pil_bytes("TIFF")),
        (
            "heic-as-jpg",
            "photo.jpg",
            b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 100,
        ),
        (
            "jpeg-magic-then-html",
            "photo.jpg",
            b"\xff\xd8\xff\xe0" + b"<html>" + SCRIPT + b"</html>",
        ),
        ("png-magic-then-garbage", "photo.png", b"\x89PNG\r\n\x1a\n" + b"garbage" * 50),
        ("webp-header-garbage", "photo.webp", b"RIFF\x00\x10\x00\x00WEBPVP8 " + b"\x00" * 64),
        ("truncated-jpeg", "photo.jpg", good_jpeg[: len(good_jpeg) // 2]),
        ("truncated-png", "photo.png", good_png[: len(good_png) // 2]),
        ("png-image-bomb", "photo.png", png_bomb()),
        ("jpeg-image-bomb", "photo.jpg", jpeg_bomb()),
        ("pdf-javascript", "scan.pdf", pdf(b"<</S/JavaScript/JS(app.alert(1))>>")),
        (
            "pdf-js-openaction",
            "scan.pdf",
            pdf(b"<</Type/Catalog/OpenAction<</S/JavaScript/JS(this.exportDataObject())>>>>"),
        ),
        ("pdf-launch-openaction", "scan.pdf", pdf(b"<</OpenAction<</S/Launch/F(cmd.exe)>>>>")),
        ("pdf-hex-escaped-javascript", "scan.pdf", pdf(b"<</S/J#61vaScript/J#53(app.alert(1))>>")),
        (
            "pdf-javascript-in-flate-stream",
            "scan.pdf",
            pdf(_stream(b"<</S/JavaScript/JS(app.alert(1))>>")),
        ),
        (
            "pdf-encrypted",
            "scan.pdf",
            pdf(b"<</Filter/Standard/V 2/R 3>>").replace(b"trailer<<", b"trailer<</Encrypt 3 0 R"),
        ),
        ("pdf-truncated", "scan.pdf", pdf(b"<<>>", eof=False)),
        (
            "pdf-html-polyglot",
            "scan.pdf",
            b"<html><body>" + SCRIPT + b"</body></html>\n" + pdf(b"<<>>"),
        ),
        ("pdf-xfa-form", "scan.pdf", pdf(b"<</AcroForm<</XFA 4 0 R>>>>")),
    ]


def _pil_bytes(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (1, 2, 3)).save(out, format=fmt)
    return out.getvalue()


def bad_files(max_bytes: int) -> list[tuple[str, str, bytes]]:
    """Every file Umit must refuse, for a document size limit of `max_bytes`."""
    return _bad_files(max_bytes)


def _zip_of(data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("payload.html", data)
    return out.getvalue()


# Accepted after cleaning: (case id, name, bytes, a payload that must not survive in storage).
NEUTRALISED: list[tuple[str, str, Callable[[], bytes], bytes]] = [
    ("jpeg-with-appended-zip", "photo.jpg", lambda: jpeg() + _zip_of(SCRIPT), b"PK\x03\x04"),
    ("jpeg-with-appended-html", "photo.jpg", lambda: jpeg() + SCRIPT, SCRIPT),
    ("png-with-appended-html", "photo.png", lambda: png() + SCRIPT, SCRIPT),
    ("jpeg-with-gps-exif", "photo.jpg", jpeg_with_gps, b"SERIAL-PLANTED-4411"),
]
