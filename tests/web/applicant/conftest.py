"""Helpers for applicant request tests: an open cycle with programs, and a signed-in applicant."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from app.extensions import db
from app.models import Application, Cycle, Program, User
from tests.conftest import csrf_token


def jpeg_bytes(size: tuple[int, int] = (40, 30)) -> bytes:
    """Return a small real JPEG with EXIF data (a GPS-like tag) to prove it is stripped."""
    image = Image.new("RGB", size, (200, 50, 50))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (43.0, 15.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def pdf_bytes(extra: bytes = b"") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R " + extra + b">>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n"
        b"%%EOF\n"
    )


@pytest.fixture()
def world(make: Any) -> dict[str, Any]:
    """An open cycle with three programs that have quota places, and one without."""
    cycle = make.cycle(max_choices=3)
    uni = make.university(city="Almaty")
    uni2 = make.university(city="Astana")
    programs = [
        make.program(uni, name_en="Computer Science", language="en"),
        make.program(uni, name_en="Medicine", field_group="MED"),
        make.program(uni2, name_en="Civil Engineering", field_group="ENG"),
    ]
    ids = (cycle.id, [p.id for p in programs])
    for p in programs:
        make.quota(cycle, p, places=2)
    no_quota = make.program(uni2, name_en="Astronomy")
    return {
        "cycle": _fresh(make.app, Cycle, ids[0]),
        "programs": [_fresh(make.app, Program, i) for i in ids[1]],
        "no_quota": no_quota,
    }


def _fresh(app: Any, model: Any, obj_id: int) -> Any:
    """Reload a factory object whose columns expired when a later factory call reused it."""
    with app.app_context():
        obj = db.session.get(model, obj_id)
        db.session.expunge(obj)
        return obj


def post(client: Any, path: str, data: dict[str, Any], page: str | None = None, **kw: Any) -> Any:
    """POST a form with a CSRF token read from `page` (default: the same path)."""
    payload = dict(data)
    payload["csrf_token"] = csrf_token(client, page or path)
    return client.post(path, data=payload, **kw)


def load(app: Any, application_id: int) -> Application:
    with app.app_context():
        application = db.session.get(Application, application_id)
        assert application is not None
        db.session.expunge(application)
        return application


def application_of(app: Any, user: User) -> Application | None:
    from sqlalchemy import select

    with app.app_context():
        found = db.session.scalar(select(Application).where(Application.applicant_id == user.id))
        if found is not None:
            db.session.expunge(found)
        return found
