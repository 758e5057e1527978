"""The competitive score: a cycle's published weighted sum of score components."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from app import labels

TWO_PLACES = Decimal("0.01")


def formula_weights(formula: Mapping[str, Any]) -> dict[str, Decimal]:
    """Return the component weights of a cycle's score formula."""
    return {name: Decimal(str(w)) for name, w in (formula.get("components") or {}).items()}


def competitive_score(
    formula: Mapping[str, Any], components: Mapping[str, Decimal | float | int]
) -> Decimal | None:
    """Compute Σ weight × component, rounded to 2 places; None while a component is missing."""
    total = Decimal(0)
    for name, weight in formula_weights(formula).items():
        value = components.get(name)
        if value is None:
            return None
        total += weight * Decimal(str(value))
    return total.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def describe_formula(formula: Mapping[str, Any]) -> str:
    """Write the formula the way it is published: `1 × UNT total score + 10 × School grade average`.

    Components are named in the reader's language (app.labels), never by their codes.
    """
    parts = [
        f"{weight.normalize()} × {labels.coded(labels.SCORE_COMPONENT_TEXT, name)}"
        for name, weight in formula_weights(formula).items()
    ]
    return " + ".join(parts) or "—"
