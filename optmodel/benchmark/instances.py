"""Instance sets: which files (or generated problems) a benchmark runs, their known optima, and the
solve of one instance by one backend inside the isolated child.

A target is a file, a folder (its model files, in subfolders too), a glob, or ``PROBLEM:SIZE`` for a
generated instance of a built-in problem. Known optima come from an ``optimal.csv`` beside the
files (columns ``name`` and ``optimal_objective`` or ``optimum``, as in ``../shared/data``) or from
``--optima FILE``.

What an instance means to a backend:
- MPS / LP / QPS: the model as written, solved by the backend as given.
- TSPLIB ``.tsp``: the closed tour (problem ``tsp``). An LP/MIP backend name means the exact MIP with
  lazy subtour cuts on that solver (``highs`` -> ``exact:highs``), ``ortools`` means OR-Tools routing.
- DIMACS ``.gr``: the shortest path from the first to the last vertex (ids 1 and n).
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from optmodel.errors import InputError, OptmodelError

MODEL_SUFFIXES = (".mps", ".mps.gz", ".qps", ".qps.gz", ".lp", ".lp.gz")
KINDS = {**{s: s.split(".")[1] for s in MODEL_SUFFIXES}, ".tsp": "tsplib", ".gr": "dimacs"}
# On a TSP, an LP/MIP solver's name means the exact MIP on it (see the module docstring).
TSP_BACKENDS = {"highs": "exact:highs", "scip": "exact:scip"}
OPTIMUM_COLUMNS = ("optimal_objective", "optimum", "objective")


@dataclass(frozen=True)
class Instance:
    name: str
    set: str  # the folder it came from, or "generated"
    kind: str  # mps, qps, lp, tsplib, dimacs, generated
    path: str  # absolute file path, or PROBLEM:SIZE
    reference: float | None = None  # the known optimal objective

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _kind(path: Path) -> str | None:
    name = path.name.lower()
    for suffix, kind in KINDS.items():
        if name.endswith(suffix):
            return kind
    return None


def _stem(path: Path) -> str:
    name = path.name
    for suffix in sorted(KINDS, key=len, reverse=True):
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def read_optima(path: str | Path) -> dict[str, float]:
    """``name -> optimal objective`` from a CSV with a header naming ``name`` and an optimum column."""
    path = Path(path)
    with path.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        fields = reader.fieldnames or []
        column = next((c for c in OPTIMUM_COLUMNS if c in fields), None)
        if "name" not in fields or column is None:
            raise InputError(f"needs a header with `name` and one of {', '.join(OPTIMUM_COLUMNS)}", path=path, line=1)
        optima = {}
        for line, row in enumerate(reader, start=2):
            try:
                value = float(row[column])
            except (TypeError, ValueError):
                raise InputError(f"{column} {row[column]!r} is not a number", path=path, line=line) from None
            if not math.isfinite(value):
                raise InputError(f"{column} must be finite, got {row[column]!r}", path=path, line=line)
            optima[row["name"]] = value
    return optima


def collect(targets: Sequence[str], optima: str | Path | None = None) -> list[Instance]:
    """The instances named by files, folders, globs and PROBLEM:SIZE, in order, without repeats."""
    from optmodel.problems import get

    extra = read_optima(optima) if optima else {}
    found: dict[str, Instance] = {}
    beside: dict[Path, dict[str, float]] = {}

    def add(path: Path) -> None:
        kind = _kind(path)
        if kind is None:
            return
        folder = path.parent.resolve()
        if folder not in beside:
            csv_path = folder / "optimal.csv"
            beside[folder] = read_optima(csv_path) if csv_path.is_file() else {}
        name = _stem(path)
        ref = extra.get(name, beside[folder].get(name))
        key = str(path.resolve())
        found.setdefault(key, Instance(name, folder.name, kind, key, ref))

    for target in targets:
        problem_name, colon, size = target.partition(":")
        path = Path(target)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _kind(p))
            if not files:
                raise InputError(f"no model files ({', '.join(KINDS)}) in this folder", path=path)
            for p in files:
                add(p)
        elif path.is_file():
            if _kind(path) is None:
                raise InputError(f"not an instance file; benchmarks read {', '.join(KINDS)}", path=path)
            add(path)
        elif any(c in target for c in "*?["):
            files = sorted(Path(p) for p in glob.glob(target) if _kind(Path(p)))
            if not files:
                raise InputError(f"the pattern {target!r} matches no model files")
            for p in files:
                add(p)
        elif colon and get(problem_name) is not None:
            if not size.isdigit() or int(size) < 1:
                raise InputError(f"{target!r}: the size after {problem_name}: must be a positive integer")
            # no reference: each seed generates another instance; the backends' answers are compared
            found.setdefault(target, Instance(target, "generated", "generated", target))
        else:
            raise InputError(f"{target!r} is not a file, folder, glob or PROBLEM:SIZE (problems: see `list`)")
    return list(found.values())


def solve(instance: dict[str, Any], backend: str, seed: int, options: dict[str, Any]) -> dict[str, Any]:
    """Load and solve one instance (in the isolated child): the row's solver fields."""
    from optmodel.backend import SolveOptions
    from optmodel.dispatch import choose

    row: dict[str, Any] = {"status": "error", "sense": None, "objective": None, "bound": None, "gap": None,
                           "certified": False, "build_seconds": None, "solve_seconds": None,
                           "solver_version": "", "message": ""}
    began = time.perf_counter()
    try:
        model, label = _load(instance, backend, seed)
        row["sense"] = "max" if model.objective is not None and model.objective.sense.value == "maximize" else "min"
        opts = SolveOptions(seed=seed, **options)
        try:
            choose(model, label, opts)
        except OptmodelError as err:
            meant = f"on a TSP, {backend!r} means {label!r}: " if label != backend else ""
            row.update(status="skipped", message=meant + str(err))
            return row
        if opts.time_limit is not None:  # the limit covers reading the instance too
            left = max(opts.time_limit - (time.perf_counter() - began), 0.01)
            opts = dataclasses.replace(opts, time_limit=left)
        sol = model.solve(label, options=opts)
    except OptmodelError as err:
        row["message"] = str(err)
        return row
    row.update(status=sol.status.value, objective=_number(sol.objective), bound=_number(sol.bound),
               gap=_number(sol.gap), certified=bool(sol.certified), build_seconds=_number(sol.build_seconds),
               solve_seconds=_number(sol.solve_seconds), solver_version=f"{sol.backend} {sol.backend_version}".strip(),
               message=sol.message)
    return row


def _load(instance: dict[str, Any], backend: str, seed: int) -> tuple[Any, str]:
    kind, path = instance["kind"], instance["path"]
    if kind == "generated":
        from optmodel.problems import get

        name, _, size = path.partition(":")
        problem = get(name)
        if problem is None:
            raise InputError(f"unknown problem {name!r}")
        return problem.instance(int(size), seed), backend
    if kind == "tsplib":
        from optmodel.ordering import ordering_model
        from optmodel.problems.tsp import backend_name
        from optmodel.tsplib import read_tsplib

        inst = read_tsplib(path)
        label = TSP_BACKENDS.get(backend) or backend_name(backend)
        return ordering_model(inst.dist, closed=True, name=inst.name), label
    if kind == "dimacs":
        from optmodel.graphs import read_graph
        from optmodel.problems.shortest_path import build

        graph = read_graph(path)
        return build(graph, 0, graph.num_vertices - 1)[0], backend
    from optmodel.formats import read_model_file
    from optmodel.model import Model

    return Model.from_canonical(read_model_file(path))[0], backend


def _number(v: Any) -> float | None:
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None
