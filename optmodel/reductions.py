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

from optmodel.backend import RawResult
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
        _refuse_ill_posed(form)
        col_lower, col_upper = _infinite(form.col_lower), _infinite(form.col_upper)
        row_lower, row_upper = _infinite(form.row_lower), _infinite(form.row_upper)
        if form.is_mip:
            ints = form.integrality
            tol = 1e-9 * np.maximum(1.0, np.abs(col_lower[ints]))
            col_lower = col_lower.copy()
            col_lower[ints] = np.ceil(col_lower[ints] - tol)
            tol = 1e-9 * np.maximum(1.0, np.abs(col_upper[ints]))
            col_upper = col_upper.copy()
            col_upper[ints] = np.floor(col_upper[ints] + tol)
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


def _infinite(bound: np.ndarray) -> np.ndarray:
    big = np.abs(bound) >= INFINITE_BOUND
    if not big.any():
        return bound
    return np.where(big, np.copysign(np.inf, bound), bound)


def _refuse_ill_posed(form: CanonicalForm) -> None:
    for label, names, values, side, bad in (
        ("variable", form.col_names, form.col_lower, "lower", np.inf),
        ("variable", form.col_names, form.col_upper, "upper", -np.inf),
        ("constraint", form.row_names, form.row_lower, "lower", np.inf),
        ("constraint", form.row_names, form.row_upper, "upper", -np.inf),
    ):
        hit = np.flatnonzero(values * np.sign(bad) >= INFINITE_BOUND)
        if hit.size:
            j = int(hit[0])
            name = names[j] if len(names) > j else f"#{j}"
            shown = "+inf" if bad > 0 else "-inf"
            raise ModelError(
                f"{label} {name} has {side} bound {values[j]:+g} (at or beyond ±{INFINITE_BOUND:g} counts as "
                f"{shown}), which no point can meet: an ill-posed model; {hit.size} such bound(s) in all"
            )
    if form.A.nnz:
        big = np.flatnonzero(np.abs(form.A.data) >= LARGEST_COEFFICIENT)
        if big.size:
            k = int(big[0])
            row = int(np.searchsorted(form.A.indptr, k, side="right") - 1)
            col = int(form.A.indices[k])
            raise ModelError(
                f"the coefficient {form.A.data[k]:g} of {_name(form.col_names, col)} in constraint "
                f"{_name(form.row_names, row)} is too large (|a| >= {LARGEST_COEFFICIENT:g}); rescale the model"
                f" ({big.size} such coefficient(s))"
            )


def _name(names: Names, i: int) -> str:
    return names[i] if len(names) > i else f"#{i}"


class DropFreeRows(Reduction):
    """Rows with both sides infinite constrain nothing: removed, their duals restored as zero."""

    name = "drop free rows"
    description = "rows with no finite bound removed (dual 0)"

    def __init__(self, form: CanonicalForm):
        self.num_rows = form.num_rows
        self.keep = np.flatnonzero(np.isfinite(form.row_lower) | np.isfinite(form.row_upper))

    @property
    def needed(self) -> bool:
        return self.keep.size < self.num_rows

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        keep = self.keep
        names = form.row_names
        return dataclasses.replace(
            form,
            A=form.A[keep],
            row_lower=form.row_lower[keep],
            row_upper=form.row_upper[keep],
            row_names=Names.from_list([names[int(i)] for i in keep]) if len(names) == self.num_rows else Names(),
        )

    def invert(self, raw: RawResult) -> RawResult:
        if raw.row_duals is not None:
            y = np.zeros(self.num_rows)
            y[self.keep] = raw.row_duals
            raw.row_duals = y
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
        return dataclasses.replace(form, c=np.zeros(form.num_cols), offset=0.0)


def prepare(form: CanonicalForm) -> tuple[CanonicalForm, CanonicalForm, list[Reduction]]:
    """``(checked, solved, chain)``: the normalised form that answers are verified against (same
    rows and columns as the model), the form every backend receives, and the reductions applied."""
    chain: list[Reduction] = []
    normalise = Normalise()
    checked = normalise.apply(form)
    if normalise.changed:
        chain.append(normalise)
    solved = checked
    free = DropFreeRows(checked)
    if free.needed:
        solved = free.apply(checked)
        chain.append(free)
    return checked, solved, chain


def invert(chain: Sequence[Reduction], raw: RawResult) -> RawResult:
    """Map a solver's answer back through the chain, last reduction first."""
    for reduction in reversed(chain):
        raw = reduction.invert(raw)
    return raw
