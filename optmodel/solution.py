"""Results: why the solver stopped, what the point is worth, and the values.

As in MathOptInterface and Pyomo's newer solver interface, the solver's *termination condition*
(why it stopped) is kept apart from the *solution status* (what the returned point is). The
user-facing ``status`` summarises both, and is ``optimal`` only after optmodel's own check.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from optmodel.certificates import Certificate
    from optmodel.expr import Constraint, Expr, Var
    from optmodel.model import Model


class Termination(str, Enum):
    OPTIMAL = "optimal"
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    INTERRUPTED = "interrupted"
    NUMERICAL_ERROR = "numerical_error"
    ERROR = "error"
    OTHER = "other"


class SolutionStatus(str, Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"
    INFEASIBLE = "infeasible"  # a point was returned but it violates constraints
    NO_SOLUTION = "no_solution"


class Status(str, Enum):
    OPTIMAL = "optimal"
    FEASIBLE = "feasible"  # a verified feasible point, without proof of optimality
    INFEASIBLE = "infeasible"
    UNBOUNDED = "unbounded"
    INFEASIBLE_OR_UNBOUNDED = "infeasible_or_unbounded"
    TIME_LIMIT = "time_limit"
    ITERATION_LIMIT = "iteration_limit"
    INTERRUPTED = "interrupted"
    UNVERIFIED = "unverified"  # the solver claimed a solution that failed optmodel's check
    ERROR = "error"


_LIMIT_STATUS = {
    Termination.TIME_LIMIT: Status.TIME_LIMIT,
    Termination.ITERATION_LIMIT: Status.ITERATION_LIMIT,
    Termination.INTERRUPTED: Status.INTERRUPTED,
}

_MESSAGES = {
    Status.INFEASIBLE: "The model is infeasible: no point satisfies all constraints and bounds.",
    Status.UNBOUNDED: "The model is unbounded: the objective can be improved without limit.",
    Status.INFEASIBLE_OR_UNBOUNDED: "The model is infeasible or unbounded (the solver did not tell which).",
    Status.TIME_LIMIT: "The time limit was reached",
    Status.ITERATION_LIMIT: "The iteration limit was reached",
    Status.INTERRUPTED: "The solve was interrupted",
}


@dataclass
class Verification:
    """optmodel's own check of a returned point, independent of the solver."""

    max_bound_violation: float = 0.0
    max_row_violation: float = 0.0
    max_integrality_violation: float = 0.0
    max_special_violation: float = 0.0  # SOS sets and active indicator rows
    objective_recomputed: float | None = None
    objective_error: float = 0.0  # |solver objective - recomputed| relative
    dual_objective: float | None = None
    duality_gap: float | None = None  # relative, when duals exist
    max_dual_violation: float | None = None
    feasible: bool = True
    point: bool = True  # a point was returned and checked (False: nothing to check)
    problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems

    def to_dict(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self.__dict__.items()}


@dataclass
class Solution:
    status: Status
    termination: Termination
    solution_status: SolutionStatus
    objective: float | None = None
    bound: float | None = None  # best proven bound on the objective (MIP dual bound)
    gap: float | None = None  # relative gap between objective and bound
    x: np.ndarray | None = None  # column values of the canonical form
    row_duals: np.ndarray | None = None
    reduced_costs: np.ndarray | None = None
    backend: str = ""
    backend_version: str = ""
    build_seconds: float = 0.0
    solve_seconds: float = 0.0
    message: str = ""
    verification: Verification | None = None
    iis: list[str] | None = None  # constraint and bound names of an irreducible infeasible subsystem
    stats: dict[str, Any] = field(default_factory=dict)  # solver-specific counts (nodes, cuts, ...)
    parameters: Any = field(default=None, repr=False)  # minimax: {player: trained tensors}
    model: Model | None = field(default=None, repr=False)
    # The Farkas ray of an infeasible LP or the primal ray (and feasible point) of an unbounded one,
    # as checked by optmodel (``optmodel.certificates``); None when there is none.
    certificate: Certificate | None = field(default=None, repr=False)

    @property
    def has_values(self) -> bool:
        return self.x is not None

    def _values(self) -> np.ndarray:
        if self.x is None:
            raise ValueError(f"no solution values (status {self.status.value}): {self.message}")
        return self.x

    def _own(self, thing: Any) -> None:
        owner = getattr(thing, "model", None)
        if self.model is not None and owner is not None and owner is not self.model:
            raise ValueError("this expression belongs to another model than the one solved")

    def __getitem__(self, expr: Expr) -> np.ndarray | float:
        """Values of a variable or expression, shaped like it."""
        self._own(expr)
        return expr.value(self._values())

    def value(self, expr: Expr) -> np.ndarray | float:
        return self[expr]

    def by_key(self, var: Var) -> dict[Any, float]:
        """``{key: value}`` for a keyed variable."""
        if var.keys is None:
            raise ValueError(f"variable {var.name!r} is not indexed by keys")
        return dict(zip(var.keys, self._values()[var.columns].tolist()))

    def dual(self, constraint: Constraint) -> np.ndarray | float:
        """Row duals of a constraint block (d objective / d right-hand side)."""
        self._own(constraint)
        if self.row_duals is None:
            raise ValueError(f"no duals from backend {self.backend!r} for this model")
        d = self.row_duals[constraint.rows]
        return float(d[0]) if constraint.shape == () else d.reshape(constraint.shape)

    def reduced_cost(self, var: Var) -> np.ndarray | float:
        self._own(var)
        if not hasattr(var, "columns"):
            raise ValueError("reduced costs are per variable block: pass the Var (then index the result)")
        if self.reduced_costs is None:
            raise ValueError(f"no reduced costs from backend {self.backend!r} for this model")
        r = self.reduced_costs[var.columns]
        return float(r[0]) if var.shape == () else r.reshape(var.shape)

    @property
    def certified(self) -> bool:
        """Optimal with an LP certificate: primal feasible, dual feasible, equal objectives; or
        infeasible with a checked Farkas ray, or unbounded with a checked feasible point and ray."""
        if self.status in (Status.INFEASIBLE, Status.UNBOUNDED):
            kind = "farkas" if self.status is Status.INFEASIBLE else "primal_ray"
            c = self.certificate
            return c is not None and c.checked and c.kind == kind
        v = self.verification
        return self.status is Status.OPTIMAL and v is not None and v.passed and v.duality_gap is not None

    @property
    def seconds(self) -> float:
        return self.build_seconds + self.solve_seconds

    def to_dict(self, values: bool = False) -> dict[str, Any]:
        """A JSON-ready summary; ``values`` adds the column values."""
        out: dict[str, Any] = {
            "status": self.status.value,
            "termination": self.termination.value,
            "solution_status": self.solution_status.value,
            "objective": _jsonable(self.objective),
            "bound": _jsonable(self.bound),
            "gap": _jsonable(self.gap),
            "backend": self.backend,
            "backend_version": self.backend_version,
            "build_seconds": round(self.build_seconds, 6),
            "solve_seconds": round(self.solve_seconds, 6),
            "message": self.message,
            "certified": self.certified,
        }
        if self.verification is not None:
            out["verification"] = self.verification.to_dict()
        if self.iis is not None:
            out["iis"] = self.iis
        if self.certificate is not None:
            out["certificate"] = self.certificate.to_dict(values)
        if self.stats:
            out["stats"] = {k: _jsonable(v) for k, v in self.stats.items()}
        if values and self.x is not None:
            out["x"] = self.x.tolist()
        return out


def finalize_status(sol: Solution) -> None:
    """Derive the user-facing status and message from termination, solution status and check."""
    v = sol.verification
    verified = v is not None and v.passed
    has_point = v is not None and v.point
    term = sol.termination
    if term is Termination.OPTIMAL:
        sol.status = Status.OPTIMAL if verified else Status.UNVERIFIED
    elif term in _LIMIT_STATUS:
        sol.status = _LIMIT_STATUS[term]
        verified = v is not None and v.feasible  # an unfinished solve is judged by its point alone
        if has_point and not verified:
            sol.solution_status = SolutionStatus.INFEASIBLE
    elif term is Termination.INFEASIBLE:
        sol.status = Status.INFEASIBLE
    elif term is Termination.UNBOUNDED:
        sol.status = Status.UNBOUNDED
    elif term is Termination.INFEASIBLE_OR_UNBOUNDED:
        sol.status = Status.INFEASIBLE_OR_UNBOUNDED
    else:
        sol.status = Status.FEASIBLE if (has_point and verified) else Status.ERROR
    if sol.status is Status.UNVERIFIED and v is not None:
        sol.message = "The solver reported optimal but optmodel's check failed: " + "; ".join(v.problems)
    elif sol.status in _MESSAGES and not sol.message:
        text = _MESSAGES[sol.status]
        if sol.status in _LIMIT_STATUS.values():
            if has_point and verified:
                gap = f" (gap {sol.gap:.3g})" if sol.gap is not None and math.isfinite(sol.gap) else ""
                text += f"; returning the best solution found{gap}."
            else:
                text += " before a feasible solution was found."
        sol.message = text


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return f if math.isfinite(f) else (None if math.isnan(f) else ("inf" if f > 0 else "-inf"))
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v
