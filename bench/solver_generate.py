"""Generate allocation problems shaped like the national grant competition.

Integer scores 0-140 with many ties, one tie-break value, choices skewed towards popular programs
(Zipf-like), total places about 40% of applicants. Usage:
    python bench/solver_generate.py 100000 500 10 out.json [--minimum 0.4] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import numpy as np


def generate(
    applicants: int,
    programs: int,
    choices: int,
    *,
    seed: int = 1,
    minimum: float | None = None,
    places_ratio: float = 0.4,
    women: float = 0.3,
    gap: int = 8,
) -> dict[str, Any]:
    """Build a problem dict in the exchange format."""
    rng = np.random.default_rng(seed)
    popularity = 1.0 / np.arange(1, programs + 1) ** 0.8
    rng.shuffle(popularity)
    popularity /= popularity.sum()
    places = np.maximum(1, np.round(popularity * applicants * places_ratio)).astype(int)
    pids = [f"P{i:05d}" for i in range(programs)]
    program_list = [
        {
            "id": pid,
            "capacity": int(cap),
            "university": f"U{i % max(1, programs // 20):03d}",
            "field": f"F{i % 12:02d}",
        }
        for i, (pid, cap) in enumerate(zip(pids, places, strict=True))
    ]
    scores = np.clip(np.round(rng.normal(75, 22, applicants)), 0, 140).astype(int)
    tiebreak = rng.integers(0, 30, applicants)
    lengths = rng.integers(1, choices + 1, applicants)
    draws = rng.choice(programs, size=(applicants, choices * 3), p=popularity)
    is_woman = rng.random(applicants) < women
    # Women score `gap` points lower in this synthetic data, so a 40% minimum binds.
    scores = np.where(is_woman, np.maximum(0, scores - gap), scores)
    applicant_list = []
    for a in range(applicants):
        seen: dict[int, None] = {}
        for p in draws[a]:
            seen.setdefault(int(p), None)
            if len(seen) == lengths[a]:
                break
        applicant_list.append(
            {
                "id": f"A{a:07d}",
                "score": int(scores[a]),
                "tiebreak": [int(tiebreak[a])],
                "preferences": [pids[p] for p in seen],
                "groups": {"gender": "F" if is_woman[a] else "M"},
            }
        )
    data: dict[str, Any] = {
        "format": "umit-allocation/1",
        "seed": 20260701,
        "programs": program_list,
        "applicants": applicant_list,
    }
    if minimum is not None:
        data["minimums"] = [{"group": "gender=F", "at_least_share": minimum, "rule": "bonus"}]
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("applicants", type=int)
    parser.add_argument("programs", type=int)
    parser.add_argument("choices", type=int)
    parser.add_argument("output")
    parser.add_argument("--minimum", type=float, default=None)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    data = generate(
        args.applicants, args.programs, args.choices, seed=args.seed, minimum=args.minimum
    )
    with open(args.output, "w", encoding="utf-8") as handle:
        json.dump(data, handle)


if __name__ == "__main__":
    main()
