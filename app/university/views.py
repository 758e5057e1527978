"""Admissions office: own programs and students, enrolment decisions, exports, letters, tokens.

Every object is looked up through a query scoped to the officer's university and to published
rounds, so another university's program or student answers 404, like a missing one.
"""

from __future__ import annotations

import io
from typing import Any

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.wrappers import Response

from app import labels
from app.extensions import db
from app.models import Placement, PlacementState, Program, ProgramQuota
from app.services import api_tokens, enrolment, exports, offer_letters, proposals
from app.services.errors import NotFound, ServiceError
from app.university import bp
from app.university.forms import ActionForm, DeclineForm, ProposalForm, TokenForm

STATE_ORDER = [s.value for s in enrolment.VISIBLE_STATES]
MAX_ID = 2**31 - 1


def _uid() -> int:
    return int(current_user.university_id)


def _placement_or_404(placement_id: int) -> Placement:
    try:
        return enrolment.get_placement(placement_id, _uid())
    except NotFound:
        abort(404)


def _program_or_404(program_id: int) -> Program:
    try:
        return enrolment.get_program(program_id, _uid())
    except NotFound:
        abort(404)


def _id_arg(name: str) -> int | None:
    """Read an id filter from the query string; a malformed or impossible id is 404."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        abort(404)
    return int(raw)


@bp.get("/")
def home() -> str:
    """Show the officer's programs with their quota places and offer states."""
    university = current_user.university
    programs = db.session.scalars(
        select(Program).where(Program.university_id == university.id).order_by(Program.code)
    ).all()
    quotas: dict[int, list[ProgramQuota]] = {}
    for quota in db.session.scalars(
        select(ProgramQuota)
        .where(ProgramQuota.program_id.in_([p.id for p in programs]))
        .order_by(ProgramQuota.cycle_id.desc())
    ):
        quotas.setdefault(quota.program_id, []).append(quota)
    return render_template(
        "university/home.html",
        university=university,
        programs=programs,
        quotas=quotas,
        counts=enrolment.state_counts(university.id),
        rounds=enrolment.published_rounds(university.id),
        states=STATE_ORDER,
        state_label=_state_label,
    )


@bp.get("/programs/<int(max=2147483647):program_id>")
def show_program(program_id: int) -> str:
    """List the program's students in each published round with their offer state."""
    program = _program_or_404(program_id)
    placements = db.session.scalars(
        enrolment.published_placements(_uid(), program_id=program.id)
    ).unique()
    by_round: dict[int, dict[str, Any]] = {}
    for placement in placements:
        entry = by_round.setdefault(placement.round_id, {"round": placement.round, "rows": []})
        entry["rows"].append(placement)
    quotas = sorted(program.quotas, key=lambda q: q.cycle_id, reverse=True)
    return render_template(
        "university/program.html",
        program=program,
        rounds=sorted(by_round.values(), key=lambda e: (e["round"].cycle_id, e["round"].number)),
        quotas=quotas,
        state_label=_state_label,
    )


@bp.get("/students/<int(max=2147483647):placement_id>")
def show_student(placement_id: int) -> str:
    """Show one placed student and the enrolment decisions open for them."""
    placement = _placement_or_404(placement_id)
    return _student_page(placement, DeclineForm())


def _student_page(placement: Placement, decline_form: DeclineForm) -> str:
    return render_template(
        "university/student.html",
        placement=placement,
        application=placement.application,
        action_form=ActionForm(),
        decline_form=decline_form,
        deadline=enrolment.enrolment_deadline(placement.round.cycle),
        state_label=_state_label,
        reason_label=enrolment.decline_reason_label,
        can_decide=placement.state == PlacementState.ACCEPTED,
        has_letter=placement.state in offer_letters.LETTER_STATES,
    )


def _decide(placement_id: int, action: str) -> Response | tuple[str, int]:
    placement = _placement_or_404(placement_id)
    form: ActionForm | DeclineForm = DeclineForm() if action == "decline" else ActionForm()
    if not form.validate_on_submit():
        decline = form if isinstance(form, DeclineForm) else DeclineForm()
        return _student_page(placement, decline), 400
    try:
        if action == "enrol":
            enrolment.confirm_enrolment(placement, by=current_user)
            message = _("Enrolment confirmed.")
        elif action == "decline":
            assert isinstance(form, DeclineForm)
            enrolment.decline_enrolment(placement, form.reason.data, by=current_user)
            message = _("The student was declined; the place returns to the pool.")
        else:
            enrolment.mark_no_show(placement, by=current_user)
            message = _("The no-show was recorded; the place returns to the pool.")
        db.session.commit()
    except ServiceError as err:
        db.session.rollback()
        flash(str(err), "error")
        return _student_page(_placement_or_404(placement_id), DeclineForm()), err.status_code
    except StaleDataError:
        db.session.rollback()
        flash(_("Someone changed this student's record meanwhile. Please check it again."), "error")
        return _student_page(_placement_or_404(placement_id), DeclineForm()), 409
    flash(message, "success")
    return redirect(url_for("university.show_student", placement_id=placement_id))


@bp.post("/students/<int(max=2147483647):placement_id>/enrol")
def enrol(placement_id: int) -> Response | tuple[str, int]:
    """Confirm the enrolment of an accepted student."""
    return _decide(placement_id, "enrol")


@bp.post("/students/<int(max=2147483647):placement_id>/decline")
def decline(placement_id: int) -> Response | tuple[str, int]:
    """Decline an accepted student with a coded reason."""
    return _decide(placement_id, "decline")


@bp.post("/students/<int(max=2147483647):placement_id>/no-show")
def no_show(placement_id: int) -> Response | tuple[str, int]:
    """Report that an accepted student did not enrol (after the enrolment deadline)."""
    return _decide(placement_id, "no_show")


@bp.get("/students/<int(max=2147483647):placement_id>/letter.pdf")
def offer_letter(placement_id: int) -> Response:
    """Download the bilingual offer letter of an accepted or enrolled student."""
    placement = _placement_or_404(placement_id)
    if placement.state not in offer_letters.LETTER_STATES:
        abort(404)
    pdf = offer_letters.render_offer_letter(placement)
    return send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        as_attachment=True,
        download_name=offer_letters.filename(placement),
    )


EXPORT_COLUMNS = [
    ("program_code", "program_code"),
    ("program", "program"),
    ("cycle", "cycle"),
    ("round", "round"),
    ("round_kind", "round_kind"),
    ("round_kind_label", "round_kind_label"),
    ("name_latin", "name_latin"),
    ("name_cyrillic", "name_cyrillic"),
    ("name_native", "name_native"),
    ("email", "email"),
    ("phone", "phone"),
    ("score", "score"),
    ("choice_rank", "choice_rank"),
    ("state", "state"),
    ("state_label", "state_label"),
    ("offer_deadline_utc", "offer_deadline_utc"),
    ("decided_at_utc", "decided_at_utc"),
    ("decline_reason", "decline_reason"),
    ("decline_reason_label", "decline_reason_label"),
    ("from_appeal", "from_appeal"),
    ("extra_place", "extra_place"),
    ("placement_id", "placement_id"),
]


def export_rows(placements: list[Placement]) -> list[dict[str, Any]]:
    """Turn placements into the rows of the export (only what the office needs)."""
    rows = []
    for p in placements:
        app_ = p.application
        rows.append(
            {
                "program_code": p.program.code,
                "program": p.program.name("ru"),
                "cycle": p.round.cycle.name,
                "round": p.round.number,
                "round_kind": p.round.kind.value,
                "round_kind_label": labels.label(p.round.kind),
                "name_latin": app_.name_latin,
                "name_cyrillic": app_.name_cyrillic,
                "name_native": app_.name_native,
                "email": app_.contact_email or app_.applicant.email,
                "phone": app_.phone,
                "score": app_.competitive_score,
                "choice_rank": p.choice_rank,
                "state": p.state.value,
                "state_label": labels.label(p.state),
                "offer_deadline_utc": p.offer_deadline_at,
                "decided_at_utc": p.decided_at,
                "decline_reason": p.decline_reason,
                "decline_reason_label": (
                    enrolment.decline_reason_label(p.decline_reason) if p.decline_reason else ""
                ),
                "from_appeal": p.from_appeal,
                "extra_place": p.extra_place,
                "placement_id": p.id,
            }
        )
    return rows


@bp.get("/export.<fmt>")
def export(fmt: str) -> Response:
    """Download the university's published placements as XLSX or CSV (optionally filtered)."""
    if fmt not in exports.FORMATS:
        abort(404)
    program_id = _id_arg("program_id")
    round_id = _id_arg("round_id")
    if program_id is not None:
        _program_or_404(program_id)
    placements = list(
        db.session.scalars(
            enrolment.published_placements(_uid(), program_id=program_id, round_id=round_id)
        ).unique()
    )
    delimiter = ";" if request.args.get("sep") == "semicolon" else ","
    code = current_user.university.code.lower()
    return exports.download(
        export_rows(placements), EXPORT_COLUMNS, f"{code}-students", fmt, delimiter=delimiter
    )


@bp.get("/tokens")
def tokens() -> str:
    """List the university's API tokens."""
    return _tokens_page(TokenForm())


def _tokens_page(form: TokenForm, raw: str | None = None) -> str:
    return render_template(
        "university/tokens.html",
        form=form,
        tokens=api_tokens.tokens_of(_uid()),
        raw_token=raw,
        revoke_form=ActionForm(),
    )


@bp.post("/tokens")
def create_token() -> Response | tuple[str, int]:
    """Create an API token and show its secret once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _tokens_page(form), 400
    try:
        _token, raw = api_tokens.create_token(_uid(), form.name.data, by=current_user)
    except ServiceError as err:
        flash(str(err), "error")
        return _tokens_page(form), err.status_code
    db.session.commit()
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    # Answered directly, never redirected: the secret must not travel through the session.
    return _tokens_page(TokenForm(formdata=None), raw), 201


@bp.post("/tokens/<int(max=2147483647):token_id>/revoke")
def revoke_token(token_id: int) -> Response | tuple[str, int]:
    """Revoke one of the university's API tokens."""
    form = ActionForm()
    if not form.validate_on_submit():
        return _tokens_page(TokenForm(formdata=None)), 400
    try:
        api_tokens.revoke_token(token_id, by=current_user)
    except NotFound:
        abort(404)
    except ServiceError as err:
        flash(str(err), "error")
        return redirect(url_for("university.tokens"))
    db.session.commit()
    flash(_("Token revoked."), "success")
    return redirect(url_for("university.tokens"))


@bp.get("/proposals")
def show_proposals() -> str:
    """Show the places proposed for the cycle being prepared."""
    return _proposals_page({})


def _proposals_page(forms: dict[int, ProposalForm]) -> str:
    cycle = proposals.proposal_cycle()
    rows = []
    if cycle is not None:
        for program, quota in proposals.proposals_for(_uid(), cycle):
            form = forms.get(program.id) or ProposalForm(
                formdata=None,
                prefix=f"p{program.id}",
                data={
                    "places": ""
                    if quota is None or quota.proposed_places is None
                    else str(quota.proposed_places)
                },
            )
            rows.append((program, quota, form))
    return render_template("university/proposals.html", cycle=cycle, rows=rows)


@bp.post("/proposals/<int(max=2147483647):program_id>")
def propose(program_id: int) -> Response | tuple[str, int]:
    """Propose the places of one program for the cycle being prepared."""
    program = _program_or_404(program_id)
    form = ProposalForm(prefix=f"p{program.id}")
    if not form.validate_on_submit():
        return _proposals_page({program.id: form}), 400
    cycle = proposals.proposal_cycle()
    if cycle is None:
        flash(_("No cycle is being prepared now."), "error")
        return redirect(url_for("university.show_proposals"))
    try:
        proposals.propose_places(program, cycle, form.places_value(), by=current_user)
    except ServiceError as err:
        flash(str(err), "error")
        return _proposals_page({program.id: form}), err.status_code
    db.session.commit()
    flash(_("Proposal saved. The ministry will approve or adjust it."), "success")
    return redirect(url_for("university.show_proposals"))


def _state_label(state: PlacementState | str) -> str:
    return labels.label(PlacementState(state))
