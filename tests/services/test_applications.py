"""The applicant's own application: pre-check, saved steps, choices, submit, withdraw, delete."""

from __future__ import annotations

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import (
    Application,
    ApplicationStatus,
    AuditEvent,
    CycleStatus,
    DocumentKind,
    DocumentState,
    PlacementState,
    utcnow,
)
from app.services import applications, documents
from app.services.errors import InvalidInput, NotFound

S = ApplicationStatus
OK_ANSWERS = {
    "protection_status": "refugee",
    "status_valid_until": date(2030, 1, 1),
    "renewal_pending": False,
    "school": "finished",
}


def photo() -> FileStorage:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 10)).save(out, format="PNG")
    return FileStorage(io.BytesIO(out.getvalue()), filename="scan.png")


@pytest.fixture()
def world(app_ctx, make):
    cycle = make.cycle(max_choices=2, score_formula={"components": {"unt_total": 1, "gpa": 10}})
    programs = [make.program(), make.program(), make.program()]
    for p in programs:
        make.quota(cycle, p, places=3)
    user = make.user("applicant")
    return {"cycle": cycle, "programs": programs, "user": user, "make": make}


def started(world) -> Application:
    return applications.start(world["user"], world["cycle"], dict(OK_ANSWERS), by=world["user"])


def complete(world) -> Application:
    """A draft with every section filled in and every required document sent."""
    a = started(world)
    u = world["user"]
    applications.save_step(
        a,
        "personal",
        {
            "name_native": "فرشته احمدی",
            "name_latin": "Freshta Ahmadi",
            "name_cyrillic": "",
            "date_of_birth": date(2005, 3, 21),
            "gender": "F",
            "country_of_origin": "AF",
        },
        expected_version=a.version,
        by=u,
    )
    applications.save_step(
        a,
        "protection",
        {
            "protection_status": "refugee",
            "status_document_number": "RF-1",
            "status_valid_until": date(2030, 1, 1),
        },
        expected_version=a.version,
        by=u,
    )
    applications.save_step(
        a, "education", {"education_route": "kz_school"}, expected_version=a.version, by=u
    )
    applications.save_step(
        a,
        "scores",
        {"unt_total": Decimal("100"), "gpa": Decimal("4.5")},
        expected_version=a.version,
        by=u,
    )
    applications.add_choice(a, world["programs"][0].id, expected_version=a.version, by=u)
    for kind in ("status_proof", "school_certificate", "test_certificate"):
        documents.store_upload(a, kind, photo(), by=u)
    return a


# ------------------------------------------------------------------------ pre-check


def test_precheck_passes_a_refugee_with_a_valid_document(world):
    assert applications.precheck(world["cycle"], OK_ANSWERS).ok


@pytest.mark.parametrize(
    ("answers", "rule"),
    [
        ({"protection_status": "none"}, "protection_status"),
        ({"status_valid_until": None}, "status_valid_until"),
        ({"status_valid_until": date(2000, 1, 1)}, "status_valid_until"),
        ({"school": "not_yet"}, "secondary_school"),
    ],
)
def test_precheck_names_the_rule_that_failed_and_what_to_do(world, answers, rule):
    verdict = applications.precheck(world["cycle"], {**OK_ANSWERS, **answers})
    assert [f.rule for f in verdict.failures] == [rule]
    assert verdict.failures[0].next_step


def test_precheck_follows_the_cycles_rules(world):
    world["cycle"].eligibility_rules = {"protection_statuses": ["refugee"]}
    verdict = applications.precheck(
        world["cycle"], {**OK_ANSWERS, "protection_status": "asylum_seeker"}
    )
    assert [f.rule for f in verdict.failures] == ["protection_status"]


def test_borderline_cases_may_apply_and_are_flagged_for_staff(world):
    answers = {
        **OK_ANSWERS,
        "status_valid_until": date(2000, 1, 1),
        "renewal_pending": True,
        "school": "finished_no_documents",
    }
    a = applications.start(world["user"], world["cycle"], answers, by=world["user"])
    assert a.status == S.DRAFT
    assert a.flags == ["school_documents_lost", "status_renewal_pending"]
    assert a.precheck["status_valid_until"] == "2000-01-01"


def test_start_refuses_with_reasons_and_creates_nothing(world):
    with pytest.raises(applications.PrecheckRefused) as err:
        applications.start(
            world["user"], world["cycle"], {**OK_ANSWERS, "school": "not_yet"}, by=world["user"]
        )
    assert err.value.failures[0].rule == "secondary_school"
    assert db.session.scalar(select(Application)) is None


def test_start_refuses_when_the_cycle_is_closed(world):
    world["cycle"].status = CycleStatus.CLOSED
    with pytest.raises(applications.NotEditable):
        started(world)


def test_start_twice_returns_the_same_draft(world):
    assert started(world).id == started(world).id


# ------------------------------------------------------------------------ saving steps


def test_each_step_is_saved_with_a_time_and_the_next_step(world):
    a = started(world)
    assert a.current_step == "personal"
    applications.save_step(
        a,
        "education",
        {"education_route": "foreign_school", "school_name": " Kabul High "},
        expected_version=a.version,
        by=world["user"],
    )
    assert a.saved_at is not None
    assert a.school_name == "Kabul High"
    assert a.current_step == "scores"


def test_a_stale_version_is_refused_and_nothing_changes(world):
    a = started(world)
    old = a.version
    applications.save_step(
        a, "education", {"school_name": "A"}, expected_version=old, by=world["user"]
    )
    assert a.version == old + 1
    with pytest.raises(applications.StaleVersion) as err:
        applications.save_step(
            a, "education", {"school_name": "B"}, expected_version=old, by=world["user"]
        )
    assert "another tab" in str(err.value)
    assert a.school_name == "A"


def test_scores_follow_the_cycles_formula(world):
    a = started(world)
    applications.save_step(
        a,
        "scores",
        {"unt_total": Decimal("100"), "gpa": Decimal("4.5")},
        expected_version=a.version,
        by=world["user"],
    )
    assert a.competitive_score == Decimal("145.00")
    applications.save_step(
        a, "scores", {"unt_total": 90}, expected_version=a.version, by=world["user"]
    )
    assert a.competitive_score is None  # gpa now missing
    assert [c.name for c in a.score_components] == ["unt_total"]


def test_negative_scores_are_refused(world):
    a = started(world)
    with pytest.raises(InvalidInput):
        applications.save_step(
            a, "scores", {"unt_total": -1}, expected_version=a.version, by=world["user"]
        )


def test_unknown_step_is_refused(world):
    a = started(world)
    with pytest.raises(InvalidInput):
        applications.save_step(
            a, "status", {"status": "eligible"}, expected_version=a.version, by=world["user"]
        )


def test_someone_else_cannot_save(world):
    a = started(world)
    other = world["make"].user("applicant")
    with pytest.raises(NotFound):
        applications.save_step(a, "education", {}, expected_version=a.version, by=other)


# ------------------------------------------------------------------------------ choices


def test_choices_are_added_moved_and_removed(world):
    a = started(world)
    u = world["user"]
    p1, p2, _p3 = world["programs"]
    applications.add_choice(a, p1.id, expected_version=a.version, by=u)
    applications.add_choice(a, p2.id, expected_version=a.version, by=u)
    second = a.choices[1]
    applications.move_choice(a, second.id, "up", expected_version=a.version, by=u)
    assert [(c.program_id, c.rank) for c in a.choices] == [(p2.id, 1), (p1.id, 2)]
    applications.move_choice(a, second.id, "up", expected_version=a.version, by=u)  # no-op at top
    applications.remove_choice(a, second.id, expected_version=a.version, by=u)
    assert [(c.program_id, c.rank) for c in a.choices] == [(p1.id, 1)]


def test_choices_refuse_duplicates_the_maximum_and_programs_without_places(world, make):
    a = started(world)
    u = world["user"]
    p1, p2, p3 = world["programs"]
    applications.add_choice(a, p1.id, expected_version=a.version, by=u)
    with pytest.raises(InvalidInput, match="already"):
        applications.add_choice(a, p1.id, expected_version=a.version, by=u)
    with pytest.raises(InvalidInput, match="no places"):
        applications.add_choice(a, make.program().id, expected_version=a.version, by=u)
    applications.add_choice(a, p2.id, expected_version=a.version, by=u)
    with pytest.raises(InvalidInput, match="at most 2"):
        applications.add_choice(a, p3.id, expected_version=a.version, by=u)


def test_a_stale_choice_change_is_refused(world):
    a = started(world)
    old = a.version
    applications.add_choice(a, world["programs"][0].id, expected_version=old, by=world["user"])
    with pytest.raises(applications.StaleVersion):
        applications.add_choice(a, world["programs"][1].id, expected_version=old, by=world["user"])


def test_search_finds_programs_by_text_city_field_and_language(world, make):
    cycle = world["cycle"]
    uni = make.university(city="Shymkent", name_en="South University")
    special = make.program(uni, name_en="Agronomy", field_group="AGR", language="kk")
    make.quota(cycle, special, places=1)
    assert applications.search_programs(cycle, text="agron") == [special]
    assert applications.search_programs(cycle, text="south univ") == [special]
    assert applications.search_programs(cycle, city="Shymkent") == [special]
    assert applications.search_programs(cycle, field_group="AGR") == [special]
    assert applications.search_programs(cycle, language="kk") == [special]
    assert len(applications.search_programs(cycle)) == 4
    assert "Shymkent" in applications.search_facets(cycle)["city"]


# -------------------------------------------------------------------------- checklist


def test_checklist_says_what_is_needed_and_why(world):
    a = started(world)
    items = {i.kind: i for i in applications.checklist(a)}
    assert (
        items[DocumentKind.STATUS_PROOF].required and not items[DocumentKind.STATUS_PROOF].satisfied
    )
    assert all(i.why for i in items.values())


def test_alternative_evidence_stands_in_for_a_lost_certificate(world):
    a = started(world)
    applications.save_step(
        a,
        "education",
        {"education_route": "foreign_school"},
        expected_version=a.version,
        by=world["user"],
    )
    documents.store_upload(
        a, "alternative_evidence", photo(), by=world["user"], evidence_type="unhcr_attestation"
    )
    items = {i.kind: i for i in applications.checklist(a)}
    assert items[DocumentKind.SCHOOL_CERTIFICATE].satisfied
    assert items[DocumentKind.TEST_CERTIFICATE].satisfied


def test_a_rejected_document_does_not_count(world):
    a = started(world)
    doc = documents.store_upload(a, "status_proof", photo(), by=world["user"])
    doc.state = DocumentState.REJECTED
    items = {i.kind: i for i in applications.checklist(a)}
    assert not items[DocumentKind.STATUS_PROOF].satisfied


# -------------------------------------------------------------------------- submitting


def test_submit_a_complete_application(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    assert a.status == S.SUBMITTED
    assert a.submitted_at is not None and a.declaration_accepted_at is not None
    actions = db.session.scalars(select(AuditEvent.action)).all()
    assert "application.submitted" in actions
    assert "document.upload" in actions


def test_submit_refuses_an_incomplete_application_and_lists_what_is_missing(world):
    a = started(world)
    with pytest.raises(InvalidInput) as err:
        applications.submit(a, by=world["user"])
    assert "date of birth" in str(err.value)
    assert a.status == S.DRAFT


def test_submit_refuses_after_the_deadline(world):
    a = complete(world)
    world["cycle"].application_closes_at = utcnow() - timedelta(minutes=1)
    with pytest.raises(applications.NotEditable, match="deadline"):
        applications.submit(a, by=world["user"])
    assert a.status == S.DRAFT


def test_submit_twice_is_refused(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    with pytest.raises(applications.NotEditable):
        applications.submit(a, by=world["user"])


def test_someone_else_cannot_submit(world):
    a = complete(world)
    with pytest.raises(NotFound):
        applications.submit(a, by=world["make"].user("applicant"))


def test_after_submission_the_application_is_read_only(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    assert applications.editable_sections(a) == frozenset()
    with pytest.raises(applications.NotEditable):
        applications.save_step(
            a, "personal", {"name_latin": "X"}, expected_version=a.version, by=world["user"]
        )
    with pytest.raises(applications.NotEditable):
        applications.add_choice(
            a, world["programs"][1].id, expected_version=a.version, by=world["user"]
        )


def test_needs_info_reopens_only_the_named_sections_and_resubmits(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    a.status = S.NEEDS_INFO
    a.needs_info_sections = ["education"]
    assert applications.editable_sections(a) == {"education"}
    with pytest.raises(applications.NotEditable, match="other parts"):
        applications.save_step(
            a, "personal", {"name_latin": "X"}, expected_version=a.version, by=world["user"]
        )
    applications.save_step(
        a, "education", {"school_name": "School 5"}, expected_version=a.version, by=world["user"]
    )
    # Resubmission is allowed even after the deadline: staff reopened it.
    world["cycle"].application_closes_at = utcnow() - timedelta(days=1)
    applications.submit(a, by=world["user"])
    assert a.status == S.SUBMITTED
    assert a.needs_info_sections == []


# ------------------------------------------------------------------ withdraw and delete


def test_withdraw_releases_an_offered_place(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    a.status = S.PLACED
    round_ = world["make"].round(world["cycle"])
    placement = world["make"].placement(round_, a, world["programs"][0])
    applications.withdraw(a, by=world["user"], reason="moving")
    assert a.status == S.WITHDRAWN and a.withdrawn_at is not None
    assert placement.state == PlacementState.DECLINED
    assert "application.withdrawn" in db.session.scalars(select(AuditEvent.action)).all()


def test_withdraw_is_refused_twice_and_after_enrolment(world):
    a = started(world)
    applications.withdraw(a, by=world["user"])
    with pytest.raises(applications.NotEditable):
        applications.withdraw(a, by=world["user"])
    b = world["make"].application(
        world["make"].user("applicant"), world["cycle"], status=S.ENROLLED
    )
    with pytest.raises(applications.NotEditable):
        applications.withdraw(b, by=b.applicant)


def test_someone_else_cannot_withdraw(world):
    a = started(world)
    with pytest.raises(NotFound):
        applications.withdraw(a, by=world["make"].user("applicant"))


def test_a_draft_can_be_deleted_with_its_documents(world):
    a = started(world)
    documents.store_upload(a, "status_proof", photo(), by=world["user"])
    applications.delete_draft(a, by=world["user"])
    assert db.session.scalar(select(Application)) is None
    assert "application.delete_draft" in db.session.scalars(select(AuditEvent.action)).all()


def test_a_sent_application_cannot_be_deleted(world):
    a = complete(world)
    applications.submit(a, by=world["user"])
    with pytest.raises(applications.NotEditable):
        applications.delete_draft(a, by=world["user"])


# ---------------------------------------------------------------------------- reading


def test_timeline_shows_only_visible_changes_with_meanings(world):
    from app.services import workflow

    a = complete(world)
    applications.submit(a, by=world["user"])
    workflow.change_status(a, S.IN_REVIEW, by=None)  # internal: not on the timeline
    entries = applications.timeline(a)
    assert [e["status"] for e in entries] == [S.SUBMITTED]
    assert entries[0]["meaning"]


def test_export_holds_the_applicants_data(world):
    a = complete(world)
    data = applications.export_data(a)
    assert data["application"]["name_latin"] == "Freshta Ahmadi"
    assert data["application"]["date_of_birth"] == "2005-03-21"
    assert len(data["documents"]) == 3
    assert data["choices"][0]["rank"] == 1


def test_current_cycle_prefers_the_open_one(world, make):
    make.cycle(status=CycleStatus.FINISHED, application_opens_at=utcnow() + timedelta(days=1))
    assert applications.current_cycle().id == world["cycle"].id


def test_a_save_racing_another_is_refused_by_the_version_column(world):
    from sqlalchemy import text

    a = started(world)
    db.session.commit()
    seen = a.version  # this request read the row ...
    with db.engine.begin() as conn:  # ... then another tab saved it
        conn.execute(
            text("UPDATE application SET version = version + 1 WHERE id = :id"), {"id": a.id}
        )
    with pytest.raises(applications.StaleVersion):
        applications.save_step(
            a, "education", {"school_name": "Late"}, expected_version=seen, by=world["user"]
        )
    db.session.rollback()
    assert db.session.get(Application, a.id).school_name == ""


def test_a_status_expiring_before_the_start_is_flagged_for_staff(world):
    a = started(world)
    save = {"protection_status": "refugee", "status_document_number": "RF-1"}
    applications.save_step(
        a,
        "protection",
        {**save, "status_valid_until": date(2001, 1, 1)},
        expected_version=a.version,
        by=world["user"],
    )
    assert "status_expires_before_start" in a.flags
    applications.save_step(
        a,
        "protection",
        {**save, "status_valid_until": date(2031, 1, 1)},
        expected_version=a.version,
        by=world["user"],
    )
    assert "status_expires_before_start" not in a.flags
