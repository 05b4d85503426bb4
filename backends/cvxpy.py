"""CVXPY: the canonical form as ``A @ x`` with scipy sparse matrices, and convex ``log`` objectives.

Rows are given once each, except ranged rows: equal rows as one ``A_eq @ x == b`` block, rows with
a finite upper bound as ``A_up @ x <= u``, rows with a finite lower bound as ``A_lo @ x >= l`` (so
only ranged rows appear twice); rows without variables are left out (dual 0). Integer columns live
in a separate ``cp.Variable(integer=True)`` block; ``A`` is split by columns accordingly. Column
bounds are vector constraints, whose duals give the reduced costs. A quadratic objective is
``½ quad_form(x, sign·Q)`` over the blocks, with CVXPY's eigenvalue check skipped (optmodel has
checked convexity); a QP reaches HiGHS through CVXPY's QP path, SCIP as a second-order cone.

The problem is always posed as ``minimize(sign * objective)``; duals are converted to HiGHS's
convention (``c = Aᵀy + z``, ``y = d objective / d active row bound``) from that. ``load`` runs
CVXPY's reductions (``get_problem_data``); ``run`` calls the solver and unpacks its answer, so that
the solver's own results (HiGHS's model status and info, SCIP's status and model) are read too.

Ctrl-C: the solver call runs in optmodel's worker thread, with the solver's cancel call for HiGHS
and SCIP (see ``_interfaces``). CVXPY's other interfaces create their solver inside one method and
never expose it: they are abandoned after the first Ctrl-C (status ``interrupted``, no point).
"""

from __future__ import annotations

import importlib.util
import re
import time
import warnings
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Adapter, Capability, RawResult, SolveOptions, solver_output
from optmodel.interrupt import run_in_worker, stop_requested
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from optmodel.atoms import LogExpr
    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily
    from optmodel.model import Model

_LP, _MIP, _DUALS, _CONVEX = Capability.LP, Capability.MIP, Capability.DUALS, Capability.CONVEX
_QP = Capability.QUADRATIC

# sub-solver -> (cvxpy solver name, Python module cvxpy imports for it)
_SOLVERS: dict[str, tuple[str, str]] = {
    "highs": ("HIGHS", "highspy"), "clarabel": ("CLARABEL", "clarabel"), "scs": ("SCS", "scs"),
    "scip": ("SCIP", "pyscipopt"), "scipy": ("SCIPY", "scipy"), "glop": ("GLOP", "ortools"),
    "pdlp": ("PDLP", "ortools"), "ecos": ("ECOS", "ecos"), "glpk": ("GLPK", "cvxopt"),
    "glpk_mi": ("GLPK_MI", "cvxopt"), "cbc": ("CBC", "cylp"), "gurobi": ("GUROBI", "gurobipy"),
    "mosek": ("MOSEK", "mosek"),
}  # fmt: skip


# sub-solver -> its (time limit, MIP gap) options through CVXPY; "a/b" is the option b inside the
# dict option a (ECOS and GLPK take no time limit through CVXPY).
_LIMITS: dict[str, tuple[str | None, str | None]] = {
    "highs": ("time_limit", "mip_rel_gap"), "clarabel": ("time_limit", None), "scs": ("time_limit_secs", None),
    "scip": ("scip_params/limits/time", "scip_params/limits/gap"), "glop": ("time_limit_sec", None),
    "scipy": ("scipy_options/time_limit", "scipy_options/mip_rel_gap"), "pdlp": ("time_limit_sec", None),
    "cbc": ("maximumSeconds", "allowableFractionGap"), "gurobi": ("TimeLimit", "MIPGap"),
    "mosek": ("mosek_params/MSK_DPAR_OPTIMIZER_MAX_TIME", None),
}  # fmt: skip


def _option(path: str | None, value: Any) -> dict[str, Any]:
    if path is None:
        return {}
    outer, _, inner = path.partition("/")
    return {outer: {inner: value}} if inner else {outer: value}


# Tighter than the solvers' defaults so that answers pass optmodel's 1e-6 check. SCS stops on
# residuals relative to the largest entries of the data: a row with a small bound next to large ones
# (kb2) needs eps_rel <= 2e-10 to be met to 1e-6. Below eps_rel 1e-9 some LPs converge slowly
# (share2b with SCS 3.3.1 meets the check only after ~150k iterations, 1.7 s; at max_iters the answer
# is "optimal_inaccurate", judged by the check), and below eps_abs 1e-9 SCS drifts
# along an unbounded optimal face (x + y >= 2 over free x, y). Clarabel's point on a log objective
# is as accurate as about the square root of its feasibility tolerance; the KKT check needs 1e-6.
_ACCURACY: dict[str, dict[str, Any]] = {
    "scs": {"eps_abs": 1e-9, "eps_rel": 1e-10, "max_iters": 150_000},
    "clarabel": {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12},
}


def _pdlp_accuracy() -> Any:
    """PDLP's default stopping tolerance (1e-4) fails optmodel's check; ask for 1e-10."""
    from ortools.pdlp import solvers_pb2

    params = solvers_pb2.PrimalDualHybridGradientParams()
    criteria = params.termination_criteria.simple_optimality_criteria
    criteria.eps_optimal_absolute = criteria.eps_optimal_relative = 1e-10
    return params


@cache
def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cache
def installed_solvers() -> frozenset[str]:
    """CVXPY's own list (imports CVXPY, about a second): used only when a solve needs it."""
    import cvxpy as cp

    return frozenset(cp.installed_solvers())


# The solver's own statuses where CVXPY's are coarser: HiGHS's model status (CVXPY says
# "user_limit" for every limit) and SCIP's (CVXPY says "optimal_inaccurate" at a time limit and
# "solver_error" at one without incumbent). SCIP's "gaplimit" is optimal to the requested gap, as
# HiGHS's kOptimal is.
_NATIVE = {
    "kTimeLimit": Termination.TIME_LIMIT, "kIterationLimit": Termination.ITERATION_LIMIT,
    "kUnboundedOrInfeasible": Termination.INFEASIBLE_OR_UNBOUNDED,
    "kInterrupt": Termination.INTERRUPTED, "timelimit": Termination.TIME_LIMIT,
    "userinterrupt": Termination.INTERRUPTED, "gaplimit": Termination.OPTIMAL, "memlimit": Termination.ERROR,
    **dict.fromkeys(("kSolutionLimit", "kObjectiveBound", "kObjectiveTarget", "nodelimit", "totalnodelimit",
                     "stallnodelimit", "sollimit", "bestsollimit", "restartlimit"), Termination.OTHER),
}  # fmt: skip


class Cvxpy(Adapter):
    name = "cvxpy"
    description = "CVXPY modelling layer: LP/MIP and convex (log) objectives, many solvers"
    modules = ("cvxpy",)
    distribution = "cvxpy"
    # WARM_START only where CVXPY hands the variables' values to the solver (its GUROBI interface);
    # the others ignore them (HiGHS and SCS reuse only an earlier solve of the same CVXPY problem).
    # QUADRATIC (checked on Maros-Meszaros QPs): HiGHS through CVXPY's QP path, Clarabel and SCS
    # natively, SCIP as a second-order cone (so MIQP too). CVXPY takes convex objectives only (no
    # NONCONVEX). OSQP is left out: its LP answers (kb2, adlittle) fail optmodel's 1e-6 check.
    subsolvers = {
        "highs": frozenset({_LP, _MIP, _DUALS, _QP}), "clarabel": frozenset({_LP, _CONVEX, _DUALS, _QP}),
        "scs": frozenset({_LP, _CONVEX, _DUALS, _QP}), "scip": frozenset({_LP, _MIP, _QP, Capability.MIQP}),
        "scipy": frozenset({_LP, _MIP, _DUALS}), "glop": frozenset({_LP, _DUALS}), "pdlp": frozenset({_LP, _DUALS}),
        "ecos": frozenset({_LP, _CONVEX, _DUALS}), "glpk": frozenset({_LP, _DUALS}), "glpk_mi": frozenset({_LP, _MIP}),
        "cbc": frozenset({_LP, _MIP}), "gurobi": frozenset({_LP, _MIP, _DUALS, Capability.WARM_START}),
        "mosek": frozenset({_LP, _MIP, _CONVEX, _DUALS}),
    }  # fmt: skip

    def available_subsolvers(self) -> list[str]:
        """Sub-solvers whose package is importable, without importing CVXPY (``load`` asks CVXPY)."""
        return [s for s in self.subsolvers if _importable(_SOLVERS[s][1])]

    def why_not(self, model: Model) -> str | None:
        reason = super().why_not(model)
        if reason is None and not _importable(_SOLVERS[self.subsolver][1]):
            return f"{self.label} is unavailable: {_SOLVERS[self.subsolver][1]} is not installed"
        return reason

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        self._load(form, options)

    def _load(self, form: CanonicalForm, options: SolveOptions, log_objective: LogExpr | None = None) -> None:
        solver_name = _SOLVERS[self.subsolver][0]
        if solver_name not in installed_solvers():
            from optmodel.errors import BackendUnavailable

            raise BackendUnavailable(
                f"{self.label} is unavailable: CVXPY does not list {solver_name} among its installed "
                f"solvers ({', '.join(sorted(installed_solvers()))})"
            )
        solver = _cancellable(self.subsolver, form.is_quadratic and log_objective is None)
        self.cancel = solver.cancel if solver is not None else None
        self.translation = _Translation(form, log_objective)
        if options.warm_start is not None:
            self.translation.set_start(options.warm_start)
        self.translation.compile(solver or solver_name, self._solver_kwargs(options, form.is_quadratic))

    def run(self, options: SolveOptions) -> RawResult:
        t = self.translation
        status, results, error = t.solve(options.verbose, self.cancel)
        native = _native_status(results)
        term = _termination(status, native, options)
        if self.subsolver == "glop" and term is Termination.INFEASIBLE and t.log_objective is None:
            # OR-Tools' MPSolver reports Glop's "infeasible or unbounded" (from its presolve) as
            # infeasible: only the feasibility problem tells which.
            term = Termination.INFEASIBLE_OR_UNBOUNDED
        raw = RawResult(term)
        if native not in _NATIVE and (error or status.endswith("_inaccurate")):
            raw.message = f"CVXPY: {error}" if error else f"CVXPY reported {status!r}"
        if status in ("optimal", "optimal_inaccurate", "user_limit") and _has_point(results):
            t.answer(raw, duals=_DUALS in self.capabilities)
        if t.form.is_mip and results is not None:
            raw.bound = t.bound(results)
        return raw

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        """A log objective over the model's linear constraints (verified by the objective kind)."""
        from optmodel.atoms import check_objective, constraint_form
        from optmodel.reductions import invert, prepare
        from optmodel.solving import trivial

        objective = check_objective(model)
        _, form, chain = prepare(constraint_form(model))  # normalised as LP/MIP forms are
        raw = trivial(form, constrained_elsewhere=True)  # contradictory bounds, impossible empty rows
        if raw is None:
            with solver_output(options.verbose):
                start = time.perf_counter()
                self._load(form, options, objective)
                loaded = time.perf_counter()
                raw = self.run(options)
            raw.build_seconds, raw.solve_seconds = loaded - start, time.perf_counter() - loaded
        raw = invert(chain, raw)
        term = raw.termination
        final = (Termination.OPTIMAL, Termination.INFEASIBLE, Termination.UNBOUNDED)
        if stop_requested() and term not in final and term is not Termination.INFEASIBLE_OR_UNBOUNDED:
            term = Termination.INTERRUPTED
        sol = Solution(
            Status.ERROR, term, SolutionStatus.NO_SOLUTION, message=raw.message, stats=raw.stats,
            build_seconds=raw.build_seconds, solve_seconds=raw.solve_seconds, backend=self.label, model=model,
        )  # fmt: skip
        if raw.x is not None:
            sol.x = raw.x
            sol.objective = raw.objective if raw.objective is not None else float(objective.value(raw.x))
            sol.solution_status = SolutionStatus.OPTIMAL if term is Termination.OPTIMAL else SolutionStatus.FEASIBLE
            if term is Termination.OPTIMAL and raw.row_duals is not None:
                sol.row_duals, sol.reduced_costs, sol.bound = raw.row_duals, raw.reduced_costs, sol.objective
        return sol

    def _solver_kwargs(self, options: SolveOptions, quadratic: bool = False) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        parts = [_ACCURACY.get(self.subsolver, {})]
        if quadratic and self.subsolver == "scip":  # its cone row met to 1e-6 leaves the point 1e-4 off
            parts.append({"scip_params": {"numerics/feastol": 1e-9}})
        if self.subsolver == "pdlp":
            parts.append({"parameters_proto": _pdlp_accuracy()})
        time_key, gap_key = _LIMITS.get(self.subsolver, (None, None))
        if options.time_limit is not None:  # CBC takes whole seconds
            seconds = float(options.time_limit)
            parts.append(_option(time_key, max(1, round(seconds)) if self.subsolver == "cbc" else seconds))
        if options.mip_gap is not None:
            parts.append(_option(gap_key, float(options.mip_gap)))
        if options.threads is not None and self.subsolver == "highs":
            parts.append({"threads": int(options.threads)})
        parts.append(options.solver_options)
        for part in parts:
            for key, value in part.items():
                if isinstance(value, dict) and isinstance(kwargs.get(key), dict):
                    kwargs[key] = {**kwargs[key], **value}
                else:
                    kwargs[key] = value
        return kwargs


class _Translation:
    """The CVXPY problem for a canonical form (plus an optional log objective)."""

    def __init__(self, form: CanonicalForm, log_objective: LogExpr | None = None):
        import cvxpy as cp

        self.form, self.log_objective, self.warm_start = form, log_objective, False
        self.sign = form.sense.sign
        integer = form.integrality.astype(bool)
        self.blocks: list[tuple[np.ndarray, Any]] = []  # (canonical columns, CVXPY variable)
        for cols, kind in ((np.flatnonzero(~integer), {}), (np.flatnonzero(integer), {"integer": True})):
            if cols.size:
                self.blocks.append((cols, cp.Variable(cols.size, name="xi" if kind else "x", **kind)))
        A = sp.csc_matrix(form.A)
        lo, hi = form.row_lower, form.row_upper
        # Rows without variables are left out (CVXPY's SCIP interface miscounts their duals); the
        # core has already answered a model where one excludes 0.
        used = np.diff(form.A.indptr) > 0
        self.rows: list[tuple[str, np.ndarray, Any]] = []  # (kind, canonical rows, constraint)
        for kind, idx in (
            ("eq", np.flatnonzero(used & (lo == hi))),
            ("up", np.flatnonzero(used & np.isfinite(hi) & (lo != hi))),
            ("low", np.flatnonzero(used & np.isfinite(lo) & (lo != hi))),
        ):
            if idx.size:
                body = self._times_x(A[idx])
                con = body == lo[idx] if kind == "eq" else (body <= hi[idx] if kind == "up" else body >= lo[idx])
                self.rows.append((kind, idx, con))
        self.bounds: list[tuple[str, np.ndarray, Any]] = []  # (kind, canonical columns, constraint)
        for block, var in self.blocks:
            for kind, bound in (("low", form.col_lower[block]), ("up", form.col_upper[block])):
                pos = np.flatnonzero(np.isfinite(bound))
                if pos.size:
                    part = var[pos] if pos.size < block.size else var
                    self.bounds.append((kind, block[pos], part >= bound[pos] if kind == "low" else part <= bound[pos]))
        if log_objective is None:
            objective = self.sign * (self._times_x(form.c.reshape(1, -1)) + form.offset)
            if form.Q is not None:
                objective = objective + self._quadratic(form)
        else:
            objective = self.sign * self._log_objective(log_objective, form.num_cols)
        cons = [con for *_, con in self.rows + self.bounds]
        self.problem = cp.Problem(cp.Minimize(objective), cons)

    def _quadratic(self, form: CanonicalForm) -> Any:
        """``½ xᵀ(sign·Q)x`` over the variable blocks. optmodel checks convexity itself, so CVXPY's
        eigenvalue check is skipped (``psd_wrap``); a nonconvex form never reaches CVXPY."""
        import cvxpy as cp

        from optmodel.errors import CapabilityError

        if not form.is_convex():
            raise CapabilityError("CVXPY takes convex quadratic objectives only; this one is nonconvex")
        order = np.concatenate([cols for cols, _ in self.blocks])
        P = sp.csr_matrix(self.sign * form.Q)[order][:, order]
        x = cp.hstack([var for _, var in self.blocks]) if len(self.blocks) > 1 else self.blocks[0][1]
        return 0.5 * cp.quad_form(x, cp.psd_wrap(P))

    def _times_x(self, M: Any) -> Any:
        """``M @ x`` for a matrix over canonical columns, split into the variable blocks."""
        M = sp.csc_matrix(M)
        parts = [sp.csr_matrix(M[:, cols]) @ var for cols, var in self.blocks]
        return sum(parts[1:], parts[0]) if parts else np.zeros(M.shape[0])

    def _log_objective(self, expr: LogExpr, n: int) -> Any:
        import cvxpy as cp

        from optmodel.expr import _with_cols

        keep = np.flatnonzero(expr.weight != 0)
        affine = self._times_x(_with_cols(expr.affine.coef, n)) + float(expr.affine.const[0])
        if keep.size == 0:
            return cp.sum(affine)
        logs = cp.log(self._times_x(sp.csr_matrix(_with_cols(expr.arg.coef, n))[keep]) + expr.arg.const[keep])
        return expr.weight[keep] @ logs + cp.sum(affine)

    def set_start(self, start: np.ndarray) -> None:
        """Start values as the variables' values (NaN: none, Gurobi's GRB.UNDEFINED = 1e101);
        integer columns' starts rounded, as CVXPY requires of an integer variable's value."""
        start = np.where(np.isnan(start), 1e101, start)
        for cols, var in self.blocks:
            var.value = np.round(start[cols]) if var.attributes["integer"] else start[cols]
        self.warm_start = True

    def compile(self, solver: Any, kwargs: dict[str, Any]) -> None:
        """CVXPY's reductions down to the solver's data (the model building, timed as such); a
        problem CVXPY refuses for this solver is reported by ``solve`` as a solver error."""
        import cvxpy as cp

        self.kwargs, self.refused = kwargs, ""
        try:
            self.data, self.chain, self.inverse = self.problem.get_problem_data(solver, solver_opts=dict(kwargs))
        except cp.error.SolverError as exc:
            self.refused = str(exc)

    def solve(self, verbose: bool, cancel: Callable[[], Any] | None) -> tuple[str, Any, str]:
        """``(CVXPY's status, the solver's own results, error message)``."""
        import cvxpy as cp

        if self.refused:
            return "solver_error", None, self.refused
        def work() -> Any:  # some interfaces consume the options dict: a fresh one each time
            return self.chain.solve_via_data(self.problem, self.data, self.warm_start, verbose, dict(self.kwargs))

        try:
            results, _ = run_in_worker(work, cancel)
        except cp.error.SolverError as exc:
            return "solver_error", None, str(exc)
        except (ValueError, ArithmeticError, KeyError) as exc:  # a failure inside CVXPY's solver interface
            return "solver_error", None, f"{type(exc).__name__}: {exc}"
        if results is None:  # abandoned after Ctrl-C (no cancel call): no answer
            return "interrupted", None, ""
        try:
            # CVXPY warns about statuses (inaccurate, infeasible or unbounded) reported anyway, and
            # numpy about a log's value at a point outside its domain (the check says so).
            with warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
                warnings.simplefilter("ignore", UserWarning)
                self.problem.unpack_results(results, self.chain, self.inverse)
        except cp.error.SolverError as exc:
            return "solver_error", results, str(exc)
        return str(self.problem.status), results, ""

    def answer(self, raw: RawResult, duals: bool) -> None:
        """The point, objective, duals and counts into ``raw``."""
        x = np.zeros(self.form.num_cols)
        for cols, var in self.blocks:
            if var.value is None:
                return
            x[cols] = np.asarray(var.value, dtype=float).ravel()
        raw.x = x
        value = self.problem.value
        if value is not None and np.isfinite(value):
            raw.objective = float(self.sign * value)
        if duals and not self.form.is_mip:
            self._duals(raw)
        stats = self.problem.solver_stats
        if stats is not None and stats.num_iters is not None:
            raw.stats["iterations"] = int(stats.num_iters)

    def bound(self, results: Any) -> float | None:
        """The solver's MIP dual bound, with the constant CVXPY moved out of its objective added back."""
        import cvxpy.settings as s

        try:
            if "scip_status" in results:
                bound = float(results["model"].getDualbound())
            else:  # HiGHS's info, or SciPy's result
                bound = float(results["info"].mip_dual_bound if "info" in results else results["mip_dual_bound"])
            return self.sign * (bound + float(self.inverse[-1][s.OFFSET]))
        except (KeyError, TypeError, AttributeError, ValueError):  # an interface without a bound
            return None

    def _duals(self, raw: RawResult) -> None:
        """Duals of ``minimize sign * objective`` converted to d objective / d bound."""
        y, z = np.zeros(self.form.num_rows), np.zeros(self.form.num_cols)
        for out, parts in ((y, self.rows), (z, self.bounds)):
            for kind, idx, con in parts:
                if con.dual_value is None:
                    return
                d = np.asarray(con.dual_value, dtype=float).ravel()
                # CVXPY's multipliers: d(min)/d(rhs) is -d for <= and ==, +d for >=.
                out[idx] += d if kind == "low" else -d
        raw.row_duals, raw.reduced_costs = self.sign * y, self.sign * z


def _native_status(results: Any) -> str | None:
    """HiGHS's model status or SCIP's status in the results of CVXPY's interface, else None. SciPy
    gives HiGHS's only in its message ("... (HiGHS Status 9: ...)"), and its status 4 for several."""
    if not isinstance(results, dict):
        return None
    found = re.search(r"\(HiGHS Status (\d+):", str(results.get("message", "")))
    if found:
        return {9: "kUnboundedOrInfeasible", 13: "kTimeLimit", 14: "kIterationLimit"}.get(int(found[1]))
    return results.get("scip_status", results.get("model_status"))


def _has_point(results: Any) -> bool:
    """False where HiGHS says its point is not feasible: CVXPY passes on HiGHS's column values at
    a limit even before a feasible solution was found."""
    info = results.get("info") if isinstance(results, dict) else None
    return getattr(info, "primal_solution_status", 2) == 2  # kSolutionStatusFeasible


def _termination(status: str, native: str | None, options: SolveOptions) -> Termination:
    """The solver's own status where it says more than CVXPY's, else CVXPY's; inaccurate answers
    are left to the check."""
    if native in _NATIVE:
        return _NATIVE[native]
    return {
        "optimal": Termination.OPTIMAL,
        "infeasible": Termination.INFEASIBLE,
        "unbounded": Termination.UNBOUNDED,
        "infeasible_or_unbounded": Termination.INFEASIBLE_OR_UNBOUNDED,
        # CVXPY's "user_limit" without the solver's own status: the time limit if one was set.
        "user_limit": Termination.TIME_LIMIT if options.time_limit is not None else Termination.OTHER,
        "interrupted": Termination.INTERRUPTED,
        "solver_error": Termination.ERROR,
    }.get(status.removesuffix("_inaccurate"), Termination.OTHER)


class _Cancel:
    """The cancel call of a solver interface, usable before its solver object exists."""

    stopped = False
    target: Callable[[], Any] | None = None

    def cancel(self) -> None:
        self.stopped = True
        if self.target is not None:
            self.target()

    def attach(self, target: Callable[[], Any], early: Callable[[], Any] | None = None) -> None:
        """``target`` stops the solve; ``early`` instead when a stop was asked for before it began."""
        self.target = target
        if self.stopped:
            (early or target)()


class _NoGil:
    """SCIP's model as CVXPY's interface uses it, with ``optimize`` run without holding the GIL
    (so that Python's SIGINT handler runs in the main thread while SCIP solves)."""

    def __init__(self, model: Any):
        self._model = model

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)

    def optimize(self) -> None:
        self._model.optimizeNogil()


def _cancellable(sub: str, quadratic: bool = False) -> Any:
    """A solver object for CVXPY with a ``cancel`` call (HiGHS, SCIP), else None. A QP goes to
    HiGHS through CVXPY's QP path (its conic path takes no quadratic objective)."""
    interfaces = _interfaces()
    key = "highs_qp" if quadratic and sub == "highs" else sub
    return interfaces[key]() if key in interfaces else None


@cache
def _interfaces() -> dict[str, type]:
    """Subclasses of CVXPY's HiGHS and SCIP interfaces that reach their solver object.

    CVXPY takes a solver object only under a name of its own. HiGHS: CVXPY's ``solve_via_data``
    creates and runs its ``highspy.Highs`` out of reach, so the model is passed here (in one call,
    as optmodel's highs backend does) and the results returned in CVXPY's terms; an interrupted
    solve keeps its incumbent. SCIP: ``_solve`` receives the pyscipopt model before solving; SCIP
    solves without the GIL and leaves SIGINT to optmodel (it catches Ctrl-C itself otherwise), and
    an interrupted solve keeps its incumbent (CVXPY would call it a solver error). CVXPY builds
    SCIP's model entry by entry in Python, which nothing stops: a Ctrl-C then (seconds on large
    models) takes effect when SCIP starts.
    """
    import cvxpy.settings as s
    from cvxpy.reductions.solvers.conic_solvers.conic_solver import dims_to_solver_dict
    from cvxpy.reductions.solvers.conic_solvers.highs_conif import HIGHS, unpack_highs_options_inplace
    from cvxpy.reductions.solvers.conic_solvers.scip_conif import SCIP
    from cvxpy.reductions.solvers.qp_solvers.highs_qpif import HIGHS as HIGHS_QP

    from optmodel.canonical import CanonicalForm, Sense

    def run_highs(cancel: _Cancel, form: CanonicalForm, verbose: bool, solver_opts: dict) -> dict[str, Any]:
        import highspy

        from optmodel.backends.highs import pass_model

        h = highspy.Highs()
        unpack_highs_options_inplace(solver_opts)
        for key, value in {"output_flag": verbose, "log_to_console": verbose, **solver_opts}.items():
            if h.setOptionValue(key, value) == highspy.HighsStatus.kError:
                raise ValueError(f"HiGHS rejected the option {key}={value!r}")
        pass_model(h, form)
        h.HandleUserInterrupt = True
        cancel.attach(h.cancelSolve)  # honoured from the solve's start on
        h.solve()
        status = h.getModelStatus().name
        results = {"solution": h.getSolution(), "info": h.getInfo(), "model_status": status,
                   "run_time": h.getRunTime()}  # fmt: skip
        if status == "kInfeasible":
            results["dual_ray"] = h.getDualRay()
        return results

    def bounds(data: dict, n: int) -> tuple[np.ndarray, np.ndarray]:
        lb, ub = data[s.LOWER_BOUNDS], data[s.UPPER_BOUNDS]
        return np.full(n, -np.inf) if lb is None else lb, np.full(n, np.inf) if ub is None else ub

    class OptmodelHighs(_Cancel, HIGHS):  # type: ignore[misc]
        STATUS_MAP = {**HIGHS.STATUS_MAP, "kInterrupt": s.USER_LIMIT}

        def name(self) -> str:
            return "OPTMODEL_HIGHS"

        def solve_via_data(
            self, data: dict, warm_start: bool, verbose: bool, solver_opts: dict, solver_cache: Any = None
        ) -> dict[str, Any]:
            b, n = data[s.B], data[s.C].size
            eq = dims_to_solver_dict(data[s.DIMS])[s.EQ_DIM]
            integer = np.zeros(n, dtype=bool)
            integer[list(data[s.INT_IDX])] = True  # optmodel's problems have no boolean variables
            form = CanonicalForm(
                Sense.MINIMIZE, data[s.C], 0.0, sp.csr_array(data[s.A]), np.r_[b[:eq], np.full(b.size - eq, -np.inf)],
                b, *bounds(data, n), integer,
            )  # fmt: skip
            return run_highs(self, form, verbose, solver_opts)

    class OptmodelHighsQP(_Cancel, HIGHS_QP):  # type: ignore[misc]
        """CVXPY's QP form (``½xᵀPx + qᵀx``, ``Ax = b``, ``Fx <= g``) passed to HiGHS as above."""

        STATUS_MAP = {**HIGHS_QP.STATUS_MAP, "kInterrupt": s.USER_LIMIT}

        def name(self) -> str:
            return "OPTMODEL_HIGHS_QP"

        def solve_via_data(
            self, data: dict, warm_start: bool, verbose: bool, solver_opts: dict, solver_cache: Any = None
        ) -> dict[str, Any]:
            b, g, q = data[s.B], data[s.G], data[s.Q]
            P = sp.csr_array(data[s.P])
            form = CanonicalForm(
                Sense.MINIMIZE, q, 0.0, sp.csr_array(sp.vstack([data[s.A], data[s.F]])),
                np.r_[b, np.full(g.size, -np.inf)], np.r_[b, g], *bounds(data, q.size), np.zeros(q.size, dtype=bool),
                Q=sp.csr_array((P + P.T) / 2),  # symmetric up to CVXPY's rounding; HiGHS checks
            )  # fmt: skip
            return run_highs(self, form, verbose, solver_opts)

    class OptmodelScip(_Cancel, SCIP):  # type: ignore[misc]
        def name(self) -> str:
            return "OPTMODEL_SCIP"

        def _solve(self, model: Any, *args: Any) -> dict[str, Any]:
            model.setBoolParam("misc/catchctrlc", False)
            # SCIP forgets an interrupt asked for before its solve begins: a time limit of 0 then.
            self.attach(model.interruptSolve, early=lambda: model.setParam("limits/time", 0.0))
            solution = super()._solve(_NoGil(model), *args)
            if solution["scip_status"] == "userinterrupt" and "primal" in solution:
                solution["status"] = s.USER_LIMIT
            return solution

    return {"highs": OptmodelHighs, "highs_qp": OptmodelHighsQP, "scip": OptmodelScip}


BACKEND = Cvxpy
