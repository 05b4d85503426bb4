"""GAN benchmark: losses × algorithms × datasets -> modes, high-quality fraction, MMD², seconds.

    .venv/bin/python benchmarks/gan.py [--steps N] [--datasets ring8,grid25,digits] [--out benchmarks/gan-results]
    .venv/bin/python benchmarks/gan.py --variants all --datasets ring8 --seeds 0,1,2,3,4 --workers 2
    .venv/bin/python benchmarks/gan.py --variants "default: softplus, long run, pack 2, instance noise 0.3" \
        --datasets grid25,digits
    .venv/bin/python benchmarks/gan.py --bound

The first form writes ``results.json``, ``results.md`` (the table) and ``<dataset>.png`` (one sample
panel per loss × algorithm) into ``--out``, through ``optmodel.problems.gan.run_gan`` with the
problem's defaults, changing only the loss and the algorithm (and --steps when given).

``--variants`` runs named training variants (``VARIANTS``), each one command line
``python -m optmodel solve gan ARGS --dataset D --seed S --device cpu --json``, in its own process
under ``nice -n 19`` with one torch thread (the machine is shared), ``--workers`` at a time. Rows
are appended to ``variants.jsonl`` as they finish (a rerun skips the finished ones) and the table
of medians over the seeds goes to ``variants.md``: modes, high-quality fraction, MMD², steps and
the cost per step, kept apart from seconds because wall-clock time on a loaded machine is noise.

``--bound`` checks the lecture's theorem on finite sample spaces (``gan.finite_bound``).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
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


# name -> the arguments of `python -m optmodel solve gan` that make the variant (besides --dataset
# and --seed). "default" is the command with no options at all.
# the lecture's d = exp(T), as before
PREVIOUS = "--positive exp --steps 4000 --pack 1 --instance-noise 0 --lr-decay linear"
PREVIOUS_SETTINGS = {"positive": "exp", "steps": 4000, "pack": 1, "instance_noise": 0.0, "noise_dim": 2,
                     "lr_decay": "linear"}
VARIANTS: dict[str, str] = {
    # One knob at a time on the previous default (d = exp(T), 4000 steps, no packing, no noise).
    "previous default: d = exp(T), 4000 steps": PREVIOUS,
    "d = softplus(T)": "--steps 4000 --pack 1 --instance-noise 0 --lr-decay linear",
    "pack 2 (PacGAN2)": "--positive exp --steps 4000 --pack 2 --instance-noise 0 --lr-decay linear",
    "pack 4 (PacGAN4)": "--positive exp --steps 4000 --pack 4 --instance-noise 0 --lr-decay linear",
    "R1 penalty γ = 1": PREVIOUS + " --r1 1",
    "spectral norm, Lipschitz 10": PREVIOUS + " --lipschitz 10",
    "EMA of the iterates 0.99": PREVIOUS + " --average 0.99",
    "batch 1024": PREVIOUS + " --batch-size 1024",
    "cosine learning-rate decay": "--positive exp --steps 4000 --pack 1 --instance-noise 0 --lr-decay cosine",
    "instance noise 0.3, annealed": "--positive exp --steps 4000 --pack 1 --instance-noise 0.3 --lr-decay linear",
    "extragradient, same gradients (2000 steps)": "--positive exp --steps 2000 --pack 1 --instance-noise 0 "
                                                  "--lr-decay linear --algorithm extragradient",
    "exp, 12000 steps": "--positive exp --steps 12000 --pack 1 --instance-noise 0 --lr-decay linear",
    # softplus with the dataset's step count (ring8 12000, grid25 36000, digits 12000), then the knobs
    # that made the default.
    "softplus, long run": "--pack 1 --instance-noise 0 --lr-decay linear",
    "softplus, long run + pack 2": "--instance-noise 0 --lr-decay linear",
    "softplus, long run + instance noise 0.3": "--pack 1 --lr-decay linear",
    "softplus, long run + pack 2 + instance noise 0.3 (linear decay)": "--lr-decay linear",
    "  … + EMA 0.999": "--lr-decay linear --average 0.999",
    "  … extragradient, same gradients (6000 steps)": "--lr-decay linear --algorithm extragradient --steps 6000",
    "  … alternating, same gradients (6000 steps)": "--lr-decay linear --algorithm alternating --steps 6000",
    "softplus, long run + pack 2 + instance noise 0.3 (late decay)": "--lr-decay late",
    "default": "",
    "previous default with 2-D noise (digits)": PREVIOUS + " --noise-dim 2",
}


def variant_command(args: str, dataset: str, seed: int) -> list[str]:
    return [sys.executable, "-m", "optmodel", "solve", "gan", *shlex.split(args), "--dataset", dataset,
            "--seed", str(seed), "--device", "cpu", "--json", "--progress", "off"]


def run_variant(name: str, args: str, dataset: str, seed: int, timeout: float) -> dict:
    """One run in its own process, niced, one thread; its metrics, steps and cost per step."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    cmd = variant_command(args, dataset, seed)
    start = time.perf_counter()
    try:
        proc = subprocess.run(["nice", "-n", "19", *cmd], capture_output=True, text=True, env=env,
                              cwd=Path(__file__).resolve().parents[1], timeout=timeout)
        out = json.loads(proc.stdout.strip().splitlines()[-1]) if proc.stdout.strip() else {}
    except subprocess.TimeoutExpired:
        out = {"status": "killed", "message": f"over {timeout:g}s"}
    m = out.get("metrics") or {}
    stats = out.get("stats") or {}
    return {
        "variant": name, "args": args, "dataset": dataset, "seed": seed, "status": out.get("status"),
        "modes": m.get("modes_captured"), "modes_total": m.get("modes_total"),
        "high_quality": m.get("high_quality_fraction"), "mmd2": m.get("mmd2"),
        "mmd2_floor": m.get("mmd2_real_floor"), "steps": stats.get("steps"),
        "seconds_per_step": stats.get("seconds_per_step"), "train_seconds": out.get("solve_seconds"),
        "wall_seconds": time.perf_counter() - start, "objective": out.get("objective"),
        "command": "python -m optmodel solve gan " + " ".join(shlex.quote(a) for a in cmd[5:-5]),
        "message": None if out.get("status") in ("iteration_limit", "time_limit") else out.get("message"),
    }


def _median(values: list) -> float | None:
    vals = [v for v in values if v is not None]
    return statistics.median(vals) if vals else None


def variant_table(rows: list[dict]) -> str:
    """Medians over seeds per variant × dataset (min–max of the high-quality fraction beside)."""
    lines = ["| variant | dataset | seeds | modes (median, min) | high-quality median (min–max) | MMD² median "
             "(floor) | steps | ms/step | train s | command |", "|---|---|---|---|---|---|---|---|---|---|"]
    groups: dict[tuple[str, str], list[dict]] = {}
    order = {name: i for i, name in enumerate(VARIANTS)}
    for r in sorted(rows, key=lambda r: (r["dataset"], order.get(r["variant"], len(order)), r["seed"])):
        groups.setdefault((r["variant"], r["dataset"]), []).append(r)
    for (name, dataset), rs in groups.items():
        ok = [r for r in rs if r["status"] in ("iteration_limit", "time_limit")]
        modes = [r["modes"] for r in ok if r["modes"] is not None]
        hq = [r["high_quality"] for r in ok if r["high_quality"] is not None]
        mmd = _median([r["mmd2"] for r in ok])
        floor = _median([r["mmd2_floor"] for r in ok])
        sps = _median([r["seconds_per_step"] for r in ok])
        train = _median([r["train_seconds"] for r in ok])
        failed = len(rs) - len(ok)
        lines.append(" | ".join([
            f"| {name}", dataset, f"{len(rs)}" + (f" ({failed} failed)" if failed else ""),
            f"{statistics.median(modes):g}/{ok[0]['modes_total']}, {min(modes)}" if modes else "",
            f"{100 * statistics.median(hq):.1f}% ({100 * min(hq):.1f}–{100 * max(hq):.1f})" if hq else "",
            f"{mmd:.4f} ({floor:.4f})" if mmd is not None else "",
            f"{_median([r['steps'] for r in ok]):g}" if ok else "", f"{1000 * sps:.2f}" if sps else "",
            f"{train:.1f}" if train is not None else "", f"`{rs[0]['command'].split(' --dataset')[0]}` |",
        ]))
    return "\n".join(lines)


def run_variants(names: list[str], datasets: list[str], seeds: list[int], workers: int, out: Path,
                 timeout: float) -> list[dict]:
    store = out / "variants.jsonl"
    rows = [json.loads(line) for line in store.read_text().splitlines() if line.strip()] if store.exists() else []
    done = {(r["variant"], r["args"], r["dataset"], r["seed"]) for r in rows}
    todo = [(n, VARIANTS[n], d, s) for d in datasets for n in names for s in seeds
            if (n, VARIANTS[n], d, s) not in done]
    print(f"{len(todo)} runs to do, {workers} at a time", flush=True)
    with ThreadPoolExecutor(workers) as pool, store.open("a") as f:
        for row in pool.map(lambda t: run_variant(*t, timeout=timeout), todo):
            rows.append(row)
            f.write(json.dumps(row) + "\n")
            f.flush()
            hq = "" if row["high_quality"] is None else f"{100 * row['high_quality']:.1f}%"
            print(f"{row['variant']:>24} {row['dataset']:>7} seed {row['seed']}: {row['status']} "
                  f"{row['modes']}/{row['modes_total']} {hq} mmd2 {row['mmd2']} {row['steps']} steps "
                  f"{row['train_seconds']}s", flush=True)
    wanted = [r for r in rows
              if r["variant"] in names and r["dataset"] in datasets and r["args"] == VARIANTS[r["variant"]]]
    (out / "variants.md").write_text(variant_table(wanted) + "\n")
    return wanted


def bound_rows() -> list[dict]:
    """The lecture's theorem on finite sample spaces, for a few sizes and every algorithm."""
    rows = []
    for k, n, theta in ((10, 500, 0.3), (20, 2000, 0.7), (5, 100, 0.5)):
        for algorithm in ALGORITHMS:
            start = time.perf_counter()
            row = gan.finite_bound(k=k, n=n, theta=theta, algorithm=algorithm)
            row["seconds"] = time.perf_counter() - start
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, help="steps per run (default: the problem's default)")
    parser.add_argument("--datasets", default="ring8,grid25,digits")
    parser.add_argument("--losses", default=",".join(LOSSES))
    parser.add_argument("--algorithms", default=",".join(ALGORITHMS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr-g", type=float, help="generator learning rate (default: the problem's)")
    parser.add_argument("--lr-d", type=float, help="discriminator learning rate (default: the problem's)")
    parser.add_argument("--positive", choices=gan.POSITIVE, help="d = exp(T) or softplus(T) (default: the problem's)")
    parser.add_argument("--previous", action="store_true",
                        help="the grid at the previous defaults: d = exp(T), 4000 steps, no packing or noise")
    parser.add_argument("--out", default=str(Path(__file__).parent / "gan-results"))
    parser.add_argument("--variants", metavar="NAMES",
                        help=f"names separated by semicolons (they hold commas), or all: {'; '.join(VARIANTS)}")
    parser.add_argument("--seeds", default="0,1,2,3,4", help="--variants: seeds (default 0,1,2,3,4)")
    parser.add_argument("--workers", type=int, default=2, help="--variants: runs at a time (default 2)")
    parser.add_argument("--timeout", type=float, default=1800, help="--variants: seconds per run")
    parser.add_argument("--bound", action="store_true", help="the finite-sample-space check of the lecture's bound")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if args.bound:
        rows = bound_rows()
        (out / "bound.json").write_text(json.dumps(rows, indent=1))
        return
    if args.variants:
        names = list(VARIANTS) if args.variants == "all" else [n.strip() for n in args.variants.split(";")]
        unknown = [n for n in names if n not in VARIANTS]
        if unknown:
            parser.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
        rows = run_variants(names, args.datasets.split(","), [int(s) for s in args.seeds.split(",")],
                            args.workers, out, args.timeout)
        print(variant_table(rows))
        return
    rows = []
    for dataset in args.datasets.split(","):
        for loss in args.losses.split(","):
            for algorithm in args.algorithms.split(","):
                png = out / f"{dataset}-{loss}-{algorithm}.png"
                start = time.perf_counter()
                previous = PREVIOUS_SETTINGS if args.previous else {}
                rep = gan.run_gan(dataset, loss=loss, algorithm=algorithm, seed=args.seed, device="cpu",
                                  **{**previous, **{k: v for k, v in (("steps", args.steps), ("lr_g", args.lr_g),
                                                                      ("lr_d", args.lr_d), ("positive", args.positive))
                                                    if v is not None}},
                                  samples_png=str(png), options=SolveOptions(solver_options={"progress": False}))
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
