"""People who sign in: applicants, university officers, ministry officers and admins."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_login import UserMixin
from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import Model
from app.models.base import UTCDateTime, enum_type, json_default_list, utcnow
from app.models.crypto_types import EncryptedString

if TYPE_CHECKING:
    from app.models.university import University


class UserRole(StrEnum):
    APPLICANT = "applicant"
    UNIVERSITY = "university"
    MINISTRY = "ministry"
    ADMIN = "admin"


class UserStatus(StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"
    DEACTIVATED = "deactivated"


STAFF_ROLES = frozenset({UserRole.UNIVERSITY, UserRole.MINISTRY, UserRole.ADMIN})


def new_session_token() -> str:
    """Return a fresh random token; rotating it ends every session that carried the old one."""
    return secrets.token_urlsafe(24)


class User(UserMixin, Model):
    __table_args__ = (
        CheckConstraint(
            "(role = 'university') = (university_id IS NOT NULL)",
            name="university_staff_has_university",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[UserRole] = mapped_column(enum_type(UserRole), index=True)
    status: Mapped[UserStatus] = mapped_column(enum_type(UserStatus), default=UserStatus.ACTIVE)
    university_id: Mapped[int | None] = mapped_column(ForeignKey("university.id"), index=True)
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Almaty")
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    # Second factor for staff: the authenticator secret (encrypted), when it was confirmed,
    # the last time step used (a code works once) and argon2 hashes of unused recovery codes.
    totp_secret: Mapped[str | None] = mapped_column(EncryptedString(sqlite_length=64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column()
    totp_recovery_hashes: Mapped[list[str]] = mapped_column(JSON, default=json_default_list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    university: Mapped[University | None] = relationship(back_populates="staff")

    def get_id(self) -> str:
        """Return the login id with the session token, so a rotated token signs every copy out."""
        return f"{self.id}:{self.session_token}"

    @property
    def is_active(self) -> bool:
        return self.status != UserStatus.DEACTIVATED

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def rotate_session_token(self) -> None:
        """End every existing session of this user (sign-out, password change)."""
        self.session_token = new_session_token()

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"
