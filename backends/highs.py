"""HiGHS through highspy: the whole canonical form passed in one call."""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Adapter, Capability, RawResult, SolveOptions
from optmodel.errors import OptmodelError
from optmodel.interrupt import run_in_worker
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows

_LP_MIP = frozenset(
    {Capability.LP, Capability.MIP, Capability.DUALS, Capability.IIS, Capability.WARM_START, Capability.INCREMENTAL}
)


class Highs(Adapter):
    name = "highs"
    description = "HiGHS (simplex, interior point, branch-and-cut) via highspy"
    modules = ("highspy",)
    distribution = "highspy"
    subsolvers = {"choose": _LP_MIP, "simplex": _LP_MIP, "ipm": _LP_MIP, "pdlp": _LP_MIP}

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        import highspy

        self.form = form
        self.h = highspy.Highs()
        _set_options(self.h, self.subsolver, options)
        pass_model(self.h, form)
        if options.warm_start is not None:
            start = highspy.HighsSolution()
            start.col_value = np.nan_to_num(options.warm_start, nan=0.0).tolist()
            start.value_valid = True
            self.h.setSolution(start)

    def run(self, options: SolveOptions) -> RawResult:
        self.h.setOptionValue("time_limit", float(options.time_limit) if options.time_limit is not None else math.inf)
        # Blocking run() in optmodel's worker thread; cancelSolve() is honoured through HiGHS's
        # user-interrupt callback (HandleKeyboardInterrupt would install a SIGINT handler of its own).
        self.h.HandleKeyboardInterrupt = False
        self.h.HandleUserInterrupt = True
        run_in_worker(self.h.solve, self.h.cancelSolve)
        return _result(self.h, self.form, self.h.getModelStatus())

    def add_rows(self, rows: Rows) -> None:
        A = rows.A
        self.h.addRows(
            rows.count, rows.lower, rows.upper, A.nnz,
            A.indptr[:-1].astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
        )

    def set_integrality(self, integer: np.ndarray) -> None:
        import highspy

        n = integer.shape[0]
        kind = np.where(integer, highspy.HighsVarType.kInteger, highspy.HighsVarType.kContinuous)
        self.h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), kind)
        self.form = dataclasses.replace(self.form, integrality=integer.astype(bool))

    def iis(self) -> list[str] | None:
        if self.form.is_mip:
            return None
        return _iis(self.h, self.form)


def pass_model(h: Any, form: CanonicalForm) -> None:
    """Hand the whole canonical form to HiGHS in one call (numpy arrays, no per-entry Python)."""
    import highspy

    csc = form.csc
    sense = highspy.ObjSense.kMinimize if form.sense.sign > 0 else highspy.ObjSense.kMaximize
    # One entry per column (HiGHS reads num_col values); all-continuous means an LP.
    integrality = np.where(form.integrality, int(highspy.HighsVarType.kInteger), 0).astype(np.int32)
    status = h.passModel(
        form.num_cols,
        form.num_rows,
        csc.nnz,
        int(highspy.MatrixFormat.kColwise),
        int(sense),
        form.offset,
        form.c,
        form.col_lower,
        form.col_upper,
        form.row_lower,
        form.row_upper,
        csc.indptr.astype(np.int32, copy=False),
        csc.indices.astype(np.int32, copy=False),
        csc.data,
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise OptmodelError("HiGHS rejected the model (run with verbose=True for its reason)")


def _set(h: Any, key: str, value: Any) -> None:
    import highspy

    if h.setOptionValue(key, value) == highspy.HighsStatus.kError:
        raise OptmodelError(f"HiGHS rejected the option {key}={value!r}")


def _set_options(h: Any, subsolver: str, options: SolveOptions) -> None:
    _set(h, "output_flag", bool(options.verbose))
    _set(h, "log_to_console", bool(options.verbose))
    if subsolver != "choose":
        _set(h, "solver", subsolver)
    if subsolver == "pdlp":  # a first-order method: tighten it to optmodel's 1e-6 verification
        _set(h, "kkt_tolerance", 1e-9)
    if options.time_limit is not None:
        _set(h, "time_limit", float(options.time_limit))
    if options.mip_gap is not None:
        _set(h, "mip_rel_gap", float(options.mip_gap))
    if options.threads is not None:
        _set(h, "threads", int(options.threads))
    for key, value in options.solver_options.items():
        _set(h, key, value)


def _termination(status: Any) -> Termination:
    import highspy

    S = highspy.HighsModelStatus
    return {
        S.kOptimal: Termination.OPTIMAL,
        S.kModelEmpty: Termination.OPTIMAL,
        S.kInfeasible: Termination.INFEASIBLE,
        S.kUnbounded: Termination.UNBOUNDED,
        S.kUnboundedOrInfeasible: Termination.INFEASIBLE_OR_UNBOUNDED,
        S.kTimeLimit: Termination.TIME_LIMIT,
        S.kIterationLimit: Termination.ITERATION_LIMIT,
        S.kInterrupt: Termination.INTERRUPTED,
        S.kHighsInterrupt: Termination.INTERRUPTED,
        S.kSolutionLimit: Termination.OTHER,
        S.kObjectiveBound: Termination.OTHER,
        S.kObjectiveTarget: Termination.OTHER,
        S.kMemoryLimit: Termination.ERROR,
    }.get(status, Termination.ERROR)


def _result(h: Any, form: CanonicalForm, status: Any) -> RawResult:
    term = _termination(status)
    info = h.getInfo()
    raw = RawResult(term)
    if term is Termination.ERROR:
        raw.message = f"HiGHS stopped with model status {h.modelStatusToString(status)!r}"
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return raw
    s = h.getSolution()
    raw.x = np.asarray(s.col_value, dtype=float)
    raw.objective = float(info.objective_function_value)
    if form.is_mip:
        raw.bound = float(info.mip_dual_bound)
        raw.stats["nodes"] = int(info.mip_node_count)
    elif s.dual_valid:
        raw.row_duals = np.asarray(s.row_dual, dtype=float)
        raw.reduced_costs = np.asarray(s.col_dual, dtype=float)
        raw.stats["simplex_iterations"] = int(info.simplex_iteration_count)
    return raw


def _iis(h: Any, form: CanonicalForm) -> list[str] | None:
    """The rows and variable bounds of an irreducible infeasible subsystem, by name."""
    h.setOptionValue("iis_strategy", 4)  # a true (irreducible) subsystem, not just a dual ray
    h.setOptionValue("iis_time_limit", 30.0)
    status, iis = h.getIis()
    if status.name == "kError" or not iis.valid_:  # a warning (e.g. after PDLP) still gives a valid IIS
        return None
    side = {2: "lower", 3: "upper", 4: "lower and upper"}  # HiGHS's IIS bound codes
    names = [
        f"constraint {form.row_names[i]} ({side[b]} side)"
        for i, b in zip(iis.row_index_, iis.row_bound_)
        if b in side
    ]
    names += [
        f"bound of {form.col_names[j]} ({side[b]})" for j, b in zip(iis.col_index_, iis.col_bound_) if b in side
    ]
    return names or None


BACKEND = Highs
