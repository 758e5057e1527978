"""The applicant's journey in a phone-sized Chromium: register → eligibility → every step →
documents → review → submit, in English and in Dari (right-to-left), with the keyboard alone."""

from __future__ import annotations

import io
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import no_horizontal_scroll
from tests.browser.keys import choose, press, tick, type_into, upload

PASSWORD = "a long enough password"
AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def png_photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (600, 400), (30, 90, 160)).save(out, format="PNG")
    return out.getvalue()


def pdf_file() -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
        b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


@pytest.fixture()
def open_cycle(make: Any) -> dict[str, Any]:
    cycle = make.cycle(name="2026/27", max_choices=3)
    uni = make.university(city="Almaty", name_en="Al-Farabi Kazakh National University")
    other = make.university(city="Astana", name_en="Eurasian National University")
    programs = [
        make.program(uni, name_en="Computer Science", language="en"),
        make.program(other, name_en="Civil Engineering", field_group="ENG"),
        make.program(other, name_en="Nursing", field_group="MED"),
    ]
    for program in programs:
        make.quota(cycle, program, places=3)
    return {"cycle": cycle}


def _check_phone(page: Page, lang: str) -> None:
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa_AF" else "ltr")
    assert no_horizontal_scroll(page), f"sideways scrolling on {page.url}"
    results = Axe().run(page, options=AXE_TAGS)
    assert results.violations_count == 0, results.generate_report()


def _save(page: Page) -> None:
    press(page.locator("main form.form button[type=submit]").first, "Space")


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_register_to_submission(page: Page, live_server: str, open_cycle, shot, lang: str):
    email = f"journey-{lang.lower()}@test.example"
    # Register and confirm the e-mail address.
    page.goto(f"{live_server}/auth/register?lang={lang}")
    _check_phone(page, lang)
    type_into(page.locator("#full_name"), "Freshta Ahmadi")
    type_into(page.locator("#email"), email)
    choose(page.locator("#language"), lang)
    type_into(page.locator("#password"), PASSWORD)
    type_into(page.locator("#password_again"), PASSWORD)
    tick(page.locator("#accept_privacy"))
    shot(f"applicant-register-{lang}")
    press(page.locator("main form button[type=submit]"), "Space")
    page.goto(f"{live_server}/dev/mail")
    press(page.locator("pre.mail-body a").first)

    # Sign in.
    page.goto(f"{live_server}/auth/login?lang={lang}")
    type_into(page.locator("#email"), email)
    type_into(page.locator("#password"), PASSWORD)
    press(page.locator("#password"))  # Enter in a field sends the form
    assert page.url.endswith("/applicant/")
    shot(f"applicant-home-{lang}")
    press(page.locator("main a[href$='/applicant/eligibility']"))

    # Eligibility: a refusal first, then the real answers.
    _check_phone(page, lang)
    tick(page.locator("#protection_status-2"))  # neither
    tick(page.locator("#school-0"))
    press(page.locator("main form button[type=submit]"), "Space")
    expect(page.locator("#precheck-result")).to_be_visible()
    expect(page.locator("#precheck-result li[data-rule=protection_status]")).to_be_visible()
    shot(f"applicant-eligibility-refused-{lang}")
    page.locator("#protection_status-2").focus()
    page.keyboard.press("ArrowUp")  # arrow keys move within a radio group, in both directions
    page.keyboard.press("ArrowUp")
    expect(page.locator("#protection_status-0")).to_be_checked()
    type_into(page.locator("#status_valid_until"), "1408/06/31")  # Solar Hijri
    press(page.locator("#status_valid_until"))
    assert page.url.endswith("/applicant/application/personal")

    # Personal details, with a Solar Hijri date of birth.
    _check_phone(page, lang)
    type_into(page.locator("#name_native"), "فرشته احمدی")
    type_into(page.locator("#name_latin"), "Freshta Ahmadi")
    type_into(page.locator("#name_cyrillic"), "Фрешта Ахмади")
    type_into(page.locator("#date_of_birth"), "۱۳۸۴/۰۱/۰۱")
    tick(page.locator("#gender-0"))
    choose(page.locator("#country_of_origin"), "AF")
    shot(f"applicant-personal-{lang}")
    press(page.locator("main form.form button[name=then]"), "Space")  # save and stay
    expect(page.locator(".both-calendars")).to_contain_text("2005-03-21")
    expect(page.locator(".both-calendars")).to_contain_text("1384/01/01")
    expect(page.locator(".saved-at")).to_be_visible()
    _save(page)

    # Protection status: pre-filled from the eligibility answers.
    assert page.url.endswith("/application/protection")
    expect(page.locator("#protection_status-0")).to_be_checked()
    type_into(page.locator("#status_document_number"), "RF-2026-0042")
    type_into(page.locator("#status_document_issuer"), "Migration Service, Almaty")
    shot(f"applicant-protection-{lang}")
    _save(page)

    # Education.
    assert page.url.endswith("/application/education")
    tick(page.locator("#education_route-0"))
    type_into(page.locator("#school_name"), "School No. 12, Almaty")
    choose(page.locator("#school_country"), "KZ")
    type_into(page.locator("#graduation_year"), "2025")
    shot(f"applicant-education-{lang}")
    _save(page)

    # Scores.
    assert page.url.endswith("/application/scores")
    type_into(page.locator("#c_unt_total"), "112")
    shot(f"applicant-scores-{lang}")
    _save(page)

    # Choices: search, add two, put the second first (server-side buttons, no JS needed).
    assert page.url.endswith("/application/choices")
    _check_phone(page, lang)
    type_into(page.locator("#text"), "Nursing")
    press(page.locator("#text"))
    press(page.locator(".program-results li", has_text="Nursing").locator("button"))
    type_into(page.locator("#text"), "")
    choose(page.locator("#city"), "Almaty")
    press(page.locator("form.search-form button[type=submit]"), "Space")
    press(page.locator(".program-results li", has_text="Computer Science").locator("button"))
    expect(page.locator("#choice-list > li")).to_have_count(2)
    press(page.locator("#choice-list > li").nth(1).locator("button[value=up]"), "Space")
    expect(page.locator("#choice-list > li").first).to_contain_text("Computer Science")
    expect(page.locator("#choice-list > li").first).to_be_focused()  # back at the moved one
    page.keyboard.press("Tab")  # its Up is disabled: Down is next, to rank on from here
    expect(page.locator("#choice-list > li").first.locator("button[value=down]")).to_be_focused()
    shot(f"applicant-choices-{lang}")
    press(page.locator("main p.actions a.btn"))

    # Documents: a phone photo, a PDF and alternative evidence for the test results.
    assert page.url.endswith("/application/documents")
    uploads = [
        ("status_proof", "status.png", "image/png", png_photo(), ""),
        ("school_certificate", "school.pdf", "application/pdf", pdf_file(), ""),
        ("test_certificate", "unt.png", "image/png", png_photo(), ""),
    ]
    for kind, name, mime, data, _evidence in uploads:
        choose(page.locator("#kind"), kind)
        upload(page.locator("#file"), [{"name": name, "mimeType": mime, "buffer": data}])
        press(page.locator("form[enctype] button[type=submit]"), "Space")
        expect(page.locator(f".checklist-item[data-kind={kind}] .check-ok")).to_be_visible()
    _check_phone(page, lang)
    shot(f"applicant-documents-{lang}")
    press(page.locator("main p.actions a.btn"))

    # Review, declaration, submit.
    assert page.url.endswith("/application/review")
    expect(page.locator("#missing")).to_have_count(0)
    _check_phone(page, lang)
    tick(page.locator("#declaration"))
    shot(f"applicant-review-{lang}")
    press(page.locator("form[action$='/application/submit'] button[type=submit]"), "Space")
    assert page.url.endswith("/applicant/")
    expect(page.locator(".badge-submitted")).to_be_visible()
    expect(page.locator("ol.timeline li")).to_have_count(1)
    _check_phone(page, lang)
    shot(f"applicant-submitted-{lang}")

    # The form is now read-only, and the message arrived in the portal.
    page.goto(f"{live_server}/applicant/application/personal")
    expect(page.locator("#name_latin")).to_be_disabled()
    page.goto(f"{live_server}/applicant/messages")
    expect(page.locator("li.message")).to_have_count(1)
    shot(f"applicant-messages-{lang}")
