"""Queries behind the audit log viewer: filter by person, object and action."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, select

from app.extensions import db
from app.models import AuditEvent

PAGE_SIZE = 50


@dataclass
class AuditFilter:
    person: str = ""  # part of the actor's e-mail, or "system"
    object_type: str = ""
    object_id: str = ""
    action: str = ""  # an exact action or a prefix such as "round."

    def query(self) -> Select[AuditEvent]:
        query = select(AuditEvent)
        if self.person.strip():
            query = query.where(
                AuditEvent.actor_label.ilike(f"%{_escape(self.person)}%", escape="\\")
            )
        if self.object_type.strip():
            query = query.where(AuditEvent.object_type == self.object_type.strip().lower())
        if self.object_id.strip():
            query = query.where(AuditEvent.object_id == self.object_id.strip())
        if self.action.strip():
            action = self.action.strip()
            query = query.where(AuditEvent.action.like(f"{_escape(action)}%", escape="\\"))
        return query.order_by(AuditEvent.id.desc())


def _escape(text: str) -> str:
    return text.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search(flt: AuditFilter, page: int = 1):  # type: ignore[no-untyped-def]
    """Return one page of matching audit entries, newest first (a Flask-SQLAlchemy Pagination)."""
    return db.paginate(flt.query(), page=max(page, 1), per_page=PAGE_SIZE, error_out=False)


def object_types() -> list[str]:
    """Return the kinds of object that appear in the log, for the filter's choices."""
    return sorted(set(db.session.scalars(select(AuditEvent.object_type).distinct())))
