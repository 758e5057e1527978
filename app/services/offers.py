"""Offers of a place: accept or decline before the deadline, reminders, expiry; result pages.

A placement is offered when the ministry publishes a round (issue 5 writes those rows). Here
the applicant answers it, and a periodic job reminds and then releases offers left unanswered.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Choice,
    Placement,
    PlacementState,
    ProgramQuota,
    Round,
    RoundStatus,
    User,
    utcnow,
)
from app.services import audit, notifications, workflow
from app.services.errors import NotFound, ServiceError

S = ApplicationStatus
DEFAULT_REMINDER_HOURS = 48


class OfferClosed(ServiceError):
    """The offer cannot be answered any more (already answered, expired, or past deadline)."""


def _check_answerable(placement: Placement, by: User, now: datetime) -> None:
    application = placement.application
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such offer."))
    if placement.round.status != RoundStatus.PUBLISHED:
        raise NotFound(_("There is no such offer."))
    if placement.state != PlacementState.OFFERED:
        raise OfferClosed(_("This offer was already answered or has been released."))
    if placement.offer_deadline_at is not None and now >= placement.offer_deadline_at:
        raise OfferClosed(_("The deadline to answer this offer has passed."))
    if application.status != S.PLACED:
        raise OfferClosed(_("Your application cannot take up an offer in its current state."))


def _held_place(application: Application, other_than: Placement) -> Placement | None:
    return db.session.scalar(
        select(Placement).where(
            Placement.application_id == application.id,
            Placement.state == PlacementState.ACCEPTED,
            Placement.id != other_than.id,
        )
    )


def accept_offer(placement: Placement, *, by: User) -> Placement:
    """Accept an offered place before its deadline; a place held from an earlier round is
    given up for it. Refuses others' offers, answered or expired ones."""
    now = utcnow()
    _check_answerable(placement, by, now)
    held = _held_place(placement.application, placement)
    if held is not None:
        held.state = PlacementState.SUPERSEDED
        held.decided_at = now
    placement.state = PlacementState.ACCEPTED
    placement.decided_at = now
    workflow.change_status(placement.application, S.ACCEPTED, by=by)
    audit.record(
        by,
        "placement.accept",
        placement,
        before={"state": "offered"},
        after={"state": "accepted", "program": placement.program_id},
    )
    db.session.flush()
    return placement


def decline_offer(placement: Placement, *, by: User, reason: str = "") -> Placement:
    """Decline an offered place; the seat goes back to the pool for the next round.

    Someone who already held an accepted place from an earlier round keeps it.
    """
    now = utcnow()
    _check_answerable(placement, by, now)
    placement.state = PlacementState.DECLINED
    placement.decided_at = now
    placement.decline_reason = reason[:40]
    _release(placement, S.DECLINED, by=by)
    audit.record(
        by,
        "placement.decline",
        placement,
        before={"state": "offered"},
        after={"state": "declined", "reason": placement.decline_reason},
    )
    db.session.flush()
    return placement


def _release(placement: Placement, to: ApplicationStatus, *, by: User | None) -> None:
    application = placement.application
    held = _held_place(application, placement)
    if held is not None:
        # Turning down (or missing) an upgrade never costs the place already held.
        workflow.change_status(
            application,
            S.ACCEPTED,
            by=by,
            note=_("You keep the place you accepted earlier."),
        )
    elif application.status == S.PLACED:
        workflow.change_status(application, to, by=by, notify=to != S.EXPIRED)


def expire_overdue(now: datetime | None = None) -> int:
    """Release every offer whose deadline has passed and tell the applicant; returns how many."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Placement)
        .join(Round, Round.id == Placement.round_id)
        .where(
            Round.status == RoundStatus.PUBLISHED,
            Placement.state == PlacementState.OFFERED,
            Placement.offer_deadline_at.is_not(None),
            Placement.offer_deadline_at <= now,
        )
        .order_by(Placement.id)
    ).all()
    for placement in overdue:
        placement.state = PlacementState.EXPIRED
        placement.decided_at = now
        _release(placement, S.EXPIRED, by=None)
        audit.record(None, "placement.expire", placement, after={"state": "expired"})
        notifications.notify(
            placement.application.applicant,
            "offer_expired",
            _payload(placement),
        )
    db.session.flush()
    return len(overdue)


def send_reminders(now: datetime | None = None) -> int:
    """Remind, once, everyone whose offer expires within OFFER_REMINDER_HOURS; returns how many."""
    now = now or utcnow()
    hours = int(current_app.config.get("OFFER_REMINDER_HOURS", DEFAULT_REMINDER_HOURS))
    due = db.session.scalars(
        select(Placement)
        .join(Round, Round.id == Placement.round_id)
        .where(
            Round.status == RoundStatus.PUBLISHED,
            Placement.state == PlacementState.OFFERED,
            Placement.reminder_sent_at.is_(None),
            Placement.offer_deadline_at > now,
            Placement.offer_deadline_at <= now + timedelta(hours=hours),
        )
        .order_by(Placement.id)
    ).all()
    for placement in due:
        notifications.notify(placement.application.applicant, "offer_reminder", _payload(placement))
        placement.reminder_sent_at = now
    db.session.flush()
    return len(due)


def _payload(placement: Placement) -> dict[str, Any]:
    program = placement.program
    return {
        "name": placement.application.applicant.full_name,
        "program": program.name_en,
        "program_code": program.code,
        "university": program.university.name_en,
        "deadline": placement.offer_deadline_at.isoformat() if placement.offer_deadline_at else "",
        "application_id": placement.application_id,
    }


# ------------------------------------------------------------------------------- results


@dataclass
class ChoiceOutcome:
    """Why one program ranked above the applicant's result was not theirs."""

    choice: Choice
    cutoff: str
    reason: str


@dataclass
class RoundOutcome:
    """What a published round means for one applicant."""

    round: Round
    placement: Placement | None
    score: Decimal | None
    higher: list[ChoiceOutcome] = field(default_factory=list)
    took_part: bool = True


def published_rounds(application: Application) -> list[Round]:
    """Return the cycle's published rounds, newest first."""
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.cycle_id == application.cycle_id, Round.status == RoundStatus.PUBLISHED)
            .order_by(Round.number.desc())
        )
    )


def outcome(application: Application) -> RoundOutcome | None:
    """Explain the newest published round for this applicant, or None before any is published."""
    rounds = published_rounds(application)
    if not rounds:
        return None
    round_ = rounds[0]
    placement = db.session.scalar(
        select(Placement).where(
            Placement.round_id == round_.id, Placement.application_id == application.id
        )
    )
    result = round_.result or {}
    applicant_key = _applicant_key(application, result)
    if placement is None and applicant_key not in (result.get("assignments") or {}):
        # Not in this round's input (e.g. not eligible, or placed for good earlier).
        return RoundOutcome(round_, None, application.competitive_score, [], took_part=False)
    placed_rank = placement.choice_rank if placement is not None else None
    quotas = {
        q.program_id: q
        for q in db.session.scalars(
            select(ProgramQuota).where(ProgramQuota.cycle_id == application.cycle_id)
        )
    }
    higher = []
    for choice in sorted(application.choices, key=lambda c: c.rank):
        if placed_rank is not None and choice.rank >= placed_rank:
            break
        higher.append(_explain_choice(application, choice, result, applicant_key, quotas))
    return RoundOutcome(round_, placement, application.competitive_score, higher)


def _applicant_key(application: Application, result: dict[str, Any]) -> str:
    assignments = result.get("assignments") or {}
    for key in (application.public_code, str(application.id), f"A{application.id}"):
        if key in assignments:
            return key
    return application.public_code


def _fmt(value: Any) -> str:
    number = Decimal(str(value))
    return f"{number.normalize():f}" if number == number.to_integral() else f"{number:.2f}"


def _explain_choice(
    application: Application,
    choice: Choice,
    result: dict[str, Any],
    applicant_key: str,
    quotas: dict[int, ProgramQuota],
) -> ChoiceOutcome:
    program = choice.program
    cutoffs = result.get("cutoffs") or {}
    cutoff = cutoffs.get(program.code) or cutoffs.get(str(program.id))
    mine = (
        choice.program_score if choice.program_score is not None else application.competitive_score
    )
    exclusion = ((result.get("exclusions") or {}).get(applicant_key) or {}).get(program.code)
    quota = quotas.get(program.id)
    if exclusion == "below_min_score":
        minimum = quota.min_score if quota is not None else None
        return ChoiceOutcome(
            choice,
            _("minimum %(score)s", score=_fmt(minimum)) if minimum is not None else "—",
            _(
                "Not open to you: this program's minimum score is %(min)s and yours is %(mine)s.",
                min=_fmt(minimum) if minimum is not None else "—",
                mine=_fmt(mine) if mine is not None else "—",
            ),
        )
    if exclusion:
        return ChoiceOutcome(
            choice, "—", _("Not considered: it is ranked below a place you already hold.")
        )
    if not cutoff:
        return ChoiceOutcome(choice, "—", _("This program was not part of the round."))
    if not cutoff.get("full"):
        return ChoiceOutcome(
            choice,
            _("not full"),
            _(
                "It still had places, but a shared limit (university, field of study or the "
                "total quota) was reached before your turn."
            ),
        )
    last = cutoff.get("score")
    if last is None:
        return ChoiceOutcome(
            choice,
            "—",
            _("All its places went to people who already held them or won an appeal."),
        )
    cutoff_text = _fmt(last)
    if mine is None or Decimal(str(mine)) < Decimal(str(last)):
        reason = _(
            "Full. The last place went to a score of %(last)s; yours is %(mine)s.",
            last=cutoff_text,
            mine=_fmt(mine) if mine is not None else "—",
        )
    elif Decimal(str(mine)) == Decimal(str(last)):
        reason = _(
            "Full. The last place went to the same score as yours (%(last)s); the tie was "
            "decided by the published tie-break rules and then the lottery.",
            last=cutoff_text,
        )
    else:
        reason = _("Full. Its places were filled under the reserved-place rules before your turn.")
    return ChoiceOutcome(choice, cutoff_text, reason)


def current_offer(application: Application) -> Placement | None:
    """Return the placement the applicant should act on or holds now, in a published round."""
    return db.session.scalar(
        select(Placement)
        .join(Round, Round.id == Placement.round_id)
        .where(
            Placement.application_id == application.id,
            Round.status == RoundStatus.PUBLISHED,
            Placement.state.in_(
                [
                    PlacementState.OFFERED,
                    PlacementState.ACCEPTED,
                    PlacementState.ENROLLED,
                    PlacementState.DECLINED,
                    PlacementState.EXPIRED,
                ]
            ),
        )
        .order_by(Placement.id.desc())
        .limit(1)
    )
