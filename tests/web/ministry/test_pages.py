"""Every ministry page: ministry officers may open it; applicants and universities get 404;
anonymous visitors are sent to sign in."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_token


def _paths(scene) -> list[str]:
    c = scene["cycle_id"]
    a = scene["review_id"]
    return [
        "/ministry/",
        f"/ministry/?cycle={c}",
        "/ministry/cycles",
        "/ministry/cycles/new",
        f"/ministry/cycles/{c}",
        f"/ministry/cycles/{c}/edit",
        f"/ministry/cycles/{c}/quotas",
        f"/ministry/cycles/{c}/quotas/template.xlsx",
        f"/ministry/cycles/{c}/quotas/template.csv",
        "/ministry/verification",
        "/ministry/verification?status=in_review",
        f"/ministry/applications/{a}",
        f"/ministry/documents/{scene['doc_id']}/file",
        f"/ministry/cycles/{c}/rounds/new",
        f"/ministry/cycles/{c}/compare",
        f"/ministry/cycles/{c}/export/applicants.xlsx",
        f"/ministry/cycles/{c}/export/applicants.csv",
        "/ministry/export/statistics.xlsx",
        "/ministry/export/statistics.csv",
        "/ministry/audit",
        "/ministry/audit?person=ministry&action=round.",
    ]


def test_ministry_opens_every_page(client, login_as, scene):
    login_as("ministry")
    for path in _paths(scene):
        response = client.get(path)
        assert response.status_code == 200, path


def test_admin_may_open_the_console(client, login_as, scene):
    login_as("admin")
    assert client.get("/ministry/cycles").status_code == 200


@pytest.mark.parametrize("role", ["applicant", "university"])
def test_other_roles_get_404_everywhere(client, login_as, scene, role):
    login_as(role)
    for path in _paths(scene):
        assert client.get(path).status_code == 404, path


def test_anonymous_is_sent_to_sign_in(client, scene):
    for path in _paths(scene):
        response = client.get(path)
        assert response.status_code == 302, path
        assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize(
    "path",
    [
        "/ministry/cycles/999999",
        "/ministry/cycles/999999/quotas",
        "/ministry/applications/999999",
        "/ministry/documents/999999/file",
        "/ministry/rounds/999999",
        "/ministry/rounds/999999/progress",
        "/ministry/rounds/999999/snapshot.json",
        "/ministry/rounds/999999/export.csv",
        "/ministry/export/statistics.pdf",
    ],
)
def test_missing_objects_answer_404(client, login_as, scene, path):
    login_as("ministry")
    assert client.get(path).status_code == 404


def test_a_draft_application_is_not_the_ministrys_to_see(app, client, login_as, make, scene):
    from app.extensions import db
    from app.models import Cycle

    with app.app_context():
        cycle = db.session.get(Cycle, scene["cycle_id"])
        draft = make.application(cycle=cycle)
        draft_id = draft.id
    login_as("ministry")
    assert client.get(f"/ministry/applications/{draft_id}").status_code == 404


def _post_paths(scene) -> list[str]:
    c, a, d = scene["cycle_id"], scene["review_id"], scene["doc_id"]
    return [
        "/ministry/cycles/new",
        f"/ministry/cycles/{c}/edit",
        f"/ministry/cycles/{c}/seed",
        f"/ministry/cycles/{c}/status",
        f"/ministry/cycles/{c}/quotas",
        f"/ministry/cycles/{c}/quotas/{scene['quota_id']}",
        f"/ministry/cycles/{c}/limits",
        f"/ministry/cycles/{c}/quotas/import",
        f"/ministry/cycles/{c}/rounds/new",
        f"/ministry/applications/{a}/review",
        f"/ministry/applications/{a}/eligible",
        f"/ministry/applications/{a}/ineligible",
        f"/ministry/applications/{a}/needs-info",
        f"/ministry/documents/{d}/decision",
        "/ministry/rounds/1/publish",
        "/ministry/rounds/1/abandon",
    ]


@pytest.mark.parametrize("role", ["applicant", "university"])
def test_other_roles_cannot_post_anything(app, client, login_as, scene, role):
    from app.extensions import db
    from app.models import Application, ApplicationStatus

    login_as(role)
    token = csrf_token(client, "/auth/password")
    for path in _post_paths(scene):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    with app.app_context():
        application = db.session.get(Application, scene["review_id"])
        assert application.status == ApplicationStatus.IN_REVIEW


def test_anonymous_posts_are_sent_to_sign_in(client, scene):
    for path in _post_paths(scene):
        response = client.post(path, data={})
        assert response.status_code in (302, 400), path


@pytest.fixture()
def solved_round(app, scene) -> int:
    """A solved dry run of the scene's cycle."""
    from app.extensions import db
    from app.models import Cycle, User, UserRole
    from app.services import rounds

    with app.app_context():
        officer = User(email="runner@test.example", password_hash="x", role=UserRole.MINISTRY)
        db.session.add(officer)
        cycle = db.session.get(Cycle, scene["cycle_id"])
        round_ = rounds.start_round(cycle, rounds.RoundParams(), by=officer)
        db.session.commit()
        rounds.run_round_job(round_.id)
        return round_.id


def _round_paths(scene, round_id: int) -> list[str]:
    c = scene["cycle_id"]
    return [
        f"/ministry/rounds/{round_id}",
        f"/ministry/rounds/{round_id}/progress",
        f"/ministry/rounds/{round_id}/snapshot.json",
        f"/ministry/rounds/{round_id}/result.json",
        f"/ministry/rounds/{round_id}/export.xlsx",
        f"/ministry/rounds/{round_id}/export.csv",
        f"/ministry/cycles/{c}/compare?a={round_id}&b={round_id}",
    ]


@pytest.mark.parametrize("role", ["ministry", "admin", "applicant", "university", None])
def test_round_pages_by_role(client, login_as, scene, solved_round, role):
    if role is not None:
        login_as(role)
    expected = {"ministry": 200, "admin": 200, "applicant": 404, "university": 404, None: 302}
    for path in _round_paths(scene, solved_round):
        assert client.get(path).status_code == expected[role], path
