"""Applicant-proposing deferred acceptance and its common-priority special case.

Every routine works on integer indices: `prefs[a]` lists the eligible programs of applicant `a`
in preference order and `keys[a][i]` is a's priority key at `prefs[a][i]` (lower is better,
negative means protected: a holder or an appellant at that program, never rejected there).
Running time is linear in the total length of the lists (times a heap logarithm).
"""

from __future__ import annotations

import bisect
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
    fast = _single_group_programs(prefs, keys, reserves)
    quick = {p: ReservePool(capacity[p], reserves[p][0], n) for p in fast}
    pools: dict[int, list[tuple[int, int]]] = {p: [] for p in reserves if p not in fast}
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
            if p in quick:
                taken, out = quick[p].propose(k * n + a)
                outs = [out] if out != UNASSIGNED else []
            elif p in pools:
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


def _single_group_programs(
    prefs: Sequence[Sequence[int]], keys: Sequence[Sequence[int]], reserves: Reserves
) -> set[int]:
    """Programs whose reserve choice has the fast form: one group and no protected applicant."""
    if not reserves:
        return set()
    protected = {
        p
        for plist, klist in zip(prefs, keys, strict=True)
        for p, k in zip(plist, klist, strict=True)
        if k < 0
    }
    return {p for p, groups in reserves.items() if len(groups) == 1 and p not in protected}


class ReservePool:
    """Reserve choice for one group in O(log places) per proposal.

    Open places hold the best `cap - reserved` offers (a max-heap); the other offers wait in two
    max-heaps, group members and the rest. With one offer too many, the open-first policy rejects
    the lowest-priority non-member outside the open places, or the lowest member if none is left.
    """

    __slots__ = ("members", "n", "open", "open_places", "reserved", "rest_in", "rest_out")

    def __init__(self, cap: int, group: tuple[Sequence[bool], int], n: int) -> None:
        self.members, self.reserved = group[0], group[1]
        self.open_places = cap - self.reserved
        self.n = n
        self.open: list[int] = []
        self.rest_in: list[int] = []
        self.rest_out: list[int] = []

    def propose(self, code: int) -> tuple[bool, int]:
        """Offer `key * n + applicant`; return (taken, applicant rejected or UNASSIGNED)."""
        if len(self.open) < self.open_places:
            heapq.heappush(self.open, -code)
            return True, UNASSIGNED
        moved = code
        if self.open and code < -self.open[0]:
            moved = -heapq.heapreplace(self.open, -code)
        side = self.rest_in if self.members[moved % self.n] else self.rest_out
        heapq.heappush(side, -moved)
        if len(self.rest_in) + len(self.rest_out) <= self.reserved:
            return True, UNASSIGNED
        out = -heapq.heappop(self.rest_out if self.rest_out else self.rest_in)
        if out == code:
            return False, UNASSIGNED
        return True, out % self.n


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
    bisect.insort(pool, offer)  # the pool stays sorted by priority
    if len(pool) <= cap:  # everyone fits: open, reserved and reverted places cover them all
        return True, []
    key, a = offer
    if pool[-1] == offer and key >= 0 and not any(members[a] for members, _ in reserved):
        pool.pop()  # the lowest priority and in no reserved group: no place can be theirs
        return False, []
    keep = choose_with_reserves(pool, cap, reserved)
    left = [x for x, kept in zip(pool, keep, strict=True) if not kept]
    pool[:] = [x for x, kept in zip(pool, keep, strict=True) if kept]
    return offer not in left, [x[1] for x in left if x != offer]


def choose_with_reserves(
    ranked: Sequence[tuple[int, int]], cap: int, reserved: list[tuple[Sequence[bool], int]]
) -> list[bool]:
    """Choose from (key, applicant) offers sorted by key: open, then reserved, then reverted.

    Policy "minimum guarantee": open places go to everyone in priority order first; then each
    group's reserved places go to its best remaining members; reserved places left empty revert
    to open places. Protected offers (negative keys) are taken first, using open places first.
    Returns one flag per offer: kept or not.
    """
    keep = [key < 0 for key, _ in ranked]
    protected = sum(keep)
    quotas = [r for _, r in reserved]
    open_places = cap - sum(quotas) - protected
    overflow = max(0, -open_places)
    for j, quota in enumerate(quotas):
        cut = min(overflow, quota)
        quotas[j] -= cut
        overflow -= cut
    taken = protected
    for k in range(protected, len(ranked)):
        if open_places <= 0:
            break
        keep[k] = True
        open_places -= 1
        taken += 1
    for (members, _), quota in zip(reserved, quotas, strict=True):
        for k, (_, a) in enumerate(ranked):
            if quota <= 0:
                break
            if not keep[k] and members[a]:
                keep[k] = True
                quota -= 1
                taken += 1
    for k in range(len(ranked)):
        if taken >= cap:
            break
        if not keep[k]:
            keep[k] = True
            taken += 1
    return keep
