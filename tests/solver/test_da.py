"""The fast reserve choice (heaps) agrees with the plain one (re-run on every proposal)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from solver.da import UNASSIGNED, ReservePool, _propose_reserved


@settings(max_examples=150, deadline=None, database=None, derandomize=True)
@given(
    st.integers(0, 6),
    st.integers(0, 6),
    st.lists(st.tuples(st.integers(0, 9), st.booleans()), min_size=1, max_size=14),
)
def test_fast_reserve_pool_matches_plain_choice(cap: int, reserved: int, offers: list) -> None:
    reserved = min(reserved, cap)
    n = len(offers)
    members = [member for _, member in offers]
    quick = ReservePool(cap, (members, reserved), n)
    pool: list[tuple[int, int]] = []
    for a, (score, _) in enumerate(offers):
        key = score * n + a  # distinct keys, as in deferred acceptance
        taken, out = quick.propose(key * n + a)
        plain_taken, plain_out = _propose_reserved(pool, (key, a), cap, [(members, reserved)])
        assert taken == plain_taken
        assert ([out] if out != UNASSIGNED else []) == plain_out
