"""The lecture's GAN: maximum likelihood through its Lagrangian, trained by stochastic gradients.

max_θ min_{φ: d_φ > 0}  L(θ, φ) = −(1/n) Σ log d_φ(xᵢ) + (1/n) Σ d_φ(f_θ(zᵢ)),   d_φ = softplus(T_φ)

(by weak duality V(θ) ≤ Σ q log q − 1 + L(θ, φ) for every d > 0, with equality at d = q/p_θ; the
lecture writes d = exp(T), ``--positive exp``: the same saddle point, but its generator gradient
d·∇T is unbounded where d is large, and long runs diverge or collapse; softplus weighs it by
σ(T) ≤ 1). The training options (packing, R1, instance noise, averaging, schedules) and the
defaults they gave are measured in benchmarks/README-gan.md; ``finite_bound`` checks the theorem
on a finite sample space. ``--loss bce`` is the standard non-saturating GAN for comparison.
Datasets: ``ring8`` (8 Gaussians, σ = 0.02, radius 2), ``grid25`` (5×5 grid at {−4,−2,0,2,4}²,
σ = 0.05), ``digits`` (scikit-learn's 8×8 digits) and ``--images DIR``. Metrics as in VEEGAN/PacGAN
for the mixtures (2500 samples; a sample is high quality within 3σ of its nearest mode; a mode is
captured by one such sample), and a Gaussian-kernel MMD² against held-out real data, next to the
real-vs-real floor, for images.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError
from optmodel.problem import Problem, Report, check_output_path

if TYPE_CHECKING:
    from optmodel.model import Model

DATASETS = ("ring8", "grid25", "digits")
LOSSES = ("lagrangian", "bce")
ALGORITHMS = ("simultaneous", "alternating", "extragradient", "optimistic")
POSITIVE = ("exp", "softplus")
NOISE_UNTIL = 0.75  # instance noise decays linearly to 0 at this fraction of the steps
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff")
METRIC_SAMPLES = 2500


@dataclass
class Mixture:
    """A mixture of equal-weight isotropic Gaussians in the plane."""

    name: str
    modes: np.ndarray  # (k, 2)
    sigma: float


def ring8() -> Mixture:
    angles = 2 * np.pi * np.arange(8) / 8
    return Mixture("ring8", 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1), 0.02)


def grid25() -> Mixture:
    g = np.array([-4.0, -2.0, 0.0, 2.0, 4.0])
    xx, yy = np.meshgrid(g, g, indexing="ij")
    return Mixture("grid25", np.stack([xx.ravel(), yy.ravel()], axis=1), 0.05)


def mixture_sampler(mix: Mixture) -> Any:
    """Fresh points of the mixture each batch (the data distribution itself, not a finite sample)."""
    state: dict[str, Any] = {}

    def sample(n: int, generator: Any, device: Any) -> Any:
        import torch

        key = str(generator.device)
        if key not in state:
            state[key] = torch.as_tensor(mix.modes, dtype=torch.float32, device=generator.device)
        modes = state[key]
        k = torch.randint(0, modes.shape[0], (n,), generator=generator, device=generator.device)
        noise = torch.randn(n, 2, generator=generator, device=generator.device) * mix.sigma
        return (modes[k] + noise).to(device)

    return sample


def mixture_metrics(samples: np.ndarray, mix: Mixture) -> dict[str, Any]:
    """High-quality fraction (within 3σ of the nearest mode) and modes captured (VEEGAN/PacGAN)."""
    dist = np.linalg.norm(samples[:, None, :] - mix.modes[None, :, :], axis=2)
    nearest = dist.argmin(axis=1)
    good = dist[np.arange(len(samples)), nearest] <= 3 * mix.sigma
    counts = np.bincount(nearest[good], minlength=len(mix.modes))
    return {
        "samples": len(samples),
        "high_quality_fraction": float(good.mean()),
        "modes_captured": int((counts > 0).sum()),
        "modes_total": len(mix.modes),
        "high_quality_per_mode": counts.tolist(),
    }


def gaussian_mmd2(x: np.ndarray, y: np.ndarray, bandwidth: float) -> float:
    """Unbiased MMD² with the kernel exp(−|a − b|² / (2 h²))."""
    def k(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T
        return np.exp(-np.maximum(sq, 0) / (2 * bandwidth**2))

    kxx, kyy, kxy = k(x, x), k(y, y), k(x, y)
    n, m = len(x), len(y)
    return float((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                 - 2 * kxy.mean())


def median_bandwidth(x: np.ndarray) -> float:
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    return float(np.sqrt(0.5 * np.median(sq[np.triu_indices(len(x), 1)])))


def image_metrics(fake: np.ndarray, real_a: np.ndarray, real_b: np.ndarray) -> dict[str, Any]:
    """MMD² of generated vs held-out real images, and the real-vs-real floor at the same size."""
    h = median_bandwidth(real_a)
    return {
        "samples": len(fake),
        "mmd2": gaussian_mmd2(fake, real_b, h),
        "mmd2_real_floor": gaussian_mmd2(real_a, real_b, h),
        "bandwidth": h,
    }


def load_digits_data() -> tuple[np.ndarray, int]:
    from sklearn.datasets import load_digits

    x = load_digits().data.astype(np.float32) / 8.0 - 1.0  # pixels 0..16 -> [-1, 1]
    return x, 8


def load_image_folder(folder: str, size: int) -> tuple[np.ndarray, int]:
    """Every image in ``folder``, grey, resized to size × size, pixels in [-1, 1]."""
    from PIL import Image, UnidentifiedImageError

    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder of images", folder)
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    if len(files) < 4:
        raise InputError(f"found {len(files)} images ({', '.join(IMAGE_SUFFIXES)}); at least 4 are needed", folder)
    rows = []
    for path in files:
        try:
            with Image.open(path) as im:
                im = im.convert("L").resize((size, size), Image.Resampling.BILINEAR)
                rows.append(np.asarray(im, dtype=np.float32).ravel())
        except (UnidentifiedImageError, OSError) as err:
            raise InputError(f"cannot read this image ({err})", path) from err
    return np.stack(rows) / 127.5 - 1.0, size


def mlp(n_in: int, hidden: int, n_out: int, layers: int = 2, out: str | None = None,
        lipschitz: float | None = None) -> Any:
    """A ReLU MLP; with ``lipschitz`` every layer is spectrally normalised and the output scaled,
    so the network is at most that Lipschitz (a bound on the slope of log d)."""
    import torch
    from torch.nn.utils.parametrizations import spectral_norm

    def linear(a: int, b: int) -> Any:
        layer = torch.nn.Linear(a, b)
        return spectral_norm(layer) if lipschitz else layer

    mods: list[Any] = []
    width = n_in
    for _ in range(layers):
        mods += [linear(width, hidden), torch.nn.ReLU()]
        width = hidden
    mods.append(linear(width, n_out))
    if out == "tanh":
        mods.append(torch.nn.Tanh())
    if lipschitz:
        mods.append(_Scale(float(lipschitz)))
    return torch.nn.Sequential(*mods)


def _Scale(factor: float) -> Any:  # a module made lazily: torch is imported only when used
    import torch

    class Scale(torch.nn.Module):
        def __init__(self, factor: float):
            super().__init__()
            self.factor = factor

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x * self.factor

    return Scale(factor)


@dataclass
class GanSpec:
    game: Any
    generator: Any
    discriminator: Any
    noise_dim: int


def build_game(
    data_sampler: Any,
    dim: int,
    loss: str = "lagrangian",
    hidden: int = 128,
    noise_dim: int = 2,
    lr_g: float = 2e-3,
    lr_d: float = 1e-3,
    batch_size: int = 256,
    image: bool = False,
    lipschitz: float | None = None,
    pack: int = 1,
    r1: float = 0.0,
    positive: str = "exp",
    instance_noise: float = 0.0,
) -> GanSpec:
    """The GAN as a ``Minimax`` spec: generator f_θ, discriminator T_φ, data and noise samplers.

    ``pack``: the discriminator judges ``pack`` samples at once (PacGAN); ``r1``: the discriminator
    pays (r1/2)·E‖∇ₓT(x)‖² on real data (Mescheder et al.'s R1; zero at the equilibrium T ≡ 0);
    ``lipschitz``: T spectrally normalised, at most that Lipschitz; ``positive``: d = exp(T) or softplus(T).
    """
    import torch
    import torch.nn.functional as tnf

    from optmodel.minimax import Minimax, noise_sampler

    if pack < 1 or batch_size % pack:
        raise InputError(f"the discriminator judges packs of {pack} samples (--pack, default {DEFAULTS['pack']}): "
                         f"the batch size {batch_size} must be a multiple of it")
    if positive not in POSITIVE:
        raise InputError(f"unknown parametrisation {positive!r} of d; use one of {', '.join(POSITIVE)}")
    G = mlp(noise_dim, hidden, dim, out="tanh" if image else None)
    T = mlp(dim * pack, hidden, 1, lipschitz=lipschitz)
    game = Minimax(name=f"gan-{loss}", batch_size=batch_size)
    game.sampler("data", data_sampler)
    game.sampler("noise", noise_sampler(noise_dim))

    def r1_penalty(b: dict[str, Any]) -> Any:
        x = b["data"].detach().requires_grad_(True)
        t = T(x)  # one value per pack
        (g,) = torch.autograd.grad(t.sum(), x, create_graph=True)
        return 0.5 * r1 * g.pow(2).sum() / t.shape[0]

    penalty = r1_penalty if r1 > 0 else None
    if instance_noise > 0:
        game.sampler("instance_data", noise_sampler(dim))
        game.sampler("instance_fake", noise_sampler(dim))

    def judged(b: dict[str, Any]) -> tuple[Any, Any]:
        """Real and generated samples as the discriminator sees them (with annealed instance noise)."""
        real, fake = b["data"], G(b["noise"])
        if instance_noise > 0:
            s = instance_noise * max(0.0, 1.0 - b["progress"] / NOISE_UNTIL)
            real, fake = real + s * b["instance_data"], fake + s * b["instance_fake"]
        return real, fake

    if loss == "lagrangian":
        d = game.positive(T, via=positive, name="d")

        def lagrangian(b: dict[str, Any]) -> Any:
            # −mean log d(x) + mean d(f_θ(z)); log d from T directly, so no exp overflows on the data.
            # T judges real and generated samples in one pass (equal batches, so packs never mix).
            t_real, t_fake = T(torch.cat(judged(b))).chunk(2)
            return -d.log_of(t_real).mean() + d.of(t_fake).mean()

        game.objective = lagrangian
        game.player("generator", G, "max", lr=lr_g)
        game.player("discriminator", T, "min", lr=lr_d, penalty=penalty, pack=pack)
    elif loss == "bce":
        def value(b: dict[str, Any]) -> Any:  # V = E log σ(D(x)) + E log(1 − σ(D(G(z))))
            t_real, t_fake = T(torch.cat(judged(b))).chunk(2)
            return -tnf.softplus(-t_real).mean() - tnf.softplus(t_fake).mean()

        def non_saturating(b: dict[str, Any]) -> Any:  # the generator minimises −E log σ(D(G(z)))
            return tnf.softplus(-T(judged(b)[1])).mean()

        game.objective = value
        game.player("generator", G, "min", lr=lr_g, objective=non_saturating)
        game.player("discriminator", T, "max", lr=lr_d, penalty=penalty, pack=pack)
    else:
        raise InputError(f"unknown loss {loss!r}; use one of {', '.join(LOSSES)}")
    return GanSpec(game, G, T, noise_dim)


def generate(spec: GanSpec, n: int, seed: int, device: Any = "cpu") -> np.ndarray:
    import torch

    gen = torch.Generator().manual_seed(seed + 777)
    z = torch.randn(n, spec.noise_dim, generator=gen).to(device)
    with torch.no_grad():
        return spec.generator(z).float().cpu().numpy()


def plot_mixture(path: str, fake: np.ndarray, mix: Mixture, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # Each mode's high-quality disc (3σ) as a ring with the number of samples in it beside it: at
    # the modes the points pile up into dots, so the counts say what the eye cannot.
    metrics = mixture_metrics(fake, mix)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.scatter(fake[:, 0], fake[:, 1], s=2, alpha=0.4, label="generated", zorder=2)
    for (x, y), count in zip(mix.modes, metrics["high_quality_per_mode"]):
        ax.add_patch(plt.Circle((x, y), 3 * mix.sigma, fill=False, color="red", lw=0.8, zorder=3))
        ax.annotate(str(count), (x, y), xytext=(5, 5), textcoords="offset points",
                    fontsize=6, color="darkred")
    ax.plot([], [], "o", mfc="none", color="red", label=f"modes: {100 * metrics['high_quality_fraction']:.1f}% "
            f"within 3σ, {metrics['modes_captured']}/{metrics['modes_total']} captured")
    lim = np.abs(mix.modes).max() * 1.5
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.set_title(title, fontsize=9)
    ax.legend(loc="upper right", fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def plot_images(path: str, images: np.ndarray, side: int, title: str, columns: int = 8) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    k = min(len(images), columns * columns)
    rows = -(-k // columns)
    grid = np.zeros((rows * (side + 1), columns * (side + 1)))  # separators: paper colour of digits
    for i in range(k):
        r, c = divmod(i, columns)
        grid[r * (side + 1):r * (side + 1) + side, c * (side + 1):c * (side + 1) + side] = \
            (images[i].reshape(side, side) + 1) / 2
    fig, ax = plt.subplots(figsize=(5, 5 * rows / columns + 0.4))
    ax.imshow(grid, cmap="gray_r" if side == 8 else "gray", vmin=0, vmax=1)
    ax.axis("off")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


# Defaults of `solve gan`, chosen by benchmarks/gan.py (see benchmarks/README-gan.md).
DEFAULTS: dict[str, Any] = {
    "algorithm": "optimistic",
    "steps": 12000,
    "lr_g": 2e-3,
    "lr_d": 1e-3,
    "batch_size": 256,
    "hidden": 128,
    "noise_dim": 2,
    "average": None,
    "lr_decay": "late",
    "lipschitz": None,
    "pack": 2,
    "r1": 0.0,
    "positive": "softplus",
    "instance_noise": 0.3,
}
# What each dataset changes in DEFAULTS (benchmarks/README-gan.md: the step counts fit the time goals
# of 1 minute for ring8 and 3 for grid25 on two cores; images need more noise dimensions than two,
# and their MMD² was lower with a linear decay than with the late one that suits the mixtures).
DATASET_DEFAULTS: dict[str, dict[str, Any]] = {
    "ring8": {},
    "grid25": {"steps": 36000},
    "digits": {"steps": 12000, "noise_dim": 16, "lr_decay": "linear"},
    "images": {"steps": 12000, "noise_dim": 16, "lr_decay": "linear"},
}


def default_note(name: str) -> str:
    """``--help``'s default of setting ``name``, with the datasets that change it."""
    base = DEFAULTS[name]
    text = f"{base:g}" if isinstance(base, float) else f"{base}"
    changed: dict[object, list[str]] = {}
    for dataset, values in DATASET_DEFAULTS.items():
        if values.get(name, base) != base:
            changed.setdefault(values[name], []).append(dataset)
    changes = [f"{value} for {' and '.join(datasets)}" for value, datasets in changed.items()]
    return f"default {text}" + (f"; {', '.join(changes)}" if changes else "")


def run_gan(
    dataset: str = "ring8",
    loss: str = "lagrangian",
    images: str | None = None,
    image_size: int = 16,
    backend: str | None = None,
    options: SolveOptions | None = None,
    samples_png: str | None = None,
    **settings: Any,
) -> Report:
    """Build, train and measure a GAN; ``settings`` override ``DEFAULTS`` and pass solver options."""
    import torch

    from optmodel.minimax import data_sampler, saddle, trained_parameters
    from optmodel.model import Model

    check_output_path(samples_png)  # before training, not after it
    key = "images" if images is not None else dataset
    cfg = {**DEFAULTS, **DATASET_DEFAULTS.get(key, {}), **{k: v for k, v in settings.items() if v is not None}}
    if not cfg.get("average"):
        cfg["average"] = None  # 0 means the last iterate
    seed = int(cfg.pop("seed", 0))
    device = cfg.pop("device", "auto")
    torch.manual_seed(seed)
    mix: Mixture | None = None
    if images is not None:
        data, side = load_image_folder(images, image_size)
        name = f"images:{Path(images).name}"
    elif dataset in ("ring8", "grid25"):
        mix = ring8() if dataset == "ring8" else grid25()
        name, side = dataset, 0
    elif dataset == "digits":
        data, side = load_digits_data()
        name = "digits"
    else:
        raise InputError(f"unknown dataset {dataset!r}; use one of {', '.join(DATASETS)} or --images DIR")
    if mix is not None:
        sampler, dim, real_a, real_b = mixture_sampler(mix), 2, None, None
    else:
        perm = np.random.default_rng(seed).permutation(len(data))
        half = len(data) // 2
        train, held = data[perm[:half]], data[perm[half:]]
        sampler, dim = data_sampler(train), data.shape[1]
        m = min(500, len(held), len(train))
        real_a, real_b = train[:m], held[:m]
    spec = build_game(sampler, dim, loss, int(cfg.pop("hidden")), int(cfg.pop("noise_dim")),
                      float(cfg.pop("lr_g")), float(cfg.pop("lr_d")), int(cfg.pop("batch_size")), image=mix is None,
                      lipschitz=cfg.pop("lipschitz") or None, pack=int(cfg.pop("pack")), r1=float(cfg.pop("r1")),
                      positive=str(cfg.pop("positive")), instance_noise=float(cfg.pop("instance_noise")))
    # A checkpoint resumes only on the same data: the dataset by name, and a finite one (digits,
    # images) by a hash of its training half, which also pins --image-size and the seed's split.
    spec.game.fingerprint = {"dataset": name}
    if mix is None:
        spec.game.fingerprint["data_sha256"] = hashlib.sha256(np.ascontiguousarray(train).tobytes()).hexdigest()[:16]
    model = Model(f"gan-{name}")
    saddle(model, spec.game)
    algorithm = cfg.pop("algorithm")
    if backend is None or backend == "torch":
        backend = f"torch:{algorithm}"  # other names go through as given (and get the capability error)
    opts = options or SolveOptions()
    solver_options = {"device": device, "seed": seed, **cfg, **opts.solver_options}
    opts = SolveOptions(time_limit=opts.time_limit, threads=opts.threads, verbose=opts.verbose,
                        solver_options=solver_options)
    sol = model.solve(backend, options=opts)
    rep = Report(sol)
    world = int(sol.stats.get("world_size", 1))
    rep.answer = {"dataset": name, "loss": loss, "world_size": world, "game": spec.game.describe()}
    if trained_parameters(sol) is None:  # diverged or aborted: no generator to measure
        rep.answer["metrics"] = None
        return rep
    fake = generate(spec, METRIC_SAMPLES if mix is not None else len(real_b), seed,
                    next(spec.generator.parameters()).device)
    if mix is not None:
        metrics = mixture_metrics(fake, mix)
        rep.lines.append(f"{name}: {metrics['modes_captured']}/{metrics['modes_total']} modes, "
                         f"{100 * metrics['high_quality_fraction']:.1f}% high-quality samples "
                         f"(of {METRIC_SAMPLES}; within 3σ = {3 * mix.sigma:g} of a mode)")
    elif not np.isfinite(fake).all():
        metrics = {"samples": len(fake), "mmd2": None, "mmd2_real_floor": None}
    else:
        metrics = image_metrics(fake, real_a, real_b)
        rep.lines.append(f"{name}: kernel MMD² {metrics['mmd2']:.4g} (real-vs-real floor "
                         f"{metrics['mmd2_real_floor']:.4g}, {metrics['samples']} samples)")
    metrics["seconds"] = sol.solve_seconds
    rep.answer["metrics"] = metrics
    rep.lines.append(f"{loss} loss, {sol.backend}, {sol.stats['steps']} steps on {sol.stats['device']} "
                     f"(world size {world}) in {sol.solve_seconds:.1f}s")
    if samples_png and int(os.environ.get("RANK", "0")) == 0:
        title = f"{name}, {loss}, {sol.backend}, {sol.stats['steps']} steps"
        if mix is not None:
            plot_mixture(samples_png, fake, mix, title)
        else:
            plot_images(samples_png, fake, side, title)
        rep.answer["samples_png"] = samples_png
        rep.lines.append(f"samples: {samples_png}")
    return rep


def finite_bound(k: int = 10, n: int = 500, theta: float = 0.3, seed: int = 0, steps: int = 3000,
                 algorithm: str = "extragradient") -> dict[str, Any]:
    """The lecture's theorem on a finite sample space, numerically.

    Data: n draws of Binomial(k, θ) on {0, …, k}, empirical q. Generator p_θ = Binomial(k, θ) with
    θ = sigmoid(w); discriminator a table d = exp(T) on {0, …, k}; the expectations are exact sums.
    Trained by ``torch:algorithm``, max_θ min_d [Σ q log q − 1 + L(θ, d)] must equal the mean
    log-likelihood V(θ̂) = Σ q log p_θ̂ at the MLE θ̂ = x̄ / k. Returns both, their gap and θ's error.
    """
    import torch
    import torch.nn.functional as tnf

    from optmodel.backend import SolveOptions
    from optmodel.minimax import Minimax, saddle
    from optmodel.model import Model

    x = np.random.default_rng(seed).binomial(k, theta, n)
    q = np.bincount(x, minlength=k + 1) / n
    values = np.arange(k + 1)
    log_choose = np.array([math.lgamma(k + 1) - math.lgamma(v + 1) - math.lgamma(k - v + 1) for v in values])

    def log_pmf(t: float) -> np.ndarray:
        return log_choose + values * math.log(t) + (k - values) * math.log1p(-t)

    mle = float(x.mean() / k)
    seen = q > 0
    entropy_term = float((q[seen] * np.log(q[seen])).sum())  # Σ q log q
    v_mle = float((q[seen] * log_pmf(mle)[seen]).sum())
    torch.manual_seed(seed)
    qt = torch.as_tensor(q, dtype=torch.float64)
    lc, vt = torch.as_tensor(log_choose), torch.as_tensor(values, dtype=torch.float64)
    w = torch.zeros((), dtype=torch.float64, requires_grad=True)
    T = torch.zeros(k + 1, dtype=torch.float64, requires_grad=True)
    game = Minimax(name="finite-lagrangian")

    def lagrangian(_b: dict[str, Any]) -> Any:
        lp = lc + vt * tnf.logsigmoid(w) + (k - vt) * tnf.logsigmoid(-w)
        return -(qt * T).sum() + torch.exp(lp + T).sum()  # −Σ q log d + Σ p_θ d, d = exp(T)

    game.objective = lagrangian
    game.player("generator", w, "max", lr=0.05)
    game.player("discriminator", T, "min", lr=0.05)
    model = Model("finite-lagrangian")
    saddle(model, game)
    sol = model.solve(f"torch:{algorithm}", options=SolveOptions(solver_options={
        "steps": steps, "lr_decay": "linear", "device": "cpu", "progress": False, "seed": seed}))
    with torch.no_grad():
        trained = entropy_term - 1 + lagrangian({}).item()
        theta_hat = torch.sigmoid(w).item()
    return {"k": k, "n": n, "steps": steps, "algorithm": algorithm, "mle": mle, "theta": theta_hat,
            "theta_error": abs(theta_hat - mle), "V_at_mle": v_mle, "trained_max_min": trained,
            "gap": abs(trained - v_mle), "status": sol.status.value}


def quiet_other_ranks() -> None:
    """Under torchrun only rank 0 prints (the CLI prints every process's report otherwise)."""
    if int(os.environ.get("RANK", "0")) != 0:
        sys.stdout = open(os.devnull, "w")  # kept open for the life of the process


class Gan(Problem):
    name = "gan"
    summary = "GAN as the Lagrangian of maximum likelihood (or BCE), trained by stochastic minimax"
    uses_lp_backends = False
    needs = frozenset({Capability.MINIMAX})
    default_backend = f"torch:{DEFAULTS['algorithm']}"
    formulation = [
        "max_θ min_φ L(θ, φ) = −(1/n) Σ_i log d_φ(x_i) + (1/n) Σ_i d_φ(f_θ(z_i)),   d_φ = softplus(T_φ) > 0 "
        "(or exp(T_φ): --positive exp)",
        "(generator f_θ and discriminator T_φ are MLPs; stochastic gradients on sampled batches)",
    ]
    adjacent = [
        "maximum likelihood itself, where p_θ has a density: for every θ the best d is q/p_θ and the bound "
        "equals V(θ) (checked exactly by geometric-mle --method lagrangian)",
        "the non-saturating BCE GAN (--loss bce)",
    ]
    sizes_help = "hidden units of the generator and discriminator"
    example_size = 128

    def instance(self, size: int, seed: int = 0) -> Model:
        from optmodel.minimax import saddle
        from optmodel.model import Model

        spec = build_game(mixture_sampler(ring8()), 2, hidden=size, positive=DEFAULTS["positive"],
                          pack=DEFAULTS["pack"], instance_noise=DEFAULTS["instance_noise"])
        model = Model("gan-ring8")
        saddle(model, spec.game)
        return model

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--dataset", choices=DATASETS, default="ring8", help="built-in data (default ring8)")
        parser.add_argument("--images", metavar="DIR", help="train on a folder of images instead (grey, resized)")
        parser.add_argument("--image-size", type=int, default=16, metavar="S", help="--images resized to S×S")
        parser.add_argument("--loss", choices=LOSSES, default="lagrangian", help="default: the lecture's Lagrangian")
        parser.add_argument("--algorithm", choices=ALGORITHMS, default=None,
                            help=f"minimax algorithm (default {DEFAULTS['algorithm']}; or --backend torch:ALG)")
        parser.add_argument("--steps", type=int, help=f"training steps, at least 0 ({default_note('steps')}; "
                            "0 trains nothing and measures the initial point)")
        parser.add_argument("--batch-size", type=int, help=f"default {DEFAULTS['batch_size']}")
        parser.add_argument("--lr-g", type=float, help=f"generator learning rate (default {DEFAULTS['lr_g']:g})")
        parser.add_argument("--lr-d", type=float, help=f"discriminator learning rate (default {DEFAULTS['lr_d']:g})")
        parser.add_argument("--optimizer", choices=("adam", "sgd"), help="default adam")
        parser.add_argument("--average", type=float, metavar="BETA",
                            help="EMA decay of the iterates, e.g. 0.99 (default: none, the last iterate)")
        parser.add_argument("--lr-decay", choices=("none", "linear", "cosine", "late"),
                            help="learning-rate schedule: linear to 0, cosine, late (constant for the first half, "
                                 f"then linear to 0) or none ({default_note('lr_decay')})")
        parser.add_argument("--pack", type=int, metavar="M",
                            help=f"PacGAN: the discriminator judges M samples at once (default {DEFAULTS['pack']})")
        parser.add_argument("--r1", type=float, metavar="GAMMA",
                            help="R1 penalty (GAMMA/2)·E‖∇T(x)‖² on real data, paid by the discriminator "
                                 f"(default {DEFAULTS['r1']:g}: none)")
        parser.add_argument("--lipschitz", type=float, metavar="K",
                            help="spectrally normalise T so that log d is at most K-Lipschitz (default: not)")
        parser.add_argument("--positive", choices=POSITIVE,
                            help=f"d = exp(T) or softplus(T) (default {DEFAULTS['positive']})")
        parser.add_argument("--instance-noise", type=float, metavar="S",
                            help="Gaussian noise of std S added to real and generated samples before the "
                                 f"discriminator, decaying linearly to 0 at {NOISE_UNTIL:.0%}% of the steps "
                                 f"(default {DEFAULTS['instance_noise']:g})")
        parser.add_argument("--hidden", type=int, help=f"MLP width (default {DEFAULTS['hidden']})")
        parser.add_argument("--noise-dim", type=int, help=default_note("noise_dim"))
        parser.add_argument("--device", default="auto", help="auto (CUDA when present), cpu or cuda")
        parser.add_argument("--autocast", choices=("auto", "on", "off"), default="auto",
                            help="bf16 autocast of the forward passes (auto: on CUDA only)")
        parser.add_argument("--compile", choices=("off", "default", "reduce-overhead", "max-autotune"), default="off",
                            help="torch.compile the objective with this mode (reduce-overhead: CUDA graphs); "
                                 "the first steps pay the compilation (about a minute on a CPU)")
        parser.add_argument("--seed", type=int, default=0, help="makes the run deterministic (default 0)")
        parser.add_argument("--samples", metavar="OUT.png", help="write a PNG of generated samples")
        parser.add_argument("--checkpoint", metavar="PATH",
                            help="write a checkpoint here: a file in an existing, writable folder (checked before "
                                 "training), written atomically with a checksum")
        parser.add_argument("--checkpoint-every", type=int, default=500, metavar="N", help="steps (default 500)")
        parser.add_argument("--resume", action="store_true",
                            help="continue from --checkpoint; refused, with the reason, when its dataset, network "
                                 "shapes, loss, algorithm or averaging differ from this run's, or its checksum fails")
        parser.add_argument("--progress", choices=("auto", "on", "off"), default="auto",
                            help="progress bar on stderr (auto: off with --json unless stderr is a tty)")

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        quiet_other_ranks()
        if args.steps is not None and args.steps < 0:
            raise InputError(f"--steps must be at least 0 (0 measures the initial point), got {args.steps}")
        for flag in ("batch_size", "hidden", "noise_dim", "image_size", "checkpoint_every"):
            value = getattr(args, flag)
            if value is not None and value < 1:
                raise InputError(f"--{flag.replace('_', '-')} must be at least 1, got {value}")
        if args.backend and args.algorithm and ":" in args.backend:
            raise InputError("give the algorithm once: --algorithm ALG or --backend torch:ALG")
        if args.progress == "auto":
            progress = sys.stderr.isatty() or not args.json
        else:
            progress = args.progress == "on"
        extra: dict[str, Any] = {"progress": progress, "checkpoint_every": args.checkpoint_every,
                                 "autocast": args.autocast,
                                 "compile": False if args.compile == "off" else args.compile}
        if args.checkpoint:
            extra["checkpoint"] = args.checkpoint
        if args.resume:
            if not args.checkpoint:
                raise InputError("--resume needs --checkpoint PATH")
            extra["resume"] = True
        average = args.average
        if average is not None and not 0 <= average < 1:
            raise InputError(f"--average must be in [0, 1), got {average}")
        if args.pack is not None and args.pack < 1:
            raise InputError(f"--pack must be at least 1, got {args.pack}")
        for flag in ("r1", "instance_noise"):
            value = getattr(args, flag)
            if value is not None and not value >= 0:
                raise InputError(f"--{flag.replace('_', '-')} must be at least 0, got {value}")
        if args.lipschitz is not None and not args.lipschitz > 0:
            raise InputError(f"--lipschitz must be positive, got {args.lipschitz}")
        options.solver_options = {**options.solver_options, **extra}
        return run_gan(
            dataset=args.dataset, loss=args.loss, images=args.images, image_size=args.image_size,
            backend=backend, options=options, samples_png=args.samples,
            algorithm=args.algorithm, steps=args.steps, batch_size=args.batch_size, lr_g=args.lr_g,
            lr_d=args.lr_d, optimizer=args.optimizer, average=average,
            lr_decay=args.lr_decay, hidden=args.hidden, noise_dim=args.noise_dim, device=args.device, seed=args.seed,
            pack=args.pack, r1=args.r1, lipschitz=args.lipschitz, positive=args.positive,
            instance_noise=args.instance_noise,
        )


PROBLEM = Gan()
