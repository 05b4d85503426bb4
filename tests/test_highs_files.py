"""Every Netlib and MIPLIB file reaches its published optimum through `python -m optmodel solve FILE`."""

import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import DATA, REPO, data_path, optima

import optmodel as om


def cases():
    for folder in ("netlib", "miplib"):
        if (DATA / folder / "optimal.csv").exists():
            yield from ((folder, name) for name in optima(folder))
        else:
            yield pytest.param(folder, "missing", marks=pytest.mark.skip(reason=f"no shared data at {DATA}"))


@pytest.mark.parametrize("folder, name", list(cases()))
def test_file_reaches_published_optimum(folder, name):
    path = data_path(folder, f"{name}.mps")
    proc = subprocess.run(
        [sys.executable, "-m", "optmodel", "solve", str(path), "--json"], capture_output=True, text=True, cwd=REPO
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["status"] == "optimal"
    expected = optima(folder)[name]
    assert out["objective"] == pytest.approx(expected, rel=1e-6)
    assert out["verification"]["problems"] == []
    if folder == "netlib":
        assert out["verification"]["duality_gap"] < 1e-6


def hard_knapsack(path):
    rng = np.random.default_rng(3)
    n = 400
    w = rng.integers(10_000, 20_000, size=(25, n))
    m = om.Model("mknap")
    x = m.binary_var(n, name="x")
    m.add(w @ x <= w.sum(axis=1) // 2, name="cap")
    m.maximize(rng.integers(1, 1000, size=n) @ x)
    om.write(m, path)


def test_ctrl_c_returns_best_solution_with_gap(tmp_path):
    path = tmp_path / "mknap.mps"
    hard_knapsack(path)  # HiGHS needs minutes to prove this one optimal
    proc = subprocess.Popen(
        [sys.executable, "-m", "optmodel", "solve", str(path), "--json"], stdout=subprocess.PIPE, text=True, cwd=REPO
    )
    time.sleep(6)
    proc.send_signal(signal.SIGINT)
    out = json.loads(proc.communicate(timeout=60)[0])
    assert out["status"] == "interrupted" and out["solution_status"] == "feasible"
    assert out["verification"]["problems"] == [] and 0 < out["gap"] < 0.05
    assert "best solution found" in out["message"]


def test_write_and_convert_round_trip(tmp_path):
    src = data_path("netlib", "afiro.mps")
    lp = tmp_path / "afiro.lp"
    proc = subprocess.run(
        [sys.executable, "-m", "optmodel", "solve", str(src), "--write", str(lp), "--json"],
        capture_output=True, text=True, cwd=REPO, check=True,
    )
    first = json.loads(proc.stdout)["objective"]
    again = om.read(str(lp)).solve("highs")
    assert again.objective == pytest.approx(first, rel=1e-9)
