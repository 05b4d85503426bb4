"""Quadratic expressions and objectives: the sparse forms against numpy, convexity, and the KKT
certificate of a convex QP (checked against Maros–Mészáros optima and a tampered dual)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import optmodel as om
from optmodel.canonical import positive_semidefinite
from optmodel.errors import ModelError
from optmodel.solution import Status


def _dense(Q: sp.csr_array) -> np.ndarray:
    return Q.toarray()


def test_quadratic_forms_match_numpy() -> None:
    rng = np.random.default_rng(0)
    m = om.Model()
    x = m.var(5)
    y = m.var((2, 3))
    Q = rng.normal(size=(5, 5))
    a, b = rng.normal(size=(4, 5)), rng.normal(size=4)
    W = rng.normal(size=(2, 3))
    expr = (
        x @ Q @ x
        + om.sum_squares(a @ x - b)
        + 2.5 * (x[0] - 1) ** 2
        - (x[1] * x[2])
        + ((y * W) * y).sum()
        + (y.sum(axis=0) * x[:3]).sum(axis=0)
        + 3
    )
    assert expr.shape == ()
    Qf, c, const = expr.form(m.num_vars)
    assert (Qf != Qf.T).nnz == 0  # symmetric
    for _ in range(5):
        v = rng.normal(size=m.num_vars)
        xv, yv = v[:5], v[5:].reshape(2, 3)
        truth = (
            xv @ Q @ xv + np.sum((a @ xv - b) ** 2) + 2.5 * (xv[0] - 1) ** 2 - xv[1] * xv[2]
            + np.sum(W * yv * yv) + np.sum(yv.sum(axis=0) * xv[:3]) + 3
        )
        assert 0.5 * v @ _dense(Qf) @ v + c @ v + const == pytest.approx(truth)
        assert expr.value(v) == pytest.approx(truth)


def test_elementwise_products_index_and_sum_by_axis() -> None:
    m = om.Model()
    x = m.var((2, 3))
    q = x * x + x
    v = np.arange(6.0)
    np.testing.assert_allclose(q.value(v), (v * v + v).reshape(2, 3))
    np.testing.assert_allclose(q[1].value(v), (v * v + v).reshape(2, 3)[1])
    np.testing.assert_allclose(q.sum(axis=1).value(v), (v * v + v).reshape(2, 3).sum(axis=1))
    np.testing.assert_allclose((q * [1, 2, 3]).sum(axis=0).value(v), ((v * v + v).reshape(2, 3) * [1, 2, 3]).sum(0))
    assert (-q).sum().value(v) == pytest.approx(-(v * v + v).sum())
    assert (1 - q.sum()).value(v) == pytest.approx(1 - (v * v + v).sum())


def test_what_is_refused() -> None:
    m = om.Model()
    x = m.var(3)
    with pytest.raises(ModelError, match="degree above 2"):
        (x * x) * x
    with pytest.raises(ModelError, match="quadratic constraints"):
        m.add((x * x).sum() <= 1)
    with pytest.raises(ModelError, match="only squares"):
        x ** 3
    with pytest.raises(ModelError, match="must be a scalar"):
        m.minimize(x * x)
    with pytest.raises(ModelError, match="another model"):
        om.Model().minimize(om.sum_squares(x))


def test_convexity_and_requirements() -> None:
    m = om.Model()
    x = m.var(2, lb=-1, ub=2)
    m.minimize(om.sum_squares(x) - x[0] * x[1])
    assert m.canonical().is_convex() and om.Capability.QUADRATIC in m.requirements()
    m.maximize(om.sum_squares(x))  # maximising a convex function: nonconvex
    assert not m.canonical().is_convex() and om.Capability.NONCONVEX in m.requirements()
    with pytest.raises(om.CapabilityError, match="nonconvex"):
        m.solve("highs")
    sol = m.solve("scip")  # global optimum at the corner (2, 2)
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(8.0, abs=1e-6)
    z = m.int_var(lb=0, ub=3)
    m.minimize(om.sum_squares(x) + (z - 1.6) ** 2)
    assert om.Capability.MIQP in m.requirements()
    with pytest.raises(om.CapabilityError, match="miqp"):
        m.solve("highs")
    assert m.solve("scip")[z] == pytest.approx(2.0)



def test_convexity_of_large_matrices_agrees_with_eigenvalues() -> None:
    """Beyond 2000 columns convexity is decided by an LDLᵀ's inertia: against dense eigenvalues."""
    B = sp.random_array((2500, 2500), density=0.002, random_state=1)
    gram = sp.csr_array(B.T @ B)  # PSD and singular
    smallest = np.linalg.eigvalsh(gram.toarray())[0]
    assert abs(smallest) < 1e-9 and positive_semidefinite(gram)
    for shift, psd in ((0.5, True), (-0.01, False)):
        assert positive_semidefinite(sp.csr_array(gram + shift * sp.eye_array(2500))) is psd
    indefinite = sp.csr_array(B + B.T)
    assert np.linalg.eigvalsh(indefinite.toarray())[0] < 0 and not positive_semidefinite(indefinite)


# Maros–Mészáros (Hock–Schittkowski) convex QPs with published optima.
def hs21() -> tuple[om.Model, float]:
    m = om.Model("HS21")
    x = m.var(2, lb=[2, -50], ub=[50, 50])
    m.add(10 * x[0] - x[1] >= 10)
    m.minimize(0.01 * x[0] ** 2 + x[1] ** 2 - 100)
    return m, -99.96


def hs35() -> tuple[om.Model, float]:
    m = om.Model("HS35")
    x = m.var(3, lb=0)
    m.add(x[0] + x[1] + 2 * x[2] <= 3)
    m.minimize(9 - 8 * x[0] - 6 * x[1] - 4 * x[2] + 2 * x[0] ** 2 + 2 * x[1] ** 2 + x[2] ** 2
               + 2 * x[0] * x[1] + 2 * x[0] * x[2])
    return m, 1 / 9


def hs76() -> tuple[om.Model, float]:
    m = om.Model("HS76")
    x = m.var(4, lb=0)
    m.add(x @ [1, 2, 1, 1] <= 5)
    m.add(x @ [3, 1, 2, -1] <= 4)
    m.add(x[1] + 4 * x[2] >= 1.5)
    m.minimize(x[0] ** 2 + 0.5 * x[1] ** 2 + x[2] ** 2 + 0.5 * x[3] ** 2 - x[0] * x[2] + x[2] * x[3]
               - x[0] - 3 * x[1] + x[2] - x[3])
    return m, -4.681818181818182


@pytest.mark.parametrize("build", [hs21, hs35, hs76], ids=["HS21", "HS35", "HS76"])
def test_maros_meszaros_optima_are_certified_by_kkt(build) -> None:
    m, optimum = build()
    sol = m.solve("highs")
    assert sol.status is Status.OPTIMAL and sol.certified
    assert sol.objective == pytest.approx(optimum, rel=1e-7, abs=1e-7)
    assert sol.verification.duality_gap < 1e-6
    assert m.solve("scip").objective == pytest.approx(optimum, rel=1e-5, abs=1e-5)
    # the same problem maximised in the negated form has the same point and duals
    m.maximize(-m.objective.expr)
    neg = m.solve("highs")
    assert neg.certified and neg.objective == pytest.approx(-optimum, rel=1e-7, abs=1e-7)
    np.testing.assert_allclose(neg.x, sol.x, atol=1e-6)


def test_kkt_check_rejects_wrong_duals() -> None:
    from optmodel.verify import verify

    m, _ = hs35()
    sol = m.solve("highs")
    form = m.canonical()
    assert verify(form, sol).passed
    sol.row_duals = sol.row_duals * 1.5  # no longer stationary at x
    assert any("duals are infeasible" in p for p in verify(form, sol).problems)
    sol.row_duals = sol.row_duals / 1.5
    sol.x = sol.x + np.array([0.0, 0.0, -0.01])  # feasible, but not optimal: the gap opens
    sol.objective = form.objective_value(sol.x)
    problems = verify(form, sol).problems
    assert problems and not verify(form, sol).passed


def test_random_convex_qps_agree_across_highs_and_scip() -> None:
    rng = np.random.default_rng(4)
    for _ in range(4):
        n, k = 6, 3
        F = rng.normal(size=(k, n))
        m = om.Model()
        x = m.var(n, lb=-1, ub=1)
        m.add(rng.normal(size=(2, n)) @ x <= rng.uniform(0.5, 1.5, 2))
        m.minimize(om.sum_squares(F @ x - rng.normal(size=k)) + x @ rng.normal(size=n))
        a, b = m.solve("highs"), m.solve("scip")
        assert a.certified and b.status is Status.OPTIMAL
        assert a.objective == pytest.approx(b.objective, rel=1e-5, abs=1e-5)
