"""The canonical sparse form that every LP/MIP backend reads.

minimise (or maximise)  c @ x + ½ xᵀQx + offset        (Q symmetric, None for a linear objective)
subject to              row_lower <= A @ x <= row_upper
                        col_lower <= x <= col_upper
                        x[j] integer where integrality[j]
                        x[j] = 0 or col_lower[j] <= x[j] <= col_upper[j] where semicontinuous[j]
                        at most one (SOS1) / two adjacent (SOS2) nonzero columns per set in ``sos``
                        ind_lower <= ind_A @ x <= ind_upper where x[ind_binary] == ind_active

Infinite bounds are ``±numpy.inf``. Built once per model (``Model.canonical()``). The ``½ xᵀQx``
convention is that of MPS ``QUADOBJ``, HiGHS and OSQP.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import Enum
from functools import cached_property

import numpy as np

from optmodel._scipy import sparse as sp


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

    def label(self, i: int) -> str:
        """The ``i``-th name, or ``#i`` where the names are missing (a form built without them)."""
        return self[i] if self._total > i else f"#{i}"

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
class SOS:
    """A special ordered set: of ``columns`` (ordered by ``weights``) at most one may be nonzero
    (type 1), or at most two, adjacent in that order (type 2)."""

    kind: int
    columns: np.ndarray
    weights: np.ndarray
    name: str = ""


@dataclass(eq=False)
class Indicators:
    """Rows that hold only when a binary column takes a value: ``ind_lower[i] <= A[i] @ x <=
    ind_upper[i]`` if ``x[binary[i]] == active[i]``, and nothing otherwise."""

    binary: np.ndarray  # int, one column per row
    active: np.ndarray  # 0 or 1, one per row
    A: sp.csr_array
    lower: np.ndarray
    upper: np.ndarray
    names: Names = field(default_factory=Names)

    @property
    def count(self) -> int:
        return self.lower.shape[0]


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
    Q: sp.csr_array | None = None  # objective Hessian (symmetric); None when linear
    semicontinuous: np.ndarray | None = None  # bool per column; None when there are none
    sos: tuple[SOS, ...] = ()
    indicators: Indicators | None = None

    def __post_init__(self) -> None:
        n = self.c.shape[0]
        if self.Q is not None and self.Q.nnz == 0:
            self.Q = None
        if self.semicontinuous is not None and not self.semicontinuous.any():
            self.semicontinuous = None
        if self.indicators is not None and self.indicators.count == 0:
            self.indicators = None
        if self.Q is not None and self.Q.shape != (n, n):
            raise ValueError(f"Q has shape {self.Q.shape}, expected {(n, n)}")
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
        """Any discrete structure: integers, semicontinuous columns, SOS sets or indicators."""
        return bool(self.integrality.any()) or self.has_special

    @property
    def has_special(self) -> bool:
        """SOS sets, indicator rows or semicontinuous columns (native on some solvers, else reduced)."""
        return self.semicontinuous is not None or bool(self.sos) or self.indicators is not None

    @property
    def is_quadratic(self) -> bool:
        return self.Q is not None

    def objective_gradient(self, x: np.ndarray) -> np.ndarray:
        return self.c if self.Q is None else self.c + self.Q @ x

    @cached_property
    def csc(self) -> sp.csc_array:
        """Column-wise copy of ``A`` (what HiGHS and most simplex codes take)."""
        return self.A.tocsc()

    def objective_value(self, x: np.ndarray) -> float:
        value = self.c @ x + self.offset
        if self.Q is not None:
            value += 0.5 * x @ (self.Q @ x)
        return float(value)

    def is_convex(self) -> bool:
        """Whether the objective is convex for its sense (Q PSD when minimising, NSD when maximising);
        computed once per form, since backends ask in turn."""
        if self.Q is None:
            return True
        if "_convex" not in self.__dict__:
            self.__dict__["_convex"] = positive_semidefinite(self.sense.sign * self.Q)
        return self.__dict__["_convex"]


def stack_rows(blocks: Sequence[sp.csr_array], n: int) -> sp.csr_array:
    """Row blocks over ``n`` columns (a block may have fewer: columns added later) as one
    canonical CSR matrix: rows sorted, no duplicate entries, no explicit zeros; int32 indices where
    they fit. One concatenation; a block is sorted or summed only where it needs it. The result
    never shares arrays with a block that it differs from, so that sorting it in place is safe."""
    fixed = []
    for block in blocks:
        block = block if isinstance(block, sp.csr_array) else sp.csr_array(block)
        if not block.has_canonical_format:  # on a copy: a block's arrays may be shared with others
            block = block.copy()
            block.sum_duplicates()
        fixed.append(block)
    rows = sum(b.shape[0] for b in fixed)
    nnz = sum(int(b.indptr[-1]) for b in fixed)
    idx = np.int32 if max(nnz, n) < np.iinfo(np.int32).max else np.int64
    if len(fixed) == 1:
        b = fixed[0]
        data, indices, indptr = b.data[:nnz], b.indices[:nnz].astype(idx, copy=False), b.indptr.astype(idx, copy=False)
    else:
        data = np.concatenate([b.data[: b.indptr[-1]] for b in fixed]) if fixed else np.zeros(0)
        indices = np.concatenate([b.indices[: b.indptr[-1]].astype(idx, copy=False) for b in fixed]) if fixed \
            else np.zeros(0, dtype=idx)
        indptr = np.empty(rows + 1, dtype=idx)
        indptr[0], at, offset = 0, 1, 0
        for b in fixed:
            k = b.shape[0]
            np.add(b.indptr[1:], offset, out=indptr[at : at + k], casting="unsafe")
            at, offset = at + k, offset + int(b.indptr[-1])
    A = sp.csr_array((data, indices, indptr), shape=(rows, n))
    if not data.all():  # explicit zeros (from cancellation or zero weights) are dropped, on a copy if shared
        if len(fixed) == 1:
            A = A.copy()
        A.eliminate_zeros()
    A.has_canonical_format = True
    return A


def positive_semidefinite(Q: sp.csr_array, tol: float = 1e-9) -> bool:
    """Whether the symmetric ``Q`` is positive semidefinite (to ``tol`` relative to its largest
    entry), on the columns it touches: at once if it is diagonally dominant with a nonnegative
    diagonal (Gershgorin); by its eigenvalues up to 2000 columns; beyond, by the inertia of an
    LDLᵀ factorisation of ``Q + tol·I`` (Sylvester: as many negative pivots as negative eigenvalues)."""
    used = np.flatnonzero(np.diff(sp.csr_array(Q).indptr))
    if used.size == 0:
        return True
    sub = sp.csr_array(Q)[used][:, used].astype(float)
    shift = tol * max(1.0, float(np.abs(sub.data).max()))
    diagonal = sub.diagonal()
    off = np.asarray(abs(sub).sum(axis=1)).ravel() - np.abs(diagonal)
    if np.all(diagonal - off >= -shift):
        return True
    if used.size <= 2000:
        return bool(np.linalg.eigvalsh(sub.toarray())[0] >= -shift)
    from scipy.sparse.linalg import splu

    # Diagonal pivots only, the same permutation of rows and columns: an LDLᵀ in SuperLU's terms.
    shifted = sp.csc_matrix(sub + shift * sp.eye_array(used.size))
    try:
        lu = splu(shifted, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0, options={"SymmetricMode": True})
    except RuntimeError:  # an exactly zero pivot: Q + tol·I is singular, so Q has an eigenvalue below 0
        return False
    if np.array_equal(lu.perm_r, lu.perm_c):
        return bool(np.all(lu.U.diagonal() > 0))
    from scipy.sparse.linalg import eigsh  # the factorisation pivoted off the diagonal: Lanczos instead

    return bool(eigsh(sub, k=1, which="SA", return_eigenvectors=False)[0] >= -shift)
