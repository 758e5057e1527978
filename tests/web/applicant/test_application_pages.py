"""Request tests for the applicant pages: own objects only, anonymous and wrong roles kept out,
bad input answered with 400 and a message, nothing typed or saved lost."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    Document,
    DocumentState,
    Notification,
    PlacementState,
    User,
    utcnow,
)
from app.services import applications, documents, notifications
from tests.conftest import csrf_token
from tests.web.applicant.conftest import jpeg_bytes, pdf_bytes, post

S = ApplicationStatus
OK = {"protection_status": "refugee", "status_valid_until": date(2030, 1, 1), "school": "finished"}

GET_PAGES = [
    "/applicant/",
    "/applicant/eligibility",
    "/applicant/application/personal",
    "/applicant/application/protection",
    "/applicant/application/education",
    "/applicant/application/scores",
    "/applicant/application/choices",
    "/applicant/application/documents",
    "/applicant/application/review",
    "/applicant/withdraw",
    "/applicant/delete-draft",
    "/applicant/messages",
    "/applicant/results",
    "/applicant/my-data.json",
    "/applicant/summary",
    "/applicant/documents/1",
]
POST_PAGES = [
    "/applicant/eligibility",
    "/applicant/application/personal",
    "/applicant/application/choices/add",
    "/applicant/application/choices/1/move",
    "/applicant/application/choices/1/remove",
    "/applicant/application/documents",
    "/applicant/application/submit",
    "/applicant/withdraw",
    "/applicant/delete-draft",
    "/applicant/messages/1/read",
    "/applicant/offers/1/accept",
    "/applicant/offers/1/decline",
]


def _draft(app, user_id: int, cycle_id: int, **answers) -> int:
    from app.models import Cycle

    with app.app_context():
        user = db.session.get(User, user_id)
        cycle = db.session.get(Cycle, cycle_id)
        application = applications.start(user, cycle, {**OK, **answers}, by=user)
        db.session.commit()
        return application.id


@pytest.fixture()
def me(app, client, login_as, world):
    """A signed-in applicant with a fresh draft in the open cycle."""
    user = login_as("applicant")
    app_id = _draft(app, user.id, world["cycle"].id)
    return {"user": user, "application_id": app_id, **world}


def _app(app, app_id: int) -> Application:
    with app.app_context():
        a = db.session.get(Application, app_id)
        _ = a.choices, a.documents, a.score_components
        db.session.expunge_all()
        return a


def _version(app, app_id: int) -> int:
    return _app(app, app_id).version


def _other_applicant_with_everything(app, make, world):
    """Someone else's application with a choice, a document, an offer and a message."""
    other = make.user("applicant")
    a = make.application(other, world["cycle"], programs=world["programs"][:1], status=S.PLACED)
    round_ = make.round(world["cycle"])
    placement = make.placement(round_, a, world["programs"][0])
    with app.app_context():
        application = db.session.get(Application, a.id)
        application.status = S.DRAFT
        from werkzeug.datastructures import FileStorage

        doc = documents.store_upload(
            application,
            "status_proof",
            FileStorage(io.BytesIO(pdf_bytes()), filename="x.pdf"),
            by=application.applicant,
        )
        application.status = S.PLACED
        note = notifications.notify(
            application.applicant, "application_status", {"status": "placed"}
        )[1]
        db.session.commit()
        return {
            "document": doc.id,
            "placement": placement.id,
            "note": note.id,
            "choice": application.choices[0].id,
        }


# --------------------------------------------------------------------------- access


@pytest.mark.parametrize("path", GET_PAGES)
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("path", POST_PAGES)
def test_anonymous_posts_are_sent_to_sign_in(app, client, path):
    app.config["WTF_CSRF_ENABLED"] = False
    try:
        response = client.post(path, data={})
    finally:
        app.config["WTF_CSRF_ENABLED"] = True
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["ministry", "university", "admin"])
@pytest.mark.parametrize("path", GET_PAGES[:4] + GET_PAGES[-4:])
def test_staff_roles_get_404(client, login_as, role, path):
    login_as(role)
    assert client.get(path).status_code == 404


def test_foreign_objects_answer_404(app, client, make, me):
    theirs = _other_applicant_with_everything(app, make, me)
    assert client.get(f"/applicant/documents/{theirs['document']}").status_code == 404
    assert client.get("/applicant/documents/999999").status_code == 404
    token = csrf_token(client, "/applicant/results")
    for path in (
        f"/applicant/offers/{theirs['placement']}/accept",
        f"/applicant/offers/{theirs['placement']}/decline",
        "/applicant/offers/999999/accept",
        f"/applicant/messages/{theirs['note']}/read",
        "/applicant/messages/999999/read",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 404, path
    version = _version(app, me["application_id"])
    for path in (
        f"/applicant/application/choices/{theirs['choice']}/move",
        f"/applicant/application/choices/{theirs['choice']}/remove",
    ):
        response = client.post(
            path, data={"csrf_token": token, "version": version, "direction": "up"}
        )
        assert response.status_code == 404, path
    with app.app_context():
        placement_states = {
            p.state
            for p in db.session.scalars(
                select(__import__("app.models", fromlist=["Placement"]).Placement)
            )
        }
        assert placement_states == {PlacementState.OFFERED}
        assert db.session.get(Notification, theirs["note"]).read_at is None


def test_no_application_yet_shows_the_way_to_start(client, login_as, world):
    login_as("applicant")
    page = client.get("/applicant/").get_data(as_text=True)
    assert "/applicant/eligibility" in page
    assert client.get("/applicant/application/personal").status_code == 302
    assert client.get("/applicant/results").status_code == 404


# ----------------------------------------------------------------------- eligibility


def test_eligibility_refusal_says_which_rule_and_what_to_do(app, client, login_as, world):
    user = login_as("applicant")
    response = post(
        client,
        "/applicant/eligibility",
        {"protection_status": "refugee", "status_valid_until": "2001-01-01", "school": "finished"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'data-rule="status_valid_until"' in page
    assert "renewal pending" in page
    with app.app_context():
        assert (
            db.session.scalar(select(Application).where(Application.applicant_id == user.id))
            is None
        )


def test_eligibility_borderline_case_can_apply_and_is_flagged(app, client, login_as, world):
    user = login_as("applicant")
    response = post(
        client,
        "/applicant/eligibility",
        {
            "protection_status": "asylum_seeker",
            "status_valid_until": "1379/01/01",
            "renewal_pending": "y",
            "school": "finished_no_documents",
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applicant/application/personal")
    with app.app_context():
        a = db.session.scalar(select(Application).where(Application.applicant_id == user.id))
        assert a.flags == ["school_documents_lost", "status_renewal_pending"]
        assert a.status_valid_until == date(2000, 3, 20)


def test_eligibility_bad_input_is_400_and_keeps_the_answers(client, login_as, world):
    login_as("applicant")
    response = post(
        client,
        "/applicant/eligibility",
        {"protection_status": "refugee", "status_valid_until": "not a date"},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "We could not read the date" in page
    assert 'value="not a date"' in page
    assert "Please choose one." in page


# ------------------------------------------------------------------------- steps


def _personal(version, **overrides):
    data = {
        "version": version,
        "name_native": "فرشته احمدی",
        "name_latin": "Freshta Ahmadi",
        "name_cyrillic": "Фрешта Ахмади",
        "date_of_birth": "1384/01/01",
        "dob_calendar": "auto",
        "gender": "F",
        "country_of_origin": "AF",
        "phone": "+7 701 000 0000",
        "contact_email": "",
    }
    data.update(overrides)
    return data


def test_personal_step_saves_and_shows_the_date_both_ways(app, client, me):
    path = "/applicant/application/personal"
    response = post(client, path, _personal(_version(app, me["application_id"])))
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/applicant/application/protection")
    a = _app(app, me["application_id"])
    assert a.date_of_birth == date(2005, 3, 21)
    assert a.name_native == "فرشته احمدی"
    assert a.current_step == "protection" and a.saved_at is not None
    page = client.get(path).get_data(as_text=True)
    assert "2005-03-21 (1384/01/01 Solar Hijri)" in page
    assert "Saved at" in page


def test_a_bad_date_is_400_keeps_what_was_typed_and_saves_nothing(app, client, me):
    path = "/applicant/application/personal"
    before = _app(app, me["application_id"])
    response = post(
        client, path, _personal(before.version, date_of_birth="31/31/2005", name_latin="Typed Name")
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "We could not read the date" in page
    assert 'value="Typed Name"' in page
    after = _app(app, me["application_id"])
    assert after.name_latin == before.name_latin and after.version == before.version


def test_an_impossible_birth_date_is_refused(app, client, me):
    response = post(
        client,
        "/applicant/application/personal",
        _personal(_version(app, me["application_id"]), date_of_birth="2090-01-01"),
    )
    assert response.status_code == 400
    assert "not possible" in response.get_data(as_text=True)


def test_two_tabs_a_stale_save_is_409_with_a_clear_message_and_keeps_the_typing(app, client, me):
    path = "/applicant/application/education"
    stale = _version(app, me["application_id"])
    first = post(
        client, path, {"version": stale, "education_route": "kz_school", "school_name": "Tab one"}
    )
    assert first.status_code == 302
    second = post(
        client,
        path,
        {"version": stale, "education_route": "foreign_school", "school_name": "Tab two"},
    )
    page = second.get_data(as_text=True)
    assert second.status_code == 409
    assert "another tab" in page
    assert 'value="Tab two"' in page
    assert _app(app, me["application_id"]).school_name == "Tab one"
    # Saving again from that page, now knowingly, works.
    fresh = _version(app, me["application_id"])
    assert f'value="{fresh}"' in page
    third = post(
        client,
        path,
        {
            "version": fresh,
            "education_route": "foreign_school",
            "school_name": "Tab two",
            "then": "stay",
        },
    )
    assert third.status_code == 302 and third.headers["Location"].endswith("/education")
    assert _app(app, me["application_id"]).school_name == "Tab two"


def test_scores_step_uses_the_cycle_formula(app, client, me):
    response = post(
        client,
        "/applicant/application/scores",
        {"version": _version(app, me["application_id"]), "c_unt_total": "112.5"},
    )
    assert response.status_code == 302
    assert _app(app, me["application_id"]).competitive_score == Decimal("112.50")
    bad = post(
        client,
        "/applicant/application/scores",
        {"version": _version(app, me["application_id"]), "c_unt_total": "-3"},
    )
    assert bad.status_code == 400


def test_unknown_step_is_404(client, me):
    assert client.get("/applicant/application/secrets").status_code == 404


def test_resume_on_another_device(app, client, me, make):
    post(
        client,
        "/applicant/application/education",
        {
            "version": _version(app, me["application_id"]),
            "education_route": "kz_school",
            "school_name": "School 7",
        },
    )
    from flask.testing import FlaskClient

    laptop: FlaskClient = app.test_client()
    token = csrf_token(laptop, "/auth/login")
    laptop.post(
        "/auth/login",
        data={"email": me["user"].email, "password": "correct horse battery", "csrf_token": token},
    )
    home = laptop.get("/applicant/").get_data(as_text=True)
    assert "/applicant/application/scores" in home  # continue where they left off
    assert 'value="School 7"' in laptop.get("/applicant/application/education").get_data(
        as_text=True
    )


# ------------------------------------------------------------------------- choices


def test_choices_search_add_reorder_remove_without_js(app, client, me):
    page = client.get("/applicant/application/choices?text=Medicine").get_data(as_text=True)
    assert "Medicine" in page and "Computer Science" not in page
    med, cs = me["programs"][1], me["programs"][0]
    for program in (med, cs):
        response = post(
            client,
            "/applicant/application/choices/add",
            {"version": _version(app, me["application_id"]), "program_id": program.id},
            page="/applicant/application/choices",
        )
        assert response.status_code == 302
    a = _app(app, me["application_id"])
    assert [c.program_id for c in a.choices] == [med.id, cs.id]
    response = post(
        client,
        f"/applicant/application/choices/{a.choices[1].id}/move",
        {"version": a.version, "direction": "up"},
        page="/applicant/application/choices",
    )
    assert response.status_code == 302
    a = _app(app, me["application_id"])
    assert [c.program_id for c in a.choices] == [cs.id, med.id]
    response = post(
        client,
        f"/applicant/application/choices/{a.choices[0].id}/remove",
        {"version": a.version},
        page="/applicant/application/choices",
    )
    assert [c.program_id for c in _app(app, me["application_id"]).choices] == [med.id]


def test_choices_refusals_are_shown(app, client, me):
    response = post(
        client,
        "/applicant/application/choices/add",
        {"version": _version(app, me["application_id"]), "program_id": me["no_quota"].id},
        page="/applicant/application/choices",
    )
    assert response.status_code == 400
    assert "no places" in response.get_data(as_text=True)
    response = post(
        client,
        "/applicant/application/choices/add",
        {"version": 0, "program_id": me["programs"][0].id},
        page="/applicant/application/choices",
    )
    assert response.status_code == 409
    response = post(
        client,
        "/applicant/application/choices/add",
        {"version": 1, "program_id": "abc"},
        page="/applicant/application/choices",
    )
    assert response.status_code == 400
    assert _app(app, me["application_id"]).choices == []


# ------------------------------------------------------------------------ documents


def _upload(client, data: bytes, name: str, **fields):
    payload = {"kind": "status_proof", "file": (io.BytesIO(data), name), **fields}
    return post(
        client, "/applicant/application/documents", payload, content_type="multipart/form-data"
    )


def test_upload_and_view_own_document(app, client, me):
    response = _upload(client, jpeg_bytes(), "phone.jpg", version=1)
    assert response.status_code == 302
    a = _app(app, me["application_id"])
    doc = a.documents[0]
    served = client.get(f"/applicant/documents/{doc.id}")
    assert served.status_code == 200
    assert served.mimetype == "image/jpeg"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert "no-store" in served.headers["Cache-Control"]
    assert b"PhoneMaker" not in served.data
    assert "Received" in client.get("/applicant/application/documents").get_data(as_text=True)


def test_a_refused_upload_is_400_with_the_reason(app, client, me):
    response = _upload(client, b"<script>alert(1)</script>", "photo.jpg")
    assert response.status_code == 400
    assert "neither" in response.get_data(as_text=True)
    response = post(client, "/applicant/application/documents", {"kind": "status_proof"})
    assert response.status_code == 400
    assert "Choose a file" in response.get_data(as_text=True)
    assert _app(app, me["application_id"]).documents == []


def test_replace_a_rejected_document_after_submission(app, client, me):
    _upload(client, pdf_bytes(), "status.pdf")
    with app.app_context():
        a = db.session.get(Application, me["application_id"])
        a.status = S.IN_REVIEW
        a.documents[0].state = DocumentState.REJECTED
        a.documents[0].note = "The photo is blurred."
        old_id = a.documents[0].id
        db.session.commit()
    page = client.get("/applicant/application/documents").get_data(as_text=True)
    assert "The photo is blurred." in page and f"replaces={old_id}" in page
    form = client.get(
        f"/applicant/application/documents?kind=status_proof&replaces={old_id}"
    ).get_data(as_text=True)
    assert "Send a replacement" in form
    response = _upload(client, jpeg_bytes(), "again.jpg", replaces=str(old_id))
    assert response.status_code == 302
    with app.app_context():
        states = {d.id: d.state for d in db.session.scalars(select(Document))}
        assert states[old_id] == DocumentState.REPLACED
        assert DocumentState.UPLOADED in states.values()


def test_replacing_someone_elses_document_is_404(app, client, make, me):
    theirs = _other_applicant_with_everything(app, make, me)
    response = _upload(client, pdf_bytes(), "x.pdf", replaces=str(theirs["document"]))
    assert response.status_code == 404


# --------------------------------------------------------------- submit, withdraw, delete


def _complete(app, app_id: int, programs) -> None:
    from werkzeug.datastructures import FileStorage

    with app.app_context():
        a = db.session.get(Application, app_id)
        u = a.applicant
        a.name_native, a.name_latin, a.gender, a.country_of_origin = "ف", "F A", "F", "AF"
        a.date_of_birth = date(2005, 1, 1)
        a.status_document_number = "RF-1"
        a.education_route = "kz_school"
        db.session.flush()
        applications.save_step(a, "scores", {"unt_total": 100}, expected_version=a.version, by=u)
        applications.add_choice(a, programs[0].id, expected_version=a.version, by=u)
        for kind in ("status_proof", "school_certificate", "test_certificate"):
            documents.store_upload(
                a, kind, FileStorage(io.BytesIO(pdf_bytes()), filename="d.pdf"), by=u
            )
        db.session.commit()


def test_submit_needs_the_declaration(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    response = post(
        client,
        "/applicant/application/submit",
        {"version": 1},
        page="/applicant/application/review",
    )
    assert response.status_code == 400
    assert "tick the declaration" in response.get_data(as_text=True)
    assert _app(app, me["application_id"]).status == S.DRAFT


def test_submit_then_read_only(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    response = post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    assert response.status_code == 302
    assert _app(app, me["application_id"]).status == S.SUBMITTED
    page = client.get("/applicant/application/personal").get_data(as_text=True)
    assert '<fieldset class="plain" disabled>' in page
    response = post(
        client,
        "/applicant/application/personal",
        _personal(_version(app, me["application_id"])),
        page="/applicant/application/review",
    )
    assert response.status_code == 409
    home = client.get("/applicant/").get_data(as_text=True)
    assert "Submitted" in home and "has reached the ministry" in home


def test_submit_incomplete_is_400_with_what_is_missing(app, client, me):
    response = post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    assert response.status_code == 400
    assert "Something is still missing" in response.get_data(as_text=True)


def test_submit_after_the_deadline_is_refused(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    from app.models import Cycle

    with app.app_context():
        db.session.get(Cycle, me["cycle"].id).application_closes_at = utcnow() - timedelta(hours=1)
        db.session.commit()
    page = client.get("/applicant/application/review").get_data(as_text=True)
    assert "The deadline has passed" in page
    response = post(
        client, "/applicant/application/submit", {"declaration": "y"}, page="/applicant/"
    )
    assert response.status_code == 409
    assert _app(app, me["application_id"]).status == S.DRAFT


def test_withdraw_needs_confirmation(app, client, me):
    assert post(client, "/applicant/withdraw", {}).status_code == 400
    assert (
        post(client, "/applicant/withdraw", {"confirm": "y", "reason": "moving"}).status_code == 302
    )
    assert _app(app, me["application_id"]).status == S.WITHDRAWN
    assert (
        post(client, "/applicant/withdraw", {"confirm": "y"}, page="/applicant/").status_code == 409
    )


def test_delete_draft_removes_its_files(app, client, me):
    from pathlib import Path

    _upload(client, pdf_bytes(b"/Title (only mine) "), "mine.pdf")
    key = _app(app, me["application_id"]).documents[0].storage_key
    stored = Path(app.config["UPLOAD_DIR"]) / key
    assert stored.is_file()
    assert post(client, "/applicant/delete-draft", {}).status_code == 400
    assert post(client, "/applicant/delete-draft", {"confirm": "y"}).status_code == 302
    with app.app_context():
        assert db.session.get(Application, me["application_id"]) is None
    assert not stored.exists()


def test_a_sent_application_cannot_be_deleted(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    assert post(client, "/applicant/delete-draft", {"confirm": "y"}).status_code == 409
    assert _app(app, me["application_id"]).status == S.SUBMITTED


# ----------------------------------------------------------------- messages, data


def test_messages_list_and_mark_read(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    page = client.get("/applicant/messages").get_data(as_text=True)
    assert "Your Umit application has changed" in page
    with app.app_context():
        note = db.session.scalar(select(Notification).where(Notification.channel == "portal"))
        note_id = note.id
    assert (
        post(
            client, f"/applicant/messages/{note_id}/read", {}, page="/applicant/messages"
        ).status_code
        == 302
    )
    with app.app_context():
        assert db.session.get(Notification, note_id).read_at is not None


def test_export_json_and_summary(app, client, me):
    response = client.get("/applicant/my-data.json")
    assert response.status_code == 200
    assert response.json["format"] == "umit-applicant-export/1"
    assert "attachment" in response.headers["Content-Disposition"]
    assert "Summary of my application" in client.get("/applicant/summary").get_data(as_text=True)


def test_needs_info_reopens_only_the_named_parts(app, client, me):
    _complete(app, me["application_id"], me["programs"])
    post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    from app.services import workflow

    with app.app_context():
        a = db.session.get(Application, me["application_id"])
        workflow.change_status(a, S.NEEDS_INFO, by=None, note="Which school?")
        a.needs_info_sections = ["education"]
        a.needs_info_note = "Please name your school."
        db.session.commit()
    home = client.get("/applicant/").get_data(as_text=True)
    assert "Please name your school." in home
    assert "/applicant/application/education" in home
    personal = client.get("/applicant/application/personal").get_data(as_text=True)
    assert '<fieldset class="plain" disabled>' in personal
    version = _version(app, me["application_id"])
    refused = post(client, "/applicant/application/personal", _personal(version))
    assert refused.status_code == 409
    assert "this part stays as sent" in refused.get_data(as_text=True)
    saved = post(
        client,
        "/applicant/application/education",
        {"version": version, "education_route": "kz_school", "school_name": "School 12"},
    )
    assert saved.status_code == 302
    sent = post(
        client,
        "/applicant/application/submit",
        {"declaration": "y"},
        page="/applicant/application/review",
    )
    assert sent.status_code == 302
    a = _app(app, me["application_id"])
    assert a.status == S.SUBMITTED and a.school_name == "School 12" and a.needs_info_sections == []
