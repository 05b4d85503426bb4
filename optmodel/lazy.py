"""Lazy constraint families: constraints given by a separation oracle instead of a list.

``separate(x)`` receives the full column vector (integer candidates, and fractional LP points
when ``fractional=True``) and returns the violated constraints it finds, built from the model's
variables like any other (``x[S].sum() >= 1``). Nothing is returned when ``x`` satisfies the family.

Two ways to solve a model with families, chosen by the backend's ``Capability.LAZY``:

* in the solver's own branch-and-cut (the backend enforces the families itself, e.g. SCIP), or
* ``row_generation`` here, for every other LP/MIP backend: cuts on the LP relaxation first, then
  integer rounds, keeping the solver's model between rounds (HiGHS) and adding every violated
  constraint found per round; it stops only when an optimal solution of the relaxation satisfies
  every family, which proves it optimal for the whole model.

Whatever the path, ``solve_with_families`` runs the oracles once more on the final point before
the solution may be called optimal.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.expr import Constraint

if TYPE_CHECKING:
    from optmodel.backend import Backend, SolveOptions
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


# --- the entry point used by dispatch.solve ---------------------------------------------------
def solve_with_families(model: Model, backend: Backend, options: SolveOptions) -> Solution:
    """Solve a model with lazy families in the solver (``Capability.LAZY``) or by row generation,
    then check the final point against every family with its oracle."""
    from optmodel.backend import Capability
    from optmodel.errors import CapabilityError

    if not model.is_linear:
        raise CapabilityError("lazy constraint families need a linear (LP/MIP) model")
    for fam in model.families:
        fam.reset()
    if Capability.LAZY in backend.capabilities:
        sol = backend.solve(model, options)
        sol.stats.setdefault("lazy_path", "in-solver")
    else:
        sol = row_generation(model, backend, options)
    sol.stats.update(family_stats(model))
    check_final(model, sol)
    return sol


def check_final(model: Model, sol: Solution) -> None:
    """Run every oracle on the final point: a violated family means it cannot be called optimal."""
    from optmodel.solution import SolutionStatus, Termination

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


def _violations(families: Sequence[LazyFamily], x: np.ndarray) -> list[str]:
    """What the oracles find violated at ``x`` (not counted in the families' stats)."""
    bad = []
    for fam in families:
        rows = violated(_stack(list(fam.separate(x)), x.shape[0]), x)
        if rows.count:
            bad.append(f"{rows.count} constraint(s) of lazy family {fam.name!r}")
    return bad


def check_verification(model: Model, sol: Solution) -> None:
    """Fold the family check into ``sol.verification`` (after ``verify``)."""
    if sol.verification is not None and sol.stats.get("families_verified") is False:
        sol.verification.feasible = False
        sol.verification.problems.append(sol.message)


# --- row generation ---------------------------------------------------------------------------
class _Session:
    """A solver model that grows by rows between rounds."""

    def add_rows(self, rows: Rows) -> None:  # pragma: no cover - interface
        raise NotImplementedError

    def solve(self, relax: bool, time_limit: float | None, start: np.ndarray | None) -> Solution:
        raise NotImplementedError  # pragma: no cover - interface


class _HighsSession(_Session):
    """One ``highspy.Highs`` kept across rounds: rows are appended, the basis and start reused."""

    def __init__(self, model: Model, backend: Backend, options: SolveOptions):
        import highspy

        from optmodel.backends import highs as hb

        self._hb = hb
        self.form = model.canonical()
        self.h = highspy.Highs()
        hb._set_options(self.h, backend.subsolver, options)
        hb.pass_model(self.h, self.form)
        self.relaxed = False
        self.options = options

    def add_rows(self, rows: Rows) -> None:
        A = rows.A
        self.h.addRows(
            rows.count,
            rows.lower,
            rows.upper,
            A.nnz,
            A.indptr[:-1].astype(np.int32),
            A.indices.astype(np.int32),
            A.data.astype(float),
        )

    def _set_relaxed(self, relax: bool) -> None:
        import highspy

        if relax == self.relaxed or not self.form.is_mip:
            return
        n = self.form.num_cols
        kind = np.where(
            self.form.integrality & (not relax), highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous
        )
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), kind)
        self.relaxed = relax

    def solve(self, relax: bool, time_limit: float | None, start: np.ndarray | None) -> Solution:
        import highspy

        hb = self._hb
        self._set_relaxed(relax)
        self.h.setOptionValue("time_limit", float(time_limit) if time_limit is not None else math.inf)
        if start is not None and self.form.is_mip and not relax:
            s = highspy.HighsSolution()
            s.col_value = start.tolist()
            s.value_valid = True
            self.h.setSolution(s)
        status = hb._run(self.h)
        return hb._solution(self.h, _Relaxed(self.form) if relax else self.form, status)


class _Relaxed:
    """The canonical form seen as its LP relaxation (for reading HiGHS's answer)."""

    def __init__(self, form: Any):
        self._form = form
        self.is_mip = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._form, name)


class _RebuildSession(_Session):
    """Any other backend: the model plus the cuts so far, rebuilt and solved each round."""

    def __init__(self, model: Model, backend: Backend, options: SolveOptions):
        self.form = model.canonical()
        self.backend = backend
        self.options = options
        self.cuts: list[Rows] = []

    def add_rows(self, rows: Rows) -> None:
        self.cuts.append(rows)

    def solve(self, relax: bool, time_limit: float | None, start: np.ndarray | None) -> Solution:
        from dataclasses import replace

        from optmodel.backend import Capability
        from optmodel.model import Model

        m, _x, _ = Model.from_canonical(self.form)
        if relax:
            m._integer[-1] = np.zeros(self.form.num_cols, dtype=bool)
        for k, rows in enumerate(self.cuts):
            m.add(Constraint(rows.A, rows.lower, rows.upper, (rows.count,), m), name=f"cuts{k}")
        warm = start if (start is not None and Capability.WARM_START in self.backend.capabilities) else None
        opts = replace(self.options, time_limit=time_limit, warm_start=warm)
        return self.backend.solve(m, opts)


def row_generation(model: Model, backend: Backend, options: SolveOptions) -> Solution:
    """Solve by adding violated family rows to a relaxation until its optimum satisfies them all."""
    from optmodel.backend import solver_output

    started = time.perf_counter()
    deadline = None if options.time_limit is None else started + options.time_limit
    form = model.canonical()
    with solver_output(options.verbose):
        return _row_generation(model, backend, options, started, deadline, form)


def _row_generation(
    model: Model, backend: Backend, options: SolveOptions, started: float, deadline: float | None, form: Any
) -> Solution:
    from optmodel.solution import Solution, SolutionStatus, Status, Termination

    session: _Session = (_HighsSession if backend.name == "highs" else _RebuildSession)(model, backend, options)
    build = time.perf_counter() - started
    families = model.families
    rounds = {"lp": 0, "mip": 0}
    cuts_added = 0

    def remaining() -> float | None:
        return None if deadline is None else max(deadline - time.perf_counter(), 0.0)

    def out_of_time() -> bool:
        return deadline is not None and time.perf_counter() >= deadline

    last: Solution | None = None
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
    while lp_phase and rounds["lp"] < max_lp_rounds and not out_of_time():
        sol = session.solve(relax=True, time_limit=remaining(), start=None)
        last = sol
        if sol.termination is not Termination.OPTIMAL or sol.x is None:
            break
        rounds["lp"] += 1
        tighten(sol.objective)
        rows = separate(families, sol.x, fractional=form.is_mip)
        if rows.count == 0:
            lp_bound = float(sol.objective)  # the relaxation over the whole (fractional) family
            break
        session.add_rows(rows)
        cuts_added += rows.count
        sol.termination = Termination.TIME_LIMIT  # unless another round finishes
        history.append(float(sol.objective))
        if form.is_mip and len(history) > LP_TAIL:
            old = history[-LP_TAIL - 1]
            if abs(history[-1] - old) <= LP_TAIL_TOLERANCE * (1.0 + abs(old)):
                break  # tailing off: branching will do better than more cuts
    if form.is_mip:
        start_x: np.ndarray | None = None
        while not out_of_time():
            sol = session.solve(relax=False, time_limit=remaining(), start=start_x)
            last = sol
            rounds["mip"] += 1
            tighten(sol.bound)
            if sol.termination is not Termination.OPTIMAL or sol.x is None:
                break
            x = sol.x.copy()
            x[form.integrality] = np.round(x[form.integrality])
            rows = separate(families, x, fractional=False)
            if rows.count == 0:
                break
            session.add_rows(rows)
            cuts_added += rows.count
            start_x = x
            sol.termination = Termination.TIME_LIMIT  # unless another round finishes
    elapsed = time.perf_counter() - started - build
    if last is None:
        last = Solution(Status.TIME_LIMIT, Termination.TIME_LIMIT, SolutionStatus.NO_SOLUTION)
    result = _final(model, last, bound)
    result.build_seconds = build
    result.solve_seconds = elapsed
    result.backend = backend.label
    result.stats.update(
        {
            "lazy_path": "row-generation",
            "lp_rounds": rounds["lp"],
            "mip_rounds": rounds["mip"],
            "rounds": rounds["lp"] + rounds["mip"],
            "rows_added": cuts_added,
            "lp_bound": lp_bound,
        }
    )
    return result


def _final(model: Model, last: Solution, bound: float | None) -> Solution:
    """The last round's answer, restricted to the model's own rows."""
    from optmodel.solution import Solution, SolutionStatus, Status, Termination

    form = model.canonical()
    term = last.termination
    if term is Termination.OPTIMAL and last.x is not None:
        x = last.x.copy()
        if form.is_mip:
            x[form.integrality] = np.round(x[form.integrality])
        obj = form.objective_value(x)
        return Solution(
            Status.OPTIMAL,
            Termination.OPTIMAL,
            SolutionStatus.OPTIMAL,
            objective=obj,
            bound=obj,
            gap=0.0,
            x=x,
            stats=dict(last.stats),
        )
    if term in (Termination.OPTIMAL, Termination.OTHER):
        term = Termination.TIME_LIMIT  # only a limit stops the loop with an optimal round pending
    if last.x is not None and term is Termination.TIME_LIMIT:
        # The incumbent of an interrupted round counts if it satisfies every family.
        x = last.x.copy()
        if form.is_mip:
            x[form.integrality] = np.round(x[form.integrality])
        if not _violations(model.families, x):
            obj = form.objective_value(x)
            gap = None if bound is None else abs(obj - bound) / max(abs(obj), 1e-10)
            return Solution(
                Status.ERROR,
                term,
                SolutionStatus.FEASIBLE,
                objective=obj,
                bound=bound,
                gap=gap,
                x=x,
                stats=dict(last.stats),
            )
    # An earlier relaxation's point may violate the family: return no point, only the bound.
    return Solution(
        Status.ERROR, term, SolutionStatus.NO_SOLUTION, bound=bound, message=last.message, stats=dict(last.stats)
    )
