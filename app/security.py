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
