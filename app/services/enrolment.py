"""Enrolment at the university: what an admissions office sees and the three things it decides.

An officer sees only placements of their own university's programs in PUBLISHED rounds. Of a
student who accepted, they confirm enrolment, decline with a coded reason the student sees, or
(after the enrolment deadline) report a no-show. A declined or no-show place returns to the
pool: `released_places(cycle)` tells the next round's builder how many places came back.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload

from app import labels
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Cycle,
    Placement,
    PlacementState,
    Program,
    ProgramQuota,
    Round,
    RoundStatus,
    User,
    utcnow,
)
from app.services import audit, workflow
from app.services.errors import InvalidInput, NotFound, ServiceError

P = PlacementState

# Coded reasons a university gives when it declines an accepted student; the student sees the
# text in their own language. Codes are stored in Placement.decline_reason with this prefix so
# they never mix with the applicant's own reasons for declining an offer.
DECLINE_REASONS = labels.DECLINE_REASON_TEXT
REASON_PREFIX = "university:"

# A place is held while offered, accepted or enrolled; it returns to the pool when declined,
# expired or not taken up. Supernumerary places (from upheld appeals) never return to the pool.
HELD_STATES = (P.OFFERED, P.ACCEPTED, P.ENROLLED)
RELEASED_STATES = (P.DECLINED, P.EXPIRED, P.NO_SHOW)
# What an officer may ever see: a placement that was shown to the student.
VISIBLE_STATES = (P.OFFERED, P.ACCEPTED, P.DECLINED, P.EXPIRED, P.ENROLLED, P.NO_SHOW)

DEFAULT_GRACE_DAYS = 14


class EnrolmentRefused(ServiceError):
    """The placement is not in a state that allows this enrolment decision."""


def decline_reason_label(code: str) -> str:
    """Return the reader's text for a stored decline reason (with or without the prefix)."""
    if code.startswith(REASON_PREFIX):
        return labels.coded(DECLINE_REASONS, code.removeprefix(REASON_PREFIX))
    if code in DECLINE_REASONS:  # a university code that lost its prefix
        return labels.coded(DECLINE_REASONS, code)
    return labels.coded(labels.APPLICANT_DECLINE_TEXT, code)


def enrolment_deadline(cycle: Cycle) -> datetime | None:
    """Return when late arrivals stop counting: study start plus ENROLMENT_GRACE_DAYS.

    None while the cycle has no study start date (no-shows cannot be reported then).
    """
    if cycle.starts_on is None:
        return None
    days = int(current_app.config.get("ENROLMENT_GRACE_DAYS", DEFAULT_GRACE_DAYS))
    return cycle.starts_on + timedelta(days=days)


# --- what the officer sees -------------------------------------------------------------------


def published_placements(
    university_id: int,
    *,
    program_id: int | None = None,
    round_id: int | None = None,
    states: tuple[PlacementState, ...] | None = None,
) -> Select[Placement]:
    """Build the query for one university's placements in published rounds (never others)."""
    query = (
        select(Placement)
        .join(Round, Placement.round_id == Round.id)
        .join(Program, Placement.program_id == Program.id)
        .join(Application, Placement.application_id == Application.id)
        .where(Program.university_id == university_id)
        .where(Round.status == RoundStatus.PUBLISHED)
        .where(Placement.state.in_(states or VISIBLE_STATES))
        .options(
            joinedload(Placement.application).joinedload(Application.applicant),
            joinedload(Placement.program),
            joinedload(Placement.round),
        )
        .order_by(
            Program.code,
            Round.number,
            Application.competitive_score.desc(),
            Placement.id,
        )
    )
    if program_id is not None:
        query = query.where(Placement.program_id == program_id)
    if round_id is not None:
        query = query.where(Placement.round_id == round_id)
    return query


def get_placement(placement_id: int, university_id: int) -> Placement:
    """Return the university's own published placement; anything else is NotFound (404)."""
    placement = db.session.scalar(
        published_placements(university_id).where(Placement.id == placement_id)
    )
    if placement is None:
        raise NotFound(_("There is no such student placement."))
    return placement


def get_program(program_id: int, university_id: int) -> Program:
    """Return one of the university's own programs; another university's is NotFound."""
    program = db.session.get(Program, program_id)
    if program is None or program.university_id != university_id:
        raise NotFound(_("There is no such program."))
    return program


def published_rounds(university_id: int) -> list[Round]:
    """Return the published rounds that placed anyone in the university's programs."""
    # Rounds carry JSON columns, which PostgreSQL cannot compare: filter by id, no DISTINCT.
    round_ids = (
        select(Placement.round_id)
        .join(Program, Placement.program_id == Program.id)
        .where(Program.university_id == university_id)
    )
    query = (
        select(Round)
        .where(Round.id.in_(round_ids))
        .where(Round.status == RoundStatus.PUBLISHED)
        .order_by(Round.cycle_id, Round.number)
    )
    return list(db.session.scalars(query))


# --- decisions -------------------------------------------------------------------------------


def _require_accepted(placement: Placement) -> None:
    if placement.state != P.ACCEPTED:
        raise EnrolmentRefused(
            _("Only a student who accepted the place can be enrolled, declined or reported.")
        )


def _record(by: User, action: str, placement: Placement, before: PlacementState) -> None:
    after = {"state": placement.state.value}
    if placement.decline_reason:
        after["decline_reason"] = placement.decline_reason
    audit.record(by, action, placement, before={"state": before.value}, after=after)


def confirm_enrolment(placement: Placement, *, by: User) -> Placement:
    """Mark an accepted student as enrolled; refuses any other state."""
    _require_accepted(placement)
    before = placement.state
    workflow.change_status(placement.application, ApplicationStatus.ENROLLED, by=by)
    placement.state = P.ENROLLED
    db.session.flush()
    _record(by, "placement.enrol", placement, before)
    return placement


def decline_enrolment(placement: Placement, reason: str, *, by: User) -> Placement:
    """Decline an accepted student with a coded reason; the place returns to the pool."""
    if reason not in DECLINE_REASONS:
        raise InvalidInput(_("Choose one of the listed reasons."))
    _require_accepted(placement)
    before = placement.state
    application = placement.application
    # The note is stored and sent in the student's language: it is their explanation.
    with force_locale(application.applicant.preferred_language or "en"):
        note = decline_reason_label(reason)
    workflow.change_status(application, ApplicationStatus.DECLINED, by=by, note=note)
    placement.state = P.DECLINED
    placement.decline_reason = REASON_PREFIX + reason
    placement.decided_at = utcnow()
    db.session.flush()
    _record(by, "placement.university_decline", placement, before)
    return placement


def mark_no_show(placement: Placement, *, by: User, now: datetime | None = None) -> Placement:
    """Report that an accepted student did not enrol; refused before the enrolment deadline."""
    _require_accepted(placement)
    deadline = enrolment_deadline(placement.round.cycle)
    now = now or utcnow()
    if deadline is None:
        raise EnrolmentRefused(
            _("The cycle has no study start date yet, so no-shows cannot be reported.")
        )
    if now < deadline:
        raise EnrolmentRefused(
            _(
                "A no-show can be reported only after the enrolment deadline (%(deadline)s).",
                deadline=deadline.date().isoformat(),
            )
        )
    before = placement.state
    workflow.change_status(placement.application, ApplicationStatus.NO_SHOW, by=by)
    placement.state = P.NO_SHOW
    placement.decided_at = now
    db.session.flush()
    _record(by, "placement.no_show", placement, before)
    return placement


# --- places for the next round ---------------------------------------------------------------


def _published_in(cycle: Cycle, states: tuple[PlacementState, ...]) -> Select[int, int]:
    return (
        select(Placement.program_id, Placement.application_id)
        .join(Round, Placement.round_id == Round.id)
        .where(Round.cycle_id == cycle.id)
        .where(Round.status == RoundStatus.PUBLISHED)
        .where(Placement.state.in_(states))
        .where(Placement.extra_place.is_(False))
        .distinct()
    )


def held_places(cycle: Cycle) -> dict[int, int]:
    """Count, per program, the students holding a place (offered, accepted or enrolled)."""
    counts: dict[int, int] = defaultdict(int)
    for program_id, _application_id in db.session.execute(_published_in(cycle, HELD_STATES)):
        counts[program_id] += 1
    return dict(counts)


def open_places(cycle: Cycle) -> dict[int, int]:
    """Return, per program with a quota in the cycle, the places nobody holds now."""
    places = dict(
        db.session.execute(
            select(ProgramQuota.program_id, ProgramQuota.places).where(
                ProgramQuota.cycle_id == cycle.id
            )
        ).all()
    )
    held = held_places(cycle)
    return {pid: max(0, total - held.get(pid, 0)) for pid, total in places.items()}


def released_places(cycle: Cycle) -> dict[int, int]:
    """Return, per program, the places given back (declined, expired, no-show) and still free.

    A place counts once: a student who gave it back and now holds it again is not counted, and
    a released place that a later published round filled again is free no more. Programs
    without a quota in the cycle are left out; so are supernumerary places from appeals.
    """
    held_pairs = {(pid, aid) for pid, aid in db.session.execute(_published_in(cycle, HELD_STATES))}
    released: dict[int, int] = defaultdict(int)
    for pid, aid in db.session.execute(_published_in(cycle, RELEASED_STATES)):
        if (pid, aid) not in held_pairs:
            released[pid] += 1
    free = open_places(cycle)
    return {pid: min(released.get(pid, 0), free[pid]) for pid in free}


def state_counts(university_id: int) -> dict[tuple[int, str], int]:
    """Count the university's published placements by (program id, state)."""
    query = (
        select(Placement.program_id, Placement.state, func.count(Placement.id))
        .join(Round, Placement.round_id == Round.id)
        .join(Program, Placement.program_id == Program.id)
        .where(Program.university_id == university_id)
        .where(Round.status == RoundStatus.PUBLISHED)
        .where(Placement.state.in_(VISIBLE_STATES))
        .group_by(Placement.program_id, Placement.state)
    )
    return {(pid, PlacementState(state).value): n for pid, state, n in db.session.execute(query)}
