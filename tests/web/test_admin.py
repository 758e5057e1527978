"""Admins create and deactivate staff accounts; a university officer has one university."""

from __future__ import annotations

from sqlalchemy import select

from app.extensions import db
from app.models import AuditEvent, User, UserStatus
from tests.conftest import csrf_token


def _new_staff(client, **over):
    data = {
        "full_name": "Dana",
        "email": "dana@test.example",
        "role": "ministry",
        "university_id": "0",
        "language": "ru",
        "password": "a long first password",
        "csrf_token": csrf_token(client, "/admin/users/new"),
    }
    data.update(over)
    return client.post("/admin/users/new", data=data)


def test_admin_creates_a_ministry_officer(app, client, login_as):
    login_as("admin")
    assert _new_staff(client).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "dana@test.example"))
        assert user.role.value == "ministry"
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.create_staff"))


def test_university_officer_needs_a_university(client, login_as):
    login_as("admin")
    response = _new_staff(client, role="university", university_id="0")
    assert response.status_code == 400
    assert "exactly one university" in response.get_data(as_text=True)


def test_admin_creates_a_university_officer(app, client, login_as, make):
    uni = make.university()
    login_as("admin")
    assert _new_staff(client, role="university", university_id=str(uni.id)).status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "dana@test.example"))
        assert user.university_id == uni.id


def test_admin_deactivates_staff_and_their_session_ends(app, client, login_as, make):
    officer = make.user("ministry")
    login_as("admin")
    token = csrf_token(client, "/admin/users")
    response = client.post(
        f"/admin/users/{officer.id}/status", data={"status": "deactivated", "csrf_token": token}
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, officer.id).status == UserStatus.DEACTIVATED


def test_status_of_unknown_or_applicant_account_is_404(client, login_as, make):
    applicant = make.user("applicant")
    login_as("admin")
    token = csrf_token(client, "/admin/users")
    for uid in (applicant.id, 999999):
        r = client.post(
            f"/admin/users/{uid}/status", data={"status": "deactivated", "csrf_token": token}
        )
        assert r.status_code == 404


def test_admin_home_redirects_to_staff_list(client, login_as):
    login_as("admin")
    assert client.get("/admin/").headers["Location"].endswith("/admin/users")
