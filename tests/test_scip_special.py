"""SCIP's native quadratic objectives, SOS sets and indicator constraints, against outside answers:
Hock–Schittkowski optima (HS21, HS35), hand-derived global optima of nonconvex QPs, enumeration of
small integer QPs, and enumeration of binaries with each LP solved by scipy's linprog. Where the
core's reductions of SOS sets and indicators exist, HiGHS (solving the reduced model) must agree."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

import optmodel
from optmodel.backend import Capability
from optmodel.errors import CapabilityError
from optmodel.solution import Status

pytest.importorskip("pyscipopt")

from optmodel.backends.scip import Scip


def _optimal(m: optmodel.Model, backend: str = "scip") -> optmodel.Solution:
    sol = m.solve(backend)
    assert sol.status is Status.OPTIMAL, (sol.status, sol.message, sol.verification.problems)
    assert sol.verification.feasible and not sol.verification.problems
    return sol


def _highs_reduces(m: optmodel.Model) -> bool:
    """Whether the core reduces this model's SOS sets / indicators for HiGHS (the lead's reductions)."""
    from optmodel.backends.highs import Highs
    from optmodel.reductions import special_reductions

    return bool(special_reductions(m.canonical(), Highs().capabilities))


def test_capabilities() -> None:
    caps = Scip().capabilities
    for cap in (Capability.QUADRATIC, Capability.MIQP, Capability.NONCONVEX, Capability.SOS, Capability.INDICATOR):
        assert cap in caps
    assert Capability.SEMICONTINUOUS not in caps  # SCIP has none: the core reduces them
    assert {Capability.LP, Capability.MIP, Capability.DUALS, Capability.LAZY} <= caps


# --- quadratic objectives ------------------------------------------------------------------------
def test_hs35_convex_qp() -> None:
    # Hock & Schittkowski problem 35: optimum 1/9 at (4/3, 7/9, 4/9).
    m = optmodel.Model()
    x = m.var(3, lb=0)
    m.add(x[0] + x[1] + 2 * x[2] <= 3)
    m.minimize(
        9 - 8 * x[0] - 6 * x[1] - 4 * x[2]
        + 2 * x[0] * x[0] + 2 * x[1] * x[1] + x[2] * x[2] + 2 * x[0] * x[1] + 2 * x[0] * x[2]
    )
    sol = _optimal(m)
    assert sol.objective == pytest.approx(1 / 9, abs=1e-5)
    np.testing.assert_allclose(sol.x, [4 / 3, 7 / 9, 4 / 9], atol=2e-3)
    assert sol.row_duals is None  # SCIP's LP duals certify nothing for a QP
    # The epigraph variable stays SCIP's: x has the model's columns only, the objective its terms.
    assert sol.x.shape == (3,)
    assert sol.objective == pytest.approx(m.canonical().objective_value(sol.x), abs=1e-9)
    assert _optimal(m, "highs").objective == pytest.approx(sol.objective, abs=1e-5)


def test_hs21_convex_qp() -> None:
    # Hock & Schittkowski problem 21: optimum -99.96 at (2, 0).
    m = optmodel.Model()
    x1 = m.var(lb=2, ub=50)
    x2 = m.var(lb=-50, ub=50)
    m.add(10 * x1 - x2 >= 10)
    m.minimize(0.01 * x1 * x1 + x2 * x2 - 100)
    sol = _optimal(m)
    assert sol.objective == pytest.approx(-99.96, abs=1e-5)
    np.testing.assert_allclose(sol.x, [2, 0], atol=1e-3)


def test_maximised_concave_qp_and_sum_squares() -> None:
    # max -(x-1)² - (y+2)² + 3 = 3 at (1, -2); maximising flips the epigraph's side.
    m = optmodel.Model()
    x = m.var(2, lb=-5, ub=5)
    m.maximize(3 - optmodel.sum_squares(x - np.array([1.0, -2.0])))
    sol = _optimal(m)
    assert sol.objective == pytest.approx(3.0, abs=1e-5)
    np.testing.assert_allclose(sol.x, [1, -2], atol=2e-3)


@pytest.mark.parametrize("sense", ["min", "max"])
def test_nonconvex_qp_global_optimum(sense: str) -> None:
    # min -x² - y² (or max x² + y²) over the box [-1, 2]²: a concave minimisation, whose optimum is
    # at a vertex, (2, 2) with value -8 (8); a local solver from (0, 0) could stop at any vertex.
    m = optmodel.Model()
    x = m.var(2, lb=-1, ub=2)
    if sense == "min":
        m.minimize(-(x[0] * x[0]) - x[1] * x[1])
    else:
        m.maximize(x[0] * x[0] + x[1] * x[1])
    assert Capability.NONCONVEX in m.requirements()
    sol = _optimal(m)
    assert sol.objective == pytest.approx(-8.0 if sense == "min" else 8.0, abs=1e-6)
    np.testing.assert_allclose(sol.x, [2, 2], atol=1e-6)
    with pytest.raises(CapabilityError):
        m.solve("highs")  # HiGHS takes convex QPs only: refused with the reason


def test_nonconvex_qp_with_a_row_and_bilinear_term() -> None:
    # max x² + y² on {0 <= x, y <= 2, x + y <= 3}: vertices (0,0),(2,0),(2,1),(1,2),(0,2) give
    # 0,4,5,5,4 -> 5. And min x*y on [-1,2] x [-3,1]: corners give 3,-1,-6,2 -> -6 at (2,-3).
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=2)
    m.add(x.sum() <= 3)
    m.maximize(x[0] * x[0] + x[1] * x[1])
    sol = _optimal(m)
    assert sol.objective == pytest.approx(5.0, abs=1e-6)
    m = optmodel.Model()
    a, b = m.var(lb=-1, ub=2), m.var(lb=-3, ub=1)
    m.minimize(a * b + 1)
    sol = _optimal(m)
    assert sol.objective == pytest.approx(-5.0, abs=1e-6)
    np.testing.assert_allclose(sol.x, [2, -3], atol=1e-6)


def _integer_qp(Q: np.ndarray, c: np.ndarray, lo: int, hi: int, row: np.ndarray, rhs: float):
    """min ½xᵀQx + c x over integers in [lo, hi]ⁿ with row @ x <= rhs, by enumeration."""
    best = (np.inf, None)
    for point in itertools.product(range(lo, hi + 1), repeat=c.size):
        v = np.array(point, dtype=float)
        if row @ v <= rhs + 1e-9:
            best = min(best, (0.5 * v @ Q @ v + c @ v, point), key=lambda t: t[0])
    return best


@pytest.mark.parametrize("convex", [True, False])
def test_integer_qp_matches_enumeration(convex: bool) -> None:
    rng = np.random.default_rng(7 if convex else 11)
    n = 3
    B = rng.normal(size=(n, n))
    Q = B @ B.T if convex else B + B.T  # PSD, or (with this seed) indefinite
    c = rng.normal(size=n) * 3
    row = np.array([1.0, 1.0, 1.0])
    best, _ = _integer_qp(Q, c, -2, 2, row, 2.0)
    m = optmodel.Model()
    x = m.var(n, lb=-2, ub=2, integer=True)
    m.add(x @ row <= 2)
    m.minimize(0.5 * (x @ Q @ x) + x @ c)
    assert (Capability.MIQP in m.requirements()) is convex
    sol = _optimal(m)
    assert sol.objective == pytest.approx(best, abs=1e-6)
    assert 0.5 * sol.x @ Q @ sol.x + c @ sol.x == pytest.approx(best, abs=1e-6)


def test_mixed_integer_qp_matches_enumeration() -> None:
    # min (x - 0.3y)² + (y - 2.2)², y integer in [0, 5], x in [0, 0.5]: for each y, x = clip(0.3y).
    ys = np.arange(6)
    xs = np.clip(0.3 * ys, 0, 0.5)
    values = (xs - 0.3 * ys) ** 2 + (ys - 2.2) ** 2
    k = int(np.argmin(values))
    m = optmodel.Model()
    x = m.var(lb=0, ub=0.5)
    y = m.var(lb=0, ub=5, integer=True)
    m.minimize((x - 0.3 * y) * (x - 0.3 * y) + (y - 2.2) * (y - 2.2))
    sol = _optimal(m)
    assert sol.objective == pytest.approx(values[k], abs=1e-5)
    assert sol.x[1] == pytest.approx(ys[k])


def test_nonconvex_mixed_integer_max_matches_enumeration() -> None:
    # max x*y - ½y² + x, x integer in [0, 4], y in [-3, 3]: for each x the best y is min(x, 3).
    expected = max(k * min(k, 3) - 0.5 * min(k, 3) ** 2 + k for k in range(5))
    m = optmodel.Model()
    x = m.var(lb=0, ub=4, integer=True)
    y = m.var(lb=-3, ub=3)
    m.maximize(x * y - 0.5 * y * y + x)
    assert Capability.NONCONVEX in m.requirements()
    sol = _optimal(m)
    assert sol.objective == pytest.approx(expected, abs=1e-6)
    np.testing.assert_allclose(sol.x, [4, 3], atol=1e-6)


def test_qp_duals_refused_and_lp_duals_kept() -> None:
    m = optmodel.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() >= 1)
    m.minimize(x[0] * x[0] + x[1] * x[1])
    with pytest.raises(CapabilityError, match="duals"):
        m.solve("scip", duals=True)
    m.minimize(x[0] + 2 * x[1])  # the same rows with a linear objective: SCIP's LP duals again
    sol = m.solve("scip", duals=True)
    assert sol.status is Status.OPTIMAL and sol.row_duals is not None
    assert sol.row_duals[0] == pytest.approx(1.0)


def test_qp_warm_start_and_lazy_rows() -> None:
    # A lazy family next to the epigraph constraint: min (x-3)² + (y-3)² with x + y <= 2 found lazily.
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=5, integer=True)
    m.lazy(lambda v: [x.sum() <= 2] if v.sum() > 2 + 1e-6 else [])
    m.minimize(optmodel.sum_squares(x - 3.0))
    sol = m.solve("scip", warm_start=np.array([0.0, 0.0]))
    assert sol.status is Status.OPTIMAL, sol.message
    # Integer points with x + y <= 2: (1, 1) gives 8, (2, 0) and (0, 2) give 10.
    assert sol.objective == pytest.approx(8.0, abs=1e-6)
    np.testing.assert_allclose(sol.x, [1, 1], atol=1e-6)


# --- SOS sets ------------------------------------------------------------------------------------
BREAKS = np.array([0.0, 1.0, 2.0, 3.0])
VALUES = np.array([0.0, 2.0, 1.0, 3.0])  # a nonconvex piecewise-linear f


@pytest.mark.parametrize(("sense", "bound", "expected"), [("min", 1.5, 1.0), ("max", 1.5, 2.0)])
def test_sos2_piecewise_linear(sense: str, bound: float, expected: float) -> None:
    # f through (0,0),(1,2),(2,1),(3,3). min f(x) over x >= 1.5 is f(2) = 1; max f(x) over x <= 1.5
    # is f(1) = 2. Without SOS2 the convex combinations give 0.75 and 2.25 instead.
    m = optmodel.Model()
    lam = m.var(4, lb=0, ub=1)
    m.add(lam.sum() == 1)
    x, y = lam @ BREAKS, lam @ VALUES
    m.sos2(lam, weights=BREAKS + 1)
    if sense == "min":
        m.add(x >= bound)
        m.minimize(y)
    else:
        m.add(x <= bound)
        m.maximize(y)
    sol = _optimal(m)
    assert sol.objective == pytest.approx(expected, abs=1e-6)
    nonzero = np.flatnonzero(sol.x > 1e-6)
    assert nonzero.size <= 2 and (nonzero.size < 2 or nonzero[1] - nonzero[0] == 1)
    assert sol.row_duals is None
    if _highs_reduces(m):
        assert _optimal(m, "highs").objective == pytest.approx(expected, abs=1e-6)


def test_sos1_picks_one() -> None:
    # max 3a + 2b + 4c, a <= 5, b <= 8, c <= 2, a + b + c <= 10, at most one nonzero: each alone
    # gives 15, 16, 8 -> 16 (b = 8); without the set the LP gives 29.
    m = optmodel.Model()
    v = m.var(3, lb=0, ub=[5, 8, 2])
    m.add(v.sum() <= 10)
    m.sos1(v, weights=[1, 2, 3])
    m.maximize(v @ [3, 2, 4])
    sol = _optimal(m)
    assert sol.objective == pytest.approx(16.0, abs=1e-6)
    np.testing.assert_allclose(sol.x, [0, 8, 0], atol=1e-6)
    if _highs_reduces(m):
        assert _optimal(m, "highs").objective == pytest.approx(16.0, abs=1e-6)


def test_sos1_with_a_quadratic_objective() -> None:
    # min (a-2)² + (b-3)² with a, b in [0, 4] and at most one nonzero: (0, 3) gives 4, (2, 0) 9.
    m = optmodel.Model()
    v = m.var(2, lb=0, ub=4)
    m.sos1(v)
    m.minimize(optmodel.sum_squares(v - np.array([2.0, 3.0])))
    sol = _optimal(m)
    assert sol.objective == pytest.approx(4.0, abs=1e-5)
    np.testing.assert_allclose(sol.x, [0, 3], atol=2e-3)


@pytest.mark.parametrize("integer", [False, True])
def test_semicontinuous_reduced_for_scip(integer: bool) -> None:
    # SCIP has no semicontinuous columns: the core's reduction runs. min (x - 0.4)² + (y - 2.6)² with
    # x, y in {0} ∪ [1, 3] (semi-integer: {0, 1, 2, 3}): x = 0 (0.16 < 0.36); y = 2.6 (or 3: 0.16).
    m = optmodel.Model()
    v = m.var(2, lb=1, ub=3, semicontinuous=True, integer=integer)
    m.minimize(optmodel.sum_squares(v - np.array([0.4, 2.6])))
    sol = _optimal(m)
    assert sol.objective == pytest.approx(0.32 if integer else 0.16, abs=1e-5)
    np.testing.assert_allclose(sol.x, [0, 3 if integer else 2.6], atol=2e-3)
    assert sol.stats.get("reductions")  # reduced, not ignored


# --- indicator constraints -----------------------------------------------------------------------
def _by_enumeration(c, A_ub, b_ub, bounds, rows, n_bin, fixed_cost):
    """max c x - fixed_cost z over binaries z (enumerated) and continuous x (scipy's linprog), where
    ``rows`` are (binary, active, a, lower, upper) and hold only when z[binary] == active."""
    best = -np.inf
    for z in itertools.product((0, 1), repeat=n_bin):
        A, lo_b = [list(r) for r in A_ub], list(b_ub)
        for b, active, a, lo, hi in rows:
            if z[b] == active:
                if np.isfinite(hi):
                    A.append(list(a))
                    lo_b.append(hi)
                if np.isfinite(lo):
                    A.append([-t for t in a])
                    lo_b.append(-lo)
        res = linprog(-np.asarray(c), A_ub=np.array(A) if A else None, b_ub=lo_b or None, bounds=bounds)
        if res.status == 0:
            best = max(best, -res.fun - float(np.dot(fixed_cost, z)))
    return best


@pytest.mark.parametrize("active", [1, 0])
def test_indicator_rows_match_enumeration(active: int) -> None:
    # x, y in [0, 10]; z0 == active => x + y <= 4; z1 == active => 1 <= x - y <= 3 (ranged: two of
    # SCIP's one-sided indicators); z2 == active => x == 2 y (an equality). Rewards for the binaries
    # that switch the rows on make the choice matter.
    c = [2.0, 1.0]
    rows = [
        (0, active, (1.0, 1.0), -np.inf, 4.0),
        (1, active, (1.0, -1.0), 1.0, 3.0),
        (2, active, (1.0, -2.0), 0.0, 0.0),
    ]
    reward = np.array([7.0, 6.0, 5.0]) * (1 if active == 1 else -1)
    expected = _by_enumeration(c, [], [], [(0, 10), (0, 10)], rows, 3, -reward)
    m = optmodel.Model()
    xy = m.var(2, lb=0, ub=10)
    z = m.binary_var(3)
    m.indicator(z[0], xy[0] + xy[1] <= 4, active=active)
    m.indicator(z[1], (xy[0] - xy[1]).between(1, 3), active=active)
    m.indicator(z[2], xy[0] == 2 * xy[1], active=active)
    m.maximize(xy @ c + z @ reward)
    sol = _optimal(m)
    assert sol.objective == pytest.approx(expected, abs=1e-6)
    # The point obeys the rows its binaries switch on.
    xv, zv = sol.x[:2], np.round(sol.x[2:])
    for b, act, a, lo, hi in rows:
        if zv[b] == act:
            assert lo - 1e-6 <= np.dot(a, xv) <= hi + 1e-6
    if _highs_reduces(m):
        assert _optimal(m, "highs").objective == pytest.approx(expected, abs=1e-6)


def test_indicator_infeasible_when_forced() -> None:
    m = optmodel.Model()
    x = m.var(lb=5, ub=10)
    z = m.binary_var()
    m.add(z >= 1)
    m.indicator(z, x <= 3)
    m.minimize(x)
    assert m.solve("scip").status is Status.INFEASIBLE
