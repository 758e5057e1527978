"""The GET pages of every role, and one realistic world whose ids fill their URLs.

Shared by the browser sweep (axe on every page) and the text sweep (no raw code on any page):
a page added later is visited by both, and a rule whose parameters the world cannot fill fails
them, so it is not skipped silently.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    RoundKind,
    RoundStatus,
    utcnow,
)
from app.services.applications import SECTIONS

S = ApplicationStatus
# Endpoints that answer files, JSON or redirects only: not pages.
SKIP_ENDPOINTS = {
    "static",
    "public.healthz",
    "public.round_input",
    "applicant.document_file",
    "applicant.export_json",
    "applicant.offer_letter",
    "ministry.appeal_evidence",
    "ministry.document_file",
    "ministry.export_applicants",
    "ministry.export_round",
    "ministry.export_statistics",
    "ministry.quota_template",
    "ministry.round_progress",
    "ministry.round_result",
    "ministry.round_snapshot",
    "university.export",
    "university.offer_letter",
}
PREFIX = {
    "anonymous": ("public.", "auth."),
    "applicant": ("applicant.",),
    "offered": ("applicant.",),
    "ministry": ("ministry.",),
    "university": ("university.",),
    "admin": ("admin.",),
}
# Pages only a signed-in user of another kind can open (2FA pages need a pending sign-in).
ANONYMOUS_SKIP = {
    "auth.change_password",
    "auth.two_factor_verify",
    "auth.two_factor_recovery_codes",
    "auth.two_factor_setup",
}


def build_world(app: Flask, make: Any, lang: str = "en") -> dict[str, Any]:
    """A cycle with programs and quotas, applications in several states, a published round with
    placements, an appeal round, an appeal and documents; one user per role."""
    cycle = make.cycle(name="2026/27", max_choices=3)
    almaty = make.university(city="Almaty", name_en="Al-Farabi Kazakh National University")
    astana = make.university(city="Astana", name_en="L.N. Gumilyov Eurasian National University")
    programs = [
        make.program(almaty, name_en="Computer Science", language="en"),
        make.program(astana, name_en="Civil Engineering", field_group="ENG"),
        make.program(astana, name_en="Nursing", field_group="MED"),
    ]
    ids = {"cycle": cycle.id, "program": programs[0].id}
    for program in programs:
        make.quota(cycle, program, places=3)
    ministry = make.user("ministry", preferred_language=lang, full_name="Aigerim Nurlanovna")
    officer = make.user(
        "university", preferred_language=lang, university=almaty, full_name="Dana Serikovna"
    )
    admin = make.user("admin", preferred_language=lang, full_name="Admin Adminov")
    drafter = make.user("applicant", preferred_language=lang, full_name="Freshta Ahmadi")
    emails = {"ministry": ministry.email, "university": officer.email, "admin": admin.email}
    emails["applicant"] = drafter.email
    make.application(drafter, cycle, programs=programs[:2], status=S.DRAFT)
    offered = make.user("applicant", preferred_language=lang, full_name="Mohammad Karimi")
    emails["offered"] = offered.email
    placed = make.application(
        offered, cycle, programs=programs[:2], score=120, status=S.PLACED, name_latin="M. Karimi"
    )
    for i, status in enumerate([S.SUBMITTED, S.IN_REVIEW, S.NEEDS_INFO, S.NOT_PLACED]):
        make.application(None, cycle, programs=programs[1:], score=90 - i, status=status)
    accepted = make.application(None, cycle, programs=[programs[0]], score=110, status=S.ACCEPTED)
    round_ = make.round(cycle, number=1)
    placement = make.placement(round_, placed, programs[0])
    make.placement(round_, accepted, programs[0], state="accepted")
    appeal_round = make.round(
        cycle, number=2, kind=RoundKind.APPEAL, status=RoundStatus.SOLVED, published_at=None
    )
    with app.app_context():
        a = db.session.get(Application, placed.id)
        a.submitted_at = utcnow() - timedelta(days=20)
        db.session.commit()
    document_id = make.rejected_document(placed, ministry).id
    appeal = make.appeal(placed, subject_ref=str(document_id))
    return {
        "users": emails,
        "values": {
            "cycle_id": ids["cycle"],
            "round_id": round_.id,
            "application_id": placed.id,
            "appeal_id": appeal.id,
            "program_id": ids["program"],
            "placement_id": placement.id,
            "token": "not-a-real-token",
        },
        "extra": {"offered": [f"/applicant/appeals/new?subject=document&ref={document_id}"]},
        "endpoint_values": {"ministry.appeal_round": {"round_id": appeal_round.id}},
    }


def page_urls(app: Flask, role: str, world: dict[str, Any]) -> list[str]:
    """The GET pages of `role`, with their parameters filled from the world."""
    urls: list[str] = []
    for rule in app.url_map.iter_rules():
        endpoint = rule.endpoint
        if "GET" not in rule.methods or endpoint in SKIP_ENDPOINTS:
            continue
        if not endpoint.startswith(PREFIX[role]) or rule.rule.startswith("/api/"):
            continue
        if role == "anonymous" and endpoint in ANONYMOUS_SKIP:
            continue
        values = {**world["values"], **world["endpoint_values"].get(endpoint, {})}
        missing = set(rule.arguments) - set(values) - {"step"}
        assert not missing, f"the world has no value for {missing} of {rule.rule}"
        if "step" in rule.arguments:
            steps = [s for s in SECTIONS if s not in ("choices", "documents")]
            urls += [rule.build({"step": s}, append_unknown=False)[1] for s in steps]
            continue
        urls.append(rule.build(values, append_unknown=False)[1])
    return sorted(urls) + world["extra"].get(role, [])
