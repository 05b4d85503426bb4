"""Shortest path as a flow LP, checked against scipy's Dijkstra and networkx's Bellman-Ford."""

import itertools

import networkx as nx
import numpy as np
import pytest
from conftest import data_path
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.sparse.csgraph import dijkstra

from optmodel.errors import InputError
from optmodel.graphs import Graph, from_networkx, grid_graph, read_dimacs, read_edge_csv, read_graph
from optmodel.problems.shortest_path import solve_graph
from optmodel.solution import Status


def path_cost(graph: Graph, path: list) -> float:
    """The cheapest arc for each consecutive pair along the path."""
    adj = graph.adjacency().toarray()
    idx = [graph.vertex(v) for v in path]
    return float(sum(adj[a, b] for a, b in itertools.pairwise(idx)))


@st.composite
def random_graph(draw):
    n = draw(st.integers(2, 25))
    m = draw(st.integers(1, 80))
    seed = draw(st.integers(0, 100_000))
    rng = np.random.default_rng(seed)
    tail = rng.integers(0, n, size=m)
    head = rng.integers(0, n, size=m)
    weight = rng.integers(0, 20, size=m).astype(float)  # zero weights and parallel arcs included
    return Graph(tail, head, weight, np.arange(1, n + 1)), int(rng.integers(1, n + 1)), int(rng.integers(1, n + 1))


@settings(max_examples=60, deadline=None)
@given(random_graph())
def test_random_graphs_match_dijkstra(case):
    graph, s, t = case
    dist = dijkstra(graph.adjacency(), indices=graph.vertex(s))[graph.vertex(t)]
    rep = solve_graph(graph, s, t, backend="highs")
    sol = rep.solution
    if np.isinf(dist):
        assert sol.status is Status.INFEASIBLE
        assert "cannot be reached" in sol.message
    else:
        assert sol.status is Status.OPTIMAL
        assert sol.objective == pytest.approx(dist)
        path = rep.answer["path"]
        assert path[0] == s and path[-1] == t
        assert path_cost(graph, path) == pytest.approx(dist)


def test_negative_cycle_is_unbounded_like_bellman_ford():
    g = nx.DiGraph()
    g.add_weighted_edges_from([(1, 2, 1.0), (2, 3, -2.0), (3, 2, 1.0), (3, 4, 1.0)])
    assert nx.negative_edge_cycle(g)
    rep = solve_graph(from_networkx(g), 1, 4)
    assert rep.solution.status is Status.UNBOUNDED
    assert "negative total cost" in rep.solution.message
    # Without the cycle the answer is Bellman-Ford's.
    g.remove_edge(3, 2)
    rep = solve_graph(from_networkx(g), 1, 4)
    assert rep.solution.objective == pytest.approx(nx.bellman_ford_path_length(g, 1, 4))
    assert rep.answer["path"] == nx.bellman_ford_path(g, 1, 4)


def test_rome99_known_distance_and_dual_potentials():
    graph = read_dimacs(data_path("graphs", "rome99.gr"))
    assert graph.num_vertices == 3353 and graph.num_arcs == 8870
    rep = solve_graph(graph, 1, 3353)
    sol = rep.solution
    assert sol.status is Status.OPTIMAL and sol.objective == 30305
    assert sol.verification.duality_gap < 1e-9
    assert path_cost(graph, rep.answer["path"]) == 30305
    ref = dijkstra(graph.adjacency(), indices=0)
    assert ref[3352] == 30305
    # Node potentials: the row duals are shortest distances to the target, up to sign and shift.
    dual = sol.row_duals
    assert dual[0] == pytest.approx(30305)


def test_csv_edge_list_with_names(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("source,target,weight\nhome,shop,4\nhome,park,1\npark,shop,2\nshop,work,1\n")
    graph = read_edge_csv(f)
    rep = solve_graph(graph, "home", "work")
    assert rep.answer["path"] == ["home", "park", "shop", "work"] and rep.solution.objective == 4
    with pytest.raises(InputError, match="vertex 'mars' is not in the graph"):
        solve_graph(graph, "home", "mars")


def test_bad_files_name_the_line(tmp_path):
    bad = tmp_path / "bad.gr"
    bad.write_text("c test\np sp 3 2\na 1 2 5\na 2 x 1\n")
    with pytest.raises(InputError) as err:
        read_graph(bad)
    assert err.value.line == 4 and "bad.gr:4" in str(err.value)
    bad.write_text("p sp 3 1\na 1 9 5\n")
    with pytest.raises(InputError, match=r"outside 1\.\.3") as err:
        read_graph(bad)
    assert err.value.line == 2
    bad.write_text("p sp 3 2\na 1 2 5\n")
    with pytest.raises(InputError, match="announces 2 arcs"):
        read_graph(bad)
    csvf = tmp_path / "bad.csv"
    csvf.write_text("a,b,1\nb,c,heavy\n")
    with pytest.raises(InputError, match="not a number") as err:
        read_graph(csvf)
    assert err.value.line == 2
    with pytest.raises(InputError, match="no such file"):
        read_graph(tmp_path / "missing.gr")


def test_grid_graph_integral_optimum():
    graph = grid_graph(30, seed=5)
    rep = solve_graph(graph, 1, 900)
    x = rep.solution.x
    assert np.allclose(x, np.round(x))  # a vertex of the network LP is integral
    assert rep.solution.objective == pytest.approx(dijkstra(graph.adjacency(), indices=0)[899])


def test_incidence_without_a_vertex_outside_the_graph_is_refused():
    from optmodel.graphs import Graph

    g = Graph(np.array([0, 1]), np.array([1, 2]), np.ones(2), np.arange(1, 4))
    assert g.incidence(without=2).toarray().tolist() == [[1, 0], [-1, 1]]
    for bad in (3, 5, -1):
        with pytest.raises(ValueError, match=r"not in 0\.\.2"):
            g.incidence(without=bad)


def test_a_grid_too_large_to_generate_is_refused_before_allocating(capsys):
    from optmodel.cli import main
    from optmodel.graphs import MAX_GRID_SIDE

    with pytest.raises(InputError, match="grid side of at most"):
        grid_graph(MAX_GRID_SIDE + 1)
    for argv in (["solve", "shortest-path", "--grid", str(10**14)],
                 ["explain", "shortest-path", "--size", str(10**22)]):
        assert main(argv) != 0
        assert "grid side of at most" in capsys.readouterr().err  # one line, no traceback
