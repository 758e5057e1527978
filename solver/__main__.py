"""Command line: `python -m solver solve|verify|explain` (exit 0 ok, 1 violations, 2 bad input)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from solver.checks import check_assignments
from solver.engine import METHODS, solve
from solver.explain import explain
from solver.io import load_problem, load_result, read_json, write_text
from solver.problem import ProblemError

EXIT_OK, EXIT_VIOLATIONS, EXIT_BAD_INPUT = 0, 1, 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sub-command and return its exit code; bad input gives one line and code 2."""
    args = _parser().parse_args(argv)
    try:
        code: int = args.run(args)
        return code
    except ProblemError as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m solver", description=__doc__)
    sub = parser.add_subparsers(required=True)
    solve_cmd = sub.add_parser("solve", help="allocate places and write the result")
    solve_cmd.add_argument("problem")
    solve_cmd.add_argument("-o", "--output", help="result file (default: standard output)")
    solve_cmd.add_argument("--method", choices=METHODS, default="auto")
    solve_cmd.add_argument("--time-limit", type=float, default=20.0, help="CP-SAT cap (s)")
    solve_cmd.add_argument("--timing", action="store_true", help="include wall time in stats")
    solve_cmd.set_defaults(run=_solve)
    verify = sub.add_parser("verify", help="check a result against the rules")
    verify.add_argument("problem")
    verify.add_argument("result")
    verify.set_defaults(run=_verify)
    why = sub.add_parser("explain", help="explain one applicant's result in plain words")
    why.add_argument("problem")
    why.add_argument("result")
    why.add_argument("applicant")
    why.set_defaults(run=_explain)
    return parser


def _solve(args: argparse.Namespace) -> int:
    result = solve(load_problem(args.problem), args.method, args.time_limit)
    text = result.to_json(timing=args.timing)
    if args.output:
        write_text(args.output, text)
    else:
        print(text)
    for message in result.messages:
        print(message, file=sys.stderr)
    return EXIT_OK if result.certificate["ok"] else EXIT_VIOLATIONS


def _verify(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem)
    assignments, digest = load_result(args.result)
    cert = check_assignments(problem, assignments)
    mismatch = digest is not None and digest != problem.input_sha256
    if cert["ok"] and not mismatch:
        print(f"ok: {len(problem.applicants)} applicants, no violations")
        return EXIT_OK
    if mismatch:
        print("violation: input_sha256 differs: the result was computed for another input")
    for line in cert["violations"]:
        print(f"violation: {line}")
    hidden = cert["violation_count"] - len(cert["violations"])
    if hidden > 0:
        print(f"... and {hidden} more")
    return EXIT_VIOLATIONS


def _explain(args: argparse.Namespace) -> int:
    problem = load_problem(args.problem)
    data = read_json(args.result)
    if not isinstance(data, dict) or not isinstance(data.get("assignments"), dict):
        raise ProblemError(f"{args.result}: not a result file (no 'assignments')")
    for line in explain(problem, data, args.applicant):
        print(line)
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
