"""API tokens of a university: created and revoked by its officers, stored only as a hash.

The raw token is returned once, at creation, and never again: only its sha256 and a short
prefix (to recognise it in the list) are kept.
"""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from app.extensions import db
from app.models import ApiToken, User, utcnow
from app.services import audit
from app.services.errors import InvalidInput, NotFound, ServiceError

TOKEN_PREFIX = "umit_"  # noqa: S105 - a label, not a secret
MAX_ACTIVE_TOKENS = 10


def hash_token(raw: str) -> str:
    """Return the stored form of a token (sha256: tokens are long and random)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def tokens_of(university_id: int) -> list[ApiToken]:
    """Return the university's tokens, newest first (revoked ones included, for the record)."""
    query = (
        select(ApiToken)
        .where(ApiToken.university_id == university_id)
        .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
    )
    return list(db.session.scalars(query))


def create_token(university_id: int, name: str, *, by: User) -> tuple[ApiToken, str]:
    """Create a token for the officer's own university; returns it with the raw secret (once).

    Refuses an empty name and more than MAX_ACTIVE_TOKENS active tokens per university.
    """
    name = name.strip()
    if not name:
        raise InvalidInput(_("Give the token a name, e.g. the system that will use it."))
    if by.university_id != university_id:
        raise NotFound(_("There is no such university."))
    active = [t for t in tokens_of(university_id) if t.revoked_at is None]
    if len(active) >= MAX_ACTIVE_TOKENS:
        raise ServiceError(
            ngettext(
                "Revoke an unused token first: at most %(num)d token can be active.",
                "Revoke an unused token first: at most %(num)d tokens can be active.",
                MAX_ACTIVE_TOKENS,
            )
        )
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        university_id=university_id,
        name=name[:80],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        token_hash=hash_token(raw),
        created_by_id=by.id,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(by, "api_token.create", token, after={"name": token.name, "prefix": token.prefix})
    return token, raw


def revoke_token(token_id: int, *, by: User) -> ApiToken:
    """Revoke one of the officer's university's tokens; another university's is NotFound."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.university_id != by.university_id:
        raise NotFound(_("There is no such token."))
    if token.revoked_at is not None:
        raise ServiceError(_("This token was already revoked."))
    token.revoked_at = utcnow()
    db.session.flush()
    audit.record(
        by,
        "api_token.revoke",
        token,
        before={"revoked": False},
        after={"revoked": True, "prefix": token.prefix},
    )
    return token


def authenticate(raw: str) -> ApiToken | None:
    """Return the active token matching `raw`, or None."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(raw)))
    if token is None or token.revoked_at is not None:
        return None
    return token
