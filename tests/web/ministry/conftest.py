"""Helpers for ministry request tests: a cycle with programs, quotas and applications."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from app.extensions import db
from app.models import Application, ApplicationStatus, DocumentKind, User, utcnow


def png_bytes() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (20, 20), (10, 120, 200)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture()
def scene(app, make) -> dict[str, Any]:
    """A cycle (seed committed), two programs with one place each, applications in review."""
    cycle = make.cycle(seed_committed_at=utcnow())
    cycle_id = cycle.id
    uni = make.university(code="KAZNU")
    p1 = make.program(uni, code="KAZNU-CS")
    p2 = make.program(uni, code="KAZNU-MATH")
    program_ids = (p1.id, p2.id)
    q1 = make.quota(cycle, p1, places=1)
    quota_id = q1.id
    make.quota(cycle, p2, places=1)
    staff = make.user("university", university=uni)
    staff_id = staff.id
    review = make.application(cycle=cycle, programs=[p1, p2], score=120)
    eligible = [
        make.application(cycle=cycle, programs=[p1, p2], score=s, status=ApplicationStatus.ELIGIBLE)
        for s in (110, 100)
    ]
    with app.app_context():
        application = db.session.get(Application, review.id)
        applicant = db.session.get(User, review.applicant_id)
        from app.services import documents

        upload = FileStorage(
            io.BytesIO(png_bytes()), filename="status.png", content_type="image/png"
        )
        doc = documents.store_upload(application, DocumentKind.STATUS_PROOF, upload, by=applicant)
        application.status = ApplicationStatus.IN_REVIEW
        db.session.commit()
        doc_id = doc.id
    return {
        "cycle_id": cycle_id,
        "program_ids": program_ids,
        "quota_id": quota_id,
        "review_id": review.id,
        "eligible_ids": [a.id for a in eligible],
        "doc_id": doc_id,
        "staff_id": staff_id,
    }
