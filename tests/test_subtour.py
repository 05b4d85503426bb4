"""Exact TSP by subtour elimination: TSPLIB optima, brute force on small instances, both paths."""

from __future__ import annotations

import csv
import itertools

import numpy as np
import pytest
from conftest import data_path

from optmodel.errors import InputError
from optmodel.subtour import cut_separation, solve_tsp, tour_from_edges


def _tsplib(name: str) -> np.ndarray:
    from optmodel.tsplib import read_tsplib

    return read_tsplib(data_path("tsplib", f"{name}.tsp")).dist.astype(float)


def _optimum(name: str) -> float:
    with open(data_path("tsplib", "optimal.csv")) as f:
        rows = {r["name"]: float(r["optimum"]) for r in csv.DictReader(f)}
    return rows[name]


def _length(d: np.ndarray, tour: list[int]) -> float:
    t = np.asarray(tour)
    return float(d[t, np.roll(t, -1)].sum())


def _check(d: np.ndarray, r, best: float) -> None:
    assert r.optimal
    assert sorted(r.tour) == list(range(d.shape[0])) and r.tour[0] == 0
    assert r.length == pytest.approx(best) == pytest.approx(_length(d, r.tour))
    assert r.bound == pytest.approx(best)


@pytest.mark.parametrize("name", ["burma14", "ulysses22", "gr24", "bays29", "att48", "eil76", "kroA100"])
def test_tsplib_optimum_scip(name: str) -> None:
    d = _tsplib(name)
    r = solve_tsp(d, backend="scip")
    _check(d, r, _optimum(name))
    assert r.stats["lazy_path"] == "in-solver" and r.stats["cuts"] > 0


@pytest.mark.parametrize("name", ["burma14", "bays29", "berlin52", "eil76"])
def test_tsplib_optimum_highs_row_generation(name: str) -> None:
    d = _tsplib(name)
    r = solve_tsp(d, backend="highs")
    _check(d, r, _optimum(name))
    assert r.stats["lazy_path"] == "row-generation"


def test_ch150_default_backend() -> None:
    d = _tsplib("ch150")
    r = solve_tsp(d)
    _check(d, r, _optimum("ch150"))


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("backend", ["highs", "scip"])
def test_brute_force(seed: int, backend: str) -> None:
    rng = np.random.default_rng(seed)
    n = 8
    # Two far-apart clusters: the degree-2 relaxation alone would return two subtours.
    P = np.r_[rng.random((4, 2)), rng.random((4, 2)) + 50]
    d = np.rint(np.hypot(*(P[:, None, :] - P[None, :, :]).transpose(2, 0, 1)) * 10)
    best = min(_length(d, [0, *p]) for p in itertools.permutations(range(1, n)))
    r = solve_tsp(d, backend=backend)
    _check(d, r, best)
    assert r.stats["cuts"] >= 1


def test_tiny_and_bad_input() -> None:
    assert solve_tsp(np.zeros((1, 1))).tour == [0]
    r = solve_tsp(np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float))
    assert r.length == 6 and r.optimal
    with pytest.raises(InputError, match="symmetric"):
        solve_tsp(np.array([[0, 1, 2, 3], [2, 0, 1, 1], [2, 1, 0, 1], [3, 1, 1, 0]], dtype=float))
    with pytest.raises(InputError, match="square"):
        solve_tsp(np.zeros((2, 3)))


def test_subtour_separation_integer_and_fractional() -> None:
    n = 6
    iu, ju = np.triu_indices(n, k=1)
    x = np.zeros(iu.size)
    pair = {(a, b): k for k, (a, b) in enumerate(zip(iu.tolist(), ju.tolist()))}
    for a, b in [(0, 1), (1, 2), (0, 2), (3, 4), (4, 5), (3, 5)]:
        x[pair[a, b]] = 1.0
    rows = cut_separation(n, iu, ju, x, 2.0, fractional=False)
    assert rows.shape[0] == 1 and float((rows @ x)[0]) == 0.0  # two subtours, one shared cut
    # Fractional: the triangles at 3/4 joined by 1/4-edges: connected support, cut value 1/2 < 2.
    x[[pair[0, 1], pair[1, 2], pair[0, 2], pair[3, 4], pair[4, 5], pair[3, 5]]] = 0.75
    x[[pair[2, 3], pair[0, 5]]] = 0.25
    rows = cut_separation(n, iu, ju, x, 2.0, fractional=True)
    assert rows.shape[0] >= 1 and float((rows @ x).min()) == pytest.approx(0.5)
    assert tour_from_edges(4, np.array([0, 1, 2, 0]), np.array([1, 2, 3, 3]), np.arange(4)) == [0, 1, 2, 3]
