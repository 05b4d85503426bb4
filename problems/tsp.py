"""The travelling salesman problem on a TSPLIB file, stated as an ordering (closed tour).

minimise Σ_i d(π_i, π_{i+1}) + d(π_n, π_1) over permutations π of the cities.

Backends: ``fast-tsp`` (default heuristic), ``exact`` (MIP with lazy subtour elimination),
``ortools`` / ``routing`` (OR-Tools routing with guided local search), ``lkh`` (elkai, optional,
non-commercial licence), ``spectral`` (a baseline).
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.model import Model
from optmodel.problem import Problem, Report
from optmodel.problems import number

DEFAULT_BACKEND = "fast-tsp"
MIN_SECONDS = 0.01  # what is left of a time limit that reading the instance used up
ALIASES = {"ortools": "routing"}  # the routing solver is OR-Tools' TSP solver


def backend_name(backend: str | None) -> str:
    """The ordering backend meant by a --backend value (default fast-tsp; ortools -> routing)."""
    if not backend:
        return DEFAULT_BACKEND
    name, colon, sub = backend.partition(":")
    if name in ALIASES:
        return ALIASES[name] + colon + sub  # an unknown sub-solver gets the routing backend's error
    return backend


class Tsp(Problem):
    name = "tsp"
    summary = "travelling salesman tour of a TSPLIB .tsp file (fast-tsp, exact MIP, OR-Tools, LKH, spectral)"
    needs = frozenset({Capability.ORDERING})
    default_backend = DEFAULT_BACKEND
    backend_aliases = ALIASES
    formulation = [
        "minimize Σ_i d(π_i, π_{i+1}) + d(π_n, π_1)   over permutations π of the n cities",
        "(an ordering decision; the exact backend states it as a MIP: x ∈ {0,1}^E, two edges at every city,",
        " and one subtour-elimination cut Σ_{e ⊂ S} x_e ≤ |S| − 1 per subset S, generated lazily)",
    ]
    adjacent = [
        "the open path (seriation): maximise the similarity of neighbours, a TSP with a dummy city",
        "the Held–Karp 1-tree bound: a minimum spanning tree plus two edges, a lower bound on every tour",
    ]
    sizes_help = "cities, uniform in the unit square (EUC_2D distances x 1000)"
    example_size = 20

    def instance(self, size: int, seed: int = 0) -> Model:
        from optmodel import ordering
        from optmodel.tsplib import distances

        points = np.random.default_rng(seed).random((size, 2)) * 1000
        model = Model(f"tsp{size}")
        model.minimize(ordering.tour(distances(points, "EUC_2D")))
        return model
    uses_lp_backends = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--instance", required=True, metavar="FILE.tsp", help="TSPLIB file (symmetric TSP)")
        parser.add_argument("--optimum", type=float, metavar="L", help="known optimal length: report the gap to it")

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        from optmodel.ordering import order_of, ordering_model
        from optmodel.tsplib import read_tsplib

        began = time.perf_counter()
        inst = read_tsplib(args.instance)
        model = ordering_model(inst.dist, closed=True, name=inst.name)
        if options.time_limit is not None:  # the limit covers reading the instance too
            spent = time.perf_counter() - began
            options = dataclasses.replace(options, time_limit=max(options.time_limit - spent, MIN_SECONDS))
        sol = model.solve(backend_name(backend), options=options)
        rep = Report(sol)
        rep.answer = {"instance": inst.name, "cities": inst.n, "tour": None}
        if sol.stats.get("order") is None:
            return rep
        order = order_of(sol)
        tour = [int(inst.ids[i]) for i in order]
        sol.stats.pop("order")  # the tour (city ids) is the answer; no second copy
        length = inst.tour_length(order)
        rep.answer.update({"tour": tour, "length": length})
        line = f"{inst.name}: {inst.n} cities, tour length {number(length)}"
        if sol.bound is not None and sol.status.value != "optimal":
            line += f" (lower bound {number(sol.bound)})"
        if args.optimum:
            gap = (length - args.optimum) / args.optimum
            rep.answer["optimum_gap"] = gap
            line += f", {100 * gap:.3f}% above the optimum {number(args.optimum)}"
        rep.lines.append(line)
        shown = tour if len(tour) <= 30 else [*tour[:15], "...", *tour[-14:]]
        rep.lines.append("tour: " + " ".join(map(str, shown)))
        return rep


PROBLEM = Tsp()
