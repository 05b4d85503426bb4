"""The command line: the JSON contract, one-line errors, and no solver imports for --help."""

import json
import subprocess
import sys

import pytest
from conftest import REPO, data_path

HEAVY = ("torch", "cvxpy", "pyomo", "ortools", "pyscipopt", "highspy")


def run(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "optmodel", *args], capture_output=True, text=True, cwd=REPO)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_help_imports_no_solver_library():
    code = (
        "import sys, runpy; sys.argv = ['optmodel', '--help']\n"
        "try:\n    runpy.run_module('optmodel', run_name='__main__')\nexcept SystemExit:\n    pass\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    for args in (["--help"], ["solve", "--help"], ["solve", "shortest-path", "--help"], ["list", "--help"]):
        assert "usage" in run(*args).stdout.lower()


def test_list_shows_backends_and_problems():
    out = json.loads(run("list", "--json").stdout)
    highs = next(b for b in out["backends"] if b["name"] == "highs")
    assert highs["available"] and highs["version"] and "lp" in highs["subsolvers"]["choose"]
    assert any(p["name"] == "shortest-path" for p in out["problems"])


def test_rome99_json_contract():
    graph = data_path("graphs", "rome99.gr")
    out = json.loads(run("solve", "shortest-path", "--graph", str(graph), "--source", "1", "--target", "3353",
                         "--json").stdout)
    assert out["status"] == "optimal" and out["objective"] == 30305
    assert out["backend"].startswith("highs") and out["path"][0] == 1 and out["path"][-1] == 3353
    for key in ("build_seconds", "solve_seconds", "termination", "solution_status"):
        assert key in out


def test_built_in_grid_example_runs():
    out = run("solve", "shortest-path", "--grid", "20").stdout
    assert "status optimal" in out and "shortest path 1 -> 400" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["solve", "shortest-path", "--graph", "missing.gr", "--source", "1", "--target", "2"],
            "missing.gr: no such file",
        ),
        (["solve", "shortest-path", "--grid", "5", "--source", "99"], "vertex '99' is not in the graph"),
        (["solve", "shortest-path", "--grid", "5", "--backend", "nosuch"], "unknown backend 'nosuch'"),
        (["solve", "nosuch-problem"], "unknown problem 'nosuch-problem'"),
        (["solve", "missing.mps"], "missing.mps"),
        (["frobnicate"], "unknown command"),
    ],
)
def test_bad_input_is_one_line_without_traceback(args, message):
    proc = run(*args, check=False)
    assert proc.returncode != 0
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_malformed_graph_names_file_and_line(tmp_path):
    bad = tmp_path / "bad.gr"
    bad.write_text("p sp 2 1\na 1 2 oops\n")
    proc = run("solve", "shortest-path", "--graph", str(bad), "--source", "1", "--target", "2", check=False)
    assert proc.returncode == 2 and f"{bad}:2:" in proc.stderr


def test_unreachable_target_reports_infeasible(tmp_path):
    g = tmp_path / "g.gr"
    g.write_text("p sp 3 1\na 1 2 5\n")
    out = json.loads(run("solve", "shortest-path", "--graph", str(g), "--source", "1", "--target", "3",
                         "--json").stdout)
    assert out["status"] == "infeasible" and "cannot be reached" in out["message"] and out["path"] is None


def test_verbose_log_goes_to_stderr_and_json_stays_clean():
    proc = run("solve", "shortest-path", "--grid", "5", "--json", "--verbose")
    json.loads(proc.stdout)  # stdout is exactly one JSON object
    assert "HiGHS" in proc.stderr
