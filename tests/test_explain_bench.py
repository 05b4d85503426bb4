"""`explain` and `bench`: what users read and the rows scripts consume."""

import json
import subprocess
import sys

from conftest import REPO, data_path

import optmodel as om
from optmodel.explain import explain_model


def cli(*args):
    proc = subprocess.run([sys.executable, "-m", "optmodel", *args], capture_output=True, text=True, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_explain_shortest_path_finds_the_network_structure():
    out = cli("explain", "shortest-path")
    assert "totally unimodular" in out and "integrality can be dropped" in out
    assert "backends that can solve it:" in out and "highs:choose" in out
    assert "solves ordering models only" in out  # and why the others cannot
    data = json.loads(cli("explain", "shortest-path", "--size", "4", "--json"))
    assert data["kind"].startswith("linear program") and data["sizes"]["variables"] == 2 * 2 * 4 * 3
    assert data["backends"]["highs:choose"] is None
    assert "\\min" in cli("explain", "shortest-path", "--latex")


def test_explain_file_and_python_spec(tmp_path):
    out = cli("explain", str(data_path("miplib", "flugpl.mps")))
    assert "mixed-integer" in out and "11 integer" in out and "cannot solve mip models" in out
    spec = tmp_path / "spec.py"
    spec.write_text(
        "import optmodel as om\n"
        "model = om.Model('diet')\n"
        "x = model.var(3, lb=0, name='food')\n"
        "model.add(x @ [2, 1, 3] >= 8, name='energy')\n"
        "model.minimize(x @ [1.5, 1.0, 2.5])\n"
    )
    out = cli("explain", str(spec))
    assert "energy: A·x ≥ b" in out and "food ∈ ℝ^3  ≥ 0" in out


def test_model_repr_for_notebooks():
    m = om.Model("nb")
    x = m.binary_var(4, name="pick")
    m.add(x.sum() <= 2, name="budget")
    m.maximize(x @ [1, 2, 3, 4])
    assert "budget" in m._repr_html_() and m._repr_latex_().startswith("$$")
    e = explain_model(m)
    assert e.kind.startswith("mixed-integer") and any("pick ∈ {0,1}^4" in line for line in e.formulation)


def test_bench_writes_rows_and_plot(tmp_path):
    rows_file, plot = tmp_path / "rows.json", tmp_path / "plot.png"
    out = cli("bench", "shortest-path", "--backends", "highs,auto,fast-tsp", "--sizes", "4,6", "--repeat", "1",
              "--results", str(rows_file), "--plot", str(plot))
    rows = json.loads(rows_file.read_text())
    assert {(r["backend"], r["size"]) for r in rows} == {(b, s) for b in ("highs", "auto", "fast-tsp") for s in (4, 6)}
    solved = [r for r in rows if r["status"] == "optimal"]
    assert len(solved) == 4 and all(r["build_seconds"] >= 0 and r["solve_seconds"] > 0 for r in solved)
    by_size = {}
    for r in solved:
        by_size.setdefault(r["size"], set()).add(round(r["objective"], 6))
    assert all(len(v) == 1 for v in by_size.values())  # every backend agrees
    skipped = [r for r in rows if r["status"] == "skipped"]
    assert len(skipped) == 2 and "ordering" in skipped[0]["reason"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "skipped" in out


def test_explain_mst_shows_the_cut_formulation_generated_lazily():
    out = cli("explain", "mst")
    assert "Σ_{v∈S, w∉S} x_vw ≥ 1" in out and "generated lazily" in out
    assert "directed cuts from a root" in out  # the adjacent, more amenable formulation
    assert "lazy families 1" in out
