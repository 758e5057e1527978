"""Request tests for the result page and answering an offer."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Placement,
    PlacementState,
    Program,
    Round,
    utcnow,
)
from tests.conftest import csrf_token
from tests.web.applicant.conftest import _fresh

S = ApplicationStatus


@pytest.fixture()
def placed(app, client, login_as, make, world):
    user = login_as("applicant")
    programs = world["programs"]
    codes = [p.code for p in programs]
    second = _fresh(app, Program, programs[1].id)
    a = make.application(user, world["cycle"], programs=programs, score=90, status=S.PLACED)
    round_ = make.round(world["cycle"])
    placement = make.placement(round_, a, second, choice_rank=2)
    with app.app_context():
        r = db.session.get(Round, round_.id)
        public_code = db.session.get(Application, a.id).public_code
        r.result = {
            "assignments": {public_code: codes[1]},
            "cutoffs": {codes[0]: {"score": 120, "full": True}},
        }
        db.session.commit()
    return {"application": a, "placement": placement}


def _state(app, placement_id):
    with app.app_context():
        p = db.session.get(Placement, placement_id)
        return p.state, p.application.status


def test_results_show_the_place_the_cutoffs_and_the_honesty_note(client, placed):
    page = client.get("/applicant/results").get_data(as_text=True)
    assert "Medicine" in page  # placed program (choice 2)
    assert "Computer Science" in page and "120" in page  # ranked higher, with its cutoff
    assert "yours is 90" in page
    assert "never hurt you" in page
    assert "Accept this place" in page


def test_accept_an_offer(app, client, placed):
    token = csrf_token(client, "/applicant/results")
    response = client.post(
        f"/applicant/offers/{placed['placement'].id}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert _state(app, placed["placement"].id) == (PlacementState.ACCEPTED, S.ACCEPTED)
    assert "You accepted this place" in client.get("/applicant/results").get_data(as_text=True)


def test_decline_an_offer(app, client, placed):
    token = csrf_token(client, "/applicant/results")
    response = client.post(
        f"/applicant/offers/{placed['placement'].id}/decline",
        data={"csrf_token": token, "reason": "moving"},
    )
    assert response.status_code == 302
    assert _state(app, placed["placement"].id) == (PlacementState.DECLINED, S.DECLINED)


def test_answer_after_the_deadline_is_409(app, client, placed):
    token = csrf_token(client, "/applicant/results")
    with app.app_context():
        db.session.get(Placement, placed["placement"].id).offer_deadline_at = utcnow() - timedelta(
            minutes=1
        )
        db.session.commit()
    response = client.post(
        f"/applicant/offers/{placed['placement'].id}/accept", data={"csrf_token": token}
    )
    assert response.status_code == 409
    assert _state(app, placed["placement"].id)[0] == PlacementState.OFFERED


def test_answer_without_csrf_is_400(app, client, placed):
    response = client.post(f"/applicant/offers/{placed['placement'].id}/accept", data={})
    assert response.status_code == 400
    assert _state(app, placed["placement"].id)[0] == PlacementState.OFFERED


def test_no_results_yet(client, login_as, make, world):
    user = login_as("applicant")
    make.application(user, world["cycle"], status=S.ELIGIBLE)
    page = client.get("/applicant/results").get_data(as_text=True)
    assert "No results have been published yet" in page
