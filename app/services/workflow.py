"""The application's state machine: which moves are allowed, who is told, what is recorded.

Every status change of an application goes through `change_status`, so the timeline, the audit
log and the notifications can never disagree with the status itself.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app import labels
from app.extensions import db
from app.models import Application, ApplicationStatus, StatusChange, User, utcnow
from app.services import audit, notifications
from app.services.errors import ServiceError

S = ApplicationStatus

# DESIGN §2: draft → submitted → in_review → (needs_info ↔ submitted) → eligible / ineligible
# → placed / not_placed → accepted / declined / expired → enrolled / no_show;
# withdrawn from any state before enrolled.
ALLOWED: dict[ApplicationStatus, frozenset[ApplicationStatus]] = {
    S.DRAFT: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.SUBMITTED: frozenset({S.IN_REVIEW, S.NEEDS_INFO, S.WITHDRAWN}),
    S.IN_REVIEW: frozenset({S.NEEDS_INFO, S.ELIGIBLE, S.INELIGIBLE, S.WITHDRAWN}),
    S.NEEDS_INFO: frozenset({S.SUBMITTED, S.WITHDRAWN}),
    S.ELIGIBLE: frozenset({S.PLACED, S.NOT_PLACED, S.INELIGIBLE, S.WITHDRAWN}),
    # An upheld appeal can restore eligibility.
    S.INELIGIBLE: frozenset({S.ELIGIBLE, S.WITHDRAWN}),
    S.PLACED: frozenset({S.ACCEPTED, S.DECLINED, S.EXPIRED, S.PLACED, S.WITHDRAWN}),
    # A supplementary or appeal round can still place someone not placed before.
    S.NOT_PLACED: frozenset({S.PLACED, S.WITHDRAWN}),
    # An accepted holder can move up in a supplementary round (a new offer) or finish.
    S.ACCEPTED: frozenset({S.PLACED, S.ENROLLED, S.NO_SHOW, S.DECLINED, S.WITHDRAWN}),
    S.DECLINED: frozenset({S.WITHDRAWN}),
    S.EXPIRED: frozenset({S.WITHDRAWN}),
    S.ENROLLED: frozenset(),
    S.NO_SHOW: frozenset(),
    S.WITHDRAWN: frozenset(),
}

# Moves staff make among themselves; the applicant is not notified of these.
INTERNAL_MOVES = frozenset({(S.SUBMITTED, S.IN_REVIEW)})


class TransitionRefused(ServiceError):
    """The application cannot move from its current state to the one asked for."""


def can_change(application: Application, to: ApplicationStatus) -> bool:
    """Say whether the state machine allows moving `application` to `to`."""
    return to in ALLOWED[application.status]


def change_status(
    application: Application,
    to: ApplicationStatus,
    *,
    by: User | None,
    note: str = "",
    notify: bool | None = None,
) -> StatusChange:
    """Move the application, record it on the timeline and in the audit log, tell the applicant.

    Refuses moves the state machine does not allow. Staff-internal moves are not notified
    unless `notify` says otherwise.
    """
    before = application.status
    if not can_change(application, to):
        raise TransitionRefused(
            _(
                "An application that is %(from_)s cannot become %(to)s.",
                from_=status_label(before),
                to=status_label(to),
            )
        )
    visible = (before, to) not in INTERNAL_MOVES
    now = utcnow()
    application.status = to
    application.status_changed_at = now
    change = StatusChange(
        application=application,
        from_status=before,
        to_status=to,
        at=now,
        by_id=by.id if by is not None else None,
        note=note,
        visible=visible,
    )
    db.session.add(change)
    audit.record(
        by,
        f"application.{to.value}",
        application,
        before={"status": before.value},
        after={"status": to.value, "note": note} if note else {"status": to.value},
    )
    if notify if notify is not None else visible:
        notifications.notify(
            application.applicant,
            "application_status",
            {
                "status": to.value,
                "note": note,
                "name": application.applicant.full_name,
                "application_id": application.id,
            },
        )
    return change


def status_label(status: ApplicationStatus | str) -> str:
    """Return the status name in the reader's language (see app.labels)."""
    return labels.label(ApplicationStatus(status))


def status_meaning(status: ApplicationStatus) -> str:
    """Return the plain-language meaning of a status for the applicant's timeline."""
    return str(STATUS_MEANING[ApplicationStatus(status)])


# What each status means for the applicant (the names are in app.labels).
STATUS_MEANING = {
    S.DRAFT: _l("You are still filling in your application. Nobody else can see it."),
    S.SUBMITTED: _l("Your application has reached the ministry. Staff will check it."),
    S.IN_REVIEW: _l("Ministry staff are checking your documents and scores."),
    S.NEEDS_INFO: _l(
        "Staff need something more from you. Open your application to see what, then send it."
    ),
    S.ELIGIBLE: _l("Your application is complete and eligible. It will take part in allocation."),
    S.INELIGIBLE: _l(
        "Your application does not meet a rule of the quota. See the reason; you may appeal."
    ),
    S.PLACED: _l("You have been offered a place. Accept or decline it in time."),
    S.NOT_PLACED: _l(
        "There was no place for you in this round. You stay in line for later rounds."
    ),
    S.ACCEPTED: _l("You accepted your place. The university will confirm enrolment."),
    S.DECLINED: _l("The place was declined. It goes back to other applicants."),
    S.EXPIRED: _l("The offer was not accepted in time and has been released."),
    S.ENROLLED: _l("The university confirmed your enrolment. Congratulations!"),
    S.NO_SHOW: _l("The university reported that you did not enrol."),
    S.WITHDRAWN: _l("The application was withdrawn and takes no further part."),
}
