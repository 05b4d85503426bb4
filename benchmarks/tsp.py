"""Ordering backends side by side: TSPLIB tours (gap to the published optimum) and seriation scores.

    python benchmarks/tsp.py [--time-limit 5] [--instances burma14,pr1002] [--backends fast-tsp,routing]
                             [--exact-max 150] [--skip-tsp] [--skip-seriation] [--out benchmarks]

Every backend gets the same time limit per instance (the exact MIP too; it reports "time_limit"
when it has no proof by then). Results: a table on stdout, benchmarks/results/tsp.json, and the
plots benchmarks/tsp.png and benchmarks/seriation.png.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

import numpy as np

from optmodel import ordering
from optmodel.corpus import make_tick
from optmodel.errors import OptmodelError
from optmodel.seriation import score
from optmodel.similarity import code_similarity
from optmodel.tsplib import read_tsplib

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data"

BACKENDS = ["fast-tsp", "routing", "lkh", "exact", "spectral"]


def tsplib_rows(names: list[str] | None) -> list[dict[str, str]]:
    with open(DATA / "tsplib" / "optimal.csv") as f:
        rows = [r for r in csv.DictReader(f) if r["name"] and not r["name"].startswith("#")]
    return [r for r in rows if names is None or r["name"] in names]


def run_tsp(rows, backends, limit, exact_max):
    results = []
    for r in rows:
        inst = read_tsplib(DATA / "tsplib" / f"{r['name']}.tsp")
        opt = float(r["optimum"])
        for b in backends:
            if b == "exact" and inst.n > exact_max:
                continue
            start = time.perf_counter()
            try:
                _, sol = ordering.solve_order(inst.dist, closed=True, backend=b, time_limit=limit)
                length, status = sol.objective, sol.status.value
            except OptmodelError as err:
                length, status = None, f"error: {err}"
            seconds = time.perf_counter() - start
            gap = None if length is None else 100 * (length - opt) / opt
            results.append({"instance": r["name"], "n": inst.n, "backend": b, "length": length, "optimum": opt,
                            "gap_percent": gap, "seconds": seconds, "status": status})
            shown = "-" if gap is None else f"{gap:8.3f}%"
            print(f"{r['name']:<10} {inst.n:>5} {b:<9} {shown:>10} {seconds:7.2f}s  {status}", flush=True)
    return results


def seriation_datasets(tmp: Path) -> dict[str, Path]:
    import networkx

    nx_root = Path(networkx.__file__).parent
    make_tick(tmp / "year1", per_family=6, seed=11)
    make_tick(tmp / "year2", per_family=8, seed=12)
    sets = {
        "tick-year1 (synthetic)": tmp / "year1",
        "tick-year2 (synthetic)": tmp / "year2",
        "networkx/algorithms (74)": nx_root / "algorithms",
        "networkx/generators": nx_root / "generators",
        "networkx/algorithms/centrality": nx_root / "algorithms" / "centrality",
    }
    return {k: v for k, v in sets.items() if v.is_dir()}


def run_seriation(backends, limit, exact_max):
    import tempfile

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for label, folder in seriation_datasets(Path(tmp)).items():
            names, s = code_similarity(folder)
            n = len(names)
            rows = [{"dataset": label, "n": n, "backend": "input order", "score": score(s, np.arange(n)),
                     "seconds": 0.0, "status": "-"}]
            for b in backends:
                if b == "exact" and n > exact_max:
                    continue
                start = time.perf_counter()
                order, sol = ordering.solve_order(s, closed=False, maximize=True, backend=b, time_limit=limit)
                rows.append({"dataset": label, "n": n, "backend": b, "score": score(s, order),
                             "seconds": time.perf_counter() - start, "status": sol.status.value})
            for r in rows:
                print(f"{label:<32} {n:>4} {r['backend']:<12} score {r['score']:7.2f}  {r['seconds']:6.2f}s  "
                      f"{r['status']}", flush=True)
            results += rows
    return results


def plot(tsp, ser, out: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if tsp:
        instances = list(dict.fromkeys(r["instance"] for r in tsp))
        backends = list(dict.fromkeys(r["backend"] for r in tsp if r["backend"] != "spectral"))
        fig, ax = plt.subplots(figsize=(12, 5), constrained_layout=True)
        width = 0.8 / max(1, len(backends))
        for k, b in enumerate(backends):
            gaps = {r["instance"]: r["gap_percent"] for r in tsp if r["backend"] == b and r["gap_percent"] is not None}
            xs = [i + k * width for i, name in enumerate(instances) if name in gaps]
            ys = [max(gaps[name], 1e-3) for name in instances if name in gaps]
            ax.bar(xs, ys, width, label=b)
        ax.axhline(0.5, color="k", ls="--", lw=0.8, label="0.5%")
        ax.set_yscale("log")
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(instances))], instances, rotation=45)
        ax.set_ylabel("gap to the published optimum, % (log; 0 shown as 0.001)")
        ax.set_title(f"TSPLIB, same time limit per backend ({tsp[0].get('time_limit', '')} s)")
        ax.legend()
        fig.savefig(out / "tsp.png", dpi=110)
        plt.close(fig)
    if ser:
        datasets = list(dict.fromkeys(r["dataset"] for r in ser))
        methods = list(dict.fromkeys(r["backend"] for r in ser))
        fig, ax = plt.subplots(figsize=(12, 5), constrained_layout=True)
        width = 0.8 / len(methods)
        for k, m in enumerate(methods):
            got = {r["dataset"]: r["score"] for r in ser if r["backend"] == m}
            ax.bar([i + k * width for i, d in enumerate(datasets) if d in got], [got[d] for d in datasets if d in got],
                   width, label=m)
        ax.set_xticks([i + 0.4 - width / 2 for i in range(len(datasets))], datasets, rotation=15)
        ax.set_ylabel("score (100 × mean neighbour similarity)")
        ax.set_title("Seriation of code submissions by method")
        ax.legend()
        fig.savefig(out / "seriation.png", dpi=110)
        plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--time-limit", type=float, default=5.0)
    p.add_argument("--instances", help="comma-separated TSPLIB names (default: all in optimal.csv)")
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--exact-max", type=int, default=150, help="largest instance given to the exact MIP")
    p.add_argument("--skip-tsp", action="store_true")
    p.add_argument("--skip-seriation", action="store_true")
    p.add_argument("--out", default=str(REPO / "benchmarks"))
    args = p.parse_args(argv)
    backends = [b for b in args.backends.split(",") if b]
    out = Path(args.out)
    (out / "results").mkdir(parents=True, exist_ok=True)
    tsp = [] if args.skip_tsp else run_tsp(
        tsplib_rows(args.instances.split(",") if args.instances else None), backends, args.time_limit, args.exact_max)
    for r in tsp:
        r["time_limit"] = args.time_limit
    ser = [] if args.skip_seriation else run_seriation(backends, min(args.time_limit, 2.0), 80)
    (out / "results" / "tsp.json").write_text(json.dumps({"time_limit": args.time_limit, "tsp": tsp,
                                                           "seriation": ser}, indent=1))
    plot(tsp, ser, out)
    if tsp:
        worst = {}
        for r in tsp:
            if r["gap_percent"] is not None:
                worst[r["backend"]] = max(worst.get(r["backend"], 0.0), r["gap_percent"])
        print("worst gap per backend:", ", ".join(f"{b} {g:.3f}%" for b, g in worst.items()))


if __name__ == "__main__":
    main()
