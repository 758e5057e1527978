"""Fixtures for the admissions-office request tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.extensions import db
from app.models import University
from tests.web.university.world import World, build


@pytest.fixture()
def world(make: Any) -> World:
    """Two universities with published placements, plus an unpublished round."""
    return build(make)


@pytest.fixture()
def officer_of(app: Any, login_as: Callable[..., Any]) -> Callable[[int], Any]:
    """Sign in as an officer of the university with this id."""

    def _officer(university_id: int) -> Any:
        with app.app_context():
            university = db.session.get(University, university_id)
            db.session.expunge(university)
        return login_as("university", university=university)

    return _officer
