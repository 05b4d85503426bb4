"""Linear expressions over arrays of variables, stored as one sparse matrix.

An ``Expr`` of shape ``s`` holds ``coef`` (a CSR matrix with one row per element, in C order,
and one column per model variable) and ``const`` (one number per element). Every operation is a
sparse-matrix operation, so building a model costs no Python loop per variable or nonzero.
"""

from __future__ import annotations

import itertools
import math
import numbers
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from optmodel._scipy import issparse
from optmodel._scipy import sparse as sp
from optmodel.errors import ModelError

if TYPE_CHECKING:
    from optmodel.model import Model

Shape = tuple[int, ...]


def _csr(data, indices, indptr, shape, canonical: bool = False) -> sp.csr_array:
    """A CSR matrix over the given arrays (shared, not copied: int32 indices keep scipy from
    converting them); ``canonical`` records what the caller knows (sorted rows, no duplicates)
    so that scipy need not check it."""
    m = sp.csr_array((data, indices, indptr), shape=shape)
    if canonical:
        m.has_canonical_format = True
    return m


def _csr_view(data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, shape: Shape) -> sp.csr_array:
    """A canonical CSR matrix over slices of larger arrays, sharing them. scipy's constructor would
    copy a slice of less than half its array (``prune``), so the checked arrays are set afterwards."""
    m = sp.csr_array(shape, dtype=data.dtype)
    m.indptr, m.indices, m.data = indptr, indices, data
    m.has_canonical_format = True
    return m


def index_dtype(size: int) -> type:
    """int32 indices where they fit (what scipy and HiGHS use), int64 beyond."""
    return np.int32 if size < np.iinfo(np.int32).max else np.int64


def _empty_coef(rows: int, cols: int = 0) -> sp.csr_array:
    return _csr(np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(rows + 1, dtype=np.int32), (rows, cols), True)


def _take_rows(coef: sp.csr_array, rows: np.ndarray) -> sp.csr_array:
    """``coef[rows]`` (rows repeated and reordered at will). Rows of equal length, the usual case
    (selections and broadcasts of variables), are gathered directly; others by scipy."""
    n = rows.shape[0]
    width = _row_width(coef)
    if width is None:
        return sp.csr_array(coef[rows])
    idx = index_dtype(max(n * width, coef.shape[1]))
    indptr = np.arange(0, n * width + 1, max(width, 1), dtype=idx) if width else np.zeros(n + 1, dtype=idx)
    base = int(coef.indptr[0])
    if width == 1:
        pos = rows + base if base else rows
    else:
        pos = (rows[:, None] * width + (base + np.arange(width))).ravel()
    canonical = width <= 1 or coef.has_canonical_format  # a row of one entry is sorted
    return _csr(coef.data[pos], coef.indices[pos], indptr, (n, coef.shape[1]), canonical)


def _row_width(coef: sp.csr_array) -> int | None:
    """The number of entries of every row, where all rows have as many (else None)."""
    counts = np.diff(coef.indptr)
    if counts.size == 0:
        return 0
    width = int(counts[0])
    return width if counts.min() == width == counts.max() else None


def _side_by_side(A: sp.csr_array, a_shape: Shape, B: sp.csr_array, b_shape: Shape, sign: float, shape: Shape,
                  cols: int) -> sp.csr_array | None:
    """``A + sign * B`` broadcast to ``shape``, where both have rows of one width, sorted, and
    ``B``'s columns all fall between the same two entries of every row of ``A`` (``s - d``,
    ``r + y``, ``(s - d) - M z``: blocks of different variables): each row is ``A``'s first ``p``
    entries, ``B``'s, ``A``'s others -- laid down by numpy broadcasting in one write, already sorted,
    without index arrays. None where that does not hold."""
    wa, wb = _row_width(A), _row_width(B)
    if not (wa and wb and A.has_canonical_format and B.has_canonical_format):
        return None
    a_idx = A.indices[: A.shape[0] * wa].reshape((*a_shape, wa))
    b_idx = B.indices[: B.shape[0] * wb].reshape((*b_shape, wb))
    b_first, b_last = b_idx[..., 0].min(initial=cols), b_idx[..., -1].max(initial=-1)
    for p in range(wa, -1, -1):  # where B goes: after A's p-th entry (checked on the extremes only)
        if (p == 0 or a_idx[..., p - 1].max(initial=-1) < b_first) and (
            p == wa or b_last < a_idx[..., p].min(initial=cols)
        ):
            break
    else:
        return None
    n, w = math.prod(shape), wa + wb
    idx = index_dtype(max(n * w, cols))
    indices, data = np.empty((*shape, w), dtype=idx), np.empty((*shape, w))
    a_data = A.data[: A.shape[0] * wa].reshape((*a_shape, wa))
    indices[..., :p], indices[..., p : p + wb], indices[..., p + wb :] = a_idx[..., :p], b_idx, a_idx[..., p:]
    data[..., :p], data[..., p + wb :] = a_data[..., :p], a_data[..., p:]
    np.multiply(B.data[: B.shape[0] * wb].reshape((*b_shape, wb)), sign, out=data[..., p : p + wb])
    return _csr(data.reshape(-1), indices.reshape(-1), np.arange(0, n * w + 1, w, dtype=idx), (n, cols), True)


class _Part(NamedTuple):
    """One summand of an expression kept as a sum of blocks: ``scale`` times ``coef`` (rows of
    ``width`` entries, sorted), whose rows broadcast from ``shape``; its columns lie in ``lo..hi``."""

    coef: sp.csr_array
    width: int
    shape: Shape
    scale: float
    lo: int
    hi: int


def _part(coef: sp.csr_array, shape: Shape, span: tuple[int, int] | None) -> _Part | None:
    """``coef`` as a summand, where its rows are of one width and sorted (else None). ``span``: its
    columns' range where known -- a variable block or a selection of one, one entry per row --
    else read from the first and last entries."""
    if span is not None:
        return _Part(coef, 1, shape, 1.0, *span)
    width = _row_width(coef)
    if not width or not coef.has_canonical_format:
        return None
    idx = coef.indices[: coef.shape[0] * width].reshape(-1, width)
    return _Part(coef, width, shape, 1.0, int(idx[:, 0].min()), int(idx[:, -1].max()))


def _disjoint(parts: list[_Part]) -> bool:
    return all(a.hi < b.lo for a, b in itertools.pairwise(parts))


def _interleave(parts: tuple[_Part, ...], shape: Shape) -> sp.csr_array:
    """The sum of blocks with disjoint columns, in column order, as one CSR matrix: each row is
    every part's row side by side (already sorted), written in one pass per part."""
    cols = max(p.coef.shape[1] for p in parts)
    if len(parts) == 1 and parts[0].shape == tuple(shape):
        p = parts[0]
        coef = p.coef if p.scale == 1 else _scale_rows(p.coef, p.scale)
        return _with_cols(coef, cols)
    n, w = math.prod(shape), sum(p.width for p in parts)
    idx = index_dtype(max(n * w, cols))
    indices, data = np.empty((*shape, w), dtype=idx), np.empty((*shape, w))
    at = 0
    for p in parts:
        width = p.width
        rows = p.coef.shape[0] * width
        indices[..., at : at + width] = p.coef.indices[:rows].reshape((*p.shape, width))
        np.multiply(p.coef.data[:rows].reshape((*p.shape, width)), p.scale, out=data[..., at : at + width])
        at += width
    return _csr(data.reshape(-1), indices.reshape(-1), np.arange(0, n * w + 1, w, dtype=idx), (n, cols), True)


def _merge_rows(A: sp.csr_array, ia: np.ndarray | None, B: sp.csr_array, ib: np.ndarray | None, sign: float,
                cols: int) -> sp.csr_array:
    """Row ``i``: row ``ia[i]`` of ``A`` plus ``sign`` times row ``ib[i]`` of ``B`` (``None``: row i),
    merged by scipy."""
    a = _with_cols(A if ia is None else _take_rows(A, ia), cols)
    b = _with_cols(B if ib is None else _take_rows(B, ib), cols)
    return a + b if sign > 0 else a - b


def _scale_rows(coef: sp.csr_array, w: np.ndarray | float) -> sp.csr_array:
    """Row ``i`` times ``w[i]`` (or all rows times a number): the data scaled, the pattern shared
    (zeros made by a zero weight are dropped when the model is lowered)."""
    nnz = coef.indptr[-1]
    if np.ndim(w) == 0:
        data = coef.data[:nnz] * float(w)
    else:
        data = coef.data[:nnz] * np.repeat(w, np.diff(coef.indptr))
    return _csr(data, coef.indices[:nnz], coef.indptr, coef.shape, coef.has_canonical_format)


def _concat_rows(coef: sp.csr_array, groups: int) -> sp.csr_array:
    """Consecutive runs of equally many rows joined into one row each (duplicates summed)."""
    rows = coef.shape[0]
    size = rows // groups if groups else 0
    indptr = coef.indptr[::size] if size else np.zeros(groups + 1, dtype=coef.indptr.dtype)
    nnz = coef.indptr[-1]
    out = _csr(coef.data[:nnz].copy(), coef.indices[:nnz].copy(), indptr.copy(), (groups, coef.shape[1]))
    out.sum_duplicates()  # a check in C where each group's columns already increase
    return out


def _times(const: np.ndarray, w: float) -> np.ndarray:
    one = _one_value(const)
    return const * w if one is None else _filled(one * w, const.size)


def _with_cols(coef: sp.csr_array, cols: int) -> sp.csr_array:
    """The same matrix with more (empty) columns: variables added to the model later."""
    if coef.shape[1] == cols:
        return coef
    return _csr(coef.data, coef.indices, coef.indptr, (coef.shape[0], cols))


def _filled(value: float, size: int) -> np.ndarray:
    """``size`` copies of one number as a read-only view: the constant of a variable block or of
    an expression built from blocks (no array written until a row needs its own number)."""
    return np.broadcast_to(np.float64(value), (size,))


def _one_value(const: np.ndarray) -> float | None:
    """The number a ``_filled`` constant repeats (None for a constant with an entry of its own each)."""
    return float(const[0]) if const.strides == (0,) and const.size else None


def _is_constant(obj: Any) -> bool:
    return isinstance(obj, (numbers.Number, np.ndarray, np.generic, list, tuple))


class _ArrayOfExpressions:
    """What affine and quadratic expression arrays share: a shape, and numpy deferring to them."""

    # Make numpy and scipy defer to our reflected operators (``A @ x``, ``2 * x``, ``b <= x``).
    __array_ufunc__ = None
    __array_priority__ = 1000
    __hash__ = None  # type: ignore[assignment]  # == builds a constraint
    shape: Shape

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        # scipy.sparse turns unknown operands into arrays; a 0-d object array makes it
        # return NotImplemented so that our reflected operator runs.
        box = np.empty((), dtype=object)
        box[()] = self
        return box

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)


class Expr(_ArrayOfExpressions):
    """An array of affine expressions ``coef @ x + const`` with numpy-like shape semantics."""

    _parts: tuple[_Part, ...] | None = None  # a sum of blocks not yet written as one matrix
    _span: tuple[int, int] | None = None  # column range of a variable block or a selection of one

    def __init__(self, coef: sp.csr_array | None, const: np.ndarray, shape: Shape, model: Model | None,
                 parts: tuple[_Part, ...] | None = None):
        self._coef = coef
        self._parts = parts
        self.const = const
        self.shape = tuple(int(s) for s in shape)
        self.model = model

    @property
    def coef(self) -> sp.csr_array:
        """The coefficient matrix (a sum of blocks is written as one the first time it is read)."""
        if self._coef is None:
            self._coef = _interleave(self._parts, self.shape)
            self._parts = None
        return self._coef

    def _summands(self) -> tuple[_Part, ...] | None:
        """The expression as blocks with disjoint columns (None where it is not one such sum)."""
        if self._parts is not None:
            return self._parts
        part = _part(self.coef, self.shape, self._span)
        return None if part is None else (part,)

    def _has_terms(self) -> bool:
        return self._parts is not None or self.coef.nnz > 0

    # --- shape --------------------------------------------------------------------------
    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a scalar expression")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def _take(self, index: np.ndarray) -> Expr:
        flat = index.ravel()
        one = _one_value(self.const)
        const = self.const[flat] if one is None else _filled(one, flat.size)
        return Expr(_take_rows(self.coef, flat), const, index.shape, self.model)

    def _positions(self) -> np.ndarray:
        return np.arange(self.size).reshape(self.shape)

    def __getitem__(self, key: Any) -> Expr:
        return self._take(np.asarray(self._positions()[key]))

    def reshape(self, *shape: int | Sequence[int]) -> Expr:
        new = self._positions().reshape(*shape)
        return Expr(self.coef, self.const, new.shape, self.model)

    def ravel(self) -> Expr:
        return self.reshape(-1)

    flatten = ravel

    @property
    def T(self) -> Expr:
        return self._take(self._positions().T)

    def broadcast_to(self, shape: Shape) -> Expr:
        if tuple(shape) == self.shape:
            return self
        return self._take(np.broadcast_to(self._positions(), shape))

    # --- algebra ------------------------------------------------------------------------
    def _model_of(self, other: Expr) -> Model | None:
        if self.model is not None and other.model is not None and self.model is not other.model:
            raise ModelError("expressions from two different models cannot be combined")
        return self.model if self.model is not None else other.model

    def __add__(self, other: Any) -> Expr:
        if isinstance(other, QuadExpr):
            return other + self
        return self._combine(as_expr(other), 1.0)

    __radd__ = __add__

    def _combine(self, other: Expr, sign: float) -> Expr:
        """``self + sign * other`` (sign ±1), broadcast without copying the rows first where the
        two sides hold different variables (``_side_by_side``); otherwise merged by scipy."""
        shape = _broadcast_shapes(self.shape, other.shape)
        model = self._model_of(other)
        one_a, one_b = _one_value(self.const), _one_value(other.const)
        if one_a is not None and one_b is not None:
            const = _filled(one_a + sign * one_b, math.prod(shape))
        else:
            ca, cb = self.const.reshape(self.shape), other.const.reshape(other.shape)
            const = np.broadcast_to(ca + cb if sign > 0 else ca - cb, shape).reshape(-1)  # numpy broadcasts
        if not other._has_terms():  # adding a constant: the coefficients as they are
            pa = self._summands() if self._parts is not None or self.shape != shape else None
            if pa is not None:  # kept as blocks, broadcast when written
                return Expr(None, const, shape, model, pa)
            ia = self._rows_for(shape)
            A = self.coef
            return Expr(_with_cols(A if ia is None else _take_rows(A, ia), max(A.shape[1], other.coef.shape[1])),
                        const, shape, model)
        pb = other._summands()
        if pb is not None:
            pb = tuple(p._replace(scale=sign * p.scale) for p in pb)
        if not self._has_terms():
            if pb is not None:  # a constant minus an expression: its blocks, scaled when written
                return Expr(None, const, shape, model, pb)
            ib = other._rows_for(shape)
            B = other.coef
            return Expr(_with_cols(_scale_rows(B if ib is None else _take_rows(B, ib), sign),
                                   max(B.shape[1], self.coef.shape[1])), const, shape, model)
        pa = self._summands()
        if pa is not None and pb is not None:
            parts = sorted(pa + pb, key=lambda p: p.lo)
            if _disjoint(parts):  # blocks of different variables: written once, when read
                return Expr(None, const, shape, model, tuple(parts))
        A, B = self.coef, other.coef
        cols = max(A.shape[1], B.shape[1])
        coef = _side_by_side(A, self.shape, B, other.shape, sign, shape, cols)
        if coef is None:
            coef = _merge_rows(A, self._rows_for(shape), B, other._rows_for(shape), sign, cols)
        return Expr(coef, const, shape, model)

    def _rows_for(self, shape: Shape) -> np.ndarray | None:
        """The element of ``self`` behind each element of its broadcast to ``shape`` (None: itself)."""
        if tuple(shape) == self.shape:
            return None
        return np.broadcast_to(self._positions(), shape).reshape(-1)

    def __neg__(self) -> Expr:
        return self * -1.0

    def __pos__(self) -> Expr:
        return self

    def __sub__(self, other: Any) -> Expr:
        if isinstance(other, QuadExpr):
            return self + (-other)
        return self._combine(as_expr(other), -1.0)

    def __rsub__(self, other: Any) -> Expr:
        return as_expr(other)._combine(self, -1.0)

    def __mul__(self, other: Any) -> Expr | QuadExpr:
        if isinstance(other, QuadExpr):
            return other * self
        if isinstance(other, Expr):
            if other.coef.nnz == 0:
                other = other.const.reshape(other.shape)
            elif self.coef.nnz == 0:
                return other * self.const.reshape(self.shape)
            else:
                return QuadExpr.product(self, other)
        if issparse(other) and isinstance(other, sp.spmatrix):  # for scipy's matrix type * means a matrix product
            raise ModelError("use @ for matrix products (A @ x); * is elementwise")
        if issparse(other):
            other = other.toarray()
        w = np.asarray(other, dtype=float)
        if w.ndim == 0:  # a number scales the data (or each block, when written); no diagonal matrix product
            const = _times(self.const, float(w))
            parts = self._summands() if self._parts is not None or self._span is not None else None
            if parts is not None:
                parts = tuple(p._replace(scale=p.scale * float(w)) for p in parts)
                return Expr(None, const, self.shape, self.model, parts)
            return Expr(_scale_rows(self.coef, w), const, self.shape, self.model)
        shape = _broadcast_shapes(self.shape, w.shape)
        e = self.broadcast_to(shape)
        w = np.broadcast_to(w, shape).ravel()
        return Expr(_scale_rows(e.coef, w), e.const * w, shape, self.model)

    __rmul__ = __mul__

    def __pow__(self, power: Any) -> Expr | QuadExpr:
        if isinstance(power, numbers.Number) and power == 2:
            return self * self
        if isinstance(power, numbers.Number) and power == 1:
            return self
        raise ModelError(f"only squares of expressions are supported (e ** 2), not e ** {power!r}")

    def __truediv__(self, other: Any) -> Expr:
        if isinstance(other, (Expr, QuadExpr)):
            raise ModelError("division by a variable expression is not linear")
        return self * (1.0 / np.asarray(other, dtype=float))

    def __matmul__(self, other: Any) -> Expr | QuadExpr:
        """``x @ A``: rows of ``x`` times the matrix ``A``; ``x @ y`` of two vectors: their inner product."""
        if isinstance(other, QuadExpr):
            raise ModelError("the product of a quadratic and a variable expression has degree 3")
        if isinstance(other, Expr):
            if self.ndim <= 1 and other.ndim <= 1:
                if self.shape != other.shape:
                    raise ModelError(f"x @ y needs vectors of one length, got shapes {self.shape} and {other.shape}")
                return (self * other).sum()
            raise ModelError("products of two variable expressions are supported for vectors (x @ Q @ x), not matrices")
        A = other if issparse(other) else np.asarray(other, dtype=float)
        if self.ndim == 1:
            return _left_matmul(A.T if A.ndim == 2 else A, self)
        if self.ndim == 2 and A.ndim in (1, 2):
            m, n = self.shape
            if A.shape[0] != n:
                raise ModelError(f"an expression of shape {self.shape} cannot multiply a matrix of shape {A.shape}")
            At = sp.csr_array(A.reshape(n, 1).T if A.ndim == 1 else A.T)
            out = At.shape[0]
            op = sp.kron(sp.eye_array(m, format="csr"), At, format="csr")
            result = Expr(sp.csr_array(op @ self.coef), op @ self.const, (m, out), self.model)
            return result.reshape(m) if A.ndim == 1 else result
        raise ModelError(f"cannot multiply an expression of shape {self.shape} by a matrix")

    def __rmatmul__(self, other: Any) -> Expr:
        """``A @ x``: the matrix ``A`` times the expression."""
        A = other if issparse(other) else np.asarray(other, dtype=float)
        return _left_matmul(A, self)

    def sum(self, axis: int | None = None) -> Expr:
        """The sum over all elements, or along ``axis``: the rows of each sum joined into one row
        (no matrix product)."""
        if axis is None:
            return Expr(_concat_rows(self.coef, 1), np.array([self.const.sum()]), (), self.model)
        axis = axis % self.ndim
        out_shape = self.shape[:axis] + self.shape[axis + 1 :]
        # Elements in the order of the output, each one's summands consecutive.
        order = np.moveaxis(self._positions(), axis, -1).reshape(-1)
        groups = math.prod(out_shape)
        e = self if np.array_equal(order, np.arange(self.size)) else self._take(order)
        one = _one_value(e.const)
        if one is not None and groups:
            const = _filled(one * (e.size // groups), groups)
        else:
            const = e.const.reshape(groups, -1).sum(axis=1) if groups else np.zeros(0)
        return Expr(_concat_rows(e.coef, groups), const, out_shape, self.model)

    def dot(self, other: Any) -> Expr:
        return (self * other).sum()

    # --- constraints ------------------------------------------------------------------------
    def _compare(self, other: Any, lower: bool, upper: bool) -> Constraint:
        diff = self - as_expr(other)
        rhs = -diff.const
        return Constraint(
            diff.coef,
            rhs if lower else np.full(rhs.shape, -np.inf),
            rhs if upper else np.full(rhs.shape, np.inf),
            diff.shape,
            diff.model,
        )

    def __le__(self, other: Any) -> Constraint:
        return self._compare(other, lower=False, upper=True)

    def __ge__(self, other: Any) -> Constraint:
        return self._compare(other, lower=True, upper=False)

    def __eq__(self, other: Any) -> Constraint:  # type: ignore[override]
        return self._compare(other, lower=True, upper=True)

    def between(self, lower: Any, upper: Any) -> Constraint:
        """The range constraint ``lower <= self <= upper`` (elementwise, broadcast)."""
        lo = np.broadcast_to(np.asarray(lower, dtype=float), self.shape).ravel() - self.const
        hi = np.broadcast_to(np.asarray(upper, dtype=float), self.shape).ravel() - self.const
        if np.any(lo > hi):
            raise ModelError("a range constraint has lower > upper")
        return Constraint(self.coef, lo, hi, self.shape, self.model)

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value (for a range use expr.between(lo, hi))")

    # --- values -----------------------------------------------------------------------------
    def value(self, x: np.ndarray) -> np.ndarray | float:
        """The expression evaluated at the column values ``x``."""
        coef = _with_cols(self.coef, x.shape[0]) if self.coef.shape[1] < x.shape[0] else self.coef
        v = coef @ x[: coef.shape[1]] + self.const
        return float(v[0]) if self.shape == () else v.reshape(self.shape)

    def __repr__(self) -> str:
        return f"<Expr shape={self.shape} nnz={self.coef.nnz}>"


class QuadExpr(_ArrayOfExpressions):
    """An array of quadratic expressions, kept as sums of products of affine factors.

    Element ``i`` is ``sum_k sum_r S_k[i, r] * (A_k[r] @ x + a_k[r]) * (B_k[r] @ x + b_k[r])``
    plus the affine part. Every operation (scaling, summing, indexing) acts on the sparse
    aggregation matrices ``S_k`` only; ``form(n)`` gives a scalar's Hessian ``Q`` and its linear part
    with a few sparse products, no loop per term.
    """

    def __init__(self, factors: list[tuple[sp.csr_array, np.ndarray, sp.csr_array, np.ndarray, sp.csr_array]],
                 affine: Expr, shape: Shape, model: Model | None):
        self.factors = factors  # (A, a, B, b, S)
        self.affine = affine
        self.shape = tuple(shape)
        self.model = model

    @classmethod
    def product(cls, left: Expr, right: Expr) -> QuadExpr:
        shape = _broadcast_shapes(left.shape, right.shape)
        a, b = left.broadcast_to(shape), right.broadcast_to(shape)
        size = math.prod(shape)
        S = sp.eye_array(size, format="csr")
        zero = Expr(_empty_coef(size), np.zeros(size), shape, None)
        return cls([(a.coef, a.const, b.coef, b.const, S)], zero, shape, left._model_of(right))

    def _apply(self, op: sp.csr_array, shape: Shape, affine: Expr) -> QuadExpr:
        """The same products aggregated by ``op @ S`` (one row per new element)."""
        factors = [(A, a, B, b, sp.csr_array(op @ S)) for A, a, B, b, S in self.factors]
        return QuadExpr(factors, affine, shape, self.model)

    def _take(self, index: np.ndarray) -> QuadExpr:
        flat = index.ravel()
        op = sp.csr_array((np.ones(flat.size), (np.arange(flat.size), flat)), shape=(flat.size, self.size))
        return self._apply(op, index.shape, self.affine._take(index))

    def __getitem__(self, key: Any) -> QuadExpr:
        return self._take(np.asarray(np.arange(self.size).reshape(self.shape)[key]))

    def broadcast_to(self, shape: Shape) -> QuadExpr:
        if tuple(shape) == self.shape:
            return self
        return self._take(np.broadcast_to(np.arange(self.size).reshape(self.shape), shape))

    def reshape(self, *shape: int | Sequence[int]) -> QuadExpr:
        new = np.arange(self.size).reshape(*shape)
        return QuadExpr(self.factors, self.affine.reshape(new.shape), new.shape, self.model)

    def sum(self, axis: int | None = None) -> QuadExpr:
        if axis is None:
            op = sp.csr_array(np.ones((1, self.size)))
            return self._apply(op, (), self.affine.sum())
        affine = self.affine.sum(axis)
        pos = np.arange(self.size).reshape(self.shape)
        axis = axis % self.ndim
        target = np.broadcast_to(np.expand_dims(np.arange(affine.size).reshape(affine.shape), axis), self.shape)
        op = sp.csr_array((np.ones(self.size), (target.ravel(), pos.ravel())), shape=(affine.size, self.size))
        return self._apply(op, affine.shape, affine)

    def __add__(self, other: Any) -> QuadExpr:
        if isinstance(other, QuadExpr):
            shape = _broadcast_shapes(self.shape, other.shape)
            a, b = self.broadcast_to(shape), other.broadcast_to(shape)
            model = a.model if a.model is not None else b.model
            return QuadExpr(a.factors + b.factors, a.affine + b.affine, shape, model)
        other = as_expr(other)
        shape = _broadcast_shapes(self.shape, other.shape)
        a = self.broadcast_to(shape)
        return QuadExpr(a.factors, a.affine + other.broadcast_to(shape), shape, a.affine._model_of(other))

    __radd__ = __add__

    def __neg__(self) -> QuadExpr:
        return self * -1.0

    def __pos__(self) -> QuadExpr:
        return self

    def __sub__(self, other: Any) -> QuadExpr:
        return self + (-other if isinstance(other, QuadExpr) else -as_expr(other))

    def __rsub__(self, other: Any) -> QuadExpr:
        return (-self) + other

    def __mul__(self, other: Any) -> QuadExpr:
        if isinstance(other, Expr) and other.coef.nnz == 0:
            other = other.const.reshape(other.shape)
        if isinstance(other, (Expr, QuadExpr)):
            raise ModelError("the product has degree above 2: optmodel takes quadratic objectives at most")
        w = np.asarray(other.toarray() if issparse(other) else other, dtype=float)
        shape = _broadcast_shapes(self.shape, w.shape)
        q = self.broadcast_to(shape)
        flat = np.broadcast_to(w, shape).ravel()
        return q._apply(sp.diags_array(flat, format="csr"), shape, q.affine * w)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> QuadExpr:
        if isinstance(other, (Expr, QuadExpr)):
            raise ModelError("division by a variable expression is not supported")
        return self * (1.0 / np.asarray(other, dtype=float))

    def _refuse(self, other: Any) -> Constraint:
        raise ModelError("quadratic constraints are not supported; quadratic objectives are (m.minimize(x @ Q @ x))")

    __le__ = __ge__ = __eq__ = _refuse  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("an expression has no truth value")

    def form(self, n: int) -> tuple[sp.csr_array, np.ndarray, float]:
        """A scalar's ``(Q, c, constant)`` over ``n`` columns: ``½ xᵀQx + c @ x + constant``, Q symmetric."""
        if self.size != 1:
            raise ModelError(f"a quadratic objective must be a scalar, got shape {self.shape} (use .sum())")
        Q = sp.csr_array((n, n))
        c = _with_cols(self.affine.coef, n).toarray().ravel()
        const = float(self.affine.const.sum())
        for A, a, B, b, S in self.factors:
            s = S.toarray().ravel()
            A, B = _with_cols(A, n), _with_cols(B, n)
            sA = sp.csr_array(sp.diags_array(s) @ A)
            cross = sp.csr_array(sA.T @ B)
            Q = Q + cross + cross.T
            c = c + sA.T @ b + B.T @ (s * a)
            const += float(np.sum(s * a * b))
        Q = sp.csr_array(Q)
        Q.sum_duplicates()
        Q.eliminate_zeros()
        return Q, c, const

    def value(self, x: np.ndarray) -> np.ndarray | float:
        total = np.asarray(self.affine.value(x), dtype=float).ravel()
        for A, a, B, b, S in self.factors:
            left = _with_cols(A, x.shape[0]) @ x + a
            right = _with_cols(B, x.shape[0]) @ x + b
            total = total + S @ (left * right)
        return float(total[0]) if self.shape == () else total.reshape(self.shape)

    def __repr__(self) -> str:
        return f"<QuadExpr shape={self.shape} products={len(self.factors)}>"


def sum_squares(expr: Any) -> QuadExpr:
    """``sum(e ** 2)`` over the elements of an expression."""
    e = as_expr(expr)
    return (e * e).sum()


def _left_matmul(A: Any, x: Expr) -> Expr:
    if A.ndim == 1:
        A2 = A.reshape(1, -1)
        squeeze = True
    else:
        A2, squeeze = A, False
    n = x.shape[0] if x.shape else 1
    if A2.shape[1] != n:
        raise ModelError(f"matrix of shape {A.shape} cannot multiply an expression of shape {x.shape}")
    if squeeze and not issparse(A) and x.ndim == 1:
        # weights @ x: the elements scaled and summed (a dense weight vector is never made sparse)
        if isinstance(x, Var):
            w = A.ravel()
            nz = np.flatnonzero(w)
            idx = index_dtype(x.start + x.size)
            coef = _csr(w[nz], (nz + x.start).astype(idx), np.array([0, nz.size], dtype=idx),
                        (1, x.start + x.size), True)
            return Expr(coef, np.zeros(1), (), x.model)
        return (x * A.ravel()).sum()
    A2 = sp.csr_array(A2)
    if isinstance(x, Var) and x.ndim == 1:
        # A block of variables is an identity on its columns: shift A's columns instead of multiplying.
        idx = index_dtype(max(x.start + x.size, A2.nnz))
        coef = _csr(A2.data, A2.indices.astype(idx) + idx(x.start), A2.indptr.astype(idx, copy=False),
                    (A2.shape[0], x.start + x.size), A2.has_canonical_format)
        result = Expr(coef, np.zeros(A2.shape[0]), (A2.shape[0],), x.model)
        return Expr(result.coef, result.const, (), x.model) if squeeze else result
    if x.ndim <= 1:
        op = A2
        out_shape: Shape = (A2.shape[0],)
    elif x.ndim == 2:
        k = x.shape[1]
        op = sp.kron(A2, sp.eye_array(k, format="csr"), format="csr")
        out_shape = (A2.shape[0], k)
    else:
        raise ModelError("matrix products are defined for expressions of 1 or 2 dimensions")
    result = Expr(sp.csr_array(op @ x.coef), op @ x.const, out_shape, x.model)
    if squeeze:
        return result.reshape(out_shape[1:]) if x.ndim == 2 else Expr(result.coef, result.const, (), x.model)
    return result


def _broadcast_shapes(a: Shape, b: Shape) -> Shape:
    try:
        return tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ModelError(f"shapes {a} and {b} do not broadcast") from None


def as_expr(value: Any) -> Expr:
    """Numbers, arrays and sparse matrices become constant expressions."""
    if isinstance(value, Expr):
        return value
    if issparse(value):
        value = value.toarray()
    if not _is_constant(value):
        raise ModelError(f"cannot use a {type(value).__name__} in a linear expression")
    arr = np.asarray(value, dtype=float)
    const = _filled(float(arr), 1) if arr.ndim == 0 else arr.ravel().copy()
    return Expr(_empty_coef(arr.size), const, arr.shape, None)


class Var(Expr):
    """A block of model variables: an expression that is exactly its own columns."""

    __hash__ = object.__hash__  # by identity, so that {var: start values} works

    def __init__(
        self,
        model: Model,
        name: str,
        start: int,
        shape: Shape,
        keys: Sequence[Hashable] | None = None,
        labels: Sequence[str] | None = None,
    ):
        size = math.prod(shape)
        self._coef: sp.csr_array | None = None  # the identity on its columns, made when first needed
        self.const = _filled(0.0, size)
        self.shape = tuple(int(s) for s in shape)
        self.model = model
        self.name = name
        self.start = start
        self.keys = None if keys is None else list(keys)
        self.labels = labels
        self._key_index: dict[Hashable, int] | None = None

    @property
    def coef(self) -> sp.csr_array:  # type: ignore[override]
        if self._coef is None:
            size = self.size
            idx = index_dtype(self.start + size)
            self._coef = _csr(np.ones(size), np.arange(self.start, self.start + size, dtype=idx),
                              np.arange(size + 1, dtype=idx), (size, self.start + size), True)
        return self._coef

    @property
    def _span(self) -> tuple[int, int]:  # type: ignore[override]
        return self.start, self.start + self.size - 1

    @property
    def columns(self) -> slice:
        """The block's columns in the canonical form."""
        return slice(self.start, self.start + self.size)

    def _take(self, index: np.ndarray) -> Expr:
        """A selection of the block's variables: its rows written down directly."""
        idx = index_dtype(self.start + self.size)
        return self._select(index.ravel().astype(idx, copy=False) + idx(self.start), index.shape)

    def __getitem__(self, key: Any) -> Expr:
        if self.keys is None:  # the columns picked out of the block's own, in its index type
            idx = index_dtype(self.start + self.size)
            cols = np.arange(self.start, self.start + self.size, dtype=idx).reshape(self.shape)[key]
            return self._select(np.asarray(cols).reshape(-1), np.shape(cols))
        if isinstance(key, list):
            return self._take(np.array([self.position(k) for k in key], dtype=np.int64))
        return self._take(np.array(self.position(key)))

    def _select(self, cols: np.ndarray, shape: Shape) -> Expr:
        n = cols.shape[0]
        idx = index_dtype(self.start + self.size)
        coef = _csr(np.ones(n), cols, np.arange(n + 1, dtype=idx), (n, self.start + self.size), True)
        picked = Expr(coef, _filled(0.0, n), shape, self.model)
        picked._span = self._span  # within the block's columns
        return picked

    def value(self, x: np.ndarray) -> np.ndarray | float:
        v = x[self.start : self.start + self.size]
        return float(v[0]) if self.shape == () else v.reshape(self.shape).copy()

    def position(self, key: Hashable) -> int:
        """The position of ``key`` in a keyed variable."""
        if self.keys is None:
            raise ModelError(f"variable {self.name!r} is not indexed by keys")
        if self._key_index is None:
            self._key_index = {k: i for i, k in enumerate(self.keys)}
            if len(self._key_index) != len(self.keys):
                raise ModelError(f"variable {self.name!r} has duplicate keys")
        try:
            return self._key_index[key]
        except KeyError:
            raise KeyError(f"{key!r} is not a key of variable {self.name!r}") from None

    def __repr__(self) -> str:
        keyed = " keyed" if self.keys is not None else ""
        return f"<Var {self.name!r} shape={self.shape}{keyed}>"


class Constraint:
    """Rows ``lower <= coef @ x <= upper``, not yet added (``Model.add``) or added as a block."""

    def __init__(self, coef: sp.csr_array, lower: np.ndarray, upper: np.ndarray, shape: Shape, model: Model | None):
        self.coef = coef
        self.lower = np.asarray(lower, dtype=float)
        self.upper = np.asarray(upper, dtype=float)
        self.shape = shape
        self.model = model
        self.name: str | None = None
        self.labels: Sequence[str] | None = None  # per-row names, e.g. read from a file
        self.start: int | None = None  # first row in the canonical form once added

    @property
    def size(self) -> int:
        return self.lower.shape[0]

    @property
    def rows(self) -> slice:
        if self.start is None:
            raise ModelError("this constraint has not been added to a model")
        return slice(self.start, self.start + self.size)

    def __bool__(self) -> bool:
        raise TypeError(
            "a constraint has no truth value; chained comparisons such as lo <= expr <= hi "
            "are not supported: use expr.between(lo, hi)"
        )

    def __repr__(self) -> str:
        return f"<Constraint {self.name or ''} rows={self.size}>"
