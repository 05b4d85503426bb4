"""Quadratic objectives on the CVXPY, Pyomo and OR-Tools routes, against published optima.

Every route (``backend:sub``) that declares ``Capability.QUADRATIC`` solves the Maros–Mészáros
problems HS21, HS35 and HS76 (optima from the Hock–Schittkowski collection) and a concave
maximisation whose optimum and duals are derived by hand; each answer is verified by optmodel and
agrees with HiGHS. Routes declaring ``MIQP`` or ``NONCONVEX`` are checked by enumeration; the others
must refuse such objectives, naming what they lack. Routes whose solver is missing are skipped.
"""

import itertools

import numpy as np
import pytest

import optmodel as om
from optmodel.backend import Capability
from optmodel.dispatch import backend_class

sum_squares = om.sum_squares
BACKENDS = ("cvxpy", "ortools", "pyomo")


def routes(need: Capability, lacking: bool = False) -> list:
    """``backend:sub`` labels declaring ``need`` (or, with ``lacking``, declaring QUADRATIC but not
    ``need``); unusable ones as skips with the reason."""
    out = []
    for name in BACKENDS:
        cls = backend_class(name)
        if cls is None:
            continue
        for sub, caps in cls.subsolvers.items():
            if (need in caps) == lacking or Capability.QUADRATIC not in caps:
                continue
            reason = cls.unavailable_reason()
            if reason is None and sub not in cls().available_subsolvers():
                reason = f"{name}:{sub} is not usable on this machine"
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            out.append(pytest.param(f"{name}:{sub}", marks=marks, id=f"{name}:{sub}"))
    return out


def has(route: str, capability: Capability) -> bool:
    name, sub = route.split(":")
    return capability in backend_class(name).subsolvers[sub]


# --- the problems ------------------------------------------------------------------------------
def hs21() -> om.Model:
    """min 0.01 x1² + x2² - 100  s.t.  10 x1 - x2 >= 10, 2 <= x1 <= 50, -50 <= x2 <= 50."""
    m = om.Model("hs21")
    x = m.var(2, lb=[2, -50], ub=[50, 50])
    m.add(10 * x[0] - x[1] >= 10)
    m.minimize(0.01 * x[0] ** 2 + x[1] ** 2 - 100)
    return m


def hs35() -> om.Model:
    """min 9 - 8x1 - 6x2 - 4x3 + 2x1² + 2x2² + x3² + 2x1x2 + 2x1x3  s.t.  x1 + x2 + 2x3 <= 3, x >= 0."""
    m = om.Model("hs35")
    x = m.var(3, lb=0)
    m.add(x[0] + x[1] + 2 * x[2] <= 3)
    Q = np.array([[2.0, 1, 1], [1, 2, 0], [1, 0, 1]])  # x @ Q @ x is the quadratic part
    m.minimize(9 - 8 * x[0] - 6 * x[1] - 4 * x[2] + x @ Q @ x)
    return m


def hs76() -> om.Model:
    """min x1² + 0.5x2² + x3² + 0.5x4² - x1x3 + x3x4 - x1 - 3x2 + x3 - x4 over three rows, x >= 0."""
    m = om.Model("hs76")
    x = m.var(4, lb=0)
    m.add(x[0] + 2 * x[1] + x[2] + x[3] <= 5)
    m.add(3 * x[0] + x[1] + 2 * x[2] - x[3] <= 4)
    m.add(x[1] + 4 * x[2] >= 1.5)
    m.minimize(
        x[0] ** 2 + 0.5 * x[1] ** 2 + x[2] ** 2 + 0.5 * x[3] ** 2 - x[0] * x[2] + x[2] * x[3]
        - x[0] - 3 * x[1] + x[2] - x[3]
    )  # fmt: skip
    return m


def concave_max() -> om.Model:
    """max -(x-1)² - (y-2)²  s.t.  x + y <= 2: the projection (0.5, 1.5), value -0.5, row dual 1."""
    m = om.Model("concave")
    x = m.var(2, lb=-10, ub=10)
    m.add(x[0] + x[1] <= 2)
    m.maximize(-sum_squares(x - np.array([1.0, 2.0])))
    return m


# name -> (model, published optimum, optimal point, row duals in optmodel's convention)
# HS35's dual: the gradient c + Qx at x* is (-2/9, -2/9, -4/9) = y * (1, 1, 2).
PROBLEMS = {
    "hs21": (hs21, -99.96, [2.0, 0.0], [0.0]),
    "hs35": (hs35, 1 / 9, [4 / 3, 7 / 9, 4 / 9], [-2 / 9]),
    "hs76": (hs76, -4.681818181818182, [3 / 11, 23 / 11, 0.0, 6 / 11], None),
    "concave_max": (concave_max, -0.5, [0.5, 1.5], [1.0]),
}


def close(value: float, target: float, tol: float = 1e-6) -> bool:
    return abs(value - target) <= tol * max(1.0, abs(target))


@pytest.mark.parametrize("name", sorted(PROBLEMS))
@pytest.mark.parametrize("route", routes(Capability.QUADRATIC))
def test_published_qp_optima(route: str, name: str) -> None:
    build, optimum, point, duals = PROBLEMS[name]
    m = build()
    if route == "ortools:pdlp" and name in ("hs35", "hs76"):  # cross terms x_i*x_j
        with pytest.raises(om.CapabilityError, match="diagonal"):
            m.solve(route)
        return
    with_duals = has(route, Capability.DUALS)
    sol = m.solve(route, duals=with_duals)
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert sol.verification.passed, sol.verification.problems
    assert close(sol.objective, optimum), (sol.objective, optimum)
    assert close(sol.verification.objective_recomputed, optimum)
    np.testing.assert_allclose(sol.x, point, atol=1e-4)
    reference = build().solve("highs")
    assert reference.status is om.Status.OPTIMAL
    assert close(sol.objective, reference.objective)
    if with_duals:  # the Wolfe dual at the point closes the gap: KKT verified
        assert sol.verification.duality_gap is not None and sol.verification.duality_gap <= 1e-6
        if duals is not None:
            np.testing.assert_allclose(sol.row_duals, duals, atol=1e-5)


def dense_qp(n: int = 30) -> om.Model:
    """A dense, strictly convex QP with cross terms between all columns (seeded)."""
    rng = np.random.default_rng(3)
    L = rng.normal(size=(n, n))
    m = om.Model("dense")
    x = m.var(n, lb=-2, ub=2)
    m.add(rng.normal(size=(n // 2, n)) @ x <= 1)
    m.minimize(0.5 * (x @ (L @ L.T / n + 0.1 * np.eye(n)) @ x) + rng.normal(size=n) @ x)
    return m


@pytest.mark.parametrize("route", routes(Capability.QUADRATIC))
def test_dense_qp_agrees_with_highs(route: str) -> None:
    """435 cross terms: OR-Tools' SCIP must be told the objective is convex (it branches for
    minutes otherwise), and Pyomo's SCIP must stay quiet (a long log stalled it)."""
    if route == "ortools:pdlp":
        pytest.skip("PDLP takes diagonal quadratic objectives only")
    reference = dense_qp().solve("highs")
    sol = dense_qp().solve(route, time_limit=60)
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert close(sol.objective, reference.objective), (sol.objective, reference.objective)
    np.testing.assert_allclose(sol.x, reference.x, atol=1e-4)


# --- integers --------------------------------------------------------------------------------
TARGET = np.array([0.4, 1.6, -0.7])


def miqp() -> om.Model:
    """min ||x - t||² + (y - 0.3)² + x1*x2 over integer x in [-3, 3]³, 0 <= y <= 5, sum(x) + y >= 2.5."""
    m = om.Model("miqp")
    x = m.var(3, lb=-3, ub=3, integer=True)
    y = m.var(lb=0, ub=5)
    m.add(x.sum() + y >= 2.5)
    m.minimize(sum_squares(x - TARGET) + (y - 0.3) ** 2 + x[0] * x[1])
    return m


def miqp_by_enumeration() -> float:
    """Every integer x; the best y for it in closed form (the projection of 0.3 on its interval)."""
    best = np.inf
    for x in itertools.product(range(-3, 4), repeat=3):
        low = 2.5 - sum(x)
        if low > 5:
            continue
        y = min(max(0.3, low, 0.0), 5.0)
        best = min(best, float(((np.array(x) - TARGET) ** 2).sum() + (y - 0.3) ** 2 + x[0] * x[1]))
    return best


@pytest.mark.parametrize("route", routes(Capability.MIQP))
def test_miqp_matches_enumeration(route: str) -> None:
    sol = miqp().solve(route)
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert close(sol.objective, miqp_by_enumeration()), sol.objective
    assert np.allclose(sol.x[:3], np.round(sol.x[:3]))
    assert sol.bound is not None and close(sol.bound, sol.objective)  # the solver's proof


@pytest.mark.parametrize("route", routes(Capability.MIQP, lacking=True))
def test_miqp_refused_without_capability(route: str) -> None:
    with pytest.raises(om.CapabilityError, match=r"miqp|diagonal"):
        miqp().solve(route)


# --- nonconvex -------------------------------------------------------------------------------
def concave_box(n: int, seed: int) -> tuple[om.Model, float]:
    """min -||x - a||² over [0,1]^n with sum(x) <= 3: concave, so the optimum is a 0/1 vertex
    (found by enumeration); a local solver stops at the nearest one."""
    a = np.random.default_rng(seed).uniform(0.2, 0.8, n)
    m = om.Model("concave_box")
    x = m.var(n, lb=0, ub=1)
    m.add(x.sum() <= 3)
    m.minimize(-sum_squares(x - a))
    best = min(-float(((np.array(v) - a) ** 2).sum()) for v in itertools.product((0, 1), repeat=n) if sum(v) <= 3)
    return m, best


def bilinear() -> om.Model:
    """min x1*x2 + 0.1 x1 over [-1, 1]², x1 + x2 <= 1.5: the global optimum -1.1 at (-1, 1)."""
    m = om.Model("bilinear")
    x = m.var(2, lb=-1, ub=1)
    m.add(x[0] + x[1] <= 1.5)
    m.minimize(x[0] * x[1] + 0.1 * x[0])
    return m


@pytest.mark.parametrize("route", routes(Capability.NONCONVEX))
def test_nonconvex_global_optimum(route: str) -> None:
    sol = bilinear().solve(route)
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert close(sol.objective, -1.1)
    np.testing.assert_allclose(sol.x, [-1.0, 1.0], atol=1e-6)
    for n, seed in ((6, 0), (10, 1)):
        m, best = concave_box(n, seed)
        sol = m.solve(route)
        assert sol.status is om.Status.OPTIMAL, sol.message
        assert close(sol.objective, best), (sol.objective, best)


@pytest.mark.parametrize("route", routes(Capability.NONCONVEX, lacking=True))
def test_nonconvex_refused_with_reason(route: str) -> None:
    m = bilinear()
    assert Capability.NONCONVEX in m.requirements()
    with pytest.raises(om.CapabilityError, match=r"nonconvex|diagonal") as err:
        m.solve(route)
    assert route in str(err.value)


def test_declared_routes() -> None:
    """What each route declares, as checked above (a change here must come with its evidence)."""
    declared = {
        f"{name}:{sub}": sorted(c.value for c in caps & {Capability.QUADRATIC, Capability.MIQP, Capability.NONCONVEX})
        for name in BACKENDS
        for sub, caps in backend_class(name).subsolvers.items()
    }
    assert {k: v for k, v in declared.items() if v} == {
        "cvxpy:highs": ["quadratic"],
        "cvxpy:clarabel": ["quadratic"],
        "cvxpy:scs": ["quadratic"],
        "cvxpy:scip": ["miqp", "quadratic"],
        "ortools:pdlp": ["quadratic"],
        "ortools:scip": ["miqp", "nonconvex", "quadratic"],
        "pyomo:highs": ["quadratic"],
        "pyomo:scip": ["miqp", "nonconvex", "quadratic"],
    }
