"""Ministry console home."""

from __future__ import annotations

from flask import render_template

from app.ministry import bp


@bp.get("/")
def home() -> str:
    """Show the ministry's overview of the programme."""
    return render_template("ministry/home.html")
