"""The one grammar for numbers that optmodel reads from files and command lines.

Python's ``float`` and ``int`` also take ``1_000``, ``nan``, ``infinity`` and non-ASCII digits,
which in a data file are typos or damage, never data; every reader matches these first.
"""

from __future__ import annotations

import math
import re

INTEGER = re.compile(r"[+-]?[0-9]+")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def strict_float(text: str) -> float:
    """A finite number written as people write one (``-1.5e3``), else ValueError."""
    if not DECIMAL.fullmatch(text.strip()):
        raise ValueError(f"not a number: {text!r}")
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {text!r}")
    return value


def strict_int(text: str) -> int:
    """An integer in ASCII digits (``-12``), else ValueError."""
    if not INTEGER.fullmatch(text.strip()):
        raise ValueError(f"not an integer: {text!r}")
    return int(text)
