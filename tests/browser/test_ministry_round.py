"""A ministry officer, in the browser and with the keyboard alone, in English and in Dari: set up
a cycle, verify an application, run an official round, review it and publish it."""

from __future__ import annotations

import io

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import ApplicationStatus, Cycle, DocumentKind, Program, User
from tests.browser.conftest import no_horizontal_scroll
from tests.browser.keys import choose, press, type_date_time, type_into
from tests.conftest import PASSWORD
from tests.web.ministry.conftest import png_bytes

AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def check(page: Page) -> None:
    """The page fits a 360 px phone and axe reports no WCAG 2 A/AA violation."""
    wide = page.evaluate(
        "() => Array.from(document.querySelectorAll('body *')).filter(e => "
        "e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 8)"
        ".map(e => e.tagName + '.' + e.className + '#' + e.id + ' ' + "
        "Math.round(e.getBoundingClientRect().right))"
    )
    assert no_horizontal_scroll(page), f"sideways scrolling on {page.url}: {wide}"
    results = Axe().run(page, options=AXE_TAGS)
    assert results.violations_count == 0, results.generate_report()


def _applications(app, make, cycle_name: str) -> str:
    """Create one application in review (with a document) and two eligible ones."""
    with app.app_context():
        from app.services import documents

        cycle = db.session.scalar(select(Cycle).where(Cycle.name == cycle_name))
        programs = list(db.session.scalars(select(Program).order_by(Program.code)))
        review = make.application(cycle=cycle, programs=programs, score=130)
        for score in (120, 110):
            make.application(
                cycle=cycle, programs=programs, score=score, status=ApplicationStatus.ELIGIBLE
            )
        applicant = db.session.get(User, review.applicant_id)
        upload = FileStorage(
            io.BytesIO(png_bytes()), filename="proof.png", content_type="image/png"
        )
        documents.store_upload(review, DocumentKind.STATUS_PROOF, upload, by=applicant)
        review.status = ApplicationStatus.SUBMITTED
        db.session.commit()
        return review.public_code


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_set_up_verify_run_review_publish(
    page: Page, app, live_server, make, sign_in, shot, lang: str
):
    uni = make.university(code="KAZNU")
    make.program(uni, code="KAZNU-CS")
    make.program(uni, code="KAZNU-MATH")
    officer = make.user("ministry", preferred_language=lang)
    sign_in(officer.email, PASSWORD, lang)
    page.on("dialog", lambda dialog: dialog.accept())
    main = page.locator("main")

    # Set up the cycle (a date and time field takes its parts typed, Tab between date and time).
    page.goto(f"{live_server}/ministry/cycles/new")
    type_into(page.locator("#name"), "Browser 2027")
    type_date_time(page.locator("#application_opens_at"), "06012026", "0900AM")
    type_date_time(page.locator("#application_closes_at"), "07012026", "0600PM")
    expect(page.locator("#application_closes_at")).to_have_value("2026-07-01T18:00")
    press(page.locator("main form button[type=submit]"), "Space")
    expect(page.locator("main h1")).to_contain_text("Browser 2027")
    type_into(page.locator("#seed"), "20270701")
    press(page.locator("#seed"))  # Enter sends it; the confirm dialog is accepted
    expect(main).to_contain_text("20270701")

    # Quotas: one place in each program.
    press(main.locator("a[href$='/quotas']"))
    for _ in range(2):
        type_into(page.locator("#places"), "1")
        press(page.locator("#places"))
        expect(page.locator(".alert-success")).to_be_visible()
    # A minimum share of women: the round's review then says how it was met.
    type_into(page.locator("#women_share"), "0.4")
    press(page.locator("form[action$='/limits'] button[type=submit]"), "Space")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#women_share")).to_have_value("0.40")
    shot(f"ministry-quotas-{lang}")
    check(page)

    # Verify the waiting application.
    code = _applications(app, make, "Browser 2027")
    press(page.locator("header a[href$='/ministry/verification']"))
    press(main.get_by_role("link", name=code))
    expect(page.locator(".document-preview")).to_be_visible()
    check(page)
    choose(page.locator("select[id$=-decision]"), "verify")
    press(page.locator("form[action*='/documents/'] button[type=submit]"), "Space")
    expect(page.locator(".alert-success")).to_be_visible()
    press(page.locator("form[action$='/eligible'] button[type=submit]"), "Space")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("main h1")).to_be_visible()

    # Run an official round, review it, publish it.
    press(page.locator("header a[href$='/ministry/cycles']"))
    press(main.get_by_role("link", name="Browser 2027"))
    check(page)
    press(main.locator("a[href$='/rounds/new']"))
    choose(page.locator("#mode"), "official")
    press(page.locator("main form button[type=submit]"), "Space")
    expect(page.locator("#cert-title")).to_be_visible()
    expect(page.locator(".cert-ok")).to_be_visible()
    expect(page.locator("#minimum-title")).to_be_visible()
    shot(f"ministry-round-review-{lang}")
    check(page)
    press(page.locator("form[action$='/publish'] button[type=submit]"), "Space")
    expect(page.locator("main p.alert-success")).to_be_visible()  # published on …
    shot(f"ministry-round-published-{lang}")
    page.goto(f"{live_server}/ministry/audit?action=round.")
    # The log names the action in words; the code stays in the row's title for filtering.
    expect(page.locator("main tbody [title='round.publish']")).to_have_count(1)
    if lang == "en":
        expect(page.locator("main tbody")).to_contain_text("Round published")
    check(page)
    if lang != "en":
        return  # the dashboard and the public results are walked in both languages elsewhere
    page.goto(f"{live_server}/ministry/")
    expect(page.locator("#chart-by-university-title")).to_be_visible()
    shot("ministry-dashboard")
    check(page)
    page.goto(f"{live_server}/results")
    expect(main).to_contain_text("20270701")
    shot("public-results")
    check(page)
