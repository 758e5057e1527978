"""The static security checks stay switched on: ruff's S (flake8-bandit) rules, and bandit at
medium severity in `make lint` (which CI runs before the tests)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_selects_the_security_rules():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["ruff"]["lint"]
    assert "S" in lint["select"]
    # Only `assert` may be ignored everywhere (pytest and typing invariants use it).
    assert [rule for rule in lint.get("ignore", []) if rule.startswith("S")] == ["S101"]
    per_file = lint.get("per-file-ignores", {})
    assert all(pattern.startswith(("tests/", "bench/")) for pattern in per_file)


def test_make_lint_runs_bandit_on_app_and_solver():
    makefile = (ROOT / "Makefile").read_text("utf-8")
    lint_target = makefile.split("\nlint:", 1)[1].split("\n\n", 1)[0]
    assert "bandit -q -ll -r app solver" in lint_target
    assert "ruff check ." in lint_target
