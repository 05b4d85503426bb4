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
    bound_violation = _violation(x, form.col_lower, form.col_upper)
    if form.semicontinuous is not None:  # a semicontinuous column may also be 0
        bound_violation[form.semicontinuous & (np.abs(x) <= tol)] = 0.0
    v.max_bound_violation = float(bound_violation.max(initial=0.0))
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
    if form.sos or form.indicators is not None:
        _check_special(form, x, v, tol)
    v.feasible = not v.problems
    recomputed = form.objective_value(x)
    check_objective(v, sol.objective, recomputed)
    # A KKT point of a nonconvex QP may be a local optimum only: duals certify convex problems.
    if sol.row_duals is not None and not form.is_mip and sol.termination is Termination.OPTIMAL and form.is_convex():
        _check_duals(form, sol, v, recomputed)
    return v


def _check_special(form: CanonicalForm, x: np.ndarray, v: Verification, tol: float) -> None:
    """SOS sets (how many members are nonzero, and whether adjacent) and indicator rows (only those
    whose binary takes the active value)."""
    for sos in form.sos:
        nonzero = np.flatnonzero(np.abs(x[sos.columns]) > tol)
        adjacent = nonzero.size < 2 or (nonzero.size == 2 and nonzero[1] - nonzero[0] == 1)
        if nonzero.size > sos.kind or (sos.kind == 2 and not adjacent):
            excess = float(np.sort(np.abs(x[sos.columns]))[-sos.kind - 1])  # the largest member too many
            v.max_special_violation = max(v.max_special_violation, excess)
            v.problems.append(
                f"SOS{sos.kind} set {sos.name!r} has {nonzero.size} nonzero members"
                + ("" if adjacent else " that are not adjacent")
            )
    ind = form.indicators
    if ind is not None:
        on = np.abs(x[ind.binary] - ind.active) <= 0.5
        violation = _violation(ind.A @ x, ind.lower, ind.upper) * on
        worst = float(violation.max(initial=0.0))
        v.max_special_violation = max(v.max_special_violation, worst)
        if not worst <= tol:
            i = int(np.argmax(violation))
            name = ind.names.label(i)
            v.problems.append(f"indicator row {name} is active and violated by {worst:.3g} (relative)")


def check_objective(v: Verification, claimed: float | None, recomputed: float) -> None:
    """The solver's objective against optmodel's own computation of it at the point."""
    v.objective_recomputed = recomputed
    if claimed is not None:
        v.objective_error = abs(claimed - recomputed) / (1.0 + abs(recomputed))
        if not v.objective_error <= OPTIMALITY_TOLERANCE:
            v.problems.append(f"the solver's objective {claimed:.10g} differs from the recomputed {recomputed:.10g}")


def _check_duals(form: CanonicalForm, sol: Solution, v: Verification, primal: float) -> None:
    """Dual feasibility and the duality gap of an LP or convex QP (weak duality made tight; for a QP
    the Wolfe dual at the returned point, whose gap is complementarity).

    The duals are used as the solver gives them. A dual that prices an infinite bound (a positive
    row dual on a row without lower bound, say) is dual infeasibility: its size is judged, and it is
    left out of the dual objective. The gap is judged relative to the size of the terms that make
    up the two objectives, as HiGHS and PDLP judge theirs.
    """
    s = form.sense.sign
    g = form.objective_gradient(sol.x)  # c, or c + Qx for a QP (whose dual is Wolfe's)
    y = s * sol.row_duals  # duals of the equivalent minimisation
    z = s * (sol.reduced_costs if sol.reduced_costs is not None else g - form.A.T @ sol.row_duals)
    if not (np.all(np.isfinite(y)) and np.all(np.isfinite(z))):
        v.problems.append("the duals have non-finite entries")
        return
    scale = 1.0 + np.abs(g).max(initial=0.0)
    stationarity = np.abs(s * g - form.A.T @ y - z).max(initial=0.0) / scale
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
    curvature = 0.0 if form.Q is None else 0.5 * float(sol.x @ (form.Q @ sol.x))
    dual = float(terms.sum()) - s * curvature
    v.dual_objective = s * dual + form.offset
    size = 1.0 + max(abs(primal), abs(v.dual_objective), float(np.abs(terms).max(initial=0.0)), abs(curvature))
    v.duality_gap = abs(primal - v.dual_objective) / size
    if not v.duality_gap <= OPTIMALITY_TOLERANCE:
        v.problems.append(
            f"the duality gap is {v.duality_gap:.3g} (primal {primal:.10g}, dual {v.dual_objective:.10g})"
        )
