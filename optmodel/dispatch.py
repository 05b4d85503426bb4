"""Choosing a backend for a model and running it: lower once, solve, verify, report."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import numpy as np

from optmodel.backend import Backend, SolveOptions
from optmodel.canonical import CanonicalForm
from optmodel.errors import BackendUnavailable, CapabilityError, OptmodelError
from optmodel.model import Model
from optmodel.solution import Solution, Termination, finalize_status
from optmodel.verify import verify

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


def capable_backends(model: Model) -> list[str]:
    """Installed ``backend:subsolver`` labels that accept ``model``."""
    labels = []
    for name, cls in backend_classes().items():
        if cls.unavailable_reason():
            continue
        for sub in cls.subsolvers:
            if cls(sub).why_not(model) is None:
                labels.append(f"{name}:{sub}")
    return labels


def choose(model: Model, backend: str | None = None) -> Backend:
    if backend is not None:
        chosen = get_backend(backend)
        if ":" not in backend:
            # Pick the backend's first sub-solver that can take the model.
            for sub in chosen.subsolvers:
                candidate = type(chosen)(sub)
                if candidate.why_not(model) is None:
                    return candidate
        reason = chosen.why_not(model)
        if reason:
            able = capable_backends(model)
            raise CapabilityError(f"{reason}; backends that can: {', '.join(able) or 'none installed'}")
        return chosen
    # The usual backends first, importing only their modules; then every other one.
    for name in (*PREFERENCE, *sorted(set(backend_classes()) - set(PREFERENCE))):
        cls = backend_class(name)
        if cls is None or cls.unavailable_reason():
            continue
        try:
            return choose(model, name)
        except CapabilityError:
            continue
    needs = ", ".join(sorted(c.value for c in model.requirements()))
    raise CapabilityError(f"no installed backend can solve a model that needs {needs}")


def _decide_infeasible_or_unbounded(form: CanonicalForm, backend: Backend, opts: SolveOptions, sol: Solution) -> None:
    """Some solvers only say "infeasible or unbounded": the same model with a zero objective decides.
    It cannot be unbounded, so "infeasible or unbounded" there means infeasible; and when it is
    feasible the original was unbounded (with rational data, for MIPs too)."""
    feasibility = Model.from_canonical(dataclasses.replace(form, c=np.zeros(form.num_cols), offset=0.0))[0]
    check = type(backend)(backend.subsolver).solve(feasibility, opts)
    if check.termination is Termination.OPTIMAL:
        sol.termination = Termination.UNBOUNDED
    elif check.termination in (Termination.INFEASIBLE, Termination.INFEASIBLE_OR_UNBOUNDED):
        sol.termination = Termination.INFEASIBLE
    sol.solve_seconds += check.build_seconds + check.solve_seconds


def solve(model: Model, backend: str | None = None, **options: Any) -> Solution:
    """Solve ``model``; the result is verified independently before it is called optimal."""
    opts = options.pop("options", None) or SolveOptions(**options)
    chosen = choose(model, backend)
    start = time.perf_counter()
    form = model.canonical() if model.is_linear else None
    lower_seconds = time.perf_counter() - start
    if model.families:  # lazy constraint families: in-solver or row generation (optmodel/lazy.py)
        from optmodel.lazy import solve_with_families

        sol = solve_with_families(model, chosen, opts)
    else:
        sol = chosen.solve(model, opts)
    sol.build_seconds += lower_seconds
    sol.model = model
    sol.backend = sol.backend or chosen.label
    sol.backend_version = sol.backend_version or chosen.version()
    if form is not None and sol.termination is Termination.INFEASIBLE_OR_UNBOUNDED and not model.families:
        _decide_infeasible_or_unbounded(form, chosen, opts, sol)
    if form is not None:
        sol.verification = verify(form, sol)
        if model.families:
            from optmodel.lazy import check_verification

            check_verification(model, sol)
    finalize_status(sol)
    return sol
