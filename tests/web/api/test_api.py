"""The read-only API: own university only, published rounds only, JSON errors, pages, limits."""

from __future__ import annotations

import pytest


def test_openapi_description_is_public_and_lists_the_endpoints(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert {"/programs", "/placements", "/placements/{placement_id}", "/enrolments"} <= set(
        spec["paths"]
    )
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}, {"Authorization": ""}],
)
def test_missing_or_bad_token_is_json_401(client, headers):
    response = client.get("/api/v1/programs", headers=headers)
    assert response.status_code == 401
    assert response.is_json and response.json["error"]["status"] == 401


def test_write_methods_are_json_403(client, world, token_for):
    headers = token_for(world.a.university_id)
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)("/api/v1/programs", headers=headers)
        assert response.status_code == 403, method
        assert response.json["error"]["message"] == "The API is read-only."
    assert client.post("/api/v1/programs").status_code == 401  # no token: 401 first


def test_programs_are_the_universitys_own(client, world, token_for):
    response = client.get("/api/v1/programs", headers=token_for(world.a.university_id))
    assert response.status_code == 200
    body = response.json
    assert [p["id"] for p in body["items"]] == [world.a.program_id]
    assert body["items"][0]["quotas"][0]["places"] == 2
    assert (body["page"], body["total"], body["pages"], body["next"]) == (1, 1, 1, None)


def test_placements_are_published_and_own_only(client, world, token_for):
    response = client.get("/api/v1/placements", headers=token_for(world.a.university_id))
    items = response.json["items"]
    assert {p["id"] for p in items} == {world.a.accepted_id, world.a.offered_id}
    first = next(p for p in items if p["id"] == world.a.accepted_id)
    assert first["student"]["name_native"] == "مریم رحیمی"
    assert first["state"] == "accepted" and first["from_appeal"] is False
    text = response.get_data(as_text=True)
    assert "RF-123456" not in text and "protection" not in text


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/programs/{b.program_id}",
        "/api/v1/placements/{b.accepted_id}",
        "/api/v1/placements/{hidden}",
        "/api/v1/placements?program_id={b.program_id}",
        "/api/v1/enrolments?program_id={b.program_id}",
        "/api/v1/placements/999999",
        "/api/v1/nothing-here",
    ],
)
def test_other_universitys_objects_are_json_404(client, world, token_for, path):
    url = path.format(b=world.b, hidden=world.hidden_placement_id)
    response = client.get(url, headers=token_for(world.a.university_id))
    assert response.status_code == 404
    assert response.is_json and response.json["error"]["status"] == 404


def test_unpublished_round_filter_gives_nothing(client, world, token_for):
    response = client.get(
        f"/api/v1/placements?round_id={world.hidden_round_id}",
        headers=token_for(world.a.university_id),
    )
    assert response.status_code == 200 and response.json["items"] == []


def test_pagination(client, world, token_for):
    headers = token_for(world.a.university_id)
    first = client.get("/api/v1/placements?per_page=1", headers=headers).json
    assert (first["total"], first["pages"], len(first["items"])) == (2, 2, 1)
    assert "page=2" in first["next"]
    second = client.get(first["next"], headers=headers).json
    assert second["next"] is None
    assert {first["items"][0]["id"], second["items"][0]["id"]} == {
        world.a.accepted_id,
        world.a.offered_id,
    }


@pytest.mark.parametrize(
    "query",
    [
        "page=0",
        "page=x",
        "per_page=101",
        "per_page=-1",
        "state=proposed",
        "round_id=abc",
        "stat=enrolled",
    ],
)
def test_bad_parameters_are_json_400(client, world, token_for, query):
    response = client.get(f"/api/v1/placements?{query}", headers=token_for(world.a.university_id))
    assert response.status_code == 400
    assert response.is_json


def test_enrolments_follow_the_offices_decisions(app, client, world, token_for):
    from app.extensions import db
    from app.models import Placement, User
    from app.services import enrolment

    with app.app_context():
        placement = db.session.get(Placement, world.a.accepted_id)
        officer = User.query.filter_by(university_id=world.a.university_id).first()
        enrolment.confirm_enrolment(placement, by=officer)
        db.session.commit()
    headers = token_for(world.a.university_id)
    items = client.get("/api/v1/enrolments", headers=headers).json["items"]
    assert [(i["placement_id"], i["state"]) for i in items] == [(world.a.accepted_id, "enrolled")]


def test_rate_limit_answers_json_429(app, client, world, token_for, monkeypatch):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    headers = token_for(world.a.university_id)
    codes = [client.get("/api/v1/programs", headers=headers).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = client.get("/api/v1/programs", headers=headers)
    assert response.is_json and response.json["error"]["status"] == 429


def test_revoked_token_is_401(app, client, world, token_for):
    from app.extensions import db
    from app.models import ApiToken, utcnow

    headers = token_for(world.a.university_id)
    with app.app_context():
        for token in ApiToken.query.all():
            token.revoked_at = utcnow()
        db.session.commit()
    assert client.get("/api/v1/programs", headers=headers).status_code == 401
