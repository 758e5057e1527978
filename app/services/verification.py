"""Verification: the queue, document decisions and eligibility decisions by ministry staff.

Every application move goes through `workflow.change_status`; every document decision is
audited and the applicant is told (the reason code and note are what they see).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from app import labels
from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Document,
    DocumentState,
    User,
    utcnow,
)
from app.services import audit, notifications, workflow
from app.services.errors import InvalidInput, NotFound, ServiceError

S = ApplicationStatus

# The states that wait for a ministry decision, oldest first.
QUEUE_STATES = (S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO)

# Coded reasons for rejecting a document; the applicant sees the text (app.labels).
REJECT_REASONS = labels.REJECT_REASON_TEXT

# Sections of the application form an officer can ask the applicant to complete again.
INFO_SECTIONS = {
    "personal": _l("Personal details"),
    "protection": _l("Protection status"),
    "education": _l("Education"),
    "scores": _l("Scores"),
    "choices": _l("Programme choices"),
    "documents": _l("Documents"),
}

OPEN_DOCUMENT_STATES = (DocumentState.UPLOADED,)
DONE_STATES = (DocumentState.VERIFIED, DocumentState.PROVISIONALLY_ACCEPTED)


@dataclass
class QueueEntry:
    application: Application
    waiting_since: datetime
    open_documents: int


def queue(
    cycle_id: int | None = None, status: ApplicationStatus | None = None, limit: int = 200
) -> list[Application]:
    """Return applications waiting for staff, oldest status change first."""
    states = (status,) if status in QUEUE_STATES else QUEUE_STATES
    query = (
        select(Application)
        .where(Application.status.in_(states))
        .options(selectinload(Application.documents))
        .order_by(Application.status_changed_at, Application.id)
        .limit(limit)
    )
    if cycle_id:
        query = query.where(Application.cycle_id == cycle_id)
    return list(db.session.scalars(query))


def backlog() -> dict[str, int]:
    """Count applications waiting per queue state."""
    rows = db.session.execute(
        select(Application.status, func.count())
        .where(Application.status.in_(QUEUE_STATES))
        .group_by(Application.status)
    ).all()
    counts = {s.value: 0 for s in QUEUE_STATES}
    counts.update({status.value: n for status, n in rows})
    return counts


def get_application(application_id: int) -> Application:
    """Return an application that has been submitted (drafts are the applicant's own)."""
    application = db.session.get(Application, application_id)
    if application is None or application.status == S.DRAFT:
        raise NotFound(_("There is no such application."))
    return application


def get_document(document_id: int) -> Document:
    """Return a document of a submitted application or raise NotFound."""
    document = db.session.get(Document, document_id)
    if document is None or document.application.status == S.DRAFT:
        raise NotFound(_("There is no such document."))
    return document


def start_review(application: Application, *, by: User) -> Application:
    """Take a submitted application into review (an internal move, not notified)."""
    if application.status == S.IN_REVIEW:
        return application
    workflow.change_status(application, S.IN_REVIEW, by=by)
    return application


def _decide_document(
    document: Document, state: DocumentState, *, by: User, reason_code: str = "", note: str = ""
) -> Document:
    application = document.application
    if application.status not in (S.SUBMITTED, S.IN_REVIEW):
        raise ServiceError(_("Documents can be checked only while the application is in review."))
    if document.state == DocumentState.REPLACED:
        raise ServiceError(_("This document was replaced by a newer upload."))
    before = {"state": document.state.value, "reason_code": document.reason_code}
    document.state = state
    document.reason_code = reason_code
    document.note = note.strip()
    document.verified_by_id = by.id
    document.verified_at = utcnow()
    if application.status == S.SUBMITTED:
        workflow.change_status(application, S.IN_REVIEW, by=by)
    db.session.flush()
    audit.record(
        by,
        f"document.{state.value}",
        document,
        before=before,
        after={"state": state.value, "reason_code": reason_code, "note": document.note},
    )
    notifications.notify(
        application.applicant,
        "document_state",
        {
            "application_id": application.id,
            "document_kind": document.kind.value,
            "state": state.value,
            "reason": str(REJECT_REASONS.get(reason_code, "")),
            "note": document.note,
            "name": application.applicant.full_name,
        },
    )
    return document


def verify_document(document: Document, *, by: User, note: str = "") -> Document:
    """Mark a document as checked and genuine."""
    return _decide_document(document, DocumentState.VERIFIED, by=by, note=note)


def reject_document(document: Document, reason_code: str, *, by: User, note: str = "") -> Document:
    """Reject a document with a coded reason (from REJECT_REASONS) and an optional note."""
    if reason_code not in REJECT_REASONS:
        raise InvalidInput(_("Choose a reason for rejecting the document."))
    return _decide_document(
        document, DocumentState.REJECTED, by=by, reason_code=reason_code, note=note
    )


def accept_provisionally(document: Document, *, by: User, note: str = "") -> Document:
    """Accept a document for now (e.g. a renewal is pending); the note says what is awaited."""
    if not note.strip():
        raise InvalidInput(_("Say what is still awaited when accepting provisionally."))
    return _decide_document(document, DocumentState.PROVISIONALLY_ACCEPTED, by=by, note=note)


def current_documents(application: Application) -> list[Document]:
    """Return the application's documents that were not replaced by a newer upload."""
    return [d for d in application.documents if d.state != DocumentState.REPLACED]


def mark_eligible(application: Application, *, by: User, note: str = "") -> Application:
    """Declare the application eligible; refuse while a document is unchecked or rejected."""
    if application.status == S.SUBMITTED:
        start_review(application, by=by)
    docs = current_documents(application)
    if any(d.state == DocumentState.UPLOADED for d in docs):
        raise ServiceError(_("Check every document before deciding eligibility."))
    if any(d.state == DocumentState.REJECTED for d in docs):
        raise ServiceError(
            _("A document is rejected: return the application for more information instead.")
        )
    if application.competitive_score is None:
        raise ServiceError(_("The application has no competitive score yet."))
    application.ineligible_reason = ""
    workflow.change_status(application, S.ELIGIBLE, by=by, note=note.strip())
    return application


def mark_ineligible(application: Application, reason: str, *, by: User) -> Application:
    """Declare the application ineligible with a reason the applicant sees (and may appeal)."""
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give the reason the applicant will see."))
    if application.status == S.SUBMITTED:
        start_review(application, by=by)
    application.ineligible_reason = reason
    workflow.change_status(application, S.INELIGIBLE, by=by, note=reason)
    return application


def request_info(
    application: Application, sections: list[str], note: str, *, by: User
) -> Application:
    """Return the application to the applicant, naming the sections to complete and why."""
    unknown = [s for s in sections if s not in INFO_SECTIONS]
    if not sections or unknown:
        raise InvalidInput(_("Name at least one section the applicant must complete."))
    if not note.strip():
        raise InvalidInput(_("Tell the applicant what is missing."))
    application.needs_info_sections = list(sections)
    application.needs_info_note = note.strip()
    workflow.change_status(application, S.NEEDS_INFO, by=by, note=note.strip())
    return application
