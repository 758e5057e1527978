"""The ministry console: cycles, quotas, verification, rounds, appeals."""

from flask import Blueprint

from app.models import UserRole
from app.security import guard_blueprint

bp = Blueprint("ministry", __name__)
guard_blueprint(bp, [UserRole.MINISTRY, UserRole.ADMIN])

from app.ministry import appeals, views  # noqa: E402,F401
