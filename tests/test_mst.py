"""The minimum spanning tree problem: both formulations and both lazy paths against Kruskal
(scipy / networkx), the CLI on rome99, disconnected input and forests."""

from __future__ import annotations

import json
import subprocess
import sys

import networkx as nx
import numpy as np
import pytest
from conftest import REPO, data_path

from optmodel.errors import InputError
from optmodel.graphs import Graph, from_networkx, read_graph
from optmodel.problems.mst import build_cut, build_directed, kruskal_weight, random_graph, solve_graph
from optmodel.solution import Status

ROME_MST = 1186386


def _nx_weight(g: Graph) -> float:
    return nx.minimum_spanning_tree(g.to_networkx().to_undirected()).size(weight="weight")


@pytest.mark.parametrize("backend", ["highs", "scip"])
@pytest.mark.parametrize("formulation", ["cut", "directed-cut"])
def test_random_graph_matches_kruskal(backend: str, formulation: str) -> None:
    g = random_graph(40, 3.0, seed=7)
    rep = solve_graph(g, backend, formulation=formulation)
    assert rep.solution.status is Status.OPTIMAL, rep.solution.message
    assert rep.answer["weight"] == pytest.approx(kruskal_weight(g)) == pytest.approx(_nx_weight(g))
    assert rep.answer["edges"] == 39
    tree = nx.Graph([tuple(e) for e in rep.answer["tree"]])
    assert nx.is_tree(tree) and tree.number_of_nodes() == 40
    assert rep.solution.stats["cuts"] > 0


def test_rome99_directed_cut_row_generation() -> None:
    g = read_graph(data_path("graphs", "rome99.gr"))
    rep = solve_graph(g, "highs", formulation="directed-cut")
    assert rep.solution.status is Status.OPTIMAL
    assert rep.answer["weight"] == ROME_MST == kruskal_weight(g)


def test_cli_rome99_json() -> None:
    path = data_path("graphs", "rome99.gr")
    out = subprocess.run(
        [sys.executable, "-m", "optmodel", "solve", "mst", "--graph", str(path), "--json"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["status"] == "optimal"
    assert result["objective"] == pytest.approx(ROME_MST)
    assert result["weight"] == pytest.approx(ROME_MST)
    assert result["stats"]["cuts"] > 0 and result["stats"]["families_verified"] is True


def _two_components() -> Graph:
    g = nx.Graph()
    g.add_weighted_edges_from([(1, 2, 3.0), (2, 3, 1.0), (1, 3, 2.0), (4, 5, 5.0), (5, 6, 1.0), (4, 6, 1.0)])
    return from_networkx(g)


def test_disconnected_graph_is_bad_input() -> None:
    with pytest.raises(InputError, match="2 connected components"):
        solve_graph(_two_components(), "highs")


@pytest.mark.parametrize("backend", ["highs", "scip"])
@pytest.mark.parametrize("formulation", ["cut", "directed-cut"])
def test_forest(backend: str, formulation: str) -> None:
    g = _two_components()
    rep = solve_graph(g, backend, formulation=formulation, forest=True)
    assert rep.solution.status is Status.OPTIMAL
    assert rep.answer["weight"] == pytest.approx(3.0 + 2.0) == pytest.approx(kruskal_weight(g))
    assert rep.answer["edges"] == 4 and rep.answer["components"] == 2


def test_cli_forest_and_error(tmp_path) -> None:
    f = tmp_path / "g.csv"
    f.write_text("source,target,weight\n1,2,3\n2,3,1\n1,3,2\n4,5,5\n5,6,1\n4,6,1\n")
    run = [sys.executable, "-m", "optmodel", "solve", "mst", "--graph", str(f)]
    bad = subprocess.run(run, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert bad.returncode != 0 and "2 connected components" in bad.stderr and "Traceback" not in bad.stderr
    ok = subprocess.run([*run, "--forest", "--json"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["weight"] == pytest.approx(5.0)


def test_parallel_arcs_keep_the_cheapest(tmp_path) -> None:
    f = tmp_path / "g.gr"
    f.write_text("p sp 3 5\na 1 2 9\na 2 1 4\na 2 3 2\na 3 1 7\na 1 3 8\n")
    rep = solve_graph(read_graph(f), "highs")
    assert rep.answer["weight"] == pytest.approx(4.0 + 2.0)


def test_separation_on_fractional_point_finds_min_cut() -> None:
    # Two triangles joined by two edges at 1/4 each: every vertex has degree ≥ 1, the support is
    # connected, and the only violated cut separates the triangles (value 1/2).
    g = Graph(
        np.array([0, 1, 0, 3, 4, 3, 2, 1]), np.array([1, 2, 2, 4, 5, 5, 3, 4]), np.ones(8), np.arange(6), directed=False
    )
    m, _x = build_cut(g)
    point = np.r_[np.full(6, 0.75), 0.25, 0.25]
    rows = m.families[0].separate(point)
    assert len(rows) == 1 and rows[0].size == 1
    assert float((rows[0].coef @ point)[0]) == pytest.approx(0.5)
    md, _y = build_directed(g)
    yv = np.r_[point, point] / 2
    assert md.families[0].separate(yv)  # the directed family also finds a light in-cut
