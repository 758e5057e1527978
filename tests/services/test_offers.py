"""Offers: accept or decline before the deadline, reminders once, expiry; result explanations."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    ApplicationStatus,
    AuditEvent,
    Notification,
    NotificationChannel,
    PlacementState,
    RoundStatus,
    utcnow,
)
from app.services import offers
from app.services.errors import NotFound

S = ApplicationStatus


@pytest.fixture()
def offered(app_ctx, make):
    cycle = make.cycle()
    programs = [make.program(code=f"PR{i}") for i in range(3)]
    for p in programs:
        make.quota(cycle, p, places=1)
    application = make.application(
        make.user("applicant"), cycle, programs=programs, score=90, status=S.PLACED
    )
    round_ = make.round(cycle)
    placement = make.placement(round_, application, programs[2], choice_rank=3)
    return {
        "cycle": cycle,
        "programs": programs,
        "application": application,
        "round": round_,
        "placement": placement,
        "make": make,
    }


def actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action)))


def test_accept_before_the_deadline(offered):
    p = offered["placement"]
    offers.accept_offer(p, by=offered["application"].applicant)
    assert p.state == PlacementState.ACCEPTED and p.decided_at is not None
    assert offered["application"].status == S.ACCEPTED
    assert {"placement.accept", "application.accepted"} <= set(actions())


def test_decline_frees_the_place(offered):
    p = offered["placement"]
    offers.decline_offer(p, by=offered["application"].applicant, reason="moving")
    assert p.state == PlacementState.DECLINED and p.decline_reason == "moving"
    assert offered["application"].status == S.DECLINED
    assert "placement.decline" in actions()


@pytest.mark.parametrize("answer", [offers.accept_offer, offers.decline_offer])
def test_answering_after_the_deadline_is_refused(offered, answer):
    p = offered["placement"]
    p.offer_deadline_at = utcnow() - timedelta(seconds=1)
    with pytest.raises(offers.OfferClosed, match="deadline"):
        answer(p, by=offered["application"].applicant)
    assert p.state == PlacementState.OFFERED


@pytest.mark.parametrize("answer", [offers.accept_offer, offers.decline_offer])
def test_answering_twice_is_refused(offered, answer):
    p = offered["placement"]
    offers.accept_offer(p, by=offered["application"].applicant)
    with pytest.raises(offers.OfferClosed):
        answer(p, by=offered["application"].applicant)


@pytest.mark.parametrize("answer", [offers.accept_offer, offers.decline_offer])
def test_someone_elses_offer_is_not_found(offered, answer):
    with pytest.raises(NotFound):
        answer(offered["placement"], by=offered["make"].user("applicant"))


def test_an_unpublished_round_has_no_offer_to_answer(offered):
    offered["round"].status = RoundStatus.SOLVED
    with pytest.raises(NotFound):
        offers.accept_offer(offered["placement"], by=offered["application"].applicant)


def test_accepting_an_upgrade_gives_up_the_place_held(offered, make):
    a = offered["application"]
    held = offered["placement"]
    offers.accept_offer(held, by=a.applicant)
    later = make.round(offered["cycle"], kind="supplementary")
    from app.services import workflow

    workflow.change_status(a, S.PLACED, by=None)
    upgrade = make.placement(later, a, offered["programs"][0], choice_rank=1)
    offers.accept_offer(upgrade, by=a.applicant)
    assert held.state == PlacementState.SUPERSEDED
    assert a.status == S.ACCEPTED


def test_declining_an_upgrade_keeps_the_place_held(offered, make):
    a = offered["application"]
    held = offered["placement"]
    offers.accept_offer(held, by=a.applicant)
    from app.services import workflow

    workflow.change_status(a, S.PLACED, by=None)
    upgrade = make.placement(make.round(offered["cycle"]), a, offered["programs"][0], choice_rank=1)
    offers.decline_offer(upgrade, by=a.applicant)
    assert held.state == PlacementState.ACCEPTED
    assert a.status == S.ACCEPTED


def test_expire_overdue_releases_and_tells_the_applicant(offered):
    p = offered["placement"]
    p.offer_deadline_at = utcnow() - timedelta(minutes=1)
    assert offers.expire_overdue() == 1
    assert p.state == PlacementState.EXPIRED
    assert offered["application"].status == S.EXPIRED
    templates = db.session.scalars(select(Notification.template)).all()
    assert "offer_expired" in templates
    assert offers.expire_overdue() == 0  # only once


def test_expire_leaves_offers_still_running(offered):
    assert offers.expire_overdue() == 0
    assert offered["placement"].state == PlacementState.OFFERED


def test_reminders_go_once_shortly_before_the_deadline(offered):
    p = offered["placement"]
    now = utcnow()
    p.offer_deadline_at = now + timedelta(days=5)
    assert offers.send_reminders(now) == 0
    p.offer_deadline_at = now + timedelta(hours=20)
    assert offers.send_reminders(now) == 1
    assert p.reminder_sent_at == now
    assert offers.send_reminders(now) == 0
    mails = db.session.scalars(
        select(Notification).where(
            Notification.template == "offer_reminder",
            Notification.channel == NotificationChannel.EMAIL,
        )
    ).all()
    assert len(mails) == 1 and "accept or decline" in mails[0].body


def test_no_reminder_for_an_answered_offer(offered):
    p = offered["placement"]
    p.offer_deadline_at = utcnow() + timedelta(hours=2)
    offers.accept_offer(p, by=offered["application"].applicant)
    assert offers.send_reminders() == 0


def test_outcome_explains_each_higher_choice(offered):
    a = offered["application"]
    a.competitive_score = Decimal("90")
    p0, p1, p2 = offered["programs"]
    offered["round"].result = {
        "assignments": {a.public_code: p2.code},
        "cutoffs": {
            p0.code: {"score": 101.5, "full": True},
            p1.code: {"score": 90, "full": True},
            p2.code: {"score": 80, "full": False},
        },
    }
    result = offers.outcome(a)
    assert result.placement.id == offered["placement"].id
    assert [o.choice.program_id for o in result.higher] == [p0.id, p1.id]
    assert result.higher[0].cutoff == "101.50"
    assert "yours is 90" in result.higher[0].reason
    assert "same score" in result.higher[1].reason


def test_outcome_explains_minimum_scores_and_free_places(offered):
    a = offered["application"]
    p0, p1, _ = offered["programs"]
    offered["placement"].state = PlacementState.DECLINED
    offered["round"].result = {
        "assignments": {a.public_code: None},
        "cutoffs": {p0.code: {"score": None, "full": False}, p1.code: {"score": 50, "full": True}},
        "exclusions": {a.public_code: {p1.code: "below_min_score"}},
    }
    db.session.delete(offered["placement"])
    db.session.flush()
    result = offers.outcome(a)
    assert result.placement is None
    reasons = [o.reason for o in result.higher]
    assert "shared limit" in reasons[0]
    assert "minimum score" in reasons[1]
    assert "not part of the round" in reasons[2]


def test_no_outcome_before_a_round_is_published(offered):
    offered["round"].status = RoundStatus.SOLVED
    assert offers.outcome(offered["application"]) is None


def test_the_periodic_job_reminds_and_expires(offered, make):
    from app import jobs

    offered["placement"].offer_deadline_at = utcnow() - timedelta(minutes=5)
    other = make.application(make.user("applicant"), offered["cycle"], status=S.PLACED)
    soon = make.placement(offered["round"], other, offered["programs"][0])
    soon.offer_deadline_at = utcnow() + timedelta(hours=3)
    db.session.commit()
    assert jobs.offer_deadlines.call_local() == (1, 1)
    assert offered["placement"].state == PlacementState.EXPIRED
    assert soon.reminder_sent_at is not None


def test_outcome_for_someone_not_in_the_round(offered):
    a = offered["application"]
    db.session.delete(offered["placement"])
    offered["round"].result = {"assignments": {"U-SOMEONE": None}, "cutoffs": {}}
    db.session.flush()
    result = offers.outcome(a)
    assert result.took_part is False and result.higher == []
