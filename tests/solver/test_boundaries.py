"""The solver package stays pure: no app, Flask or SQLAlchemy imports."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SOLVER = Path(__file__).resolve().parents[2] / "solver"
FORBIDDEN = ("app", "flask", "sqlalchemy", "flask_sqlalchemy")


def _imports(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


@pytest.mark.parametrize("path", sorted(SOLVER.glob("*.py")), ids=lambda p: p.name)
def test_solver_never_imports_the_app(path: Path) -> None:
    for name in _imports(path):
        assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"


def test_checker_shares_no_code_with_the_algorithms() -> None:
    own = {n for n in _imports(SOLVER / "checks.py") if n.startswith("solver")}
    assert own <= {"solver.problem"}
