"""Ministry appeal pages: the queue, assignment, the impact preview, the decision, appeal rounds.

The blueprint's guard admits ministry officers and admins only; university officers and
applicants get 404 on every page here, evidence included.
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from app import jobs
from app.extensions import db
from app.ministry import bp
from app.models import (
    Appeal,
    AppealSubject,
    Cycle,
    Placement,
    Round,
    RoundKind,
    RoundStatus,
    User,
    UserRole,
    UserStatus,
)
from app.services import appeals, documents
from app.services.errors import ServiceError

Page = str | tuple[str, int] | BaseResponse


class AssignForm(FlaskForm):
    officer = SelectField(
        _l("Officer"), choices=[], validators=[InputRequired(message=_l("Please choose one."))]
    )


class PreviewForm(FlaskForm):
    unt_total = StringField(
        _l("Corrected UNT total"),
        description=_l("Leave empty to keep the score as it is."),
        validators=[Optional(), Length(max=12, message=_l("This is too long."))],
    )


class DecideForm(FlaskForm):
    outcome = RadioField(
        _l("Decision"),
        choices=[
            SelectChoice("upheld", _l("Upheld")),
            SelectChoice("partly_upheld", _l("Partly upheld")),
            SelectChoice("dismissed", _l("Dismissed")),
        ],
        validators=[InputRequired(message=_l("Please choose one."))],
    )
    reason = TextAreaField(
        _l("Reason"),
        description=_l("The applicant reads this, in full, with the decision."),
        validators=[
            DataRequired(message=_l("Give the reason for the decision.")),
            Length(max=5000, message=_l("This is too long.")),
        ],
    )
    unt_total = StringField(
        _l("Corrected UNT total"),
        description=_l("For a score or placement appeal: the score that should have been used."),
        validators=[Optional(), Length(max=12, message=_l("This is too long."))],
    )
    document_state = SelectField(
        _l("Restore the document as"),
        choices=[
            SelectChoice("provisionally_accepted", _l("Provisionally accepted")),
            SelectChoice("verified", _l("Verified")),
        ],
        validators=[Optional()],
    )


class ActionForm(FlaskForm):
    pass


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _appeal(appeal_id: int) -> Appeal:
    try:
        return appeals.get_appeal(appeal_id)
    except ServiceError:
        abort(404)


def _labels() -> dict[str, Any]:
    return {
        "subject_label": appeals.subject_label,
        "ground_label": appeals.ground_label,
        "state_label": appeals.state_label,
    }


def _officers() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.role.in_((UserRole.MINISTRY, UserRole.ADMIN)),
                User.status == UserStatus.ACTIVE,
            )
            .order_by(User.full_name, User.email)
        )
    )


def _assign_form(appeal: Appeal) -> AssignForm:
    form = AssignForm()
    excluded = appeals.deciders_of(appeal)
    form.officer.choices = [
        SelectChoice(str(u.id), f"{u.full_name or u.email} <{u.email}>")
        for u in _officers()
        if u.id not in excluded
    ]
    if form.officer.data is None and appeal.assigned_to_id:
        form.officer.data = str(appeal.assigned_to_id)
    return form


def _cycles() -> list[Cycle]:
    return list(db.session.scalars(select(Cycle).order_by(Cycle.id.desc())))


@bp.get("/appeals")
def appeals_queue() -> Page:
    """List appeals by how soon they must be decided; overdue ones stand out."""
    state = request.args.get("state", "open")
    mine = request.args.get("mine") == "1"
    rows = appeals.queue(state=state, assigned_to=_me() if mine else None)
    cycles = [
        (cycle, len(appeals.owed_appeals(cycle)), appeals.extra_places_report(cycle))
        for cycle in _cycles()
    ]
    return render_template(
        "ministry/appeals/queue.html",
        rows=rows,
        state=state,
        mine=mine,
        counts=appeals.counts_by_state(),
        cycles=cycles,
        action_form=ActionForm(),
        **_labels(),
    )


def _render_show(
    appeal: Appeal,
    *,
    decide_form: DecideForm | None = None,
    preview_form: PreviewForm | None = None,
    assign_form: AssignForm | None = None,
    impact: appeals.Impact | None = None,
    status: int = 200,
) -> Page:
    decision = appeals.appealed_decision(appeal)
    page = render_template(
        "ministry/appeals/show.html",
        appeal=appeal,
        decision=decision,
        evidence=appeals.evidence(appeal),
        history=appeals.history(appeal),
        assign_form=assign_form or _assign_form(appeal),
        decide_form=decide_form or DecideForm(formdata=None),
        preview_form=preview_form or PreviewForm(formdata=None),
        impact=impact,
        can_preview=appeal.subject in (AppealSubject.SCORE, AppealSubject.PLACEMENT),
        is_open=appeal.state in appeals.OPEN_STATES,
        may_decide=_me().id not in appeals.deciders_of(appeal),
        **_labels(),
    )
    return page, status


@bp.get("/appeals/<int:appeal_id>")
def show_appeal(appeal_id: int) -> Page:
    """Show the appealed decision beside the evidence and the history, and the decision form."""
    return _render_show(_appeal(appeal_id))


@bp.post("/appeals/<int:appeal_id>/assign")
def assign_appeal(appeal_id: int) -> Page:
    """Give the appeal to an officer (never the one who made the appealed decision)."""
    appeal = _appeal(appeal_id)
    form = _assign_form(appeal)
    if not form.validate_on_submit():
        return _render_show(appeal, assign_form=form, status=400)
    officer = db.session.get(User, int(form.officer.data))
    if officer is None:
        abort(404)
    try:
        appeals.assign_appeal(appeal, officer, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_show(_appeal(appeal_id), status=err.status_code)
    db.session.commit()
    flash(_("The appeal was assigned."), "success")
    return redirect(url_for("ministry.show_appeal", appeal_id=appeal_id))


def _correction(unt_total: str | None, document_state: str | None = None) -> appeals.Correction:
    components = {"unt_total": unt_total} if unt_total and unt_total.strip() else {}
    return appeals.Correction.parse(components, document_state)


@bp.post("/appeals/<int:appeal_id>/preview")
def preview_appeal(appeal_id: int) -> Page:
    """Run the corrected data against the published round; nothing is saved."""
    appeal = _appeal(appeal_id)
    form = PreviewForm()
    if not form.validate_on_submit():
        return _render_show(appeal, preview_form=form, status=400)
    try:
        impact = appeals.preview_impact(appeal, _correction(form.unt_total.data))
    except ServiceError as err:
        flash(str(err), "error")
        return _render_show(appeal, preview_form=form, status=err.status_code)
    finally:
        db.session.rollback()
    if impact is None:
        flash(_("There is no published round with this applicant to preview against."), "warning")
    decide = DecideForm(formdata=None, unt_total=form.unt_total.data)
    return _render_show(appeal, preview_form=form, decide_form=decide, impact=impact)


@bp.post("/appeals/<int:appeal_id>/decide")
def decide_appeal(appeal_id: int) -> Page:
    """Record the decision with its reason; an upheld appeal applies the correction."""
    appeal = _appeal(appeal_id)
    form = DecideForm()
    if not form.validate_on_submit():
        return _render_show(appeal, decide_form=form, status=400)
    try:
        correction = _correction(form.unt_total.data, form.document_state.data)
        appeals.decide_appeal(
            appeal, form.outcome.data or "", form.reason.data or "", by=_me(), correction=correction
        )
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_show(_appeal(appeal_id), decide_form=form, status=err.status_code)
    db.session.commit()
    flash(_("The decision was recorded and the applicant was told."), "success")
    return redirect(url_for("ministry.show_appeal", appeal_id=appeal_id))


@bp.get("/appeals/<int:appeal_id>/evidence/<int:document_id>")
def appeal_evidence(appeal_id: int, document_id: int) -> BaseResponse:
    """Send one evidence file of an appeal to ministry staff."""
    try:
        document = appeals.get_evidence(_appeal(appeal_id), document_id)
        content, mimetype = documents.read_document(document)
    except ServiceError:
        abort(404)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/appeals/cycles/<int:cycle_id>/round")
def start_appeal_round(cycle_id: int) -> Page:
    """Queue an appeal round for every upheld appeal still owed a place."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        round_ = appeals.start_appeal_round(cycle, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("ministry.appeals_queue"))
    db.session.commit()
    jobs.enqueue(jobs.run_appeal_round, round_.id)
    return redirect(url_for("ministry.appeal_round", round_id=round_.id))


def _appeal_round(round_id: int) -> Round:
    round_ = db.session.get(Round, round_id)
    if round_ is None or round_.kind != RoundKind.APPEAL:
        abort(404)
    return round_


@bp.get("/appeals/rounds/<int:round_id>")
def appeal_round(round_id: int) -> Page:
    """Review an appeal round: who is given which place, extra places, the certificate."""
    round_ = _appeal_round(round_id)
    placements = list(
        db.session.scalars(
            select(Placement).where(Placement.round_id == round_.id).order_by(Placement.id)
        )
    )
    return render_template(
        "ministry/appeals/round.html",
        round=round_,
        placements=placements,
        extra=appeals.extra_places_report(round_.cycle, round_=round_),
        action_form=ActionForm(),
        can_publish=round_.status == RoundStatus.SOLVED,
    )


@bp.post("/appeals/rounds/<int:round_id>/publish")
def publish_appeal_round(round_id: int) -> Page:
    """Publish a solved appeal round once; offers go out like in any round."""
    round_ = _appeal_round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        published = appeals.publish_appeal_round(round_, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("ministry.appeal_round", round_id=round_id))
    db.session.commit()
    if published:
        flash(
            _("The appeal round was published; the applicants were offered their places."),
            "success",
        )
    return redirect(url_for("ministry.appeal_round", round_id=round_id))
