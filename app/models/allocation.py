"""Allocation rounds and the placements they produce."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, json_default_dict, utcnow

if TYPE_CHECKING:
    from app.models.application import Application
    from app.models.cycle import Cycle
    from app.models.university import Program
    from app.models.user import User


class RoundKind(StrEnum):
    MAIN = "main"
    SUPPLEMENTARY = "supplementary"
    APPEAL = "appeal"


class RoundStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SOLVED = "solved"
    INFEASIBLE = "infeasible"
    FAILED = "failed"
    PUBLISHED = "published"
    SUPERSEDED = "superseded"


ACTIVE_ROUND_SQL = "status IN ('queued', 'running')"


class Round(Model):
    __table_args__ = (
        UniqueConstraint("cycle_id", "number", name="uq_round_cycle_number"),
        # The real guard against two rounds at once, also under concurrent clicks.
        Index(
            "uq_round_one_active_per_cycle",
            "cycle_id",
            unique=True,
            sqlite_where=text(ACTIVE_ROUND_SQL),
            postgresql_where=text(ACTIVE_ROUND_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    number: Mapped[int] = mapped_column()
    kind: Mapped[RoundKind] = mapped_column(enum_type(RoundKind))
    status: Mapped[RoundStatus] = mapped_column(enum_type(RoundStatus), default=RoundStatus.QUEUED)
    dry_run: Mapped[bool] = mapped_column(default=True)
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=json_default_dict)
    progress: Mapped[int] = mapped_column(default=0)
    progress_note: Mapped[str] = mapped_column(String(200), default="")
    input_snapshot: Mapped[str | None] = mapped_column(Text)
    input_sha256: Mapped[str | None] = mapped_column(String(64))
    solver_version: Mapped[str] = mapped_column(String(40), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    cycle: Mapped[Cycle] = relationship(back_populates="rounds")
    started_by: Mapped[User | None] = relationship(foreign_keys=[started_by_id])
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])
    placements: Mapped[list[Placement]] = relationship(
        back_populates="round", cascade="all, delete-orphan"
    )


class PlacementState(StrEnum):
    PROPOSED = "proposed"  # in a solved round not yet published
    OFFERED = "offered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    EXPIRED = "expired"
    ENROLLED = "enrolled"
    NO_SHOW = "no_show"
    SUPERSEDED = "superseded"  # replaced by a better place in a later round


class Placement(Model):
    __table_args__ = (
        UniqueConstraint("round_id", "application_id", name="uq_placement_round_application"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id"), index=True)
    program_id: Mapped[int] = mapped_column(ForeignKey("program.id"), index=True)
    choice_rank: Mapped[int] = mapped_column()
    state: Mapped[PlacementState] = mapped_column(
        enum_type(PlacementState), default=PlacementState.PROPOSED, index=True
    )
    offer_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reminder_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decline_reason: Mapped[str] = mapped_column(String(40), default="")
    from_appeal: Mapped[bool] = mapped_column(default=False)
    extra_place: Mapped[bool] = mapped_column(default=False)

    round: Mapped[Round] = relationship(back_populates="placements")
    application: Mapped[Application] = relationship()
    program: Mapped[Program] = relationship()
