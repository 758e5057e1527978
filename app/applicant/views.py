"""Applicant home: the start of their own application."""

from __future__ import annotations

from flask import render_template

from app.applicant import bp


@bp.get("/")
def home() -> str:
    """Show the applicant's own application and what to do next."""
    return render_template("applicant/home.html")
