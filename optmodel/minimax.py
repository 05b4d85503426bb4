"""Minimax (saddle-point) problems over torch parameters, stated once and solved by stochastic gradients.

A ``Minimax`` names its *players* (parameter groups: torch modules or tensors), each minimising
or maximising; an *objective*, a differentiable function of the players' parameters and of a
*batch* drawn from named *samplers* (data, noise); and *constraints* such as ``d > 0``, enforced
by parametrisation (``d = exp(T)`` or ``softplus(T)``), never by clamping. The lecture's GAN::

    game = Minimax(name="gan")
    d = game.positive(T, via="exp", name="d")   # the discriminator d_φ = exp(T_φ) > 0
    game.sampler("data", data_sampler(points))
    game.sampler("noise", noise_sampler(2))
    game.objective = lambda b: -d.log(b["data"]).mean() + d(G(b["noise"])).mean()
    game.player("generator", G, "max", lr=2e-4)
    game.player("discriminator", T, "min", lr=8e-4)
    m = Model("gan"); m.maximize(game)        # max_θ min_φ L(θ, φ)
    sol = m.solve("torch:optimistic", solver_options={"steps": 4000})

The first player is the outermost; the model's sense must be that player's sense (``saddle``
sets both). torch is imported only when a spec needs it (``positive``, the samplers).

A solve returns the trained parameters on the ``Solution`` (``trained_parameters(sol)``: a copy of
every player's tensors, by player name), not column values: ``sol.x`` is None. ``Minimax.verify``
checks that point the way optmodel checks any other.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Capability
from optmodel.errors import ModelError
from optmodel.solution import Solution, Verification

if TYPE_CHECKING:
    from optmodel.model import Model

Batch = dict[str, Any]  # sampler name -> tensor
Parameters = dict[str, list[Any]]  # player name -> its trained tensors, in ``Player.parameters()`` order
Sampler = Callable[[int, Any, Any], Any]  # (n, torch.Generator, device) -> tensor
SENSES = ("min", "max")
POSITIVE_VIA = ("exp", "softplus")


@dataclass
class Player:
    """A parameter group that minimises or maximises the objective (or its own ``objective``)."""

    name: str
    params: Any  # a torch.nn.Module, a tensor, or a sequence of them
    sense: str = "min"
    lr: float = 1e-3
    # A player's own loss makes the game general-sum (e.g. the non-saturating GAN generator);
    # it is minimised or maximised by ``sense`` like the shared objective.
    objective: Callable[[Batch], Any] | None = None
    # A regulariser this player alone pays, always minimised (added to its loss whatever its sense),
    # e.g. an R1 gradient penalty on the discriminator; the other players' gradients do not see it.
    penalty: Callable[[Batch], Any] | None = None
    # PacGAN packing: the player's modules see ``pack`` samples at once; an input of shape (n, k...)
    # is viewed as (n / pack, pack·k) (so they are built with pack·k inputs). 1: no packing.
    pack: int = 1

    def parameters(self) -> list[Any]:
        """The trainable tensors of this player, in a fixed order."""
        items = self.params if isinstance(self.params, (list, tuple)) else [self.params]
        out: list[Any] = []
        for item in items:
            if hasattr(item, "parameters") and callable(item.parameters):
                out.extend(p for p in item.parameters() if p.requires_grad)
            else:
                out.append(item)
        return out

    def modules(self) -> list[Any]:
        items = self.params if isinstance(self.params, (list, tuple)) else [self.params]
        return [item for item in items if hasattr(item, "state_dict") and hasattr(item, "parameters")]


@dataclass
class PositiveConstraint:
    """``name(x) > 0`` for all x, by the parametrisation ``via`` of the raw module's output."""

    name: str
    via: str
    module: Any

    def __str__(self) -> str:
        return f"{self.name}(x) > 0 for all x, as {self.name} = {self.via}(T(x))"


@dataclass
class Minimax:
    """A saddle-point problem: players, a differentiable objective of sampled batches, constraints."""

    objective: Callable[[Batch], Any] | None = None
    players: list[Player] = field(default_factory=list)
    samplers: dict[str, Sampler] = field(default_factory=dict)
    batch_size: int = 256
    constraints: list[PositiveConstraint] = field(default_factory=list)
    name: str = "minimax"
    # What a checkpoint must have been trained on to be resumed, beside the players' shapes: the
    # dataset and its options, the loss (JSON-like values; compared key by key on resume).
    fingerprint: dict[str, Any] = field(default_factory=dict)
    # Filled by the solver: one row per logged step {"step", "<player>": loss, ...}.
    history: list[dict[str, float]] = field(default_factory=list)

    requirement = Capability.MINIMAX

    def player(
        self,
        name: str,
        params: Any,
        sense: str = "min",
        lr: float = 1e-3,
        objective: Callable[[Batch], Any] | None = None,
        penalty: Callable[[Batch], Any] | None = None,
        pack: int = 1,
    ) -> Player:
        """Add a player; the first one added is the outermost (``max_θ min_φ``: θ first).

        ``penalty(batch)``: a regulariser only this player pays (minimised whatever its sense).
        ``pack``: the player's modules judge ``pack`` samples at once (PacGAN); each module's input
        (n, k...) is viewed as (n / pack, pack·k), so build them with pack·k inputs.
        """
        if sense not in SENSES:
            raise ModelError(f"player {name!r}: sense must be 'min' or 'max', got {sense!r}")
        if any(p.name == name for p in self.players):
            raise ModelError(f"a player named {name!r} already exists")
        if not lr > 0:
            raise ModelError(f"player {name!r}: the learning rate must be positive, got {lr}")
        if not (isinstance(pack, int) and pack >= 1):
            raise ModelError(f"player {name!r}: pack must be a whole number >= 1, got {pack!r}")
        p = Player(name, params, sense, float(lr), objective, penalty, pack)
        if not p.parameters():
            raise ModelError(f"player {name!r} has no trainable parameters")
        if pack > 1:
            mods = p.modules()
            if not mods:
                raise ModelError(f"player {name!r}: pack needs torch modules (their inputs are regrouped)")
            for mod in mods:
                mod.register_forward_pre_hook(_pack_hook(name, pack))
        self.players.append(p)
        return p

    def sampler(self, name: str, sample: Sampler) -> None:
        """A named source of batch data: ``sample(n, generator, device) -> tensor``. Every batch also
        holds ``batch["progress"]``, the fraction of the step budget done (a float in [0, 1])."""
        if name == "progress":
            raise ModelError("'progress' is the batch's training progress; name the sampler otherwise")
        self.samplers[name] = sample

    def positive(self, module: Any, via: str = "exp", name: str = "d") -> Any:
        """``module``'s output made positive by ``via``: returns a module ``d`` with ``d(x) > 0``
        and ``d.log(x)`` (exact log d, no overflow for exp); the constraint is recorded."""
        if via not in POSITIVE_VIA:
            raise ModelError(f"positivity by {via!r} is not supported; use one of {', '.join(POSITIVE_VIA)}")
        wrapped = _positive_class()(module, via)
        self.constraints.append(PositiveConstraint(name, via, wrapped))
        return wrapped

    def check(self) -> None:
        """Raise ``ModelError`` for a spec that cannot be solved as stated."""
        if self.objective is None and not all(p.objective for p in self.players):
            raise ModelError(f"minimax {self.name!r} has no objective")
        if len(self.players) < 1:
            raise ModelError(f"minimax {self.name!r} has no players")
        for p in self.players:
            if self.batch_size % p.pack:
                raise ModelError(f"player {p.name!r} packs {p.pack} samples: the batch size {self.batch_size} "
                                 "must be a multiple of it")
        seen: set[int] = set()
        for p in self.players:
            ids = {id(t) for t in p.parameters()}
            if ids & seen:
                raise ModelError(f"player {p.name!r} shares parameters with another player")
            seen |= ids

    def verify(self, sol: Solution) -> Verification:
        """optmodel's own check of a minimax result: its point is the trained parameters.

        Every parameter must be finite, and so must the reported objective where the game has a
        shared one (a general-sum game of players' own losses reports none). Positivity holds by
        parametrisation, so finiteness is the whole of feasibility. A stochastic objective has no
        exact value to recompute (the backend's is already an estimate on held-out batches at the
        returned point), so ``objective_recomputed`` stays None. Pure: calling it twice is harmless.
        """
        v = Verification()
        params = trained_parameters(sol)
        if params is None:
            v.feasible = v.point = False
            v.problems.append("the solver returned no parameters")
            return v
        for player in self.players:
            tensors = params.get(player.name)
            if tensors is None:
                v.problems.append(f"no parameters were returned for player {player.name!r}")
                continue
            counts = [_non_finite(t) for t in tensors]
            bad = [f"{n} of {size} in tensor {i}" for i, (n, size) in enumerate(counts) if n]
            if bad:
                more = f" and {len(bad) - 3} more tensors" if len(bad) > 3 else ""
                v.problems.append(f"player {player.name!r} has non-finite parameters: {', '.join(bad[:3])}{more}")
        if self.objective is not None:
            if sol.objective is None:
                v.problems.append("no objective value was reported")
            elif not math.isfinite(sol.objective):
                v.problems.append(f"the objective {sol.objective} is not finite")
        v.feasible = not v.problems
        return v

    def describe(self) -> list[str]:
        """The spec in words: who optimises what, subject to which constraints."""
        lines = []
        for p in self.players:
            extra = [f"lr {p.lr:g}"] + ([f"sees packs of {p.pack} samples"] if p.pack > 1 else [])
            extra += ["pays its own penalty"] if p.penalty is not None else []
            lines.append(f"{p.sense} over {p.name} ({', '.join(extra)})")
        lines += [f"subject to {c}" for c in self.constraints]
        if self.samplers:
            lines.append(f"batches of {self.batch_size} from: {', '.join(self.samplers)}")
        return lines


def trained_parameters(sol: Solution) -> Parameters | None:
    """The point a minimax solve returned: ``{player name: [tensors]}`` (copies, on the CPU), or
    None where training returned nothing usable (divergence, an abort)."""
    return getattr(sol, "parameters", None)


def _non_finite(t: Any) -> tuple[int, int]:
    """How many entries of a tensor (or array) are NaN or infinite, and how many there are."""
    if hasattr(t, "isfinite"):
        return int((~t.detach().isfinite()).sum()), int(t.numel())
    a = np.asarray(t, dtype=float)
    return int((~np.isfinite(a)).sum()), int(a.size)


def saddle(model: Model, game: Minimax) -> Minimax:
    """Make ``game`` the objective of ``model`` with the outermost player's sense."""
    game.check()
    if game.players[0].sense == "max":
        model.maximize(game)
    else:
        model.minimize(game)
    return game


def data_sampler(data: Any) -> Sampler:
    """Rows of ``data`` (array or tensor) drawn uniformly with replacement."""
    state: dict[Any, Any] = {}

    def sample(n: int, generator: Any, device: Any) -> Any:
        import torch

        key = str(device)
        if key not in state:
            state[key] = torch.as_tensor(data, dtype=torch.float32).to(device)
        rows = state[key]
        idx = torch.randint(0, rows.shape[0], (n,), generator=generator, device=generator.device)
        return rows[idx.to(rows.device)]

    return sample


def noise_sampler(dim: int, kind: str = "normal", standardize: bool = False) -> Sampler:
    """Noise ``z`` of shape (n, dim): standard normal or uniform(0, 1). ``standardize`` rescales
    each batch to mean 0 and (biased) variance 1 per column, for exact saddle-point checks."""
    if kind not in ("normal", "uniform"):
        raise ModelError(f"noise kind must be 'normal' or 'uniform', got {kind!r}")

    def sample(n: int, generator: Any, device: Any) -> Any:
        import torch

        if kind == "normal":
            z = torch.randn(n, dim, generator=generator, device=generator.device)
        else:
            z = torch.rand(n, dim, generator=generator, device=generator.device)
        if standardize:
            z = (z - z.mean(0)) / z.std(0, unbiased=False)
        return z.to(device)

    return sample


def _pack_hook(player: str, pack: int) -> Callable[..., Any]:
    """A forward pre-hook that regroups a module's input (n, k...) into (n / pack, pack·k)."""

    def hook(_module: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
        x = args[0]
        if x.shape[0] % pack:
            raise ModelError(f"player {player!r} packs {pack} samples, but got a batch of {x.shape[0]}")
        return (x.reshape(x.shape[0] // pack, -1), *args[1:])

    return hook


@cache
def _positive_class() -> type:
    import torch
    import torch.nn.functional as tnf

    class Positive(torch.nn.Module):
        """d(x) = via(T(x)) > 0; ``log`` is computed without forming d (no overflow)."""

        def __init__(self, raw: torch.nn.Module, via: str):
            super().__init__()
            self.raw, self.via = raw, via

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.of(self.raw(x))

        def log(self, x: torch.Tensor) -> torch.Tensor:
            return self.log_of(self.raw(x))

        def of(self, t: torch.Tensor) -> torch.Tensor:
            """d from the raw output t = T(x) (to evaluate T once on several batches at a time)."""
            return torch.exp(t) if self.via == "exp" else tnf.softplus(t)

        def log_of(self, t: torch.Tensor) -> torch.Tensor:
            """log d from the raw output t = T(x)."""
            if self.via == "exp":
                return t
            # log softplus(t), stable for very negative t where softplus(t) ≈ exp(t).
            return torch.where(t < -20, t, torch.log(tnf.softplus(t)))

    return Positive
