"""The ministry console: dashboard, cycles and quotas, verification, rounds, exports, audit log."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response as BaseResponse
from wtforms.fields.choices import SelectChoice

from app import jobs, labels
from app.extensions import db
from app.ministry import bp
from app.ministry.forms import (
    ApproveProposalForm,
    AuditFilterForm,
    CompareForm,
    CycleForm,
    CycleStatusForm,
    DocumentDecisionForm,
    EligibleForm,
    ImportForm,
    IneligibleForm,
    LimitsForm,
    NeedsInfoForm,
    NewQuotaForm,
    PublishForm,
    QuotaForm,
    SeedForm,
    StartRoundForm,
)
from app.models import (
    Application,
    ApplicationStatus,
    Cycle,
    CycleStatus,
    PlacementState,
    Program,
    RoundKind,
    RoundStatus,
    University,
    User,
)
from app.services import (
    audit,
    audit_view,
    cycles,
    dashboard,
    exports,
    proposals,
    quotas,
    rounds,
    scoring,
    verification,
)
from app.services.errors import NotFound, ServiceError

View = str | BaseResponse | tuple[str, int]


def _me() -> User:
    return current_user._get_current_object()  # type: ignore[no-any-return]


def _or_404(getter: Any, *args: Any) -> Any:
    try:
        return getter(*args)
    except NotFound:
        abort(404)


def _fmt(fmt: str) -> str:
    if fmt not in exports.FORMATS:
        abort(404)
    return fmt


# --- Dashboard ------------------------------------------------------------------------------


@bp.get("/")
def home() -> str:
    """Show the dashboard: charts with a table beside each."""
    cycle_id = request.args.get("cycle", type=int)
    all_cycles = cycles.list_cycles()
    series = dashboard.overview(cycle_id)
    charts = {s.key: s.as_chart() for s in series}
    return render_template(
        "ministry/home.html",
        series=series,
        charts_json=json.dumps(charts, ensure_ascii=False),
        cycles=all_cycles,
        cycle_id=cycle_id,
        backlog=verification.backlog(),
    )


# --- Cycles ---------------------------------------------------------------------------------


@bp.get("/cycles")
def cycle_list() -> str:
    """List the cycles."""
    return render_template("ministry/cycles.html", cycles=cycles.list_cycles())


def _cycle_data(form: CycleForm) -> cycles.CycleData:
    return cycles.CycleData(
        name=(form.name.data or "").strip(),
        application_opens_at=form.application_opens_at.data.replace(tzinfo=UTC),
        application_closes_at=form.application_closes_at.data.replace(tzinfo=UTC),
        max_choices=form.max_choices.data or 4,
        appeal_window_days=form.appeal_window_days.data or 0,
        acceptance_window_days=form.acceptance_window_days.data or 1,
        score_formula=cycles.parse_formula(form.score_formula.data or ""),
        tiebreak_chain=cycles.parse_chain(form.tiebreak_chain.data or ""),
        eligibility_rules={
            "protection_statuses": list(form.protection_statuses.data or []),
            "require_secondary_school": bool(form.require_secondary_school.data),
        },
    )


@bp.route("/cycles/new", methods=["GET", "POST"])
def new_cycle() -> View:
    """Set up a new cycle (draft)."""
    form = CycleForm()
    if request.method == "GET":
        form.protection_statuses.data = ["refugee", "asylum_seeker"]
        form.require_secondary_school.data = True
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("ministry/cycle_form.html", form=form, cycle=None), status
    try:
        cycle = cycles.create_cycle(_cycle_data(form), by=_me())
    except ServiceError as err:
        flash(str(err), "error")
        return render_template("ministry/cycle_form.html", form=form, cycle=None), 400
    db.session.commit()
    flash(_("The cycle is created as a draft."), "success")
    return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))


@bp.get("/cycles/<int:cycle_id>")
def show_cycle(cycle_id: int) -> str:
    """Show a cycle: rules, seed, quotas summary and rounds."""
    return _render_cycle(_or_404(cycles.get_cycle, cycle_id), SeedForm())


def _render_cycle(cycle: Cycle, seed_form: SeedForm) -> str:
    return render_template(
        "ministry/cycle.html",
        cycle=cycle,
        seed_form=seed_form,
        status_form=CycleStatusForm(),
        quotas=quotas.cycle_quotas(cycle),
        rounds=sorted(cycle.rounds, key=lambda r: -r.number),
        formula=scoring.describe_formula(cycle.score_formula or {}),
        next_states=[
            (choice.value, choice.label)
            for choice in CycleStatusForm().status.choices
            if CycleStatus(choice.value) in cycles.STATUS_MOVES[cycle.status]
        ],
    )


@bp.route("/cycles/<int:cycle_id>/edit", methods=["GET", "POST"])
def edit_cycle(cycle_id: int) -> View:
    """Change a cycle's window and (until the first round has run) its rules."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = CycleForm(obj=cycle) if request.method == "GET" else CycleForm()
    if request.method == "GET":
        form.application_opens_at.data = cycle.application_opens_at
        form.application_closes_at.data = cycle.application_closes_at
        form.score_formula.data = cycles.format_formula(cycle.score_formula or {})
        form.tiebreak_chain.data = ", ".join(cycle.tiebreak_chain or [])
        rules = cycle.eligibility_rules or {}
        form.protection_statuses.data = list(rules.get("protection_statuses", []))
        form.require_secondary_school.data = bool(rules.get("require_secondary_school"))
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("ministry/cycle_form.html", form=form, cycle=cycle), status
    try:
        cycles.update_cycle(cycle, _cycle_data(form), by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return render_template("ministry/cycle_form.html", form=form, cycle=cycle), (
            err.status_code
        )
    db.session.commit()
    flash(_("The cycle is saved."), "success")
    return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/seed")
def commit_seed(cycle_id: int) -> View:
    """Commit and publish the lottery seed (once)."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = SeedForm()
    if not form.validate_on_submit():
        if form.seed.errors:
            form.seed.errors = [_("Enter the seed as a whole number, or leave it empty.")]
        return _render_cycle(cycle, form), 400
    try:
        cycles.commit_seed(cycle, form.seed.data, by=_me())
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))
    db.session.commit()
    flash(_("The lottery seed is committed and published."), "success")
    return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/status")
def cycle_status(cycle_id: int) -> BaseResponse:
    """Move the cycle to its next stage."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = CycleStatusForm()
    if form.validate_on_submit():
        try:
            cycles.set_status(cycle, CycleStatus(form.status.data), by=_me())
        except ServiceError as err:
            flash(str(err), "error")
            return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))
        db.session.commit()
        flash(_("The cycle's stage is changed."), "success")
    return redirect(url_for("ministry.show_cycle", cycle_id=cycle.id))


# --- Quotas and limits ----------------------------------------------------------------------


def _program_choices(cycle: Cycle) -> list[SelectChoice]:
    taken = {q.program_id for q in quotas.cycle_quotas(cycle)}
    programs = db.session.scalars(
        select(Program).join(Program.university).order_by(University.code, Program.code)
    )
    return [
        SelectChoice(str(p.id), f"{p.code} · {p.name_en}") for p in programs if p.id not in taken
    ]


@bp.get("/cycles/<int:cycle_id>/quotas")
def quota_list(cycle_id: int) -> str:
    """List the cycle's quotas with an edit form per program, limits and the import."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    new_form = NewQuotaForm()
    new_form.program_id.choices = _program_choices(cycle)
    return _render_quotas(cycle, new_form=new_form)


def _render_quotas(cycle: Cycle, **forms: Any) -> str:
    items = quotas.cycle_quotas(cycle)
    new_form = forms.get("new_form") or NewQuotaForm(formdata=None)
    if not new_form.program_id.choices:
        new_form.program_id.choices = _program_choices(cycle)
    limits_form = forms.get("limits_form") or _limits_form(cycle)
    return render_template(
        "ministry/quotas.html",
        cycle=cycle,
        quotas=items,
        forms=_row_forms(items, forms.get("bad_quota")),
        new_form=new_form,
        limits_form=limits_form,
        import_form=forms.get("import_form") or ImportForm(formdata=None),
        total_places=sum(q.places for q in items),
        proposals=proposals.pending_proposals(cycle),
        approve_form=forms.get("approve_form") or ApproveProposalForm(formdata=None),
    )


def _row_forms(items: list[Any], bad: tuple[int, QuotaForm] | None) -> dict[int, QuotaForm]:
    """One form per quota row, the refused one with what was typed; ids name the row."""
    rows = {q.id: QuotaForm(formdata=None, obj=_quota_obj(q)) for q in items}
    if bad is not None:
        rows[bad[0]] = bad[1]
    for quota_id, form in rows.items():
        for name, field in form._fields.items():
            field.id = f"quota-{quota_id}-{name}"
    return rows


def _quota_obj(quota: Any) -> Any:
    class Obj:
        places = quota.places
        min_score = quota.min_score
        cost = quota.cost
        reserved_women = (quota.reserved or {}).get("gender=F", 0)

    return Obj()


def _limits_form(cycle: Cycle) -> LimitsForm:
    form = LimitsForm(formdata=None)
    form.total_quota.data = cycle.total_quota
    form.budget.data = cycle.budget
    form.university_caps.data = quotas.format_caps(cycle.university_caps)
    form.field_caps.data = quotas.format_caps(cycle.field_caps)
    women = next((m for m in cycle.minimums or [] if m.get("group") == "gender=F"), None)
    if women:
        form.women_share.data = Decimal(str(women["at_least_share"]))
        form.women_rule.data = women.get("rule", "bonus")
    return form


def _values(form: QuotaForm) -> quotas.QuotaValues:
    return quotas.QuotaValues(
        places=form.places.data or 0,
        min_score=form.min_score.data,
        cost=form.cost.data if form.cost.data is not None else Decimal(1),
        reserved_women=form.reserved_women.data or 0,
    )


@bp.post("/cycles/<int:cycle_id>/quotas")
def add_quota(cycle_id: int) -> View:
    """Give a program places in this cycle."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = NewQuotaForm()
    form.program_id.choices = _program_choices(cycle)
    if not form.validate_on_submit():
        return _render_quotas(cycle, new_form=form), 400
    program = db.session.get(Program, form.program_id.data or 0)
    if program is None:
        abort(404)
    try:
        quotas.set_quota(cycle, program, _values(form), by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_quotas(cycle, new_form=form), err.status_code
    db.session.commit()
    flash(_("The quota is saved."), "success")
    return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/quotas/<int:quota_id>/approve")
def approve_proposal(cycle_id: int, quota_id: int) -> View:
    """Approve a university's proposed places for a program, as proposed or edited."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    quota = _or_404(quotas.get_quota, cycle, quota_id)
    form = ApproveProposalForm()
    if quota.proposed_places is None:
        abort(404)
    if not form.validate_on_submit():
        form.places.id = f"approve-{quota.id}"  # the row's own field, not the new-quota one
        return _render_quotas(cycle, approve_form=form), 400
    try:
        proposals.approve_proposal(quota, form.places.data or 0, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))
    db.session.commit()
    flash(
        ngettext(
            "The proposal is approved: the program has %(num)d place.",
            "The proposal is approved: the program has %(num)d places.",
            quota.places,
        ),
        "success",
    )
    return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/quotas/<int:quota_id>")
def edit_quota(cycle_id: int, quota_id: int) -> View:
    """Change one program's places, minimum score, cost and reserved places."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    quota = _or_404(quotas.get_quota, cycle, quota_id)
    form = QuotaForm()
    if not form.validate_on_submit():
        flash(_("Check the values of %(code)s.", code=quota.program.code), "error")
        return _render_quotas(cycle, bad_quota=(quota.id, form)), 400
    try:
        quotas.set_quota(cycle, quota.program, _values(form), by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_quotas(cycle, bad_quota=(quota.id, form)), err.status_code
    db.session.commit()
    flash(_("The quota of %(code)s is saved.", code=quota.program.code), "success")
    return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))


@bp.post("/cycles/<int:cycle_id>/limits")
def set_limits(cycle_id: int) -> View:
    """Set the total quota, budget, caps and the minimum share of women."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = LimitsForm()
    if not form.validate_on_submit():
        return _render_quotas(cycle, limits_form=form), 400
    minimums = []
    if form.women_share.data:
        minimums.append(
            {
                "group": "gender=F",
                "at_least_share": float(form.women_share.data),
                "rule": form.women_rule.data,
            }
        )
    try:
        values = quotas.LimitValues(
            total_quota=form.total_quota.data,
            budget=form.budget.data,
            university_caps=quotas.parse_caps(
                form.university_caps.data or "", quotas.university_codes()
            ),
            field_caps=quotas.parse_caps(form.field_caps.data or "", quotas.field_codes()),
            minimums=minimums,
        )
        quotas.set_limits(cycle, values, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_quotas(cycle, limits_form=form), err.status_code
    db.session.commit()
    flash(_("The limits are saved."), "success")
    return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))


@bp.get("/cycles/<int:cycle_id>/quotas/template.<fmt>")
def quota_template(cycle_id: int, fmt: str) -> Response:
    """Download the quota template, filled with the current values, as XLSX or CSV."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    rows = quotas.template_rows(cycle)
    return exports.download(rows, quotas.TEMPLATE_COLUMNS, f"quotas-{cycle.id}", _fmt(fmt))


@bp.post("/cycles/<int:cycle_id>/quotas/import")
def import_quotas(cycle_id: int) -> View:
    """Apply a filled-in template; nothing is saved when any row is wrong."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_quotas(cycle, import_form=form), 400
    upload = form.file.data
    try:
        changed = quotas.import_quotas(cycle, upload.filename or "", upload.read(), by=_me())
    except quotas.QuotaImportError as err:
        db.session.rollback()
        flash(str(err), "error")
        form.file.errors = [
            _("Row %(row)s: %(message)s", row=e.row, message=e.message) for e in err.errors
        ]
        return _render_quotas(cycle, import_form=form), 400
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _render_quotas(cycle, import_form=form), err.status_code
    db.session.commit()
    flash(
        ngettext(
            "The file is imported: %(num)d quota changed.",
            "The file is imported: %(num)d quotas changed.",
            changed,
        ),
        "success",
    )
    return redirect(url_for("ministry.quota_list", cycle_id=cycle.id))


# --- Verification ---------------------------------------------------------------------------


@bp.get("/verification")
def verification_queue() -> str:
    """List applications waiting for a decision, oldest first."""
    status_arg = request.args.get("status", "")
    status = (
        ApplicationStatus(status_arg)
        if status_arg in {s.value for s in verification.QUEUE_STATES}
        else None
    )
    cycle_id = request.args.get("cycle", type=int)
    return render_template(
        "ministry/queue.html",
        applications=verification.queue(cycle_id, status),
        status=status_arg,
        states=verification.QUEUE_STATES,
        backlog=verification.backlog(),
        cycles=cycles.list_cycles(),
        cycle_id=cycle_id,
    )


def _decision_form(document_id: int, formdata: bool = True) -> DocumentDecisionForm:
    # One form per document on the page: the prefix keeps their ids and names apart.
    form = (
        DocumentDecisionForm(prefix=f"doc{document_id}")
        if formdata
        else DocumentDecisionForm(prefix=f"doc{document_id}", formdata=None)
    )
    form.reason_code.choices = [SelectChoice("", "—")] + [
        SelectChoice(code, text) for code, text in verification.REJECT_REASONS.items()
    ]
    return form


def _needs_info_form() -> NeedsInfoForm:
    form = NeedsInfoForm()
    form.sections.choices = [
        SelectChoice(code, text) for code, text in verification.INFO_SECTIONS.items()
    ]
    return form


def _render_application(application: Application, status: int = 200, **forms: Any) -> View:
    docs = verification.current_documents(application)
    page = render_template(
        "ministry/application.html",
        application=application,
        documents=docs,
        decision_forms={
            d.id: (forms.get("decision_form") if forms.get("doc_id") == d.id else None)
            or _decision_form(d.id, formdata=False)
            for d in docs
        },
        eligible_form=forms.get("eligible_form") or EligibleForm(formdata=None),
        ineligible_form=forms.get("ineligible_form") or IneligibleForm(formdata=None),
        info_form=forms.get("info_form") or _needs_info_form(),
        reasons=verification.REJECT_REASONS,
        sections=verification.INFO_SECTIONS,
        can_decide=application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.IN_REVIEW),
    )
    return (page, status) if status != 200 else page


@bp.get("/applications/<int:application_id>")
def show_application(application_id: int) -> View:
    """Show an application with its documents side by side and the decision forms."""
    application = _or_404(verification.get_application, application_id)
    return _render_application(application)


@bp.post("/applications/<int:application_id>/review")
def start_review(application_id: int) -> BaseResponse:
    """Take a submitted application into review."""
    application = _or_404(verification.get_application, application_id)
    try:
        verification.start_review(application, by=_me())
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("ministry.show_application", application_id=application.id))
    db.session.commit()
    return redirect(url_for("ministry.show_application", application_id=application.id))


@bp.get("/documents/<int:document_id>/file")
def document_file(document_id: int) -> Response:
    """Send a document's file to the officer (inline, never cached)."""
    document = _or_404(verification.get_document, document_id)
    from app.services import documents

    content, mimetype = _or_404(documents.read_document, document)
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.post("/documents/<int:document_id>/decision")
def decide_document(document_id: int) -> View:
    """Verify, reject (with a coded reason) or provisionally accept a document."""
    document = _or_404(verification.get_document, document_id)
    application = document.application
    form = _decision_form(document.id)
    if not form.validate_on_submit():
        return _render_application(application, 400, decision_form=form, doc_id=document.id)
    note = form.note.data or ""
    try:
        if form.decision.data == "verify":
            verification.verify_document(document, by=_me(), note=note)
        elif form.decision.data == "reject":
            verification.reject_document(document, form.reason_code.data or "", by=_me(), note=note)
        else:
            verification.accept_provisionally(document, by=_me(), note=note)
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        application = _or_404(verification.get_application, application.id)
        return _render_application(
            application, err.status_code, decision_form=form, doc_id=document_id
        )
    db.session.commit()
    flash(_("The document decision is saved."), "success")
    return redirect(url_for("ministry.show_application", application_id=application.id))


def _decide_application(
    application_id: int,
    form: Any,
    form_key: str,
    decide: Any,
    done: str,
) -> View:
    """Validate `form`, apply one verification decision, commit, and go back to the queue.

    Invalid input re-renders the application with 400; a refused decision rolls back and
    re-renders it with the service's status and message.
    """
    application = _or_404(verification.get_application, application_id)
    if not form.validate_on_submit():
        return _render_application(application, 400, **{form_key: form})
    try:
        decide(application)
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        application = _or_404(verification.get_application, application_id)
        return _render_application(application, err.status_code, **{form_key: form})
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("ministry.verification_queue"))


@bp.post("/applications/<int:application_id>/eligible")
def mark_eligible(application_id: int) -> View:
    """Declare the application eligible."""
    form = EligibleForm()
    return _decide_application(
        application_id,
        form,
        "eligible_form",
        lambda a: verification.mark_eligible(a, by=_me(), note=form.note.data or ""),
        _("The application is eligible."),
    )


@bp.post("/applications/<int:application_id>/ineligible")
def mark_ineligible(application_id: int) -> View:
    """Declare the application ineligible with a reason the applicant sees."""
    form = IneligibleForm()
    return _decide_application(
        application_id,
        form,
        "ineligible_form",
        lambda a: verification.mark_ineligible(a, form.reason.data or "", by=_me()),
        _("The application is marked not eligible."),
    )


@bp.post("/applications/<int:application_id>/needs-info")
def request_info(application_id: int) -> View:
    """Return the application to the applicant, naming the sections to complete."""
    form = _needs_info_form()
    return _decide_application(
        application_id,
        form,
        "info_form",
        lambda a: verification.request_info(
            a, list(form.sections.data or []), form.note.data or "", by=_me()
        ),
        _("The application is returned to the applicant."),
    )


# --- Rounds ---------------------------------------------------------------------------------


@bp.route("/cycles/<int:cycle_id>/rounds/new", methods=["GET", "POST"])
def new_round(cycle_id: int) -> View:
    """Start a round (dry or official) as a background job."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    form = StartRoundForm()
    if request.method == "GET" and rounds.published_rounds(cycle):
        form.kind.data = RoundKind.SUPPLEMENTARY.value
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("ministry/round_new.html", form=form, cycle=cycle), status
    params = rounds.RoundParams(
        kind=RoundKind(form.kind.data),
        dry_run=form.mode.data != "official",
        method=form.method.data or "auto",
        ignore_minimums=bool(form.ignore_minimums.data),
        label=form.label.data or "",
    )
    try:
        round_ = rounds.start_round(cycle, params, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return render_template("ministry/round_new.html", form=form, cycle=cycle), (err.status_code)
    db.session.commit()
    jobs.enqueue(jobs.run_round, round_.id)
    return redirect(url_for("ministry.show_round", round_id=round_.id))


@bp.get("/rounds/<int:round_id>")
def show_round(round_id: int) -> str:
    """Show a round: progress while it runs, the review once solved."""
    round_ = _or_404(rounds.get_round, round_id)
    others = [
        r
        for r in round_.cycle.rounds
        if r.id != round_.id and r.status in (RoundStatus.SOLVED, RoundStatus.PUBLISHED)
    ]
    return render_template(
        "ministry/round.html",
        round=round_,
        review=rounds.review(round_),
        publish_form=PublishForm(),
        others=others,
        running=round_.status in rounds.ACTIVE,
    )


@bp.get("/rounds/<int:round_id>/progress")
def round_progress(round_id: int) -> Response:
    """Answer the round's state as JSON, for the progress poller."""
    round_ = _or_404(rounds.get_round, round_id)
    payload = {
        "status": round_.status.value,
        "progress": round_.progress,
        "note": round_.progress_note,
        "done": round_.status not in rounds.ACTIVE,
    }
    response = Response(json.dumps(payload), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/rounds/<int:round_id>/snapshot.json")
def round_snapshot(round_id: int) -> Response:
    """Download the round's anonymised input (umit-allocation/1) exactly as it was solved."""
    round_ = _or_404(rounds.get_round, round_id)
    if not round_.input_snapshot:
        abort(404)
    response = Response(round_.input_snapshot, mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="round-{round_.id}-input.json"'
    response.headers["X-Content-SHA256"] = round_.input_sha256 or ""
    return response


@bp.get("/rounds/<int:round_id>/result.json")
def round_result(round_id: int) -> Response:
    """Download the round's result file (umit-allocation-result/1)."""
    round_ = _or_404(rounds.get_round, round_id)
    if round_.result is None:
        abort(404)
    text = json.dumps(round_.result, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    response = Response(text, mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="round-{round_.id}-result.json"'
    )
    return response


@bp.post("/rounds/<int:round_id>/publish")
def publish_round(round_id: int) -> BaseResponse:
    """Publish a solved official round (exactly once)."""
    round_ = _or_404(rounds.get_round, round_id)
    form = PublishForm()
    if not form.validate_on_submit():
        flash(_("This form expired. Please send it again."), "error")
        return redirect(url_for("ministry.show_round", round_id=round_.id))
    if rounds.applicant_count(round_) > rounds.PUBLISH_INLINE_LIMIT:
        if round_.dry_run or round_.status != RoundStatus.SOLVED:
            flash(_("Only a solved round can be published."), "error")
        else:
            jobs.enqueue(jobs.publish_round, round_.id, _me().id)
            flash(_("The round is being published in the background."), "info")
        return redirect(url_for("ministry.show_round", round_id=round_id))
    try:
        published_now = rounds.publish_round(round_, by=_me())
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return redirect(url_for("ministry.show_round", round_id=round_id))
    db.session.commit()
    if published_now:
        flash(_("The round is published. Applicants and universities are being told."), "success")
    else:
        flash(_("This round was already published."), "info")
    return redirect(url_for("ministry.show_round", round_id=round_id))


@bp.post("/rounds/<int:round_id>/abandon")
def abandon_round(round_id: int) -> BaseResponse:
    """Mark a round whose worker died as failed so a new one can start."""
    round_ = _or_404(rounds.get_round, round_id)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            rounds.abandon_round(round_, by=_me())
        except ServiceError as err:
            flash(str(err), "error")
            return redirect(url_for("ministry.show_round", round_id=round_id))
        db.session.commit()
        flash(_("The round is marked as failed."), "success")
    return redirect(url_for("ministry.show_round", round_id=round_id))


@bp.get("/cycles/<int:cycle_id>/compare")
def compare_rounds(cycle_id: int) -> View:
    """Compare two rounds of a cycle side by side (what-if)."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    solved = [r for r in cycle.rounds if r.result is not None and r.status != RoundStatus.FAILED]
    form = CompareForm(request.args)
    choices = [
        SelectChoice(
            str(r.id),
            _("Round %(n)s", n=r.number) + (" · " + _("dry run") if r.dry_run else ""),
        )
        for r in solved
    ]
    form.a.choices = choices
    form.b.choices = choices
    result = None
    ids = {r.id: r for r in solved}
    a_id, b_id = request.args.get("a", type=int), request.args.get("b", type=int)
    if a_id is not None and b_id is not None:
        if a_id not in ids or b_id not in ids:
            abort(404)
        result = rounds.compare(ids[a_id], ids[b_id])
    return render_template("ministry/compare.html", cycle=cycle, form=form, result=result)


# --- Exports --------------------------------------------------------------------------------


# Code columns stay for machines; a `_label` column beside a code is for people (reader's language).
APPLICANT_COLUMNS: list[exports.Column] = [
    ("code", "code"),
    ("status", "status"),
    ("status_label", "status_label"),
    ("name_latin", "name_latin"),
    ("name_cyrillic", "name_cyrillic"),
    ("gender", "gender"),
    ("gender_label", "gender_label"),
    ("country", "country_of_origin"),
    ("country_label", "country_of_origin_label"),
    ("score", "competitive_score"),
    ("choices", "choices"),
    ("submitted_at", "submitted_at_utc"),
]
ROUND_COLUMNS: list[exports.Column] = [
    ("code", "code"),
    ("program", "program"),
    ("choice_rank", "choice_rank"),
    ("state", "state"),
    ("state_label", "state_label"),
    ("offer_deadline_at", "offer_deadline_utc"),
]
STAT_COLUMNS: list[exports.Column] = [("chart", "chart"), ("label", "label"), ("count", "count")]


@bp.get("/cycles/<int:cycle_id>/export/applicants.<fmt>")
def export_applicants(cycle_id: int, fmt: str) -> Response:
    """Download the cycle's submitted applications (drafts are the applicants' own)."""
    cycle = _or_404(cycles.get_cycle, cycle_id)
    _fmt(fmt)
    # Personal data leaves the portal: record who took it.
    audit.record(_me(), "export.applicants", cycle, after={"format": fmt})
    db.session.commit()
    apps = db.session.scalars(
        select(Application)
        .where(Application.cycle_id == cycle.id, Application.status != ApplicationStatus.DRAFT)
        .order_by(Application.public_code)
    )
    codes = dict(db.session.execute(select(Program.id, Program.code)).all())

    def rows() -> Any:
        for a in apps:
            yield {
                "code": a.public_code,
                "status": a.status.value,
                "status_label": labels.label(a.status),
                "name_latin": a.name_latin,
                "name_cyrillic": a.name_cyrillic,
                "gender": a.gender.value if a.gender else "",
                "gender_label": labels.label(a.gender) if a.gender else "",
                "country": a.country_of_origin,
                "country_label": labels.country_name(a.country_of_origin),
                "score": a.competitive_score,
                "choices": " > ".join(codes.get(c.program_id, "?") for c in a.choices),
                "submitted_at": a.submitted_at,
            }

    return exports.download(rows(), APPLICANT_COLUMNS, f"applicants-{cycle.id}", fmt)


@bp.get("/rounds/<int:round_id>/export.<fmt>")
def export_round(round_id: int, fmt: str) -> Response:
    """Download a round's results by pseudonymous code."""
    round_ = _or_404(rounds.get_round, round_id)
    _fmt(fmt)
    if round_.result is None:
        abort(404)
    rows = (
        {**row, "state_label": _round_state_label(row["state"])}
        for row in rounds.round_rows(round_)
    )
    return exports.download(rows, ROUND_COLUMNS, f"round-{round_.id}", fmt)


def _round_state_label(state: str) -> str:
    # "held": the solver gave a place that is not offered yet (the round is not published).
    if not state:
        return ""
    return labels.label(PlacementState.PROPOSED if state == "held" else PlacementState(state))


@bp.get("/export/statistics.<fmt>")
def export_statistics(fmt: str) -> Response:
    """Download the dashboard figures; counts of 1–4 show as "<5"."""
    _fmt(fmt)
    cycle_id = request.args.get("cycle", type=int)
    return exports.download(dashboard.statistics_rows(cycle_id), STAT_COLUMNS, "statistics", fmt)


# --- Audit log ------------------------------------------------------------------------------


@bp.get("/audit")
def audit_log() -> str:
    """Show the audit log, filtered by person, object and action."""
    form = AuditFilterForm(request.args)
    form.validate()
    flt = audit_view.AuditFilter(
        person=form.person.data or "",
        object_type=form.object_type.data or "",
        object_id=form.object_id.data or "",
        action=form.action.data or "",
    )
    page = request.args.get("page", 1, type=int)
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "ministry/audit.html",
        form=form,
        pager=audit_view.search(flt, page),
        args=args,
        object_types=audit_view.object_types(),
        actions=sorted(labels.ACTION_TEXT),
    )
