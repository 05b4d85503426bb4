"""The SCIP backend: Netlib and MIPLIB optima, LP duals (checked by optmodel's verifier), limits,
MIP starts, and the solver log kept off stdout."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import data_path, optima

import optmodel
from optmodel.solution import Status, Termination

pytest.importorskip("pyscipopt")

NETLIB = ["afiro", "adlittle", "blend", "kb2", "sc105", "sc50a", "sc50b", "share2b", "stocfor1"]
MIPLIB = ["bell5", "egout", "flugpl", "lseu"]


@pytest.mark.parametrize("name", NETLIB)
def test_netlib_optimum_and_duals(name: str) -> None:
    best = optima("netlib")[name]
    sol = optmodel.read(str(data_path("netlib", f"{name}.mps"))).solve("scip")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    # The verifier checked dual feasibility and a zero duality gap (status optimal needs it).
    assert sol.row_duals is not None
    assert sol.verification.duality_gap is not None and sol.verification.duality_gap < 1e-6


@pytest.mark.parametrize("name", MIPLIB)
def test_miplib_optimum(name: str) -> None:
    best = optima("miplib")[name]
    sol = optmodel.read(str(data_path("miplib", f"{name}.mps"))).solve("scip")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert sol.bound == pytest.approx(best, rel=1e-6, abs=1e-6)
    assert sol.gap is not None and sol.gap <= 1e-4
    assert sol.row_duals is None  # no LP duals for a MIP


def test_duals_match_highs_on_a_max_problem() -> None:
    m = optmodel.Model()
    x = m.var(2, lb=0)
    cap = m.add(x.sum() <= 1)
    m.maximize(x @ [1, 2])
    sol = m.solve("scip")
    assert sol.status is Status.OPTIMAL
    assert sol.dual(cap) == pytest.approx(m.solve("highs").dual(cap)) == pytest.approx(2.0)


def test_infeasible_and_unbounded() -> None:
    m = optmodel.Model()
    x = m.var(lb=0)
    m.add(x <= -1)
    m.minimize(x)
    assert m.solve("scip").status in (Status.INFEASIBLE, Status.INFEASIBLE_OR_UNBOUNDED)
    u = optmodel.Model()
    y = u.var(lb=0)
    u.maximize(y)
    assert u.solve("scip").status in (Status.UNBOUNDED, Status.INFEASIBLE_OR_UNBOUNDED)


def test_time_limit_keeps_incumbent() -> None:
    rng = np.random.default_rng(0)
    n = 60
    w, v = rng.integers(20, 60, n), rng.integers(20, 60, n)
    m = optmodel.Model()
    x = m.var(n, binary=True)
    m.add(x @ w <= w.sum() // 2)
    m.add(x @ rng.integers(20, 60, n) <= w.sum() // 2)
    m.maximize(x @ v)
    sol = m.solve("scip", time_limit=0.0)
    assert sol.termination in (Termination.TIME_LIMIT, Termination.OPTIMAL)
    if sol.termination is Termination.TIME_LIMIT and sol.x is not None:
        assert sol.status is Status.TIME_LIMIT and sol.verification.passed


def test_mip_start_is_used() -> None:
    m = optmodel.Model()
    x = m.var(4, binary=True)
    m.add(x @ [3, 4, 5, 6] <= 10)
    m.maximize(x @ [4, 5, 7, 8])
    start = np.array([0.0, 1.0, 0.0, 1.0])  # feasible, value 13
    # Stop at the first solution: it must be ours.
    sol = m.solve("scip", warm_start=start, solver_options={"limits/solutions": 1, "presolving/maxrounds": 0})
    assert sol.objective == pytest.approx(13.0)
    assert sol.status is Status.FEASIBLE
    assert m.solve("scip").objective == pytest.approx(13.0)  # also the optimum


def test_verbose_log_goes_to_stderr(capfd) -> None:
    m = optmodel.Model()
    x = m.var(3, integer=True, lb=0, ub=5)
    m.add(x.sum() <= 7)
    m.maximize(x @ [1, 2, 3])
    sol = m.solve("scip", verbose=True)
    out, err = capfd.readouterr()
    assert sol.objective == pytest.approx(19.0)
    assert "SCIP" in err and "SCIP" not in out
    m.solve("scip")
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_listed_with_lazy_capability() -> None:
    from optmodel.dispatch import get_backend

    b = get_backend("scip")
    assert optmodel.Capability.LAZY in b.capabilities
    assert b.version()
