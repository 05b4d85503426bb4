"""Convex atoms for objectives: ``log`` of an affine expression, with DCP-style curvature rules.

>>> import optmodel as om
>>> m = om.Model()
>>> p = m.var(lb=0, ub=1)
>>> m.maximize(3 * om.log(p) + 7 * om.log(1 - p))   # a concave objective, maximised

A ``LogExpr`` is ``Σ_t w_t log(a_t(x)) + affine(x)`` elementwise: log terms with weights, plus an
affine ``Expr``. Weights of one sign keep it concave (all ``>= 0``) or convex (all ``<= 0``); an
operation that would mix them raises ``ModelError`` at once, as a DCP checker would. As an
objective it carries ``requirement = Capability.CONVEX``, so only backends declaring CONVEX take it
(``Model.canonical()`` keeps refusing it); ``check_objective`` then requires maximising a concave
or minimising a convex one.
"""

from __future__ import annotations

import copy
import dataclasses
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel._scipy import issparse
from optmodel._scipy import sparse as sp
from optmodel.backend import Capability
from optmodel.errors import ModelError
from optmodel.expr import Expr, _broadcast_shapes, _with_cols, as_expr

if TYPE_CHECKING:
    from optmodel.canonical import CanonicalForm, Sense
    from optmodel.model import Model
    from optmodel.solution import Solution, Verification

Shape = tuple[int, ...]


class LogExpr:
    """An array of ``Σ w·log(affine) + affine`` terms; build it with ``optmodel.log``."""

    __array_ufunc__ = None  # numpy defers to our reflected operators (``w * log(x)``)
    __array_priority__ = 1001
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, arg: Expr, weight: np.ndarray, out: np.ndarray, affine: Expr):
        # Term k is weight[k] * log(arg.coef[k] @ x + arg.const[k]), added to output element out[k].
        self.arg = arg
        self.weight = weight
        self.out = out
        self.affine = affine
        self.shape: Shape = affine.shape
        if np.any(weight > 0) and np.any(weight < 0):
            raise ModelError(
                "this expression is neither convex nor concave: it adds log terms with positive and "
                "negative weights (a sum of logs must have weights of one sign)"
            )

    # --- what it is -------------------------------------------------------------------------
    @property
    def model(self) -> Model | None:
        return self.arg.model if self.arg.model is not None else self.affine.model

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def is_concave(self) -> bool:
        return not np.any(self.weight < 0)

    @property
    def is_convex(self) -> bool:
        return not np.any(self.weight > 0)

    @property
    def curvature(self) -> str:
        if self.is_concave and self.is_convex:
            return "affine"
        return "concave" if self.is_concave else "convex"

    @property
    def requirement(self) -> Capability:
        """What a backend needs to optimise this (read by ``Model`` when it becomes the objective)."""
        if self.shape != ():
            raise ModelError(f"the objective must be a scalar, got shape {self.shape} (use .sum())")
        return Capability.CONVEX

    # --- algebra ----------------------------------------------------------------------------
    def _with(self, weight: np.ndarray, affine: Expr, out: np.ndarray | None = None) -> LogExpr:
        return LogExpr(self.arg, weight, self.out if out is None else out, affine)

    def __neg__(self) -> LogExpr:
        return self._with(-self.weight, -self.affine)

    def __pos__(self) -> LogExpr:
        return self

    def __mul__(self, other: Any) -> LogExpr:
        if isinstance(other, (Expr, LogExpr)):
            raise ModelError("a log term times a variable expression is neither convex nor concave")
        w = np.asarray(other.toarray() if issparse(other) else other, dtype=float)
        if _broadcast_shapes(self.shape, w.shape) != self.shape:
            raise ModelError(f"weights of shape {w.shape} would change the log expression's shape {self.shape}")
        flat = np.broadcast_to(w, self.shape).ravel()
        return self._with(self.weight * flat[self.out], self.affine * w)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> LogExpr:
        if isinstance(other, (Expr, LogExpr)):
            raise ModelError("division by a variable expression is neither convex nor concave")
        return self * (1.0 / np.asarray(other, dtype=float))

    def __add__(self, other: Any) -> LogExpr:
        if isinstance(other, LogExpr):
            if self.shape != other.shape:
                raise ModelError(f"log expressions of shapes {self.shape} and {other.shape} cannot be added")
            if {self.curvature, other.curvature} == {"concave", "convex"}:
                raise ModelError(
                    f"adding a {self.curvature} and a {other.curvature} log expression gives one that "
                    "is neither convex nor concave"
                )
            cols = max(self.arg.coef.shape[1], other.arg.coef.shape[1])
            arg = Expr(
                sp.csr_array(sp.vstack([_with_cols(self.arg.coef, cols), _with_cols(other.arg.coef, cols)])),
                np.concatenate([self.arg.const, other.arg.const]),
                (self.arg.size + other.arg.size,),
                self.arg._model_of(other.arg),
            )
            return LogExpr(
                arg,
                np.concatenate([self.weight, other.weight]),
                np.concatenate([self.out, other.out]),
                self.affine + other.affine,
            )
        affine = self.affine + as_expr(other)
        if affine.shape != self.shape:
            raise ModelError(
                f"adding shape {as_expr(other).shape} would change the log expression's shape {self.shape}"
            )
        return self._with(self.weight, affine)

    __radd__ = __add__

    def __sub__(self, other: Any) -> LogExpr:
        return self + (-other)

    def __rsub__(self, other: Any) -> LogExpr:
        return (-self) + other

    def sum(self) -> LogExpr:
        """The sum of all elements (a scalar, ready to be an objective)."""
        return self._with(self.weight, self.affine.sum(), np.zeros(self.out.shape, dtype=np.int64))

    def dot(self, weights: Any) -> LogExpr:
        return (self * weights).sum()

    # --- not allowed ------------------------------------------------------------------------
    def _no_constraint(self, *_: Any) -> Any:
        raise ModelError("log expressions may only be used in the objective, not in constraints")

    __le__ = __ge__ = __eq__ = __lt__ = __gt__ = _no_constraint  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise TypeError("a log expression has no truth value")

    # --- values -----------------------------------------------------------------------------
    def value(self, x: np.ndarray) -> np.ndarray | float:
        """The expression at column values ``x`` (``-inf`` / ``nan`` outside the log's domain)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = self.weight * np.log(np.asarray(self.arg.value(x)).ravel())
        terms = np.where(self.weight == 0, 0.0, terms)
        total = np.bincount(self.out, weights=terms, minlength=self.size) + np.asarray(self.affine.value(x)).ravel()
        return float(total[0]) if self.shape == () else total.reshape(self.shape)

    def check_sense(self, sense: Sense) -> None:
        """Concave expressions are maximised, convex ones minimised (DCP); else a clear error."""
        if sense.sign < 0 and not self.is_concave:
            raise ModelError(
                "cannot maximize a convex log expression (the optimum is unbounded or at a vertex); "
                "maximize a concave one (nonnegative weights on the logs) or minimize this one"
            )
        if sense.sign > 0 and not self.is_convex:
            raise ModelError(
                "cannot minimize a concave log expression; minimize a convex one (nonpositive weights "
                "on the logs, e.g. -log(x)) or maximize this one"
            )

    def verify(self, sol: Solution) -> Verification:
        """optmodel's check of an answer for this objective (called by the core after the solve).

        The point must satisfy the model's linear constraints and bounds (the same normalised form
        the LP/MIP path verifies against) and lie inside the log's domain; the objective is
        recomputed from this expression. Where the solver gave duals (an optimal continuous
        solve), the KKT conditions are checked on the model with each log argument as a column
        ``u_k = a_k x + b_k``, linearised at the point: at an optimum of a concave maximisation
        (convex minimisation) the point also solves that LP, whose duals are the solver's plus
        ``w_k / u_k`` (the log's derivative) on the rows defining ``u``; optmodel's LP check then
        judges stationarity against the size of the gradient's terms, the signs, and
        complementary slackness (the LP's duality gap). Without duals, no optimality check.
        """
        from optmodel.reductions import prepare
        from optmodel.solution import Verification
        from optmodel.verify import check_objective, verify

        model = self.model if self.model is not None else sol.model
        if model is None:  # a log of constants only, outside any solve
            return Verification(feasible=False, point=False, problems=["no model to check the answer against"])
        form = prepare(constraint_form(model))[0]
        x = sol.x
        if x is None or x.shape != (form.num_cols,) or not np.all(np.isfinite(x)):
            return verify(form, sol)  # no point, or a malformed one: said so there
        value = float(self.value(x))
        if not np.isfinite(value):
            v = verify(form, dataclasses.replace(sol, objective=None, row_duals=None, reduced_costs=None))
            v.objective_recomputed, v.feasible = None, False
            v.problems.append("the point is outside the log's domain (an argument is <= 0)")
            return v
        if sol.row_duals is None:
            v = verify(form, dataclasses.replace(sol, objective=None))
        else:
            v = verify(*self._linearised(form, sol, value))
        check_objective(v, sol.objective, value)
        return v

    def _linearised(self, form: CanonicalForm, sol: Solution, value: float) -> tuple[CanonicalForm, Solution]:
        """The LP (and the answer in its terms) whose certificate is the KKT conditions at ``sol.x``:
        columns ``[x, u]``, rows ``[A x, u - A_log x = b_log]``, objective ``c x + Σ (w/u) u`` plus the
        constant that makes this first-order model equal the objective at the point."""
        n = form.num_cols
        keep = np.flatnonzero(self.weight != 0)
        arg = sp.csr_array(_with_cols(self.arg.coef, n))[keep]
        b = self.arg.const[keep]
        u = arg @ sol.x + b
        nu = self.weight[keep] / u  # d objective / d u: the duals of the rows defining u
        k = keep.size
        top = sp.hstack([form.A, sp.csr_array((form.num_rows, k))])
        A = sp.vstack([top, sp.hstack([-arg, sp.identity(k, format="csr")])])
        c = np.concatenate([_with_cols(self.affine.coef, n).toarray().ravel(), nu])
        x = np.concatenate([sol.x, u])
        lifted = dataclasses.replace(
            form,
            c=c,
            offset=value - float(c @ x),
            A=sp.csr_array(A),
            row_lower=np.concatenate([form.row_lower, b]),
            row_upper=np.concatenate([form.row_upper, b]),
            col_lower=np.concatenate([form.col_lower, np.full(k, -np.inf)]),
            col_upper=np.concatenate([form.col_upper, np.full(k, np.inf)]),
            integrality=np.concatenate([form.integrality, np.zeros(k, dtype=bool)]),
        )
        z = sol.reduced_costs
        answer = dataclasses.replace(
            sol,
            x=x,
            objective=None,
            row_duals=np.concatenate([sol.row_duals, nu]),
            reduced_costs=None if z is None else np.concatenate([z, np.zeros(k)]),
        )
        return lifted, answer

    def __repr__(self) -> str:
        return f"<LogExpr {self.curvature} shape={self.shape} terms={self.weight.size}>"


def log(expr: Any) -> LogExpr:
    """Elementwise natural logarithm of an affine expression (concave; its domain is ``expr > 0``)."""
    if isinstance(expr, LogExpr):
        raise ModelError("log of a log expression is not supported (log takes an affine expression)")
    e = as_expr(expr)
    size = e.size
    flat = Expr(e.coef, e.const, (size,), e.model)
    zero = Expr(sp.csr_array((size, 0)), np.zeros(size), e.shape, None)
    return LogExpr(flat, np.ones(size), np.arange(size), zero)


def check_objective(model: Model) -> LogExpr:
    """The model's log objective, if it is concave and maximised or convex and minimised."""
    obj = model.objective
    if obj is None or not isinstance(obj.expr, LogExpr):
        raise ModelError("the model's objective is not a log expression")
    expr = obj.expr
    if expr.shape != ():
        raise ModelError(f"the objective must be a scalar, got shape {expr.shape} (use .sum())")
    expr.check_sense(obj.sense)
    return expr


def constraint_form(model: Model, offset: float = 0.0) -> CanonicalForm:
    """The canonical form of the model's linear part: its constraints and bounds, objective 0 + offset.

    Lowered by ``Model.canonical`` itself on a shallow copy whose objective is dropped.
    """
    linear = copy.copy(model)
    linear.objective = None
    linear._canonical = None
    form = linear.canonical()
    sense = model.objective.sense if model.objective is not None else form.sense
    return dataclasses.replace(form, sense=sense, offset=offset)
