"""Problem modules, one per kind of problem; each defines ``PROBLEM`` (an ``optmodel.problem.Problem``).

Importing a problem module must not import heavy libraries (torch, cvxpy, ...).
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np

from optmodel import plugins
from optmodel.problem import Problem


def get(name: str) -> Problem | None:
    """The problem called ``name``, or None."""
    return plugins.load(__name__, "PROBLEM", name) or discover().get(name)


@cache
def discover() -> dict[str, Problem]:
    return plugins.discover(__name__, __path__, "PROBLEM")


def number(x: float | None, digits: int = 10) -> str:
    """A number as a person writes it, for report lines: an integral value as an integer (1186386,
    not 1.18639e+06), others to ``digits`` significant digits without trailing zeros, positional
    for magnitudes from 1e-4 up to 1e15 and with an exponent beyond (where positional digits
    would be mostly zeros)."""
    if x is None:
        return "none"
    v = float(x)
    if not math.isfinite(v):
        return "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # also turns -0.0 into 0
    if 1e-4 <= abs(v) < 1e15:
        text = np.format_float_positional(v, precision=digits, unique=False, fractional=False, trim="-")
        return "0" if float(text) == 0 else text
    return f"{v:.{digits}g}"
