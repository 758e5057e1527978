"""The applicant's own application: eligibility pre-check, saved steps, choices, submit, withdraw.

Rules live here; views only parse forms and commit. Every save checks the version the page was
opened with, so two tabs (or a phone and a laptop) never overwrite each other silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, cast

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import or_, select
from sqlalchemy.orm.exc import StaleDataError

from app import labels
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Choice,
    Cycle,
    CycleStatus,
    Document,
    DocumentKind,
    DocumentState,
    EducationRoute,
    Gender,
    Placement,
    PlacementState,
    Program,
    ProgramQuota,
    ProtectionStatus,
    ScoreComponent,
    University,
    User,
    utcnow,
)
from app.services import audit, scoring, workflow
from app.services.codes import new_public_code
from app.services.errors import InvalidInput, NotFound, ServiceError

S = ApplicationStatus

# The parts of the form, in order. Staff name these in Application.needs_info_sections.
SECTIONS = ("personal", "protection", "education", "scores", "choices", "documents")
STEPS = (*SECTIONS, "review")
SECTION_TITLES = {
    "personal": _l("Personal details"),
    "protection": _l("Protection status"),
    "education": _l("Education"),
    "scores": _l("Scores"),
    "choices": _l("Programs"),
    "documents": _l("Documents"),
    "review": _l("Review and send"),
}

# The words for flags and evidence kinds live with every other label.
FLAG_TEXT = labels.FLAG_TEXT
EVIDENCE_TYPES = labels.EVIDENCE_TYPE_TEXT

# Documents that count towards the checklist (a rejected or replaced one does not).
COUNTING_STATES = frozenset(
    {DocumentState.UPLOADED, DocumentState.VERIFIED, DocumentState.PROVISIONALLY_ACCEPTED}
)

_STEP_FIELDS: dict[str, tuple[str, ...]] = {
    "personal": (
        "name_native",
        "name_latin",
        "name_cyrillic",
        "date_of_birth",
        "gender",
        "country_of_origin",
        "phone",
        "contact_email",
    ),
    "protection": (
        "protection_status",
        "status_document_number",
        "status_document_issuer",
        "status_valid_until",
    ),
    "education": ("education_route", "school_name", "school_country", "graduation_year"),
}
_ENUM_FIELDS = {
    "gender": Gender,
    "protection_status": ProtectionStatus,
    "education_route": EducationRoute,
}


class StaleVersion(ServiceError):
    """The application changed elsewhere (another tab or device) since the page was opened."""


class NotEditable(ServiceError):
    """The application, or this part of it, cannot be changed in its current state."""


class PrecheckRefused(ServiceError):
    """The eligibility pre-check failed; `failures` says which rule and what to do."""

    status_code = 200

    def __init__(self, failures: list[RuleResult]) -> None:
        super().__init__(_("You cannot apply yet: see the reasons below."))
        self.failures = failures


@dataclass(frozen=True)
class RuleResult:
    """One pre-check rule that failed: its name, what went wrong, and what to do next."""

    rule: str
    message: str
    next_step: str


@dataclass
class Precheck:
    """The pre-check verdict: failures (empty when the applicant may apply) and staff flags."""

    failures: list[RuleResult] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


@dataclass
class ChecklistItem:
    """One line of the document checklist: what is needed, why, and what was sent."""

    kind: DocumentKind
    title: str
    why: str
    required: bool
    satisfied: bool
    alternative: str = ""
    documents: list[Document] = field(default_factory=list)


# ---------------------------------------------------------------------------- finding


def current_cycle() -> Cycle | None:
    """Return the cycle applicants work in now: the open one, else the latest that opened."""
    open_cycle = db.session.scalar(
        select(Cycle)
        .where(Cycle.status == CycleStatus.OPEN)
        .order_by(Cycle.application_opens_at.desc())
        .limit(1)
    )
    if open_cycle is not None:
        return open_cycle
    return db.session.scalar(
        select(Cycle)
        .where(Cycle.status != CycleStatus.DRAFT)
        .order_by(Cycle.application_opens_at.desc())
        .limit(1)
    )


def application_for(user: User, cycle: Cycle | None = None) -> Application | None:
    """Return the user's application in `cycle` (default: the current cycle), if any."""
    cycle = cycle or current_cycle()
    if cycle is None:
        return None
    return db.session.scalar(
        select(Application).where(
            Application.applicant_id == user.id, Application.cycle_id == cycle.id
        )
    )


def own_document(user: User, document_id: int) -> Document:
    """Return one of the user's own documents; anyone else's (or none) is NotFound."""
    document = db.session.get(Document, document_id)
    if document is None or document.application.applicant_id != user.id:
        raise NotFound(_("There is no such document."))
    return document


def own_placement(user: User, placement_id: int) -> Placement:
    """Return one of the user's own placements; anyone else's (or none) is NotFound."""
    placement = db.session.get(Placement, placement_id)
    if placement is None or placement.application.applicant_id != user.id:
        raise NotFound(_("There is no such offer."))
    return placement


# ---------------------------------------------------------------------- eligibility


def reference_date(cycle: Cycle) -> date:
    """Return the day a status document must still be valid on: the start of studies."""
    moment = cycle.starts_on or cycle.application_closes_at
    return moment.date()


def precheck(cycle: Cycle, answers: dict[str, Any]) -> Precheck:
    """Check the cycle's eligibility rules against the applicant's answers, before the long form.

    Answers: protection_status ("refugee", "asylum_seeker" or "none"), status_valid_until (a
    date or None), renewal_pending (bool), school ("finished", "finished_no_documents",
    "not_yet"). Borderline cases pass with a flag for staff.
    """
    rules = cycle.eligibility_rules or {}
    allowed = rules.get("protection_statuses") or ["refugee", "asylum_seeker"]
    verdict = Precheck()
    status = answers.get("protection_status") or "none"
    if status not in allowed:
        verdict.failures.append(
            RuleResult(
                "protection_status",
                _(
                    "This quota is only for %(who)s.",
                    who=labels.join_list(_protection_label(s) for s in allowed),
                ),
                _(
                    "If you have asked for asylum in Kazakhstan or hold refugee status, choose "
                    "that answer. Otherwise UNHCR's partners in Kazakhstan can advise you on "
                    "other study support."
                ),
            )
        )
    valid_until = answers.get("status_valid_until")
    renewal = bool(answers.get("renewal_pending"))
    start = reference_date(cycle)
    if status in allowed:
        if valid_until is None and not renewal:
            verdict.failures.append(
                RuleResult(
                    "status_valid_until",
                    _("We need the date your status document is valid until."),
                    _(
                        "Enter the date printed on the document. If it is being renewed, "
                        "tick “renewal pending”."
                    ),
                )
            )
        elif valid_until is None:
            verdict.flags.append("status_date_unknown")
        elif valid_until < start:
            if renewal:
                verdict.flags.append("status_renewal_pending")
            else:
                verdict.failures.append(
                    RuleResult(
                        "status_valid_until",
                        _(
                            "Your status document expires before studies start on %(day)s.",
                            day=start.isoformat(),
                        ),
                        _(
                            "Ask the migration service to renew it. If you have already asked, "
                            "tick “renewal pending”: you can apply and staff will check it."
                        ),
                    )
                )
    school = answers.get("school") or "not_yet"
    if rules.get("require_secondary_school", True):
        if school == "not_yet":
            verdict.failures.append(
                RuleResult(
                    "secondary_school",
                    _("You need a finished secondary school (11 or 12 years) to apply."),
                    _(
                        "Apply in the cycle after you finish school. If you finished school but "
                        "lost the documents, choose that answer: you can still apply."
                    ),
                )
            )
        elif school == "finished_no_documents":
            verdict.flags.append("school_documents_lost")
    return verdict


def _protection_label(value: str) -> str:
    labels = {"refugee": _("recognised refugees"), "asylum_seeker": _("asylum seekers")}
    return str(labels.get(value, value))


def start(user: User, cycle: Cycle, answers: dict[str, Any], *, by: User) -> Application:
    """Run the pre-check and open (or reopen) the user's draft; refuse with reasons if it fails.

    Refuses when the cycle does not take applications now.
    """
    if not cycle.accepts_applications(utcnow()):
        raise NotEditable(_("Applications for this cycle are not open."))
    verdict = precheck(cycle, answers)
    if not verdict.ok:
        raise PrecheckRefused(verdict.failures)
    application = get_or_create_draft(user, cycle)
    if application.status != S.DRAFT:
        return application
    application.precheck = {
        key: (value.isoformat() if isinstance(value, date) else value)
        for key, value in answers.items()
    }
    precheck_flags = {"status_renewal_pending", "status_date_unknown", "school_documents_lost"}
    kept = set(application.flags or []) - precheck_flags
    application.flags = sorted(kept | set(verdict.flags))
    status = answers.get("protection_status")
    if status in ProtectionStatus.__members__.values() and application.protection_status is None:
        application.protection_status = ProtectionStatus(cast(str, status))  # a member's value
    if answers.get("status_valid_until") and application.status_valid_until is None:
        application.status_valid_until = answers["status_valid_until"]
    if application.current_step == "eligibility":
        application.current_step = "personal"
    application.saved_at = utcnow()
    db.session.flush()
    return application


def get_or_create_draft(user: User, cycle: Cycle) -> Application:
    """Return the user's application in `cycle`, creating an empty draft the first time."""
    existing = application_for(user, cycle)
    if existing is not None:
        return existing
    application = Application(
        applicant=user,
        cycle=cycle,
        status=S.DRAFT,
        public_code=new_public_code(),
        contact_email=user.email,
        name_latin="",
        flags=[],
        needs_info_sections=[],
    )
    db.session.add(application)
    db.session.flush()
    audit.record(user, "application.create", application)
    return application


# ---------------------------------------------------------------------------- editing


def editable_sections(application: Application) -> frozenset[str]:
    """Return the sections the applicant may change now (all in a draft, the named ones in
    needs_info, none otherwise)."""
    if application.status == S.DRAFT:
        return frozenset(SECTIONS)
    if application.status == S.NEEDS_INFO:
        named = set(application.needs_info_sections or [])
        return frozenset(s for s in SECTIONS if s in named) or frozenset(SECTIONS)
    return frozenset()


def _check_editable(application: Application, section: str, by: User) -> None:
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if section not in editable_sections(application):
        if application.status in (S.DRAFT, S.NEEDS_INFO):
            raise NotEditable(
                _("Staff reopened other parts of your application; this part stays as sent.")
            )
        raise NotEditable(_("Your application was sent and can no longer be changed."))


def _check_version(application: Application, expected_version: int | None) -> None:
    if expected_version is None or int(expected_version) != application.version:
        raise StaleVersion(_STALE_MESSAGE())


def _STALE_MESSAGE() -> str:  # noqa: N802 - reads like the constant it stands for
    return str(
        _(
            "Your application was changed in another tab or on another device after you "
            "opened this page, so this page was not saved. What you typed is still below: "
            "check it against the saved version and save again."
        )
    )


def save_step(
    application: Application,
    step: str,
    data: dict[str, Any],
    *,
    expected_version: int | None,
    by: User,
) -> Application:
    """Save one step of the draft and move on to the next; refuse stale versions.

    Refuses unknown steps, steps that are not editable now, and a version that differs from
    the one the page was opened with (another tab saved in between).
    """
    if step not in ("personal", "protection", "education", "scores"):
        raise InvalidInput(_("There is no such part of the form."))
    _check_editable(application, step, by)
    _check_version(application, expected_version)
    if step == "scores":
        _save_scores(application, data)
    else:
        for name in _STEP_FIELDS[step]:
            if name not in data:
                continue
            value = data[name]
            enum = _ENUM_FIELDS.get(name)
            if enum is not None:
                value = enum(value) if value else None
            elif isinstance(value, str):
                value = value.strip()
            setattr(application, name, value)
    if step == "protection":
        _flag_expiry(application)
    _touch(application, step)
    return application


def _flag_expiry(application: Application) -> None:
    flags = set(application.flags or [])
    flags.discard("status_expires_before_start")
    valid_until = application.status_valid_until
    if valid_until is not None and valid_until < reference_date(application.cycle):
        flags.add("status_expires_before_start")
    application.flags = sorted(flags)


def _save_scores(application: Application, data: dict[str, Any]) -> None:
    weights = scoring.formula_weights(application.cycle.score_formula or {})
    values: dict[str, Decimal] = {}
    for name in weights:
        raw = data.get(name)
        if raw is None or raw == "":
            continue
        try:
            value = Decimal(str(raw))
        except ArithmeticError:
            raise InvalidInput(_("Scores must be numbers.")) from None
        if value < 0 or value > Decimal("99999"):
            raise InvalidInput(_("A score must be between 0 and 99999."))
        values[name] = value.quantize(Decimal("0.01"))
    existing = {c.name: c for c in application.score_components}
    for name, value in values.items():
        if name in existing:
            existing[name].value = value
        else:
            application.score_components.append(ScoreComponent(name=name, value=value))
    for name, component in existing.items():
        if name not in values:
            application.score_components.remove(component)
    application.competitive_score = scoring.competitive_score(
        application.cycle.score_formula or {}, values
    )


def _touch(application: Application, step: str) -> None:
    application.saved_at = utcnow()
    following = STEPS[STEPS.index(step) + 1] if step in STEPS[:-1] else "review"
    if application.status == S.DRAFT:
        application.current_step = following
    _flush()


def _flush() -> None:
    # The version column is the real guard when two saves race past the check above.
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleVersion(_STALE_MESSAGE()) from None


# ---------------------------------------------------------------------------- choices


def search_programs(
    cycle: Cycle,
    *,
    text: str = "",
    city: str = "",
    field_group: str = "",
    language: str = "",
    limit: int = 50,
) -> list[Program]:
    """Find programs with quota places in this cycle by name, university, city, field, language."""
    query = (
        select(Program)
        .join(ProgramQuota, ProgramQuota.program_id == Program.id)
        .join(University, University.id == Program.university_id)
        .where(ProgramQuota.cycle_id == cycle.id, ProgramQuota.places > 0)
    )
    if text.strip():
        like = f"%{text.strip()[:80]}%"
        query = query.where(
            or_(
                Program.name_en.ilike(like),
                Program.name_ru.ilike(like),
                Program.name_kk.ilike(like),
                Program.code.ilike(like),
                University.name_en.ilike(like),
                University.name_ru.ilike(like),
                University.name_kk.ilike(like),
                University.code.ilike(like),
            )
        )
    if city:
        query = query.where(University.city == city)
    if field_group:
        query = query.where(Program.field_group == field_group)
    if language:
        query = query.where(Program.language == language)
    return list(db.session.scalars(query.order_by(University.code, Program.code).limit(limit)))


def search_facets(cycle: Cycle) -> dict[str, list[str]]:
    """Return the cities, field groups and languages that programs of this cycle have."""
    rows = db.session.execute(
        select(University.city, Program.field_group, Program.language)
        .join(Program, Program.university_id == University.id)
        .join(ProgramQuota, ProgramQuota.program_id == Program.id)
        .where(ProgramQuota.cycle_id == cycle.id, ProgramQuota.places > 0)
    ).all()
    return {
        "city": sorted({r[0] for r in rows}),
        "field_group": sorted({str(r[1].value if hasattr(r[1], "value") else r[1]) for r in rows}),
        "language": sorted({r[2] for r in rows}),
    }


def add_choice(
    application: Application, program_id: int, *, expected_version: int | None, by: User
) -> Choice:
    """Put a program at the end of the ranked list; refuse duplicates, programs without quota
    places in this cycle, and more than the cycle's maximum."""
    _check_editable(application, "choices", by)
    _check_version(application, expected_version)
    quota = db.session.scalar(
        select(ProgramQuota).where(
            ProgramQuota.cycle_id == application.cycle_id,
            ProgramQuota.program_id == program_id,
            ProgramQuota.places > 0,
        )
    )
    if quota is None:
        raise InvalidInput(_("This program has no places for the quota in this cycle."))
    if any(c.program_id == program_id for c in application.choices):
        raise InvalidInput(_("This program is already on your list."))
    if len(application.choices) >= application.cycle.max_choices:
        raise InvalidInput(
            ngettext(
                "You can list at most %(num)d program. Remove it first.",
                "You can list at most %(num)d programs. Remove one first.",
                application.cycle.max_choices,
            )
        )
    choice = Choice(program_id=program_id, rank=len(application.choices) + 1)
    application.choices.append(choice)
    _touch(application, "choices")
    return choice


def _choice(application: Application, choice_id: int) -> Choice:
    for choice in application.choices:
        if choice.id == choice_id:
            return choice
    raise NotFound(_("There is no such program on your list."))


def remove_choice(
    application: Application, choice_id: int, *, expected_version: int | None, by: User
) -> None:
    """Take a program off the list and close the gap in the ranking."""
    _check_editable(application, "choices", by)
    choice = _choice(application, choice_id)
    _check_version(application, expected_version)
    ordered = [c for c in sorted(application.choices, key=lambda c: c.rank) if c is not choice]
    application.choices.remove(choice)
    _renumber(application, ordered)
    _touch(application, "choices")


def move_choice(
    application: Application,
    choice_id: int,
    direction: str,
    *,
    expected_version: int | None,
    by: User,
) -> None:
    """Move a program one place up or down the ranking (a no-op at either end)."""
    if direction not in ("up", "down"):
        raise InvalidInput(_("Choose up or down."))
    _check_editable(application, "choices", by)
    choice = _choice(application, choice_id)
    _check_version(application, expected_version)
    ordered = sorted(application.choices, key=lambda c: c.rank)
    i = ordered.index(choice)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(ordered):
        ordered[i], ordered[j] = ordered[j], ordered[i]
        _renumber(application, ordered)
    _touch(application, "choices")


def _renumber(application: Application, ordered: list[Choice]) -> None:
    # Two passes: ranks are unique per application, so never hold two choices on one rank.
    for i, choice in enumerate(ordered):
        choice.rank = 1000 + i
    _flush()
    for i, choice in enumerate(ordered, start=1):
        choice.rank = i
    _flush()
    application.choices.sort(key=lambda c: c.rank)


# --------------------------------------------------------------------------- documents


def checklist(application: Application) -> list[ChecklistItem]:
    """List the documents this application needs, why, and whether what was sent covers it.

    Alternative evidence (a sworn statement, an attestation, a qualifications passport) stands
    in for a missing school certificate or, on the foreign-school route, test results.
    """
    docs = [d for d in application.documents if d.state != DocumentState.REPLACED]
    by_kind: dict[DocumentKind, list[Document]] = {}
    for doc in docs:
        by_kind.setdefault(doc.kind, []).append(doc)

    def counted(kind: DocumentKind) -> bool:
        return any(d.state in COUNTING_STATES for d in by_kind.get(kind, []))

    has_alternative = counted(DocumentKind.ALTERNATIVE_EVIDENCE)
    foreign = application.education_route == EducationRoute.FOREIGN_SCHOOL
    renewal = "status_renewal_pending" in (application.flags or [])
    items = [
        ChecklistItem(
            DocumentKind.STATUS_PROOF,
            _("Proof of refugee or asylum-seeker status"),
            _("The quota is only for people with protection status in Kazakhstan."),
            required=True,
            satisfied=counted(DocumentKind.STATUS_PROOF),
            alternative=_("If your renewal is pending, send the receipt of your renewal request.")
            if renewal
            else "",
        ),
        ChecklistItem(
            DocumentKind.SCHOOL_CERTIFICATE,
            _("Secondary school certificate"),
            _("Universities admit only people who finished secondary school."),
            required=True,
            satisfied=counted(DocumentKind.SCHOOL_CERTIFICATE) or has_alternative,
            alternative=_(
                "Lost or left behind? Send alternative evidence instead: a sworn statement, a "
                "UNHCR or partner attestation, or a qualifications passport assessment."
            ),
        ),
        ChecklistItem(
            DocumentKind.TEST_CERTIFICATE,
            _("Test results (UNT certificate)") if not foreign else _("Test or exam results"),
            _("Your competitive score is checked against them."),
            required=True,
            satisfied=counted(DocumentKind.TEST_CERTIFICATE) or (foreign and has_alternative),
            alternative=_("From a school abroad, an assessment of your qualifications counts.")
            if foreign
            else "",
        ),
        ChecklistItem(
            DocumentKind.ALTERNATIVE_EVIDENCE,
            _("Alternative evidence"),
            _("Only when an original document is missing."),
            required=False,
            satisfied=has_alternative,
        ),
    ]
    for item in items:
        item.documents = by_kind.get(item.kind, [])
    return items


# ----------------------------------------------------------------------- submit, withdraw


def missing_items(application: Application) -> list[tuple[str, str]]:
    """Return (section, message) for everything still missing before the application can go."""
    missing: list[tuple[str, str]] = []
    a = application
    if not (a.name_native or a.name_latin):
        missing.append(("personal", _("Your name")))
    if a.date_of_birth is None:
        missing.append(("personal", _("Your date of birth")))
    if a.gender is None:
        missing.append(("personal", _("Gender")))
    if not a.country_of_origin:
        missing.append(("personal", _("Country of origin")))
    if a.protection_status is None:
        missing.append(("protection", _("Protection status")))
    if not a.status_document_number:
        missing.append(("protection", _("Status document number")))
    if a.status_valid_until is None and "status_date_unknown" not in (a.flags or []):
        missing.append(("protection", _("Status document valid until")))
    if a.education_route is None:
        missing.append(("education", _("Education route")))
    if a.competitive_score is None:
        missing.append(("scores", _("All score components")))
    if not a.choices:
        missing.append(("choices", _("At least one program")))
    for item in checklist(a):
        if item.required and not item.satisfied:
            missing.append(("documents", item.title))
    return missing


def submit(application: Application, *, by: User) -> Application:
    """Send the application with the declaration; refuse when incomplete or after the deadline.

    A draft can be sent only while the cycle takes applications. An application returned for
    more information (needs_info) goes back to submitted.
    """
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if application.status not in (S.DRAFT, S.NEEDS_INFO):
        raise NotEditable(_("This application was already sent."))
    now = utcnow()
    if application.status == S.DRAFT and not application.cycle.accepts_applications(now):
        raise NotEditable(
            _(
                "The deadline has passed: applications closed on %(day)s.",
                day=application.cycle.application_closes_at.date().isoformat(),
            )
        )
    missing = missing_items(application)
    if missing:
        raise InvalidInput(
            _(
                "Something is still missing: %(items)s.",
                items=labels.join_list(m for _s, m in missing),
            )
        )
    resubmission = application.status == S.NEEDS_INFO
    application.declaration_accepted_at = now
    if not resubmission:
        application.submitted_at = now
    workflow.change_status(
        application,
        S.SUBMITTED,
        by=by,
        note=_("Sent again with the information asked for.") if resubmission else "",
    )
    application.needs_info_sections = []
    application.current_step = "review"
    application.saved_at = now
    db.session.flush()
    return application


def withdraw(application: Application, *, by: User, reason: str = "") -> Application:
    """Withdraw the application for good; any offered or accepted place goes back to others.

    Refuses after enrolment, and a second withdrawal.
    """
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if not workflow.can_change(application, S.WITHDRAWN):
        raise NotEditable(_("This application can no longer be withdrawn."))
    now = utcnow()
    live = db.session.scalars(
        select(Placement).where(
            Placement.application_id == application.id,
            Placement.state.in_([PlacementState.OFFERED, PlacementState.ACCEPTED]),
        )
    ).all()
    for placement in live:
        placement.state = PlacementState.DECLINED
        placement.decided_at = now
        placement.decline_reason = "withdrawn"
    application.withdrawn_at = now
    workflow.change_status(application, S.WITHDRAWN, by=by, note=reason[:500])
    db.session.flush()
    return application


def delete_draft(application: Application, *, by: User) -> None:
    """Delete a draft that was never sent, with its documents; refuse anything already sent."""
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if application.status != S.DRAFT or application.submitted_at is not None:
        raise NotEditable(
            _("Only a draft that was never sent can be deleted. Ask the ministry about the rest.")
        )
    audit.record(
        by,
        "application.delete_draft",
        application,
        before={"status": application.status.value, "documents": len(application.documents)},
    )
    application.deletion_requested_at = utcnow()
    db.session.delete(application)
    db.session.flush()


# ------------------------------------------------------------------------------ reading


def timeline(application: Application) -> list[dict[str, Any]]:
    """Return the visible status changes and appeal steps, oldest first, in plain language."""
    from app.services import appeals

    changes = [
        {
            "status": change.to_status,
            "label": workflow.status_label(change.to_status),
            "meaning": workflow.status_meaning(change.to_status),
            "at": change.at,
            "note": change.note,
        }
        for change in application.status_changes
        if change.visible
    ]
    return sorted(changes + appeals.timeline_entries(application), key=lambda e: e["at"])


def export_data(application: Application) -> dict[str, Any]:
    """Return everything Umit holds about this application, as plain JSON-ready data."""
    a = application

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None and hasattr(value, "isoformat") else value

    return {
        "format": "umit-applicant-export/1",
        "exported_at": utcnow().isoformat(),
        "account": {"email": a.applicant.email, "full_name": a.applicant.full_name},
        "application": {
            "public_code": a.public_code,
            "cycle": a.cycle.name,
            "status": a.status.value,
            "created_at": iso(a.created_at),
            "submitted_at": iso(a.submitted_at),
            "name_native": a.name_native,
            "name_latin": a.name_latin,
            "name_cyrillic": a.name_cyrillic,
            "date_of_birth": iso(a.date_of_birth),
            "gender": a.gender.value if a.gender else None,
            "country_of_origin": a.country_of_origin,
            "phone": a.phone,
            "contact_email": a.contact_email,
            "protection_status": a.protection_status.value if a.protection_status else None,
            "status_document_number": a.status_document_number,
            "status_document_issuer": a.status_document_issuer,
            "status_valid_until": iso(a.status_valid_until),
            "education_route": a.education_route.value if a.education_route else None,
            "school_name": a.school_name,
            "school_country": a.school_country,
            "graduation_year": a.graduation_year,
            "competitive_score": str(a.competitive_score)
            if a.competitive_score is not None
            else None,
            "score_components": {c.name: str(c.value) for c in a.score_components},
            "precheck": a.precheck,
            "flags": list(a.flags or []),
            "ineligible_reason": a.ineligible_reason,
            "needs_info_sections": list(a.needs_info_sections or []),
            "needs_info_note": a.needs_info_note,
        },
        "choices": [
            {"rank": c.rank, "program": c.program.code, "university": c.program.university.code}
            for c in sorted(a.choices, key=lambda c: c.rank)
        ],
        "documents": [
            {
                "id": d.id,
                "kind": d.kind.value,
                "evidence_type": d.evidence_type,
                "original_name": d.original_name,
                "content_type": d.content_type,
                "size_bytes": d.size_bytes,
                "sha256": d.sha256,
                "state": d.state.value,
                "uploaded_at": iso(d.uploaded_at),
            }
            for d in a.documents
        ],
        "timeline": [
            {"status": t["status"].value, "at": iso(t["at"]), "note": t["note"]}
            for t in timeline(a)
        ],
        "placements": [
            {
                "round": p.round.number,
                "program": p.program.code,
                "choice_rank": p.choice_rank,
                "state": p.state.value,
                "offer_deadline_at": iso(p.offer_deadline_at),
            }
            for p in db.session.scalars(
                select(Placement).where(Placement.application_id == a.id).order_by(Placement.id)
            )
            if p.state != PlacementState.PROPOSED
        ],
    }
