"""Cut-MST benchmark: lazy cut families (HiGHS row generation, SCIP in-solver; undirected and
directed cuts) against a naive loop and against Kruskal.

    .venv/bin/python benchmarks/mst.py [--sizes 100 300 1000] [--time-limit 60] [--no-rome]

The naive loop is the textbook one: solve the MIP, add one cut per connected component, solve
again from scratch, until the solution is connected. Runs that hit the limit are shown as
'> limit'. Prints a markdown table (``--table FILE`` also writes it) and writes benchmarks/mst.png
(seconds against n).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from optmodel.graphs import Graph, read_graph
from optmodel.problems.mst import build_cut, build_directed, kruskal_weight, random_graph
from optmodel.solution import Status
from optmodel.subtour import component_labels, cut_matrix

HERE = Path(__file__).resolve().parent
ROME = HERE.parent.parent / "shared" / "data" / "graphs" / "rome99.gr"


def naive_loop(g: Graph, time_limit: float) -> dict:
    """Solve, add one cut per component, re-solve from scratch (HiGHS), until connected."""
    start = time.perf_counter()
    m, x = build_cut(g, fractional=False)
    m.families = []  # the loop below plays the oracle
    n, u, v = g.num_vertices, g.tail, g.head
    rounds = cuts = 0
    while True:
        left = time_limit - (time.perf_counter() - start)
        if left <= 0:
            return {"status": "> limit", "rounds": rounds, "cuts": cuts, "seconds": time.perf_counter() - start}
        sol = m.solve("highs", time_limit=left, resolve=False)  # from scratch, as the naive loop is meant
        rounds += 1
        if sol.status is not Status.OPTIMAL:
            return {"status": "> limit", "rounds": rounds, "cuts": cuts, "seconds": time.perf_counter() - start}
        k, lab = component_labels(n, u, v, sol[x] > 0.5)
        if k == 1:
            return {
                "status": "optimal",
                "objective": sol.objective,
                "rounds": rounds,
                "cuts": cuts,
                "seconds": time.perf_counter() - start,
            }
        rows = cut_matrix(lab, np.arange(k), u, v)
        m.add(rows @ x >= 1, name=f"naive{rounds}")
        cuts += k


def lazy_run(g: Graph, backend: str, formulation: str, time_limit: float) -> dict:
    start = time.perf_counter()
    m, _ = (build_directed if formulation == "directed-cut" else build_cut)(g)
    sol = m.solve(backend, time_limit=time_limit)
    st = sol.stats
    return {
        "status": sol.status.value if sol.status is not Status.TIME_LIMIT else "> limit",
        "objective": sol.objective,
        "bound": sol.bound,
        "lp_bound": st.get("lp_bound"),
        "rounds": st.get("rounds", st.get("separation_rounds", 0)),
        "cuts": st.get("cuts", 0),
        "separation": st.get("separation_seconds", 0.0),
        "seconds": time.perf_counter() - start,
    }


def kruskal_runs(g: Graph) -> dict:
    import networkx as nx

    start = time.perf_counter()
    w = kruskal_weight(g)
    scipy_s = time.perf_counter() - start
    G = nx.Graph()
    G.add_weighted_edges_from(zip(g.tail.tolist(), g.head.tolist(), g.weight.tolist()))
    start = time.perf_counter()
    nxw = nx.minimum_spanning_tree(G, algorithm="kruskal").size(weight="weight")
    nx_s = time.perf_counter() - start
    assert abs(nxw - w) < 1e-6
    return {"weight": w, "scipy": scipy_s, "networkx": nx_s}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    ap.add_argument("--degree", type=float, default=4.0)
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--naive-limit", type=float, default=None, help="default: --time-limit")
    ap.add_argument("--no-rome", action="store_true")
    ap.add_argument("--plot", default=str(HERE / "mst.png"))
    ap.add_argument("--table", default=None, help="also write the markdown table here")
    args = ap.parse_args()
    naive_limit = args.naive_limit or args.time_limit
    graphs = [(f"random n={n}", random_graph(n, args.degree, seed=n)) for n in args.sizes]
    if not args.no_rome and ROME.exists():
        graphs.append(("rome99", read_graph(ROME).undirected_simple()))
    methods = [("highs", "directed-cut"), ("scip", "directed-cut"), ("highs", "cut"), ("scip", "cut")]
    lines = [
        f"Time limit {args.time_limit:g} s per lazy run, {naive_limit:g} s for the naive loop.",
        "",
        "| graph | n | m | method | status | objective | bound | LP bound | rounds | cuts | separation s | seconds |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    plot: dict[str, list[tuple[int, float, bool]]] = {}

    def row(name: str, g: Graph, label: str, r: dict) -> None:
        obj = "" if r.get("objective") is None else f"{r['objective']:.0f}"
        bound = "" if r.get("bound") is None else f"{r['bound']:.1f}"
        lpb = "" if r.get("lp_bound") is None else f"{r['lp_bound']:.1f}"
        sep = f"{r['separation']:.2f}" if "separation" in r else ""
        secs = f"{r['seconds']:.2f}" if r["status"] == "optimal" else f"> {r['seconds']:.0f}"
        lines.append(
            f"| {name} | {g.num_vertices} | {g.num_arcs} | {label} | {r['status']} | {obj} | {bound} | {lpb} |"
            f" {r.get('rounds', '')} | {r.get('cuts', '')} | {sep} | {secs} |"
        )
        print(lines[-1], flush=True)
        if name.startswith("random"):
            plot.setdefault(label, []).append((g.num_vertices, r["seconds"], r["status"] == "optimal"))

    for name, g in graphs:
        k = kruskal_runs(g)
        row(name, g, "Kruskal (scipy)", {"status": "optimal", "objective": k["weight"], "seconds": k["scipy"]})
        row(name, g, "Kruskal (networkx)", {"status": "optimal", "objective": k["weight"], "seconds": k["networkx"]})
        for backend, formulation in methods:
            r = lazy_run(g, backend, formulation, args.time_limit)
            if r["status"] == "optimal":
                assert abs(r["objective"] - k["weight"]) < 1e-6, (name, backend, formulation)
            path = "in-solver" if backend == "scip" else "row generation"
            row(name, g, f"{formulation}, {backend} {path}", r)
        row(name, g, "cut, naive loop (HiGHS from scratch)", naive_loop(g, naive_limit))
    if args.table:
        Path(args.table).write_text("\n".join(lines) + "\n")
    _plot(plot, args.plot, args.time_limit)
    print(f"wrote {args.plot}")


def _plot(data: dict[str, list[tuple[int, float, bool]]], path: str, limit: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for label, pts in data.items():
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        (line,) = ax.plot(xs, ys, marker="o", label=label)
        for x, y, ok in pts:
            if not ok:  # hit the limit: an open marker
                ax.plot([x], [y], marker="o", markerfacecolor="white", color=line.get_color())
    ax.axhline(limit, color="grey", linestyle=":", linewidth=1)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("vertices (random sparse graph, average degree 4)")
    ax.set_ylabel("seconds (open marker: time limit)")
    ax.set_title("Minimum spanning tree by lazy cuts")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)


if __name__ == "__main__":
    main()
