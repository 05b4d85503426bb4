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


@pytest.mark.slow
def test_ring8_default_run_meets_the_goal(capsys):
    assert main(["solve", "gan", "--dataset", "ring8", "--device", "cpu", "--seed", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["metrics"]["modes_captured"] == 8
    assert out["metrics"]["high_quality_fraction"] >= 0.6
