"""Keyboard-only actions for the browser journeys: no click, no fill, no select_option.

Each helper puts the focus on one control (that Tab reaches every control, in order and with a
visible focus, is proved page by page in test_keyboard_forms.py) and then uses only keys: Enter
on links and buttons, Space on checkboxes, radios and file inputs, arrow keys in a list box,
typed characters in text fields.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError


def press(control: Locator, key: str = "Enter", *, navigates: bool = True) -> None:
    """Focus a link or button and press `key` (Enter, or Space for a button); wait for the page."""
    control.focus()
    page = control.page
    if not navigates:
        page.keyboard.press(key)
        return
    with page.expect_navigation(wait_until="domcontentloaded"):
        page.keyboard.press(key)


def tick(control: Locator) -> None:
    """Check a checkbox or a radio button with Space."""
    control.focus()
    if not control.is_checked():
        control.page.keyboard.press("Space")
    assert control.is_checked(), f"Space did not check {control}"


def type_into(field: Locator, text: str) -> None:
    """Replace what a text field holds by typing."""
    field.focus()
    page = field.page
    page.keyboard.press("ControlOrMeta+A")
    page.keyboard.press("Backspace")
    page.keyboard.type(text)


def type_date_time(field: Locator, date: str, time: str) -> None:
    """Type into a datetime-local field part by part, as in an en-US browser: "MMDDYYYY", Tab,
    then "hhmmAM"."""
    field.focus()
    page = field.page
    page.keyboard.type(date)
    page.keyboard.press("Tab")
    page.keyboard.type(time)


def choose(select: Locator, value: str) -> None:
    """Pick an option of a closed <select> with the arrow keys (as on Windows and Linux)."""
    select.focus()
    index = select.evaluate(
        "(el, value) => [...el.options].findIndex((o) => o.value === value)", value
    )
    assert index >= 0, f"no option {value!r} in {select}"
    now = select.evaluate("(el) => el.selectedIndex")
    key = "ArrowDown" if index > now else "ArrowUp"
    for _ in range(abs(index - now)):
        select.page.keyboard.press(key)
    assert select.input_value() == value, f"arrow keys did not reach {value!r}"


def upload(file_input: Locator, files: list[dict[str, Any]]) -> None:
    """Open the file chooser from the keyboard on the file input and pick `files`.

    Space opens it; on a busy machine Chromium now and then drops that request, so Enter (which
    opens it too) is tried next before giving up."""
    page = file_input.page
    for key in ("Space", "Enter", "Space"):
        file_input.focus()
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press(key)
        except PlaywrightTimeoutError:
            continue
        chooser.value.set_files(files)
        return
    raise AssertionError(f"neither Space nor Enter opens the file chooser of {file_input}")
