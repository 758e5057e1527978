"""Typed allocation problem: parsing and validation of the `umit-allocation/1` exchange format."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

FORMAT = "umit-allocation/1"
MINIMUM_RULES = ("bonus", "reserve")
TIE_POLICIES = ("lottery", "admit_all")


class ProblemError(ValueError):
    """Bad input: the message names the item and the field."""


@dataclass(frozen=True, slots=True)
class Program:
    """A program with its places and optional grouping for shared limits."""

    id: str
    capacity: int
    university: str | None = None
    field: str | None = None
    min_score: float | None = None
    cost: float = 1.0
    reserved: Mapping[str, int] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Applicant:
    """An applicant with scores, tie-break values, ranked choices and round history."""

    id: str
    score: float
    preferences: tuple[str, ...]
    tiebreak: tuple[float, ...] = ()
    program_scores: Mapping[str, float] = dataclasses.field(default_factory=dict)
    groups: Mapping[str, str] = dataclasses.field(default_factory=dict)
    held: str | None = None
    guaranteed: str | None = None

    def score_for(self, program_id: str) -> float:
        """Return the score this applicant competes with at a program."""
        return self.program_scores.get(program_id, self.score)

    def in_group(self, group: str) -> bool:
        """Tell whether the applicant belongs to a group written as `key=value`."""
        key, _, value = group.partition("=")
        return self.groups.get(key) == value


@dataclass(frozen=True, slots=True)
class Limits:
    """Upper limits shared across programs (None means no limit)."""

    total: int | None = None
    university: Mapping[str, int] = dataclasses.field(default_factory=dict)
    field: Mapping[str, int] = dataclasses.field(default_factory=dict)
    budget: float | None = None

    def any(self) -> bool:
        """Tell whether any shared limit is set."""
        return (
            self.total is not None
            or bool(self.university)
            or bool(self.field)
            or self.budget is not None
        )


@dataclass(frozen=True, slots=True)
class Minimum:
    """A minimum share of a group among everyone placed, met by a bonus or by reserves."""

    group: str
    at_least_share: float
    rule: str = "bonus"


@dataclass(frozen=True, slots=True)
class Problem:
    """A whole allocation round; programs and applicants are sorted by id."""

    seed: str
    programs: tuple[Program, ...]
    applicants: tuple[Applicant, ...]
    limits: Limits = dataclasses.field(default_factory=Limits)
    minimums: tuple[Minimum, ...] = ()
    ties: str = "lottery"
    input_sha256: str = ""

    def program_index(self) -> dict[str, int]:
        """Map program ids to their index in `programs`."""
        return {p.id: i for i, p in enumerate(self.programs)}


def parse_problem(data: Any) -> Problem:
    """Build a validated Problem from decoded JSON; refuse bad input with a ProblemError."""
    if not isinstance(data, dict):
        raise ProblemError("problem: the document must be a JSON object")
    fmt = data.get("format", FORMAT)
    if fmt != FORMAT:
        raise ProblemError(f"problem: field 'format' must be {FORMAT!r}, got {fmt!r}")
    seed = data.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise ProblemError("problem: field 'seed' must be an integer or a string")
    programs = _parse_programs(_list(data, "programs", "problem"))
    known = {p.id for p in programs}
    applicants = _parse_applicants(_list(data, "applicants", "problem"), known)
    limits = _parse_limits(data.get("limits"))
    minimums = _parse_minimums(data.get("minimums"))
    ties = _parse_policy(data.get("policy"))
    return Problem(
        seed=str(seed),
        programs=tuple(sorted(programs, key=lambda p: p.id)),
        applicants=tuple(sorted(applicants, key=lambda a: a.id)),
        limits=limits,
        minimums=minimums,
        ties=ties,
        input_sha256=canonical_sha256(data),
    )


def canonical_sha256(data: Mapping[str, Any]) -> str:
    """Hash the input in a canonical form so file order and layout never change the hash."""
    canon = dict(data)
    for name in ("programs", "applicants"):
        items = canon.get(name) or []
        canon[name] = sorted(items, key=lambda item: str(item.get("id")))
    text = json.dumps(canon, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def _list(data: Mapping[str, Any], name: str, where: str) -> list[Any]:
    value = data.get(name)
    if not isinstance(value, list):
        raise ProblemError(f"{where}: field {name!r} must be a list")
    return value


def _item_id(item: Any, kind: str, index: int) -> str:
    if not isinstance(item, dict):
        raise ProblemError(f"{kind} #{index}: must be a JSON object")
    ident = item.get("id")
    if not isinstance(ident, str) or not ident:
        raise ProblemError(f"{kind} #{index}: field 'id' must be a non-empty string")
    return ident


def _number(value: Any, where: str, name: str, *, minimum: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ProblemError(f"{where}: field {name!r} must be a finite number")
    if minimum is not None and value < minimum:
        raise ProblemError(f"{where}: field {name!r} must be at least {minimum:g}, got {value}")
    return float(value)


def _count(value: Any, where: str, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ProblemError(f"{where}: field {name!r} must be an integer")
    if value < 0:
        raise ProblemError(f"{where}: field {name!r} must not be negative, got {value}")
    return value


def _optional_str(item: Mapping[str, Any], name: str, where: str) -> str | None:
    value = item.get(name)
    if value is not None and not isinstance(value, str):
        raise ProblemError(f"{where}: field {name!r} must be a string or null")
    return value


def _check_group(group: Any, where: str, name: str) -> str:
    if not isinstance(group, str) or "=" not in group or group.startswith("="):
        raise ProblemError(f"{where}: field {name!r} must name a group as 'key=value'")
    return group


def _parse_programs(items: list[Any]) -> list[Program]:
    programs: list[Program] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        pid = _item_id(item, "program", index)
        where = f"program {pid!r}"
        if pid in seen:
            raise ProblemError(f"{where}: duplicate id")
        seen.add(pid)
        min_score = item.get("min_score")
        reserved_raw = item.get("reserved") or {}
        if not isinstance(reserved_raw, dict):
            raise ProblemError(f"{where}: field 'reserved' must be an object")
        reserved = {
            _check_group(g, where, "reserved"): _count(n, where, f"reserved[{g}]")
            for g, n in reserved_raw.items()
        }
        capacity = _count(item.get("capacity"), where, "capacity")
        if sum(reserved.values()) > capacity:
            raise ProblemError(f"{where}: field 'reserved' adds up to more than 'capacity'")
        cost = item.get("cost")
        programs.append(
            Program(
                id=pid,
                capacity=capacity,
                university=_optional_str(item, "university", where),
                field=_optional_str(item, "field", where),
                min_score=None if min_score is None else _number(min_score, where, "min_score"),
                cost=1.0 if cost is None else _number(cost, where, "cost", minimum=0),
                reserved=dict(sorted(reserved.items())),
            )
        )
    return programs


def _parse_applicants(items: list[Any], known: set[str]) -> list[Applicant]:
    applicants: list[Applicant] = []
    seen: set[str] = set()
    width: int | None = None
    for index, item in enumerate(items):
        aid = _item_id(item, "applicant", index)
        if aid in seen:
            raise ProblemError(f"applicant {aid!r}: duplicate id")
        seen.add(aid)
        applicant = _parse_applicant(item, aid, known)
        if width is None:
            width = len(applicant.tiebreak)
        elif len(applicant.tiebreak) != width:
            raise ProblemError(
                f"applicant {aid!r}: field 'tiebreak' must have {width} values like the others"
            )
        applicants.append(applicant)
    return applicants


def _parse_applicant(item: Mapping[str, Any], aid: str, known: set[str]) -> Applicant:
    prefs: list[str] = item.get("preferences")  # type: ignore[assignment]  # checked next
    if type(prefs) is not list or not _known_ids(prefs, known) or len(set(prefs)) != len(prefs):
        _refuse_preferences(prefs, aid, known)
    score = item.get("score")
    if type(score) is not int and type(score) is not float or not math.isfinite(score):
        score = _number(score, f"applicant {aid!r}", "score")
    tiebreak = item.get("tiebreak") or ()
    if type(tiebreak) is not list or not all(type(v) is int for v in tiebreak):
        tiebreak = _numbers(tiebreak, aid)
    groups = item.get("groups") or {}
    if type(groups) is not dict or not all(type(v) is str for v in groups.values()):
        raise ProblemError(f"applicant {aid!r}: field 'groups' must map names to strings")
    program_scores = item.get("program_scores") or {}
    held = item.get("held")
    guaranteed = item.get("guaranteed")
    if program_scores or held is not None or guaranteed is not None or len(groups) > 1:
        program_scores, held, guaranteed = _extras(item, aid, known, prefs)
        groups = dict(sorted(groups.items()))
    return Applicant(
        aid, float(score), tuple(prefs), tuple(tiebreak), program_scores, groups, held, guaranteed
    )


def _known_ids(prefs: list[Any], known: set[str]) -> bool:
    try:
        return known.issuperset(prefs)
    except TypeError:
        return False


def _refuse_preferences(prefs: Any, aid: str, known: set[str]) -> NoReturn:
    where = f"applicant {aid!r}"
    if not isinstance(prefs, list) or not all(isinstance(p, str) for p in prefs):
        raise ProblemError(f"{where}: field 'preferences' must be a list of program ids")
    for pid in prefs:
        if pid not in known:
            raise ProblemError(f"{where}: field 'preferences' names unknown program {pid!r}")
    raise ProblemError(f"{where}: field 'preferences' lists a program twice")


def _numbers(values: Any, aid: str) -> tuple[float, ...]:
    where = f"applicant {aid!r}"
    if not isinstance(values, list | tuple):
        raise ProblemError(f"{where}: field 'tiebreak' must be a list of numbers")
    return tuple(_number(v, where, "tiebreak") for v in values)


def _extras(
    item: Mapping[str, Any], aid: str, known: set[str], prefs: list[str]
) -> tuple[dict[str, float], str | None, str | None]:
    """Validate program-specific scores and the held / guaranteed places."""
    where = f"applicant {aid!r}"
    program_scores = item.get("program_scores") or {}
    if not isinstance(program_scores, dict):
        raise ProblemError(f"{where}: field 'program_scores' must be an object")
    for pid in program_scores:
        if pid not in known:
            raise ProblemError(f"{where}: field 'program_scores' names unknown program {pid!r}")
    held = _listed(item, "held", where, prefs)
    guaranteed = _listed(item, "guaranteed", where, prefs)
    if held is not None and guaranteed is not None:
        raise ProblemError(f"{where}: fields 'held' and 'guaranteed' cannot both be set")
    scores = {
        p: _number(s, where, f"program_scores[{p}]") for p, s in sorted(program_scores.items())
    }
    return scores, held, guaranteed


def _listed(item: Mapping[str, Any], name: str, where: str, prefs: list[str]) -> str | None:
    value = _optional_str(item, name, where)
    if value is not None and value not in prefs:
        raise ProblemError(
            f"{where}: field {name!r} names {value!r}, which is not in 'preferences'"
        )
    return value


def _parse_limits(raw: Any) -> Limits:
    if raw is None:
        return Limits()
    if not isinstance(raw, dict):
        raise ProblemError("limits: must be an object")
    total = raw.get("total")
    budget = raw.get("budget")
    by_key: dict[str, dict[str, int]] = {}
    for name in ("university", "field"):
        table = raw.get(name) or {}
        if not isinstance(table, dict):
            raise ProblemError(f"limits: field {name!r} must be an object")
        by_key[name] = {k: _count(v, "limits", f"{name}[{k}]") for k, v in sorted(table.items())}
    return Limits(
        total=None if total is None else _count(total, "limits", "total"),
        university=by_key["university"],
        field=by_key["field"],
        budget=None if budget is None else _number(budget, "limits", "budget", minimum=0),
    )


def _parse_minimums(raw: Any) -> tuple[Minimum, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ProblemError("minimums: must be a list")
    minimums: list[Minimum] = []
    for index, item in enumerate(raw):
        where = f"minimum #{index}"
        if not isinstance(item, dict):
            raise ProblemError(f"{where}: must be an object")
        group = _check_group(item.get("group"), where, "group")
        share = _number(item.get("at_least_share"), where, "at_least_share", minimum=0)
        if share > 1:
            raise ProblemError(f"{where}: field 'at_least_share' must be at most 1, got {share}")
        rule = item.get("rule", "bonus")
        if rule not in MINIMUM_RULES:
            raise ProblemError(f"{where}: field 'rule' must be one of {', '.join(MINIMUM_RULES)}")
        minimums.append(Minimum(group=group, at_least_share=share, rule=rule))
    if len(minimums) > 1:
        raise ProblemError("minimums: only one minimum share per round is supported")
    return tuple(minimums)


def _parse_policy(raw: Any) -> str:
    if raw is None:
        return "lottery"
    if not isinstance(raw, dict):
        raise ProblemError("policy: must be an object")
    ties = raw.get("ties", "lottery")
    if ties not in TIE_POLICIES:
        raise ProblemError(f"policy: field 'ties' must be one of {', '.join(TIE_POLICIES)}")
    return str(ties)
