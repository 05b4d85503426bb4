"""fast-tsp (MIT): a Lin–Kernighan-style local search in Rust, optmodel's default ordering heuristic.

It takes integer distances up to 65,535 only. Matrices that are integral and within range are
passed as they are; others (large TSPLIB weights, real-valued similarities) are scaled and rounded,
and the tour found is then re-measured and improved with 2-opt/Or-opt on the true distances, so
the reported objective is always the true one.

The Rust search cannot be stopped from outside once it runs in a thread, so the budget is spent in
a few slices of growing length (a tenth of the budget up to 1 s, then three times as long each,
the last one taking the rest), each in ``interrupt.run_in_worker``, keeping the best tour: on
Ctrl-C the slice running is abandoned (after ``interrupt.GRACE_SECONDS``) and the best earlier
tour returned. Restarting costs little: on pr2392 the best of 1+2+3+4 s was within 0.2% of one
10 s run (pr1002: the optimum either way).
"""

from __future__ import annotations

import math
import time
from typing import ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import SolveOptions, solver_output
from optmodel.ordering import OrderingBackend, TourProblem, TourRun, default_seconds

UINT16_MAX = 65_535
FIRST_SLICE = 0.1  # share of the budget searched first (then 3x as long, then the rest) ...
MIN_SLICE = 0.2  # ... but at least this many seconds
MAX_FIRST_SLICE = 1.0  # and at most this: a first tour to return on Ctrl-C


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
        mat = np.ascontiguousarray(mat)
        stats: dict[str, object] = {"scaled": not exact}
        seconds = budget if exact else 0.75 * budget  # keep a quarter for the true-distance polish
        end = now + seconds
        threads = options.threads or 1
        cand = options.solver_options.get("candidates", "auto")
        converge = deadline is None  # no time limit: stop once the search has converged

        def call(duration: float) -> list[int]:
            return fast_tsp.find_tour(
                mat, duration_seconds=duration, max_threads=threads, candidates=cand, stop_when_converged=converge
            )

        best: np.ndarray | None = None
        best_length = math.inf
        slices: list[float] = []
        piece = min(seconds, max(MIN_SLICE, min(FIRST_SLICE * seconds, MAX_FIRST_SLICE)))
        stopped = False
        while not stopped:
            left = end - time.perf_counter()
            if best is not None and left < MIN_SLICE / 4:
                break
            duration = max(0.01, left if left < 2.5 * piece else piece)  # no short last slice
            began = time.perf_counter()
            with solver_output(options.verbose):
                result, stopped = interrupt.run_in_worker(lambda d=duration: call(d))
            took = time.perf_counter() - began
            slices.append(round(took, 3))
            if result is not None:
                t = np.asarray(result, dtype=np.int64)
                length = problem.length(t)
                if length < best_length:
                    best, best_length = t, length
            if problem.n <= 20 or (converge and took < 0.9 * duration):
                break  # solved exactly, or converged before its slice ended
            piece *= 3
        stats["slices"] = slices
        if best is None:
            return self.fallback(problem, deadline, stats, "Interrupted before fast-tsp returned a tour")
        t = best
        # 20 cities or fewer: Held–Karp, exact for the matrix it was given.
        optimal = exact and problem.n <= 20
        if not exact:
            stats["scaled_length"] = int(mat[t, np.roll(t, -1)].sum())
            t = self.polish(problem, t, None if deadline is None else max(deadline, now + seconds), stats)
        return TourRun(t, optimal=optimal, stats=stats)


BACKEND = FastTsp
