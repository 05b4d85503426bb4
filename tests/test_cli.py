"""The command line: the JSON contract, one-line errors, and no solver imports for --help."""

import json
import re
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


# --- Python spec files: `solve SPEC.py` and `explain SPEC.py` -----------------------------------

SPEC = """\
import numpy as np
import optmodel as om
from coefficients import COST  # a module beside the spec

with open(__file__ + ".runs", "a") as f:  # how often the file ran
    f.write(__name__ + "\\n")
print("side effect")
model = om.Model("diet")
x = model.var(3, lb=0, name="food")
model.add(np.array([[2, 1, 3], [1, 4, 1]]) @ x >= [8, 6], name="nutrients")
model.minimize(x @ COST)

if __name__ == "__main__":
    print("MAIN RAN")
"""


def _spec(tmp_path, text, name="spec.py"):
    (tmp_path / "coefficients.py").write_text("COST = [1.5, 1.0, 2.5]\n")
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_spec_file_is_solved_with_the_solver_options_and_run_once(tmp_path):
    spec = _spec(tmp_path, SPEC)
    proc = run("solve", str(spec), "--backend", "scip", "--time-limit", "5", "--values", "--json")
    out = json.loads(proc.stdout)  # what the spec prints went to stderr
    assert out["status"] == "optimal" and out["backend"].startswith("scip")
    assert out["objective"] == pytest.approx(43 / 7)
    assert out["model"] == {"name": "diet", "rows": 2, "columns": 3, "nonzeros": 6} and len(out["values"]["food"]) == 3
    assert proc.stderr.count("side effect") == 1 and "MAIN RAN" not in proc.stderr + proc.stdout
    assert (tmp_path / "spec.py.runs").read_text() == "spec\n"  # once, as a module named after the file
    text = run("solve", str(spec)).stdout
    assert text.startswith("status optimal  objective 6.142857143  [highs")
    explained = run("explain", str(spec))
    assert "linear program" in explained.stdout and explained.stderr.count("side effect") == 1
    assert (tmp_path / "spec.py.runs").read_text() == "spec\n" * 3


def test_a_spec_may_define_build_instead(tmp_path):
    spec = _spec(tmp_path, "import optmodel as om\n\ndef build():\n    m = om.Model('b')\n    x = m.var(2, lb=0)\n"
                           "    m.add(x.sum() >= 1)\n    m.minimize(x @ [2, 3])\n    return m\n")
    out = json.loads(run("solve", str(spec), "--json").stdout)
    assert out["status"] == "optimal" and out["objective"] == pytest.approx(2)


@pytest.mark.parametrize("source, line, says", [
    ("import optmodel as om\nm = om.Model(\nx = 1\n", 2, "SyntaxError: '(' was never closed"),
    ("import optmodel as om\nmodel = om.Model()\nx = model.var(2)\nmodel.minimize(x.sum() + nosuch)\n", 4,
     "NameError: name 'nosuch' is not defined"),
    ("import optmodel as om\n\ndef rows(x):\n    return x[5] >= 1\n\ndef build():\n    m = om.Model()\n"
     "    m.add(rows(m.var(3)))\n    return m\n", 4, "IndexError: index 5 is out of bounds"),
    ("import optmodel as om\nmodel = om.Model()\nx, y = model.var(3), model.var(4)\nmodel.add(x + y >= 1)\n", 4,
     "shapes"),
    ("import optmodel as om\nmodel = om.Model()\nx = model.var(3, lb=0, ub=1, integer=True)\nmodel.maximize(x.sum())\n"
     "\ndef cuts(values):\n    return [values[10] + x.sum() <= 2]\n\nmodel.lazy(cuts, name='cuts')\n", 7,
     "IndexError: index 10 is out of bounds"),  # raised inside the solve, by the user's oracle
    ("import sys\nsys.exit(3)\n", 2, "the spec called sys.exit(3)"),
])
def test_a_mistake_in_a_spec_shows_the_users_own_lines_and_exits_2(tmp_path, capsys, source, line, says):
    from optmodel.cli import main

    spec = _spec(tmp_path, source)
    proc = run("solve", str(spec), check=False)
    assert proc.returncode == 2
    frames = re.findall(r'File "([^"]+)", line (\d+)', proc.stderr)
    assert frames and {f for f, _ in frames} == {str(spec)}, proc.stderr  # no optmodel, runpy or numpy frames
    assert frames[-1][1] == str(line)
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith(f"optmodel: {spec}:{line}: ") and says in last, proc.stderr
    assert "Traceback" not in proc.stderr or proc.stderr.startswith("Traceback (most recent call last):")
    assert main(["solve", str(spec), "--json"]) == 2  # the same, in this process
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "error" and out["file"] == str(spec) and out["line"] == line and out["exit_code"] == 2
    if "cuts" not in source:  # explain does not solve: the oracle never runs
        assert main(["explain", str(spec)]) == 2
        assert capsys.readouterr().err.strip().splitlines()[-1] == last


def test_a_spec_without_a_model_says_the_convention(tmp_path):
    spec = _spec(tmp_path, "import optmodel as om\nm = om.Model()\n")
    proc = run("solve", str(spec), check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "define a Model named `model`, or a function `build()`" in proc.stderr and "named `m`" in proc.stderr


def test_help_states_the_spec_convention():
    for args in (["solve", "x.py", "--help"], ["explain", "--help"], ["solve", "--help"]):
        text = " ".join(run(*args).stdout.split())
        assert "model = ..." in text and "def build()" in text and 'never "__main__"' in text, args
