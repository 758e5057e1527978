"""Figures for the ministry dashboard: (label, count) pairs for a chart and its table."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import func, select

from app.extensions import db
from app.models import (
    Appeal,
    AppealState,
    Application,
    ApplicationStatus,
    FieldGroup,
    Gender,
    Placement,
    PlacementState,
    Program,
    Round,
    RoundStatus,
    University,
)
from app.services import verification

FILLED = (PlacementState.OFFERED, PlacementState.ACCEPTED, PlacementState.ENROLLED)


@dataclass
class Series:
    """One chart: an id for the canvas, a title, and parallel labels and values."""

    key: str
    title: str
    labels: list[str]
    values: list[int]

    def as_chart(self) -> dict[str, Any]:
        # Parallel lists, not a dict: Flask's tojson would sort dict keys.
        return {"labels": self.labels, "values": self.values, "title": self.title}

    @property
    def rows(self) -> list[tuple[str, int]]:
        return list(zip(self.labels, self.values, strict=True))


def _pairs(rows: Any) -> tuple[list[str], list[int]]:
    items = [(str(getattr(k, "value", k) if k is not None else "—"), int(n)) for k, n in rows]
    return [k for k, _n in items], [n for _k, n in items]


def _cycle_filter(query: Any, cycle_id: int | None) -> Any:
    return query.where(Application.cycle_id == cycle_id) if cycle_id else query


def applications_by_state(cycle_id: int | None = None) -> list[tuple[str, int]]:
    """Count applications per state, in the order of the state machine."""
    rows = db.session.execute(
        _cycle_filter(
            select(Application.status, func.count()).group_by(Application.status), cycle_id
        )
    ).all()
    counts = {status: n for status, n in rows}
    return [(s.value, counts[s]) for s in ApplicationStatus if counts.get(s)]


def applications_by_day(cycle_id: int | None = None) -> list[tuple[str, int]]:
    """Count submitted applications per day of submission."""
    stamps = db.session.scalars(
        _cycle_filter(
            select(Application.submitted_at).where(Application.submitted_at.is_not(None)),
            cycle_id,
        )
    )
    days: Counter[date] = Counter(
        s.date() if isinstance(s, datetime) else s for s in stamps if s is not None
    )
    return [(d.isoformat(), n) for d, n in sorted(days.items())]


def _placements_query(cycle_id: int | None) -> Any:
    query = (
        select(Placement.program_id)
        .join(Round, Placement.round_id == Round.id)
        .where(Round.status == RoundStatus.PUBLISHED, Placement.state.in_(FILLED))
    )
    if cycle_id:
        query = query.where(Round.cycle_id == cycle_id)
    return query


def places_by_field(cycle_id: int | None = None) -> list[tuple[str, int]]:
    """Count places offered, accepted or enrolled per field group code."""
    sub = _placements_query(cycle_id).subquery()
    key = Program.field_group
    rows = db.session.execute(
        select(key, func.count())
        .select_from(sub)
        .join(Program, Program.id == sub.c.program_id)
        .group_by(key)
        .order_by(key)
    ).all()
    return [(str(getattr(k, "value", k)), int(n)) for k, n in rows]


def places_by_university(cycle_id: int | None = None, lang: str = "en") -> list[tuple[str, int]]:
    """Count places offered, accepted or enrolled per university, named in the reader's language.

    Staff read the chart and the statistics export; a short code like "KAZNU" means little to a
    reader outside the ministry, and two universities could share an abbreviation.
    """
    sub = _placements_query(cycle_id).subquery()
    rows = db.session.execute(
        select(University, func.count())
        .select_from(sub)
        .join(Program, Program.id == sub.c.program_id)
        .join(University, University.id == Program.university_id)
        .group_by(University.id)
    ).all()
    return sorted((university.name(lang), int(n)) for university, n in rows)


def gender_balance(cycle_id: int | None = None) -> list[tuple[str, int]]:
    """Count eligible-or-later applicants and placed applicants by gender."""
    later = [
        ApplicationStatus.ELIGIBLE,
        ApplicationStatus.PLACED,
        ApplicationStatus.NOT_PLACED,
        ApplicationStatus.ACCEPTED,
        ApplicationStatus.ENROLLED,
    ]
    rows = db.session.execute(
        _cycle_filter(
            select(Application.gender, func.count())
            .where(Application.status.in_(later))
            .group_by(Application.gender),
            cycle_id,
        )
    ).all()
    return [(str(g.value if g is not None else "—"), int(n)) for g, n in rows]


def appeals_by_state(cycle_id: int | None = None) -> list[tuple[str, int]]:
    """Count appeals per state."""
    query = select(Appeal.state, func.count()).group_by(Appeal.state)
    if cycle_id:
        query = query.join(Application, Appeal.application_id == Application.id).where(
            Application.cycle_id == cycle_id
        )
    return [(s.value, int(n)) for s, n in db.session.execute(query).all()]


def overview(cycle_id: int | None = None) -> list[Series]:
    """Return every dashboard chart for one cycle (or all cycles)."""
    from flask_babel import get_locale
    from flask_babel import gettext as _

    def series(key: str, title: str, rows: list[tuple[str, int]]) -> Series:
        return Series(key, title, [r[0] for r in rows], [r[1] for r in rows])

    from app.labels import label

    def labelled(
        rows: list[tuple[str, int]], enum: type[StrEnum] = ApplicationStatus
    ) -> list[tuple[str, int]]:
        # The charts and the statistics export show people the label, never the stored code.
        return [(label(enum(k)) if k in {e.value for e in enum} else k, n) for k, n in rows]

    return [
        series("by-state", _("Applications by state"), labelled(applications_by_state(cycle_id))),
        series("by-day", _("Applications submitted by day"), applications_by_day(cycle_id)),
        series(
            "backlog", _("Verification backlog"), labelled(list(verification.backlog().items()))
        ),
        series(
            "by-university",
            _("Places filled by university"),
            places_by_university(cycle_id, str(get_locale())),
        ),
        series(
            "by-field",
            _("Places filled by field"),
            labelled(places_by_field(cycle_id), FieldGroup),
        ),
        series(
            "gender",
            _("Gender balance (eligible and later)"),
            labelled(gender_balance(cycle_id), Gender),
        ),
        series("appeals", _("Appeals by state"), labelled(appeals_by_state(cycle_id), AppealState)),
    ]


def statistics_rows(cycle_id: int | None = None) -> list[dict[str, Any]]:
    """Flatten the dashboard for export; counts of 1–4 become "<5"."""
    from app.services.exports import small

    rows = []
    for s in overview(cycle_id):
        for label, value in s.rows:
            rows.append({"chart": s.title, "label": label, "count": small(value)})
    return rows
