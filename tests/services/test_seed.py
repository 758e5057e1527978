"""Demo data: real universities, 40+ programs, staff for every role, 60+ applicants."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Application, Program, University, User, UserRole
from app.services import seed


def test_seed_demo_is_complete_and_idempotent(app_ctx):
    seed.seed_demo()
    db.session.commit()
    seed.seed_demo()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(University)) >= 12
    assert db.session.scalar(select(func.count()).select_from(Program)) >= 40
    roles = set(db.session.scalars(select(User.role)))
    assert roles == set(UserRole)
    statuses = set(db.session.scalars(select(Application.status)))
    assert db.session.scalar(select(func.count()).select_from(Application)) >= 60
    assert len(statuses) >= 6
    assert not seed.is_empty()
