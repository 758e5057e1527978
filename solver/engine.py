"""Choose the method, run it, and assemble a checked Result."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from solver import minimums
from solver.checks import check_assignments
from solver.da import UNASSIGNED, LimitTable, Reserves, deferred_acceptance, serial_dictatorship
from solver.priority import Ranking, base_order, build_ranking, score_scale
from solver.problem import Problem, ProblemError, parse_problem
from solver.result import Result

SOLVER_VERSION = "1.0.0"
METHODS = ("auto", "da", "cpsat")
DA_NAME = "deferred-acceptance"
CPSAT_NAME = "cp-sat"


@dataclass(slots=True)
class Context:
    """Integer-indexed facts about a problem that every method needs."""

    problem: Problem
    capacity: list[int]
    order: tuple[list[int], list[int]]
    limits: LimitTable | None
    reserves: Reserves
    scale: int
    plain: Ranking | None = None  # the ranking without bonus, built once

    def ranking(self, bonus: int = 0, group: str | None = None) -> Ranking:
        """Build priority keys, optionally with a uniform bonus for a group."""
        if self.plain is None:
            self.plain = build_ranking(self.problem, order=self.order, scale=self.scale)
        plain = self.plain
        if not bonus:
            return plain
        return build_ranking(
            self.problem,
            bonus=bonus,
            bonus_group=group,
            order=self.order,
            scale=self.scale,
            reuse=plain,
        )


@dataclass(slots=True)
class Outcome:
    """What a method produced before checking."""

    assign: list[int]
    ranking: Ranking
    status: str
    method: str
    stats: dict[str, Any]
    messages: list[str]


def solve(
    problem: Problem | dict[str, Any],
    method: str = "auto",
    time_limit_s: float = 20.0,
    *,
    improve_minimum: bool | None = None,
) -> Result:
    """Allocate places by the published rules and attach the independent checker's verdict.

    `method="auto"` uses deferred acceptance (or serial dictatorship, its common-priority case)
    whenever that is exact, and CP-SAT otherwise; "da" refuses instances it cannot solve exactly;
    "cpsat" forces the CP-SAT model. `improve_minimum` runs CP-SAT after the fast minimum-share
    rule (default: only with method "cpsat"). `time_limit_s` caps CP-SAT in deterministic time
    (a large minimum-share search gets 0.4 of it: see `cpsat_minimum.SCALE_DETERMINISTIC_SHARE`).
    """
    if method not in METHODS:
        raise ProblemError(f"solve: method must be one of {', '.join(METHODS)}, got {method!r}")
    started = time.perf_counter()
    if isinstance(problem, dict):
        problem = parse_problem(problem)
    if problem.minimums and problem.ties != "lottery":
        raise ProblemError("minimums: a minimum share cannot be combined with admit-all ties")
    ctx = make_context(problem)
    if problem.minimums:
        improve = method == "cpsat" if improve_minimum is None else improve_minimum
        outcome = _solve_minimum(ctx, improve, time_limit_s)
    else:
        outcome = _solve_plain(ctx, method, time_limit_s)
    return _assemble(ctx, outcome, started)


def make_context(problem: Problem) -> Context:
    """Index capacities, shared limits and reserved places."""
    return Context(
        problem=problem,
        capacity=[p.capacity for p in problem.programs],
        order=base_order(problem),
        limits=limit_table(problem),
        reserves=reserve_table(problem, {}),
        scale=score_scale(problem),
    )


def limit_table(problem: Problem) -> LimitTable | None:
    """Turn the shared limits into index tables, or None when there are none."""
    lim = problem.limits
    if not lim.any():
        return None
    unis = sorted(lim.university)
    fields = sorted(lim.field)
    uni_index = {u: i for i, u in enumerate(unis)}
    field_index = {f: i for i, f in enumerate(fields)}
    return LimitTable(
        total=lim.total,
        university_of=[uni_index.get(p.university or "", -1) for p in problem.programs],
        university_cap=[lim.university[u] for u in unis],
        field_of=[field_index.get(p.field or "", -1) for p in problem.programs],
        field_cap=[lim.field[f] for f in fields],
        cost=[p.cost for p in problem.programs],
        budget=lim.budget,
    )


def reserve_table(problem: Problem, extra: dict[str, list[int]]) -> Reserves:
    """Index reserved places per program; `extra` adds places per group (minimum-share reserves)."""
    groups = sorted({g for p in problem.programs for g in p.reserved} | set(extra))
    flags: dict[str, Sequence[bool]] = {
        g: [a.in_group(g) for a in problem.applicants] for g in groups
    }
    table: Reserves = {}
    for i, prog in enumerate(problem.programs):
        places = dict(prog.reserved)
        for g, sizes in extra.items():
            places[g] = max(places.get(g, 0), sizes[i])
        entries = [(flags[g], n) for g, n in sorted(places.items()) if n > 0]
        if entries:
            table[i] = entries
    return table


def allocate(ctx: Context, ranking: Ranking, reserves: Reserves | None = None) -> list[int]:
    """Run the exact fast path: serial dictatorship for one common order, otherwise DA."""
    reserves = ctx.reserves if reserves is None else reserves
    prefs = ranking.prefs
    n = len(prefs)
    if ranking.common and not reserves:
        order = sorted(range(n), key=ranking.own.__getitem__)
        return serial_dictatorship(order, prefs, ctx.capacity, n, ctx.limits)
    if ctx.limits is not None:
        raise ProblemError(
            "limits: shared limits need one common priority order for deferred acceptance; "
            "use method 'cpsat' (reserved places with shared limits are not supported)"
        )
    return deferred_acceptance(prefs, ranking.keys, ctx.capacity, reserves)


def _needs_cpsat(ctx: Context, ranking: Ranking) -> bool:
    if ctx.problem.ties != "lottery":
        return True
    return ctx.limits is not None and not ranking.common


def _solve_plain(ctx: Context, method: str, time_limit_s: float) -> Outcome:
    ranking = ctx.ranking()
    needs = _needs_cpsat(ctx, ranking)
    if method == "da" and needs:
        raise ProblemError(
            "method: deferred acceptance is not exact here (admit-all ties, or shared limits with "
            "program-specific priorities); use method 'cpsat' or 'auto'"
        )
    if method == "cpsat" or needs:
        if ctx.reserves:
            raise ProblemError("programs: reserved places are not supported by the CP-SAT model")
        from solver import cpsat  # OR-Tools loads only when a CP-SAT model is needed

        sol = cpsat.solve_stable(ctx, ranking, time_limit_s)
        return Outcome(sol.assign, ranking, sol.status, CPSAT_NAME, sol.stats, sol.messages)
    assign = allocate(ctx, ranking)
    return Outcome(assign, ranking, "optimal", DA_NAME, {}, [])


def _solve_minimum(ctx: Context, improve: bool, time_limit_s: float) -> Outcome:
    fast = minimums.fast_rule(ctx, allocate_with(ctx))
    outcome = Outcome(fast.assign, fast.ranking, fast.status, DA_NAME, fast.stats, fast.messages)
    if not improve or fast.status == "infeasible":
        return outcome
    from solver import cpsat_minimum  # OR-Tools loads only when a CP-SAT model is needed

    better = cpsat_minimum.improve_minimum(ctx, fast, time_limit_s)
    if better is None:
        outcome.messages.append("CP-SAT does not improve minimum shares with limits or reserves")
        return outcome
    return Outcome(
        better.assign,
        fast.ranking,
        better.status,
        CPSAT_NAME,
        {**fast.stats, **better.stats},
        fast.messages,
    )


def allocate_with(ctx: Context) -> Callable[[Ranking, Reserves | None], list[int]]:
    """Bind the fast path to a context for the minimum-share search."""
    return lambda ranking, reserves: allocate(ctx, ranking, reserves)


def _assemble(ctx: Context, out: Outcome, started: float) -> Result:
    problem = ctx.problem
    assignments = {
        a.id: (problem.programs[p].id if p != UNASSIGNED else None)
        for a, p in zip(problem.applicants, out.assign, strict=True)
    }
    certificate = check_assignments(problem, assignments)
    load = [0] * len(problem.programs)
    for p in out.assign:
        if p != UNASSIGNED:
            load[p] += 1
    stats = dict(out.stats)
    stats["placed"] = sum(load)
    stats["extra_places"] = sum(max(0, n - c) for n, c in zip(load, ctx.capacity, strict=True))
    stats["applicants"] = len(problem.applicants)
    stats["programs"] = len(problem.programs)
    stats["wall_time_s"] = round(time.perf_counter() - started, 4)
    return Result(
        status=out.status,
        method=out.method,
        input_sha256=problem.input_sha256,
        solver_version=SOLVER_VERSION,
        assignments=assignments,
        cutoffs=program_cutoffs(problem, out.ranking, out.assign, load),
        certificate=certificate,
        stats=stats,
        messages=out.messages,
        exclusions=_exclusions(problem, out.ranking),
    )


def _exclusions(problem: Problem, ranking: Ranking) -> dict[str, dict[str, str]]:
    return {
        problem.applicants[a].id: {problem.programs[p].id: why for p, why in items}
        for a, items in ranking.exclusions.items()
    }


def program_cutoffs(
    problem: Problem, ranking: Ranking, assign: Sequence[int], load: Sequence[int]
) -> dict[str, dict[str, Any]]:
    """Publish each program's cutoff: the raw priority of the last regular applicant admitted."""
    favoured = {m.group for m in problem.minimums}
    groups = sorted(favoured | {g for p in problem.programs for g in p.reserved})
    worst: dict[tuple[int, str | None], tuple[int, int]] = {}
    protected = [0] * len(problem.programs)
    special = ranking.special
    scale, n, base = ranking.scale, len(ranking.base_rank), ranking.base_rank
    for a, p in enumerate(assign):
        if p == UNASSIGNED:
            continue
        if a in special and special[a][ranking.prefs[a].index(p)] < 0:
            protected[p] += 1
            continue
        app = problem.applicants[a]
        score = app.program_scores.get(problem.programs[p].id, app.score)
        raw = (-round(score * scale) * n + base[a], a)  # raw score: no bonus
        slots: list[str | None] = [g for g in groups if app.in_group(g)] if groups else []
        # Policy: with a minimum share, the general cutoff is that of the other applicants.
        if not favoured.intersection(slots):
            slots.append(None)
        for slot in slots:
            if raw > worst.get((p, slot), (-(2**62), -1)):
                worst[(p, slot)] = raw
    reserve_use = _reserved_use(problem, ranking, assign, protected)
    out: dict[str, dict[str, Any]] = {}
    for p, prog in enumerate(problem.programs):
        entry = _describe(problem, ranking, prog.id, worst.get((p, None)))
        entry.update(full=load[p] >= prog.capacity, admitted=load[p], protected=protected[p])
        if p in reserve_use:
            entry["reserved"] = reserve_use[p]
        for g in groups:
            if (p, g) in worst:
                entry.setdefault("groups", {})[g] = _describe(
                    problem, ranking, prog.id, worst[(p, g)]
                )
        out[prog.id] = entry
    return out


def _reserved_use(
    problem: Problem, ranking: Ranking, assign: Sequence[int], protected: Sequence[int]
) -> dict[int, dict[str, dict[str, int]]]:
    """Count, per program and group, reserved places used and reverted to open places.

    Policy (DESIGN §3): open places go first to everyone in priority order; the reserved places
    then go to the best remaining members of the group; the rest revert to open places.
    """
    admitted: dict[int, list[tuple[int, int]]] = {}
    for a, p in enumerate(assign):
        if p == UNASSIGNED or not problem.programs[p].reserved:
            continue
        key = ranking.key(a, ranking.prefs[a].index(p))
        if key >= 0:  # protected holders and appellants take no reserved place
            admitted.setdefault(p, []).append((key, a))
    out: dict[int, dict[str, dict[str, int]]] = {}
    for p, prog in enumerate(problem.programs):
        if not prog.reserved:
            continue
        quotas = dict(sorted(prog.reserved.items()))
        used = dict.fromkeys(quotas, 0)
        ranked = sorted(admitted.get(p, []))
        open_places = max(0, prog.capacity - sum(quotas.values()) - protected[p])
        for _key, a in ranked[open_places:]:
            member = problem.applicants[a]
            group = next((g for g in quotas if member.in_group(g) and used[g] < quotas[g]), None)
            if group is not None:
                used[group] += 1
        out[p] = {
            g: {"places": n, "used": used[g], "reverted": n - used[g]} for g, n in quotas.items()
        }
    return out


def _describe(
    problem: Problem, ranking: Ranking, pid: str, worst: tuple[int, int] | None
) -> dict[str, Any]:
    if worst is None:
        return {"score": None, "tiebreak": None, "lottery_rank": None}
    a = worst[1]
    app = problem.applicants[a]
    return {
        "applicant": app.id,
        "score": app.score_for(pid),
        "tiebreak": list(app.tiebreak),
        "lottery_rank": ranking.lottery_rank[a],
    }
