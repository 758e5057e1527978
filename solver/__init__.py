"""Umit allocation engine: deferred acceptance, CP-SAT models, an independent checker.

Typical use: `result = solve(parse_problem(data))`, then `result.to_json()`.
"""

from solver.checks import check
from solver.engine import METHODS, SOLVER_VERSION, solve
from solver.explain import explain, explain_all
from solver.problem import Problem, ProblemError, parse_problem
from solver.result import Result

__all__ = [
    "METHODS",
    "SOLVER_VERSION",
    "Problem",
    "ProblemError",
    "Result",
    "check",
    "explain",
    "explain_all",
    "parse_problem",
    "solve",
]
