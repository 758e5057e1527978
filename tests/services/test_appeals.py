"""Appeals: filing, refusals, four eyes, corrections, the impact preview and the appeal round."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Appeal,
    AppealState,
    AppealSubject,
    ApplicationStatus,
    AuditEvent,
    DocumentState,
    Notification,
    Placement,
    PlacementState,
    RoundKind,
    RoundStatus,
    utcnow,
)
from app.services import appeals, rounds, verification
from app.services.errors import InvalidInput, NotFound, PermissionDenied, ServiceError

S = ApplicationStatus
STATEMENT = "The ministry read my status document wrongly; it was valid."


@pytest.fixture()
def officers(app_ctx, make):
    return make.user("ministry"), make.user("ministry")


@pytest.fixture()
def ineligible(app_ctx, make, officers):
    """An application the first officer declared ineligible."""
    cycle = make.cycle(appeal_window_days=10)
    application = make.application(cycle=cycle, status=S.IN_REVIEW)
    verification.mark_ineligible(application, "Status document expired.", by=officers[0])
    db.session.commit()
    return application


def file(application, **kw):
    values = {
        "subject": "eligibility",
        "subject_ref": "",
        "ground": "factual_error",
        "statement": STATEMENT,
        "declaration": True,
        "by": application.applicant,
    }
    values.update(kw)
    return appeals.file_appeal(application, **values)


def actions(appeal):
    return [e.action for e in appeals.history(appeal)]


# --- Filing ------------------------------------------------------------------------------------


def test_applicant_files_an_eligibility_appeal_with_the_window_deadline(ineligible):
    decision = appeals.find_decision(ineligible, "eligibility", "")
    appeal = file(ineligible)
    assert appeal.state == AppealState.SUBMITTED
    assert appeal.deadline_at == decision.decided_at + timedelta(days=10)
    assert appeal.declaration_accepted_at is not None
    assert actions(appeal) == ["appeal.file"]


def test_late_appeal_is_refused_with_the_deadline(ineligible):
    late = utcnow() + timedelta(days=11)
    with pytest.raises(appeals.AppealTooLate, match="deadline for appealing this decision"):
        file(ineligible, now=late)
    assert db.session.scalar(select(Appeal.id)) is None


def test_second_open_appeal_about_the_same_decision_is_refused(ineligible):
    file(ineligible)
    with pytest.raises(appeals.AppealAlreadyOpen):
        file(ineligible, ground="new_evidence")


def test_the_unique_index_turns_a_race_into_a_clear_error(ineligible, make):
    file(ineligible)
    db.session.commit()
    # A second request that passed the check before the first was saved still fails clearly.
    decision = appeals.find_decision(ineligible, "eligibility", "")
    decision_without_open = appeals.Decision(**{**decision.__dict__, "open_appeal": None})
    original = appeals.find_decision
    appeals.find_decision = lambda *a, **k: decision_without_open
    try:
        with pytest.raises(appeals.AppealAlreadyOpen):
            file(ineligible)
    finally:
        appeals.find_decision = original
    assert len(db.session.scalars(select(Appeal)).all()) == 1


def test_a_new_appeal_is_allowed_after_withdrawing(ineligible):
    first = file(ineligible)
    appeals.withdraw_appeal(first, by=ineligible.applicant)
    second = file(ineligible)
    assert second.id != first.id


@pytest.mark.parametrize(
    ("subject", "ground"),
    [("eligibility", "document_wrongly_rejected"), ("placement", "new_evidence")],
)
def test_ground_must_fit_the_decision(ineligible, subject, ground):
    with pytest.raises((InvalidInput, NotFound)):
        file(ineligible, subject=subject, ground=ground)


def test_wrong_ground_for_eligibility_names_the_ground(ineligible):
    with pytest.raises(InvalidInput, match="not a ground"):
        file(ineligible, ground="document_wrongly_rejected")


def test_statement_and_declaration_are_required(ineligible):
    with pytest.raises(InvalidInput):
        file(ineligible, statement="too short")
    with pytest.raises(InvalidInput):
        file(ineligible, declaration=False)


def test_nobody_appeals_someone_elses_application(ineligible, make):
    stranger = make.user("applicant")
    with pytest.raises(NotFound):
        file(ineligible, by=stranger)


def test_a_decision_that_was_not_made_cannot_be_appealed(app_ctx, make):
    application = make.application(status=S.IN_REVIEW)
    with pytest.raises(NotFound):
        file(application)


def test_grounds_are_a_closed_list_per_subject():
    assert "document_wrongly_rejected" in appeals.grounds_for("document")
    assert "document_wrongly_rejected" not in appeals.grounds_for("score")
    assert "new_evidence" not in appeals.grounds_for("placement")


# --- Withdrawing -------------------------------------------------------------------------------


def test_withdraw_while_open(ineligible):
    appeal = file(ineligible)
    appeals.withdraw_appeal(appeal, by=ineligible.applicant)
    assert appeal.state == AppealState.WITHDRAWN
    assert actions(appeal) == ["appeal.file", "appeal.withdraw"]


def test_withdraw_after_decision_is_refused(ineligible, officers):
    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "dismissed", "The document had expired.", by=officers[1])
    with pytest.raises(ServiceError, match="already closed"):
        appeals.withdraw_appeal(appeal, by=ineligible.applicant)


def test_only_the_appellant_withdraws(ineligible, make):
    appeal = file(ineligible)
    with pytest.raises(NotFound):
        appeals.withdraw_appeal(appeal, by=make.user("applicant"))


# --- Assigning and deciding --------------------------------------------------------------------


def test_assignment_puts_the_appeal_in_review(ineligible, officers):
    appeal = file(ineligible)
    appeals.assign_appeal(appeal, officers[1], by=officers[1])
    assert appeal.state == AppealState.IN_REVIEW
    assert appeal.assigned_to_id == officers[1].id


def test_four_eyes_the_original_decider_cannot_decide(ineligible, officers):
    appeal = file(ineligible)
    with pytest.raises(appeals.FourEyesRefused):
        appeals.decide_appeal(appeal, "upheld", "I was wrong.", by=officers[0])
    with pytest.raises(appeals.FourEyesRefused):
        appeals.assign_appeal(appeal, officers[0], by=officers[1])
    assert appeal.state == AppealState.SUBMITTED


def test_four_eyes_for_a_rejected_document(app_ctx, make, officers):
    application = make.application(status=S.IN_REVIEW)
    document = make.rejected_document(application, officers[0])
    appeal = file(
        application,
        subject="document",
        subject_ref=str(document.id),
        ground="document_wrongly_rejected",
    )
    with pytest.raises(appeals.FourEyesRefused):
        appeals.decide_appeal(appeal, "upheld", "Readable after all.", by=officers[0])


def test_decide_without_reason_is_refused(ineligible, officers):
    appeal = file(ineligible)
    with pytest.raises(InvalidInput):
        appeals.decide_appeal(appeal, "dismissed", "   ", by=officers[1])
    with pytest.raises(InvalidInput):
        appeals.decide_appeal(appeal, "maybe", "A reason.", by=officers[1])
    assert appeal.state == AppealState.SUBMITTED


def test_an_appeal_assigned_to_someone_else_is_theirs_to_decide(ineligible, officers, make):
    appeal = file(ineligible)
    appeals.assign_appeal(appeal, officers[1], by=officers[1])
    with pytest.raises(PermissionDenied):
        appeals.decide_appeal(appeal, "dismissed", "No.", by=make.user("ministry"))


def test_a_decided_appeal_cannot_be_decided_again(ineligible, officers):
    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "dismissed", "The document had expired.", by=officers[1])
    with pytest.raises(ServiceError):
        appeals.decide_appeal(appeal, "upheld", "Changed my mind.", by=officers[1])


def test_applicants_cannot_decide(ineligible):
    appeal = file(ineligible)
    with pytest.raises(PermissionDenied):
        appeals.decide_appeal(appeal, "upheld", "Obviously.", by=ineligible.applicant)


def test_upheld_eligibility_restores_eligible_and_tells_the_applicant(ineligible, officers):
    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "upheld", "The document was valid.", by=officers[1])
    assert ineligible.status == S.ELIGIBLE
    assert ineligible.status_changes[-1].to_status == S.ELIGIBLE
    assert appeal.correction["status"] == {"old": "ineligible", "new": "eligible"}
    assert actions(appeal)[-1] == "appeal.upheld"
    note = db.session.scalars(
        select(Notification).where(Notification.template == "appeal_decided")
    ).first()
    assert note is not None and "The document was valid." in note.body
    assert "upheld" in note.body


def test_decision_is_written_in_the_applicants_language(app_ctx, make, officers):
    applicant = make.user("applicant", preferred_language="ru")
    cycle = make.cycle()
    application = make.application(applicant, cycle, status=S.IN_REVIEW)
    verification.mark_ineligible(application, "Expired.", by=officers[0])
    appeal = file(application)
    appeals.decide_appeal(appeal, "dismissed", "Документ истёк.", by=officers[1])
    note = db.session.scalars(
        select(Notification).where(Notification.template == "appeal_decided")
    ).first()
    assert note.language == "ru"
    assert "Документ истёк." in note.body


def test_dismissed_changes_nothing(ineligible, officers):
    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "dismissed", "The document had expired.", by=officers[1])
    assert ineligible.status == S.INELIGIBLE
    assert appeal.correction is None
    assert appeal.decided_by_id == officers[1].id


def test_upheld_document_is_restored_with_old_and_new_values(app_ctx, make, officers):
    application = make.application(status=S.IN_REVIEW)
    document = make.rejected_document(application, officers[0])
    appeal = file(
        application,
        subject="document",
        subject_ref=str(document.id),
        ground="document_wrongly_rejected",
    )
    correction = appeals.Correction.parse(document_state="verified")
    appeals.decide_appeal(appeal, "upheld", "Readable.", by=officers[1], correction=correction)
    assert document.state == DocumentState.VERIFIED
    assert appeal.correction["state"] == {"old": "rejected", "new": "verified"}
    audited = db.session.scalars(
        select(AuditEvent.action).where(AuditEvent.object_type == "document")
    ).all()
    assert "document.verified" in audited


def test_upheld_score_appeal_needs_the_corrected_score(app_ctx, make, officers):
    cycle = make.cycle()
    application = make.application(cycle=cycle, status=S.IN_REVIEW, score=100)
    verification.mark_eligible(application, by=officers[0])
    appeal = file(application, subject="score")
    with pytest.raises(InvalidInput):
        appeals.decide_appeal(appeal, "upheld", "Typo.", by=officers[1])
    with pytest.raises(InvalidInput):
        appeals.Correction.parse({"unt_total": "lots"})


def test_upheld_score_appeal_updates_components_and_score(app_ctx, make, officers):
    cycle = make.cycle()
    application = make.application(cycle=cycle, status=S.IN_REVIEW, score=100)
    verification.mark_eligible(application, by=officers[0])
    appeal = file(application, subject="score")
    correction = appeals.Correction.parse({"unt_total": "130"})
    appeals.decide_appeal(appeal, "upheld", "Typo.", by=officers[1], correction=correction)
    assert application.competitive_score == Decimal("130.00")
    assert application.component("unt_total") == Decimal("130")
    assert appeal.correction["competitive_score"] == {"old": "100.00", "new": "130.00"}


def test_queue_counts_days_left_and_flags_overdue(ineligible, officers, make):
    appeal = file(ineligible)
    rows = appeals.queue()
    assert [r.appeal.id for r in rows] == [appeal.id]
    assert rows[0].days_left in (14, 15) and not rows[0].overdue
    later = appeals.queue(now=utcnow() + timedelta(days=16))
    assert later[0].overdue and later[0].days_left < 0


def test_applicants_see_only_their_own_appeals(ineligible, make):
    appeal = file(ineligible)
    stranger = make.user("applicant")
    assert appeals.own_appeals(stranger) == []
    with pytest.raises(NotFound):
        appeals.get_own_appeal(stranger, appeal.id)
    assert appeals.get_own_appeal(ineligible.applicant, appeal.id) is appeal


# --- A published round, the impact preview and the appeal round --------------------------------


@pytest.fixture()
def published(app_ctx, make, officers):
    """P1 and P2 with one place each; A (120) gets P1, B (110) gets P2, C (entered as 100,
    really 130) gets nothing. Officer 0 verified everyone and ran and published the round."""
    cycle = make.cycle(appeal_window_days=10, seed_committed_at=utcnow())
    p1 = make.program(code="P1")
    p2 = make.program(code="P2")
    make.quota(cycle, p1, places=1)
    make.quota(cycle, p2, places=1)
    people = {}
    for name, score in (("A", 120), ("B", 110), ("C", 100)):
        application = make.application(
            cycle=cycle, programs=[p1, p2], score=score, status=S.IN_REVIEW
        )
        verification.mark_eligible(application, by=officers[0])
        people[name] = application
    db.session.commit()
    params = rounds.RoundParams(kind=RoundKind.MAIN, dry_run=False)
    round_ = rounds.start_round(cycle, params, by=officers[0])
    db.session.commit()
    rounds.run_round_job(round_.id)
    round_ = db.session.get(type(round_), round_.id)
    assert round_.status == RoundStatus.SOLVED, round_.error
    rounds.publish_round(round_, by=officers[0])
    db.session.commit()
    return {"cycle": cycle, "round": round_, "P1": p1, "P2": p2, **people}


def placements_of(application):
    return {
        (p.round_id, p.program.code, p.state)
        for p in db.session.scalars(
            select(Placement).where(Placement.application_id == application.id)
        )
    }


def test_the_fixture_round_places_a_and_b(published):
    assert placements_of(published["A"]) == {(published["round"].id, "P1", PlacementState.OFFERED)}
    assert placements_of(published["C"]) == set()
    assert published["C"].status == S.NOT_PLACED


def test_placement_and_score_decisions_follow_the_published_round(published):
    subjects = {d.subject for d in appeals.decisions(published["C"])}
    assert subjects == {AppealSubject.SCORE, AppealSubject.PLACEMENT}
    placement = appeals.find_decision(published["C"], "placement", str(published["round"].id))
    assert placement.deadline_at == published["round"].published_at + timedelta(days=10)


def test_four_eyes_for_a_placement_the_officer_published(published, officers):
    appeal = file(published["C"], subject="placement", subject_ref=str(published["round"].id))
    with pytest.raises(appeals.FourEyesRefused):
        appeals.decide_appeal(appeal, "dismissed", "Fine.", by=officers[0])


def test_impact_preview_shows_the_owed_place_and_that_nobody_moves(published, officers):
    appeal = file(published["C"], subject="score")
    impact = appeals.preview_impact(appeal, appeals.Correction.parse({"unt_total": "130"}))
    assert impact.published_program_code is None
    assert impact.would_have_code == "P1"
    assert impact.owed_program_code == "P1"
    assert impact.extra_place is True  # P1's one place is A's
    assert impact.others_unchanged and impact.moved == []
    assert impact.checker_ok
    assert impact.score_before == 100 and impact.score_after == 130
    # A preview writes nothing.
    assert published["C"].competitive_score == Decimal("100.00")


def test_impact_preview_with_a_small_correction_owes_nothing(published):
    appeal = file(published["C"], subject="score")
    impact = appeals.preview_impact(appeal, appeals.Correction.parse({"unt_total": "105"}))
    assert impact.would_have_code is None
    assert impact.owed_program_code is None
    assert impact.others_unchanged


def test_impact_preview_of_a_better_place_that_is_full(app_ctx, make, officers):
    cycle = make.cycle(seed_committed_at=utcnow())
    p1 = make.program(code="Q1")
    p2 = make.program(code="Q2")
    make.quota(cycle, p1, places=1)
    make.quota(cycle, p2, places=1)
    low = make.application(cycle=cycle, programs=[p1, p2], score=60, status=S.IN_REVIEW)
    high = make.application(cycle=cycle, programs=[p1], score=90, status=S.IN_REVIEW)
    for application in (low, high):
        verification.mark_eligible(application, by=officers[0])
    db.session.commit()
    round_ = rounds.start_round(cycle, rounds.RoundParams(dry_run=False), by=officers[0])
    db.session.commit()
    rounds.run_round_job(round_.id)
    rounds.publish_round(round_, by=officers[0])
    db.session.commit()
    # `low` got Q2 (Q1 went to `high`); with a corrected 95 they would have had Q1 instead.
    appeal = file(low, subject="score")
    impact = appeals.preview_impact(appeal, appeals.Correction.parse({"unt_total": "95"}))
    assert impact.published_program_code == "Q2"
    assert impact.owed_program_code == "Q1"
    assert impact.extra_place is True
    assert impact.others_unchanged


def test_end_to_end_score_appeal_gives_the_place_without_moving_anyone(published, officers, make):
    c = published["C"]
    main = published["round"]
    before = {name: placements_of(published[name]) for name in ("A", "B")}
    frozen = (main.input_snapshot, main.input_sha256, dict(main.result), main.published_at)
    # C appeals the score; officer 0 (who verified it) cannot decide; officer 1 can.
    appeal = file(c, subject="score", statement="My UNT total is 130, not 100: see certificate.")
    with pytest.raises(appeals.FourEyesRefused):
        appeals.assign_appeal(appeal, officers[0], by=officers[1])
    appeals.assign_appeal(appeal, officers[1], by=officers[1])
    correction = appeals.Correction.parse({"unt_total": "130"})
    appeals.decide_appeal(
        appeal, "upheld", "The UNT total was typed wrongly.", by=officers[1], correction=correction
    )
    db.session.commit()
    assert appeal.correction["owed"]["program_code"] == "P1"
    assert appeal.correction["competitive_score"] == {"old": "100.00", "new": "130.00"}
    assert appeals.owed_appeals(published["cycle"]) == [appeal]
    # The published round is untouched by the decision.
    assert main.status == RoundStatus.PUBLISHED
    assert (main.result or {}).get("assignments", {}).get(c.public_code) is None

    # The appeal round: started, run, reviewed and published like any round.
    appeal_round = appeals.start_appeal_round(published["cycle"], by=officers[1])
    db.session.commit()
    with pytest.raises(rounds.RoundAlreadyActive):
        rounds.start_round(
            published["cycle"], rounds.RoundParams(kind=RoundKind.SUPPLEMENTARY), by=officers[1]
        )
    db.session.rollback()
    appeals.run_appeal_round_job(appeal_round.id)
    appeal_round = db.session.get(type(appeal_round), appeal_round.id)
    assert appeal_round.status == RoundStatus.SOLVED, appeal_round.error
    assert appeal_round.kind == RoundKind.APPEAL
    assert appeal_round.certificate["ok"]
    assert appeal_round.result["stats"]["extra_places"] == 1
    third = make.user("ministry")
    assert appeals.publish_appeal_round(appeal_round, by=third) is True
    db.session.commit()
    assert appeals.publish_appeal_round(appeal_round, by=third) is False

    # C holds P1 on an extra place, flagged as coming from the appeal.
    placement = db.session.scalars(
        select(Placement).where(Placement.round_id == appeal_round.id)
    ).one()
    assert placement.application_id == c.id
    assert placement.program.code == "P1"
    assert placement.state == PlacementState.OFFERED
    assert placement.from_appeal and placement.extra_place
    db.session.refresh(c)
    assert c.status == S.PLACED
    # Everyone else is exactly where the published round put them.
    assert {name: placements_of(published[name]) for name in ("A", "B")} == before
    db.session.refresh(main)
    assert main.status == RoundStatus.PUBLISHED
    assert (main.input_snapshot, main.input_sha256, main.result, main.published_at) == frozen
    # The appeal is made good once, and extra places are reported per program and university.
    db.session.refresh(appeal)
    assert appeal.correction["made_good_round_id"] == appeal_round.id
    assert appeals.owed_appeals(published["cycle"]) == []
    report = appeals.extra_places_report(published["cycle"])
    assert report.total == 1
    assert [row[1:] for row in report.programs] == [("P1", 1)]
    assert report.universities[0][1] == 1
    with pytest.raises(ServiceError, match="No upheld appeal"):
        appeals.start_appeal_round(published["cycle"], by=officers[1])


def test_appeal_round_uses_a_free_place_before_an_extra_one(published, officers):
    # B declined P2; C's corrected 115 would have won P2 over B, and P2 is free again now.
    b_place = db.session.scalars(
        select(Placement).where(Placement.application_id == published["B"].id)
    ).one()
    b_place.state = PlacementState.DECLINED
    db.session.commit()
    appeal = file(published["C"], subject="score")
    correction = appeals.Correction.parse({"unt_total": "115"})
    appeals.decide_appeal(appeal, "upheld", "Typo.", by=officers[1], correction=correction)
    assert appeal.correction["owed"]["program_code"] == "P2"
    db.session.commit()
    appeal_round = appeals.start_appeal_round(published["cycle"], by=officers[1])
    db.session.commit()
    appeals.run_appeal_round_job(appeal_round.id)
    placement = db.session.scalars(
        select(Placement).where(Placement.round_id == appeal_round.id)
    ).one()
    assert placement.program.code == "P2"
    assert placement.from_appeal and not placement.extra_place


def test_eligibility_restored_joins_the_next_round(ineligible, officers):
    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "upheld", "Valid status.", by=officers[1])
    assert ineligible.status in rounds.participant_states(RoundKind.SUPPLEMENTARY)
    assert "owed" not in appeal.correction


def test_the_applicants_timeline_shows_the_appeal_and_its_reasons(ineligible, officers):
    from app.services import applications

    appeal = file(ineligible)
    appeals.decide_appeal(appeal, "upheld", "The document was valid.", by=officers[1])
    entries = applications.timeline(ineligible)
    labels = [e["label"] for e in entries]
    assert labels.index("Appeal filed") < labels.index("Appeal upheld")
    upheld = next(e for e in entries if e["label"] == "Appeal upheld")
    assert upheld["note"] == "The document was valid."
    assert labels[-1] == "Eligible" or "Eligible" in labels
    exported = applications.export_data(ineligible)["timeline"]
    assert {"appeal.file", "appeal.upheld"} <= {e["status"] for e in exported}


def test_nothing_is_owed_once_a_later_round_gave_the_place(published, officers, make):
    appeal = file(published["C"], subject="score")
    correction = appeals.Correction.parse({"unt_total": "130"})
    appeals.decide_appeal(appeal, "upheld", "Typo.", by=officers[1], correction=correction)
    db.session.commit()
    assert appeals.owed_appeals(published["cycle"]) == [appeal]
    later = make.round(published["cycle"], kind=RoundKind.SUPPLEMENTARY)
    make.placement(later, published["C"], published["P1"])
    assert appeals.owed_appeals(published["cycle"]) == []


def test_the_applicant_gets_a_receipt_when_filing(ineligible):
    appeal = file(ineligible)
    receipt = db.session.scalars(
        select(Notification).where(Notification.template == "appeal_received")
    ).all()
    assert {n.channel.value for n in receipt} == {"email", "portal"}
    assert f"/applicant/appeals/{appeal.id}" in receipt[0].body


def test_an_application_that_cannot_be_placed_again_is_not_owed(published, officers):
    appeal = file(published["C"], subject="score")
    correction = appeals.Correction.parse({"unt_total": "130"})
    appeals.decide_appeal(appeal, "upheld", "Typo.", by=officers[1], correction=correction)
    published["C"].status = S.WITHDRAWN
    db.session.commit()
    assert appeals.owed_appeals(published["cycle"]) == []
