"""University admissions office home."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from app.university import bp


@bp.get("/")
def home() -> str:
    """Show the officer's own university and its programs."""
    return render_template("university/home.html", university=current_user.university)
