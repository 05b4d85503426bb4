"""The auto backend against a hand-written scipy Dijkstra script, whole process, file parsing included.

Both run as fresh processes on the same DIMACS file, alternated, several times; medians and the
ratio are printed and written to benchmarks/results/auto_shortest_path.json.

usage: python benchmarks/auto_shortest_path.py [--side 500] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from optmodel.graphs import grid_graph, write_dimacs

HERE = Path(__file__).resolve().parent


def timed(cmd: list[str]) -> tuple[float, str]:
    start = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=500, help="grid side (500: 998,000 arcs)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", default=str(HERE / "results" / "auto_shortest_path.json"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        gr = Path(tmp) / f"grid{args.side}.gr"
        graph = grid_graph(args.side)
        write_dimacs(graph, gr)
        target = str(args.side * args.side)
        tools = {
            "optmodel auto": [sys.executable, "-m", "optmodel", "solve", "shortest-path", "--graph", str(gr),
                              "--source", "1", "--target", target, "--backend", "auto", "--json"],
            "scipy by hand": [sys.executable, str(HERE / "by_hand" / "dijkstra.py"), str(gr), "1", target],
        }
        times: dict[str, list[float]] = {name: [] for name in tools}
        answers = {}
        for _ in range(args.repeat):
            for name, cmd in tools.items():
                seconds, out = timed(cmd)
                times[name].append(seconds)
                answers[name] = out
    auto = json.loads(answers["optmodel auto"])
    by_hand = float(answers["scipy by hand"].split()[0])
    assert auto["certified"] and auto["objective"] == by_hand, (auto["objective"], by_hand)
    medians = {name: statistics.median(t) for name, t in times.items()}
    ratio = medians["optmodel auto"] / medians["scipy by hand"]
    result = {"arcs": graph.num_arcs, "vertices": graph.num_vertices, "objective": by_hand,
              "median_seconds": medians, "all_seconds": times, "ratio": ratio, "certified": auto["certified"]}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1))
    print(f"grid {args.side}x{args.side}: {graph.num_arcs} arcs, shortest path {by_hand:g} (certified)")
    for name, m in medians.items():
        print(f"  {name:<15} {m:7.3f} s (median of {args.repeat})")
    print(f"  ratio {ratio:.2f} (target <= 2)")


if __name__ == "__main__":
    main()
