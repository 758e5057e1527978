"""On a phone, with the keyboard alone: accept an offered place, and replace a document staff
rejected."""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import Page, expect
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Application, ApplicationStatus, DocumentState, Placement, PlacementState
from app.services import documents
from tests.browser.keys import press, upload
from tests.browser.test_applicant_journey import _check_phone, pdf_file, png_photo
from tests.conftest import PASSWORD

S = ApplicationStatus


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_accept_an_offer(page: Page, live_server, app, make, sign_in, shot, lang):
    cycle = make.cycle()
    first = make.program(name_en="Computer Science")
    second = make.program(name_en="Mathematics")
    first_code, first_id = first.code, first.id
    make.quota(cycle, first, places=1)
    make.quota(cycle, second, places=1)
    user = make.user("applicant", preferred_language=lang)
    email = user.email
    application = make.application(user, cycle, programs=[first, second], score=95, status=S.PLACED)
    round_ = make.round(cycle)
    with app.app_context():
        a = db.session.get(Application, application.id)
        placed_in = a.choices[1].program
        placement = make.placement(round_, a, placed_in, choice_rank=2)
        round_db = placement.round
        round_db.result = {
            "assignments": {a.public_code: placed_in.code},
            "cutoffs": {first_code: {"score": 101.5, "full": True}},
        }
        db.session.commit()
        placement_id = placement.id
    assert first_id

    sign_in(email, PASSWORD, lang)
    page.goto(f"{live_server}/applicant/results")
    expect(page.locator(".placed-program")).to_contain_text("Mathematics")
    expect(page.locator(".outcome-list li")).to_contain_text("101.5")
    expect(page.locator(".honest-ranking")).to_be_visible()
    _check_phone(page, lang)  # fits 360 px, right-to-left in Dari, no axe violations
    shot(f"applicant-offer-{lang}")
    press(page.locator(f"form[action$='/offers/{placement_id}/accept'] button"), "Space")
    expect(page.locator(".offer .badge-accepted")).to_be_visible()
    shot(f"applicant-offer-accepted-{lang}")
    with app.app_context():
        placement = db.session.get(Placement, placement_id)
        assert placement.state == PlacementState.ACCEPTED
        assert placement.application.status == S.ACCEPTED


def test_replace_a_rejected_document(page: Page, live_server, app, make, sign_in, shot):
    user = make.user("applicant")
    email = user.email
    application = make.application(user, make.cycle(), status=S.DRAFT)
    with app.app_context():
        a = db.session.get(Application, application.id)
        doc = documents.store_upload(
            a,
            "status_proof",
            FileStorage(io.BytesIO(pdf_file()), filename="status.pdf"),
            by=a.applicant,
        )
        a.status = S.IN_REVIEW
        doc.state = DocumentState.REJECTED
        doc.note = "The page is cut off: send the whole document."
        db.session.commit()

    sign_in(email, PASSWORD, "en")
    page.goto(f"{live_server}/applicant/application/documents")
    item = page.locator(".checklist-item[data-kind=status_proof]")
    expect(item).to_contain_text("The page is cut off")
    expect(item.locator(".badge-rejected")).to_be_visible()
    shot("applicant-document-rejected-en")
    press(item.locator("a.replace-link"))
    expect(page.locator("#upload-title")).to_contain_text("replacement")
    upload(
        page.locator("#file"),
        [{"name": "status-again.png", "mimeType": "image/png", "buffer": png_photo()}],
    )
    press(page.locator("form[enctype] button[type=submit]"), "Space")
    item = page.locator(".checklist-item[data-kind=status_proof]")
    expect(item.locator(".badge-uploaded")).to_be_visible()
    expect(item.locator(".badge-rejected")).to_have_count(0)  # the old one is replaced
    expect(item.locator(".check-ok")).to_be_visible()
    _check_phone(page, "en")
    shot("applicant-document-replaced-en")
