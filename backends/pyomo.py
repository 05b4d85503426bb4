"""Pyomo: the canonical form as a Pyomo ``ConcreteModel``, solved by any solver Pyomo reaches.

Build route (measured on the 500x500 grid shortest-path LP, 250k rows, 998k columns, 2.0M
nonzeros): one indexed ``Var`` with a bounds dictionary, and one indexed ``Constraint`` whose
rule returns a ``LinearExpression`` made from a CSR row. ``pyomo.kernel``'s ``matrix_constraint``
takes the scipy matrix directly but neither APPSI nor the new ``pyomo.contrib.solver`` interfaces
accept kernel models, so it is not used.

Two Pyomo solver APIs are used: APPSI (``appsi_*``) and the newer ``pyomo.contrib.solver``
interfaces (``highs``, ``scip``, ``gurobi``). Both keep the termination condition apart from the
solution, as optmodel does, and give duals through a solution loader.
"""

from __future__ import annotations

import importlib.util
import math
import shutil
import time
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Backend, Capability, SolveOptions, solver_output, start_values
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm
    from optmodel.model import Model

_LP, _MIP, _DUALS, _WARM = Capability.LP, Capability.MIP, Capability.DUALS, Capability.WARM_START


@dataclass(frozen=True)
class _Spec:
    api: str  # "appsi" or "contrib"
    factory: str  # APPSI class name or pyomo.contrib.solver factory name
    needs: str  # "module:NAME" or "exe:NAME", checked without importing Pyomo
    highs: bool = False  # HiGHS underneath: presolve can be switched off to tell infeasible from unbounded


_SPECS: dict[str, _Spec] = {
    "appsi_highs": _Spec("appsi", "Highs", "module:highspy", highs=True),
    "highs": _Spec("contrib", "highs", "module:highspy", highs=True),
    "scip": _Spec("contrib", "scip_direct", "module:pyscipopt"),
    "gurobi": _Spec("contrib", "gurobi_direct", "module:gurobipy"),
    "appsi_cbc": _Spec("appsi", "Cbc", "exe:cbc"),
    "appsi_cplex": _Spec("appsi", "Cplex", "module:cplex"),
}


def _needs_available(needs: str) -> bool:
    kind, _, what = needs.partition(":")
    if kind == "exe":
        return shutil.which(what) is not None
    return importlib.util.find_spec(what) is not None


@cache
def _available(sub: str) -> bool:
    return _needs_available(_SPECS[sub].needs)


class Pyomo(Backend):
    name = "pyomo"
    description = "Pyomo ConcreteModel; sub-solvers through APPSI and pyomo.contrib.solver"
    modules = ("pyomo",)
    distribution = "pyomo"
    subsolvers = {
        "appsi_highs": frozenset({_LP, _MIP, _DUALS, _WARM}),
        "highs": frozenset({_LP, _MIP, _DUALS}),
        "scip": frozenset({_LP, _MIP, _WARM}),  # scip_direct gives no duals
        "gurobi": frozenset({_LP, _MIP, _DUALS, _WARM}),
        "appsi_cbc": frozenset({_LP, _MIP, _DUALS, _WARM}),
        "appsi_cplex": frozenset({_LP, _MIP, _DUALS, _WARM}),
    }

    def available_subsolvers(self) -> list[str]:
        """Sub-solvers whose library or executable is present (no Pyomo import)."""
        return [s for s in self.subsolvers if _available(s)]

    def why_not(self, model: Model) -> str | None:
        reason = super().why_not(model)
        if reason is None and not _available(self.subsolver):
            kind, _, what = _SPECS[self.subsolver].needs.partition(":")
            missing = f"the {what} executable is not on PATH" if kind == "exe" else f"{what} is not installed"
            return f"{self.label} is unavailable: {missing}"
        return reason

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        form = model.canonical()
        spec = _SPECS[self.subsolver]
        if not _available(self.subsolver):
            from optmodel.errors import BackendUnavailable

            raise BackendUnavailable(self.why_not(model) or f"{self.label} is unavailable")
        with solver_output(options.verbose):
            start = time.perf_counter()
            built = build_pyomo(form)
            if built.infeasible_row is not None:
                return self._trivially_infeasible(form, built.infeasible_row, time.perf_counter() - start)
            if options.warm_start is not None and _WARM in self.capabilities:
                _set_start(built, start_values(model, options.warm_start))
            build = time.perf_counter() - start
            start = time.perf_counter()
            run = _run(spec, built, form, options, presolve=True)
            if run.term is Termination.INFEASIBLE_OR_UNBOUNDED and spec.highs and not form.is_mip:
                # HiGHS's presolve cannot tell which; the simplex method without it can.
                run = _run(spec, built, form, options, presolve=False)
            elapsed = time.perf_counter() - start
            sol = _solution(run, built, form)
        sol.build_seconds, sol.solve_seconds = build, elapsed
        sol.backend = self.label
        return sol

    def _trivially_infeasible(self, form: CanonicalForm, row: int, seconds: float) -> Solution:
        sol = Solution(Status.INFEASIBLE, Termination.INFEASIBLE, SolutionStatus.NO_SOLUTION)
        sol.message = f"row {form.row_names[row]} has no variables and its bounds exclude 0."
        sol.build_seconds, sol.backend = seconds, self.label
        return sol


@dataclass
class _Built:
    model: Any  # the pyomo ConcreteModel
    xs: list[Any]  # VarData per canonical column
    rows: np.ndarray  # canonical row index of each Pyomo constraint
    cons: list[Any]  # ConstraintData per kept row
    infeasible_row: int | None = None


def build_pyomo(form: CanonicalForm) -> _Built:
    """A ``ConcreteModel`` with variables ``x[j]``, constraints ``c[i]`` and objective ``obj``."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    n = form.num_cols
    pm = pyo.ConcreteModel(name=form.name)
    lo = np.where(np.isfinite(form.col_lower), form.col_lower, None).tolist()
    hi = np.where(np.isfinite(form.col_upper), form.col_upper, None).tolist()
    pm.x = pyo.Var(range(n), dense=True, bounds=dict(zip(range(n), zip(lo, hi))))
    xs = list(pm.x.values())
    for j in np.flatnonzero(form.integrality).tolist():
        xs[j].domain = pyo.Integers

    A = form.A
    counts = np.diff(A.indptr)
    rl, ru = form.row_lower, form.row_upper
    bounded = np.isfinite(rl) | np.isfinite(ru)
    # Rows without variables are checked here: Pyomo rejects constant constraints.
    empty_bad = np.flatnonzero((counts == 0) & ((rl > 0) | (ru < 0)))
    if empty_bad.size:
        return _Built(pm, xs, np.zeros(0, dtype=np.int64), [], infeasible_row=int(empty_bad[0]))
    rows = np.flatnonzero(bounded & (counts > 0))
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lower = np.where(np.isfinite(rl), rl, np.nan).tolist()
    upper = np.where(np.isfinite(ru), ru, np.nan).tolist()

    def rule(_: Any, i: int) -> Any:
        s, e = indptr[i], indptr[i + 1]
        body = LinearExpression(constant=0.0, linear_coefs=data[s:e], linear_vars=[xs[j] for j in indices[s:e]])
        lo_i, hi_i = lower[i], upper[i]
        if lo_i == hi_i:
            return body == lo_i
        if math.isnan(lo_i):
            return body <= hi_i
        if math.isnan(hi_i):
            return body >= lo_i
        return (lo_i, body, hi_i)

    pm.c = pyo.Constraint(rows.tolist(), rule=rule)
    cons = list(pm.c.values())
    nz = np.flatnonzero(form.c)
    objective = LinearExpression(
        constant=float(form.offset), linear_coefs=form.c[nz].tolist(), linear_vars=[xs[j] for j in nz.tolist()]
    )
    pm.obj = pyo.Objective(expr=objective, sense=pyo.minimize if form.sense.sign > 0 else pyo.maximize)
    return _Built(pm, xs, rows, cons)


def _set_start(built: _Built, values: np.ndarray) -> None:
    for v, value in zip(built.xs, values.tolist()):
        v.set_value(None if math.isnan(value) else value, skip_validation=True)


@dataclass
class _Run:
    term: Termination
    has_point: bool
    objective: float | None
    bound: float | None
    loader: Any
    message: str


_TERMINATION = {
    # APPSI names
    "optimal": Termination.OPTIMAL,
    "infeasible": Termination.INFEASIBLE,
    "maxIterations": Termination.ITERATION_LIMIT,
    # pyomo.contrib.solver names
    "convergenceCriteriaSatisfied": Termination.OPTIMAL,
    "provenInfeasible": Termination.INFEASIBLE,
    "locallyInfeasible": Termination.INFEASIBLE,
    "iterationLimit": Termination.ITERATION_LIMIT,
    "emptyModel": Termination.OPTIMAL,
    # both
    "unbounded": Termination.UNBOUNDED,
    "infeasibleOrUnbounded": Termination.INFEASIBLE_OR_UNBOUNDED,
    "maxTimeLimit": Termination.TIME_LIMIT,
    "interrupted": Termination.INTERRUPTED,
    "objectiveLimit": Termination.OTHER,
    "minStepLength": Termination.NUMERICAL_ERROR,
    "error": Termination.ERROR,
    "licensingProblems": Termination.ERROR,
    "unknown": Termination.OTHER,
}


def _run(spec: _Spec, built: _Built, form: CanonicalForm, options: SolveOptions, presolve: bool) -> _Run:
    raw = dict(options.solver_options)
    if spec.highs:
        if options.threads is not None:
            raw.setdefault("threads", int(options.threads))
        if not presolve:
            raw.update(presolve="off", solver="simplex")
    warm = options.warm_start is not None
    if spec.api == "appsi":
        import pyomo.contrib.appsi.solvers as appsi

        solver = getattr(appsi, spec.factory)()
        cfg = solver.config
        cfg.stream_solver = bool(options.verbose)
        cfg.load_solution = False
        cfg.time_limit = options.time_limit
        cfg.warmstart = warm
        if options.mip_gap is not None:
            cfg.mip_gap = float(options.mip_gap)
        if raw:
            # Each APPSI class has its own options attribute: highs_options, cbc_options, ...
            setattr(solver, f"{spec.factory.lower()}_options", raw)
        results = solver.solve(built.model)
        feasible = results.best_feasible_objective
        return _Run(
            _TERMINATION.get(results.termination_condition.name, Termination.OTHER),
            feasible is not None and math.isfinite(feasible),
            feasible,
            results.best_objective_bound,
            results.solution_loader,
            results.termination_condition.name,
        )
    import pyomo.environ  # noqa: F401  (registers the solver plugins)
    from pyomo.contrib.solver.common.factory import SolverFactory

    solver = SolverFactory(spec.factory)
    kwargs: dict[str, Any] = {
        "tee": bool(options.verbose),
        "load_solutions": False,
        "raise_exception_on_nonoptimal_result": False,
        "time_limit": options.time_limit,
        "threads": options.threads,
        "solver_options": raw,
    }
    if options.mip_gap is not None:
        kwargs["rel_gap"] = float(options.mip_gap)
    if warm and "warmstart_discrete_vars" in solver.config:
        kwargs["warmstart_discrete_vars"] = True
    results = solver.solve(built.model, **kwargs)
    status = results.solution_status.name
    return _Run(
        _TERMINATION.get(results.termination_condition.name, Termination.OTHER),
        status in ("feasible", "optimal"),
        results.incumbent_objective,
        results.objective_bound,
        results.solution_loader,
        results.termination_condition.name,
    )


def _solution(run: _Run, built: _Built, form: CanonicalForm) -> Solution:
    sol = Solution(
        status=Status.ERROR,
        termination=run.term,
        solution_status=SolutionStatus.FEASIBLE if run.has_point else SolutionStatus.NO_SOLUTION,
    )
    if run.term in (Termination.ERROR, Termination.OTHER, Termination.NUMERICAL_ERROR):
        sol.message = f"Pyomo reported termination condition {run.message!r}"
    if not run.has_point:
        return sol
    loader = run.loader
    values = loader.get_primals() if hasattr(loader, "get_primals") else loader.get_vars()
    x = np.array([values.get(v, math.nan) for v in built.xs], dtype=float)
    # Columns that no row or objective uses may be left out by the solver: any value in bounds.
    unused = np.isnan(x)
    x[unused] = np.clip(0.0, form.col_lower[unused], form.col_upper[unused])
    sol.x = x
    sol.objective = float(run.objective) if run.objective is not None else form.objective_value(x)
    if run.term is Termination.OPTIMAL:
        sol.solution_status = SolutionStatus.OPTIMAL
    if form.is_mip:
        if run.bound is not None and math.isfinite(run.bound):
            sol.bound = float(run.bound)
            sol.gap = abs(sol.objective - sol.bound) / max(abs(sol.objective), 1e-10)
    elif run.term is Termination.OPTIMAL:
        _duals(run, built, form, sol)
    return sol


def _duals(run: _Run, built: _Built, form: CanonicalForm, sol: Solution) -> None:
    """Row duals and reduced costs in HiGHS's convention (c = Aᵀy + z, y = d obj / d bound).

    Pyomo's APPSI and contrib HiGHS interfaces pass HiGHS's own numbers through, which are in
    this convention for both senses (checked: equal to the highs backend's on Netlib LPs with unique
    duals, minimised and maximised, and optmodel's duality-gap check). Gurobi's and CPLEX's duals
    have the same meaning; CBC's through APPSI could not be checked here (no cbc executable).
    """
    try:
        duals = run.loader.get_duals()
        rcs = run.loader.get_reduced_costs()
    except Exception:  # e.g. a solver that gives no duals for this model
        return
    y = np.zeros(form.num_rows)
    y[built.rows] = [duals.get(c, 0.0) for c in built.cons]
    z = np.array([rcs.get(v, math.nan) for v in built.xs], dtype=float)
    missing = np.isnan(z)
    if missing.any():
        z[missing] = (form.c - form.A.T @ y)[missing]
    sol.row_duals, sol.reduced_costs = y, z
    sol.bound = sol.objective


BACKEND = Pyomo
