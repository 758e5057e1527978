"""Sessions end when idle too long or too old, and production cookies are Secure, HttpOnly and
SameSite."""

from __future__ import annotations

from cryptography.fernet import Fernet

from app import create_app
from app.config import Config
from app.models import utcnow
from tests.conftest import csrf_token


def _age(client, **seconds_ago: float) -> None:
    with client.session_transaction() as session:
        for key, ago in seconds_ago.items():
            session[key] = utcnow().timestamp() - ago


def test_an_idle_session_ends(app, client, login_as):
    login_as("applicant")
    assert client.get("/applicant/").status_code == 200
    idle = app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    _age(client, seen_at=idle + 60)
    response = client.get("/applicant/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/applicant/").status_code == 302  # and stays ended


def test_an_active_session_still_ends_at_its_absolute_lifetime(app, client, login_as):
    login_as("applicant")
    lifetime = app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    _age(client, started_at=lifetime + 60, seen_at=1)
    response = client.get("/applicant/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_a_session_within_both_limits_continues(app, client, login_as):
    login_as("applicant")
    _age(client, started_at=3600, seen_at=60)
    assert client.get("/applicant/").status_code == 200


def test_production_cookies_are_secure_httponly_and_samesite(tmp_path):
    class Production(Config):
        SECRET_KEY = "a-production-secret"  # noqa: S105
        SQLALCHEMY_DATABASE_URI = "sqlite://"
        INSTANCE_DIR = tmp_path
        UMIT_ENCRYPTION_KEYS = Fernet.generate_key().decode()

    production = create_app(Production)
    assert production.config["SESSION_COOKIE_SECURE"] is True
    response = production.test_client().get("/auth/login")
    cookie = next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "max-age=31536000" in response.headers["Strict-Transport-Security"]


def test_static_files_never_send_the_session_cookie(client, login_as):
    """A stylesheet answered after a sign-out must not put the old signed-in cookie back."""
    login_as("applicant")
    page = client.get("/applicant/")
    assert any(c.startswith("session=") for c in page.headers.getlist("Set-Cookie"))
    for path in ("/static/css/umit.css", "/static/no-such-file.css"):
        with client.get(path) as response:
            assert response.status_code in (200, 404)
            assert response.headers.getlist("Set-Cookie") == [], path


def test_a_stale_cookie_from_before_sign_out_does_not_sign_back_in(client, login_as):
    login_as("applicant")
    assert client.get("/applicant/").status_code == 200
    old_cookie = client.get_cookie("session").value
    client.post("/auth/logout", data={"csrf_token": csrf_token(client, "/applicant/")})
    client.set_cookie("session", old_cookie)
    assert client.get("/applicant/").status_code == 302
