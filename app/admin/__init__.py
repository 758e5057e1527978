"""Administration: staff accounts and the audit log."""

from flask import Blueprint

from app.models import UserRole
from app.security import guard_blueprint

bp = Blueprint("admin", __name__)
guard_blueprint(bp, [UserRole.ADMIN])

from app.admin import views  # noqa: E402,F401
