"""Lazy constraint families: constraints given by a separation oracle instead of a list.

``separate(x)`` receives the full column vector (integer candidates, and fractional LP points
when ``fractional=True``) and returns the violated constraints it finds, built from the model's
variables like any other (``x[S].sum() >= 1``). Nothing is returned when ``x`` satisfies the family.

Two ways to solve a model with families, chosen by the backend's ``Capability.LAZY``:

* in the solver's own branch-and-cut (the backend enforces the families itself, e.g. SCIP), or
* ``row_generation`` here, for every other LP/MIP backend: cuts on the LP relaxation first, then
  integer rounds, adding every violated constraint found per round to the loaded model where the
  adapter declares ``Capability.INCREMENTAL`` (else loading the grown model again); it stops only
  when an optimal solution of the relaxation satisfies every family, which proves it optimal for
  the whole model. The gap reported is the last round's against the best bound of any round.

Whatever the path, the pipeline runs the oracles once more on the final point (``check_final``)
before the solution may be called optimal. This module knows adapters only by their contract.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Capability, RawResult, solver_output
from optmodel.canonical import Names
from optmodel.expr import Constraint
from optmodel.interrupt import stop_requested
from optmodel.reductions import RelaxIntegrality
from optmodel.solution import SolutionStatus, Termination

if TYPE_CHECKING:
    from optmodel.backend import Adapter, SolveOptions
    from optmodel.canonical import CanonicalForm
    from optmodel.model import Model
    from optmodel.solution import Solution

Separator = Callable[[np.ndarray], Sequence[Constraint]]

# A returned row counts as violated when it is off by more than this (relative to its bound).
VIOLATION_TOLERANCE = 1e-6
# Stop the LP phase when the bound moved less than this (relative) over LP_TAIL rounds.
LP_TAIL_TOLERANCE = 1e-7
LP_TAIL = 8
MAX_LP_ROUNDS = 200


@dataclass
class LazyFamily:
    separate: Separator
    name: str = "lazy"
    fractional: bool = False  # also separate fractional LP points (user cuts)
    description: str = ""  # the family in words/maths, shown by `explain`
    # What solving did with it (filled by whichever path ran).
    stats: dict[str, float] = field(default_factory=lambda: {"cuts": 0, "rounds": 0, "separation_seconds": 0.0})

    def reset(self) -> None:
        self.stats = {"cuts": 0, "rounds": 0, "separation_seconds": 0.0}


@dataclass
class Rows:
    """A block of cut rows ``lower <= A @ x <= upper`` over all model columns."""

    A: sp.csr_array
    lower: np.ndarray
    upper: np.ndarray

    @property
    def count(self) -> int:
        return int(self.lower.shape[0])

    @classmethod
    def empty(cls, n: int) -> Rows:
        return cls(sp.csr_array((0, n)), np.zeros(0), np.zeros(0))


def _stack(constraints: Sequence[Constraint], n: int) -> Rows:
    if not constraints:
        return Rows.empty(n)
    blocks = []
    for con in constraints:
        coef = con.coef
        if coef.shape[1] < n:  # built before later variables were added
            coef = sp.csr_array((coef.data, coef.indices, coef.indptr), shape=(coef.shape[0], n))
        blocks.append(coef)
    A = sp.csr_array(sp.vstack(blocks, format="csr"))
    A.sum_duplicates()
    return Rows(
        A,
        np.concatenate([np.asarray(c.lower, dtype=float).ravel() for c in constraints]),
        np.concatenate([np.asarray(c.upper, dtype=float).ravel() for c in constraints]),
    )


def violated(rows: Rows, x: np.ndarray, tol: float = VIOLATION_TOLERANCE) -> Rows:
    """The rows of ``rows`` that ``x`` violates (an oracle may return satisfied ones too)."""
    if rows.count == 0:
        return rows
    act = rows.A @ x
    with np.errstate(invalid="ignore"):
        below = np.where(np.isfinite(rows.lower), (rows.lower - act) / (1.0 + np.abs(rows.lower)), 0.0)
        above = np.where(np.isfinite(rows.upper), (act - rows.upper) / (1.0 + np.abs(rows.upper)), 0.0)
    keep = np.flatnonzero(np.maximum(below, above) > tol)
    if keep.size == rows.count:
        return rows
    return Rows(sp.csr_array(rows.A[keep]), rows.lower[keep], rows.upper[keep])


def separate(
    families: Sequence[LazyFamily],
    x: np.ndarray,
    fractional: bool,
    tol: float = VIOLATION_TOLERANCE,
    count: bool = True,
) -> Rows:
    """Every violated row the families' oracles find at ``x``, counted in their stats.

    ``fractional`` means ``x`` is an LP point: only families declared ``fractional`` are asked.
    """
    n = x.shape[0]
    found = []
    for fam in families:
        if fractional and not fam.fractional:
            continue
        start = time.perf_counter()
        rows = violated(_stack(list(fam.separate(x)), n), x, tol)
        fam.stats["separation_seconds"] += time.perf_counter() - start
        if count:  # a feasibility check only (SCIP's conscheck) adds no rows
            fam.stats["rounds"] += 1
            fam.stats["cuts"] += rows.count
        if rows.count:
            found.append(rows)
    if not found:
        return Rows.empty(n)
    if len(found) == 1:
        return found[0]
    return Rows(
        sp.csr_array(sp.vstack([r.A for r in found], format="csr")),
        np.concatenate([r.lower for r in found]),
        np.concatenate([r.upper for r in found]),
    )


def family_stats(model: Model) -> dict[str, Any]:
    """Totals and per-family counts for ``Solution.stats``."""
    fams = model.families
    return {
        "cuts": int(sum(f.stats["cuts"] for f in fams)),
        "separation_rounds": int(sum(f.stats["rounds"] for f in fams)),
        "separation_seconds": float(sum(f.stats["separation_seconds"] for f in fams)),
        "families": {
            f.name: {k: (int(v) if k != "separation_seconds" else float(v)) for k, v in f.stats.items()} for f in fams
        },
    }


# --- the entry point used by the solving pipeline ----------------------------------------------
def solve_with_families(model: Model, backend: Adapter, form: CanonicalForm, options: SolveOptions) -> RawResult:
    """Solve a model with lazy families in the solver (``Capability.LAZY``) or by row generation.
    The pipeline then checks the final point against every family (``check_final``)."""
    from optmodel.solving import load_and_run  # the pipeline imports this module

    for fam in model.families:
        fam.reset()
    if Capability.LAZY in backend.capabilities:
        raw = load_and_run(backend, form, options, model.families)
        raw.stats.setdefault("lazy_path", "in-solver")
    else:
        raw = row_generation(backend, form, model.families, options)
    raw.stats.update(family_stats(model))
    return raw


def check_final(model: Model, sol: Solution) -> None:
    """Run every oracle on the final point: a violated family means it cannot be called optimal."""
    if sol.x is None:
        return
    x = np.asarray(sol.x, dtype=float)
    form = model.canonical()
    if form.is_mip:  # the oracles are stated for integer candidates
        x = x.copy()
        x[form.integrality] = np.round(x[form.integrality])
    bad = _violations(model.families, x)
    sol.stats["families_verified"] = not bad
    if bad:
        sol.termination = Termination.OTHER if sol.termination is Termination.OPTIMAL else sol.termination
        sol.solution_status = SolutionStatus.INFEASIBLE
        sol.message = "the returned point violates " + ", ".join(bad)
        if sol.verification is not None:
            sol.verification.feasible = False
            sol.verification.problems.append(sol.message)


def _violations(families: Sequence[LazyFamily], x: np.ndarray) -> list[str]:
    """What the oracles find violated at ``x`` (not counted in the families' stats)."""
    bad = []
    for fam in families:
        rows = violated(_stack(list(fam.separate(x)), x.shape[0]), x)
        if rows.count:
            bad.append(f"{rows.count} constraint(s) of lazy family {fam.name!r}")
    return bad


# --- row generation ---------------------------------------------------------------------------
class _Session:
    """The model plus the cuts so far, on one adapter: changed in place where the solver can
    (``Capability.INCREMENTAL``), else loaded again each round."""

    def __init__(self, backend: Adapter, form: CanonicalForm, options: SolveOptions):
        self.backend = backend
        self.form = form
        self.options = options
        self.incremental = Capability.INCREMENTAL in backend.capabilities
        self.cuts: list[Rows] = []
        self.loaded = False
        self.relaxed = False
        self.build_seconds = 0.0

    def add_rows(self, rows: Rows) -> None:
        self.cuts.append(rows)
        if self.incremental and self.loaded:
            self.backend.add_rows(rows)

    def solve(self, relax: bool, time_limit: float | None) -> RawResult:
        from optmodel.solving import load_and_run  # the pipeline imports this module

        options = replace(self.options, time_limit=time_limit, warm_start=None)
        if self.incremental and self.loaded:
            if relax != self.relaxed and self.form.is_mip:
                integer = np.zeros(self.form.num_cols, dtype=bool) if relax else self.form.integrality
                self.backend.set_integrality(integer)
            self.relaxed = relax
            start = time.perf_counter()
            with solver_output(options.verbose):
                raw = self.backend.run(options)
            raw.solve_seconds = time.perf_counter() - start
            return _with_objective(raw, self.form)
        form = _with_rows(self.form, self.cuts)
        if relax:
            form = RelaxIntegrality().apply(form)
        self.loaded, self.relaxed = True, relax
        raw = load_and_run(self.backend, form, options)
        self.build_seconds += raw.build_seconds
        return _with_objective(raw, self.form)


def _with_objective(raw: RawResult, form: CanonicalForm) -> RawResult:
    """Solvers may return a point without its objective value: recompute it."""
    if raw.x is not None and raw.objective is None:
        raw.objective = form.objective_value(raw.x)
    return raw


def _with_rows(form: CanonicalForm, cuts: Sequence[Rows]) -> CanonicalForm:
    """The form with the cut rows appended (for solvers that load a new model each round)."""
    if not cuts:
        return form
    return replace(
        form,
        A=sp.csr_array(sp.vstack([form.A, *(r.A for r in cuts)], format="csr")),
        row_lower=np.concatenate([form.row_lower, *(r.lower for r in cuts)]),
        row_upper=np.concatenate([form.row_upper, *(r.upper for r in cuts)]),
        row_names=Names(),
    )


def row_generation(
    backend: Adapter, form: CanonicalForm, families: Sequence[LazyFamily], options: SolveOptions
) -> RawResult:
    """Solve by adding violated family rows to a relaxation until its optimum satisfies them all."""
    started = time.perf_counter()
    deadline = None if options.time_limit is None else started + options.time_limit
    session = _Session(backend, form, options)
    rounds = {"lp": 0, "mip": 0}
    cuts_added = 0

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.0)

    def stopped() -> bool:
        return stop_requested() or (deadline is not None and time.perf_counter() >= deadline)

    last: RawResult | None = None
    bound: float | None = None
    sign = form.sense.sign

    def tighten(value: float | None) -> None:
        # Every round solves a relaxation of the whole model: each optimum or bound is valid.
        nonlocal bound
        if value is not None and math.isfinite(value):
            bound = value if bound is None else sign * max(sign * bound, sign * value)

    # Phase 1: cuts on the LP relaxation (user cuts) tighten the bound cheaply, keeping the basis.
    lp_phase = any(f.fractional for f in families) or not form.is_mip
    lp_bound: float | None = None
    history: list[float] = []
    # A pure LP has no branching to fall back on: its loop runs until no cut is violated.
    max_lp_rounds = MAX_LP_ROUNDS if form.is_mip else math.inf
    finished = False  # an optimum of a relaxation that satisfies every family
    while lp_phase and rounds["lp"] < max_lp_rounds and not stopped():
        raw = session.solve(relax=True, time_limit=remaining())
        last = raw
        if raw.termination is not Termination.OPTIMAL or raw.x is None:
            break
        rounds["lp"] += 1
        tighten(raw.objective)
        rows = separate(families, raw.x, fractional=form.is_mip)
        if rows.count == 0:
            lp_bound = float(raw.objective)  # the relaxation over the whole (fractional) family
            finished = not form.is_mip
            break
        session.add_rows(rows)
        cuts_added += rows.count
        history.append(float(raw.objective))
        if form.is_mip and len(history) > LP_TAIL:
            old = history[-LP_TAIL - 1]
            if abs(history[-1] - old) <= LP_TAIL_TOLERANCE * (1.0 + abs(old)):
                break  # tailing off: branching will do better than more cuts
    if form.is_mip:
        while not stopped():
            raw = session.solve(relax=False, time_limit=remaining())
            last = raw
            rounds["mip"] += 1
            tighten(raw.bound)
            if raw.termination is not Termination.OPTIMAL or raw.x is None:
                break
            x = raw.x.copy()
            x[form.integrality] = np.round(x[form.integrality])
            rows = separate(families, x, fractional=False)
            if rows.count == 0:
                finished = True
                break
            session.add_rows(rows)
            cuts_added += rows.count
    result = _final(form, families, last, bound, finished)
    result.build_seconds = session.build_seconds
    result.solve_seconds = time.perf_counter() - started - session.build_seconds
    result.stats.update(
        {
            "lazy_path": "row-generation",
            "incremental": session.incremental,
            "lp_rounds": rounds["lp"],
            "mip_rounds": rounds["mip"],
            "rounds": rounds["lp"] + rounds["mip"],
            "rows_added": cuts_added,
            "lp_bound": lp_bound,
        }
    )
    return result


def _final(
    form: CanonicalForm, families: Sequence[LazyFamily], last: RawResult | None, bound: float | None, finished: bool
) -> RawResult:
    """The last round's answer as the whole model's: its point (if every family holds there), and
    the best bound any round proved (a relaxation's optimum or its solver's bound)."""
    if last is None:
        return RawResult(Termination.TIME_LIMIT)
    term = last.termination
    if term is Termination.OPTIMAL and not finished:
        term = Termination.TIME_LIMIT  # a round ended optimal but its cuts were never re-solved
    if term is Termination.OTHER:
        term = Termination.TIME_LIMIT
    out = RawResult(term, bound=bound, message=last.message, stats=dict(last.stats))
    if last.x is None:
        return out
    x = last.x.copy()
    if form.is_mip:
        x[form.integrality] = np.round(x[form.integrality])
    if finished or not _violations(families, x):
        # No duals: the last LP's price the cuts too, which are no rows of the model as stated.
        out.x, out.objective = x, form.objective_value(x)
    return out
