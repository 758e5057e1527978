"""Every GET page of every role, in English and in Dari (applicants' pages also in Pashto), on a
360 px phone: axe-core reports no WCAG 2.0/2.1 A/AA violation and nothing scrolls sideways.

The pages come from `app.url_map` (GET rules, minus downloads, JSON and the API); their ids come
from one realistic world built with the factories. A page added later is checked automatically
(and a rule whose parameters the world cannot fill fails the test, so it is not skipped silently).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page

from tests.browser.conftest import PHONE, SCREENSHOTS, no_horizontal_scroll
from tests.conftest import PASSWORD
from tests.pages import PREFIX, build_world, page_urls

AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def check_pages(
    page: Page,
    base: str,
    urls: list[str],
    lang: str,
    may_404: frozenset[str] = frozenset(),
    shots: str = "",
) -> list[str]:
    """Visit each page; return the problems found (axe violations, sideways scrolling, a page
    that is missing or fails)."""
    axe = Axe()
    problems: list[str] = []
    for path in urls:
        response = page.goto(f"{base}{path}")
        assert response is not None
        if response.status >= 500 or (response.status == 404 and path not in may_404):
            problems.append(f"{path}: HTTP {response.status}")
            continue
        expected_dir = "rtl" if lang in ("fa_AF", "ps") else "ltr"
        if page.locator("html").get_attribute("dir") != expected_dir:
            problems.append(f"{path}: html dir is not {expected_dir}")
        if shots:  # screenshots/all-<role>-<page>-<lang>.png, to look at what users see
            SCREENSHOTS.mkdir(exist_ok=True)
            slug = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-") or "home"
            page.screenshot(
                path=str(SCREENSHOTS / f"all-{shots}-{slug}-{lang}.png"), full_page=True
            )
        if not no_horizontal_scroll(page):
            problems.append(f"{path}: scrolls sideways at 360 px")
        results = axe.run(page, options=AXE_OPTIONS)
        if results.violations_count:
            for violation in results.response["violations"]:
                targets = [str(n["target"]) for n in violation["nodes"][:3]]
                problems.append(f"{path} ({page.url}): {violation['id']} {targets}")
    return problems


def sign_in(page: Page, base: str, email: str, lang: str) -> None:
    """Sign in through the form, once per role; a second try if a stale cookie spoilt it."""
    for _ in range(3):
        page.goto(f"{base}/auth/login?lang={lang}", wait_until="networkidle")
        page.locator("#email").fill(email)
        page.locator("#password").fill(PASSWORD)
        with page.expect_navigation():
            page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        if "/auth/login" not in page.url:
            return
    raise AssertionError(page.locator("main").inner_text())


# Every role in English and Dari; Pashto (the other right-to-left language, with its own
# script letters and longer words) for the pages applicants read: the public and sign-in pages
# and every applicant page of an applicant with an offer (the draft applicant's copies of the
# same templates passed in Pashto too, but would add ~15 s to every run).
ROLE_LANGUAGES = [(role, lang) for lang in ("en", "fa_AF") for role in PREFIX] + [
    (role, "ps") for role in ("anonymous", "offered")
]


@pytest.mark.parametrize(("role", "lang"), ROLE_LANGUAGES)
def test_every_page_is_accessible_on_a_phone(
    app: Flask, make: Any, browser: Browser, live_server: str, role: str, lang: str
):
    world = build_world(app, make, lang)
    urls = page_urls(app, role, world)
    assert urls, role
    context = browser.new_context(viewport=PHONE, locale="en-US")
    try:
        page = context.new_page()
        page.goto(f"{live_server}/?lang={lang}", wait_until="networkidle")  # sticks in session
        if role != "anonymous":
            sign_in(page, live_server, world["users"][role], lang)
        # Without ?subject= there is nothing to appeal; the draft applicant has no appeal.
        may_404 = {"/applicant/appeals/new"}
        if role == "applicant":
            may_404 |= {u for u in urls if u.startswith("/applicant/appeals/")}
        # Screenshots for English and Dari only: the Pashto pass is for axe and layout.
        shots = "" if lang == "ps" else role
        problems = check_pages(page, live_server, urls, lang, frozenset(may_404), shots=shots)
    finally:
        context.close()
    assert not problems, "\n".join(problems)


def test_the_checks_catch_a_broken_page(page: Page, live_server: str):
    """Negative control: a field without its label and a too-wide block are reported."""
    page.goto(f"{live_server}/auth/login?lang=fa_AF")
    assert no_horizontal_scroll(page)
    assert Axe().run(page, options=AXE_OPTIONS).violations_count == 0
    page.evaluate(
        "() => { document.querySelector('label[for=email]').remove();"
        " document.querySelector('#email').removeAttribute('aria-describedby');"
        " const wide = document.createElement('div'); wide.style.width = '900px';"
        " wide.textContent = 'wide';"
        " document.querySelector('main').append(wide); }"
    )
    results = Axe().run(page, options=AXE_OPTIONS)
    assert "label" in {v["id"] for v in results.response["violations"]}
    assert not no_horizontal_scroll(page)
