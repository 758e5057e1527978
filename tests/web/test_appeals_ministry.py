"""Ministry appeal pages: queue, assignment, preview, decision, evidence, appeal round; access."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import (
    Appeal,
    AppealState,
    Application,
    ApplicationStatus,
    Placement,
    Round,
    RoundKind,
    RoundStatus,
    User,
    utcnow,
)
from app.services import appeals, rounds, verification
from tests.conftest import csrf_token
from tests.web.applicant.conftest import pdf_bytes

S = ApplicationStatus
STATEMENT = "My UNT total is 130, the certificate is attached."


def post(client: Any, path: str, data: dict[str, Any], page: str, **kw: Any) -> Any:
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, page)
    return client.post(path, data=payload, **kw)


def score_appeal_world(app: Any, make: Any) -> dict[str, int]:
    """A published round (A 120 → P1, B 110 → P2, C 100 → none) and C's score appeal with a
    PDF of evidence. `decider` verified everyone and ran and published the round."""
    decider = make.user("ministry")
    cycle = make.cycle(appeal_window_days=10, seed_committed_at=utcnow())
    cycle_id = cycle.id
    p1, p2 = make.program(code="WP1"), make.program(code="WP2")
    make.quota(cycle, p1, places=1)
    make.quota(cycle, p2, places=1)
    ids = {}
    for name, score in (("A", 120), ("B", 110), ("C", 100)):
        ids[name] = make.application(
            cycle=cycle, programs=[p1, p2], score=score, status=S.IN_REVIEW
        ).id
    with app.app_context():
        officer = db.session.get(User, decider.id)
        for app_id in ids.values():
            verification.mark_eligible(db.session.get(Application, app_id), by=officer)
        db.session.commit()
        from app.models import Cycle

        cyc = db.session.get(Cycle, cycle_id)
        round_ = rounds.start_round(cyc, rounds.RoundParams(dry_run=False), by=officer)
        db.session.commit()
        rounds.run_round_job(round_.id)
        rounds.publish_round(db.session.get(Round, round_.id), by=officer)
        db.session.commit()
        c = db.session.get(Application, ids["C"])
        appeal = appeals.file_appeal(
            c,
            subject="score",
            subject_ref="",
            ground="factual_error",
            statement=STATEMENT,
            declaration=True,
            by=c.applicant,
        )
        doc = appeals.add_evidence(
            appeal, FileStorage(io.BytesIO(pdf_bytes()), filename="unt.pdf"), by=c.applicant
        )
        db.session.commit()
        return {
            "appeal": appeal.id,
            "document": doc.id,
            "decider": decider.id,
            "cycle": cycle_id,
            "round": round_.id,
            **ids,
        }


@pytest.fixture()
def world(app, make):
    return score_appeal_world(app, make)


def load(app: Any, appeal_id: int) -> Appeal:
    with app.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        db.session.expunge(appeal)
        return appeal


def test_queue_shows_days_left_and_highlights_overdue(app, client, login_as, make, world):
    login_as("ministry")
    late_app = make.application(status=S.INELIGIBLE)
    make.appeal(late_app, decide_by_at=utcnow() - timedelta(days=3))
    page = client.get("/ministry/appeals").get_data(as_text=True)
    assert f"/ministry/appeals/{world['appeal']}" in page
    assert 'class="overdue"' in page
    assert "Overdue by" in page
    assert "The competitive score" in page


def test_appeal_page_shows_decision_beside_evidence_and_history(client, login_as, world):
    login_as("ministry")
    page = client.get(f"/ministry/appeals/{world['appeal']}").get_data(as_text=True)
    assert STATEMENT in page
    assert "unt.pdf" in page
    # The history names each step in words; the audit codes stay out of sight.
    assert "Appeal filed" in page and "Evidence added" in page
    assert "appeal.file" not in page and "appeal.evidence" not in page
    assert "UNT total score = 100" in page


def test_ministry_opens_the_evidence(client, login_as, world):
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}/evidence/{world['document']}"
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert client.get(f"/ministry/appeals/{world['appeal']}/evidence/999999").status_code == 404


@pytest.mark.parametrize("role", ["university", "applicant"])
def test_university_and_applicants_never_see_appeal_pages_or_evidence(
    client, login_as, world, role
):
    login_as(role)
    for path in (
        "/ministry/appeals",
        f"/ministry/appeals/{world['appeal']}",
        f"/ministry/appeals/{world['appeal']}/evidence/{world['document']}",
        f"/ministry/appeals/rounds/{world['round']}",
    ):
        assert client.get(path).status_code == 404, path


def test_university_cannot_post_to_appeal_actions(client, login_as, world):
    login_as("university")
    for path in (
        f"/ministry/appeals/{world['appeal']}/assign",
        f"/ministry/appeals/{world['appeal']}/decide",
        f"/ministry/appeals/{world['appeal']}/preview",
        f"/ministry/appeals/cycles/{world['cycle']}/round",
    ):
        assert client.post(path).status_code in (400, 404), path


def test_anonymous_is_sent_to_sign_in(client, world):
    response = client.get(f"/ministry/appeals/{world['appeal']}")
    assert response.status_code == 302


def test_missing_appeal_is_404(client, login_as):
    login_as("ministry")
    assert client.get("/ministry/appeals/424242").status_code == 404


def test_impact_preview_page(client, login_as, world):
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    response = post(client, f"{path}/preview", {"unt_total": "130"}, path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "WP1" in page
    assert "an extra place: the program is full" in page
    assert "every other placement stays as published" in page


def test_preview_with_bad_number_is_an_error_not_a_500(client, login_as, world):
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    response = post(client, f"{path}/preview", {"unt_total": "lots"}, path)
    assert response.status_code == 400


def test_assign_refuses_the_original_decider(app, client, login_as, world):
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    page = client.get(path).get_data(as_text=True)
    with app.app_context():
        decider_email = db.session.get(User, world["decider"]).email
    assert f"&lt;{decider_email}&gt;" not in page  # not offered as an assignee
    response = post(client, f"{path}/assign", {"officer": str(world["decider"])}, path)
    assert response.status_code == 400
    assert load(app, world["appeal"]).assigned_to_id is None


def test_four_eyes_on_the_decision_form(app, client, world):
    with app.app_context():
        email = db.session.get(User, world["decider"]).email
    token = csrf_token(client, "/auth/login")
    client.post(
        "/auth/login",
        data={"email": email, "password": "correct horse battery", "csrf_token": token},
    )
    path = f"/ministry/appeals/{world['appeal']}"
    page = client.get(path).get_data(as_text=True)
    assert "another officer must decide" in page
    response = client.post(
        f"{path}/decide",
        data={
            "outcome": "upheld",
            "reason": "Mine.",
            "unt_total": "130",
            "csrf_token": csrf_token(client, path),
        },
    )
    assert response.status_code == 403
    assert load(app, world["appeal"]).state == AppealState.SUBMITTED


def test_decide_without_reason_is_400_and_keeps_input(app, client, login_as, world):
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    response = post(client, f"{path}/decide", {"outcome": "upheld", "unt_total": "130"}, path)
    assert response.status_code == 400
    assert 'value="130"' in response.get_data(as_text=True)
    assert load(app, world["appeal"]).state == AppealState.SUBMITTED


def test_full_flow_upheld_then_appeal_round_published(app, client, login_as, world):
    officer = login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    assert post(client, f"{path}/assign", {"officer": str(officer.id)}, path).status_code == 302
    response = post(
        client,
        f"{path}/decide",
        {"outcome": "upheld", "reason": "The UNT total was mistyped.", "unt_total": "130"},
        path,
    )
    assert response.status_code == 302
    appeal = load(app, world["appeal"])
    assert appeal.state == AppealState.UPHELD
    assert appeal.correction["owed"]["program_code"] == "WP1"
    # The queue offers the appeal round; starting it runs it (immediate jobs in tests).
    response = post(
        client, f"/ministry/appeals/cycles/{world['cycle']}/round", {}, "/ministry/appeals"
    )
    assert response.status_code == 302
    round_path = response.headers["Location"]
    page = client.get(round_path).get_data(as_text=True)
    assert "WP1" in page and "Publish the appeal round" in page
    response = post(client, f"{round_path}/publish", {}, round_path)
    assert response.status_code == 302
    with app.app_context():
        appeal_round = db.session.query(Round).filter_by(kind=RoundKind.APPEAL).one()
        assert appeal_round.status == RoundStatus.PUBLISHED
        placement = db.session.query(Placement).filter_by(round_id=appeal_round.id).one()
        assert placement.application_id == world["C"]
        assert placement.from_appeal and placement.extra_place
        others = {
            p.application_id: p.program.code
            for p in db.session.query(Placement).filter_by(round_id=world["round"])
        }
        assert others == {world["A"]: "WP1", world["B"]: "WP2"}
    page = client.get("/ministry/appeals?state=all").get_data(as_text=True)
    assert "Extra places given on appeal: 1" in page


def test_appeal_round_page_for_a_normal_round_is_404(client, login_as, world):
    login_as("ministry")
    assert client.get(f"/ministry/appeals/rounds/{world['round']}").status_code == 404


def test_starting_an_appeal_round_with_nothing_owed_is_refused(client, login_as, world):
    login_as("ministry")
    response = post(
        client,
        f"/ministry/appeals/cycles/{world['cycle']}/round",
        {},
        "/ministry/appeals",
        follow_redirects=True,
    )
    assert "No upheld appeal is waiting for a place" in response.get_data(as_text=True)


def document_appeal(app: Any, make: Any) -> dict[str, int]:
    """An applicant appeals a rejected document; `decider` rejected it."""
    from app.models import Document

    decider = make.user("ministry")
    application = make.application(status=S.IN_REVIEW)
    document = make.rejected_document(application, decider)
    with app.app_context():
        row = db.session.get(Application, application.id)
        appeal = appeals.file_appeal(
            row,
            subject="document",
            subject_ref=str(document.id),
            ground="document_wrongly_rejected",
            statement="The photo is readable; the officer opened the wrong file.",
            declaration=True,
            by=row.applicant,
        )
        db.session.commit()
        assert db.session.get(Document, document.id) is not None
        return {"appeal": appeal.id, "document": document.id, "decider": decider.id}


def test_document_appeal_upheld_restores_the_document(app, client, login_as, make):
    from app.models import Document, DocumentState

    world = document_appeal(app, make)
    login_as("ministry")
    path = f"/ministry/appeals/{world['appeal']}"
    page = client.get(path).get_data(as_text=True)
    assert "A rejected document" in page and "status.pdf" in page
    assert "Impact preview" not in page  # only score and placement appeals have one
    response = post(
        client,
        f"{path}/decide",
        {"outcome": "upheld", "reason": "Readable after all.", "document_state": "verified"},
        path,
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Document, world["document"]).state == DocumentState.VERIFIED
    page = client.get(path).get_data(as_text=True)
    assert "rejected" in page and "verified" in page  # old → new


def test_dismissed_eligibility_appeal_from_the_page(app, client, login_as, make):
    officer = make.user("ministry")
    application = make.application(status=S.IN_REVIEW)
    with app.app_context():
        row = db.session.get(Application, application.id)
        verification.mark_ineligible(row, "Expired.", by=db.session.get(User, officer.id))
        appeal = appeals.file_appeal(
            row,
            subject="eligibility",
            subject_ref="",
            ground="new_evidence",
            statement="I have a renewed certificate now, see the attachment.",
            declaration=True,
            by=row.applicant,
        )
        db.session.commit()
        appeal_id = appeal.id
    me = login_as("ministry")
    path = f"/ministry/appeals/{appeal_id}"
    assert "Expired." in client.get(path).get_data(as_text=True)
    post(client, f"{path}/assign", {"officer": str(me.id)}, path)
    mine = client.get("/ministry/appeals?state=open&mine=1").get_data(as_text=True)
    assert path in mine
    response = post(client, f"{path}/decide", {"outcome": "dismissed", "reason": "No."}, path)
    assert response.status_code == 302
    assert load(app, appeal_id).state == AppealState.DISMISSED
    with app.app_context():
        assert db.session.get(Application, application.id).status == S.INELIGIBLE
    assert path not in client.get("/ministry/appeals").get_data(as_text=True)
