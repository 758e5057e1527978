"""Each role lands on its own home page and cannot open another role's pages."""

from __future__ import annotations

import pytest

from app.security import BLUEPRINT_ACCESS

HOMES = {
    "applicant": "/applicant/",
    "ministry": "/ministry/",
    "university": "/university/",
    "admin": "/admin/users",
}


@pytest.mark.parametrize("role", list(HOMES))
def test_role_lands_on_its_home_page(client, login_as, role):
    login_as(role)
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == HOMES[role]


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("applicant", "/ministry/"),
        ("applicant", "/university/"),
        ("applicant", "/admin/users"),
        ("university", "/ministry/"),
        ("university", "/applicant/"),
        ("ministry", "/university/"),
        ("ministry", "/admin/users"),
        ("ministry", "/applicant/"),
        ("admin", "/applicant/"),
    ],
)
def test_other_roles_pages_answer_404(client, login_as, role, path):
    login_as(role)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize("path", ["/applicant/", "/ministry/", "/university/", "/admin/users"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_every_route_has_a_declared_access_rule(app):
    missing = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] not in BLUEPRINT_ACCESS
    ]
    assert missing == []


def test_api_without_token_is_json_401(client):
    response = client.get("/api/v1/")
    assert response.status_code == 401
    assert response.is_json
    assert response.json["error"]["status"] == 401


def test_api_with_a_valid_token_names_its_university(app, client, make):
    import secrets

    from app.api.views import hash_token
    from app.extensions import db
    from app.models import ApiToken

    uni = make.university()
    raw = secrets.token_urlsafe(32)
    with app.app_context():
        db.session.add(
            ApiToken(university_id=uni.id, name="SIS", prefix=raw[:8], token_hash=hash_token(raw))
        )
        db.session.commit()
    response = client.get("/api/v1/", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    assert response.json["university_id"] == uni.id
