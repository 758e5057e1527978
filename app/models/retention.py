"""What is left of purged applications: anonymised counts, never a person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import Model
from app.models.base import UTCDateTime, utcnow


class PurgedCount(Model):
    """How many purged applications of a cycle shared these coarse traits.

    One row per combination; purging adds to `count`. Only categories are kept (final status,
    gender, country of origin, protection category, education route, why it was purged): no
    names, dates, numbers or scores, and no link to an account. Shown publicly only with the
    "<5" rule like every other statistic.
    """

    __table_args__ = (
        UniqueConstraint(
            "cycle_id",
            "final_status",
            "gender",
            "country_of_origin",
            "protection_status",
            "education_route",
            "reason",
            name="uq_purged_count_traits",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("cycle.id"), index=True)
    final_status: Mapped[str] = mapped_column(String(32))
    gender: Mapped[str] = mapped_column(String(4), default="")
    country_of_origin: Mapped[str] = mapped_column(String(2), default="")
    protection_status: Mapped[str] = mapped_column(String(32), default="")
    education_route: Mapped[str] = mapped_column(String(32), default="")
    # "draft_expired", "retention_period" or "erasure_request".
    reason: Mapped[str] = mapped_column(String(32))
    count: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
