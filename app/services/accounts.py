"""Accounts: registration, e-mail confirmation, sign-in with lockout, password reset, staff."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from app.extensions import db
from app.models import University, User, UserRole, UserStatus, utcnow
from app.services import audit, notifications
from app.services.errors import InvalidInput, ServiceError
from app.services.passwords import check_password, hash_password, needs_rehash

logger = logging.getLogger(__name__)

CONFIRM_SALT = "umit.confirm-email"
RESET_SALT = "umit.reset-password"
CONFIRM_MAX_AGE = timedelta(days=3)
RESET_MAX_AGE = timedelta(hours=2)
MIN_PASSWORD_LENGTH = 10


class AuthenticationFailed(ServiceError):
    """Wrong e-mail or password; the message never says which."""

    status_code = 401


class AccountLocked(ServiceError):
    """Too many failed attempts: the account waits before accepting a password again."""

    status_code = 423


def normalise_email(email: str) -> str:
    """Compare e-mail addresses case-insensitively, without surrounding spaces."""
    return email.strip().lower()


def find_user(email: str) -> User | None:
    """Return the user with this e-mail address, if any."""
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def check_new_password(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(
            ngettext(
                "Choose a password of at least %(num)d character.",
                "Choose a password of at least %(num)d characters.",
                MIN_PASSWORD_LENGTH,
            )
        )


def register_applicant(email: str, password: str, *, full_name: str, language: str) -> User:
    """Create an applicant account (unconfirmed) and send the confirmation link."""
    if find_user(email) is not None:
        raise InvalidInput(_("An account with this e-mail address already exists."))
    check_new_password(password)
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=UserRole.APPLICANT,
        preferred_language=language,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(user, "user.register", user, after={"role": user.role.value})
    send_confirmation(user)
    return user


def _serializer(salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


def confirmation_token(user: User) -> str:
    """Sign a token that confirms this user's current e-mail address."""
    return _serializer(CONFIRM_SALT).dumps({"uid": user.id, "email": user.email})


def send_confirmation(user: User) -> None:
    """Queue the confirmation e-mail with its link."""
    notifications.queue_email(
        user, "confirm_email", {"token": confirmation_token(user), "name": user.full_name}
    )


def confirm_email(token: str) -> User:
    """Mark the address in `token` confirmed; refuse expired, forged or stale tokens."""
    try:
        data = _serializer(CONFIRM_SALT).loads(token, max_age=int(CONFIRM_MAX_AGE.total_seconds()))
    except SignatureExpired as err:
        raise InvalidInput(_("This confirmation link has expired. Ask for a new one.")) from err
    except BadSignature as err:
        raise InvalidInput(_("This confirmation link is not valid.")) from err
    user = db.session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        raise InvalidInput(_("This confirmation link is not valid."))
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
        audit.record(user, "user.confirm_email", user)
    return user


def authenticate(email: str, password: str) -> User:
    """Return the user if the password is right; count failures and lock after too many."""
    user = find_user(email)
    now = utcnow()
    if user is None:
        # Spend the same time as a real check so response times do not reveal accounts.
        check_password(_dummy_hash(), password)
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    if user.status == UserStatus.DEACTIVATED:
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    if user.locked_until is not None and user.locked_until > now:
        raise AccountLocked(
            _("Too many failed attempts. Try again after a few minutes, or reset your password.")
        )
    if not check_password(user.password_hash, password):
        _count_failure(user)
        raise AuthenticationFailed(_("The e-mail address or password is not right."))
    user.failed_logins = 0
    user.locked_until = None
    if user.status == UserStatus.LOCKED:
        user.status = UserStatus.ACTIVE
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    audit.record(user, "user.sign_in", user)
    return user


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    if "hash" not in _DUMMY:
        _DUMMY["hash"] = hash_password("not-a-real-password")
    return _DUMMY["hash"]


def _count_failure(user: User) -> None:
    user.failed_logins += 1
    limit = current_app.config["MAX_FAILED_LOGINS"]
    if user.failed_logins >= limit:
        user.locked_until = utcnow() + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        user.status = UserStatus.LOCKED
        user.failed_logins = 0
        audit.record(None, "user.locked", user, after={"until": user.locked_until.isoformat()})


def sign_out(user: User) -> None:
    """End every session of this user by rotating the session token."""
    user.rotate_session_token()
    audit.record(user, "user.sign_out", user)


def reset_token(user: User) -> str:
    """Sign a one-use reset token: it binds the current hash, so it dies once used."""
    return _serializer(RESET_SALT).dumps({"uid": user.id, "h": user.password_hash[-16:]})


def request_password_reset(email: str) -> None:
    """Send a reset link if the account exists; say nothing either way (no account probing)."""
    user = find_user(email)
    if user is None or user.status == UserStatus.DEACTIVATED:
        logger.info("password reset asked for an unknown or deactivated address")
        return
    notifications.queue_email(
        user, "reset_password", {"token": reset_token(user), "name": user.full_name}
    )
    audit.record(None, "user.password_reset_requested", user)


def user_for_reset_token(token: str) -> User:
    """Return the user a valid, unused reset token belongs to."""
    try:
        data = _serializer(RESET_SALT).loads(token, max_age=int(RESET_MAX_AGE.total_seconds()))
    except SignatureExpired as err:
        raise InvalidInput(_("This reset link has expired. Ask for a new one.")) from err
    except BadSignature as err:
        raise InvalidInput(_("This reset link is not valid.")) from err
    user = db.session.get(User, data.get("uid"))
    if user is None or user.password_hash[-16:] != data.get("h"):
        raise InvalidInput(_("This reset link is not valid or was already used."))
    return user


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; unlock the account and end old sessions."""
    user = user_for_reset_token(token)
    set_password(user, new_password, actor=user, action="user.password_reset")
    user.failed_logins = 0
    user.locked_until = None
    if user.status == UserStatus.LOCKED:
        user.status = UserStatus.ACTIVE
    # Reaching the link proves control of the mailbox.
    if user.email_confirmed_at is None:
        user.email_confirmed_at = utcnow()
    return user


def change_password(user: User, current: str, new_password: str) -> None:
    """Change a password after checking the current one; every other session ends."""
    if not check_password(user.password_hash, current):
        raise InvalidInput(_("Your current password is not right."))
    set_password(user, new_password, actor=user, action="user.password_change")


def set_password(user: User, new_password: str, *, actor: User | None, action: str) -> None:
    """Store a new hash and rotate the session token."""
    check_new_password(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.rotate_session_token()
    audit.record(actor, action, user)


def create_staff(
    email: str,
    password: str,
    *,
    role: UserRole,
    full_name: str,
    university: University | None,
    by: User | None,
    language: str = "ru",
) -> User:
    """Create a staff account; a university officer belongs to exactly one university."""
    if role == UserRole.APPLICANT:
        raise InvalidInput(_("Applicants register themselves."))
    if (role == UserRole.UNIVERSITY) != (university is not None):
        raise InvalidInput(_("A university officer belongs to exactly one university."))
    if find_user(email) is not None:
        raise InvalidInput(_("An account with this e-mail address already exists."))
    check_new_password(password)
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        password_hash=hash_password(password),
        role=role,
        university=university,
        preferred_language=language,
        email_confirmed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    audit.record(
        by,
        "user.create_staff",
        user,
        after={"role": role.value, "university": university.code if university else None},
    )
    return user


def set_staff_status(user: User, status: UserStatus, *, by: User) -> None:
    """Deactivate or reactivate a staff account; a deactivated account is signed out."""
    if user.id == by.id:
        raise InvalidInput(_("You cannot change the status of your own account."))
    before = user.status.value
    user.status = status
    if status != UserStatus.ACTIVE:
        user.rotate_session_token()
    else:
        user.locked_until = None
        user.failed_logins = 0
    audit.record(by, "user.set_status", user, before={"status": before}, after={"status": status})
