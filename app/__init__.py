"""Umit: the Flask app factory. `create_app` runs named register steps in order."""

from __future__ import annotations

import logging
import os
import secrets
from typing import Any

from flask import Flask, g, has_request_context, request, session
from flask_babel import get_locale
from jinja2 import pass_context

from app.config import Config, DevelopmentConfig
from app.extensions import babel, csrf, db, limiter, login_manager, migrate

logger = logging.getLogger(__name__)


def create_app(config: type[Config] | None = None, **overrides: Any) -> Flask:
    """Build the portal; `config` defaults to development, `overrides` win over it."""
    app = Flask(__name__, instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(config or _config_from_env())
    app.config.update(overrides)
    for step in (
        register_encryption_keys,
        register_extensions,
        register_i18n,
        register_auth,
        register_blueprints,
        register_request_hooks,
        register_security_headers,
        register_error_handlers,
        register_template_helpers,
        register_jobs,
        register_cli,
    ):
        step(app)
    return app


def _config_from_env() -> type[Config]:
    return Config if os.environ.get("UMIT_ENV") == "production" else DevelopmentConfig


def register_encryption_keys(app: Flask) -> None:
    """Refuse to start without encryption keys in production (no silent dev-key fallback)."""
    from app.models.crypto_types import check_encryption_keys

    check_encryption_keys(app.config)


def register_extensions(app: Flask) -> None:
    """Bind the database, migrations, CSRF and rate limiter to this app."""
    os.makedirs(app.config["INSTANCE_DIR"], exist_ok=True)
    db.init_app(app)
    migrate.init_app(
        app, db, directory=os.path.join(app.root_path, "..", "migrations"), render_as_batch=True
    )
    csrf.init_app(app)
    limiter.init_app(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _tune_sqlite(app)


def _tune_sqlite(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # WAL lets the worker write a round while the web app reads; FKs are off by default.
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if app.config["SQLALCHEMY_DATABASE_URI"] not in ("sqlite://", "sqlite:///:memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


def register_i18n(app: Flask) -> None:
    """Pick the language from ?lang=, the session, the user's choice, then the browser."""
    from app.i18n import select_locale, select_timezone

    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    @app.before_request
    def remember_chosen_language() -> None:
        # Flask-Babel picks the language only when something is translated, so a ?lang= on a
        # URL that just redirects (e.g. / for signed-in staff) would otherwise be forgotten.
        if "lang" in request.args:
            get_locale()


def register_auth(app: Flask) -> None:
    """Load users by id and session token; a rotated token signs out every copy of a cookie."""
    from app.auth.session import SessionInterface, load_user

    app.session_interface = SessionInterface()
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    login_manager.login_message_category = "info"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to open this page.")


def register_blueprints(app: Flask) -> None:
    """Mount one blueprint per audience; each carries its own role guard."""
    from app.admin import bp as admin_bp
    from app.api import bp as api_bp
    from app.applicant import bp as applicant_bp
    from app.auth import bp as auth_bp
    from app.ministry import bp as ministry_bp
    from app.public import bp as public_bp
    from app.university import bp as university_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(auth_bp, url_prefix="/auth")
    app.register_blueprint(applicant_bp, url_prefix="/applicant")
    app.register_blueprint(ministry_bp, url_prefix="/ministry")
    app.register_blueprint(university_bp, url_prefix="/university")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)  # token-authenticated and read-only: no cookies, no forms


def register_request_hooks(app: Flask) -> None:
    """Give each request an id for the audit log and end idle sessions."""
    from app.auth.session import enforce_session_timeouts

    @app.before_request
    def _request_id() -> None:
        g.request_id = request.headers.get("X-Request-ID", "")[:40] or secrets.token_hex(8)
        g.csp_nonce = secrets.token_urlsafe(12)

    app.before_request(enforce_session_timeouts)


def register_security_headers(app: Flask) -> None:
    """Send a strict CSP (no inline script) and the usual hardening headers on every answer."""

    @app.after_request
    def _headers(response: Any) -> Any:
        csp = (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
            "form-action 'self'; frame-ancestors 'none'"
        )
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint and not request.endpoint.startswith("static"):
            response.headers.setdefault("Cache-Control", "no-store")
        response.headers["X-Request-ID"] = g.get("request_id", "")
        return response


def register_error_handlers(app: Flask) -> None:
    """Answer 400/403/404/405/413/429/500 with a page in the user's language (JSON for the API)."""
    from app.public.errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    """Expose language, direction and small helpers to every template."""

    @app.context_processor
    def _globals() -> dict[str, Any]:
        locale = get_locale()
        code = str(locale) if locale else "en"
        values: dict[str, Any] = {
            "lang_code": code,
            "lang_tag": code.replace("_", "-"),
            "text_dir": locale.text_direction if locale else "ltr",
            "LANGUAGES": app.config["LANGUAGES"],
        }
        if has_request_context():  # e-mails are also rendered by the worker
            values["csp_nonce"] = g.get("csp_nonce", "")
            values["session_lang"] = session.get("lang")
        return values

    @app.template_global()
    @pass_context
    def forms_with_errors(context: Any) -> list[Any]:
        """The forms of this page that failed validation, for the one error summary in base.html.

        Found in the template's context, also inside dicts, lists and rows of forms, so a view
        only has to render its refused form again: a new form needs no template code.
        """
        from flask_wtf import FlaskForm

        found: list[Any] = []

        def collect(value: Any, depth: int) -> None:
            if isinstance(value, FlaskForm):
                if value.errors and value not in found:
                    found.append(value)
            elif depth and isinstance(value, dict):
                for item in value.values():
                    collect(item, depth - 1)
            elif depth and isinstance(value, list | tuple):
                for item in value:
                    collect(item, depth - 1)

        for value in context.get_all().values():
            collect(value, 2)
        return found

    from app import labels
    from app.i18n import register_filters

    register_filters(app)
    labels.register(app)


def register_jobs(app: Flask) -> None:
    """Connect the Huey seam (immediate mode in tests)."""
    from app import jobs

    jobs.init_app(app)


def register_cli(app: Flask) -> None:
    """Add `flask umit …` commands (seed, create-staff, audit-verify, …)."""
    from app.cli import umit

    app.cli.add_command(umit)
