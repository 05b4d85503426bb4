"""HiGHS through highspy: the whole canonical form passed in one call."""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Adapter, Capability, RawResult, SolveOptions
from optmodel.errors import OptmodelError
from optmodel.interrupt import run_in_worker
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows
    from optmodel.resolve import FormChange

_LP_MIP = frozenset(
    {
        Capability.LP, Capability.MIP, Capability.DUALS, Capability.IIS, Capability.WARM_START,
        Capability.INCREMENTAL, Capability.QUADRATIC, Capability.SEMICONTINUOUS, Capability.RESOLVE,
    }
)

# HiGHS (kMaxSemiVariableUpper) refuses semi-variables with larger upper bounds, infinite ones too.
_SEMI_UPPER = 1e5


class Highs(Adapter):
    name = "highs"
    description = "HiGHS (simplex, interior point, branch-and-cut) via highspy"
    modules = ("highspy",)
    distribution = "highspy"
    subsolvers = {"choose": _LP_MIP, "simplex": _LP_MIP, "ipm": _LP_MIP, "pdlp": _LP_MIP}

    @classmethod
    def version(cls) -> str:
        """HiGHS's version from highspy itself once it is loaded (after a solve), without scanning
        the installed distributions; before that (``optmodel list``), the distribution's."""
        core = sys.modules.get("highspy._core")
        if core is not None and hasattr(core, "HIGHS_VERSION_MAJOR"):
            return f"{core.HIGHS_VERSION_MAJOR}.{core.HIGHS_VERSION_MINOR}.{core.HIGHS_VERSION_PATCH}"
        return super().version()

    def native(self, form: CanonicalForm) -> frozenset[Capability]:
        """HiGHS's semi-variables must lie in [0, 1e5] (it errors on others): those go through the
        core's reduction instead."""
        semi = form.semicontinuous
        if semi is None:
            return self.capabilities
        lower, upper = form.col_lower[semi], form.col_upper[semi]
        if np.all(lower >= 0) and np.all(upper <= _SEMI_UPPER):
            return self.capabilities
        return self.capabilities - {Capability.SEMICONTINUOUS}

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
        start = time.perf_counter()
        run_in_worker(self.h.solve, self.h.cancelSolve)
        solved = time.perf_counter() - start  # the time inside HiGHS, apart from reading the answer
        raw = _result(self.h, self.form, self.h.getModelStatus())
        raw.stats["solver_seconds"] = solved
        return raw

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

    def update(self, change: FormChange) -> str | None:
        """The change in bulk calls on the loaded model; HiGHS keeps its basis, so the simplex
        restarts from the last one (primal after cost changes, dual after bound and row changes)."""
        import highspy

        h, ok = self.h, []
        if change.sense is not None:
            sense = highspy.ObjSense.kMinimize if change.sense.sign > 0 else highspy.ObjSense.kMaximize
            ok.append(h.changeObjectiveSense(sense))
        if change.offset is not None:
            ok.append(h.changeObjectiveOffset(change.offset))
        if change.cost_cols.size:
            ok.append(h.changeColsCost(change.cost_cols.size, change.cost_cols.astype(np.int32), change.costs))
        if change.bound_cols.size:
            cols = change.bound_cols
            ok.append(h.changeColsBounds(cols.size, cols.astype(np.int32), change.col_lower, change.col_upper))
        if change.bound_rows.size:
            rows = change.bound_rows
            ok.append(h.changeRowsBounds(rows.size, rows.astype(np.int32), change.row_lower, change.row_upper))
        if change.rows is not None:
            self.add_rows(change.rows)
        if any(status == highspy.HighsStatus.kError for status in ok):
            raise OptmodelError("HiGHS rejected a change to the loaded model")
        self.form = change.form
        return None


def pass_model(h: Any, form: CanonicalForm) -> None:
    """Hand the whole canonical form to HiGHS in one call, row-wise as the form holds it (HiGHS
    takes CSR as it is: no transposition here), numpy arrays passed without per-entry Python."""
    import highspy

    A = form.A
    sense = highspy.ObjSense.kMinimize if form.sense.sign > 0 else highspy.ObjSense.kMaximize
    # One entry per column (HiGHS reads num_col values); all-continuous means an LP.
    kind = highspy.HighsVarType
    integrality = form.integrality.astype(np.int32)  # kContinuous = 0, kInteger = 1
    if form.semicontinuous is not None:
        semi = form.semicontinuous
        integrality[semi] = np.where(form.integrality[semi], int(kind.kSemiInteger), int(kind.kSemiContinuous))
    index = np.int32  # HighsInt; int32 arrays (what the form holds below 2^31 entries) are passed as they are
    status = h.passModel(
        form.num_cols,
        form.num_rows,
        A.nnz,
        int(highspy.MatrixFormat.kRowwise),
        int(sense),
        form.offset,
        form.c,
        form.col_lower,
        form.col_upper,
        form.row_lower,
        form.row_upper,
        A.indptr.astype(index, copy=False),
        A.indices[: A.nnz].astype(index, copy=False),
        A.data[: A.nnz],
        integrality,
    )
    if status == highspy.HighsStatus.kError:
        raise OptmodelError("HiGHS rejected the model (run with verbose=True for its reason)")
    if form.Q is not None:
        # HiGHS takes the lower triangle, column-wise: that of a symmetric Q is its upper triangle row-wise.
        lower = sp.csc_array(sp.tril(form.Q, format="csc"))
        lower.sort_indices()
        status = h.passHessian(
            form.num_cols, lower.nnz, int(highspy.HessianFormat.kTriangular),
            lower.indptr.astype(np.int32), lower.indices.astype(np.int32), lower.data.astype(float),
        )
        if status == highspy.HighsStatus.kError:
            raise OptmodelError("HiGHS rejected the quadratic objective (it takes convex QPs without integers)")


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
    if options.seed is not None:
        _set(h, "random_seed", int(options.seed))
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
    if not form.is_mip and term in _RAY_TERMINATIONS:
        _rays(h, form, raw)
    if info.primal_solution_status != 2:  # kSolutionStatusFeasible
        return raw
    # highspy hands each solution vector over as a Python list: read the two that are needed once
    # each. The core derives the reduced costs from the row duals (c + Qx - Aᵀy, HiGHS's own
    # definition of them), one sparse product instead of a list of a float per column -- where
    # HiGHS holds exactly the form's rows (row generation adds rows to HiGHS only).
    s = h.getSolution()
    raw.x = _array(s.col_value)
    raw.objective = float(info.objective_function_value)
    if form.is_mip:
        raw.bound = float(info.mip_dual_bound)
        raw.stats["nodes"] = int(info.mip_node_count)
    elif s.dual_valid:
        raw.row_duals = _array(s.row_dual)
        if raw.row_duals.shape != (form.num_rows,) or raw.x.shape != (form.num_cols,):
            raw.reduced_costs = _array(s.col_dual)
        raw.stats["simplex_iterations"] = int(info.simplex_iteration_count)
    return raw


def _array(values: list[float]) -> np.ndarray:
    """A list of floats from highspy as an array (fromiter skips np.array's per-item type checks)."""
    return np.fromiter(values, dtype=float, count=len(values))


_RAY_TERMINATIONS = (Termination.INFEASIBLE, Termination.UNBOUNDED, Termination.INFEASIBLE_OR_UNBOUNDED)


def _rays(h: Any, form: CanonicalForm, raw: RawResult) -> None:
    """HiGHS's Farkas ray (row space, positive weights on lower sides, like its row duals) and
    primal ray of an LP, for optmodel to check. HiGHS computes them on request where presolve
    decided the status without one (by a simplex solve of the original LP)."""
    wanted = (
        ("dual_ray", h.getDualRay, form.num_rows, raw.termination is not Termination.UNBOUNDED),
        ("primal_ray", h.getPrimalRay, form.num_cols, raw.termination is not Termination.INFEASIBLE),
    )
    for attr, getter, size, wanted_here in wanted:
        if not wanted_here:
            continue
        try:
            answer = getter()
        except Exception:  # an older highspy without rays, or one that fails: the core computes one
            continue
        if isinstance(answer, tuple) and len(answer) == 3 and answer[1]:
            ray = np.asarray(answer[2], dtype=float)
            if ray.shape == (size,) and np.all(np.isfinite(ray)) and np.any(ray):
                setattr(raw, attr, ray)


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
