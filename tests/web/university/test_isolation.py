"""An officer of university A sees only A's students of published rounds; B's objects are 404."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token


def test_home_lists_own_programs_only(client, world, officer_of):
    officer_of(world.a.university_id)
    page = client.get("/university/").get_data(as_text=True)
    assert "Informatics A" in page
    assert "Informatics B" not in page


def test_program_page_shows_published_students_only(client, world, officer_of):
    officer_of(world.a.university_id)
    response = client.get(f"/university/programs/{world.a.program_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Maryam Rahimi A" in page
    assert "Omid Karimi A" in page
    assert "Hidden Student" not in page  # placed only by an unpublished round
    assert "Maryam Rahimi B" not in page
    # Never protection-status details or documents.
    assert "RF-123456" not in page
    assert "2030-01-01" not in page and "2030" not in page  # status valid until


@pytest.mark.parametrize(
    "path",
    [
        "/university/programs/{b.program_id}",
        "/university/students/{b.accepted_id}",
        "/university/students/{b.offered_id}",
        "/university/students/{b.accepted_id}/letter.pdf",
        "/university/export.xlsx?program_id={b.program_id}",
        "/university/export.csv?program_id={b.program_id}",
        "/university/students/{hidden}",
        "/university/students/{hidden}/letter.pdf",
        "/university/programs/999999",
        "/university/students/999999",
        "/university/export.pdf",
    ],
)
def test_foreign_or_unpublished_objects_answer_404(client, world, officer_of, path):
    officer_of(world.a.university_id)
    url = path.format(b=world.b, hidden=world.hidden_placement_id)
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("action", ["enrol", "decline", "no-show"])
def test_foreign_decisions_answer_404_and_change_nothing(app, client, world, officer_of, action):
    from app.extensions import db
    from app.models import Placement, PlacementState

    officer_of(world.a.university_id)
    token = csrf_token(client, f"/university/students/{world.a.accepted_id}")
    response = client.post(
        f"/university/students/{world.b.accepted_id}/{action}",
        data={"csrf_token": token, "reason": "withdrew"},
    )
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(Placement, world.b.accepted_id).state == PlacementState.ACCEPTED


def test_foreign_proposal_answers_404(client, world, officer_of):
    officer_of(world.a.university_id)
    token = csrf_token(client, "/university/tokens")
    response = client.post(
        f"/university/proposals/{world.b.program_id}",
        data={"csrf_token": token, f"p{world.b.program_id}-places": "3"},
    )
    assert response.status_code == 404


def test_foreign_token_cannot_be_revoked(app, client, make, world, officer_of):
    from app.extensions import db
    from app.models import ApiToken, University, User
    from app.services import api_tokens

    with app.app_context():
        officer_b = User.query.filter_by(role="university").first()
        assert officer_b is None  # nobody signed in yet for B
        uni_b = db.session.get(University, world.b.university_id)
        db.session.expunge(uni_b)
    other = make.user("university", university=uni_b)
    with app.app_context():
        token, _raw = api_tokens.create_token(
            world.b.university_id, "B system", by=db.session.get(User, other.id)
        )
        db.session.commit()
        token_id = token.id
    officer_of(world.a.university_id)
    csrf = csrf_token(client, "/university/tokens")
    response = client.post(f"/university/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert response.status_code == 404
    with app.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_export_contains_own_published_students_only(client, world, officer_of):
    officer_of(world.a.university_id)
    response = client.get("/university/export.csv")
    assert response.status_code == 200
    data = response.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = data.decode("utf-8-sig")
    assert "Maryam Rahimi A" in text and "Omid Karimi A" in text
    assert "مریم رحیمی" in text
    assert "Maryam Rahimi B" not in text
    assert "Hidden Student" not in text
    assert "RF-123456" not in text


def test_other_roles_cannot_open_university_pages(client, world, login_as):
    login_as("applicant")
    assert client.get(f"/university/programs/{world.a.program_id}").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/university/students/99999999999999999999999",
        "/university/programs/99999999999999999999999",
        "/university/students/99999999999999999999999/letter.pdf",
        "/university/export.csv?program_id=99999999999999999999999",
    ],
)
def test_huge_ids_are_404_not_500(client, world, officer_of, path):
    officer_of(world.a.university_id)
    assert client.get(path).status_code in (404,)


def test_round_export_of_an_unpublished_round_is_empty(client, world, officer_of):
    officer_of(world.a.university_id)
    home = client.get("/university/").get_data(as_text=True)
    assert f"round_id={world.round_id}" in home
    assert f"round_id={world.hidden_round_id}" not in home
    text = client.get(f"/university/export.csv?round_id={world.hidden_round_id}").data
    assert text.decode("utf-8-sig").count("\n") == 1  # the header only
