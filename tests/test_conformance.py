"""One spec, every backend: each installed backend and sub-solver that declares the capability
solves every file and small model of the test set to the same status and objective.

New backends are picked up automatically (discovery); one whose library is missing is skipped
with its reason, never silently.
"""

import numpy as np
import pytest
from conftest import DATA, data_path, optima

import optmodel as om
from optmodel.backend import Capability
from optmodel.dispatch import backend_classes

LINEAR = (Capability.LP, Capability.MIP)


def labels(capability):
    """``backend:sub`` for every sub-solver declaring the capability; unavailable ones as skips."""
    out = []
    for name, cls in sorted(backend_classes().items()):
        for sub, caps in cls.subsolvers.items():
            if capability not in caps:
                continue
            reason = cls.unavailable_reason()
            if reason is None and sub not in cls().available_subsolvers():
                reason = f"{name}:{sub} is not usable on this machine"
            marks = [pytest.mark.skip(reason=reason)] if reason else []
            out.append(pytest.param(f"{name}:{sub}", marks=marks, id=f"{name}:{sub}"))
    return out


def files(folder):
    if not (DATA / folder / "optimal.csv").exists():
        return [pytest.param("missing", marks=pytest.mark.skip(reason=f"no shared data at {DATA}"))]
    return sorted(optima(folder))


@pytest.mark.parametrize("name", files("netlib"))
@pytest.mark.parametrize("backend", labels(Capability.LP))
def test_netlib(backend, name):
    sol = om.read(str(data_path("netlib", f"{name}.mps"))).solve(backend)
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(optima("netlib")[name], rel=1e-6)


@pytest.mark.parametrize("name", files("miplib"))
@pytest.mark.parametrize("backend", labels(Capability.MIP))
def test_miplib(backend, name):
    model = om.read(str(data_path("miplib", f"{name}.mps")))
    try:
        sol = model.solve(backend, time_limit=120)
    except om.CapabilityError as err:  # declared per model (e.g. CP-SAT refuses continuous columns)
        pytest.skip(str(err))
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(optima("miplib")[name], rel=1e-6)


def infeasible_lp():
    m = om.Model("infeasible")
    x = m.var(2, lb=0)
    m.add(x.sum() <= 1, name="small")
    m.add(x[0] - x[1] >= 3, name="gap")
    m.minimize(x[0] + x[1])
    return m


def unbounded_lp():
    m = om.Model("unbounded")
    x = m.var(2, lb=0)
    m.add(x[0] - x[1] <= 1)
    m.maximize(x.sum())
    return m


@pytest.mark.parametrize("backend", labels(Capability.LP))
def test_infeasible_and_unbounded_are_reported_alike(backend):
    assert infeasible_lp().solve(backend).status is om.Status.INFEASIBLE
    assert unbounded_lp().solve(backend).status is om.Status.UNBOUNDED


@pytest.mark.parametrize("backend", labels(Capability.DUALS))
def test_unique_duals_agree_with_highs(backend):
    for name in ("sc50b", "kb2"):  # LPs whose optimal duals are unique
        model = om.read(str(data_path("netlib", f"{name}.mps")))
        reference = model.solve("highs")
        sol = model.solve(backend)
        assert sol.certified
        scale = 1 + np.abs(reference.row_duals).max()
        np.testing.assert_allclose(sol.row_duals, reference.row_duals, atol=1e-5 * scale)
