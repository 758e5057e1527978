"""A ministry officer, in the browser: set up a cycle, verify an application, run an official
round, review it and publish it."""

from __future__ import annotations

import io

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import ApplicationStatus, Cycle, DocumentKind, Program, User
from tests.browser.conftest import no_horizontal_scroll
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


def test_set_up_verify_run_review_publish(page: Page, app, live_server, make, sign_in, shot):
    uni = make.university(code="KAZNU")
    make.program(uni, code="KAZNU-CS")
    make.program(uni, code="KAZNU-MATH")
    officer = make.user("ministry")
    sign_in(officer.email, PASSWORD)
    page.on("dialog", lambda dialog: dialog.accept())

    # Set up the cycle.
    page.goto(f"{live_server}/ministry/cycles/new")
    page.get_by_label("Name").fill("Browser 2027")
    page.get_by_label("Applications open (UTC)").fill("2026-06-01T09:00")
    page.get_by_label("Applications close (UTC)").fill("2026-07-01T18:00")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("main h1")).to_contain_text("Browser 2027")
    page.locator("#seed").fill("20270701")
    page.get_by_role("button", name="Commit the seed").click()
    expect(page.locator("main")).to_contain_text("20270701")

    # Quotas: one place in each program.
    page.get_by_role("link", name="Quotas and limits").click()
    for _ in range(2):
        page.locator("#program_id").select_option(index=0)
        page.locator("#places").fill("1")
        page.get_by_role("button", name="Add").click()
        expect(page.locator(".alert-success")).to_be_visible()
    shot("ministry-quotas")
    check(page)

    # Verify the waiting application.
    code = _applications(app, make, "Browser 2027")
    page.get_by_role("link", name="Verification").first.click()
    page.get_by_role("link", name=code).click()
    expect(page.locator(".document-preview")).to_be_visible()
    check(page)
    page.locator("select[id$=-decision]").select_option("verify")
    page.get_by_role("button", name="Save the decision").click()
    expect(page.locator(".alert-success")).to_be_visible()
    page.get_by_role("button", name="Mark eligible").click()
    expect(page.locator(".alert-success")).to_contain_text("eligible")

    # Run an official round, review it, publish it.
    page.get_by_role("link", name="Cycles").first.click()
    page.get_by_role("link", name="Browser 2027").click()
    check(page)
    page.get_by_role("link", name="Run an allocation round").click()
    page.locator("#mode").select_option("official")
    page.get_by_role("button", name="Start the round").click()
    expect(page.locator("#cert-title")).to_be_visible()
    expect(page.locator("main")).to_contain_text("found no violation")
    shot("ministry-round-review")
    check(page)
    page.get_by_role("button", name="Publish this round").click()
    expect(page.locator("main")).to_contain_text("Published on")
    shot("ministry-round-published")
    page.goto(f"{live_server}/ministry/audit?action=round.")
    # The log names the action in words; the code stays in the row's title for filtering.
    expect(page.locator("main tbody")).to_contain_text("Round published")
    expect(page.locator("main tbody [title='round.publish']")).to_have_count(1)
    check(page)
    page.goto(f"{live_server}/ministry/")
    expect(page.locator("#chart-by-university-title")).to_be_visible()
    shot("ministry-dashboard")
    check(page)
    page.goto(f"{live_server}/results")
    expect(page.locator("main")).to_contain_text("20270701")
    shot("public-results")
    check(page)


def test_console_in_dari_is_right_to_left_and_accessible(page: Page, live_server, make, sign_in):
    cycle = make.cycle(name="RTL 2027")
    cycle_id = cycle.id
    uni = make.university(code="ENU")
    program = make.program(uni, code="ENU-CS")
    make.quota(cycle, program, places=3)
    officer = make.user("ministry", preferred_language="fa_AF")
    sign_in(officer.email, PASSWORD, "fa_AF")
    for path in (
        "/ministry/",
        f"/ministry/cycles/{cycle_id}",
        f"/ministry/cycles/{cycle_id}/quotas",
    ):
        page.goto(f"{live_server}{path}")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        check(page)
