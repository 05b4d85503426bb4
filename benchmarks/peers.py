"""optmodel side by side with raw highspy, PyOptInterface and linopy: model build and hand-over to HiGHS.

    python benchmarks/peers.py [--models facility,grid] [--sizes facility:10,25,50,100 grid:36,112,354,1000]
        [--tools raw,raw_thread,optmodel,poi,linopy] [--repeat 3] [--poi-max-nnz 8000000]
        [--check-sizes 2] [--out benchmarks/results/peers] [--auto] [--auto-side 500] [--backends]
        [--startup]

Two models, each at sizes from ~10k to ~8M nonzeros, stated in four tools that all hand the same
model to HiGHS (same rows up to order, same columns in the same order, same bounds, costs and
integrality -- checked, see ``--check-sizes``):

* ``facility``: PyOptInterface's facility-location benchmark (from JuMP's paper) without its
  second-order cone constraint, a MIP solved with HiGHS's time limit 0: build and hand-over only;
* ``grid``: the shortest-path flow LP on a side x side grid (arcs both ways, integer weights
  1..100, seed 0), from the centre vertex to the vertex ``offset`` rows and columns away; solved.

Every run is a fresh process (``peers.py child TOOL MODEL SIZE``); its phases, timed inside it:
``build`` from the first statement of the model until the model is inside HiGHS; ``solve`` the
wall time of HiGHS's run call; ``after`` the rest, until the primal values (and for LPs the duals)
are numpy arrays -- optmodel's independent verification included; ``total`` all of them;
``import`` the tool's imports; ``process`` the whole process as the parent saw it; ``rss`` the
child's peak resident memory (``ru_maxrss`` from ``wait4``). Rounds alternate the tools so that
load on the shared machine hits all of them alike; the tables show medians.

``raw`` is what a competent numpy user writes by hand: the CSR arrays computed with numpy (the
grid's through scipy's COO->CSR) and one ``Highs.passModel`` call, row-wise, int32 indices.
``raw_thread`` is the same solved by highspy's own Ctrl-C-safe ``solve()``, which runs HiGHS in a
thread of its own, as optmodel and linopy do: its memory is the fair reference for theirs (glibc
gives the solver thread its own heap, which cannot reuse what the main thread freed).

``--auto`` adds ``python -m optmodel solve shortest-path --backend auto`` on a DIMACS grid file
against a hand-written scipy Dijkstra script that reads the file with ``np.loadtxt`` (whole
processes). ``--backends`` times facility-50 through optmodel's OR-Tools, SCIP, CVXPY and Pyomo
routes against each solver's own fastest bulk API. ``--startup`` times ``import optmodel`` (in the
process) and ``python -m optmodel --help`` (the whole process) against a bare interpreter and
``import numpy``.

Children run with Python's bytecode cache (``PYTHONDONTWRITEBYTECODE`` removed), as an installed
package runs: without it every start-up would compile optmodel's modules again.
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
TOOLS = ("raw", "raw_thread", "optmodel", "poi", "linopy")
MODELS = ("facility", "grid")
DEFAULT_SIZES = {"facility": [10, 25, 50, 100], "grid": [36, 112, 354, 1000]}
BIG_M = 2 * 1.414  # the facility benchmark's big-M
GRID_OFFSET = 25


# --- the models' data, shared by every tool (not timed) ------------------------------------------
def facility_dims(n: int) -> tuple[int, int, int]:
    """(G1, F, K): grid points per side, facilities, customer-facility pairs."""
    g1, f = n + 1, n
    return g1, f, g1 * g1 * f


def facility_nnz(n: int) -> int:
    return 8 * facility_dims(n)[2]


def grid_data(side: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """optmodel's ``grid_graph`` (arcs both ways between neighbours, integer weights 1..100) as
    arrays; the source is the centre vertex and the target ``offset`` rows and columns away."""
    from optmodel.graphs import grid_graph

    graph = grid_graph(side, seed)
    centre = side // 2
    d = max(1, min(GRID_OFFSET, side - 1 - centre))
    return graph.tail, graph.head, graph.weight, centre * side + centre, (centre + d) * side + centre + d


def grid_nnz(side: int) -> int:
    return 8 * side * (side - 1)


def nnz_of(model: str, size: int) -> int:
    return facility_nnz(size) if model == "facility" else grid_nnz(size)


# --- raw highspy ----------------------------------------------------------------------------------
def raw_facility(n: int, h: Any) -> None:
    """The facility rows as CSR arrays computed with numpy, passed in one call, row-wise."""
    import highspy

    g1, f, k = facility_dims(n)
    y0, s0, z0, r0 = 0, 2 * f, 2 * f + k, 2 * f + 2 * k
    d = 2 * f + 4 * k
    ncol = d + 1
    inf = highspy.kHighsInf
    lower = np.zeros(ncol)
    upper = np.full(ncol, inf)
    upper[y0:s0] = 1.0
    upper[z0:r0] = 1.0
    lower[r0:] = -inf
    cost = np.zeros(ncol)
    cost[d] = 1.0
    integrality = np.zeros(ncol, dtype=np.int32)
    integrality[z0:r0] = 1
    pairs = np.arange(k, dtype=np.int32)
    fac = pairs % f
    # rows: sum_f z = 1 (one per grid point); s - d + M z = M; r[.,0] + y[f,0] = i/G; r[.,1] + y[f,1] = j/G
    assign = (z0 + pairs).astype(np.int32)
    link = np.empty((k, 3), dtype=np.int32)
    link[:, 0], link[:, 1], link[:, 2] = s0 + pairs, z0 + pairs, d
    link_val = np.empty((k, 3))
    link_val[:, 0], link_val[:, 1], link_val[:, 2] = 1.0, BIG_M, -1.0
    coords = []
    for axis in (0, 1):
        idx = np.empty((k, 2), dtype=np.int32)
        idx[:, 0], idx[:, 1] = y0 + 2 * fac + axis, r0 + 2 * pairs + axis
        coords.append(idx)
    index = np.concatenate([assign, link.ravel(), coords[0].ravel(), coords[1].ravel()])
    value = np.concatenate([np.ones(k), link_val.ravel(), np.ones(4 * k)])
    counts = np.concatenate([np.full(g1 * g1, f), np.full(k, 3), np.full(2 * k, 2)])
    start = np.zeros(counts.size + 1, dtype=np.int32)
    np.cumsum(counts, out=start[1:])
    grid = np.arange(g1, dtype=float) / n
    point = pairs // f
    rhs = np.concatenate([np.ones(g1 * g1), np.full(k, BIG_M), grid[point // g1], grid[point % g1]])
    h.passModel(ncol, rhs.size, index.size, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize),
                0.0, cost, lower, upper, rhs, rhs, start, index, value, integrality)


def raw_grid(side: int, h: Any, data: tuple) -> None:
    """The incidence matrix through scipy's COO->CSR, the target's row dropped, one passModel call."""
    import highspy
    import scipy.sparse as sp

    tail, head, weight, s, t = data
    nv, m = side * side, tail.size
    arcs = np.arange(m)
    rows = np.r_[tail, head]
    keep = rows != t
    rows = rows[keep] - (rows[keep] > t)
    A = sp.csr_array((np.r_[np.ones(m), -np.ones(m)][keep], (rows, np.r_[arcs, arcs][keep])), shape=(nv - 1, m))
    b = np.zeros(nv - 1)
    b[s - (s > t)] = 1.0
    h.passModel(m, nv - 1, A.nnz, int(highspy.MatrixFormat.kRowwise), int(highspy.ObjSense.kMinimize), 0.0,
                weight, np.zeros(m), np.full(m, highspy.kHighsInf), b, b,
                A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data, np.zeros(m, dtype=np.int32))


def run_raw(model: str, size: int, check: str | None, thread: bool = False) -> dict:
    """Raw highspy; ``thread``: solved the way highspy makes Ctrl-C work (``solve()`` with
    ``HandleKeyboardInterrupt``: HiGHS runs in a thread of its own, as it does in optmodel and linopy)."""
    import highspy

    data = grid_data(size) if model == "grid" else None  # the graph is given, not timed
    cpu, start = time.process_time(), time.perf_counter()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    if model == "facility":
        h.setOptionValue("time_limit", 0.0)
        raw_facility(size, h)
    else:
        raw_grid(size, h, data)
    built = time.perf_counter()
    build_cpu = time.process_time() - cpu
    _dump(h, check)
    if thread:
        h.HandleKeyboardInterrupt = True
        h.solve()
    else:
        h.run()
    ran = time.perf_counter()
    info = h.getInfo()
    out: dict[str, Any] = {"status": h.modelStatusToString(h.getModelStatus())}
    if info.primal_solution_status == 2:
        sol = h.getSolution()
        x = np.asarray(sol.col_value, dtype=float)
        out["objective"] = float(info.objective_function_value)
        if sol.dual_valid:
            y = np.asarray(sol.row_dual, dtype=float)
            z = np.asarray(sol.col_dual, dtype=float)
            out["duals"] = int(y.size + z.size)
        out["values"] = int(x.size)
    done = time.perf_counter()
    out["build_cpu_s"] = build_cpu
    return _phases(out, start, built, ran, done, ran - built, h)


# --- optmodel -------------------------------------------------------------------------------------
def om_facility(n: int) -> tuple[Any, Any]:
    import optmodel as om

    g1, f, _k = facility_dims(n)
    m = om.Model("facility")
    y = m.var((f, 2), lb=0, ub=1, name="y")
    s = m.var((g1, g1, f), lb=0, name="s")
    z = m.var((g1, g1, f), binary=True, name="z")
    r = m.var((g1, g1, f, 2), name="r")
    d = m.var(name="d")
    m.minimize(d)
    grid = np.arange(g1) / n
    m.add(z.sum(axis=2) == 1, name="assign")
    m.add(s - d - BIG_M * (1 - z) == 0, name="link")
    m.add(r[..., 0] + y[:, 0] == grid[:, None, None], name="x_offset")
    m.add(r[..., 1] + y[:, 1] == grid[None, :, None], name="y_offset")
    return m, s


def om_grid(side: int, data: tuple) -> tuple[Any, Any]:
    from optmodel.graphs import Graph
    from optmodel.problems.shortest_path import build

    tail, head, weight, s, t = data
    graph = Graph(tail, head, weight, np.arange(1, side * side + 1))
    m, x, _ = build(graph, s, t)
    return m, x


def run_optmodel(model: str, size: int, check: str | None) -> dict:
    from optmodel.backends.highs import Highs

    marks: dict[str, float] = {}
    load = Highs.load

    def timed_load(self: Any, *args: Any, **kwargs: Any) -> None:  # the moment the model is inside HiGHS
        load(self, *args, **kwargs)
        marks["built"], marks["cpu"] = time.perf_counter(), time.process_time()

    Highs.load = timed_load
    data = grid_data(size) if model == "grid" else None
    cpu, start = time.process_time(), time.perf_counter()
    m, x = om_facility(size) if model == "facility" else om_grid(size, data)
    options: dict[str, Any] = {"time_limit": 0.0} if model == "facility" else {}
    sol = m.solve("highs", **options)
    if sol.x is not None:
        sol[x]  # the values of a variable block, as a user reads them
    done = time.perf_counter()
    h = m._session.adapter.h if m._session is not None else None
    _dump(h, check)  # the model HiGHS holds (a solve does not change it)
    out: dict[str, Any] = {"status": sol.status.value, "certified": sol.certified,
                           "build_cpu_s": marks["cpu"] - cpu}
    if sol.x is not None:
        out["objective"] = sol.objective
        out["values"] = int(sol.x.size)
        if sol.row_duals is not None:
            out["duals"] = int(sol.row_duals.size + sol.reduced_costs.size)
    solver_s = float(sol.stats["solver_seconds"])
    return _phases(out, start, marks["built"], marks["built"] + solver_s, done, solver_s, h)


# --- PyOptInterface (HiGHS from highsbox) ---------------------------------------------------------
def poi_facility(n: int, m: Any) -> None:
    """PyOptInterface's own facility benchmark (bench/jump_bench), its cone constraint left out."""
    import pyoptinterface as poi

    g, f = n, n
    y = m.add_variables(range(1, f + 1), range(1, 3), lb=0.0, ub=1.0)
    s = m.add_variables(range(g + 1), range(g + 1), range(1, f + 1), lb=0.0)
    z = m.add_variables(range(g + 1), range(g + 1), range(1, f + 1), domain=poi.VariableDomain.Binary)
    r = m.add_variables(range(g + 1), range(g + 1), range(1, f + 1), range(1, 3))
    d = m.add_variable()
    m.set_objective(d * 1.0)
    for i in range(g + 1):
        for j in range(g + 1):
            m.add_linear_constraint(poi.quicksum(z.select(i, j, "*")), poi.ConstraintSense.Equal, 1.0)
    for i in range(g + 1):
        for j in range(g + 1):
            for fac in range(1, f + 1):
                m.add_linear_constraint(s[i, j, fac] - d - BIG_M * (1 - z[i, j, fac]), poi.ConstraintSense.Equal, 0.0)
                m.add_linear_constraint(r[i, j, fac, 1] - (1.0 * i) / g + y[fac, 1], poi.ConstraintSense.Equal, 0.0)
                m.add_linear_constraint(r[i, j, fac, 2] - (1.0 * j) / g + y[fac, 2], poi.ConstraintSense.Equal, 0.0)
    m.set_model_attribute(poi.ModelAttribute.TimeLimitSec, 0.0)
    return s


def poi_grid(side: int, m: Any, data: tuple) -> Any:
    """Arc variables and PyOptInterface's matrix constraints (add_m_linear_constraints) from scipy."""
    import pyoptinterface as poi
    import scipy.sparse as sp

    tail, head, weight, s, t = data
    nv, na = side * side, tail.size
    x = m.add_m_variables(na, lb=0.0)
    arcs = np.arange(na)
    A = sp.csr_array((np.r_[np.ones(na), -np.ones(na)], (np.r_[tail, head], np.r_[arcs, arcs])), shape=(nv, na))
    keep = np.arange(nv) != t
    b = np.zeros(nv)
    b[s] = 1.0
    m.add_m_linear_constraints(A[keep], x, poi.ConstraintSense.Equal, b[keep])
    m.set_objective(poi.ScalarAffineFunction(weight.tolist(), [v.index for v in x]))
    return x


def run_poi(model: str, size: int, check: str | None) -> dict:
    import pyoptinterface as poi
    from pyoptinterface import highs

    highs.autoload_library()
    data = grid_data(size) if model == "grid" else None
    cpu, start = time.process_time(), time.perf_counter()
    m = highs.Model()
    m.set_model_attribute(poi.ModelAttribute.Silent, True)
    xs = poi_facility(size, m) if model == "facility" else poi_grid(size, m, data)
    built = time.perf_counter()
    build_cpu = time.process_time() - cpu
    if check:
        m.write(check)
    m.optimize()
    ran = time.perf_counter()
    out: dict[str, Any] = {"status": str(m.get_model_attribute(poi.ModelAttribute.TerminationStatus)),
                           "build_cpu_s": build_cpu}
    if m.get_model_attribute(poi.ModelAttribute.PrimalStatus) == poi.ResultStatusCode.FEASIBLE_POINT:
        variables = list(xs.values()) if hasattr(xs, "values") else list(xs)
        values = np.fromiter((m.get_value(v) for v in variables), dtype=float, count=len(variables))
        out["objective"] = float(m.get_model_attribute(poi.ModelAttribute.ObjectiveValue))
        out["values"] = int(values.size)
    done = time.perf_counter()
    out["rows"], out["cols"] = int(m.getnumrow()), int(m.getnumcol())
    return _phases(out, start, built, ran, done, ran - built, None)


# --- linopy ---------------------------------------------------------------------------------------
def linopy_facility(n: int) -> Any:
    import linopy
    import pandas as pd
    import xarray as xr

    g1, f, _k = facility_dims(n)
    i = pd.RangeIndex(g1, name="i")
    j = pd.RangeIndex(g1, name="j")
    fac = pd.RangeIndex(f, name="f")
    dim = pd.RangeIndex(2, name="dim")
    m = linopy.Model()
    y = m.add_variables(lower=0, upper=1, coords=[fac, dim], name="y")
    s = m.add_variables(lower=0, coords=[i, j, fac], name="s")
    z = m.add_variables(coords=[i, j, fac], binary=True, name="z")
    r = m.add_variables(coords=[i, j, fac, dim], name="r")
    d = m.add_variables(name="d")
    m.add_objective(1.0 * d)
    m.add_constraints(z.sum("f") == 1, name="assign")
    m.add_constraints(s - d - BIG_M * (1 - z) == 0, name="link")
    gi = xr.DataArray(np.arange(g1) / n, coords=[i])
    gj = xr.DataArray(np.arange(g1) / n, coords=[j])
    m.add_constraints(r.sel(dim=0) + y.sel(dim=0) == gi, name="x_offset")
    m.add_constraints(r.sel(dim=1) + y.sel(dim=1) == gj, name="y_offset")
    return m, s


def linopy_grid(side: int, data: tuple) -> Any:
    import linopy
    import pandas as pd
    import xarray as xr

    tail, head, weight, s, t = data
    nv, na = side * side, tail.size
    arcs = pd.RangeIndex(na, name="arc")
    m = linopy.Model()
    x = m.add_variables(lower=0, coords=[arcs], name="x")
    # Out-flow minus in-flow per vertex, as linopy users write it: group the arc variables by vertex.
    keep = np.arange(nv) != t
    b = np.zeros(nv)
    b[s] = 1.0
    out_flow = x.groupby(xr.DataArray(tail, coords=[arcs], name="vertex")).sum()
    in_flow = x.groupby(xr.DataArray(head, coords=[arcs], name="vertex")).sum()
    vertices = xr.DataArray(b, coords=[pd.RangeIndex(nv, name="vertex")])
    net = out_flow - in_flow
    m.add_constraints(net.sel(vertex=np.flatnonzero(keep)) == vertices.sel(vertex=np.flatnonzero(keep)),
                      name="balance")
    m.add_objective((xr.DataArray(weight, coords=[arcs]) * x).sum())
    return m, x


def run_linopy(model: str, size: int, check: str | None) -> dict:
    import linopy.solvers as ls

    marks: dict[str, float] = {}
    build_model = ls.Highs._build_solver_model

    def timed_build(*args: Any, **kwargs: Any) -> Any:  # the moment the model is inside HiGHS
        h = build_model(*args, **kwargs)
        marks["built"], marks["cpu"] = time.perf_counter(), time.process_time()
        marks["h"] = h
        if check:
            h.writeModel(check)
        return h

    run_highs = ls._run_highs_with_keyboard_interrupt

    def timed_run(h: Any, *args: Any, **kwargs: Any) -> Any:  # the time inside HiGHS
        started = time.perf_counter()
        try:
            return run_highs(h, *args, **kwargs)
        finally:
            marks["run"] = time.perf_counter() - started

    ls.Highs._build_solver_model = staticmethod(timed_build)
    ls._run_highs_with_keyboard_interrupt = timed_run
    data = grid_data(size) if model == "grid" else None
    cpu, start = time.process_time(), time.perf_counter()
    m, x = linopy_facility(size) if model == "facility" else linopy_grid(size, data)
    options = {"time_limit": 0.0} if model == "facility" else {}
    status, condition = m.solve(solver_name="highs", io_api="direct", output_flag=False, **options)
    values = None
    if status == "ok":
        values = x.solution.values
    done = time.perf_counter()
    h = marks["h"]
    out: dict[str, Any] = {"status": str(condition), "build_cpu_s": marks["cpu"] - cpu}
    if values is not None and m.objective.value is not None and math.isfinite(m.objective.value):
        out["objective"] = float(m.objective.value)
        out["values"] = int(h.getNumCol())
    run_s = marks["run"]
    return _phases(out, start, marks["built"], marks["built"] + run_s, done, run_s, h)


RUNNERS = {"raw": run_raw, "raw_thread": functools.partial(run_raw, thread=True), "optmodel": run_optmodel,
           "poi": run_poi, "linopy": run_linopy}
IMPORTS = {
    "raw": ("highspy", "scipy.sparse"),
    "raw_thread": ("highspy", "scipy.sparse"),
    # optmodel imports scipy.sparse and its solve path when first used; a process pays that once
    "optmodel": ("optmodel", "highspy", "scipy.sparse", "optmodel.dispatch", "optmodel.backends.highs",
                 "optmodel.problems.shortest_path"),
    "poi": ("pyoptinterface", "pyoptinterface.highs", "scipy.sparse"),
    "linopy": ("linopy", "highspy", "scipy.sparse"),
}


def _phases(out: dict, start: float, built: float, ran: float, done: float, solver_s: float, h: Any) -> dict:
    out.update(build_s=built - start, solve_s=solver_s, after_s=done - ran, total_s=done - start)
    if h is not None:
        out["rows"], out["cols"], out["nnz"] = int(h.getNumRow()), int(h.getNumCol()), int(h.getNumNz())
    return out


def _dump(h: Any, path: str | None) -> None:
    if path:
        h.writeModel(path)


def child(tool: str, model: str, size: int, check: str | None) -> None:
    import importlib

    t0 = time.perf_counter()
    for name in IMPORTS[tool]:
        importlib.import_module(name)
    import_s = time.perf_counter() - t0
    row = RUNNERS[tool](model, size, check)
    row["import_s"] = import_s
    print(json.dumps(row))


# --- the same model? -------------------------------------------------------------------------------
def fingerprint(path: str) -> dict:
    """What HiGHS holds, read back from the MPS file a tool's HiGHS wrote: columns in order (costs,
    bounds, integrality) and rows as a multiset (each row's sorted entries and bounds)."""
    import highspy
    import scipy.sparse as sp

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(path)
    lp = h.getLp()
    a = lp.a_matrix_
    shape = (lp.num_row_, lp.num_col_)
    arrays = (np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_))
    if a.format_ == highspy.MatrixFormat.kColwise:
        A = sp.csc_array(arrays, shape=shape).tocsr()
    else:
        A = sp.csr_array(arrays, shape=shape)
    A.sort_indices()
    rl, ru = np.round(np.asarray(lp.row_lower_), 10), np.round(np.asarray(lp.row_upper_), 10)
    # A row's key: its bounds and entries; rows compared as a sorted list of keys (order-free).
    vals = np.round(A.data, 10)
    keys = sorted(
        (rl[i], ru[i], tuple(A.indices[A.indptr[i]:A.indptr[i + 1]].tolist()),
         tuple(vals[A.indptr[i]:A.indptr[i + 1]].tolist()))
        for i in range(shape[0])
    )
    integ = np.asarray([int(v) for v in lp.integrality_]) if len(lp.integrality_) else np.zeros(shape[1], dtype=int)
    return {
        "rows": shape[0], "cols": shape[1], "nnz": int(A.nnz),
        "cost": np.round(np.asarray(lp.col_cost_), 10).tolist(),
        "lower": np.round(np.asarray(lp.col_lower_), 10).tolist(),
        "upper": np.round(np.asarray(lp.col_upper_), 10).tolist(),
        "integer": (integ != 0).astype(int).tolist(),
        "sense": int(lp.sense_), "offset": float(lp.offset_),
        "row_keys": hash(tuple(keys)),
    }


def check_same(models: list[str], sizes: dict[str, list[int]], tools: list[str], count: int) -> list[dict]:
    """Each tool writes the model its HiGHS holds (before solving); all must be the same model."""
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for model in models:
            for size in sizes[model][:count]:
                prints = {}
                for tool in tools:
                    path = str(Path(tmp) / f"{tool}-{model}-{size}.mps")
                    run_child(tool, model, size, check=path)
                    prints[tool] = fingerprint(path)
                base = prints[tools[0]]
                same = {tool: _differences(base, fp) for tool, fp in prints.items()}
                results.append({"model": model, "size": size, "rows": base["rows"], "cols": base["cols"],
                                "nnz": base["nnz"], "differences": same,
                                "same": all(not d for d in same.values())})
                print(f"# check {model}-{size}: {base['rows']} rows, {base['cols']} cols, {base['nnz']} nnz; "
                      + ", ".join(f"{t}: {'same' if not d else d}" for t, d in same.items()), file=sys.stderr)
    return results


def _differences(a: dict, b: dict) -> list[str]:
    return [key for key in a if a[key] != b[key]]


# --- the parent -------------------------------------------------------------------------------------
def run_child(tool: str, model: str, size: int, check: str | None = None, timeout: float | None = None) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "child", tool, model, str(size)]
    if check:
        cmd += ["--check", check]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return {"error": f"timed out after {timeout} s"}
    wall = time.perf_counter() - start
    rusage = getattr(proc, "_rusage", None)
    if proc.returncode != 0:
        return {"error": stderr.strip()[-800:]}
    row = json.loads(stdout.strip().splitlines()[-1])
    row["process_s"] = wall
    row["rss_mb"] = rusage.ru_maxrss / 1024 if rusage is not None else None
    return row


class _Popen(subprocess.Popen):
    """Popen that keeps the child's resource usage (peak memory) from wait4."""

    def _try_wait(self, wait_flags: int):  # type: ignore[override]
        try:
            pid, sts, rusage = os.wait4(self.pid, wait_flags)
        except ChildProcessError:
            return self.pid, 0
        if pid == self.pid:
            self._rusage = rusage
        return pid, sts


subprocess.Popen = _Popen  # type: ignore[misc]  # only this script's children


def machine() -> dict:
    cpu = platform.processor()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    versions = {}
    for name in ("highspy", "pyoptinterface", "highsbox", "linopy", "numpy", "scipy"):
        try:
            from importlib.metadata import version

            versions[name] = version(name)
        except Exception:
            versions[name] = None
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "python": platform.python_version(),
            "platform": platform.platform(), "versions": versions}


def load() -> float:
    return os.getloadavg()[0]


def benchmark(models: list[str], sizes: dict[str, list[int]], tools: list[str], repeat: int,
              poi_max_nnz: int, timeout: float) -> list[dict]:
    runs = []
    for model in models:
        for size in sizes[model]:
            nnz = nnz_of(model, size)
            for r in range(repeat):
                for tool in tools:
                    if tool == "poi" and nnz > poi_max_nnz:
                        continue
                    row = run_child(tool, model, size, timeout=timeout)
                    row.update(tool=tool, model=model, size=size, nominal_nnz=nnz, round=r, load=load())
                    runs.append(row)
                    shown = f"build {row['build_s']:.3f} s total {row['total_s']:.3f} s" if "error" not in row \
                        else row["error"][-200:]
                    print(f"# {model}-{size} ({nnz} nnz) {tool:<8} round {r}: {shown} (load {row['load']:.1f})",
                          file=sys.stderr, flush=True)
    return runs


COLUMNS = ("build_s", "build_cpu_s", "solve_s", "after_s", "total_s", "import_s", "process_s", "rss_mb")


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for key in dict.fromkeys((r["model"], r["size"], r["tool"]) for r in runs):
        mine = [r for r in runs if (r["model"], r["size"], r["tool"]) == key and "error" not in r]
        if not mine:
            continue
        first = mine[0]
        row = {"model": key[0], "size": key[1], "tool": key[2], "repeats": len(mine), "nnz": first.get("nnz"),
               "nominal_nnz": first["nominal_nnz"], "status": first["status"],
               "objective": first.get("objective"), "rows": first.get("rows"), "cols": first.get("cols")}
        for col in COLUMNS:
            vals = [r[col] for r in mine if r.get(col) is not None]
            row[col] = statistics.median(vals) if vals else None
        rows.append(row)
    by_key = {(r["model"], r["size"], r["tool"]): r for r in rows}
    for row in rows:
        threaded = by_key.get((row["model"], row["size"], "raw_thread"))
        if threaded is not None and row.get("rss_mb") and threaded.get("rss_mb"):
            row["rss_thread_ratio"] = row["rss_mb"] / threaded["rss_mb"]
        raw = by_key.get((row["model"], row["size"], "raw"))
        if raw is None:
            continue
        for col in ("build_s", "build_cpu_s", "total_s", "after_s", "rss_mb", "process_s"):
            if row.get(col) and raw.get(col):
                row[col.removesuffix("_s").removesuffix("_mb") + "_ratio"] = row[col] / raw[col]
        if raw.get("objective") is not None and row.get("objective") is not None:
            row["same_objective"] = abs(row["objective"] - raw["objective"]) <= 1e-7 * (1 + abs(raw["objective"]))
        row["same_counts"] = all(row.get(k) == raw.get(k) for k in ("rows", "cols"))
    return rows


def exponents(rows: list[dict]) -> list[dict]:
    """The growth exponent of build time in nonzeros: the slope of a least-squares line in log-log."""
    out = []
    for model, tool in dict.fromkeys((r["model"], r["tool"]) for r in rows):
        pts = [(r["nominal_nnz"], r["build_s"]) for r in rows if (r["model"], r["tool"]) == (model, tool)]
        if len(pts) < 2:
            continue
        x = np.log([p[0] for p in pts])
        y = np.log([p[1] for p in pts])
        slope = float(np.polyfit(x, y, 1)[0])
        out.append({"model": model, "tool": tool, "exponent": slope, "from_nnz": min(p[0] for p in pts),
                    "to_nnz": max(p[0] for p in pts)})
    return out


def plot(rows: list[dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(r["model"] for r in rows))
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.5), squeeze=False)
    for ax, model in zip(axes[0], models):
        for tool in (t for t in TOOLS if t != "raw_thread"):  # its build is raw's
            pts = sorted((r["nominal_nnz"], r["build_s"]) for r in rows if (r["model"], r["tool"]) == (model, tool))
            if pts:
                ax.loglog(*zip(*pts), marker="o", label=tool)
        ax.set_title(f"{model}: build until the model is inside HiGHS")
        ax.set_xlabel("nonzeros")
        ax.set_ylabel("seconds (median)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown(result: dict) -> str:
    m = result["machine"]
    lines = [
        "# optmodel vs raw highspy, PyOptInterface and linopy",
        "",
        f"Command: `{result['command']}`  ",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Python {m['python']}; "
        f"load average {result['load_before']:.1f} before, {result['load_after']:.1f} after "
        f"(per run: {result['load_min']:.1f} to {result['load_max']:.1f}).  ",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()) + ".",
        "",
        "Medians of fresh processes. build: until the model is inside HiGHS; solve: the wall time of HiGHS's run call; "
        "after: extraction (+ optmodel's verification); ratios against raw highspy.",
        "",
        "| model | size | nnz | tool | build s | build cpu s | solve s | after s | total s | rss MB | build/raw "
        "| build cpu/raw | total/raw | rss/raw | rss/raw_thread | import s | process s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]

    def f(v: Any, digits: int = 3) -> str:
        return "" if v is None else f"{v:.{digits}f}"

    for r in result["rows"]:
        lines.append(
            f"| {r['model']} | {r['size']} | {r['nominal_nnz']:,} | {r['tool']} | {f(r['build_s'])} | "
            f"{f(r['build_cpu_s'])} | {f(r['solve_s'])} | {f(r['after_s'])} | {f(r['total_s'])} | "
            f"{f(r['rss_mb'], 0)} | {f(r.get('build_ratio'), 2)} | {f(r.get('build_cpu_ratio'), 2)} | "
            f"{f(r.get('total_ratio'), 2)} | {f(r.get('rss_ratio'), 2)} | {f(r.get('rss_thread_ratio'), 2)} | "
            f"{f(r['import_s'])} | {f(r['process_s'])} |"
        )
    if result["exponents"]:
        lines += ["", "Growth exponent of build time in nonzeros (log-log least squares):", "",
                  "| model | tool | exponent | nnz range |", "|---|---|---|---|"]
        for e in result["exponents"]:
            lines.append(f"| {e['model']} | {e['tool']} | {e['exponent']:.2f} | {e['from_nnz']:,} - {e['to_nnz']:,} |")
    if result.get("check"):
        lines += ["", "Same model in HiGHS (columns in order, rows as a multiset, bounds, costs, integrality):", ""]
        for c in result["check"]:
            verdict = "identical" if c["same"] else f"DIFFERENT: {c['differences']}"
            lines.append(f"- {c['model']}-{c['size']} ({c['rows']} rows, {c['cols']} cols, {c['nnz']} nnz): "
                         f"{verdict}")
    if result.get("auto"):
        a = result["auto"]
        lines += ["", f"`--backend auto` vs a scipy Dijkstra script (np.loadtxt), {a['arcs']:,} arcs, whole "
                  f"processes, median of {a['repeat']}: optmodel {a['median_s']['optmodel auto']:.3f} s, "
                  f"script {a['median_s']['scipy script']:.3f} s, ratio **{a['ratio']:.2f}**, certified "
                  f"{a['certified']}."]
    if result.get("startup"):
        lines += ["", f"Start-up, medians of {result['startup']['repeat']} fresh processes (bytecode cached):", "",
                  "| what | seconds |", "|---|---|"]
        for what, seconds in result["startup"]["median_s"].items():
            lines.append(f"| {what} | {seconds:.3f} |")
    if result.get("backends"):
        lines += ["", "Other backends, facility model: optmodel's route (stated, lowered, handed over) vs the same "
                  "solver's own fastest bulk API fed the arrays, until the model is inside the solver:", "",
                  "| backend | optmodel s | solver API s | ratio | the solver's API |", "|---|---|---|---|---|"]
        for b in result["backends"]:
            note = b["native_api"] + "".join(f"; {k}: {v}" for k, v in b.items() if k.endswith("_error"))
            lines.append(f"| {b['backend']} | {f(b.get('optmodel_s'))} | {f(b.get('native_s'))} | "
                         f"{f(b.get('ratio'), 2)} | {note} |")
    return "\n".join(lines) + "\n"


# --- --backend auto against a hand-written Dijkstra script ------------------------------------------
DIJKSTRA_SCRIPT = """
import sys
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra
path, s, t = sys.argv[1], int(sys.argv[2]) - 1, int(sys.argv[3]) - 1
arcs = np.loadtxt(path, comments=("c", "p"), usecols=(1, 2, 3))
tail, head = arcs[:, 0].astype(np.int64) - 1, arcs[:, 1].astype(np.int64) - 1
n = int(max(tail.max(), head.max())) + 1
dist, pred = dijkstra(sp.csr_array((arcs[:, 2], (tail, head)), shape=(n, n)), indices=s, return_predecessors=True)
route = [t]
while route[-1] != s:
    route.append(pred[route[-1]])
print(dist[t], len(route) - 1)
"""


def auto_vs_dijkstra(side: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tail, head, weight, _s, _t = grid_data(side)
        gr = Path(tmp) / f"grid{side}.gr"
        body = "\n".join(f"a {a} {b} {w}" for a, b, w in zip((tail + 1).tolist(), (head + 1).tolist(),
                                                                weight.astype(np.int64).tolist()))
        gr.write_text(f"p sp {side * side} {tail.size}\n{body}\n")
        script = Path(tmp) / "dijkstra.py"
        script.write_text(DIJKSTRA_SCRIPT)
        target = str(side * side)
        tools = {
            "optmodel auto": [sys.executable, "-m", "optmodel", "solve", "shortest-path", "--graph", str(gr),
                              "--source", "1", "--target", target, "--backend", "auto", "--json"],
            "scipy script": [sys.executable, str(script), str(gr), "1", target],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        outs = {}
        for _ in range(repeat):
            for name, cmd in tools.items():
                start = time.perf_counter()
                done = subprocess.run(cmd, capture_output=True, text=True, check=True)
                times[name].append(time.perf_counter() - start)
                outs[name] = done.stdout
    auto = json.loads(outs["optmodel auto"])
    by_hand = float(outs["scipy script"].split()[0])
    if not (auto["certified"] and abs(auto["objective"] - by_hand) <= 1e-9 * (1 + by_hand)):
        raise RuntimeError(f"auto disagrees with Dijkstra: {auto.get('objective')} vs {by_hand}")
    medians = {name: statistics.median(t) for name, t in times.items()}
    result = {"side": side, "arcs": int(tail.size), "repeat": repeat, "objective": by_hand, "median_s": medians,
              "all_s": times, "ratio": medians["optmodel auto"] / medians["scipy script"],
              "certified": auto["certified"]}
    print(f"# auto vs Dijkstra ({tail.size} arcs): {medians}, ratio {result['ratio']:.2f}", file=sys.stderr)
    return result


# --- start-up --------------------------------------------------------------------------------------
IMPORT_TIMER = "import time; t = time.perf_counter(); import {0}; print(time.perf_counter() - t)"


def startup(repeat: int) -> dict:
    """``import optmodel`` inside a fresh process and ``python -m optmodel --help`` as a whole process,
    next to a bare interpreter and numpy (which ``import optmodel`` includes)."""
    whole = {"python -c pass (whole process)": [sys.executable, "-c", "pass"],
             "python -m optmodel --help (whole process)": [sys.executable, "-m", "optmodel", "--help"]}
    inside = {"import numpy (in the process)": "numpy", "import optmodel (in the process)": "optmodel"}
    for module in inside.values():  # the bytecode cache written once, as an installed package has it
        subprocess.run([sys.executable, "-c", f"import {module}"], check=True)
    times: dict[str, list[float]] = {name: [] for name in [*whole, *inside]}
    for _ in range(repeat):
        for name, cmd in whole.items():
            start = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times[name].append(time.perf_counter() - start)
        for name, module in inside.items():
            done = subprocess.run([sys.executable, "-c", IMPORT_TIMER.format(module)], check=True,
                                  capture_output=True, text=True)
            times[name].append(float(done.stdout))
    medians = {name: statistics.median(t) for name, t in times.items()}
    print(f"# start-up: {medians}", file=sys.stderr, flush=True)
    return {"repeat": repeat, "median_s": medians, "all_s": times}


# --- other backends on facility-50 ---------------------------------------------------------------------
# optmodel's route (the model stated, lowered and handed over by the adapter) against the same
# solver's own fastest bulk API fed the canonical arrays directly (not timed: the arrays are given,
# as raw highspy gets its arrays), each until the model is inside the solver (or, for CVXPY, compiled
# to the solver's data): the time spent before the solver starts working.
BACKENDS = {
    "ortools:scip": "MathOpt ModelProto filled with numpy .extend, then solver.new (GSCIP)",
    "scip": "PySCIPOpt addMatrixVar + addCons(Expr) per row (no bulk row call in its Python API)",
    "cvxpy:highs": "one sparse matrix constraint, Problem.get_problem_data(HIGHS)",
    "pyomo:appsi_highs": "ConcreteModel with a LinearExpression per row, appsi Highs set_instance",
}


def backends_child(backend: str, n: int, route: str) -> dict:
    """One fresh process: facility-``n`` into ``backend``'s solver by optmodel or by the solver's API."""
    import importlib

    from optmodel.dispatch import get_backend

    adapter_cls = type(get_backend(backend))
    for module in adapter_cls.modules:  # the solver's imports are not what is timed
        importlib.import_module(module)
    if backend.startswith("ortools"):
        from ortools.math_opt.core.python import solver as mo_solver
    marks: dict[str, float] = {}
    if route == "optmodel":
        import optmodel.dispatch  # noqa: F401  # optmodel's solve path, imported once per process

        load = adapter_cls.load

        def timed_load(self: Any, *args: Any, **kwargs: Any) -> None:
            load(self, *args, **kwargs)
            marks.setdefault("built", time.perf_counter())

        adapter_cls.load = timed_load
        if backend.startswith("ortools"):  # MathOpt builds its solver from the proto at the first run
            new = mo_solver.new

            def timed_new(*args: Any, **kwargs: Any) -> Any:
                made = new(*args, **kwargs)
                marks["built"] = time.perf_counter()
                return made

            mo_solver.new = timed_new  # overrides the mark that load set
        start = time.perf_counter()
        m, _ = om_facility(n)
        m.solve(backend, time_limit=0.0)
        return {"backend": backend, "route": route, "build_s": marks["built"] - start}
    m, _ = om_facility(n)
    form = m.canonical()
    start = time.perf_counter()
    NATIVE[backend](form)
    return {"backend": backend, "route": route, "build_s": time.perf_counter() - start}


def _native_ortools(form: Any) -> None:
    from ortools.math_opt import model_pb2, parameters_pb2
    from ortools.math_opt.core.python import solver

    p = model_pb2.ModelProto(name="facility")
    p.variables.ids.extend(range(form.num_cols))
    p.variables.lower_bounds.extend(form.col_lower.tolist())
    p.variables.upper_bounds.extend(form.col_upper.tolist())
    p.variables.integers.extend(form.integrality.tolist())
    nz = np.flatnonzero(form.c)
    p.objective.linear_coefficients.ids.extend(nz.tolist())
    p.objective.linear_coefficients.values.extend(form.c[nz].tolist())
    A = form.A
    p.linear_constraints.ids.extend(range(form.num_rows))
    p.linear_constraints.lower_bounds.extend(form.row_lower.tolist())
    p.linear_constraints.upper_bounds.extend(form.row_upper.tolist())
    p.linear_constraint_matrix.row_ids.extend(np.repeat(np.arange(form.num_rows), np.diff(A.indptr)).tolist())
    p.linear_constraint_matrix.column_ids.extend(A.indices.tolist())
    p.linear_constraint_matrix.coefficients.extend(A.data.tolist())
    solver.new(parameters_pb2.SOLVER_TYPE_GSCIP, p, parameters_pb2.SolverInitializerProto())


def _native_scip(form: Any) -> None:
    import pyscipopt
    from pyscipopt.scip import Expr, Term

    model = pyscipopt.Model()
    model.hideOutput()
    vtype = np.where(form.integrality, "B", "C")
    lb = np.where(np.isfinite(form.col_lower), form.col_lower, None)
    ub = np.where(np.isfinite(form.col_upper), form.col_upper, None)
    x = model.addMatrixVar((form.num_cols,), vtype=vtype, lb=lb, ub=ub, obj=form.c)
    terms = [Term(v) for v in x.tolist()]
    A = form.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    rhs = form.row_lower.tolist()
    for i in range(form.num_rows):
        a, b = indptr[i], indptr[i + 1]
        model.addCons(Expr(dict(zip([terms[j] for j in indices[a:b]], data[a:b]))) == rhs[i])


def _native_cvxpy(form: Any) -> None:
    import cvxpy as cp

    ints = form.integrality
    x = cp.Variable(form.num_cols)
    cons = [form.A @ x == form.row_lower, x >= np.where(np.isfinite(form.col_lower), form.col_lower, -1e20),
            x <= np.where(np.isfinite(form.col_upper), form.col_upper, 1e20)]
    z = cp.Variable(int(ints.sum()), boolean=True)
    cons.append(x[np.flatnonzero(ints)] == z)
    cp.Problem(cp.Minimize(form.c @ x), cons).get_problem_data(cp.HIGHS)


def _native_pyomo(form: Any) -> None:
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers import Highs
    from pyomo.core.expr.numeric_expr import LinearExpression

    model = pyo.ConcreteModel()
    n = form.num_cols
    lo = [v if math.isfinite(v) else None for v in form.col_lower.tolist()]
    hi = [v if math.isfinite(v) else None for v in form.col_upper.tolist()]
    model.x = pyo.Var(range(n), bounds=lambda _m, j: (lo[j], hi[j]))
    for j in np.flatnonzero(form.integrality).tolist():
        model.x[j].domain = pyo.Binary
    xs = [model.x[j] for j in range(n)]
    A = form.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    rhs = form.row_lower.tolist()
    model.rows = pyo.ConstraintList()
    for i in range(form.num_rows):
        a, b = indptr[i], indptr[i + 1]
        model.rows.add(LinearExpression(constant=0, linear_coefs=data[a:b],
                                        linear_vars=[xs[j] for j in indices[a:b]]) == rhs[i])
    nz = np.flatnonzero(form.c).tolist()
    model.obj = pyo.Objective(expr=LinearExpression(constant=0, linear_coefs=form.c[nz].tolist(),
                                                    linear_vars=[xs[j] for j in nz]))
    Highs().set_instance(model)


NATIVE = {"ortools:scip": _native_ortools, "scip": _native_scip, "cvxpy:highs": _native_cvxpy,
          "pyomo:appsi_highs": _native_pyomo}


def other_backends(n: int, backends: list[str], repeat: int, timeout: float) -> list[dict]:
    out = []
    for backend in backends:
        row: dict[str, Any] = {"backend": backend, "native_api": BACKENDS.get(backend, "")}
        for route in ("optmodel", "native"):
            times = []
            for _ in range(repeat):
                cmd = [sys.executable, str(Path(__file__).resolve()), "backends-child", backend, str(n), route]
                try:
                    done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
                except subprocess.TimeoutExpired:
                    row[f"{route}_error"] = f"timed out after {timeout} s"
                    break
                if done.returncode != 0:
                    row[f"{route}_error"] = done.stderr.strip().splitlines()[-1][:300] if done.stderr.strip() else "?"
                    break
                times.append(json.loads(done.stdout.strip().splitlines()[-1])["build_s"])
            if times:
                row[f"{route}_s"] = statistics.median(times)
        if row.get("optmodel_s") and row.get("native_s"):
            row["ratio"] = row["optmodel_s"] / row["native_s"]
        out.append(row)
        print(f"# backend {backend}: {row}", file=sys.stderr, flush=True)
    return out


# --- command line -------------------------------------------------------------------------------------
def parse_sizes(specs: list[str] | None, models: list[str]) -> dict[str, list[int]]:
    sizes = {m: list(DEFAULT_SIZES[m]) for m in models}
    for spec in specs or []:
        model, _, values = spec.partition(":")
        if model not in MODELS or not values:
            raise SystemExit(f"--sizes takes MODEL:N,N,... with MODEL in {MODELS}, got {spec!r}")
        sizes[model] = [int(v) for v in values.split(",")]
    return sizes


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "child":
        p = argparse.ArgumentParser()
        p.add_argument("tool", choices=TOOLS)
        p.add_argument("model", choices=MODELS)
        p.add_argument("size", type=int)
        p.add_argument("--check")
        a = p.parse_args(argv[1:])
        child(a.tool, a.model, a.size, a.check)
        return 0
    if argv and argv[0] == "backends-child":
        print(json.dumps(backends_child(argv[1], int(argv[2]), argv[3])))
        return 0
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="facility,grid")
    parser.add_argument("--sizes", nargs="*", help="MODEL:N,N,... (facility: N = G = F; grid: side)")
    parser.add_argument("--tools", default=",".join(TOOLS))
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--poi-max-nnz", type=int, default=8_000_000,
                        help="skip PyOptInterface above this (its facility-100, 8.16M, takes ~10 minutes)")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per run")
    parser.add_argument("--check-sizes", type=int, default=2, help="how many of the smallest sizes to check "
                        "for the same model in every tool (0: none)")
    parser.add_argument("--auto", action="store_true", help="also --backend auto vs a scipy Dijkstra script")
    parser.add_argument("--auto-side", type=int, default=500)
    parser.add_argument("--auto-repeat", type=int, default=5)
    parser.add_argument("--backends", nargs="?", const=",".join(BACKENDS), default=None,
                        help="also facility-N (--backends-size) into these backends' solvers: optmodel vs the "
                        "solver's own bulk API")
    parser.add_argument("--startup", action="store_true", help="also time import optmodel and --help")
    parser.add_argument("--startup-repeat", type=int, default=11)
    parser.add_argument("--backends-size", type=int, default=50)
    parser.add_argument("--backends-repeat", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "results" / "peers"))
    args = parser.parse_args(argv)
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # the children start as an installed package does
    models = [m for m in args.models.split(",") if m]
    tools = [t for t in args.tools.split(",") if t]
    sizes = parse_sizes(args.sizes, models)
    result: dict[str, Any] = {"command": "python benchmarks/peers.py " + " ".join(argv), "machine": machine(),
                              "load_before": load()}
    result["check"] = check_same(models, sizes, tools, args.check_sizes) if args.check_sizes else []
    runs = benchmark(models, sizes, tools, args.repeat, args.poi_max_nnz, args.timeout)
    rows = summarise(runs)
    result.update(rows=rows, exponents=exponents(rows), runs=runs, load_after=load(),
                  load_min=min((r["load"] for r in runs), default=math.nan),
                  load_max=max((r["load"] for r in runs), default=math.nan))
    if args.startup:
        result["startup"] = startup(args.startup_repeat)
    if args.auto:
        result["auto"] = auto_vs_dijkstra(args.auto_side, args.auto_repeat)
    if args.backends:
        result["backends"] = other_backends(args.backends_size, args.backends.split(","), args.backends_repeat,
                                           args.timeout)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(result, indent=1, default=str))
    text = markdown(result)
    (out / "results.md").write_text(text)
    if rows:
        plot(rows, out / "build.png")
    print(text)
    failed = [c for c in result["check"] if not c["same"]]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
