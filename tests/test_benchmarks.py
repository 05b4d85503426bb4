"""Smoke tests of the benchmark scripts on tiny sizes: rows, ratios and agreeing answers, not timings."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from conftest import DATA, REPO, optima

from optmodel.graphs import grid_graph, read_dimacs, write_dimacs

BENCH = REPO / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _run(script: str, *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done


def _networkx_distance(side: int, source: int, target: int) -> float:
    g = grid_graph(side)
    return nx.dijkstra_path_length(g.to_networkx(), source, target)


def test_raw_parser_matches_optmodel_reader(tmp_path: Path):
    sp_bench = _module("shortest_path")
    g = grid_graph(7, seed=3)
    path = tmp_path / "g.gr"
    write_dimacs(g, path)
    n, tail, head, weight = sp_bench.raw_read_dimacs(path)
    ref = read_dimacs(path)
    assert n == ref.num_vertices
    np.testing.assert_array_equal(tail, ref.tail)
    np.testing.assert_array_equal(head, ref.head)
    np.testing.assert_array_equal(weight, ref.weight)
    # the hand-written LP, with the target's row dropped at either end of the numbering
    for s, t in ((0, 48), (48, 0), (10, 30)):
        row = sp_bench.raw_solve(n, tail, head, weight, s, t)
        assert row["objective"] == pytest.approx(nx.dijkstra_path_length(g.to_networkx(), s + 1, t + 1))


def test_shortest_path_benchmark_tiny(tmp_path: Path):
    out, png = tmp_path / "sp.json", tmp_path / "sp.png"
    done = _run("shortest_path.py", "--sizes", "grid8", "--repeat", "1", "--json", str(out), "--plot", str(png))
    result = json.loads(out.read_text())
    rows = {r["tool"]: r for r in result["rows"]}
    assert set(rows) == {"optmodel", "highspy", "cvxpy", "pyomo", "optmodel-cli", "highspy-script"}
    first = rows["optmodel"]
    expected = _networkx_distance(8, first["source"], first["target"])
    assert first["reference"] == pytest.approx(expected)
    for tool, row in rows.items():
        assert row["agrees"], tool
        assert row["objective"] == pytest.approx(expected), tool
        assert row["total_ratio"] > 0 and row["total_s"] > 0, tool
    assert rows["highspy"]["total_ratio"] == pytest.approx(1.0)
    for tool in ("optmodel", "highspy", "cvxpy", "pyomo"):
        assert 0 < rows[tool]["solve_s"] < rows[tool]["total_s"]
        assert rows[tool]["build_s"] == pytest.approx(rows[tool]["total_s"] - rows[tool]["solve_s"])
    kinds = {t["target"] for t in result["targets"]}
    assert any("whole process" in k for k in kinds) and any("Pyomo" in k for k in kinds)
    assert "optmodel-cli" in done.stdout and "total/raw" in done.stdout
    assert png.stat().st_size > 1000


def test_raw_script_on_rome99():
    if not (DATA / "graphs" / "rome99.gr").exists():
        pytest.skip(f"shared data not found at {DATA}")
    sp_bench = _module("shortest_path")
    n, tail, head, weight = sp_bench.raw_read_dimacs(DATA / "graphs" / "rome99.gr")
    assert (n, tail.size) == (3353, 8870)
    assert sp_bench.raw_solve(n, tail, head, weight, 0, n - 1)["objective"] == pytest.approx(30305)


def test_backends_benchmark_tiny(tmp_path: Path):
    out, png = tmp_path / "b.json", tmp_path / "b.png"
    done = _run("backends.py", "--models", "grid5,flugpl", "--backends", "highs:choose,torch",
                "--time-limit", "30", "--json", str(out), "--plot", str(png))
    rows = json.loads(out.read_text())["rows"]
    ran = [r for r in rows if r["status"] != "skipped"]
    assert ("grid5", "highs:choose") in {(r["model"], r["backend"]) for r in ran}
    grid = [r for r in ran if r["model"] == "grid5"]
    expected = nx.dijkstra_path_length(grid_graph(5).to_networkx(), 13, 25)  # centre (2,2) -> (4,4)
    for r in grid:
        assert r["status"] == "optimal" and r["agrees"]
        assert r["objective"] == pytest.approx(expected)
        assert r["total_s"] >= r["solve_s"] > 0 and r["build_s"] >= 0
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert any(r["backend"].startswith("torch:") and "minimax" in r["message"] for r in skipped)
    assert not any(r["backend"] == "highs:simplex" for r in rows)  # filtered out by --backends
    if (DATA / "miplib" / "flugpl.mps").exists():
        mip = [r for r in ran if r["model"] == "flugpl"]
        assert len(mip) == 1
        for r in mip:
            assert r["status"] == "optimal" and r["objective"] == pytest.approx(optima("miplib")["flugpl"])
    assert "skipped:" in done.stdout
    assert png.stat().st_size > 1000


def test_backends_worker_failure_is_a_row_not_a_crash():
    bench = _module("backends")
    row = bench.run_one("grid3", "highs:nosuch", 5.0)
    assert row["status"] == "crashed"
    assert "nosuch" in row["message"] and row["wall_s"] > 0
