"""The outbox: every message to a person is a row first, sent later by the worker."""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from typing import Any

from flask import current_app, has_request_context, render_template, url_for
from flask_babel import force_locale
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Notification,
    NotificationChannel,
    NotificationState,
    User,
    utcnow,
)
from app.services.messages import SUBJECTS

logger = logging.getLogger(__name__)


def external_url(endpoint: str, **values: Any) -> str:
    """Build an absolute link for a message, also outside a request (worker, CLI)."""
    if has_request_context():
        return url_for(endpoint, _external=True, **values)
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        return url_for(endpoint, _external=True, **values)


def _render(template: str, language: str, payload: dict[str, Any]) -> tuple[str, str]:
    from app.models import ApplicationStatus
    from app.services.workflow import status_label, status_meaning

    def label(value: str) -> str:
        return status_label(ApplicationStatus(value))

    def meaning(value: str) -> str:
        return status_meaning(ApplicationStatus(value))

    with force_locale(language):
        subject = str(SUBJECTS[template]())
        body = render_template(
            f"email/{template}.txt",
            external_url=external_url,
            status_label=label,
            status_meaning=meaning,
            **payload,
        )
    return subject, body


def queue_email(user: User, template: str, payload: dict[str, Any]) -> Notification:
    """Put an e-mail in the outbox, written in the recipient's language."""
    subject, body = _render(template, user.preferred_language, payload)
    note = Notification(
        recipient_id=user.id,
        to_address=user.email,
        template=template,
        language=user.preferred_language,
        channel=NotificationChannel.EMAIL,
        payload=payload,
        subject=subject,
        body=body,
    )
    db.session.add(note)
    db.session.flush()
    logger.info("queued e-mail %s for user %s", template, user.id)
    return note


def notify(user: User, template: str, payload: dict[str, Any]) -> list[Notification]:
    """Tell a person about a change that concerns them: an e-mail and an in-portal message."""
    email = queue_email(user, template, payload)
    portal = Notification(
        recipient_id=user.id,
        template=template,
        language=user.preferred_language,
        channel=NotificationChannel.PORTAL,
        payload=payload,
        subject=email.subject,
        body=email.body,
        state=NotificationState.SENT,
        sent_at=utcnow(),
    )
    db.session.add(portal)
    db.session.flush()
    return [email, portal]


def inbox(user: User, limit: int = 50) -> list[Notification]:
    """Return a person's in-portal messages, newest first."""
    query = (
        select(Notification)
        .where(Notification.recipient_id == user.id)
        .where(Notification.channel == NotificationChannel.PORTAL)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def mark_read(user: User, note_id: int) -> None:
    """Mark one of the person's own messages as read (others' ids are ignored)."""
    note = db.session.get(Notification, note_id)
    if note is not None and note.recipient_id == user.id and note.read_at is None:
        note.read_at = utcnow()


def deliver_pending(limit: int = 200) -> int:
    """Send pending e-mails through the configured backend; returns how many were sent."""
    query = (
        select(Notification)
        .where(Notification.state == NotificationState.PENDING)
        .where(Notification.channel == NotificationChannel.EMAIL)
        .order_by(Notification.id)
        .limit(limit)
    )
    sent = 0
    for note in db.session.scalars(query).all():
        note.attempts += 1
        try:
            _send(note)
        except (OSError, smtplib.SMTPException) as err:
            logger.warning("e-mail %s failed: %s", note.id, err)
            note.error = str(err)[:500]
            if note.attempts >= 5:
                note.state = NotificationState.FAILED
            continue
        note.state = NotificationState.SENT
        note.sent_at = utcnow()
        sent += 1
    db.session.commit()
    return sent


def _send(note: Notification) -> None:
    backend = current_app.config["MAIL_BACKEND"]
    if backend == "log":
        logger.info("MAIL to=%s subject=%s\n%s", note.to_address, note.subject, note.body)
        return
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    message["To"] = note.to_address
    message["Subject"] = note.subject
    message.set_content(note.body)
    cfg = current_app.config
    with smtplib.SMTP(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=20) as smtp:
        if cfg["MAIL_USE_TLS"]:
            smtp.starttls()
        if cfg["MAIL_USERNAME"]:
            smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"] or "")
        smtp.send_message(message)
