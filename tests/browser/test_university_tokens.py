"""A university officer, in the browser: an API token shown once and revoked; a proposal."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import University
from tests.browser.conftest import no_horizontal_scroll
from tests.browser.test_university_enrolment import _no_axe_violations
from tests.conftest import PASSWORD
from tests.web.university.world import build


@pytest.mark.parametrize("lang", ["en", "ps"])
def test_officer_creates_and_revokes_a_token(
    page: Page, app, live_server, make, sign_in, shot, lang
):
    world = build(make)
    with app.app_context():
        university = db.session.get(University, world.a.university_id)
        db.session.expunge(university)
    officer = make.user("university", university=university)
    sign_in(officer.email, PASSWORD, lang)
    page.on("dialog", lambda dialog: dialog.accept())

    page.goto(f"{live_server}/university/")
    _no_axe_violations(page)

    page.goto(f"{live_server}/university/tokens")
    page.locator("#name").fill("Student records")
    page.locator("form[action$='/university/tokens'] button[type=submit]").click()
    secret = page.locator("#new-token")
    expect(secret).to_contain_text("umit_")
    page.wait_for_load_state("networkidle")
    wide = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))
        .slice(0, 8)"""
    )
    assert no_horizontal_scroll(page), wide
    _no_axe_violations(page)
    shot(f"university-token-{lang}")

    page.locator("form[action$='/revoke'] button").click()
    expect(page.locator("#new-token")).to_have_count(0)
    expect(page.locator("main .badge-revoked")).to_be_visible()

    page.goto(f"{live_server}/university/proposals")
    field = page.locator(f"#p{world.a.program_id}-places")
    field.fill("6")
    page.locator(f"form[action$='/proposals/{world.a.program_id}'] button").click()
    expect(page.locator(".alert-success")).to_be_visible()
    assert no_horizontal_scroll(page)
    _no_axe_violations(page)
    shot(f"university-proposals-{lang}")
