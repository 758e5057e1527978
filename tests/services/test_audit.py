"""The audit log is hash-chained: editing or removing an entry is detected."""

from __future__ import annotations

from sqlalchemy import text

from app.extensions import db
from app.services import audit


def test_chain_verifies_and_detects_edits_and_removals(app_ctx, make):
    user = make.user("ministry")
    for i in range(4):
        audit.record(user, "thing.done", ("thing", i), after={"n": i})
    db.session.commit()
    assert audit.verify_chain() == []
    db.session.execute(text("UPDATE audit_event SET action = 'thing.undone' WHERE object_id = '1'"))
    db.session.commit()
    assert any("edited" in p for p in audit.verify_chain())
    db.session.execute(text("UPDATE audit_event SET action = 'thing.done' WHERE object_id = '1'"))
    db.session.execute(text("DELETE FROM audit_event WHERE object_id = '2'"))
    db.session.commit()
    assert any("missing" in p for p in audit.verify_chain())


def test_record_keeps_who_what_and_when(app_ctx, make):
    user = make.user("ministry")
    event = audit.record(
        user, "cycle.open", ("cycle", 7), before={"s": "draft"}, after={"s": "open"}
    )
    assert event.actor_id == user.id and event.actor_label == user.email
    assert event.object_type == "cycle" and event.object_id == "7"
    assert event.at.tzinfo is not None
