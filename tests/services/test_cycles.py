"""Cycle set-up: create, edit, seed commitment, stages and the rules lock."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.models import CycleStatus, utcnow
from app.services import audit, cycles
from app.services.errors import InvalidInput, ServiceError


def _data(**kw):
    now = utcnow()
    base = dict(
        name="2027/28",
        application_opens_at=now,
        application_closes_at=now + timedelta(days=30),
        score_formula=cycles.parse_formula("unt_total=1, gpa=10"),
        tiebreak_chain=["unt_math"],
        eligibility_rules={"protection_statuses": ["refugee"], "require_secondary_school": True},
    )
    base.update(kw)
    return cycles.CycleData(**base)


def test_create_cycle_is_a_draft_with_its_rules(app_ctx, make):
    officer = make.user("ministry")
    cycle = cycles.create_cycle(_data(), by=officer)
    assert cycle.status == CycleStatus.DRAFT
    assert cycle.score_formula["components"] == {"unt_total": 1.0, "gpa": 10.0}
    assert cycle.tiebreak_chain == ["unt_math"]
    assert audit.verify_chain() == []


def test_create_refuses_empty_window_and_duplicate_name(app_ctx, make):
    officer = make.user("ministry")
    now = utcnow()
    with pytest.raises(InvalidInput):
        cycles.create_cycle(_data(application_closes_at=now - timedelta(days=1)), by=officer)
    make.cycle(name="taken")
    with pytest.raises(InvalidInput):
        cycles.create_cycle(_data(name="taken"), by=officer)


@pytest.mark.parametrize("text", ["", "unt_total", "unt_total=x", "a b=1", "x=-1"])
def test_formula_refuses_bad_text(app_ctx, text):
    with pytest.raises(InvalidInput):
        cycles.parse_formula(text)


def test_chain_refuses_duplicates(app_ctx):
    assert cycles.parse_chain("unt_math, gpa") == ["unt_math", "gpa"]
    with pytest.raises(InvalidInput):
        cycles.parse_chain("gpa, gpa")


def test_seed_is_committed_once(app_ctx, make):
    officer = make.user("ministry")
    cycle = make.cycle(lottery_seed=None)
    cycles.commit_seed(cycle, 12345, by=officer)
    assert cycle.lottery_seed == 12345 and cycle.seed_committed_at is not None
    with pytest.raises(ServiceError):
        cycles.commit_seed(cycle, 999, by=officer)
    assert cycle.lottery_seed == 12345


def test_random_seed_when_none_given(app_ctx, make):
    cycle = make.cycle(lottery_seed=None)
    cycles.commit_seed(cycle, None, by=make.user("ministry"))
    assert cycle.lottery_seed is not None


def test_rules_lock_refuses_rule_changes_but_not_the_window(app_ctx, make):
    officer = make.user("ministry")
    cycle = cycles.create_cycle(_data(), by=officer)
    assert cycles.lock_rules(cycle, by=officer) is True
    assert cycles.lock_rules(cycle, by=officer) is False
    with pytest.raises(cycles.RulesLocked):
        cycles.update_cycle(cycle, _data(max_choices=3), by=officer)
    later = cycle.application_closes_at + timedelta(days=2)
    cycles.update_cycle(cycle, _data(application_closes_at=later), by=officer)
    assert cycle.application_closes_at == later
    with pytest.raises(ServiceError):
        cycles.commit_seed(cycle, 5, by=officer)


def test_stages_follow_the_order(app_ctx, make):
    officer = make.user("ministry")
    cycle = make.cycle(status=CycleStatus.DRAFT)
    for to in (CycleStatus.OPEN, CycleStatus.CLOSED, CycleStatus.ALLOCATING, CycleStatus.FINISHED):
        cycles.set_status(cycle, to, by=officer)
    with pytest.raises(ServiceError):
        cycles.set_status(cycle, CycleStatus.OPEN, by=officer)


def test_locked_cycle_window_edit_keeps_rules_from_the_form(app_ctx, make):
    officer = make.user("ministry")
    cycle = make.cycle(eligibility_rules={"protection_statuses": ["refugee"], "extra": 1})
    cycles.lock_rules(cycle, by=officer)
    same = _data(
        name=cycle.name,
        score_formula=cycles.parse_formula(cycles.format_formula(cycle.score_formula)),
        tiebreak_chain=list(cycle.tiebreak_chain),
        eligibility_rules={"protection_statuses": ["refugee"]},
    )
    cycles.update_cycle(cycle, same, by=officer)
    assert cycle.eligibility_rules["extra"] == 1
