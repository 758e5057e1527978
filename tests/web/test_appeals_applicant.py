"""Applicant appeal pages: file from the decision, evidence, follow, withdraw; own appeals only."""

from __future__ import annotations

import io
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest

from app.extensions import db
from app.models import Appeal, AppealState, Application, ApplicationStatus, Document, User, utcnow
from app.services import verification
from tests.conftest import csrf_token
from tests.web.applicant.conftest import pdf_bytes

S = ApplicationStatus
STATEMENT = "My refugee certificate was valid until 2030; please look again."


def ineligible(app: Any, make: Any, applicant: Any, **cycle_kw: Any) -> dict[str, int]:
    """An application of `applicant` that an officer declared ineligible."""
    officer = make.user("ministry")
    cycle = make.cycle(**cycle_kw)
    cycle_id = cycle.id
    application = make.application(applicant, cycle, status=S.IN_REVIEW)
    with app.app_context():
        row = db.session.get(Application, application.id)
        verification.mark_ineligible(
            row, "Status document expired.", by=db.session.get(User, officer.id)
        )
        db.session.commit()
    return {"application": application.id, "officer": officer.id, "cycle": cycle_id}


def post(client: Any, path: str, data: dict[str, Any], page: str, **kw: Any) -> Any:
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, page)
    return client.post(path, data=payload, **kw)


NEW = "/applicant/appeals/new?subject=eligibility&ref="


def file(client: Any, **fields: Any) -> Any:
    data = {
        "subject": "eligibility",
        "subject_ref": "",
        "ground": "factual_error",
        "statement": STATEMENT,
        "declaration": "y",
        **fields,
    }
    return post(client, "/applicant/appeals/new", data, NEW)


def appeals_in_db(app: Any) -> list[Appeal]:
    with app.app_context():
        rows = db.session.query(Appeal).all()
        db.session.expunge_all()
        return rows


@pytest.fixture()
def me(app, client, login_as, make):
    user = login_as("applicant")
    return {"user": user, **ineligible(app, make, user)}


def test_the_decision_is_listed_with_its_deadline(client, me):
    page = client.get("/applicant/appeals").get_data(as_text=True)
    assert "Appeal this decision" in page
    assert "Appeal before" in page


def test_form_shows_the_deadline_and_the_grounds_that_fit(client, me):
    page = client.get(NEW).get_data(as_text=True)
    assert "You can appeal until" in page
    assert "A factual error in my data or score" in page
    assert "My document was wrongly rejected" not in page  # not a ground for eligibility


def test_file_an_appeal_with_evidence(app, client, me):
    response = file(client, evidence=(io.BytesIO(pdf_bytes()), "certificate.pdf"))
    assert response.status_code == 302
    [appeal] = appeals_in_db(app)
    assert response.headers["Location"].endswith(f"/applicant/appeals/{appeal.id}")
    assert appeal.state == AppealState.SUBMITTED
    page = client.get(f"/applicant/appeals/{appeal.id}").get_data(as_text=True)
    assert "certificate.pdf" in page
    assert STATEMENT in page
    with app.app_context():
        doc = db.session.query(Document).filter_by(appeal_id=appeal.id).one()
        doc_id = doc.id
    assert client.get(f"/applicant/documents/{doc_id}").status_code == 200


def test_missing_declaration_is_400_and_keeps_the_statement(app, client, me):
    response = file(client, declaration="")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Confirm the declaration" in page
    assert STATEMENT in page
    assert appeals_in_db(app) == []


def test_a_ground_that_does_not_fit_is_400(app, client, me):
    response = file(client, ground="document_wrongly_rejected")
    assert response.status_code == 400
    assert appeals_in_db(app) == []


def test_second_open_appeal_is_refused(app, client, me):
    assert file(client).status_code == 302
    page = client.get("/applicant/appeals").get_data(as_text=True)
    assert "You have an open appeal about this decision" in page
    response = post(
        client,
        "/applicant/appeals/new",
        {
            "subject": "eligibility",
            "subject_ref": "",
            "ground": "new_evidence",
            "statement": STATEMENT,
            "declaration": "y",
        },
        "/applicant/appeals",
    )
    assert response.status_code == 409
    assert "already have an open appeal" in response.get_data(as_text=True)
    assert len(appeals_in_db(app)) == 1


def test_late_appeal_is_refused_with_the_reason(app, client, login_as, make):
    user = login_as("applicant")
    ineligible(app, make, user, appeal_window_days=0)
    with app.app_context():
        # The decision was made a day ago; a zero-day window has closed.
        from app.models import StatusChange

        change = db.session.query(StatusChange).filter_by(to_status=S.INELIGIBLE).one()
        change.at = utcnow() - timedelta(days=1)
        db.session.commit()
    page = client.get(NEW).get_data(as_text=True)
    assert "The time to appeal ended" in page
    response = post(
        client,
        "/applicant/appeals/new",
        {
            "subject": "eligibility",
            "subject_ref": "",
            "ground": "factual_error",
            "statement": STATEMENT,
            "declaration": "y",
        },
        "/applicant/appeals",
    )
    assert response.status_code == 409
    assert "deadline for appealing this decision" in response.get_data(as_text=True)


def test_unknown_decision_is_404(client, me):
    assert client.get("/applicant/appeals/new?subject=document&ref=999").status_code == 404
    assert client.get("/applicant/appeals/new?subject=nonsense").status_code == 404


def test_withdraw_then_withdraw_again_is_refused(app, client, me):
    file(client)
    [appeal] = appeals_in_db(app)
    path = f"/applicant/appeals/{appeal.id}"
    response = post(client, f"{path}/withdraw", {}, path)
    assert response.status_code == 302
    assert appeals_in_db(app)[0].state == AppealState.WITHDRAWN
    page = client.get(path).get_data(as_text=True)
    assert "Withdraw this appeal" not in page
    token = csrf_token(client, "/applicant/appeals")
    again = client.post(f"{path}/withdraw", data={"csrf_token": token}, follow_redirects=True)
    assert "already closed" in again.get_data(as_text=True)
    assert appeals_in_db(app)[0].state == AppealState.WITHDRAWN


def test_add_evidence_later_and_refuse_an_empty_upload(app, client, me):
    file(client)
    [appeal] = appeals_in_db(app)
    path = f"/applicant/appeals/{appeal.id}"
    response = post(
        client, f"{path}/evidence", {"file": (io.BytesIO(pdf_bytes()), "more.pdf")}, path
    )
    assert response.status_code == 302
    assert "more.pdf" in client.get(path).get_data(as_text=True)
    assert post(client, f"{path}/evidence", {}, path).status_code == 400
    bad = post(client, f"{path}/evidence", {"file": (io.BytesIO(b"hello"), "x.txt")}, path)
    assert bad.status_code == 400


def test_someone_elses_appeal_answers_404(app, client, make, me):
    stranger = make.user("applicant")
    theirs = ineligible(app, make, stranger)
    other = make.appeal(SimpleNamespace(id=theirs["application"]))
    path = f"/applicant/appeals/{other.id}"
    assert client.get(path).status_code == 404
    token = csrf_token(client, "/applicant/appeals")
    assert client.post(f"{path}/withdraw", data={"csrf_token": token}).status_code == 404
    assert client.post(f"{path}/evidence", data={"csrf_token": token}).status_code == 404
    assert client.get("/applicant/appeals/999999").status_code == 404
    with app.app_context():
        assert db.session.get(Appeal, other.id).state == AppealState.SUBMITTED


@pytest.mark.parametrize("role", ["ministry", "university", "admin"])
def test_staff_cannot_open_applicant_appeal_pages(client, login_as, role):
    login_as(role)
    assert client.get("/applicant/appeals").status_code == 404


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/applicant/appeals")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]
