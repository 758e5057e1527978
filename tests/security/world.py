"""One realistic world for the security tests: two universities, two applicants, a round.

Built inside an app context with real services where it matters (documents through
`documents.store_upload`, API tokens through `api_tokens.create_token`); returns ids only, so
it is safe to use from request tests that must not hold an app context open.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import (
    ApplicationStatus,
    CycleStatus,
    DocumentKind,
    Notification,
    NotificationChannel,
    PlacementState,
    RoundKind,
    RoundStatus,
    User,
)
from app.services import api_tokens, documents, rounds
from tests.factories import Factory

# Planted in one principal's records; must never reach another principal.
MARKER_A = "MARKER-A-4JX"  # applicant A's Latin name
MARKER_B = "MARKER-B-7Q2"  # applicant B's Latin name
MARKER_TOKEN_X = "MARKER-TOKX-1F"  # university X's API token name
MARKER_TOKEN_Y = "MARKER-TOKY-9P"  # university Y's API token name
MARKER_NOTE_A = "MARKER-NOTE-A-2C"  # in-portal message body for A
MARKER_NOTE_B = "MARKER-NOTE-B-8D"
MISSING = 987654  # an id no object has


def tiny_png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(out, format="PNG")
    return out.getvalue()


def tiny_pdf(text: str = "hello") -> bytes:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"% " + text.encode() + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"
    )
    return body


@dataclass
class Party:
    """One applicant's or one university's objects (ids)."""

    user_id: int = 0
    email: str = ""
    application_id: int = 0
    choice_id: int = 0
    document_id: int = 0
    evidence_id: int = 0
    appeal_id: int = 0
    placement_id: int = 0
    note_id: int = 0
    university_id: int = 0
    program_id: int = 0
    token_id: int = 0
    token: str = ""


@dataclass
class World:
    cycle_id: int = 0
    round_id: int = 0
    appeal_round_id: int = 0
    quota_id: int = 0
    other_quota_id: int = 0  # a quota of another cycle (foreign through this cycle's URL)
    review_application_id: int = 0  # submitted, for the ministry's review forms
    a: Party = field(default_factory=Party)  # applicant A
    b: Party = field(default_factory=Party)  # applicant B
    x: Party = field(default_factory=Party)  # university X (its officer)
    y: Party = field(default_factory=Party)  # university Y
    ministry: Party = field(default_factory=Party)
    admin: Party = field(default_factory=Party)
    bystander_id: int = 0  # a user the admin may act on


def _applicant(
    make: Factory, cycle: Any, round_: Any, programs: list[Any], name: str, note: str, tag: str
) -> Party:
    user = make.user("applicant", full_name=name)
    application = make.application(
        user,
        cycle,
        programs=programs,
        name_latin=name,
        status=ApplicationStatus.DRAFT,
        status_document_number=f"RF-{tag}-0001",
    )
    document = documents.store_upload(
        application,
        DocumentKind.STATUS_PROOF,
        FileStorage(io.BytesIO(tiny_png()), filename=f"{tag}.png"),
        by=user,
    )
    application.status = ApplicationStatus.ACCEPTED
    placement = make.placement(round_, application, programs[0], state=PlacementState.ACCEPTED)
    appeal = make.appeal(application, statement=f"Statement by {name}")
    evidence = documents.store_upload(
        application,
        DocumentKind.APPEAL_EVIDENCE,
        FileStorage(io.BytesIO(tiny_pdf(tag)), filename=f"{tag}.pdf"),
        by=user,
    )
    evidence.appeal_id = appeal.id
    portal = Notification(
        recipient_id=user.id,
        template="status_changed",
        channel=NotificationChannel.PORTAL,
        subject=note,
        body=note,
        payload={},
    )
    db.session.add(portal)
    db.session.commit()
    return Party(
        user_id=user.id,
        email=user.email,
        application_id=application.id,
        choice_id=application.choices[0].id,
        document_id=document.id,
        evidence_id=evidence.id,
        appeal_id=appeal.id,
        placement_id=placement.id,
        note_id=portal.id,
    )


def _university(make: Factory, cycle: Any, tag: str, token_name: str) -> tuple[Party, Any]:
    uni = make.university(name_en=f"University {tag}")
    program = make.program(uni, name_en=f"Informatics {tag}")
    make.quota(cycle, program, places=3)
    officer = make.user("university", university=uni)
    token, raw = api_tokens.create_token(uni.id, token_name, by=officer)
    db.session.commit()
    party = Party(
        user_id=officer.id,
        email=officer.email,
        university_id=uni.id,
        program_id=program.id,
        token_id=token.id,
        token=raw,
    )
    return party, program


def _solve(round_: Any) -> None:
    """Give a round a real snapshot, result and certificate (as the round job would)."""
    import solver

    data = rounds.build_problem(round_.cycle, round_.kind, {})
    text, digest = rounds.snapshot_text(data)
    problem = solver.parse_problem(data)
    result = solver.solve(problem)
    round_.input_snapshot = text
    round_.input_sha256 = digest
    round_.result = result.to_dict(timing=True)
    round_.certificate = solver.check(problem, result)
    db.session.commit()


def build(app: Flask) -> World:
    """Create the world in the database and return its ids."""
    make = Factory(app)
    with app.app_context():
        world = World()
        cycle = make.cycle()
        round_ = make.round(cycle, number=1)
        world.x, prog_x = _university(make, cycle, "X", MARKER_TOKEN_X)
        world.y, prog_y = _university(make, cycle, "Y", MARKER_TOKEN_Y)
        world.a = _applicant(make, cycle, round_, [prog_x, prog_y], MARKER_A, MARKER_NOTE_A, "A")
        world.b = _applicant(make, cycle, round_, [prog_y, prog_x], MARKER_B, MARKER_NOTE_B, "B")
        # The placements of A (at X) and B (at Y) belong to those universities.
        world.x.placement_id = world.a.placement_id
        world.y.placement_id = world.b.placement_id
        ministry = make.user("ministry")
        admin = make.user("admin")
        bystander = make.user("ministry")  # a staff account the admin may act on
        _solve(round_)
        appeal_round = make.round(
            cycle, number=2, kind=RoundKind.APPEAL, status=RoundStatus.SOLVED, dry_run=False
        )
        _solve(appeal_round)
        world.appeal_round_id = appeal_round.id
        world.ministry = Party(user_id=ministry.id, email=ministry.email)
        world.admin = Party(user_id=admin.id, email=admin.email)
        world.bystander_id = bystander.id
        world.cycle_id = cycle.id
        world.round_id = round_.id
        from app.models import ProgramQuota

        first_quota = db.session.query(ProgramQuota).order_by(ProgramQuota.id).first()
        first_quota.proposed_places = 3  # university X proposed: the ministry may approve
        world.quota_id = first_quota.id
        other = make.cycle(name="Other cycle", status=CycleStatus.DRAFT)  # not the current one
        world.other_quota_id = make.quota(other, prog_x, places=1, proposed_places=2).id
        reviewed = make.application(
            make.user("applicant"), cycle, programs=[prog_x], status=ApplicationStatus.SUBMITTED
        )
        world.review_application_id = reviewed.id
        db.session.remove()
    return world


def user_email(app: Flask, user_id: int) -> str:
    with app.app_context():
        return db.session.get(User, user_id).email
