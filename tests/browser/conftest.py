"""Browser tests: Playwright drives Debian's Chromium against the test app served in a thread.

Screenshots of each step go to `screenshots/` (git-ignored) so anyone can see what users see.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page
from werkzeug.serving import make_server

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PHONE = {"width": 360, "height": 780}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Point pytest-playwright at the system Chromium (Playwright's own download is blocked)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """Every page starts phone-sized: the portal is built for 360 px screens first."""
    return {**browser_context_args, "viewport": PHONE, "locale": "en-US"}


def buffered(app: Flask) -> Callable[..., list[bytes]]:
    """The app as WSGI, with each answer read fully (and its file closed) before it is sent.

    When the browser drops a connection half-way (it navigated on before the favicon arrived),
    werkzeug's development server stops writing without closing the file being sent; its
    ResourceWarning then fails whichever test is running. No answer here is an endless stream.
    """

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """Serve the test app on a free port in a daemon thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)


@pytest.fixture()
def shot(page: Page) -> Callable[[str], Path]:
    """Save a full-page screenshot as screenshots/<name>.png and return its path."""

    def _shot(name: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _shot


@pytest.fixture()
def sign_in(page: Page, live_server: str) -> Callable[..., None]:
    """Sign in through the real form in the browser (language chosen by ?lang=)."""

    def _sign_in(email: str, password: str, lang: str = "en") -> None:
        page.goto(f"{live_server}/auth/login?lang={lang}")
        page.locator("#email").fill(email)
        page.locator("#password").fill(password)
        page.locator("main form button[type=submit]").click()
        page.wait_for_load_state("networkidle")

    return _sign_in


def no_horizontal_scroll(page: Page) -> bool:
    """Say whether the page fits the viewport width (no sideways scrolling on a phone)."""
    return bool(
        page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth + 1")
    )
