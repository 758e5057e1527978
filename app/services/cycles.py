"""Cycle set-up: window, rules, lottery seed commitment and the rules lock.

A cycle's rules (score formula, tie-break chain, eligibility rules, choices, limits, quotas and
the seed) may change until its first official round has run; from then on they are locked so
every round of the cycle is decided by the rules that were published.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.extensions import db
from app.models import Cycle, CycleStatus, User, utcnow
from app.services import audit
from app.services.errors import InvalidInput, NotFound, ServiceError

# Fields that are "rules": frozen once the first official round has run.
RULE_FIELDS = (
    "max_choices",
    "score_formula",
    "tiebreak_chain",
    "eligibility_rules",
    "lottery_seed",
    "total_quota",
    "budget",
    "university_caps",
    "field_caps",
    "minimums",
)
WINDOW_FIELDS = (
    "name",
    "application_opens_at",
    "application_closes_at",
    "appeal_window_days",
    "acceptance_window_days",
)

# draft → open → closed → allocating → finished (DESIGN §2); a closed cycle may reopen.
STATUS_MOVES: dict[CycleStatus, frozenset[CycleStatus]] = {
    CycleStatus.DRAFT: frozenset({CycleStatus.OPEN}),
    CycleStatus.OPEN: frozenset({CycleStatus.CLOSED}),
    CycleStatus.CLOSED: frozenset({CycleStatus.OPEN, CycleStatus.ALLOCATING}),
    CycleStatus.ALLOCATING: frozenset({CycleStatus.FINISHED}),
    CycleStatus.FINISHED: frozenset(),
}


class RulesLocked(ServiceError):
    """The cycle's first official round has run; its rules can no longer change."""


@dataclass
class CycleData:
    """What a ministry officer sets for a cycle (forms build this)."""

    name: str
    application_opens_at: datetime
    application_closes_at: datetime
    max_choices: int = 4
    appeal_window_days: int = 10
    acceptance_window_days: int = 7
    score_formula: dict[str, Any] = field(default_factory=dict)
    tiebreak_chain: list[str] = field(default_factory=list)
    eligibility_rules: dict[str, Any] = field(default_factory=dict)


def get_cycle(cycle_id: int) -> Cycle:
    """Return the cycle or raise NotFound."""
    cycle = db.session.get(Cycle, cycle_id)
    if cycle is None:
        raise NotFound(_("There is no such cycle."))
    return cycle


def list_cycles() -> list[Cycle]:
    """Return all cycles, newest first."""
    return list(db.session.scalars(select(Cycle).order_by(Cycle.created_at.desc(), Cycle.id)))


def parse_formula(text: str) -> dict[str, Any]:
    """Read `unt_total=1, gpa=10` into a score formula; refuse bad names or weights."""
    components: dict[str, float] = {}
    for part in (p.strip() for p in text.replace("\n", ",").split(",")):
        if not part:
            continue
        name, sep, weight = part.partition("=")
        name = name.strip()
        if not sep or not name.replace("_", "").isalnum() or len(name) > 40:
            raise InvalidInput(_("Write each component as name=weight, e.g. unt_total=1."))
        try:
            value = float(weight)
        except ValueError:
            raise InvalidInput(_("The weight of %(name)s is not a number.", name=name)) from None
        if not 0 < value <= 1000:
            raise InvalidInput(_("The weight of %(name)s must be above 0.", name=name))
        components[name] = value
    if not components:
        raise InvalidInput(_("The score formula needs at least one component."))
    described = " + ".join(f"{w:g} × {n}" for n, w in components.items())
    return {"components": components, "description": f"competitive score = {described}"}


def format_formula(formula: dict[str, Any]) -> str:
    """Write a formula back in the `name=weight` form the set-up form uses."""
    return ", ".join(f"{n}={w:g}" for n, w in (formula.get("components") or {}).items())


def parse_chain(text: str) -> list[str]:
    """Read a comma-separated tie-break chain of score component names."""
    chain = [p.strip() for p in text.split(",") if p.strip()]
    for name in chain:
        if not name.replace("_", "").isalnum() or len(name) > 40:
            raise InvalidInput(_("Tie-break entries must be score component names."))
    if len(set(chain)) != len(chain):
        raise InvalidInput(_("A tie-break component is listed twice."))
    return chain


def _check_window(data: CycleData) -> None:
    if data.application_closes_at <= data.application_opens_at:
        raise InvalidInput(_("Applications must close after they open."))


def _name_taken(name: str, cycle_id: int | None) -> bool:
    query = select(func.count()).select_from(Cycle).where(Cycle.name == name)
    if cycle_id is not None:
        query = query.where(Cycle.id != cycle_id)
    return bool(db.session.scalar(query))


def create_cycle(data: CycleData, *, by: User) -> Cycle:
    """Create a cycle in draft; refuse a duplicate name or an empty window."""
    _check_window(data)
    if _name_taken(data.name, None):
        raise InvalidInput(_("A cycle with this name already exists."))
    cycle = Cycle(
        name=data.name,
        status=CycleStatus.DRAFT,
        application_opens_at=data.application_opens_at,
        application_closes_at=data.application_closes_at,
        max_choices=data.max_choices,
        appeal_window_days=data.appeal_window_days,
        acceptance_window_days=data.acceptance_window_days,
        score_formula=data.score_formula or {"components": {"unt_total": 1.0}},
        tiebreak_chain=list(data.tiebreak_chain),
        eligibility_rules=dict(data.eligibility_rules),
    )
    db.session.add(cycle)
    db.session.flush()
    audit.record(by, "cycle.create", cycle, after=_summary(cycle))
    return cycle


def update_cycle(cycle: Cycle, data: CycleData, *, by: User) -> Cycle:
    """Change a cycle's window and rules; refuse rule changes once the rules are locked."""
    _check_window(data)
    if _name_taken(data.name, cycle.id):
        raise InvalidInput(_("A cycle with this name already exists."))
    before = _summary(cycle)
    formula = data.score_formula or cycle.score_formula
    if (formula or {}).get("components") == (cycle.score_formula or {}).get("components"):
        formula = cycle.score_formula  # same weights: keep the published description
    rules = {
        "max_choices": data.max_choices,
        "score_formula": formula,
        "tiebreak_chain": list(data.tiebreak_chain),
        # Keys the form does not show are kept as they are.
        "eligibility_rules": {**(cycle.eligibility_rules or {}), **data.eligibility_rules},
    }
    changed_rules = [k for k, v in rules.items() if getattr(cycle, k) != v]
    if changed_rules and cycle.rules_locked:
        raise RulesLocked(_("The rules of this cycle are locked because its first round has run."))
    for key in WINDOW_FIELDS:
        setattr(cycle, key, getattr(data, key))
    for key, value in rules.items():
        setattr(cycle, key, value)
    db.session.flush()
    audit.record(by, "cycle.update", cycle, before=before, after=_summary(cycle))
    return cycle


def ensure_rules_open(cycle: Cycle) -> None:
    """Refuse when the cycle's rules are locked (used by quota and limit edits too)."""
    if cycle.rules_locked:
        raise RulesLocked(_("The rules of this cycle are locked because its first round has run."))


def commit_seed(cycle: Cycle, seed: int | None = None, *, by: User) -> Cycle:
    """Fix and publish the lottery seed; refuse to change a seed once committed.

    Anyone can then recompute every tie: lottery(a) = sha256(f"{seed}:{code}").
    """
    if cycle.seed_committed_at is not None:
        raise ServiceError(_("The lottery seed is already committed and cannot change."))
    ensure_rules_open(cycle)
    if seed is None:
        seed = secrets.randbelow(10**12)
    if not 0 <= seed < 2**63:
        raise InvalidInput(_("The seed must be a whole number between 0 and 2^63."))
    before = {"lottery_seed": cycle.lottery_seed}
    cycle.lottery_seed = seed
    cycle.seed_committed_at = utcnow()
    db.session.flush()
    audit.record(by, "cycle.seed_commit", cycle, before=before, after={"lottery_seed": seed})
    return cycle


def set_status(cycle: Cycle, to: CycleStatus, *, by: User) -> Cycle:
    """Move the cycle along draft → open → closed → allocating → finished."""
    if to not in STATUS_MOVES[cycle.status]:
        raise ServiceError(
            _(
                "A cycle that is %(from_)s cannot become %(to)s.",
                from_=cycle.status.value,
                to=to.value,
            )
        )
    before = cycle.status
    cycle.status = to
    db.session.flush()
    audit.record(by, "cycle.status", cycle, before={"status": before.value}, after={"status": to})
    return cycle


def lock_rules(cycle: Cycle, *, by: User | None) -> bool:
    """Lock the rules at the first official round; returns True when this call locked them."""
    if cycle.rules_locked_at is not None:
        return False
    cycle.rules_locked_at = utcnow()
    if cycle.seed_committed_at is None:
        cycle.seed_committed_at = cycle.rules_locked_at
    db.session.flush()
    audit.record(by, "cycle.rules_lock", cycle, after={"rules": list(RULE_FIELDS)})
    return True


def _summary(cycle: Cycle) -> dict[str, Any]:
    return {
        "name": cycle.name,
        "status": cycle.status.value if cycle.status else None,
        "opens": cycle.application_opens_at.isoformat() if cycle.application_opens_at else None,
        "closes": cycle.application_closes_at.isoformat() if cycle.application_closes_at else None,
        "max_choices": cycle.max_choices,
        "score_formula": cycle.score_formula,
        "tiebreak_chain": cycle.tiebreak_chain,
        "eligibility_rules": cycle.eligibility_rules,
        "appeal_window_days": cycle.appeal_window_days,
        "acceptance_window_days": cycle.acceptance_window_days,
    }
