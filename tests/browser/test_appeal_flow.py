"""An appeal from filing to an upheld decision, on a phone-sized screen, in English and in Dari,
with the keyboard alone."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Appeal, AppealState, Application, ApplicationStatus, User
from app.services import verification
from tests.browser.conftest import no_horizontal_scroll
from tests.browser.keys import choose, press, tick, type_into
from tests.conftest import PASSWORD

AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def check(page: Page) -> None:
    """The page fits a 360 px phone and axe reports no WCAG 2 A/AA violation."""
    assert no_horizontal_scroll(page), f"sideways scrolling on {page.url}"
    results = Axe().run(page, options=AXE_TAGS)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_appeal_from_filing_to_upheld(page: Page, app, live_server, make, sign_in, shot, lang):
    decider = make.user("ministry")
    reviewer = make.user("ministry", full_name="Aigerim Reviewer")
    applicant = make.user("applicant", preferred_language=lang)
    applicant_email, reviewer_email, reviewer_id = applicant.email, reviewer.email, reviewer.id
    cycle = make.cycle(appeal_window_days=10)
    application = make.application(applicant, cycle, status=ApplicationStatus.IN_REVIEW)
    with app.app_context():
        verification.mark_ineligible(
            db.session.get(Application, application.id),
            "Status document expired.",
            by=db.session.get(User, decider.id),
        )
        db.session.commit()

    # The applicant sees the decision, its deadline, and files an appeal.
    sign_in(applicant_email, PASSWORD, lang)
    page.goto(f"{live_server}/applicant/appeals")
    expect(page.locator("main h1")).to_be_visible()
    check(page)
    shot(f"appeal-decisions-{lang}")
    press(page.locator('main a[href*="/applicant/appeals/new"]'))
    expect(page.locator(".appeal-deadline")).to_be_visible()
    tick(page.locator("#ground-0"))
    type_into(page.locator("#statement"), "My refugee certificate is valid until 2030. Look again.")
    tick(page.locator("#declaration"))
    check(page)
    shot(f"appeal-form-{lang}")
    press(page.locator("main form button[type=submit]"), "Space")
    expect(page.locator(".badge-submitted")).to_be_visible()
    check(page)
    shot(f"appeal-filed-{lang}")

    # A second officer (not the one who decided) takes it and upholds it.
    page.context.clear_cookies()
    sign_in(reviewer_email, PASSWORD, lang)
    page.goto(f"{live_server}/ministry/appeals")
    press(page.locator("table.appeal-queue a").first)
    choose(page.locator("#officer"), str(reviewer_id))
    press(page.locator('form[action$="/assign"] button[type=submit]'), "Space")
    expect(page.locator(".badge-in_review")).to_be_visible()
    tick(page.locator("#outcome-0"))
    type_into(page.locator("#reason"), "The status document was valid on the day of the decision.")
    check(page)
    shot(f"appeal-decide-{lang}")
    press(page.locator('form[action$="/decide"] button[type=submit]'), "Space")
    expect(page.locator(".appeal-outcome")).to_be_visible()
    check(page)
    shot(f"appeal-upheld-ministry-{lang}")
    page.goto(f"{live_server}/ministry/appeals?state=all")
    expect(page.locator("table.appeal-queue .badge-upheld")).to_be_visible()
    check(page)
    shot(f"appeal-queue-{lang}")

    # The applicant reads the outcome and the reason in their language.
    page.context.clear_cookies()
    sign_in(applicant_email, PASSWORD, lang)
    page.goto(f"{live_server}/applicant/appeals")
    press(page.locator('main .appeal-list a[href*="/applicant/appeals/"]').first)
    expect(page.locator(".appeal-outcome")).to_contain_text("valid on the day of the decision")
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "fa_AF" else "ltr")
    check(page)
    shot(f"appeal-outcome-{lang}")
    with app.app_context():
        appeal = db.session.query(Appeal).one()
        assert appeal.state == AppealState.UPHELD
        assert db.session.get(Application, application.id).status == ApplicationStatus.ELIGIBLE
