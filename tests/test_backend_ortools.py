"""The OR-Tools backend (MathOpt: GLOP, PDLP, SCIP, CP-SAT) against known optima and HiGHS."""

import _thread
import math
import subprocess
import sys
import threading

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from conftest import data_path, optima

import optmodel
from optmodel.backend import RawResult, SolveOptions
from optmodel.backends import ortools as ob
from optmodel.errors import CapabilityError, ModelError, OptmodelError
from optmodel.solution import SolutionStatus, Status, Termination

pytest.importorskip("ortools")

NETLIB = ["afiro", "adlittle", "blend", "sc50a", "sc50b", "sc105", "share2b", "stocfor1", "kb2"]
MIPLIB = ["bell5", "egout", "flugpl", "lseu"]


def _rel(a: float, b: float) -> float:
    return abs(a - b) / (1.0 + abs(b))


@pytest.mark.parametrize("sub", ["glop", "pdlp", "scip"])
@pytest.mark.parametrize("name", NETLIB)
def test_netlib_optimum(name, sub):
    path = data_path("netlib", f"{name}.mps")
    sol = optmodel.read(str(path)).solve(f"ortools:{sub}")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("netlib")[name]) < 1e-6
    assert sol.backend == f"ortools:{sub}"
    if sub != "scip":  # LP duals, and optmodel's duality-gap check passed on them
        assert sol.verification.duality_gap is not None and sol.verification.duality_gap < 1e-6


@pytest.mark.parametrize("name", MIPLIB)
def test_miplib_scip(name):
    path = data_path("miplib", f"{name}.mps")
    sol = optmodel.read(str(path)).solve("ortools:scip")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("miplib")[name]) < 1e-6
    assert sol.gap == 0.0 or sol.gap < 1e-4
    assert sol.bound is not None and _rel(sol.bound, sol.objective) < 1e-4


@pytest.mark.parametrize("name", MIPLIB)
def test_miplib_cpsat_solves_or_refuses(name):
    m = optmodel.read(str(data_path("miplib", f"{name}.mps")))
    form = m.canonical()
    if (~form.integrality).any():
        with pytest.raises(CapabilityError, match=r"continuous.*ortools:scip"):
            m.solve("ortools:cpsat")
        return
    sol = m.solve("ortools:cpsat")
    assert sol.status is Status.OPTIMAL, sol.message
    assert _rel(sol.objective, optima("miplib")[name]) < 1e-6


def test_default_subsolver_follows_the_model():
    lp = optmodel.read(str(data_path("netlib", "afiro.mps")))
    assert lp.solve("ortools").backend == "ortools:glop"
    mip = optmodel.read(str(data_path("miplib", "lseu.mps")))
    assert mip.solve("ortools").backend == "ortools:scip"


# --- duals -------------------------------------------------------------------------------------
def _small_lp(maximize: bool):
    m = optmodel.Model()
    x = m.var(2, lb=0)
    rows = m.add(sp.csr_array([[1.0, 1.0], [1.0, 3.0], [1.0, 0.0]]) @ x <= [4, 7, 3])
    if maximize:
        m.maximize(x @ [3.0, 2.0] + 10.5)
    else:
        m.minimize(x @ [-3.0, -2.0] - 10.5)
    return m, rows


@pytest.mark.parametrize("sub", ["glop", "pdlp"])
@pytest.mark.parametrize("maximize", [False, True])
def test_duals_by_hand_and_highs(sub, maximize):
    m, rows = _small_lp(maximize)
    sol = m.solve(f"ortools:{sub}")
    ref = m.solve("highs")
    # x = (3, 1): rows 0 and 2 are active with d objective / d rhs = ±2 and ±1.
    expected = np.array([2.0, 0.0, 1.0]) * (1 if maximize else -1)
    assert sol.objective == pytest.approx(21.5 if maximize else -21.5, rel=1e-8)
    np.testing.assert_allclose(sol.dual(rows), expected, atol=1e-6)
    np.testing.assert_allclose(sol.row_duals, ref.row_duals, atol=1e-6)
    np.testing.assert_allclose(sol.reduced_costs, ref.reduced_costs, atol=1e-6)


@pytest.mark.parametrize("sub,tol", [("glop", 1e-8), ("pdlp", 1e-5)])
@pytest.mark.parametrize("name", ["sc50b", "kb2"])  # instances whose duals are unique
def test_netlib_duals_match_highs(name, sub, tol):
    m = optmodel.read(str(data_path("netlib", f"{name}.mps")))
    sol, ref = m.solve(f"ortools:{sub}"), m.solve("highs")
    scale = 1.0 + np.abs(ref.row_duals).max()
    assert np.abs(sol.row_duals - ref.row_duals).max() / scale < tol
    assert np.abs(sol.reduced_costs - ref.reduced_costs).max() / scale < tol


# --- infeasible and unbounded ------------------------------------------------------------------
def _infeasible(integer: bool):
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=10, integer=integer)
    m.add(x.sum() >= 3)
    m.add(x[0] + x[1] <= 2)
    m.minimize(x.sum())
    return m


def _unbounded(integer: bool):
    m = optmodel.Model()
    x = m.var(2, lb=0, integer=integer)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    return m


@pytest.mark.parametrize("sub,integer", [("glop", False), ("pdlp", False), ("scip", False), ("scip", True)])
def test_infeasible_and_unbounded(sub, integer):
    inf = _infeasible(integer).solve(f"ortools:{sub}")
    assert inf.status is Status.INFEASIBLE and inf.x is None
    unb = _unbounded(integer).solve(f"ortools:{sub}")
    assert unb.status is Status.UNBOUNDED


def test_cpsat_infeasible():
    assert _infeasible(True).solve("ortools:cpsat").status is Status.INFEASIBLE


@pytest.mark.parametrize("sub", ["glop", "scip"])
def test_disambiguation_by_feasibility_solve(sub):
    # The adapter reports the solver's "infeasible or unbounded"; the core's feasibility solve on a
    # fresh ortools adapter decides which.
    from optmodel.solving import decide_infeasible_or_unbounded

    for make, expected in ((_infeasible, Termination.INFEASIBLE), (_unbounded, Termination.UNBOUNDED)):
        form = make(False).canonical()
        assert decide_infeasible_or_unbounded(ob.OrTools(sub), form, SolveOptions()) is expected


# --- limits, Ctrl-C, warm start ---------------------------------------------------------------
def _market_split(rows: int = 4, n: int = 36, seed: int = 0):
    """Cornuéjols-Dawande market split: tiny and very hard for branch-and-bound."""
    rng = np.random.default_rng(seed)
    A = rng.integers(0, 100, size=(rows, n))
    d = A.sum(axis=1) // 2
    m = optmodel.Model("market-split")
    x = m.binary_var(n)
    s_plus = m.var(rows, lb=0, ub=5000, integer=True)
    s_minus = m.var(rows, lb=0, ub=5000, integer=True)
    m.add(A @ x + s_plus - s_minus == d)
    m.minimize(s_plus.sum() + s_minus.sum())
    return m, x, s_plus, s_minus, d


def _assert_verified_incumbent(sol):
    assert sol.x is not None and sol.verification.passed, sol.verification
    assert sol.solution_status is SolutionStatus.FEASIBLE
    assert sol.bound is not None and sol.bound <= sol.objective + 1e-9
    assert sol.gap is not None and sol.gap > 0


@pytest.mark.parametrize("sub", ["scip", "cpsat"])
def test_time_limit_returns_verified_incumbent(sub):
    m = _market_split()[0]
    sol = m.solve(f"ortools:{sub}", time_limit=1.0)
    assert sol.status is Status.TIME_LIMIT, sol.message
    assert sol.termination is Termination.TIME_LIMIT
    _assert_verified_incumbent(sol)
    assert "gap" in sol.message


@pytest.mark.parametrize("sub", ["scip", "cpsat"])
def test_ctrl_c_keeps_the_incumbent(sub):
    m = _market_split()[0]
    timer = threading.Timer(1.0, _thread.interrupt_main)
    timer.start()
    try:
        sol = m.solve(f"ortools:{sub}", time_limit=30)
    finally:
        timer.cancel()
    assert sol.status is Status.INTERRUPTED, sol.message
    assert sol.solve_seconds < 10
    _assert_verified_incumbent(sol)


def test_warm_start_cpsat_fixed_to_hint():
    m, x, s_plus, s_minus, d = _market_split()
    hint = {x: np.zeros(x.size), s_plus: d, s_minus: np.zeros(d.size)}
    sol = m.solve("ortools:cpsat", warm_start=hint,
                  solver_options={"fix_variables_to_their_hinted_value": True})
    assert sol.status is Status.OPTIMAL  # optimal with every variable fixed to the hint
    assert sol.objective == d.sum()
    np.testing.assert_array_equal(sol[s_plus], d)


def test_warm_start_scip_first_solution_is_the_hint():
    m, *_ = _market_split()
    good = m.solve("ortools:cpsat", time_limit=1.0)
    assert good.x is not None and good.objective < 100
    cold = m.solve("ortools:scip", solver_options={"limits/solutions": 1})
    warm = m.solve("ortools:scip", warm_start=good.x, solver_options={"limits/solutions": 1})
    assert cold.objective > good.objective  # SCIP's own first solution is the trivial one
    assert warm.x is not None and warm.objective <= good.objective


def test_warm_start_of_wrong_length():
    m = _market_split()[0]
    with pytest.raises(ModelError, match="start vector"):
        m.solve("ortools:scip", warm_start=np.zeros(3))


# --- CP-SAT's integer scaling ------------------------------------------------------------------
def test_cpsat_scales_rational_coefficients_exactly():
    m = optmodel.Model()
    x = m.var(3, lb=0, ub=20, integer=True)
    m.add(x @ [0.5, 1 / 3, 0.25] <= 7.3)  # ×12: 6x0 + 4x1 + 3x2 <= floor(87.6)
    m.add(x @ [0.1, 0.7, 0] >= 1.05)
    m.maximize(x @ [1.5, 2 / 3, 0.125] + 0.75)
    ref = m.solve("highs")
    sol = m.solve("ortools:cpsat")
    assert sol.status is Status.OPTIMAL
    assert sol.objective == pytest.approx(ref.objective, rel=1e-12)
    assert sol.bound == pytest.approx(ref.objective, rel=1e-9)


@pytest.mark.parametrize(
    "build,reason",
    [
        (lambda m, x: m.add(x @ [math.sqrt(2), 1.0] <= 3), "not fractions p/q"),
        (lambda m, x: m.var(lb=0, ub=1), "continuous"),
        (lambda m, x: m.int_var(lb=0), "finite bounds"),
    ],
)
def test_cpsat_refuses_with_reason(build, reason):
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=5, integer=True)
    build(m, x)
    m.maximize(x.sum())
    with pytest.raises(CapabilityError, match=reason) as err:
        m.solve("ortools:cpsat")
    assert "ortools:scip" in str(err.value)
    assert ob.OrTools("scip").why_not(m) is None


def test_cpsat_refuses_lp():
    lp = optmodel.read(str(data_path("netlib", "afiro.mps")))
    with pytest.raises(CapabilityError, match="continuous"):
        lp.solve("ortools:cpsat")


def test_cpsat_integer_bounds_rounded_by_the_core():
    # An integer in [1.5, 1.7] has no value: the core says so (CP-SAT used to raise
    # "lower_bound > upper_bound"); in [1.5, 2.7] it is 2.
    for ub, status in ((1.7, Status.INFEASIBLE), (2.7, Status.OPTIMAL)):
        m = optmodel.Model()
        x = m.var(lb=1.5, ub=ub, integer=True, name="x")
        y = m.var(lb=0, ub=3, integer=True)
        m.add(x + y <= 4)
        m.maximize(x + y)
        sol = m.solve("ortools:cpsat")
        assert sol.status is status, sol.message
        if status is Status.OPTIMAL:
            assert sol[x] == pytest.approx(2.0) and sol.objective == pytest.approx(4.0)
        else:
            assert "x" in sol.message and "no integer value" in sol.message


def test_cpsat_row_without_integer_activity():
    # Integer coefficients and variables, bounds [1.5, 1.7]: rounded inwards they cross.
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=3, integer=True)
    m.add((x[0] + x[1]).between(1.5, 1.7), name="narrow")
    m.maximize(x.sum())
    sol = m.solve("ortools:cpsat")
    assert sol.status is Status.INFEASIBLE
    assert "narrow" in sol.message and "integer activity" in sol.message
    assert m.solve("ortools:scip").status is Status.INFEASIBLE


def test_integer_scaling_is_a_reduction():
    from optmodel.reductions import Reduction

    m = optmodel.Model()
    x = m.var(2, lb=0, ub=9, integer=True)
    m.add(x @ [0.5, 1 / 3] <= 2.9)
    m.maximize(x @ [0.25, 1.5] + 1.0)
    red = ob.IntegerScaling()
    assert isinstance(red, Reduction) and red.name == "integer scaling"
    scaled = red.apply(m.canonical())
    np.testing.assert_array_equal(scaled.A.toarray(), [[3.0, 2.0]])  # ×6
    assert scaled.row_upper[0] == 17.0  # floor(17.4)
    np.testing.assert_array_equal(scaled.c, [1.0, 6.0])  # ×4
    raw = red.invert(RawResult(Termination.OPTIMAL, objective=10.0, bound=12.0))
    assert raw.objective == pytest.approx(3.5) and raw.bound == pytest.approx(4.0)
    assert m.solve("ortools:cpsat").stats["reductions"] == ["integer scaling"]


def test_limit_judged_from_the_solver_status():
    # CP-SAT says a limit stopped it but not which: the time limit when it is the only one set,
    # interrupted when Ctrl-C asked for a stop, else "other"; never judged by the clock.
    from ortools.math_opt import result_pb2 as rp

    from optmodel.interrupt import stop_on_interrupt

    t = rp.TerminationProto(reason=rp.TERMINATION_REASON_FEASIBLE, limit=rp.LIMIT_UNDETERMINED)
    assert ob._termination(t, SolveOptions(time_limit=5.0)) is Termination.TIME_LIMIT
    assert ob._termination(t, SolveOptions()) is Termination.OTHER
    other_limit = SolveOptions(time_limit=5.0, solver_options={"max_number_of_conflicts": 10})
    assert ob._termination(t, other_limit) is Termination.OTHER
    with stop_on_interrupt() as stop:
        stop.request()
        assert ob._termination(t, SolveOptions(time_limit=5.0)) is Termination.INTERRUPTED
    t = rp.TerminationProto(reason=rp.TERMINATION_REASON_NO_SOLUTION_FOUND, limit=rp.LIMIT_TIME)
    assert ob._termination(t, SolveOptions()) is Termination.TIME_LIMIT


# --- a loaded model changed in place (row generation) ------------------------------------------
def _rows(A, lower, upper):
    from optmodel.lazy import Rows

    return Rows(sp.csr_array(np.asarray(A, dtype=float)), np.asarray(lower, float), np.asarray(upper, float))


@pytest.mark.parametrize("sub,updated", [("glop", True), ("scip", True), ("pdlp", False)])
def test_add_rows_and_integrality_on_the_loaded_solver(sub, updated):
    from optmodel.backend import Capability

    assert (Capability.INCREMENTAL in ob.OrTools.subsolvers[sub]) is updated
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=10)
    m.add(x[0] + 2 * x[1] <= 7.5)
    m.maximize(x.sum())
    a = ob.OrTools(sub)
    a.load(m.canonical(), SolveOptions())
    assert a.run(SolveOptions()).objective == pytest.approx(7.5, rel=1e-6)
    solver = a.solver
    a.add_rows(_rows([[1.0, 0.0]], [-np.inf], [3.2]))
    assert (a.solver is solver) is updated  # else rebuilt from the full model at the next run
    raw = a.run(SolveOptions())
    assert raw.termination is Termination.OPTIMAL and raw.objective == pytest.approx(5.35, rel=1e-6)
    np.testing.assert_allclose(raw.x, [3.2, 2.15], atol=1e-6)
    if sub == "glop":
        np.testing.assert_allclose(raw.row_duals, [0.5, 0.5], atol=1e-9)  # the cut priced too
        return
    if sub == "scip":
        a.set_integrality(np.array([True, True]))
        raw = a.run(SolveOptions())
        assert a.solver is solver and raw.objective == pytest.approx(5.0)
        np.testing.assert_allclose(raw.x, [3.0, 2.0], atol=1e-9)
        a.set_integrality(np.array([False, False]))
        assert a.run(SolveOptions()).objective == pytest.approx(5.35)


def test_row_generation_on_incremental_scip():
    # The generic loop on ortools:scip (its LAZY path aside): cuts on the LP relaxation, then the
    # integrality switched back on, all on one loaded solver.
    from optmodel.lazy import row_generation
    from optmodel.problems.mst import build_cut, kruskal_weight, random_graph

    g = random_graph(12, 3.0, seed=5)
    m, _ = build_cut(g)
    raw = row_generation(ob.OrTools("scip"), m.canonical(), m.families, SolveOptions())
    assert raw.termination is Termination.OPTIMAL
    assert raw.objective == pytest.approx(kruskal_weight(g))
    assert raw.stats["incremental"] is True and raw.stats["lp_rounds"] >= 1 and raw.stats["mip_rounds"] >= 1


@pytest.mark.parametrize("sub", ["glop", "pdlp"])
def test_lazy_family_on_an_lp_by_row_generation(sub):
    m = optmodel.Model()
    x = m.var(5, lb=0, ub=1)
    m.maximize(x.sum())

    def separate(v):
        return [x[i] + x[i + 1] <= 1 for i in range(4) if v[i] + v[i + 1] > 1 + 1e-6]

    family = m.lazy(separate, name="pairs")
    sol = m.solve(f"ortools:{sub}")
    assert sol.termination is Termination.OPTIMAL and sol.objective == pytest.approx(3.0, rel=1e-6)
    assert sol.stats["lazy_path"] == "row-generation" and family.stats["cuts"] >= 2
    assert sol.stats["incremental"] is (sub == "glop")


def test_mst_with_integer_cuts_on_cpsat():
    from optmodel.problems.mst import build_cut, kruskal_weight, random_graph

    g = random_graph(15, 3.0, seed=2)
    m, _ = build_cut(g, fractional=False)
    sol = m.solve("ortools:cpsat")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(kruskal_weight(g))
    assert sol.stats["lazy_path"] == "row-generation" and sol.stats["incremental"] is False


# --- options --------------------------------------------------------------------------------
def test_verbose_log_goes_to_stderr_not_stdout(capfd):
    m = optmodel.read(str(data_path("miplib", "lseu.mps")))
    m.solve("ortools:scip")
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    m.solve("ortools:scip", verbose=True)
    out, err = capfd.readouterr()
    assert out == ""
    assert "presolving" in err and "Solving Time" in err  # SCIP's own log


def test_solver_options_and_threads():
    m = optmodel.read(str(data_path("miplib", "bell5.mps")))
    sol = m.solve("ortools:scip", solver_options={"limits/nodes": 1}, threads=1)
    assert sol.status is Status.ITERATION_LIMIT and sol.stats["nodes"] <= 1
    lp = optmodel.read(str(data_path("netlib", "afiro.mps")))
    assert lp.solve("ortools:glop", solver_options={"use_dual_simplex": True}).status is Status.OPTIMAL
    loose = {"termination_criteria.simple_optimality_criteria.eps_optimal_relative": 1e-2,
             "termination_criteria.simple_optimality_criteria.eps_optimal_absolute": 1e-2}
    # A loosely converged PDLP answer is caught by optmodel's own check, not called optimal.
    assert lp.solve("ortools:pdlp", solver_options=loose).status is Status.UNVERIFIED
    lseu = optmodel.read(str(data_path("miplib", "lseu.mps")))
    assert lseu.solve("ortools:cpsat", threads=2, mip_gap=0.0).status is Status.OPTIMAL
    with pytest.raises(OptmodelError, match="unknown OR-Tools option 'nonsense'"):
        lp.solve("ortools:glop", solver_options={"nonsense": 1})


def test_empty_model():
    m = optmodel.Model()
    m.minimize(3.0)
    assert m.solve("ortools:glop").objective == 3.0


# --- the bulk proto and a graph model ----------------------------------------------------------
def test_model_proto_holds_the_canonical_form():
    from optmodel.graphs import grid_graph
    from optmodel.problems.shortest_path import build

    g = grid_graph(30)
    m, _, _ = build(g, 0, g.num_vertices - 1)
    form = m.canonical()
    p = ob.model_proto(form)
    mat = p.linear_constraint_matrix
    A = sp.csr_array((np.asarray(mat.coefficients), (np.asarray(mat.row_ids), np.asarray(mat.column_ids))),
                     shape=form.A.shape)
    assert (A != form.A).nnz == 0
    np.testing.assert_array_equal(p.variables.lower_bounds, form.col_lower)
    np.testing.assert_array_equal(p.linear_constraints.upper_bounds, form.row_upper)
    assert not p.objective.maximize


def test_shortest_path_matches_dijkstra():
    from scipy.sparse.csgraph import dijkstra

    from optmodel.graphs import grid_graph
    from optmodel.problems.shortest_path import build

    g = grid_graph(25, seed=3)
    t = g.num_vertices - 1
    m, _, _ = build(g, 0, t)
    ref = dijkstra(g.adjacency(), indices=0)[t]
    for sub in ("glop", "pdlp"):
        sol = m.solve(f"ortools:{sub}")
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(ref, rel=1e-7)


def test_importing_the_backend_does_not_import_ortools():
    code = "import optmodel.backends.ortools, sys; print('ortools' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# --- lazy constraint families -------------------------------------------------------------------
def _independent_set(fractional: bool):
    g = nx.gnp_random_graph(40, 0.15, seed=3)
    edges = np.array(g.edges())
    w = np.random.default_rng(1).integers(1, 20, 40)
    m = optmodel.Model()
    x = m.binary_var(40)
    m.maximize(x @ w)

    def separate(v):
        bad = edges[v[edges[:, 0]] + v[edges[:, 1]] > 1 + 1e-6]
        return [x[int(i)] + x[int(j)] <= 1 for i, j in bad[:20]]

    family = m.lazy(separate, name="edges", fractional=fractional)
    ref = optmodel.Model()
    y = ref.binary_var(40)
    incidence = sp.csr_array(
        (np.ones(2 * len(edges)), (np.repeat(np.arange(len(edges)), 2), edges.ravel())), shape=(len(edges), 40)
    )
    ref.add(incidence @ y <= 1)
    ref.maximize(y @ w)
    return m, family, ref


@pytest.mark.parametrize("fractional", [False, True])
def test_lazy_family_in_scip(fractional):
    m, family, ref = _independent_set(fractional)
    sol = m.solve("ortools:scip")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.stats["lazy_path"] == "in-solver"
    assert sol.stats["families_verified"] is True
    assert family.stats["cuts"] > 0
    assert sol.objective == pytest.approx(ref.solve("highs").objective)


def test_lazy_only_declared_on_scip():
    assert [s for s, caps in ob.OrTools.subsolvers.items() if optmodel.Capability.LAZY in caps] == ["scip"]
    # Other sub-solvers get optmodel's row generation (CP-SAT only for integer-point families: it
    # cannot solve the LP relaxations that fractional ones are separated on).
    m, family, ref = _independent_set(False)
    sol = m.solve("ortools:cpsat")
    assert sol.status is Status.OPTIMAL, sol.message
    assert sol.stats["lazy_path"] == "row-generation" and family.stats["cuts"] > 0
    assert sol.objective == pytest.approx(ref.solve("highs").objective)
    m, _, _ = _independent_set(True)
    with pytest.raises(CapabilityError, match=r"fractional lazy families.*ortools:scip"):
        m.solve("ortools:cpsat")


def test_lazy_family_on_an_lp_in_scip():
    m = optmodel.Model()
    x = m.var(5, lb=0, ub=1)
    m.maximize(x.sum())

    def separate(v):
        return [x[i] + x[i + 1] <= 1 for i in range(4) if v[i] + v[i + 1] > 1 + 1e-6]

    family = m.lazy(separate, name="pairs")
    sol = m.solve("ortools:scip")
    assert sol.status is Status.OPTIMAL and sol.objective == pytest.approx(3.0)
    assert family.stats["cuts"] >= 2


def test_lazy_oracle_error_propagates():
    m = optmodel.Model()
    x = m.binary_var(5)
    m.maximize(x.sum())

    def broken(v):
        raise ValueError("oracle broke")

    m.lazy(broken)
    with pytest.raises(ValueError, match="oracle broke"):
        m.solve("ortools:scip")
