"""Pages anyone may open: the landing page, health check and the dev-only mailbox."""

from flask import Blueprint

bp = Blueprint("public", __name__)

from app.public import views  # noqa: E402,F401
