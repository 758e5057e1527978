"""Error answers: a page in the user's language, or JSON for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from app.extensions import db

logger = logging.getLogger(__name__)

PAGES = {400, 403, 404, 405, 413, 429, 500}


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _answer(code: int, message: str) -> tuple[Response | str, int]:
    if _wants_json():
        return jsonify(error={"status": code, "message": message}), code
    template = f"errors/{code if code in PAGES else 500}.html"
    return render_template(template, message=message), code


def register(app: Flask) -> None:
    """Install the handlers on `app`."""

    @app.errorhandler(CSRFError)
    def _csrf(err: CSRFError) -> tuple[Response | str, int]:
        return _answer(
            400, _("The form expired or was sent twice. Please go back, reload and try again.")
        )

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException) -> tuple[Response | str, int]:
        code = err.code or 500
        # Werkzeug's stock English texts are replaced by the translated page text.
        custom = err.description if err.description != type(err).description else ""
        return _answer(code, custom or "")

    @app.errorhandler(Exception)
    def _unexpected(err: Exception) -> tuple[Response | str, int]:
        logger.exception("unhandled error on %s", request.path)
        db.session.rollback()
        return _answer(500, _("Something went wrong on our side. Nothing you saved was lost."))
