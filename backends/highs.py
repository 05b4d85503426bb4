"""HiGHS through highspy: the whole canonical form passed in one call."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Backend, Capability, SolveOptions, solver_output, start_values
from optmodel.errors import OptmodelError
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm
    from optmodel.model import Model

_LP_MIP = frozenset(
    {Capability.LP, Capability.MIP, Capability.DUALS, Capability.IIS, Capability.WARM_START}
)


class Highs(Backend):
    name = "highs"
    description = "HiGHS (simplex, interior point, branch-and-cut) via highspy"
    modules = ("highspy",)
    distribution = "highspy"
    subsolvers = {"choose": _LP_MIP, "simplex": _LP_MIP, "ipm": _LP_MIP, "pdlp": _LP_MIP}

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        import highspy

        form = model.canonical()
        with solver_output(options.verbose):
            start = time.perf_counter()
            h = highspy.Highs()
            _set_options(h, self.subsolver, options)
            pass_model(h, form)
            if options.warm_start is not None:
                _set_start(h, form, model, options.warm_start)
            build = time.perf_counter() - start
            start = time.perf_counter()
            status = _run(h)
            if status is highspy.HighsModelStatus.kUnboundedOrInfeasible and not form.is_mip:
                # Presolve cannot tell which; the simplex method without presolve can.
                h.setOptionValue("presolve", "off")
                h.setOptionValue("solver", "simplex")
                status = _run(h)
            elapsed = time.perf_counter() - start
            sol = _solution(h, form, status)
            if sol.termination is Termination.INFEASIBLE and not form.is_mip:
                sol.iis = _iis(h, form)
        sol.build_seconds, sol.solve_seconds = build, elapsed
        sol.backend = self.label
        return sol


def pass_model(h: Any, form: CanonicalForm) -> None:
    """Hand the whole canonical form to HiGHS in one call (numpy arrays, no per-entry Python)."""
    import highspy

    csc = form.csc
    sense = highspy.ObjSense.kMinimize if form.sense.sign > 0 else highspy.ObjSense.kMaximize
    # One entry per column (HiGHS reads num_col values); all-continuous means an LP.
    integrality = np.where(form.integrality, int(highspy.HighsVarType.kInteger), 0).astype(np.int32)
    h.passModel(
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


def _set_start(h: Any, form: CanonicalForm, model: Model, start: Any) -> None:
    import highspy

    values = start_values(model, start)
    sol = highspy.HighsSolution()
    sol.col_value = np.nan_to_num(values, nan=0.0).tolist()
    sol.value_valid = True
    h.setSolution(sol)


def _run(h: Any) -> Any:
    """Run in HiGHS's worker thread so that Ctrl-C cancels and keeps the incumbent."""
    h.HandleUserInterrupt = True  # cancelSolve() is only honoured through the interrupt callbacks
    thread = h.startSolve()
    try:
        while not h.wait(0.1)[0]:
            pass
    except KeyboardInterrupt:
        h.cancelSolve()
        while not h.wait(0.1)[0]:
            pass
    del thread
    return h.getModelStatus()


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


def _solution(h: Any, form: CanonicalForm, status: Any) -> Solution:
    term = _termination(status)
    info = h.getInfo()
    has_point = info.primal_solution_status == 2  # kSolutionStatusFeasible
    sol = Solution(
        status=Status.ERROR,
        termination=term,
        solution_status=SolutionStatus.FEASIBLE if has_point else SolutionStatus.NO_SOLUTION,
    )
    if term is Termination.OPTIMAL and form.num_cols == 0:
        sol.x, sol.objective = np.zeros(0), form.offset
        return sol
    if term is Termination.ERROR:
        sol.message = f"HiGHS stopped with model status {h.modelStatusToString(status)!r}"
    if has_point:
        s = h.getSolution()
        sol.x = np.asarray(s.col_value, dtype=float)
        sol.objective = float(info.objective_function_value)
        if term is Termination.OPTIMAL:
            sol.solution_status = SolutionStatus.OPTIMAL
        if form.is_mip:
            sol.bound = float(info.mip_dual_bound)
            sol.gap = float(info.mip_gap)
            sol.stats["nodes"] = int(info.mip_node_count)
        elif s.dual_valid:
            sol.row_duals = np.asarray(s.row_dual, dtype=float)
            sol.reduced_costs = np.asarray(s.col_dual, dtype=float)
            sol.bound = sol.objective if term is Termination.OPTIMAL else None
            sol.stats["simplex_iterations"] = int(info.simplex_iteration_count)
    return sol


def _iis(h: Any, form: CanonicalForm) -> list[str] | None:
    """The rows and variable bounds of an irreducible infeasible subsystem, by name."""
    h.setOptionValue("iis_strategy", 4)  # a true (irreducible) subsystem, not just a dual ray
    h.setOptionValue("iis_time_limit", 30.0)
    status, iis = h.getIis()
    if status.name != "kOk" or not iis.valid_:
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
