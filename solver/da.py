"""Applicant-proposing deferred acceptance and its common-priority special case.

Every routine works on integer indices: `prefs[a]` lists the eligible programs of applicant `a`
in preference order and `keys[a][i]` is a's priority key at `prefs[a][i]` (lower is better,
negative means protected: a holder or an appellant at that program, never rejected there).
Running time is linear in the total length of the lists (times a heap logarithm).
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass

UNASSIGNED = -1

# A program's reserved places: (membership flag per applicant, number of places), by group name.
Reserves = dict[int, list[tuple[Sequence[bool], int]]]


@dataclass(slots=True)
class LimitTable:
    """Shared upper limits over programs, as integer indices."""

    total: int | None
    university_of: list[int]  # -1 when the program has no university limit
    university_cap: list[int]
    field_of: list[int]
    field_cap: list[int]
    cost: list[float]
    budget: float | None


def serial_dictatorship(
    order: Sequence[int],
    prefs: Sequence[Sequence[int]],
    capacity: Sequence[int],
    n_applicants: int,
    limits: LimitTable | None = None,
) -> list[int]:
    """Let each applicant in priority order take the best program whose limits all have room."""
    assign = [UNASSIGNED] * n_applicants
    load = [0] * len(capacity)
    if limits is None:
        room = list(capacity)
        for a in order:
            for p in prefs[a]:
                if room[p] > 0:
                    room[p] -= 1
                    assign[a] = p
                    break
        return assign
    usage = _Usage(limits)
    for a in order:
        for p in prefs[a]:
            if load[p] < capacity[p] and usage.has_room(p):
                load[p] += 1
                usage.take(p)
                assign[a] = p
                break
    return assign


class _Usage:
    """Running totals against the shared limits."""

    __slots__ = ("limits", "total", "university", "field", "spent")

    def __init__(self, limits: LimitTable) -> None:
        self.limits = limits
        self.total = 0
        self.university = [0] * len(limits.university_cap)
        self.field = [0] * len(limits.field_cap)
        self.spent = 0.0

    def has_room(self, p: int) -> bool:
        lim = self.limits
        if lim.total is not None and self.total >= lim.total:
            return False
        u = lim.university_of[p]
        if u >= 0 and self.university[u] >= lim.university_cap[u]:
            return False
        f = lim.field_of[p]
        if f >= 0 and self.field[f] >= lim.field_cap[f]:
            return False
        return lim.budget is None or self.spent + lim.cost[p] <= lim.budget + 1e-9

    def take(self, p: int) -> None:
        lim = self.limits
        self.total += 1
        if lim.university_of[p] >= 0:
            self.university[lim.university_of[p]] += 1
        if lim.field_of[p] >= 0:
            self.field[lim.field_of[p]] += 1
        self.spent += lim.cost[p]


def deferred_acceptance(
    prefs: Sequence[Sequence[int]],
    keys: Sequence[Sequence[int]],
    capacity: Sequence[int],
    reserves: Reserves | None = None,
) -> list[int]:
    """Run applicant-proposing deferred acceptance with program-specific priorities."""
    n = len(prefs)
    reserves = reserves or {}
    assign = [UNASSIGNED] * n
    nxt = [0] * n
    heaps: list[list[int]] = [[] for _ in capacity]  # -(key * n + a): worst admitted on top
    pools: dict[int, list[tuple[int, int]]] = {p: [] for p in reserves}
    free = list(range(n - 1, -1, -1))
    while free:
        a = free.pop()
        plist = prefs[a]
        klist = keys[a]
        i = nxt[a]
        while i < len(plist):
            p = plist[i]
            k = klist[i]
            i += 1
            if p in pools:
                taken, outs = _propose_reserved(pools[p], (k, a), capacity[p], reserves[p])
            else:
                taken, out = _propose(heaps[p], k * n + a, capacity[p], n)
                outs = [out] if out != UNASSIGNED else []
            if taken:
                assign[a] = p
                for b in outs:
                    assign[b] = UNASSIGNED
                    free.append(b)
                break
        nxt[a] = i
    return assign


def _propose(heap: list[int], code: int, cap: int, n: int) -> tuple[bool, int]:
    """Apply a capacity choice: keep the best `cap`, and every protected proposer."""
    if len(heap) < cap:
        heapq.heappush(heap, -code)
        return True, UNASSIGNED
    worst = -heap[0] if heap else -1
    if heap and worst >= 0 and code < worst:
        out = -heapq.heapreplace(heap, -code)
        return True, out % n
    if code < 0:  # protected: an extra (supernumerary) place
        heapq.heappush(heap, -code)
        return True, UNASSIGNED
    return False, UNASSIGNED


def _propose_reserved(
    pool: list[tuple[int, int]],
    offer: tuple[int, int],
    cap: int,
    reserved: list[tuple[Sequence[bool], int]],
) -> tuple[bool, list[int]]:
    """Re-run the reserve choice on the held offers plus the new one; reject those left out."""
    pool.append(offer)
    chosen = choose_with_reserves(pool, cap, reserved)
    left = [x for x in pool if x not in chosen]
    pool[:] = [x for x in pool if x in chosen]
    return offer in chosen, [x[1] for x in left if x != offer]


def choose_with_reserves(
    pool: Sequence[tuple[int, int]], cap: int, reserved: list[tuple[Sequence[bool], int]]
) -> set[tuple[int, int]]:
    """Choose from (key, applicant) offers: open places, then reserved, then reverted places.

    Policy "minimum guarantee": open places go to everyone in priority order first; then each
    group's reserved places go to its best remaining members; reserved places left empty revert
    to open places. Protected offers (negative keys) are taken first, using open places first.
    """
    ranked = sorted(pool)
    protected = [x for x in ranked if x[0] < 0]
    chosen = set(protected)
    rest = [x for x in ranked if x[0] >= 0]
    total_reserved = sum(r for _, r in reserved)
    open_places = cap - total_reserved - len(protected)
    quotas = [r for _, r in reserved]
    overflow = max(0, -open_places)
    for j in range(len(quotas)):
        cut = min(overflow, quotas[j])
        quotas[j] -= cut
        overflow -= cut
    chosen.update(rest[: max(0, open_places)])
    rest = rest[max(0, open_places) :]
    for (members, _), quota in zip(reserved, quotas, strict=True):
        picked = [x for x in rest if members[x[1]]][:quota]
        chosen.update(picked)
        rest = [x for x in rest if x not in chosen]
    remaining = max(0, cap - len(chosen))
    chosen.update(rest[:remaining])
    return chosen
