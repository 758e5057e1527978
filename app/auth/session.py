"""Session loading and time-outs: cookies die on sign-out, password change, idle or old age."""

from __future__ import annotations

from flask import Flask, current_app, flash, redirect, request, session, url_for
from flask.sessions import SecureCookieSessionInterface, SessionMixin
from flask_babel import gettext as _
from flask_login import current_user, logout_user
from werkzeug.wrappers import Response

from app.extensions import db
from app.models import User, utcnow


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, except that static files never set the cookie.

    A signed-in session is permanent, so Flask would re-send the cookie on every answer,
    stylesheets included. A stylesheet requested before a sign-in, sign-out or password change
    but answered after it would then put back the old cookie, and the browser would lose the
    new one. Static files never change the session, so they never need to send it.
    """

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if request.endpoint == "static":
            return False
        return super().should_set_cookie(app, session)


def load_user(user_id: str) -> User | None:
    """Return the user named by a session id `"<id>:<token>"` if the token is still current."""
    ident, _sep, token = user_id.partition(":")
    if not ident.isdigit() or not token:
        return None
    user = db.session.get(User, int(ident))
    if user is None or user.session_token != token or not user.is_active:
        return None
    return user


def start_session() -> None:
    """Stamp a new signed-in session with its start and last-seen times."""
    now = utcnow().timestamp()
    session["started_at"] = now
    session["seen_at"] = now
    session.permanent = True


def enforce_session_timeouts() -> Response | None:
    """End a session idle longer than SESSION_IDLE_TIMEOUT or older than its lifetime."""
    if not current_user.is_authenticated or request.endpoint in (None, "static"):
        return None
    now = utcnow().timestamp()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"].total_seconds()
    absolute = current_app.config["PERMANENT_SESSION_LIFETIME"].total_seconds()
    started = float(session.get("started_at", now))
    seen = float(session.get("seen_at", now))
    if now - seen > idle or now - started > absolute:
        logout_user()
        session.pop("started_at", None)
        session.pop("seen_at", None)
        flash(
            _("Your session ended because it was idle for too long. Please sign in again."), "info"
        )
        return redirect(url_for("auth.login", next=request.full_path))
    session["seen_at"] = now
    return None
