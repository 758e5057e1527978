"""Bad input gets one clear message naming the item and the field."""

from __future__ import annotations

from typing import Any

import pytest

from solver import ProblemError, parse_problem, solve


def base() -> dict[str, Any]:
    return {
        "seed": 1,
        "programs": [{"id": "P1", "capacity": 2}],
        "applicants": [{"id": "A1", "score": 10, "preferences": ["P1"]}],
    }


def broken(path: str, value: Any) -> dict[str, Any]:
    data = base()
    target: Any = data
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    target[keys[-1]] = value
    return data


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (broken("programs.0.capacity", -1), "program 'P1': field 'capacity' must not be negative"),
        (broken("programs.0.capacity", "2"), "program 'P1': field 'capacity' must be an integer"),
        (
            broken("applicants.0.preferences", ["P9"]),
            "applicant 'A1': field 'preferences' names unknown program 'P9'",
        ),
        (
            broken("applicants.0.score", None),
            "applicant 'A1': field 'score' must be a finite number",
        ),
        (broken("applicants.0.held", "P9"), "applicant 'A1': field 'held' names 'P9'"),
        (
            broken("minimums", [{"group": "gender=F", "at_least_share": 1.5}]),
            "minimum #0: field 'at_least_share' must be at most 1",
        ),
        (
            broken("minimums", [{"group": "women", "at_least_share": 0.4}]),
            "minimum #0: field 'group' must name a group as 'key=value'",
        ),
        (
            broken("programs.0.reserved", {"gender=F": 3}),
            "program 'P1': field 'reserved' adds up to more than 'capacity'",
        ),
        (
            broken("policy", {"ties": "coin"}),
            "policy: field 'ties' must be one of lottery, admit_all",
        ),
        (broken("format", "other/1"), "problem: field 'format' must be"),
        ([], "problem: the document must be a JSON object"),
    ],
)
def test_bad_input_names_item_and_field(data: Any, message: str) -> None:
    with pytest.raises(ProblemError, match="^" + message.replace("(", r"\(").replace(".", r"\.")):
        parse_problem(data)


def test_duplicate_ids_are_refused() -> None:
    data = base()
    data["applicants"].append(dict(data["applicants"][0]))
    with pytest.raises(ProblemError, match="applicant 'A1': duplicate id"):
        parse_problem(data)
    data = base()
    data["programs"].append({"id": "P1", "capacity": 1})
    with pytest.raises(ProblemError, match="program 'P1': duplicate id"):
        parse_problem(data)


def test_unknown_method_is_refused() -> None:
    with pytest.raises(ProblemError, match="method must be one of"):
        solve(parse_problem(base()), method="magic")


def test_da_refuses_what_it_cannot_solve_exactly() -> None:
    data = base()
    data["policy"] = {"ties": "admit_all"}
    with pytest.raises(ProblemError, match="deferred acceptance is not exact"):
        solve(parse_problem(data), method="da")
