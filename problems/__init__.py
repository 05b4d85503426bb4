"""Problem modules, one per kind of problem; each defines ``PROBLEM`` (an ``optmodel.problem.Problem``).

Importing a problem module must not import heavy libraries (torch, cvxpy, ...).
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from optmodel.problem import Problem


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
