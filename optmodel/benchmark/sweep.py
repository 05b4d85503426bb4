"""``bench PROBLEM --sizes``: the same spec through several backends on generated instances of growing size."""

from __future__ import annotations

import statistics
import sys
from pathlib import Path
from typing import Any

from optmodel.backend import SolveOptions
from optmodel.errors import OptmodelError
from optmodel.problem import Problem


def run(
    problem: Problem,
    backends: list[str],
    sizes: list[int],
    repeat: int = 3,
    seed: int = 0,
    time_limit: float | None = None,
    progress: bool | None = None,
) -> list[dict[str, Any]]:
    """One row per (backend, size): medians of ``repeat`` runs after one warm-up run.

    The progress bar (stderr) shows on a terminal unless ``progress`` says otherwise.
    """
    from tqdm import tqdm

    from optmodel.dispatch import choose

    rows = []
    total = len(sizes) * len(backends) * (repeat + 1)
    disable = None if progress is None else not progress  # None: only on a terminal
    with tqdm(total=total, desc=f"bench {problem.name}", file=sys.stderr, disable=disable, leave=False) as bar:
        for size in sizes:
            model = problem.instance(size, seed)
            for label in backends:
                row: dict[str, Any] = {"backend": label, "size": size}
                try:
                    choose(model, label)
                except OptmodelError as err:
                    row.update(status="skipped", reason=str(err), build_seconds=None, solve_seconds=None,
                               objective=None)
                    rows.append(row)
                    bar.update(repeat + 1)
                    continue
                builds, solves, sol = [], [], None
                for i in range(repeat + 1):
                    model._canonical = None  # every run pays for lowering, not only the first
                    # resolve=False: each repeat is a cold solve, not a warm re-solve of an unchanged model
                    sol = model.solve(label, options=SolveOptions(time_limit=time_limit, resolve=False))
                    if i:  # the first run warms caches and imports
                        builds.append(sol.build_seconds)
                        solves.append(sol.solve_seconds)
                    bar.set_postfix(backend=label, size=size)
                    bar.update(1)
                row.update(
                    status=sol.status.value,
                    objective=sol.objective,
                    build_seconds=statistics.median(builds),
                    solve_seconds=statistics.median(solves),
                    backend_label=sol.backend,
                )
                rows.append(row)
    return rows


def table(rows: list[dict[str, Any]]) -> str:
    head = f"{'backend':<18} {'size':>6} {'status':<10} {'objective':>14} {'build s':>9} {'solve s':>9} {'total s':>9}"
    lines = [head, "-" * len(head)]
    for r in rows:
        if r["status"] == "skipped":
            lines.append(f"{r['backend']:<18} {r['size']:>6} skipped: {r['reason']}")
            continue
        obj = "" if r["objective"] is None else f"{r['objective']:.8g}"
        total = r["build_seconds"] + r["solve_seconds"]
        lines.append(f"{r['backend']:<18} {r['size']:>6} {r['status']:<10} {obj:>14} "
                     f"{r['build_seconds']:>9.4f} {r['solve_seconds']:>9.4f} {total:>9.4f}")
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], path: str | Path, title: str, size_label: str) -> None:
    """Log-log PNG of total seconds against size, one line per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for backend in dict.fromkeys(r["backend"] for r in rows):
        pts = [(r["size"], r["build_seconds"] + r["solve_seconds"]) for r in rows
               if r["backend"] == backend and r["build_seconds"] is not None]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.plot(xs, ys, marker="o", label=backend)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(size_label)
    ax.set_ylabel("seconds (build + solve, median)")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
