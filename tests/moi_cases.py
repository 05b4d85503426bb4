"""LP and MIP test problems ported from MathOptInterface's test suite (``src/Test/test_linear.jl``,
``test_solve.jl``, ``test_variable.jl``, ``test_constraint.jl``, ``test_objective.jl``) and from
CVXPY's ``solver_test_helpers.py`` (``lp_*``, ``mi_lp_*``), plus a few edge cases of the same kind.

Each case builds an ``optmodel.Model`` with the public API only and states what every LP/MIP
backend must answer: the status, the objective, the primal values where the optimum is unique,
and for LPs the row duals and reduced costs where they are unique.

Conventions (optmodel's, which are HiGHS's):

- ``sol.dual(con)`` is y = d(optimal objective) / d(row bound), the same for min and max;
  reduced costs z satisfy c = Aᵀy + z, i.e. z_j = d(optimal objective) / d(bound of x_j).
- MOI's ``ConstraintDual`` equals y for minimisation and -y for maximisation, so every MOI dual of
  a ``MAX_SENSE`` problem is sign-flipped below; MOI's duals of variable bounds are reduced costs.
- CVXPY's dual of ``expr <= b`` in a minimisation is -y; its dual of an equality is -y.
- MOI tests that accept ``INFEASIBLE_OR_UNBOUNDED`` expect the precise status here: optmodel
  decides between the two (``optmodel.dispatch._decide_infeasible_or_unbounded``).
- A NaN inside an expected array means "not unique, not checked" (e.g. the dual of an empty row).
- ``within`` gives ranges for values that are not unique but bounded on the optimal face.

The expectations were checked by hand (finite differences of the optimal value for the duals)
and by an independent scipy/HiGHS solve of each model, perturbing each bound to confirm that the
duals stated are unique and re-optimising over the optimal face to confirm that the primal
values stated are unique.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import optmodel as om

nan = math.nan
inf = math.inf

Handles = dict[str, Any]


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # where the problem comes from
    build: Callable[[], tuple[om.Model, Handles]]
    status: str  # "optimal", "infeasible" or "unbounded"
    objective: float | None = None
    primal: dict[str, Any] = field(default_factory=dict)  # handle -> value(s), unique optimum
    within: dict[str, tuple[float, float]] = field(default_factory=dict)  # handle -> [lo, hi]
    duals: dict[str, Any] = field(default_factory=dict)  # constraint handle -> row duals (LP)
    reduced_costs: dict[str, Any] = field(default_factory=dict)  # variable handle -> z (LP)
    mip: bool = False

    def __repr__(self) -> str:
        return f"<Case {self.name}>"


CASES: list[Case] = []


def case(name: str, status: str, source: str, **expect: Any) -> Callable:
    """Register the decorated builder as a case."""

    def register(build: Callable[[], tuple[om.Model, Handles]]) -> Callable:
        if any(c.name == name for c in CASES):
            raise ValueError(f"duplicate case name {name}")
        CASES.append(Case(name, source, build, status, **expect))
        return build

    return register


MOI_LINEAR = "MOI test_linear.jl"
MOI_SOLVE = "MOI test_solve.jl"
MOI_VARIABLE = "MOI test_variable.jl"
MOI_CONSTRAINT = "MOI test_constraint.jl"
MOI_OBJECTIVE = "MOI test_objective.jl"
CVXPY = "CVXPY solver_test_helpers.py"
EXTRA = "edge case"


# ---------------------------------------------------------------------------------------------
# MOI test_linear.jl
# ---------------------------------------------------------------------------------------------

# test_linear_integration: one model modified step by step; each step is a separate case here.


@case("linear_integration_step1_min", "optimal", f"{MOI_LINEAR} test_linear_integration (min -x)",
      objective=-1.0, primal={"v": [1, 0]}, duals={"c": -1.0}, reduced_costs={"v": [0, 1]})
def _():
    m = om.Model()
    v = m.var(2, lb=0)
    c = m.add(v[0] + v[1] <= 1)
    # Objective with redundant zero coefficients and duplicate terms, as in MOI.
    m.minimize(0 * v[0] + 0 * v[1] - 1 * v[0] + 0 * v[1] + 0 * v[0] + 0 * v[1])
    return m, {"v": v, "c": c}


@case("linear_integration_step2_max", "optimal", f"{MOI_LINEAR} test_linear_integration (max x)",
      objective=1.0, primal={"v": [1, 0]}, duals={"c": 1.0}, reduced_costs={"v": [0, -1]})
def _():
    m = om.Model()
    v = m.var(2, lb=0)
    c = m.add(v[0] + v[1] <= 1)
    m.maximize(v @ [1, 0])
    return m, {"v": v, "c": c}


@case("linear_integration_step3_new_var", "optimal", f"{MOI_LINEAR} test_linear_integration (max x + 2z)",
      objective=2.0, primal={"v": [0, 0, 1]}, duals={"c": 2.0}, reduced_costs={"v": [-1, -2, 0]})
def _():
    m = om.Model()
    v = m.var(3, lb=0)
    c = m.add(v.sum() <= 1)
    m.maximize(v[0] + 2 * v[2])
    return m, {"v": v, "c": c}


@case("linear_integration_step4_negative_lb", "optimal", f"{MOI_LINEAR} test_linear_integration (x >= -1)",
      objective=3.0, primal={"v": [-1, 0, 2]}, duals={"c": 2.0}, reduced_costs={"v": [-1, -2, 0]})
def _():
    m = om.Model()
    v = m.var(3, lb=[-1, 0, 0])
    c = m.add(v.sum() <= 1)
    m.maximize(v[0] + 2 * v[2])
    return m, {"v": v, "c": c}


@case("linear_integration_step5_fixed_zero", "optimal", f"{MOI_LINEAR} test_linear_integration (z == 0)",
      objective=1.0, primal={"v": [1, 0, 0]}, duals={"c": 1.0}, reduced_costs={"v": [0, -1, 1]})
def _():
    m = om.Model()
    v = m.var(3, lb=0, ub=[inf, inf, 0])
    c = m.add(v.sum() <= 1)
    m.maximize(v[0] + 2 * v[2])
    return m, {"v": v, "c": c}


@case("linear_integration_step6_equality_zero_terms", "optimal",
      f"{MOI_LINEAR} test_linear_integration (x + y + z == 2 with zero terms)",
      objective=2.0, primal={"v": [2, 0, 0]}, duals={"c": 1.0}, reduced_costs={"v": [0, -1, 1]})
def _():
    m = om.Model()
    v = m.var(3, lb=0, ub=[inf, inf, 0])
    coef = [0, 0, 0, 1, 1, 1, 0, 0, 0]
    row = v[0] * coef[0] + v[1] * coef[1] + v[2] * coef[2]
    for k in range(3, 9):
        row = row + coef[k] * v[k % 3]
    c = m.add(row == 2)
    m.maximize(v[0] + 2 * v[2])
    return m, {"v": v, "c": c}


@case("linear_integration_step7_max_x_2y", "optimal", f"{MOI_LINEAR} test_linear_integration (max x + 2y)",
      objective=4.0, primal={"v": [0, 2, 0]}, duals={"c": 2.0}, reduced_costs={"v": [-1, 0, -2]})
def _():
    m = om.Model()
    v = m.var(3, lb=0, ub=[inf, inf, 0])
    c = m.add(v.sum() == 2)
    m.maximize(v @ [1, 2, 0])
    return m, {"v": v, "c": c}


@case("linear_integration_step8_x_ge_y", "optimal", f"{MOI_LINEAR} test_linear_integration (x - y >= 0)",
      objective=3.0, primal={"v": [1, 1, 0]}, duals={"c": 1.5, "c2": -0.5},
      reduced_costs={"v": [0, 0, -1.5]})
def _():
    m = om.Model()
    v = m.var(3, lb=0, ub=[inf, inf, 0])
    c = m.add(v.sum() == 2)
    c2 = m.add(v @ [1, -1, 0] >= 0)
    m.maximize(v @ [1, 2, 0])
    return m, {"v": v, "c": c, "c2": c2}


@case("linear_integration_step9_delete_x", "infeasible",
      f"{MOI_LINEAR} test_linear_integration (after deleting x: y + z == 2, -y >= 0, z == 0)")
def _():
    m = om.Model()
    y = m.var(lb=0)
    z = m.var(lb=0, ub=0)
    m.add(y + z == 2)
    m.add(-y >= 0)
    m.maximize(2 * y)
    return m, {}


@case("linear_integration_2", "optimal", f"{MOI_LINEAR} test_linear_integration_2",
      objective=-1.0, primal={"x": 1.0, "y": 0.0}, duals={"c": -1.0}, reduced_costs={"x": 0.0, "y": 1.0})
def _():
    m = om.Model()
    x = m.var(lb=0, name="x")
    y = m.var(lb=0, name="y")
    c = m.add(x + y <= 1)
    m.minimize(-x)
    return m, {"x": x, "y": y, "c": c}


@case("linear_inactive_bounds_min", "optimal", f"{MOI_LINEAR} test_linear_inactive_bounds (min)",
      objective=3.0, primal={"x": 3.0}, duals={"c": 1.0}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=0)
    c = m.add(x >= 3)
    m.minimize(x)
    return m, {"x": x, "c": c}


@case("linear_inactive_bounds_max", "optimal", f"{MOI_LINEAR} test_linear_inactive_bounds (max)",
      objective=0.0, primal={"x": 0.0}, duals={"c": 0.0}, reduced_costs={"x": 1.0})
def _():
    m = om.Model()
    x = m.var(ub=0)
    c = m.add(x <= 3)
    m.maximize(x)
    return m, {"x": x, "c": c}


def _less_greater(bx: float, by: float) -> tuple[om.Model, Handles]:
    m = om.Model()
    x = m.var()
    y = m.var()
    m.minimize(x - y)
    c1 = m.add(x >= bx)
    c2 = m.add(y <= by)
    return m, {"x": x, "y": y, "c1": c1, "c2": c2}


@case("linear_LessThan_and_GreaterThan_1", "optimal", f"{MOI_LINEAR} test_linear_LessThan_and_GreaterThan",
      objective=0.0, primal={"x": 0.0, "y": 0.0}, duals={"c1": 1.0, "c2": -1.0},
      reduced_costs={"x": 0.0, "y": 0.0})
def _():
    return _less_greater(0, 0)


@case("linear_LessThan_and_GreaterThan_2", "optimal", f"{MOI_LINEAR} test_linear_LessThan_and_GreaterThan",
      objective=100.0, primal={"x": 100.0, "y": 0.0}, duals={"c1": 1.0, "c2": -1.0})
def _():
    return _less_greater(100, 0)


@case("linear_LessThan_and_GreaterThan_3", "optimal", f"{MOI_LINEAR} test_linear_LessThan_and_GreaterThan",
      objective=200.0, primal={"x": 100.0, "y": -100.0}, duals={"c1": 1.0, "c2": -1.0})
def _():
    return _less_greater(100, -100)


@case("linear_VectorAffineFunction", "optimal", f"{MOI_LINEAR} test_linear_VectorAffineFunction",
      objective=200.0, primal={"v": [100, -100]}, duals={"c": [1, 1]}, reduced_costs={"v": [0, 0]})
def _():
    # Nonnegatives(x - 100) and Nonpositives(y + 100) as one block of rows: [x, -y] >= [100, 100].
    m = om.Model()
    v = m.var(2)
    c = m.add(np.diag([1.0, -1.0]) @ v >= [100, 100])
    m.minimize(v[0] - v[1])
    return m, {"v": v, "c": c}


def _modification(rows: list[tuple[list[float], float]], y_only: bool = False) -> tuple[om.Model, Handles]:
    m = om.Model()
    v = m.var(2, lb=0)
    cons = [m.add(v @ a <= b) for a, b in rows]
    m.maximize(v[1] if y_only else v.sum())
    return m, {"v": v, **{f"c{i + 1}": c for i, c in enumerate(cons)}}


@case("linear_integration_modification_1", "optimal", f"{MOI_LINEAR} test_linear_integration_modification",
      objective=8 / 3, primal={"v": [4 / 3, 4 / 3]}, duals={"c1": 1 / 3, "c2": 1 / 3}, reduced_costs={"v": [0, 0]})
def _():
    return _modification([([2, 1], 4), ([1, 2], 4)])


@case("linear_integration_modification_2", "optimal", f"{MOI_LINEAR} test_linear_integration_modification",
      objective=2.0, primal={"v": [2, 0]}, duals={"c1": 0.5, "c2": 0.0}, reduced_costs={"v": [0, -0.5]})
def _():
    return _modification([([2, 3], 4), ([1, 2], 4)])


@case("linear_integration_modification_3", "optimal", f"{MOI_LINEAR} test_linear_integration_modification",
      objective=4.0, primal={"v": [4, 0]}, duals={"c1": 1.0}, reduced_costs={"v": [0, -1]})
def _():
    return _modification([([1, 2], 4)])


@case("linear_integration_modification_4", "optimal", f"{MOI_LINEAR} test_linear_integration_modification",
      objective=2.0, primal={"y": 2.0}, duals={"c": 0.5}, reduced_costs={"y": 0.0})
def _():
    m = om.Model()
    y = m.var(lb=0)
    c = m.add(2 * y <= 4)
    m.maximize(y)
    return m, {"y": y, "c": c}


@case("linear_INFEASIBLE", "infeasible", f"{MOI_LINEAR} test_linear_INFEASIBLE")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(2 * x + y <= -1)
    m.minimize(x)
    return m, {}


@case("linear_DUAL_INFEASIBLE", "unbounded", f"{MOI_LINEAR} test_linear_DUAL_INFEASIBLE")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(-x + 2 * y <= 0)
    m.minimize(-x - y)
    return m, {}


@case("linear_DUAL_INFEASIBLE_2", "unbounded", f"{MOI_LINEAR} test_linear_DUAL_INFEASIBLE_2")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(x - y == 0)
    m.minimize(-x - y)
    return m, {}


@case("linear_add_constraints", "optimal", f"{MOI_LINEAR} test_linear_add_constraints",
      objective=790000 / 11, primal={"v": [650 / 11, 400 / 11]},
      duals={"c1": 0.0, "c23": [125 / 11, 19 / 22]}, reduced_costs={"v": [0, 0]})
def _():
    m = om.Model()
    v = m.var(2, lb=[30, 0])
    c1 = m.add(v @ [1, -1.5] >= 0)
    c23 = m.add(np.array([[12, 8], [1000, 300]]) @ v <= [1000, 70000])
    m.maximize(v @ [1000, 350])
    return m, {"v": v, "c1": c1, "c23": c23}


def _interval(lo: float, hi: float, sense: str) -> tuple[om.Model, Handles]:
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    c = m.add((x + y).between(lo, hi))
    getattr(m, sense)(x + y)
    return m, {"x": x, "y": y, "s": x + y, "c": c}


@case("linear_integration_Interval_max", "optimal", f"{MOI_LINEAR} test_linear_integration_Interval",
      objective=10.0, primal={"s": 10.0}, within={"x": (0, 10), "y": (0, 10)}, duals={"c": 1.0},
      reduced_costs={"x": 0.0, "y": 0.0})
def _():
    return _interval(5, 10, "maximize")


@case("linear_integration_Interval_min", "optimal", f"{MOI_LINEAR} test_linear_integration_Interval",
      objective=5.0, primal={"s": 5.0}, within={"x": (0, 5), "y": (0, 5)}, duals={"c": 1.0},
      reduced_costs={"x": 0.0, "y": 0.0})
def _():
    return _interval(5, 10, "minimize")


@case("linear_integration_Interval_min_2_12", "optimal", f"{MOI_LINEAR} test_linear_integration_Interval",
      objective=2.0, primal={"s": 2.0}, duals={"c": 1.0})
def _():
    return _interval(2, 12, "minimize")


@case("linear_integration_Interval_max_2_12", "optimal", f"{MOI_LINEAR} test_linear_integration_Interval",
      objective=12.0, primal={"s": 12.0}, duals={"c": 1.0})
def _():
    return _interval(2, 12, "maximize")


@case("linear_Interval_inactive", "optimal", f"{MOI_LINEAR} test_linear_Interval_inactive",
      objective=0.0, primal={"x": 0.0, "y": 0.0}, duals={"c": 0.0}, reduced_costs={"x": 1.0, "y": 1.0})
def _():
    return _interval(-1, 10, "minimize")


@case("linear_transform_1", "optimal", f"{MOI_LINEAR} test_linear_transform (x + y >= 1, x + y >= 2)",
      objective=2.0, primal={"s": 2.0}, duals={"c1": 0.0, "c2": 1.0}, reduced_costs={"v": [0, 0]})
def _():
    m = om.Model()
    v = m.var(2)
    c1 = m.add(v.sum() >= 1)
    c2 = m.add(v.sum() >= 2)
    m.minimize(v.sum())
    return m, {"v": v, "s": v.sum(), "c1": c1, "c2": c2}


@case("linear_transform_2", "optimal", f"{MOI_LINEAR} test_linear_transform (x + y >= 1, x + y <= 2)",
      objective=1.0, primal={"s": 1.0}, duals={"c1": 1.0, "c2": 0.0}, reduced_costs={"v": [0, 0]})
def _():
    m = om.Model()
    v = m.var(2)
    c1 = m.add(v.sum() >= 1)
    c2 = m.add(v.sum() <= 2)
    m.minimize(v.sum())
    return m, {"v": v, "s": v.sum(), "c1": c1, "c2": c2}


@case("linear_INFEASIBLE_2", "infeasible", f"{MOI_LINEAR} test_linear_INFEASIBLE_2")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(2 * x - 3 * y <= -7)
    m.add(y <= 2)
    m.minimize(x)
    return m, {}


@case("linear_FEASIBILITY_SENSE", "optimal", f"{MOI_LINEAR} test_linear_FEASIBILITY_SENSE (no objective)",
      objective=0.0, primal={"d": 0.0}, within={"g": (1, inf)}, duals={"c1": 0.0, "c2": 0.0},
      reduced_costs={"x": 0.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var()
    y = m.var()
    c1 = m.add(2 * x + 3 * y >= 1)
    c2 = m.add(x - y == 0)
    return m, {"x": x, "y": y, "c1": c1, "c2": c2, "d": x - y, "g": 2 * x + 3 * y}


@case("linear_integration_delete_variables_1", "optimal", f"{MOI_LINEAR} test_linear_integration_delete_variables",
      objective=8.0, primal={"v": [0, 0.5, 1]}, duals={"c": 1.0}, reduced_costs={"v": [-2, 0, 2]})
def _():
    m = om.Model()
    v = m.var(3, lb=0, ub=[inf, inf, 1])
    c = m.add(v @ [3, 2, 1] <= 2)
    m.maximize(v @ [1, 2, 3] + 4)
    return m, {"v": v, "c": c}


@case("linear_integration_delete_variables_2", "optimal", f"{MOI_LINEAR} test_linear_integration_delete_variables",
      objective=6.0, primal={"y": 1.0}, duals={"c": 1.0}, reduced_costs={"y": 0.0})
def _():
    m = om.Model()
    y = m.var(lb=0)
    c = m.add(2 * y <= 2)
    m.maximize(2 * y + 4)
    return m, {"y": y, "c": c}


@case("linear_VectorAffineFunction_empty_row", "optimal", f"{MOI_LINEAR} test_linear_VectorAffineFunction_empty_row",
      objective=0.0, primal={"x": [0.0]}, duals={"c": [nan, 0.0]}, reduced_costs={"x": [0.0]})
def _():
    m = om.Model()
    x = m.var(1)
    c = m.add(np.array([[0.0], [1.0]]) @ x == 0)  # first row is empty: 0 == 0
    m.minimize(0 * x[0])
    return m, {"x": x, "c": c}


@case("linear_VariablePrimalStart_partial", "optimal", f"{MOI_LINEAR} test_linear_VariablePrimalStart_partial",
      objective=2.0, primal={"x": 1.0, "y": 0.0}, duals={"c": 2.0}, reduced_costs={"x": 0.0, "y": -1.0})
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.maximize(2 * x + y)
    c = m.add(x + y <= 1)
    return m, {"x": x, "y": y, "c": c}


@case("linear_integer_integration", "optimal", f"{MOI_LINEAR} test_linear_integer_integration",
      objective=97 / 5, primal={"x": 4.0, "y": 5.0, "z": 1.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0, ub=5)
    y = m.var(lb=0, ub=10, integer=True)
    z = m.var(binary=True)
    m.add(x + y + z <= 10)
    m.add(x + 2 * y + z <= 15)
    m.maximize(1.1 * x + 2 * y + 5 * z)
    return m, {"x": x, "y": y, "z": z}


@case("linear_integer_solve_twice", "optimal", f"{MOI_LINEAR} test_linear_integer_solve_twice",
      objective=1.0, primal={"z": 1.0, "b13": [0, 0, 0]}, within={"bsum": (1, 10)}, mip=True)
def _():
    m = om.Model()
    z = m.var(lb=0, ub=100, integer=True)
    b = m.var(10, binary=True)
    m.add((z - b.sum() / 80).between(0, 0.999))
    m.maximize(z - b[:3].sum() / 80)
    return m, {"z": z, "b13": b[:3], "bsum": b.sum()}


@case("linear_integer_knapsack", "optimal", f"{MOI_LINEAR} test_linear_integer_knapsack",
      objective=16.0, primal={"v": [1, 0, 0, 1, 1]}, mip=True)
def _():
    m = om.Model()
    v = m.var(5, binary=True)
    m.add(v @ [2, 8, 4, 2, 5] <= 10)
    m.maximize(v @ [5, 3, 2, 7, 4])
    return m, {"v": v}


@case("linear_open_intervals", "optimal", f"{MOI_LINEAR} test_linear_open_intervals",
      objective=3.0, primal={"v": [1, -1, 1]}, duals={"c1": 1.0, "c2": -1.0, "c3": 0.0},
      reduced_costs={"v": [0, 0, 1]})
def _():
    m = om.Model()
    v = m.var(3, ub=[inf, inf, 1])
    m.maximize(v @ [1, -1, 1])
    c1 = m.add(v[0].between(-inf, 1))
    c2 = m.add(v[1].between(-1, inf))
    c3 = m.add(v[2].between(-inf, inf))
    return m, {"v": v, "c1": c1, "c2": c2, "c3": c3}


@case("linear_HyperRectangle_VectorOfVariables_min", "optimal",
      f"{MOI_LINEAR} test_linear_HyperRectangle_VectorOfVariables (min)",
      objective=-5.0, primal={"v": [-1, 4]}, reduced_costs={"v": [1, -1]})
def _():
    m = om.Model()
    v = m.var(2, lb=[-1, -2], ub=[3, 4])
    m.minimize(v[0] - v[1])
    return m, {"v": v}


@case("linear_HyperRectangle_VectorOfVariables_max", "optimal",
      f"{MOI_LINEAR} test_linear_HyperRectangle_VectorOfVariables (max)",
      objective=5.0, primal={"v": [3, -2]}, reduced_costs={"v": [1, -1]})
def _():
    m = om.Model()
    v = m.var(2, lb=[-1, -2], ub=[3, 4])
    m.maximize(v[0] - v[1])
    return m, {"v": v}


@case("linear_HyperRectangle_VectorAffineFunction_min", "optimal",
      f"{MOI_LINEAR} test_linear_HyperRectangle_VectorAffineFunction (min)",
      objective=-5.0, primal={"v": [-1, 4]}, duals={"c": [1, -1]}, reduced_costs={"v": [0, 0]})
def _():
    m = om.Model()
    v = m.var(2)
    c = m.add((1.0 * v).between([-1, -2], [3, 4]))
    m.minimize(v[0] - v[1])
    return m, {"v": v, "c": c}


@case("linear_HyperRectangle_VectorAffineFunction_max", "optimal",
      f"{MOI_LINEAR} test_linear_HyperRectangle_VectorAffineFunction (max)",
      objective=5.0, primal={"v": [3, -2]}, duals={"c": [1, -1]}, reduced_costs={"v": [0, 0]})
def _():
    m = om.Model()
    v = m.var(2)
    c = m.add((1.0 * v).between([-1, -2], [3, 4]))
    m.maximize(v[0] - v[1])
    return m, {"v": v, "c": c}


def _semi(y_value: float, integer: bool) -> tuple[om.Model, Handles]:
    """MOI's Semicontinuous(2, 3) / Semiinteger(2, 3) x, stated with a binary b: 2b <= x <= 3b."""
    m = om.Model()
    x = m.var(lb=0, ub=3, integer=integer)
    y = m.var(lb=y_value, ub=y_value)
    b = m.var(binary=True)
    m.add(x - 2 * b >= 0)
    m.add(x - 3 * b <= 0)
    m.add(x - y >= 0)
    m.minimize(x)
    return m, {"x": x, "y": y}


@case("linear_Semicontinuous_y1", "optimal", f"{MOI_LINEAR} test_linear_Semicontinuous_integration (y = 1)",
      objective=2.0, primal={"x": 2.0, "y": 1.0}, mip=True)
def _():
    return _semi(1, False)


@case("linear_Semicontinuous_y2_5", "optimal", f"{MOI_LINEAR} test_linear_Semicontinuous_integration (y = 2.5)",
      objective=2.5, primal={"x": 2.5, "y": 2.5}, mip=True)
def _():
    return _semi(2.5, False)


@case("linear_Semicontinuous_y4", "infeasible", f"{MOI_LINEAR} test_linear_Semicontinuous_integration (y = 4)",
      mip=True)
def _():
    return _semi(4, False)


@case("linear_Semiinteger_y2_5", "optimal", f"{MOI_LINEAR} test_linear_Semiinteger_integration (y = 2.5)",
      objective=3.0, primal={"x": 3.0, "y": 2.5}, mip=True)
def _():
    return _semi(2.5, True)


# ---------------------------------------------------------------------------------------------
# MOI test_solve.jl
# ---------------------------------------------------------------------------------------------


@case("solve_ObjectiveBound_MIN_SENSE_IP", "optimal", f"{MOI_SOLVE} test_solve_ObjectiveBound_MIN_SENSE_IP",
      objective=3.0, primal={"x": 2.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=1.5, integer=True)
    m.minimize(2 * x - 1)
    return m, {"x": x}


@case("solve_ObjectiveBound_MAX_SENSE_IP", "optimal", f"{MOI_SOLVE} test_solve_ObjectiveBound_MAX_SENSE_IP",
      objective=3.0, primal={"x": 1.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(ub=1.5, integer=True)
    m.maximize(2 * x + 1)
    return m, {"x": x}


@case("solve_ObjectiveBound_MIN_SENSE_LP", "optimal", f"{MOI_SOLVE} test_solve_ObjectiveBound_MIN_SENSE_LP",
      objective=2.0, primal={"x": 1.5}, reduced_costs={"x": 2.0})
def _():
    m = om.Model()
    x = m.var(lb=1.5)
    m.minimize(2 * x - 1)
    return m, {"x": x}


@case("solve_ObjectiveBound_MAX_SENSE_LP", "optimal", f"{MOI_SOLVE} test_solve_ObjectiveBound_MAX_SENSE_LP",
      objective=4.0, primal={"x": 1.5}, reduced_costs={"x": 2.0})
def _():
    m = om.Model()
    x = m.var(ub=1.5)
    m.maximize(2 * x + 1)
    return m, {"x": x}


@case("solve_TerminationStatus_DUAL_INFEASIBLE", "unbounded",
      f"{MOI_SOLVE} test_solve_TerminationStatus_DUAL_INFEASIBLE (no constraints)")
def _():
    m = om.Model()
    x = m.var(5)
    m.minimize(x.sum())
    return m, {}


@case("solve_SingleVariable_ConstraintDual_MIN_SENSE", "optimal",
      f"{MOI_SOLVE} test_solve_SingleVariable_ConstraintDual_MIN_SENSE (x >= 1, x <= 1)",
      objective=1.0, primal={"x": 1.0}, reduced_costs={"x": 1.0})
def _():
    m = om.Model()
    x = m.var(lb=1, ub=1)
    m.minimize(x)
    return m, {"x": x}


@case("solve_SingleVariable_ConstraintDual_MAX_SENSE", "optimal",
      f"{MOI_SOLVE} test_solve_SingleVariable_ConstraintDual_MAX_SENSE (x >= 1, x <= 1)",
      objective=1.0, primal={"x": 1.0}, reduced_costs={"x": 1.0})
def _():
    m = om.Model()
    x = m.var(lb=1, ub=1)
    m.maximize(x)
    return m, {"x": x}


@case("solve_result_index", "optimal", f"{MOI_SOLVE} test_solve_result_index / test_solve_optimize_twice",
      objective=1.0, primal={"x": 1.0}, reduced_costs={"x": 1.0})
def _():
    m = om.Model()
    x = m.var(lb=1)
    m.minimize(x)
    return m, {"x": x}


def _certificate(coef: list[float], lo: float, hi: float, x_lb: float = 0, x_ub: float = inf,
                 maximize_x1: bool = False) -> tuple[om.Model, Handles]:
    m = om.Model()
    x = m.var(2, lb=x_lb, ub=x_ub)
    m.add((x @ coef).between(lo, hi))
    if maximize_x1:
        m.maximize(x[0])
    return m, {}


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_upper", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_upper")
def _():
    return _certificate([2, 1], -1, -1)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_lower", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_lower")
def _():
    return _certificate([-2, -1], 1, 1)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_LessThan", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_LessThan")
def _():
    return _certificate([2, 1], -inf, -1)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_GreaterThan", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_GreaterThan")
def _():
    return _certificate([-2, -1], 1, inf)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_upper", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_upper")
def _():
    return _certificate([2, 1], -2, -1)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_lower", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_lower")
def _():
    return _certificate([-2, -1], 1, 2)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan")
def _():
    return _certificate([2, 1], 1, inf, x_lb=-inf, x_ub=0)


@case("solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan_max", "infeasible",
      f"{MOI_SOLVE} test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan_max")
def _():
    return _certificate([2, 1], 1, inf, x_lb=-inf, x_ub=0, maximize_x1=True)


@case("solve_conflict_bound_vs_row", "infeasible",
      f"{MOI_SOLVE} test_solve_conflict_bound_bound (x <= 1 as a bound, x >= 2 as a row)")
def _():
    m = om.Model()
    x = m.var(ub=1)
    m.add(x >= 2)
    return m, {}


@case("solve_conflict_two_affine", "infeasible", f"{MOI_SOLVE} test_solve_conflict_two_affine")
def _():
    m = om.Model()
    x = m.var()
    m.add(x >= 2)
    m.add(x <= 1)
    return m, {}


@case("solve_conflict_affine_affine", "infeasible", f"{MOI_SOLVE} test_solve_conflict_affine_affine")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(x + y <= -1)
    m.add(x - y >= 1)
    return m, {}


@case("solve_conflict_EqualTo", "infeasible", f"{MOI_SOLVE} test_solve_conflict_EqualTo")
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(x + y == -1)
    m.add(x - y >= 1)
    return m, {}


@case("solve_conflict_NOT_IN_CONFLICT", "infeasible", f"{MOI_SOLVE} test_solve_conflict_NOT_IN_CONFLICT")
def _():
    m = om.Model()
    v = m.var(3, lb=0)
    m.add(v[0] + v[1] <= -1)
    m.add(v @ [1, -1, 1] >= 1)
    return m, {}


@case("solve_conflict_feasible", "optimal", f"{MOI_SOLVE} test_solve_conflict_feasible (no objective)",
      objective=0.0, within={"x": (1, 2)}, duals={"c1": 0.0, "c2": 0.0}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    c1 = m.add(x >= 1)
    c2 = m.add(x <= 2)
    return m, {"x": x, "c1": c1, "c2": c2}


@case("solve_conflict_zeroone", "infeasible", f"{MOI_SOLVE} test_solve_conflict_zeroone", mip=True)
def _():
    m = om.Model()
    x = m.var(binary=True)
    m.add(x >= 2)
    return m, {}


# ---------------------------------------------------------------------------------------------
# MOI test_variable.jl
# ---------------------------------------------------------------------------------------------


@case("variable_solve_with_upperbound", "optimal", f"{MOI_VARIABLE} test_variable_solve_with_upperbound",
      objective=2.0, primal={"x": 1.0}, reduced_costs={"x": 2.0})
def _():
    m = om.Model()
    x = m.var(lb=0, ub=1)
    m.maximize(2 * x)
    return m, {"x": x}


@case("variable_solve_with_lowerbound", "optimal", f"{MOI_VARIABLE} test_variable_solve_with_lowerbound",
      objective=2.0, primal={"x": 1.0}, reduced_costs={"x": 2.0})
def _():
    m = om.Model()
    x = m.var(lb=1, ub=2)
    m.minimize(2 * x)
    return m, {"x": x}


@case("variable_solve_Integer_with_lower_bound", "optimal",
      f"{MOI_VARIABLE} test_variable_solve_Integer_with_lower_bound", objective=4.0, primal={"x": 2.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=1.5, integer=True)
    m.minimize(2 * x)
    return m, {"x": x}


@case("variable_solve_Integer_with_upper_bound", "optimal",
      f"{MOI_VARIABLE} test_variable_solve_Integer_with_upper_bound", objective=-2.0, primal={"x": 1.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(ub=1.5, integer=True)
    m.minimize(-2 * x)
    return m, {"x": x}


@case("variable_solve_ZeroOne_with_upper_bound", "optimal",
      f"{MOI_VARIABLE} test_variable_solve_ZeroOne_with_upper_bound", objective=-2.0, primal={"x": 1.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(ub=2, binary=True)
    m.minimize(-2 * x)
    return m, {"x": x}


@case("variable_solve_ZeroOne_with_0_upper_bound", "optimal",
      f"{MOI_VARIABLE} test_variable_solve_ZeroOne_with_0_upper_bound", objective=0.0, primal={"x": 0.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(ub=0, binary=True)
    m.minimize(x)
    return m, {"x": x}


# ---------------------------------------------------------------------------------------------
# MOI test_constraint.jl
# ---------------------------------------------------------------------------------------------


@case("constraint_ScalarAffineFunction_LessThan", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_ScalarAffineFunction_LessThan",
      objective=0.5, primal={"x": 0.5}, duals={"c": 0.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    c = m.add(2 * x <= 1)
    m.maximize(x)
    return m, {"x": x, "c": c}


@case("constraint_ScalarAffineFunction_GreaterThan", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_ScalarAffineFunction_GreaterThan",
      objective=0.5, primal={"x": 0.5}, duals={"c": 0.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    c = m.add(2 * x >= 1)
    m.minimize(x)
    return m, {"x": x, "c": c}


@case("constraint_ScalarAffineFunction_EqualTo", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_ScalarAffineFunction_EqualTo",
      objective=0.5, primal={"x": 0.5}, duals={"c": 0.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    c = m.add(2 * x == 1)
    m.minimize(x)
    return m, {"x": x, "c": c}


@case("constraint_ScalarAffineFunction_Interval", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_ScalarAffineFunction_Interval",
      objective=6.0, primal={"x": 2.0}, duals={"c": 1.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    c = m.add((2 * x).between(1, 4))
    m.maximize(3 * x)
    return m, {"x": x, "c": c}


@case("constraint_ScalarAffineFunction_duplicate", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_ScalarAffineFunction_duplicate (x + x <= 1)",
      objective=0.5, primal={"x": 0.5}, duals={"c": 0.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    m.maximize(x)
    c = m.add(x + x <= 1)
    return m, {"x": x, "c": c}


@case("constraint_VectorAffineFunction_duplicate", "optimal",
      f"{MOI_CONSTRAINT} test_constraint_VectorAffineFunction_duplicate (x + x - 1 in Nonpositives)",
      objective=0.5, primal={"x": 0.5}, duals={"c": 0.5}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    m.maximize(x)
    c = m.add(x + x - 1 <= 0)  # a constant on the left-hand side
    return m, {"x": x, "c": c}


@case("constraint_ZeroOne_bounds", "optimal", f"{MOI_CONSTRAINT} test_constraint_ZeroOne_bounds",
      objective=2.0, primal={"x": 1.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0, ub=1, binary=True)
    m.maximize(2 * x)
    return m, {"x": x}


@case("constraint_ZeroOne_bounds_2", "optimal", f"{MOI_CONSTRAINT} test_constraint_ZeroOne_bounds_2 (x <= 0.5)",
      objective=0.0, primal={"x": 0.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0, ub=0.5, binary=True)
    m.maximize(2 * x)
    return m, {"x": x}


@case("constraint_ZeroOne_bounds_3", "infeasible",
      f"{MOI_CONSTRAINT} test_constraint_ZeroOne_bounds_3 (0.2 <= x <= 0.5)", mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0.2, ub=0.5, binary=True)
    m.maximize(2 * x)
    return m, {"x": x}


# ---------------------------------------------------------------------------------------------
# MOI test_objective.jl
# ---------------------------------------------------------------------------------------------


@case("objective_FEASIBILITY_SENSE_clears_objective", "optimal",
      f"{MOI_OBJECTIVE} test_objective_FEASIBILITY_SENSE_clears_objective (no objective)",
      objective=0.0, within={"x": (1, inf)}, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=1)
    return m, {"x": x}


@case("objective_ObjectiveFunction_constant", "optimal", f"{MOI_OBJECTIVE} test_objective_ObjectiveFunction_constant",
      objective=3.0, primal={"x": 1.0}, reduced_costs={"x": 2.0})
def _():
    m = om.Model()
    x = m.var(lb=1)
    m.minimize(2 * x + 1)
    return m, {"x": x}


@case("objective_ObjectiveFunction_blank", "optimal", f"{MOI_OBJECTIVE} test_objective_ObjectiveFunction_blank",
      objective=0.0, reduced_costs={"x": 0.0})
def _():
    m = om.Model()
    x = m.var()
    m.minimize(0 * x)
    return m, {"x": x}


@case("objective_ObjectiveFunction_duplicate_terms", "optimal",
      f"{MOI_OBJECTIVE} test_objective_ObjectiveFunction_duplicate_terms (2x + x)",
      objective=3.0, primal={"x": 1.0}, reduced_costs={"x": 3.0})
def _():
    m = om.Model()
    x = m.var(lb=1)
    m.minimize(2 * x + x)
    return m, {"x": x}


# ---------------------------------------------------------------------------------------------
# CVXPY solver_test_helpers.py
# ---------------------------------------------------------------------------------------------


@case("cvxpy_lp_1", "optimal", f"{CVXPY} lp_1", objective=-9.0, primal={"x": [1, 1]},
      duals={"c1": -1.0, "c2": -2.0, "c3": 0.0, "c4": 0.0}, reduced_costs={"x": [0, 0]})
def _():
    m = om.Model()
    x = m.var(2, name="x")
    m.minimize(-4 * x[0] - 5 * x[1])
    c1 = m.add(2 * x[0] + x[1] <= 3)
    c2 = m.add(x[0] + 2 * x[1] <= 3)
    c3 = m.add(x[0] >= 0)
    c4 = m.add(x[1] >= 0)
    return m, {"x": x, "c1": c1, "c2": c2, "c3": c3, "c4": c4}


@case("cvxpy_lp_2", "optimal", f"{CVXPY} lp_2", objective=-99.5, primal={"x": [-100, 1]},
      duals={"c1": 1.0, "c2": 0.0, "c3": 0.5}, reduced_costs={"x": [0, 0]})
def _():
    m = om.Model()
    x = m.var(2, name="x")
    m.minimize(x[0] + 0.5 * x[1])
    c1 = m.add(x[0] >= -100)
    c2 = m.add(x[0] <= -10)
    c3 = m.add(x[1] == 1)
    return m, {"x": x, "c1": c1, "c2": c2, "c3": c3}


@case("cvxpy_lp_3", "unbounded", f"{CVXPY} lp_3")
def _():
    m = om.Model()
    x = m.var(5)
    m.minimize(x.sum())
    m.add(x <= 1)
    return m, {}


@case("cvxpy_lp_4", "infeasible", f"{CVXPY} lp_4")
def _():
    m = om.Model()
    x = m.var(5)
    m.minimize(x.sum())
    m.add(x <= 0)
    m.add(x >= 1)
    return m, {}


def _lp_5_data() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    x0 = np.array([0, 1, 0, 2, 0, 4, 0, 5, 6, 7], dtype=float)
    mu0 = np.array([-2, -1, 0, 1, 2, 3.5])
    rng = np.random.RandomState(0)  # the same draws as CVXPY's np.random.seed(0)
    A_min = rng.randn(4, 10)
    A_red = (A_min.T @ rng.rand(4, 2)).T
    A = np.vstack((A_min, A_red))
    b = A @ x0
    c = A.T @ mu0
    c[[0, 2, 4, 6]] += rng.rand(4)
    return A, b, c, x0


_A5, _b5, _c5, _x5 = _lp_5_data()


@case("cvxpy_lp_5", "optimal", f"{CVXPY} lp_5 (redundant equalities; optimum not unique)",
      objective=float(_c5 @ _x5), primal={"c_x": float(_c5 @ _x5)})
def _():
    m = om.Model()
    x = m.var(10)
    m.minimize(x @ _c5)
    m.add(x >= 0)
    m.add(_A5 @ x == _b5)
    return m, {"c_x": x @ _c5}


@case("cvxpy_lp_6", "unbounded", f"{CVXPY} lp_6 (no constraints)")
def _():
    m = om.Model()
    x = m.var()
    m.maximize(0.23 * x)
    return m, {}


@case("cvxpy_mi_lp_0", "optimal", f"{CVXPY} mi_lp_0 (|x| replaced by sum(x))", objective=1.0,
      primal={"x": [0, 0], "b": 0.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(2)
    b = m.var(binary=True)
    m.add(x == b)
    m.add(b == 0)
    m.minimize(x.sum() + 1.0)
    return m, {"x": x, "b": b}


@case("cvxpy_mi_lp_1", "optimal", f"{CVXPY} mi_lp_1", objective=-9.0,
      primal={"x": [1, 1], "boolvar": 1.0, "intvar": 3.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(2, name="x")
    boolvar = m.var(binary=True)
    intvar = m.var(integer=True)
    m.minimize(-4 * x[0] - 5 * x[1])
    m.add(2 * x[0] + x[1] <= intvar)
    m.add(x[0] + 2 * x[1] <= 3 * boolvar)
    m.add(x >= 0)
    m.add(intvar == 3 * boolvar)
    m.add(intvar == 3)
    return m, {"x": x, "boolvar": boolvar, "intvar": intvar}


_KNAPSACK = [  # index, profit, weight, x in the optimum (Pisinger's knapPI_1_50_1000_1)
    [1, 94, 485, 0], [2, 506, 326, 0], [3, 416, 248, 0], [4, 992, 421, 0], [5, 649, 322, 0],
    [6, 237, 795, 0], [7, 457, 43, 1], [8, 815, 845, 0], [9, 446, 955, 0], [10, 422, 252, 0],
    [11, 791, 9, 1], [12, 359, 901, 0], [13, 667, 122, 1], [14, 598, 94, 1], [15, 7, 738, 0],
    [16, 544, 574, 0], [17, 334, 715, 0], [18, 766, 882, 0], [19, 994, 367, 0], [20, 893, 984, 0],
    [21, 633, 299, 0], [22, 131, 433, 0], [23, 428, 682, 0], [24, 700, 72, 1], [25, 617, 874, 0],
    [26, 874, 138, 1], [27, 720, 856, 0], [28, 419, 145, 0], [29, 794, 995, 0], [30, 196, 529, 0],
    [31, 997, 199, 1], [32, 116, 277, 0], [33, 908, 97, 1], [34, 539, 719, 0], [35, 707, 242, 0],
    [36, 569, 107, 0], [37, 537, 122, 0], [38, 931, 70, 1], [39, 726, 98, 1], [40, 487, 600, 0],
    [41, 772, 645, 0], [42, 513, 267, 0], [43, 81, 972, 0], [44, 943, 895, 0], [45, 58, 213, 0],
    [46, 303, 748, 0], [47, 764, 487, 0], [48, 536, 923, 0], [49, 724, 29, 1], [50, 789, 674, 0],
]


@case("cvxpy_mi_lp_2", "optimal", f"{CVXPY} mi_lp_2 (knapPI_1_50_1000_1)", objective=8373.0,
      primal={"X": [row[3] for row in _KNAPSACK]}, mip=True)
def _():
    m = om.Model()
    X = m.var(50, binary=True)
    m.maximize(X @ [row[1] for row in _KNAPSACK])
    m.add(X @ [row[2] for row in _KNAPSACK] <= 995)
    return m, {"X": X}


@case("cvxpy_mi_lp_3", "infeasible", f"{CVXPY} mi_lp_3 (infeasible, LP relaxation feasible)", mip=True)
def _():
    m = om.Model()
    x = m.var(4, binary=True)
    m.maximize(1)
    m.add(x.sum() <= 2)
    m.add(x.sum() >= 2)
    for i, j in [(0, 1), (0, 2), (0, 3), (2, 3), (1, 3), (1, 2)]:
        m.add(x[i] + x[j] <= 1)
    return m, {}


@case("cvxpy_mi_lp_4", "optimal", f"{CVXPY} mi_lp_4 (no constraints)", objective=0.23, primal={"x": 1.0},
      mip=True)
def _():
    m = om.Model()
    x = m.var(binary=True)
    m.maximize(0.23 * x)
    return m, {"x": x}


@case("cvxpy_mi_lp_5", "infeasible", f"{CVXPY} mi_lp_5 (odd cycle, LP relaxation feasible)", mip=True)
def _():
    m = om.Model()
    z = m.var(11, binary=True)
    for i, j in [(2, 1), (4, 3), (6, 5), (8, 7), (10, 9)]:
        m.add(z[i] + z[j] == 1)
    for i, j in [(4, 1), (2, 3), (6, 2), (1, 5), (8, 6), (5, 7), (10, 8), (7, 9), (9, 4), (3, 10)]:
        m.add(z[i] + z[j] <= 1)
    m.minimize(0)
    return m, {}


# ---------------------------------------------------------------------------------------------
# Edge cases of the same kind (trivial models, empty rows, degeneracy, bounds)
# ---------------------------------------------------------------------------------------------


@case("empty_model", "optimal", f"{EXTRA}: no variables, no constraints, no objective", objective=0.0)
def _():
    return om.Model(), {}


@case("empty_model_constant_objective", "optimal", f"{EXTRA}: no variables, objective a constant 5 (max)",
      objective=5.0)
def _():
    m = om.Model()
    m.maximize(5)
    return m, {}


@case("zero_objective_with_rows", "optimal", f"{EXTRA}: objective 0 over a segment",
      objective=0.0, within={"x": (0, 1)}, primal={"s": 1.0}, duals={"c": 0.0}, reduced_costs={"x": [0, 0]})
def _():
    m = om.Model()
    x = m.var(2, lb=0)
    c = m.add(x.sum() == 1)
    m.minimize(0)
    return m, {"x": x, "s": x.sum(), "c": c}


@case("empty_rows_feasible", "optimal", f"{EXTRA}: rows with no variables (0*x in [-1, 1], x - x == 0)",
      objective=2.0, primal={"x": 2.0}, duals={"e1": 0.0, "e2": nan}, reduced_costs={"x": 1.0})
def _():
    m = om.Model()
    x = m.var(lb=2)
    e1 = m.add((0 * x).between(-1, 1))
    e2 = m.add(x - x == 0)
    m.minimize(x)
    return m, {"x": x, "e1": e1, "e2": e2}


@case("empty_row_infeasible", "infeasible", f"{EXTRA}: a row with no variables, x - x >= 1")
def _():
    m = om.Model()
    x = m.var(lb=0, ub=1)
    m.add(x - x >= 1)
    m.minimize(x)
    return m, {}


@case("empty_row_infeasible_mip", "infeasible", f"{EXTRA}: a row with no variables in a MIP, 0*x <= -1",
      mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0, ub=3, integer=True)
    m.add(0 * x <= -1)
    m.maximize(x)
    return m, {}


@case("infeasible_bounds_vs_row", "infeasible", f"{EXTRA}: x, y in [0, 1], x + y >= 3")
def _():
    m = om.Model()
    x = m.var(2, lb=0, ub=1)
    m.add(x.sum() >= 3)
    m.minimize(x.sum())
    return m, {}


@case("infeasible_fixed_variables", "infeasible", f"{EXTRA}: x fixed at 1, y fixed at 2, x + y == 4")
def _():
    m = om.Model()
    x = m.var(lb=1, ub=1)
    y = m.var(lb=2, ub=2)
    m.add(x + y == 4)
    m.minimize(x)
    return m, {}


@case("negative_bounds", "optimal", f"{EXTRA}: x in [-3, -1], y in [-2, 5], x + y >= -4, min 2x + y",
      objective=-7.0, primal={"x": -3.0, "y": -1.0}, duals={"c": 1.0}, reduced_costs={"x": 1.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=-3, ub=-1)
    y = m.var(lb=-2, ub=5)
    c = m.add(x + y >= -4)
    m.minimize(2 * x + y)
    return m, {"x": x, "y": y, "c": c}


@case("free_variable_equality", "optimal", f"{EXTRA}: x free, y in [0, 10], x - y == 1, min x",
      objective=1.0, primal={"x": 1.0, "y": 0.0}, duals={"c": 1.0}, reduced_costs={"x": 0.0, "y": 1.0})
def _():
    m = om.Model()
    x = m.var()
    y = m.var(lb=0, ub=10)
    c = m.add(x - y == 1)
    m.minimize(x)
    return m, {"x": x, "y": y, "c": c}


@case("fixed_variable_in_row", "optimal", f"{EXTRA}: x fixed at 2, min y s.t. x + y >= 5",
      objective=3.0, primal={"x": 2.0, "y": 3.0}, duals={"c": 1.0}, reduced_costs={"x": -1.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=2, ub=2)
    y = m.var(lb=0)
    c = m.add(x + y >= 5)
    m.minimize(y)
    return m, {"x": x, "y": y, "c": c}


@case("range_row_at_upper_min", "optimal", f"{EXTRA}: 1 <= x + y <= 3 active at its upper bound, min -x",
      objective=-3.0, primal={"v": [3, 0]}, duals={"c": -1.0}, reduced_costs={"v": [0, 1]})
def _():
    m = om.Model()
    v = m.var(2, lb=0)
    c = m.add(v.sum().between(1, 3))
    m.minimize(-v[0])
    return m, {"v": v, "c": c}


@case("max_with_ge_row", "optimal", f"{EXTRA}: max -x - 2y s.t. x + y >= 3",
      objective=-3.0, primal={"v": [3, 0]}, duals={"c": -1.0}, reduced_costs={"v": [0, -1]})
def _():
    m = om.Model()
    v = m.var(2, lb=0)
    c = m.add(v.sum() >= 3)
    m.maximize(-v[0] - 2 * v[1])
    return m, {"v": v, "c": c}


@case("max_with_equality_and_upper_bound", "optimal", f"{EXTRA}: max 3x + 2y, x + y == 4, x <= 3",
      objective=11.0, primal={"x": 3.0, "y": 1.0}, duals={"c": 2.0}, reduced_costs={"x": 1.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=0, ub=3)
    y = m.var(lb=0)
    c = m.add(x + y == 4)
    m.maximize(3 * x + 2 * y)
    return m, {"x": x, "y": y, "c": c}


@case("degenerate_three_rows", "optimal", f"{EXTRA}: three rows through the optimal vertex (duals not unique)",
      objective=4 / 3, primal={"v": [2 / 3, 2 / 3]})
def _():
    m = om.Model()
    v = m.var(2, lb=0)
    m.add(v @ [1, 2] <= 2)
    m.add(v @ [2, 1] <= 2)
    m.add(v.sum() <= 4 / 3)
    m.maximize(v.sum())
    return m, {"v": v}


@case("degenerate_beale", "optimal", f"{EXTRA}: Beale's cycling example (degenerate vertex at the start)",
      objective=-1.25, primal={"x": [1, 0, 1, 0]})
def _():
    m = om.Model()
    x = m.var(4, lb=0)
    m.add(x @ [0.25, -8, -1, 9] <= 0)
    m.add(x @ [0.5, -12, -0.5, 3] <= 0)
    m.add(x[2] <= 1)
    m.minimize(x @ [-0.75, 20, -0.5, 6])
    return m, {"x": x}


@case("degenerate_redundant_equalities", "optimal", f"{EXTRA}: x + y == 1 twice (scaled), min x + 2y",
      objective=1.0, primal={"x": 1.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=0)
    y = m.var(lb=0)
    m.add(x + y == 1)
    m.add(2 * x + 2 * y == 2)
    m.minimize(x + 2 * y)
    return m, {"x": x, "y": y}


@case("mip_integer_fractional_bounds_min", "optimal", f"{EXTRA}: x integer in [1.5, 2.7], min x",
      objective=2.0, primal={"x": 2.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=1.5, ub=2.7, integer=True)
    m.minimize(x)
    return m, {"x": x}


@case("mip_integer_fractional_bounds_max", "optimal", f"{EXTRA}: x integer in [1.5, 2.7], max x",
      objective=2.0, primal={"x": 2.0}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=1.5, ub=2.7, integer=True)
    m.maximize(x)
    return m, {"x": x}


@case("mip_integer_bounds_infeasible", "infeasible", f"{EXTRA}: x integer in [1.2, 1.8]", mip=True)
def _():
    m = om.Model()
    x = m.var(lb=1.2, ub=1.8, integer=True)
    m.minimize(x)
    return m, {}


@case("mip_integer_negative_bounds", "optimal", f"{EXTRA}: x, y integer in [-3.5, 2.5], min x - y",
      objective=-5.0, primal={"v": [-3, 2]}, mip=True)
def _():
    m = om.Model()
    v = m.var(2, lb=-3.5, ub=2.5, integer=True)
    m.minimize(v[0] - v[1])
    return m, {"v": v}


@case("mip_parity_infeasible", "infeasible", f"{EXTRA}: 2x + 2y == 1 in integers (LP relaxation feasible)",
      mip=True)
def _():
    m = om.Model()
    v = m.var(2, lb=0, ub=10, integer=True)
    m.add(2 * v[0] + 2 * v[1] == 1)
    m.minimize(v.sum())
    return m, {}


@case("mip_unbounded", "unbounded", f"{EXTRA}: x == y integers >= 0, min -x - y", mip=True)
def _():
    m = om.Model()
    v = m.var(2, lb=0, integer=True)
    m.add(v[0] - v[1] == 0)
    m.minimize(-v.sum())
    return m, {}


@case("mip_equality_knapsack", "optimal", f"{EXTRA}: 3x + 5y == 22 in integers >= 0, min x + y",
      objective=6.0, primal={"v": [4, 2]}, mip=True)
def _():
    m = om.Model()
    v = m.var(2, lb=0, ub=100, integer=True)
    m.add(v @ [3, 5] == 22)
    m.minimize(v.sum())
    return m, {"v": v}


@case("mip_fixed_integer_and_constant", "optimal", f"{EXTRA}: x integer fixed at 2, y >= 0.5, max 7 - x - y",
      objective=4.5, primal={"x": 2.0, "y": 0.5}, mip=True)
def _():
    m = om.Model()
    x = m.var(lb=2, ub=2, integer=True)
    y = m.var(lb=0.5)
    m.add(x + y >= 1)
    m.maximize(7 - x - y)
    return m, {"x": x, "y": y}


VALUE_TOL = 1e-5  # primal values, duals and reduced costs against the expected ones


def mismatch(what: str, actual: object, expected: object, tol: float = VALUE_TOL) -> str | None:
    """None when ``actual`` matches ``expected`` (NaN in expected: not checked), else a message."""
    exp = np.asarray(expected, dtype=float)
    try:
        act = np.asarray(actual, dtype=float).reshape(exp.shape)
    except (TypeError, ValueError):
        return f"{what} = {actual!r}, expected {expected}"
    close = np.isclose(act, exp, rtol=tol, atol=tol)
    if np.all(close[~np.isnan(exp)]):
        return None
    return f"{what} = {np.round(act, 7).tolist()}, expected {exp.tolist()}"


def dual_problems(case: Any, sol: om.Solution, handles: Handles) -> list[str | None]:
    """The case's duals and reduced costs against the solution's, and the certificate they make."""
    problems: list[str | None] = []
    for kind, table, read in (("dual", case.duals, sol.dual), ("reduced cost", case.reduced_costs, sol.reduced_cost)):
        for name, expected in table.items():
            try:
                problems.append(mismatch(f"{kind} of {name}", read(handles[name]), expected))
            except ValueError as err:
                problems.append(f"{kind} of {name}: {err}")
    if not sol.certified:
        reasons = "; ".join(sol.verification.problems) if sol.verification else "no verification"
        problems.append(f"not certified ({reasons})")
    return problems
