"""Publication moves applications in bulk (`rounds.move_applications`) for speed; it must write
exactly what `workflow.change_status` writes for each one, so the two can never drift apart."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    Notification,
    StatusChange,
    User,
)
from app.services import audit, rounds, workflow

S = ApplicationStatus


def _twins(make: Any, start: ApplicationStatus, language: str) -> tuple[int, int, User]:
    cycle = make.cycle()
    officer = make.user("ministry")
    one = make.application(make.user("applicant", preferred_language=language), cycle, status=start)
    two = make.application(make.user("applicant", preferred_language=language), cycle, status=start)
    return one.id, two.id, officer


def _record(app_id: int) -> dict[str, Any]:
    """Everything a move wrote about one application, with its own ids and times taken out."""
    application = db.session.get(Application, app_id)
    user = application.applicant

    def same(text: str) -> str:
        text = re.sub(rf"(?<![\d.]){app_id}(?![\d.])", "<id>", text)
        return text.replace(user.full_name, "<name>")

    changes = db.session.scalars(
        select(StatusChange).where(StatusChange.application_id == app_id)
    ).all()
    events = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.object_type == "application", AuditEvent.object_id == str(app_id)
        )
    ).all()
    messages = db.session.scalars(
        select(Notification).where(Notification.recipient_id == user.id).order_by(Notification.id)
    ).all()
    return {
        "status": application.status,
        "version": application.version,
        "changed_at_set": application.status_changed_at is not None,
        "timeline": [(c.from_status, c.to_status, c.note, c.visible, c.by_id) for c in changes],
        "audit": [
            (e.action, e.actor_id, e.actor_label, e.before, e.after, bool(e.entry_hash))
            for e in events
        ],
        "messages": [
            (
                m.channel,
                m.template,
                m.language,
                m.state,
                same(m.subject),
                same(m.body),
                {k: v if k != "application_id" else "<id>" for k, v in m.payload.items()},
                m.to_address == user.email or m.to_address == "",
            )
            for m in messages
        ],
    }


@pytest.mark.parametrize(
    ("start", "to", "note", "language"),
    [
        (S.ELIGIBLE, S.PLACED, "Offered: Computer science", "en"),
        (S.ELIGIBLE, S.NOT_PLACED, "", "fa_AF"),
        (S.ACCEPTED, S.PLACED, "Moved up to your second choice", "ru"),
    ],
)
def test_bulk_moves_write_what_change_status_writes(app_ctx, make, start, to, note, language):
    one, two, officer = _twins(make, start, language)
    by = db.session.get(User, officer.id)

    workflow.change_status(db.session.get(Application, one), to, by=by, note=note)
    rounds.move_applications([(two, to)], by=by, note=note)
    db.session.commit()

    assert _record(one) == _record(two)
    assert audit.verify_chain() == []
