"""GAN benchmark: losses × algorithms × datasets -> modes, high-quality fraction, MMD², seconds.

    .venv/bin/python benchmarks/gan.py [--steps N] [--datasets ring8,grid25,digits] [--out benchmarks/gan-results]

Writes ``results.json``, ``results.md`` (the table) and ``<dataset>.png`` (one sample panel per
loss × algorithm) into ``--out``. Every run uses ``optmodel.problems.gan.run_gan`` with the
problem's defaults, changing only the loss and the algorithm (and --steps when given).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from optmodel.backend import SolveOptions
from optmodel.problems import gan

ALGORITHMS = gan.ALGORITHMS
LOSSES = gan.LOSSES


def table(rows: list[dict]) -> str:
    head = ("| dataset | loss | algorithm | lr G / D | modes | high-quality | MMD² (floor) | train s |\n"
            "|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        modes = "" if r["modes"] is None else f"{r['modes']}/{r['modes_total']}"
        hq = "" if r["high_quality"] is None else f"{100 * r['high_quality']:.1f}%"
        mmd = "" if r["mmd2"] is None else f"{r['mmd2']:.4f} ({r['mmd2_floor']:.4f})"
        status = "" if r["status"] == "iteration_limit" else f" ({r['status']})"
        lrs = f"{r['lr_g']:g} / {r['lr_d']:g}" if "lr_g" in r else ""
        lines.append(f"| {r['dataset']} | {r['loss']} | {r['algorithm']}{status} | {lrs} | {modes} | {hq} | {mmd} "
                     f"| {r['train_seconds']:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="steps per run (default: the problem's default)")
    parser.add_argument("--datasets", default="ring8,grid25,digits")
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-g", type=float, help="generator learning rate (default: the problem's)")
    parser.add_argument("--lr-d", type=float, help="discriminator learning rate (default: the problem's)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "gan-results"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for dataset in args.datasets.split(","):
        for loss in args.losses.split(","):
            for algorithm in args.algorithms.split(","):
                png = out / f"{dataset}-{loss}-{algorithm}.png"
                start = time.perf_counter()
                rep = gan.run_gan(dataset, loss=loss, algorithm=algorithm, steps=args.steps, seed=args.seed,
                                  lr_g=args.lr_g, lr_d=args.lr_d, device="cpu", samples_png=str(png),
                                  options=SolveOptions(solver_options={"progress": False}))
                wall = time.perf_counter() - start
                sol, m = rep.solution, rep.answer.get("metrics") or {}
                row = {
                    "dataset": dataset, "loss": loss, "algorithm": algorithm, "status": sol.status.value,
                    "lr_g": sol.stats["learning_rates"]["generator"],
                    "lr_d": sol.stats["learning_rates"]["discriminator"],
                    "steps": sol.stats.get("steps"), "modes": m.get("modes_captured"),
                    "modes_total": m.get("modes_total"), "high_quality": m.get("high_quality_fraction"),
                    "mmd2": m.get("mmd2"), "mmd2_floor": m.get("mmd2_real_floor"),
                    "train_seconds": sol.solve_seconds, "wall_seconds": wall, "objective": sol.objective,
                    "samples_png": png.name if png.exists() else None,
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                (out / "results.json").write_text(json.dumps(rows, indent=1))
    (out / "results.md").write_text(table(rows) + "\n")
    plot(rows, out)
    print(table(rows))


def plot(rows: list[dict], out: Path) -> None:
    """One bar chart per metric: high-quality fraction (mixtures) and MMD² (images) by run."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for dataset in sorted({r["dataset"] for r in rows}):
        rs = [r for r in rows if r["dataset"] == dataset]
        labels = [f"{r['loss']}\n{r['algorithm']}" for r in rs]
        mixture = rs[0]["high_quality"] is not None
        values = [(r["high_quality"] if mixture else r["mmd2"]) or 0.0 for r in rs]
        fig, ax = plt.subplots(figsize=(max(6, len(rs) * 0.9), 3.5))
        ax.bar(range(len(rs)), values, color=["C0" if r["loss"] == "lagrangian" else "C1" for r in rs])
        ax.set_xticks(range(len(rs)), labels, fontsize=7)
        if mixture:
            ax.set_ylabel("high-quality fraction")
            for i, r in enumerate(rs):
                ax.text(i, values[i], f"{r['modes']}/{r['modes_total']}", ha="center", va="bottom", fontsize=7)
            ax.set_ylim(0, 1.05)
        else:
            ax.set_ylabel("kernel MMD²")
            ax.axhline(rs[0]["mmd2_floor"] or 0.0, color="k", ls="--", lw=1, label="real vs real")
            ax.legend(fontsize=7)
        ax.set_title(f"{dataset}: {'high-quality fraction (modes captured on top)' if mixture else 'MMD²'}",
                     fontsize=9)
        fig.tight_layout()
        fig.savefig(out / f"{dataset}.png", dpi=100)
        plt.close(fig)


if __name__ == "__main__":
    main()
