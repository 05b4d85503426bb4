"""`bench` over instance sets: isolated runs, the results store, resume, plugins flagged wrong, Dask."""

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from optmodel.benchmark import instances, isolation
from optmodel.benchmark.store import Store
from optmodel.errors import InputError

DATA = Path(os.environ.get("OPTMODEL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))
needs_data = pytest.mark.skipif(not (DATA / "netlib").is_dir(), reason=f"shared data not found at {DATA}")

PLUGINS = {
    # solves a different problem (costs scaled at random), reports the true cost of its point, no duals:
    # a verified feasible point wrongly claimed optimal, which only a comparison can catch
    "perturbed": """
        import numpy as np
        from optmodel.backends.highs import Highs

        class Perturbed(Highs):
            name = "perturbed"

            def load(self, form, options, families=()):
                self._c, self._offset = form.c.copy(), form.offset
                form.c = form.c + np.random.default_rng(1).normal(0, np.abs(form.c).max(initial=1.0), form.c.shape)
                try:
                    super().load(form, options, families)
                finally:
                    form.c = self._c

            def run(self, options):
                raw = super().run(options)
                if raw.x is not None:
                    raw.objective = float(self._c @ raw.x) + self._offset
                raw.row_duals = raw.reduced_costs = raw.bound = None
                return raw

        BACKEND = Perturbed
    """,
    "hang": """
        import time
        from optmodel.backends.highs import Highs

        class Hang(Highs):
            name = "hang"

            def run(self, options):
                time.sleep(1000)

        BACKEND = Hang
    """,
    "crash": """
        import os
        from optmodel.backends.highs import Highs

        class Crash(Highs):
            name = "crash"

            def run(self, options):
                os.abort()

        BACKEND = Crash
    """,
    "slow": """
        import time
        from optmodel.backends.highs import Highs

        class Slow(Highs):
            name = "slow"

            def run(self, options):
                time.sleep(0.4)
                return super().run(options)

        BACKEND = Slow
    """,
}


@pytest.fixture
def plugins(tmp_path, monkeypatch):
    """A package of test backends, importable here and in every child (PYTHONPATH)."""
    pkg = tmp_path / "plugins" / "benchplug"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    for name, code in PLUGINS.items():
        (pkg / f"{name}.py").write_text(textwrap.dedent(code))
    root = str(tmp_path / "plugins")
    monkeypatch.syspath_prepend(root)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")])))
    return root


def bench(*args, cwd=None, check=True):
    proc = subprocess.run([sys.executable, "-m", "optmodel", "bench", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=600)
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


def rows_of(path):
    return [json.loads(line) for line in Path(path).read_text().splitlines()]


# --- isolation -----------------------------------------------------------------------------


def test_isolation_returns_results_and_the_tasks_own_errors():
    ok = isolation.run("json:dumps", {"obj": [2, 3]}, wall_limit=30)
    assert (ok.status, ok.result) == ("ok", "[2, 3]") and ok.peak_mb > 0
    raised = isolation.run("json:loads", {"s": "{"}, wall_limit=30)
    assert raised.status == "raised" and "JSONDecodeError" in raised.message


def test_isolation_kills_at_the_wall_clock_limit_within_a_poll():
    began = time.perf_counter()
    out = isolation.run("subprocess:call", {"args": ["sleep", "30"]}, wall_limit=1.0)
    took = time.perf_counter() - began
    assert out.status == "killed" and "wall-clock limit of 1 s" in out.message
    assert 1.0 <= took < 2.0


def test_isolation_kills_at_the_memory_limit_and_reports_crashes():
    out = isolation.run("numpy:ones", {"shape": (500, 1000, 1000)}, wall_limit=60, memory_mb=300)
    assert out.status == "killed" and "memory limit of 300 MB" in out.message and out.peak_mb > 300
    out = isolation.run("os:abort", {}, wall_limit=30)
    assert out.status == "crashed" and "SIGABRT" in out.message


def test_isolation_cancel_kills_the_child_at_once():
    import threading

    cancel = threading.Event()
    threading.Timer(0.3, cancel.set).start()
    began = time.perf_counter()
    out = isolation.run("subprocess:call", {"args": ["sleep", "30"]}, wall_limit=30, cancel=cancel)
    assert out.status == "cancelled" and time.perf_counter() - began < 2


def _in_daemon(queue):
    outs = [isolation.run("json:dumps", {"obj": 42}, wall_limit=60),
            isolation.run("subprocess:call", {"args": ["sleep", "30"]}, wall_limit=1.0),
            isolation.run("os:abort", {}, wall_limit=60)]
    queue.put([(o.status, o.result, o.message) for o in outs])


def test_isolation_inside_a_daemonic_process_uses_a_fresh_interpreter():
    # a Dask worker under its nanny is daemonic: multiprocessing may not start children there
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_in_daemon, args=(queue,), daemon=True)
    proc.start()
    (ok, killed, crashed) = queue.get(timeout=120)
    proc.join(10)
    assert ok[:2] == ("ok", "42")
    assert killed[0] == "killed"
    assert crashed[0] == "crashed" and "SIGABRT" in crashed[2]


# --- the store and instance sets -----------------------------------------------------------


def test_store_appends_resumes_and_cuts_a_half_written_line(tmp_path, capsys):
    path = tmp_path / "r.jsonl"
    store = Store(path)
    store.append({"run": "a", "x": 1})
    store.append({"run": "b", "x": 2})
    with path.open("a") as f:
        f.write('{"run": "c", "x"')  # killed mid-write
    again = Store(path)
    assert again.done() == {"a", "b"}
    again.append({"run": "c", "x": 3})
    assert [r["run"] for r in rows_of(path)] == ["a", "b", "c"]
    with path.open("a") as f:
        f.write("not json\n")
    assert Store(path).done() == {"a", "b", "c"}
    assert "skipped 1 unreadable line" in capsys.readouterr().err
    with pytest.raises(InputError, match="folder"):
        Store(tmp_path)


@needs_data
def test_collect_reads_folders_globs_generated_and_optimal_csv(tmp_path):
    found = instances.collect([str(DATA / "netlib"), str(DATA / "miplib" / "lseu.mps"), "shortest-path:5"])
    names = [i.name for i in found]
    assert "afiro" in names and "lseu" in names and names[-1] == "shortest-path:5"
    afiro = next(i for i in found if i.name == "afiro")
    assert afiro.kind == "mps" and afiro.set == "netlib" and afiro.reference == pytest.approx(-464.75314286)
    assert next(i for i in found if i.name == "lseu").reference == 1120
    globbed = instances.collect([str(DATA / "tsplib" / "b*.tsp"), str(DATA / "netlib" / "afiro.mps")])
    assert [i.name for i in globbed] == ["bays29", "berlin52", "burma14", "afiro"]
    assert globbed[2].reference == 3323 and globbed[2].kind == "tsplib"
    assert len(instances.collect([str(DATA / "netlib"), str(DATA / "netlib" / "afiro.mps")])) == len(names) - 2
    optima = tmp_path / "mine.csv"
    optima.write_text("name,optimal_objective\nafiro,-1\n")
    assert instances.collect([str(DATA / "netlib" / "afiro.mps")], optima)[0].reference == -1


def test_collect_refuses_what_it_cannot_run(tmp_path):
    with pytest.raises(InputError, match="not a file, folder, glob or PROBLEM:SIZE"):
        instances.collect(["nosuch.mps"])
    with pytest.raises(InputError, match="no model files"):
        instances.collect([str(tmp_path)])
    with pytest.raises(InputError, match="positive integer"):
        instances.collect(["shortest-path:x"])
    bad = tmp_path / "optimal.csv"
    bad.write_text("name,optimum\nfoo,12\nbar,abc\n")
    with pytest.raises(InputError, match=r"optimal\.csv:3: .*not a number"):
        instances.read_optima(bad)
    bad.write_text("instance,value\n")
    with pytest.raises(InputError, match="header"):
        instances.read_optima(bad)


# --- the command ----------------------------------------------------------------------------


@needs_data
def test_bench_tsplib_and_dimacs_answers_match_their_optima(tmp_path):
    proc = bench(DATA / "tsplib" / "burma14.tsp", DATA / "graphs" / "rome99.gr", "--backends", "highs,fast-tsp",
                 "--time-limit", "60", "--results", tmp_path / "r.jsonl", "--json")
    out = json.loads(proc.stdout)
    by = {(r["instance"], r["backend"]): r for r in out["rows"]}
    assert by["burma14", "highs"]["status"] == "optimal" and by["burma14", "highs"]["objective"] == 3323
    assert by["burma14", "fast-tsp"]["objective"] >= 3323 and not by["burma14", "fast-tsp"]["wrong"]
    assert by["rome99", "highs"]["objective"] == 30305 and by["rome99", "highs"]["certified"]
    assert by["rome99", "fast-tsp"]["status"] == "skipped" and "fast-tsp" in by["rome99", "fast-tsp"]["message"]


@needs_data
def test_a_wrong_backend_is_flagged_and_hung_or_crashing_ones_cost_one_row(tmp_path, plugins):
    report = tmp_path / "out"
    proc = bench(DATA / "netlib" / "afiro.mps", "mst:10",
                 "--backends", "highs,benchplug.perturbed,benchplug.hang,benchplug.crash",
                 "--time-limit", "4", "--grace", "0.5", "--workers", "2", "--report", report, "--json")
    out = json.loads(proc.stdout)
    by = {(r["instance"], r["backend"]): r for r in out["rows"]}
    assert len(out["rows"]) == 8
    for inst in ("afiro", "mst:10"):  # an LP with a known optimum; a MIP without one (and without duals)
        good, bad = by[inst, "highs"], by[inst, "benchplug.perturbed"]
        assert good["status"] == "optimal" and good["certified"] == (inst == "afiro") and not good["wrong"]
        assert bad["status"] == "optimal" and not bad["certified"]
        assert bad["objective"] > good["objective"] + 1e-3  # the perturbed costs led elsewhere
        assert bad["wrong"], bad
        assert by[inst, "benchplug.hang"]["status"] == "killed"
        assert 4.5 <= by[inst, "benchplug.hang"]["wall_seconds"] < 5.5
        assert by[inst, "benchplug.crash"]["status"] == "crashed"
    assert "reference optimum" in by["afiro", "benchplug.perturbed"]["wrong_reason"]
    assert "highs found a verified point" in by["mst:10", "benchplug.perturbed"]["wrong_reason"]
    html = (report / "report.html").read_text()
    md = (report / "report.md").read_text()
    assert "benchplug.perturbed" in md.split("Wrong answers", 1)[1] and "#c00" in html
    assert {s["backend"]: s["solved"] for s in out["summary"]}["highs"] == 2
    assert {s["backend"]: s["wrong"] for s in out["summary"]}["benchplug.perturbed"] == 2


def test_killed_halfway_the_benchmark_resumes_without_redoing_or_duplicating(tmp_path, plugins):
    store = tmp_path / "r.jsonl"
    args = [sys.executable, "-m", "optmodel", "bench", *[f"shortest-path:{n}" for n in range(3, 11)],
            "--backends", "benchplug.slow", "--time-limit", "30", "--results", str(store)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not store.exists() or len(store.read_text().splitlines()) < 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    first = rows_of(store)
    assert 3 <= len(first) < 8
    began = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, timeout=300)
    rows = rows_of(store)
    assert len(rows) == 8 and len({r["run"] for r in rows}) == 8
    assert rows[: len(first)] == first  # the finished runs were kept, not redone
    again = time.perf_counter()
    proc = subprocess.run([*args, "--json"], check=True, capture_output=True, text=True, timeout=300)
    assert len(rows_of(store)) == 8 and json.loads(proc.stdout)["complete"]
    assert time.perf_counter() - again < time.perf_counter() - began  # nothing left to run
    assert all(r["status"] == "optimal" for r in rows)


def test_ctrl_c_keeps_the_finished_runs_and_exits_130(tmp_path, plugins):
    store = tmp_path / "r.jsonl"
    proc = subprocess.Popen([sys.executable, "-m", "optmodel", "bench", "shortest-path:3", "shortest-path:4",
                             "shortest-path:5", "--backends", "benchplug.slow,benchplug.hang", "--time-limit", "60",
                             "--results", str(store), "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not store.exists():
        time.sleep(0.05)
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    result = json.loads(out)
    assert not result["complete"]
    kept = rows_of(store)
    assert kept and all(r["status"] != "cancelled" for r in kept)
    assert len(result["rows"]) == len(kept)


def test_bench_input_errors_are_one_line(tmp_path):
    proc = bench("nosuch.mps", "--backends", "highs", check=False)
    assert proc.returncode == 2 and "nosuch.mps" in proc.stderr and "Traceback" not in proc.stderr
    proc = bench("shortest-path:3", "--backends", "highs", "--seeds", "a", check=False)
    assert proc.returncode == 2 and "--seeds" in proc.stderr
    proc = bench("shortest-path:3", "--backends", "highs,nosuch.module", "--json", check=False)
    assert proc.returncode == 2 and "unknown backend 'nosuch.module'" in proc.stderr
    assert json.loads(proc.stdout)["status"] == "error"


@needs_data
def test_the_same_rows_from_a_two_worker_dask_cluster(tmp_path):
    distributed = pytest.importorskip("distributed")
    args = [DATA / "netlib" / "afiro.mps", DATA / "netlib" / "sc50a.mps", DATA / "miplib" / "flugpl.mps",
            "--backends", "highs,scip", "--time-limit", "30"]
    local = json.loads(bench(*args, "--workers", "2", "--results", tmp_path / "local.jsonl", "--json").stdout)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as c:
        remote = json.loads(bench(*args, "--scheduler", c.scheduler_address, "--results", tmp_path / "dask.jsonl",
                                  "--json").stdout)

    def table(out):
        return sorted((r["instance"], r["backend"], r["status"], round(r["objective"], 6), r["certified"])
                      for r in out["rows"])

    assert table(local) == table(remote) and len(local["rows"]) == 6
    assert all(r["status"] == "optimal" for r in remote["rows"])


def test_the_seed_reaches_the_solvers_random_seed():
    from optmodel.backend import SolveOptions
    from optmodel.errors import OptmodelError

    highspy = pytest.importorskip("highspy")
    from optmodel.backends.highs import _set_options as highs_options

    h = highspy.Highs()
    highs_options(h, "choose", SolveOptions(seed=7))
    assert h.getOptionValue("random_seed")[-1] == 7
    pyscipopt = pytest.importorskip("pyscipopt")
    from optmodel.backends.scip import _set_options as scip_options

    s = pyscipopt.Model()
    scip_options(s, SolveOptions(seed=7))
    assert s.getParam("randomization/randomseedshift") == 7
    with pytest.raises(OptmodelError, match="seed"):
        SolveOptions(seed=-1)


PIDFILE_PLUGIN = """
    import os, subprocess, time
    from optmodel.backends.highs import Highs

    class Orphan(Highs):
        name = "orphan"

        def run(self, options):
            helper = subprocess.Popen(["sleep", "300"])
            with open(os.environ["ORPHAN_PIDS"], "a") as f:
                f.write(f"{os.getpid()} {helper.pid}\\n")
            time.sleep(300)

    BACKEND = Orphan
"""


def _alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM])
def test_no_run_outlives_a_killed_benchmark(tmp_path, plugins, monkeypatch, sig):
    (Path(plugins) / "benchplug" / "orphan.py").write_text(textwrap.dedent(PIDFILE_PLUGIN))
    pids = tmp_path / "pids"
    monkeypatch.setenv("ORPHAN_PIDS", str(pids))
    proc = subprocess.Popen([sys.executable, "-m", "optmodel", "bench", "shortest-path:3", "shortest-path:4",
                             "--backends", "benchplug.orphan", "--workers", "2", "--time-limit", "600",
                             "--results", str(tmp_path / "r.jsonl")], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not pids.exists() or len(pids.read_text().split()) < 4):
        time.sleep(0.05)
    running = [int(p) for p in pids.read_text().split()]
    assert len(running) == 4 and all(_alive(p) for p in running)
    proc.send_signal(sig)
    proc.communicate(timeout=60)
    assert proc.returncode == (-9 if sig == signal.SIGKILL else 130)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in running):
        time.sleep(0.05)
    assert not [p for p in running if _alive(p)]  # the runs and their helper processes are gone


def test_the_memory_limit_covers_a_runs_helper_processes():
    hog = "import time; b = bytearray(600 * 2**20); time.sleep(60)"
    out = isolation.run("subprocess:call", {"args": [sys.executable, "-c", hog]}, wall_limit=60, memory_mb=300)
    assert out.status == "killed" and "memory limit" in out.message


def test_the_store_writes_no_nan_and_keeps_the_latest_row_of_a_retried_run(tmp_path):
    store = Store(tmp_path / "r.jsonl")
    store.append({"run": "a", "status": "crashed", "solve_seconds": float("nan"), "objective": float("inf")})
    row = rows_of(tmp_path / "r.jsonl")[0]
    assert row["solve_seconds"] is None and row["objective"] is None
    assert store.done(frozenset({"crashed"})) == set() and store.done() == {"a"}
    store.append({"run": "a", "status": "optimal"})
    assert [r["status"] for r in Store(tmp_path / "r.jsonl").rows] == ["optimal"]


def test_retry_reruns_the_runs_that_crashed(tmp_path, plugins):
    store = tmp_path / "r.jsonl"
    bench("shortest-path:3", "--backends", "highs,benchplug.crash", "--results", store)
    assert sorted(r["status"] for r in rows_of(store)) == ["crashed", "optimal"]
    bench("shortest-path:3", "--backends", "highs,benchplug.crash", "--results", store)
    assert len(rows_of(store)) == 2
    out = json.loads(bench("shortest-path:3", "--backends", "highs,benchplug.crash", "--results", store,
                           "--retry", "crashed", "--json").stdout)
    assert len(rows_of(store)) == 3 and len(out["rows"]) == 2  # the crash ran again; the store keeps both


def test_what_a_library_prints_does_not_reach_the_json_on_stdout(tmp_path, plugins):
    (Path(plugins) / "benchplug" / "noisy.py").write_text(textwrap.dedent("""
        from optmodel.backends.highs import Highs
        print("banner of a chatty library")

        class Noisy(Highs):
            name = "noisy"

            def run(self, options):
                print("solving loudly")
                return super().run(options)

        BACKEND = Noisy
    """))
    out = bench("shortest-path:3", "--backends", "benchplug.noisy", "--results", tmp_path / "r.jsonl", "--json")
    assert json.loads(out.stdout)["rows"][0]["status"] == "optimal"
    assert "banner of a chatty library" in out.stderr
