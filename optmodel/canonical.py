"""The canonical sparse form that every LP/MIP backend reads.

minimise (or maximise)  c @ x + offset
subject to              row_lower <= A @ x <= row_upper
                        col_lower <= x <= col_upper
                        x[j] integer where integrality[j]

Infinite bounds are ``±numpy.inf``. Built once per model (``Model.canonical()``).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

import numpy as np
import scipy.sparse as sp


class Sense(str, Enum):
    MINIMIZE = "minimize"
    MAXIMIZE = "maximize"

    @property
    def sign(self) -> float:
        """+1 for minimisation, -1 for maximisation: ``sign * objective`` is minimised."""
        return 1.0 if self is Sense.MINIMIZE else -1.0


class Names(Sequence[str]):
    """Row or column names, generated on demand from blocks so large models pay nothing.

    A block is ``(prefix, start, size, labels)``: element ``i`` of the block is named
    ``labels[i]`` when labels are given, else ``prefix[i]`` (or ``prefix`` for a 1-element
    scalar block with ``size == 0`` meaning scalar).
    """

    def __init__(self, blocks: Sequence[tuple[str, int, int, Sequence[str] | None, bool]] = ()):
        self._blocks = list(blocks)
        self._starts = [b[1] for b in self._blocks]
        self._total = sum(b[2] for b in self._blocks)

    @classmethod
    def from_list(cls, names: Sequence[str]) -> Names:
        return cls([("", 0, len(names), list(names), False)])

    def __len__(self) -> int:
        return self._total

    def _name(self, block: tuple[str, int, int, Sequence[str] | None, bool], j: int) -> str:
        prefix, start, _size, labels, scalar = block
        if labels is not None:
            return str(labels[j - start])
        return prefix if scalar else f"{prefix}[{j - start}]"

    def __getitem__(self, j):  # type: ignore[override]
        if isinstance(j, slice):
            return [self[i] for i in range(*j.indices(self._total))]
        j = int(j)
        if j < 0:
            j += self._total
        if not 0 <= j < self._total:
            raise IndexError(j)
        k = bisect.bisect_right(self._starts, j) - 1
        return self._name(self._blocks[k], j)

    def __iter__(self) -> Iterator[str]:
        for block in self._blocks:
            for j in range(block[1], block[1] + block[2]):
                yield self._name(block, j)


@dataclass(eq=False)
class CanonicalForm:
    sense: Sense
    c: np.ndarray
    offset: float
    A: sp.csr_array
    row_lower: np.ndarray
    row_upper: np.ndarray
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray  # bool, one per column
    col_names: Names = field(default_factory=Names)
    row_names: Names = field(default_factory=Names)
    name: str = "model"

    def __post_init__(self) -> None:
        n = self.c.shape[0]
        m = self.row_lower.shape[0]
        if self.A.shape != (m, n):
            raise ValueError(f"A has shape {self.A.shape}, expected {(m, n)}")
        for label, arr, size in (
            ("row_upper", self.row_upper, m),
            ("col_lower", self.col_lower, n),
            ("col_upper", self.col_upper, n),
            ("integrality", self.integrality, n),
        ):
            if arr.shape != (size,):
                raise ValueError(f"{label} has shape {arr.shape}, expected {(size,)}")

    @property
    def num_cols(self) -> int:
        return self.c.shape[0]

    @property
    def num_rows(self) -> int:
        return self.row_lower.shape[0]

    @property
    def nnz(self) -> int:
        return int(self.A.nnz)

    @property
    def is_mip(self) -> bool:
        return bool(self.integrality.any())

    @cached_property
    def csc(self) -> sp.csc_array:
        """Column-wise copy of ``A`` (what HiGHS and most simplex codes take)."""
        return self.A.tocsc()

    def objective_value(self, x: np.ndarray) -> float:
        return float(self.c @ x + self.offset)
