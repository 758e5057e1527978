"""The application state machine: allowed moves, refusals, timeline, audit, notifications."""

from __future__ import annotations

import pytest

from app.models import ApplicationStatus as S
from app.models import AuditEvent, Notification, NotificationChannel
from app.services import workflow
from app.services.workflow import ALLOWED, TransitionRefused, change_status


def test_every_status_has_a_rule_and_a_plain_meaning(app_ctx):
    assert set(ALLOWED) == set(S)
    for status in S:
        assert workflow.status_label(status)
        assert workflow.status_meaning(status)


@pytest.mark.parametrize(
    ("start", "to"),
    [(a, b) for a, targets in ALLOWED.items() for b in sorted(targets)],
)
def test_allowed_moves_are_recorded(app_ctx, make, start, to):
    application = make.application(status=start)
    change = change_status(application, to, by=None, note="n")
    assert application.status == to
    assert change.from_status == start and change.to_status == to


@pytest.mark.parametrize(
    ("start", "to"),
    [(a, b) for a in S for b in S if b not in ALLOWED[a]][:60],
)
def test_other_moves_are_refused_and_change_nothing(app_ctx, make, start, to):
    application = make.application(status=start)
    with pytest.raises(TransitionRefused):
        change_status(application, to, by=None)
    assert application.status == start


def test_withdrawn_is_reachable_from_every_state_before_enrolment(app_ctx):
    for status in S:
        if status not in (S.ENROLLED, S.NO_SHOW, S.WITHDRAWN):
            assert S.WITHDRAWN in ALLOWED[status], status


def test_applicant_is_told_but_internal_moves_stay_internal(app_ctx, make):
    from sqlalchemy import select

    from app.extensions import db

    application = make.application(status=S.SUBMITTED)
    staff = make.user("ministry")
    internal = change_status(application, S.IN_REVIEW, by=staff)
    assert internal.visible is False
    change_status(application, S.ELIGIBLE, by=staff)
    notes = db.session.scalars(select(Notification)).all()
    assert {n.channel for n in notes} == {NotificationChannel.EMAIL, NotificationChannel.PORTAL}
    assert all(n.payload["status"] == "eligible" for n in notes)
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["application.in_review", "application.eligible"]
