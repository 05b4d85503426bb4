"""MathOptInterface's test problems for SOS1/SOS2 sets, indicator constraints, semicontinuous and
semi-integer variables, quadratic objectives and infeasibility certificates, on optmodel's public API.

Sources (MathOptInterface.jl, ``src/Test``): ``test_linear.jl`` (``test_linear_SOS1_integration``,
``test_linear_SOS2_integration``, ``test_linear_Indicator_*``, ``test_linear_Semicontinuous_integration``,
``test_linear_Semiinteger_integration``), ``test_quadratic.jl`` (the problems with a quadratic objective and
linear constraints), ``test_objective.jl`` (``test_objective_qp_ObjectiveFunction_*``),
``test_infeasibility_certificates.jl`` and ``test_solve.jl`` (``test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_*``).
The mathematics is transcribed; the conventions are those of ``moi_cases.py`` (optmodel's duals are
d objective / d bound, so MOI's duals of a ``MAX_SENSE`` problem change sign).

Notes on the transcription:

- MOI states ``ScalarQuadraticFunction`` as ½ Σ over its diagonal terms and Σ over its off-diagonal
  ones: a term ``(2, x, x)`` is x², ``(1, x, y)`` is xy. The objectives below are written out as the
  polynomials they mean.
- MOI's indicator and SOS1 problems leave the continuous variables free (SOS1: bounded above only).
  A big-M or binary reduction has no finite M for them, so only routes with native indicator / SOS
  constraints can take those models; the ``*_bounded`` variants add bounds that do not cut off the
  optimum (it lies inside them), so every MIP route can solve them through the core's reductions.
- MOI's integration tests modify one model between solves; each solve is a separate case here.
- A case's ``feature`` names the structure it tests (for the conformance matrix).
- Certificate cases (``feature="certificate"``) are LPs whose infeasibility or unboundedness must be
  proven: ``sol.certified`` true. The MOI LP problems of ``moi_cases.py`` with a certificate in MOI
  (``test_linear_INFEASIBLE``, ``_DUAL_INFEASIBLE``, ``test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_*``,
  ...) are reused from there by name.

The edge cases not from MOI (a nonconvex objective, a small MIQP, an SOS2 piecewise-linear function)
have optima derived by hand in their comments.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from moi_cases import CASES as LP_CASES
from moi_cases import Case, Handles

import optmodel as om

inf = math.inf


@dataclass(frozen=True)
class SpecialCase(Case):
    feature: str = ""  # sos, indicator, semicontinuous, quadratic, certificate

    def __repr__(self) -> str:
        return f"<SpecialCase {self.name}>"


SPECIAL_CASES: list[SpecialCase] = []
FEATURES = ("sos", "indicator", "semicontinuous", "quadratic", "certificate")


def case(name: str, status: str, source: str, feature: str, **expect: Any) -> Callable:
    """Register the decorated builder as a case of ``feature``."""

    def register(build: Callable[[], tuple[om.Model, Handles]]) -> Callable:
        if any(c.name == name for c in SPECIAL_CASES):
            raise ValueError(f"duplicate case name {name}")
        SPECIAL_CASES.append(SpecialCase(name, source, build, status, feature=feature, **expect))
        return build

    return register


MOI_LINEAR = "MOI test_linear.jl"
MOI_QUADRATIC = "MOI test_quadratic.jl"
MOI_OBJECTIVE = "MOI test_objective.jl"
MOI_CERTIFICATES = "MOI test_infeasibility_certificates.jl"
EXTRA = "edge case"


# ---------------------------------------------------------------------------------------------
# SOS1 / SOS2: test_linear_SOS1_integration, test_linear_SOS2_integration
# ---------------------------------------------------------------------------------------------


def _sos1(lb: float) -> tuple[om.Model, Handles]:
    """max 2x + y + z, x <= 1, y <= 1, z <= 2, SOS1{x, y} and SOS1{x, z} (weights 1, 2)."""
    m = om.Model()
    v = m.var(3, lb=lb, ub=[1, 1, 2])
    m.sos1(v[[0, 1]], [1, 2])
    m.sos1(v[[0, 2]], [1, 2])
    m.maximize(v @ [2, 1, 1])
    return m, {"v": v}


@case("linear_SOS1_integration", "optimal", f"{MOI_LINEAR} test_linear_SOS1_integration (variables free below)",
      "sos", objective=3.0, primal={"v": [0, 1, 2]}, mip=True)
def _():
    return _sos1(-inf)


@case("linear_SOS1_integration_bounded", "optimal",
      f"{MOI_LINEAR} test_linear_SOS1_integration with x, y, z >= 0 (the optimum is unchanged)",
      "sos", objective=3.0, primal={"v": [0, 1, 2]}, mip=True)
def _():
    return _sos1(0.0)


def _sos2(binary: bool) -> tuple[om.Model, Handles]:
    """max v9 + v10 s.t. v1 + 2v2 + 3v3 == v9, 5v4 + 4v5 + 7v6 + 2v7 + v8 == v10, v1..v8 in [0, 2]
    (binary in MOI's first solve), SOS1{v1, v2, v3} weights (1, 2, 3), SOS2{v4, .., v8} weights
    (5, 4, 7, 2, 1): ordered by weight v8, v7, v5, v4, v6."""
    m = om.Model()
    v = m.var(8, lb=0, ub=2, binary=binary)  # MOI: Interval(0, 2) and, first, ZeroOne
    s = m.var(2)
    m.add(v[[0, 1, 2]] @ [1, 2, 3] - s[0] == 0)
    m.add(v[[3, 4, 5, 6, 7]] @ [5, 4, 7, 2, 1] - s[1] == 0)
    m.sos1(v[[0, 1, 2]], [1, 2, 3])
    m.sos2(v[[3, 4, 5, 6, 7]], [5, 4, 7, 2, 1])
    m.maximize(s.sum())
    return m, {"v": v, "s": s}


@case("linear_SOS2_integration_binary", "optimal", f"{MOI_LINEAR} test_linear_SOS2_integration (v1..v8 binary)",
      "sos", objective=15.0, primal={"v": [0, 0, 1, 1, 0, 1, 0, 0], "s": [3, 12]}, mip=True)
def _():
    return _sos2(True)


@case("linear_SOS2_integration_continuous", "optimal",
      f"{MOI_LINEAR} test_linear_SOS2_integration (binary constraints deleted)",
      "sos", objective=30.0, primal={"v": [0, 0, 2, 2, 0, 2, 0, 0], "s": [6, 24]}, mip=True)
def _():
    return _sos2(False)


@case("sos2_piecewise_linear", "optimal",
      f"{EXTRA}: min f(t), f piecewise linear through (0, 4), (1, 1), (2, 2), (3, 0), t <= 2.4, by SOS2 weights",
      "sos", objective=1.0, primal={"lam": [0, 1, 0, 0], "t": 1.0}, mip=True)
def _():
    # t = sum(k * lam_k), f = lam @ [4, 1, 2, 0], sum(lam) == 1, SOS2(lam): f is the interpolant.
    # On [0, 2.4] its least value is f(1) = 1 (f(2.4) = 1.2); without SOS2 the LP would mix the
    # points (1, 1) and (3, 0) to reach f = 0.3 at t = 2.4.
    m = om.Model()
    lam = m.var(4, lb=0, ub=1)
    t = m.var(name="t")
    m.add(lam.sum() == 1)
    m.add(lam @ [0, 1, 2, 3] - t == 0)
    m.add(t <= 2.4)
    m.sos2(lam, [0, 1, 2, 3])
    m.minimize(lam @ [4, 1, 2, 0])
    return m, {"lam": lam, "t": t}


# ---------------------------------------------------------------------------------------------
# Indicator constraints: test_linear_Indicator_integration, _ON_ONE, _ON_ZERO, _constant_term
# ---------------------------------------------------------------------------------------------


def _indicator(kind: str, bounded: bool) -> tuple[om.Model, Handles]:
    """max 2x1 + 3x2 (- 30 z2 for ON_ONE) s.t. x1 + x2 <= 10, z1 ==> x2 <= 8, z2 ==> x2 + x1/5 <= 9,
    z1 + z2 >= 1; ON_ZERO: z1 == 0 ==> x2 <= 8 and z2 - z1 >= 0; constant_term: the same rows
    written x2 - 1 <= 7 and x2 + x1/5 + 1 <= 10."""
    m = om.Model()
    lb, ub = (0.0, 10.0) if bounded else (-inf, inf)
    x1 = m.var(lb=lb, ub=ub, name="x1")
    x2 = m.var(lb=lb, ub=ub, name="x2")
    z1 = m.var(binary=True, name="z1")
    z2 = m.var(binary=True, name="z2")
    if kind == "constant_term":
        m.indicator(z1, x2 - 1 <= 7)
        m.indicator(z2, x2 + x1 / 5 + 1 <= 10)
    else:
        m.indicator(z1, x2 <= 8, active=0 if kind == "ON_ZERO" else 1)
        m.indicator(z2, x2 + x1 / 5 <= 9)
    m.add(x1 + x2 <= 10)
    m.add((z2 - z1 >= 0) if kind == "ON_ZERO" else (z1 + z2 >= 1))
    m.maximize(2 * x1 + 3 * x2 - (30 * z2 if kind == "ON_ONE" else 0))
    return m, {"x1": x1, "x2": x2, "z1": z1, "z2": z2}


_INDICATOR = {
    # kind: (MOI test, objective, x1, x2, z1, z2)
    "integration": ("test_linear_Indicator_integration", 115 / 4, 5 / 4, 35 / 4, 0, 1),
    "ON_ONE": ("test_linear_Indicator_ON_ONE", 28.0, 2, 8, 1, 0),
    "ON_ZERO": ("test_linear_Indicator_ON_ZERO", 115 / 4, 5 / 4, 35 / 4, 1, 1),
    "constant_term": ("test_linear_Indicator_constant_term", 115 / 4, 5 / 4, 35 / 4, 0, 1),
}

for _kind, (_test, _obj, _x1, _x2, _z1, _z2) in _INDICATOR.items():
    for _bounded in (False, True):
        case(
            f"linear_Indicator_{_kind}" + ("_bounded" if _bounded else ""),
            "optimal",
            f"{MOI_LINEAR} {_test}" + (" with x1, x2 in [0, 10] (the optimum is unchanged)" if _bounded
                                       else " (x1, x2 free)"),
            "indicator",
            objective=_obj,
            primal={"x1": _x1, "x2": _x2, "z1": _z1, "z2": _z2},
            mip=True,
        )(lambda kind=_kind, bounded=_bounded: _indicator(kind, bounded))


@case("indicator_infeasible", "infeasible",
      f"{EXTRA}: z ==> x >= 3 and 1 - z ==> x <= -1 (active on 0), x in [0, 2]: neither branch fits",
      "indicator", mip=True)
def _():
    m = om.Model()
    x = m.var(lb=0, ub=2)
    z = m.var(binary=True)
    m.indicator(z, x >= 3)
    m.indicator(z, x <= -1, active=0)
    m.minimize(x)
    return m, {}


# ---------------------------------------------------------------------------------------------
# Semicontinuous / semi-integer: test_linear_Semicontinuous_integration, _Semiinteger_integration
# min x s.t. x - y >= 0, y fixed, x in {0} ∪ [2, 3] (semi-integer: {0, 2, 3})
# ---------------------------------------------------------------------------------------------


def _semi(y_value: float, integer: bool) -> tuple[om.Model, Handles]:
    m = om.Model()
    x = m.var(lb=2, ub=3, semicontinuous=True, integer=integer, name="x")
    y = m.var(lb=y_value, ub=y_value, name="y")
    m.add(x - y >= 0)
    m.minimize(x)
    return m, {"x": x, "y": y}


# y: (semicontinuous optimum x, semi-integer optimum x); None: infeasible.
_SEMI = {0.0: (0.0, 0.0), 1.0: (2.0, 2.0), 2.0: (2.0, 2.0), 2.5: (2.5, 3.0), 3.0: (3.0, 3.0), 4.0: (None, None)}

for _integer, _label in ((False, "Semicontinuous"), (True, "Semiinteger")):
    for _y, _answers in _SEMI.items():
        _x = _answers[int(_integer)]
        _expect: dict[str, Any] = {} if _x is None else {"objective": _x, "primal": {"x": _x, "y": _y}}
        case(
            f"linear_{_label}_y{_y:g}".replace(".", "_"),
            "infeasible" if _x is None else "optimal",
            f"{MOI_LINEAR} test_linear_{_label}_integration (y = {_y:g})",
            "semicontinuous",
            mip=True,
            **_expect,
        )(lambda y=_y, integer=_integer: _semi(y, integer))


@case("semicontinuous_max_upper", "optimal",
      f"{EXTRA}: max x + y, x semicontinuous in {{0}} ∪ [1, 4], x + y <= 3.5, y in [0, 1]",
      "semicontinuous", objective=3.5, primal={"s": 3.5}, within={"x": (2.5, 3.5), "y": (0, 1)}, mip=True)
def _():
    # Any x in [2.5, 3.5] with y = 3.5 - x: the objective 3.5 is the row's bound.
    m = om.Model()
    x = m.var(lb=1, ub=4, semicontinuous=True)
    y = m.var(lb=0, ub=1)
    m.add(x + y <= 3.5)
    m.maximize(x + y)
    return m, {"x": x, "y": y, "s": x + y}


# ---------------------------------------------------------------------------------------------
# Quadratic objectives: test_quadratic.jl, test_objective.jl (test_objective_qp_*)
# ---------------------------------------------------------------------------------------------

# x² + xy + y² + yz + z² as vᵀ P v.
_P = np.array([[1.0, 0.5, 0.0], [0.5, 1.0, 0.5], [0.0, 0.5, 1.0]])


def _quadratic_rows(m: om.Model, v: om.Var) -> tuple[om.Constraint, om.Constraint]:
    c1 = m.add(v @ [1, 2, 3] >= 4)
    c2 = m.add(v[0] + v[1] >= 1)
    return c1, c2


@case("quadratic_integration", "optimal", f"{MOI_QUADRATIC} test_quadratic_integration",
      "quadratic", objective=13 / 7, primal={"v": [4 / 7, 3 / 7, 6 / 7]}, duals={"c1": 5 / 7, "c2": 6 / 7},
      reduced_costs={"v": [0, 0, 0]})
def _():
    m = om.Model()
    v = m.var(3)
    c1, c2 = _quadratic_rows(m, v)
    m.minimize(v @ _P @ v)
    return m, {"v": v, "c1": c1, "c2": c2}


def _duplicate_terms(v: om.Var) -> om.QuadExpr:
    """MOI's duplicate terms: x² + ½xy + ½xy + y² + yz + ½z² + ½z² (= x² + xy + y² + yz + z²)."""
    x, y, z = v[0], v[1], v[2]
    return x * x + 0.5 * (x * y) + 0.5 * (x * y) + y**2 + y * z + 0.5 * z**2 + 0.5 * (z * z)


@case("quadratic_duplicate_terms_min", "optimal", f"{MOI_QUADRATIC} test_quadratic_duplicate_terms (min)",
      "quadratic", objective=13 / 7, primal={"v": [4 / 7, 3 / 7, 6 / 7]}, duals={"c1": 5 / 7, "c2": 6 / 7})
def _():
    m = om.Model()
    v = m.var(3)
    c1, c2 = _quadratic_rows(m, v)
    m.minimize(_duplicate_terms(v))
    return m, {"v": v, "c1": c1, "c2": c2}


@case("quadratic_duplicate_terms_max", "optimal",
      f"{MOI_QUADRATIC} test_quadratic_duplicate_terms (max -2(x² + xy + y² + yz + z²))",
      "quadratic", objective=-26 / 7, primal={"v": [4 / 7, 3 / 7, 6 / 7]}, duals={"c1": -10 / 7, "c2": -12 / 7})
def _():
    m = om.Model()
    v = m.var(3)
    c1, c2 = _quadratic_rows(m, v)
    m.maximize(-2 * _duplicate_terms(v))
    return m, {"v": v, "c1": c1, "c2": c2}


@case("quadratic_nonhomogeneous", "optimal", f"{MOI_QUADRATIC} test_quadratic_nonhomogeneous",
      "quadratic", objective=2.875, primal={"x": 0.25, "y": 0.75}, duals={"c": 11 / 4},
      reduced_costs={"x": 0.0, "y": 0.0})
def _():
    m = om.Model()
    x = m.var(lb=0, name="x")
    y = m.var(lb=0, name="y")
    c = m.add(x + y == 1)
    m.minimize(2 * x**2 + y**2 + x * y + x + y + 1)
    return m, {"x": x, "y": y, "c": c}


def _edge(objective: Callable[[om.Var], Any]) -> tuple[om.Model, Handles]:
    m = om.Model()
    v = m.var(2, lb=[1, 2])
    m.minimize(objective(v))
    return m, {"v": v, "x": v[0], "y": v[1]}


@case("objective_qp_edge_cases_basic", "optimal",
      f"{MOI_OBJECTIVE} test_objective_qp_ObjectiveFunction_edge_cases (min x² + y², x >= 1, y >= 2)",
      "quadratic", objective=5.0, primal={"v": [1, 2]}, reduced_costs={"v": [2, 4]})
def _():
    return _edge(om.sum_squares)


@case("objective_qp_edge_cases_duplicate_linear", "optimal",
      f"{MOI_OBJECTIVE} test_objective_qp_ObjectiveFunction_edge_cases (min x + x + x² + y²)",
      "quadratic", objective=7.0, primal={"v": [1, 2]}, reduced_costs={"v": [4, 4]})
def _():
    return _edge(lambda v: v[0] + v[0] + om.sum_squares(v))


@case("objective_qp_edge_cases_duplicate_diagonal", "optimal",
      f"{MOI_OBJECTIVE} test_objective_qp_ObjectiveFunction_edge_cases (min x² + x², y free above 2)",
      "quadratic", objective=2.0, primal={"x": 1.0}, within={"y": (2, inf)}, reduced_costs={"v": [4, 0]})
def _():
    return _edge(lambda v: v[0] * v[0] + v[0] ** 2)


@case("objective_qp_edge_cases_duplicate_offdiagonal", "optimal",
      f"{MOI_OBJECTIVE} test_objective_qp_ObjectiveFunction_edge_cases (min x² + ¼xy + ¼yx + ½xy + y²)",
      "quadratic", objective=7.0, primal={"v": [1, 2]}, reduced_costs={"v": [4, 5]})
def _():
    def objective(v: om.Var) -> om.QuadExpr:
        x, y = v[0], v[1]
        return x**2 + 0.25 * (x * y) + 0.25 * (y * x) + 0.5 * (x * y) + y**2

    return _edge(objective)


@case("objective_qp_zero_ofdiag", "optimal",
      f"{MOI_OBJECTIVE} test_objective_qp_ObjectiveFunction_zero_ofdiag (min x² + 0xy + y²)",
      "quadratic", objective=5.0, primal={"v": [1, 2]}, reduced_costs={"v": [2, 4]})
def _():
    return _edge(lambda v: v @ np.array([[1.0, 0.0], [0.0, 1.0]]) @ v + 0 * (v[0] * v[1]))


@case("quadratic_nonconvex_max_convex", "optimal",
      f"{EXTRA}: max x² + y² (nonconvex), x in [-1, 2], y in [0, 1]",
      "quadratic", objective=5.0, primal={"v": [2, 1]})
def _():
    # A convex function is largest at a vertex: (-1, 0) 1, (-1, 1) 2, (2, 0) 4, (2, 1) 5.
    m = om.Model()
    v = m.var(2, lb=[-1, 0], ub=[2, 1])
    m.maximize(om.sum_squares(v))
    return m, {"v": v}


@case("quadratic_miqp_nearest_lattice_point", "optimal",
      f"{EXTRA}: min (x - 2.6)² + (y - 1.2)², x, y integer in [0, 5]",
      "quadratic", objective=0.2, primal={"v": [3, 1]}, mip=True)
def _():
    # The nearest integer point rounds each coordinate: (3, 1), 0.4² + 0.2² = 0.2.
    m = om.Model()
    v = m.var(2, lb=0, ub=5, integer=True)
    m.minimize(om.sum_squares(v - np.array([2.6, 1.2])))
    return m, {"v": v}


# ---------------------------------------------------------------------------------------------
# Certificates: test_infeasibility_certificates.jl (test_unbounded_*, test_infeasible_*,
# test_infeasible_affine_*), for MIN and MAX sense, with and without an objective offset of 1.2
# ---------------------------------------------------------------------------------------------


def _unbounded(sense: str, offset: float) -> tuple[om.Model, Handles]:
    """min 2.2x + offset s.t. 1.3x <= 1.1 (max: 1.3x >= 1.1), x free: a primal ray d < 0 (max: > 0)."""
    m = om.Model()
    x = m.var()
    m.add(1.3 * x <= 1.1 if sense == "MIN" else 1.3 * x >= 1.1)
    getattr(m, "minimize" if sense == "MIN" else "maximize")(2.2 * x + offset)
    return m, {}


def _infeasible(sense: str, offset: float, affine_lower: bool) -> tuple[om.Model, Handles]:
    """x >= 2.5 and x <= 1.4, one a bound and the other a row (``affine_lower``: the row is x >= 2.5)."""
    m = om.Model()
    if affine_lower:
        x = m.var(ub=1.4)
        m.add(1.0 * x >= 2.5)
    else:
        x = m.var(lb=2.5)
        m.add(1.0 * x <= 1.4)
    getattr(m, "minimize" if sense == "MIN" else "maximize")(2.2 * x + offset)
    return m, {}


for _sense in ("MIN", "MAX"):
    for _offset in (0.0, 1.2):
        _suffix = f"{_sense}_SENSE" + ("_offset" if _offset else "")
        case(f"unbounded_{_suffix}", "unbounded", f"{MOI_CERTIFICATES} test_unbounded_{_suffix}", "certificate")(
            lambda sense=_sense, offset=_offset: _unbounded(sense, offset))
        case(f"infeasible_{_suffix}", "infeasible", f"{MOI_CERTIFICATES} test_infeasible_{_suffix}", "certificate")(
            lambda sense=_sense, offset=_offset: _infeasible(sense, offset, False))
        case(f"infeasible_affine_{_suffix}", "infeasible", f"{MOI_CERTIFICATES} test_infeasible_affine_{_suffix}",
             "certificate")(lambda sense=_sense, offset=_offset: _infeasible(sense, offset, True))


# MOI's LP problems in moi_cases.py whose MOI test reads an infeasibility certificate (DualStatus or
# PrimalStatus INFEASIBILITY_CERTIFICATE): here their certificate must be checked too.
_CERTIFIED_LP = (
    "linear_INFEASIBLE",
    "linear_INFEASIBLE_2",
    "linear_DUAL_INFEASIBLE",
    "linear_DUAL_INFEASIBLE_2",
    "solve_TerminationStatus_DUAL_INFEASIBLE",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_upper",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_lower",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_LessThan",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_GreaterThan",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_upper",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_lower",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan",
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan_max",
)
_by_name = {c.name: c for c in LP_CASES}
for _name in _CERTIFIED_LP:
    _lp = _by_name[_name]
    SPECIAL_CASES.append(
        SpecialCase(**{f.name: getattr(_lp, f.name) for f in dataclasses.fields(Case)}, feature="certificate")
    )
