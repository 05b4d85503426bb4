"""What a benchmark run costs beyond its solve: optmodel's isolated run against the alternatives.

    python benchmarks/bench_overhead.py [--repeat 5] [--json benchmarks/results/bench_overhead.json]

On small instances (the solve takes milliseconds, so what remains is overhead), each measured in
one run, interleaved:
- ``isolated``: ``optmodel.benchmark.runner.execute_one``, the path every `bench` run takes: a
  process forked from the preloaded server, the file read, the model built, solved, checked, the
  row sent back; ``wall_seconds`` is measured by the parent.
- ``fresh process``: ``python -m optmodel solve FILE --json`` in a new interpreter, what a
  benchmark script that starts a process per run pays.
- ``in process``: ``model.solve`` in this process, with no isolation at all (the floor).
Overhead = wall − the solver's solve seconds (file reading, model build and the checks included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", ROOT.parent / "shared" / "data"))
FILES = ("netlib/afiro.mps", "netlib/sc50a.mps", "netlib/adlittle.mps", "miplib/flugpl.mps")


def isolated(path: Path) -> tuple[float, float]:
    from dataclasses import asdict

    from optmodel.benchmark.instances import collect
    from optmodel.benchmark.runner import Settings, execute_one, preload_modules

    inst = collect([str(path)])[0].to_dict()
    row = execute_one({"instance": inst, "backend": "highs", "seed": 0, "repeat": 0, "key": "x"},
                      preload_modules(["highs"]), settings=asdict(Settings(time_limit=60.0)))
    assert row["status"] == "optimal", row
    return row["wall_seconds"], row["solve_seconds"]


def fresh_process(path: Path) -> tuple[float, float]:
    began = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "optmodel", "solve", str(path), "--backend", "highs", "--json"],
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - began
    return wall, json.loads(out.stdout)["solve_seconds"]


def in_process(path: Path) -> tuple[float, float]:
    from optmodel.formats import read_model_file
    from optmodel.model import Model

    began = time.perf_counter()
    sol = Model.from_canonical(read_model_file(path))[0].solve("highs")
    return time.perf_counter() - began, sol.solve_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=ROOT / "benchmarks" / "results" / "bench_overhead.json")
    args = parser.parse_args()
    files = [DATA / f for f in FILES]
    if not all(f.exists() for f in files):
        print(f"instances missing under {DATA} (set OPTMODEL_DATA)", file=sys.stderr)
        return 2
    ways = {"isolated": isolated, "fresh process": fresh_process, "in process": in_process}
    for f in files:  # warm-up: the fork server starts, the imports of this process happen
        for way in ways.values():
            way(f)
    overhead: dict[str, list[float]] = {w: [] for w in ways}
    for _ in range(args.repeat):
        for f in files:
            for name, way in ways.items():  # interleaved, so machine load hits all three alike
                wall, solve = way(f)
                overhead[name].append(wall - solve)
    rows = [{"way": name, "runs": len(v), "median_overhead_s": round(statistics.median(v), 4),
             "max_overhead_s": round(max(v), 4)} for name, v in overhead.items()]
    print(f"{'way':<14} {'runs':>5} {'median overhead s':>18} {'max s':>8}")
    for r in rows:
        print(f"{r['way']:<14} {r['runs']:>5} {r['median_overhead_s']:>18.4f} {r['max_overhead_s']:>8.4f}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps({"files": list(FILES), "rows": rows}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
