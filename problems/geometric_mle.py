"""Maximum likelihood for the lecture's geometric generator, four ways that must agree.

The generator: Z = random(); X = ceil(−log Z / λ) with λ = −log(1 − p), so P(X = k) = (1 − p)^(k−1) p
for k = 1, 2, ... The average log-likelihood of a sample x₁..xₙ with empirical distribution q is

    V(p) = (1/n) Σ log p_θ(xᵢ) = Σ_x q_x log p_θ(x),   maximised at p = n / Σ xᵢ   (closed-form)

``convex`` maximises V(p) = log p + (Σx/n − 1) log(1 − p) with optmodel's ``log`` atom on the
cvxpy backend (SCS by default: on 50 samples it met optmodel's optimality check every time, Clarabel
on 43, with "optimal_inaccurate" on 18); ``gradient`` runs gradient ascent on V in torch
(p = sigmoid(w), so 0 < p < 1 by parametrisation); ``lagrangian`` solves the lecture's GAN Lagrangian

    max_p min_{d > 0} L(p, d) = −Σ_x q_x log d(x) + Σ_x p_θ(x) d(x)

with a discriminator table d(x) = exp(T(x)) on 1..max(x) and one entry for the tail x > max(x).
By weak duality V(p) ≤ Σ q log q − 1 + L(p, d) for every d > 0, with equality at d = q / p_θ.
"""

from __future__ import annotations

import argparse
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError
from optmodel.model import Model
from optmodel.problem import Problem, Report
from optmodel.solution import Solution, SolutionStatus, Status, Termination, Verification

METHODS = ("closed-form", "convex", "gradient", "lagrangian")
# The convex method's solver. Measured on 50 samples (n ∈ {20, 50, 800, 5000, 100000}, p ∈ {0.05, 0.3,
# 0.7, 0.95, 0.999}, two seeds): cvxpy:scs passed optmodel's KKT check on all 50 (|p − n/Σx|/(n/Σx) ≤ 5e-9,
# ≤ 13 ms); cvxpy:clarabel on 43 (7 unverified, 18 "optimal_inaccurate", relative error up to 4e-5).
CONVEX_BACKEND = "cvxpy:scs"
TINY = 1e-12  # d on values the sample never shows: the best d is 0 there, and d must stay > 0
# How far (relative) a gradient method's p may be from n/Σx before the result carries a verification
# problem. Measured on 24 samples (n ∈ {50, 800, 5000}, p ∈ {0.05, 0.3, 0.7, 0.95}, two seeds) at the
# default 2000 steps: gradient ≤ 4.3e-6; lagrangian median 5.7e-5 and ≤ 4.5e-4 on 23 of them, the
# 24th (n = 50, p = 0.05: most of its ~60-value support unseen, where d must reach 0) 4.1e-2,
# unconverged. At 600 steps gradient ≤ 5.0e-3, lagrangian 0.13 and 1.1e-2 on the two smallest, hardest
# samples. 1% is 20× above every converged run yet below the estimator's own sampling error
# √((1 − p)/n) (relative) for any n ≤ 5000, so a flagged p is off by more than the data can tell.
CLOSED_FORM_RTOL = 1e-2


def generate(n: int, p: float, seed: int = 0) -> np.ndarray:
    """The lecture's generator: X = ceil(−log Z / λ), λ = −log(1 − p), Z uniform on (0, 1)."""
    if not 0 < p < 1:
        raise InputError(f"--p must be strictly between 0 and 1, got {p}")
    if n < 1:
        raise InputError(f"--generate needs at least 1 sample, got {n}")
    z = np.random.default_rng(seed).random(n)
    z[z == 0] = np.nextafter(0.0, 1.0)  # random() may return 0; log 0 has no value
    lam = -math.log1p(-p)
    return np.maximum(np.ceil(-np.log(z) / lam), 1).astype(np.int64)


def read_sample(path: str | Path) -> np.ndarray:
    """One positive integer per line; blank lines and ``#`` comments are skipped."""
    values: list[int] = []
    try:
        with open(path) as f:
            for number, line in enumerate(f, 1):
                text = line.split("#", 1)[0].strip()
                if not text:
                    continue
                try:
                    value = int(text)
                except ValueError:
                    raise InputError(f"expected one integer per line, got {text[:40]!r}", path, number) from None
                if value < 1:
                    raise InputError(f"the geometric generator gives integers >= 1, got {value}", path, number)
                values.append(value)
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    if not values:
        raise InputError("the file holds no values", path)
    return np.asarray(values, dtype=np.int64)


@dataclass
class Sample:
    x: np.ndarray

    @property
    def n(self) -> int:
        return len(self.x)

    @property
    def total(self) -> int:
        return int(self.x.sum())

    @property
    def support(self) -> int:
        return int(self.x.max())

    def q(self) -> np.ndarray:
        """Empirical frequencies on 1..max(x) (index 0 is x = 1); the tail x > max(x) has q = 0."""
        return np.bincount(self.x - 1, minlength=self.support).astype(float) / self.n


def closed_form(s: Sample) -> float:
    return s.n / s.total


def log_likelihood(s: Sample, p: float) -> float:
    """V(p) = (1/n) Σ log p_θ(xᵢ)."""
    if p >= 1:
        return 0.0 if s.total == s.n else -math.inf
    return (s.n * math.log(p) + (s.total - s.n) * math.log1p(-p)) / s.n


def pmf_table(p: float, support: int) -> np.ndarray:
    """p_θ(1..support) and P(X > support) as one vector."""
    k = np.arange(1, support + 1)
    return np.append(p * (1 - p) ** (k - 1), (1 - p) ** support)


def bound(s: Sample, p: float, d: np.ndarray) -> float:
    """Σ q log q − 1 − Σ q log d + Σ p_θ d: above V(p) for every d > 0 (weak duality)."""
    q = np.append(s.q(), 0.0)
    seen = q > 0
    return float((q[seen] * np.log(q[seen])).sum() - 1 - (q[seen] * np.log(d[seen])).sum()
                 + (pmf_table(p, s.support) * d).sum())


def best_discriminator(s: Sample, p: float) -> np.ndarray:
    """d = q / p_θ where the sample has mass (the bound then touches V), TINY elsewhere."""
    q = np.append(s.q(), 0.0)
    d = np.full(len(q), TINY)
    seen = q > 0
    d[seen] = q[seen] / pmf_table(p, s.support)[seen]
    return d


def convex_model(s: Sample) -> tuple[Model, Any]:
    """maximise V(p) = log p + (Σx/n − 1)·log(1 − p) over 0 ≤ p ≤ 1: the mean log-likelihood (the
    objective the other methods report too), concave in p."""
    import optmodel as om

    m = Model("geometric-mle")
    p = m.var(lb=0, ub=1, name="p")
    if s.total == s.n:  # every xᵢ = 1: V = log p, maximised at the bound p = 1
        m.maximize(om.log(p))
    else:
        m.maximize(om.log(p) + ((s.total - s.n) / s.n) * om.log(1 - p))
    return m, p


def convex_backend(backend: str | None) -> str:
    """The solver of the convex method: ``cvxpy`` alone means its measured-best sub-solver (SCS)."""
    if backend is None or backend == "cvxpy":
        from optmodel.dispatch import backend_class

        cls = backend_class("cvxpy")
        sub = CONVEX_BACKEND.partition(":")[2]
        if cls is not None and cls.unavailable_reason() is None and sub in cls().available_subsolvers():
            return CONVEX_BACKEND
        return "cvxpy"
    return backend


def solve_convex(s: Sample, options: SolveOptions, backend: str | None = None) -> tuple[float, Solution]:
    m, p = convex_model(s)
    sol = m.solve(convex_backend(backend), options=options)
    if not sol.has_values:
        return math.nan, sol
    value = float(sol[p])
    if sol.status is Status.OPTIMAL and "inaccurate" in sol.message:
        # The solver doubted its own accuracy; optmodel's check (KKT conditions at the point) passed.
        sol.message = (f"{sol.message.rstrip('.')}; optmodel's own check of the optimality conditions at the "
                       "point passed, so it is optimal within that check's tolerance.")
    _against_closed_form(s, sol, value)
    return value, sol


def solve_gradient(s: Sample, options: SolveOptions, steps: int, seed: int) -> tuple[float, Solution]:
    """Gradient ascent on V(sigmoid(w)) as a one-player game on the torch backend."""
    import torch
    import torch.nn.functional as tnf

    from optmodel.minimax import Minimax, saddle
    from optmodel.model import Model

    torch.manual_seed(seed)
    w = torch.zeros((), requires_grad=True)
    n, total = float(s.n), float(s.total)
    game = Minimax(name="geometric-likelihood")
    # V = (n log p + (Σx − n) log(1 − p)) / n with log p = logsigmoid(w), log(1 − p) = logsigmoid(−w).
    game.objective = lambda _b: (n * tnf.logsigmoid(w) + (total - n) * tnf.logsigmoid(-w)) / n
    game.player("p", w, "max", lr=0.05)
    m = Model("geometric-mle")
    saddle(m, game)
    sol = m.solve("torch:simultaneous", options=_torch_options(options, steps, seed))
    return _check_closed_form(s, sol, "p"), sol


def lagrangian_game(s: Sample) -> tuple[Any, Any, Any]:
    """The Lagrangian as a ``Minimax``: generator parameter w (p = sigmoid(w)) against the table T."""
    import torch
    import torch.nn.functional as tnf

    from optmodel.minimax import Minimax

    k = torch.arange(1, s.support + 1, dtype=torch.float32)
    q = torch.as_tensor(np.append(s.q(), 0.0), dtype=torch.float32)
    w = torch.zeros((), requires_grad=True)
    T = torch.nn.Parameter(torch.zeros(s.support + 1))
    game = Minimax(name="geometric-lagrangian")
    d = game.positive(_Table(T), via="exp", name="d")

    def lagrangian(_b: dict[str, Any]) -> Any:
        log_p, log_1p = tnf.logsigmoid(w), tnf.logsigmoid(-w)
        log_pmf = torch.cat([(k - 1) * log_1p + log_p, (s.support * log_1p).reshape(1)])
        # Σ p_θ d = Σ exp(log p_θ + T): no overflow of d itself.
        return -(q * d.log(None)).sum() + torch.exp(log_pmf + d.log(None)).sum()

    game.objective = lagrangian
    game.player("generator", w, "max", lr=0.05)
    game.player("discriminator", T, "min", lr=0.05)
    return game, w, T


class _Table:
    """T(x) for x = 1..max(x) and the tail: the whole table (the expectations are exact sums)."""

    def __init__(self, T: Any):
        self.T = T

    def __call__(self, _x: Any) -> Any:
        return self.T


def solve_lagrangian(s: Sample, options: SolveOptions, steps: int, seed: int) -> tuple[float, Solution]:
    import torch

    from optmodel.minimax import saddle
    from optmodel.model import Model

    torch.manual_seed(seed)
    game, _, _ = lagrangian_game(s)
    m = Model("geometric-lagrangian")
    saddle(m, game)
    sol = m.solve("torch:extragradient", options=_torch_options(options, steps, seed))
    return _check_closed_form(s, sol, "generator"), sol


def _check_closed_form(s: Sample, sol: Solution, player: str) -> float:
    """p = sigmoid(w) of the returned parameters, checked against n/Σx (``_against_closed_form``)."""
    import torch

    from optmodel.minimax import trained_parameters

    params = trained_parameters(sol)
    if params is None:  # diverged or aborted: nothing to check (the verification says so)
        return math.nan
    p = float(torch.sigmoid(params[player][0]))
    _against_closed_form(s, sol, p)
    return p


def _against_closed_form(s: Sample, sol: Solution, p: float) -> None:
    """A method's p against n/Σx: the relative error goes into the stats and the message, and beyond
    ``CLOSED_FORM_RTOL`` into the verification's problems, so the status cannot say optimal."""
    from optmodel.solution import finalize_status

    ref = closed_form(s)
    err = abs(p - ref) / ref
    sol.stats["closed_form_p"] = ref
    sol.stats["closed_form_relative_error"] = err
    note = f"p = {p:.6g} is {err:.2e} (relative) from the closed form n/Σx = {ref:.6g}"
    sol.message = f"{sol.message} {note}." if sol.message else f"{note}."
    if not err <= CLOSED_FORM_RTOL:  # written so that NaN fails too
        if sol.verification is None:
            sol.verification = Verification()
        sol.verification.problems.append(f"{note}, more than the tolerance {CLOSED_FORM_RTOL:g}")
        if sol.status is Status.OPTIMAL:  # no longer verified: the status says so
            finalize_status(sol)


def _torch_options(options: SolveOptions, steps: int, seed: int) -> SolveOptions:
    solver = {"steps": steps, "seed": seed, "device": "cpu", "lr_decay": "linear", "progress": False,
              **options.solver_options}
    return SolveOptions(time_limit=options.time_limit, verbose=options.verbose, solver_options=solver)


def estimate(s: Sample, method: str, options: SolveOptions | None = None, steps: int = 2000,
             seed: int = 0, backend: str | None = None) -> tuple[float, Solution]:
    """The MLE of p by ``method``, with the solver's result; ``backend`` is the convex method's solver."""
    options = options or SolveOptions()
    if method == "closed-form":
        p = closed_form(s)
        sol = Solution(Status.OPTIMAL, Termination.OPTIMAL, SolutionStatus.OPTIMAL, objective=log_likelihood(s, p),
                       x=np.array([p]), backend="closed-form", message="p = n / Σ xᵢ")
        return p, sol
    if method == "convex":
        return solve_convex(s, options, backend)
    if method == "gradient":
        return solve_gradient(s, options, steps, seed)
    if method == "lagrangian":
        return solve_lagrangian(s, options, steps, seed)
    raise InputError(f"unknown method {method!r}; use one of {', '.join(METHODS)}")


def bound_table(s: Sample, p_hat: float) -> tuple[list[float], list[dict[str, Any]]]:
    """V(p) against the bound for a few p and discriminators: d ≡ 1, d* of p̂, and d* of p itself."""
    ps = sorted({round(v, 6) for v in (0.5 * p_hat, 0.8 * p_hat, p_hat, min(1.25 * p_hat, 0.99),
                                         min(1.6 * p_hat, 0.995))})
    rows = []
    for p in ps:
        rows.append({
            "p": p,
            "V": log_likelihood(s, p),
            "bound_d_one": bound(s, p, np.ones(s.support + 1)),
            "bound_d_best_of_p_hat": bound(s, p, best_discriminator(s, p_hat)),
            "bound_d_best_of_p": bound(s, p, best_discriminator(s, p)),
        })
    return ps, rows


class GeometricMle(Problem):
    name = "geometric-mle"
    summary = "maximum likelihood of the geometric generator: closed form, convex, gradient, GAN Lagrangian"
    uses_lp_backends = False
    needs = frozenset({Capability.CONVEX})  # --backend is the convex method's solver
    default_backend = CONVEX_BACKEND
    backend_note = "Implies --method convex; gradient and lagrangian run on torch, closed-form on none"
    formulation = [
        "maximize V(p) = (1/n) Σ_i log p_θ(x_i) = (1/n)(n·log p + (Σx − n)·log(1 − p))   over 0 ≤ p ≤ 1",
        "(concave in p: a convex program; its closed form is p̂ = n / Σx)",
    ]
    adjacent = [
        "the GAN Lagrangian: V(θ) ≤ const − Σ_x q_x log d(x) + Σ_x p_θ(x) d(x) for every d > 0, with "
        "equality at d = q/p_θ, so max_θ min_d of the bound is maximum likelihood (--method lagrangian)",
        "gradient ascent on V through p = sigmoid(w) (--method gradient)",
    ]
    sizes_help = "sample size n (p = 0.3)"
    example_size = 1000

    def instance(self, size: int, seed: int = 0) -> Model:
        return convex_model(Sample(generate(size, 0.3, seed)))[0]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--data", metavar="FILE", help="one integer >= 1 per line")
        src.add_argument("--generate", type=int, metavar="N", help="draw N values from the generator instead")
        parser.add_argument("--p", type=float, default=0.3, help="p of --generate (default 0.3)")
        parser.add_argument("--seed", type=int, default=0, help="seed of --generate and of the gradient methods")
        parser.add_argument("--method", choices=(*METHODS, "all"),
                            help="how to maximise the likelihood (default closed-form, or convex with --backend; "
                            "all: every method, side by side); every method reports V(p), the mean log-likelihood, "
                            "as its objective")
        parser.add_argument("--steps", type=int, default=2000,
                            help="gradient steps of --method gradient and lagrangian, at least 1 (default 2000)")
        parser.add_argument("--write", metavar="OUT", help="with --generate: also write the sample, one per line")

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        chosen = args.method or ("convex" if backend is not None else "closed-form")
        if backend is not None and chosen not in ("convex", "all"):
            uses = "no solver" if chosen == "closed-form" else "torch (tuned by --steps)"
            raise InputError(f"--backend picks the solver of --method convex; --method {chosen} uses {uses}")
        if args.steps < 1:
            raise InputError(f"--steps must be at least 1, got {args.steps}")
        x = generate(args.generate, args.p, args.seed) if args.generate is not None else read_sample(args.data)
        if args.write:
            if args.generate is None:
                raise InputError("--write goes with --generate")
            np.savetxt(args.write, x, fmt="%d")
        s = Sample(x)
        methods = METHODS if chosen == "all" else (chosen,)
        estimates: dict[str, float] = {}
        outcomes: dict[str, str] = {}
        sol: Solution | None = None
        for method in methods:
            estimates[method], sol_m = estimate(s, method, options, args.steps, args.seed, backend)
            _likelihood_objective(s, method, sol_m, estimates[method])
            outcomes[method] = f"{sol_m.status.value}, {sol_m.backend}"
            sol = sol_m if sol is None or method == chosen else sol
        p_ref = closed_form(s)
        p = estimates[methods[0]]
        rep = Report(sol)
        _, rows = bound_table(s, p_ref)
        rep.answer = {
            "p": p,
            "method": chosen,
            "estimates": estimates,
            "closed_form": p_ref,
            "n": s.n,
            "sum": s.total,
            "log_likelihood": log_likelihood(s, p) if 0 < p <= 1 else None,
            "bound_table": rows,
        }
        if args.generate is not None:
            rep.answer["true_p"] = args.p
        rep.lines.append(f"n = {s.n}, Σx = {s.total}: closed form p = n/Σx = {p_ref:.6f}")
        for method, value in estimates.items():
            rep.lines.append(f"  {method:<12} p = {value:.6f}   (differs by {abs(value - p_ref):.2e})   "
                             f"[{outcomes[method]}]")
        rep.lines.append("V(p) against the Lagrangian bound Σq log q − 1 + L(p, d), which is above V for every d > 0:")
        rep.lines.append(f"  {'p':>8} {'V(p)':>11} {'d ≡ 1':>11} {'d* of p̂':>11} {'d* of p':>11}")
        for r in rows:
            rep.lines.append(f"  {r['p']:8.4f} {r['V']:11.6f} {r['bound_d_one']:11.6f} "
                             f"{r['bound_d_best_of_p_hat']:11.6f} {r['bound_d_best_of_p']:11.6f}")
        rep.lines.append("  (d* of p = q/p_θ: the bound touches V there; the best p is where min_d of the bound peaks)")
        if args.write:
            rep.answer["files"] = [str(args.write)]
            rep.lines.append(f"wrote {args.write}")
        return rep


def _likelihood_objective(s: Sample, method: str, sol: Solution, p: float) -> None:
    """Every method reports V(p), the mean log-likelihood at its p, as the objective, in double
    precision (torch's runs in float32): the Lagrangian's own value L(p, d) (V − Σq log q + 1 at the
    saddle) moves to ``stats["lagrangian_value"]``."""
    if method not in ("gradient", "lagrangian") or sol.objective is None:
        return
    if method == "lagrangian":
        sol.stats["lagrangian_value"] = sol.objective
        sol.message = (f"{sol.message} The objective is V(p), the mean log-likelihood at the generator's p; the "
                       "Lagrangian's value is stats.lagrangian_value.").lstrip()
    sol.objective = log_likelihood(s, p) if 0 < p <= 1 else None


PROBLEM = GeometricMle()
