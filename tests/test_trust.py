"""The cases of the "results you can trust" issue that the core decides for every backend:
verification of duals, ill-posed bounds and data, trivial models, lazy gaps, honest requirements,
Ctrl-C, and the adapter contract itself."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest

import optmodel as om
from optmodel.backend import Adapter, Capability, RawResult
from optmodel.dispatch import backend_classes
from optmodel.errors import CapabilityError, InputError, ModelError
from optmodel.solving import relative_gap

LP_BACKENDS = ["highs", "ortools:glop", "scip", "pyomo", "cvxpy:clarabel", "cvxpy:highs"]


def _installed(label: str) -> bool:
    cls = backend_classes().get(label.partition(":")[0])
    return cls is not None and cls.unavailable_reason() is None


def test_small_dual_on_a_large_bound_is_kept_and_certified() -> None:
    # The old check zeroed duals below 1e-6 (1 + max|c|) and then priced the bounds: a dual of
    # 0.0025 on a bound of 917,000 lost 2,292 of the dual objective and made HiGHS "unverified".
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x[0] >= 1)
    m.add(x[1] >= 917_000)
    m.minimize(x @ [5000.0, 0.0025])
    sol = m.solve("highs")
    assert sol.status is om.Status.OPTIMAL and sol.certified
    assert sol.objective == pytest.approx(5000 + 0.0025 * 917_000)
    assert sol.verification.duality_gap < 1e-12


def test_wrong_sign_dual_on_an_infinite_bound_is_refused() -> None:
    from optmodel.solution import Solution, SolutionStatus, Status, Termination
    from optmodel.verify import verify

    m = om.Model()
    x = m.var(lb=0)
    m.add(x >= 1)
    m.minimize(x)
    form = m.canonical()
    good = Solution(Status.ERROR, Termination.OPTIMAL, SolutionStatus.OPTIMAL, objective=1.0, x=np.array([1.0]),
                    row_duals=np.array([1.0]), reduced_costs=np.array([0.0]))
    assert verify(form, good).passed
    # A negative dual prices the row's upper bound, which is +inf: dual infeasible, not clipped away.
    bad = Solution(Status.ERROR, Termination.OPTIMAL, SolutionStatus.OPTIMAL, objective=1.0, x=np.array([1.0]),
                   row_duals=np.array([-1.0]), reduced_costs=np.array([2.0]))
    assert any("duals are infeasible" in p for p in verify(form, bad).problems)


def test_lower_bound_of_plus_infinity_is_never_satisfied() -> None:
    from optmodel.verify import _violation

    v = _violation(np.array([1.0, 1.0]), np.array([np.inf, -np.inf]), np.array([np.inf, -np.inf]))
    assert np.all(np.isinf(v))


@pytest.mark.parametrize("backend", LP_BACKENDS)
def test_ill_posed_bounds_are_refused_on_every_backend(backend: str) -> None:
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(lb=np.inf)  # a lower bound of +inf: no value satisfies it
    m.add(x <= 3)
    m.minimize(x)
    with pytest.raises(ModelError, match="lower bound"):
        m.solve(backend)
    m = om.Model()
    x = m.var(2)
    m.add(x[0] - x[1] >= 1e30)  # 1e30 is infinite to every solver: an impossible row
    m.minimize(x[0])
    with pytest.raises(ModelError, match="counts as \\+inf"):
        m.solve(backend)


def test_lp_file_with_an_infinite_wrong_side_is_refused(tmp_path) -> None:
    path = tmp_path / "bad.lp"
    path.write_text("Minimize\n obj: x + y\nSubject To\n c1: x - y >= 1e30\nBounds\n x <= 4\nEnd\n")
    # refused where it is written (">= 1e30" is +inf: no point meets it), naming the line
    with pytest.raises(InputError, match=r"bad\.lp:4: constraint 'c1' has the lower bound \+inf"):
        om.read(str(path))


def test_cli_json_reports_an_ill_posed_model_as_one_error_object(tmp_path) -> None:
    import json
    import subprocess
    import sys

    path = tmp_path / "bad.lp"
    path.write_text("Minimize\n obj: x + y\nSubject To\n c1: x - y >= 1e30\nEnd\n")
    done = subprocess.run([sys.executable, "-m", "optmodel", "solve", str(path), "--json"],
                          capture_output=True, text=True, check=False)
    out = json.loads(done.stdout)
    assert done.returncode == 2 and out["status"] == "error" and "constraint 'c1'" in out["message"]
    assert out["line"] == 4


def test_mps_l_row_with_minus_infinite_rhs_is_refused(tmp_path) -> None:
    # The afiro case of the issue, in small: an L row whose right-hand side is -inf.
    path = tmp_path / "bad.mps"
    path.write_text(
        "NAME          BAD\nROWS\n N  COST\n L  LIM\n G  LOW\nCOLUMNS\n"
        "    X         COST      1.0        LIM       1.0\n    X         LOW       1.0\n"
        "RHS\n    RHS       LIM       -1e30      LOW       1.0\nENDATA\n"
    )
    with pytest.raises(InputError, match=r"bad\.mps:10: row 'LIM' has the upper bound -inf"):
        om.read(str(path))
    # the same model stated in Python is refused by every backend alike
    model = om.Model()
    x = model.var(lb=0, name="X")
    model.add(x <= -np.inf, name="LIM")
    model.add(x >= 1, name="LOW")
    model.minimize(x)
    for backend in ("highs", "scip", "pyomo", "cvxpy:clarabel"):
        if _installed(backend):
            with pytest.raises(ModelError, match="constraint LIM has upper bound"):
                model.solve(backend)


def test_huge_coefficients_are_a_clear_error() -> None:
    m = om.Model()
    x = m.var(2, lb=0, ub=1)
    m.add(1e15 * x[0] + x[1] <= 5, name="big")
    m.maximize(x.sum())
    with pytest.raises(ModelError, match="constraint big is too large"):
        m.solve("highs")


def test_bounds_beyond_1e20_are_infinite_everywhere() -> None:
    m = om.Model()
    x = m.var(lb=0, ub=1e25)
    m.add(x >= 2)
    m.maximize(x)
    for backend in ("highs", "ortools:glop", "scip"):
        if _installed(backend):
            assert m.solve(backend).status is om.Status.UNBOUNDED, backend


@pytest.mark.parametrize("backend", ["highs", "ortools:cpsat", "ortools:scip", "scip", "cvxpy:highs", "pyomo"])
def test_integer_with_no_integer_in_its_bounds_is_infeasible(backend: str) -> None:
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(lb=1.5, ub=1.7, integer=True, name="x")
    y = m.var(lb=0, ub=3, integer=True)
    m.add(x + y <= 4)
    m.minimize(x + y)
    sol = m.solve(backend)
    assert sol.status is om.Status.INFEASIBLE
    assert "variable x" in sol.message


@pytest.mark.parametrize("backend", ["highs", "scip", "cvxpy:scs", "cvxpy:clarabel", "ortools:glop", "pyomo"])
def test_models_without_rows_are_answered_the_same_everywhere(backend: str) -> None:
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(3)  # free
    m.minimize(0 * x.sum() + 2)
    sol = m.solve(backend)
    assert sol.status is om.Status.OPTIMAL and sol.objective == 2 and sol.certified
    m = om.Model()
    x = m.var(2, lb=[1, -np.inf], ub=[4, 3])
    m.maximize(x @ [1, 2] + 1)
    sol = m.solve(backend)
    assert sol.status is om.Status.OPTIMAL and sol.objective == pytest.approx(11)
    m.maximize(x[0] - x[1])
    assert m.solve(backend).status is om.Status.UNBOUNDED


@pytest.mark.parametrize("backend", ["highs", "scip", "cvxpy:clarabel", "ortools:glop", "pyomo"])
def test_free_rows_are_harmless(backend: str) -> None:
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(2, lb=0, ub=5)
    free = m.add((x[0] - x[1]).between(-np.inf, np.inf), name="free")
    m.add(x.sum() <= 3)
    m.maximize(x @ [1, 2])
    sol = m.solve(backend)
    assert sol.status is om.Status.OPTIMAL and sol.objective == pytest.approx(6)
    if Capability.DUALS in sol_backend_caps(backend):
        assert sol.dual(free) == 0 and sol.certified


def sol_backend_caps(label: str) -> frozenset:
    from optmodel.dispatch import choose

    m = om.Model()
    m.var()
    return choose(m, label).capabilities


def test_one_gap_formula() -> None:
    assert relative_gap(100.0, 95.0) == pytest.approx(0.05)
    assert relative_gap(100.0, 100.0 + 1e-8) == 0.0
    assert relative_gap(0.0, -1.0) == np.inf
    assert relative_gap(1.0, -np.inf) == np.inf
    assert relative_gap(None, 3.0) is None


def _knapsack(n: int = 40, seed: int = 3, rows: int = 3) -> om.Model:
    rng = np.random.default_rng(seed)
    w = rng.integers(20, 60, size=(rows, n))
    m = om.Model("knapsack")
    x = m.var(n, binary=True)
    m.add(w @ x <= w.sum(axis=1) // 2)
    m.maximize(x @ (w.sum(axis=0) + rng.integers(0, 10, n)))
    return m


def test_row_generation_keeps_the_gap_of_its_last_round() -> None:
    # Plain HiGHS with mip_gap reports its bound; a no-op lazy family must not turn it into gap 0.
    plain = _knapsack().solve("highs", mip_gap=0.05)
    m = _knapsack()
    m.lazy(lambda v: [], name="no-op")
    lazy = m.solve("highs", mip_gap=0.05)
    assert plain.status is lazy.status is om.Status.OPTIMAL
    assert lazy.stats["lazy_path"] == "row-generation"
    assert lazy.gap == pytest.approx(plain.gap, rel=1e-6, abs=1e-9)
    assert lazy.bound == pytest.approx(plain.bound, rel=1e-9)


def test_requirements_are_refused_before_the_solve() -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() >= 1)
    m.minimize(x.sum())
    with pytest.raises(CapabilityError, match=r"cannot provide duals.*backends that can: .*highs"):
        m.solve("ortools:scip", duals=True)
    with pytest.raises(CapabilityError, match="cannot provide iis"):
        m.solve("ortools:glop", iis=True)
    with pytest.raises(CapabilityError, match="cannot provide warm_start"):
        m.solve("ortools:glop", warm_start=np.array([1.0, 0.0]))
    assert m.solve("highs", duals=True).certified
    y = m.var(integer=True, lb=0, ub=3)
    m.add(x.sum() + y >= 2)
    with pytest.raises(CapabilityError, match="a MIP has no duals"):
        m.solve("highs", duals=True)


def test_named_backend_picks_a_sub_solver_that_can() -> None:
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() >= 1)
    m.minimize(x.sum())
    # ortools' first LP sub-solver (glop) gives no IIS... none does: refused naming highs.
    with pytest.raises(CapabilityError, match="highs"):
        m.solve("ortools", iis=True)


class _Counting(Adapter):
    """A minimal adapter written to the contract: what a newcomer adding a solver writes."""

    name = "counting"
    subsolvers = {"default": frozenset({Capability.LP})}
    loads = 0

    def load(self, form, options, families=()) -> None:
        type(self).loads += 1
        self.form = form

    def run(self, options) -> RawResult:
        from scipy.optimize import linprog

        f = self.form
        eq = f.row_lower == f.row_upper
        A = f.A.toarray()
        ub_rows = ~eq & np.isfinite(f.row_upper)
        lb_rows = ~eq & np.isfinite(f.row_lower)
        res = linprog(
            f.sense.sign * f.c,
            A_ub=np.vstack([A[ub_rows], -A[lb_rows]]),
            b_ub=np.concatenate([f.row_upper[ub_rows], -f.row_lower[lb_rows]]),
            A_eq=A[eq] if eq.any() else None,
            b_eq=f.row_lower[eq] if eq.any() else None,
            bounds=list(zip(f.col_lower, f.col_upper)),
        )
        term = {0: om.Termination.OPTIMAL, 2: om.Termination.INFEASIBLE, 3: om.Termination.UNBOUNDED}
        return RawResult(term.get(res.status, om.Termination.ERROR), x=res.x if res.status == 0 else None)


def test_a_small_adapter_gets_statuses_verification_and_lazy_rows_for_free() -> None:
    from optmodel.dispatch import solve_with

    m = om.Model()
    x = m.var(2, lb=0, ub=10)
    m.add(x.sum() <= 8)
    m.maximize(x @ [1, 2] + 3)
    sol = solve_with(m, _Counting(), om.SolveOptions())
    assert sol.status is om.Status.OPTIMAL and sol.objective == pytest.approx(19)
    assert sol.verification.passed and not sol.certified  # no duals: verified, not certified
    m.lazy(lambda v: [x[1] <= 4] if v[1] > 4 + 1e-9 else [], name="cap")
    _Counting.loads = 0
    sol = solve_with(m, _Counting(), om.SolveOptions())
    assert sol.status is om.Status.OPTIMAL and sol.objective == pytest.approx(15)
    assert sol.stats["incremental"] is False and _Counting.loads == 2
    m2 = om.Model()
    y = m2.var(lb=0)
    m2.add(y <= -1)
    m2.minimize(y)
    assert solve_with(m2, _Counting(), om.SolveOptions()).status is om.Status.INFEASIBLE


def _interrupt_after(seconds: float) -> threading.Timer:
    timer = threading.Timer(seconds, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    return timer


def test_ctrl_c_returns_the_incumbent_within_a_second_highs() -> None:
    m = _knapsack(n=400, seed=1, rows=25)
    start = time.perf_counter()
    _interrupt_after(2.0)
    sol = m.solve("highs", time_limit=60)
    waited = time.perf_counter() - start - 2.0
    assert sol.status is om.Status.INTERRUPTED, sol.message
    assert waited < 1.5  # HiGHS answers its cancel at its next check: usually well under a second
    assert sol.x is not None and sol.verification.feasible and 0 < sol.gap < 1


def test_second_ctrl_c_aborts() -> None:
    m = _knapsack(n=400, seed=1, rows=25)
    _interrupt_after(1.0)
    timer = _interrupt_after(1.3)
    from optmodel import interrupt

    original = interrupt.run_in_worker
    cancels = []

    def stubborn(work, cancel=None):  # a solver that ignores its cancel call
        cancels.append(cancel)
        return original(work, lambda: None)

    interrupt.run_in_worker = stubborn
    try:
        import optmodel.backends.highs as hb

        hb.run_in_worker = stubborn
        start = time.perf_counter()
        with pytest.raises(KeyboardInterrupt):
            m.solve("highs", time_limit=30)
        assert time.perf_counter() - start < 2.5
    finally:
        interrupt.run_in_worker = original
        hb.run_in_worker = original
        timer.cancel()
        for cancel in cancels:  # let the abandoned solver end before the interpreter does
            cancel()
        for thread in threading.enumerate():
            if thread.name == "optmodel-solve":
                thread.join(10)


@pytest.mark.parametrize("backend", ["highs", "scip", "ortools:glop", "cvxpy:highs"])
def test_an_objective_coefficient_at_a_solvers_infinity_is_refused_alike(backend) -> None:
    # HiGHS answered "objective 1" (unverified), GLOP INVALID_PROBLEM, cvxpy:highs a traceback, SCIP an input error
    if not _installed(backend):
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(2, lb=0, ub=1, name="x")
    m.add(x.sum() >= 1)
    m.minimize(x @ [1.0, 1e308])
    with pytest.raises(ModelError, match=r"objective coefficient 1e\+308 of x\[1\] is too large"):
        m.solve(backend)


def test_dual_pricing_shortcut_for_uniform_bounds_agrees_with_the_general_rule():
    """Columns with bounds all 0 or all infinite take a pass-only shortcut in the dual check: it
    must price exactly as the general rule does (terms, and the dual infeasibility it finds)."""
    from optmodel import verify

    def general(dual, lower, upper):
        with np.errstate(invalid="ignore"):
            terms = np.where(dual > 0, dual * lower, dual * upper)
        bad = ~np.isfinite(terms)
        wrong = float(np.abs(dual[bad]).max()) if bad.any() else 0.0
        terms[bad] = 0.0
        return (float(terms.sum()), float(np.abs(terms).max(initial=0.0))), wrong

    rng = np.random.default_rng(1)
    shortcut = 0
    for _ in range(2000):
        k = int(rng.integers(1, 20))
        dual = rng.choice([-2.0, -0.5, 0.0, 0.0, 1.5, 3.0], k)
        lower = np.full(k, rng.choice([0.0, -np.inf, np.inf, 1.0]))
        upper = np.full(k, rng.choice([0.0, np.inf, -np.inf, 2.0]))
        if rng.random() < 0.2:
            lower[0] = rng.choice([0.0, -np.inf, 5.0])
        assert verify._priced(dual, lower, upper) == general(dual, lower, upper), (dual, lower, upper)
        shortcut += verify._priced_uniform(dual, lower, upper) is not None
    assert shortcut > 300


def test_bound_violation_by_comparisons_measures_as_the_differences_do():
    """The violation check compares before it subtracts: on values, bounds, infinities and NaN
    alike it must report what looking at the differences reports (its previous form)."""
    from optmodel import verify

    def by_differences(value, lower, upper):
        worst = 0.0
        for diff in (lower - value, value - upper):
            hit = np.flatnonzero(~(diff <= 0))  # NaN counts as violated
            if hit.size:
                worst = max(worst, float(verify._violation(value[hit], lower[hit], upper[hit]).max()))
        return worst

    rng = np.random.default_rng(0)
    choices = [0.0, 1.0, -1.0, 2.0, 1e-7, -1e-7, np.inf, -np.inf, np.nan, 1e300, 1.7e308]
    for _ in range(5000):
        k = int(rng.integers(1, 8))
        value, lower, upper = (rng.choice(choices, k) for _ in range(3))
        with np.errstate(all="ignore"):
            expected, got = by_differences(value, lower, upper), verify._max_violation(value, lower, upper)
        assert got == expected or (np.isnan(got) and np.isnan(expected)), (value, lower, upper, got, expected)
