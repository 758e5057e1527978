"""Applicant pages: a refugee student's own application, documents, messages and offers.

Every page works on the signed-in user's own application; ids of documents, offers and
messages are looked up through the owner, so anyone else's id answers 404.
"""

from __future__ import annotations

import io
import json
from typing import Any

from flask import (
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response as BaseResponse

from app.applicant import bp
from app.applicant.forms import (
    SCORE_LABELS,
    ChoiceActionForm,
    DeleteDraftForm,
    EducationForm,
    OfferForm,
    PersonalForm,
    PrecheckForm,
    ProtectionForm,
    SubmitForm,
    UploadForm,
    WithdrawForm,
    scores_form,
)
from app.extensions import db
from app.models import Application, Notification, NotificationChannel, utcnow
from app.services import applications, dates, documents, notifications, offers, scoring, workflow
from app.services.errors import ServiceError

Page = str | tuple[str, int] | BaseResponse

FORM_STEPS: dict[str, Any] = {
    "personal": PersonalForm,
    "protection": ProtectionForm,
    "education": EducationForm,
}


def _me() -> Any:
    return current_user._get_current_object()


def _application() -> Application | None:
    return applications.application_for(_me())


def _require_application() -> Application:
    application = _application()
    if application is None:
        abort(404)
    return application


def _context(application: Application | None, **extra: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "application": application,
        "sections": applications.SECTION_TITLES,
        "steps": applications.STEPS,
        "editable": applications.editable_sections(application) if application else frozenset(),
        "status_label": workflow.status_label,
        "status_meaning": workflow.status_meaning,
        "both_calendars": dates.format_both,
        "score_labels": {name: label for name, (label, _hint) in SCORE_LABELS.items()},
    }
    values.update(extra)
    return values


def _fail(err: ServiceError) -> int:
    flash(str(err), "error")
    return err.status_code


@bp.get("/")
def home() -> Page:
    """Show the applicant's own application, its status timeline and what to do next."""
    application = _application()
    cycle = applications.current_cycle()
    if application is None:
        return render_template("applicant/home.html", **_context(None, cycle=cycle))
    return render_template(
        "applicant/home.html",
        **_context(
            application,
            cycle=application.cycle,
            timeline=applications.timeline(application),
            missing=applications.missing_items(application),
            offer=offers.current_offer(application),
            flag_text=applications.FLAG_TEXT,
        ),
    )


@bp.route("/eligibility", methods=["GET", "POST"])
def eligibility() -> Page:
    """Ask the eligibility questions before the long form; explain any refusal."""
    cycle = applications.current_cycle()
    application = _application()
    if application is not None and application.status != "draft":
        return redirect(url_for("applicant.home"))
    form = PrecheckForm()
    if cycle is None or not cycle.accepts_applications(utcnow()):
        return render_template("applicant/eligibility.html", form=form, cycle=cycle, closed=True)
    if request.method == "GET":
        return render_template("applicant/eligibility.html", form=form, cycle=cycle)
    if not form.validate_on_submit():
        return render_template("applicant/eligibility.html", form=form, cycle=cycle), 400
    try:
        applications.start(_me(), cycle, form.answers(), by=_me())
    except applications.PrecheckRefused as err:
        return render_template(
            "applicant/eligibility.html", form=form, cycle=cycle, failures=err.failures
        ), 200
    except ServiceError as err:
        return render_template("applicant/eligibility.html", form=form, cycle=cycle), _fail(err)
    db.session.commit()
    flash(
        _("You can apply. Your answers are saved: fill in the application step by step."), "success"
    )
    return redirect(url_for("applicant.step", step="personal"))


def _step_form(application: Application, step: str, formdata: Any = None) -> Any:
    if step == "scores":
        components = list(scoring.formula_weights(application.cycle.score_formula or {}))
        data = {f"c_{c.name}": c.value for c in application.score_components}
        if formdata is None:
            return scores_form(components, data=data, version=application.version)
        return scores_form(components, formdata=formdata)
    form_class = FORM_STEPS[step]
    if formdata is not None:
        return form_class(formdata=formdata)
    form = form_class(obj=application, version=application.version)
    if step == "personal":
        form.gender.data = application.gender.value if application.gender else None
        form.date_of_birth.data = (
            application.date_of_birth.isoformat() if application.date_of_birth else ""
        )
    elif step == "protection":
        form.protection_status.data = (
            application.protection_status.value if application.protection_status else None
        )
        form.status_valid_until.data = (
            application.status_valid_until.isoformat() if application.status_valid_until else ""
        )
    elif step == "education":
        form.education_route.data = (
            application.education_route.value if application.education_route else None
        )
    return form


def _render_step(application: Application, step: str, form: Any, status: int = 200) -> Page:
    page = render_template(
        "applicant/step.html",
        **_context(
            application,
            step=step,
            form=form,
            formula=scoring.describe_formula(application.cycle.score_formula or {}),
        ),
    )
    return page, status


@bp.route("/application/<step>", methods=["GET", "POST"])
def step(step: str) -> Page:
    """Show or save one step of the form (personal, protection, education, scores)."""
    if step == "choices":
        return redirect(url_for("applicant.choices"))
    if step == "documents":
        return redirect(url_for("applicant.documents_page"))
    if step == "review":
        return redirect(url_for("applicant.review"))
    if step not in ("personal", "protection", "education", "scores"):
        abort(404)
    application = _application()
    if application is None:
        return redirect(url_for("applicant.eligibility"))
    if request.method == "GET":
        return _render_step(application, step, _step_form(application, step))
    form = _step_form(application, step, formdata=request.form)
    if not form.validate_on_submit():
        return _render_step(application, step, form, 400)
    if step == "scores":
        data = {
            name.removeprefix("c_"): field.data
            for name, field in form._fields.items()
            if name.startswith("c_")
        }
    else:
        data = form.data_for_service()
    try:
        applications.save_step(
            application, step, data, expected_version=form.expected_version(), by=_me()
        )
    except ServiceError as err:
        db.session.rollback()
        form.version.data = _require_application().version
        return _render_step(_require_application(), step, form, _fail(err))
    db.session.commit()
    flash(_("Saved."), "success")
    if request.form.get("then") == "stay":
        return redirect(url_for("applicant.step", step=step))
    following = applications.STEPS[applications.STEPS.index(step) + 1]
    return redirect(url_for("applicant.step", step=following))


# ----------------------------------------------------------------------------- choices


def _search_args() -> dict[str, str]:
    return {
        key: (request.args.get(key) or "").strip()[:80]
        for key in ("text", "city", "field_group", "language")
    }


@bp.get("/application/choices")
def choices() -> Page:
    """Show the ranked list of programs and a search to add more."""
    application = _application()
    if application is None:
        return redirect(url_for("applicant.eligibility"))
    return _render_choices(application)


def _render_choices(application: Application, status: int = 200) -> Page:
    args = _search_args()
    results = applications.search_programs(
        application.cycle,
        text=args["text"],
        city=args["city"],
        field_group=args["field_group"],
        language=args["language"],
    )
    listed = {c.program_id for c in application.choices}
    page = render_template(
        "applicant/choices.html",
        **_context(
            application,
            step="choices",
            form=ChoiceActionForm(version=application.version),
            args=args,
            results=[p for p in results if p.id not in listed],
            facets=applications.search_facets(application.cycle),
            searched=any(args.values()),
        ),
    )
    return page, status


def _choice_action(action: Any, anchor: str | None = None) -> Page:
    application = _application()
    if application is None:
        abort(404)
    form = ChoiceActionForm()
    if not form.validate_on_submit():
        flash(_("This form expired. Please try again."), "error")
        return _render_choices(application, 400)
    try:
        action(application, form.expected_version())
    except ServiceError as err:
        db.session.rollback()
        return _render_choices(_require_application(), _fail(err))
    db.session.commit()
    kept: dict[str, Any] = {k: v for k, v in _search_args().items() if v}
    return redirect(url_for("applicant.choices", _anchor=anchor, **kept))


def _int_field(name: str) -> int:
    try:
        return int(request.form.get(name, ""))
    except ValueError:
        abort(400)


@bp.post("/application/choices/add")
def add_choice() -> Page:
    """Put a program at the end of the ranked list."""
    program_id = _int_field("program_id")

    def action(application: Application, version: int | None) -> None:
        applications.add_choice(application, program_id, expected_version=version, by=_me())
        flash(_("Added to your list."), "success")

    return _choice_action(action)


@bp.post("/application/choices/<int:choice_id>/move")
def move_choice(choice_id: int) -> Page:
    """Move a program one place up or down (works without JavaScript)."""
    direction = request.form.get("direction", "")

    def action(application: Application, version: int | None) -> None:
        applications.move_choice(
            application, choice_id, direction, expected_version=version, by=_me()
        )

    # Back at the moved program, so a keyboard user ranks on from there, not from the top.
    return _choice_action(action, anchor=f"choice-{choice_id}")


@bp.post("/application/choices/<int:choice_id>/remove")
def remove_choice(choice_id: int) -> Page:
    """Take a program off the list."""

    def action(application: Application, version: int | None) -> None:
        applications.remove_choice(application, choice_id, expected_version=version, by=_me())
        flash(_("Removed from your list."), "success")

    return _choice_action(action)


# --------------------------------------------------------------------------- documents


def _render_documents(application: Application, form: UploadForm, status: int = 200) -> Page:
    page = render_template(
        "applicant/documents.html",
        **_context(
            application,
            step="documents",
            form=form,
            checklist=applications.checklist(application),
            evidence_types=applications.EVIDENCE_TYPES,
        ),
    )
    return page, status


@bp.get("/application/documents")
def documents_page() -> Page:
    """Show the document checklist, what was sent and its state, and the upload form."""
    application = _application()
    if application is None:
        return redirect(url_for("applicant.eligibility"))
    form = UploadForm(version=application.version)
    kind = request.args.get("kind", "")
    if kind:
        form.kind.data = kind
    replaces = request.args.get("replaces", "")
    if replaces.isdigit():
        form.replaces.data = replaces
    return _render_documents(application, form)


@bp.post("/application/documents")
def upload() -> Page:
    """Receive one document, check it by content and store it."""
    application = _application()
    if application is None:
        abort(404)
    form = UploadForm()
    if not form.validate_on_submit():
        return _render_documents(application, form, 400)
    replaces = None
    if (form.replaces.data or "").isdigit():
        try:
            replaces = applications.own_document(_me(), int(form.replaces.data))
        except ServiceError:
            abort(404)
    try:
        documents.store_upload(
            application,
            form.kind.data,
            form.file.data,
            by=_me(),
            evidence_type=form.evidence_type.data or "",
            replaces=replaces,
        )
    except ServiceError as err:
        db.session.rollback()
        return _render_documents(_require_application(), form, _fail(err))
    db.session.commit()
    flash(_("Your document was received."), "success")
    return redirect(url_for("applicant.documents_page"))


@bp.get("/documents/<int:document_id>")
def document_file(document_id: int) -> BaseResponse:
    """Send one of the applicant's own documents (never anyone else's)."""
    try:
        document = applications.own_document(_me(), document_id)
        content, mimetype = documents.read_document(document)
    except ServiceError:
        abort(404)
    response = send_file(
        io.BytesIO(content),
        mimetype=mimetype,
        download_name=document.original_name,
        as_attachment=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


# -------------------------------------------------------------------- review and submit


def _render_review(application: Application, form: Any, status: int = 200) -> Page:
    page = render_template(
        "applicant/review.html",
        **_context(
            application,
            step="review",
            form=form,
            missing=applications.missing_items(application),
            checklist=applications.checklist(application),
            deadline=application.cycle.application_closes_at,
            open_now=application.cycle.accepts_applications(utcnow()),
        ),
    )
    return page, status


@bp.get("/application/review")
def review() -> Page:
    """Show everything entered, what is missing, and the declaration to send it."""
    application = _application()
    if application is None:
        return redirect(url_for("applicant.eligibility"))
    return _render_review(application, SubmitForm(version=application.version))


@bp.post("/application/submit")
def submit() -> Page:
    """Send the application (or send it again after staff asked for more information)."""
    application = _require_application()
    form = SubmitForm()
    if not form.validate_on_submit():
        return _render_review(application, form, 400)
    try:
        applications.submit(application, by=_me())
    except ServiceError as err:
        db.session.rollback()
        return _render_review(_require_application(), form, _fail(err))
    db.session.commit()
    flash(_("Your application was sent. We will tell you when its status changes."), "success")
    return redirect(url_for("applicant.home"))


@bp.route("/withdraw", methods=["GET", "POST"])
def withdraw() -> Page:
    """Withdraw the application after a confirmation."""
    application = _require_application()
    form = WithdrawForm()
    if request.method == "GET":
        return render_template("applicant/withdraw.html", **_context(application, form=form))
    if not form.validate_on_submit():
        return render_template("applicant/withdraw.html", **_context(application, form=form)), 400
    try:
        applications.withdraw(application, by=_me(), reason=form.reason.data or "")
    except ServiceError as err:
        db.session.rollback()
        return render_template(
            "applicant/withdraw.html", **_context(_require_application(), form=form)
        ), _fail(err)
    db.session.commit()
    flash(_("Your application was withdrawn."), "success")
    return redirect(url_for("applicant.home"))


@bp.route("/delete-draft", methods=["GET", "POST"])
def delete_draft() -> Page:
    """Delete a draft that was never sent, after a confirmation."""
    application = _require_application()
    form = DeleteDraftForm()
    if request.method == "GET":
        return render_template("applicant/delete_draft.html", **_context(application, form=form))
    if not form.validate_on_submit():
        page = render_template("applicant/delete_draft.html", **_context(application, form=form))
        return page, 400
    keys = [d.storage_key for d in application.documents]
    try:
        applications.delete_draft(application, by=_me())
    except ServiceError as err:
        db.session.rollback()
        page = render_template(
            "applicant/delete_draft.html", **_context(_require_application(), form=form)
        )
        return page, _fail(err)
    db.session.commit()
    documents.purge_unreferenced(keys)
    flash(_("Your draft and its documents were deleted."), "success")
    return redirect(url_for("applicant.home"))


# ------------------------------------------------------------------------ messages


@bp.get("/messages")
def messages() -> Page:
    """List the applicant's in-portal messages, newest first."""
    return render_template(
        "applicant/messages.html",
        messages=notifications.inbox(_me()),
        form=OfferForm(),
    )


@bp.post("/messages/<int:note_id>/read")
def mark_read(note_id: int) -> Page:
    """Mark one of the applicant's own messages as read."""
    note = db.session.get(Notification, note_id)
    if note is None or note.recipient_id != _me().id or note.channel != NotificationChannel.PORTAL:
        abort(404)
    if not OfferForm().validate_on_submit():
        abort(400)
    notifications.mark_read(_me(), note_id)
    db.session.commit()
    return redirect(url_for("applicant.messages"))


# -------------------------------------------------------------------- results, offers


@bp.get("/results")
def results() -> Page:
    """Show the published result: the place offered, and why higher choices were not theirs."""
    application = _require_application()
    return render_template(
        "applicant/results.html",
        **_context(
            application,
            outcome=offers.outcome(application),
            offer=offers.current_offer(application),
            form=OfferForm(),
            now=utcnow(),
        ),
    )


def _offer_action(placement_id: int, accept: bool) -> Page:
    try:
        placement = applications.own_placement(_me(), placement_id)
    except ServiceError:
        abort(404)
    form = OfferForm()
    if not form.validate_on_submit():
        flash(_("This form expired. Please try again."), "error")
        return redirect(url_for("applicant.results")), 400  # type: ignore[return-value]
    try:
        if accept:
            offers.accept_offer(placement, by=_me())
        else:
            offers.decline_offer(placement, by=_me(), reason=form.reason.data or "")
    except ServiceError as err:
        db.session.rollback()
        status = _fail(err)
        if status == 404:
            abort(404)
        return redirect(url_for("applicant.results")), status  # type: ignore[return-value]
    db.session.commit()
    if accept:
        flash(_("You accepted the place. Congratulations!"), "success")
    else:
        flash(_("You declined the place. It goes to another applicant."), "success")
    return redirect(url_for("applicant.results"))


@bp.post("/offers/<int:placement_id>/accept")
def accept_offer(placement_id: int) -> Page:
    """Accept an offered place before its deadline."""
    return _offer_action(placement_id, accept=True)


@bp.post("/offers/<int:placement_id>/decline")
def decline_offer(placement_id: int) -> Page:
    """Decline an offered place."""
    return _offer_action(placement_id, accept=False)


# ------------------------------------------------------------------------ own data


@bp.get("/my-data.json")
def export_json() -> BaseResponse:
    """Download everything Umit holds about the applicant's application, as JSON."""
    application = _require_application()
    body = json.dumps(applications.export_data(application), ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="umit-{application.public_code}.json"'
    )
    return response


@bp.get("/summary")
def summary() -> Page:
    """Show a readable, printable summary of the application."""
    application = _require_application()
    return render_template(
        "applicant/summary.html",
        **_context(
            application,
            timeline=applications.timeline(application),
            checklist=applications.checklist(application),
        ),
    )
