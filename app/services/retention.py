"""Retention: personal data is kept only as long as the cycle's rules say, then purged.

What is purged (by `flask umit purge`, daily from cron or the worker):
- drafts never submitted, RETENTION_DRAFT_DAYS after the cycle's application window closed;
- applications that ended without a scholarship (ineligible, not placed, withdrawn, declined,
  expired, no-show) `cycle.retention_months` after their last status change;
- applications whose applicant asked for erasure, as soon as the law allows (see
  `erasure_refusal`): never while the application competes in an allocation, holds a place or
  has an appeal open — the ministry must be able to answer for those decisions;
- applicant accounts left with no application and no sign-in for ACCOUNT_RETENTION_MONTHS.

Purging deletes the application with every row that hangs off it (choices, scores, documents,
status history, placements, appeals, and any later table referring to it) and its stored files,
adding one to an anonymised `PurgedCount` (cycle, final status, gender, country, protection
category, education route, reason). Accounts are anonymised, not deleted, because the
hash-chained audit log refers to them. Every purge is audited.
"""

from __future__ import annotations

import calendar
import logging
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Table, delete, func, or_, select

from app.extensions import db
from app.models import (
    Appeal,
    AppealState,
    Application,
    ApplicationStatus,
    Cycle,
    Document,
    Notification,
    NotificationState,
    Placement,
    PlacementState,
    PurgedCount,
    User,
    UserRole,
    UserStatus,
    utcnow,
)
from app.services import audit
from app.services.errors import NotFound

logger = logging.getLogger(__name__)

S = ApplicationStatus

# Ended without a scholarship: kept for retention_months (appeals, complaints, audits), then purged.
ENDED_WITHOUT_PLACE = frozenset(
    {S.INELIGIBLE, S.NOT_PLACED, S.WITHDRAWN, S.DECLINED, S.EXPIRED, S.NO_SHOW}
)
# Taking part in an allocation, or holding a scholarship: not erasable on request.
IN_COMPETITION = frozenset({S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.ELIGIBLE, S.PLACED})
HOLDS_PLACE = frozenset({S.ACCEPTED, S.ENROLLED})
LIVE_PLACEMENTS = frozenset(
    {PlacementState.PROPOSED, PlacementState.OFFERED, PlacementState.ACCEPTED}
)
OPEN_APPEALS = frozenset({AppealState.SUBMITTED, AppealState.IN_REVIEW})

REASON_DRAFT = "draft_expired"
REASON_RETENTION = "retention_period"
REASON_ERASURE = "erasure_request"


@dataclass
class PurgeReport:
    """What one purge did; `files` are storage keys to remove once the transaction commits."""

    purged: dict[str, int] = field(
        default_factory=lambda: {REASON_DRAFT: 0, REASON_RETENTION: 0, REASON_ERASURE: 0}
    )
    refused: list[tuple[int, str]] = field(default_factory=list)
    accounts_anonymised: int = 0
    messages_deleted: int = 0
    files: set[str] = field(default_factory=set)


@dataclass
class ErasureOutcome:
    """The answer to an erasure request: done now, or recorded and refused for a reason."""

    erased: bool
    reason: str | None = None
    files: set[str] = field(default_factory=set)


def add_months(moment: datetime, months: int) -> datetime:
    """Return `moment` plus calendar months (the 31st becomes the month's last day)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def erasure_refusal(application: Application) -> str | None:
    """Say why this application cannot be erased now, or None when it can."""
    open_appeal = db.session.scalar(
        select(func.count(Appeal.id)).where(
            Appeal.application_id == application.id, Appeal.state.in_(OPEN_APPEALS)
        )
    )
    if open_appeal:
        return str(_("An appeal on this application is open. It can be erased after the decision."))
    live = db.session.scalar(
        select(func.count(Placement.id)).where(
            Placement.application_id == application.id, Placement.state.in_(LIVE_PLACEMENTS)
        )
    )
    if live or application.status in HOLDS_PLACE:
        return str(
            _(
                "This application holds a scholarship place. Decline or give up the place first; "
                "records of scholarship holders are kept while the scholarship lasts."
            )
        )
    if application.status in IN_COMPETITION:
        return str(
            _(
                "This application takes part in the current allocation. Withdraw it first; then "
                "it can be erased."
            )
        )
    return None


def request_erasure(application: Application, *, by: User) -> ErasureOutcome:
    """Record an applicant's erasure request and honour it now where allowed.

    A refused request stays recorded (deletion_requested_at) and `purge` honours it once the
    reason has passed. Refuses anyone but the applicant (404).
    """
    if by.id != application.applicant_id:
        raise NotFound(_("There is no such application."))
    if application.deletion_requested_at is None:
        application.deletion_requested_at = utcnow()
    reason = erasure_refusal(application)
    if reason is not None:
        audit.record(by, "application.erasure_deferred", application, after={"reason": reason})
        return ErasureOutcome(erased=False, reason=reason)
    applicant = application.applicant
    files = purge_application(application, reason=REASON_ERASURE, by=by)
    if _application_count(applicant) == 0:
        anonymise_account(applicant, by=by)
    return ErasureOutcome(erased=True, files=files)


def _tally(application: Application, reason: str) -> None:
    traits: dict[str, Any] = {
        "cycle_id": application.cycle_id,
        "final_status": application.status.value,
        "gender": application.gender.value if application.gender else "",
        "country_of_origin": application.country_of_origin or "",
        "protection_status": (
            application.protection_status.value if application.protection_status else ""
        ),
        "education_route": application.education_route.value if application.education_route else "",
        "reason": reason,
    }
    row = db.session.scalar(
        select(PurgedCount).where(*(getattr(PurgedCount, k) == v for k, v in traits.items()))
    )
    if row is None:
        row = PurgedCount(**traits, count=0)
        db.session.add(row)
    row.count += 1
    row.updated_at = utcnow()


def _referencing(table: Table) -> list[tuple[Table, Any]]:
    """(child table, foreign-key column) for every other table pointing at `table`."""
    found = []
    for child in db.metadata.sorted_tables:
        if child is table:
            continue  # self-references (a document replacing another) go in one statement
        for fk in child.foreign_keys:
            if fk.column.table is table:
                found.append((child, fk.parent))
    return found


def _delete_with_dependents(table: Table, ids: list[Any]) -> None:
    # Children first, found from the schema, so tables added later are purged too.
    if not ids:
        return
    for child, column in _referencing(table):
        if child.name in ("user", "audit_event"):
            continue
        child_pk = list(child.primary_key.columns)[0]
        child_ids = list(db.session.execute(select(child_pk).where(column.in_(ids))).scalars())
        _delete_with_dependents(child, child_ids)
    pk = list(table.primary_key.columns)[0]
    db.session.execute(delete(table).where(pk.in_(ids)))


def purge_application(application: Application, *, reason: str, by: User | None) -> set[str]:
    """Delete an application and all that hangs off it, keeping an anonymised count.

    Returns the storage keys of its files; remove them with `delete_unreferenced_files`
    after the transaction commits (a rolled-back purge must not lose files).
    """
    app_id, cycle_id = application.id, application.cycle_id
    files = set(
        db.session.scalars(select(Document.storage_key).where(Document.application_id == app_id))
    )
    _tally(application, reason)
    audit.record(
        by,
        "application.purge",
        ("application", app_id),
        before={"status": application.status.value, "cycle_id": cycle_id},
        after={"reason": reason, "files": len(files)},
    )
    db.session.flush()
    db.session.expunge(application)
    _delete_with_dependents(Application.__table__, [app_id])
    return files


def anonymise_account(user: User, *, by: User | None) -> None:
    """Blank an applicant account's personal data and make it unusable; drop its messages.

    The row stays because the audit log refers to it.
    """
    db.session.execute(delete(Notification).where(Notification.recipient_id == user.id))
    user.email = f"erased-{user.id}@erased.invalid"
    user.full_name = ""
    user.password_hash = "erased"  # noqa: S105 - not a hash, so no password ever matches
    user.status = UserStatus.DEACTIVATED
    user.totp_secret = None
    user.totp_recovery_hashes = []
    user.session_token = secrets.token_urlsafe(24)
    audit.record(by, "user.anonymise", user)


def _application_count(user: User) -> int:
    return int(
        db.session.scalar(
            select(func.count(Application.id)).where(Application.applicant_id == user.id)
        )
        or 0
    )


def purge(now: datetime | None = None) -> PurgeReport:
    """Purge everything the retention rules and erasure requests allow at `now`."""
    now = now or utcnow()
    report = PurgeReport()
    draft_grace = timedelta(days=int(current_app.config["RETENTION_DRAFT_DAYS"]))

    for application in db.session.scalars(
        select(Application).where(Application.deletion_requested_at.is_not(None))
    ).all():
        refusal = erasure_refusal(application)
        if refusal is not None:
            report.refused.append((application.id, refusal))
            continue
        report.files |= purge_application(application, reason=REASON_ERASURE, by=None)
        report.purged[REASON_ERASURE] += 1

    drafts = db.session.scalars(
        select(Application)
        .join(Cycle, Cycle.id == Application.cycle_id)
        .where(
            Application.status == S.DRAFT,
            Application.submitted_at.is_(None),
            Cycle.application_closes_at <= now - draft_grace,
        )
    ).all()
    for application in drafts:
        report.files |= purge_application(application, reason=REASON_DRAFT, by=None)
        report.purged[REASON_DRAFT] += 1

    ended = db.session.scalars(
        select(Application).where(Application.status.in_(ENDED_WITHOUT_PLACE))
    ).all()
    for application in ended:
        due = add_months(application.status_changed_at, application.cycle.retention_months)
        if due > now or erasure_refusal(application) is not None:
            continue
        report.files |= purge_application(application, reason=REASON_RETENTION, by=None)
        report.purged[REASON_RETENTION] += 1

    report.accounts_anonymised = _anonymise_dormant_accounts(now)
    report.messages_deleted = _delete_old_messages(now)
    if any(report.purged.values()) or report.accounts_anonymised or report.messages_deleted:
        audit.record(
            None,
            "retention.purge",
            ("retention", now.date().isoformat()),
            after={
                "purged": report.purged,
                "accounts_anonymised": report.accounts_anonymised,
                "messages_deleted": report.messages_deleted,
            },
        )
    db.session.flush()
    return report


def _anonymise_dormant_accounts(now: datetime) -> int:
    cutoff = add_months(now, -int(current_app.config["ACCOUNT_RETENTION_MONTHS"]))
    has_application = select(Application.id).where(Application.applicant_id == User.id).exists()
    dormant = db.session.scalars(
        select(User).where(
            User.role == UserRole.APPLICANT,
            ~has_application,
            ~User.email.like("erased-%@erased.invalid"),
            or_(
                User.last_login_at <= cutoff,
                User.last_login_at.is_(None) & (User.created_at <= cutoff),
            ),
        )
    ).all()
    for user in dormant:
        anonymise_account(user, by=None)
    return len(dormant)


def _delete_old_messages(now: datetime) -> int:
    # E-mails and portal messages carry names and decisions; after the account retention
    # period they have served their purpose (the audit log keeps what was decided).
    cutoff = add_months(now, -int(current_app.config["ACCOUNT_RETENTION_MONTHS"]))
    result = db.session.execute(
        delete(Notification).where(
            Notification.created_at <= cutoff,
            Notification.state != NotificationState.PENDING,
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def delete_unreferenced_files(keys: set[str]) -> int:
    """Remove stored files no remaining document refers to; call after the purge committed."""
    if not keys:
        return 0
    still_used = set(
        db.session.scalars(select(Document.storage_key).where(Document.storage_key.in_(keys)))
    )
    root = Path(current_app.config["UPLOAD_DIR"]).resolve()
    removed = 0
    for key in sorted(keys - still_used):
        path = (root / key).resolve()
        if not path.is_relative_to(root):
            logger.warning("refusing to delete %s: outside the upload folder", key)
            continue
        if path.exists():
            path.unlink()
            removed += 1
    return removed


def sweep_orphan_files(grace: timedelta = timedelta(hours=1)) -> int:
    """Remove stored files older than `grace` that no document refers to.

    Catches files left by a crash between a purge's commit and its file removal, or by an
    upload whose transaction rolled back. The grace period spares uploads still in flight.
    """
    root = Path(current_app.config["UPLOAD_DIR"])
    if not root.exists():
        return 0
    known = set(db.session.scalars(select(Document.storage_key)))
    limit = utcnow().timestamp() - grace.total_seconds()
    removed = 0
    for path in root.rglob("*"):
        if not path.is_file():
            continue
        key = path.relative_to(root).as_posix()
        if key not in known and path.stat().st_mtime < limit:
            path.unlink()
            removed += 1
    return removed


def compact_database() -> bool:
    """Rewrite an SQLite database so purged rows do not linger in free pages; say if done.

    SQLite keeps deleted content in free pages until VACUUM; the WAL is then truncated. On
    PostgreSQL, dead rows stay on disk until vacuumed: run `VACUUM FULL` in a maintenance
    window (SECURITY.md), since it locks tables.
    """
    engine = db.engine
    if engine.dialect.name != "sqlite":
        return False
    db.session.remove()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("VACUUM")
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    return True
