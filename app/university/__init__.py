"""A university admissions office: its own programs and students only."""

from flask import Blueprint

from app.models import UserRole
from app.security import guard_blueprint

bp = Blueprint("university", __name__)
guard_blueprint(bp, [UserRole.UNIVERSITY])

from app.university import views  # noqa: E402,F401
