"""OR-Tools CP-SAT model for minimum shares: two cutoffs per program, fewest passed over.

Policy: nobody is passed over by a lower-priority member of their own side; members of the
favoured group are never passed over by anyone of lower priority; the group's cutoff at a program
is never stricter than the general one. Within those rules, the model minimises the number of
applicants passed over by a lower-priority group member, starting from the fast rule's allocation.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from solver.cpsat import ModelBase, Solution, make_solver, stop_reason
from solver.da import UNASSIGNED

if TYPE_CHECKING:
    from solver.engine import Context
    from solver.minimums import FastResult


class MinimumModel(ModelBase):
    """Minimum share with two cutoffs per program (general and group), fewest passed over."""

    def __init__(self, ctx: Context, fast: FastResult, share: float) -> None:
        super().__init__(ctx, fast.ranking)
        self.members = fast.members
        n = len(self.members)
        scale = fast.ranking.scale
        base = fast.ranking.base_rank
        problem = ctx.problem
        self.raw = [
            [
                -round(problem.applicants[a].score_for(problem.programs[p].id) * scale) * n
                + base[a]
                for p in plist
            ]
            for a, plist in enumerate(fast.ranking.prefs)
        ]
        self.passed = [self.model.new_bool_var(f"passed_{a}") for a in range(n)]
        self.below: list[list[cp_model.IntVar]] = []
        self._hinted: dict[int, bool] = {}
        self.below_counts: list[list[cp_model.IntVar]] = []
        self.links: list[tuple[int, int, cp_model.IntVar]] = []
        self.opened: list[dict[bool, list[cp_model.IntVar]]] = []
        self.sides: list[dict[bool, list[tuple[int, int]]]] = []
        for p in range(len(ctx.capacity)):
            self._cutoffs(p)
        self._share(share)
        self.model.minimize(sum(self.passed))

    def _cutoffs(self, p: int) -> None:
        m = self.model
        regular = [(a, i) for a, i in self.by_program[p] if self.key(a, i) >= 0]
        sides = {
            s: sorted(
                (e for e in regular if self.members[e[0]] == s), key=lambda e: self.raw[e[0]][e[1]]
            )
            for s in (True, False)
        }
        # open[side][k]: the k-th best of that side is at or above that side's cutoff.
        opened = {
            s: [m.new_bool_var(f"open_{p}_{int(s)}_{k}") for k in range(len(sides[s]))]
            for s in (True, False)
        }
        self.opened.append(opened)
        self.sides.append(sides)
        for s in (True, False):
            lits = opened[s]
            for k in range(len(lits) - 1):
                m.add_implication(lits[k + 1], lits[k])
            for k, (a, i) in enumerate(sides[s]):
                m.add_implication(self.placed[a][i], lits[k])
                m.add(self.at_or_above(a, i) >= lits[k])  # linear form: a tighter relaxation
            if lits:
                # A cutoff excludes someone only when the program is full.
                m.add_implication(lits[-1].Not(), self.full[p])
        for a, i in self.by_program[p]:
            if self.key(a, i) < 0:
                m.add(self.at_or_above(a, i) >= 1)
        self._lenient(p, sides, opened)

    def _lenient(
        self,
        p: int,
        sides: dict[bool, list[tuple[int, int]]],
        opened: dict[bool, list[cp_model.IntVar]],
    ) -> None:
        """The group cutoff is never stricter than the general one; count the passed over."""
        m = self.model
        member_keys = [self.raw[a][i] for a, i in sides[True]]
        # admitted_below[k]: some member at position k or lower in priority is admitted here.
        admitted_below = [m.new_bool_var(f"member_below_{p}_{k}") for k in member_keys]
        self.below.append(admitted_below)
        # below_count[k]: how many members at position k or lower are admitted here.
        cap = self.ctx.capacity[p]
        below_count: list[cp_model.IntVar] = [m.new_int_var(0, cap, "") for _ in member_keys]
        for k, (a, i) in enumerate(sides[True]):
            after = below_count[k + 1] if k + 1 < len(below_count) else 0
            m.add(below_count[k] == after + self.placed[a][i])
        self.below_counts.append(below_count)
        for k, (a, i) in enumerate(sides[True]):
            m.add_implication(self.placed[a][i], admitted_below[k])
            if k + 1 < len(admitted_below):
                m.add_implication(admitted_below[k + 1], admitted_below[k])
        j = 0
        for k, (a, i) in enumerate(sides[False]):
            key = self.raw[a][i]
            while j < len(member_keys) and member_keys[j] < key:
                j += 1
            if j > 0:
                m.add_implication(opened[False][k], opened[True][j - 1])
            if j < len(member_keys):
                # Passed over: a lower-priority member is admitted here while a is not.
                m.add(self.at_or_above(a, i) + self.passed[a] >= admitted_below[j])
                m.add(cap * (self.at_or_above(a, i) + self.passed[a]) >= below_count[j])
                self.links.append((a, i, admitted_below[j]))

    def _share(self, share: float) -> None:
        frac = Fraction(str(share))
        everyone = [x for row in self.placed for x in row]
        group = [x for a, row in enumerate(self.placed) if self.members[a] for x in row]
        # At least the minimum share of those placed belong to the group.
        self.model.add(frac.denominator * sum(group) >= frac.numerator * sum(everyone))

    def hint(self, assign: Sequence[int], bound: int) -> None:
        """Start from the fast rule's allocation (every variable hinted) and never do worse."""
        m = self.model
        prefs = self.ranking.prefs
        pos = [
            plist.index(assign[a]) if assign[a] != UNASSIGNED else len(plist)
            for a, plist in enumerate(prefs)
        ]
        for a, row in enumerate(self.placed):
            for i, x in enumerate(row):
                m.add_hint(x, i == pos[a])
                if i:
                    m.add_hint(self.upto[a][i], pos[a] <= i)
        for p in range(len(self.ctx.capacity)):
            self._hint_program(p, assign)
        passed = [False] * len(pos)
        for a, i, lit in self.links:
            passed[a] |= self._hinted[lit.index] and pos[a] > i
        for a, lit in enumerate(self.passed):
            m.add_hint(lit, passed[a])
        m.add(sum(self.passed) <= bound)

    def _hint_program(self, p: int, assign: Sequence[int]) -> None:
        """Hint tight cutoffs: the last admitted of each side (never stricter than leniency)."""
        m = self.model
        entries = self.by_program[p]
        protected = sum(1 for a, i in entries if self.key(a, i) < 0 and assign[a] == p)
        regular = sum(1 for a, i in entries if self.key(a, i) >= 0 and assign[a] == p)
        room = max(0, self.ctx.capacity[p] - protected)
        full = regular >= room
        m.add_hint(self.full[p], full)
        if p in self.room_vars:
            m.add_hint(self.room_vars[p], room)
        sides = self.sides[p]
        last = {
            s: max((k for k, (a, _) in enumerate(sides[s]) if assign[a] == p), default=-1)
            for s in (True, False)
        }
        if last[False] >= 0:
            a, i = sides[False][last[False]]
            better = sum(1 for b, j in sides[True] if self.raw[b][j] < self.raw[a][i])
            last[True] = max(last[True], better - 1)
        for s in (True, False):
            for k, lit in enumerate(self.opened[p][s]):
                m.add_hint(lit, not full or k <= last[s])
        count = 0
        for k in range(len(sides[True]) - 1, -1, -1):
            count += assign[sides[True][k][0]] == p
            self._hinted[self.below[p][k].index] = count > 0
            m.add_hint(self.below[p][k], count > 0)
            m.add_hint(self.below_counts[p][k], count)


def improve_minimum(ctx: Context, fast: FastResult, time_limit_s: float) -> Solution | None:
    """Reduce how many are passed over by lower-priority group members, never doing worse.

    Returns None when the model does not apply (shared limits or reserved places); otherwise the
    better allocation, or the fast one with status "feasible" when nothing better was found.
    """
    from solver.minimums import passed_over

    if ctx.limits is not None or ctx.reserves:
        return None
    baseline = int(fast.stats["passed_over"])
    model = MinimumModel(ctx, fast, ctx.problem.minimums[0].at_least_share)
    model.hint(fast.assign, baseline)
    solver = make_solver(time_limit_s)
    code = solver.solve(model.model)
    stats: dict[str, Any] = {
        "fast_rule_passed_over": baseline,
        "cpsat_bound": solver.best_objective_bound,
        "cpsat_stop": stop_reason(solver, code),
    }
    assign = fast.assign
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = model.assignment(solver)
        if passed_over(ctx, fast.ranking, found, fast.members) <= baseline:
            assign = found
    count = passed_over(ctx, fast.ranking, assign, fast.members)
    stats["passed_over"] = count
    stats["cpsat_gap"] = max(0.0, count - solver.best_objective_bound)
    status = "optimal" if code == cp_model.OPTIMAL and assign is not fast.assign else "feasible"
    return Solution(assign, status, stats)
