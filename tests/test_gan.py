"""The GAN problem: data, metrics against hand counts, the CLI, images, and the ring8 acceptance run."""

import json

import numpy as np
import pytest

from optmodel.cli import main
from optmodel.errors import InputError
from optmodel.problems import gan

torch = pytest.importorskip("torch")


def test_mixtures_and_metrics():
    r, g = gan.ring8(), gan.grid25()
    assert r.modes.shape == (8, 2) and np.allclose(np.linalg.norm(r.modes, axis=1), 2.0) and r.sigma == 0.02
    assert g.modes.shape == (25, 2) and set(np.unique(g.modes)) == {-4, -2, 0, 2, 4} and g.sigma == 0.05
    # Real data scores ~99.7% high quality (3σ of a 2-D Gaussian holds 1 − e^{-4.5} = 98.9%) and all modes.
    sampler = gan.mixture_sampler(r)
    real = sampler(20000, torch.Generator().manual_seed(0), "cpu").numpy()
    m = gan.mixture_metrics(real, r)
    assert m["modes_captured"] == 8 and m["high_quality_fraction"] == pytest.approx(1 - np.exp(-4.5), abs=5e-3)
    # Hand-made samples: 3 at modes 0, 0, 5; one just outside 3σ; one at the origin.
    pts = np.array([r.modes[0], r.modes[0] + [0.059, 0], r.modes[5], r.modes[1] + [0.061, 0], [0, 0]])
    m = gan.mixture_metrics(pts, r)
    assert m["modes_captured"] == 2 and m["high_quality_fraction"] == pytest.approx(3 / 5)
    assert m["high_quality_per_mode"][0] == 2 and m["high_quality_per_mode"][5] == 1


def test_mmd_against_a_direct_computation():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(40, 3)), rng.normal(0.5, 1, size=(30, 3))
    h = 1.3

    def k(a, b):
        return np.exp(-((a[:, None] - b[None]) ** 2).sum(-1) / (2 * h * h))

    direct = ((k(x, x).sum() - 40) / (40 * 39) + (k(y, y).sum() - 30) / (30 * 29) - 2 * k(x, y).mean())
    assert gan.gaussian_mmd2(x, y, h) == pytest.approx(direct)
    same = gan.image_metrics(rng.normal(size=(60, 3)), rng.normal(size=(60, 3)), rng.normal(size=(60, 3)))
    far = gan.image_metrics(rng.normal(3, 1, size=(60, 3)), rng.normal(size=(60, 3)), rng.normal(size=(60, 3)))
    assert abs(same["mmd2"]) < 0.05 and far["mmd2"] > 10 * abs(far["mmd2_real_floor"])


def test_cli_ring8_short_run_json(tmp_path, capsys):
    png = tmp_path / "s.png"
    assert main(["solve", "gan", "--dataset", "ring8", "--steps", "60", "--device", "cpu", "--seed", "1",
                 "--samples", str(png), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "iteration_limit" and out["world_size"] == 1 and out["loss"] == "lagrangian"
    assert out["metrics"]["samples"] == 2500 and 0 <= out["metrics"]["modes_captured"] <= 8
    assert 0 <= out["metrics"]["high_quality_fraction"] <= 1 and isinstance(out["objective"], float)
    assert any("d(x) > 0" in line for line in out["game"])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bce_loss_and_determinism(capsys):
    args = ["solve", "gan", "--dataset", "grid25", "--loss", "bce", "--steps", "30", "--device", "cpu",
            "--algorithm", "extragradient", "--json"]
    runs = []
    for _ in range(2):
        assert main(args) == 0
        runs.append(json.loads(capsys.readouterr().out))
    assert runs[0]["metrics"] == {**runs[1]["metrics"], "seconds": runs[0]["metrics"]["seconds"]}
    assert runs[0]["objective"] == runs[1]["objective"] < 0  # V = E log σ + E log(1 − σ) < 0
    assert runs[0]["backend"] == "torch:extragradient" and runs[0]["metrics"]["modes_total"] == 25


def test_digits_and_image_folder(tmp_path, capsys):
    pytest.importorskip("sklearn")
    assert main(["solve", "gan", "--dataset", "digits", "--steps", "30", "--device", "cpu", "--json",
                 "--samples", str(tmp_path / "d.png")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["mmd2"] > out["metrics"]["mmd2_real_floor"]  # 30 steps are far from the data
    assert (tmp_path / "d.png").exists()
    from PIL import Image

    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(12):
        Image.fromarray((rng.random((20, 24, 3)) * 255).astype(np.uint8)).save(folder / f"{i}.png")
    (folder / "notes.txt").write_text("ignored")
    data, side = gan.load_image_folder(str(folder), 6)
    assert data.shape == (12, 36) and side == 6 and data.min() >= -1 and data.max() <= 1
    assert main(["solve", "gan", "--images", str(folder), "--image-size", "6", "--steps", "5",
                 "--device", "cpu", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["dataset"] == "images:imgs"
    (folder / "broken.png").write_text("not an image")
    with pytest.raises(InputError, match="cannot read"):
        gan.load_image_folder(str(folder), 6)
    with pytest.raises(InputError, match="not a folder"):
        gan.load_image_folder(str(tmp_path / "none"), 6)


def test_steps_zero_measures_the_initial_point_and_negative_is_refused(capsys):
    assert main(["solve", "gan", "--steps", "0", "--device", "cpu", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "iteration_limit" and out["stats"]["steps"] == 0
    assert out["metrics"]["samples"] == 2500 and isinstance(out["objective"], float)
    for bad in ("-5", "-1"):
        assert main(["solve", "gan", "--steps", bad, "--json"]) == 2
        captured = capsys.readouterr()
        message = json.loads(captured.out)["message"]
        assert message == f"--steps must be at least 0 (0 measures the initial point), got {bad}"
    assert main(["solve", "gan", "--batch-size", "0"]) == 2
    assert "--batch-size must be at least 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["solve", "gan", "--help"])
    assert "0 trains nothing and measures the initial point" in " ".join(capsys.readouterr().out.split())


def test_checkpoint_path_and_resume_refusals_through_the_cli(tmp_path, capsys):
    ckpt = tmp_path / "g.pt"
    base = ["solve", "gan", "--device", "cpu", "--json", "--progress", "off", "--checkpoint"]
    # A folder (or a missing folder) as the checkpoint: refused at once, nothing trained.
    for path, reason in ((tmp_path, "is a folder"), (tmp_path / "no" / "g.pt", "does not exist")):
        assert main([*base, str(path), "--steps", "100000000"]) == 2
        err = json.loads(capsys.readouterr().out)
        assert err["status"] == "error" and reason in err["message"] and err["file"] == str(path)
    assert main([*base, str(ckpt), "--steps", "4", "--checkpoint-every", "2", "--hidden", "8"]) == 0
    capsys.readouterr()
    default = gan.DEFAULTS["positive"]
    other = "softplus" if default == "exp" else "exp"
    other_alg = "alternating" if gan.DEFAULTS["algorithm"] != "alternating" else "optimistic"
    refusals = [
        (["--dataset", "grid25", "--hidden", "8"], "other data (dataset 'ring8' there, 'grid25' here)"),
        (["--hidden", "16"], "generator tensor 0 has shape (8, 2) there, (16, 2) here"),
        (["--algorithm", other_alg, "--hidden", "8"], f"written by torch:{gan.DEFAULTS['algorithm']}"),
        (["--loss", "bce", "--hidden", "8"], "game 'gan-lagrangian', this run is 'gan-bce'"),
        (["--positive", other, "--hidden", "8"], f"as d = {default}(T(x)), this run's are d(x) > 0 for all x, "
                                                 f"as d = {other}(T(x))"),
    ]
    for extra, reason in refusals:
        assert main([*base, str(ckpt), "--steps", "8", "--resume", *extra]) == 2
        err = json.loads(capsys.readouterr().out)
        assert reason in err["message"], err["message"]
    good = ckpt.read_bytes()
    bad = bytearray(good)
    bad[len(good) // 2] ^= 0x40
    ckpt.write_bytes(bytes(bad))
    assert main([*base, str(ckpt), "--steps", "8", "--resume", "--hidden", "8"]) == 2
    captured = capsys.readouterr()
    assert "corrupt" in json.loads(captured.out)["message"] and "Traceback" not in captured.err
    ckpt.write_bytes(good)
    assert main([*base, str(ckpt), "--steps", "8", "--resume", "--hidden", "8"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["resumed_from_step"] == 4


def test_digits_checkpoint_is_tied_to_its_training_split(tmp_path, capsys):
    pytest.importorskip("sklearn")
    ckpt = str(tmp_path / "d.pt")
    base = ["solve", "gan", "--dataset", "digits", "--device", "cpu", "--json", "--hidden", "8",
            "--checkpoint", ckpt]
    assert main([*base, "--steps", "2"]) == 0
    capsys.readouterr()
    assert main([*base, "--steps", "4", "--resume", "--seed", "1"]) == 2  # another seed: another split
    assert "data_sha256" in json.loads(capsys.readouterr().out)["message"]


def test_the_lecture_bound_on_a_finite_sample_space():
    # max_θ min_d of Σ q log q − 1 + L(θ, d) is the log-likelihood at the MLE (a theorem), to 1e-3.
    for k, n, theta, algorithm in ((10, 500, 0.3, "optimistic"), (5, 100, 0.5, "extragradient")):
        r = gan.finite_bound(k=k, n=n, theta=theta, steps=2000, algorithm=algorithm)
        assert r["gap"] < 1e-3 and r["theta_error"] < 1e-3 and r["status"] == "iteration_limit"
        assert r["V_at_mle"] < 0 and r["mle"] == pytest.approx(r["theta"], abs=1e-3)


def test_training_options_reach_the_spec(capsys):
    args = ["solve", "gan", "--steps", "4", "--device", "cpu", "--json", "--hidden", "8", "--pack", "2", "--r1", "1",
            "--positive", "softplus", "--instance-noise", "0.2", "--lipschitz", "5", "--average", "0.9"]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "iteration_limit" and out["stats"]["steps"] == 4
    assert "min over discriminator (lr 0.001, sees packs of 2 samples, pays its own penalty)" in out["game"]
    assert any("d = softplus(T(x))" in line for line in out["game"])
    spec = gan.build_game(gan.mixture_sampler(gan.ring8()), 2, hidden=8, pack=4, instance_noise=0.5)
    assert spec.discriminator[0].in_features == 8 and {"instance_data", "instance_fake"} <= set(spec.game.samplers)
    for bad, message in ((["--pack", "3"], "packs of 3 samples (--pack, default 2): the batch size 256 must be a "
                                           "multiple of it"),
                         (["--batch-size", "5"], "the batch size 5 must be a multiple of it"),
                         (["--pack", "0"], "--pack must be at least 1"), (["--r1", "-1"], "--r1 must be at least 0"),
                         (["--lipschitz", "0"], "--lipschitz must be positive"),
                         (["--instance-noise", "-0.5"], "--instance-noise must be at least 0")):
        assert main(["solve", "gan", "--steps", "1", "--device", "cpu", "--json", *bad]) == 2
        assert message in json.loads(capsys.readouterr().out)["message"]


def test_instance_noise_anneals_to_nothing():
    import torch

    spec = gan.build_game(gan.mixture_sampler(gan.ring8()), 2, hidden=8, instance_noise=1.0)
    gen = torch.Generator().manual_seed(0)
    batch = {name: s(256, gen, "cpu") for name, s in spec.game.samplers.items()}
    late, early = dict(batch, progress=gan.NOISE_UNTIL), dict(batch, progress=0.0)
    clean = gan.build_game(gan.mixture_sampler(gan.ring8()), 2, hidden=8)
    clean.generator.load_state_dict(spec.generator.state_dict())
    clean.discriminator.load_state_dict(spec.discriminator.state_dict())
    with torch.no_grad():
        assert spec.game.objective(late) == clean.game.objective(late)  # no noise left at NOISE_UNTIL
        assert spec.game.objective(early) != clean.game.objective(early)


def test_cli_errors(tmp_path, capsys):
    assert main(["solve", "gan", "--steps", "-1"]) == 2
    assert main(["solve", "gan", "--resume"]) == 2
    assert "--resume needs --checkpoint" in capsys.readouterr().err
    assert main(["solve", "gan", "--backend", "highs", "--steps", "1", "--device", "cpu"]) == 2
    assert "minimax" in capsys.readouterr().err


def test_cli_checkpoint_and_resume(tmp_path, capsys):
    ckpt = str(tmp_path / "gan.pt")
    base = ["solve", "gan", "--dataset", "ring8", "--device", "cpu", "--json", "--checkpoint", ckpt,
            "--checkpoint-every", "10"]
    assert main([*base, "--steps", "20"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["stats"]["checkpoint"]["step"] == 20
    assert main([*base, "--steps", "30", "--resume"]) == 0
    second = json.loads(capsys.readouterr().out)
    assert second["stats"]["resumed_from_step"] == 20 and second["stats"]["steps"] == 30


def test_bf16_autocast_option(capsys):
    base = ["solve", "gan", "--steps", "3", "--device", "cpu", "--json", "--hidden", "8"]
    assert main([*base, "--autocast", "on"]) == 0
    assert json.loads(capsys.readouterr().out)["stats"]["autocast_bf16"] is True
    assert main(base) == 0  # auto: bf16 on CUDA only
    assert json.loads(capsys.readouterr().out)["stats"]["autocast_bf16"] is False


@pytest.mark.slow
def test_compiled_objective_trains_the_same():
    # torch.compile of the objective (about a minute of compilation on a CPU): the same training,
    # up to floating-point reassociation. Fresh processes: dynamo trips over modules that other
    # tests left loaded (pyomo's deferred imports), which a user's `solve gan` never has.
    import subprocess
    import sys

    base = [sys.executable, "-m", "optmodel", "solve", "gan", "--steps", "30", "--device", "cpu", "--json",
            "--hidden", "16"]
    runs = [subprocess.run(argv, capture_output=True, text=True, timeout=600)
            for argv in (base, [*base, "--compile", "default"])]
    assert all(r.returncode == 0 for r in runs), runs[-1].stderr[-2000:]
    eager, compiled = (json.loads(r.stdout) for r in runs)
    assert compiled["objective"] == pytest.approx(eager["objective"], rel=1e-4)
    assert abs(compiled["metrics"]["high_quality_fraction"] - eager["metrics"]["high_quality_fraction"]) < 0.01


@pytest.mark.slow
def test_ring8_default_run_meets_the_goal(capsys):
    assert main(["solve", "gan", "--dataset", "ring8", "--device", "cpu", "--seed", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["modes_captured"] == 8
    assert out["metrics"]["high_quality_fraction"] >= 0.9  # 90.3% measured (softplus, 12000 steps)


def _bench_module(name):
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"bench_{name}", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_gpu_script_plain_loop_and_table_on_cpu():
    # The GPU benchmark's hand-written loop and report, tiny and on the CPU (the full --dry run,
    # with torch.compile and torchrun, takes minutes: benchmarks/README-gan.md has its output).
    gpu = _bench_module("gan_gpu")
    r = gpu.plain_loop("ring8", "cpu", steps=5, warmup=1)
    assert r["steps"] == 5 and r["seconds_per_step"] > 0 and r["modes_total"] == 8 and 0 <= r["high_quality"] <= 1
    amp = gpu.plain_loop("ring8", "cpu", steps=2, warmup=1, amp=True)
    assert amp["steps"] == 2
    table = gpu.markdown([{"part": "throughput", "name": "plain fp32", **r},
                          {"part": "ddp", "nproc": 2, "seconds_per_step": 0.01, "samples_per_second": 5e4,
                           "scaling": 1.9, "modes": 8, "high_quality": 0.9}])
    assert "| throughput | plain fp32 |" in table and "scaling 1.90" in table


def test_variant_table_and_commands():
    bench = _bench_module("gan")
    assert "" in bench.VARIANTS.values() and len(bench.VARIANTS) >= 12  # "": the default command
    cmd = bench.variant_command("--pack 2", "ring8", 3)
    assert cmd[3:] == ["solve", "gan", "--pack", "2", "--dataset", "ring8", "--seed", "3", "--device", "cpu",
                       "--json", "--progress", "off"]
    rows = [{"variant": "v", "args": "--pack 2", "dataset": "ring8", "seed": s, "status": "iteration_limit",
             "modes": m, "modes_total": 8, "high_quality": hq, "mmd2": None, "mmd2_floor": None, "steps": 100,
             "seconds_per_step": 0.004, "train_seconds": 0.4, "command": "python -m optmodel solve gan --pack 2"}
            for s, m, hq in ((0, 8, 0.9), (1, 7, 0.5), (2, 8, 0.8))]
    rows.append({**rows[0], "seed": 3, "status": "error", "modes": None, "high_quality": None})
    line = bench.variant_table(rows).splitlines()[2]
    assert line.startswith("| v | ring8 | 4 (1 failed) | 8/8, 7 | 80.0% (50.0–90.0) |")
    assert "| 100 | 4.00 | 0.4 | `python -m optmodel solve gan --pack 2` |" in line
