"""The auto backend: network LPs solved combinatorially, certified by LP duality, others delegated."""

import networkx as nx
import numpy as np
import pytest
from conftest import data_path
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

import optmodel as om
from optmodel.graphs import Graph, read_dimacs
from optmodel.problems.shortest_path import build, solve_graph


def test_rome99_by_dijkstra_with_certificate():
    graph = read_dimacs(data_path("graphs", "rome99.gr"))
    rep = solve_graph(graph, 1, 3353, backend="auto")
    sol = rep.solution
    assert sol.objective == 30305 and sol.certified
    assert sol.stats["method"] == "dijkstra"
    assert sol.verification.duality_gap == 0 and sol.verification.max_dual_violation == 0
    assert rep.to_dict()["certified"] is True


@st.composite
def graphs(draw):
    n = draw(st.integers(2, 20))
    m = draw(st.integers(1, 60))
    rng = np.random.default_rng(draw(st.integers(0, 10**6)))
    g = Graph(rng.integers(0, n, m), rng.integers(0, n, m), rng.integers(0, 9, m).astype(float), np.arange(1, n + 1))
    return g, int(rng.integers(0, n)), int(rng.integers(0, n))


@settings(max_examples=60, deadline=None)
@given(graphs())
def test_random_shortest_paths_match_scipy(case):
    graph, s, t = case
    model = build(graph, s, t)[0]
    sol = model.solve("auto")
    ref = dijkstra(graph.adjacency(), indices=s)[t]
    if np.isinf(ref):
        assert sol.status is om.Status.INFEASIBLE
    else:
        assert sol.certified and sol.objective == pytest.approx(ref)


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 10**6))
def test_min_cost_flow_matches_networkx(seed):
    rng = np.random.default_rng(seed)
    g = nx.gnm_random_graph(12, 40, seed=int(seed), directed=True)
    supply = np.zeros(12)
    for _ in range(3):
        a, b = rng.choice(12, 2, replace=False)
        supply[a] += 2
        supply[b] -= 2
    for u, v in g.edges:
        g[u][v].update(weight=int(rng.integers(0, 10)), capacity=int(rng.integers(1, 5)))
    for v in g.nodes:
        g.nodes[v]["demand"] = -supply[v]
    edges = list(g.edges)
    m = om.Model()
    flow = m.var(len(edges), lb=0, ub=[g[u][v]["capacity"] for u, v in edges])
    graph = Graph(np.array([u for u, _ in edges]), np.array([v for _, v in edges]), np.zeros(len(edges)), np.arange(12))
    m.add(graph.incidence() @ flow == supply)
    m.minimize(np.array([g[u][v]["weight"] for u, v in edges]) @ flow)
    sol = m.solve("auto")
    try:
        ref = nx.min_cost_flow_cost(g)
    except nx.NetworkXUnfeasible:
        assert sol.status is om.Status.INFEASIBLE
        return
    assert sol.stats["method"] == "min-cost-flow"
    assert sol.certified and sol.objective == pytest.approx(ref)


def test_other_models_go_to_a_general_backend():
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x @ [1, 2] <= 4)
    m.maximize(x.sum())
    sol = m.solve("auto")
    assert sol.status is om.Status.OPTIMAL and sol.objective == pytest.approx(4)
    assert sol.backend.startswith("auto>") and "general backend" in sol.stats["auto"]
