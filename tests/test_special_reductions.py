"""SOS sets, indicator constraints and semicontinuous variables: native where a solver has them,
the core's reductions elsewhere, and every route against a brute-force enumeration.

The reference enumerates the discrete choices (which SOS member is nonzero, each binary's value,
each semicontinuous column on or off) and solves each remaining LP with scipy's ``linprog``, so it
shares nothing with optmodel's reductions or verification.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import linprog

import optmodel as om
from optmodel.dispatch import backend_classes
from optmodel.errors import CapabilityError, ModelError
from optmodel.explain import explain_model
from optmodel.reductions import prepare
from optmodel.solution import Solution, SolutionStatus, Status, Termination
from optmodel.verify import verify


def _routes() -> list[str]:
    """Installed LP/MIP routes that can take a MIP with continuous variables."""
    routes = []
    for name, cls in backend_classes().items():
        if cls.unavailable_reason() is not None:
            continue
        for sub, caps in cls.subsolvers.items():
            if om.Capability.MIP in caps and om.Capability.LP in caps and name not in ("auto", "exact"):
                routes.append(f"{name}:{sub}")
    return routes


# Open-source routes that solve MIPs here (commercial ones are skipped by refusing the model).
ROUTES = [r for r in _routes() if not r.startswith(("cvxpy:gurobi", "cvxpy:mosek", "pyomo:gurobi", "pyomo:appsi_c"))]


def _best_lp(c, A_ub, b_ub, A_eq, b_eq, bounds) -> float | None:
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    return res.fun if res.status == 0 else None


def _solve(model: om.Model, route: str) -> Solution | None:
    try:
        return model.solve(route, time_limit=60)
    except CapabilityError:
        return None


def _min(values: list[float | None]) -> float | None:
    found = [v for v in values if v is not None]
    return min(found) if found else None


# --- SOS1 / SOS2 --------------------------------------------------------------------------
def sos_instance(seed: int, kind: int):
    rng = np.random.default_rng(seed)
    n = 5
    c = -rng.uniform(1, 4, n)  # every member wants to be large
    A = rng.uniform(0.5, 2, (2, n))
    b = rng.uniform(3, 6, 2)
    ub = rng.uniform(1, 3, n)
    m = om.Model(f"sos{kind}-{seed}")
    x = m.var(n, lb=0, ub=ub)
    m.add(A @ x <= b)
    (m.sos1 if kind == 1 else m.sos2)(x, weights=np.arange(n) + 1.0)
    m.minimize(x @ c)
    # reference: the allowed supports
    supports = [[j] for j in range(n)] if kind == 1 else [[j, j + 1] for j in range(n - 1)]
    values = []
    for support in supports:
        bounds = [(0, ub[j]) if j in support else (0, 0) for j in range(n)]
        values.append(_best_lp(c, A, b, None, None, bounds))
    return m, _min(values)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("kind", [1, 2])
def test_sos_against_enumeration(route: str, kind: int) -> None:
    for seed in range(3):
        m, best = sos_instance(seed, kind)
        sol = _solve(m, route)
        if sol is None:
            pytest.skip(f"{route} refuses SOS models")
        assert sol.status is Status.OPTIMAL, (route, seed, sol.message)
        assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
        assert sol.verification.passed


# --- indicators -----------------------------------------------------------------------------
def indicator_instance(seed: int):
    """A fixed-charge problem written with indicators (off ⇒ x = 0) and one active-on-one row."""
    rng = np.random.default_rng(seed)
    n = 4
    cost = rng.uniform(1, 3, n)
    charge = rng.uniform(1, 6, n)
    demand = rng.uniform(6, 12)
    cap = rng.uniform(3, 8, n)
    m = om.Model(f"ind-{seed}")
    x = m.var(n, lb=0, ub=cap)
    y = m.binary_var(n)
    m.indicator(y, x <= 0, active=0)
    m.indicator(y[0], x[0] >= 1.5, active=1)  # opened, facility 0 ships at least 1.5
    m.add(x.sum() >= demand)
    m.minimize(x @ cost + y @ charge)
    values = []
    for ys in itertools.product([0, 1], repeat=n):
        bounds = [(1.5 if (j == 0 and ys[0]) else 0, cap[j] if ys[j] else 0) for j in range(n)]
        if ys[0] and cap[0] < 1.5:
            continue
        lp = _best_lp(cost, -np.ones((1, n)), [-demand], None, None, bounds)
        values.append(None if lp is None else lp + float(np.dot(ys, charge)))
    return m, _min(values)


@pytest.mark.parametrize("route", ROUTES)
def test_indicators_against_enumeration(route: str) -> None:
    for seed in range(3):
        m, best = indicator_instance(seed)
        sol = _solve(m, route)
        if sol is None:
            pytest.skip(f"{route} refuses indicator models")
        assert sol.status is Status.OPTIMAL, (route, seed, sol.message)
        assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


# --- semicontinuous / semi-integer --------------------------------------------------------
def semicontinuous_instance(seed: int, integer: bool):
    rng = np.random.default_rng(seed)
    n = 4
    lo = rng.uniform(1.2, 3, n)
    hi = lo + rng.uniform(1, 4, n)
    cost = rng.uniform(1, 2, n)
    need = rng.uniform(4, 9)
    m = om.Model(f"semi-{seed}")
    x = m.var(n, lb=lo, ub=hi, semicontinuous=True, integer=integer)
    m.add(x.sum() >= need)
    m.minimize(x @ cost)
    values = []
    for on in itertools.product([0, 1], repeat=n):
        if integer:  # the integer points of each box, few here
            ranges = [range(int(np.ceil(lo[j])), int(np.floor(hi[j])) + 1) if on[j] else [0] for j in range(n)]
            points = [p for p in itertools.product(*ranges) if sum(p) >= need - 1e-9]
            values.append(min((float(np.dot(p, cost)) for p in points), default=None))
        else:
            bounds = [(lo[j], hi[j]) if on[j] else (0, 0) for j in range(n)]
            values.append(_best_lp(cost, -np.ones((1, n)), [-need], None, None, bounds))
    return m, _min(values)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("integer", [False, True], ids=["semicontinuous", "semi-integer"])
def test_semicontinuous_against_enumeration(route: str, integer: bool) -> None:
    for seed in range(3):
        m, best = semicontinuous_instance(seed, integer)
        sol = _solve(m, route)
        if sol is None:
            pytest.skip(f"{route} refuses semicontinuous models")
        assert sol.status is Status.OPTIMAL, (route, seed, sol.message)
        assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6)


# --- the reductions themselves ---------------------------------------------------------------
def test_native_and_reduced_routes_are_named() -> None:
    m, _ = indicator_instance(0)
    highs, scip = m.solve("highs"), m.solve("scip")
    assert "indicator to big-M" in highs.stats["reductions"]
    assert "indicator to big-M" not in scip.stats.get("reductions", [])
    assert highs.objective == pytest.approx(scip.objective, rel=1e-7)
    assert highs.x.shape == (m.num_vars,)  # the reduction's extra columns are not in the answer
    lines = explain_model(m).structure
    assert any("natively on" in line and "scip:scip" in line for line in lines)
    assert any("indicator to big-M" in line and "highs:choose" in line for line in lines)


def test_semicontinuous_native_on_highs_reduced_elsewhere() -> None:
    m, _ = semicontinuous_instance(1, integer=False)
    assert "reductions" not in m.solve("highs").stats
    assert "semicontinuous to binary" in m.solve("scip").stats["reductions"]


def test_no_finite_big_m_is_refused_with_the_reason() -> None:
    m = om.Model()
    x = m.var(2, lb=0, name="flow")  # no upper bound: no M for the indicator
    b = m.binary_var()
    m.indicator(b, x.sum() <= 0, active=0)
    m.add(x.sum() >= 1)
    m.minimize(x.sum() + 3 * b)
    with pytest.raises(CapabilityError, match=r"no finite big-M: variable flow\[0\] is unbounded.*scip:scip"):
        m.solve("highs")
    assert m.solve("scip").objective == pytest.approx(4.0)
    assert m.solve().status is Status.OPTIMAL  # the automatic choice takes a native route


def test_sos_with_unbounded_member_is_refused() -> None:
    m = om.Model()
    x = m.var(3, lb=0, name="w")
    m.sos1(x)
    m.add(x.sum() <= 4)
    m.maximize(x @ [1, 2, 3])
    with pytest.raises(CapabilityError, match=r"w\[0\] of SOS1 set 'sos0' has an infinite bound"):
        m.solve("highs")
    assert m.solve("scip").objective == pytest.approx(12.0)


def test_semi_integer_without_integer_in_range_is_zero() -> None:
    m = om.Model()
    x = m.var(lb=1.2, ub=1.8, integer=True, semicontinuous=True)
    y = m.var(lb=0, ub=5)
    m.add(x + y >= 1)
    m.minimize(2 * y - x)
    checked, _, _ = prepare(m.canonical())
    assert checked.col_lower[0] == checked.col_upper[0] == 0.0
    for route in ("highs", "scip"):
        sol = m.solve(route)
        assert sol.status is Status.OPTIMAL and sol[x] == pytest.approx(0.0) and sol.objective == pytest.approx(2.0)


def test_reduction_preserves_the_feasible_set_exactly() -> None:
    """The big-M rows of a semicontinuous column admit exactly 0 and [l, u]."""
    m = om.Model()
    x = m.var(lb=2, ub=5, semicontinuous=True)
    for target, expected in ((0.0, 0.0), (1.0, None), (2.0, 2.0), (4.0, 4.0), (6.0, None)):
        m.set_bounds(x, lb=2, ub=5)
        con = m.add(x == target) if not m.constraints else m.constraints[0]
        m.set_bounds(con, lb=target, ub=target)
        m.minimize(x + 0)
        for route in ("highs", "scip"):
            sol = m.solve(route)
            if expected is None:
                assert sol.status is Status.INFEASIBLE, (route, target)
            else:
                assert sol.status is Status.OPTIMAL and sol[x] == pytest.approx(expected), (route, target)


def test_verification_catches_structure_violations() -> None:
    m = om.Model()
    x = m.var(3, lb=0, ub=1)
    b = m.binary_var()
    m.sos2(x)
    m.indicator(b, x[0] <= 0.5, active=1, name="half")
    m.minimize(x.sum())
    form = m.canonical()

    def check(values: list[float]) -> list[str]:
        sol = Solution(Status.ERROR, Termination.OPTIMAL, SolutionStatus.FEASIBLE, x=np.array(values, dtype=float))
        sol.objective = form.objective_value(sol.x)
        return verify(form, sol).problems

    assert check([1, 1, 0, 0]) == []
    assert any("not adjacent" in p for p in check([1, 0, 1, 0]))
    assert any("3 nonzero" in p for p in check([1, 1, 1, 0]))
    assert any("indicator row half" in p for p in check([1, 0, 0, 1]))
    assert check([0.5, 0, 0, 1]) == []


def test_api_errors() -> None:
    m = om.Model()
    x = m.var(3, lb=0, ub=1)
    y = m.var(lb=0, ub=1)
    with pytest.raises(ModelError, match="distinct"):
        m.sos1(x, weights=[1, 1, 2])
    with pytest.raises(ModelError, match="not a general expression"):
        m.sos1(2 * x)
    with pytest.raises(ModelError, match="must be binary"):
        m.indicator(y, x.sum() <= 1)
    with pytest.raises(ModelError, match="0 or 1"):
        m.indicator(m.binary_var(), x.sum() <= 1, active=2)


def test_highs_takes_only_the_semicontinuous_columns_it_can() -> None:
    """HiGHS errors on semi-variables outside [0, 1e5]: those get the reduction, or a refusal."""
    m = om.Model()
    x = m.var(lb=-5, ub=-2, semicontinuous=True)
    y = m.var(lb=0, ub=10)
    m.add(y + x >= -1)
    m.minimize(-x + y)
    sol = m.solve("highs")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(0.0)
    assert "semicontinuous to binary" in sol.stats["reductions"]
    m = om.Model()
    x = m.var(lb=2, semicontinuous=True, name="lot")  # no upper bound: neither route can switch it off
    m.add(x <= 3e5)
    m.maximize(x + 0)
    with pytest.raises(CapabilityError, match=r"lot has no finite bound on its nonzero side"):
        m.solve("highs")
