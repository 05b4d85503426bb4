"""The same models through every installed backend: build, solve and total time side by side.

    python benchmarks/backends.py [--models rome99,grid100,lseu,bell5] [--time-limit 60] \
        [--backends highs,scip,...] [--json OUT] [--plot OUT.png]

Backends are discovered (``optmodel.dispatch.backend_classes``), so the ones added later join by
themselves. Every sub-solver that is installed and declares what the model needs is run; the
others get a row saying why they were skipped. Each run is a fresh worker process (a crash, a
memory blow-up or a hang past the time limit loses that row only), building its own model so that
lowering is timed too. Times are optmodel's: ``build`` = ``Solution.build_seconds`` (lowering plus
the backend's translation into its solver), ``solve`` = ``Solution.solve_seconds``, ``total`` =
the wall time of ``model.solve`` (with optmodel's verification). The objective is checked
against Dijkstra (shortest paths) or the MIPLIB optimum.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("OPTMODEL_DATA", HERE.parent.parent / "shared" / "data"))
DEFAULT_MODELS = "rome99,grid100,lseu,bell5"
GRID_OFFSET = 25  # as in shortest_path.py: target = centre + (25, 25)
AGREE_TOLERANCE = 1e-6  # relative; first-order methods (PDLP, SCS) may miss it and say so


def make_model(spec: str) -> tuple[Any, float | None, str]:
    """(model, reference objective, description) for ``rome99``, ``gridN`` or a MIPLIB name or path."""
    import optmodel
    from optmodel.graphs import grid_graph, read_graph
    from optmodel.problems.shortest_path import build

    if spec == "rome99" or (spec.startswith("grid") and spec[4:].isdigit()):
        if spec == "rome99":
            graph = read_graph(DATA / "graphs" / "rome99.gr")
            s, t = 0, graph.num_vertices - 1
        else:
            side = int(spec[4:])
            graph = grid_graph(side)
            centre = side // 2
            d = max(1, min(GRID_OFFSET, side - 1 - centre))
            s, t = centre * side + centre, (centre + d) * side + centre + d
        from scipy.sparse.csgraph import dijkstra

        ref = float(dijkstra(graph.adjacency(), indices=s)[t])
        model = build(graph, s, t)[0]
        return model, ref, f"shortest path LP, {graph.num_vertices} vertices, {graph.num_arcs} arcs"
    path = Path(spec)
    if not path.suffix:
        path = DATA / "miplib" / f"{spec}.mps"
    model = optmodel.read(str(path))
    ref = _miplib_optimum(path)
    return model, ref, f"MIPLIB {path.stem}: {model.num_rows} rows, {model.num_vars} columns"


def _miplib_optimum(path: Path) -> float | None:
    import csv

    table = path.parent / "optimal.csv"
    if not table.exists():
        return None
    with open(table) as f:
        for row in csv.reader(f):
            if row and row[0] == path.stem.split(".")[0]:
                return float(row[1])
    return None


def worker(spec: str, label: str, time_limit: float) -> int:
    """One run in this process; prints one JSON line."""
    model = make_model(spec)[0]
    start = time.perf_counter()
    warm_up(label, model.is_mip)
    first_call = time.perf_counter() - start
    start = time.perf_counter()
    sol = model.solve(label, time_limit=time_limit)
    total = time.perf_counter() - start
    print(json.dumps({
        "status": sol.status.value,
        "objective": sol.objective,
        "build_s": sol.build_seconds,
        "solve_s": sol.solve_seconds,
        "total_s": total,
        "first_call_s": first_call,
        "backend_version": sol.backend_version,
        "message": sol.message[:200],
    }))
    return 0


def warm_up(label: str, integer: bool) -> None:
    """Solve a 2-variable model first, so the timed run does not pay the solver's imports."""
    from optmodel import Model

    m = Model("warm-up")
    x = m.var(2, lb=0, ub=5, integer=integer)
    m.add(x.sum() >= 1)
    m.minimize(x @ [1.0, 2.0])
    m.solve(label)


def candidates(model: Any, only: set[str] | None) -> list[tuple[str, str | None]]:
    """``(label, None)`` for every sub-solver to run, ``(label, reason)`` for those skipped."""
    from optmodel.dispatch import backend_classes

    out: list[tuple[str, str | None]] = []
    for name, cls in sorted(backend_classes().items()):
        if only is not None and name not in only and not any(o.startswith(name + ":") for o in only):
            continue
        reason = cls.unavailable_reason()
        if reason:
            out.append((name, reason))
            continue
        usable = cls().available_subsolvers()
        for sub in cls.subsolvers:
            if only is not None and name not in only and f"{name}:{sub}" not in only:
                continue
            backend = cls(sub)
            why = backend.why_not(model) or (None if sub in usable else f"{backend.label} is not usable here")
            out.append((backend.label, why))
    return out


def run_one(spec: str, label: str, time_limit: float) -> dict:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", spec, label, str(time_limit)]
    hard = 3 * time_limit + 60  # the limit covers the solver only; leave room for building
    start = time.perf_counter()
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=hard, check=False)
    except subprocess.TimeoutExpired:
        return {"status": "killed", "message": f"no answer after {hard:.0f} s; killed", "wall_s": hard}
    wall = time.perf_counter() - start
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        err = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return {"status": "crashed", "message": f"exit {done.returncode}: {err[:200]}", "wall_s": wall}
    try:
        row = json.loads(lines[-1])
    except json.JSONDecodeError:
        return {"status": "crashed", "message": f"unreadable output: {lines[-1][:200]}", "wall_s": wall}
    row["wall_s"] = wall
    return row


def benchmark(specs: list[str], time_limit: float, only: set[str] | None) -> dict:
    rows = []
    for spec in specs:
        try:
            model, ref, about = make_model(spec)
        except Exception as err:  # e.g. a missing data file: say so and go on
            rows.append({"model": spec, "backend": "-", "status": "skipped", "message": f"model not built: {err}"})
            print(f"# {spec}: not built: {err}", file=sys.stderr, flush=True)
            continue
        print(f"# {spec}: {about}; reference {ref}", file=sys.stderr, flush=True)
        for label, why in candidates(model, only):
            base = {"model": spec, "about": about, "reference": ref, "backend": label}
            if why:
                rows.append({**base, "status": "skipped", "message": why})
                continue
            row = {**base, **run_one(spec, label, time_limit)}
            obj = row.get("objective")
            row["agrees"] = (
                None if ref is None or obj is None
                else abs(obj - ref) <= AGREE_TOLERANCE * (1 + abs(ref))
            )
            rows.append(row)
            print(f"#   {label:<22} {row['status']:<12} total {row.get('total_s', row['wall_s']):.3f}s "
                  f"objective {obj}", file=sys.stderr, flush=True)
    return {"rows": rows, "time_limit": time_limit}


def table(result: dict, skipped: bool = True) -> str:
    def f(v: Any, fmt: str = ".3f") -> str:
        return "-" if v is None else format(v, fmt)

    head = (f"{'model':<8} {'backend':<22} {'status':<12} {'build s':>9} {'solve s':>9} {'total s':>9} "
            f"{'1st call':>9} {'process s':>9} {'objective':>14} {'ok':>3}")
    lines = [head, "-" * len(head)]
    skips: dict[tuple[str, str], list[str]] = {}
    for r in result["rows"]:
        if r["status"] == "skipped":
            skips.setdefault((r["backend"], r["message"]), []).append(r["model"])
            continue
        ok = {True: "yes", False: "NO", None: "?"}[r.get("agrees")]
        line = (f"{r['model']:<8} {r['backend']:<22} {r['status']:<12} {f(r.get('build_s')):>9} "
                f"{f(r.get('solve_s')):>9} {f(r.get('total_s')):>9} {f(r.get('first_call_s')):>9} "
                f"{f(r.get('wall_s')):>9} "
                f"{f(r.get('objective'), '.8g'):>14} {ok:>3}")
        if r["status"] in ("killed", "crashed"):
            line += f"  {r['message']}"
        lines.append(line)
    if skipped and skips:
        lines += ["", "skipped:"]
        lines += [f"  {label:<22} ({', '.join(models)}): {why}" for (label, why), models in skips.items()]
    return "\n".join(lines)


def plot(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ran = [r for r in result["rows"] if r.get("total_s") is not None]
    models = list(dict.fromkeys(r["model"] for r in ran))
    if not models:
        return
    height = max(len([r for r in ran if r["model"] == m]) for m in models)
    fig, axes = plt.subplots(1, len(models), figsize=(5 * len(models), 1.2 + 0.32 * height), squeeze=False)
    for ax, name in zip(axes[0], models):
        rows = [r for r in ran if r["model"] == name]
        y = np.arange(len(rows))
        total = np.array([r["total_s"] for r in rows])
        build = np.array([r["build_s"] for r in rows])
        # Not stacked: on a log axis each bar is its own length from the left edge.
        ax.barh(y, total, color="tab:blue", label="total (build + solve + verification)")
        ax.barh(y, np.maximum(build, 1e-4), height=0.4, color="tab:orange", label="build")
        for i, v in enumerate(total):
            ax.text(v, i, f" {v:.3g}", va="center", fontsize=7)
        labels = [r["backend"] + ("" if r.get("agrees") else " (!)") for r in rows]
        ax.set_yticks(y, labels, fontsize=8)
        ax.invert_yaxis()
        ax.set_xscale("log")
        ax.set_xlabel("seconds (log)")
        ax.set_xlim(right=total.max() * 8)
        ax.set_title(f"{name}", fontsize=10)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, fontsize=9)
    fig.suptitle(f"optmodel backends side by side (time limit {result['time_limit']:g} s; (!) = objective off or none)")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--worker"]:
        return worker(argv[1], argv[2], float(argv[3]))
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default=DEFAULT_MODELS, help="rome99, gridN, MIPLIB names or .mps paths")
    p.add_argument("--time-limit", type=float, default=60.0, help="seconds per run (default 60)")
    p.add_argument("--backends", help="only these backends (name or name:sub), comma-separated (default: all)")
    p.add_argument("--json", default=str(HERE / "results" / "backends.json"), help="result file")
    p.add_argument("--plot", default=str(HERE / "backends.png"), help="PNG bar plot")
    args = p.parse_args(argv)
    only = set(args.backends.split(",")) if args.backends else None
    result = benchmark([m for m in args.models.split(",") if m], args.time_limit, only)
    result["command"] = "python benchmarks/backends.py " + " ".join(argv)
    result["machine"] = {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()}
    print(table(result))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    plot(result, Path(args.plot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
