"""The SCIP backend: Netlib and MIPLIB optima, LP duals (checked by optmodel's verifier), limits,
MIP starts, the solver log kept off stdout, and the regressions of the adapter port: duals of the
LP as written (symmetry handling, one-variable rows, an optimal start), rows with no finite side,
Ctrl-C, incremental rows and integrality, and SCIP's dual bound and sentinels."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import data_path, optima

import optmodel
from optmodel.backend import SolveOptions
from optmodel.lazy import Rows
from optmodel.solution import Status, Termination

pytest.importorskip("pyscipopt")

from optmodel.backends.scip import Scip, _value

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
    assert m.solve("scip").status is Status.INFEASIBLE
    u = optmodel.Model()
    y = u.var(lb=0)
    u.add(y >= 1)
    u.maximize(y)
    # SCIP may say "infeasible or unbounded": the core decides by the feasibility problem.
    assert u.solve("scip").status is Status.UNBOUNDED


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


# --- regressions of the adapter port ------------------------------------------------------------
def _symmetric_lp() -> tuple[optmodel.Model, list]:
    m = optmodel.Model()
    x = m.var(2, lb=0)
    rows = [m.add(x @ [2, 1] <= 4), m.add(x @ [1, 2] <= 4)]
    m.maximize(x.sum())
    return m, rows


def test_duals_of_the_lp_as_written_not_of_the_symmetry_broken_one() -> None:
    # With symmetry handling on, SCIP adds x0 >= x1 to its LP and reported duals (2/3, 0).
    m, rows = _symmetric_lp()
    sol = m.solve("scip")
    assert sol.status is Status.OPTIMAL and sol.certified
    assert sol.x == pytest.approx([4 / 3, 4 / 3])
    assert [sol.dual(r) for r in rows] == pytest.approx([1 / 3, 1 / 3])
    assert sol.reduced_costs == pytest.approx([0.0, 0.0], abs=1e-9)


def test_an_optimal_warm_start_does_not_give_scips_invalid_marker_as_duals() -> None:
    # An optimal start let SCIP prune its root LP: the duals were -1e99 (SCIP_INVALID).
    m, rows = _symmetric_lp()
    sol = m.solve("scip", warm_start=np.array([4 / 3, 4 / 3]), duals=True)
    assert sol.status is Status.OPTIMAL and sol.certified
    assert [sol.dual(r) for r in rows] == pytest.approx([1 / 3, 1 / 3])


def test_one_variable_rows_get_their_duals() -> None:
    # SCIP turns a one-variable row into a bound even with presolve off; getDualSolVal then gave the
    # column's reduced cost to the row (with the wrong sign where the column's own bound held it).
    m = optmodel.Model()
    x = m.var(3, lb=[1, 0, 0], ub=[3, 10, 10])
    held_by_column = m.add(x[0] <= 1)  # x0 = 1 is held by its lower bound 1 (cost +1)
    scaled = m.add(2 * x[1] >= 3)  # holds x1 at 1.5: dual 2/2 = 1 per unit of the row's side
    flipped = m.add(-3 * x[2] >= -6)  # holds x2 at 2 from above (maximising x2 below)
    m.add(x[1] + x[2] <= 100)
    m.minimize(x[0] + 2 * x[1] - x[2])
    ref, sol = m.solve("highs"), m.solve("scip")
    assert sol.status is Status.OPTIMAL and sol.certified, sol.message
    assert sol.objective == pytest.approx(ref.objective) == pytest.approx(1 + 3 - 2)
    assert sol.dual(held_by_column) == pytest.approx(0.0)
    assert sol.dual(scaled) == pytest.approx(1.0)
    assert sol.dual(flipped) == pytest.approx(1 / 3)
    assert sol.reduced_costs == pytest.approx(ref.reduced_costs)


def test_random_lps_are_certified_like_highs() -> None:
    rng = np.random.default_rng(7)
    for trial in range(40):
        n, rows = int(rng.integers(2, 8)), int(rng.integers(1, 8))
        x0 = rng.integers(-2, 4, n).astype(float)
        lb = np.where(rng.random(n) < 0.3, -np.inf, x0 - rng.integers(0, 3, n))
        ub = np.where(rng.random(n) < 0.3, np.inf, x0 + rng.integers(0, 3, n))
        m = optmodel.Model()
        x = m.var(n, lb=lb, ub=ub)
        A = rng.integers(-3, 4, (rows, n)) * (rng.random((rows, n)) < rng.choice([0.2, 0.5, 0.9]))
        act = A @ x0
        m.add((x @ A.T).between(act - rng.integers(0, 3, rows), act + rng.integers(0, 3, rows)))
        m.add(x @ A[0] == act[0])
        (m.maximize if trial % 2 else m.minimize)(x @ rng.integers(-3, 4, n))
        ref, sol = m.solve("highs"), m.solve("scip")
        assert sol.status is ref.status, (trial, sol.message)
        if ref.status is Status.OPTIMAL:
            assert sol.certified and sol.objective == pytest.approx(ref.objective), (trial, sol.message)


@pytest.mark.parametrize("name", ["sc50b", "kb2"])
def test_unique_netlib_duals_agree_with_highs(name: str) -> None:
    model = optmodel.read(str(data_path("netlib", f"{name}.mps")))
    ref, sol = model.solve("highs"), model.solve("scip")
    assert sol.certified
    scale = 1 + np.abs(ref.row_duals).max()
    np.testing.assert_allclose(sol.row_duals, ref.row_duals, atol=1e-5 * scale)
    np.testing.assert_allclose(sol.reduced_costs, ref.reduced_costs, atol=1e-5 * scale)


def test_rows_with_no_finite_side_raise_nothing() -> None:
    # The core drops them before the adapter; rows added later (row generation) are taken as free.
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=3)
    free = m.add((x.sum()).between(-np.inf, np.inf))
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    sol = m.solve("scip")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(6.0)
    assert sol.dual(free) == 0.0
    b = Scip()
    b.load(m.canonical(), SolveOptions())
    b.run(SolveOptions())
    b.add_rows(Rows(sp.csr_array(np.array([[1.0, 1.0]])), np.array([-np.inf]), np.array([np.inf])))
    raw = b.run(SolveOptions())
    assert raw.termination is Termination.OPTIMAL and raw.objective == pytest.approx(6.0)
    assert raw.row_duals is not None and raw.row_duals.shape == (3,)


@contextlib.contextmanager
def _sigint_after(seconds: float) -> Iterator[dict]:
    """SIGINT to this process after ``seconds``; one that arrives outside the solve is recorded
    (``"stray"``), not raised into pytest."""
    sent: dict = {}

    def fire() -> None:
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, lambda *_: sent.setdefault("stray", True))
    timer = threading.Timer(seconds, fire)
    timer.start()
    try:
        yield sent
    finally:
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)


def _hard_knapsack() -> optmodel.Model:
    rng = np.random.default_rng(1)
    w = rng.integers(10_000, 20_000, size=(25, 400))
    m = optmodel.Model()
    x = m.var(400, binary=True)
    m.add(w @ x <= w.sum(axis=1) // 2)
    m.maximize(rng.integers(1, 1000, size=400) @ x)
    return m


def test_ctrl_c_returns_the_incumbent_within_a_second() -> None:
    m = _hard_knapsack()
    with _sigint_after(2.0) as sent:
        sol = m.solve("scip", time_limit=60)
        waited = time.perf_counter() - sent["at"]
    assert "stray" not in sent
    assert sol.status is Status.INTERRUPTED and sol.termination is Termination.INTERRUPTED, sol.message
    assert waited < 1.0
    assert sol.x is not None and sol.verification.feasible
    # SCIP's dual bound is the bound; the core's gap follows from it.
    assert sol.bound is not None and sol.bound >= sol.objective
    assert sol.gap == pytest.approx((sol.bound - sol.objective) / sol.objective)


def test_ctrl_c_before_scips_solve_starts_is_not_lost() -> None:
    # A Ctrl-C during the model build reaches run() before SCIP solves: interruptSolve alone was
    # forgotten there and the solve ran on to its time limit.
    from optmodel import interrupt
    from optmodel.solving import solve_linear

    m = _hard_knapsack()
    with interrupt.stop_on_interrupt() as stop:
        stop.request()
        start = time.perf_counter()
        sol = solve_linear(m, Scip(), SolveOptions(time_limit=30))
        waited = time.perf_counter() - start
    assert sol.status is Status.INTERRUPTED, sol.message
    assert waited < 1.0


def test_ctrl_c_stops_a_long_simplex_solve() -> None:
    # SCIP looks at interruptSolve's flag only between LPs: SCIPinterruptLP stops SoPlex itself
    # (without it this LP ran on to its time limit).
    rng = np.random.default_rng(0)
    n = 5000
    A = sp.random(n, n, density=8 / n, random_state=1, format="csr")
    A.data = rng.integers(1, 10, A.nnz).astype(float)
    m = optmodel.Model()
    x = m.var(n, lb=0, ub=10)
    m.add(A @ x <= rng.integers(20, 60, n))
    half = A[: n // 2]
    m.add(half @ x >= np.where(np.diff(half.indptr) > 0, 5, 0))
    m.maximize(rng.integers(1, 20, n) @ x)
    with _sigint_after(3.0) as sent:
        sol = m.solve("scip", time_limit=60)
        waited = time.perf_counter() - sent["at"]
    assert "stray" not in sent
    assert sol.status is Status.INTERRUPTED, sol.message
    assert waited < 1.0


def test_rows_and_integrality_change_on_the_loaded_model() -> None:
    m = optmodel.Model()
    x = m.var(3, lb=0, ub=4)
    m.add(x @ [2, 3, 4] <= 11.5)
    m.maximize(x @ [3, 4, 5])
    form = m.canonical()
    b = Scip()
    b.load(form, SolveOptions())
    lp = b.run(SolveOptions())
    assert lp.termination is Termination.OPTIMAL and lp.objective == pytest.approx(50 / 3)
    assert lp.row_duals == pytest.approx([4 / 3])
    b.add_rows(Rows(sp.csr_array(np.array([[1.0, 1.0, 1.0]])), np.array([-np.inf]), np.array([4.5])))
    cut = b.run(SolveOptions())
    assert cut.objective == pytest.approx(16.0)  # x = (2, 2.5, 0), priced by both rows
    assert cut.row_duals == pytest.approx([1.0, 1.0])
    assert cut.reduced_costs == pytest.approx([0.0, 0.0, 0.0], abs=1e-9)
    b.set_integrality(np.array([True, True, True]))
    mip = b.run(SolveOptions())
    assert mip.termination is Termination.OPTIMAL and mip.objective == pytest.approx(15.0)
    assert mip.row_duals is None and mip.bound == pytest.approx(15.0)
    b.set_integrality(np.zeros(3, dtype=bool))  # back to the LP, and its duals
    again = b.run(SolveOptions())
    assert again.objective == pytest.approx(16.0) and again.row_duals == pytest.approx([1.0, 1.0])


def test_scip_sentinels_are_no_numbers() -> None:
    assert _value(1e20) == np.inf and _value(-1e20) == -np.inf
    assert _value(-1e99) is None and _value(1e99) is None and _value(float("nan")) is None
    assert _value(3.5) == 3.5
    m = optmodel.Model()  # infeasible MIP: SCIP's bound is its infinity, never a number
    x = m.var(2, integer=True, lb=0, ub=3)
    m.add(x.sum() >= 7)
    m.add(x[0] - x[1] == 0.5)
    m.minimize(x.sum())
    sol = m.solve("scip")
    assert sol.status is Status.INFEASIBLE
    assert sol.bound is None or sol.bound == np.inf
