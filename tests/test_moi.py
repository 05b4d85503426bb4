"""MathOptInterface's (and CVXPY's) LP/MIP test problems on every LP/MIP backend route.

Each case of ``moi_cases.py`` is solved by every installed ``backend:subsolver`` that accepts
its model (``optmodel.dispatch.capable_backends``): a route that cannot take a case is not in
that list, nothing else is left out. Checked: the status; for optimal cases the objective
(rel/abs 1e-6), the primal values where the optimum is unique (1e-5), and on routes declaring
the ``duals`` capability, for LPs, the row duals and reduced costs where they are unique (1e-5,
optmodel's convention: d objective / d bound, the same for min and max) and ``sol.certified``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from moi_cases import CASES, VALUE_TOL, Case, dual_problems, mismatch

import optmodel as om
from optmodel.backend import Capability
from optmodel.dispatch import capable_backends, get_backend

OBJ_TOL = 1e-6


def _cells() -> list:
    cells = []
    for case in CASES:
        model, _ = case.build()
        for route in capable_backends(model):
            cells.append(pytest.param(case, route, id=f"{case.name}-{route}"))
    return cells




@pytest.mark.parametrize(("case", "route"), _cells())
def test_moi_case(case: Case, route: str):
    model, handles = case.build()
    assert model.is_mip == case.mip, "the case's MIP flag disagrees with the model"
    sol = model.solve(route)
    assert sol.status.value == case.status, f"status {sol.status.value}, expected {case.status}: {sol.message}"
    if case.status != "optimal":
        return
    problems = []
    if sol.objective is None or not math.isclose(sol.objective, case.objective, rel_tol=OBJ_TOL, abs_tol=OBJ_TOL):
        problems.append(f"objective {sol.objective!r}, expected {case.objective}")
    for name, expected in case.primal.items():
        problems.append(mismatch(f"value of {name}", sol[handles[name]], expected))
    for name, (lo, hi) in case.within.items():
        values = np.asarray(sol[handles[name]], dtype=float)
        if not np.all((values >= lo - VALUE_TOL) & (values <= hi + VALUE_TOL)):
            problems.append(f"value of {name} = {values.tolist()}, expected within [{lo}, {hi}]")
    if not case.mip and Capability.DUALS in get_backend(route).capabilities:
        problems += dual_problems(case, sol, handles)
    problems = [p for p in problems if p]
    assert not problems, " | ".join(problems)


def test_the_case_list():
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))
    assert sum(c.source.startswith("MOI") for c in CASES) >= 60
    for c in CASES:
        assert c.status in ("optimal", "infeasible", "unbounded"), c.name
        assert (c.objective is not None) == (c.status == "optimal"), c.name
        assert not (c.mip and (c.duals or c.reduced_costs)), c.name


def test_bound_conflicts_are_refused_when_stated():
    """MOI's test_solve_conflict_bound_bound (x >= 2, x <= 1 as bounds) and
    test_solve_conflict_invalid_interval (x in [1, 0]): optmodel refuses both while the model is
    stated, naming the variable or the range, instead of handing them to a solver."""
    m = om.Model()
    with pytest.raises(om.ModelError, match="lower bound above its upper bound"):
        m.var(lb=2, ub=1, name="x")
    x = m.var()
    with pytest.raises(om.ModelError, match="lower > upper"):
        m.add((1.0 * x).between(1, 0))
