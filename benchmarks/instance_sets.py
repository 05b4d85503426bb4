"""The whole of ``../shared/data`` (Netlib, MIPLIB, TSPLIB, the DIMACS graph) on five backends.

    python benchmarks/instance_sets.py [--time-limit 10] [--workers 2] [--out benchmarks/results/shared-data]

It is one ``optmodel bench`` command (printed first); the report (``report.md``, ``report.html``,
``profile.png``) and the results store (``results.jsonl``) land in ``--out``. Re-running resumes:
finished runs are kept; delete ``results.jsonl`` to measure afresh. ``OPTMODEL_DATA`` points
elsewhere.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", ROOT.parent / "shared" / "data"))
SETS = ("netlib", "miplib", "tsplib", "graphs")
BACKENDS = "highs,scip,ortools,cvxpy:highs,pyomo"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--backends", default=BACKENDS)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "shared-data")
    args = parser.parse_args()
    missing = [s for s in SETS if not (DATA / s).is_dir()]
    if missing:
        print(f"instance folders missing under {DATA}: {', '.join(missing)} (set OPTMODEL_DATA)", file=sys.stderr)
        return 2
    here = [os.path.relpath(p, ROOT) for p in (*(DATA / s for s in SETS), args.out)]  # as a reader would type them
    command = [sys.executable, "-m", "optmodel", "bench", *here[:-1], "--backends", args.backends,
               "--time-limit", f"{args.time_limit:g}", "--workers", str(args.workers), "--report", here[-1]]
    print("$ python " + " ".join(command[1:]), flush=True)
    return subprocess.call(command, cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main())
