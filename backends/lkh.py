"""LKH (Helsgaun's Lin–Kernighan heuristic) through elkai: an optional extra.

Licence: elkai's own code is MIT, but it bundles LKH, which is free for academic and
non-commercial use only (commercial use needs the author's permission). Install it on purpose:
``pip install 'optmodel[lkh]'``.

LKH reads integer weights; LKH multiplies them internally by its PRECISION (100), so they are
kept below 10⁷: larger or real-valued matrices are scaled to 10⁵ and the tour is improved on the
true distances afterwards. The time limit is passed as LKH's TIME_LIMIT (checked between trials;
the initial subgradient ascent is not interrupted, so very large instances may overrun it).
"""

from __future__ import annotations

import io
import time
from typing import ClassVar

import numpy as np

from optmodel.backend import SolveOptions, solver_output
from optmodel.ordering import OrderingBackend, TourProblem, TourRun, default_seconds

EXACT_TOP = 10_000_000
SCALE_TOP = 100_000


class Lkh(OrderingBackend):
    name = "lkh"
    description = "LKH via elkai (optional; LKH is for academic/non-commercial use only)"
    modules = ("elkai",)
    distribution = "elkai"
    extra: ClassVar[str] = "lkh"

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        from elkai import _elkai

        d = problem.dist
        n = problem.n
        exact = bool(np.all(d == np.round(d))) and float(d.max()) <= EXACT_TOP
        mat = d.astype(np.int64) if exact else np.rint(d * (SCALE_TOP / max(float(d.max()), 1e-300))).astype(np.int64)
        budget = default_seconds(n) if deadline is None else max(0.05, deadline - time.perf_counter())
        if not exact:
            budget *= 0.8
        buf = io.StringIO()
        np.savetxt(buf, mat, fmt="%d")  # elkai's LKH reads FULL_MATRIX only
        problem_text = (
            f"TYPE : TSP\nDIMENSION : {n}\nEDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\n"
            f"EDGE_WEIGHT_SECTION\n{buf.getvalue()}EOF\n"
        )
        runs = int(options.solver_options.get("runs", 1))
        seed = int(options.solver_options.get("seed", 1))
        params = (
            f"RUNS = {runs}\nSEED = {seed}\nTIME_LIMIT = {budget:.3f}\nTRACE_LEVEL = {1 if options.verbose else 0}\n"
            "PROBLEM_FILE = :stdin:\n"
        )
        with solver_output(options.verbose):
            tour = _elkai.solve_problem(params, problem_text)
        t = np.asarray(tour, dtype=np.int64) - 1
        stats: dict[str, object] = {"scaled": not exact, "runs": runs}
        if not exact:
            t = self.polish(problem, t, deadline, stats)
        return TourRun(t, stats=stats)


BACKEND = Lkh
