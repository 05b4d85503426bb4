"""Choosing a backend for a model and handing it to the pipeline that solves, verifies and reports."""

from __future__ import annotations

import time
from typing import Any

from optmodel.backend import Adapter, Backend, SolveOptions, requested
from optmodel.errors import BackendUnavailable, CapabilityError, OptmodelError
from optmodel.interrupt import stop_on_interrupt
from optmodel.model import Model
from optmodel.solution import Solution, finalize_status
from optmodel.solving import solve_linear

# Tried in this order when no backend is named.
PREFERENCE = ("highs", "scip", "ortools", "cvxpy", "pyomo", "fast-tsp", "exact", "torch")


def backend_classes() -> dict[str, type[Backend]]:
    from optmodel.backends import discover

    return discover()


def backend_class(name: str) -> type[Backend] | None:
    from optmodel.backends import get

    return get(name)


def get_backend(spec: str) -> Backend:
    """``"highs"`` or ``"ortools:glop"`` -> a backend instance; clear errors for unknown names."""
    name, _, sub = spec.partition(":")
    cls = backend_class(name)
    if cls is None:
        known = ", ".join(sorted(backend_classes()))
        raise OptmodelError(f"unknown backend {spec!r}; known backends: {known}")
    reason = cls.unavailable_reason()
    if reason:
        raise BackendUnavailable(f"backend {name!r} is unavailable: {reason}")
    return cls(sub or None)


def capable_backends(model: Model, options: SolveOptions | None = None) -> list[str]:
    """Installed ``backend:subsolver`` labels that accept ``model`` (and what ``options`` ask for)."""
    opts = options or SolveOptions()
    labels = []
    for name, cls in backend_classes().items():
        if cls.unavailable_reason():
            continue
        for sub in cls.subsolvers:
            if cls(sub).refuses(model, opts) is None:
                labels.append(f"{name}:{sub}")
    return labels


def choose(model: Model, backend: str | None = None, options: SolveOptions | None = None) -> Backend:
    """The backend that will solve ``model``: the one named (its first sub-solver that can), or the
    first capable one in ``PREFERENCE``. What ``options`` ask for (duals, an IIS, a warm start)
    counts: a backend that lacks it is refused here, before any solve, naming those that can."""
    opts = options or SolveOptions()
    if backend is not None:
        chosen = get_backend(backend)
        if ":" not in backend:
            # Pick the backend's first sub-solver that can take the model.
            for sub in chosen.subsolvers:
                candidate = type(chosen)(sub)
                if candidate.refuses(model, opts) is None:
                    return candidate
        reason = chosen.refuses(model, opts)
        if reason:
            able = capable_backends(model, opts)
            raise CapabilityError(f"{reason}; backends that can: {', '.join(able) or 'none installed'}")
        return chosen
    # The usual backends first, importing only their modules; then every other one.
    for name in (*PREFERENCE, *sorted(set(backend_classes()) - set(PREFERENCE))):
        cls = backend_class(name)
        if cls is None or cls.unavailable_reason():
            continue
        try:
            return choose(model, name, opts)
        except CapabilityError:
            continue
    needs = ", ".join(sorted(c.value for c in model.requirements() | requested(opts)))
    raise CapabilityError(f"no installed backend can solve a model that needs {needs}")


def solve(model: Model, backend: str | None = None, **options: Any) -> Solution:
    """Solve ``model``; the result is verified independently before it is called optimal.

    Ctrl-C during the solve stops it with status ``interrupted`` and the best point found; a
    second Ctrl-C aborts (``optmodel.interrupt``).
    """
    opts = options.pop("options", None) or SolveOptions(**options)
    with stop_on_interrupt():
        start = time.perf_counter()
        chosen = choose(model, backend, opts)  # lowers the model to decide what it needs
        chosen_after = time.perf_counter() - start
        sol = solve_with(model, chosen, opts)
        sol.build_seconds += chosen_after
        return sol


def solve_with(model: Model, chosen: Backend, opts: SolveOptions) -> Solution:
    """Solve with a chosen backend: LP/MIP through the adapter pipeline, other kinds through the
    backend's ``solve``, verified by their objective kind; then one status rule for all."""
    if model.is_linear and isinstance(chosen, Adapter):
        return solve_linear(model, chosen, opts)
    if model.is_linear:
        raise CapabilityError(f"{chosen.label} solves no LP/MIP models")
    sol = chosen.solve(model, opts)
    sol.verification = model.objective.expr.verify(sol)
    finalize_status(sol)
    sol.model = model
    sol.backend = sol.backend or chosen.label
    sol.backend_version = sol.backend_version or chosen.version()
    return sol
