"""Small named instances with hand-worked answers."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest

from solver import check, explain, parse_problem, solve
from tests.solver.strategies import lottery


def make(programs: list[dict[str, Any]], applicants: list[dict[str, Any]], **extra: Any) -> Any:
    return parse_problem({"seed": 7, "programs": programs, "applicants": applicants, **extra})


def app(aid: str, score: float, *prefs: str, **extra: Any) -> dict[str, Any]:
    return {"id": aid, "score": score, "preferences": list(prefs), **extra}


def test_higher_score_wins_and_loser_takes_second_choice() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [app("A1", 10, "P1", "P2"), app("A2", 12, "P1"), app("A3", 5, "P1", "P2")],
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P2", "A2": "P1", "A3": None}
    assert result.status == "optimal"
    assert result.certificate["ok"]


def test_tie_decided_by_tiebreak_highest_first() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}],
        [app("A1", 90, "P1", tiebreak=[3, 1]), app("A2", 90, "P1", tiebreak=[3, 2])],
    )
    assert solve(problem).assignments == {"A1": None, "A2": "P1"}


def test_tie_decided_by_published_lottery_lowest_first() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}],
        [app("A1", 90, "P1", tiebreak=[1]), app("A2", 90, "P1", tiebreak=[1])],
    )
    winner = min(("A1", "A2"), key=lambda a: lottery(7, a))
    result = solve(problem)
    assert result.assignments[winner] == "P1"
    loser = "A2" if winner == "A1" else "A1"
    assert "published lottery" in explain(problem, result, loser)[1]


def test_program_specific_score_changes_priority() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [
            app("A1", 100, "P1", "P2", program_scores={"P1": 80}),
            app("A2", 90, "P1", "P2"),
        ],
    )
    assert solve(problem).assignments == {"A1": "P2", "A2": "P1"}


def test_below_min_score_is_excluded_with_reason() -> None:
    problem = make(
        [{"id": "P1", "capacity": 5, "min_score": 75}, {"id": "P2", "capacity": 5}],
        [app("A1", 70, "P1", "P2")],
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P2"}
    assert result.exclusions == {"A1": {"P1": "below_min_score"}}
    assert "minimum score 75" in explain(problem, result, "A1")[1]


def test_reserved_place_goes_to_best_group_member_after_open_places() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2, "reserved": {"gender=F": 1}}],
        [
            app("M1", 100, "P1", groups={"gender": "M"}),
            app("M2", 90, "P1", groups={"gender": "M"}),
            app("F1", 80, "P1", groups={"gender": "F"}),
            app("F2", 70, "P1", groups={"gender": "F"}),
        ],
    )
    result = solve(problem)
    assert result.assignments == {"M1": "P1", "M2": None, "F1": "P1", "F2": None}
    assert result.certificate["ok"]


def test_unused_reserved_places_revert_to_open() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2, "reserved": {"gender=F": 1}}],
        [app("M1", 100, "P1", groups={"gender": "M"}), app("M2", 90, "P1")],
    )
    assert solve(problem).assignments == {"M1": "P1", "M2": "P1"}


def test_holder_moves_up_when_a_better_place_frees() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [app("A1", 50, "P1", "P2", held="P2"), app("A2", 99, "P2", "P1")],
    )
    # P1 is free, so A1 moves up and the place A1 held returns to the pool for A2.
    assert solve(problem).assignments == {"A1": "P1", "A2": "P2"}


def test_holder_keeps_place_against_higher_score() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [
            app("A1", 50, "P1", "P2", held="P2"),
            app("A2", 99, "P2"),
            app("A3", 98, "P1"),
        ],
    )
    # A2 outranks A1 but cannot take P2, which A1 holds; P1 went to A3.
    assert solve(problem).assignments == {"A1": "P2", "A2": None, "A3": "P1"}


def test_holder_is_never_moved_down_or_out() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}, {"id": "P3", "capacity": 1}],
        [app("A1", 10, "P1", "P2", "P3", held="P2"), app("A2", 99, "P1", "P2")],
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P2", "A2": "P1"}
    assert result.exclusions["A1"] == {"P3": "below_held_or_guaranteed_program"}


def test_upheld_appeal_gets_an_extra_place_when_full() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2}],
        [
            app("A1", 90, "P1", held="P1"),
            app("A2", 80, "P1", held="P1"),
            app("A3", 60, "P1", guaranteed="P1"),
        ],
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P1", "A2": "P1", "A3": "P1"}
    assert result.stats["extra_places"] == 1
    assert result.certificate["ok"]


def test_appeal_uses_a_free_place_without_extra() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2}],
        [app("A1", 90, "P1", held="P1"), app("A3", 60, "P1", guaranteed="P1")],
    )
    result = solve(problem)
    assert result.stats["extra_places"] == 0
    assert result.assignments["A3"] == "P1"


def test_university_limit_with_common_priority_is_serial_dictatorship() -> None:
    problem = make(
        [
            {"id": "P1", "capacity": 2, "university": "U"},
            {"id": "P2", "capacity": 2, "university": "U"},
            {"id": "P3", "capacity": 2, "university": "V"},
        ],
        [app("A1", 9, "P1"), app("A2", 8, "P2", "P3"), app("A3", 7, "P1", "P3")],
        limits={"university": {"U": 2}},
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P1", "A2": "P2", "A3": "P3"}
    assert result.method == "deferred-acceptance"
    assert solve(problem, method="cpsat").assignments == result.assignments


def test_shared_limit_with_program_scores_goes_to_cpsat() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1, "field": "ICT"}, {"id": "P2", "capacity": 1, "field": "ICT"}],
        [
            app("A1", 9, "P1", "P2", program_scores={"P2": 1}),
            app("A2", 8, "P2", "P1"),
        ],
        limits={"field": {"ICT": 1}},
    )
    result = solve(problem)
    assert result.method == "cp-sat"
    assert result.certificate["ok"]
    assert result.placed == 1


def test_admit_all_tied_at_last_place() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}],
        [app("A1", 9, "P1"), app("A2", 9, "P1"), app("A3", 8, "P1")],
        policy={"ties": "admit_all"},
    )
    result = solve(problem)
    assert result.assignments == {"A1": "P1", "A2": "P1", "A3": None}
    assert result.certificate["ok"]


def test_bonus_minimum_uses_smallest_bonus() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2}],
        [
            app("M1", 100, "P1", groups={"gender": "M"}),
            app("M2", 95, "P1", groups={"gender": "M"}),
            app("F1", 93, "P1", groups={"gender": "F"}),
            app("F2", 80, "P1", groups={"gender": "F"}),
        ],
        minimums=[{"group": "gender=F", "at_least_share": 0.5, "rule": "bonus"}],
    )
    result = solve(problem)
    assert result.assignments == {"M1": "P1", "M2": None, "F1": "P1", "F2": None}
    # 93 + 2 ties 95: F1 wins that tie only if the published lottery says so.
    assert result.stats["bonus"] == (2.0 if lottery(7, "F1") < lottery(7, "M2") else 3.0)
    assert result.certificate["ok"] and result.certificate["passed_over"] == 1
    assert result.cutoffs["P1"]["groups"]["gender=F"]["score"] == 93
    assert "minimum share for gender=F, a priority bonus" in explain(problem, result, "M2")[1]


def test_reserve_minimum_sizes_reserves() -> None:
    problem = make(
        [{"id": "P1", "capacity": 2}],
        [
            app("M1", 100, "P1", groups={"gender": "M"}),
            app("M2", 95, "P1", groups={"gender": "M"}),
            app("F2", 80, "P1", groups={"gender": "F"}),
        ],
        minimums=[{"group": "gender=F", "at_least_share": 0.5, "rule": "reserve"}],
    )
    result = solve(problem)
    assert result.assignments == {"M1": "P1", "M2": None, "F2": "P1"}
    assert result.certificate["ok"]


def test_infeasible_minimum_says_why_in_plain_words() -> None:
    apps = [app(f"M{i}", 90, "P1", groups={"gender": "M"}) for i in range(8)]
    apps.append(app("F1", 50, "P1", groups={"gender": "F"}))
    problem = make(
        [{"id": "P1", "capacity": 5}],
        apps,
        minimums=[{"group": "gender=F", "at_least_share": 0.4, "rule": "bonus"}],
    )
    result = solve(problem)
    assert result.status == "infeasible"
    assert result.messages == [
        "at least 40% applicants with gender F needs 2 of them placed among 5; "
        "only 1 eligible applicants with gender F applied"
    ]
    assert not result.certificate["minimum_share_ok"]


def test_cpsat_improves_minimum_share_without_getting_worse() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [
            app("M1", 100, "P1", "P2", groups={"gender": "M"}),
            app("M2", 90, "P2", groups={"gender": "M"}),
            app("F1", 50, "P2", "P1", groups={"gender": "F"}),
        ],
        minimums=[{"group": "gender=F", "at_least_share": 0.5, "rule": "bonus"}],
    )
    fast = solve(problem)
    exact = solve(problem, method="cpsat")
    assert exact.stats["passed_over"] <= fast.stats["passed_over"]
    assert exact.certificate["ok"] and exact.certificate["minimum_share_ok"]
    assert exact.status == "optimal"


def _bench_data(*args: Any, **shape: Any) -> dict[str, Any]:
    """Build an instance with the benchmark's own generator (bench/solver_generate.py)."""
    path = Path(__file__).resolve().parents[2] / "bench" / "solver_generate.py"
    spec = importlib.util.spec_from_file_location("solver_generate", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    data: dict[str, Any] = module.generate(*args, **shape)
    return data


def _bench_problem(*args: Any, **shape: Any) -> Any:
    return parse_problem(_bench_data(*args, **shape))


def test_cpsat_proves_a_bench_shaped_minimum_share_optimal() -> None:
    """200 applicants, 20 programs, 10 choices, 40% minimum: proven, not only improved.

    Deterministic: the proof takes about 5 deterministic seconds; the cap is 60 so that its
    wall-clock safety net (180 s) never turns the proof into "feasible" on a loaded machine.
    """
    problem = _bench_problem(200, 20, 10, minimum=0.4, women=0.4, gap=0)
    result = solve(problem, method="cpsat", time_limit_s=60)
    assert (result.status, result.stats["cpsat_stop"]) == ("optimal", "proof")
    assert result.stats["fast_rule_passed_over"] == 13
    assert result.stats["passed_over"] == result.stats["cpsat_bound"] == 9
    assert result.stats["cpsat_deterministic_s"] < 8
    assert result.certificate["ok"] and result.certificate["minimum_share_ok"]


def test_cpsat_improves_a_large_minimum_share_within_its_budget() -> None:
    """1,000 applicants, 60 programs (about 5,500 choice entries): the search improves, not proves.

    The deterministic budget is 0.4 of the caller's, the improvement is real, and the bound is
    the share arithmetic's closed form: 40% of those placed without bonus, less the members
    among them, worked out here from plain serial dictatorship.
    """
    data = _bench_data(1_000, 60, 10, minimum=0.4, women=0.3, gap=8)
    result = solve(parse_problem(data), method="cpsat", time_limit_s=5)
    stats = result.stats
    assert (stats["cpsat_mode"], stats["cpsat_stop"]) == ("improve", "deterministic time cap")
    assert 2.0 <= stats["cpsat_deterministic_s"] < 2.5
    assert stats["passed_over"] < stats["fast_rule_passed_over"] == 290
    plain = solve(parse_problem({**data, "minimums": []}))
    women = {a["id"] for a in data["applicants"] if a["groups"]["gender"] == "F"}
    placed = [a for a, p in plain.assignments.items() if p is not None]
    needed = -(-(2 * len(placed) - 5 * sum(a in women for a in placed)) // 5)
    assert stats["cpsat_bound"] == needed == 77
    assert stats["cpsat_gap"] == stats["passed_over"] - needed
    assert result.status == "feasible"
    assert result.certificate["ok"] and result.certificate["minimum_share_ok"]


def test_small_minimum_share_aims_at_a_proof() -> None:
    problem = _bench_problem(200, 20, 10, minimum=0.4, women=0.4, gap=0)
    assert solve(problem, method="cpsat", time_limit_s=1).stats["cpsat_mode"] == "prove"


@pytest.mark.parametrize(("seed", "stable"), [(1, True), (0, False)])
def test_a_full_university_cap_lets_its_own_students_move_up(seed: int, stable: bool) -> None:
    """P0 and P1 share a university capped at one place. A1 ranks P0 first but scores 0 there;
    A2 wants only P0 and scores 1. A1 at P1 wastes P0: moving there keeps the university at
    one. When A2 wins the lottery (seed 1), A2 at P0 is stable. When A1 wins (seed 0), A1
    outranks A2 under the cap but not at P0, so no allocation meets every rule, and the result
    says so rather than claiming an optimum."""
    problem = make(
        [
            {"id": "P0", "capacity": 1, "university": "U1"},
            {"id": "P1", "capacity": 1, "university": "U1"},
        ],
        [app("A1", 1, "P0", "P1", program_scores={"P0": 0}), app("A2", 1, "P0")],
        limits={"university": {"U1": 1}},
        seed=seed,
    )
    result = solve(problem)
    assert result.assignments != {"A1": "P1", "A2": None}
    if stable:
        assert (result.status, result.assignments) == ("optimal", {"A1": None, "A2": "P0"})
        assert result.certificate["ok"]
    else:
        assert result.status == "feasible"
        assert result.messages[0].startswith("no allocation meets every rule together")
        # The least-unstable search started from the relaxation without moves within limits.
        assert result.stats["cpsat_start"] == "relaxed limits"


def test_checker_reports_violations() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1, "min_score": 50}],
        [app("A1", 10, "P1", "P2"), app("A2", 12, "P1"), app("A3", 5, "P1")],
    )
    result = solve(problem)
    bad = type("R", (), {"assignments": {"A1": "P1", "A2": None, "A3": "P1"}})()
    cert = check(problem, bad)
    assert not cert["ok"]
    assert not cert["capacity_ok"]
    assert cert["justified_envy_pairs"] >= 1
    assert check(problem, result)["ok"]


def test_output_is_byte_identical_and_independent_of_file_order() -> None:
    programs = [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 2}]
    apps = [app("A1", 10, "P1", "P2"), app("A2", 12, "P1"), app("A3", 5, "P2", "P1")]
    first = solve(make(programs, apps)).to_json()
    again = solve(make(programs[::-1], apps[::-1])).to_json()
    assert first == again
    assert "wall_time_s" not in first


@pytest.mark.parametrize("method", ["da", "cpsat"])
def test_forced_methods_agree(method: str) -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1}],
        [app("A1", 10, "P1", "P2"), app("A2", 12, "P2", "P1"), app("A3", 11, "P1")],
    )
    assert solve(problem, method).assignments == {"A1": None, "A2": "P2", "A3": "P1"}


def test_explanation_names_the_tiebreak_and_the_limit() -> None:
    problem = make(
        [{"id": "P1", "capacity": 1}, {"id": "P2", "capacity": 1, "university": "U"}],
        [
            app("A1", 90, "P1", "P2", tiebreak=[1]),
            app("A2", 90, "P1", tiebreak=[2]),
            app("A3", 95, "P2", tiebreak=[0]),
        ],
        limits={"university": {"U": 0}},
    )
    result = solve(problem)
    assert result.assignments == {"A1": None, "A2": "P1", "A3": None}
    lines = explain(problem, result, "A1")
    assert "decided by the tie-break values: last admitted [2], yours [1]" in lines[1]
    assert "but the university limit for U (0 places) was reached" in lines[2]


def test_empty_problem_and_zero_capacity() -> None:
    assert solve(make([], [])).assignments == {}
    result = solve(make([{"id": "P1", "capacity": 0}], [app("A1", 1, "P1")]))
    assert result.assignments == {"A1": None}
    assert result.certificate["ok"]


def test_result_json_has_timing_only_when_asked() -> None:
    result = solve(make([{"id": "P1", "capacity": 1}], [app("A1", 1, "P1")]))
    assert "wall_time_s" in result.stats
    assert "wall_time_s" not in result.to_json()
    assert "wall_time_s" in result.to_json(timing=True)


def test_cutoffs_report_reserved_places_used_and_reverted() -> None:
    from solver import parse_problem, solve

    men = [
        {"id": f"M{i}", "score": 100 - i, "preferences": ["P"], "groups": {"gender": "M"}}
        for i in range(3)
    ]
    woman = {"id": "W", "score": 70, "preferences": ["P"], "groups": {"gender": "F"}}
    others = [
        {"id": f"O{i}", "score": 90 - i, "preferences": ["Q"], "groups": {"gender": "M"}}
        for i in range(2)
    ]
    problem = parse_problem(
        {
            "format": "umit-allocation/1",
            "seed": 1,
            "programs": [
                {"id": "P", "capacity": 3, "reserved": {"gender=F": 1}},
                {"id": "Q", "capacity": 2, "reserved": {"gender=F": 1}},
            ],
            "applicants": [*men, woman, *others],
        }
    )
    result = solve(problem)
    assert result.assignments["W"] == "P" and result.assignments["M2"] is None
    assert result.cutoffs["P"]["reserved"] == {"gender=F": {"places": 1, "used": 1, "reverted": 0}}
    # Nobody of the group applied to Q: its reserved place reverted to an open place.
    assert result.cutoffs["Q"]["reserved"] == {"gender=F": {"places": 1, "used": 0, "reverted": 1}}
    assert "reserved" not in result.cutoffs.get("P", {}).get("groups", {})
