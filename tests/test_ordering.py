import csv
import importlib.util
import itertools
import time

import numpy as np
import pytest
from conftest import data_path
from scipy.sparse.csgraph import minimum_spanning_tree

import optmodel as om
from optmodel import ordering
from optmodel.errors import CapabilityError, ModelError
from optmodel.tsplib import read_tsplib

HAS_SUBTOUR = importlib.util.find_spec("optmodel.subtour") is not None
needs_subtour = pytest.mark.skipif(not HAS_SUBTOUR, reason="optmodel.subtour (exact TSP) is not in this tree yet")
HEURISTICS = ["fast-tsp", "routing", "lkh"]


def tsp_optimum(name):
    """optimal.csv of tsplib has the optimum in its `optimum` column (conftest.optima reads column 2)."""
    with open(data_path("tsplib", "optimal.csv")) as f:
        return {r["name"]: float(r["optimum"]) for r in csv.DictReader(f)}[name]


def brute_force(w, closed, maximize):
    """Best objective over all permutations (the reference for small n)."""
    n = len(w)
    best = None
    for perm in itertools.permutations(range(1, n)) if closed else itertools.permutations(range(n)):
        o = (0, *perm) if closed else perm
        v = sum(w[o[i]][o[i + 1]] for i in range(n - 1)) + (w[o[-1]][o[0]] if closed else 0)
        if best is None or (v > best if maximize else v < best):
            best = v
    return best


def random_matrix(n, seed, integer=False, scale=100.0):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(0, scale, size=(n, 2))
    d = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    return np.rint(d) if integer else d


@pytest.mark.parametrize("backend", [*HEURISTICS, pytest.param("exact", marks=needs_subtour)])
@pytest.mark.parametrize("closed,maximize", [(True, False), (False, False), (False, True)])
def test_small_instances_reach_the_brute_force_optimum(backend, closed, maximize):
    for seed in range(2):
        w = random_matrix(8, seed, integer=(seed == 0))
        if maximize:
            w = 1.0 - w / w.max()  # a similarity
            np.fill_diagonal(w, 1.0)
        order, sol = ordering.solve_order(w, closed, maximize, backend=backend, time_limit=0.5)
        assert sorted(order) == list(range(8))
        assert sol.verification.passed and sol.status.value in ("optimal", "feasible")
        spec = ordering.OrderingObjective(w, closed)
        assert sol.objective == pytest.approx(spec.value(order), rel=1e-12)
        assert sol.objective == pytest.approx(brute_force(w.tolist(), closed, maximize), rel=1e-9)
        if sol.bound is not None:  # a valid bound on the optimum
            assert (sol.bound >= sol.objective - 1e-6) if maximize else (sol.bound <= sol.objective + 1e-6)


def test_spectral_orders_a_line_exactly_and_is_verified():
    rng = np.random.default_rng(3)
    x = rng.permutation(30).astype(float)
    s = np.exp(-np.abs(x[:, None] - x[None, :]) / 3)  # a Robinson similarity of points on a line
    order, sol = ordering.solve_order(s, closed=False, maximize=True, backend="spectral")
    assert x[order].tolist() in (sorted(x.tolist()), sorted(x.tolist())[::-1])
    assert sol.verification.passed and sol.objective == pytest.approx(ordering.path(s).value(order))


def test_fast_tsp_real_valued_and_large_distances_are_scaled_then_polished():
    d = random_matrix(60, 4, scale=1e6)  # real-valued and far above 65,535
    order, sol = ordering.solve_order(d, closed=True, backend="fast-tsp", time_limit=1)
    assert sol.stats["scaled"] is True and "polish_moves" in sol.stats
    t = np.asarray(order)
    assert sol.objective == pytest.approx(ordering.tour(d).value(t), rel=1e-12)
    # The tour is 2-opt optimal on the true distances (checked move by move).
    n = len(t)
    for i in range(n - 1):
        for j in range(i + 2, n if i else n - 1):
            a, b, c, e = t[i], t[i + 1], t[j], t[(j + 1) % n]
            assert d[a, c] + d[b, e] >= d[a, b] + d[c, e] - 1e-6
    # Same instance, distances rescaled to fit: within 1% of the unscaled search.
    small = np.rint(d / 20)
    _, ref = ordering.solve_order(small, closed=True, backend="fast-tsp", time_limit=1)
    assert sol.objective <= 1.01 * 20 * ref.objective + 20 * 60


def test_improve_removes_every_improving_2opt_move():
    d = random_matrix(40, 5)
    t0 = np.random.default_rng(0).permutation(40)
    t, moves = ordering.improve(d, t0, time.perf_counter() + 10)
    assert moves > 0 and sorted(t.tolist()) == list(range(40))
    length = lambda t: d[t, np.roll(t, -1)].sum()  # noqa: E731
    assert length(t) < length(t0)
    n = len(t)
    for i in range(n - 1):
        for j in range(i + 2, n if i else n - 1):
            assert d[t[i], t[j]] + d[t[i + 1], t[(j + 1) % n]] >= d[t[i], t[i + 1]] + d[t[j], t[(j + 1) % n]] - 1e-9


def test_bounds_against_scipy_and_brute_force():
    d = random_matrix(25, 6)
    w, deg = ordering.mst_weight(d)
    assert w == pytest.approx(minimum_spanning_tree(d).sum()) and deg.sum() == 2 * 24
    small = random_matrix(8, 7)
    opt = brute_force(small.tolist(), True, False)
    lb = ordering.one_tree_bound(small, upper=opt, seconds=0.5)
    assert lb <= opt + 1e-9 and lb >= 0.8 * opt


def test_names_tiny_orders_and_errors():
    names = ["a", "b", "c", "d", "e"]
    s = np.eye(5) + np.diag(np.ones(4), 1) + np.diag(np.ones(4), -1)
    order, sol = ordering.solve_order(s, closed=False, maximize=True, names=names)
    assert sol.objective == 4 and sol.stats["order_names"] in (names, names[::-1])
    for n in (1, 2, 3):
        order, sol = ordering.solve_order(np.ones((n, n)) - np.eye(n), closed=True)
        assert sorted(order) == list(range(n)) and sol.status.value == "optimal"
        assert sol.objective == (n if n == 3 else n - 1)
    with pytest.raises(ModelError, match="symmetric"):
        ordering.tour(np.array([[0, 1], [2, 0]]))
    m = ordering.ordering_model(random_matrix(5, 1), closed=True)
    with pytest.raises(CapabilityError, match="fast-tsp"):
        m.solve("highs")
    lp = om.Model()
    x = lp.var(2, lb=0)
    lp.minimize(x.sum())
    with pytest.raises(CapabilityError, match="ordering models only"):
        lp.solve("fast-tsp")


def test_negative_weights_are_shifted_exactly():
    w = random_matrix(7, 8) - 50.0
    _order, sol = ordering.solve_order(w, closed=True, backend="fast-tsp")
    assert sol.objective == pytest.approx(brute_force(w.tolist(), True, False))


@pytest.mark.parametrize("name", ["burma14", "ulysses22", "gr24", "bays29", "att48", "berlin52", "eil76", "kroA100",
                                  "ch150"])
def test_default_backend_reaches_tsplib_optima(name):
    inst = read_tsplib(data_path("tsplib", f"{name}.tsp"))
    opt = tsp_optimum(name)
    _, sol = ordering.solve_order(inst.dist, closed=True, time_limit=1.5)
    assert sol.backend.startswith("fast-tsp")
    assert sol.objective <= opt * 1.005 and sol.objective >= opt


@needs_subtour
@pytest.mark.parametrize("name", ["burma14", "ulysses22", "gr24", "bays29", "att48", "berlin52", "eil76", "kroA100"])
def test_exact_backend_proves_tsplib_optima(name):
    inst = read_tsplib(data_path("tsplib", f"{name}.tsp"))
    _, sol = ordering.solve_order(inst.dist, closed=True, backend="exact", time_limit=60)
    assert sol.status.value == "optimal"
    assert sol.objective == tsp_optimum(name)


def test_ortools_alias_in_the_tsp_problem(capsys):
    import json

    from optmodel.cli import main

    path = data_path("tsplib", "gr24.tsp")
    assert main(["solve", "tsp", "--instance", str(path), "--backend", "ortools", "--time-limit", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["backend"].startswith("routing") and sorted(out["tour"]) == list(range(1, 25))
    assert out["objective"] == out["length"] >= 1272


def test_the_objective_kind_verifies_orderings():
    """OrderingObjective.verify reads sol.stats["order"] and sol.objective only: a permutation whose
    objective is the one recomputed from the matrix passes; anything else is a problem."""
    import dataclasses

    from optmodel.solution import Solution, SolutionStatus, Status, Termination, finalize_status

    d = random_matrix(9, 11)
    m = ordering.ordering_model(d, closed=True)
    spec = m.objective.expr
    sol = m.solve("fast-tsp", time_limit=0.5)
    assert sol.x is None and sol.has_values is False  # no columns: the order is the answer
    first, again = spec.verify(sol), spec.verify(sol)
    assert first.passed and again.passed and first.point
    assert first.objective_recomputed == pytest.approx(spec.value(sol.stats["order"]))
    wrong = dataclasses.replace(sol, objective=sol.objective + 1)
    assert any("differs from the recomputed" in p for p in spec.verify(wrong).problems)
    for bad in ([0, 1, 2], [0, 0, 1, 2, 3, 4, 5, 6, 7], [0.5] * 9):
        check = spec.verify(dataclasses.replace(sol, stats={**sol.stats, "order": bad}))
        assert not check.feasible and "not a permutation" in check.problems[0]
    nothing = Solution(Status.ERROR, Termination.INTERRUPTED, SolutionStatus.NO_SOLUTION, stats={})
    check = spec.verify(nothing)
    assert check.point is False and check.passed
    nothing.verification = check
    finalize_status(nothing)
    assert nothing.status is Status.INTERRUPTED and "before a feasible solution" in nothing.message
    claimed = Solution(Status.ERROR, Termination.OPTIMAL, SolutionStatus.OPTIMAL, stats={})
    assert not spec.verify(claimed).passed
