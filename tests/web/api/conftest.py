"""Fixtures for the read-only university API: a published world and bearer tokens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from app.extensions import db
from app.models import University, User
from app.services import api_tokens
from tests.web.university.world import World, build


@pytest.fixture()
def world(make: Any) -> World:
    """Two universities with published placements, plus an unpublished round."""
    return build(make)


@pytest.fixture()
def token_for(app: Any, make: Any) -> Callable[[int], dict[str, str]]:
    """Create a token for a university; returns the Authorization header that carries it."""

    def _token(university_id: int) -> dict[str, str]:
        with app.app_context():
            university = db.session.get(University, university_id)
            db.session.expunge(university)
        officer = make.user("university", university=university)
        with app.app_context():
            _token, raw = api_tokens.create_token(
                university_id, "SIS", by=db.session.get(User, officer.id)
            )
            db.session.commit()
        return {"Authorization": f"Bearer {raw}"}

    return _token
