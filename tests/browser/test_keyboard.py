"""Keyboard only: sign in and complete one application step with Tab, Shift+Tab, Enter and Space.

Focus must always be visible (an outline on :focus-visible), and a form sent with errors shows
a summary at the top of the page whose links move focus to the fields.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.conftest import PASSWORD

FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    id: el.id, tag: el.tagName.toLowerCase(), type: el.type || "", text: el.textContent.trim(),
    visible: el.matches(":focus-visible") && style.outlineStyle !== "none"
      && parseFloat(style.outlineWidth) >= 2,
  };
}"""


def focused(page: Page) -> dict[str, Any]:
    return page.evaluate(FOCUSED)


def tab_to(page: Page, match: dict[str, str], key: str = "Tab", limit: int = 40) -> None:
    """Press `key` until the focused element matches; each stop must show its focus."""
    for _ in range(limit):
        page.keyboard.press(key)
        now = focused(page)
        if now["tag"] in ("input", "select", "textarea", "button", "a"):
            assert now["visible"], f"focus is not visible on {now}"
        if all(now.get(k) == v for k, v in match.items()):
            return
    raise AssertionError(f"{key} never reached {match}; stuck on {focused(page)}")


def error_summary_leads_to(page: Page, field_id: str) -> None:
    """The summary is the first thing in main, has focus, and its link focuses the field."""
    summary = page.locator("main .error-summary")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    first_in_main = page.evaluate(
        "() => { const s = document.querySelector('.error-summary');"
        " const form = s.closest('form') || s.parentElement;"
        " const fields = document.querySelectorAll('main input:not([type=hidden]), main select');"
        " return fields.length === 0 ||"
        " !!(s.compareDocumentPosition(fields[0]) & Node.DOCUMENT_POSITION_FOLLOWING) && !!form; }"
    )
    assert first_in_main, "the error summary comes after the fields"
    tab_to(page, {"tag": "a"})
    link = focused(page)
    assert page.locator(".error-summary a").first.get_attribute("href") == f"#{field_id}", link
    page.keyboard.press("Enter")
    assert focused(page)["id"] == field_id
    assert focused(page)["visible"]


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_sign_in_and_a_step_with_the_keyboard_only(page: Page, live_server, make, lang):
    cycle = make.cycle()
    program = make.program()
    make.quota(cycle, program, places=2)
    user = make.user("applicant", preferred_language=lang)
    email = user.email
    make.application(user, cycle, programs=[program])

    # Sign in: an empty form first, to meet the error summary.
    page.goto(f"{live_server}/auth/login?lang={lang}", wait_until="networkidle")
    tab_to(page, {"id": "email"})
    page.keyboard.press("Enter")  # implicit submission with nothing typed
    page.wait_for_load_state("networkidle")
    error_summary_leads_to(page, "email")
    page.keyboard.type(email)
    tab_to(page, {"id": "password"})
    page.keyboard.type(PASSWORD)
    tab_to(page, {"tag": "button", "type": "submit"})
    tab_to(page, {"id": "password"}, key="Shift+Tab")  # and back again
    tab_to(page, {"tag": "button", "type": "submit"})
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/applicant/")

    # One step of the application: empty a required field, send, fix it from the summary.
    page.goto(f"{live_server}/applicant/application/personal", wait_until="networkidle")
    tab_to(page, {"id": "name_latin"})
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    error_summary_leads_to(page, "name_latin")
    expect(page.locator("#name_latin")).to_have_attribute("aria-invalid", "true")
    page.keyboard.type("Freshta Ahmadi")
    tab_to(page, {"tag": "button", "type": "submit"})
    with page.expect_navigation():
        page.keyboard.press("Space")
    page.wait_for_load_state("networkidle")
    assert page.url.endswith("/applicant/application/protection"), page.url
    assert not page.locator(".error-summary").count()
