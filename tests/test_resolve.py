"""Re-solving a changed model on the loaded solver (optmodel.resolve): after every change the warm
answer equals a from-scratch solve of the same model (and the Netlib optimum to start with), on
every route that declares Capability.RESOLVE; what needs a rebuild says so; HiGHS really starts
from its last basis; a loaded solver never serves another model or backend."""

from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, data_path, optima

import optmodel as om
from optmodel.backend import Adapter, Capability, RawResult
from optmodel.dispatch import backend_classes, get_backend
from optmodel.errors import OptmodelError
from optmodel.model import Model
from optmodel.resolve import FormChange, diff
from optmodel.solution import Status, Termination


def _declared() -> list[str]:
    """Every installed ``backend:subsolver`` that declares RESOLVE (each is tested below)."""
    out = []
    for name, cls in sorted(backend_classes().items()):
        if cls.unavailable_reason():
            continue
        for sub in cls(None).available_subsolvers():
            if Capability.RESOLVE in cls.subsolvers[sub]:
                out.append(f"{name}:{sub}")
    return out


ROUTES = _declared()
LOOSE = {"highs:pdlp": 1e-6, "highs:ipm": 1e-7}  # first-order / interior point: their own tolerance


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


def _cold(m: Model, route: str) -> om.Solution:
    """The same model solved from scratch, on a separate model object (no shared state)."""
    fresh, _, _ = Model.from_canonical(m.canonical())
    return fresh.solve(route)


def _same(warm: om.Solution, cold: om.Solution, route: str) -> None:
    assert warm.stats["resolve"] == "warm", warm.stats["resolve"]
    assert cold.stats["resolve"].startswith("rebuilt")
    assert warm.status is cold.status, (warm.status, cold.status, warm.message)
    if cold.status is Status.OPTIMAL:
        assert warm.verification.passed, warm.verification.problems
        assert _rel(warm.objective, cold.objective) < LOOSE.get(route, 1e-8)


def test_routes_cover_the_adapters_with_update():
    assert {"highs:choose", "scip:scip", "ortools:glop", "ortools:scip", "pyomo:appsi_highs"} <= set(ROUTES)
    assert "ortools:pdlp" not in ROUTES and "ortools:cpsat" not in ROUTES  # MathOpt takes no updates there


@pytest.mark.parametrize("route", ROUTES)
def test_netlib_change_sequence_warm_equals_cold(route: str):
    """sc50a: its Netlib optimum, then column bounds, right-hand sides, the objective, rows
    appended, an infeasible change and its undoing — each warm, each equal to a cold solve."""
    m = om.read(str(data_path("netlib", "sc50a.mps")))
    x, rows = m.variables[0], m.constraints[0]
    first = m.solve(route)
    assert first.status is Status.OPTIMAL
    assert _rel(first.objective, optima("netlib")["sc50a"]) < 1e-6
    assert m._session is not None
    form = m.canonical()
    j = int(np.argmax(first.x))
    upper = np.where(form.row_upper > 0, 0.95 * form.row_upper, form.row_upper)  # capacities tightened
    # x = 0 is feasible throughout (every row holds 0, bounds tighten from above) but step 6.
    steps = [
        lambda s: m.set_bounds(x[j], ub=0.8 * s.x[j]),  # cuts the optimum off
        lambda s: m.set_bounds(rows, ub=upper),
        lambda s: m.set_objective(x @ (form.c * np.linspace(0.5, 1.5, form.num_cols))),
        lambda s: m.add(x[2] + x[3] <= 0.9 * (s.x[2] + s.x[3]), name="cap"),
        lambda s: m.add(x[10:20].sum() <= 0.5 * s.x[10:20].sum(), name="cap2"),
        lambda s: m.set_bounds(x[j], lb=1e6, ub=1e6 + 1),  # infeasible
        lambda s: m.set_bounds(x[j], lb=0.0, ub=np.inf),  # feasible again
    ]
    statuses = []
    last = first
    for step in steps:
        step(last)
        warm = m.solve(route)
        _same(warm, _cold(m, route), route)
        statuses.append(warm.status)
        last = warm if warm.has_values else last
        assert m._session is not None  # optimal and infeasible both keep the loaded solver
    assert statuses == [Status.OPTIMAL] * 5 + [Status.INFEASIBLE, Status.OPTIMAL]


@pytest.mark.parametrize("route", ROUTES)
def test_small_lp_sense_offset_and_costs(route: str):
    """A hand-checkable LP: max 3a + 2b + c st a + 2b + c <= 14, a - b >= -2, 0 <= . <= 10."""
    m = Model()
    x = m.var(3, lb=0, ub=10, name="x")
    cap = m.add(x[0] + 2 * x[1] + x[2] <= 14, name="cap")
    m.add(x[0] - x[1] >= -2)
    m.maximize(3 * x[0] + 2 * x[1] + x[2])
    assert m.solve(route).objective == pytest.approx(34.0)  # a=10, c=4
    m.set_bounds(x[0], ub=4)
    assert m.solve(route).objective == pytest.approx(22.0)  # a=4, b=0, c=10 (b costs two of c)
    m.set_objective(3 * x[0] + 2 * x[1] + x[2] + 5)  # an offset
    assert m.solve(route).objective == pytest.approx(27.0)
    m.set_objective(x[0] + x[1] + x[2] + 1, sense="minimize")  # sense and all costs
    sol = m.solve(route)
    assert sol.stats["resolve"] == "warm"
    assert sol.objective == pytest.approx(1.0)
    m.set_bounds(cap, lb=6)
    sol = m.solve(route)
    assert sol.stats["resolve"] == "warm"
    # min x0 + x1 + x2 with x0 + 2 x1 + x2 >= 6, x0 >= x1 - 2: both rows tight, x1 = 8/3, x0 = 2/3
    assert sol.objective == pytest.approx(1.0 + 10.0 / 3.0)
    _same(sol, _cold(m, route), route)


@pytest.mark.parametrize("route", ["highs", "scip", "ortools:scip", "pyomo:appsi_highs"])
def test_mip_bound_changes(route: str):
    """A knapsack whose item bounds change: warm equals cold, and the hand optimum."""
    try:
        get_backend(route)
    except OptmodelError as e:
        pytest.skip(str(e))
    m = Model()
    x = m.binary_var(4, name="x")
    m.add(x @ [5, 4, 3, 2] <= 9)
    m.maximize(x @ [10, 7, 5, 3])
    assert m.solve(route).objective == pytest.approx(17.0)  # items 0 and 1
    m.set_bounds(x[0], ub=0)
    sol = m.solve(route)
    assert sol.objective == pytest.approx(15.0)  # items 1, 2, 3
    if route == "ortools:scip":  # MathOpt's SCIP takes no bound changes of binaries: rebuilt
        assert sol.stats["resolve"] == "rebuilt: ortools:scip does not change the bounds of binary variables"
        return
    _same(sol, _cold(m, route), route)
    m.set_objective(x @ [10, 7, 5, 30])
    sol = m.solve(route)
    assert sol.objective == pytest.approx(42.0)  # items 1, 2 and 3 still fit (4 + 3 + 2 = 9)
    _same(sol, _cold(m, route), route)


def test_highs_warm_start_saves_simplex_iterations():
    """A 10% cut of a basic variable's value on share2b: HiGHS restarts from its basis."""
    m = om.read(str(data_path("netlib", "share2b.mps")))
    x = m.variables[0]
    first = m.solve("highs:simplex")
    assert _rel(first.objective, optima("netlib")["share2b"]) < 1e-6
    form = m.canonical()
    inner = np.flatnonzero((first.x > form.col_lower + 1e-6) & (first.x < form.col_upper - 1e-6))
    j = int(inner[np.argmax(first.x[inner])])
    m.set_bounds(x[j], ub=0.9 * first.x[j])
    warm = m.solve("highs:simplex")
    cold = m.solve("highs:simplex", resolve=False)
    assert warm.stats["resolve"] == "warm" and cold.stats["resolve"] == "rebuilt: resolve=False"
    assert warm.objective == pytest.approx(cold.objective, rel=1e-9)
    assert warm.certified and cold.certified
    assert warm.stats["simplex_iterations"] < cold.stats["simplex_iterations"] / 2


def test_resolve_false_leaves_the_session():
    m = om.read(str(data_path("netlib", "afiro.mps")))
    m.solve("highs")
    session = m._session
    m.set_bounds(m.variables[0][0], ub=50)
    assert m.solve("highs", resolve=False).stats["resolve"] == "rebuilt: resolve=False"
    assert m._session is session
    assert m.solve("highs").stats["resolve"] == "warm"


def _stats_after(m: Model, route: str = "highs", **options) -> str:
    return m.solve(route, **options).stats["resolve"]


def _lp() -> tuple[Model, om.Var, om.Constraint]:
    m = Model()
    x = m.var(3, lb=0, ub=4, name="x")
    con = m.add(x.sum() >= 2, name="sum")
    m.add(x[0] - x[2] <= 3, name="spread")
    m.minimize(x @ [1.0, 2.0, 3.0])
    m.solve("highs")
    return m, x, con


def test_changes_that_need_a_rebuild_say_so():
    m, x, con = _lp()
    m.var(2, lb=0, ub=1, name="y")
    assert _stats_after(m) == "rebuilt: the model has new variables"
    m, x, con = _lp()
    m.set_objective(om.sum_squares(x) + x @ [1.0, 2.0, 3.0])
    assert _stats_after(m) == "rebuilt: the quadratic objective changed"
    m.set_objective(2 * om.sum_squares(x) + x @ [1.0, 2.0, 3.0])
    assert _stats_after(m) == "rebuilt: the quadratic objective changed"
    m.set_objective(2 * om.sum_squares(x) + x @ [3.0, 2.0, 1.0])  # same Q, new costs: HiGHS takes it
    sol = m.solve("highs")
    assert sol.stats["resolve"] == "warm"
    assert sol.objective == pytest.approx(_cold(m, "highs").objective, rel=1e-8)
    m, x, con = _lp()
    assert _stats_after(m, mip_gap=0.01) == "rebuilt: the solver options changed"
    assert _stats_after(m, mip_gap=0.01) == "warm"
    assert _stats_after(m, mip_gap=0.01, warm_start=np.zeros(3)).startswith("rebuilt: a start point was given")
    m, x, con = _lp()
    m.set_bounds(con, lb=-np.inf)  # the row becomes free: the core drops it
    assert _stats_after(m) == "rebuilt: rows became free or stopped being free"
    m.set_bounds(con, lb=1)
    assert _stats_after(m) == "rebuilt: rows became free or stopped being free"
    m, x, con = _lp()
    m.sos1(x)
    assert _stats_after(m).startswith("rebuilt: ")


def test_other_changes_of_the_form_are_refused_by_diff():
    m, _x, _con = _lp()
    old = m.canonical()
    rows = np.arange(old.num_rows)
    new = dataclasses.replace(old, integrality=np.array([True, False, False]))
    assert diff(old, new, rows, rows, old.num_rows) == "integrality changed"
    new = dataclasses.replace(old, A=old.A * 2.0)
    assert diff(old, new, rows, rows, old.num_rows) == "the constraint matrix changed"
    change = diff(old, old, rows, rows, old.num_rows)
    assert isinstance(change, FormChange) and change.empty


def test_rows_appended_are_a_warm_change_with_the_new_rows_only():
    m, x, _con = _lp()
    m.add(x[0] + x[1] <= 1, name="pair")
    sol = m.solve("highs")
    assert sol.stats["resolve"] == "warm"
    assert sol.stats["resolve_changes"]["rows_added"] == 1
    assert sol.objective == pytest.approx(4.0)  # x0 = 1, x2 = 1 (x1 = 1 instead of x0 costs more)
    assert len(sol.row_duals) == 3 and sol.certified


def test_session_never_serves_another_model_or_backend():
    a, xa, _ = _lp()
    b, xb, _ = _lp()
    a.set_bounds(xa[0], ub=0)
    b.set_bounds(xb[1], ub=0)
    sa, sb = a.solve("highs"), b.solve("highs")
    assert sa.stats["resolve"] == sb.stats["resolve"] == "warm"
    assert sa.objective == pytest.approx(4.0) and sb.objective == pytest.approx(2.0)
    assert a._session.adapter is not b._session.adapter
    assert _stats_after(a, "scip") == "rebuilt: the last solve used highs:choose"
    assert _stats_after(a, "highs") == "rebuilt: the last solve used scip:scip"
    assert _stats_after(a, "highs:simplex") == "rebuilt: the last solve used highs:choose"
    twin = copy.copy(a)  # a shallow copy shares the attribute, not the loaded solver
    twin._canonical = None
    assert _stats_after(twin, "highs:simplex") == "rebuilt: the loaded solver belongs to another model"
    a.set_bounds(xa[0], ub=4)
    sol = a.solve("highs:simplex")
    assert sol.stats["resolve"] == "warm" and sol.objective == pytest.approx(2.0)


def test_session_dropped_after_an_error_and_an_interrupt(monkeypatch):
    m, _x, _con = _lp()
    assert m._session is not None
    adapter_type = type(m._session.adapter)

    def broken(self, options):
        raise OptmodelError("the solver broke")

    with monkeypatch.context() as patch:
        patch.setattr(adapter_type, "run", broken)
        with pytest.raises(OptmodelError):
            m.solve("highs")
    assert m._session is None
    assert _stats_after(m).startswith("rebuilt: no solver loaded")
    with monkeypatch.context() as patch:
        patch.setattr(adapter_type, "run", lambda self, options: RawResult(Termination.INTERRUPTED))
        assert m.solve("highs").status is Status.INTERRUPTED
    assert m._session is None
    assert _stats_after(m).startswith("rebuilt: no solver loaded")


def test_failed_update_loads_afresh(monkeypatch):
    m, x, _con = _lp()
    monkeypatch.setattr(type(m._session.adapter), "update", lambda self, change: "no thanks")
    m.set_bounds(x[0], ub=0)
    sol = m.solve("highs")
    assert sol.stats["resolve"] == "rebuilt: no thanks"
    assert sol.objective == pytest.approx(2.0 * 2)


def test_iis_after_a_warm_solve_reads_the_loaded_model():
    m, _x, con = _lp()
    m.set_bounds(con, lb=20)  # three columns of at most 4 cannot sum to 20
    sol = m.solve("highs", iis=True)
    assert sol.stats["resolve"] == "warm"
    assert sol.status is Status.INFEASIBLE
    assert sol.iis and any("sum" in name for name in sol.iis)


def test_benchmark_script_tiny(tmp_path):
    out = tmp_path / "resolve.json"
    done = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "resolve.py"), "--models", "afiro", "--changes", "4",
         "--repeat", "1", "--backends", "highs,scip", "--mst-sizes", "30", "--json", str(out)],
        capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(out.read_text())
    assert result["bounds"] and all(r["agrees"] for r in result["bounds"])
    assert {r["backend"] for r in result["bounds"]} == {"highs", "scip"}
    assert result["rowgen"] and all(r["agrees"] for r in result["rowgen"])


def test_get_backend_routes_have_update():
    for route in ROUTES:
        backend = get_backend(route)
        assert type(backend).update is not Adapter.update, route
