"""The round page tells staff how the minimum share was met and what CP-SAT made of it."""

from __future__ import annotations

from typing import Any

import pytest

from app.extensions import db
from app.models import ApplicationStatus, Cycle, Gender, utcnow
from tests.conftest import csrf_token


@pytest.fixture()
def cycle_id(app, make) -> int:
    """Two one-place programs, two men above one woman, at least half of those placed women."""
    return _cycle(app, make, 0.5)


@pytest.fixture()
def impossible_cycle_id(app, make) -> int:
    """The same applicants, but at least 75% women: one woman cannot be 2 of 2 placed."""
    return _cycle(app, make, 0.75)


def _cycle(app: Any, make: Any, share: float) -> int:
    cycle = make.cycle(seed_committed_at=utcnow(), tiebreak_chain=["unt_total"])
    cycle_id = int(cycle.id)
    uni = make.university(code="KAZNU")
    p1 = make.program(uni, code="KAZNU-CS")
    p2 = make.program(uni, code="KAZNU-MATH")
    make.quota(cycle, p1, places=1)
    make.quota(cycle, p2, places=1)
    for programs, score, gender in (
        ([p1, p2], 130, Gender.MALE),
        ([p2], 120, Gender.MALE),
        ([p2, p1], 80, Gender.FEMALE),
    ):
        make.application(
            cycle=cycle,
            programs=programs,
            score=score,
            status=ApplicationStatus.ELIGIBLE,
            gender=gender,
        )
    with app.app_context():
        row = db.session.get(Cycle, cycle_id)
        row.minimums = [{"group": "gender=F", "at_least_share": share, "rule": "bonus"}]
        db.session.commit()
    return cycle_id


def _round_page(client: Any, cycle_id: int, method: str) -> str:
    path = f"/ministry/cycles/{cycle_id}/rounds/new"
    data = {
        "csrf_token": csrf_token(client, path),
        "kind": "main",
        "mode": "dry",
        "method": method,
    }
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    return str(client.get(response.headers["Location"]).get_data(as_text=True))


def test_fast_rule_round_shows_the_share_and_the_bonus(client, login_as, cycle_id):
    login_as("ministry")
    page = _round_page(client, cycle_id, "auto")
    assert "Minimum share for women" in page
    assert "at least 50% of those placed" in page
    assert "1 woman among 2 placed (50.0%)" in page
    assert "priority bonus of" in page and "score points for women" in page
    assert "With the fast rule alone" not in page


def test_cpsat_round_shows_the_improvement_and_the_proof(client, login_as, cycle_id):
    login_as("ministry")
    page = _round_page(client, cycle_id, "cpsat")
    assert "With the fast rule alone" in page
    assert "1: proven, no allocation meeting the share passes over fewer" in page


def test_the_section_is_in_the_reader_language(client, login_as, cycle_id):
    client.get("/?lang=ru")
    login_as("ministry")
    page = _round_page(client, cycle_id, "cpsat")
    assert "Минимальная доля женщин" in page and "Только по быстрому правилу" in page
    assert "1 женщина из 2 получивших место (50,0\xa0%)" in page


def test_an_impossible_share_is_explained_in_words(client, login_as, impossible_cycle_id):
    login_as("ministry")
    page = _round_page(client, impossible_cycle_id, "auto")
    assert "No solution" in page
    assert (
        "It cannot be met: 2 of the 2 placed would have to be women, but even at the top "
        "priority only 1 woman fits her chosen programs." in page
    )
    assert "What the allocation engine reported" in page
    assert '<li lang="en" dir="ltr">at least 75% applicants with gender F needs 2' in page


def test_the_impossible_share_reads_in_dari(client, login_as, impossible_cycle_id):
    client.get("/?lang=fa_AF")
    login_as("ministry")
    page = _round_page(client, impossible_cycle_id, "auto")
    assert "It cannot be met" not in page and 'id="engine-messages"' in page
    assert '<li lang="en" dir="ltr">at least 75%' in page  # the engine's own words stay marked
