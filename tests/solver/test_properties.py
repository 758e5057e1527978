"""Property tests over generated problems (about 600 instances in the default run)."""

from __future__ import annotations

import itertools
import random
import warnings
from fractions import Fraction
from typing import Any
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solver import parse_problem, solve
from tests.solver.strategies import lottery, problems

COMMON: dict[str, Any] = {"deadline": None, "database": None, "derandomize": True}
FAST = settings(max_examples=120, suppress_health_check=[HealthCheck.too_slow], **COMMON)
SLOW = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], **COMMON)


@FAST
@given(problems(held=True, guaranteed=True, reserved=True))
def test_checker_passes_on_every_da_result(data: dict[str, Any]) -> None:
    result = solve(parse_problem(data))
    assert result.certificate["ok"], result.certificate["violations"]


@SLOW
@given(
    st.one_of(
        problems(limits=True, program_scores=False),
        problems(limits=True, held=True),
        problems(minimum="bonus", held=True),
        problems(minimum="reserve"),
    )
)
def test_checker_passes_with_limits_and_minimums(data: dict[str, Any]) -> None:
    result = solve(parse_problem(data))
    cert = result.certificate
    if result.status == "infeasible":
        # An impossible minimum share, or shared limits below the places already held.
        assert result.messages
        assert cert["minimum_share_ok"] is False or not cert["holders_ok"]
        return
    assert cert["ok"], (result.method, cert["violations"])


def _priority(data: dict[str, Any], app: dict[str, Any], pid: str) -> tuple[Any, ...]:
    score = app.get("program_scores", {}).get(pid, app["score"])
    standing = 0 if app.get("held") == pid else 1
    tb = tuple(-t for t in app.get("tiebreak", []))
    return (standing, -score, tb, lottery(data["seed"], app["id"]))


def brute_force(data: dict[str, Any]) -> dict[str, str | None]:
    """Enumerate every matching; keep the stable ones; return the applicant-optimal one."""
    progs = {p["id"]: p for p in data["programs"]}
    apps = data["applicants"]

    def eligible(app: dict[str, Any]) -> list[str]:
        out = []
        for pid in app["preferences"]:
            score = app.get("program_scores", {}).get(pid, app["score"])
            if app.get("held") == pid or score >= progs[pid].get("min_score", -1):
                out.append(pid)
            if app.get("held") == pid:
                break
        return out

    options = [[*eligible(a), None] for a in apps]
    stable = []
    for combo in itertools.product(*options):
        load: dict[str, list[dict[str, Any]]] = {p: [] for p in progs}
        for app, pid in zip(apps, combo, strict=True):
            if pid is not None:
                load[pid].append(app)
        if any(len(v) > progs[p]["capacity"] for p, v in load.items()):
            continue
        if any(a.get("held") and pid is None for a, pid in zip(apps, combo, strict=True)):
            continue
        if _is_stable(data, apps, combo, load, progs, options):
            stable.append(combo)
    best = min(stable, key=lambda c: sum(options[i].index(p) for i, p in enumerate(c)))
    for other in stable:  # the applicant-optimal stable matching is weakly best for everyone
        assert all(options[i].index(best[i]) <= options[i].index(o) for i, o in enumerate(other))
    return {a["id"]: p for a, p in zip(apps, best, strict=True)}


def _is_stable(
    data: dict[str, Any],
    apps: list[dict[str, Any]],
    combo: tuple[str | None, ...],
    load: dict[str, list[dict[str, Any]]],
    progs: dict[str, dict[str, Any]],
    options: list[list[str | None]],
) -> bool:
    for i, app in enumerate(apps):
        own = combo[i]
        for pid in options[i]:
            if pid == own or pid is None:
                break
            if len(load[pid]) < progs[pid]["capacity"]:
                return False
            mine = _priority(data, app, pid)
            if any(mine < _priority(data, b, pid) for b in load[pid]):
                return False
    return True


@FAST
@given(problems(max_applicants=5, max_programs=3, max_capacity=2, held=True))
def test_equals_brute_force_oracle_on_tiny_instances(data: dict[str, Any]) -> None:
    assert solve(parse_problem(data)).assignments == brute_force(data)


@SLOW
@given(problems(max_applicants=7, held=True, guaranteed=True))
def test_cpsat_equals_deferred_acceptance_without_side_constraints(data: dict[str, Any]) -> None:
    problem = parse_problem(data)
    assert solve(problem, "cpsat").assignments == solve(problem, "da").assignments


@SLOW
@given(problems(max_applicants=7, limits=True, program_scores=False))
def test_cpsat_equals_serial_dictatorship_with_shared_limits(data: dict[str, Any]) -> None:
    data.get("limits", {})["budget"] = None  # budget envy is not a cutoff; see README
    problem = parse_problem(data)
    assert solve(problem, "cpsat").assignments == solve(problem, "da").assignments


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], **COMMON)
@given(
    st.one_of(
        problems(max_applicants=6, max_programs=3, limits=True, min_scores=False, tiebreak=False),
        problems(max_applicants=7, max_programs=3, limits=True, held=True),
    )
)
def test_cpsat_with_limits_and_program_priorities_claims_only_what_the_checker_finds(
    data: dict[str, Any],
) -> None:
    """Shared limits with program-specific priorities go to CP-SAT. An 'optimal' allocation
    must pass the independent checker (a limit keeps out only those not already under it); when
    no allocation meets every rule, the result says so instead."""
    data.get("limits", {})["budget"] = None
    result = solve(parse_problem(data))
    if result.status == "optimal":
        assert result.certificate["ok"], (result.method, result.certificate["violations"])
    else:
        assert result.messages


@SLOW
@given(problems(max_applicants=8, minimum="bonus"))
def test_cpsat_never_worse_than_fast_minimum_rule(data: dict[str, Any]) -> None:
    problem = parse_problem(data)
    fast = solve(problem)
    exact = solve(problem, "cpsat", time_limit_s=5)
    if fast.status == "infeasible":
        return
    assert exact.stats["passed_over"] <= fast.stats["passed_over"]
    assert exact.certificate["ok"], exact.certificate["violations"]


@SLOW
@given(problems(max_applicants=8, minimum="bonus", held=True, guaranteed=True))
def test_minimum_model_never_infeasible_with_holders(data: dict[str, Any]) -> None:
    """The share bound never makes the model infeasible: a finished search
    always ends in a proven optimum, also with holders and appellants (protected places)."""
    problem = parse_problem(data)
    if solve(problem).status == "infeasible":
        return
    exact = solve(problem, "cpsat", time_limit_s=5)
    if exact.stats.get("cpsat_stop") == "proof":
        assert exact.status == "optimal"
    assert exact.certificate["ok"], exact.certificate["violations"]


@SLOW
@given(problems(held=True, reserved=True, minimum="bonus"), st.randoms(use_true_random=False))
def test_shuffled_input_gives_byte_identical_output(
    data: dict[str, Any], rnd: random.Random
) -> None:
    first = solve(parse_problem(data)).to_json()
    shuffled = dict(data)
    shuffled["programs"] = rnd.sample(data["programs"], len(data["programs"]))
    shuffled["applicants"] = rnd.sample(data["applicants"], len(data["applicants"]))
    assert solve(parse_problem(shuffled)).to_json() == first


@FAST
@given(problems(held=True, guaranteed=True, reserved=True))
def test_no_holder_or_appellant_is_worse_off(data: dict[str, Any]) -> None:
    result = solve(parse_problem(data))
    for app in data["applicants"]:
        owed = app.get("held") or app.get("guaranteed")
        if owed is None:
            continue
        got = result.assignments[app["id"]]
        assert got is not None
        assert app["preferences"].index(got) <= app["preferences"].index(owed)


@SLOW
@given(problems(max_applicants=8, min_scores=False, program_scores=True))
def test_matches_matching_package_hospital_resident(data: dict[str, Any]) -> None:
    from matching.games import HospitalResident

    open_ids = {p["id"] for p in data["programs"] if p["capacity"] > 0}
    apps = [
        {**a, "preferences": [p for p in a["preferences"] if p in open_ids]}
        for a in data["applicants"]
    ]
    apps = [a for a in apps if a["preferences"]]
    progs = [p for p in data["programs"] if any(p["id"] in a["preferences"] for a in apps)]
    if not apps or not progs:
        return
    resident_prefs = {a["id"]: list(a["preferences"]) for a in apps}
    hospital_prefs = {
        p["id"]: sorted(
            (a["id"] for a in apps if p["id"] in a["preferences"]),
            key=lambda aid: _priority(data, next(a for a in apps if a["id"] == aid), p["id"]),
        )
        for p in progs
    }
    capacities = {p["id"]: p["capacity"] for p in progs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the package warns about players it leaves out
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        matching = game.solve(optimal="resident")
    theirs = {r.name: None for r in game.residents}
    for hospital, residents in matching.items():
        for resident in residents:
            theirs[resident.name] = hospital.name
    ours = solve(parse_problem(data)).assignments
    assert {aid: ours[aid] for aid in theirs} == theirs
    assert all(ours[a["id"]] is None for a in data["applicants"] if a["id"] not in theirs)


@SLOW
@given(problems(max_applicants=7, held=True, guaranteed=True))
def test_admit_all_ties_pass_the_checker(data: dict[str, Any]) -> None:
    data["policy"] = {"ties": "admit_all"}
    result = solve(parse_problem(data))
    assert result.method == "cp-sat"
    assert result.certificate["ok"], result.certificate["violations"]


@settings(max_examples=15, **COMMON)
@given(problems(max_applicants=8, minimum="bonus", held=True))
def test_cpsat_runs_are_reproducible(data: dict[str, Any]) -> None:
    problem = parse_problem(data)
    assert solve(problem, "cpsat").to_json() == solve(problem, "cpsat").to_json()


@st.composite
def tight_minimums(draw: st.DrawFn) -> dict[str, Any]:
    """Two or three small full programs, members scoring lower: people do get passed over."""
    pids = [f"P{i}" for i in range(draw(st.integers(2, 3)))]
    programs = [{"id": p, "capacity": draw(st.integers(1, 2))} for p in pids]
    applicants = [
        {
            "id": f"A{i}",
            "score": draw(st.integers(0, 9)) - (3 if woman else 0),
            "preferences": draw(st.permutations(pids))[: draw(st.integers(1, 2))],
            "groups": {"gender": "F" if woman else "M"},
        }
        for i, woman in enumerate(draw(st.lists(st.booleans(), min_size=4, max_size=7)))
    ]
    share = draw(st.sampled_from([0.4, 0.5, 0.6, 0.75]))
    return {
        "format": "umit-allocation/1",
        "seed": draw(st.integers(0, 10**6)),
        "programs": programs,
        "applicants": applicants,
        "minimums": [{"group": "gender=F", "at_least_share": share, "rule": "bonus"}],
    }


@settings(max_examples=80, **COMMON)
@given(tight_minimums())
def test_proven_minimum_share_optimum_matches_brute_force(data: dict[str, Any]) -> None:
    """When CP-SAT proves its minimum-share allocation optimal, no allocation the checker
    accepts has fewer people passed over (every allocation of a tiny problem is tried)."""
    problem = parse_problem(data)
    exact = solve(problem, "cpsat", time_limit_s=5)
    if exact.status != "optimal":
        return
    assert _fewest_passed_over(problem) == exact.stats["passed_over"]


@settings(max_examples=60, **COMMON)
@given(tight_minimums())
def test_improving_search_at_scale_keeps_its_promises(data: dict[str, Any]) -> None:
    """The search used above `SCALE_ENTRIES` (forced here on tiny problems): never worse than the
    fast rule, accepted by the checker, its bound (the share arithmetic's closed form or CP-SAT's)
    never above the true optimum, and "optimal" only when it is."""
    from solver import cpsat_minimum

    problem = parse_problem(data)
    fast = solve(problem)
    if fast.status == "infeasible":
        return
    with patch.object(cpsat_minimum, "SCALE_ENTRIES", 0):
        exact = solve(problem, "cpsat", time_limit_s=2)
    assert exact.stats["cpsat_mode"] == "improve"
    assert exact.stats["passed_over"] <= fast.stats["passed_over"]
    assert exact.certificate["ok"], exact.certificate["violations"]
    best = _fewest_passed_over(problem)
    assert best is not None and exact.stats["cpsat_bound"] <= best
    if exact.status == "optimal":
        assert exact.stats["passed_over"] == best


def _fewest_passed_over(problem: Any) -> int | None:
    """Try every allocation of a tiny problem: the fewest passed over the checker accepts."""
    from solver.checks import check_assignments

    ids = [a.id for a in problem.applicants]
    options = [[None, *a.preferences] for a in problem.applicants]
    return min(
        (
            cert["passed_over"]
            for choice in itertools.product(*options)
            if (cert := check_assignments(problem, dict(zip(ids, choice, strict=True))))["ok"]
        ),
        default=None,
    )


@settings(max_examples=60, **COMMON)
@given(tight_minimums())
def test_each_person_passed_over_adds_at_most_one_member(data: dict[str, Any]) -> None:
    """The lower bound CP-SAT adds holds for every allocation the rules accept (one common
    order): against serial dictatorship without bonus, d * (members gained) - c * (places
    gained) never exceeds d * (number passed over who end below their place without bonus),
    where the minimum share is c / d; nor do those newly placed, or those who lost a place."""
    from solver.checks import check_assignments

    share = Fraction(str(data["minimums"][0]["at_least_share"]))
    apps = {a["id"]: a for a in data["applicants"]}
    members = {a for a, app in apps.items() if app["groups"]["gender"] == "F"}
    plain = solve(parse_problem({**data, "minimums": []})).assignments
    group0 = sum(1 for a, p in plain.items() if p is not None and a in members)
    placed0 = sum(1 for p in plain.values() if p is not None)
    any_share = parse_problem(
        {**data, "minimums": [{"group": "gender=F", "at_least_share": 0.0, "rule": "bonus"}]}
    )
    ids = list(apps)
    for choice in itertools.product(*([None, *apps[a]["preferences"]] for a in ids)):
        assignments = dict(zip(ids, choice, strict=True))
        cert = check_assignments(any_share, assignments)
        if not cert["ok"]:
            continue
        passed = _passed_over(data, assignments, members)
        assert len(passed) == cert["passed_over"]
        worse_off = sum(1 for a in passed if _below(apps[a], assignments[a], plain[a]))
        group = sum(1 for a, p in assignments.items() if p is not None and a in members)
        placed = sum(1 for p in assignments.values() if p is not None)
        gain = share.denominator * (group - group0) - share.numerator * (placed - placed0)
        assert gain <= share.denominator * worse_off, assignments
        newly = sum(1 for a, p in assignments.items() if p is not None and plain[a] is None)
        lost = sum(1 for a, p in assignments.items() if p is None and plain[a] is not None)
        assert max(newly, lost) <= worse_off, assignments


def _below(app: dict[str, Any], got: str | None, before: str | None) -> bool:
    """Tell whether `got` is worse than `before` on the applicant's list (no place is last)."""
    if before is None:
        return False
    return got is None or app["preferences"].index(got) > app["preferences"].index(before)


def _passed_over(
    data: dict[str, Any], assignments: dict[str, str | None], members: set[str]
) -> set[str]:
    """Non-members who wanted a program where a lower-priority member was admitted."""
    apps = {a["id"]: a for a in data["applicants"]}
    out = set()
    for aid, app in apps.items():
        if aid in members:
            continue
        for pid in app["preferences"]:
            if pid == assignments[aid]:
                break
            mine = _priority(data, app, pid)
            if any(
                assignments[b] == pid and b in members and _priority(data, apps[b], pid) > mine
                for b in apps
            ):
                out.add(aid)
                break
    return out
