"""`challenge seriation`: submissions run in isolation, scored on train and holdout, against the bound."""

import itertools
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from optmodel import challenge
from optmodel.seriation import score

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "docs" / "challenge"


def run_cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "optmodel", "challenge", *map(str, args)],
                          capture_output=True, text=True, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def test_check_order_accepts_permutations_and_says_what_is_wrong_otherwise():
    assert challenge.check_order([2, 0, 1], 3) == ([2, 0, 1], "")
    assert challenge.check_order(["2", "0", "1"], 3) == ([2, 0, 1], "")  # a program's printed indices
    assert "not a list" in challenge.check_order("None", 3)[1]
    assert "position 1 holds 'b'" in challenge.check_order([0, "b", 2], 3)[1]
    assert "position 0 holds True" in challenge.check_order([True, 0, 2], 3)[1]
    assert "index 3 is outside 0..2" in challenge.check_order([0, 1, 3], 3)[1]
    assert challenge.check_order([0, 0, 1], 3)[1] == "item 0 appears 2 times and item 2 is missing"
    assert challenge.check_order([0, 1], 3)[1] == "2 items ordered, 3 given: item 2 is missing"
    assert challenge.check_order([], 3)[1] == "0 items ordered, 3 given: item 0 is missing"


def test_the_path_bound_holds_against_every_order_of_small_matrices():
    rng = np.random.default_rng(3)
    for n in (2, 3, 5, 7):
        s = rng.random((n, n))
        s = (s + s.T) / 2
        np.fill_diagonal(s, 1.0)
        best = max(score(s, p) for p in itertools.permutations(range(n)))
        bound = challenge.score_of_sum(challenge.path_upper_bound(s), s)
        assert best <= bound + 1e-9
    s = np.ones((4, 4))  # every order is optimal, and the bound is tight
    assert challenge.score_of_sum(challenge.path_upper_bound(s), s) == pytest.approx(100.0)


def _csv_dataset(path, n=12, seed=0):
    from optmodel.similarity import write_similarity_csv

    rng = np.random.default_rng(seed)
    x = np.sort(rng.random(n))  # items on a line: similarity falls with distance
    s = np.exp(-8 * np.abs(x[:, None] - x[None, :]))
    perm = rng.permutation(n)
    write_similarity_csv(path, [f"item{k}" for k in range(n)], s[np.ix_(perm, perm)])
    return path


SUBMISSIONS = {
    "identity.py": "def order(similarity, names):\n    return list(range(len(names)))\n",
    "numpy_answer.py": "import numpy as np\n\ndef order(similarity, names):\n"
                       "    return np.argsort(-similarity[0])\n",
    "no_function.py": "x = 1\n",
    "sleepy.py": "import time\n\ndef order(similarity, names):\n    time.sleep(60)\n",
    "hog.py": "def order(similarity, names):\n    junk = bytearray(900 * 2**20)\n    return junk\n",
}
PROGRAM_FAILS = "#!/bin/sh\necho 'starting' >&2\necho 'fatal: out of coffee' >&2\nexit 3\n"


def test_statuses_scores_and_reasons_of_each_kind_of_entry(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, code in SUBMISSIONS.items():
        (subs / name).write_text(code)
    (subs / "fails").write_text(PROGRAM_FAILS)
    (subs / "fails").chmod(0o755)
    (subs / "notes.txt").write_text("not a submission")
    data = _csv_dataset(tmp_path / "train.csv")
    out = json.loads(run_cli("seriation", "--submissions", subs, "--train", data, "--time-limit", "2",
                             "--memory", "500", "--workers", "2", "--results", tmp_path / "r.jsonl", "--json").stdout)
    by = {r["submission"]: r["train"] for r in out["rows"]}
    assert set(by) == {"identity", "numpy_answer", "no_function", "sleepy", "hog", "fails", "fast-tsp", "exact MIP",
                       "spectral baseline"}
    assert by["identity"]["status"] == "ok" and by["numpy_answer"]["status"] == "ok"
    assert by["no_function"] == {**by["no_function"], "status": "error"}
    assert "defines no function order" in by["no_function"]["message"]
    assert by["sleepy"]["status"] == "timeout" and 2.0 <= by["sleepy"]["seconds"] < 3.0
    assert by["hog"]["status"] == "error" and "memory limit" in by["hog"]["message"]
    assert by["fails"] == {**by["fails"], "status": "error", "message": "fatal: out of coffee"}
    bound = out["upper_bound"]["train"]
    assert all(r["train"]["score"] <= bound + 1e-9 for r in out["rows"] if r["train"]["score"] is not None)
    # items on a line: the exact MIP finds the line's order, and proves it
    assert out["upper_bound_proven_optimal"]["train"]
    assert by["exact MIP"]["score"] == pytest.approx(bound)
    ranks = [r["rank"] for r in out["rows"] if not r["reference"]]
    assert ranks == list(range(1, 7))
    assert [r["submission"] for r in out["rows"] if not r["reference"]][:2] in (
        ["identity", "numpy_answer"], ["numpy_answer", "identity"])


def test_a_rerun_runs_only_what_changed(tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "identity.py").write_text(SUBMISSIONS["identity.py"])
    (subs / "reverse.py").write_text("def order(similarity, names):\n    return list(range(len(names)))[::-1]\n")
    data = _csv_dataset(tmp_path / "train.csv")
    args = ["seriation", "--submissions", subs, "--train", data, "--time-limit", "5", "--no-references",
            "--results", tmp_path / "r.jsonl", "--json"]
    run_cli(*args)
    first = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(first) == 2
    run_cli(*args)
    assert len((tmp_path / "r.jsonl").read_text().splitlines()) == 2
    (subs / "reverse.py").write_text("def order(similarity, names):\n    return [0] * len(names)\n")
    out = json.loads(run_cli(*args).stdout)
    rows = [json.loads(line) for line in (tmp_path / "r.jsonl").read_text().splitlines()]
    assert len(rows) == 3 and rows[2]["submission"] == "reverse" and rows[2]["status"] == "invalid"
    assert {r["submission"]: r["train"]["status"] for r in out["rows"]} == {"identity": "ok", "reverse": "invalid"}


def test_bad_input_is_one_line(tmp_path):
    proc = run_cli("seriation", "--submissions", tmp_path / "none", "--train", tmp_path, check=False)
    assert proc.returncode == 2 and "no such folder of submissions" in proc.stderr
    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "readme.txt").write_text("x")
    proc = run_cli("seriation", "--submissions", tmp_path / "subs", "--train", tmp_path, check=False)
    assert proc.returncode == 2 and "no submissions here" in proc.stderr
    proc = run_cli("tsp", "--submissions", tmp_path, "--train", tmp_path, check=False)
    assert proc.returncode == 2 and "invalid choice" in proc.stderr


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="docs/challenge examples missing")
def test_the_example_submissions_on_the_generated_corpus(tmp_path):
    from optmodel.corpus import make_challenge_corpus

    make_challenge_corpus(tmp_path / "corpus", seed=0)
    report = tmp_path / "report"
    began = time.perf_counter()
    out = json.loads(run_cli("seriation", "--submissions", EXAMPLES, "--train", tmp_path / "corpus" / "train",
                             "--holdout", tmp_path / "corpus" / "holdout", "--time-limit", "5", "--workers", "2",
                             "--report", report, "--json").stdout)
    by = {r["submission"]: r for r in out["rows"]}
    for label in ("train", "holdout"):
        assert by["too_slow"][label]["status"] == "timeout" and 5.0 <= by["too_slow"][label]["seconds"] < 6.0
        assert by["broken"][label]["status"] == "error" and by["broken"][label]["message"]
        assert by["invalid"][label]["status"] == "invalid" and "appears 2 times" in by["invalid"][label]["message"]
        for name in ("greedy", "spectral", "two_opt", "sort_by_name"):
            assert by[name][label]["status"] == "ok", by[name][label]
        bound = out["upper_bound"][label]
        assert all(r[label]["score"] <= bound + 1e-9 for r in out["rows"] if r[label]["score"] is not None)
        assert by["fast-tsp"][label]["score"] >= 0.99 * bound  # optmodel's default within 1% of the bound
    assert by["two_opt"]["holdout"]["score"] >= by["greedy"]["holdout"]["score"] - 1e-9
    md = (report / "leaderboard.md").read_text()
    html = (report / "leaderboard.html").read_text()
    assert "| 1 |" in md and "timeout" in md and "data:image/png;base64," in html
    assert (report / "best-train.png").read_bytes()[:4] == b"\x89PNG"
    assert time.perf_counter() - began < 120


@pytest.mark.skipif(shutil.which("sh") is None, reason="needs a shell")
def test_the_same_table_through_a_two_worker_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "identity.py").write_text(SUBMISSIONS["identity.py"])
    (subs / "sleepy.py").write_text(SUBMISSIONS["sleepy.py"])
    (subs / "fails").write_text(PROGRAM_FAILS)
    (subs / "fails").chmod(0o755)
    data = _csv_dataset(tmp_path / "train.csv")
    holdout = _csv_dataset(tmp_path / "holdout.csv", n=15, seed=1)
    args = ["seriation", "--submissions", subs, "--train", data, "--holdout", holdout, "--time-limit", "2", "--json"]
    local = json.loads(run_cli(*args, "--results", tmp_path / "local.jsonl", "--workers", "2").stdout)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        remote = json.loads(run_cli(*args, "--results", tmp_path / "dask.jsonl", "--scheduler",
                                    c.scheduler_address).stdout)

    def table(out):
        return [(r["submission"], r["rank"], *((r[d]["status"], r[d]["score"] and round(r[d]["score"], 6))
                                               for d in ("train", "holdout"))) for r in out["rows"]]

    assert table(local) == table(remote)
    assert local["upper_bound"] == remote["upper_bound"]


MISBEHAVING = {
    # answers, but leaves a thread running forever: the run must still end at its answer
    "thread_left.py": "import threading, time\n\ndef order(similarity, names):\n"
                      "    threading.Thread(target=lambda: time.sleep(600)).start()\n"
                      "    return list(range(len(names)))\n",
    # answers, after forking a child that would live for minutes: it goes with the run
    "forker.py": "import os, time\n\ndef order(similarity, names):\n    if os.fork() == 0:\n"
                 "        open(os.environ['FORKED_PID'], 'w').write(str(os.getpid()))\n        time.sleep(600)\n"
                 "    return list(range(len(names)))\n",
    "late.py": "import time\n\ndef order(similarity, names):\n    time.sleep(1.2)\n"
               "    return list(range(len(names)))\n",
    "unpicklable.py": "def order(similarity, names):\n    return [lambda: 1] * len(names)\n",
    "syntax.py": "def order(similarity, names):\n    return [\n\n\ndef x(:\n",
    "greedy.py": "def order(similarity, names):\n    return list(range(len(names)))[::-1]\n",
    "fast-tsp.py": "def order(similarity, names):\n    return [0]\n",
}
PROGRAMS_MISBEHAVING = {
    "greedy": "#!/bin/sh\necho 0 1 2 3 4 5 6 7\n",  # same stem as greedy.py: both stay on the board
    "script.py": "#!/usr/bin/env python3\nimport sys\nprint(*range(len(open(sys.argv[1]).readlines()) - 1))\n",
    "background": "#!/bin/sh\n(sleep 600) &\necho '[0, 1, 2, 3, 4, 5, 6, 7]'\n",
}


def test_entries_that_misbehave_around_their_answer(tmp_path, monkeypatch):
    subs = tmp_path / "subs"
    subs.mkdir()
    for name, code in MISBEHAVING.items():
        (subs / name).write_text(code)
    for name, code in PROGRAMS_MISBEHAVING.items():
        (subs / name).write_text(code)
        (subs / name).chmod(0o755)
    (subs / "helper.sh").write_text("echo not executable\n")
    monkeypatch.setenv("FORKED_PID", str(tmp_path / "forked.pid"))
    data = _csv_dataset(tmp_path / "d.csv", n=8)
    began = time.perf_counter()
    proc = run_cli("seriation", "--submissions", subs, "--train", data, "--time-limit", "1", "--no-references",
                   "--results", tmp_path / "r.jsonl", "--json")
    assert time.perf_counter() - began < 30  # no run waits for what it left behind
    by = {r["submission"]: r["train"] for r in json.loads(proc.stdout)["rows"]}
    assert set(by) == {"thread_left", "forker", "late", "unpicklable", "syntax", "greedy.py", "fast-tsp.py",
                       "greedy", "script", "background"}
    assert by["thread_left"]["status"] == "ok"  # ok: answered within the limit, and the run ended there
    assert by["forker"]["status"] == "ok"
    pid_file = tmp_path / "forked.pid"  # absent when the child went with the run before it could write it
    if pid_file.exists() and pid_file.read_text():
        forked = int(pid_file.read_text())
        time.sleep(0.5)
        assert not Path(f"/proc/{forked}").exists() or " Z " in Path(f"/proc/{forked}/stat").read_text()
    assert by["late"]["status"] == "timeout" and "past the 1 s limit" in by["late"]["message"]
    assert by["unpicklable"]["status"] == "invalid" and "<function" in by["unpicklable"]["message"]
    assert by["syntax"]["status"] == "error" and "SyntaxError" in by["syntax"]["message"]
    assert "(line " in by["syntax"]["message"]
    assert by["fast-tsp.py"]["status"] == "invalid"  # a student's file never passes for optmodel's row
    assert by["greedy"]["status"] == by["greedy.py"]["status"] == by["script"]["status"] == "ok"
    assert by["background"]["status"] == "ok"  # its helper holds no pipe open: the answer is read at once
    assert "left out helper.sh: neither a .py file nor executable" in proc.stderr


def test_a_score_of_zero_ranks_above_no_score(tmp_path):
    rows = [{"submission": "zero", "kind": "python", "dataset": "train", "status": "ok", "score": 0.0,
             "seconds": 0.1, "message": ""},
            {"submission": "bad", "kind": "python", "dataset": "train", "status": "invalid", "score": None,
             "seconds": 0.1, "message": "x"}]
    board = challenge.leaderboard(rows, ["train"])
    assert [(b["submission"], b["rank"]) for b in board] == [("zero", 1), ("bad", 2)]
