"""fast-tsp (MIT): a Lin–Kernighan-style local search in Rust, optmodel's default ordering heuristic.

It takes integer distances up to 65,535 only. Matrices that are integral and within range are
passed as they are; others (large TSPLIB weights, real-valued similarities) are scaled and rounded,
and the tour found is then re-measured and improved with 2-opt/Or-opt on the true distances, so
the reported objective is always the true one.
"""

from __future__ import annotations

import time
from typing import ClassVar

import numpy as np

from optmodel.backend import SolveOptions, solver_output
from optmodel.ordering import OrderingBackend, TourProblem, TourRun, default_seconds

UINT16_MAX = 65_535


def integer_matrix(d: np.ndarray, top: int = UINT16_MAX) -> tuple[np.ndarray, bool]:
    """``d`` as integers in [0, top]: (matrix, exact) where exact means no rounding happened."""
    high = float(d.max()) if d.size else 0.0
    if np.all(d == np.round(d)) and high <= top:
        return d.astype(np.int64), True
    scale = top / high if high > 0 else 1.0
    return np.rint(d * scale).astype(np.int64), False


class FastTsp(OrderingBackend):
    name = "fast-tsp"
    description = "fast-tsp local search (MIT); exact for 20 cities or fewer; default ordering heuristic"
    modules = ("fast_tsp",)
    distribution = "fast_tsp"
    extra: ClassVar[str] = "tsp"

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        import fast_tsp

        now = time.perf_counter()
        budget = default_seconds(problem.n) if deadline is None else max(0.05, deadline - now)
        mat, exact = integer_matrix(problem.dist)
        stats: dict[str, object] = {"scaled": not exact}
        seconds = budget if exact else 0.75 * budget  # keep a quarter for the true-distance polish
        threads = options.threads or 1
        cand = options.solver_options.get("candidates", "auto")
        with solver_output(options.verbose):
            t = fast_tsp.find_tour(
                np.ascontiguousarray(mat), duration_seconds=seconds, max_threads=threads, candidates=cand,
                stop_when_converged=deadline is None,
            )
        t = np.asarray(t, dtype=np.int64)
        # 20 cities or fewer: Held–Karp, exact for the matrix it was given.
        optimal = exact and problem.n <= 20
        if not exact:
            stats["scaled_length"] = int(mat[t, np.roll(t, -1)].sum())
            t = self.polish(problem, t, None if deadline is None else max(deadline, now + seconds), stats)
        return TourRun(t, optimal=optimal, stats=stats)


BACKEND = FastTsp
