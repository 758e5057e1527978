"""Who may open what: one role guard per blueprint, declared in one table.

Foreign objects are answered with 404 by the services' scoped queries; here a signed-in user
of the wrong role also gets 404, so staff pages do not even admit that they exist.
"""

from __future__ import annotations

from collections.abc import Iterable

from flask import Blueprint, abort
from flask_login import current_user
from werkzeug.wrappers import Response

from app.extensions import login_manager
from app.models import UserRole

ANYONE = "anyone"

# blueprint -> the roles that may enter it. Every route belongs to a blueprint in this table
# (tests walk app.url_map and fail on any endpoint not covered).
BLUEPRINT_ACCESS: dict[str, frozenset[str]] = {
    "public": frozenset({ANYONE}),
    "auth": frozenset({ANYONE}),
    "static": frozenset({ANYONE}),
    "applicant": frozenset({UserRole.APPLICANT.value}),
    "ministry": frozenset({UserRole.MINISTRY.value, UserRole.ADMIN.value}),
    "university": frozenset({UserRole.UNIVERSITY.value}),
    "admin": frozenset({UserRole.ADMIN.value}),
    "api": frozenset({"api-token"}),
}

# Endpoints whose access differs from their blueprint's (the API description is public so
# clients can be generated without a token). tests/security/matrix.py declares every endpoint
# and tests/security/test_access_matrix.py checks it against these two tables.
ENDPOINT_ACCESS: dict[str, frozenset[str]] = {
    "api.openapi": frozenset({ANYONE}),
}


def declared_access(endpoint: str) -> frozenset[str]:
    """The roles that may use `endpoint`: its own entry, else its blueprint's."""
    if endpoint in ENDPOINT_ACCESS:
        return ENDPOINT_ACCESS[endpoint]
    return BLUEPRINT_ACCESS[endpoint.split(".", 1)[0]]


def guard_blueprint(bp: Blueprint, roles: Iterable[UserRole]) -> None:
    """Refuse every request to `bp` from anyone without one of `roles`."""
    allowed = frozenset(r.value for r in roles)
    assert BLUEPRINT_ACCESS[bp.name] == allowed, f"access table and guard disagree for {bp.name}"

    @bp.before_request
    def _guard() -> Response | None:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()  # type: ignore[no-any-return]
        if current_user.role.value not in allowed:
            abort(404)
        return None
