"""OR-Tools CP-SAT cutoff (score-limit) models, after Ágoston, Biró and McBride.

placed[a, i] is 1 when applicant a takes the i-th program of their eligible list. Each program
has a cutoff, written in order encoding: open[p, l] is 1 when priority level l (0 = best) is at
or above the cutoff, so open[p, l + 1] implies open[p, l]. Stability then reads: whoever is above
a cutoff gets that program or a better one; nobody below it is admitted; and a cutoff excludes
someone only when the program (or a shared limit it belongs to) is full.

Runs are deterministic: two interleaved workers, a fixed seed and a deterministic time cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from solver.da import UNASSIGNED
from solver.priority import Ranking

if TYPE_CHECKING:
    from solver.engine import Context

COST_SCALE = 1000
SEED = 20260701


@dataclass(slots=True)
class Solution:
    """An allocation found by CP-SAT with its proof status."""

    assign: list[int]
    status: str
    stats: dict[str, Any] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)


def make_solver(time_limit_s: float) -> cp_model.CpSolver:
    """Configure a reproducible solver: two interleaved workers, fixed seed, time caps.

    `time_limit_s` is a deterministic-time cap (about wall seconds on an idle machine), so the
    same input gives the same result; a wall-clock cap of three times that is only a safety net,
    and `stop_reason` says when it is what ended the search (then results may vary).
    """
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 2
    solver.parameters.interleave_search = True  # deterministic even with two workers
    solver.parameters.random_seed = SEED
    solver.parameters.max_deterministic_time = max(0.1, time_limit_s)
    solver.parameters.max_time_in_seconds = max(1.0, 3 * time_limit_s)
    return solver


def stop_reason(solver: cp_model.CpSolver, code: Any) -> str:
    """Say what ended the search: a proof, the deterministic cap, or the wall clock."""
    if code in (cp_model.OPTIMAL, cp_model.INFEASIBLE):
        return "proof"
    if solver.wall_time >= solver.parameters.max_time_in_seconds * 0.99:
        return "wall-clock cap (may differ between machines)"
    return "deterministic time cap"


class ModelBase:
    """Variables and constraints shared by both models: places, capacities, limits."""

    def __init__(self, ctx: Context, ranking: Ranking) -> None:
        self.ctx = ctx
        self.ranking = ranking
        self.model = cp_model.CpModel()
        m = self.model
        # placed[a][i]: applicant a takes the i-th program on their eligible list.
        self.placed = [
            [m.new_bool_var(f"placed_{a}_{i}") for i in range(len(pl))]
            for a, pl in enumerate(ranking.prefs)
        ]
        # Each applicant takes at most one place.
        for row in self.placed:
            if len(row) > 1:
                m.add_at_most_one(row)
        # upto[a][i]: applicant a holds their i-th choice or a better one (a running sum).
        self.upto: list[list[cp_model.IntVar]] = []
        for a, row in enumerate(self.placed):
            running = row[:1]
            for i in range(1, len(row)):
                var = m.new_bool_var(f"upto_{a}_{i}")
                m.add(var == running[-1] + row[i])
                running.append(var)
            self.upto.append(running)
        self.by_program: list[list[tuple[int, int]]] = [[] for _ in ctx.capacity]
        for a, plist in enumerate(ranking.prefs):
            for i, p in enumerate(plist):
                self.by_program[p].append((a, i))
        self.room: list[cp_model.LinearExprT] = []
        self.room_vars: dict[int, cp_model.IntVar] = {}
        self.full = [self._capacity(p) for p in range(len(ctx.capacity))]

    def assignment(self, solver: cp_model.CpSolver) -> list[int]:
        """Read each applicant's program from a solved model."""
        return read_assignment(self.ranking, self.placed, solver)

    def hint_assignment(self, assign: Sequence[int]) -> list[int]:
        """Suggest an allocation as the search's starting point (places only; CP-SAT completes
        the cutoffs and slack from them). Return each applicant's hinted choice position (the
        list length when unplaced), for models that hint more than places."""
        positions = []
        for a, row in enumerate(self.placed):
            plist = self.ranking.prefs[a]
            pos = plist.index(assign[a]) if assign[a] in plist else len(plist)
            positions.append(pos)
            for i, x in enumerate(row):
                self.model.add_hint(x, i == pos)
                if i:
                    self.model.add_hint(self.upto[a][i], pos <= i)
        return positions

    def key(self, a: int, i: int) -> int:
        return self.ranking.key(a, i)

    def at_or_above(self, a: int, i: int) -> cp_model.IntVar:
        """1 when applicant a holds their i-th choice or a better one."""
        return self.upto[a][i]

    def _capacity(self, p: int) -> cp_model.IntVar:
        """Regular places fit in what protected applicants leave; return 'program is full'."""
        m = self.model
        cap = self.ctx.capacity[p]
        regular = [self.placed[a][i] for a, i in self.by_program[p] if self.key(a, i) >= 0]
        protected = [self.placed[a][i] for a, i in self.by_program[p] if self.key(a, i) < 0]
        room: cp_model.LinearExprT = cap
        if protected:
            room_var = m.new_int_var(0, cap, f"room_{p}")
            m.add_max_equality(room_var, [0, cap - sum(protected)])
            room = room_var
            self.room_vars[p] = room_var
        self.room.append(room)
        if self.ctx.problem.ties != "admit_all":
            m.add(sum(regular) <= room)
        full = m.new_bool_var(f"full_{p}")
        m.add(sum(regular) >= room).only_enforce_if(full)
        return full


class StableModel(ModelBase):
    """Applicant-optimal stable allocation: capacity-only, shared limits, or admit-all ties."""

    def __init__(
        self, ctx: Context, ranking: Ranking, *, soft: bool, moves_within_limits: bool = True
    ) -> None:
        super().__init__(ctx, ranking)
        self.soft = soft
        self.moves_within_limits = moves_within_limits
        self.slack: list[cp_model.IntVar] = []
        self.levels = self._levels()
        self.limit_full = _SharedLimits(self) if ctx.limits is not None else None
        for p in range(len(ctx.capacity)):
            self._cutoff(p)
        self._objective()

    def _levels(self) -> list[dict[tuple[int, int], int]]:
        """Priority level of each (applicant, choice) at its program; ties share a level."""
        admit_all = self.ctx.problem.ties == "admit_all"
        n = len(self.ranking.prefs)
        tie_class = _tiebreak_classes(self.ctx) if admit_all else None
        out: list[dict[tuple[int, int], int]] = []
        for entries in self.by_program:

            def level_key(e: tuple[int, int]) -> tuple[int, int]:
                k = self.key(*e)
                if tie_class is None:
                    return (k, 0)
                return (k // n, tie_class[e[0]])

            regular = [e for e in entries if self.key(*e) >= 0]
            distinct = sorted({level_key(e) for e in regular})
            rank = {v: r for r, v in enumerate(distinct)}
            out.append({e: rank[level_key(e)] for e in regular})
        return out

    def _cutoff(self, p: int) -> None:
        m = self.model
        levels = self.levels[p]
        count = max(levels.values(), default=-1) + 1
        # open[l]: priority level l is at or above the program's cutoff.
        opened = [m.new_bool_var(f"open_{p}_{lv}") for lv in range(count)]
        for lv in range(count - 1):
            m.add_implication(opened[lv + 1], opened[lv])
        for a, i in self.by_program[p]:
            here = self.placed[a][i]
            if self.key(a, i) < 0:
                # A holder or appellant always gets this program or a better one.
                m.add(self.at_or_above(a, i) >= 1)
                continue
            lv = levels[(a, i)]
            # Nobody below the cutoff is admitted.
            m.add_implication(here, opened[lv])
            # Whoever is above the program's cutoff and its limits' cutoffs gets it or better.
            gates = (
                self.limit_full.gates(a, i, self.moves_within_limits)
                if self.limit_full is not None
                else []
            )
            self._stable(m, [opened[lv], *gates], self.at_or_above(a, i), f"{a}_{i}")
            # A cutoff excludes someone only when the program or one of its limits is full.
            self._no_waste(p, a, i, opened[lv])
        if self.ctx.problem.ties == "admit_all":
            self._ties_capacity(p, opened)

    def _stable(
        self, m: cp_model.CpModel, cond: list[cp_model.IntVar], held: Any, name: str
    ) -> None:
        if self.soft:
            slack = m.new_bool_var(f"unstable_{name}")
            self.slack.append(slack)
            m.add(held + slack >= 1).only_enforce_if(cond)
        elif len(cond) == 1:
            m.add(held >= cond[0])  # linear form: a tighter relaxation than an enforced row
        else:
            m.add(held >= 1).only_enforce_if(cond)

    def _no_waste(self, p: int, a: int, i: int, opened: cp_model.IntVar) -> None:
        m = self.model
        reasons: list[Any] = [opened, self.full[p]]
        if self.limit_full is not None:
            reasons.extend(self.limit_full.budget_blocks(p, a))
        if self.soft:
            slack = m.new_bool_var(f"waste_{a}_{i}")
            self.slack.append(slack)
            reasons.append(slack)
        holds = m.new_bool_var(f"holds_{a}_{i}")
        m.add(self.at_or_above(a, i) >= holds)
        m.add_bool_or([*reasons, holds])

    def _ties_capacity(self, p: int, opened: list[cp_model.IntVar]) -> None:
        """Policy admit_all: those strictly above the last admitted level fit in the places."""
        m = self.model
        levels = self.levels[p]
        per_level: list[list[cp_model.IntVar]] = [[] for _ in opened]
        for (a, i), lv in levels.items():
            per_level[lv].append(self.placed[a][i])
        room = self.room[p]
        above: list[cp_model.IntVar] = []
        for lv, lit in enumerate(opened):
            m.add(cp_model.LinearExpr.sum(above) <= room - 1).only_enforce_if(lit)
            above.extend(per_level[lv])

    def _objective(self) -> None:
        # Applicant-optimal: the smallest total of choice positions (unplaced counts as last).
        terms: list[Any] = []
        for row in self.placed:
            terms.extend((i - len(row) - 1) * x for i, x in enumerate(row))
        weight = sum(len(r) + 1 for r in self.placed) + 1
        self.model.minimize(sum(terms) + weight * sum(self.slack))


class _SharedLimits:
    """Upper limits over groups of programs, with 'this limit is full' literals."""

    def __init__(self, base: ModelBase) -> None:
        self.base = base
        lim = base.ctx.limits
        assert lim is not None
        m = base.model
        self.groups: list[tuple[list[int], int]] = []
        self.members: list[frozenset[int]] = []
        self.of_program: list[list[int]] = [[] for _ in base.ctx.capacity]
        if lim.total is not None:
            self._add(list(range(len(base.ctx.capacity))), lim.total)
        for table, caps in ((lim.university_of, lim.university_cap), (lim.field_of, lim.field_cap)):
            for g, cap in enumerate(caps):
                self._add([p for p, x in enumerate(table) if x == g], cap)
        self.full: list[cp_model.IntVar] = []
        for j, (programs, cap) in enumerate(self.groups):
            load = sum(base.placed[a][i] for p in programs for a, i in base.by_program[p])
            # Each shared limit holds; 'full' only when it is reached.
            m.add(load <= cap)
            full = m.new_bool_var(f"limit_full_{j}")
            m.add(load >= cap).only_enforce_if(full)
            self.full.append(full)
        self.gate: dict[tuple[int, int], list[tuple[int, cp_model.IntVar]]] = {}
        for j in range(len(self.groups)):
            self._limit_cutoff(j)
        self.cost = [round(c * COST_SCALE) for c in lim.cost]
        self.budget = None if lim.budget is None else round(lim.budget * COST_SCALE)
        if self.budget is not None:
            self.spent = sum(
                self.cost[p] * base.placed[a][i]
                for p, entries in enumerate(base.by_program)
                for a, i in entries
            )
            m.add(self.spent <= self.budget)

    def _add(self, programs: list[int], cap: int) -> None:
        j = len(self.groups)
        self.groups.append((programs, cap))
        self.members.append(frozenset(programs))
        for p in programs:
            self.of_program[p].append(j)

    def _limit_cutoff(self, j: int) -> None:
        """A shared limit has its own cutoff over everyone competing for places under it."""
        base = self.base
        m = base.model
        entries = [
            (base.key(a, i), a, i)
            for p in self.groups[j][0]
            for a, i in base.by_program[p]
            if base.key(a, i) >= 0
        ]
        keys = sorted({k for k, _, _ in entries})
        rank = {k: r for r, k in enumerate(keys)}
        # limit_open[j][l]: priority level l is at or above the limit's cutoff.
        opened = [m.new_bool_var(f"limit_open_{j}_{lv}") for lv in range(len(keys))]
        for lv in range(len(keys) - 1):
            m.add_implication(opened[lv + 1], opened[lv])
        for k, a, i in entries:
            lit = opened[rank[k]]
            m.add_implication(base.placed[a][i], lit)
            self.gate.setdefault((a, i), []).append((j, lit))
        if opened:
            # The limit's cutoff excludes someone only when the limit is reached.
            m.add_implication(opened[-1].Not(), self.full[j])

    def gates(self, a: int, i: int, moves_within: bool = True) -> list[cp_model.IntVar]:
        """Literals 'this limit does not keep applicant a from their i-th choice', one per limit.

        A full limit keeps out only those below its cutoff who hold no place under it: someone
        already placed under the limit can move up within it without changing its load (the
        checker calls anything else a wasted place). So each literal is 'above the limit's cutoff
        or placed at a worse choice under the same limit'. Without `moves_within` it is only the
        first: a relaxation used to find a starting point when no allocation meets every rule.
        """
        base = self.base
        m = base.model
        plist = base.ranking.prefs[a]
        out: list[cp_model.IntVar] = []
        for j, above in self.gate.get((a, i), []):
            members = self.members[j]
            inside = [base.placed[a][k] for k in range(i + 1, len(plist)) if plist[k] in members]
            if not inside or not moves_within:
                out.append(above)
                continue
            passes = m.new_bool_var(f"limit_pass_{j}_{a}_{i}")
            m.add_bool_or([above, *inside]).only_enforce_if(passes)
            for lit in (above, *inside):
                m.add_implication(lit, passes)
            out.append(passes)
        return out

    def budget_blocks(self, p: int, a: int) -> list[cp_model.IntVar]:
        """Literal meaning 'the budget stops applicant a from moving to program p'."""
        if self.budget is None:
            return []
        m = self.base.model
        row = self.base.placed[a]
        plist = self.base.ranking.prefs[a]
        lit = m.new_bool_var("")
        own_cost = sum(self.cost[q] * row[i] for i, q in enumerate(plist))
        m.add(self.spent - own_cost + self.cost[p] >= self.budget + 1).only_enforce_if(lit)
        return [lit]


def _tiebreak_classes(ctx: Context) -> list[int]:
    """Dense rank of tie-break values, highest first (the lottery does not split ties here)."""
    values = [tuple(-t for t in a.tiebreak) for a in ctx.problem.applicants]
    rank = {v: r for r, v in enumerate(sorted(set(values)))}
    return [rank[v] for v in values]


def read_assignment(
    ranking: Ranking, placed: list[list[cp_model.IntVar]], solver: cp_model.CpSolver
) -> list[int]:
    """Read each applicant's program index from a solved model (-1: no place)."""
    assign = [UNASSIGNED] * len(placed)
    for a, row in enumerate(placed):
        for i, x in enumerate(row):
            if solver.boolean_value(x):
                assign[a] = ranking.prefs[a][i]
    return assign


def solve_stable(ctx: Context, ranking: Ranking, time_limit_s: float) -> Solution:
    """Find the applicant-optimal stable allocation; if none exists, the least unstable one.

    The least unstable search starts from the allocation that meets every rule except moves up
    within a full shared limit (when that relaxation has one): without a start it often found
    only poor allocations within the time cap at a thousand applicants, or none at all.
    """
    for soft in (False, True):
        model = StableModel(ctx, ranking, soft=soft)
        start = _relaxed_start(ctx, ranking, time_limit_s) if soft and ctx.limits else None
        if start is not None:
            model.hint_assignment(start)
        solver = make_solver(time_limit_s)
        code = solver.solve(model.model)
        if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            solution = _stable_solution(model, solver, code, soft)
            if start is not None:
                solution.stats["cpsat_start"] = "relaxed limits"
            return solution
        if code != cp_model.INFEASIBLE:
            break
    empty = [UNASSIGNED] * len(ranking.prefs)
    why = (
        "no allocation keeps every held and guaranteed place within the shared limits"
        if code == cp_model.INFEASIBLE
        else "CP-SAT found no allocation within the time limit"
    )
    return Solution(empty, "infeasible", {}, [why])


def _relaxed_start(ctx: Context, ranking: Ranking, time_limit_s: float) -> list[int] | None:
    """Solve the rules without moves up within a full shared limit, for a starting point."""
    model = StableModel(ctx, ranking, soft=False, moves_within_limits=False)
    solver = make_solver(time_limit_s)
    code = solver.solve(model.model)
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return model.assignment(solver)
    return None


def _stable_solution(
    model: StableModel, solver: cp_model.CpSolver, code: Any, soft: bool
) -> Solution:
    unstable = sum(solver.value(s) for s in model.slack)
    stats: dict[str, Any] = {
        "cpsat_objective": solver.objective_value,
        "cpsat_bound": solver.best_objective_bound,
        "cpsat_stop": stop_reason(solver, code),
    }
    messages: list[str] = []
    if soft and code == cp_model.OPTIMAL:
        messages.append(
            f"no allocation meets every rule together; {unstable} fairness conditions could not "
            "be met (the fewest possible)"
        )
    elif soft:
        messages.append(
            "no allocation meets every rule together; the one found breaks some fairness "
            "conditions (the certificate lists them), and the search stopped at its time limit "
            "before finding the fewest"
        )
    status = "optimal" if code == cp_model.OPTIMAL and not soft else "feasible"
    if status == "feasible":
        stats["cpsat_gap"] = solver.objective_value - solver.best_objective_bound
    return Solution(model.assignment(solver), status, stats, messages)
