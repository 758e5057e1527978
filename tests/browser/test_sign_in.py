"""Each role signs in on a phone-sized screen, in English and in Dari, and sees its home page."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import no_horizontal_scroll
from tests.conftest import PASSWORD

HOMES = {
    "applicant": "/applicant/",
    "ministry": "/ministry/",
    "university": "/university/",
    "admin": "/admin/users",
}


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
@pytest.mark.parametrize("role", list(HOMES))
def test_role_signs_in_and_lands_home(page: Page, live_server, make, sign_in, shot, role, lang):
    user = make.user(role)
    sign_in(user.email, PASSWORD, lang)
    assert page.url.endswith(HOMES[role])
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl" if lang == "fa_AF" else "ltr")
    expect(html).to_have_attribute("lang", lang.replace("_", "-"))
    expect(page.locator("main h1")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(f"sign-in-{role}-{lang}")


def test_landing_page_language_switch_to_pashto(page: Page, live_server):
    page.goto(live_server + "/?lang=en")
    page.locator("nav.lang-switch a[hreflang=ps]").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    assert no_horizontal_scroll(page)


def test_register_and_confirm_in_the_browser(page: Page, live_server, shot):
    page.goto(live_server + "/auth/register?lang=en")
    page.locator("#full_name").fill("Maryam Rahimi")
    page.locator("#email").fill("maryam@test.example")
    page.locator("#password").fill("a long enough password")
    page.locator("#password_again").fill("a long enough password")
    page.locator("#accept_privacy").check()
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main h1")).to_be_visible()
    page.goto(live_server + "/dev/mail")
    shot("register-mailbox-en")
    link = page.locator("pre.mail-body a").first
    link.click()
    expect(page).to_have_url(f"{live_server}/auth/login")
