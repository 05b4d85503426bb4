"""Google OR-Tools through MathOpt: GLOP, PDLP, SCIP and CP-SAT from one bulk-built model proto.

The canonical form becomes a MathOpt ``ModelProto`` with whole numpy arrays per field (variables,
bounds, the matrix as row/column/value triplets), with no Python call per row or nonzero; this
was measured faster than pywraplp's ``MPModelProto`` (one message per row). The proto solver API
(``math_opt.core.python.solver``) releases the GIL, so the solve runs in a worker thread and
Ctrl-C interrupts it through MathOpt's ``SolveInterrupter``, keeping the best point found.

CP-SAT works on integers only. A model is accepted when every variable is integer with finite
bounds and every coefficient is a rational p/q with q <= ``MAX_DENOMINATOR``: each row is
multiplied by the least common multiple of its coefficients' denominators (at most
``MAX_ROW_SCALE``), which makes the row exactly integral; its bounds are then rounded inwards
(ceil of the lower, floor of the upper), exact because the row's activity is an integer. The
objective is scaled the same way and scaled back. Anything else is refused with the reason.
"""

from __future__ import annotations

import contextlib
import math
import os
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Backend, Capability, SolveOptions, redirect_fd, solver_output, start_values
from optmodel.errors import CapabilityError, OptmodelError
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm
    from optmodel.model import Model

C = Capability
_SOLVER_TYPES = {"glop": "SOLVER_TYPE_GLOP", "pdlp": "SOLVER_TYPE_PDLP", "scip": "SOLVER_TYPE_GSCIP",
                 "cpsat": "SOLVER_TYPE_CP_SAT"}
# The sub-solver's own parameter message inside SolveParametersProto (for raw solver_options).
_NATIVE_FIELD = {"glop": "glop", "pdlp": "pdlp", "scip": "gscip", "cpsat": "cp_sat"}

MAX_DENOMINATOR = 1000  # CP-SAT: largest denominator q of a coefficient p/q
MAX_ROW_SCALE = 10**6  # CP-SAT: largest multiplier of one row (or of the objective)
# PDLP stops at these relative/absolute KKT tolerances (its default 1e-6 fails optmodel's check).
PDLP_TOLERANCE = 1e-9


class OrTools(Backend):
    name = "ortools"
    description = "Google OR-Tools via MathOpt: GLOP simplex, PDLP first-order LP, SCIP, CP-SAT"
    modules = ("ortools",)
    distribution = "ortools"
    subsolvers = {
        "glop": frozenset({C.LP, C.DUALS}),
        "pdlp": frozenset({C.LP, C.DUALS}),
        "scip": frozenset({C.LP, C.MIP, C.WARM_START, C.LAZY}),
        "cpsat": frozenset({C.MIP, C.WARM_START}),
    }

    def why_not(self, model: Model) -> str | None:
        if self.subsolver == "cpsat" and model.is_linear and C.MINIMAX not in model.requirements():
            reason = _cpsat_refusal(model.canonical())
            if reason:
                return f"{self.label} cannot take this model: {reason}"
        return super().why_not(model)

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        if model.families:
            return self.solve_lazy(model, options)
        return self._solve(model, options, families=())

    def solve_lazy(self, model: Model, options: SolveOptions) -> Solution:
        """SCIP's branch-and-cut with the model's lazy families checked on every new incumbent
        (and, for ``fractional`` families, on LP points as user cuts) via MathOpt's callback."""
        if C.LAZY not in self.capabilities:
            raise CapabilityError(
                f"{self.label} cannot enforce lazy constraint families in the solver (MathOpt ignores "
                "callbacks there); use ortools:scip"
            )
        return self._solve(model, options, families=model.families)

    def _solve(self, model: Model, options: SolveOptions, families: Any) -> Solution:
        from ortools.math_opt import parameters_pb2
        from ortools.math_opt.core.python import solver

        form = model.canonical()
        reason = self.why_not(model)
        if reason:
            raise CapabilityError(f"{reason}; use ortools:scip (or highs) instead")
        start = time.perf_counter()
        scaled = _integer_form(form) if self.subsolver == "cpsat" else None
        proto = model_proto(form, scaled)
        stype = getattr(parameters_pb2, _SOLVER_TYPES[self.subsolver])
        with solver_output(options.verbose), _quiet_stderr(not options.verbose):
            try:
                s = solver.new(stype, proto, parameters_pb2.SolverInitializerProto())
            except Exception as e:  # a StatusNotOk from the C++ side: a model the solver rejects
                raise OptmodelError(f"{self.label} rejected the model: {e}") from None
            build = time.perf_counter() - start
            start = time.perf_counter()
            params = self._params(form, options)
            mparams = self._model_params(model, form, options)
            cb = _LazyCallback(model, families) if families else None
            if cb is not None:
                _lazy_scip_params(params)
            result, interrupted = _run(s, params, mparams, cb)
            sol = self._solution(result, form, scaled)
            if sol.termination is Termination.OTHER and _limit_undetermined(result):
                # CP-SAT through MathOpt does not say which limit stopped it.
                elapsed = time.perf_counter() - start
                if interrupted:
                    sol.termination = Termination.INTERRUPTED
                elif options.time_limit is not None and elapsed >= 0.9 * options.time_limit:
                    sol.termination = Termination.TIME_LIMIT
                if sol.termination is not Termination.OTHER:
                    sol.message = ""
            if sol.termination is Termination.INFEASIBLE_OR_UNBOUNDED:
                left = None if options.time_limit is None else options.time_limit - (time.perf_counter() - start)
                if left is None or left > 0:
                    _disambiguate(sol, form, stype, left)
        sol.build_seconds, sol.solve_seconds = build, time.perf_counter() - start
        sol.backend = self.label
        return sol

    # --- parameters ------------------------------------------------------------------------
    def _params(self, form: CanonicalForm, options: SolveOptions) -> Any:
        from ortools.math_opt import parameters_pb2

        p = parameters_pb2.SolveParametersProto()
        p.enable_output = bool(options.verbose)
        if options.time_limit is not None:
            p.time_limit.FromNanoseconds(int(max(options.time_limit, 0.0) * 1e9))
        if options.mip_gap is not None and form.is_mip:
            p.relative_gap_tolerance = float(options.mip_gap)
        if options.threads is not None and self.subsolver != "glop":  # GLOP is single-threaded
            p.threads = int(options.threads)
        if self.subsolver == "pdlp":
            crit = p.pdlp.termination_criteria.simple_optimality_criteria
            crit.eps_optimal_absolute = PDLP_TOLERANCE
            crit.eps_optimal_relative = PDLP_TOLERANCE
            p.pdlp.termination_criteria.eps_primal_infeasible = 1e-10
            p.pdlp.termination_criteria.eps_dual_infeasible = 1e-10
        for key, value in options.solver_options.items():
            _set_option(p, _NATIVE_FIELD[self.subsolver], key, value)
        return p

    def _model_params(self, model: Model, form: CanonicalForm, options: SolveOptions) -> Any:
        from ortools.math_opt import model_parameters_pb2

        mp = model_parameters_pb2.ModelSolveParametersProto()
        if options.warm_start is not None and C.WARM_START in self.capabilities and form.is_mip:
            x = start_values(model, options.warm_start)
            given = np.flatnonzero(np.isfinite(x))
            values = x[given]
            if self.subsolver == "cpsat":
                values = np.round(values)
            hint = mp.solution_hints.add()
            hint.variable_values.ids.extend(given.tolist())
            hint.variable_values.values.extend(values.tolist())
        return mp

    # --- reading the result ----------------------------------------------------------------
    def _solution(self, result: Any, form: CanonicalForm, scaled: _Scaled | None) -> Solution:
        from ortools.math_opt import solution_pb2

        term = _termination(result.termination)
        sol = Solution(status=Status.ERROR, termination=term, solution_status=SolutionStatus.NO_SOLUTION)
        if term in (Termination.ERROR, Termination.NUMERICAL_ERROR, Termination.OTHER):
            sol.message = f"{self.label} stopped: {result.termination.detail or 'no detail'}"
        feasible = solution_pb2.SOLUTION_STATUS_FEASIBLE
        primal = next((s.primal_solution for s in result.solutions
                       if s.HasField("primal_solution") and s.primal_solution.feasibility_status == feasible), None)
        dual = next((s.dual_solution for s in result.solutions
                     if s.HasField("dual_solution") and s.dual_solution.feasibility_status == feasible), None)
        stats = result.solve_stats
        counts = {"simplex_iterations": stats.simplex_iterations, "barrier_iterations": stats.barrier_iterations,
                  "first_order_iterations": stats.first_order_iterations, "nodes": stats.node_count}
        sol.stats.update({k: int(v) for k, v in counts.items() if v or (k == "nodes" and form.is_mip)})
        if form.num_cols == 0 and term is Termination.OPTIMAL:
            sol.x, sol.objective, sol.solution_status = np.zeros(0), form.offset, SolutionStatus.OPTIMAL
            return sol
        if primal is None:
            return sol
        x = _dense(primal.variable_values, form.num_cols)
        if form.is_mip:
            # The solvers' integer values carry roundoff (1e-9); the exact integers are the answer.
            x[form.integrality] = np.round(x[form.integrality])
        sol.x = x
        sol.objective = form.objective_value(x) if (scaled is not None or form.is_mip) else primal.objective_value
        sol.solution_status = SolutionStatus.OPTIMAL if term is Termination.OPTIMAL else SolutionStatus.FEASIBLE
        if form.is_mip:
            bound = result.termination.objective_bounds.dual_bound
            if scaled is not None and math.isfinite(bound):
                bound = bound / scaled.objective_scale + form.offset
            sol.bound = float(bound)
            sol.gap = _gap(sol.objective, sol.bound)
        elif dual is not None:
            # MathOpt's duals already follow HiGHS's convention (c = Aᵀy + z, y = d obj / d bound).
            sol.row_duals = _dense(dual.dual_values, form.num_rows)
            sol.reduced_costs = _dense(dual.reduced_costs, form.num_cols)
            sol.bound = float(dual.objective_value) if dual.HasField("objective_value") else None
        return sol


# --- the model proto, in bulk ------------------------------------------------------------------
def model_proto(form: CanonicalForm, scaled: _Scaled | None = None) -> Any:
    """The canonical form (or its integer scaling for CP-SAT) as a MathOpt ``ModelProto``."""
    from ortools.math_opt import model_pb2

    A, row_lower, row_upper = form.A, form.row_lower, form.row_upper
    col_lower, col_upper, c, offset = form.col_lower, form.col_upper, form.c, form.offset
    if scaled is not None:
        A, row_lower, row_upper = scaled.A, scaled.row_lower, scaled.row_upper
        col_lower, col_upper, c, offset = scaled.col_lower, scaled.col_upper, scaled.c, 0.0
    n, m = form.num_cols, form.num_rows
    p = model_pb2.ModelProto(name=form.name)
    v = p.variables
    v.ids.extend(range(n))
    v.lower_bounds.extend(col_lower.tolist())
    v.upper_bounds.extend(col_upper.tolist())
    v.integers.extend(form.integrality.tolist())
    obj = p.objective
    obj.maximize = form.sense.sign < 0
    obj.offset = float(offset)
    nz = np.flatnonzero(c)
    obj.linear_coefficients.ids.extend(nz.tolist())
    obj.linear_coefficients.values.extend(c[nz].tolist())
    rows = p.linear_constraints
    rows.ids.extend(range(m))
    rows.lower_bounds.extend(row_lower.tolist())
    rows.upper_bounds.extend(row_upper.tolist())
    A = _clean(A)
    mat = p.linear_constraint_matrix
    mat.row_ids.extend(np.repeat(np.arange(m), np.diff(A.indptr)).tolist())
    mat.column_ids.extend(A.indices.tolist())
    mat.coefficients.extend(A.data.tolist())
    return p


def _clean(A: sp.csr_array) -> sp.csr_array:
    """MathOpt wants each row's columns strictly increasing and no explicit zeros."""
    A = sp.csr_array(A)
    if not A.has_canonical_format:
        A = A.copy()
        A.sum_duplicates()
    if A.nnz and not np.all(A.data):
        A = A.copy()
        A.eliminate_zeros()
    return A


def _dense(vector: Any, size: int) -> np.ndarray:
    out = np.zeros(size)
    if len(vector.ids):
        out[np.asarray(vector.ids, dtype=np.int64)] = np.asarray(vector.values, dtype=float)
    return out


def _gap(objective: float | None, bound: float | None) -> float | None:
    """Relative gap |objective - bound| / |objective| (HiGHS's definition)."""
    if objective is None or bound is None or not math.isfinite(bound):
        return math.inf if objective is not None else None
    diff = abs(objective - bound)
    if diff <= 1e-9 * max(1.0, abs(objective)):
        return 0.0
    return diff / abs(objective) if objective != 0 else math.inf


# --- running and stopping ----------------------------------------------------------------------
def _run(s: Any, params: Any, mparams: Any, cb: _LazyCallback | None) -> tuple[Any, bool]:
    """Solve in a worker thread (the C++ solve releases the GIL) so that Ctrl-C can interrupt it."""
    from ortools.math_opt import callback_pb2
    from ortools.util.python import solve_interrupter

    reg = callback_pb2.CallbackRegistrationProto()
    if cb is not None:
        cb.register(reg)
    interrupter = solve_interrupter.SolveInterrupter()
    box: dict[str, Any] = {}
    done = threading.Event()  # not Thread.join: a join interrupted by Ctrl-C can lose track

    def work() -> None:
        try:
            box["result"] = s.solve(params, mparams, None, reg, cb, interrupter.pybind_interrupter)
        except BaseException as e:
            box["error"] = e
        finally:
            done.set()

    threading.Thread(target=work, name="ortools-solve", daemon=True).start()
    interrupted = False
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            if not interrupted:
                interrupter.interrupt()
            interrupted = True
    if "error" in box:
        err = box["error"]
        if cb is not None and cb.error is not None:
            raise cb.error
        raise OptmodelError(f"OR-Tools failed: {err}") from None
    if cb is not None and cb.error is not None:
        raise cb.error
    return box["result"], interrupted


def _limit_undetermined(result: Any) -> bool:
    from ortools.math_opt import result_pb2 as rp

    return result.termination.limit in (rp.LIMIT_UNDETERMINED, rp.LIMIT_UNSPECIFIED)


def _termination(t: Any) -> Termination:
    from ortools.math_opt import result_pb2 as rp

    reason = t.reason
    if reason in (rp.TERMINATION_REASON_FEASIBLE, rp.TERMINATION_REASON_NO_SOLUTION_FOUND):
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
    }.get(reason, Termination.ERROR)


def _disambiguate(sol: Solution, form: CanonicalForm, stype: int, time_limit: float | None) -> None:
    """Infeasible or unbounded? Solve the feasibility problem (zero objective) to tell which."""
    from ortools.math_opt import model_parameters_pb2, parameters_pb2
    from ortools.math_opt.core.python import solver

    proto = model_proto(form, _integer_form(form) if stype == parameters_pb2.SOLVER_TYPE_CP_SAT else None)
    proto.objective.Clear()
    p = parameters_pb2.SolveParametersProto()
    if time_limit is not None:
        p.time_limit.FromNanoseconds(int(max(time_limit, 0.0) * 1e9))
    s = solver.new(stype, proto, parameters_pb2.SolverInitializerProto())
    result, _ = _run(s, p, model_parameters_pb2.ModelSolveParametersProto(), None)
    term = _termination(result.termination)
    if term is Termination.INFEASIBLE:
        sol.termination = Termination.INFEASIBLE
    elif term is Termination.OPTIMAL:  # feasible, so the original was unbounded
        sol.termination = Termination.UNBOUNDED


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
class _Scaled:
    """The canonical form with integer rows, bounds and objective (see the module docstring)."""

    def __init__(self, A: sp.csr_array, row_lower: np.ndarray, row_upper: np.ndarray, c: np.ndarray,
                 objective_scale: int, col_lower: np.ndarray, col_upper: np.ndarray):
        self.A, self.row_lower, self.row_upper = A, row_lower, row_upper
        self.c, self.objective_scale = c, objective_scale
        self.col_lower, self.col_upper = col_lower, col_upper


def _is_integral(v: np.ndarray) -> np.ndarray:
    return np.abs(v - np.round(v)) <= 1e-9 * np.maximum(1.0, np.abs(v))


def _denominators(values: np.ndarray) -> np.ndarray | None:
    """The least q <= MAX_DENOMINATOR with q*v integral, per value; None if some value has none."""
    uniq, inverse = np.unique(values, return_inverse=True)
    q = np.zeros(uniq.shape[0], dtype=np.int64)
    todo = np.flatnonzero(~_is_integral(uniq))
    q[_is_integral(uniq)] = 1
    if todo.size:
        # A quick look at a few hard values first, so that a hopeless model is refused at once.
        probe = uniq[todo[:32]]
        hit = np.zeros(probe.shape[0], dtype=bool)
        for d in range(2, MAX_DENOMINATOR + 1):
            hit |= _is_integral(probe * d)
            if hit.all():
                break
        if not hit.all():
            return None
    for d in range(2, MAX_DENOMINATOR + 1):
        if not todo.size:
            break
        ok = _is_integral(uniq[todo] * d)
        q[todo[ok]] = d
        todo = todo[~ok]
    if todo.size:
        return None
    return q[inverse.ravel()]


def _cpsat_refusal(form: CanonicalForm) -> str | None:
    try:
        _integer_form(form)
    except _NotInteger as e:
        return str(e)
    return None


class _NotInteger(Exception):
    pass


def _integer_form(form: CanonicalForm) -> _Scaled:
    """Scale the form to integers exactly for CP-SAT, or raise ``_NotInteger`` saying why."""
    cached = getattr(form, "_ortools_cpsat", None)
    if cached is not None:
        if isinstance(cached, str):
            raise _NotInteger(cached)
        return cached
    try:
        scaled = _scale(form)
    except _NotInteger as e:
        form._ortools_cpsat = str(e)  # type: ignore[attr-defined]
        raise
    form._ortools_cpsat = scaled  # type: ignore[attr-defined]
    return scaled


def _scale(form: CanonicalForm) -> _Scaled:
    continuous = int((~form.integrality).sum())
    if continuous:
        raise _NotInteger(
            f"CP-SAT takes integer variables only and {continuous} of {form.num_cols} are continuous"
        )
    lo = np.ceil(form.col_lower - 1e-9)
    hi = np.floor(form.col_upper + 1e-9)
    unbounded = int((~np.isfinite(lo) | ~np.isfinite(hi)).sum())
    if unbounded:
        raise _NotInteger(f"CP-SAT needs finite bounds on every variable and {unbounded} have an infinite bound")
    A = _clean(form.A)
    q = _denominators(A.data) if A.nnz else np.zeros(0, dtype=np.int64)
    if q is None:
        raise _NotInteger(f"some constraint coefficients are not fractions p/q with q <= {MAX_DENOMINATOR}")
    row_scale = np.ones(form.num_rows, dtype=np.int64)
    lengths = np.diff(A.indptr)
    filled = np.flatnonzero(lengths)
    if filled.size:
        row_scale[filled] = np.lcm.reduceat(q, A.indptr[filled])
    if np.any(row_scale <= 0) or np.any(row_scale > MAX_ROW_SCALE):
        raise _NotInteger(f"a constraint needs a multiplier above {MAX_ROW_SCALE} to become integral")
    data = A.data * np.repeat(row_scale, lengths)
    if not np.all(_is_integral(data)):
        raise _NotInteger("the constraint coefficients could not be scaled to integers exactly")
    scale = row_scale.astype(float)
    with np.errstate(invalid="ignore"):
        row_lower = np.ceil(form.row_lower * scale - 1e-9 * np.maximum(1.0, np.abs(form.row_lower * scale)))
        row_upper = np.floor(form.row_upper * scale + 1e-9 * np.maximum(1.0, np.abs(form.row_upper * scale)))
    nz = np.flatnonzero(form.c)
    qc = _denominators(form.c[nz]) if nz.size else np.ones(1, dtype=np.int64)
    if qc is None:
        raise _NotInteger(f"some objective coefficients are not fractions p/q with q <= {MAX_DENOMINATOR}")
    obj_scale = int(np.lcm.reduce(qc)) if qc.size else 1
    if not 0 < obj_scale <= MAX_ROW_SCALE:
        raise _NotInteger(f"the objective needs a multiplier above {MAX_ROW_SCALE} to become integral")
    c = np.round(form.c * obj_scale)
    scaled_A = sp.csr_array((np.round(data), A.indices, A.indptr), shape=A.shape)
    return _Scaled(scaled_A, row_lower, row_upper, c, obj_scale, lo, hi)


# --- lazy constraint families through SCIP's MathOpt callback -------------------------------------
def _lazy_scip_params(p: Any) -> None:
    # SCIP's dual reductions assume it knows every constraint; lazy rows would invalidate them.
    p.gscip.bool_params["misc/allowstrongdualreds"] = False
    p.gscip.bool_params["misc/allowweakdualreds"] = False


class _LazyCallback:
    """MathOpt callback: on each new incumbent (MIP_SOLUTION) ask the oracles, add violated rows
    as lazy constraints; on LP nodes (MIP_NODE) ask the ``fractional`` families for user cuts."""

    def __init__(self, model: Model, families: Any):
        form = model.canonical()
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
                if is_solution:
                    x[self.integrality] = np.round(x[self.integrality])
                rows = lazy.separate(self.families, x, fractional=not is_solution)
                _add_cuts(out, rows, lazy_rows=is_solution)
        except BaseException as e:  # an oracle's error (or Ctrl-C) stops the solve, re-raised after
            self.error = e
            out.terminate = True
        return out


def _add_cuts(out: Any, rows: Any, lazy_rows: bool) -> None:
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
