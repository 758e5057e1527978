"""Views for signing in and out, registering, confirming e-mail and resetting passwords."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from app.auth import bp
from app.auth.forms import (
    ChangePasswordForm,
    EmailOnlyForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
    SignOutForm,
)
from app.auth.session import start_session
from app.auth.two_factor import begin_second_step
from app.extensions import db, limiter
from app.i18n import language_choices
from app.services import accounts, two_factor
from app.services.errors import ServiceError

HOME_BY_ROLE = {
    "applicant": "applicant.home",
    "university": "university.home",
    "ministry": "ministry.home",
    "admin": "admin.home",
}


def home_for(user: object) -> str:
    """Return the URL of a user's role home page."""
    return url_for(HOME_BY_ROLE[user.role.value])  # type: ignore[attr-defined]


def _safe_next(target: str | None) -> str | None:
    # Only same-site relative paths: an open redirect would help phishing.
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _login_limit() -> str:
    return str(current_app.config["LOGIN_RATE_LIMIT"])


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    """Sign in with e-mail and password."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/login.html", form=form), status
    try:
        user = accounts.authenticate(form.email.data or "", form.password.data or "")
    except ServiceError as err:
        db.session.commit()  # keep the failure count and any lock
        flash(str(err), "error")
        return render_template("auth/login.html", form=form), err.status_code
    db.session.commit()
    if two_factor.required_for(user):
        # The password is only the first step: nobody is signed in until the code.
        return begin_second_step(user, _safe_next(request.args.get("next")))
    login_user(user)
    start_session()
    if user.role.value == "applicant" and not user.email_confirmed:
        flash(_("Please confirm your e-mail address: we sent you a link."), "warning")
    return redirect(_safe_next(request.args.get("next")) or home_for(user))


@bp.post("/logout")
@login_required
def logout() -> Response:
    """Sign out here and everywhere else this account is signed in."""
    form = SignOutForm()
    if form.validate_on_submit():
        accounts.sign_out(current_user._get_current_object())
        db.session.commit()
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit("20 per hour", methods=["POST"])
def register() -> Response | str | tuple[str, int]:
    """Create an applicant account."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = RegisterForm()
    form.language.choices = language_choices()
    if request.method == "GET":
        from flask_babel import get_locale

        form.language.data = str(get_locale())
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/register.html", form=form), status
    try:
        accounts.register_applicant(
            form.email.data or "",
            form.password.data or "",
            full_name=form.full_name.data or "",
            language=form.language.data or "en",
        )
    except ServiceError as err:
        form.email.errors = [*form.email.errors, str(err)]
        return render_template("auth/register.html", form=form), 400
    db.session.commit()
    flash(
        _("Your account is created. We sent a confirmation link to your e-mail address."), "success"
    )
    return redirect(url_for("auth.login"))


@bp.get("/confirm/<token>")
def confirm_email(token: str) -> Response:
    """Confirm an e-mail address from the emailed link."""
    try:
        accounts.confirm_email(token)
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("auth.resend_confirmation"))
    db.session.commit()
    flash(_("Thank you: your e-mail address is confirmed."), "success")
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.login"))


@bp.route("/confirm", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def resend_confirmation() -> Response | str | tuple[str, int]:
    """Send the confirmation link again."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/resend_confirmation.html", form=form), status
    user = accounts.find_user(form.email.data or "")
    if user is not None and not user.email_confirmed:
        accounts.send_confirmation(user)
        db.session.commit()
    flash(_("If that address has an unconfirmed account, a new link is on its way."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password() -> Response | str | tuple[str, int]:
    """Ask for a password-reset link."""
    form = EmailOnlyForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/forgot_password.html", form=form), status
    accounts.request_password_reset(form.email.data or "")
    db.session.commit()
    flash(_("If that address has an account, a reset link is on its way."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str | tuple[str, int]:
    """Choose a new password from an emailed reset link."""
    try:
        accounts.user_for_reset_token(token)
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("auth.forgot_password"))
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/reset_password.html", form=form), status
    try:
        accounts.reset_password(token, form.password.data or "")
    except ServiceError as err:
        form.password.errors = [*form.password.errors, str(err)]
        return render_template("auth/reset_password.html", form=form), 400
    db.session.commit()
    logout_user()
    flash(_("Your password is changed. Please sign in with the new one."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | str | tuple[str, int]:
    """Change one's own password; every other session is signed out."""
    form = ChangePasswordForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("auth/change_password.html", form=form), status
    user = current_user._get_current_object()
    try:
        accounts.change_password(user, form.current_password.data or "", form.password.data or "")
    except ServiceError as err:
        form.current_password.errors = [*form.current_password.errors, str(err)]
        return render_template("auth/change_password.html", form=form), 400
    db.session.commit()
    login_user(user)  # this session carries the new token; the others are out
    start_session()
    flash(_("Your password is changed."), "success")
    return redirect(home_for(user))
