"""A straightforward pure-Python deferred acceptance, the yardstick for `python -m solver solve`.

Reads the same problem file, computes priorities exactly as DESIGN.md says (score, tie-breaks,
lottery; min_score eligibility), runs applicant-proposing DA with a heap per program, and writes
the assignments as JSON. No validation, no checker, no cutoffs. Usage:
    python bench/solver_baseline_da.py problem.json assignments.json
"""

from __future__ import annotations

import hashlib
import heapq
import json
import sys


def main(src: str, dst: str) -> None:
    with open(src, "rb") as handle:
        data = json.load(handle)
    seed = data.get("seed", 0)
    capacity = {p["id"]: p["capacity"] for p in data["programs"]}
    floor = {p["id"]: p.get("min_score") for p in data["programs"]}
    applicants = data["applicants"]
    prefs: dict[str, list[str]] = {}
    wanted_by: dict[str, list[tuple[object, str]]] = {pid: [] for pid in capacity}
    for app in applicants:
        aid = app["id"]
        scores = app.get("program_scores") or {}
        lottery = int(hashlib.sha256(f"{seed}:{aid}".encode()).hexdigest(), 16)
        tail = (tuple(-t for t in app.get("tiebreak") or []), lottery)
        ok = []
        for pid in app["preferences"]:
            score = scores.get(pid, app["score"])
            if floor[pid] is None or score >= floor[pid]:
                ok.append(pid)
                wanted_by[pid].append(((-score, *tail), aid))
        prefs[aid] = ok
    # Each program ranks the applicants who listed it: rank 0 is the highest priority.
    rank = {pid: {aid: r for r, (_, aid) in enumerate(sorted(v))} for pid, v in wanted_by.items()}
    held: dict[str, list[tuple[int, str]]] = {pid: [] for pid in capacity}
    nxt = dict.fromkeys(prefs, 0)
    match: dict[str, str | None] = dict.fromkeys(prefs)
    free = [app["id"] for app in applicants]
    while free:
        aid = free.pop()
        while nxt[aid] < len(prefs[aid]):
            pid = prefs[aid][nxt[aid]]
            nxt[aid] += 1
            heap = held[pid]
            mine = rank[pid][aid]
            if len(heap) < capacity[pid]:
                heapq.heappush(heap, (-mine, aid))
                match[aid] = pid
                break
            if heap and mine < -heap[0][0]:
                _, out = heapq.heapreplace(heap, (-mine, aid))
                match[aid], match[out] = pid, None
                free.append(out)
                break
    with open(dst, "w", encoding="utf-8") as handle:
        json.dump({"assignments": match}, handle, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
