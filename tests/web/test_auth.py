"""Request tests for registration, confirmation, sign-in, lockout, sign-out and reset."""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, Notification, User, UserStatus
from tests.conftest import PASSWORD, csrf_token


def _register(client: FlaskClient, email: str = "new@test.example", **over: str):
    data = {
        "full_name": "Zahra Hosseini",
        "email": email,
        "language": "fa_AF",
        "password": "a long enough password",
        "password_again": "a long enough password",
        "accept_privacy": "y",
        "csrf_token": csrf_token(client, "/auth/register"),
    }
    data.update(over)
    return client.post("/auth/register", data=data)


def _mail_link(app, email: str, path_part: str) -> str:
    with app.app_context():
        note = db.session.scalars(
            select(Notification)
            .where(Notification.to_address == email)
            .order_by(Notification.id.desc())
        ).first()
        assert note is not None
        match = re.search(rf"https?://[^\s]+{path_part}[^\s]+", note.body)
        assert match, note.body
        return match.group(0).split("://", 1)[1].split("/", 1)[1]


def test_register_confirm_and_sign_in(app, client):
    response = _register(client)
    assert response.status_code == 302
    link = _mail_link(app, "new@test.example", "/auth/confirm/")
    assert client.get("/" + link).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@test.example"))
        assert user.email_confirmed_at is not None
        assert user.password_hash.startswith("$argon2id$")
        assert user.preferred_language == "fa_AF"
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login",
        data={
            "email": "NEW@test.example ",
            "password": "a long enough password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applicant/")


def test_confirmation_mail_is_written_in_the_chosen_language(app, client):
    _register(client, language="ru")
    with app.app_context():
        note = db.session.scalars(select(Notification)).first()
        assert note.language == "ru"


def test_register_refuses_duplicate_and_keeps_input(app, client, make):
    make.user("applicant", email="taken@test.example")
    response = _register(client, email="taken@test.example", full_name="Keep Me")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already exists" in page
    assert 'value="Keep Me"' in page


def test_register_mismatched_passwords_is_a_400_with_message(client):
    response = _register(client, password_again="something else entirely")
    assert response.status_code == 400
    assert "not the same" in response.get_data(as_text=True)


def test_register_without_csrf_is_refused(client):
    response = client.post("/auth/register", data={"email": "x@test.example"})
    assert response.status_code == 400


def test_forged_confirmation_link_is_refused(client):
    response = client.get("/auth/confirm/not-a-token", follow_redirects=True)
    assert "not valid" in response.get_data(as_text=True)


def test_wrong_password_is_refused_without_saying_which(client, make):
    user = make.user("applicant")
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "wrong", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "not right" in response.get_data(as_text=True)


def test_account_locks_after_repeated_failures(app, client, make):
    user = make.user("applicant")
    for _ in range(app.config["MAX_FAILED_LOGINS"]):
        token = csrf_token(client, "/auth/login")
        client.post("/auth/login", data={"email": user.email, "password": "x", "csrf_token": token})
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 423
    with app.app_context():
        assert db.session.get(User, user.id).status == UserStatus.LOCKED


def test_login_is_rate_limited(app, client, make):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    try:
        codes = []
        for _ in range(5):
            token = csrf_token(client, "/auth/login")
            r = client.post(
                "/auth/login", data={"email": "a@b.example", "password": "x", "csrf_token": token}
            )
            codes.append(r.status_code)
        assert codes[-1] == 429
    finally:
        app.config["LOGIN_RATE_LIMIT"] = "1000 per minute"


def test_sign_out_kills_a_copied_session_cookie(app, make):
    user = make.user("applicant")
    first = app.test_client()
    token = csrf_token(first, "/auth/login")
    first.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    copy = app.test_client()
    cookie = first.get_cookie("session")
    copy.set_cookie("session", cookie.value)
    assert copy.get("/applicant/").status_code == 200
    token = csrf_token(first, "/applicant/")
    first.post("/auth/logout", data={"csrf_token": token})
    assert copy.get("/applicant/").status_code == 302


def test_password_change_signs_out_other_sessions(app, make):
    user = make.user("applicant")
    main, other = app.test_client(), app.test_client()
    for c in (main, other):
        token = csrf_token(c, "/auth/login")
        c.post("/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    token = csrf_token(main, "/auth/password")
    response = main.post(
        "/auth/password",
        data={
            "current_password": PASSWORD,
            "password": "another long password",
            "password_again": "another long password",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    assert main.get("/applicant/").status_code == 200
    assert other.get("/applicant/").status_code == 302


def test_password_reset_by_emailed_link_is_single_use(app, client, make):
    user = make.user("applicant")
    token = csrf_token(client, "/auth/forgot")
    assert (
        client.post("/auth/forgot", data={"email": user.email, "csrf_token": token}).status_code
        == 302
    )
    link = "/" + _mail_link(app, user.email, "/auth/reset/")
    data = {"password": "brand new password", "password_again": "brand new password"}
    response = client.post(link, data={**data, "csrf_token": csrf_token(client, link)})
    assert response.status_code == 302
    again = client.get(link, follow_redirects=True)
    assert "not valid" in again.get_data(as_text=True)
    token = csrf_token(client, "/auth/login")
    ok = client.post(
        "/auth/login",
        data={"email": user.email, "password": "brand new password", "csrf_token": token},
    )
    assert ok.status_code == 302


def test_reset_for_unknown_address_says_the_same_and_sends_nothing(app, client):
    token = csrf_token(client, "/auth/forgot")
    response = client.post(
        "/auth/forgot",
        data={"email": "nobody@test.example", "csrf_token": token},
        follow_redirects=True,
    )
    assert "If that address has an account" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Notification)).first() is None


def test_open_redirect_after_login_is_ignored(client, make):
    user = make.user("ministry")
    token = csrf_token(client, "/auth/login")
    response = client.post(
        "/auth/login?next=https://evil.example/",
        data={"email": user.email, "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"].endswith("/ministry/")


def test_sign_in_and_failures_are_audited(app, client, make):
    user = make.user("applicant")
    token = csrf_token(client, "/auth/login")
    client.post(
        "/auth/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    with app.app_context():
        actions = db.session.scalars(select(AuditEvent.action)).all()
        assert "user.sign_in" in actions


def test_resend_confirmation(app, client, make):
    user = make.user("applicant", email_confirmed_at=None)
    token = csrf_token(client, "/auth/confirm")
    assert (
        client.post("/auth/confirm", data={"email": user.email, "csrf_token": token}).status_code
        == 302
    )
    assert _mail_link(app, user.email, "/auth/confirm/").startswith("auth/confirm/")
