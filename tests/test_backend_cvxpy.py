"""The CVXPY backend against known optima (Netlib, MIPLIB) and HiGHS's duals, per sub-solver."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import data_path, optima

import optmodel as om
from optmodel.backends.cvxpy import _SOLVERS, Cvxpy, installed_solvers
from optmodel.errors import CapabilityError
from optmodel.solution import Status

pytest.importorskip("cvxpy")

NETLIB = sorted(optima("netlib"))
MIPLIB = sorted(optima("miplib"))
SUBS = Cvxpy().available_subsolvers()
LP_SUBS = [s for s in ("highs", "clarabel", "scs", "scip", "scipy", "glop", "pdlp") if s in SUBS]
MIP_SUBS = [s for s in ("highs", "scip", "scipy") if s in SUBS]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(1.0, abs(b))


@pytest.mark.parametrize("sub", LP_SUBS)
@pytest.mark.parametrize("name", NETLIB)
def test_netlib_optimum(name: str, sub: str) -> None:
    sol = om.read(str(data_path("netlib", f"{name}.mps"))).solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("netlib")[name]) < 1e-6
    if om.Capability.DUALS in Cvxpy.subsolvers[sub]:
        assert sol.verification.duality_gap is not None and sol.verification.duality_gap < 1e-6


@pytest.mark.parametrize("sub", MIP_SUBS)
@pytest.mark.parametrize("name", MIPLIB)
def test_miplib_optimum(name: str, sub: str) -> None:
    sol = om.read(str(data_path("miplib", f"{name}.mps"))).solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("miplib")[name]) < 1e-6
    if sub in ("highs", "scip"):  # the solvers whose MIP bound CVXPY exposes
        assert sol.bound is not None and _rel(sol.bound, sol.objective) < 1e-4


def test_default_subsolvers() -> None:
    lp = om.read(str(data_path("netlib", "afiro.mps")))
    assert lp.solve("cvxpy").backend == "cvxpy:highs"
    m = om.Model()
    p = m.var(lb=0, ub=1)
    m.maximize(om.log(p) + om.log(1 - p))
    assert m.solve("cvxpy").backend == "cvxpy:clarabel"


# sc50b and kb2 have unique duals (simplex, interior point and PDLP agree on them); afiro's
# optimal dual face is not a point, so only solvers with HiGHS underneath must match it exactly.
DUAL_SUBS = ("highs", "clarabel", "scs", "glop", "scipy", "pdlp")
DUAL_CASES = [(s, n) for s in DUAL_SUBS if s in SUBS for n in ("sc50b", "kb2")]
DUAL_CASES += [(s, "afiro") for s in ("highs",) if s in SUBS]


@pytest.mark.parametrize(("sub", "name"), DUAL_CASES)
@pytest.mark.parametrize("maximize", [False, True])
def test_duals_equal_highs(sub: str, name: str, maximize: bool) -> None:
    """Duals and reduced costs equal HiGHS's; as a maximisation (objective negated) too."""
    form = om.read(str(data_path("netlib", f"{name}.mps"))).canonical()
    model, x, rows = om.Model.from_canonical(form)
    if maximize:
        model.maximize(x @ (-form.c))
    ref, sol = model.solve("highs"), model.solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL
    scale = 1e-6 * max(1.0, float(np.abs(ref.row_duals).max()))
    np.testing.assert_allclose(sol.dual(rows), ref.dual(rows), atol=scale)
    np.testing.assert_allclose(sol.reduced_cost(x), ref.reduced_cost(x), atol=scale)


def test_ranged_and_equal_rows() -> None:
    """A ranged row enters twice (its two sides); its dual is the active side's."""
    m = om.Model()
    x = m.var(3, lb=0, ub=4)
    rng = m.add(x[:2].sum().between(1, 3))
    eq = m.add(x[2] == 2)
    m.maximize(x @ [1, 2, 5])
    sol = m.solve("cvxpy:highs")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(16)
    assert sol.dual(rng) == pytest.approx(2) and sol.dual(eq) == pytest.approx(5)
    np.testing.assert_allclose(sol[x], [0, 3, 2], atol=1e-9)


@pytest.mark.parametrize("sub", [s for s in ("highs", "clarabel", "scip", "glop") if s in SUBS])
def test_infeasible_and_unbounded(sub: str) -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() <= -1)
    m.minimize(x.sum())
    assert m.solve(f"cvxpy:{sub}").status is Status.INFEASIBLE
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    assert m.solve(f"cvxpy:{sub}").status is Status.UNBOUNDED


def test_empty_row_outside_bounds_is_infeasible() -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(0 * x.sum() >= 1)
    m.minimize(x.sum())
    assert m.solve("cvxpy").status is Status.INFEASIBLE


@pytest.mark.parametrize("sub", [s for s in ("highs", "scip") if s in SUBS])
def test_time_limit(sub: str) -> None:
    sol = om.read(str(data_path("miplib", "bell5.mps"))).solve(f"cvxpy:{sub}", time_limit=0.05)
    assert sol.status is Status.TIME_LIMIT
    if sol.has_values:
        assert sol.verification.feasible and sol.objective >= optima("miplib")["bell5"] * (1 - 1e-9)


def test_mixed_integer_and_continuous_columns() -> None:
    """Integer columns live in their own CVXPY variable; values must land in the right columns."""
    m = om.Model()
    y = m.var(2, lb=0, ub=10)
    k = m.var(2, lb=0, ub=10, integer=True)
    m.add(y + k <= [2.5, 3.7])
    m.add(k[0] >= 0.5)
    m.maximize(y @ [1, 0.5] + k @ [1.5, 2])
    sol = m.solve("cvxpy:highs")
    ref = m.solve("highs")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(ref.objective)
    np.testing.assert_allclose(sol[k], [2, 3])
    np.testing.assert_allclose(sol[y], [0.5, 0.7])


def test_clarabel_refuses_integers_and_names_the_able() -> None:
    m = om.Model()
    x = m.var(2, lb=0, ub=3, integer=True)
    m.maximize(x.sum())
    expected = r"cvxpy:clarabel cannot solve mip models; backends that can: .*cvxpy:highs"
    with pytest.raises(CapabilityError, match=expected):
        m.solve("cvxpy:clarabel")


def test_cheap_availability_agrees_with_cvxpy() -> None:
    names = installed_solvers()
    for sub, (solver, _module) in _SOLVERS.items():
        assert (sub in SUBS) == (solver in names), sub


def test_listing_does_not_import_cvxpy() -> None:
    code = (
        "import sys; from optmodel.backends.cvxpy import Cvxpy; Cvxpy().available_subsolvers(); "
        "assert 'cvxpy' not in sys.modules, 'cvxpy imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_infeasible_or_unbounded_is_decided_by_the_core(monkeypatch: pytest.MonkeyPatch) -> None:
    """When HiGHS (through CVXPY) answers "infeasible or unbounded", the adapter says so and the
    core's feasibility problem, solved on a fresh adapter, tells which (no retry in the adapter)."""
    from optmodel.backends.cvxpy import _Translation

    real, calls = _Translation.solve, []

    def first_undecided(self, verbose, cancel):  # type: ignore[no-untyped-def]
        calls.append(bool(np.any(self.form.c)))  # the model's objective, then the zero objective
        status, results, error = real(self, verbose, cancel)
        return ("infeasible_or_unbounded", results, error) if len(calls) == 1 else (status, results, error)

    monkeypatch.setattr(_Translation, "solve", first_undecided)
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    sol = m.solve("cvxpy:highs")
    assert sol.status is Status.UNBOUNDED and sol.certified
    assert calls == [True, False, True]  # the model, the feasibility problem, the certificate's ray LP


@pytest.mark.parametrize("sub", [s for s in ("highs", "scip") if s in SUBS])
def test_limit_before_any_solution_returns_no_point(sub: str) -> None:
    """CVXPY passes HiGHS's column values on at a limit even without a feasible solution, and
    calls SCIP's time limit without one a solver error: both are a time limit without a point."""
    sol = om.read(str(data_path("miplib", "bell5.mps"))).solve(f"cvxpy:{sub}", time_limit=0)
    assert sol.status is Status.TIME_LIMIT and not sol.has_values, sol.message
    assert "before a feasible solution was found" in sol.message


@pytest.mark.parametrize("sub", [s for s in ("scs", "clarabel", "highs") if s in SUBS])
def test_free_variables_with_rows(sub: str) -> None:
    """Only free columns (no bound constraints at all in CVXPY's problem) and a few rows."""
    m = om.Model()
    x = m.var(3)
    m.add(x[0] + x[1] >= 1)
    m.add((x[0] - x[1]).between(-2, 2))
    m.add(x[2] == x[0] + 1)
    m.minimize(x.sum())
    sol = m.solve(f"cvxpy:{sub}")
    assert sol.status is Status.OPTIMAL and sol.certified, sol.message
    assert sol.objective == pytest.approx(1.5, abs=1e-7)


def test_warm_start_is_declared_only_where_cvxpy_passes_it() -> None:
    """CVXPY hands variables' values to GUROBI only; elsewhere a start would be ignored silently,
    so it is refused before the solve."""
    assert [s for s, caps in Cvxpy.subsolvers.items() if om.Capability.WARM_START in caps] == ["gurobi"]
    m = om.Model()
    x = m.var(2, lb=0, ub=1, integer=True)
    m.add(x.sum() <= 1)
    m.maximize(x.sum())
    with pytest.raises(CapabilityError, match="cvxpy:highs cannot provide warm_start"):
        m.solve("cvxpy:highs", warm_start=np.array([1.0, 0.0]))


def _hard_knapsack() -> om.Model:
    """A MIP that HiGHS and SCIP take far longer than a few seconds over."""
    rng = np.random.default_rng(1)
    w = rng.integers(20, 60, size=(3, 60))
    m = om.Model("knapsack")
    x = m.var(60, binary=True)
    m.add(w @ x <= w.sum(axis=1) // 2)
    m.maximize(x @ (w.sum(axis=0) + rng.integers(0, 10, 60)))
    return m


@pytest.mark.parametrize("sub", [s for s in ("highs", "scip") if s in SUBS])
def test_ctrl_c_stops_the_solver_and_keeps_its_incumbent(sub: str) -> None:
    """The first Ctrl-C reaches HiGHS's cancelSolve / SCIP's interruptSolve through the subclassed
    CVXPY interfaces: the solve returns within 1.5 s of the signal with the incumbent."""
    import os
    import signal
    import threading
    import time

    om.read(str(data_path("netlib", "afiro.mps"))).solve(f"cvxpy:{sub}")  # CVXPY imported and warm
    m = _hard_knapsack()
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    start = time.perf_counter()
    timer.start()
    sol = m.solve(f"cvxpy:{sub}", time_limit=60)
    waited = time.perf_counter() - start - 1.0
    timer.cancel()
    assert sol.status is Status.INTERRUPTED, sol.message
    assert waited < 1.5
    assert sol.has_values and sol.verification.feasible and 0 <= sol.gap < 1


def test_second_ctrl_c_aborts() -> None:
    """A solver that ignores its cancel call: the second Ctrl-C raises KeyboardInterrupt."""
    import os
    import signal
    import threading
    import time

    import optmodel.backends.cvxpy as cb

    om.read(str(data_path("netlib", "afiro.mps"))).solve("cvxpy:highs")
    m = _hard_knapsack()
    real = cb.run_in_worker
    timers = [threading.Timer(t, os.kill, (os.getpid(), signal.SIGINT)) for t in (1.0, 1.3)]
    cb.run_in_worker = lambda work, cancel=None: real(work, lambda: None)  # type: ignore[assignment]
    try:
        start = time.perf_counter()
        for t in timers:
            t.start()
        with pytest.raises(KeyboardInterrupt):
            m.solve("cvxpy:highs", time_limit=5)
        assert time.perf_counter() - start < 2.5
    finally:
        cb.run_in_worker = real
        for t in timers:
            t.cancel()
        for worker in threading.enumerate():  # the abandoned solve ends at its time limit
            if worker.name == "optmodel-solve":
                worker.join(10)


@pytest.mark.parametrize("sub", LP_SUBS)
def test_time_limit_keyword_is_accepted(sub: str) -> None:
    """Each sub-solver's own time-limit keyword must be one its solver takes."""
    sol = om.read(str(data_path("netlib", "afiro.mps"))).solve(f"cvxpy:{sub}", time_limit=60, mip_gap=1e-6)
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("netlib")["afiro"]) < 1e-6


@pytest.mark.parametrize("sub", MIP_SUBS)
def test_mip_limits_are_accepted(sub: str) -> None:
    sol = om.read(str(data_path("miplib", "egout.mps"))).solve(f"cvxpy:{sub}", time_limit=60, mip_gap=1e-9)
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("miplib")["egout"]) < 1e-6
