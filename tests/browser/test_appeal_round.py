"""A score appeal in the browser: impact preview, upheld, appeal round reviewed and published."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Placement, Round, RoundKind, RoundStatus
from tests.browser.test_appeal_flow import check
from tests.conftest import PASSWORD
from tests.web.test_appeals_ministry import score_appeal_world


def test_preview_uphold_and_publish_the_appeal_round(
    page: Page, app, live_server, make, sign_in, shot
):
    world = score_appeal_world(app, make)
    officer = make.user("ministry")
    sign_in(officer.email, PASSWORD, "en")
    page.on("dialog", lambda dialog: dialog.accept())

    # The officer previews the corrected score against the published round.
    page.goto(f"{live_server}/ministry/appeals/{world['appeal']}")
    page.locator("#unt_total").first.fill("130")
    page.locator('form[action$="/preview"] button[type=submit]').click()
    page.wait_for_load_state("networkidle")
    impact = page.locator(".impact")
    expect(impact).to_contain_text("WP1")
    expect(impact).to_contain_text("every other placement stays as published")
    check(page)
    shot("appeal-preview-en")

    # Upheld with the corrected score; the place owed is recorded.
    page.locator("#outcome-0").check()
    page.locator("#reason").fill("The UNT total was typed as 100; the certificate says 130.")
    page.locator('form[action$="/decide"] #unt_total').fill("130")
    page.locator('form[action$="/decide"] button[type=submit]').click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".appeal-outcome")).to_contain_text("WP1")

    # The appeal round is started from the queue, reviewed, then published.
    page.goto(f"{live_server}/ministry/appeals")
    page.locator('form[action*="/round"] button[type=submit]').click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main h1")).to_contain_text("Appeal round")
    page.reload()
    expect(page.locator("table.extra-places")).to_contain_text("WP1")
    check(page)
    shot("appeal-round-en")
    page.locator('form[action$="/publish"] button[type=submit]').click()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main h1 .badge-published")).to_be_visible()
    shot("appeal-round-published-en")
    with app.app_context():
        round_ = db.session.query(Round).filter_by(kind=RoundKind.APPEAL).one()
        assert round_.status == RoundStatus.PUBLISHED
        placement = db.session.query(Placement).filter_by(round_id=round_.id).one()
        assert placement.application_id == world["C"] and placement.extra_place
