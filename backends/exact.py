"""Exact orderings: the TSP as a MIP with lazy subtour elimination (``optmodel.subtour``).

An open path is solved as a tour through one extra city at distance 0 from all others. The
sub-solver names the MIP backend that ``optmodel.subtour.solve_tsp`` uses (HiGHS by default).
Practical up to a few hundred cities; the heuristics take over beyond that.

A heuristic tour comes first (fast-tsp where installed, else nearest neighbour and 2-opt/Or-opt;
a tenth of the time limit, at most a few seconds): it is the MIP's start where the sub-solver takes
one, and the answer, with the MIP's bound, when the MIP stops at the limit or on Ctrl-C without a
better one. The MIP runs in ``interrupt.run_in_worker`` with the time left, so a Ctrl-C during its
(Python) model build is answered within a second too.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import Capability, SolveOptions
from optmodel.errors import OptmodelError
from optmodel.ordering import (
    OrderingBackend,
    TourProblem,
    TourRun,
    _bound_meets,
    improve,
    nearest_neighbour_tour,
)
from optmodel.solution import Termination

if TYPE_CHECKING:
    from optmodel.model import Model
    from optmodel.solution import Solution

HEURISTIC_SECONDS = 3.0  # at most this for the heuristic start, and a tenth of a time limit
HEURISTIC_SHARE = 0.1
# Seconds per edge variable before the MIP can answer anything, measured on pr1002 (501,501
# edges) on a busy 2-core machine: SCIP's model build (backends/scip.py adds the variables one by
# one, 30 s, outside the solver's time limit) and HiGHS's first LP relaxation (3 s, past a 1.4 s
# limit). Under a time limit the MIP is skipped when that alone would not fit.
SETUP_SECONDS_PER_EDGE = {"scip": 2e-5, "highs": 4e-6}


class Exact(OrderingBackend):
    name = "exact"
    description = "exact TSP/ordering: MIP with lazy subtour elimination (optmodel.subtour)"
    modules = ("optmodel.subtour",)
    distribution = ""  # the version reported is the MIP sub-solver's (see solve)
    extra: ClassVar[str] = "scip"
    exact: ClassVar[bool] = True
    subsolvers: ClassVar[dict[str, frozenset[Capability]]] = {
        "scip": frozenset({Capability.ORDERING}),  # cuts inside SCIP's branch-and-cut
        "highs": frozenset({Capability.ORDERING}),  # optmodel's row-generation loop
    }

    @classmethod
    def unavailable_reason(cls) -> str | None:
        if importlib.util.find_spec("optmodel.subtour") is None:
            return "optmodel.subtour (exact TSP by subtour elimination) is not part of this installation"
        return None

    def available_subsolvers(self) -> list[str]:
        from optmodel.dispatch import backend_classes

        classes = backend_classes()
        return [s for s in self.subsolvers if s in classes and classes[s].unavailable_reason() is None]

    def why_not(self, model: Model) -> str | None:
        reason = super().why_not(model)
        if reason is None and self.subsolver not in self.available_subsolvers():
            return f"{self.label}: the {self.subsolver} backend is not installed"
        return reason

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        sol = super().solve(model, options)
        from optmodel.dispatch import backend_classes

        cls = backend_classes().get(self.subsolver)
        sol.backend_version = cls.version() if cls is not None else ""
        return sol

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        import time

        from optmodel.subtour import solve_tsp

        began = time.perf_counter()
        n = problem.n
        stats: dict[str, object] = {}
        edges = n * (n - 1) // 2
        build = SETUP_SECONDS_PER_EDGE.get(self.subsolver, 0.0) * edges
        # The MIP is skipped when it could not even start searching within the time limit: the
        # heuristic then has all of it.
        skip = deadline is not None and build > (1 - HEURISTIC_SHARE) * (deadline - began)
        # 1. A heuristic tour: the incumbent whatever happens to the MIP.
        share = min(HEURISTIC_SECONDS, 0.05 + n / 1000)
        if deadline is not None:
            share = deadline - began if skip else min(share, HEURISTIC_SHARE * (deadline - began))
        tour = self._heuristic(problem, options, began + share, stats)
        length = problem.length(tour)
        stats["heuristic_length"] = length
        stats["heuristic_seconds"] = time.perf_counter() - began
        if interrupt.stop_requested():
            return TourRun(tour, stats=stats)
        # 2. The MIP, with the time left.
        left = None if deadline is None else deadline - time.perf_counter()
        if skip or (left is not None and left <= 0.05):
            stats["mip"] = f"skipped: {edges} edge variables, about {build:.3g} s before {self.subsolver} could answer"
            message = (
                f"The time limit leaves no time for the MIP ({edges} edge variables); "
                "returning a heuristic tour with a 1-tree bound."
            )
            return TourRun(tour, termination=Termination.TIME_LIMIT, stats=stats, message=message)

        def mip() -> object:
            return solve_tsp(problem.dist, backend=self.subsolver, time_limit=left, verbose=options.verbose, start=tour)

        try:
            res, _ = interrupt.run_in_worker(mip)
        except OptmodelError as err:  # the MIP failed; the heuristic tour stands
            stats["mip"] = f"failed: {err}"
            term = Termination.TIME_LIMIT if deadline is not None else Termination.OTHER
            return TourRun(tour, termination=term, stats=stats, message=f"The MIP failed ({err}); a heuristic tour.")
        if res is None:  # abandoned after Ctrl-C (the MIP was still being built)
            stats["mip"] = "abandoned on Ctrl-C"
            return TourRun(tour, stats=stats)
        stats.update(getattr(res, "stats", {}) or {})
        stats["mip_seconds"] = res.seconds
        t = np.asarray(res.tour, dtype=np.int64)
        length = problem.length(t)
        bound = res.bound if res.bound is not None and np.isfinite(res.bound) else None
        optimal = bool(res.optimal) or (bound is not None and _bound_meets(problem, length, bound))
        term = None  # optimal; Ctrl-C makes it INTERRUPTED in the base class
        if not optimal:
            limited = deadline is not None or res.status in ("time_limit", "interrupted")
            term = Termination.TIME_LIMIT if limited else Termination.OTHER
        return TourRun(t, optimal=optimal, bound=bound, termination=term, stats=stats)

    @staticmethod
    def _heuristic(problem: TourProblem, options: SolveOptions, until: float, stats: dict[str, object]) -> np.ndarray:
        """A good tour by ``until``: fast-tsp where installed, else nearest neighbour + 2-opt/Or-opt."""
        from optmodel.dispatch import backend_class

        fast = backend_class("fast-tsp")
        if fast is not None and fast.unavailable_reason() is None:
            run = fast("default").search(problem, SolveOptions(threads=options.threads), until)
            if run.tour is not None:
                stats["heuristic"] = "fast-tsp"
                return np.asarray(run.tour, dtype=np.int64)
        stats["heuristic"] = "nearest-neighbour+2-opt"
        t = nearest_neighbour_tour(problem.dist, until)
        return improve(problem.dist, t, until)[0]


BACKEND = Exact
