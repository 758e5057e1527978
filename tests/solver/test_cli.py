"""`python -m solver` end to end: exit codes 0 (ok), 1 (violations), 2 (bad input)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBLEM = {
    "format": "umit-allocation/1",
    "seed": 20260701,
    "programs": [
        {"id": "KAZNU-CS", "capacity": 1, "min_score": 75},
        {"id": "ENU-MATH", "capacity": 1},
    ],
    "applicants": [
        {"id": "A0001", "score": 112.5, "preferences": ["KAZNU-CS", "ENU-MATH"]},
        {"id": "A0002", "score": 118, "preferences": ["KAZNU-CS"]},
        {"id": "A0003", "score": 70, "preferences": ["KAZNU-CS", "ENU-MATH"]},
    ],
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "solver", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(PROBLEM))
    return {"problem": problem, "result": tmp_path / "result.json", "dir": tmp_path}


def test_solve_verify_explain(files: dict[str, Path]) -> None:
    solved = run("solve", str(files["problem"]), "-o", str(files["result"]))
    assert solved.returncode == 0, solved.stderr
    result = json.loads(files["result"].read_text())
    assert result["assignments"] == {"A0001": "ENU-MATH", "A0002": "KAZNU-CS", "A0003": None}
    verified = run("verify", str(files["problem"]), str(files["result"]))
    assert verified.returncode == 0
    assert verified.stdout.startswith("ok")
    told = run("explain", str(files["problem"]), str(files["result"]), "A0003")
    assert told.returncode == 0
    assert "minimum score 75 is above your score 70" in told.stdout
    assert "ENU-MATH: full; the last place went to score 112.5" in told.stdout


def test_solve_twice_gives_identical_bytes(files: dict[str, Path]) -> None:
    other = files["dir"] / "again.json"
    run("solve", str(files["problem"]), "-o", str(files["result"]))
    run("solve", str(files["problem"]), "-o", str(other), "--method", "cpsat")
    first = json.loads(files["result"].read_text())
    second = json.loads(other.read_text())
    assert first["assignments"] == second["assignments"]
    run("solve", str(files["problem"]), "-o", str(other))
    assert files["result"].read_bytes() == other.read_bytes()


def test_verify_lists_each_violation_and_exits_1(files: dict[str, Path]) -> None:
    bad: dict[str, Any] = {"assignments": {"A0001": "KAZNU-CS", "A0002": None, "A0003": "KAZNU-CS"}}
    files["result"].write_text(json.dumps(bad))
    verified = run("verify", str(files["problem"]), str(files["result"]))
    assert verified.returncode == 1
    lines = verified.stdout.splitlines()
    assert any("A0003: placed in KAZNU-CS below its minimum score" in x for x in lines)
    assert any("KAZNU-CS: 2 placed for 1 places" in x for x in lines)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "malformed JSON"),
        (
            json.dumps({**PROBLEM, "programs": [{"id": "X", "capacity": -1}]}),
            "program 'X': field 'capacity'",
        ),
    ],
)
def test_bad_input_exits_2_without_traceback(
    files: dict[str, Path], content: str, message: str
) -> None:
    files["problem"].write_text(content)
    solved = run("solve", str(files["problem"]), "-o", str(files["result"]))
    assert solved.returncode == 2
    assert message in solved.stderr
    assert "Traceback" not in solved.stderr
    assert len(solved.stderr.strip().splitlines()) == 1


def test_missing_file_and_unknown_applicant_exit_2(files: dict[str, Path]) -> None:
    assert run("solve", str(files["dir"] / "nope.json")).returncode == 2
    run("solve", str(files["problem"]), "-o", str(files["result"]))
    told = run("explain", str(files["problem"]), str(files["result"]), "A9999")
    assert told.returncode == 2
    assert "unknown applicant 'A9999'" in told.stderr


def test_verify_flags_a_result_for_another_input(files: dict[str, Path]) -> None:
    run("solve", str(files["problem"]), "-o", str(files["result"]))
    changed = {**PROBLEM, "seed": 1}
    files["problem"].write_text(json.dumps(changed))
    verified = run("verify", str(files["problem"]), str(files["result"]))
    assert verified.returncode == 1
    assert "input_sha256 differs" in verified.stdout
