"""Universities propose next cycle's places per program; the ministry approves or edits them.

A proposal lives on the program's quota row of the cycle being prepared (the newest cycle whose
rules are not yet locked): `ProgramQuota.proposed_places` holds the university's figure and
`places` the approved one. Approval copies the ministry's figure into `places` and clears the
proposal; both steps are audited.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import Cycle, CycleStatus, Program, ProgramQuota, User, UserRole
from app.services import audit
from app.services.errors import InvalidInput, NotFound, PermissionDenied, ServiceError

MAX_PLACES = 1000


class ProposalsClosed(ServiceError):
    """The cycle's rules (and so its places) are locked."""


def proposal_cycle() -> Cycle | None:
    """Return the cycle being prepared: the newest draft or open cycle with unlocked rules."""
    query = (
        select(Cycle)
        .where(Cycle.status.in_((CycleStatus.DRAFT, CycleStatus.OPEN)))
        .where(Cycle.rules_locked_at.is_(None))
        .order_by(Cycle.application_opens_at.desc(), Cycle.id.desc())
        .limit(1)
    )
    return db.session.scalar(query)


def proposals_for(university_id: int, cycle: Cycle) -> list[tuple[Program, ProgramQuota | None]]:
    """Return each of the university's programs with its quota row in `cycle` (if any)."""
    programs = db.session.scalars(
        select(Program).where(Program.university_id == university_id).order_by(Program.code)
    ).all()
    quotas = {
        q.program_id: q
        for q in db.session.scalars(
            select(ProgramQuota)
            .where(ProgramQuota.cycle_id == cycle.id)
            .where(ProgramQuota.program_id.in_([p.id for p in programs]))
        )
    }
    return [(p, quotas.get(p.id)) for p in programs]


def _check_places(places: int) -> None:
    if not 0 <= places <= MAX_PLACES:
        raise InvalidInput(_("Places must be a whole number from 0 to %(n)d.", n=MAX_PLACES))


def _check_open(cycle: Cycle) -> None:
    if cycle.rules_locked_at is not None or cycle.status not in (
        CycleStatus.DRAFT,
        CycleStatus.OPEN,
    ):
        raise ProposalsClosed(_("The places of this cycle are fixed: its allocation has started."))


def propose_places(program: Program, cycle: Cycle, places: int, *, by: User) -> ProgramQuota:
    """Record the university's proposed places for `program` in `cycle`.

    Refuses another university's program (NotFound), a cycle whose places are fixed, and
    numbers outside 0..MAX_PLACES.
    """
    if by.role != UserRole.UNIVERSITY or program.university_id != by.university_id:
        raise NotFound(_("There is no such program."))
    _check_open(cycle)
    _check_places(places)
    quota = db.session.scalar(
        select(ProgramQuota)
        .where(ProgramQuota.cycle_id == cycle.id)
        .where(ProgramQuota.program_id == program.id)
    )
    if quota is None:
        quota = ProgramQuota(cycle_id=cycle.id, program_id=program.id, places=0)
        db.session.add(quota)
    before = {"proposed_places": quota.proposed_places}
    quota.proposed_places = places
    db.session.flush()
    audit.record(by, "quota.propose", quota, before=before, after={"proposed_places": places})
    return quota


def approve_proposal(quota: ProgramQuota, places: int, *, by: User) -> ProgramQuota:
    """Set the program's places in the cycle to `places` (the proposal, or the ministry's edit).

    Only ministry staff and admins may approve; refuses when the cycle's places are fixed.
    """
    if by.role not in (UserRole.MINISTRY, UserRole.ADMIN):
        raise PermissionDenied(_("Only the ministry approves places."))
    _check_open(quota.cycle)
    _check_places(places)
    before = {"places": quota.places, "proposed_places": quota.proposed_places}
    quota.places = places
    quota.proposed_places = None
    db.session.flush()
    audit.record(by, "quota.approve_proposal", quota, before=before, after={"places": places})
    return quota


def pending_proposals(cycle: Cycle) -> list[ProgramQuota]:
    """Return the quota rows of `cycle` with a proposal waiting for the ministry."""
    query = (
        select(ProgramQuota)
        .join(Program, ProgramQuota.program_id == Program.id)
        .where(ProgramQuota.cycle_id == cycle.id)
        .where(ProgramQuota.proposed_places.is_not(None))
        .order_by(Program.code)
    )
    return list(db.session.scalars(query))
