"""Minimum shares of a group among those placed: the fast exact rules.

Policy "bonus": the smallest uniform priority bonus for the group's members that meets the share,
found by bisection over whole score steps (the share only grows with the bonus).
Policy "reserve": each program reserves the same fraction of its places for the group (rounded
up), the smallest fraction in steps of 1/1000 that meets the share; unused reserved places revert.
Either way nobody is passed over by a lower-priority member of their own group.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from solver.da import UNASSIGNED, Reserves
from solver.priority import Ranking
from solver.problem import Minimum

if TYPE_CHECKING:
    from solver.engine import Context

Allocate = Callable[[Ranking, Reserves | None], list[int]]
RESERVE_STEPS = 1000


@dataclass(slots=True)
class FastResult:
    """A minimum-share allocation from a fast rule."""

    assign: list[int]
    ranking: Ranking
    status: str
    stats: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)
    members: list[bool] = field(default_factory=list)


def fast_rule(ctx: Context, allocate: Allocate) -> FastResult:
    """Meet the cycle's minimum share with its chosen rule, or explain why it cannot be met."""
    minimum = ctx.problem.minimums[0]
    members = [a.in_group(minimum.group) for a in ctx.problem.applicants]
    if minimum.rule == "bonus":
        result = _bonus_rule(ctx, allocate, minimum, members)
    else:
        result = _reserve_rule(ctx, allocate, minimum, members)
    result.members = members
    placed, in_group = share_counts(result.assign, members)
    result.stats.update(rule=minimum.rule, group=minimum.group, group_placed=in_group)
    result.stats["passed_over"] = passed_over(ctx, result.ranking, result.assign, members)
    if result.status == "infeasible":
        result.messages.append(infeasible_message(minimum, members, placed, in_group, ctx))
    return result


def share_counts(assign: list[int], members: list[bool]) -> tuple[int, int]:
    """Count everyone placed and the group's members placed."""
    placed = in_group = 0
    for a, p in enumerate(assign):
        if p != UNASSIGNED:
            placed += 1
            in_group += members[a]
    return placed, in_group


def meets(assign: list[int], members: list[bool], share: float) -> bool:
    """Tell whether the group's share among those placed reaches the minimum."""
    placed, in_group = share_counts(assign, members)
    return in_group * Fraction(1) >= Fraction(str(share)) * placed


def _bonus_rule(
    ctx: Context, allocate: Allocate, minimum: Minimum, members: list[bool]
) -> FastResult:
    def run(bonus: int) -> tuple[list[int], Ranking]:
        ranking = ctx.ranking(bonus, minimum.group)
        return allocate(ranking, None), ranking

    assign, ranking = run(0)
    if meets(assign, members, minimum.at_least_share):
        return FastResult(assign, ranking, "optimal", {"bonus": 0})
    high = _bonus_ceiling(ctx, ranking.scale)
    top_assign, top_ranking = run(high)
    if not meets(top_assign, members, minimum.at_least_share):
        return FastResult(top_assign, top_ranking, "infeasible", {"bonus": high / ranking.scale})
    low = 0
    best = (top_assign, top_ranking)
    while high - low > 1:
        mid = (low + high) // 2
        trial = run(mid)
        if meets(trial[0], members, minimum.at_least_share):
            high, best = mid, trial
        else:
            low = mid
    return FastResult(best[0], best[1], "optimal", {"bonus": high / ranking.scale})


def _bonus_ceiling(ctx: Context, scale: int) -> int:
    """Return a bonus that lifts every member above every non-member."""
    values = [a.score for a in ctx.problem.applicants]
    for a in ctx.problem.applicants:
        values.extend(a.program_scores.values())
    return round((max(values) - min(values)) * scale) + 1


def _reserve_rule(
    ctx: Context, allocate: Allocate, minimum: Minimum, members: list[bool]
) -> FastResult:
    from solver.engine import reserve_table

    ranking = ctx.ranking()

    def run(steps: int) -> list[int]:
        sizes = [math.ceil(p.capacity * steps / RESERVE_STEPS) for p in ctx.problem.programs]
        return allocate(ranking, reserve_table(ctx.problem, {minimum.group: sizes}))

    assign = run(0)
    if meets(assign, members, minimum.at_least_share):
        return FastResult(assign, ranking, "optimal", {"reserved_fraction": 0.0})
    top = run(RESERVE_STEPS)
    if not meets(top, members, minimum.at_least_share):
        return FastResult(top, ranking, "infeasible", {"reserved_fraction": 1.0})
    low, high, best = 0, RESERVE_STEPS, top
    while high - low > 1:
        mid = (low + high) // 2
        trial = run(mid)
        if meets(trial, members, minimum.at_least_share):
            high, best = mid, trial
        else:
            low = mid
    return FastResult(best, ranking, "optimal", {"reserved_fraction": high / RESERVE_STEPS})


def passed_over(ctx: Context, ranking: Ranking, assign: list[int], members: list[bool]) -> int:
    """Count non-members who wanted a program where a lower-priority member was admitted."""
    problem = ctx.problem
    n = len(assign)
    scale = ranking.scale
    base = ranking.base_rank

    def raw(a: int, p: int) -> int:
        score = problem.applicants[a].score_for(problem.programs[p].id)
        return -round(score * scale) * n + base[a]

    worst_member: dict[int, int] = {}
    for a, p in enumerate(assign):
        if p != UNASSIGNED and members[a]:
            worst_member[p] = max(worst_member.get(p, -(2**62)), raw(a, p))
    count = 0
    for a, plist in enumerate(ranking.prefs):
        if members[a]:
            continue
        for p in plist:
            if p == assign[a]:
                break
            if p in worst_member and raw(a, p) < worst_member[p]:
                count += 1
                break
    return count


def infeasible_message(
    minimum: Minimum, members: list[bool], placed: int, in_group: int, ctx: Context
) -> str:
    """Say in plain words why the minimum share cannot be met."""
    share = minimum.at_least_share
    key, _, value = minimum.group.partition("=")
    label = f"applicants with {key} {value}"
    needed = math.ceil(share * placed - 1e-9)
    floors = {p.id: p.min_score for p in ctx.problem.programs}
    eligible = sum(
        1
        for a, app in enumerate(ctx.problem.applicants)
        if members[a]
        and any(floors[p] is None or app.score_for(p) >= (floors[p] or 0) for p in app.preferences)
    )
    head = f"at least {share:.0%} {label} needs {needed} of them placed among {placed}"
    if eligible < needed:
        return f"{head}; only {eligible} eligible {label} applied"
    return f"{head}; even at top priority only {in_group} of them fit their chosen programs"
