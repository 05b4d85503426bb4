"""Exact orderings: the TSP as a MIP with lazy subtour elimination (``optmodel.subtour``).

An open path is solved as a tour through one extra city at distance 0 from all others. The
sub-solver names the MIP backend that ``optmodel.subtour.solve_tsp`` uses (HiGHS by default).
Practical up to a few hundred cities; the heuristics take over beyond that.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import OptmodelError
from optmodel.ordering import OrderingBackend, TourProblem, TourRun
from optmodel.solution import Termination

if TYPE_CHECKING:
    from optmodel.model import Model
    from optmodel.solution import Solution


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

        limit = None if deadline is None else max(0.1, deadline - time.perf_counter())
        try:
            res = solve_tsp(problem.dist, backend=self.subsolver, time_limit=limit, verbose=options.verbose)
        except OptmodelError as err:  # no tour within the limit
            term = Termination.TIME_LIMIT if limit is not None else Termination.ERROR
            return TourRun(None, termination=term, message=str(err))
        stats = dict(getattr(res, "stats", {}) or {})
        stats["mip_seconds"] = res.seconds
        if res.tour is None or len(res.tour) == 0:
            return TourRun(None, termination=Termination.TIME_LIMIT if limit else Termination.ERROR,
                           message="the MIP found no tour", stats=stats)
        t = np.asarray(res.tour, dtype=np.int64)
        term = None if res.optimal else Termination.TIME_LIMIT
        bound = res.bound if res.bound is not None else None
        return TourRun(t, optimal=bool(res.optimal), bound=bound, termination=term, stats=stats)


BACKEND = Exact
