"""Independent check of a solver's answer against the canonical form.

Dual convention (every backend converts to it): ``row_duals`` y and ``reduced_costs`` z satisfy
``c = Aᵀy + z``, and y is the derivative of the optimal objective with respect to the active row
bound (HiGHS's convention, for minimisation and maximisation alike).
"""

from __future__ import annotations

import numpy as np

from optmodel.canonical import CanonicalForm
from optmodel.solution import Solution, Termination, Verification

FEASIBILITY_TOLERANCE = 1e-6
INTEGRALITY_TOLERANCE = 1e-5
OPTIMALITY_TOLERANCE = 1e-6


def _violation(value: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    """Bound violation relative to the bound's size (0 where satisfied). A lower bound of +inf or an
    upper bound of -inf can never be met: infinitely violated, never skipped."""
    with np.errstate(invalid="ignore", over="ignore"):
        below = np.where(
            lower == -np.inf, 0.0, np.where(lower == np.inf, np.inf, (lower - value) / (1.0 + np.abs(lower)))
        )
        above = np.where(
            upper == np.inf, 0.0, np.where(upper == -np.inf, np.inf, (value - upper) / (1.0 + np.abs(upper)))
        )
    return np.maximum(np.maximum(below, above), 0.0)


def verify(form: CanonicalForm, sol: Solution, tol: float = FEASIBILITY_TOLERANCE) -> Verification:
    v = Verification()
    x = sol.x
    if x is None:
        v.feasible = v.point = False
        v.problems.append("the solver returned no point")
        return v
    if x.shape != (form.num_cols,) or not np.all(np.isfinite(x)):
        v.feasible = False
        v.problems.append("the solution vector has the wrong length or non-finite entries")
        return v
    v.max_bound_violation = float(_violation(x, form.col_lower, form.col_upper).max(initial=0.0))
    activity = form.A @ x
    v.max_row_violation = float(_violation(activity, form.row_lower, form.row_upper).max(initial=0.0))
    if form.is_mip:
        xi = x[form.integrality]
        v.max_integrality_violation = float(np.abs(xi - np.round(xi)).max(initial=0.0))
    if not v.max_bound_violation <= tol:  # written so that NaN fails too
        v.problems.append(f"a variable bound is violated by {v.max_bound_violation:.3g} (relative)")
    if not v.max_row_violation <= tol:
        v.problems.append(f"a constraint is violated by {v.max_row_violation:.3g} (relative)")
    if not v.max_integrality_violation <= INTEGRALITY_TOLERANCE:
        v.problems.append(f"an integer variable is fractional by {v.max_integrality_violation:.3g}")
    v.feasible = not v.problems
    recomputed = form.objective_value(x)
    check_objective(v, sol.objective, recomputed)
    if sol.row_duals is not None and not form.is_mip and sol.termination is Termination.OPTIMAL:
        _check_duals(form, sol, v, recomputed)
    return v


def check_objective(v: Verification, claimed: float | None, recomputed: float) -> None:
    """The solver's objective against optmodel's own computation of it at the point."""
    v.objective_recomputed = recomputed
    if claimed is not None:
        v.objective_error = abs(claimed - recomputed) / (1.0 + abs(recomputed))
        if not v.objective_error <= OPTIMALITY_TOLERANCE:
            v.problems.append(f"the solver's objective {claimed:.10g} differs from the recomputed {recomputed:.10g}")


def _check_duals(form: CanonicalForm, sol: Solution, v: Verification, primal: float) -> None:
    """Dual feasibility and the duality gap of an LP (weak duality made tight).

    The duals are used as the solver gives them. A dual that prices an infinite bound (a positive
    row dual on a row without lower bound, say) is dual infeasibility: its size is judged, and it is
    left out of the dual objective. The gap is judged relative to the size of the terms that make
    up the two objectives, as HiGHS and PDLP judge theirs.
    """
    s = form.sense.sign
    y = s * sol.row_duals  # duals of the equivalent minimisation
    z = s * (sol.reduced_costs if sol.reduced_costs is not None else form.c - form.A.T @ sol.row_duals)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(z))):
        v.problems.append("the duals have non-finite entries")
        return
    scale = 1.0 + np.abs(form.c).max(initial=0.0)
    stationarity = np.abs(s * form.c - form.A.T @ y - z).max(initial=0.0) / scale
    # A positive dual prices the lower bound, a negative one the upper bound.
    row_bound = np.where(y > 0, form.row_lower, np.where(y < 0, form.row_upper, 0.0))
    col_bound = np.where(z > 0, form.col_lower, np.where(z < 0, form.col_upper, 0.0))
    finite_rows, finite_cols = np.isfinite(row_bound), np.isfinite(col_bound)
    wrong_sign = np.concatenate([np.abs(y[~finite_rows]), np.abs(z[~finite_cols])])
    v.max_dual_violation = float(max(stationarity, wrong_sign.max(initial=0.0) / scale))
    if not v.max_dual_violation <= OPTIMALITY_TOLERANCE * 10:
        v.problems.append(f"the duals are infeasible by {v.max_dual_violation:.3g}")
        return
    terms = np.concatenate([y[finite_rows] * row_bound[finite_rows], z[finite_cols] * col_bound[finite_cols]])
    dual = float(terms.sum())
    v.dual_objective = s * dual + form.offset
    size = 1.0 + max(abs(primal), abs(v.dual_objective), float(np.abs(terms).max(initial=0.0)))
    v.duality_gap = abs(primal - v.dual_objective) / size
    if not v.duality_gap <= OPTIMALITY_TOLERANCE:
        v.problems.append(
            f"the duality gap is {v.duality_gap:.3g} (primal {primal:.10g}, dual {v.dual_objective:.10g})"
        )
