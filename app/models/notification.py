"""The outbox: messages to people, sent by the worker (email) or shown in the portal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, json_default_dict, utcnow

if TYPE_CHECKING:
    from app.models.user import User


class NotificationChannel(StrEnum):
    EMAIL = "email"
    PORTAL = "portal"


class NotificationState(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Notification(Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    to_address: Mapped[str] = mapped_column(String(254), default="")
    template: Mapped[str] = mapped_column(String(64))
    language: Mapped[str] = mapped_column(String(8), default="en")
    channel: Mapped[NotificationChannel] = mapped_column(enum_type(NotificationChannel))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=json_default_dict)
    subject: Mapped[str] = mapped_column(String(255), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[NotificationState] = mapped_column(
        enum_type(NotificationState), default=NotificationState.PENDING, index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    recipient: Mapped[User | None] = relationship()
