"""OR-Tools' routing solver on an ordering: one vehicle, guided local search until the time limit.

The distances go to the solver as a matrix (``RegisterTransitMatrix``), not a Python callback,
which is what makes it usable on a thousand cities. The first tour comes from Christofides'
heuristic (``solver_options={"first_solution": NAME}`` picks another FirstSolutionStrategy).
The routing solver wants integers: integral matrices pass as they are, others are scaled to about
10⁶ and the tour is improved on the true distances afterwards. ``--backend ortools`` for the
tsp/seriation problems means this backend.

Setup and search run in ``interrupt.run_in_worker`` (both hold the GIL only briefly, so Ctrl-C is
seen at once); Ctrl-C cancels the search (``RoutingModel.CancelSearch``), which then returns its
best tour within milliseconds. A nearest-neighbour tour stands in when the search is stopped before
its first solution (Christofides' heuristic takes about a second on 2,000 cities and cannot be
cancelled: the worker is abandoned after ``interrupt.GRACE_SECONDS``).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import Capability, SolveOptions, solver_output
from optmodel.ordering import OrderingBackend, TourProblem, TourRun, default_seconds

SCALE_TOP = 1_000_000


class Routing(OrderingBackend):
    name = "routing"
    description = "OR-Tools routing solver (guided local search by default); alias 'ortools' for tsp/seriation"
    modules = ("ortools",)
    distribution = "ortools"
    extra: ClassVar[str] = "tsp"
    subsolvers: ClassVar[dict[str, frozenset[Capability]]] = {
        "gls": frozenset({Capability.ORDERING}),  # guided local search
        "tabu": frozenset({Capability.ORDERING}),  # generic tabu search
        "sa": frozenset({Capability.ORDERING}),  # simulated annealing
        "greedy": frozenset({Capability.ORDERING}),  # first solution + greedy descent only
    }

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2

        start = time.perf_counter()
        d = problem.dist
        n = problem.n
        exact = bool(np.all(d == np.round(d))) and float(d.max()) * n < 2**62
        mat = d.astype(np.int64) if exact else np.rint(d * (SCALE_TOP / max(float(d.max()), 1e-300))).astype(np.int64)
        # Christofides starts GLS far closer than the path-cheapest-arc default on large instances
        # (measured in 5 s: pr1002 5.7% vs 14.9% above the optimum, pr2392 6.1% vs 28%).
        first = str(options.solver_options.get("first_solution", "CHRISTOFIDES")).upper()
        getattr(routing_enums_pb2.FirstSolutionStrategy, first)  # an unknown name fails here, not in the worker
        chosen = "first_solution" in options.solver_options
        meta = {
            "gls": routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH,
            "tabu": routing_enums_pb2.LocalSearchMetaheuristic.GENERIC_TABU_SEARCH,
            "sa": routing_enums_pb2.LocalSearchMetaheuristic.SIMULATED_ANNEALING,
            "greedy": routing_enums_pb2.LocalSearchMetaheuristic.GREEDY_DESCENT,
        }[self.subsolver]
        stats: dict[str, object] = {"scaled": not exact}
        stop = interrupt.current()  # captured: the worker may outlive this solve if abandoned

        def work() -> tuple[np.ndarray | None, int]:
            # Row by row: one tolist() of millions of entries would hold the GIL for a second.
            rows = []
            for row in mat:
                if stop.requested:
                    return None, -1
                rows.append(row.tolist())
            manager = pywrapcp.RoutingIndexManager(n, 1, 0)
            routing = pywrapcp.RoutingModel(manager)
            transit = routing.RegisterTransitMatrix(rows)
            del rows
            routing.SetArcCostEvaluatorOfAllVehicles(transit)
            params = pywrapcp.DefaultRoutingSearchParameters()
            params.local_search_metaheuristic = meta
            setup = time.perf_counter() - start
            stats["setup_seconds"] = setup
            budget = default_seconds(n) if deadline is None else deadline - time.perf_counter()
            if not exact:
                budget *= 0.8  # keep some for the true-distance polish
            if stop.requested or budget <= 0:
                return None, -1
            # Christofides takes about 1.5x the setup (both O(n²); measured up to 2,000 cities) and
            # cannot be cut short: under a tight limit the cheapest-arc path (3x faster) starts GLS.
            name = first
            if deadline is not None and not chosen and first == "CHRISTOFIDES" and 1.5 * setup > 0.4 * budget:
                name = "PATH_CHEAPEST_ARC"
            params.first_solution_strategy = getattr(routing_enums_pb2.FirstSolutionStrategy, name)
            stats["first_solution"] = name
            params.time_limit.FromMilliseconds(max(1, int(budget * 1000)))
            params.log_search = bool(options.verbose)

            def on_solution() -> None:
                if stop.requested:
                    routing.CancelSearch()  # a Ctrl-C that came just before the search started

            routing.AddAtSolutionCallback(on_solution)
            with stop.on_request(routing.CancelSearch):
                assignment = routing.SolveWithParameters(params)
            if assignment is None:
                return None, int(routing.status())
            return _route(routing, manager, lambda i: assignment.Value(routing.NextVar(i))), int(routing.status())

        with solver_output(options.verbose):
            result, stopped = interrupt.run_in_worker(work)
        tour, status = result if result is not None else (None, -1)  # None: abandoned on Ctrl-C
        stats["routing_status"] = status
        if tour is None:
            if stopped:
                why = "Interrupted before OR-Tools found a tour"
            elif deadline is not None:
                why = "The time limit was reached before OR-Tools found a tour"
            else:
                why = f"OR-Tools found no tour (routing status {status})"
            return self.fallback(problem, deadline, stats, why)
        t = np.asarray(tour, dtype=np.int64)
        if not exact:
            t = self.polish(problem, t, deadline, stats)
        return TourRun(t, stats=stats)


def _route(routing: Any, manager: Any, next_of: Any) -> list[int]:
    """The cities of the one vehicle's route, from the depot."""
    tour = []
    index = routing.Start(0)
    while not routing.IsEnd(index):
        tour.append(manager.IndexToNode(index))
        index = next_of(index)
    return tour


BACKEND = Routing
