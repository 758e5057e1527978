"""Verification: document decisions and eligibility decisions, each audited and notified."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import (
    ApplicationStatus,
    DocumentKind,
    DocumentState,
    Notification,
)
from app.services import audit, documents, verification
from app.services.errors import InvalidInput, ServiceError
from app.services.workflow import TransitionRefused

S = ApplicationStatus


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10), (0, 0, 0)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture()
def case(app_ctx, make):
    officer = make.user("ministry")
    application = make.application(programs=[make.program()])
    upload = FileStorage(io.BytesIO(_png()), filename="proof.png", content_type="image/png")
    doc = documents.store_upload(
        application, DocumentKind.STATUS_PROOF, upload, by=application.applicant
    )
    application.status = S.SUBMITTED
    db.session.commit()
    return officer, application, doc


def test_queue_lists_waiting_applications_oldest_first(case, make):
    officer, application, _doc = case
    assert verification.queue() == [application]
    assert verification.backlog()["submitted"] == 1
    assert verification.queue(status=S.NEEDS_INFO) == []


def test_verify_document_moves_into_review_and_records_who(case):
    officer, application, doc = case
    verification.verify_document(doc, by=officer)
    assert doc.state == DocumentState.VERIFIED and doc.verified_by_id == officer.id
    assert application.status == S.IN_REVIEW
    templates = db.session.scalars(select(Notification.template)).all()
    assert "document_state" in templates
    assert audit.verify_chain() == []


def test_reject_needs_a_coded_reason(case):
    officer, _application, doc = case
    with pytest.raises(InvalidInput):
        verification.reject_document(doc, "because", by=officer)
    verification.reject_document(doc, "illegible", by=officer, note="Blurred photo")
    assert doc.state == DocumentState.REJECTED and doc.reason_code == "illegible"


def test_provisional_acceptance_needs_a_note(case):
    officer, _application, doc = case
    with pytest.raises(InvalidInput):
        verification.accept_provisionally(doc, by=officer)
    verification.accept_provisionally(doc, by=officer, note="Renewal pending")
    assert doc.state == DocumentState.PROVISIONALLY_ACCEPTED


def test_eligible_refused_while_a_document_is_unchecked_or_rejected(case):
    officer, application, doc = case
    with pytest.raises(ServiceError):
        verification.mark_eligible(application, by=officer)
    verification.reject_document(doc, "expired", by=officer)
    with pytest.raises(ServiceError):
        verification.mark_eligible(application, by=officer)


def test_eligible_after_documents_checked(case):
    officer, application, doc = case
    verification.verify_document(doc, by=officer)
    verification.mark_eligible(application, by=officer)
    assert application.status == S.ELIGIBLE


def test_ineligible_needs_a_reason_the_applicant_sees(case):
    officer, application, _doc = case
    with pytest.raises(InvalidInput):
        verification.mark_ineligible(application, "  ", by=officer)
    verification.mark_ineligible(application, "Status document not valid", by=officer)
    assert application.status == S.INELIGIBLE
    assert application.ineligible_reason == "Status document not valid"


def test_return_for_more_information_names_sections(case):
    officer, application, _doc = case
    verification.start_review(application, by=officer)
    with pytest.raises(InvalidInput):
        verification.request_info(application, ["nonsense"], "x", by=officer)
    with pytest.raises(InvalidInput):
        verification.request_info(application, ["documents"], "", by=officer)
    verification.request_info(
        application, ["documents", "scores"], "Upload a clear copy", by=officer
    )
    assert application.status == S.NEEDS_INFO
    assert application.needs_info_sections == ["documents", "scores"]


def test_decisions_refused_once_decided(case):
    officer, application, doc = case
    verification.verify_document(doc, by=officer)
    verification.mark_eligible(application, by=officer)
    with pytest.raises(ServiceError):
        verification.reject_document(doc, "illegible", by=officer)
    with pytest.raises(TransitionRefused):
        verification.request_info(application, ["documents"], "again", by=officer)
