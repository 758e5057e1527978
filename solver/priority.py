"""Priority keys: one integer per (applicant, choice), lower is better.

Policy: program score highest first, then each tie-break value highest first, then the published
lottery `int(sha256(f"{seed}:{applicant_id}").hexdigest(), 16)` lowest first. A holder is top
priority at the program held; an appellant comes right after the holders at the guaranteed program.
Both are "protected" there (negative keys): they are never rejected from that program.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from solver.problem import Applicant, Problem

MAX_DECIMALS = 6


@dataclass(slots=True)
class Ranking:
    """Integer-indexed view of a problem: eligible choice lists and their priority keys.

    `own[a]` is a's key wherever nothing special applies; `special[a]` holds per-choice keys for
    applicants with program-specific scores or a held / guaranteed place.
    """

    prefs: list[list[int]]
    own: list[int]
    special: dict[int, list[int]]
    base_rank: list[int]
    lottery_rank: list[int]
    common: bool
    scale: int
    exclusions: dict[int, list[tuple[int, str]]]
    _keys: list[list[int]] | None = None

    def key(self, a: int, i: int) -> int:
        """Return applicant a's key at the i-th program of their eligible list."""
        row = self.special.get(a)
        return self.own[a] if row is None else row[i]

    @property
    def keys(self) -> list[list[int]]:
        """Per-choice keys for every applicant (built once, on demand)."""
        if self._keys is None:
            own, special = self.own, self.special
            self._keys = [
                special[a] if a in special else [own[a]] * len(plist)
                for a, plist in enumerate(self.prefs)
            ]
        return self._keys


def lottery_digests(problem: Problem) -> list[bytes]:
    """Return each applicant's lottery as big-endian bytes (same order as the published integer)."""
    seed = problem.seed
    return [hashlib.sha256(f"{seed}:{a.id}".encode()).digest() for a in problem.applicants]


def score_scale(problem: Problem) -> int:
    """Find the power of ten that makes every score an integer, so bonuses compare exactly."""
    values: set[float] = set()
    for a in problem.applicants:
        values.add(a.score)
        values.update(a.program_scores.values())
    for decimals in range(MAX_DECIMALS + 1):
        scale: int = 10**decimals
        if all(abs(v * scale - round(v * scale)) < 1e-6 for v in values):
            return scale
    fallback: int = 10**MAX_DECIMALS
    return fallback


def base_order(problem: Problem) -> tuple[list[int], list[int]]:
    """Rank applicants by tie-break values (highest first) then lottery (lowest first)."""
    digests = lottery_digests(problem)
    n = len(digests)
    lottery_order = sorted(range(n), key=digests.__getitem__)
    lottery_rank = [0] * n
    for rank, a in enumerate(lottery_order):
        lottery_rank[a] = rank
    applicants = problem.applicants
    width = len(applicants[0].tiebreak) if applicants else 0
    if width == 1:
        first = [-a.tiebreak[0] for a in applicants]
        order = sorted(lottery_order, key=first.__getitem__)  # stable: lottery breaks ties
    elif width > 1:
        chain = [tuple(-t for t in a.tiebreak) for a in applicants]
        order = sorted(lottery_order, key=chain.__getitem__)
    else:
        order = lottery_order
    base = [0] * n
    for rank, a in enumerate(order):
        base[a] = rank
    return base, lottery_rank


def build_ranking(
    problem: Problem,
    *,
    bonus: int = 0,
    bonus_group: str | None = None,
    order: tuple[list[int], list[int]] | None = None,
    scale: int | None = None,
    reuse: Ranking | None = None,
) -> Ranking:
    """Compute eligible choice lists and priority keys, with an optional uniform group bonus.

    `reuse` (a ranking of the same problem) saves rebuilding the choice lists: a bonus changes
    keys, never eligibility.
    """
    base, lottery_rank = order if order is not None else base_order(problem)
    scale = scale or score_scale(problem)
    index = problem.program_index()
    min_scores = [p.min_score for p in problem.programs]
    floors = {p.id for p in problem.programs if p.min_score is not None}
    applicants = problem.applicants
    favoured = [a.in_group(bonus_group) for a in applicants] if bonus and bonus_group else None
    own_scores = [round(a.score * scale) for a in applicants]
    if favoured is not None:
        own_scores = [s + bonus if f else s for s, f in zip(own_scores, favoured, strict=True)]
    specific = _specific_scores(applicants, scale, bonus, favoured, own_scores)
    values = set(own_scores)
    for row in specific.values():
        values.update(row.values())
    ranks = {v: r for r, v in enumerate(sorted(values, reverse=True))}
    n = len(applicants)
    big = (len(ranks) + 1) * n
    own = [ranks[s] * n + b for s, b in zip(own_scores, base, strict=True)]
    if reuse is not None:
        rows = {
            a: _special_keys(
                applicants[a],
                index,
                min_scores,
                own[a],
                specific.get(a, {}),
                ranks,
                n,
                base[a],
                big,
            )
            for a in reuse.special
        }
        return Ranking(
            reuse.prefs, own, rows, base, lottery_rank, reuse.common, scale, reuse.exclusions
        )
    prefs: list[list[int]] = []
    special: dict[int, list[int]] = {}
    exclusions: dict[int, list[tuple[int, str]]] = {}
    for a, app in enumerate(applicants):
        plain = app.held is None and app.guaranteed is None and a not in specific
        if plain and (not floors or floors.isdisjoint(app.preferences)):
            prefs.append(list(map(index.__getitem__, app.preferences)))
            continue
        plist, klist, excluded = _choices(
            app, index, min_scores, own[a], specific.get(a, {}), ranks, n, base[a]
        )
        if excluded:
            exclusions[a] = excluded
        if not plain:
            _protect(app, index, plist, klist, big)
            special[a] = klist
        prefs.append(plist)
    common = not special and not any(p.reserved for p in problem.programs)
    common = common and problem.ties == "lottery"
    return Ranking(prefs, own, special, base, lottery_rank, common, scale, exclusions)


def _special_keys(
    app: Applicant,
    index: dict[str, int],
    min_scores: list[float | None],
    own_key: int,
    specific: dict[str, int],
    ranks: dict[int, int],
    n: int,
    base: int,
    big: int,
) -> list[int]:
    """Per-choice keys of an applicant with program scores or a held / guaranteed place."""
    plist, klist, _ = _choices(app, index, min_scores, own_key, specific, ranks, n, base)
    _protect(app, index, plist, klist, big)
    return klist


def _specific_scores(
    applicants: Sequence[Applicant],
    scale: int,
    bonus: int,
    favoured: list[bool] | None,
    own_scores: list[int],
) -> dict[int, dict[str, int]]:
    """Program-specific scores (scaled, with bonus) that differ from the applicant's own."""
    out: dict[int, dict[str, int]] = {}
    for a, app in enumerate(applicants):
        if not app.program_scores:
            continue
        extra = bonus if favoured is not None and favoured[a] else 0
        row = {
            pid: round(s * scale) + extra
            for pid, s in app.program_scores.items()
            if round(s * scale) + extra != own_scores[a]
        }
        if row:
            out[a] = row
    return out


def _choices(
    app: Applicant,
    index: dict[str, int],
    min_scores: list[float | None],
    own_key: int,
    specific: dict[str, int],
    ranks: dict[int, int],
    n: int,
    base: int,
) -> tuple[list[int], list[int], list[tuple[int, str]]]:
    """Keep eligible programs up to the held or guaranteed one; record every exclusion."""
    plist: list[int] = []
    klist: list[int] = []
    excluded: list[tuple[int, str]] = []
    stop = app.held or app.guaranteed
    for pid in app.preferences:
        p = index[pid]
        floor = min_scores[p]
        if pid != stop and floor is not None and app.score_for(pid) < floor:
            excluded.append((p, "below_min_score"))
        else:
            plist.append(p)
            klist.append(ranks[specific[pid]] * n + base if pid in specific else own_key)
        if pid == stop:
            break
    if stop is not None:
        tail = app.preferences[app.preferences.index(stop) + 1 :]
        excluded.extend((index[pid], "below_held_or_guaranteed_program") for pid in tail)
    return plist, klist, excluded


def _protect(
    app: Applicant, index: dict[str, int], plist: list[int], klist: list[int], big: int
) -> None:
    """Give the holder top priority (appellant next) at the held (guaranteed) program."""
    target = app.held or app.guaranteed
    if target is None:
        return
    # The held or guaranteed program stays eligible whatever its minimum score.
    i = plist.index(index[target])
    klist[i] -= 2 * big if app.held is not None else big
