"""Phone-first and light: every applicant page weighs under 100 KB on a first visit (the bodies
of the HTML, CSS, scripts, fonts and images the browser receives; uploads and downloads
excluded).

The browser cache is off (a route on every request), so each page is measured as if it were
the first one the applicant opens on a slow connection.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Browser, Request

from tests.browser.conftest import PHONE, no_horizontal_scroll
from tests.browser.test_a11y_all_pages import build_world, page_urls, sign_in

BUDGET = 100 * 1024


@pytest.mark.parametrize("lang", ["en", "fa_AF"])
def test_applicant_pages_weigh_under_100_kb(
    app: Flask, make: Any, browser: Browser, live_server: str, lang: str
):
    world = build_world(app, make, lang)
    too_heavy: list[str] = []
    weights: dict[str, int] = {}
    received: list[Request] = []
    for role in ("applicant", "offered"):
        context = browser.new_context(viewport=PHONE, locale="en-US")
        context.route("**/*", lambda route: route.continue_())  # routing turns the cache off
        page = context.new_page()
        sign_in(page, live_server, world["users"][role], lang)
        page.on("requestfinished", lambda request: received.append(request))
        for path in page_urls(app, role, world):
            received.clear()
            page.goto(f"{live_server}{path}", wait_until="load")
            page.evaluate("() => document.fonts.ready.then(() => true)")
            total = sum(request.sizes()["responseBodySize"] for request in received)
            weights[f"{role} {path}"] = total
            if total > BUDGET:
                names = sorted(
                    (r.sizes()["responseBodySize"], r.url.removeprefix(live_server))
                    for r in received
                )
                too_heavy.append(f"{path}: {total} bytes {names}")
            assert no_horizontal_scroll(page), path
        context.close()
    assert len(weights) > 20
    assert min(weights.values()) > 5000  # the measure counts something real
    assert not too_heavy, "\n".join(too_heavy)
