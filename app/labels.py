"""The reader's words for every stored code: one mapping per enum or code list.

Pages, e-mails, in-portal messages, PDFs and human-facing exports all ask here, so a status or
an audit action has the same name everywhere. Codes stay what machines read: the database, the
API, the solver exchange files and the code columns of exports. Countries and languages come
from Babel's CLDR names in the reader's locale, so they need no catalogue entries.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any

from babel import Locale
from babel.lists import format_list
from flask import Flask
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from app.models import (
    AppealGround,
    AppealState,
    AppealSubject,
    ApplicationStatus,
    CycleStatus,
    DocumentKind,
    DocumentState,
    EducationRoute,
    FieldGroup,
    Gender,
    NotificationState,
    PlacementState,
    ProtectionStatus,
    RoundKind,
    RoundStatus,
    StudyLevel,
    UserRole,
    UserStatus,
)

# Lazy strings: each is translated when shown, in the reader's language.
ENUM_TEXT: dict[type[StrEnum], Mapping[str, Any]] = {
    ApplicationStatus: {
        "draft": _l("Draft"),
        "submitted": _l("Submitted"),
        "in_review": _l("Being checked"),
        "needs_info": _l("More information needed"),
        "eligible": _l("Eligible"),
        "ineligible": _l("Not eligible"),
        "placed": _l("Offered a place"),
        "not_placed": _l("Not placed"),
        "accepted": _l("Accepted"),
        "declined": _l("Declined"),
        "expired": _l("Offer expired"),
        "enrolled": _l("Enrolled"),
        "no_show": _l("Did not enrol"),
        "withdrawn": _l("Withdrawn"),
    },
    ProtectionStatus: {
        "refugee": _l("Recognised refugee"),
        "asylum_seeker": _l("Asylum seeker"),
    },
    Gender: {"F": _l("Female"), "M": _l("Male"), "X": _l("Other")},
    EducationRoute: {
        "kz_school": _l("At a school in Kazakhstan (with UNT results)"),
        "foreign_school": _l("At a school abroad"),
    },
    CycleStatus: {
        "draft": _l("Draft"),
        "open": _l("Open"),
        "closed": _l("Closed"),
        "allocating": _l("Allocating"),
        "finished": _l("Finished"),
    },
    RoundKind: {
        "main": _l("Main round"),
        "supplementary": _l("Supplementary round (released places)"),
        "appeal": _l("Appeal round"),
    },
    RoundStatus: {
        "queued": _l("Queued"),
        "running": _l("Running"),
        "solved": _l("Solved, not published"),
        "infeasible": _l("No solution"),
        "failed": _l("Failed"),
        "published": _l("Published"),
        "superseded": _l("Superseded"),
    },
    PlacementState: {
        "proposed": _l("Proposed"),
        "offered": _l("Offered"),
        "accepted": _l("Accepted"),
        "declined": _l("Declined"),
        "expired": _l("Expired"),
        "enrolled": _l("Enrolled"),
        "no_show": _l("Did not enrol"),
        "superseded": _l("Superseded"),
    },
    AppealSubject: {
        "eligibility": _l("The decision that the application is not eligible"),
        "document": _l("A rejected document"),
        "score": _l("The competitive score"),
        "placement": _l("The result of an allocation round"),
    },
    AppealGround: {
        "factual_error": _l("A factual error in my data or score"),
        "document_wrongly_rejected": _l("My document was wrongly rejected"),
        "procedure_not_followed": _l("The procedure was not followed"),
        "new_evidence": _l("New evidence that was not available earlier"),
    },
    AppealState: {
        "submitted": _l("Submitted"),
        "in_review": _l("Being reviewed"),
        "upheld": _l("Upheld"),
        "partly_upheld": _l("Partly upheld"),
        "dismissed": _l("Dismissed"),
        "withdrawn": _l("Withdrawn"),
    },
    DocumentKind: {
        "status_proof": _l("Proof of refugee or asylum-seeker status"),
        "school_certificate": _l("Secondary school certificate"),
        "test_certificate": _l("Test results"),
        "alternative_evidence": _l("Alternative evidence"),
        "appeal_evidence": _l("Evidence for an appeal"),
    },
    DocumentState: {
        "uploaded": _l("Uploaded"),
        "verified": _l("Verified"),
        "rejected": _l("Rejected"),
        "provisionally_accepted": _l("Provisionally accepted"),
        "replaced": _l("Replaced"),
    },
    NotificationState: {"pending": _l("Pending"), "sent": _l("Sent"), "failed": _l("Failed")},
    FieldGroup: {
        "EDU": _l("Education"),
        "ART": _l("Arts and humanities"),
        "SOC": _l("Social sciences, journalism and information"),
        "BUS": _l("Business, management and law"),
        "SCI": _l("Natural sciences, mathematics and statistics"),
        "ICT": _l("Information and communication technologies"),
        "ENG": _l("Engineering, manufacturing and construction"),
        "AGR": _l("Agriculture and bioresources"),
        "MED": _l("Health care"),
        "SRV": _l("Services"),
    },
    StudyLevel: {"bachelor": _l("Bachelor"), "master": _l("Master")},
    UserRole: {
        "applicant": _l("Applicant"),
        "university": _l("University officer"),
        "ministry": _l("Ministry officer"),
        "admin": _l("Administrator"),
    },
    UserStatus: {
        "active": _l("Active"),
        "locked": _l("Locked"),
        "deactivated": _l("Deactivated"),
    },
}

# Where the applicant reads a state, some words are gentler than the staff's.
APPLICANT_TEXT: dict[type[StrEnum], Mapping[str, Any]] = {
    PlacementState: {"offered": _l("Waiting for your answer")},
    DocumentState: {"uploaded": _l("Received"), "provisionally_accepted": _l("Accepted for now")},
}

# Notes staff must look at on an application (Application.flags); the applicant may still apply.
FLAG_TEXT: Mapping[str, Any] = {
    "status_renewal_pending": _l("Status renewal pending: the document expires before the start."),
    "status_date_unknown": _l("Status document date not known yet (renewal pending)."),
    "school_documents_lost": _l("School finished, but the documents were lost."),
    "status_expires_before_start": _l("The status document expires before studies start."),
}

# Kinds of alternative evidence an applicant without school papers may upload.
EVIDENCE_TYPE_TEXT: Mapping[str, Any] = {
    "sworn_statement": _l("Sworn statement"),
    "unhcr_attestation": _l("UNHCR or partner attestation"),
    "qualifications_passport": _l("Qualifications passport assessment"),
    "other": _l("Other evidence"),
}

# Coded reasons for rejecting a document (Document.reason_code); the applicant sees the text.
REJECT_REASON_TEXT: Mapping[str, Any] = {
    "illegible": _l("The document cannot be read."),
    "expired": _l("The document has expired."),
    "wrong_document": _l("This is not the document that was asked for."),
    "name_mismatch": _l("The name does not match the application."),
    "incomplete": _l("Pages or parts of the document are missing."),
    "not_authentic": _l("The document could not be confirmed as genuine."),
}

# Coded reasons a university gives for declining an accepted student (Placement.decline_reason,
# after the `university:` prefix).
DECLINE_REASON_TEXT: Mapping[str, Any] = {
    "did_not_arrive": _l("Did not arrive"),
    "documents_not_presented": _l("Documents not presented"),
    "withdrew": _l("Withdrew"),
}

# Why an applicant declined an offer (Placement.decline_reason without a prefix); "withdrawn"
# is set when the whole application is withdrawn.
APPLICANT_DECLINE_TEXT: Mapping[str, Any] = {
    "other_offer": _l("I have another study place"),
    "moving": _l("I am moving away"),
    "personal": _l("Personal reasons"),
    "withdrawn": _l("The application was withdrawn"),
}

# Parts of the competitive score (ScoreComponent.name).
SCORE_COMPONENT_TEXT: Mapping[str, Any] = {
    "unt_total": _l("UNT total score"),
    "gpa": _l("School grade average"),
    "language_test": _l("Language test score"),
}

# What each audit action did, as staff read it in the audit log and the histories. Actions
# named `prefix.<enum value>` (an application status, a document state, an appeal outcome) are
# worded from the enum's own label, see `action_label`.
ACTION_TEXT: Mapping[str, Any] = {
    "api_token.create": _l("API token created"),
    "api_token.revoke": _l("API token revoked"),
    "appeal.assign": _l("Appeal assigned to an officer"),
    "appeal.evidence": _l("Evidence added"),
    "appeal.file": _l("Appeal filed"),
    "appeal.made_good": _l("Place offered on appeal"),
    "appeal.withdraw": _l("Appeal withdrawn"),
    "application.create": _l("Application started"),
    "application.delete_draft": _l("Draft application deleted"),
    "application.erasure_deferred": _l("Erasure of the application deferred"),
    "application.purge": _l("Application erased"),
    "application.score_corrected": _l("Competitive score corrected"),
    "cycle.create": _l("Cycle created"),
    "cycle.limits": _l("Cycle limits changed"),
    "cycle.rules_lock": _l("Cycle rules locked"),
    "cycle.seed_commit": _l("Lottery seed committed"),
    "cycle.status": _l("Cycle stage changed"),
    "cycle.update": _l("Cycle changed"),
    "document.upload": _l("Document uploaded"),
    "export.applicants": _l("Applicants exported"),
    "placement.accept": _l("Offer accepted"),
    "placement.decline": _l("Offer declined"),
    "placement.expire": _l("Offer expired"),
    "placement.enrol": _l("Enrolment confirmed"),
    "placement.university_decline": _l("Student declined by the university"),
    "placement.no_show": _l("Student did not enrol"),
    "quota.approve_proposal": _l("Proposed places approved"),
    "quota.import": _l("Quotas imported"),
    "quota.propose": _l("Places proposed"),
    "quota.update": _l("Quota changed"),
    "retention.purge": _l("Old records erased"),
    "round.abandon": _l("Round abandoned"),
    "round.fail": _l("Round failed"),
    "round.publish": _l("Round published"),
    "round.solve": _l("Round solved"),
    "round.start": _l("Round started"),
    "security.rotate_keys": _l("Encryption keys rotated"),
    "user.anonymise": _l("Account anonymised"),
    "user.confirm_email": _l("E-mail address confirmed"),
    "user.create_staff": _l("Staff account created"),
    "user.locked": _l("Account locked"),
    "user.password_change": _l("Password changed"),
    "user.password_reset": _l("Password reset"),
    "user.password_reset_requested": _l("Password reset requested"),
    "user.recovery_codes_regenerated": _l("New recovery codes made"),
    "user.register": _l("Account registered"),
    "user.set_status": _l("Account status changed"),
    "user.sign_in": _l("Signed in"),
    "user.sign_out": _l("Signed out"),
    "user.two_factor_enabled": _l("Two-step sign-in set up"),
    "user.two_factor_failed": _l("Two-step sign-in code refused"),
    "user.two_factor_ok": _l("Two-step sign-in code accepted"),
    "user.two_factor_reset": _l("Two-step sign-in reset"),
}
# The steps of an appeal as the applicant reads them on the appeal's page.
APPLICANT_ACTION_TEXT: Mapping[str, Any] = {
    "appeal.file": _l("Appeal filed"),
    "appeal.evidence": _l("Evidence added"),
    "appeal.assign": _l("An officer is reviewing your appeal"),
    "appeal.withdraw": _l("Appeal withdrawn"),
    "appeal.upheld": _l("Appeal upheld"),
    "appeal.partly_upheld": _l("Appeal partly upheld"),
    "appeal.dismissed": _l("Appeal dismissed"),
    "appeal.made_good": _l("Place offered in an appeal round"),
}
# What the solver reports about a round (Round.result and Round.certificate; solver/ names).
SOLVER_TEXT: Mapping[str, Any] = {
    # methods
    "deferred-acceptance": _l("Deferred acceptance"),
    "cp-sat": _l("CP-SAT optimisation"),
    # result statuses
    "optimal": _l("Optimal"),
    "feasible": _l("Feasible, not proven optimal"),
    "infeasible": _l("No solution"),
    # why a program was left out for an applicant
    "below_min_score": _l("below the program's minimum score"),
    # the independent checker's findings
    "one_place_ok": _l("Each applicant has at most one place"),
    "listed_ok": _l("Only programs the applicant listed"),
    "eligible_ok": _l("Only programs whose minimum score the applicant meets"),
    "capacity_ok": _l("No program over its places"),
    "limits_ok": _l("Caps and budget respected"),
    "holders_ok": _l("Nobody lost a place held from an earlier round"),
    "guaranteed_ok": _l("Places owed on appeal given"),
    "no_envy_ok": _l("No justified envy"),
    "no_waste_ok": _l("No place wasted"),
    "minimum_share_ok": _l("Minimum share met"),
    "justified_envy_pairs": _l("Pairs with justified envy"),
    "wasted_place_pairs": _l("Wasted places"),
    "extra_places": _l("Extra places"),
    "passed_over": _l("Applicants passed over by policy (reserved places or caps)"),
    "violation_count": _l("Violations"),
    "ok": _l("Publishable"),
}
YES, NO = _l("yes"), _l("no")


def solver_value(value: Any) -> str:
    """Return a certificate value for people: yes/no for flags, "—" for none, else as is."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(YES if value else NO)
    return str(value)


# The kinds of object the audit log names (AuditEvent.object_type).
OBJECT_TYPE_TEXT: Mapping[str, Any] = {
    "apitoken": _l("API token"),
    "appeal": _l("Appeal"),
    "application": _l("Application"),
    "cycle": _l("Cycle"),
    "document": _l("Document"),
    "encryption": _l("Encryption"),
    "placement": _l("Placement"),
    "programquota": _l("Quota"),
    "retention": _l("Retention"),
    "round": _l("Round"),
    "user": _l("Account"),
}
# `prefix.<value>` actions: the enum whose label completes the sentence.
_ACTION_ENUMS: Mapping[str, tuple[type[StrEnum], Any]] = {
    "application": (ApplicationStatus, _l("Application status: %(label)s")),
    "document": (DocumentState, _l("Document: %(label)s")),
    "appeal": (AppealState, _l("Appeal decided: %(label)s")),
}
# The country picked when none of the listed ones fits (not an ISO code).
NO_COUNTRY = "XX"
NO_COUNTRY_TEXT = _l("Stateless or other")


def label(value: Any, *, applicant: bool = False) -> str:
    """Return the reader's name for an enum member (or None as "—").

    Refuses plain strings: a bare "draft" could be an application's or a cycle's, so callers
    pass the enum (`ApplicationStatus(code)`) and never guess.
    """
    if value is None:
        return "—"
    if not isinstance(value, StrEnum):
        raise TypeError(f"label() needs an enum member, not {value!r}")
    kind = type(value)
    if applicant and value.value in APPLICANT_TEXT.get(kind, {}):
        return str(APPLICANT_TEXT[kind][value.value])
    return str(ENUM_TEXT[kind][value.value])


def coded(mapping: Mapping[str, Any], code: str | None) -> str:
    """Return the reader's text for `code` in one of the code lists above ("—" when empty)."""
    if not code:
        return "—"
    text = mapping.get(code)
    return str(text) if text is not None else code


def action_label(action: str, *, applicant: bool = False) -> str:
    """Return what an audit action did, in the reader's language (the code if unknown)."""
    text = (APPLICANT_ACTION_TEXT if applicant else {}).get(action) or ACTION_TEXT.get(action)
    if text is not None:
        return str(text)
    prefix, _dot, rest = action.partition(".")
    if prefix in _ACTION_ENUMS:
        enum, sentence = _ACTION_ENUMS[prefix]
        try:
            return str(sentence) % {"label": label(enum(rest))}
        except ValueError:
            pass
    return action


def _locale() -> Locale:
    return get_locale() or Locale.parse("en")


def country_name(code: str | None) -> str:
    """Return a country's name in the reader's language (CLDR), from its ISO 3166 code."""
    if not code:
        return "—"
    if code == NO_COUNTRY:
        return str(NO_COUNTRY_TEXT)
    return str(_locale().territories.get(code.upper(), code))


def language_name(code: str | None) -> str:
    """Return a language's name in the reader's language (CLDR), from its code (`kk`, `ru`)."""
    if not code:
        return "—"
    name = _locale().languages.get(code) or Locale.parse("en").languages.get(code, code)
    return str(name)


def join_list(items: Iterable[Any]) -> str:
    """Join items as the reader's language lists them: "a, b and c", "a، b، و c"."""
    words = [str(item) for item in items]
    if not words:
        return ""
    return format_list(words, style="standard", locale=_locale())


def register(app: Flask) -> None:
    """Expose the labels to every template (pages, e-mails and PDFs)."""
    app.jinja_env.globals.update(
        label=label,
        action_label=action_label,
        country_name=country_name,
        language_name=language_name,
        flag_label=lambda code: coded(FLAG_TEXT, code),
        evidence_type_label=lambda code: coded(EVIDENCE_TYPE_TEXT, code),
        score_component_label=lambda code: coded(SCORE_COMPONENT_TEXT, code),
        reject_reason_label=lambda code: coded(REJECT_REASON_TEXT, code),
        field_group_label=lambda code: coded(ENUM_TEXT[FieldGroup], code),
        appeal_step_label=lambda action: action_label(action, applicant=True),
        object_type_label=lambda code: coded(OBJECT_TYPE_TEXT, code),
        solver_label=lambda code: coded(SOLVER_TEXT, code),
        solver_value=solver_value,
    )
    app.jinja_env.filters.update(
        label=label,
        action_label=action_label,
        country=country_name,
        language=language_name,
        join_list=join_list,
        score_component=lambda code: coded(SCORE_COMPONENT_TEXT, code),
    )
