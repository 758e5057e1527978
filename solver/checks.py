"""Independent checker: verifies an allocation against the published rules.

Written apart from the algorithms on purpose: it shares no code with them (only the problem's
data classes) and recomputes every priority itself, with tuples rather than integer ranks.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from solver.problem import Applicant, Problem, Program

MAX_LISTED = 100
HOLDER, APPELLANT, REGULAR = 0, 1, 2
Key = tuple[Any, ...]


def check(problem: Problem, result: Any) -> dict[str, Any]:
    """Verify a Result (or anything with `.assignments`) and return the fairness certificate."""
    return check_assignments(problem, result.assignments)


@dataclass
class _Audit:
    problem: Problem
    assignments: Mapping[str, str | None]
    programs: dict[str, Program] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    flags: dict[str, bool] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    tail: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    members: dict[str, list[Applicant]] = field(default_factory=dict)

    def fail(self, flag: str, message: str, counter: str | None = None) -> None:
        self.flags[flag] = False
        if counter:
            self.counts[counter] = self.counts.get(counter, 0) + 1
        self.violations.append(message)


def check_assignments(problem: Problem, assignments: Mapping[str, str | None]) -> dict[str, Any]:
    """Check places, limits, eligibility, holders, appeals, envy and minimum shares."""
    audit = _Audit(problem, assignments, {p.id: p for p in problem.programs})
    for name in (
        "one_place_ok",
        "listed_ok",
        "eligible_ok",
        "capacity_ok",
        "limits_ok",
        "holders_ok",
        "guaranteed_ok",
        "no_envy_ok",
        "no_waste_ok",
    ):
        audit.flags[name] = True
    audit.counts = {"justified_envy_pairs": 0, "wasted_place_pairs": 0}
    if not _check_ids(audit):
        return _certificate(audit, None, 0)
    audit.tail = _tails(problem.seed, problem.applicants)
    for app in problem.applicants:
        _check_own_place(audit, app, assignments[app.id])
    admitted = _admitted(audit)
    _check_capacity(audit, admitted)
    _check_limits(audit, admitted)
    share_ok = _check_minimum(audit) if problem.minimums else None
    passed = _check_envy(audit, admitted)
    extra = sum(max(0, len(v) - audit.programs[p].capacity) for p, v in admitted.items())
    audit.counts["extra_places"] = extra
    return _certificate(audit, share_ok, passed)


def _certificate(audit: _Audit, share_ok: bool | None, passed: int) -> dict[str, Any]:
    cert: dict[str, Any] = dict(audit.flags)
    cert.update(audit.counts)
    cert["minimum_share_ok"] = share_ok
    cert["passed_over"] = passed
    cert["violation_count"] = len(audit.violations)
    cert["violations"] = audit.violations[:MAX_LISTED]
    cert["ok"] = not audit.violations
    return cert


def _check_ids(audit: _Audit) -> bool:
    known = {a.id for a in audit.problem.applicants}
    ok = True
    for aid, pid in audit.assignments.items():
        if aid not in known:
            audit.fail("one_place_ok", f"{aid}: not an applicant of this problem")
            ok = False
        if pid is not None and pid not in audit.programs:
            audit.fail("listed_ok", f"{aid}: assigned to unknown program {pid}")
            ok = False
    for aid in known - set(audit.assignments):
        audit.fail("one_place_ok", f"{aid}: missing from the assignments")
        ok = False
    return ok


def _tails(seed: str, applicants: Sequence[Applicant]) -> dict[str, tuple[Any, ...]]:
    """Tie-break values highest first, then the published lottery number lowest first."""
    prefix = f"{seed}:".encode()
    sha, big = hashlib.sha256, int.from_bytes
    return {
        a.id: (tuple(-t for t in a.tiebreak), big(sha(prefix + a.id.encode()).digest(), "big"))
        for a in applicants
    }


def _standing(app: Applicant, pid: str) -> int:
    if app.held == pid:
        return HOLDER
    if app.guaranteed == pid:
        return APPELLANT
    return REGULAR


def _key(audit: _Audit, app: Applicant, pid: str, *, lottery: bool = True) -> Key:
    """Priority at a program, smaller is better: standing, score, tie-breaks, lottery."""
    tb, lot = audit.tail[app.id]
    score = -app.program_scores.get(pid, app.score)
    return (_standing(app, pid), score, tb, lot) if lottery else (_standing(app, pid), score, tb)


def _eligible(audit: _Audit, app: Applicant, pid: str) -> bool:
    floor = audit.programs[pid].min_score
    if app.held == pid or app.guaranteed == pid:
        return True
    return floor is None or app.program_scores.get(pid, app.score) >= floor


def _wanted(app: Applicant, own: str | None) -> list[str]:
    """Programs the applicant ranks above their place (and never below a held/guaranteed one)."""
    out: list[str] = []
    stop = app.held or app.guaranteed
    for pid in app.preferences:
        if pid == own:
            break
        out.append(pid)
        if pid == stop:
            break
    return out


def _check_own_place(audit: _Audit, app: Applicant, pid: str | None) -> None:
    if pid is not None and pid not in app.preferences:
        audit.fail("listed_ok", f"{app.id}: placed in {pid}, which is not on their list")
        return
    if pid is not None and not _eligible(audit, app, pid):
        audit.fail("eligible_ok", f"{app.id}: placed in {pid} below its minimum score")
    for kind, target in (("holders_ok", app.held), ("guaranteed_ok", app.guaranteed)):
        if target is None:
            continue
        if pid is None or app.preferences.index(pid) > app.preferences.index(target):
            audit.fail(kind, f"{app.id}: got {pid or 'no place'}, below {target} they were owed")


def _admitted(audit: _Audit) -> dict[str, list[Applicant]]:
    admitted: dict[str, list[Applicant]] = {p: [] for p in audit.programs}
    for app in audit.problem.applicants:
        pid = audit.assignments[app.id]
        if pid is not None and pid in admitted:
            admitted[pid].append(app)
    return admitted


def _check_capacity(audit: _Audit, admitted: dict[str, list[Applicant]]) -> None:
    """Regular places within capacity; holders and appellants may take extra places."""
    admit_all = audit.problem.ties == "admit_all"
    for pid, apps in admitted.items():
        cap = audit.programs[pid].capacity
        regular = [a for a in apps if _standing(a, pid) == REGULAR]
        room = max(0, cap - (len(apps) - len(regular)))
        if len(regular) <= room:
            continue
        if admit_all and _ties_explain_overflow(audit, pid, regular, room):
            continue
        audit.fail("capacity_ok", f"{pid}: {len(apps)} placed for {cap} places")


def _ties_explain_overflow(audit: _Audit, pid: str, regular: list[Applicant], room: int) -> bool:
    """Policy admit_all: overflow is allowed only for applicants tied at the last place."""
    keys = [_key(audit, a, pid, lottery=False) for a in regular]
    last = max(keys)
    return sum(1 for k in keys if k < last) < room


def _check_limits(audit: _Audit, admitted: dict[str, list[Applicant]]) -> None:
    lim = audit.problem.limits
    used = _usage(audit, admitted)
    if lim.total is not None and used["total"][""] > lim.total:
        audit.fail("limits_ok", f"total: {used['total']['']} placed for a quota of {lim.total}")
    for kind, caps in (("university", lim.university), ("field", lim.field)):
        for name, cap in caps.items():
            if used[kind].get(name, 0) > cap:
                audit.fail("limits_ok", f"{kind} {name}: {used[kind][name]} placed, limit {cap}")
    if lim.budget is not None and used["budget"][""] > lim.budget + 1e-9:
        audit.fail("limits_ok", f"budget: {used['budget']['']:g} spent of {lim.budget:g}")


def _usage(audit: _Audit, admitted: dict[str, list[Applicant]]) -> dict[str, dict[str, float]]:
    used: dict[str, dict[str, float]] = {
        "total": {"": 0},
        "university": {},
        "field": {},
        "budget": {"": 0.0},
    }
    for pid, apps in admitted.items():
        prog = audit.programs[pid]
        used["total"][""] += len(apps)
        used["budget"][""] += prog.cost * len(apps)
        if prog.university is not None:
            used["university"][prog.university] = used["university"].get(prog.university, 0) + len(
                apps
            )
        if prog.field is not None:
            used["field"][prog.field] = used["field"].get(prog.field, 0) + len(apps)
    return used


def _has_room(
    audit: _Audit, used: dict[str, dict[str, float]], pid: str, *leaving: str | None
) -> bool:
    """Could someone take `pid` once the places in `leaving` are freed, within shared limits?"""
    lim = audit.problem.limits
    new = audit.programs[pid]
    gone = [audit.programs[q] for q in leaving if q is not None]
    if lim.total is not None and used["total"][""] - len(gone) + 1 > lim.total:
        return False
    for kind, caps in (("university", lim.university), ("field", lim.field)):
        name = getattr(new, kind)
        if name in caps:
            freed = sum(1 for old in gone if getattr(old, kind) == name)
            if used[kind].get(name, 0) - freed + 1 > caps[name]:
                return False
    if lim.budget is not None:
        spent = used["budget"][""] - sum(old.cost for old in gone) + new.cost
        return spent <= lim.budget + 1e-9
    return True


def _limit_envy(
    audit: _Audit,
    used: dict[str, dict[str, float]],
    worst: dict[tuple[str, bool | None], Key],
    key: Key,
    pid: str,
    own: str | None,
) -> bool:
    """Shared limits: could the applicant replace someone of lower priority under the limit?"""
    for (q, side), w in worst.items():
        if side is None and q != own and key < w and _has_room(audit, used, pid, own, q):
            return True
    return False


def _check_minimum(audit: _Audit) -> bool:
    minimum = audit.problem.minimums[0]
    placed = [a for a in audit.problem.applicants if audit.assignments[a.id] is not None]
    members = sum(1 for a in placed if _in_group(a, minimum.group))
    if members >= Fraction(str(minimum.at_least_share)) * len(placed):
        return True
    audit.violations.append(
        f"minimum share: {members} of {len(placed)} placed are {minimum.group}, "
        f"below {minimum.at_least_share:.0%}"
    )
    return False


def _in_group(app: Applicant, group: str) -> bool:
    name, _, value = group.partition("=")
    return app.groups.get(name) == value


def _check_envy(audit: _Audit, admitted: dict[str, list[Applicant]]) -> int:
    """Find applicants passed over unfairly or left out of a free place; count policy pass-overs."""
    favoured = audit.problem.minimums[0].group if audit.problem.minimums else None
    lottery = audit.problem.ties != "admit_all"
    worst = _worst_keys(audit, admitted, favoured, lottery)
    used = _usage(audit, admitted)
    limited = audit.problem.limits.any() and favoured is None
    plain_policy = favoured is None and lottery
    # Fast lane: a full program without reserved places only needs one key comparison.
    closed = {
        pid: (worst.get((pid, None)), prog.min_score)
        for pid, prog in audit.programs.items()
        if not prog.reserved and len(admitted[pid]) >= prog.capacity
    }
    tail = audit.tail
    passed = 0
    for app in audit.problem.applicants:
        own = audit.assignments[app.id]
        prefs = app.preferences
        if prefs and prefs[0] == own:
            continue
        if plain_policy and not app.program_scores and app.held is None and app.guaranteed is None:
            key = (REGULAR, -app.score, *tail[app.id])
            for pid in prefs:
                if pid == own:
                    break
                lane = closed.get(pid)
                if lane is None:
                    _check_choice(audit, admitted, worst, used, app, pid, own, None, limited)
                    continue
                w, floor = lane
                if w is not None and key < w and (floor is None or app.score >= floor):
                    _envy(audit, app, pid)
            continue
        member = favoured is not None and _in_group(app, favoured)
        was_passed = False
        for pid in _wanted(app, own):
            side = None if favoured is None else member
            mine = _check_choice(audit, admitted, worst, used, app, pid, own, side, limited)
            if favoured is not None and not member and (pid, True) in worst and mine is not None:
                was_passed |= mine < worst[(pid, True)]
        passed += was_passed
    return passed


def _envy(audit: _Audit, app: Applicant, pid: str) -> None:
    audit.fail(
        "no_envy_ok", f"{app.id}: passed over at {pid} by lower priority", "justified_envy_pairs"
    )


def _check_choice(
    audit: _Audit,
    admitted: dict[str, list[Applicant]],
    worst: dict[tuple[str, bool | None], Key],
    used: dict[str, dict[str, float]],
    app: Applicant,
    pid: str,
    own: str | None,
    side: bool | None,
    limited: bool,
) -> Key | None:
    """Check one program the applicant ranks above their place; return their key there."""
    if not _eligible(audit, app, pid):
        return None
    lottery = audit.problem.ties != "admit_all"
    key = _key(audit, app, pid, lottery=lottery)
    reserved = bool(audit.programs[pid].reserved) and not audit.problem.minimums
    if reserved:
        envy = _reserve_blocks(audit, admitted[pid], app, pid)
    else:
        envy = _beats(key, worst, pid, side, lottery)
    if envy:
        _envy(audit, app, pid)
    elif not reserved and len(admitted[pid]) < audit.programs[pid].capacity:
        _check_free_place(audit, used, worst, app, key, pid, own, limited)
    return key


def _check_free_place(
    audit: _Audit,
    used: dict[str, dict[str, float]],
    worst: dict[tuple[str, bool | None], Key],
    app: Applicant,
    key: Key,
    pid: str,
    own: str | None,
    limited: bool,
) -> None:
    """A free place must be blocked by a shared limit that only higher priority fills."""
    if _has_room(audit, used, pid, own):
        audit.fail(
            "no_waste_ok", f"{app.id}: left out of a free place at {pid}", "wasted_place_pairs"
        )
    elif limited and _limit_envy(audit, used, worst, key, pid, own):
        audit.fail(
            "no_envy_ok",
            f"{app.id}: kept out of {pid} by a shared limit filled with lower priority",
            "justified_envy_pairs",
        )


def _worst_keys(
    audit: _Audit, admitted: dict[str, list[Applicant]], favoured: str | None, lottery: bool
) -> dict[tuple[str, bool | None], Key]:
    """Lowest-priority regular admission per program (per side of the minimum group)."""
    worst: dict[tuple[str, bool | None], Key] = {}
    tail = audit.tail
    for pid, apps in admitted.items():
        for app in apps:
            if app.held == pid or app.guaranteed == pid:
                continue
            if app.program_scores:
                key = _key(audit, app, pid, lottery=lottery)
            elif lottery:
                key = (REGULAR, -app.score, *tail[app.id])
            else:
                key = (REGULAR, -app.score, tail[app.id][0])
            side = None if favoured is None else _in_group(app, favoured)
            if (pid, side) not in worst or key > worst[(pid, side)]:
                worst[(pid, side)] = key
    return worst


def _beats(
    key: Key,
    worst: dict[tuple[str, bool | None], Key],
    pid: str,
    member: bool | None,
    lottery: bool,
) -> bool:
    """Policy: no one loses to lower priority of their own side; members never lose to others."""

    def above(side: bool | None) -> bool:
        w = worst.get((pid, side))
        if w is None:
            return False
        return key < w if lottery else key <= w

    if member is None:
        return above(None)
    if member:
        return above(True) or above(False)
    return above(False)


def _reserve_blocks(audit: _Audit, apps: list[Applicant], app: Applicant, pid: str) -> bool:
    """Would the program's reserve choice take this applicant over someone it holds?"""
    prog = audit.programs[pid]
    pool = sorted((_key(audit, a, pid), a.id) for a in [*apps, app])
    taken: set[str] = {aid for k, aid in pool if k[0] != REGULAR}
    rest = [(k, aid) for k, aid in pool if k[0] == REGULAR]
    by_id = {a.id: a for a in [*apps, app]}
    quotas = dict(prog.reserved)
    open_left = prog.capacity - sum(quotas.values()) - len(taken)
    overflow = max(0, -open_left)
    for g in sorted(quotas):
        cut = min(overflow, quotas[g])
        quotas[g] -= cut
        overflow -= cut
    # Policy "minimum guarantee": open places first, then reserved, then reverted places.
    for _, aid in rest[: max(0, open_left)]:
        taken.add(aid)
    for g in sorted(quotas):
        group_rest = [aid for _, aid in rest if aid not in taken and _in_group(by_id[aid], g)]
        taken.update(group_rest[: quotas[g]])
    left = [aid for _, aid in rest if aid not in taken]
    taken.update(left[: max(0, prog.capacity - len(taken))])
    return app.id in taken
