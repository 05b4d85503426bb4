"""Pyomo: the canonical form as a Pyomo ``ConcreteModel``, solved by any solver Pyomo reaches.

Build route (measured on the 500x500 grid shortest-path LP, 250k rows, 998k columns, 2.0M
nonzeros): one indexed ``Var`` with a bounds dictionary, and one indexed ``Constraint`` whose
rule returns a ``LinearExpression`` made from a CSR row. ``pyomo.kernel``'s ``matrix_constraint``
takes the scipy matrix directly but neither APPSI nor the new ``pyomo.contrib.solver`` interfaces
accept kernel models, so it is not used.

A quadratic objective ``½ xᵀQx`` is one product node per entry of Q's upper triangle (Pyomo has
no quadratic-form expression); contrib HiGHS and SCIP take it, APPSI's HiGHS does not.

Two Pyomo solver APIs are used: APPSI (``appsi_*``) and the newer ``pyomo.contrib.solver``
interfaces (``highs``, ``scip``, ``gurobi``). Both keep the termination condition apart from the
solution, as optmodel does, and give duals through a solution loader.

The persistent interfaces (APPSI's, and contrib ``highs``) take the model once, in ``load``; rows
found by row generation and integrality changes are passed to them as changes
(``add_constraints``, ``update_variables``), with Pyomo's own scan for changes switched off.

Ctrl-C: where HiGHS is underneath (``appsi_highs``, ``highs``) its ``cancelSolve`` stops the run
and the incumbent comes back. ``scip`` (scip_direct) runs SCIP holding the GIL, so optmodel's
handler cannot run before it returns; SCIP's own Ctrl-C handler stops it and Pyomo reports
"interrupted" with the incumbent. The others give optmodel no cancel call: their run is abandoned
after the grace period, and their incumbent is lost.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import logging
import math
import shutil
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import SCIP_MAX_THREADS, Adapter, Capability, RawResult, SolveOptions
from optmodel.interrupt import run_in_worker
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows
    from optmodel.model import Model
    from optmodel.resolve import FormChange

_LP, _MIP, _DUALS, _WARM = Capability.LP, Capability.MIP, Capability.DUALS, Capability.WARM_START
_INC, _QP = Capability.INCREMENTAL, Capability.QUADRATIC


@dataclass(frozen=True)
class _Spec:
    api: str  # "appsi" or "contrib"
    factory: str  # APPSI class name or pyomo.contrib.solver factory name
    needs: str  # "module:NAME" or "exe:NAME", checked without importing Pyomo
    persistent: bool = False  # takes the model once and then changes to it


_SPECS: dict[str, _Spec] = {
    "appsi_highs": _Spec("appsi", "Highs", "module:highspy", persistent=True),
    "highs": _Spec("contrib", "highs", "module:highspy", persistent=True),
    "scip": _Spec("contrib", "scip_direct", "module:pyscipopt"),
    "gurobi": _Spec("contrib", "gurobi_direct", "module:gurobipy"),
    "appsi_cbc": _Spec("appsi", "Cbc", "exe:cbc", persistent=True),
    "appsi_cplex": _Spec("appsi", "Cplex", "module:cplex", persistent=True),
}


@cache
def _available(sub: str) -> bool:
    kind, _, what = _SPECS[sub].needs.partition(":")
    return (shutil.which(what) if kind == "exe" else importlib.util.find_spec(what)) is not None


class Pyomo(Adapter):
    name = "pyomo"
    description = "Pyomo ConcreteModel; sub-solvers through APPSI and pyomo.contrib.solver"
    modules = ("pyomo",)
    distribution = "pyomo"
    # Quadratic objectives (checked on Maros-Meszaros QPs): contrib HiGHS (convex QP; HiGHS has no
    # MIQP) and SCIP (globally, with integers too). APPSI's HiGHS interface takes linear objectives only.
    # INCREMENTAL: the persistent interfaces (APPSI's CBC and CPLEX through their persistent LP
    # writer; checked with CBC 2.10.8 and CPLEX 22.2 Community Edition on lazy MST models).
    subsolvers = {
        "appsi_highs": frozenset({_LP, _MIP, _DUALS, _WARM, _INC, Capability.RESOLVE}),
        "highs": frozenset({_LP, _MIP, _DUALS, _INC, Capability.RESOLVE, _QP}),
        "scip": frozenset({_LP, _MIP, _WARM, _QP, Capability.MIQP, Capability.NONCONVEX}),  # scip_direct: no duals
        "gurobi": frozenset({_LP, _MIP, _DUALS, _WARM}),
        "appsi_cbc": frozenset({_LP, _MIP, _DUALS, _WARM, _INC}),
        "appsi_cplex": frozenset({_LP, _MIP, _DUALS, _WARM, _INC}),
    }
    max_threads = {"scip": SCIP_MAX_THREADS}

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

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        self.form = form
        self.spec = _SPECS[self.subsolver]
        self.built = build_pyomo(form)
        if options.warm_start is not None and _WARM in self.capabilities:
            _set_start(self.built, options.warm_start)
        self.solver = _make_solver(self.spec)
        self.highs = None  # the highspy object underneath, where there is one
        for api in ("appsi", "solver"):
            logging.getLogger(f"pyomo.contrib.{api}.solvers.highs").addFilter(_not_interrupt_warning)
        if self.spec.persistent:
            self.solver.set_instance(self.built.model)
            _no_auto_updates(self.solver, self.spec)
            self.highs = getattr(self.solver, "_solver_model", None) if "highs" in self.subsolver else None

    def run(self, options: SolveOptions) -> RawResult:
        cancel = None
        if self.highs is not None:
            self.highs.HandleUserInterrupt = True  # cancelSolve() works through HiGHS's interrupt callbacks
            cancel = self.highs.cancelSolve
        if self.subsolver == "scip":
            options = dataclasses.replace(
                options, solver_options={**_scip_defaults(self.form, options.verbose), **options.solver_options}
            )
        results, _ = run_in_worker(lambda: _solve(self.solver, self.spec, self.built, options), cancel)
        if results is None:  # abandoned after Ctrl-C: this sub-solver has no cancel call
            return RawResult(Termination.INTERRUPTED, message=f"{self.label} was abandoned; its incumbent is lost")
        return self._result(results)

    def add_rows(self, rows: Rows) -> None:
        import pyomo.environ as pyo

        pm, built = self.built.model, self.built
        if not hasattr(pm, "cuts"):
            pm.cuts = pyo.ConstraintList()
        A = rows.A.tocsr()
        first = built.num_rows
        new = []
        for k in range(rows.count):
            s, e = A.indptr[k], A.indptr[k + 1]
            if s == e:  # Pyomo takes no constant rows; the core verifies the point against it anyway
                continue
            body = _linear(A.data[s:e].tolist(), [built.xs[j] for j in A.indices[s:e].tolist()])
            new.append(pm.cuts.add(_relation(body, float(rows.lower[k]), float(rows.upper[k]))))
            built.rows.append(first + k)
        built.cons += new
        built.num_rows += rows.count
        self.solver.add_constraints(new)

    def set_integrality(self, integer: np.ndarray) -> None:
        import pyomo.environ as pyo

        changed = np.flatnonzero(integer != self.form.integrality).tolist()
        xs = self.built.xs
        for j in changed:
            xs[j].domain = pyo.Integers if integer[j] else pyo.Reals
        self.solver.update_variables([xs[j] for j in changed])
        self.form = dataclasses.replace(self.form, integrality=integer.astype(bool))

    def update(self, change: FormChange) -> str | None:
        """The change made to the Pyomo model and passed to the persistent solver as changes
        (``update_variables``, ``set_objective``, a changed row removed and added again,
        ``add_constraints``): the solver object, and HiGHS's basis underneath, are kept."""
        import pyomo.environ as pyo

        if not self.spec.persistent:
            return f"{self.label} is not a persistent solver"
        form = change.form
        if change.objective_changed and form.Q is not None:
            return "a quadratic objective is rebuilt for Pyomo"
        built, solver = self.built, self.solver
        cols = change.bound_cols.tolist()
        for j, lo, hi in zip(cols, change.col_lower.tolist(), change.col_upper.tolist()):
            built.xs[j].setlb(lo if math.isfinite(lo) else None)
            built.xs[j].setub(hi if math.isfinite(hi) else None)
        if cols:
            solver.update_variables([built.xs[j] for j in cols])
        if change.objective_changed:
            pm, nz = built.model, np.flatnonzero(form.c)
            pm.del_component(pm.obj)
            objective = _linear(form.c[nz].tolist(), [built.xs[j] for j in nz.tolist()], float(form.offset))
            pm.obj = pyo.Objective(expr=objective, sense=pyo.minimize if form.sense.sign > 0 else pyo.maximize)
            solver.set_objective(pm.obj)
        if change.bound_rows.size:
            # Rows without variables are not in the Pyomo model (the core verifies them).
            loaded = np.asarray(built.rows)
            pos = np.searchsorted(loaded, change.bound_rows)
            held = pos < loaded.size
            held[held] = loaded[pos[held]] == change.bound_rows[held]
            cons = [built.cons[k] for k in pos[held].tolist()]
            for con, lo, hi in zip(cons, change.row_lower[held].tolist(), change.row_upper[held].tolist()):
                con.set_value(_relation(con.body, lo, hi))
            if cons:
                solver.remove_constraints(cons)
                solver.add_constraints(cons)
        if change.rows is not None:
            self.add_rows(change.rows)
        self.form = form
        return None

    def _result(self, results: Any) -> RawResult:
        """Pyomo's answer in the canonical form's terms (duals only where the sub-solver has them)."""
        appsi = self.spec.api == "appsi"
        name = results.termination_condition.name
        term = _TERMINATION.get(name, Termination.OTHER)  # HiGHS's interrupt is "unknown" to Pyomo
        raw = RawResult(term, stats={"pyomo_termination": name})
        if term in (Termination.ERROR, Termination.OTHER, Termination.NUMERICAL_ERROR):
            raw.message = f"Pyomo reported termination condition {name!r}"
        if appsi:  # APPSI gives HiGHS's incumbent no objective after an interrupt: ask HiGHS
            has_point = results.best_feasible_objective is not None or (
                self.highs is not None and self.highs.getInfo().primal_solution_status == 2
            )
        else:
            has_point = results.solution_status.name in ("feasible", "optimal")
        if not has_point:
            return raw
        loader = results.solution_loader
        values = loader.get_primals() if hasattr(loader, "get_primals") else loader.get_vars()
        x = np.array([values.get(v, math.nan) for v in self.built.xs], dtype=float)
        # A column in no row and not in the objective is not passed to the solver: any value in
        # its bounds is optimal.
        unused = np.isnan(x)
        x[unused] = np.clip(0.0, self.form.col_lower[unused], self.form.col_upper[unused])
        raw.x = x
        objective = results.best_feasible_objective if appsi else results.incumbent_objective
        raw.objective = float(objective) if objective is not None else None
        bound = results.best_objective_bound if appsi else results.objective_bound
        raw.bound = float(bound) if bound is not None else None
        if not self.form.is_mip and term is Termination.OPTIMAL and _DUALS in self.capabilities:
            self._duals(loader, raw)
        return raw

    def _duals(self, loader: Any, raw: RawResult) -> None:
        """Row duals and reduced costs in HiGHS's convention (c = Aᵀy + z, y = d obj / d bound).

        Pyomo's APPSI and contrib HiGHS interfaces pass HiGHS's own numbers through, which are in
        this convention for both senses (checked: equal to the highs backend's on Netlib LPs with
        unique duals, minimised and maximised, and optmodel's duality-gap check); so are APPSI's
        CBC and CPLEX duals (sc50b, kb2). Gurobi's have the same meaning.
        """
        try:
            duals = loader.get_duals()
            rcs = loader.get_reduced_costs()
        except Exception:  # e.g. a solver that gives no duals for this model
            return
        built = self.built
        y = np.zeros(built.num_rows)
        y[built.rows] = [duals.get(c, 0.0) for c in built.cons]
        z = np.array([rcs.get(v, math.nan) for v in built.xs], dtype=float)
        missing = np.isnan(z)  # columns the solver never saw: in no row, cost 0
        z[missing] = self.form.c[missing]
        raw.row_duals, raw.reduced_costs = y, z


@dataclass
class _Built:
    model: Any  # the pyomo ConcreteModel
    xs: list[Any]  # VarData per canonical column
    rows: list[int]  # canonical row index of each Pyomo constraint (rows without variables are left out)
    cons: list[Any]  # ConstraintData per kept row, cuts appended
    num_rows: int  # canonical rows, cuts included


def _linear(coefs: list[float], xs: list[Any], constant: float = 0.0) -> Any:
    from pyomo.core.expr.numeric_expr import LinearExpression

    return LinearExpression(constant=constant, linear_coefs=coefs, linear_vars=xs)


def _relation(body: Any, lo: float, hi: float) -> Any:
    if lo == hi:
        return body == lo
    if not math.isfinite(lo):
        return body <= hi
    if not math.isfinite(hi):
        return body >= lo
    return (lo, body, hi)


def build_pyomo(form: CanonicalForm) -> _Built:
    """A ``ConcreteModel`` with variables ``x[j]``, constraints ``c[i]`` and objective ``obj``."""
    import pyomo.environ as pyo

    n = form.num_cols
    pm = pyo.ConcreteModel(name=form.name)
    lo = np.where(np.isfinite(form.col_lower), form.col_lower, None).tolist()
    hi = np.where(np.isfinite(form.col_upper), form.col_upper, None).tolist()
    pm.x = pyo.Var(range(n), dense=True, bounds=dict(zip(range(n), zip(lo, hi))))
    xs = list(pm.x.values())
    for j in np.flatnonzero(form.integrality).tolist():
        xs[j].domain = pyo.Integers

    A = form.A
    # Pyomo rejects constant constraints; the core has answered those that exclude 0.
    rows = np.flatnonzero(np.diff(A.indptr) > 0).tolist()
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lower, upper = form.row_lower.tolist(), form.row_upper.tolist()

    def rule(_: Any, i: int) -> Any:
        s, e = indptr[i], indptr[i + 1]
        return _relation(_linear(data[s:e], [xs[j] for j in indices[s:e]]), lower[i], upper[i])

    pm.c = pyo.Constraint(rows, rule=rule)
    cons = list(pm.c.values())
    nz = np.flatnonzero(form.c)
    objective = _linear(form.c[nz].tolist(), [xs[j] for j in nz.tolist()], float(form.offset))
    if form.Q is not None:
        objective = _quadratic(form.Q, xs, objective)
    pm.obj = pyo.Objective(expr=objective, sense=pyo.minimize if form.sense.sign > 0 else pyo.maximize)
    return _Built(pm, xs, rows, cons, form.num_rows)


def _quadratic(Q: Any, xs: list[Any], linear: Any) -> Any:
    """``linear + ½ xᵀQx`` from Q's upper triangle: ``½Q[i,i]·x_i²`` and ``Q[i,j]·x_i·x_j`` (i < j),
    one product node per term (Pyomo has no quadratic-form expression)."""
    from pyomo.core.expr.numeric_expr import MonomialTermExpression, ProductExpression, SumExpression

    U = sp.triu(sp.coo_array(Q), format="coo")
    U.sum_duplicates()
    coefs = np.where(U.row == U.col, 0.5 * U.data, U.data)
    terms = [
        ProductExpression((MonomialTermExpression((a, xs[i])), xs[j]))
        for a, i, j in zip(coefs.tolist(), U.row.tolist(), U.col.tolist())
        if a != 0.0
    ]
    return SumExpression([linear, *terms])


def _scip_defaults(form: CanonicalForm, verbose: bool) -> dict[str, Any]:
    """SCIP parameters that the user's own override. Quiet unless ``verbose``: scip_direct runs SCIP
    holding the GIL while Pyomo's reader thread drains its log pipe, so a long log stalls it. A
    quadratic objective is an epigraph row to SCIP, met to ``feastol``: 1e-9 makes the reported
    objective and the point good to optmodel's 1e-6 check; optmodel has checked convexity, so SCIP
    need not (it branches spatially on convex rows it cannot prove convex)."""
    out: dict[str, Any] = {} if verbose else {"display/verblevel": 0}
    if form.Q is not None:
        out["numerics/feastol"] = 1e-9
        if form.is_convex():
            out["constraints/nonlinear/assumeconvex"] = True
    return out


def _set_start(built: _Built, values: np.ndarray) -> None:
    for v, value in zip(built.xs, values.tolist()):
        v.set_value(None if math.isnan(value) else value, skip_validation=True)


def _make_solver(spec: _Spec) -> Any:
    if spec.api == "appsi":
        import pyomo.contrib.appsi.solvers as appsi

        return getattr(appsi, spec.factory)()
    import pyomo.environ  # noqa: F401  (registers the solver plugins)
    from pyomo.contrib.solver.common.factory import SolverFactory

    return SolverFactory(spec.factory)


def _no_auto_updates(solver: Any, spec: Any) -> None:
    """Changes are passed explicitly (``add_rows``, ``set_integrality``): no scan of the whole
    model for them before every solve."""
    cfg = solver.update_config if spec.api == "appsi" else solver.config.auto_updates
    for key in (
        "check_for_new_or_removed_constraints", "check_for_new_or_removed_vars", "check_for_new_or_removed_params",
        "check_for_new_objective", "update_constraints", "update_vars", "update_params", "update_named_expressions",
        "update_objective",
    ):  # fmt: skip
        if key in cfg:
            setattr(cfg, key, False)


def _not_interrupt_warning(record: logging.LogRecord) -> bool:
    """Pyomo's HiGHS interfaces warn about HiGHS's interrupt status, which they do not know: Ctrl-C."""
    return "kInterrupt" not in record.getMessage()


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


def _solve(solver: Any, spec: _Spec, built: _Built, options: SolveOptions) -> Any:
    """One Pyomo solve with optmodel's options; the results object as Pyomo gives it."""
    raw = dict(options.solver_options)
    if "highs" in spec.factory.lower() and options.threads is not None:
        raw.setdefault("threads", int(options.threads))
    warm = options.warm_start is not None
    if spec.api == "appsi":
        cfg = solver.config
        cfg.stream_solver = bool(options.verbose)
        cfg.load_solution = False
        cfg.time_limit = options.time_limit
        cfg.warmstart = warm
        if options.mip_gap is not None:
            cfg.mip_gap = float(options.mip_gap)
        # Each APPSI class has its own options attribute: highs_options, cbc_options, ...
        setattr(solver, f"{spec.factory.lower()}_options", raw)
        return solver.solve(built.model)
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
    return solver.solve(built.model, **kwargs)


BACKEND = Pyomo
