"""Enrolment decisions of a university and the places they give back to the pool."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    ApplicationStatus,
    AuditEvent,
    Notification,
    PlacementState,
    RoundKind,
    RoundStatus,
    utcnow,
)
from app.services import enrolment
from app.services.errors import InvalidInput, NotFound
from app.services.workflow import TransitionRefused

S = ApplicationStatus
P = PlacementState


@pytest.fixture()
def setup(app_ctx, make):
    """A cycle whose studies started 30 days ago, a 2-place program, one published round."""
    cycle = make.cycle(starts_on=utcnow() - timedelta(days=30))
    uni = make.university()
    program = make.program(uni)
    make.quota(cycle, program, places=2)
    officer = make.user("university", university=uni)
    round_ = make.round(cycle, number=1)

    def placed(state=P.ACCEPTED, status=S.ACCEPTED, round_=round_, **kw):
        application = make.application(
            make.user("applicant", preferred_language=kw.pop("lang", "en")),
            cycle,
            programs=[program],
            status=status,
        )
        return make.placement(round_, application, program, state=state, **kw)

    return {
        "cycle": cycle,
        "uni": uni,
        "program": program,
        "officer": officer,
        "round": round_,
        "placed": placed,
    }


def _actions(placement_id):
    return [
        e.action
        for e in db.session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(placement_id))
        )
    ]


def test_confirm_enrolment_moves_placement_and_application(setup):
    placement = setup["placed"]()
    enrolment.confirm_enrolment(placement, by=setup["officer"])
    db.session.commit()
    assert placement.state == P.ENROLLED
    assert placement.application.status == S.ENROLLED
    assert "placement.enrol" in _actions(placement.id)
    assert placement.application.status_changes[-1].to_status == S.ENROLLED


@pytest.mark.parametrize("state", [P.OFFERED, P.DECLINED, P.EXPIRED, P.ENROLLED, P.NO_SHOW])
def test_only_accepted_students_can_be_enrolled(setup, state):
    placement = setup["placed"](state=state, status=S.PLACED)
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.confirm_enrolment(placement, by=setup["officer"])
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.decline_enrolment(placement, "withdrew", by=setup["officer"])
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.mark_no_show(placement, by=setup["officer"])
    assert placement.state == state


def test_a_refused_application_move_leaves_the_placement_alone(setup):
    # The student accepted, then got a better offer in a later round (application is placed).
    placement = setup["placed"](status=S.PLACED)
    with pytest.raises(TransitionRefused):
        enrolment.confirm_enrolment(placement, by=setup["officer"])
    assert placement.state == P.ACCEPTED


def test_decline_with_a_coded_reason_the_student_sees_in_their_language(setup):
    placement = setup["placed"](lang="ru")
    enrolment.decline_enrolment(placement, "documents_not_presented", by=setup["officer"])
    db.session.commit()
    assert placement.state == P.DECLINED
    assert placement.decline_reason == "university:documents_not_presented"
    assert placement.application.status == S.DECLINED
    change = placement.application.status_changes[-1]
    assert change.to_status == S.DECLINED and change.note  # the student reads the reason
    notes = db.session.scalars(
        select(Notification).where(Notification.recipient_id == placement.application.applicant_id)
    ).all()
    assert notes, "the student is told"
    assert "placement.university_decline" in _actions(placement.id)


def test_decline_refuses_an_unknown_reason(setup):
    placement = setup["placed"]()
    with pytest.raises(InvalidInput):
        enrolment.decline_enrolment(placement, "because", by=setup["officer"])
    assert placement.state == P.ACCEPTED


def test_no_show_after_the_enrolment_deadline(setup, app):
    placement = setup["placed"]()
    deadline = enrolment.enrolment_deadline(setup["cycle"])
    assert deadline == setup["cycle"].starts_on + timedelta(
        days=app.config.get("ENROLMENT_GRACE_DAYS", enrolment.DEFAULT_GRACE_DAYS)
    )
    enrolment.mark_no_show(placement, by=setup["officer"], now=deadline + timedelta(minutes=1))
    assert placement.state == P.NO_SHOW
    assert placement.application.status == S.NO_SHOW
    assert "placement.no_show" in _actions(placement.id)


def test_no_show_before_the_enrolment_deadline_is_refused(setup):
    placement = setup["placed"]()
    deadline = enrolment.enrolment_deadline(setup["cycle"])
    with pytest.raises(enrolment.EnrolmentRefused, match="deadline"):
        enrolment.mark_no_show(placement, by=setup["officer"], now=deadline - timedelta(hours=1))
    assert placement.state == P.ACCEPTED
    assert placement.application.status == S.ACCEPTED


def test_no_show_without_a_study_start_date_is_refused(setup):
    setup["cycle"].starts_on = None
    placement = setup["placed"]()
    with pytest.raises(enrolment.EnrolmentRefused):
        enrolment.mark_no_show(placement, by=setup["officer"])


def test_released_places_count_declines_and_no_shows_once(setup, make):
    placed, program = setup["placed"], setup["program"]
    first, second = placed(), placed()
    assert enrolment.released_places(setup["cycle"]) == {program.id: 0}
    assert enrolment.open_places(setup["cycle"]) == {program.id: 0}

    enrolment.confirm_enrolment(first, by=setup["officer"])
    enrolment.decline_enrolment(second, "did_not_arrive", by=setup["officer"])
    db.session.commit()
    assert enrolment.released_places(setup["cycle"]) == {program.id: 1}
    assert enrolment.open_places(setup["cycle"]) == {program.id: 1}

    # The next (supplementary) round offers the released place to someone else.
    round2 = make.round(setup["cycle"], number=2, kind=RoundKind.SUPPLEMENTARY)
    placed(state=P.OFFERED, status=S.PLACED, round_=round2)
    assert enrolment.released_places(setup["cycle"]) == {program.id: 0}
    assert enrolment.open_places(setup["cycle"]) == {program.id: 0}


def test_released_places_ignore_unpublished_rounds_and_extra_places(setup, make):
    placed, program = setup["placed"], setup["program"]
    placed(state=P.DECLINED, status=S.DECLINED, extra_place=True)  # supernumerary: not a place
    draft = make.round(setup["cycle"], number=2, status=RoundStatus.SOLVED)
    placed(state=P.DECLINED, status=S.DECLINED, round_=draft)
    assert enrolment.released_places(setup["cycle"]) == {program.id: 0}
    assert enrolment.open_places(setup["cycle"]) == {program.id: 2}


def test_expired_offer_returns_its_place(setup):
    setup["placed"](state=P.EXPIRED, status=S.EXPIRED)
    setup["placed"]()
    assert enrolment.released_places(setup["cycle"]) == {setup["program"].id: 1}


def test_officer_queries_are_scoped_to_their_university(setup, make):
    placement = setup["placed"]()
    other = make.university()
    with pytest.raises(NotFound):
        enrolment.get_placement(placement.id, other.id)
    with pytest.raises(NotFound):
        enrolment.get_program(setup["program"].id, other.id)
    assert enrolment.get_placement(placement.id, setup["uni"].id) is placement


def test_unpublished_rounds_are_invisible(setup, make):
    draft = make.round(setup["cycle"], number=2, status=RoundStatus.SOLVED)
    placement = setup["placed"](state=P.PROPOSED, status=S.ELIGIBLE, round_=draft)
    with pytest.raises(NotFound):
        enrolment.get_placement(placement.id, setup["uni"].id)
    assert enrolment.published_rounds(setup["uni"].id) == []


def test_published_rounds_lists_each_round_once(setup):
    setup["placed"]()
    setup["placed"]()
    assert enrolment.published_rounds(setup["uni"].id) == [setup["round"]]


def test_a_declined_place_is_offered_in_the_next_supplementary_round(setup, make):
    """End to end with the round builder: the place the university releases goes to the next
    applicant in line, while the enrolled student's place stays taken."""
    import solver
    from app.services import rounds

    placed, program = setup["placed"], setup["program"]
    first, second = placed(), placed()
    waiting = make.application(
        make.user("applicant"),
        setup["cycle"],
        programs=[program],
        score=90,
        status=S.NOT_PLACED,
    )
    enrolment.confirm_enrolment(first, by=setup["officer"])
    enrolment.decline_enrolment(second, "did_not_arrive", by=setup["officer"])
    db.session.commit()

    problem = rounds.build_problem(setup["cycle"], RoundKind.SUPPLEMENTARY, {})
    (entry,) = [p for p in problem["programs"] if p["id"] == program.code]
    assert entry["capacity"] == enrolment.released_places(setup["cycle"])[program.id] == 1
    result = solver.solve(problem)
    assert result.assignments[waiting.public_code] == program.code
