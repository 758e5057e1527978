"""A university officer, in the browser and with the keyboard alone: from the program list to
a student's enrolment (in English) or no-show (in Dari, the enrolment deadline being past)."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from app.extensions import db
from app.models import Placement, PlacementState, University
from tests.browser.conftest import no_horizontal_scroll
from tests.browser.keys import press
from tests.conftest import PASSWORD
from tests.web.university.world import build

AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa"]}}


def _no_axe_violations(page: Page) -> None:
    results = Axe().run(page, options=AXE_TAGS)
    assert results.violations_count == 0, results.generate_report()


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_officer_confirms_an_enrolment(page: Page, app, live_server, make, sign_in, shot, lang):
    world = build(make)
    with app.app_context():
        university = db.session.get(University, world.a.university_id)
        db.session.expunge(university)
    officer = make.user("university", university=university)
    sign_in(officer.email, PASSWORD, lang)
    page.on("dialog", lambda dialog: dialog.accept())

    # The list of programs, with counts of offers by state.
    page.goto(f"{live_server}/university/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Informatics B")
    assert no_horizontal_scroll(page)
    shot(f"university-programs-{lang}")

    # The program: students of the published round only.
    press(page.locator(f"main a[href$='/university/programs/{world.a.program_id}']"))
    expect(page.locator("main")).to_contain_text("Maryam Rahimi A")
    expect(page.locator("main")).not_to_contain_text("Hidden Student")
    assert no_horizontal_scroll(page)
    _no_axe_violations(page)
    shot(f"university-program-{lang}")

    # The student, then the enrolment confirmation.
    press(page.locator(f"main a[href$='/university/students/{world.a.accepted_id}']"))
    expect(page.locator("main h1")).to_contain_text("Maryam Rahimi A")
    assert no_horizontal_scroll(page)
    _no_axe_violations(page)
    shot(f"university-student-{lang}")

    action, state = ("enrol", PlacementState.ENROLLED)
    if lang != "en":
        action, state = ("no-show", PlacementState.NO_SHOW)
    press(page.locator(f"form[action$='/students/{world.a.accepted_id}/{action}'] button"), "Space")
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"main .badge-{state.value}")).to_be_visible()
    assert no_horizontal_scroll(page)
    shot(f"university-{state.value}-{lang}")
    with app.app_context():
        assert db.session.get(Placement, world.a.accepted_id).state == state
