"""Applicant appeal pages: contest a decision, add evidence, follow it, withdraw it.

Every appeal is looked up through its owner, so anyone else's appeal id answers 404.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.wrappers import Response as BaseResponse
from wtforms import BooleanField, HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from app.applicant import bp
from app.extensions import db
from app.models import Appeal, Application, User, utcnow
from app.services import appeals, applications
from app.services.errors import ServiceError

Page = str | tuple[str, int] | BaseResponse


class AppealForm(FlaskForm):
    subject = HiddenField()
    subject_ref = HiddenField()
    ground = RadioField(
        _l("Why is the decision wrong?"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose one."))],
    )
    statement = TextAreaField(
        _l("Your statement"),
        description=_l("Explain what is wrong and what the right decision would be."),
        validators=[
            DataRequired(message=_l("Please fill this in.")),
            Length(
                min=appeals.MIN_STATEMENT,
                max=5000,
                message=_l("Write between 20 and 5000 characters."),
            ),
        ],
    )
    evidence = FileField(
        _l("Evidence (optional)"),
        description=_l("A photo or PDF that supports your appeal. You can add more later."),
    )
    declaration = BooleanField(
        _l("I declare that what I wrote is true and complete to the best of my knowledge."),
        validators=[DataRequired(message=_l("Confirm the declaration to file the appeal."))],
    )


class EvidenceForm(FlaskForm):
    file = FileField(_l("Add evidence"), description=_l("A photo (JPEG, PNG, WebP) or a PDF."))


class WithdrawAppealForm(FlaskForm):
    pass


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _application() -> Application:
    application = applications.application_for(_me())
    if application is None:
        abort(404)
    return application


def _own(appeal_id: int) -> Appeal:
    try:
        return appeals.get_own_appeal(_me(), appeal_id)
    except ServiceError:
        abort(404)


def _labels() -> dict[str, Any]:
    return {
        "subject_label": appeals.subject_label,
        "ground_label": appeals.ground_label,
        "state_label": appeals.state_label,
    }


@bp.get("/appeals")
def appeals_list() -> Page:
    """List the decisions the applicant can still appeal and the appeals they filed."""
    application = applications.application_for(_me())
    decisions = appeals.decisions(application) if application is not None else []
    return render_template(
        "applicant/appeals/index.html",
        application=application,
        decisions=decisions,
        appeals=appeals.own_appeals(_me()),
        now=utcnow(),
        **_labels(),
    )


def _form_for(decision: appeals.Decision) -> AppealForm:
    form = AppealForm()
    form.ground.choices = [
        SelectChoice(g.value, appeals.ground_label(g))
        for g in appeals.grounds_for(decision.subject)
    ]
    form.subject.data = decision.subject.value
    form.subject_ref.data = decision.subject_ref
    return form


def _render_new(decision: appeals.Decision, form: AppealForm, status: int = 200) -> Page:
    page = render_template(
        "applicant/appeals/new.html",
        decision=decision,
        form=form,
        late=not decision.is_open_at(utcnow()),
        window_days=_application().cycle.appeal_window_days,
        **_labels(),
    )
    return page, status


def _decision(subject: str, ref: str) -> appeals.Decision:
    try:
        return appeals.find_decision(_application(), subject, ref)
    except ServiceError:
        abort(404)


@bp.get("/appeals/new")
def new_appeal() -> Page:
    """Show the appeal form for one decision, with its deadline in the reader's zone."""
    decision = _decision(request.args.get("subject", ""), request.args.get("ref", ""))
    return _render_new(decision, _form_for(decision))


@bp.post("/appeals/new")
def file_appeal() -> Page:
    """File the appeal (and its first evidence file, if one was chosen)."""
    decision = _decision(request.form.get("subject", ""), request.form.get("subject_ref", ""))
    form = _form_for(decision)
    if not form.validate_on_submit():
        return _render_new(decision, form, 400)
    try:
        appeal = appeals.file_appeal(
            _application(),
            subject=decision.subject.value,
            subject_ref=decision.subject_ref,
            ground=form.ground.data or "",
            statement=form.statement.data or "",
            declaration=bool(form.declaration.data),
            by=_me(),
        )
        if form.evidence.data:
            appeals.add_evidence(appeal, form.evidence.data, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        decision = _decision(decision.subject.value, decision.subject_ref)
        return _render_new(decision, form, err.status_code)
    db.session.commit()
    flash(_("Your appeal was filed. We will tell you the decision."), "success")
    return redirect(url_for("applicant.show_appeal", appeal_id=appeal.id))


def _render_show(appeal: Appeal, form: EvidenceForm | None = None, status: int = 200) -> Page:
    page = render_template(
        "applicant/appeals/show.html",
        appeal=appeal,
        evidence=appeals.evidence(appeal),
        history=appeals.history(appeal),
        evidence_form=form or EvidenceForm(),
        withdraw_form=WithdrawAppealForm(),
        is_open=appeal.state in appeals.OPEN_STATES,
        **_labels(),
    )
    return page, status


@bp.get("/appeals/<int:appeal_id>")
def show_appeal(appeal_id: int) -> Page:
    """Show one of the applicant's own appeals: what, why, evidence, steps and the outcome."""
    return _render_show(_own(appeal_id))


@bp.post("/appeals/<int:appeal_id>/evidence")
def add_appeal_evidence(appeal_id: int) -> Page:
    """Add an evidence file to an open appeal."""
    appeal = _own(appeal_id)
    form = EvidenceForm()
    if not form.validate_on_submit() or not form.file.data:
        form.file.errors = [*form.file.errors, _("Choose a file to send.")]
        return _render_show(appeal, form, 400)
    try:
        appeals.add_evidence(appeal, form.file.data, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_show(_own(appeal_id), form, err.status_code)
    db.session.commit()
    flash(_("Your evidence was added to the appeal."), "success")
    return redirect(url_for("applicant.show_appeal", appeal_id=appeal_id))


@bp.post("/appeals/<int:appeal_id>/withdraw")
def withdraw_appeal(appeal_id: int) -> Page:
    """Withdraw an open appeal."""
    appeal = _own(appeal_id)
    if not WithdrawAppealForm().validate_on_submit():
        return _render_show(appeal, status=400)
    try:
        appeals.withdraw_appeal(appeal, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("applicant.show_appeal", appeal_id=appeal_id))
    db.session.commit()
    flash(_("Your appeal was withdrawn."), "success")
    return redirect(url_for("applicant.show_appeal", appeal_id=appeal_id))
