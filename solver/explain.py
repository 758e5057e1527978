"""Plain-words explanations: why each program ranked above an applicant's result was not theirs."""

from __future__ import annotations

from typing import Any

from solver.priority import base_order
from solver.problem import Applicant, Problem, ProblemError, Program
from solver.result import Result


def explain(problem: Problem, result: Result | dict[str, Any], applicant_id: str) -> list[str]:
    """Explain one applicant's result line by line; refuse unknown applicant ids."""
    return _Explainer(problem, result).lines(applicant_id)


def explain_all(problem: Problem, result: Result | dict[str, Any]) -> dict[str, list[str]]:
    """Explain every applicant's result (for publishing with the round)."""
    explainer = _Explainer(problem, result)
    return {a.id: explainer.lines(a.id) for a in problem.applicants}


class _Explainer:
    """Shared look-ups for explaining many applicants of one round."""

    def __init__(self, problem: Problem, result: Result | dict[str, Any]) -> None:
        self.problem = problem
        self.data = result.to_dict() if isinstance(result, Result) else result
        self.index = {a.id: i for i, a in enumerate(problem.applicants)}
        _, self.lottery_rank = base_order(problem)

    def lines(self, applicant_id: str) -> list[str]:
        """Return the headline and one line per program ranked above the result."""
        if applicant_id not in self.index:
            raise ProblemError(f"explain: unknown applicant {applicant_id!r}")
        app = self.problem.applicants[self.index[applicant_id]]
        own = self.data["assignments"].get(applicant_id)
        rank = self.lottery_rank[self.index[applicant_id]]
        excluded = self.data.get("exclusions", {}).get(applicant_id, {})
        out = [_headline(app, own)]
        for pid in app.preferences:
            if pid == own:
                break
            reason = _reason(self.problem, self.data, app, pid, excluded.get(pid), rank)
            out.append(f"- {pid}: {reason}")
        return out


def _headline(app: Applicant, own: str | None) -> str:
    if own is None:
        return f"{app.id}: not placed in any of the {len(app.preferences)} programs listed."
    return f"{app.id}: placed in {own} (choice {app.preferences.index(own) + 1})."


def _reason(
    problem: Problem, data: dict[str, Any], app: Applicant, pid: str, why: str | None, rank: int
) -> str:
    program = next(p for p in problem.programs if p.id == pid)
    if why == "below_min_score":
        return (
            f"not eligible: the minimum score {program.min_score:g} is above your score "
            f"{app.score_for(pid):g}"
        )
    if why is not None:
        return "not considered: it is ranked below the place you hold or were guaranteed"
    cutoff = data["cutoffs"].get(pid, {})
    if not cutoff.get("full"):
        reached = _limits_reached(problem, data["assignments"], program)
        if reached:
            return f"it had free places, but {' and '.join(reached)} was reached"
        return "it had free places; this should not happen — ask for the round to be verified"
    if problem.minimums:
        return _minimum_reason(problem, data, app, pid, cutoff, rank)
    if cutoff.get("score") is None:
        return "all places went to applicants holding a place or an upheld appeal"
    return _compare(app, pid, cutoff, rank)


def _minimum_reason(
    problem: Problem,
    data: dict[str, Any],
    app: Applicant,
    pid: str,
    cutoff: dict[str, Any],
    rank: int,
) -> str:
    """Policy minimum share: each side of the group is compared with its own cutoff."""
    group = problem.minimums[0].group
    group_cut = cutoff.get("groups", {}).get(group)
    own_cut = group_cut if app.in_group(group) else cutoff
    if own_cut is None or own_cut.get("score") is None:
        return "all places went to applicants holding a place or an upheld appeal"
    text = _compare(app, pid, own_cut, rank)
    if app.in_group(group) or group_cut is None or group_cut["score"] >= app.score_for(pid):
        return text
    stats = data.get("stats", {})
    rule = (
        f"a priority bonus of {stats['bonus']:g}"
        if stats.get("bonus") is not None
        else "reserved places"
    )
    return (
        f"{text}; under the minimum share for {group}, {rule} let a {group} applicant with "
        f"score {group_cut['score']:g} in"
    )


def _limits_reached(
    problem: Problem, assignments: dict[str, str | None], program: Program
) -> list[str]:
    """Name the shared limits over this program that are full (in plain words)."""
    lim = problem.limits
    programs = {p.id: p for p in problem.programs}
    placed = [programs[pid] for pid in assignments.values() if pid is not None]
    reached: list[str] = []
    if lim.total is not None and len(placed) >= lim.total:
        reached.append(f"the total quota of {lim.total} places")
    for kind, caps in (("university", lim.university), ("field", lim.field)):
        name = getattr(program, kind)
        if name in caps and sum(1 for q in placed if getattr(q, kind) == name) >= caps[name]:
            reached.append(f"the {kind} limit for {name} ({caps[name]} places)")
    if lim.budget is not None and sum(q.cost for q in placed) + program.cost > lim.budget + 1e-9:
        reached.append(f"the budget of {lim.budget:g}")
    return reached


def _compare(app: Applicant, pid: str, cutoff: dict[str, Any], rank: int) -> str:
    mine = app.score_for(pid)
    last = cutoff["score"]
    if mine != last:
        return f"full; the last place went to score {last:g}, yours is {mine:g}"
    tb_last = cutoff.get("tiebreak") or []
    if list(app.tiebreak) != list(tb_last):
        return (
            f"full; same score {mine:g}, decided by the tie-break values: last admitted "
            f"{_fmt(tb_last)}, yours {_fmt(app.tiebreak)}"
        )
    return (
        f"full; same score and tie-break values, decided by the published lottery: "
        f"last admitted lottery rank {cutoff.get('lottery_rank')}, yours {rank}"
    )


def _fmt(values: Any) -> str:
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"
