"""The spec layer: expression algebra against dense numpy, lowering, and solves against scipy.linprog."""

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import optmodel as om
from optmodel.errors import CapabilityError, ModelError


def dense(e, n):
    """The coefficient matrix and constant of an expression, as dense arrays over n columns."""
    coef = e.coef.toarray()
    coef = np.pad(coef, ((0, 0), (0, n - coef.shape[1])))
    return coef, e.const


def test_matrix_products_match_numpy():
    rng = np.random.default_rng(1)
    m = om.Model()
    x = m.var(4)
    A = rng.normal(size=(3, 4))
    for lhs in (A, sp.csr_array(A), sp.csr_matrix(A)):
        coef, const = dense(lhs @ x + 2.0, 4)
        np.testing.assert_allclose(coef, A)
        np.testing.assert_allclose(const, 2.0)
    coef, _ = dense(x @ A.T, 4)
    np.testing.assert_allclose(coef, A)
    c = rng.normal(size=4)
    e = c @ x
    assert e.shape == ()
    np.testing.assert_allclose(dense(e, 4)[0], c[None, :])


def test_two_dimensional_variables():
    rng = np.random.default_rng(2)
    m = om.Model()
    X = m.var((3, 4))
    A = rng.normal(size=(2, 3))
    B = rng.normal(size=(4, 5))
    # (A @ X)[i, j] = sum_l A[i, l] X[l, j]; X is stored in C order.
    coef, _ = dense(A @ X, 12)
    expected = np.zeros((2, 4, 3, 4))
    for i in range(2):
        for j in range(4):
            expected[i, j, :, j] = A[i, :]
    np.testing.assert_allclose(coef, expected.reshape(8, 12))
    coef, _ = dense(X @ B, 12)
    expected = np.zeros((3, 5, 3, 4))
    for i in range(3):
        for j in range(5):
            expected[i, j, i, :] = B[:, j]
    np.testing.assert_allclose(coef, expected.reshape(15, 12))
    # sums along axes
    coef, _ = dense(X.sum(axis=0), 12)
    np.testing.assert_allclose(coef, np.tile(np.eye(4), (1, 3)))
    coef, _ = dense(X.sum(axis=1), 12)
    np.testing.assert_allclose(coef, np.kron(np.eye(3), np.ones((1, 4))))
    assert X.T.shape == (4, 3)
    np.testing.assert_allclose(dense(X.T, 12)[0], np.eye(12).reshape(3, 4, 12).transpose(1, 0, 2).reshape(12, 12))


def test_broadcasting_scalars_and_slices():
    m = om.Model()
    x = m.var(3)
    y = m.var((2, 3))
    e = 2 * x - y / 4 + np.array([1.0, 2.0, 3.0])  # (3,) + (2,3) broadcasts
    assert e.shape == (2, 3)
    coef, const = dense(e, 9)
    assert coef[4, 1] == 2 and coef[4, 3 + 4] == -0.25
    np.testing.assert_allclose(const, np.tile([1, 2, 3], 2))
    s = x[1:]
    assert s.shape == (2,)
    np.testing.assert_allclose(dense(s, 9)[0][:, :3], [[0, 1, 0], [0, 0, 1]])
    np.testing.assert_allclose(dense((x * [1, 2, 3]).sum(), 9)[0][0, :3], [1, 2, 3])
    with pytest.raises(ModelError, match="degree above 2"):
        x * x * x
    with pytest.raises(ModelError, match="quadratic constraints"):
        m.add(x * x <= 1)
    with pytest.raises(ModelError, match="do not broadcast"):
        x + m.var(4)
    with pytest.raises(TypeError, match="between"):
        bool(0 <= x)


def test_keyed_variables():
    m = om.Model()
    edges = [("a", "b"), ("b", "c"), ("a", "c")]
    x = m.var(keys=edges, lb=0, ub=1, name="use")
    m.add(x[[("a", "b"), ("b", "c")]].sum() >= 1)
    m.minimize(x @ [1.0, 1.0, 5.0])
    sol = m.solve("highs")
    assert sol.by_key(x) == pytest.approx({("a", "b"): 1.0, ("b", "c"): 0.0, ("a", "c"): 0.0}) or sol.objective == 1.0
    assert sol.objective == pytest.approx(1.0)
    assert m.canonical().col_names[2] == "use[a,c]"
    with pytest.raises(KeyError, match="not a key"):
        x[("z", "q")]


def test_constraint_kinds_and_lowering():
    m = om.Model("lower")
    x = m.var(2, lb=[0, -1], ub=[4, np.inf], name="x")
    n = m.int_var(name="n", lb=0, ub=10)
    r1 = m.add(x[0] + 2 * x[1] <= 6, name="cap")
    r2 = m.add((x - 1).between([0, -2], [3, 5]), name="range")
    r3 = m.add(3 <= n + x[0], name="geq")
    m.maximize(x.sum() + n - 1)
    form = m.canonical()
    assert form.num_rows == 4 and form.num_cols == 3
    np.testing.assert_allclose(form.row_lower, [-np.inf, 1, -1, 3])
    np.testing.assert_allclose(form.row_upper, [6, 4, 6, np.inf])
    np.testing.assert_allclose(form.A.toarray(), [[1, 2, 0], [1, 0, 0], [0, 1, 0], [1, 0, 1]])
    np.testing.assert_array_equal(form.integrality, [False, False, True])
    assert form.offset == -1 and form.sense.value == "maximize"
    assert list(form.row_names) == ["cap", "range[0]", "range[1]", "geq"]
    assert list(form.col_names) == ["x[0]", "x[1]", "n"]
    assert r1.rows == slice(0, 1) and r2.rows == slice(1, 3) and r3.rows == slice(3, 4)
    assert m.requirements() == {om.Capability.MIP}


def test_million_nonzeros_builds_without_python_loops():
    rng = np.random.default_rng(0)
    n, rows = 200_000, 100_000
    A = sp.random_array((rows, n), density=5e-5, format="csr", rng=rng)
    m = om.Model()
    x = m.var(n, lb=0, ub=1)
    m.add(A @ x <= 1)
    m.minimize(-x.sum())
    form = m.canonical()
    assert form.nnz == A.nnz >= 1_000_000


@st.composite
def random_lp(draw):
    m = draw(st.integers(1, 6))
    n = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 10_000))
    rng = np.random.default_rng(seed)
    A = np.round(rng.normal(size=(m, n)), 2) * (rng.random((m, n)) < 0.7)
    b = np.round(rng.normal(size=m) + 2, 2)
    c = np.round(rng.normal(size=n), 2)
    ub = np.where(rng.random(n) < 0.5, 5.0, np.inf)
    return A, b, c, ub


@settings(max_examples=40, deadline=None)
@given(random_lp())
def test_random_lps_agree_with_scipy_linprog(lp):
    A, b, c, ub = lp
    m = om.Model()
    x = m.var(len(c), lb=0, ub=ub)
    rows = m.add(A @ x <= b)
    m.minimize(c @ x)
    sol = m.solve("highs")
    bounds = list(zip(np.zeros(len(c)), np.where(np.isinf(ub), None, ub)))
    ref = linprog(c, A_ub=A, b_ub=b, bounds=bounds)
    if ref.status == 0:
        assert sol.status is om.Status.OPTIMAL
        assert sol.objective == pytest.approx(ref.fun, abs=1e-6)
        assert sol.verification.duality_gap < 1e-6
        # Weak duality certificate with the reported duals: y <= 0 on <= rows of a min problem.
        assert np.all(sol.dual(rows) <= 1e-9)
    else:
        # linprog can say "infeasible" for "infeasible or unbounded": a zero objective decides.
        feasible = linprog(np.zeros_like(c), A_ub=A, b_ub=b, bounds=bounds).status == 0
        assert sol.status is (om.Status.UNBOUNDED if feasible else om.Status.INFEASIBLE)


def test_infeasible_and_unbounded_are_reported_with_a_sentence():
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() <= 1, name="small")
    m.add(x[0] >= 2, name="big")
    m.minimize(x.sum())
    sol = m.solve("highs")
    assert sol.status is om.Status.INFEASIBLE and "infeasible" in sol.message
    assert sol.iis and any("big" in name for name in sol.iis)
    m2 = om.Model()
    y = m2.var(2, lb=0)
    m2.add(y[0] - y[1] <= 1)
    m2.maximize(y.sum())
    sol2 = m2.solve("highs")
    assert sol2.status is om.Status.UNBOUNDED and "unbounded" in sol2.message


def test_mip_with_time_limit_returns_verified_incumbent_and_gap():
    # A knapsack family that HiGHS cannot close in 1 s but finds feasible points for.
    rng = np.random.default_rng(3)
    n = 400
    w = rng.integers(10_000, 20_000, size=(25, n))
    m = om.Model()
    x = m.binary_var(n)
    m.add(w @ x <= w.sum(axis=1) // 2)
    m.maximize(rng.integers(1, 1000, size=n) @ x)
    sol = m.solve("highs", time_limit=1.0)
    assert sol.status in (om.Status.TIME_LIMIT, om.Status.OPTIMAL)
    if sol.status is om.Status.TIME_LIMIT:
        assert sol.has_values and sol.verification.passed and sol.gap is not None and sol.gap > 0
        assert "best solution found" in sol.message


def test_warm_start_and_capability_errors():
    m = om.Model()
    x = m.int_var(3, lb=0, ub=5)
    m.add(x.sum() <= 7)
    m.maximize(x @ [3, 2, 1])
    sol = m.solve("highs", warm_start={x: [1, 1, 1]})
    assert sol.objective == pytest.approx(19)  # x = (5, 2, 0)
    with pytest.raises(om.OptmodelError, match="unknown backend 'nosuch'"):
        m.solve("nosuch")
    with pytest.raises(om.OptmodelError, match="no sub-solver"):
        m.solve("highs:nosuch")
    with pytest.raises(ModelError, match="another model"):
        om.Model().add(x.sum() <= 1)
    assert isinstance(CapabilityError("x"), om.OptmodelError)


def test_unverified_solution_is_not_called_optimal(monkeypatch):
    """If a solver claims optimal at a point that violates a constraint, optmodel says so."""
    from optmodel.backends import highs

    real = highs._result

    def corrupt(h, form, status):
        sol = real(h, form, status)
        sol.x = sol.x + 1.0
        return sol

    monkeypatch.setattr(highs, "_result", corrupt)
    m = om.Model()
    x = m.var(2, lb=0, ub=1)
    m.add(x.sum() <= 1)
    m.maximize(x.sum())
    sol = m.solve("highs")
    assert sol.status is om.Status.UNVERIFIED
    assert "violated" in sol.message


def test_review_findings_are_clear_errors():
    """Inputs that once gave silent wrong answers now fail loudly."""
    m = om.Model()
    x = m.var((2, 3))
    with pytest.raises(ModelError, match="cannot multiply a matrix of shape"):
        x @ np.arange(6.0).reshape(2, 3)
    assert (x @ np.ones((3, 4))).shape == (2, 4)
    with pytest.raises(ModelError, match="use @"):
        sp.csr_matrix(np.eye(3)) * m.var(3)
    other = om.Model()
    a = other.var(2, lb=0, ub=1)
    with pytest.raises(ModelError, match="another model"):
        m.maximize(a.sum())
    m.minimize(x.sum())
    m.add(x >= 0)
    sol = m.solve("highs")
    with pytest.raises(ValueError, match="another model"):
        sol[a]
    bad = om.Model()
    y = bad.var(2, lb=0, ub=5)
    bad.maximize(y[0] + np.nan * y[1])
    with pytest.raises(ModelError, match="NaN or infinite"):
        bad.solve("highs")
    with pytest.raises(om.OptmodelError, match="time limit"):
        m.solve("highs", time_limit=-1)
    with pytest.raises(om.OptmodelError, match="rejected the option"):
        m.solve("highs", solver_options={"time_limt": 1})
    two = om.Model()
    p, q = two.var(2, name="p"), two.int_var(name="q", lb=0, ub=3)
    two.minimize(p.sum() + q)
    assert "q ∈ ℤ^1" in two._repr_html_()
