"""A big phone photo is shrunk in the browser (js/compress-upload.js) before it is uploaded.

The plain upload without JavaScript is covered by
tests/web/applicant/test_application_pages.py::test_upload_and_view_own_document.
"""

from __future__ import annotations

import io
import os
from typing import Any

from PIL import Image
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Document
from app.services import documents
from tests.conftest import PASSWORD


def big_photo() -> bytes:
    """A 3000×3000 JPEG of blurred noise, about 4 MB: what a phone camera sends."""
    noise = Image.frombytes("RGB", (600, 600), os.urandom(600 * 600 * 3))
    out = io.BytesIO()
    noise.resize((3000, 3000), Image.Resampling.BILINEAR).save(out, format="JPEG", quality=92)
    return out.getvalue()


def test_a_big_photo_is_compressed_before_upload(
    page: Page, app, live_server: str, make: Any, sign_in, shot
):
    cycle = make.cycle()
    program = make.program()
    make.quota(cycle, program, places=2)
    user = make.user("applicant")
    email = user.email
    application = make.application(user, cycle, programs=[program])
    original = big_photo()
    assert len(original) > 1.5 * 1024 * 1024

    sign_in(email, PASSWORD, "en")
    page.goto(f"{live_server}/applicant/application/documents")
    file_input = page.locator("input[type=file][data-compress-images]")
    expect(file_input).to_have_count(1)
    page.locator("#kind").select_option("school_certificate")
    file_input.set_input_files(
        {"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": original}
    )
    expect(file_input).to_have_attribute("data-compress-state", "done", timeout=15000)
    picked = page.evaluate(
        "() => { const f = document.querySelector('input[data-compress-images]').files[0];"
        " return {size: f.size, type: f.type, name: f.name}; }"
    )
    assert picked["type"] == "image/jpeg"
    assert picked["name"] == "IMG_0001.jpg"
    assert picked["size"] < len(original) / 2
    page.locator("form[enctype='multipart/form-data'] button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".flash, [role=status], [role=alert]").first).to_be_visible()
    shot("applicant-upload-compressed-en")

    with app.app_context():
        stored = db.session.scalars(
            db.select(Document).where(Document.application_id == application.id)
        ).one()
        assert stored.size_bytes < len(original)
        data, _type = documents.read_document(stored)
        with Image.open(io.BytesIO(data)) as image:
            assert image.format == "JPEG"
            assert max(image.size) == 2000  # downscaled in the browser; the server keeps size


def test_a_small_photo_is_sent_unchanged(page: Page, live_server: str, make: Any, sign_in):
    cycle = make.cycle()
    program = make.program()
    make.quota(cycle, program, places=2)
    user = make.user("applicant")
    email = user.email
    make.application(user, cycle, programs=[program])
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (10, 120, 60)).save(out, format="PNG")
    small = out.getvalue()

    sign_in(email, PASSWORD, "en")
    page.goto(f"{live_server}/applicant/application/documents")
    file_input = page.locator("input[type=file][data-compress-images]")
    file_input.set_input_files({"name": "scan.png", "mimeType": "image/png", "buffer": small})
    size = page.evaluate(
        "() => document.querySelector('input[data-compress-images]').files[0].size"
    )
    assert size == len(small)
    expect(file_input).not_to_have_attribute("data-compress-state", "done")
