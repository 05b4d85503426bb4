"""The Pyomo backend against known optima (Netlib, MIPLIB), HiGHS's duals, and networkx."""

import importlib.util
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import data_path, optima

import optmodel as om
from optmodel.backends.pyomo import Pyomo
from optmodel.errors import CapabilityError
from optmodel.graphs import grid_graph
from optmodel.problems.mst import build_cut, build_directed, random_graph
from optmodel.problems.shortest_path import build, path_from_flow
from optmodel.solution import Status

pytest.importorskip("pyomo")

NETLIB = sorted(optima("netlib"))
MIPLIB = sorted(optima("miplib"))
SUBS = Pyomo().available_subsolvers()


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "highs", "scip") if s in SUBS])
@pytest.mark.parametrize("name", NETLIB)
def test_netlib_optimum(name: str, sub: str) -> None:
    sol = om.read(str(data_path("netlib", f"{name}.mps"))).solve(f"pyomo:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("netlib")[name]) < 1e-6
    if sub != "scip":  # scip_direct gives no duals; the others pass optmodel's duality-gap check
        assert sol.verification.duality_gap is not None and sol.verification.duality_gap < 1e-6


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "scip") if s in SUBS])
@pytest.mark.parametrize("name", MIPLIB)
def test_miplib_optimum(name: str, sub: str) -> None:
    sol = om.read(str(data_path("miplib", f"{name}.mps"))).solve(f"pyomo:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("miplib")[name]) < 1e-6
    assert sol.bound is not None and _rel(sol.bound, sol.objective) < 1e-4


def test_default_subsolver_is_appsi_highs() -> None:
    sol = om.read(str(data_path("netlib", "afiro.mps"))).solve("pyomo")
    assert sol.backend == "pyomo:appsi_highs"


# sc50b and kb2 have unique duals (simplex, interior point and PDLP agree on them); afiro's
# optimal dual face is not a point, so only solvers with HiGHS underneath must match it exactly.
DUAL_CASES = [(s, n) for s in ("appsi_highs", "highs") if s in SUBS for n in ("sc50b", "kb2")]
DUAL_CASES += [(s, "afiro") for s in ("appsi_highs", "highs") if s in SUBS]


@pytest.mark.parametrize(("sub", "name"), DUAL_CASES)
@pytest.mark.parametrize("maximize", [False, True])
def test_duals_equal_highs(sub: str, name: str, maximize: bool) -> None:
    """Duals and reduced costs equal HiGHS's; as a maximisation (objective negated) too."""
    form = om.read(str(data_path("netlib", f"{name}.mps"))).canonical()
    model, x, rows = om.Model.from_canonical(form)
    if maximize:
        model.maximize(x @ (-form.c))
    ref, sol = model.solve("highs"), model.solve(f"pyomo:{sub}")
    assert sol.status is Status.OPTIMAL
    scale = 1e-6 * max(1.0, float(np.abs(ref.row_duals).max()))
    np.testing.assert_allclose(sol.dual(rows), ref.dual(rows), atol=scale)
    np.testing.assert_allclose(sol.reduced_cost(x), ref.reduced_cost(x), atol=scale)


def test_ranged_row_dual() -> None:
    """max x0 + x1, 1 <= x0 + x1 <= 3, x0 <= 0.5: the range's upper bound is active, dual +1."""
    m = om.Model()
    x = m.var(2, lb=0)
    rng = m.add(x.sum().between(1, 3))
    cap = m.add(x[0] <= 0.5)
    m.maximize(x.sum())
    sol = m.solve("pyomo")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(3)
    assert sol.dual(rng) == pytest.approx(1) and sol.dual(cap) == pytest.approx(0)


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "highs", "scip") if s in SUBS])
def test_infeasible_and_unbounded(sub: str) -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() <= -1)
    m.minimize(x.sum())
    assert m.solve(f"pyomo:{sub}").status is Status.INFEASIBLE
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    assert m.solve(f"pyomo:{sub}").status is Status.UNBOUNDED
    m = om.Model()
    x = m.var(2, lb=0, integer=True)
    m.add(x.sum() <= -1)
    m.minimize(x.sum())
    assert m.solve(f"pyomo:{sub}").status is Status.INFEASIBLE


def test_empty_row_outside_bounds_is_infeasible() -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(0 * x.sum() >= 1)
    m.minimize(x.sum())
    sol = m.solve("pyomo")
    assert sol.status is Status.INFEASIBLE and "no variables" in sol.message


def test_shortest_path_matches_networkx() -> None:
    g = grid_graph(8)
    model, x, _ = build(g, 0, 63)
    sol = model.solve("pyomo")
    graph = g.to_networkx()
    ref = nx.shortest_path_length(graph, g.ids[0].item(), g.ids[63].item(), weight="weight")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(ref)
    path = [g.ids[v].item() for v in path_from_flow(g, sol[x], 0, 63)]
    assert nx.path_weight(graph, path, weight="weight") == pytest.approx(ref)


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "scip") if s in SUBS])
def test_time_limit(sub: str) -> None:
    sol = om.read(str(data_path("miplib", "bell5.mps"))).solve(f"pyomo:{sub}", time_limit=0.05)
    assert sol.status is Status.TIME_LIMIT
    if sol.has_values:
        assert sol.verification.feasible and sol.objective >= optima("miplib")["bell5"] * (1 - 1e-9)


WARM_MARKERS = {"appsi_highs": "MIP start solution is feasible", "scip": "completesol heuristic"}


def test_warm_start_reaches_the_solver() -> None:
    """One process (real file descriptors) per run: the start is used, and the log goes to
    stderr only, never to stdout."""
    subs = [s for s in WARM_MARKERS if s in SUBS]
    path = data_path("miplib", "egout.mps")
    code = f"import optmodel as om, sys; m = om.read({str(path)!r}); start = m.solve('highs').x\n"
    for sub in subs:
        code += (
            f"s = m.solve('pyomo:{sub}', warm_start=start, verbose=True)\n"
            f"sys.stderr.flush(); sys.stderr.write('\\nEND {sub} ' + s.status.value + '\\n'); sys.stderr.flush()\n"
        )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == ""
    log = run.stderr
    for sub in subs:
        part, _, log = log.partition(f"END {sub} ")
        assert log.startswith("optimal"), (sub, log[:200])
        assert WARM_MARKERS[sub] in part, sub


def test_subsolver_availability_is_honest() -> None:
    subs = set(SUBS)
    assert "appsi_highs" in subs
    assert ("scip" in subs) == (importlib.util.find_spec("pyscipopt") is not None)
    assert ("gurobi" in subs) == (importlib.util.find_spec("gurobipy") is not None)
    assert ("appsi_cbc" in subs) == (shutil.which("cbc") is not None)
    missing = [s for s in Pyomo.subsolvers if s not in subs]
    if missing:
        m = om.Model()
        x = m.var(lb=0)
        m.minimize(x)
        with pytest.raises(CapabilityError, match="unavailable"):
            m.solve(f"pyomo:{missing[0]}")


def test_listing_does_not_import_pyomo() -> None:
    code = (
        "import sys; from optmodel.backends.pyomo import Pyomo; Pyomo().available_subsolvers(); "
        "assert 'pyomo' not in sys.modules, 'pyomo imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "highs") if s in SUBS])
def test_infeasible_or_unbounded_is_decided_by_the_core(sub: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """When HiGHS's presolve answers "infeasible or unbounded", the core's feasibility solve (on a
    fresh adapter, zero objective) tells which; the adapter does no retry of its own."""
    real, runs = Pyomo.run, []

    def first_undecided(self, options):  # type: ignore[no-untyped-def]
        raw = real(self, options)
        runs.append(raw.termination)
        if len(runs) == 1:
            raw.termination, raw.x = om.Termination.INFEASIBLE_OR_UNBOUNDED, None
        return raw

    monkeypatch.setattr(Pyomo, "run", first_undecided)
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    sol = m.solve(f"pyomo:{sub}")
    assert sol.status is Status.UNBOUNDED and sol.certified
    # the feasibility problem, then the ray LP of the certificate (the solver gave no ray)
    assert len(runs) == 3 and runs[1] is om.Termination.OPTIMAL
    assert sol.certificate.kind == "primal_ray" and "ray LP" in sol.certificate.source


def _knapsack(n: int = 60, rows: int = 5, seed: int = 0) -> om.Model:
    """A random multi-dimensional knapsack that HiGHS does not close in 20 s."""
    rng = np.random.default_rng(seed)
    w = rng.integers(20, 60, size=(rows, n))
    m = om.Model("mkp")
    x = m.var(n, binary=True)
    m.add(w @ x <= w.sum(axis=1) // 2)
    m.maximize(x @ (w.sum(axis=0) + rng.integers(0, 10, n)))
    return m


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "highs") if s in SUBS])
def test_ctrl_c_returns_the_incumbent(sub: str) -> None:
    """The first Ctrl-C stops the solve within a second, and HiGHS's incumbent comes back (its
    cancelSolve, reached through the highspy object under Pyomo's interface)."""
    m = _knapsack()
    m.solve(f"pyomo:{sub}", time_limit=0.01)  # Pyomo imported and warm before the clock starts
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    try:
        sol = m.solve(f"pyomo:{sub}", time_limit=30)
    finally:
        timer.cancel()
    assert time.perf_counter() - start - 1.0 < 1.5
    assert sol.status is Status.INTERRUPTED, sol.message
    assert sol.x is not None and sol.verification.feasible and 0 < sol.gap < 1


@pytest.mark.skipif("scip" not in SUBS, reason="pyscipopt is not installed")
def test_ctrl_c_reaches_scip_through_its_own_handler() -> None:
    """scip_direct runs SCIP holding the GIL, so no Python thread runs until it returns; SCIP's own
    Ctrl-C handler stops it, and Pyomo's "interrupted" comes back with the incumbent. (The signal
    comes from another process here: a timer thread in this one could not send it.)"""
    tests = str(Path(__file__).parent)
    code = (
        f"import sys, time; sys.path.insert(0, {tests!r}); from test_backend_pyomo import _knapsack\n"
        "m = _knapsack(); m.solve('pyomo:scip', time_limit=0.01); print('ready', flush=True)\n"
        "sol = m.solve('pyomo:scip', time_limit=30); done = time.time()\n"
        "print(sol.status.value, sol.x is not None and sol.verification.feasible, done, flush=True)\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    time.sleep(1.0)
    sent = time.time()
    proc.send_signal(signal.SIGINT)
    status, feasible, done = proc.communicate(timeout=60)[0].split()
    assert (status, feasible) == ("interrupted", "True")
    assert float(done) - sent < 1.5


@pytest.mark.parametrize("sub", [s for s in ("appsi_highs", "highs") if s in SUBS])
@pytest.mark.parametrize("builder", [build_cut, build_directed])
def test_lazy_rows_are_added_to_the_loaded_model(sub: str, builder) -> None:  # type: ignore[no-untyped-def]
    """Row generation changes the persistent Pyomo model (rows, integrality) instead of reloading it."""
    g = random_graph(30, 4, seed=3)
    ref = builder(g)[0].solve("highs")
    m, _ = builder(g)
    sol = m.solve(f"pyomo:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(ref.objective)
    assert sol.stats["incremental"] is True and sol.stats["rows_added"] >= 1
    assert sol.stats["families_verified"] is True


def test_lp_with_lazy_rows_added_to_the_loaded_model() -> None:
    """An LP whose cut row is added to the loaded model: the same answer as HiGHS's."""
    m = om.Model()
    x = m.var(3, lb=0, ub=10)
    m.add(x.sum() <= 12)
    m.lazy(lambda v: [x[0] + x[1] <= 5] if v[0] + v[1] > 5 + 1e-9 else [], name="pair")
    m.maximize(x @ [3, 2, 1])
    ref = m.solve("highs")
    assert ref.status is Status.OPTIMAL and ref.objective == pytest.approx(22)
    for sub in [s for s in ("appsi_highs", "highs") if s in SUBS]:
        sol = m.solve(f"pyomo:{sub}")
        assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(22), sub
        assert sol.stats["incremental"] is True and sol.stats["rows_added"] == 1
        np.testing.assert_allclose(sol[x], ref[x], atol=1e-9)


def test_solver_options_reach_appsi() -> None:
    sol = om.read(str(data_path("netlib", "afiro.mps"))).solve(
        "pyomo:appsi_highs", solver_options={"simplex_iteration_limit": 1}
    )
    assert sol.status is Status.ITERATION_LIMIT
