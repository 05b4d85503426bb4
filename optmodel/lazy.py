"""Lazy constraint families: constraints given by a separation oracle instead of a list.

``separate(x)`` receives the full column vector (integer candidates, and fractional LP points
when ``fractional=True``) and returns the violated constraints it finds, built from the model's
variables like any other (``x[S].sum() >= 1``). Nothing is returned when ``x`` satisfies the family.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from optmodel.expr import Constraint

Separator = Callable[[np.ndarray], Sequence[Constraint]]


@dataclass
class LazyFamily:
    separate: Separator
    name: str = "lazy"
    fractional: bool = False  # also separate fractional LP points (user cuts)
    description: str = ""  # the family in words/maths, shown by `explain`
    # What solving did with it (filled by whichever path ran).
    stats: dict[str, float] = field(default_factory=lambda: {"cuts": 0, "rounds": 0, "separation_seconds": 0.0})
