"""The GAN on a GPU: `solve gan --device cuda` against a plain PyTorch loop, bf16, torch.compile, DDP.

    python benchmarks/gan_gpu.py                      # on a CUDA machine: everything, ~5 minutes on one H200
    python benchmarks/gan_gpu.py --dry                # on a CPU: tiny runs of every part, to know it works
    python benchmarks/gan_gpu.py --parts throughput --steps 3000

Parts (``--parts``, comma-separated; default all):

* ``metrics``: the default command (``python -m optmodel solve gan --dataset D --seed S``) on the CPU
  and with ``--device cuda`` for ring8 and grid25: modes and high-quality fraction side by side
  (identical up to seed noise: the random streams differ between devices).
* ``throughput``: steps per second of optmodel's torch backend against a hand-written PyTorch loop
  of the same model (``problems.gan.mlp``), batch, loss and update (simultaneous Adam steps with
  ``torch.optim.Adam`` with its defaults), both in this process; the ratio optmodel / plain. Then
  bf16 autocast (the backend's ``autocast`` option) and ``torch.compile`` of the networks (plain
  loop) with their measured effect on throughput and on the metrics.
* ``ddp``: ``torchrun --standalone --nproc_per_node=N -m optmodel solve gan`` for N = 1, 2, …
  up to the number of GPUs (processes on the CPU in --dry): samples per second and scaling.

Everything is printed as it is measured and written to ``--out`` (``gpu.json``, ``gpu.md``).
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
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def log(msg: str) -> None:
    print(msg, flush=True)


def sync(device: str) -> None:
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


# --- optmodel -----------------------------------------------------------------------------------

def optmodel_run(dataset: str, device: str, steps: int, seed: int = 0, **settings: Any) -> dict[str, Any]:
    """One `solve gan` run in this process (``run_gan``, what the CLI calls): metrics and speed."""
    from optmodel.backend import SolveOptions
    from optmodel.problems import gan

    solver = {"progress": False, **settings.pop("solver_options", {})}
    rep = gan.run_gan(dataset, steps=steps, seed=seed, device=device,
                      options=SolveOptions(solver_options=solver), **settings)
    sol, m = rep.solution, rep.answer.get("metrics") or {}
    return {"status": sol.status.value, "modes": m.get("modes_captured"), "modes_total": m.get("modes_total"),
            "high_quality": m.get("high_quality_fraction"), "steps": sol.stats["steps"],
            "seconds_per_step": sol.stats["seconds_per_step"], "device": sol.stats["device"],
            "bf16": sol.stats["autocast_bf16"]}


# --- the plain PyTorch loop -----------------------------------------------------------------------

def plain_loop(dataset: str, device: str, steps: int, amp: bool = False, compiled: bool = False,
               seed: int = 0, warmup: int = 20) -> dict[str, Any]:
    """What one writes by hand: the same generator and discriminator, batch and Lagrangian
    (−mean log d(x) + mean d(G(z)) with the default's d, packing and instance noise), one backward
    pass and a simultaneous Adam step for both players per iteration. Returns the cost of a step
    (after ``warmup`` steps) and the metrics."""
    import torch
    import torch.nn.functional as tnf

    from optmodel.problems import gan

    cfg = gan.DEFAULTS
    torch.manual_seed(seed)
    mix = gan.ring8() if dataset == "ring8" else gan.grid25()
    pack = int(cfg["pack"])
    G = gan.mlp(int(cfg["noise_dim"]), int(cfg["hidden"]), 2).to(device)
    T = gan.mlp(2 * pack, int(cfg["hidden"]), 1).to(device)
    cuda = device.startswith("cuda")
    adam = {"betas": (0.5, 0.999)}  # torch.optim.Adam as one writes it (foreach kernels by default)
    opt_g = torch.optim.Adam(G.parameters(), lr=float(cfg["lr_g"]), **adam)
    opt_d = torch.optim.Adam(T.parameters(), lr=float(cfg["lr_d"]), **adam)
    g_net, t_net = (torch.compile(G), torch.compile(T)) if compiled else (G, T)
    sample = gan.mixture_sampler(mix)
    gen = torch.Generator(device=device).manual_seed(seed)
    batch, noise_dim = int(cfg["batch_size"]), int(cfg["noise_dim"])
    softplus = cfg["positive"] == "softplus"
    instance_noise = float(cfg["instance_noise"])
    done = [0]

    def step() -> None:
        x = sample(batch, gen, device)
        z = torch.randn(batch, noise_dim, generator=gen, device=device)
        with torch.autocast("cuda" if cuda else "cpu", dtype=torch.bfloat16, enabled=amp):
            fake = g_net(z)
            if instance_noise > 0:  # the default's annealed instance noise, as the backend draws it
                s = instance_noise * max(0.0, 1.0 - done[0] / (steps + warmup) / gan.NOISE_UNTIL)
                x = x + s * torch.randn(x.shape, generator=gen, device=device)
                fake = fake + s * torch.randn(fake.shape, generator=gen, device=device)
            t = t_net(torch.cat([x, fake]).reshape(2 * batch // pack, -1))  # one pass, as the backend
            t_real, t_fake = t.chunk(2)
            loss = -(torch.log(tnf.softplus(t_real)) if softplus else t_real).mean() \
                + (tnf.softplus(t_fake) if softplus else torch.exp(t_fake)).mean()
        done[0] += 1
        opt_g.zero_grad(set_to_none=True)
        opt_d.zero_grad(set_to_none=True)
        loss.float().backward()
        for p in G.parameters():  # the generator ascends the Lagrangian
            p.grad.neg_()
        opt_g.step()
        opt_d.step()

    for _ in range(warmup):
        step()
    sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        z = torch.randn(gan.METRIC_SAMPLES, noise_dim, generator=torch.Generator().manual_seed(seed + 777))
        fake = G(z.to(device)).float().cpu().numpy()
    m = gan.mixture_metrics(fake, mix)
    return {"steps": steps, "seconds_per_step": seconds / steps, "modes": m["modes_captured"],
            "modes_total": m["modes_total"], "high_quality": m["high_quality_fraction"]}


# --- parts --------------------------------------------------------------------------------------

def part_metrics(args: argparse.Namespace, device: str, rows: list[dict]) -> None:
    for dataset in args.datasets:
        for seed in args.seeds:
            for dev in dict.fromkeys(["cpu", device]):
                r = optmodel_run(dataset, dev, args.metric_steps, seed=seed)
                row = {"part": "metrics", "dataset": dataset, "seed": seed, **r}
                rows.append(row)
                log(f"metrics {dataset} seed {seed} {r['device']}: {r['modes']}/{r['modes_total']} modes, "
                    f"{100 * r['high_quality']:.1f}% high quality, {1000 * r['seconds_per_step']:.2f} ms/step")


def part_throughput(args: argparse.Namespace, device: str, rows: list[dict]) -> None:
    import torch

    cuda = device.startswith("cuda")
    optmodel_run("ring8", device, 10)  # imports and device start-up off the clock
    variants = [("plain fp32", {}), ("plain bf16", {"amp": True})]
    if not args.no_compile:
        variants.append(("plain compiled", {"compiled": True}))
    ours = [(f"optmodel {alg} {'bf16' if amp else 'fp32'}", alg, {"autocast": "on" if amp else "off"})
            for alg in ("simultaneous", "optimistic") for amp in (False, True)]
    if not args.no_compile:
        ours.append(("optmodel simultaneous compiled", "simultaneous", {"autocast": "off", "compile": True}))
        if cuda:
            ours.append(("optmodel simultaneous compiled reduce-overhead", "simultaneous",
                         {"autocast": "off", "compile": "reduce-overhead"}))
    timings: dict[str, list[float]] = {}
    for _ in range(args.repeats):
        def failed(name: str, err: Exception) -> None:
            log(f"{name}: failed ({type(err).__name__}: {str(err)[:200]})")
            rows.append({"part": "throughput", "name": name, "error": str(err)[:500]})

        def record(name: str, r: dict, note: str = "") -> None:
            timings.setdefault(name, []).append(r["seconds_per_step"])
            rows.append({"part": "throughput", "name": name, **r})
            log(f"{name}: {1000 * r['seconds_per_step']:.3f} ms/step, {r['modes']}/{r['modes_total']} modes, "
                f"{100 * r['high_quality']:.1f}%{note}")

        for name, backend_alg, solver_options in ours:
            try:
                if "compile" in solver_options:  # fill the compiler's caches: later runs compile alike
                    optmodel_run("ring8", device, 10, algorithm=backend_alg, solver_options=solver_options)
                r = optmodel_run("ring8", device, args.steps, algorithm=backend_alg, solver_options=solver_options)
                if "compile" in solver_options:  # the compilation off the clock: the cost of `steps` more
                    r2 = optmodel_run("ring8", device, 2 * args.steps, algorithm=backend_alg,
                                      solver_options=solver_options)
                    r["seconds_per_step"] = (2 * r2["seconds_per_step"] - r["seconds_per_step"])
            except Exception as err:  # torch.compile without a working compiler toolchain
                failed(name, err)
                continue
            record(name, r, f" (after {r['steps']} steps)")
        for name, kw in variants:
            try:
                r = plain_loop("ring8", device, args.steps, **kw)
            except Exception as err:  # torch.compile without a working compiler toolchain
                failed(name, err)
                continue
            record(name, r)
    med = {k: statistics.median(v) for k, v in timings.items()}
    summary = {"part": "throughput-summary", "device": device, "torch": torch.__version__,
               "gpu": torch.cuda.get_device_name() if cuda else None,
               "ms_per_step": {k: 1000 * v for k, v in med.items()}}
    if "plain fp32" in med:
        summary["ratio_simultaneous_fp32"] = med["plain fp32"] / med["optmodel simultaneous fp32"]
        summary["ratio_simultaneous_bf16"] = med["plain bf16"] / med["optmodel simultaneous bf16"]
        summary["bf16_speedup_optmodel"] = med["optmodel simultaneous fp32"] / med["optmodel simultaneous bf16"]
        summary["bf16_speedup_plain"] = med["plain fp32"] / med["plain bf16"]
        if "plain compiled" in med:
            summary["compile_speedup_plain"] = med["plain fp32"] / med["plain compiled"]
        if "optmodel simultaneous compiled" in med:  # includes the compilation: use enough --steps
            summary["compile_speedup_optmodel"] = (med["optmodel simultaneous fp32"]
                                                   / med["optmodel simultaneous compiled"])
    rows.append(summary)
    log("throughput (optmodel steps/s ÷ plain steps/s; ≥ 0.95 is the goal): "
        + json.dumps({k: round(v, 3) for k, v in summary.items() if k.startswith(("ratio", "bf16", "compile"))}))


def part_ddp(args: argparse.Namespace, device: str, rows: list[dict]) -> None:
    import torch

    most = torch.cuda.device_count() if device.startswith("cuda") else 2
    counts = [n for n in (1, 2, 4, 8) if n <= most]
    base = None
    for n in counts:
        env = {**os.environ, "OMP_NUM_THREADS": "1"}
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={n}", "-m", "optmodel",
               "solve", "gan", "--dataset", "ring8", "--steps", str(args.ddp_steps), "--device",
               "cuda" if device.startswith("cuda") else "cpu", "--json", "--progress", "off"]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=args.timeout)
        wall = time.perf_counter() - start
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or len(lines) != 1:
            log(f"ddp n={n}: failed (exit {proc.returncode}): {proc.stderr[-800:]}")
            rows.append({"part": "ddp", "nproc": n, "error": proc.stderr[-2000:]})
            continue
        out = json.loads(lines[0])
        sps = out["stats"]["seconds_per_step"]
        samples = n * 256 / sps  # each process draws its own batch
        base = base or samples
        row = {"part": "ddp", "nproc": n, "world_size": out["world_size"], "seconds_per_step": sps,
               "samples_per_second": samples, "scaling": samples / base, "wall_seconds": wall,
               "modes": out["metrics"]["modes_captured"], "high_quality": out["metrics"]["high_quality_fraction"]}
        rows.append(row)
        log(f"ddp n={n}: world size {out['world_size']}, {1000 * sps:.2f} ms/step, {samples:,.0f} samples/s "
            f"({samples / base:.2f}× one process), {row['modes']}/8 modes, {100 * row['high_quality']:.1f}%")
    if len(counts) == 1:
        log("ddp: one GPU here, so only N = 1 ran (torchrun places one process per GPU)")


def markdown(rows: list[dict]) -> str:
    out = ["| part | what | device | modes | high quality | ms/step | note |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        if r["part"] == "throughput-summary":
            note = ", ".join(f"{k} {v:.3f}" for k, v in r.items() if isinstance(v, float))
            out.append(f"| throughput | summary | {r['device']} {r.get('gpu') or ''} |  |  |  | {note} |")
            continue
        what = r.get("name") or (f"{r.get('dataset')} seed {r.get('seed')}" if r["part"] == "metrics"
                                 else f"torchrun N={r.get('nproc')}")
        hq = "" if r.get("high_quality") is None else f"{100 * r['high_quality']:.1f}%"
        modes = "" if r.get("modes") is None else f"{r['modes']}/{r.get('modes_total', 8)}"
        ms = "" if r.get("seconds_per_step") is None else f"{1000 * r['seconds_per_step']:.3f}"
        note = r.get("error", "")[:80] if "error" in r else (
            f"{r['samples_per_second']:,.0f} samples/s, scaling {r['scaling']:.2f}" if r["part"] == "ddp" else "")
        out.append(f"| {r['part']} | {what} | {r.get('device', '')} | {modes} | {hq} | {ms} | {note} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry", action="store_true", help="CPU, tiny step counts: checks that every part runs")
    parser.add_argument("--device", default=None, help="default: cuda when present (cpu with --dry)")
    parser.add_argument("--parts", default="metrics,throughput,ddp")
    parser.add_argument("--datasets", default="ring8,grid25")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--metric-steps", type=int, default=None, help="steps of the metric runs (default: the CLI's)")
    parser.add_argument("--steps", type=int, default=2000, help="timed steps per throughput run")
    parser.add_argument("--repeats", type=int, default=3, help="throughput runs per variant (median)")
    parser.add_argument("--ddp-steps", type=int, default=2000)
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--out", default=str(REPO / "benchmarks" / "gan-results" / "gpu"))
    args = parser.parse_args()
    import torch

    if args.dry:
        args.device = args.device or "cpu"
        args.metric_steps, args.steps, args.repeats, args.ddp_steps = 20, 20, 1, 20
        args.seeds = "0"
    device = args.device or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda, but torch sees no CUDA GPU; use --dry on a CPU")
    args.datasets = args.datasets.split(",")
    args.seeds = [int(s) for s in args.seeds.split(",")]
    if device == "cpu":
        torch.set_num_threads(1)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    gpu = f", {torch.cuda.get_device_name()}" if device != "cpu" else ""
    log(f"device {device}, torch {torch.__version__}{gpu}")
    parts = {"metrics": part_metrics, "throughput": part_throughput, "ddp": part_ddp}
    for name in args.parts.split(","):
        if name not in parts:
            parser.error(f"unknown part {name!r}; parts: {', '.join(parts)}")
        parts[name](args, device, rows)
        (out / "gpu.json").write_text(json.dumps(rows, indent=1))
        (out / "gpu.md").write_text(markdown(rows) + "\n")
    log(markdown(rows))
    log(f"wrote {out / 'gpu.json'} and {out / 'gpu.md'}")


if __name__ == "__main__":
    main()
