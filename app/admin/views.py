"""Admin pages: create and deactivate staff accounts."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from app.admin import bp
from app.admin.forms import StaffForm, StatusForm
from app.extensions import db
from app.i18n import language_choices
from app.models import University, User, UserRole, UserStatus
from app.services import accounts
from app.services.errors import ServiceError


@bp.get("/")
def home() -> Response:
    """Send admins to the staff list."""
    return redirect(url_for("admin.users"))


@bp.get("/users")
def users() -> str:
    """List staff accounts."""
    staff = db.session.scalars(
        select(User).where(User.role != UserRole.APPLICANT).order_by(User.role, User.email)
    ).all()
    return render_template("admin/users.html", staff=staff, status_form=StatusForm())


def _staff_form() -> StaffForm:
    form = StaffForm()
    universities = db.session.scalars(select(University).order_by(University.code)).all()
    form.university_id.choices = [SelectChoice("0", "—")] + [
        SelectChoice(str(u.id), f"{u.code} · {u.name_en}") for u in universities
    ]
    form.language.choices = language_choices()
    return form


@bp.route("/users/new", methods=["GET", "POST"])
def new_user() -> Response | str | tuple[str, int]:
    """Create a staff account."""
    form = _staff_form()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("admin/new_user.html", form=form), status
    university = db.session.get(University, form.university_id.data or 0)
    try:
        accounts.create_staff(
            form.email.data or "",
            form.password.data or "",
            role=UserRole(form.role.data),
            full_name=form.full_name.data or "",
            university=university,
            by=current_user._get_current_object(),
            language=form.language.data or "ru",
        )
    except ServiceError as err:
        flash(str(err), "error")
        return render_template("admin/new_user.html", form=form), 400
    db.session.commit()
    flash(_("The staff account is created."), "success")
    return redirect(url_for("admin.users"))


@bp.post("/users/<int:user_id>/status")
def set_status(user_id: int) -> Response:
    """Deactivate or reactivate a staff account."""
    user = db.session.get(User, user_id)
    if user is None or user.role == UserRole.APPLICANT:
        abort(404)
    form = StatusForm()
    if form.validate_on_submit():
        try:
            accounts.set_staff_status(
                user,
                UserStatus(form.status.data),
                by=current_user._get_current_object(),
            )
        except ServiceError as err:
            flash(str(err), "error")
            return redirect(url_for("admin.users"))
        db.session.commit()
        flash(_("The account status is changed."), "success")
    return redirect(url_for("admin.users"))
