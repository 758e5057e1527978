"""Solver benchmarks: wall time and peak memory per case, printed as a Markdown table.

Not a test. Each measurement runs in its own subprocess (peak memory = that process's max RSS).
Beside our solver, the same run times the `matching` package's HospitalResident, a plain CP-SAT
formulation (our cutoff model, method="cpsat"), and a straightforward pure-Python DA script.
Competitors predicted to exceed 5 minutes (extrapolated from the previous size) are skipped.

    python bench/bench_solver.py [--skip-national] [--only sizes|minimums] [--out table.md]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

CAP_S = 300.0
LEGS = ("load", "solve", "verify")
SIZES = [
    ("1k/20/5", 1_000, 20, 5),
    ("10k/100/5", 10_000, 100, 5),
    ("100k/500/10", 100_000, 500, 10),
    ("national 200k/2,000/16", 200_000, 2_000, 16),
]
# name, applicants, programs, choices, CP-SAT cap (None: fast rule only), women share, score gap
MINIMUM_SIZES = [
    ("300/30/10, 40% min, 40% women, no gap", 300, 30, 10, 30.0, 0.4, 0),
    ("300/30/10, 40% min, 30% women, 8 points lower", 300, 30, 10, 30.0, 0.3, 8),
    ("5k/300/10, 40% min, 30% women, 8 points lower", 5_000, 300, 10, 20.0, 0.3, 8),
    ("50k/1,000/10, 40% min, 30% women, 8 points lower", 50_000, 1_000, 10, 20.0, 0.3, 8),
]


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu_s() -> float:
    """CPU seconds used so far by this process (robust to other jobs sharing the machine)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def child_solve(path: str) -> dict[str, Any]:
    """Load, solve (the result carries the checker's certificate) and verify again."""
    from solver.checks import check_assignments
    from solver.engine import solve
    from solver.io import load_problem

    c0, t0 = _cpu_s(), time.perf_counter()
    problem = load_problem(path)
    c1, t1 = _cpu_s(), time.perf_counter()
    result = solve(problem)
    c2, t2 = _cpu_s(), time.perf_counter()
    cert = check_assignments(problem, result.assignments)
    c3, t3 = _cpu_s(), time.perf_counter()
    return {
        "load_s": t1 - t0,
        "solve_s": t2 - t1,
        "verify_s": t3 - t2,
        "load_cpu": c1 - c0,
        "solve_cpu": c2 - c1,
        "verify_cpu": c3 - c2,
        "ok": cert["ok"],
        "placed": result.placed,
        "peak_mb": _peak_mb(),
    }


def child_hr(path: str) -> dict[str, Any]:
    """Solve the same capacity-only problem with matching's HospitalResident."""
    import threading

    # The package's algorithm recurses once per proposal: give it room to do so.
    sys.setrecursionlimit(10_000_000)
    threading.stack_size(1 << 30)
    box: dict[str, Any] = {}
    worker = threading.Thread(target=lambda: box.update(_hr_game(path)))
    worker.start()
    worker.join()
    return box


def _hr_game(path: str) -> dict[str, Any]:
    import warnings

    from matching.games import HospitalResident

    from solver.engine import make_context
    from solver.io import load_problem

    problem = load_problem(path)
    t0 = time.perf_counter()
    ranking = make_context(problem).ranking()
    ids = [a.id for a in problem.applicants]
    pids = [p.id for p in problem.programs]
    resident_prefs = {ids[a]: [pids[p] for p in pl] for a, pl in enumerate(ranking.prefs) if pl}
    wanted: dict[str, list[tuple[int, str]]] = {pid: [] for pid in pids}
    for a, plist in enumerate(ranking.prefs):
        for i, p in enumerate(plist):
            wanted[pids[p]].append((ranking.key(a, i), ids[a]))
    hospital_prefs = {pid: [aid for _, aid in sorted(v)] for pid, v in wanted.items() if v}
    capacities = {p.id: p.capacity for p in problem.programs if p.id in hospital_prefs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        game = HospitalResident.create_from_dictionaries(resident_prefs, hospital_prefs, capacities)
        matching = game.solve(optimal="resident")
    placed = sum(len(v) for v in matching.values())
    elapsed = time.perf_counter() - t0
    return {"solve_s": elapsed, "cpu_s": _cpu_s(), "placed": placed, "peak_mb": _peak_mb()}


def child_cpsat(path: str, limit: str) -> dict[str, Any]:
    """Solve with the plain CP-SAT cutoff model and compare with deferred acceptance."""
    from solver.engine import solve
    from solver.io import load_problem

    problem = load_problem(path)
    t0 = time.perf_counter()
    result = solve(problem, "cpsat", float(limit))
    elapsed = time.perf_counter() - t0
    cpu = _cpu_s()
    same = result.assignments == solve(problem, "da").assignments
    return {
        "solve_s": elapsed,
        "cpu_s": cpu,
        "status": result.status,
        "same_as_da": same,
        "peak_mb": _peak_mb(),
    }


def child_minimum(path: str, limit: str) -> dict[str, Any]:
    """Run the fast minimum-share rule, then (if a limit is given) CP-SAT improving it."""
    from solver.engine import solve
    from solver.io import load_problem

    problem = load_problem(path)
    c0, t0 = _cpu_s(), time.perf_counter()
    fast = solve(problem)
    c1, t1 = _cpu_s(), time.perf_counter()
    out: dict[str, Any] = {
        "fast_s": t1 - t0,
        "fast_cpu": c1 - c0,
        "fast_passed_over": fast.stats["passed_over"],
        "bonus": fast.stats.get("bonus"),
        "placed": fast.placed,
        "group_placed": fast.stats["group_placed"],
    }
    if limit != "none":
        exact = solve(problem, "cpsat", float(limit))
        out.update(
            cpsat_s=time.perf_counter() - t1,
            cpsat_cpu=_cpu_s() - c1,
            cpsat_status=exact.status,
            cpsat_passed_over=exact.stats["passed_over"],
            cpsat_gap=exact.stats.get("cpsat_gap"),
            cpsat_bound=exact.stats.get("cpsat_bound"),
            cpsat_det=exact.stats.get("cpsat_deterministic_s"),
            cpsat_mode=exact.stats.get("cpsat_mode"),
            ok=exact.certificate["ok"],
        )
    out["load"] = os.getloadavg()[0]
    out["peak_mb"] = _peak_mb()
    return out


CHILDREN = {"solve": child_solve, "hr": child_hr, "cpsat": child_cpsat, "minimum": child_minimum}


def run_child(kind: str, *args: str, timeout: float = CAP_S + 60) -> dict[str, Any]:
    """Run one measurement in a fresh interpreter and return its JSON report."""
    cmd = [sys.executable, __file__, "--child", kind, *args]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1] if done.stderr else "failed"}
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def wall(cmd: list[str]) -> tuple[float, float]:
    """Time a command end to end (start-up included): wall seconds and CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    elapsed = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def generate(
    directory: Path, name: str, n: int, p: int, k: int, minimum: float | None, **shape: Any
) -> Path:
    from solver_generate import generate as make

    path = directory / f"{name.split()[0].replace('/', '_').replace(',', '')}.json"
    path.write_text(json.dumps(make(n, p, k, minimum=minimum, **shape)))
    return path


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value * 1000:.0f} ms" if value < 0.1 else f"{value:.2f} s"
    return str(value)


def _competitor(
    kind: str, path: Path, size: int, history: dict[str, tuple[int, float]], *args: str
) -> str:
    """Measure a competitor, or skip it when the previous size predicts more than 5 minutes."""
    if kind in history:
        prev_size, prev_s = history[kind]
        estimate = prev_s * (size / prev_size) ** 1.5
        if estimate > CAP_S:
            return f"skipped (est. {estimate:,.0f} s)"
    report = run_child(kind, str(path), *args)
    if "error" in report:
        history[kind] = (size, CAP_S * 2)
        return f"({report['error']})"
    history[kind] = (size, report["solve_s"])
    extra = f", {report['status']}, same as DA: {report['same_as_da']}" if kind == "cpsat" else ""
    took = f"{_fmt(report['solve_s'])} (CPU {_fmt(report['cpu_s'])})"
    return f"{took}, {report['peak_mb']:.0f} MB{extra}"


def bench_sizes(directory: Path, skip_national: bool) -> list[str]:
    rows = [
        "| case (wall / CPU) | load | solve (incl. check) | verify again | peak RSS | "
        "matching HR | plain CP-SAT |",
        "|---|---|---|---|---|---|---|",
    ]
    history: dict[str, tuple[int, float]] = {}
    for name, n, p, k in SIZES:
        if skip_national and name.startswith("national"):
            continue
        path = generate(directory, name, n, p, k, None)
        ours = run_child("solve", str(path))
        if "error" in ours:
            rows.append(f"| {name} | error: {ours['error']} | | | | | |")
            continue
        size = n * k
        hr = _competitor("hr", path, size, history)
        cp = _competitor("cpsat", path, size, history, str(CAP_S))
        cells = [f"{_fmt(ours[k + '_s'])} / {_fmt(ours[k + '_cpu'])}" for k in LEGS]
        rows.append(f"| {name} | {' | '.join(cells)} | {ours['peak_mb']:.0f} MB | {hr} | {cp} |")
        print(rows[-1], flush=True)
        if name.startswith("100k"):
            rows.extend(_cli_versus_baseline(path, directory))
    return rows


def _cli_versus_baseline(path: Path, directory: Path) -> list[str]:
    """Time `python -m solver solve` and the plain DA script on the same file, same run."""
    ours = min(
        wall([sys.executable, "-m", "solver", "solve", str(path), "-o", str(directory / "r.json")])
        for _ in range(2)
    )
    base = min(
        wall(
            [
                sys.executable,
                str(ROOT / "bench" / "solver_baseline_da.py"),
                str(path),
                str(directory / "b.json"),
            ]
        )
        for _ in range(2)
    )
    same = (
        json.loads((directory / "r.json").read_text())["assignments"]
        == json.loads((directory / "b.json").read_text())["assignments"]
    )
    line = (
        f"| 100k/500/10 end to end (best of 2, wall / CPU) | `python -m solver solve`: "
        f"{ours[0]:.2f} s / {ours[1]:.2f} s | plain DA script: {base[0]:.2f} s / {base[1]:.2f} s "
        f"| same assignments: {same} | | | |"
    )
    print(line, flush=True)
    return [line]


def bench_minimums(directory: Path) -> list[str]:
    rows = [
        "",
        "| minimum-share case | fast rule (wall / CPU) | bonus | passed over (fast) | "
        "CP-SAT (wall / CPU / deterministic) | "
        "passed over (CP-SAT) | CP-SAT status (bound) | peak RSS | load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for index, (name, n, p, k, limit, women, gap) in enumerate(MINIMUM_SIZES):
        path = generate(directory, f"min{index}", n, p, k, 0.4, women=women, gap=gap)
        rep = run_child("minimum", str(path), "none" if limit is None else str(limit))
        if "error" in rep:
            rows.append(f"| {name} | error: {rep['error']} | | | | | | | |")
            continue
        cp = _fmt(rep.get("cpsat_s", "not run"))
        if "cpsat_cpu" in rep:
            cp += f" / {_fmt(rep['cpsat_cpu'])} / {rep['cpsat_det']:.1f} s"
        status = rep.get("cpsat_status", "")
        if "cpsat_mode" in rep:
            status += f", {rep['cpsat_mode']}"
        if "cpsat_bound" in rep:
            status += f" (bound {rep['cpsat_bound']:.0f}"
            status += f", gap {rep['cpsat_gap']:.0f})" if rep.get("cpsat_gap") else ")"
        rows.append(
            f"| {name} | {_fmt(rep['fast_s'])} / {_fmt(rep['fast_cpu'])} | {rep['bonus']} | "
            f"{rep['fast_passed_over']} | "
            f"{cp} | {rep.get('cpsat_passed_over', '')} | {status} | {rep['peak_mb']:.0f} MB | "
            f"{rep['load']:.1f} |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--skip-national", action="store_true")
    parser.add_argument("--only", choices=("sizes", "minimums"), help="run one of the two tables")
    parser.add_argument("--out", help="also write the Markdown table to this file")
    args = parser.parse_args()
    if args.child:
        kind, *rest = args.child
        print(json.dumps(CHILDREN[kind](*rest)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        rows: list[str] = []
        if args.only != "minimums":
            rows += bench_sizes(directory, args.skip_national)
        if args.only != "sizes":
            rows += bench_minimums(directory)
    table = "\n".join(rows)
    print("\n" + table)
    if args.out:
        Path(args.out).write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
