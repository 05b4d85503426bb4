"""Re-solving a changed model on the loaded solver (warm) against loading it again (cold).

    python benchmarks/resolve.py [--models stocfor1,share2b] [--changes 20] [--repeat 3] [--seed 0] \
        [--backends highs,scip,...] [--mst-sizes 300] [--rowgen-backends highs,scip,ortools:glop] [--json OUT]

Two workloads, each run warm (``m.solve(backend)``, which re-uses the model's loaded solver:
``optmodel.resolve``) and cold (``m.solve(backend, resolve=False)``: a new solver loaded from the
model each time), alternated within each repeat so that the machine's load hits both alike:

* **bounds**: a sequence of ``--changes`` bound changes to a Netlib LP, each a bound of a column
  or a row's right-hand side that the last optimum holds strictly inside (a basic one) moved past
  it by 5%, so that the optimum is cut off and the simplex has work to do,
  kept only if the LP stays feasible (planned once with HiGHS, then replayed identically). Timed:
  the wall time of the whole sequence (``set_bounds`` + ``solve`` with optmodel's verification),
  after one untimed first solve.
* **rowgen**: row generation by hand, as a JuMP or Pyomo user writes it: the directed-cut LP of a
  minimum spanning tree (a random graph, ``optmodel.problems.mst``), solve, ask the cut oracle,
  ``m.add`` the violated cuts, solve again, until none is violated; its optimum is the tree's
  weight (Kruskal, the reference). For the record, the same model through ``optmodel.lazy``'s
  row generation with HiGHS taking the cuts on the loaded model (``Capability.INCREMENTAL``)
  against loading it again each round.

Every warm answer is compared with the cold one (``agrees``); every route that declares
``Capability.RESOLVE`` is run unless ``--backends`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
DATA = Path(os.environ.get("OPTMODEL_DATA", HERE.parent.parent / "shared" / "data"))
AGREE = 1e-6  # relative


def resolve_routes() -> list[str]:
    """Installed ``backend:subsolver`` labels that declare ``Capability.RESOLVE``; of HiGHS's only
    ``highs:choose`` (simplex for an LP: ``highs:simplex`` is the same run; interior point and PDLP
    have no basis to start from)."""
    from optmodel.backend import Capability
    from optmodel.dispatch import backend_classes

    out = []
    for name, cls in sorted(backend_classes().items()):
        if cls.unavailable_reason():
            continue
        subs = [s for s in cls(None).available_subsolvers() if Capability.RESOLVE in cls.subsolvers[s]]
        out += [f"{name}:{s}" for s in subs if s not in ("simplex", "ipm", "pdlp")]
    return out


def _read(spec: str) -> Any:
    import optmodel

    path = Path(spec) if Path(spec).suffix else DATA / "netlib" / f"{spec}.mps"
    return optmodel.read(str(path))


# --- bounds ---------------------------------------------------------------------------------------
def plan(spec: str, count: int, seed: int) -> list[tuple[str, int, float, float]]:
    """``count`` changes ``(kind, index, lower, upper)`` (kind "col" or "row"), each cutting off the
    previous optimum and keeping the LP feasible, found with HiGHS."""
    from optmodel.solution import Status

    rng = np.random.default_rng(seed)
    m = _read(spec)
    x, rows = m.variables[0], m.constraints[0]
    sol = m.solve("highs")
    changes: list[tuple[str, int, float, float]] = []
    tries = 0
    while len(changes) < count and tries < 50 * count:
        tries += 1
        form = m.canonical()
        change = _propose(rng, form, sol.x)
        if change is None:
            continue
        undo = _apply(m, x, rows, change)
        trial = m.solve("highs", resolve=False)
        if trial.status is Status.OPTIMAL:
            changes.append(change)
            sol = trial
        else:
            _apply(m, x, rows, undo)
    return changes


def _propose(rng: np.random.Generator, form: Any, x: np.ndarray) -> tuple[str, int, float, float] | None:
    """A bound of a column or row that is strictly inside its bounds at ``x`` (basic, in simplex
    terms) moved past ``x`` by 5% of its value (at least 0.05): no basis absorbs that by itself."""
    if rng.random() < 0.5:
        inside = np.flatnonzero((x > form.col_lower + 1e-7) & (x < form.col_upper - 1e-7))
        if not inside.size:
            return None
        j = int(rng.choice(inside))
        lo, up, v = float(form.col_lower[j]), float(form.col_upper[j]), float(x[j])
        step = 0.05 * max(1.0, abs(v))
        return ("col", j, lo, max(lo, v - step)) if rng.random() < 0.5 or v + step > up else ("col", j, v + step, up)
    act = form.A @ x
    inside = np.flatnonzero((act > form.row_lower + 1e-7) & (act < form.row_upper - 1e-7)
                            & (np.isfinite(form.row_lower) | np.isfinite(form.row_upper)))
    if not inside.size:
        return None
    i = int(rng.choice(inside))
    lo, up, a = float(form.row_lower[i]), float(form.row_upper[i]), float(act[i])
    step = 0.05 * max(1.0, abs(a))
    if np.isfinite(up) and (not np.isfinite(lo) or rng.random() < 0.5):
        return ("row", i, lo, max(lo, a - step))
    return ("row", i, min(up, a + step), up)


def _apply(m: Any, x: Any, rows: Any, change: tuple[str, int, float, float]) -> tuple[str, int, float, float]:
    """Apply a change; returns the change that undoes it."""
    kind, k, lo, up = change
    if kind == "col":
        form = m.canonical()
        undo = ("col", k, float(form.col_lower[k]), float(form.col_upper[k]))
        m.set_bounds(x[k], lb=lo, ub=up)
        return undo
    lower, upper = rows.lower.copy(), rows.upper.copy()
    undo = ("row", k, float(lower[k]), float(upper[k]))
    lower[k], upper[k] = lo, up
    m.set_bounds(rows, lb=lower, ub=upper)
    return undo


def replay(spec: str, changes: list[tuple[str, int, float, float]], backend: str, warm: bool) -> dict[str, Any]:
    """The sequence on a fresh model after one untimed solve: seconds, objectives, statuses."""
    m = _read(spec)
    x, rows = m.variables[0], m.constraints[0]
    m.solve(backend)
    objectives, how, build, solve, iterations = [], [], 0.0, 0.0, 0
    start = time.perf_counter()
    for change in changes:
        _apply(m, x, rows, change)
        sol = m.solve(backend, resolve=warm)
        objectives.append(sol.objective if sol.status.value == "optimal" else None)
        how.append(sol.stats.get("resolve", ""))
        build += sol.build_seconds
        solve += sol.solve_seconds
        iterations += int(sol.stats.get("simplex_iterations", sol.stats.get("lp_iterations", 0)) or 0)
    return {"seconds": time.perf_counter() - start, "objectives": objectives, "resolve": how,
            "build_s": build, "solve_s": solve, "iterations": iterations}


def _agree(a: list[float | None], b: list[float | None]) -> bool:
    return all(u is not None and v is not None and abs(u - v) <= AGREE * max(1.0, abs(v)) for u, v in zip(a, b))


def bounds_rows(models: list[str], backends: list[str], count: int, repeat: int, seed: int) -> list[dict[str, Any]]:
    out = []
    for spec in models:
        changes = plan(spec, count, seed)
        for backend in backends:
            runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
            for _ in range(repeat):
                for warm in (True, False):
                    runs[warm].append(replay(spec, changes, backend, warm))
            w, c = runs[True], runs[False]
            warm_s = statistics.median(r["seconds"] for r in w)
            cold_s = statistics.median(r["seconds"] for r in c)
            out.append({
                "model": spec, "backend": backend, "changes": len(changes),
                "cols_changed": sum(ch[0] == "col" for ch in changes),
                "warm_s": warm_s, "cold_s": cold_s, "speedup": cold_s / warm_s,
                "warm_build_s": w[0]["build_s"], "warm_solve_s": w[0]["solve_s"],
                "cold_build_s": c[0]["build_s"], "cold_solve_s": c[0]["solve_s"],
                "warm_iterations": w[0]["iterations"], "cold_iterations": c[0]["iterations"],
                "all_warm": all(h == "warm" for h in w[0]["resolve"]),
                "agrees": all(_agree(r["objectives"], c[0]["objectives"]) for r in w + c),
            })
            print(_line(out[-1]), file=sys.stderr)
    return out


# --- row generation -------------------------------------------------------------------------------
def _mst_lp(n: int, seed: int) -> tuple[Any, Any, Any, float]:
    """(relaxed directed-cut MST model without its family, its variable, the cut family, Kruskal)."""
    from optmodel.model import Model
    from optmodel.problems.mst import build_directed, kruskal_weight, random_graph
    from optmodel.reductions import RelaxIntegrality

    g = random_graph(n, seed=seed)
    model, _ = build_directed(g)
    family = model.families[0]
    relaxed, y, _ = Model.from_canonical(RelaxIntegrality().apply(model.canonical()))
    return relaxed, y, family, kruskal_weight(g)


def user_loop(n: int, seed: int, backend: str, warm: bool) -> dict[str, Any]:
    from optmodel.lazy import separate

    m, y, family, reference = _mst_lp(n, seed)
    start = time.perf_counter()
    rounds = cuts = 0
    how = []
    while True:
        sol = m.solve(backend, resolve=warm)
        how.append(sol.stats.get("resolve", ""))
        rounds += 1
        rows = separate([family], sol.x, fractional=True)
        if rows.count == 0 or rounds > 500:
            break
        m.add(rows.A @ y >= rows.lower, name=f"cuts{rounds}")
        cuts += rows.count
    return {"seconds": time.perf_counter() - start, "objective": sol.objective, "reference": reference,
            "rounds": rounds, "cuts": cuts, "all_warm": all(h == "warm" for h in how[1:])}


def lazy_loop(n: int, seed: int, incremental: bool) -> dict[str, Any]:
    """optmodel.lazy's row generation with HiGHS, adding cuts to the loaded model or reloading it."""
    from optmodel.backend import Capability, SolveOptions
    from optmodel.backends.highs import Highs
    from optmodel.dispatch import solve_with
    from optmodel.problems.mst import build_directed, kruskal_weight, random_graph

    class Reloading(Highs):
        subsolvers = {"choose": Highs.subsolvers["choose"] - {Capability.INCREMENTAL}}

    g = random_graph(n, seed=seed)
    model, _ = build_directed(g)
    start = time.perf_counter()
    sol = solve_with(model, Highs() if incremental else Reloading(), SolveOptions())
    return {"seconds": time.perf_counter() - start, "objective": sol.objective, "reference": kruskal_weight(g),
            "rounds": sol.stats.get("rounds"), "cuts": sol.stats.get("cuts"), "all_warm": incremental}


def rowgen_rows(sizes: list[int], backends: list[str], repeat: int, seed: int) -> list[dict[str, Any]]:
    out = []
    for n in sizes:
        cases = [(b, lambda warm, b=b, n=n: user_loop(n, seed, b, warm)) for b in backends]
        cases.append(("highs (optmodel.lazy)", lambda warm, n=n: lazy_loop(n, seed, warm)))
        for label, run in cases:
            runs: dict[bool, list[dict[str, Any]]] = {True: [], False: []}
            for _ in range(repeat):
                for warm in (True, False):
                    runs[warm].append(run(warm))
            w, c = runs[True], runs[False]
            warm_s = statistics.median(r["seconds"] for r in w)
            cold_s = statistics.median(r["seconds"] for r in c)
            ok = all(r["objective"] is not None and abs(r["objective"] - r["reference"]) <= AGREE * r["reference"]
                     for r in w + c)
            out.append({
                "model": f"mst directed-cut LP, random n={n}", "backend": label,
                "loop": "optmodel.lazy row generation" if "lazy" in label else "m.add + m.solve",
                "rounds": w[0]["rounds"], "cuts": w[0]["cuts"], "warm_s": warm_s, "cold_s": cold_s,
                "speedup": cold_s / warm_s, "all_warm": w[0]["all_warm"], "agrees": ok,
                "objective": w[0]["objective"], "reference": w[0]["reference"],
            })
            print(_line(out[-1]), file=sys.stderr)
    return out


# --- report ---------------------------------------------------------------------------------------
def _line(r: dict[str, Any]) -> str:
    return (f"{r['model']:<34} {r['backend']:<22} warm {r['warm_s']:8.3f} s  cold {r['cold_s']:8.3f} s  "
            f"cold/warm {r['speedup']:6.2f}  {'agrees' if r['agrees'] else 'DISAGREES'}"
            f"{'' if r['all_warm'] else '  (some rebuilt)'}")


def table(result: dict[str, Any]) -> str:
    lines = ["| workload | model | backend | warm s | cold s | cold/warm | notes |", "|---|---|---|---|---|---|---|"]
    for r in result["bounds"]:
        inside = (r["warm_build_s"] + r["warm_solve_s"], r["cold_build_s"] + r["cold_solve_s"])
        notes = f"build+solve {inside[0]:.3f} vs {inside[1]:.3f} s; "
        its = (r["warm_iterations"], r["cold_iterations"])
        notes += f"simplex/LP iterations {its[0]} vs {its[1]}" if any(its) else "iterations not reported"
        notes += "" if r["agrees"] else "; DISAGREES"
        lines.append(f"| {r['changes']} bound changes | {r['model']} | {r['backend']} | {r['warm_s']:.3f} | "
                     f"{r['cold_s']:.3f} | {r['speedup']:.2f} | {notes} |")
    for r in result["rowgen"]:
        notes = f"{r['rounds']} rounds, {r['cuts']} cuts" + ("" if r["agrees"] else "; DISAGREES")
        if "lazy" in r["loop"]:
            notes += "; warm: cuts added to the loaded HiGHS, cold: reloaded each round"
        lines.append(f"| row generation ({r['loop']}) | {r['model']} | {r['backend']} | {r['warm_s']:.3f} | "
                     f"{r['cold_s']:.3f} | {r['speedup']:.2f} | {notes} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="stocfor1,share2b", help="Netlib names or .mps paths (default stocfor1,share2b)")
    p.add_argument("--changes", type=int, default=20, help="bound changes per sequence (default 20)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each (warm, cold) pair; medians (default 3)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backends", help="routes for the bound changes (default: every RESOLVE route installed)")
    p.add_argument("--mst-sizes", default="300", help="vertices of the random MST graphs (default 300; '' for none)")
    p.add_argument("--rowgen-backends", default="highs,scip,ortools:glop", help="routes for the user loop")
    p.add_argument("--json", default=str(HERE / "results" / "resolve.json"), help="result file")
    args = p.parse_args(argv)
    backends = args.backends.split(",") if args.backends else resolve_routes()
    rowgen_backends = [b for b in args.rowgen_backends.split(",") if b and (not args.backends or b in backends)]
    result: dict[str, Any] = {
        "command": "python benchmarks/resolve.py " + " ".join(argv),
        "bounds": bounds_rows([m for m in args.models.split(",") if m], backends, args.changes, args.repeat,
                              args.seed),
        "rowgen": rowgen_rows([int(s) for s in args.mst_sizes.split(",") if s], rowgen_backends, args.repeat,
                              args.seed),
    }
    result["machine"] = {"cpus": os.cpu_count(), "loadavg_at_end": os.getloadavg()}
    print(table(result))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=1, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
