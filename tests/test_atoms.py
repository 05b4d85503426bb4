"""The convex ``log`` atom: composition, curvature checks, capability routing, and solutions
against closed forms (maximum likelihood estimates, proportional allocation)."""

import math

import numpy as np
import pytest

import optmodel as om
from optmodel.atoms import LogExpr, check_objective
from optmodel.backends.cvxpy import Cvxpy
from optmodel.errors import CapabilityError, ModelError
from optmodel.solution import Status

CONVEX_SUBS = [s for s in Cvxpy().available_subsolvers() if om.Capability.CONVEX in Cvxpy.subsolvers[s]]


def _needs_cvxpy() -> None:
    pytest.importorskip("cvxpy")
    if "clarabel" not in CONVEX_SUBS:
        pytest.skip("cvxpy:clarabel is not installed")


def test_geometric_mle() -> None:
    """max n log p + (Σx - n) log(1 - p) over 0 <= p <= 1 is maximised by p = n / Σx."""
    _needs_cvxpy()
    xs = np.random.default_rng(7).geometric(0.3, size=200)
    n, total = len(xs), int(xs.sum())
    m = om.Model("geometric-mle")
    p = m.var(lb=0, ub=1, name="p")
    m.maximize(n * om.log(p) + (total - n) * om.log(1 - p))
    sol = m.solve("cvxpy")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol[p] == pytest.approx(n / total, abs=1e-6)
    expected = n * math.log(n / total) + (total - n) * math.log(1 - n / total)
    assert sol.objective == pytest.approx(expected, rel=1e-7)
    assert sol.verification.passed and sol.verification.objective_recomputed == pytest.approx(expected, rel=1e-7)


@pytest.mark.parametrize("sub", ["clarabel", "scs"])
def test_weighted_logs_give_proportional_allocation(sub: str) -> None:
    """max Σ w_i log x_i s.t. Σ x_i = 1 has x_i = w_i / Σw and row dual Σw (d obj / d budget)."""
    _needs_cvxpy()
    if sub not in CONVEX_SUBS:
        pytest.skip(f"cvxpy:{sub} is not installed")
    w = np.array([1.0, 2.0, 3.0, 4.0])
    m = om.Model()
    x = m.var(4, lb=0)
    budget = m.add(x.sum() == 1)
    m.maximize(om.log(x).dot(w))
    sol = m.solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    np.testing.assert_allclose(sol[x], w / w.sum(), atol=1e-5)
    assert sol.objective == pytest.approx(float(w @ np.log(w / w.sum())), rel=1e-6)
    assert sol.dual(budget) == pytest.approx(w.sum(), rel=1e-4)


def test_minimize_negative_log_and_affine_terms() -> None:
    """min -Σ log x_i + Σ x_i  (convex) has x_i = 1; max log(x) - x likewise."""
    _needs_cvxpy()
    m = om.Model()
    x = m.var(3, lb=1e-9)
    m.minimize(-om.log(x).sum() + x.sum())
    sol = m.solve("cvxpy")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(3.0, rel=1e-7)
    np.testing.assert_allclose(sol[x], 1.0, atol=1e-5)
    m.maximize((om.log(x) - x).sum() + 5.0)
    sol = m.solve("cvxpy")
    assert sol.objective == pytest.approx(2.0, rel=1e-7)


def test_constraints_bind_the_log_objective() -> None:
    """max log(x) + log(y) s.t. x + 2y <= 4: x = 2, y = 1 (and the row dual is 1/2)."""
    _needs_cvxpy()
    m = om.Model()
    x, y = m.var(lb=0), m.var(lb=0)
    row = m.add(x + 2 * y <= 4)
    m.maximize(om.log(x) + om.log(y))
    sol = m.solve("cvxpy")
    assert sol[x] == pytest.approx(2, abs=1e-6) and sol[y] == pytest.approx(1, abs=1e-6)
    assert sol.dual(row) == pytest.approx(0.5, rel=1e-5)
    assert sol.verification.max_row_violation <= 1e-6


def test_requirement_and_routing() -> None:
    m = om.Model()
    p = m.var(lb=0, ub=1)
    m.maximize(om.log(p) + om.log(1 - p))
    assert om.Capability.CONVEX in m.requirements()
    assert not m.is_linear
    with pytest.raises(ModelError, match="not linear"):
        m.canonical()
    with pytest.raises(CapabilityError, match=r"highs:choose cannot solve convex models; backends that can: .*cvxpy:"):
        m.solve("highs")


def test_curvature_rules() -> None:
    m = om.Model()
    x = m.var(3, lb=0)
    concave = om.log(x).sum()
    assert concave.curvature == "concave" and (-concave).curvature == "convex"
    assert (2 * concave + x.sum() - 1).curvature == "concave"
    assert (np.array([1.0, 0.0, 2.0]) * om.log(x)).sum().is_concave
    with pytest.raises(ModelError, match="neither convex nor concave"):
        concave - om.log(x[0])
    with pytest.raises(ModelError, match="neither convex nor concave"):
        np.array([1.0, -1.0, 1.0]) * om.log(x)
    with pytest.raises(ModelError, match="neither convex nor concave"):
        om.log(x[0]) * x[1]
    with pytest.raises(ModelError, match="only be used in the objective"):
        m.add(om.log(x[0]) >= 1)
    with pytest.raises(ModelError, match="scalar"):
        m.maximize(om.log(x))


def test_sense_must_match_curvature() -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() <= 1)
    # Stated the wrong way round, the objective is refused where it is set.
    with pytest.raises(ModelError, match="cannot minimize a concave"):
        m.minimize(om.log(x).sum())
    with pytest.raises(ModelError, match="cannot maximize a convex"):
        m.maximize(-om.log(x).sum())
    m.maximize(om.log(x).sum())
    assert check_objective(m).is_concave


def test_value_matches_numpy() -> None:
    m = om.Model()
    x = m.var(3)
    e = 2 * om.log(x + 1) - 3 + x[0]
    assert isinstance(e, LogExpr) and e.shape == (3,)
    point = np.array([0.5, 2.0, 4.0])
    np.testing.assert_allclose(e.value(point), 2 * np.log(point + 1) - 3 + point[0])
    total = (e * [1.0, 2.0, 3.0]).sum()
    assert total.value(point) == pytest.approx(float((2 * np.log(point + 1) - 3 + point[0]) @ [1, 2, 3]))


def _allocation() -> om.Model:
    m = om.Model()
    x = m.var(4, lb=0)
    m.add(x.sum() == 1)
    m.maximize(om.log(x).dot([1.0, 2.0, 3.0, 4.0]))
    return m


@pytest.mark.parametrize("sub", ["clarabel", "scs"])
def test_log_answers_are_certified_by_kkt(sub: str) -> None:
    """With the solver's duals, the answer is certified: stationarity (against the size of the
    gradient's terms), the duals' signs and complementary slackness, on the problem linearised at x."""
    _needs_cvxpy()
    if sub not in CONVEX_SUBS:
        pytest.skip(f"cvxpy:{sub} is not installed")
    sol = _allocation().solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL and sol.certified, sol.message
    assert sol.verification.duality_gap < 1e-6 and sol.verification.max_dual_violation < 1e-6


def test_kkt_holds_where_the_gradient_terms_are_large() -> None:
    """The MLE's optimum has two gradient terms of about n / p that cancel: stationarity is judged
    against their size, not against the (zero) total."""
    _needs_cvxpy()
    xs = np.random.default_rng(3).geometric(0.2, size=5000)
    m = om.Model()
    p = m.var(lb=0, ub=1)
    m.maximize(len(xs) * om.log(p) + (xs.sum() - len(xs)) * om.log(1 - p))
    sol = m.solve("cvxpy:clarabel")
    assert sol.status is Status.OPTIMAL and sol.certified, sol.message
    assert sol[p] == pytest.approx(len(xs) / xs.sum(), rel=1e-6)


def test_log_verification_catches_bad_answers() -> None:
    import dataclasses

    _needs_cvxpy()
    m = _allocation()
    good = m.solve("cvxpy:clarabel")
    check = m.objective.expr.verify
    assert check(good).passed
    wrong_dual = dataclasses.replace(good, row_duals=2 * good.row_duals)
    assert any("duals are infeasible" in p for p in check(wrong_dual).problems)
    # Feasible and inside the domain, but not optimal: the optimum's duals do not fit its gradient.
    flat = np.full(4, 0.25)
    suboptimal = dataclasses.replace(good, x=flat, objective=float(m.objective.expr.value(flat)))
    assert any("duals are infeasible" in p for p in check(suboptimal).problems)
    outside = dataclasses.replace(good, x=np.array([0.0, 0.5, 0.25, 0.25]))
    v = check(outside)
    assert any("outside the log's domain" in p for p in v.problems)
    infeasible = dataclasses.replace(good, x=good.x * 2, objective=None, row_duals=None, reduced_costs=None)
    assert any("constraint is violated" in p for p in check(infeasible).problems)
    claimed = dataclasses.replace(good, objective=good.objective + 1)
    assert any("differs from the recomputed" in p for p in check(claimed).problems)
    no_duals = check(dataclasses.replace(good, row_duals=None, reduced_costs=None))
    assert no_duals.passed and no_duals.duality_gap is None  # verified, not certified


def test_log_models_share_the_linear_models_trivial_cases() -> None:
    """An empty row that excludes 0 makes a log model infeasible; a free row changes nothing."""
    _needs_cvxpy()
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(0 * x.sum() >= 1, name="impossible")
    m.maximize(om.log(x).sum())
    sol = m.solve("cvxpy")
    assert sol.status is Status.INFEASIBLE and "impossible" in sol.message
    m = om.Model()
    x = m.var(2, lb=0)
    free = m.add((x[0] - x[1]).between(-np.inf, np.inf), name="free")
    m.add(x.sum() <= 2)
    m.maximize(om.log(x).sum())
    sol = m.solve("cvxpy")
    assert sol.status is Status.OPTIMAL and sol.certified and sol.dual(free) == 0
    np.testing.assert_allclose(sol[x], [1, 1], atol=1e-6)


def test_an_unbounded_log_objective_is_not_called_optimal() -> None:
    """max log x + log y over x, y >= 0 is unbounded; Clarabel stops at a huge point and says
    "optimal". Without the KKT check that was reported as optimal; the duals do not certify it."""
    _needs_cvxpy()
    m = om.Model()
    x = m.var(2, lb=0)
    m.maximize(om.log(x).sum())
    sol = m.solve("cvxpy:clarabel")
    assert sol.status is not Status.OPTIMAL and not sol.certified


def test_a_limit_point_outside_the_domain_is_no_solution() -> None:
    _needs_cvxpy()
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() <= 2)
    m.maximize(om.log(x).sum())
    sol = m.solve("cvxpy:clarabel", time_limit=0)
    assert sol.status is Status.TIME_LIMIT
    if sol.has_values:  # Clarabel's starting point, at the boundary of the domain
        assert not sol.verification.feasible and "before a feasible solution" in sol.message
