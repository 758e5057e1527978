"""One function that records every state change, in the caller's transaction."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from flask import g, has_request_context
from sqlalchemy import select, text

from app.extensions import db
from app.models import AuditEvent, User, utcnow

GENESIS_HASH = "0" * 64


def _object_ref(obj: Any) -> tuple[str, str]:
    if isinstance(obj, tuple):
        return str(obj[0]), str(obj[1])
    return type(obj).__name__.lower(), str(getattr(obj, "id", ""))


def entry_digest(prev_hash: str, event: AuditEvent) -> str:
    """Hash an entry's content together with the previous entry's hash (the chain link)."""
    content = {
        "at": event.at.isoformat(),
        "actor_id": event.actor_id,
        "actor_label": event.actor_label,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "before": event.before,
        "after": event.after,
        "request_id": event.request_id,
    }
    payload = prev_hash + json.dumps(content, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    # Serialise appends on PostgreSQL so two transactions never fork the chain.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(727001)"))


def record(
    actor: User | None,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> AuditEvent:
    """Append an audit entry for `action` on `obj` by `actor`; flushed, not committed."""
    object_type, object_id = _object_ref(obj)
    if object_id == "":
        db.session.flush()
        object_type, object_id = _object_ref(obj)
    _lock_chain()
    prev_hash = db.session.scalar(
        select(AuditEvent.entry_hash).order_by(AuditEvent.id.desc()).limit(1)
    )
    event = AuditEvent(
        at=at or utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor.email if actor is not None else "system",
        action=action,
        object_type=object_type,
        object_id=object_id,
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=g.get("request_id", "") if has_request_context() else "",
        prev_hash=prev_hash or GENESIS_HASH,
    )
    event.entry_hash = entry_digest(event.prev_hash, event)
    db.session.add(event)
    db.session.flush()
    return event


def _jsonable(data: dict[str, Any] | None) -> dict[str, Any] | None:
    if data is None:
        return None
    plain: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return plain


def verify_chain() -> list[str]:
    """Return a description of every broken link; an empty list means the log is intact."""
    problems: list[str] = []
    prev = GENESIS_HASH
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        if event.prev_hash != prev:
            problems.append(f"entry {event.id}: previous entry missing or changed")
        if entry_digest(event.prev_hash, event) != event.entry_hash:
            problems.append(f"entry {event.id}: content was edited")
        prev = event.entry_hash
    return problems
