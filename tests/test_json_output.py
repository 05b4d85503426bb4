"""Every `--json` output, success or error, is one object that parses strictly and fits the schema
in docs/json-output.schema.json; errors exit 2; a closed stdout is not an error."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json.loads((ROOT / "docs" / "json-output.schema.json").read_text())
DATA = Path(os.environ.get("OPTMODEL_DATA", ROOT.parent / "shared" / "data"))


def _no_constants(name):
    raise AssertionError(f"JSON output holds {name}, which strict JSON parsers reject")


def run(*args):
    proc = subprocess.run([sys.executable, "-m", "optmodel", *map(str, args)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr  # exactly one object, on one line
    out = json.loads(lines[0], parse_constant=_no_constants)
    jsonschema.validate(out, SCHEMA)
    return proc, out


LP = "Maximize\n obj: 3 x + 2 y\nSubject To\n c1: x + y <= 4\n c2: x + 3 y <= 6\nBounds\n x <= 3\nEnd\n"


def test_successes_fit_the_schema(tmp_path):
    (tmp_path / "m.lp").write_text(LP)
    from optmodel.similarity import write_similarity_csv

    write_similarity_csv(tmp_path / "s.csv", ["a", "b", "c"], [[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]])
    (tmp_path / "spec.py").write_text("import optmodel as om\nprint('to stderr')\nmodel = om.Model()\n"
                                      "x = model.var(2, lb=0)\nmodel.add(x.sum() >= 1)\nmodel.minimize(x @ [2, 3])\n")
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "ident.py").write_text("def order(similarity, names):\n    return [0, 1, 2]\n")
    commands = [
        ("solve", "shortest-path", "--grid", "5", "--json"),
        ("solve", tmp_path / "m.lp", "--json"),
        ("solve", tmp_path / "spec.py", "--values", "--json"),
        ("explain", tmp_path / "spec.py", "--json"),
        ("solve", "geometric-mle", "--generate", "100", "--backend", "cvxpy", "--json"),
        ("list", "--json"),
        ("explain", "shortest-path", "--json"),
        ("bench", "shortest-path:3", "--backends", "highs", "--results", tmp_path / "r.jsonl", "--json"),
        ("bench", "shortest-path", "--sizes", "3", "--backends", "highs", "--repeat", "1", "--json"),
        ("challenge", "seriation", "--submissions", tmp_path / "subs", "--train", tmp_path / "s.csv",
         "--no-references", "--results", tmp_path / "c.jsonl", "--json"),
    ]
    for cmd in commands:
        proc, _ = run(*cmd)
        assert proc.returncode == 0, (cmd, proc.stderr)
    assert run("solve", tmp_path / "m.lp", "--json")[1]["objective"] == pytest.approx(11.0)  # x = 3, y = 1


@pytest.mark.skipif(not (DATA / "tsplib" / "burma14.tsp").exists(), reason=f"shared data not found at {DATA}")
def test_a_nan_becomes_null_with_a_reason(capsys):
    # no command takes a NaN any more (`--optimum nan` is a usage error), but what one computes may be
    from optmodel.cli import emit_json

    emit_json({"status": "optimal", "optimum_gap": float("nan"), "bound": -float("inf")})
    out = json.loads(capsys.readouterr().out)
    assert out["optimum_gap"] is None and out["bound"] is None
    assert out["non_finite"] == {"optimum_gap": "not a number (NaN)", "bound": "-infinity"}


@pytest.mark.parametrize("args, says", [
    (("solve", "nosuch.mps", "--json"), "file not found"),
    (("solve", "shortest-path", "--grid", "5", "--backend", "nope", "--json"), "unknown backend 'nope'"),
    (("solve", "shortest-path", "--grid", "x", "--json"), "invalid int value: 'x'"),
    (("solve", "shortest-path", "--grid", "5", "--no-such-option", "--json"), "unrecognized arguments"),
    (("bench", "--json"), "the following arguments are required"),
    (("nosuchcommand", "--json"), "unknown command 'nosuchcommand'"),
])
def test_every_error_is_one_object_and_exit_2(args, says):
    proc, out = run(*args)
    assert proc.returncode == 2 and out["status"] == "error" and out["exit_code"] == 2
    assert says in out["message"] and "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1  # and one line on stderr


def test_a_mistake_in_a_spec_is_one_object_naming_its_line(tmp_path):
    spec = tmp_path / "spec.py"
    spec.write_text("import optmodel as om\nmodel = om.Model()\nx = model.var(3)\nmodel.add(x[7] >= 1)\n")
    proc, out = run("solve", spec, "--json")
    assert proc.returncode == 2 and out["status"] == "error" and out["exit_code"] == 2
    assert out["file"] == str(spec) and out["line"] == 4 and "IndexError" in out["message"]


def test_a_missing_file_is_named_in_the_error_object():
    _, out = run("solve", "nosuch.mps", "--json")
    assert out["file"] == "nosuch.mps"


def test_a_reader_that_goes_away_is_not_an_error():
    # `optmodel list | head -1`: the reader closes stdout before optmodel writes
    proc = subprocess.Popen([sys.executable, "-m", "optmodel", "list"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, cwd=ROOT)
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 0 and "Broken pipe" not in err and "Traceback" not in err
