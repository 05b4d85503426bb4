"""Independent check of a solver's answer against the canonical form.

Dual convention (every backend converts to it): ``row_duals`` y and ``reduced_costs`` z satisfy
``c = Aᵀy + z``, and y is the derivative of the optimal objective with respect to the active row
bound (HiGHS's convention, for minimisation and maximisation alike).
"""

from __future__ import annotations

from collections.abc import Callable

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


def _max_violation(value: np.ndarray, lower: np.ndarray, upper: np.ndarray,
                   exempt: Callable[[np.ndarray], np.ndarray] | None = None) -> float:
    """``_violation(value, lower, upper).max()`` in four passes where nothing is violated (the
    usual case), comparisons only: the exact relative measure is computed only on the entries
    beyond a bound. ``exempt(positions)`` says which of those do not count (a semicontinuous
    column at 0)."""
    if value.size == 0:
        return 0.0
    worst = 0.0
    with np.errstate(invalid="ignore", over="ignore"):
        finite = np.isfinite(value.sum())  # else +inf would meet a lower bound of +inf: compare differences
    with np.errstate(invalid="ignore"):  # inf - inf where a bound and the value are both infinite
        sides = (value >= lower, value <= upper) if finite else (lower - value <= 0, value - upper <= 0)
    for within in sides:  # False where NaN: NaN counts as violated
        if within.all():
            continue
        hit = np.flatnonzero(~within)
        if exempt is not None:
            hit = hit[~exempt(hit)]
        if hit.size:
            worst = max(worst, float(_violation(value[hit], lower[hit], upper[hit]).max()))
    return worst


def verify(
    form: CanonicalForm, sol: Solution, tol: float = FEASIBILITY_TOLERANCE, derived_reduced_costs: bool = False
) -> Verification:
    """Feasibility, the objective recomputed, and for LPs and convex QPs the duals' feasibility and
    gap. ``derived_reduced_costs``: ``sol.reduced_costs`` are c + Qx − Aᵀy computed from its row
    duals by the core, so stationarity holds by construction and is not recomputed."""
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
    semi = form.semicontinuous
    exempt = None if semi is None else (lambda j: semi[j] & (np.abs(x[j]) <= tol))  # semicontinuous at 0
    v.max_bound_violation = _max_violation(x, form.col_lower, form.col_upper, exempt)
    activity = form.A @ x
    v.max_row_violation = _max_violation(activity, form.row_lower, form.row_upper)
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
        _check_duals(form, sol, v, recomputed, derived_reduced_costs)
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


def _check_duals(form: CanonicalForm, sol: Solution, v: Verification, primal: float, derived: bool = False) -> None:
    """Dual feasibility and the duality gap of an LP or convex QP (weak duality made tight; for a QP
    the Wolfe dual at the returned point, whose gap is complementarity).

    The duals are used as the solver gives them. A dual that prices an infinite bound (a positive
    row dual on a row without lower bound, say) is dual infeasibility: its size is judged, and it is
    left out of the dual objective. The gap is judged relative to the size of the terms that make
    up the two objectives, as HiGHS and PDLP judge theirs.
    """
    s = form.sense.sign
    g = form.objective_gradient(sol.x)  # c, or c + Qx for a QP (whose dual is Wolfe's)
    y = sol.row_duals if s > 0 else -sol.row_duals  # duals of the equivalent minimisation
    if sol.reduced_costs is None:  # z = g - Aᵀy by construction: stationarity holds exactly
        z, exact = s * reduced_costs_of(form, sol.x, sol.row_duals), True
    else:
        z, exact = s * sol.reduced_costs, derived
    if not (np.isfinite(y.sum()) and np.isfinite(z.sum())):  # a sum is NaN or infinite with any such entry
        v.problems.append("the duals have non-finite entries")
        return
    scale = 1.0 + np.abs(g).max(initial=0.0)
    stationarity = 0.0
    if not exact:
        residual = form.A.T @ y
        residual += z
        residual -= g if s > 0 else -g
        stationarity = np.abs(residual).max(initial=0.0) / scale
    # A positive dual prices the lower bound, a negative one the upper bound.
    row_terms, row_wrong = _priced(y, form.row_lower, form.row_upper)
    col_terms, col_wrong = _priced(z, form.col_lower, form.col_upper)
    v.max_dual_violation = float(max(stationarity, max(row_wrong, col_wrong) / scale))
    if not v.max_dual_violation <= OPTIMALITY_TOLERANCE * 10:
        v.problems.append(f"the duals are infeasible by {v.max_dual_violation:.3g}")
        return
    curvature = 0.0 if form.Q is None else 0.5 * float(sol.x @ (form.Q @ sol.x))
    dual = row_terms[0] + col_terms[0] - s * curvature
    v.dual_objective = s * dual + form.offset
    size = 1.0 + max(abs(primal), abs(v.dual_objective), row_terms[1], col_terms[1], abs(curvature))
    v.duality_gap = abs(primal - v.dual_objective) / size
    if not v.duality_gap <= OPTIMALITY_TOLERANCE:
        v.problems.append(
            f"the duality gap is {v.duality_gap:.3g} (primal {primal:.10g}, dual {v.dual_objective:.10g})"
        )


def reduced_costs_of(form: CanonicalForm, x: np.ndarray, row_duals: np.ndarray) -> np.ndarray:
    """c + Qx − Aᵀy: the reduced costs that make a point and its row duals exactly stationary."""
    return form.objective_gradient(x) - form.A.T @ row_duals


def _priced(dual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[tuple[float, float], float]:
    """For duals of rows or columns with bounds ``lower``/``upper``: ((Σ dual·bound it prices,
    largest |dual·bound|), largest |dual| on an infinite bound it prices: dual infeasibility).
    A positive dual prices the lower bound, a negative one the upper bound, zero prices nothing."""
    uniform = _priced_uniform(dual, lower, upper)
    if uniform is not None:
        return uniform
    with np.errstate(invalid="ignore"):  # 0 * inf: a zero dual on an infinite bound prices nothing
        terms = np.where(dual > 0, dual * lower, dual * upper)
    bad = ~np.isfinite(terms)
    if not bad.any():
        return (float(terms.sum()), float(np.abs(terms).max(initial=0.0))), 0.0
    wrong = float(np.abs(dual[bad]).max())  # zero duals on infinite bounds give NaN: |0| counts 0
    terms[bad] = 0.0
    return (float(terms.sum()), float(np.abs(terms).max(initial=0.0))), wrong


def _priced_uniform(
    dual: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[tuple[float, float], float] | None:
    """``_priced`` where each bound array is all zeros or all infinite (x >= 0, x <= 0, free: the
    usual columns), in six passes and no temporaries; None for any other bounds."""
    if dual.size == 0:
        return None
    top, bottom = float(dual.max()), float(dual.min())
    wrong = 0.0
    for bounds, infinite, priced in ((lower, -np.inf, top), (upper, np.inf, -bottom)):
        least, most = bounds.min(), bounds.max()
        if least == most == infinite:  # the duals that price this side price an infinite bound
            wrong = max(wrong, priced)
        elif not least == most == 0:
            return None
    return (0.0, 0.0), wrong

