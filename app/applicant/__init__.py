"""Applicant pages: a refugee student's own application."""

from flask import Blueprint

from app.models import UserRole
from app.security import guard_blueprint

bp = Blueprint("applicant", __name__)
guard_blueprint(bp, [UserRole.APPLICANT])

from app.applicant import appeals, letters, views  # noqa: E402,F401
