"""Lazy constraint families: row generation (HiGHS, and the rebuild loop for other backends) and
SCIP's in-solver path, against networkx's minimum spanning tree and hand-made oracles."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import optmodel
from optmodel.backend import SolveOptions
from optmodel.dispatch import get_backend
from optmodel.graphs import Graph
from optmodel.lazy import row_generation
from optmodel.problems.mst import build_cut, build_directed, edges_of

BACKENDS = ["highs", "scip"]


def _graph(n: int, edges: list[tuple[int, int, float]]) -> Graph:
    u = np.array([e[0] for e in edges], dtype=np.int64)
    v = np.array([e[1] for e in edges], dtype=np.int64)
    w = np.array([e[2] for e in edges], dtype=float)
    return Graph(u, v, w, np.arange(n), directed=False).undirected_simple()


def _nx_mst(g: Graph) -> float:
    G = nx.Graph()
    G.add_nodes_from(range(g.num_vertices))
    G.add_weighted_edges_from(zip(g.tail.tolist(), g.head.tolist(), g.weight.tolist()))
    return sum(d["weight"] for _, _, d in nx.minimum_spanning_edges(G, data=True))


def _two_triangles() -> Graph:
    # Without the cuts the n-1 cheapest edges are the two triangles: a cycle and two components.
    return _graph(6, [(0, 1, 1), (1, 2, 1), (0, 2, 1), (3, 4, 1), (4, 5, 1), (3, 5, 1), (2, 3, 10)])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("builder", [build_cut, build_directed])
def test_oracle_is_needed(backend: str, builder) -> None:
    g = _two_triangles()
    m, x = builder(g)
    # The model without its family: the MIP optimum is disconnected (weight 5 < 14).
    m.families, family = [], m.families
    plain = m.solve("highs")
    assert plain.objective == pytest.approx(5.0)
    m.families = family
    sol = m.solve(backend)
    assert sol.status is optmodel.Status.OPTIMAL
    assert sol.objective == pytest.approx(14.0) == _nx_mst(g)
    assert sol.stats["cuts"] >= 1
    assert sol.stats["families_verified"] is True
    assert sol.stats["lazy_path"] == ("in-solver" if backend == "scip" else "row-generation")
    chosen = edges_of(g, x, sol)
    assert nx.is_tree(nx.Graph(list(zip(g.tail[chosen].tolist(), g.head[chosen].tolist()))))


@st.composite
def small_graphs(draw):
    n = draw(st.integers(2, 8))
    # A random spanning tree (connected) plus random extra edges; integer weights with ties.
    tree = [(i, draw(st.integers(0, i - 1)), draw(st.integers(0, 9))) for i in range(1, n)]
    extra = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1), st.integers(0, 9)), max_size=2 * n))
    return _graph(n, tree + [e for e in extra if e[0] != e[1]])


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("builder", [build_cut, build_directed])
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(g=small_graphs())
def test_random_graphs_match_networkx(backend: str, builder, g: Graph) -> None:
    m, x = builder(g)
    sol = m.solve(backend)
    assert sol.status is optmodel.Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(_nx_mst(g))
    chosen = edges_of(g, x, sol)
    assert len(chosen) == g.num_vertices - 1
    assert nx.is_connected(nx.Graph(list(zip(g.tail[chosen].tolist(), g.head[chosen].tolist())))) or g.num_vertices == 1


def test_rebuild_loop_for_backends_without_lazy() -> None:
    # The generic loop that backends without in-solver lazy constraints get, run here on SCIP: rows
    # added to the loaded model (Capability.INCREMENTAL), and the model + cuts rebuilt per round.
    from optmodel.backend import Capability
    from optmodel.backends.scip import Scip
    from optmodel.solution import Termination

    class Rebuilt(Scip):
        subsolvers = {"scip": Scip.subsolvers["scip"] - {Capability.INCREMENTAL}}

    g = _two_triangles()
    for backend, incremental in ((get_backend("scip"), True), (Rebuilt(), False)):
        m, _ = build_cut(g)
        raw = row_generation(backend, m.canonical(), m.families, SolveOptions())
        assert raw.termination is Termination.OPTIMAL
        assert raw.objective == pytest.approx(14.0)
        assert raw.stats["lazy_path"] == "row-generation"
        assert raw.stats["incremental"] is incremental
        assert raw.stats["rounds"] >= 2


def test_lp_with_a_family_and_satisfied_rows_returned() -> None:
    m = optmodel.Model()
    x = m.var(2, lb=0, ub=10)
    calls = []

    def oracle(values: np.ndarray):
        calls.append(values.copy())
        # Returns the cut every time, violated or not: the machinery must not loop forever.
        return [x.sum() <= 5]

    m.lazy(oracle, name="budget")
    m.maximize(x @ [1, 2])
    for backend in BACKENDS:
        sol = m.solve(backend)
        assert sol.status is optmodel.Status.OPTIMAL
        assert sol.objective == pytest.approx(10.0)
        assert sol.stats["cuts"] == 1


def test_final_point_is_checked_against_the_family() -> None:
    # An oracle that hides a violation while solving is caught by the final check.
    m = optmodel.Model()
    x = m.var(2, binary=True)
    state = {"solving": True}

    def oracle(values: np.ndarray):
        return [] if state["solving"] else [x.sum() <= 1]

    fam = m.lazy(oracle)
    m.maximize(x.sum())
    original = fam.separate

    def flip(values: np.ndarray):
        out = original(values)
        state["solving"] = False  # from now on (the final check) it tells the truth
        return out

    fam.separate = flip
    sol = m.solve("highs")
    assert sol.status is not optimal_status()
    assert sol.stats["families_verified"] is False
    assert "lazy family" in sol.message


def optimal_status() -> optmodel.Status:
    return optmodel.Status.OPTIMAL


def test_infeasible_with_family() -> None:
    m = optmodel.Model()
    x = m.var(3, binary=True)
    m.add(x.sum() >= 2)
    m.lazy(lambda v: [x.sum() <= 1] if v.sum() > 1.5 else [])
    m.minimize(x.sum())
    for backend in BACKENDS:
        assert m.solve(backend).status is optmodel.Status.INFEASIBLE


def test_time_limit_row_generation_reports_bound() -> None:
    from optmodel.problems.mst import random_graph

    g = random_graph(200, 4, seed=3)
    m, _ = build_cut(g)
    sol = m.solve("highs", time_limit=0.5)
    assert sol.status in (optmodel.Status.TIME_LIMIT, optmodel.Status.OPTIMAL)
    if sol.status is optmodel.Status.TIME_LIMIT and sol.x is not None:
        assert sol.stats["families_verified"] is True  # a point is only returned if it is a tree
