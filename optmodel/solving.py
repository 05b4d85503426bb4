"""Solving an LP/MIP through an adapter, and the one result stage that every backend shares.

The pipeline for a linear model, whatever the backend:

1. ``reductions.prepare``: bounds and data normalised (ill-posed data refused), free rows dropped;
2. a trivial model (contradictory bounds, an empty row that excludes 0, no rows at all) is
   answered here, without a solver;
3. the adapter loads and runs the form (lazy families in its branch-and-cut, or by row
   generation in ``optmodel.lazy``);
4. what the solver left open or may have got wrong is settled by the feasibility problem:
   "infeasible or unbounded", a claim of "unbounded", a failure without a point;
5. ``finish``: the answer mapped back, the gap, limit and interrupt statuses, verification and
   the ``Solution``;
6. an infeasible or unbounded answer is proved by a Farkas or primal ray that optmodel checks
   (``optmodel.certificates``: the solver's ray, or one from an auxiliary LP on the same backend).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from optmodel import resolve
from optmodel.backend import Adapter, Capability, RawResult, SolveOptions, solver_output, start_values
from optmodel.canonical import CanonicalForm
from optmodel.errors import OptmodelError
from optmodel.interrupt import stop_requested
from optmodel.lazy import check_final, solve_with_families
from optmodel.reductions import FeasibilityProblem, invert, prepare
from optmodel.solution import Solution, SolutionStatus, Status, Termination, finalize_status
from optmodel.verify import reduced_costs_of, verify

if TYPE_CHECKING:
    from optmodel.lazy import LazyFamily
    from optmodel.model import Model

# Terminations that are the solver's final word: a stop request arriving after them changes nothing.
_FINAL = (Termination.OPTIMAL, Termination.INFEASIBLE, Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED)


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """|objective - bound| / |objective| (HiGHS's definition); 0 when they agree to 1e-9."""
    if objective is None or bound is None:
        return None
    if not math.isfinite(bound):
        return math.inf
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


def trivial(
    form: CanonicalForm, constrained_elsewhere: bool = False, stated: CanonicalForm | None = None
) -> RawResult | None:
    """The answer of a model that needs no solver, or None.

    Contradictory bounds and empty rows that exclude 0 make it infeasible; without any row that
    has a variable (and no lazy family: ``constrained_elsewhere``), each column is optimised on its
    own (the reduced costs are the costs). ``stated`` (the model's own form) gives the bounds that
    messages quote, before integer rounding.
    """
    stated = stated if stated is not None else form
    for label, names, lower, upper in (
        ("variable", form.col_names, form.col_lower, form.col_upper),
        ("constraint", form.row_names, form.row_lower, form.row_upper),
    ):
        if lower is upper or not (lower > upper).any():
            continue
        bad = np.flatnonzero(lower > upper)
        if bad.size:
            j = int(bad[0])
            name = names.label(j)
            kind = " integer" if label == "variable" and form.integrality[j] else ""
            if label == "variable":
                lower, upper = stated.col_lower, stated.col_upper
            return RawResult(
                Termination.INFEASIBLE,
                message=f"The model is infeasible: {label} {name} has no{kind} value between its bounds "
                f"[{lower[j]:g}, {upper[j]:g}].",
                stats={"solved_by": "optmodel (bounds)"},
            )
    indptr = form.A.indptr
    empty_rows = np.flatnonzero(indptr[1:] == indptr[:-1])  # usually none: the bounds are read only there
    bad = empty_rows[(form.row_lower[empty_rows] > 0) | (form.row_upper[empty_rows] < 0)]
    if bad.size:
        i = int(bad[0])
        name = form.row_names.label(i)
        return RawResult(
            Termination.INFEASIBLE,
            message=f"The model is infeasible: constraint {name} has no variables and its bounds exclude 0.",
            stats={"solved_by": "optmodel (bounds)"},
        )
    if constrained_elsewhere or empty_rows.size < form.num_rows or form.is_quadratic or form.has_special:
        return None
    s = form.sense.sign
    cost = s * form.c  # minimised
    x = np.clip(np.zeros(form.num_cols), form.col_lower, form.col_upper)
    x = np.where(cost > 0, form.col_lower, np.where(cost < 0, form.col_upper, x))
    stats = {"solved_by": "optmodel (no constraints)"}
    if not np.all(np.isfinite(x)):
        return RawResult(Termination.UNBOUNDED, stats=stats)
    objective = form.objective_value(x)
    return RawResult(
        Termination.OPTIMAL,
        x=x,
        objective=objective,
        bound=objective,
        row_duals=np.zeros(form.num_rows),
        reduced_costs=form.c.astype(float).copy(),
        stats=stats,
    )


def load_and_run(
    backend: Adapter, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()
) -> RawResult:
    """One solve of ``form`` by ``backend``, with the solver's own output kept off stdout."""
    with solver_output(options.verbose):
        start = time.perf_counter()
        backend.load(form, options, families)
        loaded = time.perf_counter()
        if options.time_limit is not None:  # building the solver's model counts against the limit
            options = replace(options, time_limit=max(options.time_limit - (loaded - start), 0.0))
        raw = backend.run(options)
    raw.build_seconds += loaded - start
    raw.solve_seconds += time.perf_counter() - loaded
    return raw


def decide_infeasible_or_unbounded(backend: Adapter, form: CanonicalForm, options: SolveOptions) -> Termination:
    """Infeasible or unbounded? The feasibility problem (zero objective) on a fresh adapter tells."""
    return _decided(feasibility_problem(backend, form, options))


def feasibility_problem(backend: Adapter, form: CanonicalForm, options: SolveOptions) -> RawResult:
    """The feasibility problem (zero objective) solved on a fresh adapter of the same backend."""
    return load_and_run(type(backend)(backend.subsolver), FeasibilityProblem().apply(form), options)


def _decided(check: RawResult) -> Termination:
    if check.termination is Termination.OPTIMAL:
        return Termination.UNBOUNDED
    if check.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
        return Termination.INFEASIBLE
    return Termination.INFEASIBLE_OR_UNBOUNDED


def solve_linear(model: Model, backend: Adapter, options: SolveOptions) -> Solution:
    """The whole pipeline for an LP/MIP (see the module docstring)."""
    started = time.perf_counter()
    original = model.canonical()
    checked, form, chain = prepare(original, backend.native(original))
    if options.warm_start is not None:  # a full column vector (NaN: no value), its length checked
        options = replace(options, warm_start=start_values(model, options.warm_start))
    prepared = time.perf_counter()
    raw = trivial(form, constrained_elsewhere=bool(model.families), stated=original)
    answered_here = raw is not None
    if raw is None and model.families:
        raw = solve_with_families(model, backend, form, options)
    elif raw is None:
        raw = resolve.load_and_run(model, backend, form, chain, options)  # warm where the last solve's solver can be
    solved = time.perf_counter()
    point = None  # a feasible point from settling "unbounded": the start of its certificate's ray
    if not answered_here and not model.families and not stop_requested():
        point = _settle(raw, backend, form, _remaining(options, started))
    if raw.termination is Termination.INFEASIBLE and not answered_here and _wants_iis(backend, model):
        with solver_output(options.verbose):  # HiGHS logs its IIS search on stdout, where --json goes
            raw.iis = backend.iis()
    raw = invert(chain, raw)
    sol = finish(checked, raw)
    if model.families:
        check_final(model, sol)
    finalize_status(sol)
    if sol.termination in (Termination.INFEASIBLE, Termination.UNBOUNDED):
        _certify(sol, model, checked, raw, backend, _remaining(options, started), point)
    sol.model = model
    sol.backend = sol.backend or backend.label
    sol.backend_version = sol.backend_version or backend.version()
    sol.build_seconds = (prepared - started) + raw.build_seconds
    sol.solve_seconds = raw.solve_seconds if raw.solve_seconds else solved - prepared
    if chain:
        sol.stats["reductions"] = [r.name for r in chain] + list(sol.stats.get("reductions", []))
    return sol


def _settle(raw: RawResult, backend: Adapter, form: CanonicalForm, options: SolveOptions) -> np.ndarray | None:
    """Settle what a solver left open or may have got wrong, by the feasibility problem:
    "infeasible or unbounded" becomes one of them; "unbounded" is a claim about a feasible model
    (conic solvers have made it of infeasible ones) and is confirmed; a solver that failed without
    a point may have met an infeasible model it could not diagnose. Returns the feasibility
    problem's point, if any (an unbounded answer's certificate starts from it)."""
    undecided = raw.termination is Termination.INFEASIBLE_OR_UNBOUNDED
    failed = raw.termination in (Termination.ERROR, Termination.NUMERICAL_ERROR) and raw.x is None
    if not (undecided or failed or raw.termination is Termination.UNBOUNDED):
        return None
    try:
        check = feasibility_problem(backend, form, options)
    except OptmodelError:  # the solver refuses the feasibility problem too: the first answer stands
        return None
    decided = _decided(check)
    if failed and decided is Termination.INFEASIBLE:
        raw.stats["solver_message"] = raw.message
        raw.termination, raw.message = decided, ""
    elif not failed and decided not in (raw.termination, Termination.INFEASIBLE_OR_UNBOUNDED):
        raw.termination, raw.message = decided, ""  # the standard sentence for the decided status
    return check.x if decided is Termination.UNBOUNDED else None


def _certify(
    sol: Solution, model: Model, checked: CanonicalForm, raw: RawResult, backend: Adapter,
    options: SolveOptions, point: np.ndarray | None,
) -> None:
    """Prove an infeasible or unbounded answer by a certificate that optmodel checks itself
    (``optmodel.certificates``): ``sol.certified`` is true only with one."""
    if model.families:
        sol.stats["certificate"] = "not certified: lazy constraint families are only partly in the model"
        return
    if stop_requested():
        return
    from optmodel.certificates import certify

    start = time.perf_counter()
    sol.certificate, note = certify(checked, sol.termination, raw, backend, options, point)
    sol.stats["certificate_seconds"] = time.perf_counter() - start
    if note and not (sol.certificate is not None and sol.certificate.checked):
        sol.stats["certificate"] = f"not certified: {note}"


def _wants_iis(backend: Adapter, model: Model) -> bool:
    """An IIS of the model as loaded (lazy families are only partly there: none then)."""
    return Capability.IIS in backend.capabilities and not stop_requested() and not model.families


def _remaining(options: SolveOptions, started: float) -> SolveOptions:
    if options.time_limit is None:
        return options
    return replace(options, time_limit=max(options.time_limit - (time.perf_counter() - started), 0.0))


def finish(form: CanonicalForm, raw: RawResult) -> Solution:
    """The one result stage: a solver's raw answer judged and reported the same way for every backend.

    The termination comes from the solver (a limit is a limit because the solver said so); a stop
    request (Ctrl-C) turns an unfinished solve into ``interrupted``. The objective is recomputed when
    the solver gave none, the gap follows one formula, and the point is verified independently.
    """
    term = raw.termination
    if stop_requested() and term not in _FINAL:
        term = Termination.INTERRUPTED
    if term in (Termination.INFEASIBLE, Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED):
        raw.x = raw.objective = raw.row_duals = raw.reduced_costs = None  # no point answers these
    sol = Solution(
        Status.ERROR,
        term,
        SolutionStatus.NO_SOLUTION,
        row_duals=raw.row_duals,
        reduced_costs=raw.reduced_costs,
        iis=raw.iis,
        message=raw.message,
        stats=dict(raw.stats),
    )
    if form.is_mip and term is Termination.OPTIMAL and raw.bound is None and raw.x is not None:
        raw.bound = raw.objective  # a solver that proves optimality without reporting its bound
    if raw.x is not None:
        x = np.asarray(raw.x, dtype=float).reshape(-1)
        sol.x = x
        sol.objective = float(raw.objective) if raw.objective is not None else None
        if sol.objective is None and x.shape == (form.num_cols,) and np.all(np.isfinite(x)):
            sol.objective = form.objective_value(x)
        sol.solution_status = SolutionStatus.OPTIMAL if term is Termination.OPTIMAL else SolutionStatus.FEASIBLE
        if form.is_mip:
            sol.bound = _finite(raw.bound)
        elif term is Termination.OPTIMAL:
            sol.bound = sol.objective  # an LP solved to optimality; the duals certify it below
        sol.gap = relative_gap(sol.objective, sol.bound) if sol.bound is not None else None
    else:
        sol.bound = _finite(raw.bound)
    if not form.is_mip and term is not Termination.OPTIMAL:
        sol.row_duals = sol.reduced_costs = None  # duals of an unfinished LP certify nothing
    derived = (
        sol.reduced_costs is None
        and sol.row_duals is not None
        and sol.x is not None
        and sol.row_duals.shape == (form.num_rows,)
        and sol.x.shape == (form.num_cols,)
    )
    if derived:
        sol.reduced_costs = reduced_costs_of(form, sol.x, sol.row_duals)
    sol.verification = verify(form, sol, derived_reduced_costs=derived)
    return sol


def _finite(value: float | None) -> float | None:
    """A bound as optmodel reports it: None for unknown; SCIP's ±1e20 sentinels count as infinite."""
    if value is None or math.isnan(value):
        return None
    return math.copysign(math.inf, value) if abs(value) >= 1e20 else float(value)
