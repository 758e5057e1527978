"""A ministry officer sets up two-step sign-in on a phone-sized screen, in English and in Dari:
the QR code shows, the code is accepted, the recovery codes are readable; no axe violations."""

from __future__ import annotations

import pyotp
import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import User
from tests.browser.conftest import no_horizontal_scroll
from tests.conftest import PASSWORD

AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def check(page: Page) -> None:
    """The page fits a 360 px phone and axe reports no WCAG 2 A/AA violation."""
    assert no_horizontal_scroll(page), f"sideways scrolling on {page.url}"
    results = Axe().run(page, options=AXE_TAGS)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_officer_sets_up_two_step_sign_in(
    page: Page, app, live_server, make, sign_in, shot, monkeypatch, lang
):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)
    officer = make.user("ministry")
    sign_in(officer.email, PASSWORD, lang)
    expect(page).to_have_url(f"{live_server}/auth/two-factor/setup")
    qr = page.locator("main img[src^='data:image/svg+xml']")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.naturalWidth") > 0  # the CSP let the data: image load
    check(page)
    shot(f"two-factor-setup-{lang}")

    with app.app_context():
        secret = db.session.get(User, officer.id).totp_secret
        db.session.remove()
    page.locator("#code").fill(pyotp.TOTP(secret).now())
    page.locator("main form button[type=submit]").click()
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    check(page)
    shot(f"two-factor-recovery-codes-{lang}")
    page.locator("main a.btn-primary").click()
    expect(page).to_have_url(f"{live_server}/ministry/")
