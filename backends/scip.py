"""SCIP through pyscipopt: LP/MIP from the canonical form, and lazy constraint families enforced
inside SCIP's branch-and-cut by a constraint handler.

pyscipopt has no call taking a sparse matrix: variables come in one ``addMatrixVar`` call, and each
row is one ``Expr`` built from a ``{Term: coefficient}`` dict (the fastest per-row path we
measured; ``addMatrixCons`` builds the same expressions through numpy object arrays).
LP duals: SCIP's linear-constraint duals are read with presolve, propagation and heuristics off
(otherwise rows may be transformed away); reduced costs are then ``c - Aᵀy``.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Backend, Capability, SolveOptions, solver_output, start_values
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily
    from optmodel.model import Model

_CAPS = frozenset({Capability.LP, Capability.MIP, Capability.DUALS, Capability.WARM_START, Capability.LAZY})


class Scip(Backend):
    name = "scip"
    description = "SCIP (branch-and-cut, SoPlex LP) via pyscipopt; lazy families in-solver"
    modules = ("pyscipopt",)
    distribution = "PySCIPOpt"
    subsolvers = {"scip": _CAPS}

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        form = model.canonical()
        with solver_output(options.verbose):
            start = time.perf_counter()
            s, xs, conss = build(form)
            duals = not form.is_mip and not model.families
            _set_options(s, options, duals)
            handler = None
            if model.families:
                handler = _install_lazy(s, xs, model.families, form.integrality)
                for key, value in options.solver_options.items():  # the user's settings win
                    s.setParam(key, value)
            if options.warm_start is not None:
                _set_start(s, xs, start_values(model, options.warm_start))
            build_seconds = time.perf_counter() - start
            start = time.perf_counter()
            s.optimize()  # SCIP catches Ctrl-C itself: status "userinterrupt", incumbent kept
            elapsed = time.perf_counter() - start
            sol = _solution(s, xs, conss, form, duals)
        if handler is not None:
            sol.stats["lazy_path"] = "in-solver"
            sol.stats["rounds"] = handler.rounds
        sol.build_seconds, sol.solve_seconds = build_seconds, elapsed
        sol.backend = self.label
        return sol


def build(form: CanonicalForm) -> tuple[Any, Any, list[Any]]:
    """A pyscipopt model of the canonical form: (model, matrix variable, linear constraints)."""
    from pyscipopt import Model
    from pyscipopt.scip import Expr, ExprCons, Term

    s = Model(form.name or "model")
    n = form.num_cols
    lb = np.where(np.isfinite(form.col_lower), form.col_lower, None)
    ub = np.where(np.isfinite(form.col_upper), form.col_upper, None)
    binary = form.integrality & (form.col_lower >= 0) & (form.col_upper <= 1)
    vtype = np.where(binary, "B", np.where(form.integrality, "I", "C"))
    if n:
        xs = s.addMatrixVar((n,), name="x", vtype=vtype, lb=lb, ub=ub, obj=form.c)
    else:
        xs = np.zeros(0, dtype=object)
    if form.sense.sign < 0:
        s.setMaximize()
    if form.offset:
        s.addObjoffset(float(form.offset))
    terms = [Term(v) for v in xs.tolist()]
    A = form.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lo = [None if not math.isfinite(b) else b for b in form.row_lower.tolist()]
    hi = [None if not math.isfinite(b) else b for b in form.row_upper.tolist()]
    conss = []
    for i in range(form.num_rows):
        a, b = indptr[i], indptr[i + 1]
        expr = Expr(dict(zip([terms[j] for j in indices[a:b]], data[a:b])))
        conss.append(s.addCons(ExprCons(expr, lhs=lo[i], rhs=hi[i]), name=f"r{i}"))
    return s, xs, conss


def _set_options(s: Any, options: SolveOptions, duals: bool) -> None:
    from pyscipopt import SCIP_PARAMSETTING

    if not options.verbose:
        s.hideOutput()
    if options.time_limit is not None:
        s.setParam("limits/time", max(float(options.time_limit), 0.0))
    if options.mip_gap is not None:
        s.setParam("limits/gap", float(options.mip_gap))
    if options.threads is not None:
        s.setParam("parallel/maxnthreads", int(options.threads))
    if duals:
        # Duals of the rows as written need the LP without presolve's transformations.
        s.setPresolve(SCIP_PARAMSETTING.OFF)
        s.setHeuristics(SCIP_PARAMSETTING.OFF)
        s.disablePropagation()
    for key, value in options.solver_options.items():
        s.setParam(key, value)


def _set_start(s: Any, xs: Any, values: np.ndarray) -> None:
    sol = s.createSol()
    for var, val in zip(xs.tolist(), values.tolist()):
        if not math.isnan(val):
            s.setSolVal(sol, var, val)
    s.addSol(sol, free=True)


def _termination(status: str) -> Termination:
    return {
        "optimal": Termination.OPTIMAL,
        "infeasible": Termination.INFEASIBLE,
        "unbounded": Termination.UNBOUNDED,
        "inforunbd": Termination.INFEASIBLE_OR_UNBOUNDED,
        "timelimit": Termination.TIME_LIMIT,
        "userinterrupt": Termination.INTERRUPTED,
        "nodelimit": Termination.ITERATION_LIMIT,
        "totalnodelimit": Termination.ITERATION_LIMIT,
        "stallnodelimit": Termination.ITERATION_LIMIT,
        "gaplimit": Termination.OPTIMAL,
        "memlimit": Termination.ERROR,
        "sollimit": Termination.OTHER,
        "bestsollimit": Termination.OTHER,
        "restartlimit": Termination.OTHER,
    }.get(status, Termination.ERROR)


def _solution(s: Any, xs: Any, conss: list[Any], form: CanonicalForm, duals: bool) -> Solution:
    status = s.getStatus()
    term = _termination(status)
    sol = Solution(Status.ERROR, term, SolutionStatus.NO_SOLUTION)
    if term is Termination.ERROR:
        sol.message = f"SCIP stopped with status {status!r}"
    if s.getNSols() > 0:
        best = s.getBestSol()
        sol.x = np.asarray(s.getSolVal(best, xs), dtype=float).reshape(form.num_cols) if form.num_cols else np.zeros(0)
        sol.objective = float(s.getSolObjVal(best))
        sol.solution_status = SolutionStatus.OPTIMAL if term is Termination.OPTIMAL else SolutionStatus.FEASIBLE
    elif term is Termination.OPTIMAL and form.num_cols == 0:
        sol.x, sol.objective = np.zeros(0), form.offset
    bound = s.getDualbound()
    if math.isfinite(bound) and abs(bound) < 1e20:
        sol.bound = float(bound)
    if sol.objective is not None:
        gap = s.getGap()
        sol.gap = float(gap) if math.isfinite(gap) else None
    sol.stats["nodes"] = int(s.getNNodes())
    if duals and term is Termination.OPTIMAL and sol.x is not None:
        y = np.array([s.getDualSolVal(c) for c in conss], dtype=float)
        # getDualSolVal maps the transformed problem's duals back: d objective / d bound already.
        sol.row_duals = y
        sol.reduced_costs = form.c - form.A.T @ sol.row_duals
    return sol


# --- lazy constraint families in SCIP's branch-and-cut --------------------------------------
def _install_lazy(s: Any, xs: Any, families: list[LazyFamily], integrality: np.ndarray) -> Any:
    """A constraint handler that checks candidates with the oracles and adds the violated rows."""
    from pyscipopt import SCIP_RESULT, Conshdlr
    from pyscipopt.scip import Expr, ExprCons, Term

    from optmodel import lazy

    terms = [Term(v) for v in xs.tolist()]

    class LazyHandler(Conshdlr):
        def __init__(self) -> None:
            self.rounds = 0

        def _values(self, solution: Any) -> np.ndarray:
            return np.asarray(self.model.getSolVal(solution, xs), dtype=float).ravel()

        def _cuts(self, solution: Any, fractional: bool, integral: bool, count: bool = True) -> lazy.Rows:
            x = self._values(solution)
            if integral:
                x[integrality] = np.round(x[integrality])
            return lazy.separate(families, x, fractional=fractional, count=count)

        def _add(self, rows: lazy.Rows, as_cut: bool) -> None:
            A = rows.A
            indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
            for i in range(rows.count):
                a, b = indptr[i], indptr[i + 1]
                expr = Expr(dict(zip([terms[j] for j in indices[a:b]], data[a:b])))
                lo = float(rows.lower[i]) if math.isfinite(rows.lower[i]) else None
                hi = float(rows.upper[i]) if math.isfinite(rows.upper[i]) else None
                self.model.addCons(
                    ExprCons(expr, lhs=lo, rhs=hi), name=f"lazy{self.rounds}_{i}", removable=as_cut, modifiable=False
                )
            self.rounds += 1

        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely, **kw):
            rows = self._cuts(solution, fractional=False, integral=True, count=False)
            return {"result": SCIP_RESULT.INFEASIBLE if rows.count else SCIP_RESULT.FEASIBLE}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            rows = self._cuts(None, fractional=False, integral=True)
            if not rows.count:
                return {"result": SCIP_RESULT.FEASIBLE}
            self._add(rows, as_cut=False)
            return {"result": SCIP_RESULT.CONSADDED}

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            rows = self._cuts(None, fractional=False, integral=True)
            if not rows.count:
                return {"result": SCIP_RESULT.FEASIBLE}
            self._add(rows, as_cut=False)
            return {"result": SCIP_RESULT.CONSADDED}

        def conssepalp(self, constraints, nusefulconss):
            rows = self._cuts(None, fractional=True, integral=False)
            if not rows.count:
                return {"result": SCIP_RESULT.DIDNOTFIND}
            self._add(rows, as_cut=True)
            return {"result": SCIP_RESULT.CONSADDED}

        def conslock(self, constraint, locktype, nlockspos, nlocksneg):
            # Cut rows may have either sign: lock every variable both ways.
            for v in xs.tolist():
                self.model.addVarLocks(v, nlockspos + nlocksneg, nlockspos + nlocksneg)

    handler = LazyHandler()
    fractional = any(f.fractional for f in families)
    s.includeConshdlr(
        handler,
        "optmodel_lazy",
        "lazy constraint families of optmodel",
        sepapriority=1 if fractional else 0,
        enfopriority=-1,
        chckpriority=-1,
        sepafreq=1 if fractional else -1,
        propfreq=-1,
        eagerfreq=-1,
        maxprerounds=0,
        delaysepa=False,
        delayprop=False,
        needscons=False,
    )
    s.setBoolParam("misc/allowstrongdualreds", False)
    s.setBoolParam("misc/allowweakdualreds", False)
    if fractional:
        # Cut at the root until the oracle finds nothing: SCIP's stall rule otherwise branches
        # early (directed-cut MST, n=1000: optimal at the root in 45 s instead of > 60 s).
        s.setIntParam("separating/maxstallroundsroot", -1)
        s.setIntParam("separating/maxroundsroot", -1)
    return handler


BACKEND = Scip
