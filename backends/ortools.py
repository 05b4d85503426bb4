"""Google OR-Tools through MathOpt: GLOP, PDLP, SCIP and CP-SAT from one bulk-built model proto.

The canonical form becomes a MathOpt ``ModelProto`` with whole numpy arrays per field (variables,
bounds, the matrix as row/column/value triplets), with no Python call per row or nonzero; this
was measured faster than pywraplp's ``MPModelProto`` (one message per row). The proto solver API
(``math_opt.core.python.solver``) releases the GIL, so the solve runs in optmodel's worker thread
and Ctrl-C stops it through MathOpt's ``SolveInterrupter``, keeping the best point found. A
quadratic objective is the proto's upper-triangular ``quadratic_coefficients``, also in bulk
(PDLP: diagonal only; gSCIP: any, convex or not, with integers). GLOP and
SCIP take added rows and integrality changes on the loaded solver (``ModelUpdateProto``); where a
solver rejects an update, the full model is loaded again before the next run.

CP-SAT works on integers only: ``IntegerScaling`` multiplies each row (and the objective) by the
least common multiple of its coefficients' denominators, which must be at most ``MAX_DENOMINATOR``
(the multiplier at most ``MAX_ROW_SCALE``), and rounds the row bounds inwards (exact, since the
row's activity is then an integer). Anything else is refused with the reason.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import SCIP_MAX_THREADS, Adapter, Capability, RawResult, SolveOptions, redirect_fd
from optmodel.errors import CapabilityError, ModelError, OptmodelError
from optmodel.interrupt import run_in_worker, stop_requested
from optmodel.reductions import Reduction, prepare
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows
    from optmodel.model import Model
    from optmodel.resolve import FormChange

C = Capability
_SOLVER_TYPES = {"glop": "SOLVER_TYPE_GLOP", "pdlp": "SOLVER_TYPE_PDLP", "scip": "SOLVER_TYPE_GSCIP",
                 "cpsat": "SOLVER_TYPE_CP_SAT"}
# The sub-solver's own parameter message inside SolveParametersProto (for raw solver_options).
_NATIVE_FIELD = {"glop": "glop", "pdlp": "pdlp", "scip": "gscip", "cpsat": "cp_sat"}
# Raw option names that set a limit of their own (then an unnamed limit is not the time limit).
_LIMIT_WORDS = ("limit", "max_", "stop_after")

MAX_DENOMINATOR = 1000  # CP-SAT: largest denominator q of a coefficient p/q
MAX_ROW_SCALE = 10**6  # CP-SAT: largest multiplier of one row (or of the objective)
# PDLP stops at these relative/absolute KKT tolerances (its default 1e-6 fails optmodel's check).
PDLP_TOLERANCE = 1e-9


class OrTools(Adapter):
    name = "ortools"
    description = "Google OR-Tools via MathOpt: GLOP simplex, PDLP first-order LP, SCIP, CP-SAT"
    modules = ("ortools",)
    distribution = "ortools"
    # Quadratic objectives: MathOpt's PDLP takes a diagonal Q only (convex), gSCIP any Q (globally,
    # with integers too); GLOP, CP-SAT and MathOpt's HiGHS take none.
    subsolvers = {
        "glop": frozenset({C.LP, C.DUALS, C.INCREMENTAL, C.RESOLVE}),
        "pdlp": frozenset({C.LP, C.DUALS, C.QUADRATIC}),  # MathOpt's PDLP takes no model updates
        "scip": frozenset(
            {C.LP, C.MIP, C.WARM_START, C.LAZY, C.INCREMENTAL, C.RESOLVE, C.QUADRATIC, C.MIQP, C.NONCONVEX}
        ),
        "cpsat": frozenset({C.MIP, C.WARM_START}),
    }
    max_threads = {"scip": SCIP_MAX_THREADS}

    def why_not(self, model: Model) -> str | None:
        form = model.canonical() if model.is_linear and model.objective is not None else None
        if form is not None and form.Q is not None:  # what the quadratic objective needs comes first
            reason = super().why_not(model)
            if reason is None and self.subsolver == "pdlp" and sp.triu(form.Q, k=1).nnz:
                reason = f"{self.label} takes diagonal quadratic objectives only (no x_i*x_j terms)"
            if reason is not None:
                return reason
        if self.subsolver == "cpsat" and model.is_linear:
            if any(f.fractional for f in model.families):
                return f"{self.label} cannot solve the LP relaxations that fractional lazy families are separated on"
            try:
                IntegerScaling().apply(prepare(model.canonical())[1])
            except NotInteger as e:
                return f"{self.label} cannot take this model: {e}"
            except ModelError:
                pass  # ill-posed data: the solve itself refuses it, with the reason
        return super().why_not(model)

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        from ortools.math_opt import model_parameters_pb2

        self.form, self.families = form, tuple(families)
        self.scaling = IntegerScaling() if self.subsolver == "cpsat" else None
        if self.scaling is not None:
            try:
                form = self.scaling.apply(form)
            except NotInteger as e:
                raise CapabilityError(f"{self.label} cannot take this model: {e}; use ortools:scip") from None
        self.proto = model_proto(form)
        self.solver: Any = None  # created at the first run, and again after a rejected update
        self.mparams = model_parameters_pb2.ModelSolveParametersProto()
        start = options.warm_start
        if start is not None and np.shape(start) != (form.num_cols,):  # the core passes arrays unchecked
            raise ModelError(f"a start vector needs {form.num_cols} values, got {np.shape(start)}")
        if start is not None and C.WARM_START in self.capabilities and form.is_mip:
            given = np.flatnonzero(np.isfinite(start))
            values = np.round(start[given]) if self.subsolver == "cpsat" else start[given]
            hint = self.mparams.solution_hints.add()
            hint.variable_values.ids.extend(given.tolist())
            hint.variable_values.values.extend(values.tolist())

    def run(self, options: SolveOptions) -> RawResult:
        from ortools.math_opt import callback_pb2, parameters_pb2
        from ortools.math_opt.core.python import solver
        from ortools.util.python import solve_interrupter

        if self.scaling is not None and self.scaling.empty_row is not None:
            i, form = self.scaling.empty_row, self.form
            name = form.row_names.label(i)
            return RawResult(Termination.INFEASIBLE, stats={"reductions": [self.scaling.name]}, message=(
                f"The model is infeasible: constraint {name} has integer coefficients and variables but no "
                f"integer activity between its bounds [{form.row_lower[i]:g}, {form.row_upper[i]:g}]."))
        params = self._params(options)
        cb = _LazyCallback(self.form, self.families) if self.families else None
        reg = callback_pb2.CallbackRegistrationProto()
        if cb is not None:
            cb.register(reg)
            # SCIP's dual reductions assume it knows every constraint; lazy rows would invalidate them.
            params.gscip.bool_params["misc/allowstrongdualreds"] = False
            params.gscip.bool_params["misc/allowweakdualreds"] = False
        interrupter = solve_interrupter.SolveInterrupter()
        with _quiet_stderr(not options.verbose):
            if self.solver is None:
                stype = getattr(parameters_pb2, _SOLVER_TYPES[self.subsolver])
                try:
                    self.solver = solver.new(stype, self.proto, parameters_pb2.SolverInitializerProto())
                except Exception as e:  # a StatusNotOk from the C++ side: a model the solver rejects
                    raise OptmodelError(f"{self.label} rejected the model: {e}") from None

            def work() -> Any:
                return self.solver.solve(params, self.mparams, None, reg, cb, interrupter.pybind_interrupter)

            try:
                result, _ = run_in_worker(work, interrupter.interrupt)
            except Exception as e:
                if cb is not None and cb.error is not None:
                    raise cb.error from None
                if "found value: inf" in str(e) and "objective_value" in str(e):
                    # MathOpt rejects SCIP's answer to an unbounded LP (a point of objective ±inf);
                    # the core's feasibility solve then tells unbounded from infeasible.
                    return RawResult(Termination.INFEASIBLE_OR_UNBOUNDED, message=f"OR-Tools: {e}")
                raise OptmodelError(f"OR-Tools failed: {e}") from None
        if cb is not None and cb.error is not None:
            raise cb.error
        raw = self._raw(result, options)
        if self.scaling is not None:
            raw = self.scaling.invert(raw)
            raw.stats["reductions"] = [self.scaling.name]
        return raw

    def add_rows(self, rows: Rows) -> None:
        from ortools.math_opt import model_update_pb2

        update = model_update_pb2.ModelUpdateProto()
        new, mat = update.new_linear_constraints, update.linear_constraint_matrix_updates
        _add_rows(new, mat, len(self.proto.linear_constraints.ids), rows.A, rows.lower, rows.upper)
        # The full model as well (row ids increase, so the matrix stays sorted), for a rebuild.
        self.proto.linear_constraints.MergeFrom(new)
        self.proto.linear_constraint_matrix.MergeFrom(mat)
        self._update(update)

    def set_integrality(self, integer: np.ndarray) -> None:
        from ortools.math_opt import model_update_pb2

        integer = np.asarray(integer, dtype=bool)
        update = model_update_pb2.ModelUpdateProto()
        update.variable_updates.integers.ids.extend(range(integer.shape[0]))
        update.variable_updates.integers.values.extend(integer.tolist())
        self.proto.variables.integers[:] = integer.tolist()
        self.form = dataclasses.replace(self.form, integrality=integer)
        self._update(update)

    def _update(self, update: Any) -> None:
        """Change the loaded solver; one that rejects the update (it is unusable then) is
        replaced by a fresh one from the full model at the next run."""
        if self.solver is None:
            return
        try:
            accepted = self.solver.update(update)
        except Exception:
            accepted = False
        if not accepted:
            self.solver = None

    def update(self, change: FormChange) -> str | None:
        """The change as one ``ModelUpdateProto`` to the loaded solver (MathOpt's incremental
        solve, as ``mathopt.IncrementalSolver`` does it: GLOP keeps its basis); the full model
        proto is kept in step for a rebuild."""
        from ortools.math_opt import model_update_pb2

        if self.solver is None or self.scaling is not None or self.families:
            return f"{self.label} holds no solver that takes changes"
        cols, form = change.bound_cols, self.form
        if self.subsolver == "scip" and np.any(form.integrality[cols] & (form.col_lower[cols] >= 0)
                                               & (form.col_upper[cols] <= 1)):
            # MathOpt's SCIP rejects it, and a solver that rejected an update is unusable
            return f"{self.label} does not change the bounds of binary variables"
        update = model_update_pb2.ModelUpdateProto()
        obj = update.objective_updates
        if change.sense is not None:
            obj.direction_update = change.sense.sign < 0
        if change.offset is not None:
            obj.offset_update = change.offset
        _sparse(obj.linear_coefficients, change.cost_cols, change.costs)
        _sparse(update.variable_updates.lower_bounds, change.bound_cols, change.col_lower)
        _sparse(update.variable_updates.upper_bounds, change.bound_cols, change.col_upper)
        _sparse(update.linear_constraint_updates.lower_bounds, change.bound_rows, change.row_lower)
        _sparse(update.linear_constraint_updates.upper_bounds, change.bound_rows, change.row_upper)
        loaded = len(self.proto.linear_constraints.ids)
        if change.rows is not None:
            rows = change.rows
            _add_rows(update.new_linear_constraints, update.linear_constraint_matrix_updates, loaded, rows.A,
                      rows.lower, rows.upper)
        try:
            accepted = self.solver.update(update)
        except Exception:
            accepted = False
        if not accepted:  # the solver is unusable now: the core loads the model afresh
            self.solver = None
            return f"{self.label} rejected the update"
        form, p = change.form, self.proto
        p.objective.maximize = form.sense.sign < 0
        p.objective.offset = float(form.offset)
        nz = np.flatnonzero(form.c)
        _refill(p.objective.linear_coefficients.ids, nz.tolist())
        _refill(p.objective.linear_coefficients.values, form.c[nz].tolist())
        _refill(p.variables.lower_bounds, form.col_lower.tolist())
        _refill(p.variables.upper_bounds, form.col_upper.tolist())
        _refill(p.linear_constraints.lower_bounds, form.row_lower[:loaded].tolist())
        _refill(p.linear_constraints.upper_bounds, form.row_upper[:loaded].tolist())
        if change.rows is not None:
            p.linear_constraints.MergeFrom(update.new_linear_constraints)
            p.linear_constraint_matrix.MergeFrom(update.linear_constraint_matrix_updates)
        self.form = form
        return None

    def _convex(self) -> bool:
        """``form.is_convex()``, computed once per objective."""
        if getattr(self, "_convex_of", None) is not self.form.Q:
            self._convex_of, self._is_convex = self.form.Q, self.form.is_convex()
        return self._is_convex

    def _params(self, options: SolveOptions) -> Any:
        from ortools.math_opt import parameters_pb2

        p = parameters_pb2.SolveParametersProto()
        p.enable_output = bool(options.verbose)
        if self.subsolver == "scip" and self.form.Q is not None:
            # gSCIP keeps the objective as an epigraph row met to feastol: 1e-9 makes the point and
            # the reported objective good to optmodel's 1e-6 check. OR-Tools' SCIP cannot prove a
            # non-diagonal Q convex (it branches spatially for minutes on 10 columns); optmodel has.
            p.gscip.real_params["numerics/feastol"] = 1e-9
            if self._convex():
                p.gscip.bool_params["constraints/nonlinear/assumeconvex"] = True
        if options.time_limit is not None:
            p.time_limit.FromNanoseconds(int(max(options.time_limit, 0.0) * 1e9))
        if options.mip_gap is not None and self.form.is_mip:
            p.relative_gap_tolerance = float(options.mip_gap)
        if options.threads is not None and self.subsolver != "glop":  # GLOP is single-threaded
            p.threads = int(options.threads)
        if options.seed is not None:
            p.random_seed = int(options.seed)
        if self.subsolver == "pdlp":
            crit = p.pdlp.termination_criteria.simple_optimality_criteria
            crit.eps_optimal_absolute = PDLP_TOLERANCE
            crit.eps_optimal_relative = PDLP_TOLERANCE
            p.pdlp.termination_criteria.eps_primal_infeasible = 1e-10
            p.pdlp.termination_criteria.eps_dual_infeasible = 1e-10
        for key, value in options.solver_options.items():
            _set_option(p, _NATIVE_FIELD[self.subsolver], key, value)
        return p

    def _raw(self, result: Any, options: SolveOptions) -> RawResult:
        from ortools.math_opt import solution_pb2

        raw = RawResult(_termination(result.termination, options))
        if raw.termination in (Termination.ERROR, Termination.NUMERICAL_ERROR, Termination.OTHER):
            raw.message = f"{self.label} stopped: {result.termination.detail or 'no detail'}"
        stats = result.solve_stats
        counts = {"simplex_iterations": stats.simplex_iterations, "barrier_iterations": stats.barrier_iterations,
                  "first_order_iterations": stats.first_order_iterations, "nodes": stats.node_count}
        raw.stats.update({k: int(v) for k, v in counts.items() if v or (k == "nodes" and self.form.is_mip)})
        feasible = solution_pb2.SOLUTION_STATUS_FEASIBLE
        primal = next((s.primal_solution for s in result.solutions
                       if s.HasField("primal_solution") and s.primal_solution.feasibility_status == feasible), None)
        if primal is None:
            return raw
        raw.x = _dense(primal.variable_values, self.form.num_cols)
        raw.objective = float(primal.objective_value)
        if self.form.is_mip:
            raw.bound = float(result.termination.objective_bounds.dual_bound)
            return raw
        dual = next((s.dual_solution for s in result.solutions
                     if s.HasField("dual_solution") and s.dual_solution.feasibility_status == feasible), None)
        if dual is not None:  # MathOpt's duals follow HiGHS's convention (c = Aᵀy + z, y = d obj / d bound)
            raw.row_duals = _dense(dual.dual_values, len(self.proto.linear_constraints.ids))
            raw.reduced_costs = _dense(dual.reduced_costs, self.form.num_cols)
        return raw


# --- the model proto, in bulk ------------------------------------------------------------------
def model_proto(form: CanonicalForm) -> Any:
    """The canonical form as a MathOpt ``ModelProto``."""
    from ortools.math_opt import model_pb2

    p = model_pb2.ModelProto(name=form.name)
    v = p.variables
    v.ids.extend(range(form.num_cols))
    v.lower_bounds.extend(form.col_lower.tolist())
    v.upper_bounds.extend(form.col_upper.tolist())
    v.integers.extend(form.integrality.tolist())
    obj = p.objective
    obj.maximize = form.sense.sign < 0
    obj.offset = float(form.offset)
    nz = np.flatnonzero(form.c)
    obj.linear_coefficients.ids.extend(nz.tolist())
    obj.linear_coefficients.values.extend(form.c[nz].tolist())
    if form.Q is not None:
        quadratic_terms(obj.quadratic_coefficients, form.Q)
    _add_rows(p.linear_constraints, p.linear_constraint_matrix, 0, form.A, form.row_lower, form.row_upper)
    return p


def quadratic_terms(matrix: Any, Q: Any) -> None:
    """``½ xᵀQx`` into a MathOpt ``SparseDoubleMatrixProto`` in bulk: MathOpt's objective is
    ``Σ q_ij x_i x_j`` over the upper triangle (row-major, no zeros), so ``q_ii = ½Q_ii`` and
    ``q_ij = Q_ij`` for i < j."""
    U = _clean(sp.triu(Q, format="csr"))
    rows = np.repeat(np.arange(U.shape[0]), np.diff(U.indptr))
    matrix.row_ids.extend(rows.tolist())
    matrix.column_ids.extend(U.indices.tolist())
    matrix.coefficients.extend(np.where(rows == U.indices, 0.5 * U.data, U.data).tolist())


def _add_rows(rows: Any, mat: Any, first: int, A: Any, lower: np.ndarray, upper: np.ndarray) -> None:
    """Rows ``first, first+1, ...`` into a ``LinearConstraintsProto`` and a matrix proto, in bulk."""
    A = _clean(A)
    rows.ids.extend(range(first, first + A.shape[0]))
    rows.lower_bounds.extend(np.asarray(lower, dtype=float).tolist())
    rows.upper_bounds.extend(np.asarray(upper, dtype=float).tolist())
    mat.row_ids.extend((first + np.repeat(np.arange(A.shape[0]), np.diff(A.indptr))).tolist())
    mat.column_ids.extend(A.indices.tolist())
    mat.coefficients.extend(A.data.tolist())


def _clean(A: Any) -> sp.csr_array:
    """MathOpt wants each row's columns strictly increasing and no explicit zeros."""
    A = sp.csr_array(A, copy=True)
    A.sum_duplicates()
    A.eliminate_zeros()
    return A


def _sparse(vector: Any, ids: np.ndarray, values: np.ndarray) -> None:
    """Fill a MathOpt sparse vector (ids increasing) in bulk."""
    if ids.size:
        vector.ids.extend(ids.tolist())
        vector.values.extend(np.asarray(values, dtype=float).tolist())


def _refill(field: Any, values: list[Any]) -> None:
    del field[:]
    field.extend(values)


def _dense(vector: Any, size: int) -> np.ndarray:
    out = np.zeros(size)
    if len(vector.ids):
        out[np.asarray(vector.ids, dtype=np.int64)] = np.asarray(vector.values, dtype=float)
    return out


# --- what the solver said ----------------------------------------------------------------------
def _termination(t: Any, options: SolveOptions) -> Termination:
    from ortools.math_opt import result_pb2 as rp

    if t.reason in (rp.TERMINATION_REASON_FEASIBLE, rp.TERMINATION_REASON_NO_SOLUTION_FOUND):
        if t.limit in (rp.LIMIT_UNDETERMINED, rp.LIMIT_UNSPECIFIED):
            # A limit stopped it, but the solver (CP-SAT) does not say which: a stop request, or
            # else the time limit when that is the only limit set (no raw option names a limit).
            if stop_requested():
                return Termination.INTERRUPTED
            own = any(word in str(key).lower() for key in options.solver_options for word in _LIMIT_WORDS)
            return Termination.TIME_LIMIT if options.time_limit is not None and not own else Termination.OTHER
        return {
            rp.LIMIT_TIME: Termination.TIME_LIMIT,
            rp.LIMIT_ITERATION: Termination.ITERATION_LIMIT,
            rp.LIMIT_NODE: Termination.ITERATION_LIMIT,
            rp.LIMIT_INTERRUPTED: Termination.INTERRUPTED,
            rp.LIMIT_MEMORY: Termination.ERROR,
        }.get(t.limit, Termination.OTHER)
    return {
        rp.TERMINATION_REASON_OPTIMAL: Termination.OPTIMAL,
        rp.TERMINATION_REASON_INFEASIBLE: Termination.INFEASIBLE,
        rp.TERMINATION_REASON_UNBOUNDED: Termination.UNBOUNDED,
        rp.TERMINATION_REASON_INFEASIBLE_OR_UNBOUNDED: Termination.INFEASIBLE_OR_UNBOUNDED,
        rp.TERMINATION_REASON_IMPRECISE: Termination.NUMERICAL_ERROR,
        rp.TERMINATION_REASON_NUMERICAL_ERROR: Termination.NUMERICAL_ERROR,
    }.get(t.reason, Termination.ERROR)


# --- options -----------------------------------------------------------------------------------
def _set_option(p: Any, native: str, key: str, value: Any) -> None:
    """A raw option: a MathOpt common parameter, a field of the sub-solver's own parameter
    message (dotted path), or for SCIP a native parameter such as ``limits/gap``."""
    if "/" in key and native == "gscip":
        g = p.gscip
        table = (g.bool_params if isinstance(value, bool) else _scip_int_table(g, key) if isinstance(value, int)
                 else g.real_params if isinstance(value, float) else g.string_params)
        table[key] = value
        return
    for target in (p, getattr(p, native)):
        msg, parts = target, key.split(".")
        for part in parts[:-1]:
            sub = msg.DESCRIPTOR.fields_by_name.get(part)
            if sub is None or sub.message_type is None:
                msg = None
                break
            msg = getattr(msg, part)
        field = None if msg is None else msg.DESCRIPTOR.fields_by_name.get(parts[-1])
        if field is None or field.message_type is not None:
            continue
        try:
            if field.enum_type is not None and isinstance(value, str):
                value = field.enum_type.values_by_name[value].number
            setattr(msg, parts[-1], value)
        except (KeyError, TypeError, ValueError) as e:
            raise OptmodelError(f"bad OR-Tools option {key}={value!r}: {e}") from None
        return
    raise OptmodelError(f"unknown OR-Tools option {key!r} (a MathOpt parameter or a {native} parameter)")


def _scip_int_table(g: Any, key: str) -> Any:
    """SCIP keeps int and longint parameters apart; ask pyscipopt (when installed) which one."""
    try:
        import pyscipopt
    except ImportError:
        return g.int_params
    probe = pyscipopt.Model()
    probe.hideOutput()
    with _quiet_stderr(True):
        try:
            probe.setIntParam(key, probe.getParam(key))
            return g.int_params
        except Exception:
            return g.long_params


def _quiet_stderr(quiet: bool) -> contextlib.AbstractContextManager[None]:
    """Discard C-level stderr while ``quiet``: OR-Tools' SCIP prints a spurious event-handler
    error whenever an interrupter is attached, though interruption works."""
    return redirect_fd(2, os.devnull if quiet else None)


# --- CP-SAT: exact integer scaling -------------------------------------------------------------
class NotInteger(Exception):
    """The model cannot be scaled to integers exactly (the message says why)."""


class IntegerScaling(Reduction):
    """Every row and the objective multiplied to integer coefficients, row bounds rounded inwards
    (see the module docstring); the objective and bound are mapped back. ``apply`` raises
    ``NotInteger`` with the reason for a model it cannot scale."""

    name = "integer scaling"
    description = "rows and objective multiplied to integer coefficients, row bounds rounded inwards"

    def __init__(self) -> None:
        self.objective_scale, self.offset = 1, 0.0
        self.empty_row: int | None = None  # a row with no integer activity between its bounds

    def apply(self, form: CanonicalForm) -> CanonicalForm:
        scaled, self.objective_scale, self.empty_row = _scale(form)
        self.offset = form.offset
        return scaled

    def invert(self, raw: RawResult) -> RawResult:
        if raw.objective is not None:
            raw.objective = raw.objective / self.objective_scale + self.offset
        if raw.bound is not None and np.isfinite(raw.bound):
            raw.bound = raw.bound / self.objective_scale + self.offset
        return raw


def _is_integral(v: np.ndarray) -> np.ndarray:
    return np.abs(v - np.round(v)) <= 1e-9 * np.maximum(1.0, np.abs(v))


def _denominators(values: np.ndarray) -> np.ndarray | None:
    """The least q <= MAX_DENOMINATOR with q*v integral, per value; None if some value has none."""
    uniq, inverse = np.unique(values, return_inverse=True)
    q = np.ones(uniq.shape[0], dtype=np.int64)
    todo = np.flatnonzero(~_is_integral(uniq))
    for left in (todo[:32], todo):  # a few values first, so that a hopeless model is refused at once
        for d in range(2, MAX_DENOMINATOR + 1):
            if not left.size:
                break
            ok = _is_integral(uniq[left] * d)
            q[left[ok]] = d
            left = left[~ok]
        if left.size:
            return None
    return q[inverse.ravel()]


def _scale(form: CanonicalForm) -> tuple[CanonicalForm, int, int | None]:
    """The integer form, the objective's multiplier and the first row left with no integer activity."""
    continuous = int((~form.integrality).sum())
    if continuous:
        raise NotInteger(f"CP-SAT takes integer variables only and {continuous} of {form.num_cols} are continuous")
    lo, hi = np.ceil(form.col_lower - 1e-9), np.floor(form.col_upper + 1e-9)  # rounded by the core already
    unbounded = int((~np.isfinite(lo) | ~np.isfinite(hi)).sum())
    if unbounded:
        raise NotInteger(f"CP-SAT needs finite bounds on every variable and {unbounded} have an infinite bound")
    A = _clean(form.A)
    q = _denominators(A.data) if A.nnz else np.zeros(0, dtype=np.int64)
    if q is None:
        raise NotInteger(f"some constraint coefficients are not fractions p/q with q <= {MAX_DENOMINATOR}")
    row_scale = np.ones(form.num_rows, dtype=np.int64)
    lengths = np.diff(A.indptr)
    filled = np.flatnonzero(lengths)
    if filled.size:
        row_scale[filled] = np.lcm.reduceat(q, A.indptr[filled])
    if np.any(row_scale <= 0) or np.any(row_scale > MAX_ROW_SCALE):
        raise NotInteger(f"a constraint needs a multiplier above {MAX_ROW_SCALE} to become integral")
    data = A.data * np.repeat(row_scale, lengths)
    if not np.all(_is_integral(data)):
        raise NotInteger("the constraint coefficients could not be scaled to integers exactly")
    scale = row_scale.astype(float)
    with np.errstate(invalid="ignore"):
        row_lower = np.ceil(form.row_lower * scale - 1e-9 * np.maximum(1.0, np.abs(form.row_lower * scale)))
        row_upper = np.floor(form.row_upper * scale + 1e-9 * np.maximum(1.0, np.abs(form.row_upper * scale)))
    crossed = np.flatnonzero(row_lower > row_upper)
    if crossed.size:  # kept valid for the solver; the adapter answers "infeasible" without it
        row_lower[crossed] = row_upper[crossed]
    nz = np.flatnonzero(form.c)
    qc = _denominators(form.c[nz]) if nz.size else np.ones(1, dtype=np.int64)
    if qc is None:
        raise NotInteger(f"some objective coefficients are not fractions p/q with q <= {MAX_DENOMINATOR}")
    obj_scale = int(np.lcm.reduce(qc)) if qc.size else 1
    if not 0 < obj_scale <= MAX_ROW_SCALE:
        raise NotInteger(f"the objective needs a multiplier above {MAX_ROW_SCALE} to become integral")
    scaled = dataclasses.replace(
        form, A=sp.csr_array((np.round(data), A.indices, A.indptr), shape=A.shape), row_lower=row_lower,
        row_upper=row_upper, col_lower=lo, col_upper=hi, c=np.round(form.c * obj_scale), offset=0.0,
    )
    return scaled, obj_scale, int(crossed[0]) if crossed.size else None


# --- lazy constraint families through SCIP's MathOpt callback -------------------------------------
class _LazyCallback:
    """MathOpt callback: on each new incumbent (MIP_SOLUTION) ask the oracles, add violated rows
    as lazy constraints; on LP nodes (MIP_NODE) ask the ``fractional`` families for user cuts."""

    def __init__(self, form: CanonicalForm, families: Sequence[LazyFamily]):
        self.families = families
        self.n = form.num_cols
        self.integrality = form.integrality
        self.fractional = any(f.fractional for f in families)
        self.error: BaseException | None = None
        self.lock = threading.Lock()

    def register(self, reg: Any) -> None:
        from ortools.math_opt import callback_pb2

        reg.request_registration.append(callback_pb2.CALLBACK_EVENT_MIP_SOLUTION)
        reg.add_lazy_constraints = True
        if self.fractional:
            reg.request_registration.append(callback_pb2.CALLBACK_EVENT_MIP_NODE)
            reg.add_cuts = True

    def __call__(self, data: Any) -> Any:
        from ortools.math_opt import callback_pb2

        from optmodel import lazy

        out = callback_pb2.CallbackResultProto()
        if self.error is not None:
            out.terminate = True
            return out
        try:
            with self.lock:
                if not data.HasField("primal_solution_vector"):
                    return out
                x = _dense(data.primal_solution_vector, self.n)
                is_solution = data.event == callback_pb2.CALLBACK_EVENT_MIP_SOLUTION
                if is_solution:  # the oracles are stated for integer candidates
                    x[self.integrality] = np.round(x[self.integrality])
                rows = lazy.separate(self.families, x, fractional=not is_solution)
                _add_cuts(out, rows, lazy_rows=is_solution)
        except BaseException as e:  # an oracle's error stops the solve and is re-raised after it
            self.error = e
            out.terminate = True
        return out


def _add_cuts(out: Any, rows: Rows, lazy_rows: bool) -> None:
    A = _clean(rows.A)
    indptr, indices, data = A.indptr, A.indices, A.data
    for i in range(rows.count):  # one message per generated row (few rows per callback)
        cut = out.cuts.add()
        a, b = indptr[i], indptr[i + 1]
        cut.linear_expression.ids.extend(indices[a:b].tolist())
        cut.linear_expression.values.extend(data[a:b].tolist())
        cut.lower_bound = float(rows.lower[i])
        cut.upper_bound = float(rows.upper[i])
        cut.is_lazy = lazy_rows


BACKEND = OrTools
