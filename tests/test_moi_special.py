"""MathOptInterface's SOS, indicator, semicontinuous, quadratic-objective and certificate problems
(``moi_special_cases.py``) on every installed LP/MIP backend route.

Each case runs on every ``backend:subsolver`` with LP or MIP capability whose solver is installed.
A route that refuses the model (``Backend.refuses``: a missing capability, or a structure the core's
reductions cannot rewrite for it, e.g. an indicator row without a finite big-M) is skipped with its
reason; a route that takes it must answer right. Checked: the status; for optimal cases the objective
(rel/abs 1e-6), the primal values where the optimum is unique (1e-5); for continuous models on routes
that accept ``duals=True`` for them, the row duals and reduced costs where given and ``sol.certified``; for the
certificate cases (infeasible or unbounded LPs) ``sol.certified``, i.e. a Farkas or primal ray checked,
and the ray checked again here from the model's canonical form (``_recheck``).

The conformance matrix (route × feature: passed/refused/failed) is written where the environment
variable ``OPTMODEL_MOI_MATRIX`` names a file (``-`` prints it); ``python tests/test_moi_special.py``
runs every cell and prints it without pytest.
"""

from __future__ import annotations

import math
import os
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from moi_cases import VALUE_TOL, dual_problems, mismatch
from moi_special_cases import FEATURES, SPECIAL_CASES, SpecialCase

from optmodel.backend import Capability, SolveOptions
from optmodel.canonical import CanonicalForm
from optmodel.certificates import Certificate
from optmodel.dispatch import backend_classes, get_backend

OBJ_TOL = 1e-6
QP_POINT_TOL = 1e-4

RESULTS: dict[tuple[str, str], str] = {}  # (route, case name) -> passed / refused / failed
REDUCED: set[tuple[str, str]] = set()  # cells whose special structure the core rewrote for the route
# Reductions every LP/MIP may get; any other one rewrote an SOS set, indicator or semicontinuous column.
_GENERIC_REDUCTIONS = {"normalise", "drop free rows"}


def routes() -> list[str]:
    """Installed ``backend:subsolver`` labels of the backends that solve LPs or MIPs."""
    labels = []
    for name, cls in sorted(backend_classes().items()):
        if cls.unavailable_reason() or not cls.all_capabilities() & {Capability.LP, Capability.MIP}:
            continue
        labels.extend(f"{name}:{sub}" for sub in cls().available_subsolvers())
    return labels


ROUTES = routes()




def _recheck(form: CanonicalForm, status: str, cert: Certificate) -> str | None:
    """Check a certificate again from the model's canonical form, independently of optmodel's checker:
    None when it proves ``status``, else why not. A Farkas ray ``y`` (either sign) proves
    infeasibility when the bound it implies on ``(Aᵀy)ᵀx`` from the rows exceeds the largest value the
    column bounds allow; a primal ray ``d`` with a feasible point proves unboundedness when ``d`` keeps
    every row and bound and improves the objective."""
    A, tol = form.A, 1e-7
    if status == "infeasible":
        if cert.kind != "farkas":
            return f"an infeasible model's certificate is a {cert.kind}"
        ray = np.asarray(cert.ray, dtype=float)
        if not np.any(ray):  # only the bounds of one column or row, contradicting each other
            crossed = np.any(form.col_lower > form.col_upper) or np.any(form.row_lower > form.row_upper)
            return None if crossed else "a zero Farkas ray, and no bounds contradict"
        for y in (ray, -ray):
            need = np.where(y > 0, form.row_lower, np.where(y < 0, form.row_upper, 0.0))
            if not np.all(np.isfinite(need[y != 0])):
                continue
            rhs = float(y @ np.where(y != 0, need, 0.0))
            g = A.T @ y
            g[np.abs(g) <= 1e-9 * np.abs(y).max() * max(1.0, np.abs(A.data).max(initial=0.0))] = 0.0
            cap = np.where(g > 0, form.col_upper, np.where(g < 0, form.col_lower, 0.0))
            if not np.all(np.isfinite(cap[g != 0])):
                continue
            lhs = float(g @ np.where(g != 0, cap, 0.0))
            if rhs - lhs > tol * (1.0 + abs(rhs) + abs(lhs)):
                return None
        return f"the Farkas ray {np.round(ray, 6).tolist()} proves nothing"
    if cert.kind != "primal_ray" or cert.point is None:
        return f"an unbounded model's certificate is a {cert.kind} (point: {cert.point is not None})"
    d, p = np.asarray(cert.ray, dtype=float), np.asarray(cert.point, dtype=float)
    Ad, Ap = A @ d, A @ p
    problems = [
        what for what, bad in (
            ("the point breaks a row", np.any((Ap < form.row_lower - tol) | (Ap > form.row_upper + tol))),
            ("the point breaks a bound", np.any((p < form.col_lower - tol) | (p > form.col_upper + tol))),
            ("the ray leaves a row", np.any((np.isfinite(form.row_lower) & (Ad < -tol))
                                            | (np.isfinite(form.row_upper) & (Ad > tol)))),
            ("the ray leaves a bound", np.any((np.isfinite(form.col_lower) & (d < -tol))
                                              | (np.isfinite(form.col_upper) & (d > tol)))),
            ("the ray does not improve the objective", form.sense.sign * float(form.c @ d) >= -tol * np.abs(d).max()),
        ) if bad
    ]
    return "; ".join(problems) or None


def run_cell(case: SpecialCase, route: str) -> tuple[str, str]:
    """``("refused", reason)``, ``("passed", "")`` or ``("failed", what is wrong)`` for one cell."""
    model, handles = case.build()
    discrete = model.is_mip or model.has_special
    if discrete != case.mip:
        return "failed", f"the case's MIP flag ({case.mip}) disagrees with the model's ({discrete})"
    backend = get_backend(route)
    reason = backend.refuses(model, SolveOptions())
    if reason:
        return "refused", reason
    sol = model.solve(route)
    if set(sol.stats.get("reductions") or ()) - _GENERIC_REDUCTIONS:
        REDUCED.add((route, case.name))
    if sol.status.value != case.status:
        return "failed", f"status {sol.status.value}, expected {case.status}: {sol.message}"
    problems: list[str | None] = []
    if case.status != "optimal":
        if case.feature == "certificate":
            if not sol.certified or sol.certificate is None:
                problems.append(f"{case.status} but not certified ({sol.message})")
            else:
                problems.append(_recheck(model.canonical(), case.status, sol.certificate))
    else:
        if sol.objective is None or not math.isclose(sol.objective, case.objective, rel_tol=OBJ_TOL, abs_tol=OBJ_TOL):
            problems.append(f"objective {sol.objective!r}, expected {case.objective}")
        # A QP's point is pinned only to the square root of its objective's accuracy where no KKT
        # certificate came with it (OR-Tools' SCIP: objective right to 6e-11, point to 1.6e-5).
        tol = QP_POINT_TOL if case.feature == "quadratic" and not sol.certified else VALUE_TOL
        for name, expected in case.primal.items():
            problems.append(mismatch(f"value of {name}", sol[handles[name]], expected, tol))
        for name, (lo, hi) in case.within.items():
            values = np.asarray(sol[handles[name]], dtype=float)
            if not np.all((values >= lo - VALUE_TOL) & (values <= hi + VALUE_TOL)):
                problems.append(f"value of {name} = {values.tolist()}, expected within [{lo}, {hi}]")
        # A route that would accept a request for duals on this model must deliver them, and the
        # certificate of optimality they make (LP duality or the KKT conditions of a convex QP).
        if not case.mip and backend.refuses(model, SolveOptions(duals=True)) is None:
            problems += dual_problems(case, sol, handles)
    found = [p for p in problems if p]
    return ("failed", " | ".join(found)) if found else ("passed", "")


@pytest.fixture(scope="module", autouse=True)
def _matrix():
    yield
    target = os.environ.get("OPTMODEL_MOI_MATRIX")
    if target and RESULTS:
        text = matrix(RESULTS)
        if target == "-":
            sys.stdout.write(text)
        else:
            Path(target).write_text(text)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("case", SPECIAL_CASES, ids=[c.name for c in SPECIAL_CASES])
def test_moi_special_case(case: SpecialCase, route: str):
    try:
        outcome, detail = run_cell(case, route)
    except BaseException:
        RESULTS[route, case.name] = "failed"
        raise
    RESULTS[route, case.name] = outcome
    if outcome == "refused":
        pytest.skip(f"{route} refuses {case.name}: {detail}")
    assert outcome == "passed", detail


def matrix(results: dict[tuple[str, str], str]) -> str:
    """A markdown table: one row per route, one column per feature, ``passed/refused/failed`` counts."""
    feature_of = {c.name: c.feature for c in SPECIAL_CASES}
    counts: dict[tuple[str, str], Counter] = {}
    for (route, name), outcome in results.items():
        counts.setdefault((route, feature_of[name]), Counter())[outcome] += 1
    routes_seen = [r for r in ROUTES if any(key[0] == r for key in counts)]
    lines = [
        "MOI special cases, passed/refused/failed per route and feature"
        " (r: the core's reductions rewrote SOS / indicator / semicontinuous for the route; else native)",
        "",
        "| route | " + " | ".join(FEATURES) + " | all |",
        "|---|" + "---|" * (len(FEATURES) + 1),
    ]
    for route in routes_seen:
        total: Counter = Counter()
        cells = []
        for feature in FEATURES:
            c = counts.get((route, feature), Counter())
            total += c
            reduced = any((route, n) in REDUCED for n, f in feature_of.items() if f == feature)
            cells.append((f"{c['passed']}/{c['refused']}/{c['failed']}" + (" r" if reduced else "")) if c else "-")
        cells.append(f"{total['passed']}/{total['refused']}/{total['failed']}")
        lines.append(f"| {route} | " + " | ".join(cells) + " |")
    failed = Counter(n for (_, n), o in results.items() if o == "failed")
    if failed:
        lines += ["", "failed (case: routes): " + ", ".join(f"{n}: {k}" for n, k in sorted(failed.items()))]
    return "\n".join(lines) + "\n"


def test_the_case_list():
    names = [c.name for c in SPECIAL_CASES]
    assert len(names) == len(set(names))
    assert {c.feature for c in SPECIAL_CASES} == set(FEATURES)
    assert sum(c.source.startswith("MOI") for c in SPECIAL_CASES) >= 50
    for c in SPECIAL_CASES:
        assert c.status in ("optimal", "infeasible", "unbounded"), c.name
        assert (c.objective is not None) == (c.status == "optimal"), c.name
        assert not (c.mip and (c.duals or c.reduced_costs)), c.name
        assert c.feature != "certificate" or (c.status != "optimal" and not c.mip), c.name


if __name__ == "__main__":
    only = sys.argv[1:]  # optional route labels
    for route in only or ROUTES:
        for case in SPECIAL_CASES:
            try:
                outcome, detail = run_cell(case, route)
            except Exception as err:  # a crash is a failed cell in the matrix
                outcome, detail = "failed", f"{type(err).__name__}: {err}"
            RESULTS[route, case.name] = outcome
            if outcome == "failed":
                print(f"FAILED {case.name} @ {route}: {detail}", file=sys.stderr)
    sys.stdout.write(matrix(RESULTS))
