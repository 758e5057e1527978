"""Every GET page of every role, in English and in Dari, on a 360 px phone: axe-core reports no
WCAG 2.0/2.1 A/AA violation and nothing scrolls sideways.

The pages come from `app.url_map` (GET rules, minus downloads, JSON and the API); their ids come
from one realistic world built with the factories. A page added later is checked automatically
(and a rule whose parameters the world cannot fill fails the test, so it is not skipped silently).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    RoundKind,
    RoundStatus,
    utcnow,
)
from app.services.applications import SECTIONS
from tests.browser.conftest import PHONE, SCREENSHOTS, no_horizontal_scroll
from tests.conftest import PASSWORD

S = ApplicationStatus
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
# Endpoints that answer files, JSON or redirects only: not pages.
SKIP_ENDPOINTS = {
    "static",
    "public.healthz",
    "public.round_input",
    "applicant.document_file",
    "applicant.export_json",
    "applicant.offer_letter",
    "ministry.appeal_evidence",
    "ministry.document_file",
    "ministry.export_applicants",
    "ministry.export_round",
    "ministry.export_statistics",
    "ministry.quota_template",
    "ministry.round_progress",
    "ministry.round_result",
    "ministry.round_snapshot",
    "university.export",
    "university.offer_letter",
}
PREFIX = {
    "anonymous": ("public.", "auth."),
    "applicant": ("applicant.",),
    "offered": ("applicant.",),
    "ministry": ("ministry.",),
    "university": ("university.",),
    "admin": ("admin.",),
}
# Pages only a signed-in user of another kind can open (2FA pages need a pending sign-in).
ANONYMOUS_SKIP = {
    "auth.change_password",
    "auth.two_factor_verify",
    "auth.two_factor_recovery_codes",
    "auth.two_factor_setup",
}


def build_world(app: Flask, make: Any, lang: str = "en") -> dict[str, Any]:
    """A cycle with programs and quotas, applications in several states, a published round with
    placements, an appeal round, an appeal and documents; one user per role."""
    cycle = make.cycle(name="2026/27", max_choices=3)
    almaty = make.university(city="Almaty", name_en="Al-Farabi Kazakh National University")
    astana = make.university(city="Astana", name_en="L.N. Gumilyov Eurasian National University")
    programs = [
        make.program(almaty, name_en="Computer Science", language="en"),
        make.program(astana, name_en="Civil Engineering", field_group="ENG"),
        make.program(astana, name_en="Nursing", field_group="MED"),
    ]
    ids = {"cycle": cycle.id, "program": programs[0].id}
    for program in programs:
        make.quota(cycle, program, places=3)
    ministry = make.user("ministry", preferred_language=lang, full_name="Aigerim Nurlanovna")
    officer = make.user(
        "university", preferred_language=lang, university=almaty, full_name="Dana Serikovna"
    )
    admin = make.user("admin", preferred_language=lang, full_name="Admin Adminov")
    drafter = make.user("applicant", preferred_language=lang, full_name="Freshta Ahmadi")
    emails = {"ministry": ministry.email, "university": officer.email, "admin": admin.email}
    emails["applicant"] = drafter.email
    make.application(drafter, cycle, programs=programs[:2], status=S.DRAFT)
    offered = make.user("applicant", preferred_language=lang, full_name="Mohammad Karimi")
    emails["offered"] = offered.email
    placed = make.application(
        offered, cycle, programs=programs[:2], score=120, status=S.PLACED, name_latin="M. Karimi"
    )
    for i, status in enumerate([S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.NOT_PLACED]):
        make.application(None, cycle, programs=programs[1:], score=90 - i, status=status)
    accepted = make.application(None, cycle, programs=[programs[0]], score=110, status=S.ACCEPTED)
    round_ = make.round(cycle, number=1)
    placement = make.placement(round_, placed, programs[0])
    make.placement(round_, accepted, programs[0], state="accepted")
    appeal_round = make.round(
        cycle, number=2, kind=RoundKind.APPEAL, status=RoundStatus.SOLVED, published_at=None
    )
    with app.app_context():
        a = db.session.get(Application, placed.id)
        a.submitted_at = utcnow() - timedelta(days=20)
        db.session.commit()
    document_id = make.rejected_document(placed, ministry).id
    appeal = make.appeal(placed, subject_ref=str(document_id))
    return {
        "users": emails,
        "values": {
            "cycle_id": ids["cycle"],
            "round_id": round_.id,
            "application_id": placed.id,
            "appeal_id": appeal.id,
            "program_id": ids["program"],
            "placement_id": placement.id,
            "token": "not-a-real-token",
        },
        "extra": {"offered": [f"/applicant/appeals/new?subject=document&ref={document_id}"]},
        "endpoint_values": {"ministry.appeal_round": {"round_id": appeal_round.id}},
    }


def page_urls(app: Flask, role: str, world: dict[str, Any]) -> list[str]:
    """The GET pages of `role`, with their parameters filled from the world."""
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "GET" not in rule.methods or endpoint in SKIP_ENDPOINTS:
            continue
        if not endpoint.startswith(PREFIX[role]) or rule.rule.startswith("/api/"):
            continue
        if role == "anonymous" and endpoint in ANONYMOUS_SKIP:
            continue
        values = {**world["values"], **world["endpoint_values"].get(endpoint, {})}
        missing = set(rule.arguments) - set(values) - {"step"}
        assert not missing, f"the world has no value for {missing} of {rule.rule}"
        if "step" in rule.arguments:
            steps = [s for s in SECTIONS if s not in ("choices", "documents")]
            urls += [rule.build({"step": s}, append_unknown=False)[1] for s in steps]
            continue
        urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(urls) + world["extra"].get(role, [])


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
        expected_dir = "rtl" if lang == "fa_AF" else "ltr"
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


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
@pytest.mark.parametrize("role", list(PREFIX))
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
        problems = check_pages(page, live_server, urls, lang, frozenset(may_404), shots=role)
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
