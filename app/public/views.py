"""The landing page, a database health check and the development mailbox."""

from __future__ import annotations

from flask import abort, current_app, jsonify, redirect, render_template
from flask_login import current_user
from sqlalchemy import select, text
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.wrappers import Response

from app.extensions import db, limiter
from app.models import Notification, NotificationChannel
from app.public import bp


@bp.get("/")
def index() -> str | Response:
    """Explain Umit and send signed-in people to their home page."""
    if current_user.is_authenticated:
        from app.auth.views import home_for

        return redirect(home_for(current_user))
    return render_template("public/index.html")


@bp.get("/healthz")
@limiter.exempt
def healthz() -> tuple[Response, int]:
    """Say whether the app can reach its database (for load balancers and `make run`)."""
    try:
        db.session.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return jsonify(status="error", database="unreachable"), 503
    return jsonify(status="ok", database="ok"), 200


@bp.get("/dev/mail")
def dev_mailbox() -> str:
    """Show the e-mails the portal has queued (development only, never in production)."""
    if not current_app.config.get("DEV_MAILBOX"):
        abort(404)
    query = (
        select(Notification)
        .where(Notification.channel == NotificationChannel.EMAIL)
        .order_by(Notification.id.desc())
        .limit(100)
    )
    return render_template("public/dev_mailbox.html", messages=db.session.scalars(query).all())


@bp.get("/results")
def results() -> str:
    """Show each cycle's committed lottery seed and the cutoffs of its published rounds."""
    from app.services import public_results

    return render_template("public/results.html", cycles=public_results.overview())


@bp.get("/results/rounds/<int:round_id>/input.json")
def round_input(round_id: int) -> Response:
    """Let anyone download a published round's anonymised input to re-run or verify it."""
    from app.models import Round, RoundStatus

    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.status != RoundStatus.PUBLISHED or not round_.input_snapshot:
        abort(404)
    response = Response(round_.input_snapshot, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="round-{round_.id}-input.json"'
    return response
