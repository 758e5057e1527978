"""The second sign-in step for staff: set up an authenticator, then type its code each time.

After a right password, `login()` calls `begin_second_step`, which keeps only a *pending* user
in the session (id, session token, time). Nobody is signed in until a code is accepted here, so
a stolen staff password alone opens nothing. The pending state dies after ten minutes, on a
password change (the session token moves) and on lockout.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from app.auth import bp
from app.auth.session import start_session
from app.extensions import db, limiter
from app.models import User, utcnow
from app.services import two_factor
from app.services.errors import ServiceError

PENDING_KEY = "two_factor_pending"
PENDING_MAX_AGE_SECONDS = 600


class TwoFactorCodeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[lambda v: v.strip() if isinstance(v, str) else v],
        validators=[
            DataRequired(_l("Type the code.")),
            Length(max=64, message=_l("This is longer than any code.")),
        ],
    )


def begin_second_step(user: User, next_url: str | None) -> Response:
    """Remember `user` as waiting for a code and send them to enrol or to type one."""
    session[PENDING_KEY] = {
        "uid": user.id,
        "token": user.session_token,
        "at": utcnow().timestamp(),
        "next": next_url or "",
    }
    if two_factor.is_enrolled(user):
        return redirect(url_for("auth.two_factor_verify"))
    return redirect(url_for("auth.two_factor_setup"))


def _pending_user() -> User | None:
    pending: Any = session.get(PENDING_KEY)
    if not isinstance(pending, dict):
        return None
    age = utcnow().timestamp() - float(pending.get("at", 0))
    user = db.session.get(User, int(pending.get("uid", 0)))
    if (
        age > PENDING_MAX_AGE_SECONDS
        or user is None
        or not user.is_active
        or user.session_token != pending.get("token")
    ):
        session.pop(PENDING_KEY, None)
        return None
    return user


def _start_over() -> Response:
    flash(_("Please sign in again."), "info")
    return redirect(url_for("auth.login"))


def _finish_sign_in(user: User) -> str:
    """Sign the pending user in for real; return where they were going."""
    from app.auth.views import home_for

    pending = session.pop(PENDING_KEY, {})
    login_user(user)
    start_session()
    return str(pending.get("next") or home_for(user))


def _locked(err: ServiceError) -> Response:
    db.session.commit()  # keep the failure count and the lock
    session.pop(PENDING_KEY, None)
    flash(str(err), "error")
    return redirect(url_for("auth.login"))


def _code_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/two-factor", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def two_factor_verify() -> Response | str | tuple[str, int]:
    """Finish a staff sign-in with an authenticator code or a recovery code."""
    user = _pending_user()
    if user is None:
        return _start_over()
    if not two_factor.is_enrolled(user):
        return redirect(url_for("auth.two_factor_setup"))
    form = TwoFactorCodeForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/two_factor_verify.html", form=form), status
    try:
        method = two_factor.verify(user, form.code.data or "")
    except two_factor.TwoFactorLocked as err:
        return _locked(err)
    except ServiceError as err:
        db.session.commit()  # keep the failure count
        form.code.errors = [*form.code.errors, str(err)]
        return render_template("auth/two_factor_verify.html", form=form), err.status_code
    db.session.commit()
    target = _finish_sign_in(user)
    if method == "recovery":
        left = len(user.totp_recovery_hashes or [])
        flash(
            _(
                "You used a recovery code; %(n)d are left. If you lost your phone, ask an "
                "administrator to reset your two-step sign-in.",
                n=left,
            ),
            "warning",
        )
        return redirect(url_for("auth.two_factor_recovery_codes"))
    return redirect(target)


@bp.route("/two-factor/setup", methods=["GET", "POST"])
@limiter.limit(_code_limit, methods=["POST"])
def two_factor_setup() -> Response | str | tuple[str, int]:
    """Set up an authenticator app for a staff account, then show its recovery codes once."""
    user = _pending_user()
    if user is None:
        return _start_over()
    if two_factor.is_enrolled(user):
        return redirect(url_for("auth.two_factor_verify"))
    secret = two_factor.begin_enrolment(user)
    db.session.commit()  # the same secret on reload: the app may have scanned it already
    form = TwoFactorCodeForm()
    page = {
        "form": form,
        "secret": two_factor.grouped(secret),
        "qr": two_factor.qr_data_uri(two_factor.provisioning_uri(user, secret)),
    }
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/two_factor_setup.html", **page), status
    try:
        codes = two_factor.confirm_enrolment(user, form.code.data or "")
    except two_factor.TwoFactorLocked as err:
        return _locked(err)
    except ServiceError as err:
        db.session.commit()
        form.code.errors = [*form.code.errors, str(err)]
        return render_template("auth/two_factor_setup.html", **page), err.status_code
    db.session.commit()
    target = _finish_sign_in(user)
    # Shown in this answer only (never stored in plaintext, never sent by e-mail).
    return render_template("auth/two_factor_recovery_codes.html", codes=codes, target=target)


@bp.route("/two-factor/recovery-codes", methods=["GET", "POST"])
@login_required
@limiter.limit(_code_limit, methods=["POST"])
def two_factor_recovery_codes() -> Response | str | tuple[str, int]:
    """Replace one's recovery codes with ten new ones, after a code from the authenticator."""
    from app.auth.views import home_for

    user = current_user._get_current_object()
    if not user.is_staff or not two_factor.is_enrolled(user):
        abort(404)
    form = TwoFactorCodeForm()
    page = {"form": form, "left": len(user.totp_recovery_hashes or []), "home": home_for(user)}
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/two_factor_recovery.html", **page), status
    try:
        two_factor.verify(user, form.code.data or "", allow_recovery=False)
        codes = two_factor.regenerate_recovery_codes(user)
    except ServiceError as err:
        db.session.commit()  # keep the failure count
        form.code.errors = [*form.code.errors, str(err)]
        return render_template("auth/two_factor_recovery.html", **page), err.status_code
    db.session.commit()
    return render_template("auth/two_factor_recovery_codes.html", codes=codes, target=page["home"])
