"""LKH (Helsgaun's Lin–Kernighan heuristic) through elkai: an optional extra.

Licence: elkai's own code is MIT, but it bundles LKH, which is free for academic and
non-commercial use only (commercial use needs the author's permission). Install it on purpose:
``pip install 'optmodel[lkh]'``.

LKH reads integer weights; LKH multiplies them internally by its PRECISION (100), so they are
kept below 10⁷: larger or real-valued matrices are scaled to 10⁵ and the tour is improved on the
true distances afterwards.

elkai holds the GIL for the whole call and LKH's limits are checked between trials only (reading
the matrix and the subgradient ascent before the first trial take seconds on 2,000 cities), so
LKH runs in a child process: it writes each new best tour to a file (``OUTPUT_TOUR_FILE``), and
the parent, polling every 50 ms, stops it at the time limit or on Ctrl-C and takes the last tour
written. Stopped before any, it returns a nearest-neighbour tour. Up to 150 cities LKH runs in
this process instead (a tenth of a second; a child would take longer just to start), for at most
half a second, so a Ctrl-C is seen within a second there too.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import SolveOptions, solver_output
from optmodel.ordering import OrderingBackend, TourProblem, TourRun, default_seconds
from optmodel.solution import Termination

EXACT_TOP = 10_000_000
SCALE_TOP = 100_000
POLL_SECONDS = 0.05
IN_PROCESS_MAX = 150  # cities: up to this, elkai runs in this process ...
IN_PROCESS_SECONDS = 0.5  # ... for at most this long

# The child: the matrix as LKH's FULL_MATRIX text (elkai reads no other format), LKH's limits set
# from the wall-clock end it is given, the final tour written as one line of 1-based numbers.
CHILD = r"""
import io, sys, time
import numpy as np
from elkai import _elkai
folder, end = sys.argv[1], float(sys.argv[2])
mat = np.load(folder + "/matrix.npy")
buf = io.StringIO()
np.savetxt(buf, mat, fmt="%d")
text = ("TYPE : TSP\nDIMENSION : %d\nEDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\n"
        "EDGE_WEIGHT_SECTION\n%sEOF\n" % (mat.shape[0], buf.getvalue()))
params = open(folder + "/params.txt").read()
if end > 0:
    left = max(0.01, end - time.time())
    params += "TIME_LIMIT = %.3f\nTOTAL_TIME_LIMIT = %.3f\n" % (left, left)
tour = _elkai.solve_problem(params, text)
with open(folder + "/result.part", "w") as f:
    f.write(" ".join(map(str, tour)))
import os
os.replace(folder + "/result.part", folder + "/result.txt")
"""


def read_tour_file(path: Path, n: int) -> np.ndarray | None:
    """A TSPLIB tour file's tour (0-based), or None while it is missing or half written."""
    try:
        text = path.read_text()
    except OSError:
        return None
    _, sep, body = text.partition("TOUR_SECTION")
    if not sep:
        return None
    numbers = []
    for word in body.split():
        if word in ("-1", "EOF"):
            break
        try:
            numbers.append(int(word))
        except ValueError:
            return None
    t = np.asarray(numbers, dtype=np.int64) - 1
    if len(t) != n or not np.array_equal(np.sort(t), np.arange(n)):
        return None
    return t


class Lkh(OrderingBackend):
    name = "lkh"
    description = "LKH via elkai (optional; LKH is for academic/non-commercial use only)"
    modules = ("elkai",)
    distribution = "elkai"
    extra: ClassVar[str] = "lkh"

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        d = problem.dist
        n = problem.n
        start = time.perf_counter()
        exact = bool(np.all(d == np.round(d))) and float(d.max()) <= EXACT_TOP
        mat = d if exact else np.rint(d * (SCALE_TOP / max(float(d.max()), 1e-300)))
        budget = default_seconds(n) if deadline is None else max(0.05, deadline - start)
        if not exact:
            budget *= 0.8  # keep some for the true-distance polish
        end = start + budget
        runs = int(options.solver_options.get("runs", 1))
        seed = int(options.solver_options.get("seed", 1))
        stats: dict[str, object] = {"scaled": not exact, "runs": runs}
        if n <= IN_PROCESS_MAX:
            t = self._in_process(mat, min(budget, IN_PROCESS_SECONDS), runs, seed, options.verbose)
            stats["lkh_seconds"] = time.perf_counter() - start
            if not exact:
                t = self.polish(problem, t, deadline, stats)
            return TourRun(t, stats=stats)
        with tempfile.TemporaryDirectory(prefix="optmodel-lkh-") as tmp:
            folder = Path(tmp)
            np.save(folder / "matrix.npy", mat.astype(np.int32))
            best_file = folder / "best.tour"
            params = (
                f"RUNS = {runs}\nSEED = {seed}\nTRACE_LEVEL = {1 if options.verbose else 0}\n"
                f"PROBLEM_FILE = :stdin:\nOUTPUT_TOUR_FILE = {best_file}\n"
            )
            if deadline is None:
                params += f"TIME_LIMIT = {budget:.3f}\n"
            # The subgradient ascent (candidate edges by optimised alpha-nearness) comes before the
            # first trial: on 1,000 random cities (busy machine) the first tour came after 2.8 s with
            # it, 0.8 s without, and after 3 s of trials both were within 0.1%. Under a tight limit
            # (less than n/100 seconds) LKH starts from plain alpha-nearness.
            quick = deadline is not None and budget < n / 100
            if bool(options.solver_options.get("subgradient", not quick)) is False:
                params += "SUBGRADIENT = NO\n"
                stats["subgradient"] = False
            (folder / "params.txt").write_text(params)
            # LKH's own limits end at the same wall-clock time the parent enforces.
            end_epoch = time.time() + (end - time.perf_counter()) if deadline is not None else 0.0
            out = 2 if options.verbose else subprocess.DEVNULL
            with open(folder / "stderr.txt", "wb") as err:
                proc = subprocess.Popen(
                    [sys.executable, "-c", CHILD, str(folder), f"{end_epoch:.6f}"],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err if not options.verbose else 2,
                    start_new_session=True,  # a terminal's Ctrl-C reaches this process only
                )
                best, why = self._wait(proc, best_file, n, end if deadline is not None else None)
            stats["lkh_seconds"] = time.perf_counter() - start
            result = folder / "result.txt"
            if result.exists():
                tour = np.asarray(result.read_text().split(), dtype=np.int64) - 1
                best, why = tour, ""
            elif best is None and not why and proc.returncode != 0 and not interrupt.stop_requested():
                tail = (folder / "stderr.txt").read_text(errors="replace").strip().splitlines()[-1:]
                message = f"LKH failed (exit status {proc.returncode}){': ' + tail[0] if tail else ''}"
                return TourRun(None, termination=Termination.ERROR, message=message, stats=stats)
        if best is None:
            return self.fallback(problem, deadline, stats, why or "LKH returned no tour")
        stats["tour_source"] = "lkh" if not why else "lkh (last tour written before it was stopped)"
        t = best
        if not exact:
            t = self.polish(problem, t, deadline, stats)
        return TourRun(t, stats=stats)

    @staticmethod
    def _in_process(mat: np.ndarray, seconds: float, runs: int, seed: int, verbose: bool) -> np.ndarray:
        """elkai in this process (it holds the GIL throughout: small problems only)."""
        from elkai import _elkai

        buf = io.StringIO()
        np.savetxt(buf, mat, fmt="%d")
        text = (
            f"TYPE : TSP\nDIMENSION : {mat.shape[0]}\nEDGE_WEIGHT_TYPE : EXPLICIT\nEDGE_WEIGHT_FORMAT : FULL_MATRIX\n"
            f"EDGE_WEIGHT_SECTION\n{buf.getvalue()}EOF\n"
        )
        params = (
            f"RUNS = {runs}\nSEED = {seed}\nTIME_LIMIT = {seconds:.3f}\nTRACE_LEVEL = {1 if verbose else 0}\n"
            "PROBLEM_FILE = :stdin:\n"
        )
        with solver_output(verbose):
            tour = _elkai.solve_problem(params, text)
        return np.asarray(tour, dtype=np.int64) - 1

    @staticmethod
    def _wait(
        proc: subprocess.Popen[bytes], best_file: Path, n: int, end: float | None
    ) -> tuple[np.ndarray | None, str]:
        """Wait for the child, keeping the last complete tour it wrote; stop it at ``end`` or on
        Ctrl-C. Returns (that tour, why it was stopped: "" if it finished)."""
        best: np.ndarray | None = None
        seen: tuple[int, int] | None = None
        why = ""
        try:
            while True:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    proc.wait(timeout=POLL_SECONDS)
                try:
                    st = best_file.stat()
                    key = (st.st_mtime_ns, st.st_size)
                except OSError:
                    key = None
                if key is not None and key != seen:
                    tour = read_tour_file(best_file, n)
                    if tour is not None:  # else half written: read it again next time
                        best, seen = tour, key
                if proc.returncode is not None:
                    break
                if interrupt.stop_requested():
                    why = "Interrupted before LKH finished"
                    break
                if end is not None and time.perf_counter() >= end:
                    why = "The time limit was reached before LKH finished"
                    break
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        if why and best is None:
            why += " (it was still reading the matrix or computing its candidate edges)"
        return best, why


BACKEND = Lkh
