"""Problem modules, one per kind of problem; each defines ``PROBLEM`` (an ``optmodel.problem.Problem``).

Importing a problem module must not import heavy libraries (torch, cvxpy, ...).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from optmodel.problem import Problem


def get(name: str) -> Problem | None:
    """The problem called ``name``, importing only its module when names follow the convention
    (``shortest-path`` lives in ``shortest_path.py``); None when there is no such problem."""
    try:
        module = importlib.import_module(f"{__name__}.{name.replace('-', '_')}")
    except ImportError:
        module = None
    problem = getattr(module, "PROBLEM", None)
    if problem is not None and problem.name == name:
        return problem
    return discover().get(name)


@cache
def discover() -> dict[str, Problem]:
    found: dict[str, Problem] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        problem = getattr(module, "PROBLEM", None)
        if problem is not None:
            found[problem.name] = problem
    return found
