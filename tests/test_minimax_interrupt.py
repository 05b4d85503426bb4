"""Ctrl-C and the time limit on the torch minimax backend: the incumbent parameters come back.

The first SIGINT during a solve is a stop request (``optmodel.interrupt``) that the training loop
polls every step: it writes its checkpoint and returns its current parameters with status
``interrupted`` within a second of the signal.
"""

import contextlib
import json
import os
import signal
import threading
import time

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import optmodel as om  # noqa: E402
from optmodel import interrupt  # noqa: E402
from optmodel.backends.torch import read_checkpoint  # noqa: E402
from optmodel.cli import main  # noqa: E402
from optmodel.minimax import Minimax, data_sampler, noise_sampler, saddle, trained_parameters  # noqa: E402

FOREVER = {"steps": 10**8, "device": "cpu", "progress": False}


def small_gan(seed=0):
    torch.manual_seed(seed)
    G = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    T = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 1))
    game = Minimax(name="small", batch_size=64)
    d = game.positive(T)
    game.sampler("data", data_sampler(np.random.default_rng(0).normal(size=(200, 2))))
    game.sampler("noise", noise_sampler(2))
    game.objective = lambda b: -d.log(b["data"]).mean() + d(G(b["noise"])).mean()
    game.player("generator", G, "max", lr=1e-3)
    game.player("discriminator", T, "min", lr=3e-3)
    m = om.Model()
    saddle(m, game)
    return m, G, T


def assert_finite_point(sol, *modules):
    params = trained_parameters(sol)
    assert sol.x is None and params is not None and set(params) == {"generator", "discriminator"}
    assert all(torch.isfinite(t).all() for ts in params.values() for t in ts)
    returned = torch.cat([t.reshape(-1) for ts in params.values() for t in ts])
    live = torch.cat([p.detach().reshape(-1) for mod in modules for p in mod.parameters()])
    assert torch.equal(returned, live)  # the point returned is the one the modules hold
    assert sol.verification.point and sol.verification.passed and np.isfinite(sol.objective)


@contextlib.contextmanager
def sigint_after(seconds, when=None):
    """Send this process SIGINT after ``seconds`` (then once ``when()`` is true); yields a dict that
    gets the sending time. A signal that arrives outside the solve (a failed test) is recorded, not
    raised into pytest."""
    assert threading.current_thread() is threading.main_thread()
    sent = {}
    cancelled = threading.Event()

    def fire():
        while when is not None and not when():
            if cancelled.wait(0.01):
                return
        sent["at"] = time.perf_counter()
        os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, lambda *_: sent.setdefault("stray", True))
    timer = threading.Timer(seconds, fire)
    timer.start()
    try:
        yield sent
    finally:
        cancelled.set()
        timer.cancel()
        timer.join()
        signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("algorithm", ["extragradient", "alternating"])
def test_sigint_returns_the_parameters_and_writes_the_checkpoint(tmp_path, algorithm):
    m, G, T = small_gan()
    m.solve(f"torch:{algorithm}", solver_options={**FOREVER, "steps": 0})  # imports done before the clock runs
    ckpt = tmp_path / "run.pt"
    with sigint_after(0.5) as sent:
        sol = m.solve(f"torch:{algorithm}", solver_options={**FOREVER, "checkpoint": str(ckpt),
                                                             "checkpoint_every": 10**6})
        returned = time.perf_counter()
    assert "at" in sent and "stray" not in sent
    latency = returned - sent["at"]
    assert latency < 1.5, f"returned {latency:.2f}s after SIGINT"
    assert sol.status is om.Status.INTERRUPTED and sol.termination is om.Termination.INTERRUPTED
    assert sol.solution_status is om.SolutionStatus.FEASIBLE and 0 < sol.stats["steps"] < 10**8
    assert_finite_point(sol, G, T)
    # The checkpoint holds the step the solve stopped at, written atomically, and resumes.
    steps = sol.stats["steps"]
    assert sol.stats["checkpoint"] == {"path": str(ckpt), "step": steps} and str(ckpt) in sol.message
    assert not list(tmp_path.glob("*.tmp*"))
    assert read_checkpoint(str(ckpt))["step"] == steps
    m, G, T = small_gan(seed=7)
    more = m.solve(f"torch:{algorithm}", solver_options={**FOREVER, "steps": steps + 3, "checkpoint": str(ckpt),
                                                         "resume": True})
    assert more.stats["resumed_from_step"] == steps and more.status is om.Status.ITERATION_LIMIT


def test_stop_request_from_another_thread_and_averaged_point(tmp_path):
    # Off the main thread no signal handler is installed; the loop still polls the request.
    m, G, T = small_gan()
    ckpt = tmp_path / "started.pt"
    box = {}

    def work():
        box["sol"] = m.solve("torch:optimistic", solver_options={**FOREVER, "average": 0.9, "checkpoint": str(ckpt),
                                                                 "checkpoint_every": 1})
        box["at"] = time.perf_counter()

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    deadline = time.perf_counter() + 30
    while not ckpt.exists() and time.perf_counter() < deadline:  # training has started
        time.sleep(0.01)
    time.sleep(0.2)
    asked = time.perf_counter()
    interrupt.stop_all()  # the worker's solve is the one in progress
    worker.join(10)
    assert not worker.is_alive() and box["at"] - asked < 1.5
    sol = box["sol"]
    assert sol.status is om.Status.INTERRUPTED and "averaged" in sol.message
    assert_finite_point(sol, G, T)


def test_time_limit_returns_the_incumbent(tmp_path):
    m, G, T = small_gan()
    ckpt = tmp_path / "t.pt"
    start = time.perf_counter()
    sol = m.solve("torch:simultaneous", time_limit=0.5,
                  solver_options={**FOREVER, "checkpoint": str(ckpt), "checkpoint_every": 10**6})
    assert time.perf_counter() - start < 2.0
    assert sol.status is om.Status.TIME_LIMIT and sol.termination is om.Termination.TIME_LIMIT
    assert sol.solution_status is om.SolutionStatus.FEASIBLE and sol.stats["steps"] > 0
    assert "time limit" in sol.message and sol.stats["checkpoint"]["step"] == sol.stats["steps"]
    assert_finite_point(sol, G, T)


def test_keyboard_interrupt_inside_a_step_returns_no_point():
    # A KeyboardInterrupt within a step (a second Ctrl-C, or a caller without optmodel's handler)
    # may leave the step half done: nothing is returned, and the status says so.
    w = torch.ones(2, requires_grad=True)
    calls = {"n": 0}

    def objective(_b):
        calls["n"] += 1
        if calls["n"] == 5:
            raise KeyboardInterrupt
        return (w * w).sum()

    game = Minimax(name="ctrl-c")
    game.objective = objective
    game.player("w", w, "min", lr=0.1)
    m = om.Model()
    saddle(m, game)
    sol = m.solve("torch", solver_options=FOREVER)
    assert sol.status is om.Status.INTERRUPTED and sol.solution_status is om.SolutionStatus.NO_SOLUTION
    assert trained_parameters(sol) is None and sol.objective is None
    assert not sol.verification.point and not sol.verification.feasible


def test_cli_gan_ctrl_c(tmp_path, capsys):
    """`optmodel solve gan` under Ctrl-C: the report of the parameters reached, with its metrics."""
    ckpt = tmp_path / "gan.pt"
    argv = ["solve", "gan", "--steps", "100000000", "--device", "cpu", "--json", "--progress", "off",
            "--checkpoint", str(ckpt), "--checkpoint-every", "1"]
    # Signalled once training runs (its first checkpoint is there), not after a guessed delay.
    with sigint_after(0.0, when=ckpt.exists) as sent:
        assert main(argv) == 0
        returned = time.perf_counter()
    assert "at" in sent and "stray" not in sent
    assert returned - sent["at"] < 1.5, f"returned {returned - sent['at']:.2f}s after SIGINT"
    result = json.loads(capsys.readouterr().out)
    assert result["status"] == "interrupted" and result["termination"] == "interrupted"
    assert result["verification"]["point"] and result["verification"]["problems"] == []
    assert result["metrics"]["samples"] == 2500 and isinstance(result["objective"], float)
    assert result["stats"]["checkpoint"]["step"] == result["stats"]["steps"] > 0
