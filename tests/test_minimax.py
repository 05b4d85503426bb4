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
    saved = torch.load(ckpt, weights_only=False)
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
