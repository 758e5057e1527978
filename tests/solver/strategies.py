"""Hypothesis strategies that generate valid allocation problems (exchange-format dicts)."""

from __future__ import annotations

import hashlib
from typing import Any

from hypothesis import strategies as st


@st.composite
def problems(
    draw: st.DrawFn,
    *,
    max_applicants: int = 8,
    max_programs: int = 4,
    max_capacity: int = 3,
    program_scores: bool = True,
    min_scores: bool = True,
    tiebreak: bool = True,
    held: bool = False,
    guaranteed: bool = False,
    reserved: bool = False,
    limits: bool = False,
    minimum: str | None = None,
) -> dict[str, Any]:
    """Draw a small problem with many ties (scores 0-6) and the requested features."""
    n_prog = draw(st.integers(1, max_programs))
    pids = [f"P{i}" for i in range(n_prog)]
    n_app = draw(st.integers(1, max_applicants))
    programs = []
    for pid in pids:
        cap = draw(st.integers(0, max_capacity))
        prog: dict[str, Any] = {
            "id": pid,
            "capacity": cap,
            "university": draw(st.sampled_from(["U1", "U2"])),
            "field": draw(st.sampled_from(["F1", "F2"])),
        }
        if min_scores and draw(st.booleans()):
            prog["min_score"] = draw(st.integers(0, 4))
        if reserved and cap and draw(st.booleans()):
            prog["reserved"] = {"gender=F": draw(st.integers(1, cap))}
        programs.append(prog)
    applicants = []
    for i in range(n_app):
        prefs = draw(st.lists(st.sampled_from(pids), unique=True, max_size=n_prog))
        app: dict[str, Any] = {
            "id": f"A{i}",
            "score": draw(st.integers(0, 6)),
            "preferences": prefs,
            "groups": {"gender": draw(st.sampled_from(["F", "M"]))},
        }
        if tiebreak:
            app["tiebreak"] = [draw(st.integers(0, 1))]
        if program_scores and prefs and draw(st.booleans()):
            app["program_scores"] = {prefs[0]: draw(st.integers(0, 6))}
        if prefs and (held or guaranteed) and draw(st.integers(0, 3)) == 0:
            kind = "held" if held and (not guaranteed or draw(st.booleans())) else "guaranteed"
            app[kind] = draw(st.sampled_from(prefs))
        applicants.append(app)
    data: dict[str, Any] = {
        "format": "umit-allocation/1",
        "seed": draw(st.integers(0, 10**6)),
        "programs": programs,
        "applicants": applicants,
    }
    if held:
        _fit_holders(data)
    if limits:
        data["limits"] = {
            "total": draw(st.one_of(st.none(), st.integers(0, n_app))),
            "university": {"U1": draw(st.integers(0, 4))},
            "field": {"F2": draw(st.integers(0, 4))} if draw(st.booleans()) else {},
            "budget": draw(st.one_of(st.none(), st.integers(0, 6))),
        }
    if minimum:
        share = draw(st.sampled_from([0.2, 0.4, 0.5, 0.6]))
        data["minimums"] = [{"group": "gender=F", "at_least_share": share, "rule": minimum}]
    return data


def _fit_holders(data: dict[str, Any]) -> None:
    """Keep holders within capacity, as after a real round (holders never exceed places)."""
    caps = {p["id"]: p["capacity"] for p in data["programs"]}
    for app in data["applicants"]:
        target = app.get("held")
        if target is None:
            continue
        if caps[target] > 0:
            caps[target] -= 1
        else:
            del app["held"]


def lottery(seed: int | str, applicant_id: str) -> int:
    """Recompute the published lottery number."""
    return int(hashlib.sha256(f"{seed}:{applicant_id}".encode()).hexdigest(), 16)
