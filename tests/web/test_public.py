"""Public pages, languages, security headers, error pages and the dev mailbox."""

from __future__ import annotations

import pytest

LANGS = {"kk": "ltr", "ru": "ltr", "en": "ltr", "fa_AF": "rtl", "ps": "rtl"}


@pytest.mark.parametrize(("lang", "direction"), list(LANGS.items()))
def test_landing_page_in_each_language(client, lang, direction):
    response = client.get(f"/?lang={lang}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'lang="{lang.replace("_", "-")}"' in page
    assert f'dir="{direction}"' in page


def test_language_choice_sticks_in_the_session(client):
    client.get("/?lang=ps")
    assert 'dir="rtl"' in client.get("/auth/login").get_data(as_text=True)


def test_browser_language_is_used_when_nothing_was_chosen(client):
    page = client.get("/", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(as_text=True)
    assert 'lang="ru"' in page


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"


def test_session_cookie_is_httponly_and_samesite(client):
    client.get("/?lang=en")
    cookie = client.get_cookie("session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"


@pytest.mark.parametrize("lang", list(LANGS))
def test_404_page_in_each_language(client, lang):
    response = client.get(f"/no-such-page?lang={lang}")
    assert response.status_code == 404
    assert f'lang="{lang.replace("_", "-")}"' in response.get_data(as_text=True)


def test_500_page_is_friendly(app, client, monkeypatch):
    def _boom():
        raise RuntimeError("boom")

    monkeypatch.setitem(app.view_functions, "public.healthz", _boom)
    response = client.get("/healthz")
    assert response.status_code == 500
    assert "boom" not in response.get_data(as_text=True)


def test_healthz_checks_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_dev_mailbox_shows_queued_mail(client):
    assert client.get("/dev/mail").status_code == 200


def test_dev_mailbox_is_absent_in_production(app, client):
    app.config["DEV_MAILBOX"] = False
    try:
        assert client.get("/dev/mail").status_code == 404
    finally:
        app.config["DEV_MAILBOX"] = True


def test_a_language_chosen_on_a_redirecting_url_is_remembered(client, login_as):
    """Signed-in staff are redirected from / to their console; ?lang= there must still stick."""
    login_as("ministry")
    response = client.get("/?lang=ru")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert '<html lang="ru"' in page
