"""Stochastic-gradient minimax in torch: gradient descent-ascent and its saddle-point variants.

Sub-solvers (the algorithm): ``simultaneous`` GDA, ``alternating`` GDA (inner player first),
``extragradient`` (Korpelevich; with Adam this is Gidel et al.'s Extra-Adam) and ``optimistic``
(optimistic Adam, Daskalakis et al. 2018: θ -= η(2u_t − u_{t−1})). Every player has its own
learning rate (two time-scales). ``solver_options``:

  steps (1000), optimizer ("adam" | "sgd"), betas ((0.5, 0.999)), lr ({player: lr} overrides),
  inner_steps ({player: k}, alternating only), lr_decay ("none" | "linear" | "cosine" | "late":
  constant, then linear to 0 over the second half; or {player: schedule}),
  average (EMA decay of the iterates, e.g. 0.999; the averaged point is returned), device
  ("auto" | "cpu" | "cuda"), autocast ("auto": bf16 on CUDA only | "on" | "off"), seed (0),
  progress (default: stderr is a tty), log_every (50), checkpoint (path), checkpoint_every (500),
  resume (False), eval_batches (8), compile (False | True | "reduce-overhead" | "max-autotune":
  torch.compile of the objectives).

A player's ``penalty`` is added to its own gradient only; a player's ``pack`` is applied by its
modules (``optmodel.minimax``), not here. Every batch carries ``progress`` (the fraction of the
steps done) for annealed terms. A non-finite loss or gradient is detected by one reduction per
step, read every step on the CPU and at log and checkpoint steps on a GPU (no per-step sync).
Checkpoints carry a SHA-256 of their payload and what the run was trained on
(``Minimax.fingerprint``, constraints, shapes, algorithm); ``read_checkpoint`` checks both.

The loop stops between steps at the step budget (``iteration_limit``), at ``time_limit``
(``time_limit``) or on Ctrl-C (``interrupted``: ``optmodel.interrupt``'s stop request, polled every
step); each returns the current (or averaged) parameters (``minimax.trained_parameters(sol)``) and
writes the checkpoint first when one was asked for. A KeyboardInterrupt inside a step (a second
Ctrl-C) returns no parameters: the step in flight may be half done.

Under ``torchrun`` (WORLD_SIZE > 1) each process samples its own batches and the players'
gradients are averaged across processes every step (gloo on CPU, NCCL on GPUs), which is what
DistributedDataParallel does; the result reports ``world_size``.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from optmodel.backend import Backend, Capability, SolveOptions
from optmodel.errors import InputError, ModelError, OptmodelError
from optmodel.interrupt import stop_requested
from optmodel.solution import Solution, SolutionStatus, Status, Termination

if TYPE_CHECKING:
    import torch

    from optmodel.minimax import Minimax
    from optmodel.model import Model

_MINIMAX = frozenset({Capability.MINIMAX})
ALGORITHMS = ("simultaneous", "alternating", "extragradient", "optimistic")
LR_DECAYS = ("none", "linear", "cosine", "late")
_DEFAULTS: dict[str, Any] = {
    "steps": 1000,
    "optimizer": "adam",
    "betas": (0.5, 0.999),
    "eps": 1e-8,
    "lr": {},
    "inner_steps": {},
    "lr_decay": "none",
    "average": None,
    "device": "auto",
    "autocast": "auto",
    "seed": 0,
    "progress": None,
    "log_every": 50,
    "checkpoint": None,
    "checkpoint_every": 500,
    "resume": False,
    "eval_batches": 8,
    "compile": False,
}


class TorchMinimax(Backend):
    name = "torch"
    description = "stochastic-gradient minimax in torch (GDA, alternating, extragradient, optimistic Adam)"
    modules = ("torch",)
    distribution = "torch"
    subsolvers = {alg: _MINIMAX for alg in ALGORITHMS}

    def why_not(self, model: Model) -> str | None:
        needs = model.requirements()
        if Capability.MINIMAX not in needs:
            return f"{self.label} solves minimax models only (an optmodel.minimax.Minimax objective)"
        if model.num_vars or model.num_rows:
            return f"{self.label} cannot take optmodel variables or linear constraints next to a minimax objective"
        extra = needs - {Capability.MINIMAX}
        if extra:
            return f"{self.label} cannot solve {'/'.join(sorted(c.value for c in extra))} models"
        return None

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        from optmodel.minimax import Minimax

        game = model.objective.expr if model.objective is not None else None
        if not isinstance(game, Minimax):
            raise ModelError("the torch backend solves models whose objective is an optmodel.minimax.Minimax")
        game.check()
        outer = game.players[0].sense
        if outer != model.objective.sense.value[:3]:
            raise ModelError(
                f"the model {model.objective.sense.value}s but its outermost player {game.players[0].name!r} "
                f"{outer}imises; use optmodel.minimax.saddle(model, game)"
            )
        opts = dict(_DEFAULTS)
        unknown = set(options.solver_options) - set(_DEFAULTS)
        if unknown:
            raise OptmodelError(f"unknown torch solver options: {', '.join(sorted(unknown))}")
        opts.update(options.solver_options)
        import torch

        threads = torch.get_num_threads()
        trainer = None
        try:
            trainer = _Trainer(game, self.subsolver, opts, options)
            return trainer.run()  # verified by the objective kind in the core
        finally:
            torch.set_num_threads(threads)
            if trainer is not None:
                trainer.close()


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when present (this process's local GPU under torchrun), else CPU."""
    import torch

    if name not in ("auto", "cpu", "cuda") and not name.startswith("cuda:"):
        raise InputError(f"unknown device {name!r}; use auto, cpu or cuda")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise OptmodelError("--device cuda was asked for but torch sees no CUDA GPU here")
        if name == "cuda":
            name = f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}"
    return torch.device(name)


class _Optimizer:
    """Adam or SGD over one player's tensors, with the optimistic correction as an option.

    Written out (rather than torch.optim) so that the optimistic step and the checkpointed state
    are explicit.
    """

    def __init__(self, params: list[Any], lr: float, kind: str, betas: Any, eps: float, optimistic: bool):
        import torch

        if kind not in ("adam", "sgd"):
            raise OptmodelError(f"unknown optimizer {kind!r}; use adam or sgd")
        self.params, self.lr, self.kind, self.optimistic = params, lr, kind, optimistic
        self.beta1, self.beta2 = (float(b) for b in betas)
        self.eps = eps
        self.t = 0
        self.m = [torch.zeros_like(p) for p in params]
        self.v = [torch.zeros_like(p) for p in params] if kind == "adam" else []
        self.prev = [torch.zeros_like(p) for p in params] if optimistic else []

    def step(self, grads: list[Any], scale: float = 1.0) -> None:
        import torch

        self.t += 1
        lr = self.lr * scale
        # Multi-tensor (foreach) kernels: one call per operation for all of the player's tensors,
        # the same arithmetic as the per-tensor formulas, in the same order.
        with torch.no_grad():
            if self.kind == "adam":
                torch._foreach_mul_(self.m, self.beta1)
                torch._foreach_add_(self.m, grads, alpha=1 - self.beta1)
                torch._foreach_mul_(self.v, self.beta2)
                torch._foreach_addcmul_(self.v, grads, grads, value=1 - self.beta2)
                mhat = torch._foreach_div(self.m, 1 - self.beta1**self.t)
                denom = torch._foreach_div(self.v, 1 - self.beta2**self.t)
                torch._foreach_sqrt_(denom)
                torch._foreach_add_(denom, self.eps)
                u = torch._foreach_div(mhat, denom)  # mhat / (sqrt(vhat) + eps)
            else:
                u = list(grads)
            if self.optimistic:
                move = torch._foreach_mul(u, 2.0)
                torch._foreach_sub_(move, self.prev)
                torch._foreach_mul_(move, lr)
                torch._foreach_sub_(self.params, move)  # θ -= η(2u_t − u_{t−1})
                torch._foreach_copy_(self.prev, u)
            else:
                torch._foreach_sub_(self.params, torch._foreach_mul(u, lr))

    def state_dict(self) -> dict[str, Any]:
        return {"t": self.t, "m": [x.cpu() for x in self.m], "v": [x.cpu() for x in self.v],
                "prev": [x.cpu() for x in self.prev]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.t = int(state["t"])
        for mine, saved in ((self.m, state["m"]), (self.v, state["v"]), (self.prev, state["prev"])):
            if len(mine) != len(saved):
                raise InputError("the checkpoint's optimizer state does not match this optimizer")
            for x, y in zip(mine, saved):
                x.copy_(y)


class _Diverged(Exception):
    pass


class _Trainer:
    def __init__(self, game: Minimax, algorithm: str, opts: dict[str, Any], options: SolveOptions):
        import torch
        import torch.distributed as dist

        self.game, self.algorithm, self.opts, self.options = game, algorithm, opts, options
        self.steps = int(opts["steps"])
        if self.steps < 0:
            raise InputError("the number of steps must be at least 0")
        self.world_size = int(os.environ.get("WORLD_SIZE", "1"))
        self.rank = int(os.environ.get("RANK", "0"))
        self.device = resolve_device(str(opts["device"]))
        self.own_group = False
        if self.world_size > 1 and not dist.is_initialized():
            if self.device.type == "cuda":
                torch.cuda.set_device(self.device)
            dist.init_process_group("nccl" if self.device.type == "cuda" else "gloo")
            self.own_group = True
        # Small networks gain nothing from intra-op threads, and on a busy machine the threads'
        # spinning costs 10-30x (measured); one thread on CPU unless asked otherwise.
        if options.threads or self.device.type == "cpu":
            torch.set_num_threads(int(options.threads or 1))
        autocast = str(opts["autocast"])
        if autocast not in ("auto", "on", "off"):
            raise InputError(f"autocast must be auto, on or off, got {autocast!r}")
        self.amp = autocast == "on" or (autocast == "auto" and self.device.type == "cuda")
        # torch.compile of the objectives (not of penalties: a double backward through a compiled
        # graph is not supported). A mode string ("reduce-overhead": CUDA graphs) or True.
        compile_mode = opts["compile"]
        if compile_mode not in (False, True, None, "default", "reduce-overhead", "max-autotune"):
            raise InputError(f"compile must be true, false, default, reduce-overhead or max-autotune, "
                             f"got {compile_mode!r}")
        self.compiled: dict[int, Any] = {}
        if compile_mode:
            kw = {} if compile_mode is True else {"mode": compile_mode}
            fns = [game.objective] + [p.objective for p in game.players]
            for fn in fns:
                if fn is not None and id(fn) not in self.compiled:
                    self.compiled[id(fn)] = torch.compile(fn, **kw)
        for p in game.players:
            for mod in p.modules():
                mod.to(self.device)
            for t in p.parameters():
                if t.device != self.device:
                    t.data = t.data.to(self.device)
        self.params = [p.parameters() for p in game.players]
        self.signs = [1.0 if p.sense == "min" else -1.0 for p in game.players]
        lrs = dict(opts["lr"] or {})
        unknown = set(lrs) - {p.name for p in game.players}
        if unknown:
            raise OptmodelError(f"learning rates given for unknown players: {', '.join(sorted(unknown))}")
        self.optimizers = [
            _Optimizer(ps, float(lrs.get(p.name, p.lr)), str(opts["optimizer"]), opts["betas"], float(opts["eps"]),
                       algorithm == "optimistic")
            for p, ps in zip(game.players, self.params)
        ]
        self.inner = [int((opts["inner_steps"] or {}).get(p.name, 1)) for p in game.players]
        # One schedule for everyone, or {player: schedule} (players not named keep their rate).
        decay = opts["lr_decay"]
        names = [p.name for p in game.players]
        if isinstance(decay, dict):
            unknown = set(decay) - set(names)
            if unknown:
                raise OptmodelError(f"lr_decay given for unknown players: {', '.join(sorted(unknown))}")
            self.decay = [str(decay.get(n, "none")) for n in names]
        else:
            self.decay = [str(decay)] * len(names)
        for kind in self.decay:
            if kind not in LR_DECAYS:
                raise InputError(f"lr_decay must be one of {', '.join(LR_DECAYS)}, got {kind!r}")
        self.average = opts["average"]
        self.ema = [[t.detach().clone() for t in ps] for ps in self.params] if self.average else None
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(int(opts["seed"]) * 1000003 + self.rank)
        if self.world_size > 1:
            # Every replica starts from rank 0's parameters, as DistributedDataParallel does.
            with torch.no_grad():
                for ps in self.params:
                    for t in ps:
                        dist.broadcast(t.data, 0)
        self.step = 0
        self._finite: Any = None  # a device-side "every loss and gradient since the last check is finite"
        # Under torchrun a stop (Ctrl-C, the time limit) travels with the step's gradients, so that
        # every process stops after the same step: [interrupted, time limit], summed over processes.
        self.stop_flags: Any = None
        self.agreed_stop: Termination | None = None
        self.last_checkpoint: tuple[str, int] | None = None
        self.resumed_from: int | None = None
        ckpt = opts["checkpoint"]
        self.checkpoint = None if ckpt is None else str(ckpt)
        self.every = int(opts["checkpoint_every"])
        if opts["resume"] and self.checkpoint is None:
            raise InputError("resume needs a checkpoint path")
        if self.checkpoint is not None:
            check_checkpoint_path(self.checkpoint, bool(opts["resume"]))
        if opts["resume"]:
            self._load(self.checkpoint)

    # --- gradients -------------------------------------------------------------------------------
    def _batch(self) -> dict[str, Any]:
        n = self.game.batch_size
        batch = {name: s(n, self.generator, self.device) for name, s in self.game.samplers.items()}
        # How far training is, in [0, 1], for annealed terms (instance noise): a plain float.
        batch["progress"] = min(self.step / self.steps, 1.0) if self.steps else 1.0
        return batch

    def _value(self, fn: Any, batch: dict[str, Any]) -> Any:
        import torch

        fn = self.compiled.get(id(fn), fn)
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.amp):
            out = fn(batch)
        return out.float()

    def _grads(self, who: list[int], batch: dict[str, Any]) -> tuple[dict[int, list[Any]], dict[int, Any]]:
        """Signed gradients (descent directions' negatives) and loss values (0-d tensors) of players
        ``who``; whether all are finite is folded into ``self._finite`` (no device sync here)."""
        import torch

        grads: dict[int, list[Any]] = {}
        values: dict[int, Any] = {}
        shared = [i for i in who if self.game.players[i].objective is None]
        groups = ([shared] if shared else []) + [[i] for i in who if i not in shared]
        for group in groups:
            own = self.game.players[group[0]].objective
            value = self._value(own or self.game.objective, batch)
            flat = [t for i in group for t in self.params[i]]
            gs = torch.autograd.grad(value, flat, allow_unused=True)
            k = 0
            for i in group:
                n = len(self.params[i])
                full = [torch.zeros_like(t) if g is None else g for t, g in zip(self.params[i], gs[k:k + n])]
                grads[i] = list(torch._foreach_mul(full, self.signs[i]))
                values[i] = value.detach()
                k += n
        for i in who:  # a player's own regulariser: minimised whatever its sense, unseen by the others
            penalty = self.game.players[i].penalty
            if penalty is not None:
                pgs = torch.autograd.grad(self._value(penalty, batch), self.params[i], allow_unused=True)
                grads[i] = [g if pg is None else g + pg for g, pg in zip(grads[i], pgs)]
        if self.world_size > 1:
            self._all_reduce(who, grads, values)
        # One finiteness test for the step: the losses and every gradient's norm (a NaN or inf
        # anywhere makes its norm non-finite), kept on the device until ``_check_finite``.
        norms = torch._foreach_norm([g for i in who for g in grads[i]])
        ok = torch.isfinite(torch.stack([*norms, *(values[i].to(norms[0].device) for i in who)])).all()
        self._finite = ok if self._finite is None else self._finite & ok
        return grads, values

    def _check_finite(self, losses: dict[int, Any]) -> None:
        """Raise ``_Diverged`` if a loss or gradient since the last check was not finite. On the CPU
        this runs every step; on a GPU only at logs, checkpoints and the end (a sync per step would
        cost throughput), so a divergence is reported up to ``log_every`` steps late."""
        if self._finite is None:
            return
        ok, self._finite = bool(self._finite), None
        if not ok:
            bad = ", ".join(f"{self.game.players[i].name} {float(v):.4g}" for i, v in losses.items())
            raise _Diverged(f"non-finite loss or gradient ({bad})")

    def _all_reduce(self, who: list[int], grads: dict[int, list[Any]], values: dict[int, Any]) -> None:
        import torch
        import torch.distributed as dist

        # One bucket per call: the gradients, the loss values and the stop flags, averaged over the
        # processes (a flag > 0 afterwards: some process asked to stop).
        flags = self.stop_flags if self.stop_flags is not None else torch.zeros(2)
        parts = [g.reshape(-1) for i in who for g in grads[i]] + [values[i].reshape(1) for i in who]
        parts.append(flags.to(device=parts[0].device, dtype=parts[0].dtype))
        flat = torch.cat(parts)
        dist.all_reduce(flat)
        flat /= self.world_size
        interrupted, timed_out = (float(f) for f in flat[-2:])
        if interrupted > 0:
            self.agreed_stop = Termination.INTERRUPTED
        elif timed_out > 0 and self.agreed_stop is None:
            self.agreed_stop = Termination.TIME_LIMIT
        k = 0
        for i in who:
            for j, g in enumerate(grads[i]):
                grads[i][j] = flat[k:k + g.numel()].view_as(g)
                k += g.numel()
        for i in who:
            values[i] = flat[k]
            k += 1

    def _scale(self, kind: str) -> float:
        """The learning-rate factor of schedule ``kind`` at this step."""
        frac = self.step / max(self.steps, 1)
        if kind == "linear":
            return max(1.0 - frac, 0.0)
        if kind == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * frac))
        if kind == "late":  # constant for the first half, then linear to 0
            return min(1.0, max(2.0 * (1.0 - frac), 0.0))
        return 1.0

    def _one_step(self) -> dict[int, Any]:
        import torch

        everyone = list(range(len(self.game.players)))
        scales = [self._scale(kind) for kind in self.decay]
        if self.algorithm == "alternating":
            losses: dict[int, Any] = {}
            for i in reversed(everyone):  # the innermost player moves first
                for _ in range(self.inner[i]):
                    grads, lv = self._grads([i], self._batch())
                    self.optimizers[i].step(grads[i], scales[i])
                    losses.update(lv)
            return losses
        grads, losses = self._grads(everyone, self._batch())
        if self.algorithm == "extragradient":
            saved = [[t.detach().clone() for t in ps] for ps in self.params]
            for i in everyone:
                self.optimizers[i].step(grads[i], scales[i])
            grads, losses = self._grads(everyone, self._batch())
            with torch.no_grad():
                for ps, old in zip(self.params, saved):
                    for t, o in zip(ps, old):
                        t.copy_(o)
        for i in everyone:  # simultaneous, optimistic, and extragradient's update from the saved point
            self.optimizers[i].step(grads[i], scales[i])
        return losses

    # --- checkpoints -----------------------------------------------------------------------------
    def _signature(self) -> list[Any]:
        return [[p.name, p.sense, [list(t.shape) for t in ps]] for p, ps in zip(self.game.players, self.params)]

    def _save(self, path: str) -> None:
        if self.rank != 0:
            return
        state = {
            "step": self.step,
            "algorithm": self.algorithm,
            "game": self.game.name,
            "fingerprint": self.game.fingerprint,
            "constraints": [str(c) for c in self.game.constraints],
            "signature": self._signature(),
            "params": [[t.detach().cpu() for t in ps] for ps in self.params],
            "buffers": [[b.cpu() for m in p.modules() for b in m.buffers()] for p in self.game.players],
            "optimizers": [o.state_dict() for o in self.optimizers],
            "ema": None if self.ema is None else [[t.cpu() for t in ps] for ps in self.ema],
            "generator": self.generator.get_state(),
            "history": self.game.history,
        }
        write_checkpoint(state, path)
        self.last_checkpoint = (path, self.step)

    def _load(self, path: str) -> None:
        import torch

        state = read_checkpoint(path)
        self._check_compatible(state, path)
        self._check_well_formed(state, path)
        with torch.no_grad():
            for ps, saved in zip(self.params, state["params"]):
                for t, s in zip(ps, saved):
                    t.copy_(s)
            for p, saved in zip(self.game.players, state["buffers"]):
                for b, s in zip([b for m in p.modules() for b in m.buffers()], saved):
                    b.copy_(s)
            if self.ema is not None and state["ema"] is not None:
                for ps, saved in zip(self.ema, state["ema"]):
                    for t, s in zip(ps, saved):
                        t.copy_(s)
        for o, s in zip(self.optimizers, state["optimizers"]):
            o.load_state_dict(s)
        gen_state = state["generator"]
        if self.rank != 0:  # other replicas continue their own streams, shifted deterministically
            gen = torch.Generator(device=self.device)
            gen.manual_seed(int(self.opts["seed"]) * 1000003 + self.rank + 7919 * int(state["step"]))
            gen_state = gen.get_state()
        self.generator.set_state(gen_state)
        self.step = int(state["step"])
        self.game.history[:] = list(state["history"])
        self.resumed_from = self.step
        self.last_checkpoint = (path, self.step)

    def _check_well_formed(self, state: dict[str, Any], path: str) -> None:
        """Every entry the resume copies has this run's types and shapes: a file with the right
        checksum but a state that says something else is refused before anything is changed."""
        import torch

        def fail(what: str) -> None:
            raise InputError(f"cannot resume: the checkpoint's {what} is malformed", path)

        def like(value: Any, refs: list[Any], what: str) -> None:
            if not isinstance(value, (list, tuple)) or len(value) != len(refs):
                fail(what)
            for v, r in zip(value, refs):
                if not isinstance(v, torch.Tensor) or v.shape != r.shape or v.dtype != r.dtype:
                    fail(what)

        step = state.get("step")
        if not isinstance(step, int) or isinstance(step, bool) or not 0 <= step < 2**62:
            fail("step count")
        for key, refs in (("params", self.params), ("ema", self.ema if self.ema is not None else None),
                          ("buffers", [[b for m in p.modules() for b in m.buffers()] for p in self.game.players])):
            value = state.get(key)
            if refs is None:
                continue
            if not isinstance(value, (list, tuple)) or len(value) != len(refs):
                fail(key)
            for v, r in zip(value, refs):
                like(v, r, key)
        optimizers = state.get("optimizers")
        if not isinstance(optimizers, (list, tuple)) or len(optimizers) != len(self.optimizers):
            fail("optimizer state")
        for o, saved in zip(self.optimizers, optimizers):
            t = saved.get("t") if isinstance(saved, dict) else None
            if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < 2**62:
                fail("optimizer state")
            for name in ("m", "v", "prev"):
                like(saved.get(name), getattr(o, name), "optimizer state")
        gen = state.get("generator")
        mine = self.generator.get_state()
        if not isinstance(gen, torch.Tensor) or gen.dtype != mine.dtype or gen.shape != mine.shape:
            fail("random generator state")
        history = state.get("history")
        if not isinstance(history, list) or not all(isinstance(row, dict) for row in history):
            fail("history")

    def _check_compatible(self, state: dict[str, Any], path: str) -> None:
        """Refuse, with the reason, a checkpoint of another game, data, network or algorithm."""
        for key in ("game", "fingerprint", "constraints", "signature", "algorithm"):
            if not _plain(state.get(key)):  # a damaged state may hold anything, a tensor included
                raise InputError(f"cannot resume: the checkpoint's {key} is malformed", path)
        if state.get("game") != self.game.name:
            raise InputError(f"cannot resume: the checkpoint is of the game {_shown(repr(state.get('game')))}, "
                             f"this run is {self.game.name!r}", path)
        saved_fp = state.get("fingerprint") or {}
        if not isinstance(saved_fp, dict):
            raise InputError("cannot resume: the checkpoint's data fingerprint is malformed", path)
        fp = dict(self.game.fingerprint)
        differ = [f"{_shown(k)} {_shown(repr(saved_fp.get(k)))} there, {_shown(repr(fp.get(k)))} here"
                  for k in sorted(set(saved_fp) | set(fp)) if saved_fp.get(k) != fp.get(k)]
        if differ:
            raise InputError(f"cannot resume: the checkpoint was trained on other data ({'; '.join(differ)})", path)
        saved_c, here_c = state.get("constraints") or [], [str(c) for c in self.game.constraints]
        if not isinstance(saved_c, list) or not all(isinstance(c, str) for c in saved_c):
            raise InputError("cannot resume: the checkpoint's constraints are malformed", path)
        if saved_c != here_c:
            raise InputError(f"cannot resume: the checkpoint's constraints are {_shown('; '.join(saved_c) or 'none')}, "
                             f"this run's are {'; '.join(here_c) or 'none'}", path)
        saved_sig, sig = state.get("signature"), self._signature()
        if saved_sig != sig:
            raise InputError(f"cannot resume: the checkpoint was written for other players or parameter shapes "
                             f"({_shown(_first_difference(saved_sig, sig))})", path)
        if state.get("algorithm") != self.algorithm:
            written = _shown(state.get("algorithm"))
            raise InputError(f"cannot resume: the checkpoint was written by torch:{written}, "
                             f"not torch:{self.algorithm}", path)
        if (state.get("ema") is None) != (self.ema is None):
            had = "with" if state.get("ema") is not None else "without"
            raise InputError(f"cannot resume: the checkpoint was trained {had} iterate averaging (average); "
                             "give the same setting", path)

    # --- the loop --------------------------------------------------------------------------------
    def run(self) -> Solution:
        import torch
        from tqdm import tqdm

        progress = self.opts["progress"]
        if progress is None:
            progress = sys.stderr.isatty()
        progress = bool(progress) and self.rank == 0
        log_every = max(int(self.opts["log_every"]), 1)
        names = [p.name for p in self.game.players]
        start = time.perf_counter()
        termination, message = Termination.ITERATION_LIMIT, ""
        losses: dict[int, Any] = {}
        check_every = 1 if self.device.type == "cpu" else log_every
        first_unchecked = self.step + 1
        bar = tqdm(total=self.steps, initial=min(self.step, self.steps), file=sys.stderr, disable=not progress,
                   desc=f"{self.game.name} [{self.algorithm}]", dynamic_ncols=True, leave=False)
        first = self.step
        try:
            while self.step < self.steps:
                stop = self._stop_reason(start)
                if self.world_size > 1:  # acted on after this step, once every process knows
                    self.stop_flags = torch.tensor([stop is Termination.INTERRUPTED, stop is Termination.TIME_LIMIT],
                                                   dtype=torch.float32)
                    stop = None
                if stop is not None:
                    termination = stop
                    break
                losses = self._one_step()
                self._after_step()
                self.step += 1
                bar.update(1)
                logged = self.step % log_every == 0 or self.step == self.steps
                saving = bool(self.checkpoint) and self.every > 0 and self.step % self.every == 0
                if logged or saving or self.step % check_every == 0:
                    self._check_finite(losses)  # never log or save a diverged state
                    first_unchecked = self.step + 1
                if logged:
                    row = {"step": self.step, **{names[i]: float(v) for i, v in losses.items()}}
                    self.game.history.append(row)
                    bar.set_postfix({names[i]: f"{float(v):.4f}" for i, v in losses.items()}, refresh=False)
                if saving:
                    self._save(self.checkpoint)
                if self.agreed_stop is not None:
                    termination = self.agreed_stop
                    break
            self._check_finite(losses)
        except _Diverged as err:
            bar.close()
            where = (f"the last good checkpoint is {self.last_checkpoint[0]} (step {self.last_checkpoint[1]})"
                     if self.last_checkpoint else "no checkpoint was written (pass a checkpoint path to keep one)")
            at = (f"at step {self.step}" if first_unchecked >= self.step
                  else f"between steps {first_unchecked} and {self.step}")
            return self._result(
                Termination.NUMERICAL_ERROR, start, first, losses,
                f"training diverged {at}: {err}; {where}. Lower the learning rates "
                "or resume from the checkpoint with other settings.", values=False)
        except KeyboardInterrupt:
            # The step in flight may be half done (extragradient's extrapolation), so no new
            # checkpoint is written: the last periodic one is the consistent state.
            bar.close()
            where = (f"; resume from {self.last_checkpoint[0]} (step {self.last_checkpoint[1]})"
                     if self.last_checkpoint else "")
            return self._result(Termination.INTERRUPTED, start, first, losses,
                                f"interrupted at step {self.step + 1}{where}", values=False)
        bar.close()
        if self.checkpoint and self.every > 0 and self.step != (self.last_checkpoint or ("", -1))[1]:
            self._save(self.checkpoint)
        if self.ema is not None:
            with torch.no_grad():
                for ps, avg in zip(self.params, self.ema):
                    for t, a in zip(ps, avg):
                        t.copy_(a)
        return self._result(termination, start, first, losses, message)

    def _stop_reason(self, start: float) -> Termination | None:
        """Why this process would stop before the next step: Ctrl-C, the time limit, or not at all."""
        if stop_requested():
            return Termination.INTERRUPTED
        limit = self.options.time_limit
        if limit is not None and time.perf_counter() - start >= limit:
            return Termination.TIME_LIMIT
        return None

    def _after_step(self) -> None:
        import torch

        if self.ema is None:
            return
        beta = float(self.average)
        with torch.no_grad():
            for ps, avg in zip(self.params, self.ema):
                torch._foreach_lerp_(avg, [t.detach() for t in ps], 1.0 - beta)

    def _evaluate(self) -> float | None:
        """The shared objective on fresh batches (its own random stream), without gradients."""
        import torch

        if self.game.objective is None:
            return None
        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(self.opts["seed"]) + 12345)
        saved, self.generator = self.generator, gen
        try:
            with torch.no_grad():
                vals = [float(self._value(self.game.objective, self._batch()))
                        for _ in range(max(int(self.opts["eval_batches"]), 1))]
        finally:
            self.generator = saved
        return float(np.mean(vals))

    def _result(self, term: Termination, start: float, first: int, losses: dict[int, Any], message: str,
                values: bool = True) -> Solution:
        elapsed = time.perf_counter() - start
        done = self.step - first
        objective = self._evaluate() if values else None
        if values and not message:
            point = "the point is the last iterate" if self.ema is None else "the point is the averaged iterate"
            resume = ""
            if self.last_checkpoint and self.last_checkpoint[1] == self.step:
                resume = f"; checkpoint {self.last_checkpoint[0]} (resume to continue)"
            if term is Termination.TIME_LIMIT:
                message = f"time limit reached after {self.step} of {self.steps} steps: {point}{resume}."
            elif term is Termination.INTERRUPTED:
                message = f"interrupted after {self.step} of {self.steps} steps: {point}{resume}."
            else:
                message = (f"{self.step} steps of {self.algorithm} gradient descent-ascent; a stochastic-gradient "
                           f"method stops at its step budget: {point}.")
        sol = Solution(
            status=Status.ERROR,  # set by finalize_status after verification
            termination=term,
            solution_status=SolutionStatus.FEASIBLE if values else SolutionStatus.NO_SOLUTION,
            objective=objective,
            x=None,  # no canonical columns: the point is the players' parameters
            backend=f"torch:{self.algorithm}",
            solve_seconds=elapsed,
            message=message,
        )
        if values:
            sol.parameters = {  # read by minimax.trained_parameters
                p.name: [t.detach().to("cpu", copy=True) for t in ps] for p, ps in zip(self.game.players, self.params)
            }
        sol.stats = {
            "steps": self.step,
            "algorithm": self.algorithm,
            "optimizer": self.opts["optimizer"],
            "device": str(self.device),
            "autocast_bf16": self.amp,
            "world_size": self.world_size,
            "seconds_per_step": elapsed / done if done else None,
            "losses": {self.game.players[i].name: float(v) for i, v in losses.items()},
            "learning_rates": {p.name: o.lr for p, o in zip(self.game.players, self.optimizers)},
        }
        if self.resumed_from is not None:
            sol.stats["resumed_from_step"] = self.resumed_from
        if self.last_checkpoint:
            sol.stats["checkpoint"] = {"path": self.last_checkpoint[0], "step": self.last_checkpoint[1]}
        return sol

    def close(self) -> None:
        import torch.distributed as dist

        if self.own_group and dist.is_initialized():
            dist.barrier()
            dist.destroy_process_group()


# --- checkpoint files -------------------------------------------------------------------------------
# A checkpoint is MAGIC, the SHA-256 of the payload in hex and a newline, then the payload (torch.save
# of the state). The checksum makes any changed or truncated byte a clean refusal, before unpickling.
CHECKPOINT_MAGIC = b"optmodel-checkpoint 1\n"
_DIGEST_LEN = 64


def write_checkpoint(state: dict[str, Any], path: str) -> None:
    """Write ``state`` atomically (a temporary beside it, then a rename), with its checksum."""
    import hashlib
    import io

    import torch

    remove_stale_temporaries(path)
    buf = io.BytesIO()
    torch.save(state, buf)
    payload = buf.getbuffer()
    digest = hashlib.sha256(payload).hexdigest().encode()
    tmp = f"{path}.tmp{os.getpid()}"
    try:
        with open(tmp, "wb") as f:
            f.write(CHECKPOINT_MAGIC + digest + b"\n")
            f.write(payload)
        os.replace(tmp, path)  # atomic: a crash never leaves a half-written checkpoint
    except BaseException as err:  # a full disk, or a second Ctrl-C while writing: no temporary left
        with contextlib.suppress(OSError):
            os.remove(tmp)
        if isinstance(err, OSError):
            raise InputError(f"cannot write the checkpoint ({err.strerror or err})", path) from err
        raise


def read_checkpoint(path: str) -> dict[str, Any]:
    """The state a checkpoint holds, after checking its checksum; ``InputError`` for anything else."""
    import hashlib
    import io

    import torch

    remove_stale_temporaries(path)
    if os.path.isdir(path):
        raise InputError("the checkpoint path is a folder, not a checkpoint file", path)
    if not os.path.exists(path):
        raise InputError("no checkpoint to resume from", path)
    with open(path, "rb") as f:
        data = f.read()
    head = len(CHECKPOINT_MAGIC)
    if not data.startswith(CHECKPOINT_MAGIC) or data[head + _DIGEST_LEN:head + _DIGEST_LEN + 1] != b"\n":
        raise InputError("not a readable optmodel checkpoint (no optmodel checkpoint header)", path)
    digest = data[head:head + _DIGEST_LEN]
    payload = memoryview(data)[head + _DIGEST_LEN + 1:]
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise InputError("the checkpoint is corrupt: its contents do not match its checksum (a changed or "
                         "truncated file)", path)
    try:
        state = torch.load(io.BytesIO(payload), map_location="cpu", weights_only=True)
    except Exception as err:  # checksum right but not our payload: a file made to look like one
        raise InputError(f"not a readable optmodel checkpoint ({type(err).__name__})", path) from err
    if not isinstance(state, dict) or "step" not in state:
        raise InputError("not a readable optmodel checkpoint (no training state inside)", path)
    return state


def _plain(value: Any) -> bool:
    """Whether a value is made of plain Python data only (what checkpoint metadata holds), so that
    comparing it is a plain comparison."""
    if value is None or isinstance(value, (str, int, float, bool)):
        return True
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    return False


def _shown(value: Any, width: int = 60) -> str:
    """A value from a checkpoint as one short line of a message (a damaged one may hold a tensor)."""
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def check_checkpoint_path(path: str, resume: bool) -> None:
    """Fail before training, not at the first save: the path must name a file in a writable folder."""
    if os.path.isdir(path):
        raise InputError("the checkpoint path is a folder; give a file name inside it, e.g. "
                         f"{os.path.join(path, 'gan.pt')}", path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise InputError("the checkpoint's folder does not exist (create it first)", path)
    if resume:
        return  # read_checkpoint says what is wrong with the file; writes come later, to the same folder
    probe = f"{path}.tmp{os.getpid()}"
    try:
        with open(probe, "wb"):
            pass
    except OSError as err:
        raise InputError(f"cannot write a checkpoint there ({err.strerror or err})", path) from err
    with contextlib.suppress(OSError):
        os.remove(probe)


def remove_stale_temporaries(path: str) -> list[str]:
    """Delete ``PATH.tmpPID`` files left by processes that died while saving (kill -9, power loss);
    a temporary whose process is alive (another run saving now) is left alone. Returns what went."""
    folder = os.path.dirname(os.path.abspath(path))
    prefix = os.path.basename(path) + ".tmp"
    removed: list[str] = []
    try:
        names = os.listdir(folder)
    except OSError:
        return removed
    for name in names:
        pid_text = name[len(prefix):]
        if not name.startswith(prefix) or not pid_text.isdigit():
            continue
        pid = int(pid_text)
        if pid != os.getpid() and _alive(pid):
            continue
        with contextlib.suppress(OSError):
            os.remove(os.path.join(folder, name))
            removed.append(name)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (OSError, OverflowError):  # someone else's process (EPERM), or not a pid: keep the file
        return True
    return True


def _first_difference(saved: Any, here: Any) -> str:
    """Where two player signatures ([name, sense, shapes] per player) first differ, in words."""
    try:
        return _describe_difference(saved, here)
    except (TypeError, ValueError, IndexError, KeyError):  # a malformed saved signature
        return "the checkpoint's player signature is malformed"


def _describe_difference(saved: Any, here: Any) -> str:
    saved = saved if isinstance(saved, list) else []
    if [p[0] for p in saved] != [p[0] for p in here] or len(saved) != len(here):
        return f"players {[p[0] for p in saved]} there, {[p[0] for p in here]} here"
    for (name, sense_a, shapes_a), (_, sense_b, shapes_b) in zip(saved, here):
        if sense_a != sense_b:
            return f"{name} {sense_a}imises there, {sense_b}imises here"
        if len(shapes_a) != len(shapes_b):
            return f"{name} has {len(shapes_a)} tensors there, {len(shapes_b)} here"
        for i, (a, b) in enumerate(zip(shapes_a, shapes_b)):
            if a != b:
                return f"{name} tensor {i} has shape {tuple(a)} there, {tuple(b)} here"
    return "the signatures differ"


BACKEND = TorchMinimax
