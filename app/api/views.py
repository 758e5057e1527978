"""API entry points; every answer, errors included, is JSON."""

from __future__ import annotations

import hashlib

from flask import abort, g, jsonify, request
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.api import bp
from app.extensions import db, limiter
from app.models import ApiToken, utcnow


def hash_token(raw: str) -> str:
    """Return the stored form of a token (sha256: tokens are long and random)."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


@bp.before_request
def _authenticate() -> None:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401, description="A bearer token is required.")
    token = db.session.scalar(
        select(ApiToken).where(ApiToken.token_hash == hash_token(raw.strip()))
    )
    if token is None or token.revoked_at is not None:
        abort(401, description="The token is not valid or was revoked.")
    token.last_used_at = utcnow()
    db.session.commit()
    g.api_university_id = token.university_id


@bp.get("/")
@limiter.limit("120 per minute")
def index() -> Response:
    """Name the university the token belongs to."""
    return jsonify(university_id=g.api_university_id, version="v1")
