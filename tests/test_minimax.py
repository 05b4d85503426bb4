"""The minimax spec and the torch backend: exact saddle points, checkpoints, divergence, torchrun."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import optmodel as om  # noqa: E402
from optmodel.backends.torch import read_checkpoint, remove_stale_temporaries  # noqa: E402
from optmodel.errors import CapabilityError, InputError, ModelError  # noqa: E402
from optmodel.minimax import Minimax, data_sampler, noise_sampler, saddle, trained_parameters  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
ALGORITHMS = ("simultaneous", "alternating", "extragradient", "optimistic")


def gaussian_game(seed=1):
    """Generator μ + σz against log d = ax² + bx + c: the saddle is the Gaussian MLE, d ≡ 1."""
    x = torch.tensor(np.random.default_rng(seed).normal(0.5, 0.8, 300), dtype=torch.float32)
    mu = torch.zeros((), requires_grad=True)
    log_sigma = torch.zeros((), requires_grad=True)
    abc = torch.zeros(3, requires_grad=True)
    game = Minimax(name="gauss", batch_size=256)
    d = game.positive(lambda v: abc[0] * v * v + abc[1] * v + abc[2], via="exp")
    game.sampler("noise", noise_sampler(1, standardize=True))
    game.objective = lambda b: -d.log(x).mean() + d(mu + torch.exp(log_sigma) * b["noise"][:, 0]).mean()
    game.player("generator", [mu, log_sigma], "max", lr=0.1)
    game.player("discriminator", abc, "min", lr=0.3)
    m = om.Model("gauss")
    saddle(m, game)
    return m, game, x, mu, log_sigma, abc


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_gaussian_saddle_is_the_mle(algorithm):
    m, game, x, mu, log_sigma, abc = gaussian_game()
    sol = m.solve(f"torch:{algorithm}", solver_options={"steps": 800, "optimizer": "sgd", "device": "cpu"})
    assert sol.status is om.Status.ITERATION_LIMIT and sol.x is None and sol.verification.passed
    params = trained_parameters(sol)
    assert torch.equal(params["generator"][0], mu.detach()) and params["discriminator"][0].shape == (3,)
    assert mu.item() == pytest.approx(float(x.mean()), abs=2e-4)
    assert log_sigma.exp().item() == pytest.approx(float(x.std(unbiased=False)), abs=2e-4)
    assert np.abs(abc.detach().numpy()).max() < 1e-3  # d ≡ 1 at the saddle
    assert sol.objective == pytest.approx(1.0, abs=1e-3)  # L(θ*, d ≡ 1) = 0 + 1
    assert sol.stats["algorithm"] == algorithm and sol.stats["world_size"] == 1
    assert len(game.history) > 0 and {"generator", "discriminator"} <= set(game.history[-1])


def test_adam_two_time_scales_and_averaging_reach_the_saddle():
    m, _, x, mu, log_sigma, _ = gaussian_game(seed=2)
    sol = m.solve("torch:optimistic", solver_options={"steps": 800, "lr_decay": "linear", "average": 0.9})
    assert mu.item() == pytest.approx(float(x.mean()), abs=5e-3)
    assert log_sigma.exp().item() == pytest.approx(float(x.std(unbiased=False)), abs=5e-3)
    assert sol.stats["learning_rates"] == {"generator": 0.1, "discriminator": 0.3}


def test_bf16_autocast_path_runs_on_cpu():
    # The GPU default (bf16 autocast) exercised on CPU, which CI has.
    m, _, x, mu, _, _ = gaussian_game()
    sol = m.solve("torch:simultaneous", solver_options={"steps": 300, "optimizer": "sgd", "autocast": "on"})
    assert sol.stats["autocast_bf16"] is True
    assert mu.item() == pytest.approx(float(x.mean()), abs=0.05)  # bf16 has ~3 significant digits
    assert sol.objective == pytest.approx(1.0, abs=0.05)


def test_minimax_needs_the_torch_backend_and_a_consistent_sense():
    m, game, *_ = gaussian_game()
    assert om.Capability.MINIMAX in m.requirements() and not m.is_linear
    with pytest.raises(CapabilityError, match="minimax"):
        m.solve("highs")
    assert m.solve(solver_options={"steps": 1}).backend.startswith("torch:")  # chosen automatically
    wrong = om.Model()
    wrong.minimize(game)  # the outer player maximises
    with pytest.raises(ModelError, match="outermost player"):
        wrong.solve("torch")
    with pytest.raises(om.OptmodelError, match="unknown torch solver options"):
        m.solve("torch", solver_options={"stepz": 3})
    lp = om.Model()
    lp.minimize(lp.var(lb=0).sum())
    assert "torch:simultaneous" not in __import__("optmodel.dispatch").dispatch.capable_backends(lp)


def test_spec_errors():
    game = Minimax()
    w = torch.zeros(2, requires_grad=True)
    with pytest.raises(ModelError, match="sense"):
        game.player("a", w, "up")
    with pytest.raises(ModelError, match="positivity"):
        game.positive(torch.nn.Linear(1, 1), via="clamp")
    game.player("a", w, "min")
    with pytest.raises(ModelError, match="already exists"):
        game.player("a", torch.zeros(1, requires_grad=True))
    with pytest.raises(ModelError, match="no objective"):
        game.check()
    game.objective = lambda b: (w**2).sum()
    with pytest.raises(ModelError, match="shares parameters"):
        game.player("b", w, "max")
        game.check()


def test_positive_parametrisations_are_positive_and_log_is_exact():
    game = Minimax()
    lin = torch.nn.Linear(1, 1)
    with torch.no_grad():
        lin.weight.fill_(100.0)
        lin.bias.fill_(0.0)
    x = torch.tensor([[-0.5], [0.0], [0.5]])
    d_exp = game.positive(lin, via="exp")
    d_soft = game.positive(lin, via="softplus", name="s")
    assert (d_soft(x) > 0).all() and torch.isfinite(d_exp.log(x)).all()
    assert d_exp.log(x)[0].item() == pytest.approx(-50.0)
    assert d_soft.log(x)[0].item() == pytest.approx(-50.0, rel=1e-4)
    far = torch.tensor([[-10.0]])  # T = -1000: d underflows to 0 in float32, log d stays exact
    assert d_exp.log(far).item() == pytest.approx(-1000.0) and d_soft.log(far).item() == pytest.approx(-1000.0)
    assert torch.allclose(d_soft.log(x)[1:], torch.log(torch.nn.functional.softplus(lin(x)[1:])))
    assert [str(c).startswith("d(x) > 0") for c in game.constraints] == [True, False]
    assert any(line.startswith("subject to d(x) > 0") for line in game.describe())


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


def flat(*modules):
    return torch.cat([p.detach().reshape(-1) for mod in modules for p in mod.parameters()])


@pytest.mark.parametrize("algorithm", ["alternating", "optimistic"])
def test_checkpoint_resume_equals_an_uninterrupted_run(tmp_path, algorithm):
    opts = {"seed": 3, "average": 0.9}  # (a decaying learning rate follows the run's own horizon)
    m, G, T = small_gan()
    m.solve(f"torch:{algorithm}", solver_options={"steps": 40, **opts})
    straight = flat(G, T)

    ckpt = tmp_path / "run.pt"
    m, G, T = small_gan()
    first = m.solve(f"torch:{algorithm}", solver_options={"steps": 20, "checkpoint": str(ckpt),
                                                          "checkpoint_every": 10, **opts})
    assert first.stats["checkpoint"] == {"path": str(ckpt), "step": 20}
    assert not list(tmp_path.glob("*.tmp*"))  # written atomically, no temporary left
    m, G, T = small_gan(seed=99)  # other initial weights: all must come from the checkpoint
    resumed = m.solve(f"torch:{algorithm}", solver_options={"steps": 40, "checkpoint": str(ckpt),
                                                            "resume": True, **opts})
    assert resumed.stats["resumed_from_step"] == 20 and resumed.stats["steps"] == 40
    assert torch.equal(flat(G, T), straight)


def test_resume_rejects_a_missing_or_foreign_checkpoint(tmp_path):
    m, _, _ = small_gan()
    with pytest.raises(InputError, match="no checkpoint"):
        m.solve("torch", solver_options={"checkpoint": str(tmp_path / "none.pt"), "resume": True})
    bad = tmp_path / "bad.pt"
    bad.write_text("not a checkpoint")
    with pytest.raises(InputError, match="not a readable"):
        m.solve("torch", solver_options={"checkpoint": str(bad), "resume": True})
    m.solve("torch:alternating", solver_options={"steps": 2, "checkpoint": str(bad), "checkpoint_every": 1})
    with pytest.raises(InputError, match="written by torch:alternating"):
        m.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": str(bad), "resume": True})
    with pytest.raises(InputError, match="without iterate averaging"):
        m.solve("torch:alternating", solver_options={"steps": 4, "checkpoint": str(bad), "resume": True,
                                                     "average": 0.9})


def test_resume_refuses_other_data_or_shapes_with_the_reason(tmp_path):
    ckpt = str(tmp_path / "c.pt")
    m, _, _ = small_gan()
    game = m.objective.expr
    game.fingerprint = {"dataset": "ring8"}
    m.solve("torch:optimistic", solver_options={"steps": 2, "checkpoint": ckpt, "checkpoint_every": 1})
    game.fingerprint = {"dataset": "grid25"}
    with pytest.raises(InputError, match="other data \\(dataset 'ring8' there, 'grid25' here\\)"):
        m.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": ckpt, "resume": True})
    game.fingerprint = {"dataset": "ring8"}
    assert m.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": ckpt,
                                                       "resume": True}).stats["resumed_from_step"] == 2
    wide = Minimax(name="small", batch_size=64, fingerprint={"dataset": "ring8"})
    G = torch.nn.Sequential(torch.nn.Linear(2, 16), torch.nn.ReLU(), torch.nn.Linear(16, 2))
    T = torch.nn.Sequential(torch.nn.Linear(2, 32), torch.nn.ReLU(), torch.nn.Linear(32, 1))
    d = wide.positive(T)
    wide.sampler("noise", noise_sampler(2))
    wide.objective = lambda b: d(G(b["noise"])).mean()
    wide.player("generator", G, "max")
    wide.player("discriminator", T, "min")
    m2 = om.Model()
    saddle(m2, wide)
    with pytest.raises(InputError, match=r"discriminator tensor 0 has shape \(16, 2\) there, \(32, 2\) here"):
        m2.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": ckpt, "resume": True})
    wide.name = "other"
    with pytest.raises(InputError, match="of the game 'small', this run is 'other'"):
        m2.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": ckpt, "resume": True})


def test_a_changed_or_truncated_checkpoint_is_refused_cleanly(tmp_path):
    ckpt = tmp_path / "c.pt"
    m, _, _ = small_gan()
    m.solve("torch:optimistic", solver_options={"steps": 3, "checkpoint": str(ckpt), "checkpoint_every": 1})
    good = ckpt.read_bytes()
    assert good.startswith(b"optmodel-checkpoint 1\n") and read_checkpoint(str(ckpt))["step"] == 3
    # A flipped bit anywhere: header, checksum, the payload's zip header, middle and last byte.
    for pos in (0, 5, 30, 60, len(good) // 3, len(good) // 2, len(good) - 1):
        bad = bytearray(good)
        bad[pos] ^= 0x01
        ckpt.write_bytes(bytes(bad))
        with pytest.raises(InputError, match=r"corrupt|not a readable optmodel checkpoint") as err:
            m.solve("torch:optimistic", solver_options={"steps": 5, "checkpoint": str(ckpt), "resume": True})
        assert str(ckpt) in str(err.value)
    for cut in (len(good) - 1, len(good) // 2, 10, 0):
        ckpt.write_bytes(good[:cut])
        with pytest.raises(InputError, match=r"corrupt|not a readable optmodel checkpoint"):
            m.solve("torch:optimistic", solver_options={"steps": 5, "checkpoint": str(ckpt), "resume": True})
    ckpt.write_bytes(good)
    assert m.solve("torch:optimistic", solver_options={"steps": 5, "checkpoint": str(ckpt),
                                                       "resume": True}).stats["resumed_from_step"] == 3


def _dead_pid() -> int:
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_stale_temporaries_of_killed_saves_are_removed(tmp_path):
    ckpt = tmp_path / "run.pt"
    # A save killed with SIGKILL half-way: the process wrote its temporary and died.
    writer = subprocess.Popen([sys.executable, "-c", "import os, sys, time; f = open(sys.argv[1] + '.tmp%d' % "
                               "os.getpid(), 'wb'); f.write(b'x' * 100000); f.flush(); print('ok', flush=True); "
                               "time.sleep(60)", str(ckpt)], stdout=subprocess.PIPE, text=True)
    assert writer.stdout.readline().strip() == "ok"
    writer.kill()
    writer.wait()
    killed = tmp_path / f"run.pt.tmp{writer.pid}"
    assert killed.stat().st_size == 100000
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        alive = tmp_path / f"run.pt.tmp{sleeper.pid}"  # a save in progress in another process
        alive.write_bytes(b"y")
        other = tmp_path / f"other.pt.tmp{_dead_pid()}"  # another checkpoint's: not ours to judge
        other.write_bytes(b"z")
        m, _, _ = small_gan()
        m.solve("torch:optimistic", solver_options={"steps": 2, "checkpoint": str(ckpt), "checkpoint_every": 1})
        assert not killed.exists() and alive.exists() and other.exists()
        # The next load cleans up too (a run killed while saving, then resumed).
        again = tmp_path / f"run.pt.tmp{_dead_pid()}"
        again.write_bytes(b"w")
        m.solve("torch:optimistic", solver_options={"steps": 3, "checkpoint": str(ckpt), "resume": True,
                                                    "checkpoint_every": 0})
        assert not again.exists() and alive.exists()
        assert remove_stale_temporaries(str(ckpt)) == []
    finally:
        sleeper.kill()
        sleeper.wait()


def _unwritable_folder(tmp_path):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    for folder in (locked, Path("/sys")):
        try:
            (folder / "probe").open("wb").close()
            (folder / "probe").unlink()
        except OSError:
            return folder
    return None


def test_a_bad_checkpoint_path_fails_before_training(tmp_path):
    calls = {"n": 0}
    m, _, _ = small_gan()
    game = m.objective.expr
    inner = game.objective

    def counted(b):
        calls["n"] += 1
        return inner(b)

    game.objective = counted
    (tmp_path / "afile").write_text("")
    cases = [(tmp_path, "is a folder"), (tmp_path / "none" / "c.pt", "folder does not exist"),
             (tmp_path / "afile" / "c.pt", "folder does not exist")]
    locked = _unwritable_folder(tmp_path)
    if locked is not None:
        cases.append((locked / "c.pt", "cannot write a checkpoint there"))
    for path, reason in cases:
        with pytest.raises(InputError, match=reason) as err:
            m.solve("torch:optimistic", solver_options={"steps": 5, "checkpoint": str(path)})
        assert str(path) in str(err.value)
    with pytest.raises(InputError, match="is a folder"):
        m.solve("torch:optimistic", solver_options={"steps": 5, "checkpoint": str(tmp_path), "resume": True})
    assert calls["n"] == 0  # not one step was taken
    assert not list(tmp_path.glob("*.tmp*"))
    (tmp_path / "locked").chmod(0o700)


def test_divergence_stops_and_keeps_the_last_good_checkpoint(tmp_path):
    w = torch.ones(3, requires_grad=True)
    game = Minimax(name="blowup")
    game.objective = lambda b: (w * w).sum()
    game.player("w", w, "min", lr=10.0)  # SGD on w² with lr 10: w <- -19 w, overflows float32
    m = om.Model()
    saddle(m, game)
    ckpt = tmp_path / "good.pt"
    sol = m.solve("torch", solver_options={"steps": 500, "optimizer": "sgd", "checkpoint": str(ckpt),
                                           "checkpoint_every": 5})
    assert sol.status is om.Status.ERROR and sol.termination is om.Termination.NUMERICAL_ERROR
    assert "diverged" in sol.message and str(ckpt) in sol.message
    assert trained_parameters(sol) is None and not sol.verification.point
    saved = read_checkpoint(str(ckpt))
    assert saved["step"] % 5 == 0 and 0 < saved["step"] < 40
    assert all(torch.isfinite(t).all() for t in saved["params"][0])


def test_time_limit_and_bad_device():
    m, *_ = small_gan()
    sol = m.solve("torch", time_limit=0.0, solver_options={"steps": 10**6})
    assert sol.status is om.Status.TIME_LIMIT and sol.stats["steps"] == 0
    with pytest.raises(InputError, match="unknown device"):
        m.solve("torch", solver_options={"device": "tpu"})
    if not torch.cuda.is_available():
        with pytest.raises(om.OptmodelError, match="no CUDA"):
            m.solve("torch", solver_options={"device": "cuda"})


def test_verify_checks_the_returned_parameters_and_objective():
    m, game, _, mu, log_sigma, abc = gaussian_game()
    sol = m.solve("torch", solver_options={"steps": 5})
    assert sol.verification.passed and sol.verification.point and sol.verification.objective_recomputed is None
    assert game.verify(sol) == sol.verification  # pure: the core's second call changes nothing
    sol.parameters["discriminator"][0][1] = float("nan")
    sol.parameters["generator"][1] = torch.tensor(float("inf"))
    v = game.verify(sol)
    assert not v.feasible and v.point and len(v.problems) == 2
    assert "'generator'" in v.problems[0] and "1 of 1 in tensor 1" in v.problems[0]
    assert "1 of 3 in tensor 0" in v.problems[1]
    sol.parameters = {"generator": [mu.detach(), log_sigma.detach()], "discriminator": [abc.detach()]}
    sol.objective = float("nan")
    assert game.verify(sol).problems == ["the objective nan is not finite"]
    del sol.parameters
    v = game.verify(sol)
    assert not v.point and not v.feasible and v.problems == ["the solver returned no parameters"]


def test_same_seed_same_result():
    runs = []
    for _ in range(2):
        m, G, T = small_gan()
        m.solve("torch:extragradient", solver_options={"steps": 15, "seed": 5})
        runs.append(flat(G, T))
    assert torch.equal(*runs)


def test_torch_is_not_imported_by_list_or_help():
    code = ("import sys, optmodel.cli as c; c.main(['list']); c.main(['solve', 'gan', '--help']) if False else None;"
            "import optmodel.backends.torch, optmodel.problems.gan, optmodel.problems.geometric_mle, optmodel.minimax;"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert out.stdout.strip().endswith("False")


def test_torchrun_two_processes_report_world_size_2():
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2", "-m", "optmodel",
           "solve", "gan", "--dataset", "ring8", "--steps", "20", "--device", "cpu", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=240)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
    assert len(lines) == 1  # only rank 0 prints
    result = json.loads(lines[0])
    assert result["world_size"] == 2 and result["stats"]["world_size"] == 2
    assert result["metrics"]["samples"] == 2500


def test_packing_is_a_property_of_the_player():
    torch.manual_seed(0)
    G = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
    T = torch.nn.Sequential(torch.nn.Linear(2 * 4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))  # 4 samples × 2
    game = Minimax(name="packed", batch_size=64)
    d = game.positive(T)
    game.sampler("data", data_sampler(np.random.default_rng(0).normal(size=(100, 2))))
    game.sampler("noise", noise_sampler(2))
    seen = []
    T.register_forward_hook(lambda _m, args, out: seen.append((tuple(args[0].shape), tuple(out.shape))))
    game.objective = lambda b: -d.log(b["data"]).mean() + d(G(b["noise"])).mean()
    game.player("generator", G, "max")
    game.player("discriminator", T, "min", pack=4)
    assert "min over discriminator (lr 0.001, sees packs of 4 samples)" in game.describe()
    m = om.Model()
    saddle(m, game)
    sol = m.solve("torch:optimistic", solver_options={"steps": 3})
    assert sol.status is om.Status.ITERATION_LIMIT
    assert set(seen) == {((16, 8), (16, 1))}  # 64 samples judged as 16 packs of 4
    x = torch.arange(16.0).reshape(8, 2)
    with torch.no_grad():  # a pack is 4 consecutive samples, concatenated
        assert torch.equal(T(x), T[2](T[1](T[0](x.reshape(2, 8)))))
        with pytest.raises(ModelError, match="packs 4 samples, but got a batch of 6"):
            T(torch.zeros(6, 2))
    game.batch_size = 30
    with pytest.raises(ModelError, match="batch size 30 must be a multiple of it"):
        game.check()
    with pytest.raises(ModelError, match="pack must be a whole number"):
        Minimax().player("w", torch.zeros(1, requires_grad=True), pack=0)
    with pytest.raises(ModelError, match="pack needs torch modules"):
        Minimax().player("w", torch.zeros(1, requires_grad=True), pack=2)


def test_a_penalty_reaches_only_its_player():
    # max_x min_y x·y, y alone pays y²: one simultaneous SGD step from (x, y) = (1, 2) with lr 0.1
    # moves x up its gradient y and y down x + 2y.
    x = torch.tensor(1.0, requires_grad=True)
    y = torch.tensor(2.0, requires_grad=True)
    game = Minimax(name="pen")
    game.objective = lambda b: x * y
    game.player("x", x, "max", lr=0.1)
    game.player("y", y, "min", lr=0.1, penalty=lambda b: y * y)
    assert "pays its own penalty" in game.describe()[1]
    m = om.Model()
    saddle(m, game)
    m.solve("torch:simultaneous", solver_options={"steps": 1, "optimizer": "sgd"})
    assert x.item() == pytest.approx(1.0 + 0.1 * 2.0) and y.item() == pytest.approx(2.0 - 0.1 * (1.0 + 4.0))


def test_batches_carry_the_training_progress():
    w = torch.zeros(1, requires_grad=True)
    seen = []
    game = Minimax(name="progress")

    def objective(b):
        seen.append(b["progress"])
        return (w * w).sum()

    game.objective = objective
    game.player("w", w, "min")
    m = om.Model()
    saddle(m, game)
    m.solve("torch:simultaneous", solver_options={"steps": 4, "eval_batches": 1})
    assert seen == [0.0, 0.25, 0.5, 0.75, 1.0]  # four steps, then the evaluation at the end
    with pytest.raises(ModelError, match="'progress' is the batch's training progress"):
        game.sampler("progress", noise_sampler(1))


@pytest.mark.parametrize("optimistic", [False, True])
def test_the_multi_tensor_adam_step_is_adam(optimistic):
    from optmodel.backends.torch import _Optimizer

    torch.manual_seed(0)
    ours = [torch.randn(3, 4), torch.randn(5)]
    ref = [t.clone().requires_grad_(True) for t in ours]
    opt = _Optimizer(ours, 0.01, "adam", (0.5, 0.999), 1e-8, optimistic)
    adam = torch.optim.Adam(ref, lr=0.01, betas=(0.5, 0.999), eps=1e-8)
    prev = [torch.zeros_like(t) for t in ours]
    expected = [t.detach().clone() for t in ref]
    for _ in range(5):
        grads = [torch.randn_like(t) for t in ours]
        opt.step(grads)
        if optimistic:  # θ -= η(2u_t − u_{t−1}), u the Adam direction: Adam's move from a probe copy
            before = [t.detach().clone() for t in ref]
            for t, g in zip(ref, grads):
                t.grad = g.clone()
            adam.step()
            with torch.no_grad():
                for i, (t, b) in enumerate(zip(ref, before)):
                    u = (b - t) / 0.01
                    expected[i] -= 0.01 * (2 * u - prev[i])
                    prev[i] = u
        else:
            for t, g in zip(ref, grads):
                t.grad = g.clone()
            adam.step()
            expected = [t.detach().clone() for t in ref]
    for a, b in zip(ours, expected):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("edit", [("step", "x"), ("step", -1), ("params", None), ("optimizers", []),
                                  ("generator", torch.zeros(3)), ("history", "x"), ("fingerprint", "x"),
                                  ("constraints", 5), ("ema", [[torch.zeros(2)]]), ("buffers", None),
                                  # tensors where plain data is due: comparing them raised "Boolean value of
                                  # Tensor ... is ambiguous" (found by the fuzz suite)
                                  ("constraints", torch.zeros(3, 5)), ("game", torch.zeros(2)),
                                  ("signature", [["G", "max", [torch.zeros(2)]]])])
def test_a_well_formed_file_with_a_malformed_state_is_refused(tmp_path, edit):
    from optmodel.backends.torch import write_checkpoint

    ckpt = str(tmp_path / "c.pt")
    m, _, _ = small_gan()
    m.solve("torch:optimistic", solver_options={"steps": 2, "checkpoint": ckpt, "average": 0.9})
    state = read_checkpoint(ckpt)
    state[edit[0]] = edit[1]
    write_checkpoint(state, ckpt)  # the checksum is right: the state itself is wrong
    with pytest.raises(InputError, match=r"cannot resume: the checkpoint's .* malformed"):
        m.solve("torch:optimistic", solver_options={"steps": 4, "checkpoint": ckpt, "resume": True, "average": 0.9})
