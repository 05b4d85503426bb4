"""CVXPY: the canonical form as ``A @ x`` with scipy sparse matrices, and convex ``log`` objectives.

Rows are given once each, except ranged rows: equal rows as one ``A_eq @ x == b`` block, rows with
a finite upper bound as ``A_up @ x <= u``, rows with a finite lower bound as ``A_lo @ x >= l`` (so
only ranged rows appear twice). Integer columns live in a separate ``cp.Variable(integer=True)``
block; ``A`` is split by columns accordingly. Column bounds are vector constraints, whose duals
give the reduced costs.

The problem is always posed as ``minimize(sign * objective)``; duals are converted to HiGHS's
convention (``c = Aᵀy + z``, ``y = d objective / d active row bound``) from that.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Backend, Capability, SolveOptions, solver_output
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm
    from optmodel.model import Model

_LP, _MIP, _DUALS, _CONVEX = Capability.LP, Capability.MIP, Capability.DUALS, Capability.CONVEX

# sub-solver -> (cvxpy solver name, Python module cvxpy imports for it)
_SOLVERS: dict[str, tuple[str, str]] = {
    "highs": ("HIGHS", "highspy"),
    "clarabel": ("CLARABEL", "clarabel"),
    "scs": ("SCS", "scs"),
    "scip": ("SCIP", "pyscipopt"),
    "scipy": ("SCIPY", "scipy"),
    "glop": ("GLOP", "ortools"),
    "pdlp": ("PDLP", "ortools"),
    "ecos": ("ECOS", "ecos"),
    "glpk": ("GLPK", "cvxopt"),
    "glpk_mi": ("GLPK_MI", "cvxopt"),
    "cbc": ("CBC", "cylp"),
    "gurobi": ("GUROBI", "gurobipy"),
    "mosek": ("MOSEK", "mosek"),
}


def _time_limit_options(sub: str, seconds: float) -> dict[str, Any]:
    """The solver-specific keyword for a time limit (ECOS and GLPK have none through CVXPY)."""
    return {
        "highs": {"time_limit": seconds},
        "clarabel": {"time_limit": seconds},
        "scs": {"time_limit_secs": seconds},
        "scip": {"scip_params": {"limits/time": seconds}},
        "scipy": {"scipy_options": {"time_limit": seconds}},
        "glop": {"time_limit_sec": seconds},
        "pdlp": {"time_limit_sec": seconds},
        "cbc": {"maximumSeconds": max(1, round(seconds))},
        "gurobi": {"TimeLimit": seconds},
        "mosek": {"mosek_params": {"MSK_DPAR_OPTIMIZER_MAX_TIME": seconds}},
    }.get(sub, {})


def _gap_options(sub: str, gap: float) -> dict[str, Any]:
    return {
        "highs": {"mip_rel_gap": gap},
        "scip": {"scip_params": {"limits/gap": gap}},
        "scipy": {"scipy_options": {"mip_rel_gap": gap}},
        "gurobi": {"MIPGap": gap},
        "cbc": {"allowableFractionGap": gap},
    }.get(sub, {})


# Tighter than the solvers' defaults so that answers pass optmodel's 1e-6 check.
_ACCURACY: dict[str, dict[str, Any]] = {
    "scs": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000},
    "clarabel": {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10},
}


def _pdlp_accuracy() -> Any:
    """PDLP's default stopping tolerance (1e-4) fails optmodel's check; ask for 1e-10."""
    from ortools.pdlp import solvers_pb2

    params = solvers_pb2.PrimalDualHybridGradientParams()
    criteria = params.termination_criteria.simple_optimality_criteria
    criteria.eps_optimal_absolute = 1e-10
    criteria.eps_optimal_relative = 1e-10
    return params


@cache
def _importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


@cache
def installed_solvers() -> frozenset[str]:
    """CVXPY's own list (imports CVXPY, about a second): used only when a solve needs it."""
    import cvxpy as cp

    return frozenset(cp.installed_solvers())


class Cvxpy(Backend):
    name = "cvxpy"
    description = "CVXPY modelling layer: LP/MIP and convex (log) objectives, many solvers"
    modules = ("cvxpy",)
    distribution = "cvxpy"
    subsolvers = {
        "highs": frozenset({_LP, _MIP, _DUALS}),
        "clarabel": frozenset({_LP, _CONVEX, _DUALS}),
        "scs": frozenset({_LP, _CONVEX, _DUALS}),
        "scip": frozenset({_LP, _MIP}),
        "scipy": frozenset({_LP, _MIP, _DUALS}),
        "glop": frozenset({_LP, _DUALS}),
        "pdlp": frozenset({_LP, _DUALS}),
        "ecos": frozenset({_LP, _CONVEX, _DUALS}),
        "glpk": frozenset({_LP, _DUALS}),
        "glpk_mi": frozenset({_LP, _MIP}),
        "cbc": frozenset({_LP, _MIP}),
        "gurobi": frozenset({_LP, _MIP, _DUALS}),
        "mosek": frozenset({_LP, _MIP, _CONVEX, _DUALS}),
    }

    def available_subsolvers(self) -> list[str]:
        """Sub-solvers whose Python package is importable; checked without importing CVXPY.

        ``solve`` then confirms with ``cvxpy.installed_solvers()``.
        """
        return [s for s in self.subsolvers if _importable(_SOLVERS[s][1])]

    def why_not(self, model: Model) -> str | None:
        reason = super().why_not(model)
        if reason is None and not _importable(_SOLVERS[self.subsolver][1]):
            return f"{self.label} is unavailable: {_SOLVERS[self.subsolver][1]} is not installed"
        return reason

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        solver_name = _SOLVERS[self.subsolver][0]
        if solver_name not in installed_solvers():
            from optmodel.errors import BackendUnavailable

            raise BackendUnavailable(
                f"{self.label} is unavailable: CVXPY does not list {solver_name} among its installed "
                f"solvers ({', '.join(sorted(installed_solvers()))})"
            )
        log_objective = None
        if model.is_linear:
            form = model.canonical()
        else:
            from optmodel.atoms import check_objective, constraint_form

            log_objective = check_objective(model)
            form = constraint_form(model)
        with solver_output(options.verbose):
            start = time.perf_counter()
            built = _Translation(form, log_objective)
            kwargs = self._solver_kwargs(options)
            build = time.perf_counter() - start
            start = time.perf_counter()
            status, error = built.run(solver_name, options.verbose, kwargs)
            exact = self._without_presolve(status, form, kwargs)
            if exact is not None:
                status, error = built.run(solver_name, options.verbose, exact)
            elapsed = time.perf_counter() - start
        sol = built.solution(status, error, options, _DUALS in self.capabilities, elapsed)
        if log_objective is not None:
            _verify_convex(model, form, log_objective, sol)
        sol.build_seconds, sol.solve_seconds = build, elapsed
        sol.backend = self.label
        return sol

    def _without_presolve(self, status: str, form: CanonicalForm, kwargs: dict[str, Any]) -> dict[str, Any] | None:
        """Options for a second solve when a presolve left infeasible vs unbounded open, else None.

        HiGHS says "infeasible or unbounded"; GLOP (through OR-Tools' MPSolver) says "infeasible"
        for unbounded LPs too. Without presolve both tell which.
        """
        if form.is_mip:
            return None
        if self.subsolver == "highs" and status == "infeasible_or_unbounded":
            # Through highs_options: a plain ``solver=`` keyword would be CVXPY's own argument.
            exact = {**kwargs.get("highs_options", {}), "presolve": "off", "solver": "simplex"}
            return {**kwargs, "highs_options": exact}
        if self.subsolver == "glop" and status == "infeasible" and "parameters_proto" not in kwargs:
            from ortools.glop import parameters_pb2

            return {**kwargs, "parameters_proto": parameters_pb2.GlopParameters(use_preprocessing=False)}
        return None

    def _solver_kwargs(self, options: SolveOptions) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        parts = [_ACCURACY.get(self.subsolver, {})]
        if self.subsolver == "pdlp":
            parts.append({"parameters_proto": _pdlp_accuracy()})
        if options.time_limit is not None:
            parts.append(_time_limit_options(self.subsolver, float(options.time_limit)))
        if options.mip_gap is not None:
            parts.append(_gap_options(self.subsolver, float(options.mip_gap)))
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

    def __init__(self, form: CanonicalForm, log_objective: Any = None):
        import cvxpy as cp

        self.form = form
        self.log_objective = log_objective
        n = form.num_cols
        self.sign = form.sense.sign
        integer = form.integrality.astype(bool)
        self.cont, self.ints = np.flatnonzero(~integer), np.flatnonzero(integer)
        self.xc = cp.Variable(self.cont.size, name="x") if self.cont.size else None
        self.xi = cp.Variable(self.ints.size, integer=True, name="xi") if self.ints.size else None
        A = form.csc
        self._Ac, self._Ai = sp.csr_matrix(A[:, self.cont]), sp.csr_matrix(A[:, self.ints])

        lo, hi = form.row_lower, form.row_upper
        # Rows without variables are left out (CVXPY's SCIP interface miscounts their duals);
        # one whose bounds exclude 0 makes the model infeasible.
        used = np.diff(form.A.indptr) > 0
        bad = np.flatnonzero(~used & ((lo > 0) | (hi < 0)))
        self.infeasible_row = int(bad[0]) if bad.size else None
        self.eq = np.flatnonzero(used & (lo == hi))
        self.up = np.flatnonzero(used & np.isfinite(hi) & (lo != hi))
        self.low = np.flatnonzero(used & np.isfinite(lo) & (lo != hi))
        self.rows: list[tuple[str, np.ndarray, Any]] = []
        cons = []
        for kind, idx in (("eq", self.eq), ("up", self.up), ("low", self.low)):
            if idx.size == 0:
                continue
            body = self._rows_times_x(idx)
            con = body == lo[idx] if kind == "eq" else (body <= hi[idx] if kind == "up" else body >= lo[idx])
            self.rows.append((kind, idx, con))
            cons.append(con)
        # Column bounds: kind, columns (canonical), constraint.
        self.bounds: list[tuple[str, np.ndarray, Any]] = []
        for block, var in ((self.cont, self.xc), (self.ints, self.xi)):
            if var is None:
                continue
            for kind, bound in (("low", form.col_lower[block]), ("up", form.col_upper[block])):
                pos = np.flatnonzero(np.isfinite(bound))
                if pos.size == 0:
                    continue
                part = var[pos] if pos.size < block.size else var
                con = part >= bound[pos] if kind == "low" else part <= bound[pos]
                self.bounds.append((kind, block[pos], con))
                cons.append(con)

        if log_objective is None:
            objective = self._times_x(sp.csr_matrix(form.c.reshape(1, n))) + form.offset
        else:
            objective = self._log_objective(log_objective, n)
        self.problem = cp.Problem(cp.Minimize(self.sign * objective), cons)

    def _times_x(self, M: sp.csr_matrix) -> Any:
        """``M @ x`` for a matrix over canonical columns, split into the two variable blocks."""
        M = sp.csc_matrix(M)
        parts = []
        if self.xc is not None:
            parts.append(sp.csr_matrix(M[:, self.cont]) @ self.xc)
        if self.xi is not None:
            parts.append(sp.csr_matrix(M[:, self.ints]) @ self.xi)
        if not parts:
            return np.zeros(M.shape[0])
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]

    def _rows_times_x(self, idx: np.ndarray) -> Any:
        parts = []
        if self.xc is not None:
            parts.append(self._Ac[idx] @ self.xc)
        if self.xi is not None:
            parts.append(self._Ai[idx] @ self.xi)
        return parts[0] if len(parts) == 1 else parts[0] + parts[1]

    def _log_objective(self, expr: Any, n: int) -> Any:
        import cvxpy as cp

        from optmodel.expr import _with_cols

        keep = np.flatnonzero(expr.weight != 0)
        affine = self._times_x(sp.csr_matrix(_with_cols(expr.affine.coef, n))) + float(expr.affine.const[0])
        if keep.size == 0:
            return cp.sum(affine)
        arg = sp.csr_matrix(_with_cols(expr.arg.coef, n))[keep]
        logs = cp.log(self._times_x(arg) + expr.arg.const[keep])
        return expr.weight[keep] @ logs + cp.sum(affine)

    def run(self, solver_name: str, verbose: bool, kwargs: dict[str, Any]) -> tuple[str, str]:
        import cvxpy as cp

        if self.infeasible_row is not None:
            return "infeasible", ""
        try:
            with warnings.catch_warnings():
                # CVXPY warns about statuses (inaccurate, infeasible or unbounded) that the
                # Solution already reports.
                warnings.simplefilter("ignore", UserWarning)
                self.problem.solve(solver=solver_name, verbose=verbose, **kwargs)
        except cp.error.SolverError as exc:
            return "solver_error", str(exc)
        except (ValueError, ArithmeticError, KeyError) as exc:  # a failure inside CVXPY's solver interface
            return "solver_error", f"{type(exc).__name__}: {exc}"
        return str(self.problem.status), ""

    def x(self) -> np.ndarray | None:
        x = np.zeros(self.form.num_cols)
        for block, var in ((self.cont, self.xc), (self.ints, self.xi)):
            if var is not None:
                if var.value is None:
                    return None
                x[block] = np.asarray(var.value, dtype=float).ravel()
        return x

    def solution(self, status: str, error: str, options: SolveOptions, duals: bool, elapsed: float) -> Solution:
        term, inaccurate = _termination(status, options)
        native, primal_bound, dual_bound = self._native()
        limited = options.time_limit is not None and elapsed >= 0.95 * options.time_limit
        if native == "timelimit" or (term is Termination.ERROR and limited):
            # CVXPY reports SCIP's time limit as optimal_inaccurate (or as a solver error when
            # there is no incumbent); it is a time limit.
            term, inaccurate = Termination.TIME_LIMIT, False
        sol = Solution(Status.ERROR, term, SolutionStatus.NO_SOLUTION)
        if error:
            sol.message = f"CVXPY: {error}"
        elif inaccurate:
            sol.message = f"CVXPY reported {status!r}"
        x = self.x() if status in ("optimal", "optimal_inaccurate", "user_limit") else None
        if x is None or not np.all(np.isfinite(x)):
            return sol
        sol.x = x
        sol.solution_status = SolutionStatus.OPTIMAL if status == "optimal" else SolutionStatus.FEASIBLE
        value = self.problem.value
        if value is not None and np.isfinite(value):
            sol.objective = float(self.sign * value)
        else:  # e.g. SCIP stopped by its time limit: CVXPY gives no value
            obj = self.form.objective_value(x) if self.log_objective is None else self.log_objective.value(x)
            sol.objective = float(obj) if np.isfinite(obj) else None
        if self.form.is_mip and primal_bound is not None and dual_bound is not None and sol.objective is not None:
            # The solver's numbers omit the constant CVXPY moved out of its objective.
            shift = self.sign * sol.objective - primal_bound
            if np.isfinite(dual_bound) and np.isfinite(shift):
                sol.bound = float(self.sign * (dual_bound + shift))
                sol.gap = abs(sol.objective - sol.bound) / max(abs(sol.objective), 1e-10)
        if duals and not self.form.is_mip and status in ("optimal", "optimal_inaccurate"):
            self._duals(sol)
        stats = self.problem.solver_stats
        if stats is not None and stats.num_iters is not None:
            sol.stats["iterations"] = int(stats.num_iters)
        return sol

    def _native(self) -> tuple[str | None, float | None, float | None]:
        """The solver's own status and (primal, dual) objective bounds where CVXPY exposes them."""
        stats = self.problem.solver_stats
        extra = getattr(stats, "extra_stats", None)
        try:
            if isinstance(extra, dict) and "scip_status" in extra:
                scip = extra["model"]
                return str(extra["scip_status"]), float(scip.getPrimalbound()), float(scip.getDualbound())
            if hasattr(extra, "mip_dual_bound"):  # HiGHS's info
                return None, float(extra.objective_function_value), float(extra.mip_dual_bound)
        except Exception:  # a solver object that no longer answers: no bound, nothing else lost
            pass
        return None, None, None

    def _duals(self, sol: Solution) -> None:
        """Duals of ``minimize sign * objective`` converted to d objective / d bound."""
        form = self.form
        y = np.zeros(form.num_rows)
        for kind, idx, con in self.rows:
            d = con.dual_value
            if d is None:
                return
            d = np.asarray(d, dtype=float).ravel()
            # CVXPY's multipliers: d(min)/d(rhs) is -d for <= and ==, +d for >=.
            y[idx] += d if kind == "low" else -d
        z = np.zeros(form.num_cols)
        for kind, cols, con in self.bounds:
            d = con.dual_value
            if d is None:
                return
            d = np.asarray(d, dtype=float).ravel()
            z[cols] += d if kind == "low" else -d
        sol.row_duals, sol.reduced_costs = self.sign * y, self.sign * z
        sol.bound = sol.objective if sol.termination is Termination.OPTIMAL else None


def _termination(status: str, options: SolveOptions) -> tuple[Termination, bool]:
    """CVXPY's status -> (termination, inaccurate); inaccurate answers are left to the check."""
    base = status.removesuffix("_inaccurate")
    term = {
        "optimal": Termination.OPTIMAL,
        "infeasible": Termination.INFEASIBLE,
        "unbounded": Termination.UNBOUNDED,
        "infeasible_or_unbounded": Termination.INFEASIBLE_OR_UNBOUNDED,
        "user_limit": Termination.TIME_LIMIT if options.time_limit is not None else Termination.OTHER,
        "solver_error": Termination.ERROR,
    }.get(base, Termination.OTHER)
    return term, status.endswith("_inaccurate")


def _verify_convex(model: Model, form: CanonicalForm, objective: Any, sol: Solution) -> None:
    """optmodel's check for a log objective: the linear constraints, and the objective recomputed."""
    import dataclasses

    from optmodel.verify import verify

    if sol.x is None:
        return
    recomputed = float(objective.value(sol.x))
    if not np.isfinite(recomputed):
        sol.verification = verify(dataclasses.replace(form, offset=0.0), dataclasses.replace(sol, objective=None))
        sol.verification.problems.append("the point is outside the log's domain (an argument is <= 0)")
        return
    checked = dataclasses.replace(form, offset=recomputed)
    # Duals are not checked here: optmodel's duality test is for linear objectives.
    sol.verification = verify(checked, dataclasses.replace(sol, row_duals=None, reduced_costs=None))
    sol.verification.objective_recomputed = recomputed


BACKEND = Cvxpy
