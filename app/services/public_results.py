"""What the public results page shows: committed seeds and published cutoffs, never names."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from app.extensions import db
from app.models import Cycle, Round, RoundStatus


@dataclass
class PublicRound:
    round: Round
    programs: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PublicCycle:
    cycle: Cycle
    rounds: list[PublicRound] = field(default_factory=list)


def overview() -> list[PublicCycle]:
    """Return cycles whose seed is committed, each with its published rounds' cutoffs."""
    out = []
    for cycle in db.session.scalars(
        select(Cycle).where(Cycle.seed_committed_at.is_not(None)).order_by(Cycle.id.desc())
    ):
        item = PublicCycle(cycle)
        for round_ in cycle.rounds:
            if round_.status != RoundStatus.PUBLISHED or not round_.result:
                continue
            cutoffs = round_.result.get("cutoffs") or {}
            item.rounds.append(
                PublicRound(
                    round_,
                    [
                        {
                            "program": code,
                            "admitted": int(c.get("admitted") or 0),
                            "full": bool(c.get("full")),
                            "score": c.get("score"),
                            "tiebreak": c.get("tiebreak"),
                            "lottery_rank": c.get("lottery_rank"),
                        }
                        for code, c in sorted(cutoffs.items())
                    ],
                )
            )
        out.append(item)
    return out
