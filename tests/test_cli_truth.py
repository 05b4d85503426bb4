"""Help and output that tell the truth: every backend a problem's help names is one it accepts, every
status the CLI prints is documented, numbers print as a person writes them, written files are named,
columns line up, and a clone named `optmodel` next to a script does not break `import optmodel`."""

import importlib.metadata
import json
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO

from optmodel.cli import main
from optmodel.dispatch import backend_classes
from optmodel.problems import discover, number

TSP = """NAME: tiny5
TYPE: TSP
DIMENSION: 5
EDGE_WEIGHT_TYPE: EUC_2D
NODE_COORD_SECTION
1 0 0
2 10 0
3 10 10
4 0 10
5 5 15
EOF
"""


def _tiny_args(tmp_path):
    """A tiny instance of every problem, so that each backend its help names can be tried on it."""
    (tmp_path / "tiny.tsp").write_text(TSP)
    from optmodel.similarity import write_similarity_csv

    write_similarity_csv(tmp_path / "s.csv", ["a", "b", "c", "d"],
                         [[1, .9, .1, .2], [.9, 1, .3, .1], [.1, .3, 1, .8], [.2, .1, .8, 1]])
    return {
        "shortest-path": ["--grid", "3"],
        "mst": ["--random", "6"],
        "tsp": ["--instance", tmp_path / "tiny.tsp", "--time-limit", "1"],
        "seriation": ["--similarity", tmp_path / "s.csv", "--time-limit", "1"],
        "geometric-mle": ["--generate", "200"],
        "gan": ["--steps", "2", "--device", "cpu", "--hidden", "8", "--batch-size", "16", "--progress", "off"],
    }


def _help(capsys, *args):
    with pytest.raises(SystemExit) as exit_:
        main(["solve", *args, "--help"])
    assert exit_.value.code == 0
    return capsys.readouterr().out


def _backend_help(text):
    """The text of the --backend option's help, on one line."""
    block = text.split("\n  --backend NAME[:SUB]", 1)[1]  # the option's entry, not the usage line
    block = re.split(r"\n  --", block, maxsplit=1)[0]
    return " ".join(block.split())


def _named_backends(text, known):
    """Every backend (or backend:sub) named in the help text: words whose name part is a backend."""
    return sorted({w for w in re.findall(r"[A-Za-z][\w.-]*(?::[\w-]+)?", text) if w.partition(":")[0] in known})


def test_every_backend_in_a_problems_help_is_accepted_by_it(tmp_path, capsys):
    tiny = _tiny_args(tmp_path)
    problems = discover()
    assert set(problems) <= set(tiny), "give a new problem a tiny instance here"
    known = set(backend_classes()) | {"ortools"}
    tried = 0
    for name, problem in problems.items():
        text = _backend_help(_help(capsys, name))
        named = _named_backends(text.split("NAME:SUB", 1)[0], known | set(getattr(problem, "backend_aliases", {})))
        assert named, (name, text)
        for backend in named:
            code = main(["solve", name, *map(str, tiny[name]), "--backend", backend, "--json"])
            out = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
            assert code == 0 and out["status"] not in ("error", "unverified"), (name, backend, out)
            tried += 1
    assert tried >= 15


def test_backend_help_is_generated_from_capabilities(capsys):
    lp = _backend_help(_help(capsys, "shortest-path"))
    assert lp.startswith("one of highs, scip") and "default: highs" in lp
    tsp = _backend_help(_help(capsys, "tsp"))
    assert "highs" not in tsp and "fast-tsp" in tsp and "ortools (= routing)" in tsp and "default: fast-tsp" in tsp
    mle = _backend_help(_help(capsys, "geometric-mle"))
    assert mle.startswith("cvxpy;") and "Implies --method convex" in mle


def test_problem_help_imports_no_solver_library():
    heavy = ("torch", "cvxpy", "pyomo", "ortools", "pyscipopt", "highspy")
    names = [n for n, p in discover().items() if getattr(p, "needs", None) is not None]  # no instance is built
    code = (
        "import sys, contextlib, io\nfrom optmodel.cli import main\n"
        f"for name in {names!r}:\n"
        "    with contextlib.redirect_stdout(io.StringIO()):\n"
        "        try:\n            main(['solve', name, '--help'])\n        except SystemExit:\n            pass\n"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO).stdout
    assert len(names) >= 5 and out.strip().splitlines()[-1] == "[]"


def test_every_status_is_documented_in_the_readme():
    from optmodel import challenge
    from optmodel.benchmark import isolation
    from optmodel.solution import Status

    statuses = {s.value for s in Status} | set(challenge.STATUSES) | {isolation.KILLED, isolation.CRASHED, "skipped"}
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Statuses", 1)[1].split("\n## ", 1)[0]
    table = set(re.findall(r"^\| `([a-z_]+)` \| \S", section, flags=re.M))
    assert {s.value for s in Status} <= table  # each solve status has a row saying what it means
    missing = {s for s in statuses if f"`{s}`" not in section}
    assert not missing, f"statuses the CLI prints that the README does not explain: {sorted(missing)}"


@pytest.mark.parametrize("value, text", [
    (1186386.0, "1186386"), (1186385.9999999999, "1186386"), (-0.0, "0"), (30305, "30305"),
    (-2.054297968615184, "-2.054297969"), (0.1 + 0.2, "0.3"), (123456789012.5, "123456789000"),
    (1e-7, "1e-07"), (3e20, "3e+20"), (float("nan"), "nan"), (float("-inf"), "-inf"), (None, "none"),
])
def test_numbers_print_as_a_person_writes_them(value, text):
    assert number(value) == text


def test_report_lines_print_integers_as_integers(tmp_path, capsys):
    g = tmp_path / "big.csv"
    g.write_text("source,target,weight\n1,2,500000\n2,3,686386\n1,3,900000\n")
    assert main(["solve", "mst", "--graph", str(g)]) == 0
    out = capsys.readouterr().out
    assert "objective 1186386 " in out and "weight 1186386," in out and "e+0" not in out
    assert main(["solve", "shortest-path", "--graph", str(g), "--source", "1", "--target", "3"]) == 0
    out = capsys.readouterr().out
    assert "cost 900000," in out and "e+0" not in out


def test_solve_file_help_names_the_file_once(capsys):
    text = _help(capsys, "model.mps")
    assert "FILE" in text.split("\n\n")[0]  # in the usage line
    assert not re.search(r"^\s+file\b", text, flags=re.M) and "solve FILE" not in text


def test_list_columns_line_up(capsys):
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.split("backends:\n", 1)[1].splitlines()
    subs = [ln for ln in lines if ln.startswith("      ")]
    starts = {re.search(r"\S+\s+", ln.strip()).end() + 6 for ln in subs}
    assert len(subs) > 10 and len(starts) == 1, subs  # torch:extragradient included
    tops = [ln for ln in lines if ln.startswith("  ") and not ln.startswith("      ")]
    assert len({re.match(r"  \S+\s+\S+\s+", ln).end() for ln in tops}) == 1, tops


def test_commands_say_what_they_wrote(tmp_path, capsys):
    rows, png = tmp_path / "rows.json", tmp_path / "times.png"
    args = ["bench", "shortest-path", "--sizes", "3", "--backends", "highs", "--repeat", "1", "--results", str(rows)]
    assert main([*args, "--plot", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["files"] == [str(rows), str(png)] and rows.exists() and png.exists()
    assert main(args) == 0
    assert f"wrote {rows}" in capsys.readouterr().out
    lp = tmp_path / "m.lp"
    lp.write_text("Maximize\n obj: x + y\nSubject To\n c: x + 2 y <= 4\nBounds\n x <= 3\nEnd\n")
    mps = tmp_path / "m.mps"
    assert main(["solve", str(lp), "--write", str(mps)]) == 0
    assert f"wrote {mps}" in capsys.readouterr().out and mps.exists()
    assert main(["solve", str(lp), "--write", str(mps), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["files"] == [str(mps)]
    sample = tmp_path / "sample.txt"
    assert main(["solve", "geometric-mle", "--generate", "50", "--write", str(sample)]) == 0
    assert f"wrote {sample}" in capsys.readouterr().out and sample.exists()


def test_geometric_mle_takes_cvxpy_and_reports_one_objective(capsys):
    pytest.importorskip("cvxpy")
    pytest.importorskip("torch")
    objectives = {}
    for extra in (["--method", "closed-form"], ["--backend", "cvxpy"], ["--backend", "cvxpy:clarabel"],
                  ["--method", "gradient", "--steps", "300"], ["--method", "lagrangian", "--steps", "300"]):
        assert main(["solve", "geometric-mle", "--generate", "2000", "--seed", "0", *extra, "--json"]) == 0
        out = json.loads(capsys.readouterr().out)
        objectives[" ".join(extra)] = out["objective"]
        assert out["objective"] == pytest.approx(out["log_likelihood"], abs=1e-12)
        if "--backend" in extra:
            assert out["status"] == "optimal" and out["method"] == "convex"
            assert out["backend"] == ("cvxpy:scs" if extra[1] == "cvxpy" else extra[1])
    # One scale for every method: the mean log-likelihood V(p), not n·V(p) or the Lagrangian's value.
    assert max(objectives.values()) - min(objectives.values()) < 1e-5, objectives


def test_geometric_mle_backend_and_steps_errors_are_truthful(capsys):
    assert main(["solve", "geometric-mle", "--generate", "50", "--method", "gradient", "--backend", "cvxpy"]) == 2
    assert "--backend picks the solver of --method convex" in capsys.readouterr().err
    assert main(["solve", "geometric-mle", "--generate", "50", "--steps", "0"]) == 2
    assert "--steps must be at least 1, got 0" in capsys.readouterr().err
    assert "--steps STEPS gradient steps of --method gradient and lagrangian, at least 1" in " ".join(
        _help(capsys, "geometric-mle").split())


def test_convex_status_says_optimal_only_when_the_answer_checks(monkeypatch):
    from optmodel.model import Model
    from optmodel.problems import geometric_mle as geo
    from optmodel.solution import Solution, SolutionStatus, Status, Termination, Verification

    sample = geo.Sample(geo.generate(500, 0.3, seed=2))
    exact = geo.closed_form(sample)

    def fake(p):
        def solve(self, backend=None, options=None):
            return Solution(Status.OPTIMAL, Termination.OPTIMAL, SolutionStatus.OPTIMAL, objective=-2.0,
                            x=np.array([p]), backend="cvxpy:clarabel", verification=Verification(),
                            message="CVXPY reported 'optimal_inaccurate'")
        return solve

    monkeypatch.setattr(Model, "solve", fake(exact * (1 + 1e-9)))
    _, sol = geo.estimate(sample, "convex")
    assert sol.status is Status.OPTIMAL and "optmodel's own check" in sol.message  # why optimal, though inaccurate
    monkeypatch.setattr(Model, "solve", fake(exact * 1.05))  # 5% off: the solver's "optimal" does not hold
    _, sol = geo.estimate(sample, "convex")
    assert sol.status is Status.UNVERIFIED and "closed form" in sol.message


def _import_from(folder):
    code = "import optmodel; print(optmodel.Model.__name__, optmodel.__path__[0])"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=folder, timeout=120)


def test_a_clone_named_optmodel_in_the_current_folder_still_imports(tmp_path):
    link = tmp_path / "link"
    link.mkdir()
    (link / "optmodel").symlink_to(REPO, target_is_directory=True)
    proc = _import_from(link)
    assert proc.returncode == 0 and proc.stdout.split()[0] == "Model", proc.stderr
    cli = subprocess.run([sys.executable, "-m", "optmodel", "solve", "shortest-path", "--grid", "3"],
                         capture_output=True, text=True, cwd=link, timeout=120)
    assert cli.returncode == 0 and "status optimal" in cli.stdout, cli.stderr
    # A copy: another clone than the installed one, so it is used and a warning says so.
    copy = tmp_path / "copy"
    for part in ("optmodel", "backends", "problems"):
        shutil.copytree(REPO / part, copy / "optmodel" / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "__init__.py", copy / "optmodel" / "__init__.py")
    proc = _import_from(copy)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Model", str(copy / "optmodel" / "optmodel")]
    try:
        importlib.metadata.distribution("optmodel")
    except importlib.metadata.PackageNotFoundError:
        return  # nothing installed: nothing else to be confused with
    assert f"importing optmodel from the clone at {copy / 'optmodel'}, not the installed optmodel" in proc.stderr


@pytest.mark.parametrize("option", [["--time-limit", "1_000"], ["--time-limit", "nan"], ["--time-limit", "inf"],
                                    ["--threads", "٣"], ["--threads", "0x10"], ["--mip-gap", "1e"]])
def test_command_line_numbers_follow_the_files_strict_grammar(option, capsys):
    # argparse's float/int took 1_000, nan and Arabic-Indic digits
    code = main(["solve", str(REPO / "tests" / "data" / "missing.mps"), *option])
    err = capsys.readouterr().err
    assert code == 2
    assert f"argument {option[0]}: invalid" in err and repr(option[1]) in err


def test_a_spec_solved_by_pyomo_with_json_keeps_stdout_to_one_object(tmp_path):
    # the spec's stdout went to sys.stderr while pyomo captured fd 2: TeeStream deadlock, then a traceback
    pytest.importorskip("pyomo")
    spec = tmp_path / "spec.py"
    spec.write_text("import optmodel as om\nprint('building')\nmodel = om.Model('spec')\nx = model.var(2, lb=0)\n"
                    "model.add(x.sum() >= 1)\nmodel.minimize(x @ [1, 2])\n")
    proc = subprocess.run([sys.executable, "-m", "optmodel", "solve", str(spec), "--backend", "pyomo", "--json"],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["objective"] == pytest.approx(1.0)
    assert "building" in proc.stderr and "Traceback" not in proc.stderr


def test_verbose_json_on_an_infeasible_model_keeps_the_iis_search_log_off_stdout(tmp_path):
    # HiGHS's IIS search ("Running deletion filter...") printed 8 lines on stdout before the JSON object
    lp = tmp_path / "infeasible.lp"
    lp.write_text("Minimize\n obj: x\nSubject To\n c1: x >= 2\n c2: x <= 1\nEnd\n")
    proc = subprocess.run([sys.executable, "-m", "optmodel", "solve", str(lp), "--backend", "highs", "--verbose",
                           "--json"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("\n") == 1 and json.loads(proc.stdout)["status"] == "infeasible"


@pytest.mark.parametrize("argv", [
    ["solve", "gan", "--steps", "0", "--samples", "nodir/s.png"],
    ["solve", "seriation", "--similarity", "s.csv", "--plot", "nodir/h.png"],
    ["bench", "shortest-path", "--sizes", "5", "--backends", "highs", "--plot", "nodir/t.png"],
])
def test_an_output_in_a_missing_folder_is_refused_before_the_work(argv, tmp_path):
    # the GAN trained first and then failed with "[Errno 2] No such file or directory" after a progress line
    _tiny_args(tmp_path)
    proc = subprocess.run([sys.executable, "-m", "optmodel", *argv], capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [f"optmodel: {argv[-1]}: its folder does not exist (create it first)"]
