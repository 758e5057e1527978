"""Appeals: the human safeguard over an automated or staff decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, utcnow

if TYPE_CHECKING:
    from app.models.application import Application
    from app.models.user import User


class AppealSubject(StrEnum):
    ELIGIBILITY = "eligibility"
    DOCUMENT = "document"
    SCORE = "score"
    PLACEMENT = "placement"


class AppealGround(StrEnum):
    FACTUAL_ERROR = "factual_error"
    DOCUMENT_WRONGLY_REJECTED = "document_wrongly_rejected"
    PROCEDURE_NOT_FOLLOWED = "procedure_not_followed"
    NEW_EVIDENCE = "new_evidence"


class AppealState(StrEnum):
    SUBMITTED = "submitted"
    IN_REVIEW = "in_review"
    UPHELD = "upheld"
    PARTLY_UPHELD = "partly_upheld"
    DISMISSED = "dismissed"
    WITHDRAWN = "withdrawn"


OPEN_APPEAL_SQL = "state IN ('submitted', 'in_review')"


class Appeal(Model):
    __table_args__ = (
        # One open appeal per decision.
        Index(
            "uq_appeal_one_open_per_decision",
            "application_id",
            "subject",
            "subject_ref",
            unique=True,
            sqlite_where=text(OPEN_APPEAL_SQL),
            postgresql_where=text(OPEN_APPEAL_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    subject: Mapped[AppealSubject] = mapped_column(enum_type(AppealSubject))
    # Which decision: a document id, a round id, or "" for the application's eligibility/score.
    subject_ref: Mapped[str] = mapped_column(String(40), default="")
    ground: Mapped[AppealGround] = mapped_column(enum_type(AppealGround))
    statement: Mapped[str] = mapped_column(Text)
    state: Mapped[AppealState] = mapped_column(
        enum_type(AppealState), default=AppealState.SUBMITTED, index=True
    )
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime())
    decide_by_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    declaration_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    assigned_to_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    # The correction applied when upheld, with old and new values.
    correction: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    application: Mapped[Application] = relationship()
    assigned_to: Mapped[User | None] = relationship(foreign_keys=[assigned_to_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
