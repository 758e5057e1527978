"""Staff second factor: TOTP (RFC 6238) from an authenticator app, with one-time recovery codes.

Ministry, university and admin accounts confirm each sign-in with a six-digit code (when
STAFF_2FA_REQUIRED is on). The secret is stored encrypted; each code works once (the last time
step used is kept); recovery codes are stored only as argon2 hashes and each is used up by use.
Wrong codes count towards the same lockout as wrong passwords.
"""

from __future__ import annotations

import hmac
import secrets
from datetime import datetime, timedelta

import pyotp
import segno
from flask import current_app
from flask_babel import gettext as _

from app.extensions import db
from app.models import STAFF_ROLES, User, UserStatus, utcnow
from app.services import audit
from app.services.errors import InvalidInput, ServiceError
from app.services.passwords import check_password, hash_password

ISSUER = "Umit"
RECOVERY_CODE_COUNT = 10
# Accept the code of the previous and the next 30-second step: phone clocks drift.
VALID_WINDOW = 1
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read aloud, typed back


class CodeRefused(ServiceError):
    """The code is wrong, used already, or the account is locked."""

    status_code = 400


class TwoFactorLocked(ServiceError):
    """Too many wrong codes: the account waits like after too many wrong passwords."""

    status_code = 423


def required_for(user: User) -> bool:
    """Say whether this user must pass the second step before being signed in."""
    return bool(current_app.config.get("STAFF_2FA_REQUIRED")) and user.role in STAFF_ROLES


def is_enrolled(user: User) -> bool:
    """Say whether the user has a confirmed authenticator."""
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def begin_enrolment(user: User) -> str:
    """Return the secret to show for enrolment, creating one if the user has none pending.

    Refuses a user who is already enrolled: a new authenticator needs an admin reset first.
    """
    if is_enrolled(user):
        raise ServiceError(_("Two-step sign-in is already set up for this account."))
    if not user.totp_secret:
        user.totp_secret = pyotp.random_base32()  # 160 bits, as RFC 4226 recommends
    return user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    """Return the otpauth:// URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """Return the QR code of `uri` as an SVG data: URI (allowed by the CSP's img-src data:)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=2))


def grouped(secret: str) -> str:
    """Show a secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def _normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _lock_row(user: User) -> None:
    # Two requests carrying the same code must not both pass: take the user's row lock
    # (SELECT ... FOR UPDATE on PostgreSQL; SQLite, for development only, has none) and read
    # the latest used step and remaining recovery codes under it.
    db.session.flush()
    db.session.refresh(user, with_for_update=True)


def _check_not_locked(user: User, now: datetime) -> None:
    if user.status == UserStatus.DEACTIVATED:
        raise CodeRefused(_("The code is not right."))
    if user.locked_until is not None and user.locked_until > now:
        raise TwoFactorLocked(
            _("Too many failed attempts. Try again after a few minutes, or reset your password.")
        )


def _count_failure(user: User, now: datetime) -> None:
    user.failed_logins += 1
    audit.record(user, "user.two_factor_failed", user)
    if user.failed_logins >= current_app.config["MAX_FAILED_LOGINS"]:
        user.locked_until = now + timedelta(minutes=current_app.config["LOCKOUT_MINUTES"])
        user.status = UserStatus.LOCKED
        user.failed_logins = 0
        audit.record(None, "user.locked", user, after={"until": user.locked_until.isoformat()})
        raise TwoFactorLocked(
            _("Too many failed attempts. Try again after a few minutes, or reset your password.")
        )


def _use_step(user: User, step: int) -> bool:
    # A code works once: an observed or replayed code is refused.
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    return True


def confirm_enrolment(user: User, code: str, *, now: datetime | None = None) -> list[str]:
    """Switch two-step sign-in on once the app shows a right code; return new recovery codes.

    The codes are returned once, here, and stored only as hashes. Refuses a wrong code
    (counted towards the lockout).
    """
    now = now or utcnow()
    _lock_row(user)
    _check_not_locked(user, now)
    if is_enrolled(user) or not user.totp_secret:
        raise ServiceError(_("Start setting up two-step sign-in again."))
    code = _normalise_code(code)
    step = _matching_step(user.totp_secret, code, now) if code.isdigit() else None
    if step is None or not _use_step(user, step):
        _count_failure(user, now)
        raise CodeRefused(
            _("The code is not right. Check the time on your phone and type the newest code.")
        )
    user.totp_enabled_at = now
    user.failed_logins = 0
    codes = _new_recovery_codes(user)
    audit.record(user, "user.two_factor_enabled", user)
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    codes = [
        "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        for _ in range(RECOVERY_CODE_COUNT)
    ]
    user.totp_recovery_hashes = [hash_password(code) for code in codes]
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def regenerate_recovery_codes(user: User) -> list[str]:
    """Replace every recovery code with ten new ones (the old ones stop working)."""
    if not is_enrolled(user):
        raise ServiceError(_("Two-step sign-in is not set up for this account."))
    codes = _new_recovery_codes(user)
    audit.record(user, "user.recovery_codes_regenerated", user)
    return codes


def verify(
    user: User, code: str, *, now: datetime | None = None, allow_recovery: bool = True
) -> str:
    """Accept an authenticator code or an unused recovery code; return "totp" or "recovery".

    A recovery code is used up. Refuses wrong and replayed codes, counting them towards the
    lockout, and any code while the account is locked; with `allow_recovery=False` only an
    authenticator code will do (to prove the phone is still at hand).
    """
    now = now or utcnow()
    _lock_row(user)
    _check_not_locked(user, now)
    if not is_enrolled(user):
        raise ServiceError(_("Two-step sign-in is not set up for this account."))
    code = _normalise_code(code)
    if len(code) == 6 and code.isdigit():
        step = _matching_step(str(user.totp_secret), code, now)
        if step is not None and _use_step(user, step):
            user.failed_logins = 0
            audit.record(user, "user.two_factor_ok", user, after={"method": "totp"})
            return "totp"
    elif allow_recovery and 0 < len(code) <= 32:
        hashes = list(user.totp_recovery_hashes or [])
        for index, stored in enumerate(hashes):
            if check_password(stored, code):
                del hashes[index]
                user.totp_recovery_hashes = hashes
                user.failed_logins = 0
                audit.record(
                    user,
                    "user.two_factor_ok",
                    user,
                    after={"method": "recovery_code", "recovery_codes_left": len(hashes)},
                )
                return "recovery"
    _count_failure(user, now)
    raise CodeRefused(_("The code is not right, or it was already used."))


def reset(user: User, *, by: User | None) -> None:
    """Remove a user's authenticator and recovery codes (lost phone); they enrol again.

    Every session of the user ends. Refuses to reset one's own second factor.
    """
    if by is not None and by.id == user.id:
        raise InvalidInput(_("Ask another administrator to reset your two-step sign-in."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.totp_recovery_hashes = []
    user.rotate_session_token()
    audit.record(by, "user.two_factor_reset", user)
