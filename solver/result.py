"""The allocation result and its deterministic JSON form (`umit-allocation-result/1`)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

RESULT_FORMAT = "umit-allocation-result/1"
STATUSES = ("optimal", "feasible", "infeasible")
# Measured, not decided: written only on request, so the same input gives the same bytes.
TIMING_KEYS = ("wall_time_s", "cpsat_deterministic_s")


@dataclass(frozen=True, slots=True)
class Result:
    """An allocation with its cutoffs, fairness certificate, statistics and plain-words messages.

    `assignments` maps every applicant id to a program id or None. `stats["wall_time_s"]` is kept
    in memory but left out of `to_json()` unless asked, so the same input gives the same bytes.
    """

    status: str
    method: str
    input_sha256: str
    solver_version: str
    assignments: dict[str, str | None]
    cutoffs: dict[str, dict[str, Any]]
    certificate: dict[str, Any]
    stats: dict[str, Any]
    messages: list[str] = field(default_factory=list)
    exclusions: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"result: status must be one of {STATUSES}, got {self.status!r}")

    def to_dict(self, *, timing: bool = False) -> dict[str, Any]:
        """Return the exchange-format dictionary; wall times only when `timing` is set."""
        stats = {k: v for k, v in self.stats.items() if timing or k not in TIMING_KEYS}
        return {
            "format": RESULT_FORMAT,
            "status": self.status,
            "method": self.method,
            "solver_version": self.solver_version,
            "input_sha256": self.input_sha256,
            "assignments": self.assignments,
            "cutoffs": self.cutoffs,
            "certificate": self.certificate,
            "stats": stats,
            "messages": self.messages,
            "exclusions": self.exclusions,
        }

    def to_json(self, *, timing: bool = False) -> str:
        """Serialise with sorted keys so the same input always gives byte-identical output."""
        return json.dumps(
            self.to_dict(timing=timing), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )

    @property
    def placed(self) -> int:
        """Count applicants with a place."""
        return sum(1 for p in self.assignments.values() if p is not None)
