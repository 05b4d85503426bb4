"""What a backend is: a translator of the spec for one solver family, with declared capabilities.

Backend modules live in ``optmodel.backends`` (the repo's ``backends/`` folder); each defines one
``Backend`` subclass named ``BACKEND``. Solver libraries are imported when a model is loaded, so
that listing backends and ``--help`` stay fast.

An LP/MIP backend is an ``Adapter`` with a small contract: ``load(form, options)`` hands the
(normalised) canonical form to the solver, ``run(options)`` solves and returns the solver's own
answer as a ``RawResult``; where the solver can change a loaded model (``Capability.INCREMENTAL``)
``add_rows`` and ``set_integrality`` do so, ``update`` applies a solved model's changes for a warm
re-solve (``Capability.RESOLVE``, see ``optmodel.resolve``), and ``iis()`` gives an irreducible
infeasible subsystem (``Capability.IIS``). Everything after the solver call (trivial models, the
infeasible-or-unbounded decision, the gap, limit and interrupt statuses, verification, the
``Solution``) happens once, in ``optmodel.solving``.

Other kinds of objective (convex atoms, orderings, minimax) are solved by ``Backend.solve``; the
objective kind verifies the answer (``verify(sol)``), and the core derives the status.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily, Rows
    from optmodel.model import Model
    from optmodel.resolve import FormChange
    from optmodel.solution import Solution


class Capability(str, Enum):
    LP = "lp"  # continuous linear programs
    MIP = "mip"  # integer variables
    DUALS = "duals"  # LP row duals and reduced costs
    IIS = "iis"  # irreducible infeasible subsystem
    WARM_START = "warm_start"  # start values / MIP start
    LAZY = "lazy"  # in-solver lazy constraints (else optmodel's row generation is used)
    CONVEX = "convex"  # convex nonlinear atoms (log, ...)
    ORDERING = "ordering"  # permutation decisions (TSP, seriation)
    MINIMAX = "minimax"  # saddle-point problems over torch parameters
    INCREMENTAL = "incremental"  # rows added and integrality changed on a loaded model (row generation)
    QUADRATIC = "quadratic"  # convex quadratic objective, continuous variables (QP)
    MIQP = "miqp"  # convex quadratic objective with integer variables
    NONCONVEX = "nonconvex"  # nonconvex quadratic objective, solved to global optimality
    SOS = "sos"  # SOS1/SOS2 sets natively (else the core's binary reduction)
    INDICATOR = "indicator"  # indicator constraints natively (else the core's big-M reduction)
    SEMICONTINUOUS = "semicontinuous"  # semicontinuous / semi-integer columns natively (else a reduction)
    RESOLVE = "resolve"  # a solved model's changes (objective, bounds, new rows) applied to the loaded solver


# The most solver threads accepted: beyond it HiGHS hangs starting its pool (100000: still going
# after a minute), SCIP refuses (it takes up to 64) and no machine gains anything.
MAX_THREADS = 1024
SCIP_MAX_THREADS = 64  # SCIP's range for parallel/maxnthreads: every backend that drives SCIP declares it


@dataclass
class SolveOptions:
    time_limit: float | None = None  # seconds
    mip_gap: float | None = None  # relative
    threads: int | None = None
    seed: int | None = None  # the solver's random seed (performance variability): highs, scip, ortools
    verbose: bool = False
    warm_start: np.ndarray | dict[Any, Any] | None = None  # column values (or {Var: values})
    solver_options: dict[str, Any] = field(default_factory=dict)  # raw, passed through
    duals: bool = False  # require LP duals: refused before the solve by backends without them
    iis: bool = False  # require an IIS when infeasible: likewise refused where unsupported
    resolve: bool = True  # re-use the solver loaded by the model's last solve (optmodel.resolve); False: load afresh

    def __post_init__(self) -> None:
        from optmodel.errors import OptmodelError

        if self.time_limit is not None and not self.time_limit >= 0:
            raise OptmodelError(f"the time limit must be a number of seconds >= 0, got {self.time_limit}")
        if self.mip_gap is not None and not self.mip_gap >= 0:
            raise OptmodelError(f"the MIP gap must be >= 0, got {self.mip_gap}")
        if self.threads is not None and not (
            isinstance(self.threads, (int, np.integer)) and not isinstance(self.threads, bool)
            and 1 <= self.threads <= MAX_THREADS
        ):
            many = isinstance(self.threads, (int, np.integer)) and self.threads > MAX_THREADS
            raise OptmodelError(
                f"threads must be an integer from 1 to {MAX_THREADS}, got {self.threads!r}"
                + (f" (this machine has {os.cpu_count() or 'an unknown number of'} CPUs; far more threads than "
                   "CPUs only slow a solver down, and some solvers hang or abort on them)" if many else "")
            )
        if self.seed is not None and not 0 <= self.seed < 2**31:
            raise OptmodelError(f"the seed must be an integer in [0, 2^31), got {self.seed}")


class Backend:
    """Base class of backend translators. Subclasses set the class attributes and ``solve``."""

    name: ClassVar[str]
    description: ClassVar[str] = ""
    # Python modules that must be importable, and the distribution whose version is reported.
    modules: ClassVar[tuple[str, ...]] = ()
    distribution: ClassVar[str] = ""
    # Capabilities per sub-solver; the first sub-solver is the default.
    subsolvers: ClassVar[dict[str, frozenset[Capability]]] = {}
    # Sub-solvers that take fewer threads than MAX_THREADS (SCIP's parallel/maxnthreads is at most 64).
    max_threads: ClassVar[dict[str, int]] = {}

    def __init__(self, subsolver: str | None = None):
        if subsolver is not None and subsolver not in self.subsolvers:
            from optmodel.errors import OptmodelError

            known = ", ".join(f"{self.name}:{s}" for s in self.subsolvers)
            raise OptmodelError(f"backend {self.name!r} has no sub-solver {subsolver!r}; known: {known}")
        self.subsolver = subsolver or next(iter(self.subsolvers))

    @property
    def capabilities(self) -> frozenset[Capability]:
        return self.subsolvers[self.subsolver]

    @property
    def label(self) -> str:
        return f"{self.name}:{self.subsolver}"

    @classmethod
    def all_capabilities(cls) -> frozenset[Capability]:
        return frozenset().union(*cls.subsolvers.values())

    @classmethod
    def unavailable_reason(cls) -> str | None:
        """None when the solver library is installed, else a sentence saying what to install."""
        missing = [m for m in cls.modules if importlib.util.find_spec(m) is None]
        if missing:
            return f"{', '.join(missing)} is not installed (pip install 'optmodel[{cls.name}]')"
        return None

    @classmethod
    def version(cls) -> str:
        import importlib.metadata  # not at the top: it costs every `import optmodel` 20-75 ms

        try:
            return importlib.metadata.version(cls.distribution) if cls.distribution else ""
        except importlib.metadata.PackageNotFoundError:
            return ""

    def available_subsolvers(self) -> list[str]:
        """Sub-solvers that are usable here (some depend on optional binaries)."""
        return list(self.subsolvers)

    def why_not(self, model: Model) -> str | None:
        """None if this backend (with its sub-solver) accepts ``model``, else the reason."""
        missing = model.requirements() - self.capabilities
        if missing:
            return f"{self.label} cannot solve {'/'.join(sorted(c.value for c in missing))} models"
        if model.is_linear and model.num_vars:
            from optmodel.reductions import unreducible

            form = model.canonical()
            return unreducible(form, self.native(form), self.label)
        return None

    def native(self, form: CanonicalForm) -> frozenset[Capability]:
        """The capabilities that hold for this particular form: what the core need not reduce.
        A backend whose solver takes a structure only in some forms narrows it here."""
        return self.capabilities

    def refuses(self, model: Model, options: SolveOptions) -> str | None:
        """``why_not``, plus what the options ask for (duals, an IIS, a warm start)."""
        reason = self.why_not(model)
        asked = requested(options) - self.capabilities
        if reason is None and asked:
            reason = f"{self.label} cannot provide {' or '.join(sorted(c.value for c in asked))}"
        if reason is None and options.duals and model.is_mip:
            reason = "a MIP has no duals (solve its LP relaxation for them)"
        most = self.max_threads.get(self.subsolver, MAX_THREADS)
        if reason is None and options.threads is not None and options.threads > most:
            reason = f"{self.label} runs at most {most} threads, not {options.threads}"
        return reason

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        """Solve a model of a non-linear kind; the objective kind verifies the answer afterwards."""
        from optmodel.errors import CapabilityError

        raise CapabilityError(f"{self.label} solves LP/MIP models only")


def requested(options: SolveOptions) -> frozenset[Capability]:
    """Capabilities that the options ask of a backend beyond what the model needs."""
    asked = set()
    if options.duals:
        asked.add(Capability.DUALS)
    if options.iis:
        asked.add(Capability.IIS)
    if options.warm_start is not None:
        asked.add(Capability.WARM_START)
    return frozenset(asked)


@dataclass
class RawResult:
    """What a solver said, in the canonical form's terms, before optmodel judges it.

    ``x`` is the point the solver returned (None if none), ``objective`` its objective value as the
    solver reports it (offset included), ``bound`` the solver's proven bound on the optimum (MIP
    dual bound; None if unknown). Duals follow HiGHS's convention (see ``optmodel.verify``).
    ``reduced_costs`` may be left None where ``row_duals`` cover the form's rows: the core derives
    them once, as c + Qx − Aᵀy, which also makes their stationarity exact and its check needless.
    """

    termination: Termination
    x: np.ndarray | None = None
    objective: float | None = None
    bound: float | None = None
    row_duals: np.ndarray | None = None
    reduced_costs: np.ndarray | None = None
    iis: list[str] | None = None
    # Certificates, where the solver hands them out: a Farkas (dual) ray of an infeasible LP, in
    # row space and the row duals' sign convention, and a primal ray (a direction of unbounded
    # improvement) of an unbounded one. optmodel checks both before calling them certificates.
    dual_ray: np.ndarray | None = None
    primal_ray: np.ndarray | None = None
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)
    build_seconds: float = 0.0  # filled by the core around load and run
    solve_seconds: float = 0.0


class Adapter(Backend):
    """An LP/MIP backend: translate the canonical form for one solver, run it, report its answer.

    Subclasses implement ``load`` and ``run``; ``add_rows``/``set_integrality`` where they declare
    ``Capability.INCREMENTAL``, ``iis`` where they declare ``Capability.IIS``. Lazy families reach
    ``load`` only on sub-solvers that declare ``Capability.LAZY``.
    """

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        raise NotImplementedError  # pragma: no cover - every adapter defines it

    def run(self, options: SolveOptions) -> RawResult:
        raise NotImplementedError  # pragma: no cover - every adapter defines it

    def add_rows(self, rows: Rows) -> None:
        raise NotImplementedError(f"{self.label} cannot add rows to a loaded model")  # pragma: no cover

    def set_integrality(self, integer: np.ndarray) -> None:
        raise NotImplementedError(f"{self.label} cannot change integrality")  # pragma: no cover

    def iis(self) -> list[str] | None:
        return None

    def update(self, change: FormChange) -> str | None:
        """Apply ``change`` (objective, column and row bounds, rows appended; ``optmodel.resolve``)
        to the model loaded by the last ``load`` so that the next ``run`` solves ``change.form``
        from where the last run ended. Where the sub-solver declares ``Capability.RESOLVE``.
        Returns None when applied, else the reason it cannot (found before changing anything);
        either way, or after an exception, the core loads the form afresh unless None came back."""
        return f"{self.label} cannot change a loaded model"


@contextlib.contextmanager
def redirect_fd(fd: int, target: str | int | None) -> Iterator[None]:
    """Send the C-level file descriptor ``fd`` to ``target`` (a path or another fd) for a while;
    None leaves it alone. Solver libraries print from C, below Python's sys.stdout/sys.stderr."""
    if target is None:
        yield
        return
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    saved = os.dup(fd)
    into = os.dup(target) if isinstance(target, int) else os.open(target, os.O_WRONLY)
    try:
        os.dup2(into, fd)
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os.dup2(saved, fd)
        os.close(saved)
        os.close(into)


def solver_output(verbose: bool) -> contextlib.AbstractContextManager[None]:
    """Keep solver libraries' printing off stdout, where ``--json`` output goes: with ``verbose``
    the solver's log goes to stderr, otherwise it is discarded."""
    return redirect_fd(1, 2 if verbose else os.devnull)


def start_values(model: Model, start: Any) -> np.ndarray:
    """A full column vector from an array, or from ``{Var: values}`` (others left NaN)."""
    if isinstance(start, dict):
        x = np.full(model.num_vars, np.nan)
        for var, values in start.items():
            x[var.columns] = np.broadcast_to(np.asarray(values, dtype=float), var.shape).ravel()
        return x
    x = np.asarray(start, dtype=float)
    if x.shape != (model.num_vars,):
        from optmodel.errors import ModelError

        raise ModelError(f"a start vector needs {model.num_vars} values, got {x.shape}")
    return x
