"""Reading and writing exchange-format files with clear errors instead of tracebacks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from solver.problem import Problem, ProblemError, parse_problem


def read_json(path: str | Path) -> Any:
    """Decode a JSON file; refuse unreadable or malformed files with a ProblemError."""
    try:
        with open(path, "rb") as handle:
            return json.load(handle)
    except OSError as err:
        raise ProblemError(f"{path}: cannot read the file ({err.strerror})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ProblemError(f"{path}: malformed JSON ({err})") from None


def load_problem(path: str | Path) -> Problem:
    """Read and validate a problem file."""
    return parse_problem(read_json(path))


def load_result(path: str | Path) -> tuple[dict[str, str | None], str | None]:
    """Read a result file's assignments and input hash; refuse anything that is not a result."""
    data = read_json(path)
    digest = data.get("input_sha256") if isinstance(data, dict) else None
    return _assignments(data, path), digest if isinstance(digest, str) else None


def load_assignments(path: str | Path) -> dict[str, str | None]:
    """Read the assignments of a result file; refuse anything that is not a result."""
    return _assignments(read_json(path), path)


def _assignments(data: Any, path: str | Path) -> dict[str, str | None]:
    assignments = data.get("assignments") if isinstance(data, dict) else None
    if not isinstance(assignments, dict) or not all(
        isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in assignments.items()
    ):
        raise ProblemError(f"{path}: field 'assignments' must map applicant ids to program ids")
    return assignments


def write_text(path: str | Path, text: str) -> None:
    """Write a result file (UTF-8, trailing newline)."""
    Path(path).write_text(text + "\n", encoding="utf-8")
