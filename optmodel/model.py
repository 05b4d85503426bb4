"""``Model``: variables, constraints and an objective, stated once and solved by any backend."""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Capability
from optmodel.canonical import CanonicalForm, Names, Sense
from optmodel.errors import ModelError
from optmodel.expr import Constraint, Expr, Var, _with_cols, as_expr
from optmodel.lazy import LazyFamily, Separator

if TYPE_CHECKING:
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
        name: str | None = None,
        labels: Sequence[str] | None = None,
    ) -> Var:
        """A block of variables, by shape or indexed by hashable ``keys`` (e.g. graph edges).

        Bounds broadcast to the shape; variables are free unless bounded (as in JuMP, Pyomo,
        CVXPY). ``binary`` means integer in [0, 1]. ``labels`` gives each element's name (MPS).
        """
        if keys is not None:
            keys = list(keys)
            shape = (len(keys),)
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
        size = math.prod(shape)
        name = name or f"x{len(self.variables)}"
        if binary:
            integer = True
            lb = np.maximum(lb, 0.0)
            ub = np.minimum(ub, 1.0)
        lower = np.broadcast_to(np.asarray(lb, dtype=float), shape).ravel().copy()
        upper = np.broadcast_to(np.asarray(ub, dtype=float), shape).ravel().copy()
        if np.any(lower > upper):
            raise ModelError(f"variable {name!r} has a lower bound above its upper bound")
        if labels is not None and len(labels) != size:
            raise ModelError(f"variable {name!r}: {len(labels)} labels for {size} elements")
        v = Var(self, name, self.num_vars, shape, keys=keys, labels=labels)
        self.variables.append(v)
        self._lb.append(lower)
        self._ub.append(upper)
        self._integer.append(np.full(size, bool(integer)))
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

    def _set_objective(self, sense: Sense, expr: Any) -> None:
        if not getattr(expr, "requirement", None):
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
        family = LazyFamily(separate, name or f"lazy{len(self.families)}", fractional, description)
        self.families.append(family)
        return family

    # --- what it needs and what it lowers to ---------------------------------------------
    @property
    def is_mip(self) -> bool:
        return any(block.any() for block in self._integer)

    @property
    def is_linear(self) -> bool:
        """True when the model has a canonical LP/MIP form."""
        return self.objective is None or isinstance(self.objective.expr, Expr)

    def requirements(self) -> frozenset[Capability]:
        """What a backend must be able to do to solve this model."""
        needs = set()
        if self.num_vars or self.is_linear:
            needs.add(Capability.MIP if self.is_mip else Capability.LP)
        if not self.is_linear:
            needs.add(self.objective.requirement)
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
        else:
            raise ModelError("this model's objective is not linear; it has no canonical LP/MIP form")
        if len(self.constraints) == 1:
            A = _with_cols(self.constraints[0].coef, n)
            row_lower, row_upper = self.constraints[0].lower, self.constraints[0].upper
        elif self.constraints:
            A = sp.vstack([_with_cols(con.coef, n) for con in self.constraints], format="csr")
            row_lower = np.concatenate([con.lower for con in self.constraints])
            row_upper = np.concatenate([con.upper for con in self.constraints])
        else:
            A = sp.csr_array((0, n))
            row_lower = row_upper = np.zeros(0)
        A = sp.csr_array(A)
        A.sum_duplicates()
        A.eliminate_zeros()
        _check_finite(c, offset, A, row_lower, row_upper, self._lb, self._ub)
        empty = np.zeros(0)
        return CanonicalForm(
            sense=sense,
            c=c,
            offset=offset,
            A=A,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=np.concatenate(self._lb) if self._lb else empty,
            col_upper=np.concatenate(self._ub) if self._ub else empty,
            integrality=np.concatenate(self._integer) if self._integer else np.zeros(0, dtype=bool),
            col_names=Names([(v.name, v.start, v.size, _labels(v), v.shape == ()) for v in self.variables]),
            row_names=Names(
                [(k.name or "", k.start or 0, k.size, k.labels, k.shape == ()) for k in self.constraints]
            ),
            name=self.name,
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
        rows = Constraint(sp.csr_array(form.A), form.row_lower, form.row_upper, (form.num_rows,), m)
        if len(form.row_names) == form.num_rows:
            rows.labels = form.row_names
        m.add(rows, name="row")
        m._set_objective(form.sense, x @ form.c + form.offset)
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


def _check_finite(c: np.ndarray, offset: float, A: sp.csr_array, row_lower: np.ndarray, row_upper: np.ndarray,
                  lb: list[np.ndarray], ub: list[np.ndarray]) -> None:
    """NaN or infinite data would make every later check meaningless: refuse it here."""
    if not (np.all(np.isfinite(c)) and np.isfinite(offset)):
        raise ModelError("the objective has a NaN or infinite coefficient")
    if not np.all(np.isfinite(A.data)):
        raise ModelError("a constraint has a NaN or infinite coefficient")
    if np.isnan(row_lower).any() or np.isnan(row_upper).any():
        raise ModelError("a constraint has a NaN right-hand side")
    if any(np.isnan(b).any() for b in (*lb, *ub)):
        raise ModelError("a variable has a NaN bound")


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

