"""``Model``: variables, constraints and an objective, stated once and solved by any backend."""

from __future__ import annotations

import dataclasses
import math
import operator
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel._scipy import sparse as sp
from optmodel.backend import Capability
from optmodel.canonical import SOS, CanonicalForm, Indicators, Names, Sense, stack_rows
from optmodel.errors import ModelError
from optmodel.expr import Constraint, Expr, QuadExpr, Var, _csr_view, _with_cols, as_expr

if TYPE_CHECKING:
    from optmodel.lazy import LazyFamily, Separator
    from optmodel.solution import Solution


@dataclass
class Objective:
    sense: Sense
    expr: Any  # a scalar Expr for linear models; richer kinds declare their own requirement

    @property
    def requirement(self) -> Capability:
        return getattr(self.expr, "requirement", Capability.LP)


class Model:
    """A mathematical program: ``m.var(...)``, ``m.add(...)``, ``m.minimize(...)``, ``m.solve()``."""

    def __init__(self, name: str = "model"):
        self.name = name
        self.variables: list[Var] = []
        self.constraints: list[Constraint] = []
        self.objective: Objective | None = None
        # Extension points for later kinds of problem; each carries its own requirement.
        self.families: list[LazyFamily] = []  # lazy constraint families (separation oracles)
        self._lb: list[np.ndarray] = []
        self._ub: list[np.ndarray] = []
        self._integer: list[np.ndarray] = []
        self._semicontinuous: list[np.ndarray] = []
        self.sos: list[SOS] = []
        self.indicators: list[tuple[np.ndarray, np.ndarray, Constraint]] = []  # (binary cols, active, rows)
        self._session: Any = None  # the loaded solver of the last solve, for re-solving (optmodel.solving)
        self.num_vars = 0
        self.num_rows = 0
        self._canonical: CanonicalForm | None = None

    # --- variables ----------------------------------------------------------------------
    def var(
        self,
        shape: int | Sequence[int] = (),
        *,
        keys: Sequence[Hashable] | None = None,
        lb: float | np.ndarray = -np.inf,
        ub: float | np.ndarray = np.inf,
        integer: bool = False,
        binary: bool = False,
        semicontinuous: bool = False,
        name: str | None = None,
        labels: Sequence[str] | None = None,
    ) -> Var:
        """A block of variables, by shape or indexed by hashable ``keys`` (e.g. graph edges).

        Bounds broadcast to the shape; variables are free unless bounded (as in JuMP, Pyomo,
        CVXPY). ``binary`` means integer in [0, 1]. ``semicontinuous`` means 0 or between the
        bounds (semi-integer with ``integer``). ``labels`` gives each element's name (MPS).
        """
        if keys is not None:
            keys = list(keys)
            shape = (len(keys),)
        shape = _shape(shape, name)
        size = math.prod(shape)
        name = name or f"x{len(self.variables)}"
        if binary:
            integer = True
            lb = np.maximum(lb, 0.0)
            ub = np.minimum(ub, 1.0)
        try:
            lower, upper = _flat(lb, shape), _flat(ub, shape)
        except (ValueError, TypeError) as exc:
            raise ModelError(f"variable {name!r}: the bounds lb and ub must be numbers or arrays that "
                             f"broadcast to its shape {shape} ({exc})") from None
        one_each = lower.strides == upper.strides == (0,)  # bounds of one number: compare them once
        if np.any(lower[:1] > upper[:1]) if one_each else np.any(lower > upper):
            k = int(np.flatnonzero(lower > upper)[0])
            raise ModelError(f"variable {_element(name, shape, k, keys, labels)} has a lower bound above its "
                             f"upper bound ({lower[k]:g} > {upper[k]:g})")
        if labels is not None and len(labels) != size:
            raise ModelError(f"variable {name!r}: {len(labels)} labels for {size} elements")
        v = Var(self, name, self.num_vars, shape, keys=keys, labels=labels)
        self.variables.append(v)
        self._lb.append(lower)
        self._ub.append(upper)
        self._integer.append(_flat(bool(integer), shape, bool))
        self._semicontinuous.append(_flat(bool(semicontinuous), shape, bool))
        self.num_vars += size
        self._canonical = None
        return v

    def int_var(self, shape: int | Sequence[int] = (), **kw: Any) -> Var:
        return self.var(shape, integer=True, **kw)

    def binary_var(self, shape: int | Sequence[int] = (), **kw: Any) -> Var:
        return self.var(shape, binary=True, **kw)

    # --- constraints and objective ---------------------------------------------------------
    def add(self, constraint: Constraint, name: str | None = None) -> Constraint:
        """Add a block of constraints (``A @ x == b``, ``x.sum() <= 3``, ``e.between(l, u)``)."""
        if not isinstance(constraint, Constraint):
            raise ModelError(
                f"Model.add takes a constraint such as `A @ x == b`, got {type(constraint).__name__}"
                " (a bool here usually means a comparison between two plain numbers)"
            )
        if constraint.model is not None and constraint.model is not self:
            raise ModelError("this constraint refers to variables of another model")
        if constraint.start is not None:
            raise ModelError(f"constraint {constraint.name!r} was already added")
        constraint.name = name or f"c{len(self.constraints)}"
        constraint.start = self.num_rows
        self.constraints.append(constraint)
        self.num_rows += constraint.size
        self._canonical = None
        return constraint

    def minimize(self, expr: Any) -> None:
        self._set_objective(Sense.MINIMIZE, expr)

    def maximize(self, expr: Any) -> None:
        self._set_objective(Sense.MAXIMIZE, expr)

    def set_objective(self, expr: Any, sense: Sense | str | None = None) -> None:
        """Replace the objective (keeping its sense unless given): a solved model re-solves warm."""
        if sense is None:
            sense = self.objective.sense if self.objective is not None else Sense.MINIMIZE
        self._set_objective(Sense(sense), expr)

    def set_bounds(self, target: Expr | Constraint, lb: Any = None, ub: Any = None) -> None:
        """New bounds for variables (a ``Var`` or a selection of one) or for a constraint block's
        rows (its right-hand sides); None keeps a side. A solved model re-solves warm after this."""
        if isinstance(target, Constraint):
            if target.model is not self or target.start is None:
                raise ModelError("set_bounds: this constraint is not part of the model")
            lower = target.lower.copy() if lb is None else np.broadcast_to(np.asarray(lb, float), (target.size,)).copy()
            upper = target.upper.copy() if ub is None else np.broadcast_to(np.asarray(ub, float), (target.size,)).copy()
            if np.any(lower > upper):
                raise ModelError(f"set_bounds: constraint {target.name!r} would have lower > upper")
            target.lower, target.upper = lower, upper
            if self._canonical is not None:
                form = self._canonical
                row_lower, row_upper = form.row_lower.copy(), form.row_upper.copy()
                row_lower[target.rows], row_upper[target.rows] = lower, upper
                self._canonical = _same_objective(form, row_lower=row_lower, row_upper=row_upper)
            return
        cols = columns_of(target, "set_bounds")
        lower, upper = self._bounds()
        try:
            if lb is not None:
                lower[cols] = np.broadcast_to(np.asarray(lb, dtype=float), cols.shape)
            if ub is not None:
                upper[cols] = np.broadcast_to(np.asarray(ub, dtype=float), cols.shape)
        except (ValueError, TypeError) as exc:
            raise ModelError(f"set_bounds: lb and ub must be numbers or arrays of the {cols.size} selected "
                             f"variables' shape ({exc})") from None
        if np.any(lower[cols] > upper[cols]):
            j = int(cols[np.flatnonzero(lower[cols] > upper[cols])[0]])
            raise ModelError(f"set_bounds: variable {self._column(j)} would have a lower bound above its upper "
                             f"bound ({lower[j]:g} > {upper[j]:g})")
        ends = [v.start + v.size for v in self.variables[:-1]]  # one array per block, as var() keeps them
        self._lb, self._ub = np.split(lower, ends), np.split(upper, ends)
        if self._canonical is not None:
            self._canonical = _same_objective(self._canonical, col_lower=lower.copy(), col_upper=upper.copy())

    def _column(self, j: int) -> str:
        """A name for column ``j`` in messages (its label, or block name and index)."""
        for v in self.variables:
            if v.start <= j < v.start + v.size:
                return _element(v.name, v.shape, j - v.start, v.keys, v.labels)
        return f"column {j}"

    def _bounds(self) -> tuple[np.ndarray, np.ndarray]:
        empty = np.zeros(0)  # new arrays: callers edit them
        return (np.concatenate(self._lb) if self._lb else empty), (np.concatenate(self._ub) if self._ub else empty)

    def sos1(self, variables: Expr, weights: Any = None, name: str | None = None) -> SOS:
        """At most one of ``variables`` is nonzero (a special ordered set of type 1)."""
        return self._sos(1, variables, weights, name)

    def sos2(self, variables: Expr, weights: Any = None, name: str | None = None) -> SOS:
        """At most two of ``variables`` are nonzero, and adjacent in ``weights`` order (type 2)."""
        return self._sos(2, variables, weights, name)

    def _sos(self, kind: int, variables: Expr, weights: Any, name: str | None) -> SOS:
        cols = columns_of(variables, f"sos{kind}")
        if np.unique(cols).size != cols.size:
            raise ModelError(f"an SOS{kind} set lists a variable twice")
        w = np.arange(1.0, cols.size + 1) if weights is None else np.asarray(weights, dtype=float).ravel()
        if w.shape != cols.shape:
            raise ModelError(f"an SOS{kind} set of {cols.size} variables needs {cols.size} weights, got {w.size}")
        if np.unique(w).size != w.size:
            raise ModelError(f"the weights of an SOS{kind} set must be distinct (they order the set)")
        order = np.argsort(w, kind="stable")
        sos = SOS(kind, cols[order], w[order], name or f"sos{len(self.sos)}")
        self.sos.append(sos)
        self._canonical = None
        return sos

    def indicator(self, binary: Expr, constraint: Constraint, active: int = 1, name: str | None = None) -> Constraint:
        """``constraint`` holds (row by row) where the binary variable ``binary`` equals ``active``;
        ``binary`` is one variable or one per row. Solved natively where the solver has indicator
        constraints, else by a big-M reduction with M from the variables' bounds."""
        if not isinstance(constraint, Constraint) or constraint.start is not None:
            raise ModelError("indicator takes a constraint not yet added, such as `x + y <= 3`")
        if constraint.model is not None and constraint.model is not self:
            raise ModelError("this constraint refers to variables of another model")
        if active not in (0, 1):
            raise ModelError(f"an indicator is active when its binary is 0 or 1, not {active!r}")
        cols = columns_of(binary, "indicator")
        if cols.size not in (1, constraint.size):
            raise ModelError(f"indicator: {cols.size} binaries for {constraint.size} rows (give one, or one per row)")
        lower, upper = self._bounds()
        integer = np.concatenate(self._integer)
        if not (integer[cols].all() and np.all(lower[cols] >= 0) and np.all(upper[cols] <= 1)):
            raise ModelError("indicator: the controlling variable must be binary (m.binary_var())")
        constraint.name = name or f"ind{len(self.indicators)}"
        self.indicators.append((np.broadcast_to(cols, (constraint.size,)).copy(), np.full(constraint.size, active),
                                constraint))
        self._canonical = None
        return constraint

    def _set_objective(self, sense: Sense, expr: Any) -> None:
        if isinstance(expr, QuadExpr):
            if expr.model is not None and expr.model is not self:
                raise ModelError("this objective refers to variables of another model")
            if expr.size != 1:
                raise ModelError(f"the objective must be a scalar, got shape {expr.shape} (use .sum())")
            expr = expr.reshape(())
        elif not getattr(expr, "requirement", None):
            expr = as_expr(expr)
            if expr.model is not None and expr.model is not self:
                raise ModelError("this objective refers to variables of another model")
            if expr.size != 1:
                raise ModelError(f"the objective must be a scalar, got shape {expr.shape} (use .sum())")
            expr = expr.reshape(())
        check_sense = getattr(expr, "check_sense", None)
        if check_sense is not None:  # e.g. a concave objective must be maximised
            check_sense(sense)
        self.objective = Objective(sense, expr)
        self._canonical = None

    def lazy(
        self, separate: Separator, name: str | None = None, fractional: bool = False, description: str = ""
    ) -> LazyFamily:
        """Attach a constraint family generated lazily by the oracle ``separate(x)``."""
        from optmodel.lazy import LazyFamily  # the row-generation machinery, loaded only for models that use it

        family = LazyFamily(separate, name or f"lazy{len(self.families)}", fractional, description)
        self.families.append(family)
        return family

    # --- what it needs and what it lowers to ---------------------------------------------
    @property
    def is_mip(self) -> bool:
        return any(_distinct(block).any() for block in self._integer)

    @property
    def is_linear(self) -> bool:
        """True when the model has a canonical LP/MIP form."""
        return self.objective is None or isinstance(self.objective.expr, (Expr, QuadExpr))

    @property
    def has_special(self) -> bool:
        """SOS sets, indicator constraints or semicontinuous variables."""
        return bool(self.sos or self.indicators) or any(_distinct(b).any() for b in self._semicontinuous)

    def requirements(self) -> frozenset[Capability]:
        """What a backend must be able to do to solve this model."""
        needs = set()
        discrete = self.is_mip or self.has_special
        if self.num_vars or self.is_linear:
            needs.add(Capability.MIP if discrete else Capability.LP)
        if not self.is_linear:
            needs.add(self.objective.requirement)
        elif self.objective is not None and isinstance(self.objective.expr, QuadExpr) and self.canonical().is_quadratic:
            form = self.canonical()
            if not form.is_convex():
                needs.add(Capability.NONCONVEX)
            else:
                needs.add(Capability.MIQP if discrete else Capability.QUADRATIC)
        return frozenset(needs)

    def canonical(self) -> CanonicalForm:
        """The model lowered to the shared sparse form (cached until the model changes)."""
        if self._canonical is None:
            self._canonical = self._lower()
        return self._canonical

    def _lower(self) -> CanonicalForm:
        n = self.num_vars
        obj = self.objective
        if obj is None:
            sense, c, offset = Sense.MINIMIZE, np.zeros(n), 0.0
        elif isinstance(obj.expr, Expr):
            sense = obj.sense
            c = _with_cols(obj.expr.coef, n).toarray().ravel()
            offset = float(obj.expr.const[0])
        elif isinstance(obj.expr, QuadExpr):
            sense = obj.sense
            Q, c, offset = obj.expr.form(n)
        else:
            raise ModelError("this model's objective is not linear; it has no canonical LP/MIP form")
        # One concatenation of the blocks, each made canonical only where it is not (stack_rows).
        A = stack_rows([con.coef for con in self.constraints], n)
        row_lower, row_upper = _joined_rows(self.constraints)
        self._share_rows(A, row_lower, row_upper)
        _check_finite(c, offset, A, row_lower, row_upper, self._lb, self._ub)
        if obj is not None and isinstance(obj.expr, QuadExpr) and not np.all(np.isfinite(Q.data)):
            raise ModelError("the objective has a NaN or infinite quadratic coefficient")
        return CanonicalForm(
            sense=sense,
            c=c,
            offset=offset,
            A=A,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=_joined(self._lb),
            col_upper=_joined(self._ub),
            integrality=_joined(self._integer, bool),
            col_names=Names([(v.name, v.start, v.size, _labels(v), v.shape == ()) for v in self.variables]),
            row_names=Names(
                [(k.name or "", k.start or 0, k.size, k.labels, k.shape == ()) for k in self.constraints]
            ),
            name=self.name,
            Q=Q if obj is not None and isinstance(obj.expr, QuadExpr) else None,
            semicontinuous=_joined(self._semicontinuous, bool) if self._semicontinuous and self.has_special else None,
            sos=tuple(self.sos),
            indicators=self._indicator_rows(n),
        )

    def _share_rows(self, A: sp.csr_array, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
        """Each constraint's coefficients and bounds become views of its rows of the form's arrays:
        the blocks' own arrays are freed (room for the solver's copy) unless something else holds
        them. The views are read-only: ``set_bounds`` replaces a block's bounds, and a write into
        them raises instead of changing a form that a solver already holds."""
        if len(self.constraints) < 2:
            return
        for con in self.constraints:
            start, end = con.start, con.start + con.size
            first, last = int(A.indptr[start]), int(A.indptr[end])
            own = con.coef
            if isinstance(own, sp.csr_array) and own.has_canonical_format and own.indptr.dtype == A.indptr.dtype \
                    and own.indptr[0] == 0 and own.indptr[-1] == last - first:  # as A holds them: its own pointers
                indptr = own.indptr
            else:  # stack_rows changed it (explicit zeros dropped, or given in another format)
                indptr = A.indptr[start : end + 1] - A.indptr[start]
            con.coef = _csr_view(_read_only(A.data[first:last]), _read_only(A.indices[first:last]), indptr,
                                 (con.size, own.shape[1]))
            con.lower = _read_only(row_lower[start:end])
            con.upper = con.lower if row_upper is row_lower else _read_only(row_upper[start:end])

    def _indicator_rows(self, n: int) -> Indicators | None:
        if not self.indicators:
            return None
        blocks = [con for _, _, con in self.indicators]
        return Indicators(
            binary=np.concatenate([cols for cols, _, _ in self.indicators]),
            active=np.concatenate([act for _, act, _ in self.indicators]),
            A=sp.csr_array(sp.vstack([_with_cols(con.coef, n) for con in blocks], format="csr")),
            lower=np.concatenate([con.lower for con in blocks]),
            upper=np.concatenate([con.upper for con in blocks]),
            names=Names(_indicator_names(blocks)),
        )

    @classmethod
    def from_canonical(cls, form: CanonicalForm) -> tuple[Model, Var, Constraint]:
        """A model holding ``form`` as one variable block and one constraint block (files)."""
        m = cls(form.name)
        x = m.var(
            form.num_cols,
            lb=form.col_lower,
            ub=form.col_upper,
            name="x",
            labels=list(form.col_names) if len(form.col_names) == form.num_cols else None,
        )
        m._integer[-1] = form.integrality.astype(bool).copy()
        if form.semicontinuous is not None:
            m._semicontinuous[-1] = form.semicontinuous.astype(bool).copy()
        m.sos = list(form.sos)
        rows = Constraint(sp.csr_array(form.A), form.row_lower, form.row_upper, (form.num_rows,), m)
        if len(form.row_names) == form.num_rows:
            rows.labels = form.row_names
        m.add(rows, name="row")
        ind = form.indicators
        if ind is not None:
            block = Constraint(sp.csr_array(ind.A), ind.lower, ind.upper, (ind.count,), m)
            block.name = "indicator"
            if len(ind.names) == ind.count:
                block.labels = ind.names
            m.indicators.append((ind.binary.astype(np.int64), ind.active.astype(np.int64), block))
        objective = x @ form.c + form.offset
        if form.Q is not None:
            objective = 0.5 * (x @ (form.Q @ x)) + objective
        m._set_objective(form.sense, objective)
        return m, x, rows

    def solve(self, backend: str | None = None, **options: Any) -> Solution:
        """Solve with ``backend`` (a name such as ``"highs"`` or ``"ortools:glop"``, or the best
        installed one); options are those of ``optmodel.SolveOptions``."""
        from optmodel.dispatch import solve

        return solve(self, backend=backend, **options)

    def _repr_latex_(self) -> str:
        from optmodel.explain import formulation

        return "$$\\begin{array}{l}" + formulation(self)[1] + "\\end{array}$$"

    def _repr_html_(self) -> str:
        from optmodel.explain import model_html

        return model_html(self)

    def __repr__(self) -> str:
        return f"<Model {self.name!r}: {self.num_vars} variables, {self.num_rows} constraints>"


def _same_objective(form: CanonicalForm, **changes: Any) -> CanonicalForm:
    """``form`` with new bounds; the objective is the same, so its convexity need not be decided again."""
    new = dataclasses.replace(form, **changes)
    if "_convex" in form.__dict__:
        new.__dict__["_convex"] = form.__dict__["_convex"]
    return new


def _indicator_names(blocks: list[Constraint]) -> list[tuple[str, int, int, Sequence[str] | None, bool]]:
    out, start = [], 0
    for con in blocks:
        out.append((con.name or "", start, con.size, con.labels, con.shape == ()))
        start += con.size
    return out


def columns_of(expr: Any, what: str) -> np.ndarray:
    """The model columns of an expression that is a selection of variables (each element one
    variable with coefficient 1), e.g. ``x``, ``x[2:5]`` or ``x[[a, b]]``."""
    if not isinstance(expr, Expr):
        raise ModelError(f"{what} takes variables (a Var or a selection of one), got {type(expr).__name__}")
    coef = sp.csr_array(expr.coef)
    if not (np.all(np.diff(coef.indptr) == 1) and np.all(coef.data == 1.0) and not expr.const.any()):
        raise ModelError(f"{what} takes variables (a Var or a selection of one), not a general expression")
    return coef.indices.astype(np.int64)


def _check_finite(c: np.ndarray, offset: float, A: sp.csr_array, row_lower: np.ndarray, row_upper: np.ndarray,
                  lb: list[np.ndarray], ub: list[np.ndarray]) -> None:
    """NaN or infinite data would make every later check meaningless: refuse it here (one pass per
    array, a sum, where the data is clean; the entry-wise test only where the sum is not)."""
    if not (_all_finite(c) and np.isfinite(offset)):
        raise ModelError("the objective has a NaN or infinite coefficient")
    if not _all_finite(A.data[: A.nnz]):
        raise ModelError("a constraint has a NaN or infinite coefficient")
    if _has_nan(row_lower) or _has_nan(row_upper):
        raise ModelError("a constraint has a NaN right-hand side")
    if any(_has_nan(_distinct(b)) for b in (*lb, *ub)):
        raise ModelError("a variable has a NaN bound")


def _all_finite(a: np.ndarray) -> bool:
    with np.errstate(over="ignore", invalid="ignore"):
        return bool(np.isfinite(a.sum())) or bool(np.isfinite(a).all())


def _flat(value: Any, shape: tuple[int, ...], dtype: type = float) -> np.ndarray:
    """``value`` broadcast to ``shape``, flattened: a read-only view where it is one number (no
    memory per variable; the model never writes its column arrays in place), else a copy (np.array
    copies the broadcast once; ravel() of a broadcast is a copy already)."""
    a = np.asarray(value, dtype=dtype)
    if a.ndim == 0:
        return np.broadcast_to(a, (math.prod(shape),))
    return np.array(np.broadcast_to(a, shape)).reshape(-1)


def _distinct(block: np.ndarray) -> np.ndarray:
    """The entries that differ: one for a block of one number (``_flat``'s view), else all."""
    return block[:1] if block.strides == (0,) else block


def _joined(blocks: list[np.ndarray], dtype: type = float) -> np.ndarray:
    """The column arrays of all blocks as one array (the block itself where there is one, stored
    whole; a single write otherwise)."""
    if len(blocks) == 1 and blocks[0].strides[0] == blocks[0].itemsize:
        return _read_only(blocks[0])  # the model's own array, now the form's too
    return np.concatenate(blocks) if blocks else np.zeros(0, dtype=dtype)


def _read_only(a: np.ndarray) -> np.ndarray:
    """``a``, locked: an array the model and its form share must not change under either."""
    a.setflags(write=False)
    return a


def _joined_rows(constraints: list[Constraint]) -> tuple[np.ndarray, np.ndarray]:
    """All rows' lower and upper bounds; one array for both where every block is equations."""
    if len(constraints) == 1:
        return constraints[0].lower, constraints[0].upper
    if not constraints:
        return np.zeros(0), np.zeros(0)
    lower = _read_only(np.concatenate([con.lower for con in constraints]))  # the blocks' views are of these
    if all(con.lower is con.upper for con in constraints):
        return lower, lower
    return lower, _read_only(np.concatenate([con.upper for con in constraints]))


def _has_nan(a: np.ndarray) -> bool:
    with np.errstate(invalid="ignore"):  # inf + -inf is NaN too: then look entry by entry
        return bool(np.isnan(a.sum())) and bool(np.isnan(a).any())


def _shape(shape: Any, name: str | None) -> tuple[int, ...]:
    """``shape`` as a tuple of non-negative ints; anything else is a ModelError that says so."""
    if type(shape) is int:  # the common cases first, at almost no cost
        if shape >= 0:
            return (shape,)
    elif type(shape) is tuple and (not shape or all(type(s) is int and s >= 0 for s in shape)):
        return shape
    dims = (shape,) if isinstance(shape, (int, np.integer)) else shape
    try:
        out = tuple(operator.index(s) for s in dims)
    except TypeError:
        out = None
    if out is None or min(out, default=0) < 0 or bool in map(type, dims):
        what = f"variable {name!r}" if name else "Model.var"
        raise ModelError(f"{what}: shape must be a non-negative integer or a tuple of them, got {shape!r}")
    return out


def _element(name: str, shape: tuple[int, ...], k: int, keys: Sequence[Hashable] | None,
             labels: Sequence[str] | None) -> str:
    """Element ``k`` (flat) of variable block ``name``, as messages name it."""
    if labels is not None and len(labels) > k:
        return repr(labels[k])
    if keys is not None:
        return f"{name}[{keys[k]!r}]"
    if not shape:
        return repr(name)
    return f"{name}[{', '.join(str(int(i)) for i in np.unravel_index(k, shape))}]"


def _labels(v: Var) -> Sequence[str] | None:
    if v.labels is not None:
        return v.labels
    if v.keys is not None:
        return _KeyLabels(v.name, v.keys)
    return None


class _KeyLabels(Sequence[str]):
    """``name[key]`` for keyed variables, made only when asked for."""

    def __init__(self, name: str, keys: list[Hashable]):
        self.name, self.keys = name, keys

    def __len__(self) -> int:
        return len(self.keys)

    def __getitem__(self, i):  # type: ignore[override]
        key = self.keys[i]
        inner = ",".join(map(str, key)) if isinstance(key, tuple) else str(key)
        return f"{self.name}[{inner}]"

