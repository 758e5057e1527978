"""API entry points; every answer, errors included, is JSON.

A token belongs to one university: every query below is scoped to `g.api_university_id` and
to published rounds, so another university's object answers 404, like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import abort, current_app, g, jsonify, request, url_for
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from app.api import bp
from app.api.openapi import (
    DEFAULT_PER_PAGE,
    ENROLMENT_STATES,
    MAX_ID,
    MAX_PAGE,
    MAX_PER_PAGE,
    build_spec,
)
from app.extensions import db, limiter
from app.models import Placement, PlacementState, Program, utcnow
from app.services import api_tokens, enrolment
from app.services.api_tokens import hash_token
from app.services.errors import NotFound

__all__ = ["hash_token"]  # the stored form of a token; kept importable from here

PUBLIC_ENDPOINTS = frozenset({"api.openapi"})


def _rate_key() -> str:
    # One bucket per token (hashed, never the secret itself); per address without a token.
    header = request.headers.get("Authorization", "")
    if header:
        return "token:" + hash_token(header)[:32]
    return "ip:" + (request.remote_addr or "unknown")


def _rate_limit() -> str:
    return str(current_app.config.get("API_RATE_LIMIT", "120 per minute"))


rate_limited: Callable[..., Any] = limiter.shared_limit(
    _rate_limit, scope="api", key_func=_rate_key
)


@bp.before_request
def _authenticate() -> None:
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        abort(401, description="A bearer token is required.")
    token = api_tokens.authenticate(raw.strip())
    if token is None:
        abort(401, description="The token is not valid or was revoked.")
    token.last_used_at = utcnow()
    db.session.commit()
    g.api_university_id = token.university_id


@bp.get("/")
@rate_limited
def index() -> Response:
    """Name the university the token belongs to."""
    return jsonify(university_id=g.api_university_id, version="v1")


@bp.get("/openapi.json")
@rate_limited
def openapi() -> Response:
    """Describe the API (OpenAPI 3); readable without a token."""
    return jsonify(build_spec(url_for("api.index", _external=True).rstrip("/")))


@bp.route("/", methods=["POST", "PUT", "PATCH", "DELETE"], endpoint="write_root")
@bp.route("/<path:_rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
def refuse_write(_rest: str = "") -> Response:
    """Refuse every write (the API is read-only); an unknown path to read is 404."""
    if request.method in ("GET", "HEAD"):
        abort(404, description="No such resource.")
    abort(403, description="The API is read-only.")


# --- query parameters ------------------------------------------------------------------------


def _int_arg(name: str, *, minimum: int = 1, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    try:
        value = int(raw)
    except ValueError:
        abort(400, description=f"{name} must be a whole number.")
    if value < minimum or (maximum is not None and value > maximum):
        limit = f" and at most {maximum}" if maximum is not None else ""
        abort(400, description=f"{name} must be at least {minimum}{limit}.")
    return value


def _choice_arg(name: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in allowed:
        abort(400, description=f"{name} must be one of: {', '.join(allowed)}.")
    return raw


def _only_args(*names: str) -> None:
    # A typo (?stat=enrolled) must not silently return everything.
    unknown = sorted(set(request.args) - {"page", "per_page", *names})
    if unknown:
        abort(400, description=f"Unknown query parameter: {unknown[0][:40]}.")


def _page(query: Select[Any], serialise: Callable[[Any], dict[str, Any]]) -> Response:
    page = _int_arg("page", maximum=MAX_PAGE) or 1
    per_page = _int_arg("per_page", maximum=MAX_PER_PAGE) or DEFAULT_PER_PAGE
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    items = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)).unique()
    pages = (int(total or 0) + per_page - 1) // per_page
    next_url = None
    if page < pages:
        args: dict[str, Any] = {**request.args.to_dict(), "page": page + 1, "per_page": per_page}
        next_url = url_for(request.endpoint or "api.index", _external=True, **args)
    return jsonify(
        items=[serialise(item) for item in items],
        page=page,
        per_page=per_page,
        total=int(total or 0),
        pages=pages,
        next=next_url,
    )


def _own_program_filter() -> int | None:
    program_id = _int_arg("program_id", maximum=MAX_ID)
    if program_id is not None:
        try:
            enrolment.get_program(program_id, g.api_university_id)
        except NotFound:
            abort(404, description="No such program.")
    return program_id


# --- serialisers -----------------------------------------------------------------------------


def _time(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _score(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def _program(program: Program) -> dict[str, Any]:
    return {
        "id": program.id,
        "code": program.code,
        "name": {"en": program.name_en, "ru": program.name_ru, "kk": program.name_kk},
        "language": program.language,
        "level": program.level.value,
        "field_group": program.field_group.value,
        "quotas": [
            {"cycle_id": q.cycle_id, "cycle": q.cycle.name, "places": q.places}
            for q in sorted(program.quotas, key=lambda q: q.cycle_id)
        ],
    }


def _placement(p: Placement) -> dict[str, Any]:
    a = p.application
    r = p.round
    return {
        "id": p.id,
        "round": {
            "id": r.id,
            "number": r.number,
            "kind": r.kind.value,
            "cycle_id": r.cycle_id,
            "cycle": r.cycle.name,
            "published_at": _time(r.published_at),
        },
        "program_id": p.program_id,
        "program_code": p.program.code,
        "student": {
            "application_code": a.public_code,
            "name_latin": a.name_latin,
            "name_cyrillic": a.name_cyrillic,
            "name_native": a.name_native,
            "email": a.contact_email or a.applicant.email,
            "phone": a.phone,
            "score": _score(a.competitive_score),
        },
        "choice_rank": p.choice_rank,
        "state": p.state.value,
        "offer_deadline_at": _time(p.offer_deadline_at),
        "decided_at": _time(p.decided_at),
        "decline_reason": p.decline_reason,
        "from_appeal": p.from_appeal,
        "extra_place": p.extra_place,
    }


def _enrolment(p: Placement) -> dict[str, Any]:
    return {
        "placement_id": p.id,
        "program_id": p.program_id,
        "program_code": p.program.code,
        "application_code": p.application.public_code,
        "name_latin": p.application.name_latin,
        "state": p.state.value,
        "decided_at": _time(p.decided_at),
        "decline_reason": p.decline_reason,
    }


# --- resources -------------------------------------------------------------------------------


@bp.get("/programs")
@rate_limited
def list_programs() -> Response:
    """List the university's programs with their quota places per cycle."""
    _only_args()
    query = (
        select(Program)
        .where(Program.university_id == g.api_university_id)
        .options(selectinload(Program.quotas))
        .order_by(Program.code, Program.id)
    )
    return _page(query, _program)


@bp.get("/programs/<int(max=2147483647):program_id>")
@rate_limited
def get_program(program_id: int) -> Response:
    """Show one of the university's programs."""
    try:
        return jsonify(_program(enrolment.get_program(program_id, g.api_university_id)))
    except NotFound:
        abort(404, description="No such program.")


@bp.get("/placements")
@rate_limited
def list_placements() -> Response:
    """List the university's students placed by published rounds."""
    _only_args("program_id", "round_id", "state")
    program_id = _own_program_filter()
    round_id = _int_arg("round_id", maximum=MAX_ID)
    state = _choice_arg("state", [s.value for s in enrolment.VISIBLE_STATES])
    query = enrolment.published_placements(
        g.api_university_id,
        program_id=program_id,
        round_id=round_id,
        states=(PlacementState(state),) if state else None,
    )
    return _page(query, _placement)


@bp.get("/placements/<int(max=2147483647):placement_id>")
@rate_limited
def get_placement(placement_id: int) -> Response:
    """Show one placement of a published round."""
    try:
        return jsonify(_placement(enrolment.get_placement(placement_id, g.api_university_id)))
    except NotFound:
        abort(404, description="No such placement.")


@bp.get("/enrolments")
@rate_limited
def list_enrolments() -> Response:
    """List the enrolment status of students who accepted a place."""
    _only_args("program_id", "state")
    program_id = _own_program_filter()
    state = _choice_arg("state", ENROLMENT_STATES)
    states = (
        (PlacementState(state),) if state else tuple(PlacementState(s) for s in ENROLMENT_STATES)
    )
    query = enrolment.published_placements(
        g.api_university_id, program_id=program_id, states=states
    ).where(
        # A student declining an offer is not an enrolment decision; the university's is.
        or_(
            Placement.state != PlacementState.DECLINED,
            Placement.decline_reason.startswith(enrolment.REASON_PREFIX),
        )
    )
    return _page(query, _enrolment)
