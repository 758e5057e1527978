"""Every form of every role, with the keyboard alone (issue #9, item 3).

For each principal, every GET page (from `app.url_map`, ids from the realistic world of
tests/pages.py) that has a POST form in main is walked with Tab from the top to the end and
back with Shift+Tab:

- every visible, enabled control, link and button is a stop, in DOM order (one stop per radio
  group), and Shift+Tab retraces the same stops (no trap, no positive tabindex);
- each stop shows its focus (:focus-visible with an outline of at least 2 px);
- a closed <details> opens with Enter on its summary, and its controls join the walk.

Then every form that takes input is sent empty (or with the bad value of `BAD_INPUT`) with
Space on its submit button: the one error summary is the first thing in main, has focus, lists
links to fields of that form, and Enter on a link puts a visible focus on the field; a fresh
copy of the page shows the same saved values as before (nothing saved was lost). A form that takes
input but cannot be wrong must be listed in `CANNOT_BE_WRONG`, so a new form fails loudly until
someone decides.
"""

from __future__ import annotations

import re
from typing import Any

import pyotp
from flask import Flask
from playwright.sync_api import Browser, BrowserContext, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Placement,
    PlacementState,
    ProgramQuota,
    User,
)
from app.services import accounts
from tests.browser import keys
from tests.browser.conftest import PHONE
from tests.conftest import PASSWORD
from tests.pages import PREFIX, build_world, page_urls

# Stops are keyed per element (a radio group is one key); the recorder notes each focus as it
# happens, with whether the focus can be seen.
RECORDER = """() => {
  if (window.__kbd) { window.__kbd.log = []; return; }
  const ids = new WeakMap(); let next = 0;
  const key = (el) => {
    if (el.type === "radio") {
      return "radio:" + (el.form ? el.form.id || el.form.action : "") + ":" + el.name;
    }
    if (!ids.has(el)) ids.set(el, "el" + (next++));
    return ids.get(el);
  };
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
    + (el.name ? "[name=" + el.name + "]" : "") + " "
    + (el.textContent || el.value || "").trim().slice(0, 40);
  const shows = (el) => {
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) >= 2;
    return el.matches(":focus-visible") && (outline || s.boxShadow !== "none");
  };
  window.__kbd = { key, describe, log: [] };
  document.addEventListener("focusin", (e) => {
    const el = e.target;
    window.__kbd.log.push({ key: key(el), what: describe(el), visible: shows(el),
      summary: el.tagName === "SUMMARY" && !el.parentElement.open });
  });
}"""

EXPECTED = """(fromMain) => {
  const k = window.__kbd, out = [], seen = new Set(), main = document.querySelector("main");
  const inMain = Node.DOCUMENT_POSITION_CONTAINED_BY | Node.DOCUMENT_POSITION_FOLLOWING;
  const sel = "a[href], button, input, select, textarea, summary, [tabindex]";
  for (const el of document.querySelectorAll(sel)) {
    if (el.type === "hidden" || el.disabled || el.closest("[inert], fieldset[disabled]")) continue;
    const t = el.getAttribute("tabindex");
    if (t !== null && parseInt(t, 10) < 0) continue;
    if (el.tagName === "SUMMARY" && el.parentElement.tagName !== "DETAILS") continue;
    if (!el.checkVisibility({ visibilityProperty: true })) continue;
    if (fromMain && !(main.compareDocumentPosition(el) & inMain)) continue;
    const key = k.key(el);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ key, what: k.describe(el) });
  }
  return out;
}"""

# Tab from the top of the page, wherever the page put the focus (the error summary, say).
START_AT_THE_TOP = """() => {
  const start = document.createElement("span");
  start.tabIndex = -1;
  document.body.prepend(start);
  start.focus();
  window.__kbd.log = [];
}"""

POSITIVE_TABINDEX = """() => [...document.querySelectorAll("[tabindex]")]
  .filter((el) => parseInt(el.getAttribute("tabindex"), 10) > 0)
  .map((el) => el.outerHTML.slice(0, 80))"""

# A label, a hint or a summary link aims at one element only.
DUPLICATE_IDS = """() => {
  const seen = new Set(), twice = new Set();
  for (const el of document.querySelectorAll("[id]:not([type=hidden])")) {
    (seen.has(el.id) ? twice : seen).add(el.id);
  }
  return [...twice];
}"""

# The POST forms in main that take input (a field that is not hidden) and can be sent, by action.
INPUT_FORMS = """() => [...document.querySelectorAll("main form[method=post]")]
  .filter((f) => [...f.elements].some((e) => e.type === "submit" && !e.matches(":disabled")))
  .filter((f) => [...f.elements].some((e) => ["INPUT", "SELECT", "TEXTAREA"].includes(e.tagName)
    && e.type !== "hidden" && !e.matches(":disabled")))
  .map((f) => f.getAttribute("action") || location.pathname + location.search)"""

# What a form's fields hold (by name), to compare before and after a refused submission.
FIELD_VALUES = """(action) => {
  const form = [...document.querySelectorAll("main form[method=post]")].find(
    (f) => (f.getAttribute("action") || location.pathname + location.search) === action);
  if (!form) return null;
  const out = {};
  for (const e of form.elements) {
    if (!e.name || ["hidden", "file", "password"].includes(e.type)) continue;
    out[e.name] = ["checkbox", "radio"].includes(e.type)
      ? (out[e.name] || "") + (e.checked ? "1" : "0") : e.value;
  }
  return out;
}"""

# Empty every field of the form (bad values from BAD_INPUT win) and focus its submit button.
EMPTY_AND_FOCUS_SUBMIT = """([action, bad]) => {
  const form = [...document.querySelectorAll("main form[method=post]")].find(
    (f) => (f.getAttribute("action") || location.pathname + location.search) === action);
  if (!form) return "the form is gone";
  for (const e of form.elements) {
    if (!e.name || e.type === "hidden" || e.disabled) continue;
    if (e.name in bad) { e.value = bad[e.name]; continue; }
    if (e.type === "checkbox") e.checked = false;
    else if (e.tagName === "SELECT") {
      if ([...e.options].some((o) => o.value === "")) e.value = "";
    }
    else if (e.type !== "radio" && e.type !== "file") e.value = "";
  }
  const submit = [...form.elements].find((e) => e.type === "submit");
  if (!submit) return "no submit button";
  for (let d = submit.closest("details"); d; d = d.parentElement.closest("details")) d.open = true;
  submit.focus();
  return document.activeElement === submit ? "" : "the submit button takes no focus";
}"""

# The summary: first in main before any control, focused, its links aim at fields of the form.
SUMMARY = """(action) => {
  const s = document.querySelector("main .error-summary");
  if (!s) return { problem: "no error summary" };
  const controls = document.querySelectorAll(
    "main input:not([type=hidden]), main select, main textarea, main button");
  const before = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  if (controls.length && !before(s, controls[0])) {
    return { problem: "the error summary comes after a control" };
  }
  if (document.activeElement !== s) return { problem: "the error summary has no focus" };
  const style = getComputedStyle(s);
  if (style.outlineStyle === "none" || parseFloat(style.outlineWidth) < 2) {
    return { problem: "the focus on the error summary is not visible" };
  }
  const links = [...s.querySelectorAll("a")].map((a) => a.getAttribute("href"));
  const form = [...document.querySelectorAll("main form[method=post]")].find(
    (f) => (f.getAttribute("action") || "") === action);
  const wrong = links.filter((h) => {
    const el = h.startsWith("#") && document.getElementById(h.slice(1));
    return !el || (form && el.form !== form && !form.contains(el));
  });
  return { links, wrong, text: s.innerText.slice(0, 300) };
}"""

# Forms whose every input is a choice among valid values: nothing to get wrong.
CANNOT_BE_WRONG = {
    "applicant.decline_offer": "the reason is optional, chosen from a list",
    "ministry.cycle_status": "a choice among the allowed next stages",
    "ministry.assign_appeal": "a choice among the officers who may decide",
    "admin.set_status": "a choice between active and disabled",
    "ministry.mark_eligible": "the note is optional",
}
# Forms that accept all fields empty: the value sent instead, by field name.
BAD_INPUT: dict[str, dict[str, str]] = {
    "ministry.commit_seed": {"seed": "-1"},
    "ministry.set_limits": {"women_share": "2"},
    "ministry.edit_quota": {"places": "-1"},
    "ministry.preview_appeal": {"unt_total": "abc"},
    "applicant.eligibility": {"status_valid_until": "31.02.2026"},
    "ministry.new_round": {"label": "x" * 81},
}


def keyboard_world(app: Flask, make: Any) -> dict[str, Any]:
    """The world of tests/pages.py (the axe sweep's), with the university officer on an
    accepted student (whose enrolment can be decided), the ministry on an application in review
    and a proposal waiting for the ministry."""
    world = build_world(app, make)
    with app.app_context():
        accepted = db.session.scalar(
            select(Placement).where(Placement.state == PlacementState.ACCEPTED)
        )
        assert accepted is not None
        world["endpoint_values"]["university.show_student"] = {"placement_id": accepted.id}
        in_review = db.session.scalar(
            select(Application).where(Application.status == ApplicationStatus.IN_REVIEW)
        )
        assert in_review is not None
        world["endpoint_values"]["ministry.show_application"] = {"application_id": in_review.id}
        quota = db.session.scalars(select(ProgramQuota).order_by(ProgramQuota.id)).first()
        assert quota is not None
        quota.proposed_places = 5
        db.session.commit()
    return world


def sign_in(context: BrowserContext, base: str, email: str) -> None:
    """Sign in through the form's endpoint, without rendering pages (the browser shares the
    cookie); signing in with the keyboard is test_keyboard.py's."""
    page = context.request.get(f"{base}/auth/login?lang=en").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, page[:500]
    form = {"email": email, "password": PASSWORD, "csrf_token": token.group(1)}
    response = context.request.post(f"{base}/auth/login", form=form, max_redirects=0)
    assert response.status == 302, response.text()[:500]


def _endpoint(app: Flask, action: str, method: str = "POST") -> str:
    """Name a form's action by its endpoint (and the step, for the application steps)."""
    path = action.split("?", 1)[0]
    try:
        endpoint, args = app.url_map.bind("localhost").match(path, method=method)
    except HTTPException as err:  # pragma: no cover - a form posting nowhere
        raise AssertionError(f"the form posts to {action}, which is no route: {err}") from err
    return f"{endpoint}:{args['step']}" if "step" in args else endpoint


def _press_until(page: Page, key: str, stops: int) -> list[dict[str, Any]]:
    """Press `key` until `stops` focus moves were logged. A date and time input takes up to six
    presses (one per part), so press on while the focus still moves within a few presses."""
    log: list[dict[str, Any]] = []
    stuck = 0
    while len(log) < stops and stuck < 8:  # eight presses without a move: a trap
        for _ in range(stops - len(log) if not stuck else 1):
            page.keyboard.press(key)
        now = page.evaluate("() => window.__kbd.log")
        stuck = stuck + 1 if len(now) == len(log) else 0
        log = now
    return log


def walk(page: Page, whole: bool = True) -> list[str]:
    """Tab from the top to the end and Shift+Tab back; return the problems found.

    Unless `whole`, skip the header (the same on every page of a role) with the skip link:
    Tab, Enter, and the walk goes on from main."""
    problems: list[str] = []
    page.evaluate(RECORDER)
    problems += [f"positive tabindex: {el}" for el in page.evaluate(POSITIVE_TABINDEX)]
    problems += [f"two elements have the id {id_}" for id_ in page.evaluate(DUPLICATE_IDS)]
    for summary in page.locator("main details > summary").all():
        if summary.evaluate("(el) => el.parentElement.open"):
            continue
        summary.focus()
        page.keyboard.press("Enter")
        if not summary.evaluate("(el) => el.parentElement.open"):
            problems.append(f"Enter does not open {summary.inner_text()}")
    expected = page.evaluate(EXPECTED, not whole)
    want = [stop["key"] for stop in expected]
    page.evaluate(START_AT_THE_TOP)
    if not whole:
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        if page.evaluate("() => document.activeElement.id") != "main":
            return ["the skip link does not lead to main"]
        page.evaluate("() => { window.__kbd.log = []; }")
    forward = _press_until(page, "Tab", len(expected))
    got = [stop["key"] for stop in forward]
    if got != want:
        where = next((n for n, (a, b) in enumerate(zip(got, want, strict=False)) if a != b), None)
        where = min(len(got), len(want)) if where is None else where
        problems.append(
            f"Tab order differs at stop {where}: got "
            f"{[s['what'] for s in forward[where : where + 3]]}, expected "
            f"{[s['what'] for s in expected[where : where + 3]]}"
        )
        return problems
    problems += [f"focus is not visible on {s['what']}" for s in forward if not s["visible"]]
    page.evaluate("() => { window.__kbd.log = []; }")
    steps = len(want) - 1 if whole else min(len(want) - 1, 6)  # the header and main is enough
    back = [stop["key"] for stop in _press_until(page, "Shift+Tab", steps)]
    if back != want[-2 : -2 - steps : -1]:
        problems.append(f"Shift+Tab does not retrace the stops ({len(back)} of {steps})")
    return problems


def check_error_summary(
    page: Page, base: str, url: str, action: str, endpoint: str
) -> tuple[list[str], bool]:
    """Send one form wrong with Space on its button; return the problems of what comes back,
    and whether the page was opened again (to compare the saved values it shows)."""
    name = endpoint.split(":", 1)[0]
    before = page.evaluate(FIELD_VALUES, action)
    where = f"{url} → {endpoint}"
    trouble = page.evaluate(EMPTY_AND_FOCUS_SUBMIT, [action, BAD_INPUT.get(name, {})])
    if trouble:
        return [f"{where}: {trouble}"], False
    try:
        with page.expect_navigation(wait_until="domcontentloaded", timeout=5000) as navigation:
            page.keyboard.press("Space")
    except PlaywrightTimeoutError:
        return [f"{where}: Space on the submit button sends nothing"], False
    response = navigation.value
    status = response.status if response else 0
    if status < 400 or status >= 500:
        return [f"{where}: HTTP {status} for a wrong form (was it accepted?)"], False
    found = page.evaluate(SUMMARY, action)
    if "problem" in found:
        return [f"{where}: {found['problem']}"], False
    problems = [f"{where}: summary links to no field of the form: {found['wrong']}"] * bool(
        found["wrong"]
    )
    if found["links"]:
        page.keyboard.press("Tab")
        page.keyboard.press("Enter")
        state = page.evaluate(
            "() => ({ id: document.activeElement.id, visible:"
            " document.activeElement.matches(':focus-visible') })"
        )
        if f"#{state['id']}" != found["links"][0] or not state["visible"]:
            problems.append(f"{where}: Enter on {found['links'][0]} focused {state}")
    elif status != 409:
        problems.append(f"{where}: no link to a field in {found['text']!r}")
    if not any(before.values()):
        return problems, False  # the form showed nothing saved (sign-in, a new token, ...)
    page.goto(f"{base}{url}", wait_until="domcontentloaded")
    after = page.evaluate(FIELD_VALUES, action)
    if after != before:
        problems.append(f"{where}: saved values changed: {before} → {after}")
    return problems, True


def _form_pages(context: BrowserContext, base: str, urls: list[str]) -> list[str]:
    """The pages with a POST form in main (fetched without rendering, which is much quicker)."""
    pages = []
    for url in urls:
        response = context.request.get(f"{base}{url}", max_redirects=0)
        assert response.status < 500, f"{url}: HTTP {response.status}"
        main = response.text().partition('<main id="main"')[2]
        if response.status == 200 and re.search(r'<form[^>]*method="post"', main):
            pages.append(url)
    return pages


def check_role(
    page: Page, app: Flask, base: str, role: str, world: dict[str, Any], done: set[str]
) -> list[str]:
    """Walk and send every form of the pages of `role` not `done` yet; return the problems."""
    if role != "anonymous":
        sign_in(page.context, base, world["users"][role])
    urls = page_urls(app, role, world) + ([] if role == "anonymous" else ["/auth/password"])
    pages = _form_pages(page.context, base, urls)
    assert pages, f"no page with a form for {role}"
    problems: list[str] = []
    whole = True  # the first page with its header; then main only, from the skip link
    for url in pages:
        if url in done:
            continue
        done.add(url)
        page.goto(f"{base}{url}", wait_until="domcontentloaded")
        # Pages of one endpoint share their template (the application steps): walk one.
        walked = "walk " + _endpoint(app, url, "GET").split(":")[0]
        if walked not in done:
            done.add(walked)
            problems += [f"{role} {url}: {p}" for p in walk(page, whole)]
            whole = False
        fresh = True
        for action in page.evaluate(INPUT_FORMS):
            endpoint = _endpoint(app, action)
            if endpoint in done or endpoint.split(":")[0] in CANNOT_BE_WRONG:
                continue
            done.add(endpoint)
            if not fresh:
                page.goto(f"{base}{url}", wait_until="domcontentloaded")
            found, fresh = check_error_summary(page, base, url, action, endpoint)
            problems += [f"{role} {p}" for p in found]
    return problems


def test_every_form_works_with_the_keyboard(
    app: Flask, make: Any, browser: Browser, live_server: str
):
    world = keyboard_world(app, make)
    problems: list[str] = []
    done: set[str] = set()  # pages walked and forms sent (the password page is everyone's)
    for role in PREFIX:  # anonymous, applicant, offered (has an offer), ministry, university, admin
        context = browser.new_context(viewport=PHONE, locale="en-US")
        try:
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())
            problems += check_role(page, app, live_server, role, world, done)
        finally:
            context.close()
    assert not problems, "\n".join(problems)


def test_the_walk_catches_a_broken_page(page: Page, live_server: str):
    """Negative control: a hidden focus, a positive tabindex and a trapped Tab are reported."""
    page.goto(f"{live_server}/auth/login", wait_until="domcontentloaded")
    assert walk(page) == []
    page.evaluate(
        "() => { document.querySelector('#email').style.outline = 'none';"
        " document.querySelector('main button[type=submit]').tabIndex = 2; }"
    )
    problems = "\n".join(walk(page))
    assert "positive tabindex" in problems
    assert "Tab order differs" in problems  # the button with tabindex=2 comes first
    page.evaluate("() => document.querySelector('main button[type=submit]').tabIndex = 0")
    assert "focus is not visible on input#email" in "\n".join(walk(page))
    page.evaluate(
        "() => document.querySelector('#password').addEventListener('keydown', (e) => {"
        " if (e.key === 'Tab') e.preventDefault(); })"
    )
    assert "Tab order differs" in "\n".join(walk(page))  # trapped in the password field


def test_a_refusal_flashed_as_an_error_is_the_focused_summary(page: Page, live_server: str):
    """A service's refusal (here: a reset link that is not valid) is shown in the one error
    summary at the top of main, with the focus, not as a plain alert."""
    page.goto(f"{live_server}/auth/reset/not-a-real-token", wait_until="domcontentloaded")
    summary = page.locator("main > .error-summary")
    expect(summary).to_be_focused()
    expect(summary.locator("li")).to_have_count(1)
    expect(page.locator(".alert-error")).to_have_count(0)


def test_two_step_and_reset_pages_work_with_the_keyboard(
    app: Flask, make: Any, page: Page, live_server: str, monkeypatch: Any
):
    """The pages the sweep cannot open from a plain sign-in: setting up two-step sign-in,
    typing its code at a later sign-in, and a valid password-reset link."""
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)
    officer = make.user("ministry")
    problems: list[str] = []

    def check(path: str) -> None:
        page.goto(f"{live_server}{path}", wait_until="domcontentloaded")
        problems.extend(f"{path}: {p}" for p in walk(page))
        actions = page.evaluate(INPUT_FORMS)
        assert actions, f"{path}: no form to send"
        for action in actions:
            found, _fresh = check_error_summary(
                page, live_server, path, action, _endpoint(app, action)
            )
            problems.extend(found)

    def sign_in_with_keys() -> None:
        page.goto(f"{live_server}/auth/login", wait_until="domcontentloaded")
        keys.type_into(page.locator("#email"), officer.email)
        keys.type_into(page.locator("#password"), PASSWORD)
        keys.press(page.locator("main form button[type=submit]"))

    sign_in_with_keys()
    expect(page).to_have_url(f"{live_server}/auth/two-factor/setup")
    check("/auth/two-factor/setup")
    with app.app_context():
        secret = db.session.get(User, officer.id).totp_secret
        db.session.remove()
    keys.type_into(page.locator("#code"), pyotp.TOTP(secret).now())
    keys.press(page.locator("main form button[type=submit]"))
    expect(page.locator("ul.recovery-codes li")).to_have_count(10)
    problems.extend(f"recovery codes: {p}" for p in walk(page))

    page.context.clear_cookies()
    sign_in_with_keys()
    expect(page).to_have_url(f"{live_server}/auth/two-factor")
    check("/auth/two-factor")

    page.context.clear_cookies()
    with app.app_context():
        token = accounts.reset_token(db.session.get(User, officer.id))
        db.session.remove()
    check(f"/auth/reset/{token}")
    assert not problems, "\n".join(problems)
