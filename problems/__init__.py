"""Problem modules, one per kind of problem; each defines ``PROBLEM`` (an ``optmodel.problem.Problem``).

Importing a problem module must not import heavy libraries (torch, cvxpy, ...).
"""

from __future__ import annotations

from functools import cache

from optmodel import plugins
from optmodel.problem import Problem


def get(name: str) -> Problem | None:
    """The problem called ``name``, or None."""
    return plugins.load(__name__, "PROBLEM", name) or discover().get(name)


@cache
def discover() -> dict[str, Problem]:
    return plugins.discover(__name__, __path__, "PROBLEM")
