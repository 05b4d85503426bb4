"""Shortest-path LP built and solved by optmodel+HiGHS, a hand-written highspy script, CVXPY and Pyomo.

    python benchmarks/shortest_path.py [--sizes rome99,grid500] [--repeat K] \
        [--tools optmodel,highspy,cvxpy,pyomo] [--json OUT] [--plot OUT.png]

Every tool states the same LP (flow conservation at every vertex but the target, unit supply at
the source, minimise total arc cost) and solves it with HiGHS under default options. In-process
tools get the same parsed graph arrays (parsing is not what is compared); the rounds alternate the
tools (A, B, C, D, A, B, C, D, ...) so that load on the shared machine hits all of them alike.

Per run: ``model`` = stating the model in the tool's API, ``solve`` = HiGHS's own run time
(``Highs.getRunTime``, or optmodel's ``solve_seconds``), ``total`` = wall time from the graph
arrays to the objective value (translation, solution extraction and optmodel's verification
included), ``build`` = total - solve = everything that is not HiGHS working.

The "whole process" part runs ``python -m optmodel solve shortest-path --graph FILE`` against
``python benchmarks/shortest_path.py raw FILE S T`` (the hand-written script: its own minimal
DIMACS parser, a scipy incidence matrix, one ``passModel``), each a fresh interpreter.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("OPTMODEL_DATA", HERE.parent.parent / "shared" / "data"))
TOOLS = ("optmodel", "highspy", "cvxpy", "pyomo")
PROCESS_TOOLS = ("optmodel-cli", "highspy-script")
SLOW_TOOLS = ("pyomo",)  # run only --slow-repeat rounds on graphs above SLOW_ARCS
SLOW_ARCS = 100_000
GRID_OFFSET = 25  # target = centre + (25, 25): corner to corner takes HiGHS hours at 250k rows


# --- the hand-written highspy script -----------------------------------------------------------
def raw_read_dimacs(path: str | Path) -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    """What a script writer would do: keep the 'p' and 'a' lines, let numpy parse the numbers."""
    n = 0
    arcs = []
    with open(path) as f:
        for line in f:
            if line.startswith("a"):
                arcs.append(line[2:])
            elif line.startswith("p"):
                n = int(line.split()[2])
    numbers = np.array(" ".join(arcs).split(), dtype=np.float64).reshape(-1, 3)
    return n, numbers[:, 0].astype(np.int64) - 1, numbers[:, 1].astype(np.int64) - 1, numbers[:, 2].copy()


def raw_solve(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, s: int, t: int) -> dict[str, Any]:
    """The LP as a scipy incidence matrix (target row dropped) passed to HiGHS in one call."""
    import highspy

    start = time.perf_counter()
    m = tail.size
    arcs = np.arange(m)
    rows, cols = np.r_[tail, head], np.r_[arcs, arcs]
    vals = np.r_[np.ones(m), -np.ones(m)]
    keep = rows != t
    rows = rows[keep] - (rows[keep] > t)  # renumber the rows without the target's
    A = sp.csc_array((vals[keep], (rows, cols[keep])), shape=(n - 1, m))
    b = np.zeros(n - 1)
    b[s - (s > t)] = 1.0
    lp = highspy.HighsLp()
    lp.num_col_, lp.num_row_ = m, n - 1
    lp.col_cost_ = weight
    lp.col_lower_ = np.zeros(m)
    lp.col_upper_ = np.full(m, highspy.kHighsInf)
    lp.row_lower_ = lp.row_upper_ = b
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = A.indptr.astype(np.int32)
    lp.a_matrix_.index_ = A.indices.astype(np.int32)
    lp.a_matrix_.value_ = A.data
    model_s = time.perf_counter() - start
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.passModel(lp)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    objective = h.getInfo().objective_function_value
    flow = np.asarray(h.getSolution().col_value)
    total = time.perf_counter() - start
    return _row(objective, status, model_s, h.getRunTime(), total, flow=flow)


def raw_main(argv: list[str]) -> int:
    """``shortest_path.py raw FILE SOURCE TARGET`` (1-based ids): the script as its own process."""
    path, s, t = argv[0], int(argv[1]) - 1, int(argv[2]) - 1
    n, tail, head, weight = raw_read_dimacs(path)
    row = raw_solve(n, tail, head, weight, s, t)
    row.pop("flow", None)
    print(json.dumps(row))
    return 0


# --- the other tools -----------------------------------------------------------------------------
def _row(objective: float | None, status: str, model_s: float, solve_s: float, total_s: float, **extra: Any) -> dict:
    return {
        "objective": objective,
        "status": status,
        "model_s": model_s,
        "solve_s": solve_s,
        "build_s": total_s - solve_s,
        "total_s": total_s,
        **extra,
    }


def run_optmodel(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, s: int, t: int) -> dict:
    from optmodel.graphs import Graph
    from optmodel.problems.shortest_path import build

    start = time.perf_counter()
    graph = Graph(tail, head, weight, np.arange(1, n + 1))
    model, x, _ = build(graph, s, t)
    model_s = time.perf_counter() - start
    sol = model.solve("highs")
    _flow = sol[x]
    total = time.perf_counter() - start
    return _row(sol.objective, sol.status.value, model_s, sol.solve_seconds, total,
                lower_pass_s=sol.build_seconds)


def run_highspy(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, s: int, t: int) -> dict:
    row = raw_solve(n, tail, head, weight, s, t)
    row.pop("flow")
    return row


def run_cvxpy(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, s: int, t: int) -> dict:
    import cvxpy as cp

    start = time.perf_counter()
    m = tail.size
    arcs = np.arange(m)
    A = sp.csr_array((np.r_[np.ones(m), -np.ones(m)], (np.r_[tail, head], np.r_[arcs, arcs])), shape=(n, m))
    keep = np.arange(n) != t
    b = np.zeros(n)
    b[s] = 1.0
    x = cp.Variable(m, nonneg=True)
    problem = cp.Problem(cp.Minimize(weight @ x), [A[keep] @ x == b[keep]])
    model_s = time.perf_counter() - start
    problem.solve(solver=cp.HIGHS)
    objective = problem.value
    _flow = x.value
    total = time.perf_counter() - start
    return _row(float(objective), str(problem.status), model_s, problem.solver_stats.solve_time, total,
                compile_s=problem.compilation_time)


def run_pyomo(n: int, tail: np.ndarray, head: np.ndarray, weight: np.ndarray, s: int, t: int) -> dict:
    """What a Pyomo user writes: sets, a cost Param, per-vertex conservation from adjacency lists."""
    import pyomo.environ as pyo
    from pyomo.contrib.appsi.solvers import Highs

    start = time.perf_counter()
    tails, heads, costs = tail.tolist(), head.tolist(), weight.tolist()
    out_arcs: list[list[int]] = [[] for _ in range(n)]
    in_arcs: list[list[int]] = [[] for _ in range(n)]
    for a, (u, v) in enumerate(zip(tails, heads)):
        out_arcs[u].append(a)
        in_arcs[v].append(a)
    model = pyo.ConcreteModel()
    model.V = pyo.Set(initialize=[v for v in range(n) if v != t])
    model.A = pyo.Set(initialize=range(len(tails)))
    model.cost = pyo.Param(model.A, initialize=dict(enumerate(costs)))
    model.x = pyo.Var(model.A, domain=pyo.NonNegativeReals)

    def balance(mdl: Any, v: int) -> Any:
        net = sum(mdl.x[a] for a in out_arcs[v]) - sum(mdl.x[a] for a in in_arcs[v])
        return net == (1 if v == s else 0)

    model.balance = pyo.Constraint(model.V, rule=balance)
    model.obj = pyo.Objective(expr=sum(model.cost[a] * model.x[a] for a in model.A), sense=pyo.minimize)
    model_s = time.perf_counter() - start
    results = Highs().solve(model)
    objective = results.best_feasible_objective
    total = time.perf_counter() - start
    return _row(objective, str(results.termination_condition.name), model_s, results.wallclock_time, total)


MODULES = {"optmodel": "highspy", "highspy": "highspy", "cvxpy": "cvxpy", "pyomo": "pyomo"}
RUNNERS = {"optmodel": run_optmodel, "highspy": run_highspy, "cvxpy": run_cvxpy, "pyomo": run_pyomo}


# --- whole processes -----------------------------------------------------------------------------
def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_process(tool: str, path: Path, s: int, t: int) -> dict:
    """One fresh interpreter that reads the file, builds, solves and prints the objective."""
    if tool == "optmodel-cli":
        cmd = [sys.executable, "-m", "optmodel", "solve", "shortest-path", "--graph", str(path),
               "--source", str(s + 1), "--target", str(t + 1), "--backend", "highs", "--json"]
    else:
        cmd = [sys.executable, str(Path(__file__).resolve()), "raw", str(path), str(s + 1), str(t + 1)]
    cpu = _child_cpu()
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    cpu = _child_cpu() - cpu
    if done.returncode != 0:
        raise RuntimeError(f"{tool} exited with {done.returncode}: {done.stderr.strip()[-500:]}")
    out = json.loads(done.stdout.strip().splitlines()[-1])
    objective = out.get("cost", out.get("objective"))
    return {"objective": objective, "status": out.get("status", ""), "total_s": wall, "cpu_s": cpu}


# --- sizes ---------------------------------------------------------------------------------------
def load_size(spec: str, workdir: Path) -> dict:
    """``rome99``, ``gridN`` (N x N grid, arcs both ways, ~4N² arcs) or a path to a DIMACS file."""
    from optmodel.graphs import grid_graph, read_graph, write_dimacs

    if spec.startswith("grid") and spec[4:].isdigit():
        side = int(spec[4:])
        graph = grid_graph(side)
        centre = side // 2
        d = max(1, min(GRID_OFFSET, side - 1 - centre))
        s, t = centre * side + centre, (centre + d) * side + centre + d
        path = workdir / f"{spec}.gr"
        write_dimacs(graph, path)
    else:
        path = DATA / "graphs" / f"{spec}.gr" if spec == "rome99" else Path(spec)
        graph = read_graph(path)
        s, t = 0, graph.num_vertices - 1
    return {"name": spec, "path": path, "graph": graph, "s": s, "t": t}


def reference_distance(graph: Any, s: int, t: int) -> float:
    from scipy.sparse.csgraph import dijkstra

    return float(dijkstra(graph.adjacency(), indices=s)[t])


def warm_up(tools: list[str]) -> None:
    """Import every tool and solve a 3x3 grid once, so no tool pays its imports in a timed run."""
    from optmodel.graphs import grid_graph

    g = grid_graph(3)
    for tool in tools:
        RUNNERS[tool](g.num_vertices, g.tail, g.head, g.weight, 0, 8)


def benchmark(sizes: list[str], tools: list[str], repeat: int, slow_repeat: int, process: bool) -> dict:
    warm_up(tools)
    runs: list[dict] = []
    with tempfile.TemporaryDirectory() as tmp:
        for spec in sizes:
            size = load_size(spec, Path(tmp))
            g, s, t = size["graph"], size["s"], size["t"]
            ref = reference_distance(g, s, t)
            info = {"size": spec, "vertices": g.num_vertices, "arcs": g.num_arcs,
                    "source": int(g.ids[s]), "target": int(g.ids[t]), "reference": ref}
            print(f"# {spec}: {g.num_vertices} vertices, {g.num_arcs} arcs, {info['source']} -> "
                  f"{info['target']}, Dijkstra {ref:g}", file=sys.stderr, flush=True)
            for r in range(repeat):
                for tool in tools:
                    if tool in SLOW_TOOLS and g.num_arcs > SLOW_ARCS and r >= slow_repeat:
                        continue
                    cpu = time.process_time()
                    row = RUNNERS[tool](g.num_vertices, g.tail, g.head, g.weight, s, t)
                    row["cpu_s"] = time.process_time() - cpu  # all threads of this process
                    runs.append({**info, "tool": tool, "round": r, **row})
                    print(f"#   {tool:<14} round {r}: total {row['total_s']:.3f}s", file=sys.stderr, flush=True)
                if process:
                    for tool in PROCESS_TOOLS:
                        row = run_process(tool, size["path"], s, t)
                        runs.append({**info, "tool": tool, "round": r, **row})
                        print(f"#   {tool:<14} round {r}: total {row['total_s']:.3f}s", file=sys.stderr,
                              flush=True)
    return summarise(runs)


def summarise(runs: list[dict]) -> dict:
    rows = []
    for key in dict.fromkeys((r["size"], r["tool"]) for r in runs):
        mine = [r for r in runs if (r["size"], r["tool"]) == key]
        row = {k: mine[0][k] for k in ("size", "vertices", "arcs", "source", "target", "reference", "tool")}
        row["repeats"] = len(mine)
        for col in ("model_s", "build_s", "solve_s", "total_s", "cpu_s", "lower_pass_s", "compile_s"):
            if col in mine[0] and mine[0][col] is not None:
                row[col] = statistics.median(r[col] for r in mine)
        row["objective"] = mine[0]["objective"]
        row["status"] = mine[0]["status"]
        row["agrees"] = all(
            r["objective"] is not None and abs(r["objective"] - row["reference"]) <= 1e-6 * (1 + abs(row["reference"]))
            for r in mine
        )
        rows.append(row)
    for row in rows:  # ratios against the hand-written highspy script of the same size
        base = "highspy-script" if row["tool"] in PROCESS_TOOLS else "highspy"
        ref = next((r for r in rows if r["size"] == row["size"] and r["tool"] == base), None)
        if ref is None:
            continue
        for col in ("model_s", "build_s", "total_s", "cpu_s"):
            if col in row and ref.get(col):
                row[col.replace("_s", "_ratio")] = row[col] / ref[col]
    return {"rows": rows, "targets": targets(rows), "runs": runs}


def targets(rows: list[dict]) -> list[dict]:
    """The issue's targets: whole process within 1.3x of the script; model build 10x faster than Pyomo."""
    out = []
    by = {(r["size"], r["tool"]): r for r in rows}
    for size in dict.fromkeys(r["size"] for r in rows):
        cli, script = by.get((size, "optmodel-cli")), by.get((size, "highspy-script"))
        if cli and script:
            ratio = cli["total_s"] / script["total_s"]
            out.append({"size": size, "target": "whole process (subprocess) <= 1.3x hand-written highspy",
                        "value": ratio, "cpu_value": cli["cpu_s"] / script["cpu_s"], "met": ratio <= 1.3})
        om, raw = by.get((size, "optmodel")), by.get((size, "highspy"))
        if om and raw:
            ratio = om["total_s"] / raw["total_s"]
            out.append({"size": size, "target": "in-process total <= 1.3x hand-written highspy",
                        "value": ratio, "cpu_value": om["cpu_s"] / raw["cpu_s"], "met": ratio <= 1.3})
        py = by.get((size, "pyomo"))
        if om and py:
            for col, what in (("model_s", "model statement"), ("build_s", "build (all but HiGHS's run)")):
                speedup = py[col] / om[col]
                out.append({"size": size, "target": f"{what} >= 10x faster than Pyomo",
                            "value": speedup, "met": speedup >= 10})
    return out


def table(result: dict) -> str:
    head = (f"{'size':<8} {'tool':<15} {'n':>2} {'model s':>9} {'build s':>9} {'solve s':>9} {'total s':>9} "
            f"{'cpu s':>8} {'total/raw':>9} {'cpu/raw':>8} {'build/raw':>9} {'objective':>12}")
    lines = [head, "-" * len(head)]

    def f(v: Any, fmt: str = ".3f") -> str:
        return "-" if v is None else format(v, fmt)

    for r in result["rows"]:
        obj = f(r["objective"], ".6g") + ("" if r["agrees"] else " WRONG")
        lines.append(
            f"{r['size']:<8} {r['tool']:<15} {r['repeats']:>2} {f(r.get('model_s')):>9} {f(r.get('build_s')):>9} "
            f"{f(r.get('solve_s')):>9} {f(r.get('total_s')):>9} {f(r.get('cpu_s')):>8} "
            f"{f(r.get('total_ratio'), '.2f'):>9} {f(r.get('cpu_ratio'), '.2f'):>8} "
            f"{f(r.get('build_ratio'), '.2f'):>9} {obj:>12}"
        )
    lines.append("")
    lines.append("targets (wall-clock medians; CPU-time ratio in brackets where it applies):")
    for tg in result["targets"]:
        cpu = f"  (cpu {tg['cpu_value']:.2f})" if "cpu_value" in tg else ""
        lines.append(f"{tg['size']:<8} {tg['target']:<58} {tg['value']:8.2f}  {'met' if tg['met'] else 'MISSED'}{cpu}")
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(dict.fromkeys(r["size"] for r in result["rows"]))
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.2), squeeze=False)
    for ax, size in zip(axes[0], sizes):
        rows = [r for r in result["rows"] if r["size"] == size]
        names = [r["tool"] for r in rows]
        build = [r.get("build_s", 0.0) for r in rows]
        solve = [r.get("solve_s", 0.0) for r in rows]
        y = np.arange(len(rows))
        ax.barh(y, build, color="tab:orange", label="build (all but HiGHS's run)")
        ax.barh(y, solve, left=build, color="tab:blue", label="HiGHS run")
        whole = [i for i, r in enumerate(rows) if r["tool"] in PROCESS_TOOLS]
        ax.barh(whole, [rows[i]["total_s"] for i in whole], color="tab:gray", label="whole process (subprocess)")
        for i, r in enumerate(rows):
            ax.text(r["total_s"], i, f" {r['total_s']:.3g}s", va="center", fontsize=8)
        ax.set_yticks(y, names)
        ax.invert_yaxis()
        ax.set_xlim(0, 1.18 * max(r["total_s"] for r in rows))
        ax.set_xlabel("seconds (median)")
        ax.set_title(f"{size}: {rows[0]['vertices']} vertices, {rows[0]['arcs']} arcs")
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=3, fontsize=9)
    fig.suptitle("Shortest-path LP with HiGHS: optmodel vs hand-written highspy, CVXPY, Pyomo")
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["raw"]:
        return raw_main(argv[1:])
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="rome99,grid500", help="rome99, gridN or DIMACS paths, comma-separated")
    p.add_argument("--repeat", type=int, default=3, help="rounds over the tools (default 3)")
    p.add_argument("--slow-repeat", type=int, default=1,
                   help=f"rounds for Pyomo on graphs above {SLOW_ARCS} arcs (default 1)")
    p.add_argument("--tools", default=",".join(TOOLS), help=f"subset of {','.join(TOOLS)}")
    p.add_argument("--no-process", action="store_true", help="skip the whole-process (subprocess) comparison")
    p.add_argument("--json", default=str(HERE / "results" / "shortest_path.json"), help="result file")
    p.add_argument("--plot", default=str(HERE / "shortest_path.png"), help="PNG bar plot")
    args = p.parse_args(argv)
    tools = [x for x in args.tools.split(",") if x]
    unknown = set(tools) - set(TOOLS)
    if unknown:
        p.error(f"unknown tools {sorted(unknown)}; choose from {','.join(TOOLS)}")
    import importlib.util

    missing = [x for x in tools if importlib.util.find_spec(MODULES[x]) is None]
    if missing:
        p.error(f"not installed: {', '.join(MODULES[x] for x in missing)} (leave {','.join(missing)} out of --tools)")
    result = benchmark(args.sizes.split(","), tools, args.repeat, args.slow_repeat, not args.no_process)
    result["command"] = "python benchmarks/shortest_path.py " + " ".join(argv)
    result["machine"] = {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()}
    print(table(result))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1, default=float))
    plot(result, Path(args.plot))
    return 0 if all(r["agrees"] for r in result["rows"]) else 1


if __name__ == "__main__":
    sys.exit(main())
