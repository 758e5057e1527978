"""The round page tells staff how the minimum share was met and what CP-SAT made of it."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import csrf_token


@pytest.fixture()
def cycle_id(app, make) -> int:
    """Two men above one woman, at least half of those placed women (one man passed over)."""
    with app.app_context():
        return int(make.passed_over_cycle(0.5).id)


@pytest.fixture()
def impossible_cycle_id(app, make) -> int:
    """The same applicants, but at least 75% women: one woman cannot be 2 of 2 placed."""
    with app.app_context():
        return int(make.passed_over_cycle(0.75).id)


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
