"""A yearly cycle of the quota: its window, rules, limits and the committed lottery seed."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, json_default_dict, json_default_list, utcnow

if TYPE_CHECKING:
    from app.models.allocation import Round
    from app.models.university import ProgramQuota


class CycleStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    ALLOCATING = "allocating"
    FINISHED = "finished"


DEFAULT_SCORE_FORMULA: dict[str, Any] = {
    "components": {"unt_total": 1.0},
    "description": "competitive score = UNT total (0–140)",
}
DEFAULT_ELIGIBILITY: dict[str, Any] = {
    "protection_statuses": ["refugee", "asylum_seeker"],
    "require_secondary_school": True,
}


class Cycle(Model):
    __table_args__ = (
        CheckConstraint("max_choices BETWEEN 1 AND 16", name="max_choices_range"),
        CheckConstraint("appeal_window_days >= 0", name="appeal_window_ok"),
        CheckConstraint("acceptance_window_days >= 1", name="acceptance_window_ok"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    status: Mapped[CycleStatus] = mapped_column(enum_type(CycleStatus), default=CycleStatus.DRAFT)
    starts_on: Mapped[datetime | None] = mapped_column(UTCDateTime())
    application_opens_at: Mapped[datetime] = mapped_column(UTCDateTime())
    application_closes_at: Mapped[datetime] = mapped_column(UTCDateTime())
    appeal_window_days: Mapped[int] = mapped_column(default=10)
    acceptance_window_days: Mapped[int] = mapped_column(default=7)
    max_choices: Mapped[int] = mapped_column(default=4)
    # {"components": {"unt_total": 1.0, "gpa": 10}, "description": "..."}: a weighted sum.
    score_formula: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: dict(DEFAULT_SCORE_FORMULA)
    )
    # Score components compared in order when competitive scores tie, highest first.
    tiebreak_chain: Mapped[list[str]] = mapped_column(JSON, default=json_default_list)
    eligibility_rules: Mapped[dict[str, Any]] = mapped_column(
        JSON, default=lambda: dict(DEFAULT_ELIGIBILITY)
    )
    lottery_seed: Mapped[int | None] = mapped_column(BigInteger)
    seed_committed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    rules_locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    total_quota: Mapped[int | None] = mapped_column()
    budget: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    university_caps: Mapped[dict[str, Any]] = mapped_column(JSON, default=json_default_dict)
    field_caps: Mapped[dict[str, Any]] = mapped_column(JSON, default=json_default_dict)
    # [{"group": "gender=F", "at_least_share": 0.4, "rule": "bonus"}]
    minimums: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=json_default_list)
    retention_months: Mapped[int] = mapped_column(default=24)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    quotas: Mapped[list[ProgramQuota]] = relationship(back_populates="cycle")
    rounds: Mapped[list[Round]] = relationship(back_populates="cycle", order_by="Round.number")

    @property
    def rules_locked(self) -> bool:
        return self.rules_locked_at is not None

    def accepts_applications(self, now: datetime) -> bool:
        """Say whether an applicant may still submit at `now`."""
        return (
            self.status == CycleStatus.OPEN
            and self.application_opens_at <= now < self.application_closes_at
        )
