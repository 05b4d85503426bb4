"""The Pyomo backend against known optima (Netlib, MIPLIB), HiGHS's duals, and networkx."""

import importlib.util
import shutil
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
from conftest import data_path, optima

import optmodel as om
from optmodel.backends.pyomo import Pyomo
from optmodel.errors import CapabilityError
from optmodel.graphs import grid_graph
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
def test_presolve_off_retry_tells_unbounded(sub: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """When HiGHS's presolve answers "infeasible or unbounded", the retry without presolve
    (options passed through to the solver) must tell which."""
    import optmodel.backends.pyomo as backend

    real, calls = backend._run, []

    def first_undecided(spec, built, form, options, presolve):  # type: ignore[no-untyped-def]
        calls.append(presolve)
        run = real(spec, built, form, options, presolve)
        if presolve:
            run.term = om.Termination.INFEASIBLE_OR_UNBOUNDED
        return run

    monkeypatch.setattr(backend, "_run", first_undecided)
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    assert m.solve(f"pyomo:{sub}").status is Status.UNBOUNDED
    assert calls == [True, False]


def test_solver_options_reach_appsi() -> None:
    sol = om.read(str(data_path("netlib", "afiro.mps"))).solve(
        "pyomo:appsi_highs", solver_options={"simplex_iteration_limit": 1}
    )
    assert sol.status is Status.ITERATION_LIMIT
