"""Named transformations of the canonical form, each able to map a solver's answer back.

In the spirit of CVXPY's reductions: ``apply(form) -> form`` and ``invert(raw) -> raw``. The core
applies ``Normalise`` (and ``DropFreeRows`` where needed) to every LP/MIP before any backend sees
it, so bounds and data mean the same thing on every backend; row generation uses
``RelaxIntegrality``; the infeasible-or-unbounded decision uses ``FeasibilityProblem``. A backend
with a transform of its own (CP-SAT's integer scaling) writes it as a ``Reduction`` too.
``Solution.stats["reductions"]`` lists those that changed the model, for ``explain`` and the user.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Capability, RawResult
from optmodel.canonical import CanonicalForm, Names
from optmodel.errors import ModelError

# Bounds at or beyond this are infinite (HiGHS's and most solvers' convention, also for GLOP here).
INFINITE_BOUND = 1e20
# Matrix coefficients at or beyond this are refused: HiGHS rejects them, others lose all precision.
LARGEST_COEFFICIENT = 1e15


class Reduction:
    """A transformation of the canonical form with the inverse map of the solver's answer."""

    name = "reduction"
    description = ""

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        raise NotImplementedError  # pragma: no cover - every reduction defines it

    def invert(self, raw: RawResult) -> RawResult:
        return raw


class Normalise(Reduction):
    """Bounds of ±1e20 and beyond become infinite; integer columns' bounds are rounded inwards;
    ill-posed data (a lower bound of +inf, an upper bound of -inf, a coefficient of 1e15 or more)
    is refused with a ``ModelError`` naming the row or column. The answer needs no mapping back."""

    name = "normalise"
    description = "bounds beyond ±1e20 made infinite, integer bounds rounded inwards"

    def __init__(self) -> None:
        self.changed = False

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        # Each bound array's least and greatest entry (two passes, no temporaries) decide most of
        # what follows: usually nothing is ill-posed and no finite bound is beyond ±1e20.
        ranges: dict[int, tuple[float, float]] = {}
        for b in (form.col_lower, form.col_upper, form.row_lower, form.row_upper):  # equality rows: one array
            if id(b) not in ranges:
                ranges[id(b)] = _range(b)
        _refuse_ill_posed(form, ranges)
        col_lower, col_upper, row_lower, row_upper = (
            _infinite(b, ranges[id(b)]) for b in (form.col_lower, form.col_upper, form.row_lower, form.row_upper)
        )
        if form.is_mip:
            ints = np.flatnonzero(form.integrality)
            col_lower = _round_inwards(col_lower, ints, up=True)
            col_upper = _round_inwards(col_upper, ints, up=False)
            semi = form.semicontinuous
            if semi is not None and (semi & (col_lower > col_upper)).any():
                # a semi-integer column with no integer between its bounds can only be 0 (new
                # arrays: one of the two may still be the form's own)
                shut = semi & (col_lower > col_upper)
                col_lower, col_upper = np.where(shut, 0.0, col_lower), np.where(shut, 0.0, col_upper)
        same = all(
            new is old or np.array_equal(new, old)
            for new, old in (
                (col_lower, form.col_lower),
                (col_upper, form.col_upper),
                (row_lower, form.row_lower),
                (row_upper, form.row_upper),
            )
        )
        if same:
            return form
        self.changed = True
        return dataclasses.replace(
            form, col_lower=col_lower, col_upper=col_upper, row_lower=row_lower, row_upper=row_upper
        )


def _round_inwards(bound: np.ndarray, ints: np.ndarray, up: bool) -> np.ndarray:
    """Integer columns' bounds rounded inwards (ceil of lower, floor of upper, 1e-9 relative slack);
    the same array where they already are integers."""
    one_run = ints.size and ints[-1] - ints[0] + 1 == ints.size  # one block of integer columns: a view
    values = bound[ints[0] : ints[-1] + 1] if one_run else bound[ints]
    if np.array_equal(np.floor(values), values):  # integers or infinite already: nothing to round
        return bound
    tol = 1e-9 * np.maximum(1.0, np.abs(values))
    rounded = np.ceil(values - tol) if up else np.floor(values + tol)
    if np.array_equal(rounded, values):
        return bound
    out = bound.copy()
    out[ints] = rounded
    return out


def _range(bound: np.ndarray) -> tuple[float, float]:
    return (float(bound.min()), float(bound.max())) if bound.size else (0.0, 0.0)


def _infinite(bound: np.ndarray, extent: tuple[float, float]) -> np.ndarray:
    """Finite bounds at or beyond ±1e20 made infinite (the same array where there are none).
    ``extent``: the array's (min, max); only a side that reaches ±1e20 is looked at further."""
    low, high = extent
    if -INFINITE_BOUND < low and high < INFINITE_BOUND:
        return bound
    finite = np.isfinite(bound)  # infinite bounds stay as they are
    if (low <= -INFINITE_BOUND and bound.min(where=finite, initial=0.0) <= -INFINITE_BOUND) or (
        high >= INFINITE_BOUND and bound.max(where=finite, initial=0.0) >= INFINITE_BOUND
    ):
        return np.where(finite & (np.abs(bound) >= INFINITE_BOUND), np.copysign(np.inf, bound), bound)
    return bound


def _refuse_ill_posed(form: CanonicalForm, ranges: dict[int, tuple[float, float]] | None = None) -> None:
    for label, names, values, side, bad in (
        ("variable", form.col_names, form.col_lower, "lower", np.inf),
        ("variable", form.col_names, form.col_upper, "upper", -np.inf),
        ("constraint", form.row_names, form.row_lower, "lower", np.inf),
        ("constraint", form.row_names, form.row_upper, "upper", -np.inf),
    ):
        low, high = ranges[id(values)] if ranges is not None else _range(values)
        extreme = high if bad > 0 else -low
        if not extreme >= INFINITE_BOUND:  # nothing wrong on this side
            continue
        hit = np.flatnonzero(values * np.sign(bad) >= INFINITE_BOUND)
        if hit.size:
            j = int(hit[0])
            name = names.label(j)
            shown = "+inf" if bad > 0 else "-inf"
            raise ModelError(
                f"{label} {name} has {side} bound {values[j]:+g} (at or beyond ±{INFINITE_BOUND:g} counts as "
                f"{shown}), which no point can meet: an ill-posed model; {hit.size} such bound(s) in all"
            )
    data = form.A.data[: form.A.nnz]
    if data.size and not max(data.max(), -data.min()) < LARGEST_COEFFICIENT:
        big = np.flatnonzero(np.abs(data) >= LARGEST_COEFFICIENT)
        if big.size:
            k = int(big[0])
            row = int(np.searchsorted(form.A.indptr, k, side="right") - 1)
            col = int(form.A.indices[k])
            raise ModelError(
                f"the coefficient {form.A.data[k]:g} of {form.col_names.label(col)} in constraint "
                f"{form.row_names.label(row)} is too large (|a| >= {LARGEST_COEFFICIENT:g}); rescale the model"
                f" ({big.size} such coefficient(s))"
            )
    # objective coefficients as large as a solver's infinity are read as infinite (HiGHS then
    # answers a wrong objective, SCIP fails with "error in input data")
    for what, values in (("objective coefficient", form.c),
                         ("quadratic objective coefficient", None if form.Q is None else form.Q.data)):
        if values is not None and values.size and not max(values.max(), -values.min()) < LARGEST_COEFFICIENT:
            k = int(np.flatnonzero(~(np.abs(values) < LARGEST_COEFFICIENT))[0])
            of = f" of {form.col_names.label(k)}" if values is form.c else ""
            raise ModelError(f"the {what} {values[k]:g}{of} is too large (|c| >= {LARGEST_COEFFICIENT:g}); "
                             "rescale the objective")



class DropFreeRows(Reduction):
    """Rows with both sides infinite constrain nothing: removed, their duals restored as zero."""

    name = "drop free rows"
    description = "rows with no finite bound removed (dual 0)"

    def __init__(self, form: CanonicalForm):
        self.num_rows = form.num_rows
        # Most models have none: the least lower and the greatest upper bound tell (no temporaries).
        free = form.num_rows and form.row_lower.min() == -np.inf and form.row_upper.max() == np.inf
        keep = np.flatnonzero(np.isfinite(form.row_lower) | np.isfinite(form.row_upper)) if free else None
        self.keep: np.ndarray | None = keep if keep is not None and keep.size < self.num_rows else None

    @property
    def needed(self) -> bool:
        return self.keep is not None

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        keep = self.keep
        assert keep is not None, "apply only where needed"
        names = form.row_names
        return dataclasses.replace(
            form,
            A=form.A[keep],
            row_lower=form.row_lower[keep],
            row_upper=form.row_upper[keep],
            row_names=Names.from_list([names[int(i)] for i in keep]) if len(names) == self.num_rows else Names(),
        )

    def invert(self, raw: RawResult) -> RawResult:
        for attr in ("row_duals", "dual_ray"):
            if getattr(raw, attr) is not None and self.keep is not None:
                y = np.zeros(self.num_rows)
                y[self.keep] = getattr(raw, attr)
                setattr(raw, attr, y)
        return raw


class RelaxIntegrality(Reduction):
    """The LP relaxation: every column continuous (row generation's first phase)."""

    name = "relax integrality"
    description = "integer columns made continuous"

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        return dataclasses.replace(form, integrality=np.zeros(form.num_cols, dtype=bool))


class FeasibilityProblem(Reduction):
    """The same constraints with a zero objective: it cannot be unbounded, so a solver's
    "infeasible or unbounded" there means infeasible, and a feasible answer means the original
    was unbounded (for MIPs too, with rational data)."""

    name = "feasibility problem"
    description = "objective replaced by 0"

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        return dataclasses.replace(form, c=np.zeros(form.num_cols), offset=0.0, Q=None)


def unreducible(form: CanonicalForm, capabilities: frozenset[Capability], label: str) -> str | None:
    """Why a backend with ``capabilities`` cannot take ``form``'s SOS sets, indicators or
    semicontinuous columns (natively or by a reduction), or None."""
    for cls in _SPECIAL:
        if cls.present(form) and cls.capability not in capabilities:
            reason = cls.obstacle(form)
            if reason is not None:
                return f"{label} has no native {cls.what}, and {reason}"
    return None


def special_reductions(form: CanonicalForm, capabilities: frozenset[Capability]) -> list[Reduction]:
    """The reductions of SOS sets, indicators and semicontinuous columns that a backend with
    ``capabilities`` needs, in the order they apply."""
    return [cls() for cls in _SPECIAL if cls.present(form) and cls.capability not in capabilities]


class _SpecialReduction(Reduction):
    """A special structure rewritten as plain MIP rows (and binary columns): refused with the reason
    where impossible; the answer is the first columns' values (a MIP has no duals to map back)."""

    capability: Capability
    what = ""

    @staticmethod
    def present(form: CanonicalForm) -> bool:
        raise NotImplementedError  # pragma: no cover - each subclass defines it

    @classmethod
    def obstacle(cls, form: CanonicalForm) -> str | None:
        """Why the reduction is impossible for ``form`` (no finite big-M), or None."""
        return None

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        reason = self.obstacle(form)
        if reason is not None:
            raise ModelError(f"no native {self.what} here, and {reason}")
        self.num_cols, self.num_rows = form.num_cols, form.num_rows
        return self.reduce(form)

    def reduce(self, form: CanonicalForm) -> CanonicalForm:
        raise NotImplementedError  # pragma: no cover - each subclass defines it

    def invert(self, raw: RawResult) -> RawResult:
        if raw.x is not None and raw.x.shape[0] > self.num_cols:
            raw.x = raw.x[: self.num_cols]
        if raw.row_duals is not None:
            raw.row_duals = raw.row_duals[: self.num_rows]
        if raw.reduced_costs is not None:
            raw.reduced_costs = raw.reduced_costs[: self.num_cols]
        return raw


def _extend(form: CanonicalForm, new_lower: np.ndarray, new_upper: np.ndarray, rows: sp.csr_array,
            row_lower: np.ndarray, row_upper: np.ndarray, row_names: Sequence[str], col_names: Sequence[str],
            **changes: object) -> CanonicalForm:
    """``form`` with binary-like columns appended (integer, with the bounds given) and rows
    appended (``rows`` spans the old and new columns)."""
    n, k = form.num_cols, new_lower.shape[0]
    A = sp.csr_array(sp.vstack([sp.hstack([form.A, sp.csr_array((form.num_rows, k))]), rows], format="csr"))
    A.sum_duplicates()
    A.eliminate_zeros()
    Q = None if form.Q is None else sp.csr_array(sp.block_diag([form.Q, sp.csr_array((k, k))], format="csr"))
    semi = form.semicontinuous
    indicators = form.indicators
    if indicators is not None:
        wide = sp.hstack([indicators.A, sp.csr_array((indicators.count, k))], format="csr")
        indicators = dataclasses.replace(indicators, A=sp.csr_array(wide))
    base = dict(
        c=np.concatenate([form.c, np.zeros(k)]),
        A=A,
        row_lower=np.concatenate([form.row_lower, row_lower]),
        row_upper=np.concatenate([form.row_upper, row_upper]),
        col_lower=np.concatenate([form.col_lower, new_lower]),
        col_upper=np.concatenate([form.col_upper, new_upper]),
        integrality=np.concatenate([form.integrality, np.ones(k, dtype=bool)]),
        col_names=_names(form.col_names, n, col_names),
        row_names=_names(form.row_names, form.num_rows, row_names),
        Q=Q,
        semicontinuous=None if semi is None else np.concatenate([semi, np.zeros(k, dtype=bool)]),
        indicators=indicators,
    )
    base.update(changes)
    return dataclasses.replace(form, **base)


def _names(old: Names, count: int, added: Sequence[str]) -> Names:
    if len(old) != count:
        return Names()
    return Names([("", 0, count, old, False), ("", count, len(added), list(added), False)])


def _reach(form: CanonicalForm) -> tuple[np.ndarray, np.ndarray]:
    """The range of values each column can take: its bounds, widened to 0 for a semicontinuous one."""
    lower, upper = form.col_lower, form.col_upper
    if form.semicontinuous is not None:
        semi = form.semicontinuous
        lower, upper = np.where(semi, np.minimum(lower, 0.0), lower), np.where(semi, np.maximum(upper, 0.0), upper)
    return lower, upper


class SemicontinuousToBinary(_SpecialReduction):
    """x = 0 or l <= x <= u becomes, with a binary z per column: l·z <= x <= u·z."""

    name = "semicontinuous to binary"
    description = "each semicontinuous column x in [l, u] gets a binary z with l·z <= x <= u·z"
    capability = Capability.SEMICONTINUOUS
    what = "semicontinuous variables"

    @staticmethod
    def present(form: CanonicalForm) -> bool:
        return form.semicontinuous is not None

    @classmethod
    def obstacle(cls, form: CanonicalForm) -> str | None:
        semi = form.semicontinuous
        bad = np.flatnonzero(semi & (((form.col_lower > 0) & ~np.isfinite(form.col_upper))
                                     | ((form.col_upper < 0) & ~np.isfinite(form.col_lower))))
        if bad.size:
            return (f"the semicontinuous variable {form.col_names.label(int(bad[0]))} has no finite bound on its "
                    f"nonzero side to switch it off with ({bad.size} such); bound it")
        return None

    def reduce(self, form: CanonicalForm) -> CanonicalForm:
        semi = form.semicontinuous
        lower, upper = form.col_lower, form.col_upper
        # Where 0 lies within the bounds, "0 or between them" asks nothing more.
        cols = np.flatnonzero(semi & ((lower > 0) | (upper < 0)))
        k, n = cols.size, form.num_cols
        z = n + np.arange(k)
        rows = np.repeat(np.arange(2 * k), 2)
        col_idx = np.concatenate([np.column_stack([cols, z]).ravel(), np.column_stack([cols, z]).ravel()])
        vals = np.concatenate([np.column_stack([np.ones(k), -upper[cols]]).ravel(),
                               np.column_stack([np.ones(k), -lower[cols]]).ravel()])
        block = sp.csr_array((vals, (rows, col_idx)), shape=(2 * k, n + k))
        names = [form.col_names.label(int(j)) for j in cols]
        reach_lower, reach_upper = _reach(form)
        return _extend(
            form, np.zeros(k), np.ones(k), block,
            np.concatenate([np.full(k, -np.inf), np.zeros(k)]), np.concatenate([np.zeros(k), np.full(k, np.inf)]),
            [f"{c}:on_upper" for c in names] + [f"{c}:on_lower" for c in names], [f"{c}:on" for c in names],
            semicontinuous=None,
            col_lower=np.concatenate([reach_lower, np.zeros(k)]),
            col_upper=np.concatenate([reach_upper, np.ones(k)]),
        )


class SOSToBinary(_SpecialReduction):
    """SOS1: a binary per member, x_j within [l_j·z_j, u_j·z_j], sum z <= 1. SOS2: a binary per
    segment between adjacent members, member j allowed nonzero by its two segments, sum z <= 1."""

    name = "SOS to binary"
    description = "each SOS1/SOS2 set becomes binaries switching its members (big-M from their bounds)"
    capability = Capability.SOS
    what = "SOS constraints"

    @staticmethod
    def present(form: CanonicalForm) -> bool:
        return bool(form.sos)

    @classmethod
    def obstacle(cls, form: CanonicalForm) -> str | None:
        lower, upper = _reach(form)
        for sos in form.sos:
            cols = sos.columns
            bad = cols[~(np.isfinite(lower[cols]) & np.isfinite(upper[cols]))]
            if bad.size:
                return (f"variable {form.col_names.label(int(bad[0]))} of SOS{sos.kind} set {sos.name!r} has an "
                        "infinite bound, so no binary can switch it off; bound it, or use SCIP")
        return None

    def reduce(self, form: CanonicalForm) -> CanonicalForm:
        lower, upper = _reach(form)
        n = form.num_cols
        rows, cols, vals, row_lower, row_upper, row_names, col_names = [], [], [], [], [], [], []
        next_row, next_col = 0, n
        for sos in form.sos:  # a loop per set; each set's rows are built at once
            members = sos.columns
            size = members.size
            segments = size if sos.kind == 1 else size - 1
            if segments <= 0:
                continue
            z = next_col + np.arange(segments)
            # member i is switched by segment i (SOS1), or by segments i-1 and i (SOS2)
            if sos.kind == 1:
                owner_rows, owner_z = np.arange(size), z
            else:
                i = np.arange(size)
                owner_rows = np.concatenate([i[1:], i[:-1]])
                owner_z = np.concatenate([z, z])
            for side, bound in ((0, upper[members]), (1, lower[members])):
                base = next_row + side * size
                rows += [base + np.arange(size), base + owner_rows]
                cols += [members, owner_z]
                vals += [np.ones(size), -bound[owner_rows]]
            row_lower += [np.full(size, -np.inf), np.zeros(size), [-np.inf]]
            row_upper += [np.zeros(size), np.full(size, np.inf), [1.0]]
            rows.append(np.full(segments, next_row + 2 * size))
            cols.append(z)
            vals.append(np.ones(segments))
            row_names += [f"{sos.name}:{side}[{i}]" for side in ("upper", "lower") for i in range(size)]
            row_names.append(f"{sos.name}:one")
            col_names += [f"{sos.name}:z[{i}]" for i in range(segments)]
            next_row += 2 * size + 1
            next_col += segments
        k = next_col - n
        entries = (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols)))
        block = sp.csr_array(entries, shape=(next_row, n + k))
        return _extend(
            form, np.zeros(k), np.ones(k), block, np.concatenate(row_lower), np.concatenate(row_upper),
            row_names, col_names, sos=(),
        )


class IndicatorToBigM(_SpecialReduction):
    """``b = v  =>  l <= a·x <= u`` becomes ``a·x <= u + M(1 - δ)`` and ``a·x >= l - M'(1 - δ)`` with
    δ = b (v = 1) or 1 - b (v = 0), and M, M' the row's reach beyond its bounds, from the columns'
    bounds. Rows only: the answer needs no mapping back beyond the added rows' duals."""

    name = "indicator to big-M"
    description = "each indicator row becomes a big-M row, M from the variables' bounds"
    capability = Capability.INDICATOR
    what = "indicator constraints"

    @staticmethod
    def present(form: CanonicalForm) -> bool:
        return form.indicators is not None

    @classmethod
    def obstacle(cls, form: CanonicalForm) -> str | None:
        ind = form.indicators
        low, high = _activity_range(ind.A, *_reach(form))
        need = (np.isfinite(ind.upper) & ~np.isfinite(high)) | (np.isfinite(ind.lower) & ~np.isfinite(low))
        if need.any():
            i = int(np.flatnonzero(need)[0])
            row = ind.A[[i]]
            lower, upper = _reach(form)
            free = row.indices[~(np.isfinite(lower[row.indices]) & np.isfinite(upper[row.indices]))]
            return (f"indicator row {ind.names.label(i)} has no finite big-M: variable "
                    f"{form.col_names.label(int(free.min()))} is unbounded; bound it, or use SCIP")
        return None

    def reduce(self, form: CanonicalForm) -> CanonicalForm:
        ind = form.indicators
        low, high = _activity_range(ind.A, *_reach(form))
        on_one = ind.active == 1
        blocks, lowers, uppers, names = [], [], [], []
        n = form.num_cols
        for side in ("upper", "lower"):
            bound = ind.upper if side == "upper" else ind.lower
            keep = np.isfinite(bound)
            with np.errstate(invalid="ignore"):
                M = np.where(keep, (high - bound) if side == "upper" else (bound - low), 0.0)
            keep &= M > 0  # rows that their bounds' reach already satisfies need nothing
            idx = np.flatnonzero(keep)
            M = M[idx]
            # upper: a·x + M·δ <= u + M; lower: a·x - M·δ >= l - M (δ = b, or 1 - b moved to the constant)
            sign = 1.0 if side == "upper" else -1.0
            coef_b = np.where(on_one[idx], sign * M, -sign * M)
            shift = np.where(on_one[idx], sign * M, 0.0)
            extra = sp.csr_array((coef_b, (np.arange(idx.size), ind.binary[idx])), shape=(idx.size, n))
            blocks.append(sp.csr_array(ind.A[idx] + extra))
            rhs = bound[idx] + shift
            lowers.append(np.full(idx.size, -np.inf) if side == "upper" else rhs)
            uppers.append(rhs if side == "upper" else np.full(idx.size, np.inf))
            names += [f"{ind.names.label(int(i))}:{side}" for i in idx]
        rows = sp.csr_array(sp.vstack([form.A, *blocks], format="csr"))
        rows.sum_duplicates()
        rows.eliminate_zeros()
        return dataclasses.replace(
            form,
            A=rows,
            row_lower=np.concatenate([form.row_lower, *lowers]),
            row_upper=np.concatenate([form.row_upper, *uppers]),
            row_names=_names(form.row_names, form.num_rows, names),
            indicators=None,
        )


def _activity_range(A: sp.csr_array, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The least and greatest value of each row of ``A @ x`` over the box (±inf where unbounded)."""
    A = sp.csr_array(A)
    cols = A.indices
    with np.errstate(invalid="ignore"):
        at_low, at_high = A.data * lower[cols], A.data * upper[cols]
    at_low = np.where(A.data == 0, 0.0, at_low)
    at_high = np.where(A.data == 0, 0.0, at_high)
    lo_terms, hi_terms = np.minimum(at_low, at_high), np.maximum(at_low, at_high)
    rows = np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))
    low = np.zeros(A.shape[0])
    high = np.zeros(A.shape[0])
    np.add.at(low, rows, lo_terms)
    np.add.at(high, rows, hi_terms)
    return low, high


_SPECIAL: tuple[type, ...] = (SemicontinuousToBinary, SOSToBinary, IndicatorToBigM)


def prepare(
    form: CanonicalForm, capabilities: frozenset[Capability] | None = None
) -> tuple[CanonicalForm, CanonicalForm, list[Reduction]]:
    """``(checked, solved, chain)``: the normalised form that answers are verified against (same
    rows and columns as the model), the form every backend receives, and the reductions applied
    (``capabilities``: the backend's, which decide the reductions of special structures; None:
    every structure native)."""
    chain: list[Reduction] = []
    normalise = Normalise()
    checked = normalise.apply(form)
    if normalise.changed:
        chain.append(normalise)
    solved = checked
    for reduction in special_reductions(checked, capabilities) if capabilities is not None else ():
        solved = reduction.apply(solved)
        chain.append(reduction)
    free = DropFreeRows(solved)
    if free.needed:
        solved = free.apply(solved)
        chain.append(free)
    return checked, solved, chain


def invert(chain: Sequence[Reduction], raw: RawResult) -> RawResult:
    """Map a solver's answer back through the chain, last reduction first."""
    for reduction in reversed(chain):
        raw = reduction.invert(raw)
    return raw
