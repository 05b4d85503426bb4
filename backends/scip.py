"""SCIP through pyscipopt: LP/MIP from the canonical form, and lazy constraint families enforced
inside SCIP's branch-and-cut by a constraint handler.

pyscipopt has no call taking a sparse matrix: variables come in one ``addMatrixVar`` call, and each
row is one ``Expr`` built from a ``{Term: coefficient}`` dict (the fastest per-row path we
measured; ``addMatrixCons`` builds the same expressions through numpy object arrays).

LP duals are those of the LP as written only when SCIP solves exactly that LP: presolve,
propagation, heuristics, separation and symmetry handling are switched off for a pure LP
(symmetry handling alone adds rows such as x0 >= x1, whose duals SCIP then reports in place of the
model's). A start point is not given to SCIP for an LP: SCIP's simplex cannot use it, and an
optimal start lets SCIP prune the root before its LP duals exist (it reports its invalid marker,
-1e99). Duals that are still not finite numbers are not returned.

A quadratic objective ``c x + ½ xᵀQx`` goes to SCIP (whose objective is linear; pyscipopt 6.3's
``setObjective`` refuses degree 2) through one free variable t with objective 1 and the quadratic
constraint ``½ xᵀQx - t <= 0`` (``>= 0`` when maximising); SCIP solves it to global optimality,
nonconvex and with integers too. SOS1/SOS2 sets and indicator rows are SCIP constraints of their
own. Duals are returned for LPs only: those of SCIP's final LP certify nothing for a QP or for
discrete structure.
"""

from __future__ import annotations

import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import SCIP_MAX_THREADS, Adapter, Capability, RawResult, SolveOptions
from optmodel.canonical import Names
from optmodel.errors import ModelError, OptmodelError
from optmodel.interrupt import run_in_worker
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows
    from optmodel.model import Model
    from optmodel.resolve import FormChange

_CAPS = frozenset(
    {
        Capability.LP, Capability.MIP, Capability.DUALS, Capability.WARM_START, Capability.LAZY,
        Capability.INCREMENTAL, Capability.QUADRATIC, Capability.MIQP, Capability.NONCONVEX,
        Capability.SOS, Capability.INDICATOR, Capability.RESOLVE,
    }
)
# SCIP's value for "no value" (SCIP_INVALID, 1e99); its infinity is 1e20 (the core's too).
_INVALID = 1e98
_INFINITY = 1e20


class Scip(Adapter):
    name = "scip"
    description = "SCIP (branch-and-cut, SoPlex LP) via pyscipopt; lazy families in-solver"
    modules = ("pyscipopt",)
    distribution = "PySCIPOpt"
    subsolvers = {"scip": _CAPS}
    max_threads = {"scip": SCIP_MAX_THREADS}

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        if form.semicontinuous is not None:  # the core reduces them for SCIP, which has none
            raise OptmodelError(f"{self.label} has no semicontinuous variables (the core should reduce them)")
        self.form = form
        _check_costs(form.c, np.arange(form.num_cols), form.col_names)
        self.s, self.xs, self.conss = build(form)
        self.t = _quadratic_objective(self.s, self.xs, form)  # None for a linear objective
        _special(self.s, self.xs, form)
        self.integer = form.integrality.copy()
        self.families = list(families)
        self.lp_settings = False
        self.handler = _install_lazy(self.s, self.xs, self.families, form.integrality) if families else None
        if options.warm_start is not None and not self._pure_lp:
            _set_start(self.s, self.xs, options.warm_start, form, self.t)

    @property
    def _pure_lp(self) -> bool:
        """An LP whose duals are wanted: SCIP must solve it as written."""
        form = self.form
        return not self.integer.any() and not self.families and form.Q is None and not form.has_special

    def refuses(self, model: Model, options: SolveOptions) -> str | None:
        reason = super().refuses(model, options)
        if reason is None and options.duals and model.is_linear and model.canonical().is_quadratic:
            reason = f"{self.label} gives no duals for a quadratic objective (solve a convex QP with highs for them)"
        return reason

    def run(self, options: SolveOptions) -> RawResult:
        s = self.s
        _back_to_problem(s)  # solved before (row generation): back to the problem as stated
        if self._pure_lp != self.lp_settings:
            _lp_settings(s, self._pure_lp)
            self.lp_settings = self._pure_lp
        if self.t is not None:
            # The point of a quadratic objective's epigraph row is only as exact as the row is met
            # (x off by ~3e-4 at SCIP's 1e-6): tighter, so the point meets optmodel's 1e-6 checks.
            s.setParam("numerics/feastol", 1e-9)
            if self.form.is_convex():  # proved by optmodel; SCIP's own check misses dense Q
                s.setParam("constraints/nonlinear/assumeconvex", True)
        _set_options(s, options)
        # optimize() holds the GIL and installs its own SIGINT handler: optimizeNogil in optmodel's
        # worker thread (with misc/catchctrlc off) lets Ctrl-C reach optmodel, which interrupts SCIP.
        run_in_worker(s.optimizeNogil, _interrupter(s))
        raw = self._result()
        if self.handler is not None:
            raw.stats["lazy_path"] = "in-solver"
            raw.stats["rounds"] = self.handler.rounds
        return raw

    def add_rows(self, rows: Rows) -> None:
        _back_to_problem(self.s)
        self.conss += _add_rows(self.s, _terms(self.xs), rows, f"cut{len(self.conss)}_")
        form = self.form  # the form now loaded: its rows price the duals
        self.form = dataclasses.replace(
            form,
            A=sp.csr_array(sp.vstack([form.A, rows.A], format="csr")),
            row_lower=np.concatenate([form.row_lower, rows.lower]),
            row_upper=np.concatenate([form.row_upper, rows.upper]),
            row_names=Names(),
        )

    def set_integrality(self, integer: np.ndarray) -> None:
        s = self.s
        _back_to_problem(s)
        form = self.form
        for j in np.flatnonzero(integer != self.integer).tolist():
            s.chgVarType(self.xs[j], _vtype(integer[j], form.col_lower[j], form.col_upper[j]))
        self.integer = integer.astype(bool)

    def _result(self) -> RawResult:
        s = self.s
        status = s.getStatus()
        raw = RawResult(_termination(status))
        if raw.termination is Termination.ERROR:
            raw.message = f"SCIP stopped with status {status!r}"
        raw.bound = _value(s.getDualbound())
        raw.stats["nodes"] = int(s.getNNodes())
        raw.stats["lp_iterations"] = int(s.getNLPIterations())
        if s.getNSols() == 0:
            return raw
        best = s.getBestSol()
        raw.x = np.asarray(s.getSolVal(best, self.xs), dtype=float).reshape(self.form.num_cols)
        raw.objective = float(s.getSolObjVal(best))
        if self.t is not None:
            # In the model's terms: t, which may sit below ½xᵀQx by SCIP's feasibility tolerance,
            # replaced by what it stands for (the rest of the objective stays SCIP's own number).
            Q = self.form.Q
            raw.objective += 0.5 * float(raw.x @ (Q @ raw.x)) - float(s.getSolVal(best, self.t))
        if self._pure_lp and raw.termination is Termination.OPTIMAL:
            self._duals(raw)
        return raw

    def _duals(self, raw: RawResult) -> None:
        # The duals of SCIP's LP rows (SCIP minimises: a maximisation's are negated). Not
        # getDualSolVal: for one-variable rows it returns the column's reduced cost instead.
        y = self.form.sense.sign * np.array([self.s.getDualsolLinear(c) for c in self.conss], dtype=float)
        if not np.all(np.abs(y) < _INVALID):  # the LP was never solved at the end (or NaN)
            raw.stats["duals"] = "SCIP reported no valid LP duals"
            return
        raw.row_duals, raw.reduced_costs = _bound_rows(self.form, raw.x, y)

    def update(self, change: FormChange) -> str | None:
        """The change on SCIP's problem stage (its transformed problem freed): the model is not
        built again, but SCIP presolves and solves the changed problem from the start. One call
        per changed entry (pyscipopt has no bulk calls), so a change touching most of a large
        model is slower than loading it again."""
        if self.families:
            return "lazy families are installed in this SCIP model"
        s, xs = self.s, self.xs
        _back_to_problem(s)
        if change.offset is not None:
            s.addObjoffset(change.offset - self.form.offset)
        if change.sense is not None or change.cost_cols.size:
            from pyscipopt.scip import Expr, Term

            _check_costs(change.costs, change.cost_cols, change.form.col_names)
            costs = Expr({Term(xs[j]): cost for j, cost in zip(change.cost_cols.tolist(), change.costs.tolist())})
            sense = "minimize" if change.form.sense.sign > 0 else "maximize"
            s.setObjective(costs, sense=sense, clear=False)  # only these coefficients change
        cols = change.bound_cols
        integer = self.integer[cols]
        for j, lo, hi, whole in zip(cols.tolist(), change.col_lower.tolist(), change.col_upper.tolist(), integer):
            var = xs[j]
            if whole and var.vtype() == "BINARY" and (lo < 0 or hi > 1):
                s.chgVarType(var, "I")  # a binary's bounds must stay within [0, 1]
            s.chgVarLb(var, lo if math.isfinite(lo) else None)
            s.chgVarUb(var, hi if math.isfinite(hi) else None)
        for i, lo, hi in zip(change.bound_rows.tolist(), change.row_lower.tolist(), change.row_upper.tolist()):
            s.chgLhs(self.conss[i], lo if math.isfinite(lo) else None)
            s.chgRhs(self.conss[i], hi if math.isfinite(hi) else None)
        if change.rows is not None:
            self.add_rows(change.rows)
        self.form = change.form
        return None


def _check_costs(costs: np.ndarray, cols: np.ndarray, names: Names) -> None:
    """SCIP stops with "error in input data" on an objective coefficient at or beyond its infinity:
    refuse it first, naming the column (one pass over the costs)."""
    costs = np.asarray(costs, dtype=np.float64)
    if costs.size and not np.abs(costs).max() < _INFINITY:  # NaN fails this test too
        k = int(np.flatnonzero(~(np.abs(costs) < _INFINITY))[0])
        raise ModelError(
            f"the objective coefficient {costs[k]:g} of {names.label(int(cols[k]))} is at or beyond SCIP's "
            f"infinity ({_INFINITY:g}), which SCIP refuses; rescale the objective"
        )


def _at(value: float, bound: float) -> bool:
    return math.isfinite(bound) and abs(value - bound) <= 1e-6 * (1.0 + abs(bound))


def _bound_rows(form: CanonicalForm, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Row duals and reduced costs of the rows as written, from SCIP's LP row duals ``y``.

    SCIP makes a row with one unfixed variable a bound of that variable (even with presolve off):
    the row is not in its LP, and its price is in the column's reduced cost. The price goes back
    to such a row when the row, not the column's own bound, is what holds the column there.
    """
    A, s = form.A, form.sense.sign
    z = form.c - A.T @ y
    unfixed = np.flatnonzero(form.col_lower != form.col_upper)
    sub = sp.csr_array(A[:, unfixed])
    sub.eliminate_zeros()
    single = np.flatnonzero((np.diff(sub.indptr) == 1) & (y == 0))
    if not single.size:
        return y, z
    activity = A @ x
    for i in single.tolist():
        k = sub.indptr[i]
        j, a = int(unfixed[sub.indices[k]]), float(sub.data[k])
        priced = s * z[j]  # > 0: held from below, < 0: from above (in the minimisation)
        if priced == 0 or _at(x[j], (form.col_lower if priced > 0 else form.col_upper)[j]):
            continue
        if _at(activity[i], (form.row_lower if (priced > 0) == (a > 0) else form.row_upper)[i]):
            y[i] = z[j] / a
            z[j] = 0.0
    return y, form.c - A.T @ y


def _interrupter(s: Any) -> Callable[[], None]:
    """SCIP's ``interruptSolve``, and ``SCIPinterruptLP`` (not in pyscipopt, called through ctypes)
    so that a long simplex solve stops too: SCIP looks at its interrupt flag only between LPs."""
    import ctypes

    import pyscipopt.scip

    interrupt_lp = None
    try:
        interrupt_lp = ctypes.CDLL(pyscipopt.scip.__file__).SCIPinterruptLP  # found among its libraries
        interrupt_lp.argtypes, interrupt_lp.restype = [ctypes.c_void_p, ctypes.c_uint], ctypes.c_int
        pointer = ctypes.pythonapi.PyCapsule_GetPointer
        pointer.argtypes, pointer.restype = [ctypes.py_object, ctypes.c_char_p], ctypes.c_void_p
        scip = pointer(s.to_ptr(False), b"scip")
    except (OSError, AttributeError, ValueError):  # another build of pyscipopt: between LPs only
        interrupt_lp = None

    def cancel() -> None:
        # interruptSolve's flag is lost if it comes before SCIP's solve has started (a Ctrl-C during
        # the model build): a time limit of 0 stops that solve too (the core reports interrupted).
        s.setRealParam("limits/time", 0.0)
        if interrupt_lp is not None:
            interrupt_lp(scip, 1)
        s.interruptSolve()

    return cancel


def _back_to_problem(s: Any) -> None:
    """Free SCIP's transformed problem (after a solve) so that the model can be changed and solved."""
    from pyscipopt import SCIP_STAGE

    if s.getStage() > SCIP_STAGE.PROBLEM:
        s.freeTransform()


def _terms(xs: Any) -> list[Any]:
    from pyscipopt.scip import Term

    return [Term(v) for v in xs.tolist()]


def _vtype(integer: bool, lower: float, upper: float) -> str:
    return ("B" if lower >= 0 and upper <= 1 else "I") if integer else "C"


def build(form: CanonicalForm) -> tuple[Any, Any, list[Any]]:
    """A pyscipopt model of the canonical form: (model, matrix variable, linear constraints)."""
    from pyscipopt import Model

    s = Model(form.name or "model")
    lb = np.where(np.isfinite(form.col_lower), form.col_lower, None)
    ub = np.where(np.isfinite(form.col_upper), form.col_upper, None)
    binary = form.integrality & (form.col_lower >= 0) & (form.col_upper <= 1)
    vtype = np.where(binary, "B", np.where(form.integrality, "I", "C"))
    if form.num_cols:
        xs = s.addMatrixVar((form.num_cols,), name="x", vtype=vtype, lb=lb, ub=ub, obj=form.c)
    else:
        xs = np.zeros(0, dtype=object)
    if form.sense.sign < 0:
        s.setMaximize()
    if form.offset:
        s.addObjoffset(float(form.offset))
    from optmodel.lazy import Rows

    conss = _add_rows(s, _terms(xs), Rows(form.A, form.row_lower, form.row_upper), "r")
    return s, xs, conss


def _add_rows(s: Any, terms: list[Any], rows: Rows, prefix: str, removable: bool = False) -> list[Any]:
    """Linear constraints ``lower <= A @ x <= upper``, one per row of ``rows``."""
    from pyscipopt.scip import Expr, ExprCons

    A = rows.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    lo = [b if math.isfinite(b) else None for b in rows.lower.tolist()]
    hi = [b if math.isfinite(b) else None for b in rows.upper.tolist()]
    conss = []
    for i in range(rows.count):
        a, b = indptr[i], indptr[i + 1]
        expr = Expr(dict(zip([terms[j] for j in indices[a:b]], data[a:b])))
        upper = hi[i] if hi[i] is not None or lo[i] is not None else s.infinity()  # never both None
        cons = ExprCons(expr, lhs=lo[i], rhs=upper)
        conss.append(s.addCons(cons, name=f"{prefix}{i}", removable=removable))
    return conss


def _quadratic_objective(s: Any, xs: Any, form: CanonicalForm) -> Any:
    """The epigraph variable t of ``½ xᵀQx`` (objective coefficient 1), or None without Q.

    pyscipopt builds a quadratic constraint only from an ``Expr`` of ``{Term(x_i, x_j): q}``: one
    comprehension over Q's upper triangle (½ Q_ii on the diagonal, Q_ij off it)."""
    if form.Q is None:
        return None
    from pyscipopt.scip import Expr, ExprCons, Term

    upper = sp.triu(form.Q, format="coo")
    coef = np.where(upper.row == upper.col, 0.5 * upper.data, upper.data).tolist()
    xv = xs.tolist()
    t = s.addVar(name="optmodel_quadratic_objective", vtype="C", lb=None, ub=None, obj=1.0)
    terms = {Term(xv[i], xv[j]): q for i, j, q in zip(upper.row.tolist(), upper.col.tolist(), coef)}
    terms[Term(t)] = -1.0
    # t >= ½xᵀQx when minimising, t <= ½xᵀQx when maximising: t is pushed onto ½xᵀQx either way.
    side = {"rhs": 0.0} if form.sense.sign > 0 else {"lhs": 0.0}
    s.addCons(ExprCons(Expr(terms), **side), name="optmodel_quadratic_objective")
    return t


def _special(s: Any, xs: Any, form: CanonicalForm) -> None:
    """SOS1/SOS2 sets (ordered by their weights) and indicator rows, as SCIP's own constraints."""
    xv, terms = xs.tolist(), _terms(xs)
    for k, sos in enumerate(form.sos):
        add = s.addConsSOS1 if sos.kind == 1 else s.addConsSOS2
        add([xv[j] for j in sos.columns.tolist()], weights=sos.weights.tolist(), name=sos.name or f"sos{k}")
    ind = form.indicators
    if ind is None:
        return
    from pyscipopt.scip import Expr, ExprCons

    A = ind.A
    indptr, indices, data = A.indptr.tolist(), A.indices.tolist(), A.data.tolist()
    names = [ind.names[i] if len(ind.names) > i else f"ind{i}" for i in range(ind.count)]
    # SCIP's indicator takes one inequality: a ranged or equality row is two (`activeone=False`
    # makes SCIP use the negated binary).
    for i, (b, active, lo, hi) in enumerate(
        zip(ind.binary.tolist(), ind.active.tolist(), ind.lower.tolist(), ind.upper.tolist())
    ):
        a, e = indptr[i], indptr[i + 1]
        expr = Expr(dict(zip([terms[j] for j in indices[a:e]], data[a:e])))
        for side, bound in (("rhs", hi), ("lhs", lo)):
            if math.isfinite(bound):
                cons = ExprCons(expr, **{side: bound})
                s.addConsIndicator(cons, binvar=xv[b], activeone=bool(active), name=f"{names[i]}_{side}")


def _lp_settings(s: Any, on: bool) -> None:
    """Switch off (or back on) everything that makes SCIP's final LP differ from the LP as written."""
    from pyscipopt import SCIP_PARAMSETTING

    setting = SCIP_PARAMSETTING.OFF if on else SCIP_PARAMSETTING.DEFAULT
    s.setPresolve(setting)
    s.setHeuristics(setting)
    s.setSeparating(setting)
    if on:
        s.disablePropagation()
        s.setIntParam("misc/usesymmetry", 0)
    else:
        for key in ("propagating/maxrounds", "propagating/maxroundsroot", "misc/usesymmetry"):
            s.resetParam(key)


def _set_options(s: Any, options: SolveOptions) -> None:
    s.hideOutput(quiet=not options.verbose)
    s.setBoolParam("misc/catchctrlc", False)  # optmodel's handler asks SCIP to stop (interruptSolve)
    s.setRealParam("limits/time", max(float(options.time_limit), 0.0) if options.time_limit is not None else 1e20)
    if options.mip_gap is not None:
        s.setParam("limits/gap", float(options.mip_gap))
    if options.threads is not None:
        s.setParam("parallel/maxnthreads", int(options.threads))
    if options.seed is not None:
        s.setParam("randomization/randomseedshift", int(options.seed))
    for key, value in options.solver_options.items():  # the user's settings win
        try:
            s.setParam(key, value)
        except (KeyError, ValueError, TypeError, LookupError) as exc:
            raise OptmodelError(f"SCIP refused the option {key}={value!r}: {exc}") from None


def _set_start(s: Any, xs: Any, values: np.ndarray, form: CanonicalForm, t: Any = None) -> None:
    sol = s.createSol()
    for var, val in zip(xs.tolist(), values.tolist()):
        if not math.isnan(val):
            s.setSolVal(sol, var, val)
    if t is not None and not np.isnan(values).any():  # the epigraph variable at its value
        s.setSolVal(sol, t, 0.5 * float(values @ (form.Q @ values)))
    s.addSol(sol, free=True)


def _value(v: float) -> float | None:
    """A SCIP number: its invalid marker (1e99) and NaN are None, its infinity (1e20) infinite."""
    if math.isnan(v) or abs(v) >= _INVALID:
        return None
    return math.copysign(math.inf, v) if abs(v) >= 1e20 else float(v)


def _termination(status: str) -> Termination:
    return {
        "optimal": Termination.OPTIMAL,
        "gaplimit": Termination.OPTIMAL,  # within the requested gap (as HiGHS reports it)
        "infeasible": Termination.INFEASIBLE,
        "unbounded": Termination.UNBOUNDED,
        "inforunbd": Termination.INFEASIBLE_OR_UNBOUNDED,
        "timelimit": Termination.TIME_LIMIT,
        "userinterrupt": Termination.INTERRUPTED,
        "nodelimit": Termination.ITERATION_LIMIT,
        "totalnodelimit": Termination.ITERATION_LIMIT,
        "stallnodelimit": Termination.ITERATION_LIMIT,
        "memlimit": Termination.ERROR,
        "sollimit": Termination.OTHER,
        "bestsollimit": Termination.OTHER,
        "restartlimit": Termination.OTHER,
    }.get(status, Termination.ERROR)


# --- lazy constraint families in SCIP's branch-and-cut --------------------------------------
def _install_lazy(s: Any, xs: Any, families: list[LazyFamily], integrality: np.ndarray) -> Any:
    """A constraint handler that checks candidates with the oracles and adds the violated rows."""
    from pyscipopt import SCIP_RESULT, Conshdlr

    from optmodel import lazy

    terms = _terms(xs)

    class LazyHandler(Conshdlr):
        def __init__(self) -> None:
            self.rounds = 0

        def _cuts(self, solution: Any, fractional: bool, integral: bool, count: bool = True) -> lazy.Rows:
            x = np.asarray(self.model.getSolVal(solution, xs), dtype=float).ravel()
            if integral:
                x[integrality] = np.round(x[integrality])
            return lazy.separate(families, x, fractional=fractional, count=count)

        def _enforce(self, rows: lazy.Rows, as_cut: bool) -> dict[str, Any]:
            if not rows.count:
                return {"result": SCIP_RESULT.DIDNOTFIND if as_cut else SCIP_RESULT.FEASIBLE}
            _add_rows(self.model, terms, rows, f"lazy{self.rounds}_", removable=as_cut)
            self.rounds += 1
            return {"result": SCIP_RESULT.CONSADDED}

        def conscheck(self, constraints, solution, checkintegrality, checklprows, printreason, completely, **kw):
            rows = self._cuts(solution, fractional=False, integral=True, count=False)
            return {"result": SCIP_RESULT.INFEASIBLE if rows.count else SCIP_RESULT.FEASIBLE}

        def consenfolp(self, constraints, nusefulconss, solinfeasible):
            return self._enforce(self._cuts(None, fractional=False, integral=True), as_cut=False)

        def consenfops(self, constraints, nusefulconss, solinfeasible, objinfeasible):
            return self._enforce(self._cuts(None, fractional=False, integral=True), as_cut=False)

        def conssepalp(self, constraints, nusefulconss):
            return self._enforce(self._cuts(None, fractional=True, integral=False), as_cut=True)

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
