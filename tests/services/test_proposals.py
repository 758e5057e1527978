"""Universities propose next cycle's places; only the ministry approves them."""

from __future__ import annotations

import pytest

from app.models import CycleStatus, utcnow
from app.services import proposals
from app.services.errors import InvalidInput, NotFound, PermissionDenied


@pytest.fixture()
def setup(app_ctx, make):
    officer = make.user("university")
    program = make.program(officer.university)
    cycle = make.cycle(status=CycleStatus.DRAFT)
    return officer, program, cycle


def test_propose_then_ministry_approves_an_edited_number(setup, make):
    officer, program, cycle = setup
    assert proposals.proposal_cycle() is cycle
    quota = proposals.propose_places(program, cycle, 5, by=officer)
    assert (quota.places, quota.proposed_places) == (0, 5)
    assert proposals.pending_proposals(cycle) == [quota]
    proposals.approve_proposal(quota, 4, by=make.user("ministry"))
    assert (quota.places, quota.proposed_places) == (4, None)
    assert proposals.pending_proposals(cycle) == []


def test_officer_cannot_approve(setup):
    officer, program, cycle = setup
    quota = proposals.propose_places(program, cycle, 5, by=officer)
    with pytest.raises(PermissionDenied):
        proposals.approve_proposal(quota, 5, by=officer)


def test_another_universitys_program_is_not_found(setup, make):
    officer, _program, cycle = setup
    with pytest.raises(NotFound):
        proposals.propose_places(make.program(), cycle, 3, by=officer)


def test_places_are_fixed_once_rules_lock(setup, make):
    officer, program, cycle = setup
    quota = proposals.propose_places(program, cycle, 5, by=officer)
    cycle.rules_locked_at = utcnow()
    assert proposals.proposal_cycle() is None
    with pytest.raises(proposals.ProposalsClosed):
        proposals.propose_places(program, cycle, 6, by=officer)
    with pytest.raises(proposals.ProposalsClosed):
        proposals.approve_proposal(quota, 5, by=make.user("ministry"))


@pytest.mark.parametrize("places", [-1, proposals.MAX_PLACES + 1])
def test_out_of_range_numbers_are_refused(setup, places):
    officer, program, cycle = setup
    with pytest.raises(InvalidInput):
        proposals.propose_places(program, cycle, places, by=officer)
