"""OR-Tools CP-SAT model for minimum shares: two cutoffs per program, fewest passed over.

Policy: nobody is passed over by a lower-priority member of their own side; members of the
favoured group are never passed over by anyone of lower priority; the group's cutoff at a program
is never stricter than the general one. Within those rules, the model minimises the number of
applicants passed over by a lower-priority group member, starting from the fast rule's allocation.

With one common priority order, the model also bounds the count from below by share arithmetic
(see `_share_bound`): each person passed over who ends below their place without bonus adds at
most one group member to those placed. The bound removes no allocation.

Two ways to search, chosen by size. Up to `SCALE_ENTRIES` choice entries (refugee-quota size) the
search aims at a proof: full presolve and the linear-relaxation workers. Above it a proof is out of
reach, and the root linear relaxation alone takes most of a 20 s budget without ever improving
the allocation, so the search improves: one presolve pass, no LP workers, neighbourhood search
(LNS) from the fast rule's allocation. The lower bound the LP would have given is the share
arithmetic's closed form (`arithmetic_bound`), computed directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

from ortools.sat.python import cp_model

from solver.cpsat import ModelBase, Solution, make_solver, stop_reason
from solver.da import UNASSIGNED, serial_dictatorship

if TYPE_CHECKING:
    from solver.engine import Context
    from solver.minimums import FastResult

# Above this many (applicant, choice) entries the search improves rather than aims at a proof.
SCALE_ENTRIES = 3_000
# At scale, deterministic seconds given to CP-SAT per second of the caller's budget. Neighbourhood
# search spends about as much wall time again copying and presolving sub-models, which CP-SAT's
# deterministic clock does not count, and model building plus presolve add about 3 s at 5,000
# applicants: 0.4 keeps a 20 s budget within 20 s there (15-17.5 s measured on the 2-core reference
# machine, idle). The figure is fixed, not measured at run time, so runs stay reproducible.
SCALE_DETERMINISTIC_SHARE = 0.4


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
        # (applicant, choice, program, position of the first lower-priority member there)
        self.links: list[tuple[int, int, int, int]] = []
        self.opened: list[dict[bool, list[cp_model.IntVar]]] = []
        self.sides: list[dict[bool, list[tuple[int, int]]]] = []
        # (literal, applicant, choice without bonus): passed over and below that choice.
        self.moved: list[tuple[cp_model.IntVar, int, int]] = []
        # Fewest passed over that any allocation meeting the share needs (0: no bound known).
        self.arithmetic_bound = 0
        for p in range(len(ctx.capacity)):
            self._cutoffs(p)
        self._share(share)
        if fast.ranking.common:
            self._share_bound(share)
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
        """The group cutoff is never stricter than the general one; count the passed over.

        Passed over is linked through the group cutoff, not through admitted members: a is
        passed over at p when the group cutoff reaches the first member below a there while a
        holds nothing as good as p. That is never less than the count by admitted members, and
        equal to it once the group cutoff sits at its last admitted member (always allowed when
        p is full, and when p is not full nobody is passed over there), so the optimum is the
        same, and one linear row per (a, p) gives a much tighter bound than chains of admitted
        members did.
        """
        m = self.model
        member_keys = [self.raw[a][i] for a, i in sides[True]]
        j = 0
        for k, (a, i) in enumerate(sides[False]):
            key = self.raw[a][i]
            while j < len(member_keys) and member_keys[j] < key:
                j += 1
            if j > 0:
                m.add_implication(opened[False][k], opened[True][j - 1])
            if j < len(member_keys):
                # Passed over: the group cutoff admits a lower-priority member while a has less.
                m.add(self.at_or_above(a, i) + self.passed[a] >= opened[True][j])
                self.links.append((a, i, p, j))

    def _share_bound(self, share: float) -> None:
        """Each person passed over who ends below their place without bonus adds at most one.

        With one common priority order, an allocation the rules accept is exactly serial
        dictatorship once every applicant passed over has their list cut down to the place they
        got. Cut those lists one at a time, lowest priority first: everyone above the one being
        cut still chooses as without any bonus, so before the cut they hold their place without
        bonus, and the cut changes nothing unless the place they got is worse than that one.
        Otherwise it starts a single chain of moves, which places at most one more member and
        removes at most one place, never both at once. So, from serial dictatorship without
        bonus (W0 members among T0 placed) and a minimum share c / d:
        d * (W - W0) - c * (T - T0) <= d * (number passed over and worse off than without bonus),
        and neither those newly placed nor those who lost their place outnumber them. The linear
        relaxation never sees this; it turns the minimum share into a bound at once.
        """
        m = self.model
        n = len(self.members)
        order = sorted((a for a in range(n) if self.raw[a]), key=lambda a: self.raw[a][0])
        plain = serial_dictatorship(order, self.ranking.prefs, self.ctx.capacity, n)
        placed0 = sum(1 for p in plain if p != UNASSIGNED)
        group0 = sum(1 for a, p in enumerate(plain) if p != UNASSIGNED and self.members[a])
        # moved[a]: a is passed over and holds less than their place without bonus.
        moved: list[cp_model.IntVar] = []
        for a, p in enumerate(plain):
            if p == UNASSIGNED or self.members[a]:
                continue
            var = m.new_bool_var(f"moved_{a}")
            choice = self.ranking.prefs[a].index(p)
            m.add(var >= self.passed[a] - self.upto[a][choice])
            moved.append(var)
            self.moved.append((var, a, choice))
        frac = Fraction(str(share))
        everyone = sum(x for row in self.placed for x in row)
        group = sum(x for a, row in enumerate(self.placed) if self.members[a] for x in row)
        gain = frac.denominator * (group - group0) - frac.numerator * (everyone - placed0)
        # Meeting the share needs gain >= c * T0 - d * W0, so at least this many are moved.
        deficit = frac.numerator * placed0 - frac.denominator * group0
        self.arithmetic_bound = max(0, -(-deficit // frac.denominator))
        # Each chain also gives a place to at most one person who had none, and takes one from
        # at most one person who had one.
        newly = sum(
            self.upto[a][-1] for a, p in enumerate(plain) if p == UNASSIGNED and self.upto[a]
        )
        lost = sum(1 - self.upto[a][-1] for a, p in enumerate(plain) if p != UNASSIGNED)
        # The second set is weaker with whole numbers, but the relaxation cannot shrink it
        # through a fractional 'upto'.
        had_place = [
            self.passed[a] for a, p in enumerate(plain) if p != UNASSIGNED and not self.members[a]
        ]
        for budget in (sum(moved), sum(had_place)):
            m.add(gain <= frac.denominator * budget)
            m.add(newly <= budget)
            m.add(lost <= budget)

    def _share(self, share: float) -> None:
        frac = Fraction(str(share))
        everyone = [x for row in self.placed for x in row]
        group = [x for a, row in enumerate(self.placed) if self.members[a] for x in row]
        # At least the minimum share of those placed belong to the group.
        self.model.add(frac.denominator * sum(group) >= frac.numerator * sum(everyone))

    def hint(self, assign: Sequence[int], bound: int) -> None:
        """Start from the fast rule's allocation (every variable hinted) and never do worse."""
        m = self.model
        pos = self.hint_assignment(assign)
        group_open = [self._hint_program(p, assign) for p in range(len(self.ctx.capacity))]
        passed = [False] * len(pos)
        for a, i, p, j in self.links:
            passed[a] |= group_open[p][j] and pos[a] > i
        for a, lit in enumerate(self.passed):
            m.add_hint(lit, passed[a])
        for lit, a, choice in self.moved:
            m.add_hint(lit, passed[a] and pos[a] > choice)
        m.add(sum(self.passed) <= bound)

    def _hint_program(self, p: int, assign: Sequence[int]) -> list[bool]:
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
        hinted: dict[bool, list[bool]] = {}
        for s in (True, False):
            hinted[s] = [not full or k <= last[s] for k in range(len(self.opened[p][s]))]
            for lit, value in zip(self.opened[p][s], hinted[s], strict=True):
                m.add_hint(lit, value)
        return hinted[True]


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
    entries = sum(len(plist) for plist in fast.ranking.prefs)
    mode = "improve" if entries > SCALE_ENTRIES else "prove"
    solver = make_solver(time_limit_s)
    if mode == "improve":
        configure_for_scale(solver, time_limit_s)
    code = solver.solve(model.model)
    bound = max(solver.best_objective_bound, model.arithmetic_bound)
    stats: dict[str, Any] = {
        "fast_rule_passed_over": baseline,
        "cpsat_mode": mode,
        "cpsat_bound": bound,
        "cpsat_stop": stop_reason(solver, code),
        "cpsat_deterministic_s": round(solver.deterministic_time, 2),
    }
    assign = fast.assign
    if code in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        found = model.assignment(solver)
        if passed_over(ctx, fast.ranking, found, fast.members) <= baseline:
            assign = found
    count = passed_over(ctx, fast.ranking, assign, fast.members)
    stats["passed_over"] = count
    stats["cpsat_gap"] = max(0.0, count - bound)
    proven = (code == cp_model.OPTIMAL and assign is not fast.assign) or count <= bound
    return Solution(assign, "optimal" if proven else "feasible", stats)


def configure_for_scale(solver: cp_model.CpSolver, time_limit_s: float) -> None:
    """Set the search up to improve a large allocation within the budget, not to prove it.

    One presolve pass (later passes cost about 8 s at 5,000 applicants and fix little more);
    `no_lp` as the only full-problem worker beside the neighbourhood searches, because the LP
    workers spend their first task, which the deterministic clock cannot interrupt, on the root
    relaxation; and a deterministic budget scaled to what the wall clock allows.
    """
    params = solver.parameters
    params.max_presolve_iterations = 1
    params.subsolvers.append("no_lp")
    params.max_deterministic_time = max(0.1, time_limit_s * SCALE_DETERMINISTIC_SHARE)
