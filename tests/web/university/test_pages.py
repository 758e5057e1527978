"""The admissions office in the browser's terms: decisions, exports, letters, tokens, proposals."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from app.extensions import db
from app.models import (
    ApiToken,
    ApplicationStatus,
    AuditEvent,
    Cycle,
    CycleStatus,
    Placement,
    PlacementState,
    ProgramQuota,
    utcnow,
)
from tests.conftest import csrf_token


def _post(client, path, page, **data):
    return client.post(path, data={"csrf_token": csrf_token(client, page), **data})


def test_student_page_shows_only_what_the_office_needs(client, world, officer_of):
    officer_of(world.a.university_id)
    page = client.get(f"/university/students/{world.a.accepted_id}").get_data(as_text=True)
    assert "Maryam Rahimi A" in page and "مریم رحیمی" in page and "Марьям Рахими" in page
    assert "maryam.a@test.example" in page and "+7 700 000 00 01" in page
    assert "120" in page  # the score
    assert "RF-123456" not in page  # the status document number never reaches the office
    assert "Confirm enrolment" in page


def test_confirm_enrolment(app, client, world, officer_of):
    officer_of(world.a.university_id)
    student = f"/university/students/{world.a.accepted_id}"
    response = _post(client, f"{student}/enrol", student)
    assert response.status_code == 302
    with app.app_context():
        placement = db.session.get(Placement, world.a.accepted_id)
        assert placement.state == PlacementState.ENROLLED
        assert placement.application.status == ApplicationStatus.ENROLLED
        assert AuditEvent.query.filter_by(action="placement.enrol").count() == 1
    again = _post(client, f"{student}/enrol", student)
    assert again.status_code == 409  # already enrolled


def test_offered_student_cannot_be_enrolled(client, world, officer_of):
    officer_of(world.a.university_id)
    student = f"/university/students/{world.a.offered_id}"
    assert "Confirm enrolment" not in client.get(student).get_data(as_text=True)
    assert _post(client, f"{student}/enrol", student).status_code == 409


def test_decline_needs_a_listed_reason(app, client, world, officer_of):
    officer_of(world.a.university_id)
    student = f"/university/students/{world.a.accepted_id}"
    bad = _post(client, f"{student}/decline", student, reason="<script>")
    assert bad.status_code == 400
    assert _post(client, f"{student}/decline", student).status_code == 400
    good = _post(client, f"{student}/decline", student, reason="withdrew")
    assert good.status_code == 302
    with app.app_context():
        placement = db.session.get(Placement, world.a.accepted_id)
        assert placement.state == PlacementState.DECLINED
        assert placement.decline_reason == "university:withdrew"


def test_no_show_before_the_deadline_is_refused(app, client, make, officer_of):
    from tests.web.university.world import build

    world = build(make, started_days_ago=1)  # the enrolment deadline is still ahead
    officer_of(world.a.university_id)
    student = f"/university/students/{world.a.accepted_id}"
    response = _post(client, f"{student}/no-show", student)
    assert response.status_code == 409
    assert "deadline" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Placement, world.a.accepted_id).state == PlacementState.ACCEPTED


def test_no_show_after_the_deadline(app, client, world, officer_of):
    officer_of(world.a.university_id)
    student = f"/university/students/{world.a.accepted_id}"
    assert _post(client, f"{student}/no-show", student).status_code == 302
    with app.app_context():
        assert db.session.get(Placement, world.a.accepted_id).state == PlacementState.NO_SHOW


def test_csrf_is_required(client, world, officer_of):
    officer_of(world.a.university_id)
    response = client.post(f"/university/students/{world.a.accepted_id}/enrol")
    assert response.status_code == 400


def test_xlsx_export_defuses_formulas(app, client, world, officer_of):
    from app.models import Application

    with app.app_context():
        application = db.session.get(Application, world.a.accepted_application_id)
        application.name_latin = '=HYPERLINK("http://evil.example","x")'
        db.session.commit()
    officer_of(world.a.university_id)
    response = client.get(f"/university/export.xlsx?program_id={world.a.program_id}")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    names = [row[header.index("name_latin")] for row in rows[1:]]
    assert '\'=HYPERLINK("http://evil.example","x")' in names
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert len(rows) == 3  # header + A's two published students


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler-utils")
def test_offer_letter_download(client, world, officer_of):
    officer_of(world.a.university_id)
    response = client.get(f"/university/students/{world.a.accepted_id}/letter.pdf")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=response.data, capture_output=True, check=True
    ).stdout.decode()
    assert "مریم رحیمی" in text and "Марьям Рахими" in text
    # No letter for a student who has not accepted.
    assert client.get(f"/university/students/{world.a.offered_id}/letter.pdf").status_code == 404


def test_student_downloads_their_own_letter_only(app, client, world):
    from app.models import Application, User
    from tests.conftest import PASSWORD

    with app.app_context():
        owner = db.session.get(Application, world.a.accepted_application_id).applicant
        email = owner.email
        other_email = db.session.get(Placement, world.b.accepted_id).application.applicant.email
        assert User.query.filter_by(email=other_email).one()
    client.post(
        "/auth/login",
        data={
            "email": email,
            "password": PASSWORD,
            "csrf_token": csrf_token(client, "/auth/login"),
        },
    )
    own = client.get(f"/applicant/offers/{world.a.accepted_id}/letter.pdf")
    assert own.status_code == 200 and own.data.startswith(b"%PDF")
    assert client.get(f"/applicant/offers/{world.b.accepted_id}/letter.pdf").status_code == 404
    assert client.get(f"/applicant/offers/{world.a.offered_id}/letter.pdf").status_code == 404
    assert (
        client.get(f"/applicant/offers/{world.hidden_placement_id}/letter.pdf").status_code == 404
    )


def test_officer_cannot_use_the_applicant_letter_route(client, world, officer_of):
    officer_of(world.a.university_id)
    assert client.get(f"/applicant/offers/{world.a.accepted_id}/letter.pdf").status_code == 404


def test_token_is_shown_once_and_works_until_revoked(app, client, officer_of, world):
    officer_of(world.a.university_id)
    response = _post(client, "/university/tokens", "/university/tokens", name="Student records")
    assert response.status_code == 201
    page = response.get_data(as_text=True)
    start = page.index('id="new-token">') + len('id="new-token">')
    raw = page[start : page.index("<", start)]
    assert raw.startswith("umit_")
    assert raw not in client.get("/university/tokens").get_data(as_text=True)  # never again
    with app.app_context():
        token = ApiToken.query.one()
        assert token.token_hash != raw and token.university_id == world.a.university_id
        token_id = token.id
    api = app.test_client()
    headers = {"Authorization": f"Bearer {raw}"}
    assert api.get("/api/v1/", headers=headers).json["university_id"] == world.a.university_id
    revoke = _post(client, f"/university/tokens/{token_id}/revoke", "/university/tokens")
    assert revoke.status_code == 302
    assert api.get("/api/v1/", headers=headers).status_code == 401


def test_token_name_is_required(client, world, officer_of):
    officer_of(world.a.university_id)
    response = _post(client, "/university/tokens", "/university/tokens", name="")
    assert response.status_code == 400


def test_proposal_page_and_bad_input(app, client, make, world, officer_of):
    officer_of(world.a.university_id)
    with app.app_context():
        # The current cycle has run its first round: its places are fixed.
        db.session.get(Cycle, world.cycle_id).rules_locked_at = utcnow()
        db.session.commit()
    page = client.get("/university/proposals").get_data(as_text=True)
    assert "No cycle is being prepared" in page
    next_cycle = make.cycle(
        status=CycleStatus.DRAFT,
        application_opens_at=utcnow() + timedelta(days=300),
        application_closes_at=utcnow() + timedelta(days=340),
    )
    field = f"p{world.a.program_id}-places"
    path = f"/university/proposals/{world.a.program_id}"
    bad = _post(client, path, "/university/proposals", **{field: "lots"})
    assert bad.status_code == 400
    assert 'value="lots"' in bad.get_data(as_text=True)  # what was typed is kept
    good = _post(client, path, "/university/proposals", **{field: "7"})
    assert good.status_code == 302
    with app.app_context():
        quota = ProgramQuota.query.filter_by(
            cycle_id=next_cycle.id, program_id=world.a.program_id
        ).one()
        assert quota.proposed_places == 7 and quota.places == 0
