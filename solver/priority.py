"""Priority keys: one integer per (applicant, choice), lower is better.

Policy: program score highest first, then each tie-break value highest first, then the published
lottery `int(sha256(f"{seed}:{applicant_id}").hexdigest(), 16)` lowest first. A holder is top
priority at the program held; an appellant comes right after the holders at the guaranteed program.
Both are "protected" there (negative keys): they are never rejected from that program.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from solver.problem import Applicant, Problem

MAX_DECIMALS = 6


@dataclass(slots=True)
class Ranking:
    """Integer-indexed view of a problem: eligible choice lists and their priority keys."""

    prefs: list[list[int]]
    keys: list[list[int]]
    base_rank: list[int]
    lottery_rank: list[int]
    common: bool
    scale: int
    exclusions: dict[int, list[tuple[int, str]]]


def lottery_digests(problem: Problem) -> list[bytes]:
    """Return each applicant's lottery as big-endian bytes (same order as the published integer)."""
    seed = problem.seed
    return [hashlib.sha256(f"{seed}:{a.id}".encode()).digest() for a in problem.applicants]


def score_scale(problem: Problem) -> int:
    """Find the power of ten that makes every score an integer, so bonuses compare exactly."""
    values: set[float] = set()
    for a in problem.applicants:
        values.add(a.score)
        values.update(a.program_scores.values())
    for decimals in range(MAX_DECIMALS + 1):
        scale: int = 10**decimals
        if all(abs(v * scale - round(v * scale)) < 1e-6 for v in values):
            return scale
    fallback: int = 10**MAX_DECIMALS
    return fallback


def base_order(problem: Problem) -> tuple[list[int], list[int]]:
    """Rank applicants by tie-break values (highest first) then lottery (lowest first)."""
    digests = lottery_digests(problem)
    n = len(digests)
    lottery_order = sorted(range(n), key=digests.__getitem__)
    lottery_rank = [0] * n
    for rank, a in enumerate(lottery_order):
        lottery_rank[a] = rank
    applicants = problem.applicants
    if applicants and applicants[0].tiebreak:
        order = sorted(
            range(n),
            key=lambda a: (tuple(-t for t in applicants[a].tiebreak), lottery_rank[a]),
        )
    else:
        order = lottery_order
    base = [0] * n
    for rank, a in enumerate(order):
        base[a] = rank
    return base, lottery_rank


def build_ranking(
    problem: Problem,
    *,
    bonus: int = 0,
    bonus_group: str | None = None,
    order: tuple[list[int], list[int]] | None = None,
) -> Ranking:
    """Compute eligible choice lists and priority keys, with an optional uniform group bonus."""
    base, lottery_rank = order if order is not None else base_order(problem)
    scale = score_scale(problem)
    index = problem.program_index()
    min_scores = [p.min_score for p in problem.programs]
    applicants = problem.applicants
    favoured = _members(applicants, bonus_group) if bonus and bonus_group else None
    scaled = _scaled_scores(applicants, scale, bonus, favoured)
    ranks = {v: r for r, v in enumerate(sorted(set(_all_values(scaled)), reverse=True))}
    n = len(applicants)
    big = (len(ranks) + 1) * n
    common = True
    prefs: list[list[int]] = []
    keys: list[list[int]] = []
    exclusions: dict[int, list[tuple[int, str]]] = {}
    for a, app in enumerate(applicants):
        own, specific = scaled[a]
        plist, klist, excluded = _choices(app, index, min_scores, own, specific, ranks, n, base[a])
        if excluded:
            exclusions[a] = excluded
        if specific or app.held is not None or app.guaranteed is not None:
            common = False
            _protect(app, index, plist, klist, big)
        prefs.append(plist)
        keys.append(klist)
    if any(p.reserved for p in problem.programs) or problem.ties != "lottery":
        common = False
    return Ranking(prefs, keys, base, lottery_rank, common, scale, exclusions)


def _members(applicants: Sequence[Applicant], group: str) -> list[bool]:
    return [a.in_group(group) for a in applicants]


def _scaled_scores(
    applicants: Sequence[Applicant], scale: int, bonus: int, favoured: list[bool] | None
) -> list[tuple[int, dict[str, int]]]:
    out: list[tuple[int, dict[str, int]]] = []
    for a, app in enumerate(applicants):
        extra = bonus if favoured is not None and favoured[a] else 0
        own = round(app.score * scale) + extra
        specific = {
            pid: round(s * scale) + extra
            for pid, s in app.program_scores.items()
            if round(s * scale) + extra != own
        }
        out.append((own, specific))
    return out


def _all_values(scaled: list[tuple[int, dict[str, int]]]) -> list[int]:
    values = [own for own, _ in scaled]
    for _, specific in scaled:
        values.extend(specific.values())
    return values


def _choices(
    app: Applicant,
    index: dict[str, int],
    min_scores: list[float | None],
    own: int,
    specific: dict[str, int],
    ranks: dict[int, int],
    n: int,
    base: int,
) -> tuple[list[int], list[int], list[tuple[int, str]]]:
    """Keep eligible programs up to the held or guaranteed one; record every exclusion."""
    own_key = ranks[own] * n + base
    plist: list[int] = []
    klist: list[int] = []
    excluded: list[tuple[int, str]] = []
    stop = app.held or app.guaranteed
    for pid in app.preferences:
        p = index[pid]
        floor = min_scores[p]
        if pid != stop and floor is not None and app.score_for(pid) < floor:
            excluded.append((p, "below_min_score"))
        else:
            plist.append(p)
            klist.append(ranks[specific[pid]] * n + base if pid in specific else own_key)
        if pid == stop:
            break
    if stop is not None:
        tail = app.preferences[app.preferences.index(stop) + 1 :]
        excluded.extend((index[pid], "below_held_or_guaranteed_program") for pid in tail)
    return plist, klist, excluded


def _protect(
    app: Applicant, index: dict[str, int], plist: list[int], klist: list[int], big: int
) -> None:
    """Give the holder top priority (appellant next) at the held (guaranteed) program."""
    target = app.held or app.guaranteed
    if target is None:
        return
    # The held or guaranteed program stays eligible whatever its minimum score.
    i = plist.index(index[target])
    klist[i] -= 2 * big if app.held is not None else big
