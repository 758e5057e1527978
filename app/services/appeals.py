"""Appeals: an applicant contests a decision, another officer decides, an upheld one is made good.

The rules (DESIGN §2 Appeal, §3 Appeals):
- an appeal names one decision (eligibility, a document, the score, a published round's placement),
  one ground from the closed list that fits that decision, a statement and a declaration;
- it is filed within the cycle's appeal window counted from the decision; one open appeal per
  decision (the partial unique index `uq_appeal_one_open_per_decision` is the real guard);
- the officer who decides is never the one who made the appealed decision (four eyes);
- an upheld appeal corrects the data (old and new values kept, audited) and makes it good:
  eligibility restored joins the next round; a place the appellant should have had is given in an
  APPEAL round with `guaranteed` places, on an extra place only when the program is full. No
  published round is ever changed and nobody else moves.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from flask_babel import format_datetime, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

import solver
from app import labels
from app.extensions import db
from app.models import (
    Appeal,
    AppealGround,
    AppealState,
    AppealSubject,
    Application,
    ApplicationStatus,
    AuditEvent,
    Cycle,
    Document,
    DocumentKind,
    DocumentState,
    Placement,
    PlacementState,
    Program,
    ProgramQuota,
    Round,
    RoundKind,
    RoundStatus,
    ScoreComponent,
    StatusChange,
    User,
    UserRole,
    utcnow,
)
from app.services import audit, notifications, scoring, workflow
from app.services.errors import InvalidInput, NotFound, PermissionDenied, ServiceError

logger = logging.getLogger(__name__)

S = ApplicationStatus
OPEN_STATES = (AppealState.SUBMITTED, AppealState.IN_REVIEW)
OUTCOMES = (AppealState.UPHELD, AppealState.PARTLY_UPHELD, AppealState.DISMISSED)
GRANTED = (AppealState.UPHELD, AppealState.PARTLY_UPHELD)
# The ministry answers an appeal within this many days of filing (the queue counts them down).
DECIDE_WITHIN_DAYS = 15
MIN_STATEMENT = 20
# Places that still count as taken when an appeal round holds everyone where they are.
LIVE_PLACEMENTS = (PlacementState.OFFERED, PlacementState.ACCEPTED, PlacementState.ENROLLED)

# Which grounds fit which decision: a closed list, shown as choices and enforced here.
GROUNDS: dict[AppealSubject, tuple[AppealGround, ...]] = {
    AppealSubject.ELIGIBILITY: (
        AppealGround.FACTUAL_ERROR,
        AppealGround.PROCEDURE_NOT_FOLLOWED,
        AppealGround.NEW_EVIDENCE,
    ),
    AppealSubject.DOCUMENT: (
        AppealGround.DOCUMENT_WRONGLY_REJECTED,
        AppealGround.PROCEDURE_NOT_FOLLOWED,
        AppealGround.NEW_EVIDENCE,
    ),
    AppealSubject.SCORE: (
        AppealGround.FACTUAL_ERROR,
        AppealGround.PROCEDURE_NOT_FOLLOWED,
        AppealGround.NEW_EVIDENCE,
    ),
    AppealSubject.PLACEMENT: (
        AppealGround.FACTUAL_ERROR,
        AppealGround.PROCEDURE_NOT_FOLLOWED,
    ),
}


class AppealTooLate(ServiceError):
    """The appeal window for this decision has closed."""


class AppealAlreadyOpen(ServiceError):
    """Another appeal about the same decision is still open."""


class FourEyesRefused(PermissionDenied):
    """The officer made the decision under appeal and may not decide the appeal too."""


# ---------------------------------------------------------------------------------------------
# The decisions an applicant can appeal


@dataclass
class Decision:
    """One appealable decision: what it was, when it was made, by whom, and its deadline."""

    subject: AppealSubject
    subject_ref: str
    decided_at: datetime
    deadline_at: datetime
    deciders: set[int]
    summary: str
    document: Document | None = None
    round: Round | None = None
    open_appeal: Appeal | None = None

    @property
    def key(self) -> str:
        """Name the decision as `subject:ref` (how open appeals are matched to it)."""
        return f"{self.subject.value}:{self.subject_ref}"

    def is_open_at(self, now: datetime) -> bool:
        """Say whether an appeal may still be filed at `now`."""
        return now <= self.deadline_at


def subject_label(subject: AppealSubject | str) -> str:
    """Return the decision kind in the reader's language."""
    return labels.label(AppealSubject(subject))


def ground_label(ground: AppealGround | str) -> str:
    """Return the ground in the reader's language."""
    return labels.label(AppealGround(ground))


def state_label(state: AppealState | str) -> str:
    """Return the appeal state in the reader's language."""
    return labels.label(AppealState(state))


def grounds_for(subject: AppealSubject | str) -> tuple[AppealGround, ...]:
    """Return the grounds that fit a kind of decision."""
    return GROUNDS[AppealSubject(subject)]


def _deadline(cycle: Cycle, decided_at: datetime) -> datetime:
    return decided_at + timedelta(days=cycle.appeal_window_days)


def _audit_actors(object_type: str, object_id: int | str, prefix: str = "") -> set[int]:
    query = select(AuditEvent.actor_id).where(
        AuditEvent.object_type == object_type,
        AuditEvent.object_id == str(object_id),
        AuditEvent.actor_id.is_not(None),
    )
    if prefix:
        query = query.where(AuditEvent.action.like(f"{prefix}%"))
    return {actor for actor in db.session.scalars(query) if actor is not None}


def _last_change_to(application: Application, status: ApplicationStatus) -> StatusChange | None:
    return db.session.scalars(
        select(StatusChange)
        .where(StatusChange.application_id == application.id, StatusChange.to_status == status)
        .order_by(StatusChange.id.desc())
        .limit(1)
    ).first()


def _published_rounds(application: Application) -> list[Round]:
    """Published rounds of the application's cycle that included it (a placement or a snapshot)."""
    rounds = db.session.scalars(
        select(Round)
        .where(Round.cycle_id == application.cycle_id, Round.status == RoundStatus.PUBLISHED)
        .order_by(Round.number)
    ).all()
    placed_in = set(
        db.session.scalars(
            select(Placement.round_id).where(Placement.application_id == application.id)
        )
    )
    out = []
    for round_ in rounds:
        if round_.id in placed_in or _in_snapshot(round_, application):
            out.append(round_)
    return out


def _in_snapshot(round_: Round, application: Application) -> bool:
    # The stored snapshot is canonical JSON (no spaces), so a text search is exact and avoids
    # parsing a national-size input on every applicant page.
    text = round_.input_snapshot or ""
    return json.dumps({"id": applicant_key(application)}, separators=(",", ":"))[1:-1] in text


def decisions(application: Application) -> list[Decision]:
    """List the decisions on an application that can be appealed, with their deadlines."""
    cycle = application.cycle
    found: list[Decision] = []
    if application.status == S.INELIGIBLE:
        change = _last_change_to(application, S.INELIGIBLE)
        at = change.at if change is not None else application.status_changed_at
        deciders = _audit_actors("application", application.id, "application.ineligible")
        if change is not None and change.by_id is not None:
            deciders.add(change.by_id)
        found.append(
            Decision(
                AppealSubject.ELIGIBILITY,
                "",
                at,
                _deadline(cycle, at),
                deciders,
                application.ineligible_reason,
            )
        )
    for document in application.documents:
        if (
            document.state != DocumentState.REJECTED
            or document.kind == DocumentKind.APPEAL_EVIDENCE
        ):
            continue
        at = document.verified_at or document.uploaded_at
        deciders = _audit_actors("document", document.id)
        if document.verified_by_id is not None:
            deciders.add(document.verified_by_id)
        found.append(
            Decision(
                AppealSubject.DOCUMENT,
                str(document.id),
                at,
                _deadline(cycle, at),
                deciders,
                document.original_name,
                document=document,
            )
        )
    rounds = _published_rounds(application)
    eligible = _last_change_to(application, S.ELIGIBLE)
    if eligible is not None and application.competitive_score is not None:
        # The score becomes a decision the applicant can see the effect of once a round is out.
        at = max(
            [
                eligible.at,
                *[r.published_at for r in rounds if r.published_at and r.kind != RoundKind.APPEAL],
            ]
        )
        deciders = _audit_actors("application", application.id, "application.eligible")
        deciders |= _audit_actors("application", application.id, "application.score")
        if eligible.by_id is not None:
            deciders.add(eligible.by_id)
        found.append(
            Decision(
                AppealSubject.SCORE,
                "",
                at,
                _deadline(cycle, at),
                deciders,
                _("Your competitive score: %(score)s", score=application.competitive_score),
            )
        )
    for round_ in rounds:
        if round_.published_at is None:
            continue
        deciders = {i for i in (round_.published_by_id, round_.started_by_id) if i is not None}
        deciders |= _audit_actors("round", round_.id)
        found.append(
            Decision(
                AppealSubject.PLACEMENT,
                str(round_.id),
                round_.published_at,
                _deadline(cycle, round_.published_at),
                deciders,
                _("Round %(n)s", n=round_.number),
                round=round_,
            )
        )
    open_by_key = {
        f"{a.subject.value}:{a.subject_ref}": a
        for a in db.session.scalars(
            select(Appeal).where(
                Appeal.application_id == application.id, Appeal.state.in_(OPEN_STATES)
            )
        )
    }
    for decision in found:
        decision.open_appeal = open_by_key.get(decision.key)
    return found


def find_decision(application: Application, subject: str, subject_ref: str) -> Decision:
    """Return the decision an appeal names; NotFound when the application has no such decision."""
    try:
        subject_enum = AppealSubject(subject)
    except ValueError:
        raise NotFound(_("There is no such decision to appeal.")) from None
    for decision in decisions(application):
        if decision.subject == subject_enum and decision.subject_ref == (subject_ref or ""):
            return decision
    raise NotFound(_("There is no such decision to appeal."))


def deciders_of(appeal: Appeal) -> set[int]:
    """Return the ids of the staff who made the decision under appeal (four-eyes rule)."""
    application = appeal.application
    subject = appeal.subject
    if subject == AppealSubject.DOCUMENT:
        document = db.session.get(Document, int(appeal.subject_ref or 0))
        people = _audit_actors("document", appeal.subject_ref)
        if document is not None and document.verified_by_id is not None:
            people.add(document.verified_by_id)
        return people
    if subject == AppealSubject.PLACEMENT:
        round_ = db.session.get(Round, int(appeal.subject_ref or 0))
        people = _audit_actors("round", appeal.subject_ref)
        if round_ is not None:
            people |= {i for i in (round_.published_by_id, round_.started_by_id) if i}
        return people
    status = S.INELIGIBLE if subject == AppealSubject.ELIGIBILITY else S.ELIGIBLE
    people = _audit_actors("application", application.id, f"application.{status.value}")
    if subject == AppealSubject.SCORE:
        people |= _audit_actors("application", application.id, "application.score")
    people |= {
        c.by_id for c in application.status_changes if c.to_status == status and c.by_id is not None
    }
    return people


# ---------------------------------------------------------------------------------------------
# Filing and withdrawing


def file_appeal(
    application: Application,
    *,
    subject: str,
    subject_ref: str,
    ground: str,
    statement: str,
    declaration: bool,
    by: User,
    now: datetime | None = None,
) -> Appeal:
    """File an appeal against one decision on the applicant's own application.

    Refuses: someone else's application (NotFound), a decision that does not exist, a ground that
    does not fit the decision, an empty statement or no declaration (InvalidInput), a filing after
    the deadline (AppealTooLate, with the deadline), a second open appeal about the same decision.
    """
    if application.applicant_id != by.id:
        raise NotFound(_("There is no such application."))
    decision = find_decision(application, subject, subject_ref)
    try:
        ground_enum = AppealGround(ground)
    except ValueError:
        raise InvalidInput(_("Choose a ground from the list.")) from None
    if ground_enum not in GROUNDS[decision.subject]:
        raise InvalidInput(
            _(
                "“%(ground)s” is not a ground for appealing this kind of decision.",
                ground=ground_label(ground_enum),
            )
        )
    statement = (statement or "").strip()
    if len(statement) < MIN_STATEMENT:
        raise InvalidInput(
            ngettext(
                "Explain in at least %(num)d character why the decision is wrong.",
                "Explain in at least %(num)d characters why the decision is wrong.",
                MIN_STATEMENT,
            )
        )
    if not declaration:
        raise InvalidInput(_("Confirm the declaration to file the appeal."))
    now = now or utcnow()
    if not decision.is_open_at(now):
        raise AppealTooLate(
            _(
                "The deadline for appealing this decision was %(deadline)s. "
                "Appeals must be filed within %(days)d days of the decision.",
                deadline=format_datetime(decision.deadline_at, "medium"),
                days=application.cycle.appeal_window_days,
            )
        )
    if decision.open_appeal is not None:
        raise _already_open()
    appeal = Appeal(
        application=application,
        subject=decision.subject,
        subject_ref=decision.subject_ref,
        ground=ground_enum,
        statement=statement,
        state=AppealState.SUBMITTED,
        filed_at=now,
        deadline_at=decision.deadline_at,
        decide_by_at=now + timedelta(days=DECIDE_WITHIN_DAYS),
        declaration_accepted_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(appeal)
            db.session.flush()
    except IntegrityError:
        # Two tabs filing at once: the partial unique index lets exactly one through.
        raise _already_open() from None
    audit.record(
        by,
        "appeal.file",
        appeal,
        after={
            "application_id": application.id,
            "subject": decision.subject.value,
            "subject_ref": decision.subject_ref,
            "ground": ground_enum.value,
            "deadline_at": decision.deadline_at.isoformat(),
        },
    )
    notifications.notify(
        by,
        "appeal_received",
        {
            "name": by.full_name,
            "appeal_id": appeal.id,
            "subject": decision.subject.value,
            "decide_within_days": DECIDE_WITHIN_DAYS,
        },
    )
    return appeal


def _already_open() -> AppealAlreadyOpen:
    return AppealAlreadyOpen(
        _("You already have an open appeal about this decision. Follow it or withdraw it first.")
    )


def withdraw_appeal(appeal: Appeal, *, by: User) -> Appeal:
    """Withdraw one's own appeal while it is open; refuse once it has been decided."""
    if appeal.application.applicant_id != by.id:
        raise NotFound(_("There is no such appeal."))
    if appeal.state not in OPEN_STATES:
        raise ServiceError(_("This appeal was already closed and cannot be withdrawn."))
    before = appeal.state
    appeal.state = AppealState.WITHDRAWN
    appeal.decided_at = utcnow()
    db.session.flush()
    audit.record(
        by, "appeal.withdraw", appeal, before={"state": before.value}, after={"state": "withdrawn"}
    )
    return appeal


def add_evidence(appeal: Appeal, file_storage: Any, *, by: User) -> Document:
    """Store an evidence file (photo or PDF, checked by content) on one's own open appeal."""
    from app.services import documents

    if appeal.application.applicant_id != by.id:
        raise NotFound(_("There is no such appeal."))
    if appeal.state not in OPEN_STATES:
        raise ServiceError(_("Evidence can be added only while the appeal is open."))
    document = documents.store_upload(
        appeal.application, DocumentKind.APPEAL_EVIDENCE, file_storage, by=by
    )
    document.appeal_id = appeal.id
    db.session.flush()
    audit.record(by, "appeal.evidence", appeal, after={"document_id": document.id})
    return document


def get_evidence(appeal: Appeal, document_id: int) -> Document:
    """Return one evidence file of the appeal; any other id answers NotFound."""
    document = db.session.get(Document, document_id)
    if document is None or document.appeal_id != appeal.id:
        raise NotFound(_("There is no such document."))
    return document


def evidence(appeal: Appeal) -> list[Document]:
    """Return the evidence files of an appeal, oldest first."""
    return list(
        db.session.scalars(
            select(Document).where(Document.appeal_id == appeal.id).order_by(Document.id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Reading


def own_appeals(user: User) -> list[Appeal]:
    """Return the applicant's own appeals, newest first."""
    return list(
        db.session.scalars(
            select(Appeal)
            .join(Application, Appeal.application_id == Application.id)
            .where(Application.applicant_id == user.id)
            .order_by(Appeal.id.desc())
        )
    )


def get_own_appeal(user: User, appeal_id: int) -> Appeal:
    """Return one of the applicant's own appeals; anyone else's answers NotFound."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None or appeal.application.applicant_id != user.id:
        raise NotFound(_("There is no such appeal."))
    return appeal


def get_appeal(appeal_id: int) -> Appeal:
    """Return an appeal for ministry staff or raise NotFound."""
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        raise NotFound(_("There is no such appeal."))
    return appeal


@dataclass
class QueueRow:
    appeal: Appeal
    days_left: int
    overdue: bool


def queue(
    *, state: str | None = None, assigned_to: User | None = None, now: datetime | None = None
) -> list[QueueRow]:
    """Return appeals for the ministry, open ones first by how soon they must be decided."""
    now = now or utcnow()
    query = select(Appeal)
    if state == "open" or state is None:
        query = query.where(Appeal.state.in_(OPEN_STATES))
    elif state != "all":
        try:
            query = query.where(Appeal.state == AppealState(state))
        except ValueError:
            query = query.where(Appeal.state.in_(OPEN_STATES))
    if assigned_to is not None:
        query = query.where(Appeal.assigned_to_id == assigned_to.id)
    rows = []
    for appeal in db.session.scalars(query.order_by(Appeal.decide_by_at, Appeal.id).limit(500)):
        due = appeal.decide_by_at or appeal.filed_at + timedelta(days=DECIDE_WITHIN_DAYS)
        days_left = (due - now).days if due >= now else -((now - due).days + 1)
        overdue = appeal.state in OPEN_STATES and due < now
        rows.append(QueueRow(appeal, days_left, overdue))
    return rows


def counts_by_state() -> dict[str, int]:
    """Count appeals per state (for the dashboard)."""
    rows = db.session.execute(select(Appeal.state, func.count()).group_by(Appeal.state)).all()
    counts = {s.value: 0 for s in AppealState}
    counts.update({state.value: n for state, n in rows})
    return counts


def history(appeal: Appeal) -> list[AuditEvent]:
    """Return the audited steps of an appeal, oldest first."""
    return list(
        db.session.scalars(
            select(AuditEvent)
            .where(AuditEvent.object_type == "appeal", AuditEvent.object_id == str(appeal.id))
            .order_by(AuditEvent.id)
        )
    )


class AppealStep(StrEnum):
    """An appeal step on the applicant's status timeline (the audit action it comes from)."""

    FILE = "appeal.file"
    WITHDRAW = "appeal.withdraw"
    UPHELD = "appeal.upheld"
    PARTLY_UPHELD = "appeal.partly_upheld"
    DISMISSED = "appeal.dismissed"
    MADE_GOOD = "appeal.made_good"


# What the applicant's status timeline says about each step of their appeals.
TIMELINE_TEXT = {
    "appeal.file": (
        _l("Appeal filed"),
        _l("Your appeal reached the ministry. Another officer will look at the decision again."),
    ),
    "appeal.withdraw": (_l("Appeal withdrawn"), _l("You withdrew your appeal.")),
    "appeal.upheld": (_l("Appeal upheld"), _l("Your appeal was upheld. The reasons are below.")),
    "appeal.partly_upheld": (
        _l("Appeal partly upheld"),
        _l("Your appeal was partly upheld. The reasons are below."),
    ),
    "appeal.dismissed": (
        _l("Appeal dismissed"),
        _l("Your appeal was dismissed. The reasons are below."),
    ),
    "appeal.made_good": (
        _l("Place offered on appeal"),
        _l("You were offered the place your appeal showed you should have had."),
    ),
}


def timeline_entries(application: Application) -> list[dict[str, Any]]:
    """Return the steps of the application's appeals in the shape of the status timeline."""
    ids = {
        str(a.id): a
        for a in db.session.scalars(select(Appeal).where(Appeal.application_id == application.id))
    }
    if not ids:
        return []
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.object_type == "appeal",
            AuditEvent.object_id.in_(list(ids)),
            AuditEvent.action.in_(list(TIMELINE_TEXT)),
        )
        .order_by(AuditEvent.id)
    )
    entries = []
    for event in events:
        label, meaning = TIMELINE_TEXT[event.action]
        appeal = ids[event.object_id]
        decided = event.action in ("appeal.upheld", "appeal.partly_upheld", "appeal.dismissed")
        entries.append(
            {
                "status": AppealStep(event.action),
                "label": str(label),
                "meaning": str(meaning),
                "at": event.at,
                "note": appeal.decision_reason if decided else "",
                "appeal_id": appeal.id,
            }
        )
    return entries


def appealed_decision(appeal: Appeal) -> dict[str, Any]:
    """Describe the decision under appeal for the officer (what, when, by whom, current value)."""
    application = appeal.application
    info: dict[str, Any] = {"subject": appeal.subject.value, "ref": appeal.subject_ref}
    if appeal.subject == AppealSubject.ELIGIBILITY:
        change = _last_change_to(application, S.INELIGIBLE)
        info.update(
            reason=application.ineligible_reason,
            at=change.at if change else None,
            by_id=change.by_id if change else None,
        )
    elif appeal.subject == AppealSubject.DOCUMENT:
        document = db.session.get(Document, int(appeal.subject_ref or 0))
        if document is not None:
            info.update(
                document=document,
                reason=document.reason_code,
                note=document.note,
                at=document.verified_at,
                by_id=document.verified_by_id,
            )
    elif appeal.subject == AppealSubject.SCORE:
        info.update(
            score=application.competitive_score,
            components={c.name: c.value for c in application.score_components},
        )
    else:
        round_ = db.session.get(Round, int(appeal.subject_ref or 0))
        placement = None
        if round_ is not None:
            placement = db.session.scalars(
                select(Placement).where(
                    Placement.round_id == round_.id, Placement.application_id == application.id
                )
            ).first()
        info.update(
            round=round_,
            placement=placement,
            at=round_.published_at if round_ else None,
            by_id=round_.published_by_id if round_ else None,
        )
    if info.get("by_id"):
        info["by"] = db.session.get(User, info["by_id"])
    return info


# ---------------------------------------------------------------------------------------------
# Assigning and deciding


def _require_officer(user: User) -> None:
    if user.role not in (UserRole.MINISTRY, UserRole.ADMIN):
        raise PermissionDenied(_("Only ministry officers handle appeals."))


def _check_four_eyes(appeal: Appeal, officer: User) -> None:
    if officer.id in deciders_of(appeal):
        raise FourEyesRefused(
            _("You made the decision under appeal, so another officer must decide this appeal.")
        )


def assign_appeal(appeal: Appeal, officer: User, *, by: User) -> Appeal:
    """Give an open appeal to an officer (puts it in review); refuse the original decider."""
    _require_officer(by)
    _require_officer(officer)
    if appeal.state not in OPEN_STATES:
        raise ServiceError(_("This appeal is closed."))
    _check_four_eyes(appeal, officer)
    before = {"state": appeal.state.value, "assigned_to_id": appeal.assigned_to_id}
    appeal.assigned_to_id = officer.id
    appeal.state = AppealState.IN_REVIEW
    db.session.flush()
    audit.record(
        by,
        "appeal.assign",
        appeal,
        before=before,
        after={"state": appeal.state.value, "assigned_to_id": officer.id},
    )
    return appeal


@dataclass
class Correction:
    """What an officer corrects when upholding: score components, a document state, a place."""

    components: dict[str, Decimal] = field(default_factory=dict)
    document_state: DocumentState | None = None
    restore_eligibility: bool = True

    @classmethod
    def parse(
        cls, components: dict[str, str] | None = None, document_state: str | None = None
    ) -> Correction:
        """Build a correction from form text; refuse numbers that are not numbers."""
        parsed: dict[str, Decimal] = {}
        for name, raw in (components or {}).items():
            if raw is None or str(raw).strip() == "":
                continue
            try:
                value = Decimal(str(raw).strip().replace(",", "."))
            except InvalidOperation:
                raise InvalidInput(_("Enter the corrected scores as numbers.")) from None
            if not value.is_finite() or value < 0 or value > Decimal("99999"):
                raise InvalidInput(_("Enter the corrected scores as numbers.")) from None
            parsed[name] = value
        state = None
        if document_state:
            state = DocumentState(document_state)
            if state not in (DocumentState.VERIFIED, DocumentState.PROVISIONALLY_ACCEPTED):
                raise InvalidInput(_("A document can be restored as verified or provisional."))
        return cls(components=parsed, document_state=state)


def decide_appeal(
    appeal: Appeal,
    outcome: str,
    reason: str,
    *,
    by: User,
    correction: Correction | None = None,
) -> Appeal:
    """Decide an open appeal with a reason; an upheld one applies its correction and is made good.

    Refuses: a closed appeal, an unknown outcome, an empty reason, the officer who made the
    appealed decision (four eyes), an appeal assigned to someone else, an upheld score appeal
    without a corrected score.
    """
    _require_officer(by)
    if appeal.state not in OPEN_STATES:
        raise ServiceError(_("This appeal was already decided or withdrawn."))
    decided = next((state for state in OUTCOMES if state.value == outcome), None)
    if decided is None:
        raise InvalidInput(_("Choose upheld, partly upheld or dismissed."))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("Give the reason for the decision; the applicant will read it."))
    _check_four_eyes(appeal, by)
    if appeal.assigned_to_id is not None and appeal.assigned_to_id != by.id:
        raise PermissionDenied(_("This appeal is assigned to another officer."))
    before = {"state": appeal.state.value}
    if decided in GRANTED:
        appeal.correction = _apply_correction(appeal, correction or Correction(), by=by)
    appeal.state = decided
    appeal.decided_by_id = by.id
    appeal.decided_at = utcnow()
    appeal.decision_reason = reason
    if appeal.assigned_to_id is None:
        appeal.assigned_to_id = by.id
    db.session.flush()
    audit.record(
        by,
        f"appeal.{decided.value}",
        appeal,
        before=before,
        after={"state": decided.value, "reason": reason, "correction": appeal.correction},
    )
    application = appeal.application
    notifications.notify(
        application.applicant,
        "appeal_decided",
        {
            "name": application.applicant.full_name,
            "appeal_id": appeal.id,
            "subject": appeal.subject.value,
            "outcome": decided.value,
            "reason": reason,
            "owed_program": (appeal.correction or {}).get("owed", {}).get("program_code", ""),
        },
    )
    return appeal


def _apply_correction(appeal: Appeal, correction: Correction, *, by: User) -> dict[str, Any]:
    """Change the data the appeal showed was wrong; return old and new values."""
    application = appeal.application
    applied: dict[str, Any] = {"subject": appeal.subject.value}
    if appeal.subject == AppealSubject.ELIGIBILITY:
        if application.status == S.INELIGIBLE:
            workflow.change_status(
                application, S.ELIGIBLE, by=by, note=_("Eligibility restored on appeal.")
            )
            applied["status"] = {"old": S.INELIGIBLE.value, "new": S.ELIGIBLE.value}
            applied["ineligible_reason"] = {"old": application.ineligible_reason, "new": ""}
            application.ineligible_reason = ""
    elif appeal.subject == AppealSubject.DOCUMENT:
        document = db.session.get(Document, int(appeal.subject_ref or 0))
        if document is None:
            raise NotFound(_("There is no such document."))
        new_state = correction.document_state or DocumentState.PROVISIONALLY_ACCEPTED
        old = {"state": document.state.value, "reason_code": document.reason_code}
        document.state = new_state
        document.reason_code = ""
        document.verified_by_id = by.id
        document.verified_at = utcnow()
        applied["document_id"] = document.id
        applied["state"] = {"old": old["state"], "new": new_state.value}
        applied["reason_code"] = {"old": old["reason_code"], "new": ""}
        db.session.flush()
        audit.record(by, f"document.{new_state.value}", document, before=old, after=applied)
    if appeal.subject in (AppealSubject.SCORE, AppealSubject.PLACEMENT) and correction.components:
        applied.update(_correct_score(application, correction.components, by=by))
    elif appeal.subject == AppealSubject.SCORE:
        raise InvalidInput(_("Enter the corrected score to uphold a score appeal."))
    if appeal.subject in (AppealSubject.SCORE, AppealSubject.PLACEMENT):
        impact = preview_impact(appeal, correction)
        if impact is not None:
            applied["impact"] = impact.to_dict()
            if impact.owed_program_id is not None:
                applied["owed"] = {
                    "program_id": impact.owed_program_id,
                    "program_code": impact.owed_program_code,
                    "round_id": impact.round_id,
                    "extra_place": impact.extra_place,
                }
    return applied


def _correct_score(
    application: Application, components: dict[str, Decimal], *, by: User
) -> dict[str, Any]:
    """Update score components and the competitive score; return old and new values."""
    by_name = {c.name: c for c in application.score_components}
    old_components = {name: str(c.value) for name, c in by_name.items()}
    for name, value in components.items():
        if name in by_name:
            by_name[name].value = value
        else:
            application.score_components.append(ScoreComponent(name=name, value=value))
    new_values = {c.name: c.value for c in application.score_components}
    old_score = application.competitive_score
    new_score = scoring.competitive_score(application.cycle.score_formula, new_values)
    if new_score is None:
        # The formula names a component the application lacks: keep the corrected UNT total.
        new_score = components.get("unt_total", old_score)
    application.competitive_score = new_score
    db.session.flush()
    new_components = {name: str(v) for name, v in new_values.items()}
    change: dict[str, Any] = {
        "components": {"old": old_components, "new": new_components},
        "competitive_score": {"old": str(old_score), "new": str(new_score)},
    }
    audit.record(
        by,
        "application.score_corrected",
        application,
        before={"competitive_score": str(old_score), "components": old_components},
        after={**new_components, "competitive_score": str(new_score)},
    )
    return change


# ---------------------------------------------------------------------------------------------
# The solver side: the impact preview and the appeal round
#
# Snapshot ids: applicants by their pseudonymous public code, programs by their program code
# (the anonymised `umit-allocation/1` file a published round stores in Round.input_snapshot).


def applicant_key(application: Application) -> str:
    """Return the id an application has in an allocation snapshot."""
    return application.public_code


def program_key(program: Program) -> str:
    """Return the id a program has in an allocation snapshot."""
    return program.code


def _snapshot(round_: Round) -> dict[str, Any] | None:
    if not round_.input_snapshot:
        return None
    try:
        data = json.loads(round_.input_snapshot)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _published_assignments(round_: Round, problem: dict[str, Any]) -> dict[str, str | None]:
    """Who got what in the published round, by snapshot id (from its stored result)."""
    result = round_.result or {}
    assignments = result.get("assignments")
    if isinstance(assignments, dict):
        return {str(k): v for k, v in assignments.items()}
    out: dict[str, str | None] = {a["id"]: None for a in problem.get("applicants", [])}
    for placement in round_.placements:
        out[applicant_key(placement.application)] = program_key(placement.program)
    return out


@dataclass
class Impact:
    """What the corrected data would have given the appellant, and its effect on everyone else."""

    round_id: int
    appellant: str
    published_program_code: str | None
    would_have_code: str | None
    owed_program_id: int | None
    owed_program_code: str | None
    extra_place: bool
    others_unchanged: bool
    moved: list[str]
    checker_ok: bool
    score_before: float | None
    score_after: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the preview as JSON-ready values (kept in Appeal.correction)."""
        return {
            "round_id": self.round_id,
            "published": self.published_program_code,
            "would_have": self.would_have_code,
            "owed": self.owed_program_code,
            "extra_place": self.extra_place,
            "others_unchanged": self.others_unchanged,
            "moved": self.moved,
            "checker_ok": self.checker_ok,
            "score_before": self.score_before,
            "score_after": self.score_after,
        }


def _target_round(appeal: Appeal) -> Round | None:
    if appeal.subject == AppealSubject.PLACEMENT:
        return db.session.get(Round, int(appeal.subject_ref or 0))
    rounds = _published_rounds(appeal.application)
    return rounds[-1] if rounds else None


def _corrected_entry(
    entry: dict[str, Any], application: Application, components: dict[str, Decimal]
) -> dict[str, Any]:
    """The appellant's snapshot entry with corrected score and tie-break values."""
    fixed = dict(entry)
    values = {c.name: c.value for c in application.score_components}
    values.update(components)
    score = scoring.competitive_score(application.cycle.score_formula, values)
    if score is None:
        score = components.get("unt_total", application.competitive_score)
    if score is not None:
        fixed["score"] = float(score)
    chain = application.cycle.tiebreak_chain or []
    tiebreak = list(fixed.get("tiebreak") or [])
    for i, name in enumerate(chain):
        if i < len(tiebreak) and name in components:
            tiebreak[i] = float(components[name])
    if tiebreak:
        fixed["tiebreak"] = tiebreak
    return fixed


def preview_impact(appeal: Appeal, correction: Correction | None = None) -> Impact | None:
    """Run the corrected data against the published round; None when no round applies.

    Two solver runs on the round's stored snapshot: the same round with the appellant's
    corrected data says what they would have received; then everyone's published place is
    held and the appellant guaranteed that place, which shows that nobody else moves and
    whether an extra place is needed. Nothing is written.
    """
    round_ = _target_round(appeal)
    if round_ is None or round_.status != RoundStatus.PUBLISHED:
        return None
    problem = _snapshot(round_)
    if problem is None:
        return None
    application = appeal.application
    key = applicant_key(application)
    entries = {a["id"]: a for a in problem.get("applicants", [])}
    if key not in entries:
        return None
    published = _published_assignments(round_, problem)
    components = correction.components if correction else {}
    if not components and appeal.correction and "components" in appeal.correction:
        components = {
            k: Decimal(v) for k, v in appeal.correction["components"].get("new", {}).items()
        }
    corrected = _corrected_entry(entries[key], application, components)

    # Run 1: the published round as it should have been.
    counterfactual = dict(problem)
    counterfactual["applicants"] = [corrected if a["id"] == key else a for a in entries.values()]
    would_have = solver.solve(solver.parse_problem(counterfactual)).assignments.get(key)
    had = published.get(key)
    owed = would_have if would_have is not None and _better(corrected, would_have, had) else None

    # Run 2: everyone keeps their published place; the appellant is guaranteed what is owed.
    held = _held_problem(problem, published, {key: (corrected, owed)})
    result = solver.solve(solver.parse_problem(held))
    certificate = solver.check(solver.parse_problem(held), result)
    moved = sorted(
        aid for aid, pid in result.assignments.items() if aid != key and pid != published.get(aid)
    )
    capacities = {p["id"]: int(p["capacity"]) for p in problem.get("programs", [])}
    load = sum(1 for aid, pid in published.items() if pid == owed and aid != key)
    program = (
        db.session.scalars(select(Program).where(Program.code == owed)).first() if owed else None
    )
    return Impact(
        round_id=round_.id,
        appellant=key,
        published_program_code=had,
        would_have_code=would_have,
        owed_program_id=program.id if program else None,
        owed_program_code=owed,
        extra_place=owed is not None and load >= capacities.get(owed, 0),
        others_unchanged=not moved,
        moved=moved,
        checker_ok=_certificate_ok(certificate),
        score_before=entries[key].get("score"),
        score_after=corrected.get("score"),
    )


def _certificate_ok(certificate: dict[str, Any]) -> bool:
    return bool(certificate.get("ok"))


def _better(entry: dict[str, Any], candidate: str, current: str | None) -> bool:
    """Say whether `candidate` is higher on the applicant's list than `current`."""
    if current is None:
        return True
    prefs = list(entry.get("preferences") or [])
    if candidate not in prefs or current not in prefs:
        return candidate != current
    return prefs.index(candidate) < prefs.index(current)


def _held_problem(
    problem: dict[str, Any],
    places: dict[str, str | None],
    appellants: dict[str, tuple[dict[str, Any], str | None]],
) -> dict[str, Any]:
    """Pin every holder to their place and guarantee each appellant their owed program.

    Holders list only the program they hold, so nobody else can move; people without a place
    and appellants owed nothing are left out. Shared limits are dropped: an extra place from an
    appeal is supernumerary by policy (DESIGN §3 Appeals) and is counted, not capped.
    """
    applicants = []
    for entry in problem.get("applicants", []):
        aid = entry["id"]
        if aid in appellants:
            corrected, owed = appellants[aid]
            if owed is None:
                continue
            item = {k: v for k, v in corrected.items() if k not in ("held", "guaranteed")}
            item["preferences"] = [owed]
            item["guaranteed"] = owed
            item.pop("program_scores", None)
            applicants.append(item)
            continue
        pid = places.get(aid)
        if pid is None:
            continue
        item = {k: v for k, v in entry.items() if k not in ("held", "guaranteed")}
        item["preferences"] = [pid]
        item["held"] = pid
        item.pop("program_scores", None)
        applicants.append(item)
    programs = [{k: v for k, v in p.items() if k != "reserved"} for p in problem["programs"]]
    out = {k: v for k, v in problem.items() if k not in ("limits", "minimums", "applicants")}
    out["programs"] = programs
    out["applicants"] = applicants
    return out


# ---------------------------------------------------------------------------------------------
# The appeal round: owed places given with `guaranteed`, everyone else held where they are


def owed_appeals(cycle: Cycle) -> list[Appeal]:
    """Return granted appeals of the cycle whose owed place has not yet been given."""
    query = (
        select(Appeal)
        .join(Application, Appeal.application_id == Application.id)
        .where(Application.cycle_id == cycle.id, Appeal.state.in_(GRANTED))
        .order_by(Appeal.decided_at, Appeal.id)
    )
    # An appeal round published from the rounds pages gives the place too (same placements).
    given: set[int] = set()
    for round_ in db.session.scalars(
        select(Round).where(
            Round.cycle_id == cycle.id,
            Round.kind == RoundKind.APPEAL,
            Round.status == RoundStatus.PUBLISHED,
        )
    ):
        placed = set(
            db.session.scalars(
                select(Placement.application_id).where(Placement.round_id == round_.id)
            )
        )
        for appeal_id in (round_.params or {}).get("appeal_ids") or []:
            appeal = db.session.get(Appeal, appeal_id)
            if appeal is not None and appeal.application_id in placed:
                given.add(appeal_id)
    return [
        a
        for a in db.session.scalars(query)
        if (a.correction or {}).get("owed")
        and not (a.correction or {}).get("made_good_round_id")
        and a.id not in given
        and workflow.can_change(a.application, S.PLACED)
        and not _already_holds(a)
    ]


def _already_holds(appeal: Appeal) -> bool:
    """Say whether a later round already gave the appellant the owed program or a better one."""
    owed_id = (appeal.correction or {})["owed"]["program_id"]
    ranks = {c.program_id: c.rank for c in appeal.application.choices}
    owed_rank = ranks.get(owed_id)
    if owed_rank is None:
        return False
    held = db.session.scalars(
        select(Placement.program_id)
        .join(Round, Placement.round_id == Round.id)
        .where(
            Placement.application_id == appeal.application_id,
            Round.status == RoundStatus.PUBLISHED,
            Placement.state.in_(LIVE_PLACEMENTS),
        )
    )
    return any(ranks.get(pid, owed_rank + 1) <= owed_rank for pid in held)


def start_appeal_round(cycle: Cycle, *, by: User) -> Round:
    """Queue an APPEAL round for every owed place; refuse when nothing is owed or a round runs."""
    from app.services import rounds

    _require_officer(by)
    owed = owed_appeals(cycle)
    if not owed:
        raise ServiceError(_("No upheld appeal is waiting for a place."))
    if rounds.active_round(cycle) is not None:
        raise rounds.RoundAlreadyActive(
            _("Another round of this cycle is queued or running. Wait for it to finish.")
        )
    if not rounds.published_rounds(cycle):
        raise ServiceError(_("An appeal round needs a published round first."))
    number = (
        db.session.scalar(select(func.max(Round.number)).where(Round.cycle_id == cycle.id)) or 0
    ) + 1
    round_ = Round(
        cycle_id=cycle.id,
        number=number,
        kind=RoundKind.APPEAL,
        status=RoundStatus.QUEUED,
        dry_run=False,
        params={"appeal_ids": [a.id for a in owed], "method": "da", "label": "appeal"},
        progress=0,
        progress_note="queued",
        started_by_id=by.id,
    )
    try:
        with db.session.begin_nested():
            db.session.add(round_)
            db.session.flush()
    except IntegrityError:
        raise rounds.RoundAlreadyActive(
            _("Another round of this cycle is queued or running. Wait for it to finish.")
        ) from None
    audit.record(
        by,
        "round.start",
        round_,
        after={"kind": RoundKind.APPEAL.value, "appeal_ids": [a.id for a in owed]},
    )
    return round_


def build_appeal_problem(cycle: Cycle, appeals: list[Appeal]) -> dict[str, Any]:
    """Build the appeal round's input from the live places and the owed ones.

    Each holder of a live place lists only that program as `held`, so nobody moves; each
    appellant lists only the owed program as `guaranteed`. A program's capacity is its quota
    less the seats taken by people not pinned here (e.g. an appellant's current offer), and
    never below the holders pinned to it, so only places beyond it count as extra.
    """
    quota_rows = db.session.execute(
        select(ProgramQuota.program_id, ProgramQuota.places, Program.code, Program.university_id)
        .join(Program, ProgramQuota.program_id == Program.id)
        .where(ProgramQuota.cycle_id == cycle.id)
    ).all()
    code_of = {pid: code for pid, _places, code, _uni in quota_rows}
    appellant_ids = {a.application_id for a in appeals}
    live = db.session.execute(
        select(Placement.application_id, Placement.program_id, Round.number)
        .join(Round, Placement.round_id == Round.id)
        .where(
            Round.cycle_id == cycle.id,
            Round.status == RoundStatus.PUBLISHED,
            Placement.state.in_(LIVE_PLACEMENTS),
        )
        .order_by(Round.number)
    ).all()
    pinned: dict[int, int] = {}
    for app_id, program_id, _number in live:
        if app_id not in appellant_ids:
            pinned[app_id] = program_id  # the latest live place wins
    taken_unpinned: dict[int, int] = {}
    pinned_load: dict[int, int] = {}
    for app_id, program_id, _number in live:
        if pinned.get(app_id) == program_id and app_id not in appellant_ids:
            continue
        taken_unpinned[program_id] = taken_unpinned.get(program_id, 0) + 1
    for program_id in pinned.values():
        pinned_load[program_id] = pinned_load.get(program_id, 0) + 1
    codes = dict(
        db.session.execute(
            select(Application.id, Application.public_code).where(
                Application.id.in_(list(pinned) + list(appellant_ids))
            )
        ).all()
    )
    applicants: list[dict[str, Any]] = []
    for app_id, program_id in pinned.items():
        code = code_of.get(program_id)
        if code is None:
            continue
        applicants.append({"id": codes[app_id], "score": 0, "preferences": [code], "held": code})
    for appeal in appeals:
        owed = (appeal.correction or {})["owed"]["program_code"]
        application = appeal.application
        applicants.append(
            {
                "id": application.public_code,
                "score": float(application.competitive_score or 0),
                "preferences": [owed],
                "guaranteed": owed,
            }
        )
    programs = [
        {
            "id": code,
            "capacity": max(places - taken_unpinned.get(pid, 0), pinned_load.get(pid, 0), 0),
        }
        for pid, places, code, _uni in quota_rows
    ]
    return {
        "format": "umit-allocation/1",
        "seed": int(cycle.lottery_seed or 0),
        "programs": sorted(programs, key=lambda p: p["id"]),
        "applicants": sorted(applicants, key=lambda a: a["id"]),
    }


def run_appeal_round_job(round_id: int) -> Round | None:
    """Run a queued appeal round: snapshot, solve, check and PROPOSED placements in one commit."""
    from app.services import rounds

    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.kind != RoundKind.APPEAL or round_.status != RoundStatus.QUEUED:
        return round_
    round_.status = RoundStatus.RUNNING
    round_.started_at = utcnow()
    round_.progress = 5
    round_.progress_note = "snapshot"
    db.session.commit()
    try:
        cycle = round_.cycle
        wanted = set((round_.params or {}).get("appeal_ids") or [])
        appeals = [a for a in owed_appeals(cycle) if a.id in wanted]
        data = build_appeal_problem(cycle, appeals)
        text, digest = rounds.snapshot_text(data)
        problem = solver.parse_problem(data)
        result = solver.solve(problem, method="auto")
        certificate = solver.check(problem, result)
        rounds.record_result(round_, text, digest, result, certificate)
        _mark_appeal_placements(round_, appeals)
        round_.params = {**(round_.params or {}), "appeal_ids": [a.id for a in appeals]}
        db.session.commit()
    except Exception as err:  # noqa: BLE001 - any failure must end as a FAILED round
        db.session.rollback()
        logger.exception("appeal round %s failed", round_id)
        rounds._mark_failed(round_id, err)
    return db.session.get(Round, round_id)


def _mark_appeal_placements(round_: Round, appeals: list[Appeal]) -> None:
    """Flag the round's placements as coming from an appeal, and which are extra places."""
    places = dict(
        db.session.execute(
            select(ProgramQuota.program_id, ProgramQuota.places).where(
                ProgramQuota.cycle_id == round_.cycle_id
            )
        ).all()
    )
    occupied: dict[int, int] = dict(
        db.session.execute(
            select(Placement.program_id, func.count())
            .join(Round, Placement.round_id == Round.id)
            .where(
                Round.cycle_id == round_.cycle_id,
                Round.status == RoundStatus.PUBLISHED,
                Placement.state.in_(LIVE_PLACEMENTS),
            )
            .group_by(Placement.program_id)
        ).all()
    )
    order = {a.application_id: i for i, a in enumerate(appeals)}
    placements = sorted(
        db.session.scalars(select(Placement).where(Placement.round_id == round_.id)),
        key=lambda p: order.get(p.application_id, len(order)),
    )
    for placement in placements:
        placement.from_appeal = True
        load = occupied.get(placement.program_id, 0)
        placement.extra_place = load >= places.get(placement.program_id, 0)
        occupied[placement.program_id] = load + 1
    db.session.flush()


def publish_appeal_round(round_: Round, *, by: User) -> bool:
    """Publish a solved appeal round like any round, then mark its appeals as made good."""
    from app.services import rounds

    if round_.kind != RoundKind.APPEAL:
        raise ServiceError(_("This is not an appeal round."))
    published = rounds.publish_round(round_, by=by)
    if not published:
        return False
    placed = set(
        db.session.scalars(select(Placement.application_id).where(Placement.round_id == round_.id))
    )
    for appeal_id in (round_.params or {}).get("appeal_ids") or []:
        appeal = db.session.get(Appeal, appeal_id)
        if appeal is None or appeal.application_id not in placed:
            continue
        appeal.correction = {**(appeal.correction or {}), "made_good_round_id": round_.id}
        db.session.flush()
        audit.record(by, "appeal.made_good", appeal, after={"round_id": round_.id})
    return True


def appeal_rounds(cycle: Cycle) -> list[Round]:
    """Return the cycle's appeal rounds, newest first."""
    return list(
        db.session.scalars(
            select(Round)
            .where(Round.cycle_id == cycle.id, Round.kind == RoundKind.APPEAL)
            .order_by(Round.number.desc())
        )
    )


@dataclass
class ExtraPlaces:
    """Extra (supernumerary) places given on appeal, per program and per university."""

    programs: list[tuple[str, str, int]]
    universities: list[tuple[str, int]]
    total: int


def extra_places_report(cycle: Cycle, *, round_: Round | None = None) -> ExtraPlaces:
    """Count extra places given by published appeal rounds (or by one round) of the cycle."""
    from app.models import University

    query = (
        select(University.code, Program.code, func.count())
        .select_from(Placement)
        .join(Round, Placement.round_id == Round.id)
        .join(Program, Placement.program_id == Program.id)
        .join(University, Program.university_id == University.id)
        .where(Round.cycle_id == cycle.id, Placement.extra_place.is_(True))
        .group_by(University.code, Program.code)
        .order_by(University.code, Program.code)
    )
    if round_ is not None:
        query = query.where(Round.id == round_.id)
    else:
        query = query.where(Round.status == RoundStatus.PUBLISHED)
    rows = [(uni, prog, int(n)) for uni, prog, n in db.session.execute(query)]
    per_uni: dict[str, int] = {}
    for uni, _prog, n in rows:
        per_uni[uni] = per_uni.get(uni, 0) + n
    return ExtraPlaces(rows, sorted(per_uni.items()), sum(n for *_x, n in rows))
