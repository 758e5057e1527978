"""Staff sign-in with a second factor, through the real forms: a right password alone opens
nothing; enrolment shows a QR code and recovery codes once; codes are rate-limited and lock."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from flask.testing import FlaskClient

from app.extensions import db
from app.models import AuditEvent, User, UserStatus, utcnow
from app.services import two_factor
from tests.conftest import PASSWORD, csrf_token

HOME = {"ministry": "/ministry/", "university": "/university/", "admin": "/admin/users"}


@pytest.fixture(autouse=True)
def _two_factor_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", True)


def _password_step(client: FlaskClient, email: str, path: str = "/auth/login"):
    token = csrf_token(client, "/auth/login")
    return client.post(path, data={"email": email, "password": PASSWORD, "csrf_token": token})


def _post_code(client: FlaskClient, path: str, code: str):
    return client.post(path, data={"code": code, "csrf_token": csrf_token(client, path)})


def _enrolled(app, make, role: str = "ministry") -> tuple[User, str, list[str]]:
    user = make.user(role)
    with app.app_context():
        attached = db.session.get(User, user.id)
        secret = two_factor.begin_enrolment(attached)
        # Enrol one step in the past so the current code is still unused.
        codes = two_factor.confirm_enrolment(
            attached,
            pyotp.TOTP(secret).at(utcnow() - timedelta(seconds=30)),
            now=utcnow() - timedelta(seconds=30),
        )
        db.session.commit()
        db.session.remove()
    return user, secret, codes


@pytest.mark.parametrize("role", ["ministry", "university", "admin"])
def test_first_sign_in_enrols_then_shows_recovery_codes_once(app, client, make, role):
    user = make.user(role)
    response = _password_step(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/auth/two-factor/setup")
    assert client.get(HOME[role]).status_code == 302  # not signed in yet

    page = client.get("/auth/two-factor/setup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'src="data:image/svg+xml' in html
    with app.app_context():
        secret = db.session.get(User, user.id).totp_secret
    assert secret and " ".join(secret[i : i + 4] for i in range(0, 8, 4)) in html
    assert "<script" not in html.split("</main>")[0].split("<main")[-1]

    wrong = _post_code(client, "/auth/two-factor/setup", "123456x")
    assert wrong.status_code == 400
    assert client.get(HOME[role]).status_code == 302

    done = _post_code(client, "/auth/two-factor/setup", pyotp.TOTP(secret).now())
    assert done.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert len(codes) == 10
    assert done.headers["Cache-Control"] == "no-store"
    assert client.get(HOME[role]).status_code == 200
    assert client.get("/auth/two-factor/setup").status_code == 302  # never shown again
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert stored.totp_enabled_at is not None
        assert all(c not in str(stored.totp_recovery_hashes) for c in codes)


def test_enrolled_staff_must_type_a_code(app, client, make):
    user, secret, _codes = _enrolled(app, make)
    response = _password_step(client, user.email)
    assert response.headers["Location"].endswith("/auth/two-factor")
    assert client.get("/ministry/").status_code == 302
    assert _post_code(client, "/auth/two-factor", "000000x").status_code == 400
    assert client.get("/ministry/").status_code == 302
    ok = _post_code(client, "/auth/two-factor", pyotp.TOTP(secret).now())
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/ministry/")
    assert client.get("/ministry/").status_code == 200
    with app.app_context():
        actions = [e.action for e in db.session.query(AuditEvent).all()]
    assert "user.two_factor_failed" in actions and "user.two_factor_ok" in actions


def test_a_code_cannot_be_replayed_in_another_session(app, make):
    user, secret, _codes = _enrolled(app, make)
    code = pyotp.TOTP(secret).now()
    first, second = app.test_client(), app.test_client()
    _password_step(first, user.email)
    assert _post_code(first, "/auth/two-factor", code).status_code == 302
    _password_step(second, user.email)
    assert _post_code(second, "/auth/two-factor", code).status_code == 400
    assert second.get("/ministry/").status_code == 302


def test_a_recovery_code_signs_in_once(app, make):
    user, _secret, codes = _enrolled(app, make)
    first, second = app.test_client(), app.test_client()
    _password_step(first, user.email)
    response = _post_code(first, "/auth/two-factor", codes[0])
    assert response.status_code == 302
    assert first.get("/ministry/").status_code == 200
    _password_step(second, user.email)
    assert _post_code(second, "/auth/two-factor", codes[0]).status_code == 400
    assert second.get("/ministry/").status_code == 302


def test_wrong_codes_lock_the_account(app, client, make):
    user, secret, _codes = _enrolled(app, make)
    _password_step(client, user.email)
    answers = [
        _post_code(client, "/auth/two-factor", "99999x").status_code
        for _ in range(app.config["MAX_FAILED_LOGINS"])
    ]
    assert answers[:-1] == [400] * (len(answers) - 1)
    assert answers[-1] == 302  # back to the password step, locked
    with app.app_context():
        assert db.session.get(User, user.id).status == UserStatus.LOCKED
    assert client.get("/auth/two-factor").status_code == 302  # the pending step is gone
    assert _password_step(client, user.email).status_code == 423


def test_the_code_step_is_rate_limited(app, client, make, monkeypatch):
    user, _secret, _codes = _enrolled(app, make)
    monkeypatch.setitem(app.config, "MAX_FAILED_LOGINS", 100)
    _password_step(client, user.email)
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    answers = [_post_code(client, "/auth/two-factor", "99999x").status_code for _ in range(5)]
    assert answers[-1] == 429


def test_no_code_step_without_a_right_password(client):
    for path in ("/auth/two-factor", "/auth/two-factor/setup"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_pending_step_expires(app, client, make):
    user, secret, _codes = _enrolled(app, make)
    _password_step(client, user.email)
    with client.session_transaction() as session:
        pending = dict(session["two_factor_pending"])
        pending["at"] -= 3600
        session["two_factor_pending"] = pending
    # The code step's own page would already end the expired step; take the token elsewhere.
    token = csrf_token(client, "/auth/login")
    code = pyotp.TOTP(secret).now()
    response = client.post("/auth/two-factor", data={"code": code, "csrf_token": token})
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.get("/ministry/").status_code == 302


def test_a_password_change_voids_the_pending_step(app, client, make):
    user, secret, _codes = _enrolled(app, make)
    _password_step(client, user.email)
    with app.app_context():
        db.session.get(User, user.id).rotate_session_token()
        db.session.commit()
    assert client.get("/auth/two-factor").status_code == 302
    assert client.get("/ministry/").status_code == 302


def test_next_is_kept_through_the_code_step(app, client, make):
    user, secret, _codes = _enrolled(app, make)
    _password_step(client, user.email, path="/auth/login?next=/ministry/?x=1")
    ok = _post_code(client, "/auth/two-factor", pyotp.TOTP(secret).now())
    assert ok.headers["Location"].endswith("/ministry/?x=1")


def test_applicants_sign_in_with_a_password_only(client, make):
    user = make.user("applicant")
    response = _password_step(client, user.email)
    assert response.headers["Location"].endswith("/applicant/")
    assert client.get("/applicant/").status_code == 200


def test_with_the_setting_off_staff_sign_in_with_a_password(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", False)
    user = make.user("ministry")
    assert _password_step(client, user.email).headers["Location"].endswith("/ministry/")


def test_staff_make_new_recovery_codes_with_an_authenticator_code(app, client, make):
    user, secret, codes = _enrolled(app, make)
    _password_step(client, user.email)
    signed_in = _post_code(client, "/auth/two-factor", codes[0])
    assert signed_in.headers["Location"].endswith("/auth/two-factor/recovery-codes")
    page = client.get("/auth/two-factor/recovery-codes")
    assert page.status_code == 200 and "9" in page.get_data(as_text=True)
    assert _post_code(client, "/auth/two-factor/recovery-codes", codes[1]).status_code == 400
    done = _post_code(client, "/auth/two-factor/recovery-codes", pyotp.TOTP(secret).now())
    fresh = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(fresh) == 10
    with app.app_context():
        stored = db.session.get(User, user.id)
        assert two_factor.verify(stored, fresh[0]) == "recovery"
        with pytest.raises(two_factor.CodeRefused):
            two_factor.verify(stored, codes[2])  # the old codes are gone
        db.session.rollback()
        db.session.remove()


@pytest.mark.parametrize("role", ["applicant", "ministry"])
def test_recovery_codes_page_is_only_for_enrolled_staff(app, client, login_as, monkeypatch, role):
    monkeypatch.setitem(app.config, "STAFF_2FA_REQUIRED", False)
    login_as(role)  # the suite's password-only sign-in: no authenticator set up
    assert client.get("/auth/two-factor/recovery-codes").status_code == 404


def test_recovery_codes_page_needs_sign_in(client):
    response = client.get("/auth/two-factor/recovery-codes")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
