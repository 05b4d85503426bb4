"""Certificates of infeasibility and unboundedness (``optmodel.certificates``), on every LP route.

Outside answers: MathOptInterface's ``test_solve_DualStatus_INFEASIBILITY_CERTIFICATE_*`` and
``test_linear_INFEASIBLE`` state the Farkas duals of the row and of the variable bounds (up to a
positive factor), ``test_linear_DUAL_INFEASIBLE_2`` that the ray has x = y; Netlib LPs cut off
below their published optimum are infeasible, and weak duality against that optimum bounds the
certificate; random LPs are made infeasible by a row contradicting a known combination of rows, or
unbounded along a known ray from a known point. A ray that is provably not a certificate (one that
a feasible point satisfies, one that leaves a finite bound, one that worsens the objective) must
be rejected, so a checker that accepted everything, or nothing, fails here.
"""

from __future__ import annotations

import csv
import dataclasses
import json

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import data_path
from moi_cases import CASES

import optmodel as om
from optmodel.backend import RawResult, SolveOptions
from optmodel.canonical import CanonicalForm, Names, Sense
from optmodel.certificates import (
    MAX_DENOMINATOR,
    certify,
    check_farkas,
    check_primal_ray,
)
from optmodel.dispatch import capable_backends, get_backend
from optmodel.solution import Status, Termination

# ---------------------------------------------------------------------------------------------
# Generated LPs with known answers
# ---------------------------------------------------------------------------------------------


def _feasible_system(rng: np.random.Generator, m: int, n: int):
    """Random sparse rows and bounds of every kind, all satisfied by a known point x0."""
    A = sp.random(m, n, density=0.15, random_state=rng, data_rvs=lambda k: rng.normal(size=k).round(3), format="csr")
    x0 = rng.uniform(0, 10, n)
    kind = rng.integers(0, 3, n)  # [0, inf), free, [l, u]
    col_lower = np.where(kind == 1, -np.inf, np.where(kind == 2, x0 - rng.uniform(0, 5, n), 0.0))
    col_upper = np.where(kind == 2, x0 + rng.uniform(0, 5, n), np.inf)
    act = A @ x0
    rk = rng.integers(0, 4, m)  # <=, >=, =, ranged
    slack = rng.uniform(0, 3, m)
    row_lower = np.where(rk == 0, -np.inf, np.where(rk == 2, act, act - slack))
    row_upper = np.where(rk == 1, np.inf, np.where(rk == 2, act, act + slack))
    return sp.csr_array(A), row_lower, row_upper, col_lower, col_upper, x0


def infeasible_lp(seed: int, m: int = 40, n: int = 60) -> tuple[CanonicalForm, np.ndarray, np.ndarray]:
    """A feasible system plus a row that contradicts a positive combination of its upper sides:
    (form, a Farkas ray known by construction, the point x0 that satisfies every other row)."""
    rng = np.random.default_rng(seed)
    A, rl, ru, cl, cu, x0 = _feasible_system(rng, m, n)
    upper = np.flatnonzero(np.isfinite(ru))
    rows = rng.choice(upper, size=5, replace=False)
    w = rng.uniform(0.5, 2, rows.size).round(2)
    combined = w @ A[rows].toarray()
    bound = float(w @ ru[rows])
    A2 = sp.csr_array(sp.vstack([A, sp.csr_array(combined[None, :])], format="csr"))
    form = CanonicalForm(
        Sense.MINIMIZE, rng.normal(size=n), 0.0, A2, np.append(rl, bound + 1.0 + 0.01 * abs(bound)),
        np.append(ru, np.inf), cl, cu, np.zeros(n, dtype=bool), name=f"infeasible{seed}",
    )
    y = np.zeros(m + 1)
    y[rows], y[m] = -w, 1.0
    return form, y, x0


def unbounded_lp(seed: int, sense: Sense, m: int = 40, n: int = 60) -> tuple[CanonicalForm, np.ndarray, np.ndarray]:
    """A feasible system whose rows are opened in the direction of a known ray d (nonnegative,
    on columns without upper bound) and an objective improving by 1 per unit of d: (form, d, x0)."""
    rng = np.random.default_rng(seed)
    A, rl, ru, cl, cu, x0 = _feasible_system(rng, m, n)
    cols = rng.choice(np.flatnonzero(~np.isfinite(cu)), size=4, replace=False)
    d = np.zeros(n)
    d[cols] = rng.uniform(0.5, 2, cols.size).round(2)
    r = A @ d
    rl, ru = np.where(r < 0, -np.inf, rl), np.where(r > 0, np.inf, ru)
    act = A @ x0
    free = ~np.isfinite(rl) & ~np.isfinite(ru)  # keep one side of each row
    rl, ru = np.where(free & (r > 0), act - 1, rl), np.where(free & (r < 0), act + 1, ru)
    c = rng.normal(size=n)
    c[cols[0]] -= (c @ d + 1.0) / d[cols[0]]  # c·d = -1: minimising improves along d
    objective = c if sense is Sense.MINIMIZE else -c
    form = CanonicalForm(sense, objective, 0.0, A, rl, ru, cl, cu, np.zeros(n, dtype=bool), name=f"unbounded{seed}")
    return form, d, x0


def _model(form: CanonicalForm) -> om.Model:
    return om.Model.from_canonical(form)[0]


def _lp_routes(model: om.Model) -> list[str]:
    return list(capable_backends(model))


def _skip_unless_capable(route: str, model: om.Model) -> None:
    if get_backend(route).label not in capable_backends(model):
        pytest.skip(f"{route} is not installed or cannot take this model")


# ---------------------------------------------------------------------------------------------
# HiGHS's rays: the sign convention, checked on small LPs
# ---------------------------------------------------------------------------------------------


def _form(c, A, rl, ru, cl, cu, sense=Sense.MINIMIZE) -> CanonicalForm:
    n = len(c)
    return CanonicalForm(sense, np.asarray(c, float), 0.0, sp.csr_array(np.asarray(A, float)), np.asarray(rl, float),
                         np.asarray(ru, float), np.asarray(cl, float), np.asarray(cu, float), np.zeros(n, dtype=bool))


@pytest.mark.parametrize("sense", [Sense.MINIMIZE, Sense.MAXIMIZE])
def test_highs_dual_ray_prices_lower_sides_positively(sense):
    pytest.importorskip("highspy")
    from optmodel.solving import load_and_run

    inf = np.inf
    # x + y >= 2 and x + y <= 1: the lower side of row 0 and the upper side of row 1, weights 1 and -1.
    form = _form([1, 1], [[1, 1], [1, 1]], [2, -inf], [inf, 1], [0, 0], [inf, inf], sense)
    raw = load_and_run(get_backend("highs"), form, SolveOptions())
    assert raw.termination is Termination.INFEASIBLE
    y = raw.dual_ray / np.abs(raw.dual_ray).max()
    np.testing.assert_allclose(y, [1, -1], atol=1e-9)
    # min -x - y with x - y >= -1, x, y >= 0: unbounded along x (HiGHS's ray is a valid one).
    form = _form([-1, -1], [[1, -1]], [-1], [inf], [0, 0], [inf, inf], sense)
    if sense is Sense.MAXIMIZE:
        form = dataclasses.replace(form, c=-form.c)
    raw = load_and_run(get_backend("highs"), form, SolveOptions())
    assert raw.termination is Termination.UNBOUNDED and raw.primal_ray is not None
    assert check_primal_ray(form, raw.primal_ray, np.zeros(2)).checked


# ---------------------------------------------------------------------------------------------
# MathOptInterface's certificates
# ---------------------------------------------------------------------------------------------

# case -> (sign of MOI's ConstraintDual of the row, MOI's duals of the bounds x >= 0 / x <= 0 for
# a row dual of magnitude 1). MOI's Farkas duals use optmodel's (HiGHS's) sign convention: the row
# weight is y, the bound duals are -(Aᵀy) (test_solve.jl: clb_dual ≈ [2, 1] .* ∓c_dual).
MOI_FARKAS = {
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_upper": (-1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_EqualTo_lower": (1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_LessThan": (-1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_GreaterThan": (1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_upper": (-1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_Interval_lower": (1, [2, 1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan": (1, [-2, -1]),
    "solve_DualStatus_INFEASIBILITY_CERTIFICATE_SingleVariable_LessThan_max": (1, [-2, -1]),
    # test_linear.jl: cd < 0, and (commented out there) xd ≈ -2cd, yd ≈ -cd.
    "linear_INFEASIBLE": (-1, [2, 1]),
}
_BY_NAME = {case.name: case for case in CASES}


def _cells(names) -> list:
    cells = []
    for name in names:
        model, _ = _BY_NAME[name].build()
        cells += [pytest.param(name, route, id=f"{name}-{route}") for route in capable_backends(model)]
    return cells


@pytest.mark.parametrize(("name", "route"), _cells(MOI_FARKAS))
def test_moi_farkas_duals(name, route):
    model, _ = _BY_NAME[name].build()
    sol = model.solve(route)
    assert sol.status is Status.INFEASIBLE and sol.certified, sol.stats.get("certificate")
    sign, bound_duals = MOI_FARKAS[name]
    cert = sol.certificate
    assert cert.kind == "farkas"
    np.testing.assert_allclose(cert.ray, [sign], atol=1e-9)  # normalised to largest weight 1
    np.testing.assert_allclose(cert.bound_weights, bound_duals, atol=1e-7)


# The infeasible MIPs whose LP relaxation is feasible: no Farkas certificate exists.
RELAXATION_FEASIBLE = {"cvxpy_mi_lp_3", "cvxpy_mi_lp_5", "mip_parity_infeasible"}


@pytest.mark.parametrize(
    ("name", "route"), _cells([c.name for c in CASES if c.status in ("infeasible", "unbounded")])
)
def test_moi_infeasible_and_unbounded_cases_are_certified(name, route):
    case = _BY_NAME[name]
    model, _ = case.build()
    sol = model.solve(route)
    assert sol.status.value == case.status
    backend = get_backend(route)
    if om.backend.Capability.LP not in backend.capabilities and sol.certificate is None:
        assert not sol.certified and "LP" in sol.stats["certificate"]  # CP-SAT: no LP to compute it by
        return
    if name in RELAXATION_FEASIBLE:
        assert not sol.certified and "relaxation is feasible" in sol.stats["certificate"]
        return
    assert sol.certified, (sol.certificate.words() if sol.certificate else sol.stats.get("certificate"))
    assert sol.certificate.kind == ("farkas" if case.status == "infeasible" else "primal_ray")
    assert sol.to_dict()["certificate"]["checked"] is True and sol.to_dict()["certified"] is True


@pytest.mark.parametrize(("name", "route"), _cells(["linear_DUAL_INFEASIBLE_2", "linear_DUAL_INFEASIBLE"]))
def test_moi_primal_rays(name, route):
    model, _ = _BY_NAME[name].build()
    sol = model.solve(route)
    assert sol.status is Status.UNBOUNDED and sol.certified
    d = sol.certificate.ray
    if name == "linear_DUAL_INFEASIBLE_2":  # test_linear.jl: ray[1] ≈ ray[2]
        assert d[0] == pytest.approx(d[1], abs=1e-7) and d[0] > 0
    else:  # min -x - y, -x + 2y <= 0, x, y >= 0, by hand: d >= 0, -d0 + 2 d1 <= 0, d0 + d1 > 0
        assert np.all(d >= -1e-12) and -d[0] + 2 * d[1] <= 1e-9 and d.sum() > 0.1


# ---------------------------------------------------------------------------------------------
# Generated infeasible and unbounded LPs, every fast route
# ---------------------------------------------------------------------------------------------


def _some_routes(form: CanonicalForm, include_slow: bool = False) -> list[str]:
    routes = _lp_routes(_model(form))
    if not include_slow:
        routes = [r for r in routes if "pdlp" not in r and "scs" not in r]  # first-order: below, once
    return routes


@pytest.mark.parametrize("seed", range(3))
def test_random_infeasible_lps_are_certified(seed):
    form, y, _ = infeasible_lp(seed)
    assert check_farkas(form, y).checked  # the ray known by construction
    failures = []
    for route in _some_routes(form, include_slow=seed == 0):
        sol = _model(form).solve(route)
        if not (sol.status is Status.INFEASIBLE and sol.certified):
            failures.append(f"{route}: {sol.status.value} {sol.stats.get('certificate') or sol.certificate}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(("seed", "sense"), [(0, Sense.MINIMIZE), (1, Sense.MAXIMIZE), (2, Sense.MINIMIZE)])
def test_random_unbounded_lps_are_certified(seed, sense):
    form, d, x0 = unbounded_lp(seed, sense)
    assert check_primal_ray(form, d, x0).checked  # the ray and point known by construction
    failures = []
    for route in _some_routes(form, include_slow=seed == 1):
        sol = _model(form).solve(route)
        cert = sol.certificate
        if route.endswith("pdlp") and sol.status is Status.UNBOUNDED and not sol.certified:
            # a first-order method's ray leaves a row (by ~1e-10 per step): honestly not a certificate,
            # and said so
            note = sol.stats["certificate"]
            assert "towards its finite side" in note or "as far as the ray" in note
            continue
        if not (sol.status is Status.UNBOUNDED and sol.certified):
            failures.append(f"{route}: {sol.status.value} {sol.stats.get('certificate') or cert}")
            continue
        # independently of the checker: feasible start, rows stay in their cone, objective improves
        x, ray = cert.point, cert.ray
        act, move = form.A @ x, form.A @ ray
        assert np.all(act >= form.row_lower - 1e-6 * (1 + np.abs(form.row_lower)))
        assert np.all(act <= form.row_upper + 1e-6 * (1 + np.abs(form.row_upper)))
        assert np.all(move[np.isfinite(form.row_upper)] <= 1e-7) and np.all(move[np.isfinite(form.row_lower)] >= -1e-7)
        assert sense.sign * (form.c @ ray) < -1e-6
    assert not failures, "\n".join(failures)


def test_nearly_unbounded_and_nearly_infeasible_are_not_certified():
    """Perturbations of 1e-8 and 1e-9 that leave an LP bounded (optimum 1e8) or feasible, and a QP
    whose Q is positive definite by 5e-9: no ray may prove the opposite (the cases of a review)."""

    A = sp.csr_array(np.array([[1.0, -1.0], [-(1 - 1e-8), 1.0]]))
    form = CanonicalForm(Sense.MAXIMIZE, np.array([1.0, 0.0]), 0.0, A, np.full(2, -np.inf), np.array([0.0, 1.0]),
                         np.full(2, -np.inf), np.full(2, np.inf), np.zeros(2, dtype=bool))
    assert not check_primal_ray(form, [1.0, 1.0], [0.0, 0.0]).checked
    A = sp.csr_array(np.array([[1.0, 1.0], [-1.0, -(1 - 1e-9)]]))
    form = CanonicalForm(Sense.MINIMIZE, np.zeros(2), 0.0, A, np.array([1.0, 0.0]), np.full(2, np.inf),
                         np.array([-np.inf, 0.0]), np.array([np.inf, 2e9]), np.zeros(2, dtype=bool))
    assert not check_farkas(form, [1.0, 1.0]).checked
    Q = sp.csr_array(np.array([[1.0, -1.0], [-1.0, 1.0 + 1e-8]]))
    form = CanonicalForm(Sense.MINIMIZE, np.array([-1.0, -1.0]), 0.0, sp.csr_array((0, 2)), np.zeros(0), np.zeros(0),
                         np.full(2, -np.inf), np.full(2, np.inf), np.zeros(2, dtype=bool), Q=Q)
    assert not check_primal_ray(form, [1.0, 1.0], [0.0, 0.0]).checked


def test_certificate_words_read_zero_at_least_one():
    form, _, _ = infeasible_lp(3)
    sol = _model(form).solve("highs")
    cert = sol.certificate
    assert sol.certified
    # Recompute the normalised contradiction from the ray alone: rows give >= 1 + what bounds allow.
    w = cert.ray / (cert.rhs - cert.lhs)
    priced = np.where(w > 0, form.row_lower, np.where(w < 0, form.row_upper, 0.0))
    g = form.A.T @ w
    cap = np.where(g > 1e-12, form.col_upper, np.where(g < -1e-12, form.col_lower, 0.0))
    assert float(w[w != 0] @ priced[w != 0]) - float(g[g != 0] @ cap[g != 0]) == pytest.approx(1.0, rel=1e-9)
    words = cert.words()
    assert words.endswith("give 0 >= 1") and "combined with weights" in words
    named = words.split(" combined")[0].removeprefix("rows ").split(", ")
    assert len(named) <= 8
    if np.count_nonzero(cert.ray) > 8:
        assert f"and {np.count_nonzero(cert.ray) - 8} more rows" in words


# ---------------------------------------------------------------------------------------------
# Wrong rays are rejected
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_tampered_farkas_rays_are_rejected(seed):
    form, y, x0 = infeasible_lp(seed)
    assert check_farkas(form, y).checked
    # Without the contradicting row the other rows hold at x0: no weights on them can contradict.
    act = form.A[:-1] @ x0
    assert np.all(act >= form.row_lower[:-1] - 1e-9) and np.all(act <= form.row_upper[:-1] + 1e-9)
    tampered = y.copy()
    tampered[-1] = 0.0
    assert not check_farkas(form, tampered).checked
    rng = np.random.default_rng(seed)
    for _ in range(20):
        random_ray = np.where(rng.random(form.num_rows - 1) < 0.3, rng.normal(size=form.num_rows - 1), 0.0)
        assert not check_farkas(form, np.append(random_ray, 0.0)).checked
    # The solver's own ray, tampered the same way.
    sol = _model(form).solve("highs")
    assert sol.certified
    ray = sol.certificate.ray.copy()
    ray[-1] = 0.0
    assert not check_farkas(form, ray).checked
    # A ray that leaves out a row the contradiction needs prices an open direction or loses it.
    needed = np.flatnonzero(y[:-1])[0]
    tampered = y.copy()
    tampered[needed] = 0.0
    cert = check_farkas(form, tampered)
    assert not cert.checked and cert.problems


@pytest.mark.parametrize("seed", range(3))
def test_tampered_primal_rays_are_rejected(seed):
    form, d, x0 = unbounded_lp(seed, Sense.MINIMIZE)
    assert check_primal_ray(form, d, x0).checked
    assert not check_primal_ray(form, -d, x0).checked  # the objective worsens along -d
    boxed = np.flatnonzero(np.isfinite(form.col_upper))[0]
    bad = d.copy()
    bad[boxed] += 0.5  # towards a finite upper bound
    assert not check_primal_ray(form, bad, x0).checked
    far = x0 + 100.0  # not a feasible start
    assert not check_primal_ray(form, d, far).checked
    assert not check_primal_ray(form, d, None).checked
    # A direction that moves a row with two finite sides (A d = 0 there by construction), along a
    # column that may grow: only the row forbids it.
    two_sided = np.isfinite(form.row_upper) & np.isfinite(form.row_lower)
    open_up = ~np.isfinite(form.col_upper)
    rows, cols = form.A.nonzero()
    hits = np.flatnonzero(two_sided[rows] & open_up[cols])
    assert hits.size, "the generator should give such a row"
    bad = d.copy()
    bad[cols[hits[0]]] += 0.5
    cert = check_primal_ray(form, bad, x0)
    assert not cert.checked and "constraint" in cert.problems[0]


def test_a_wrong_infeasible_claim_is_not_certified():
    form, _, _ = unbounded_lp(0, Sense.MINIMIZE)  # feasible
    raw = RawResult(Termination.INFEASIBLE, dual_ray=np.ones(form.num_rows))
    cert, why = certify(form, Termination.INFEASIBLE, raw, get_backend("highs"), SolveOptions())
    assert (cert is None or not cert.checked) and "may be feasible" in why
    bounded = dataclasses.replace(form, col_lower=np.full(form.num_cols, -5.0), col_upper=np.full(form.num_cols, 50.0))
    raw = RawResult(Termination.UNBOUNDED, primal_ray=np.ones(form.num_cols))
    cert, why = certify(bounded, Termination.UNBOUNDED, raw, get_backend("highs"), SolveOptions())
    assert cert is None or not cert.checked


def test_a_failing_solver_ray_falls_back_to_the_farkas_lp(monkeypatch):
    pytest.importorskip("highspy")
    import optmodel.backends.highs as highs_backend

    def bogus(h, form, raw):
        raw.dual_ray = np.ones(form.num_rows)  # not a certificate of this model

    monkeypatch.setattr(highs_backend, "_rays", bogus)
    form, _, _ = infeasible_lp(1)
    sol = _model(form).solve("highs")
    assert sol.certified and sol.certificate.source.startswith("Farkas LP on highs")


# ---------------------------------------------------------------------------------------------
# Netlib LPs cut below their published optimum
# ---------------------------------------------------------------------------------------------


def _netlib_cut(name: str, optimum: float) -> tuple[CanonicalForm, float]:
    from optmodel.formats import read_model_file

    form = read_model_file(data_path("netlib", f"{name}.mps"))
    cut = 1e-4 * (1 + abs(optimum))
    s = form.sense.sign
    bound = optimum - form.offset - s * cut  # min: c x <= z* - cut; max: c x >= z* + cut
    A = sp.csr_array(sp.vstack([form.A, sp.csr_array(form.c[None, :])], format="csr"))
    lower = np.append(form.row_lower, -np.inf if s > 0 else bound)
    upper = np.append(form.row_upper, bound if s > 0 else np.inf)
    names = Names.from_list([*form.row_names, "objective_cut"])
    return dataclasses.replace(form, A=A, row_lower=lower, row_upper=upper, row_names=names), cut


def _netlib() -> list:
    path = data_path("netlib", "optimal.csv")
    with open(path) as f:
        return [(r["name"], float(r["optimal_objective"])) for r in csv.DictReader(f)]


@pytest.mark.parametrize("route", ["highs", "scip", "ortools:glop"])
def test_netlib_below_the_optimum_is_certified_infeasible(route):
    failures = []
    for name, optimum in _netlib():
        form, cut = _netlib_cut(name, optimum)
        model = _model(form)
        _skip_unless_capable(route, model)
        sol = model.solve(route)
        cert = sol.certificate
        if not (sol.status is Status.INFEASIBLE and sol.certified):
            failures.append(f"{name}: {sol.status.value} {sol.stats.get('certificate') or cert}")
            continue
        # Scaled to weight 1 on the cut, the other rows are dual feasible with a dual bound of
        # (z* ∓ cut) ± margin, which weak duality keeps within the published optimum z*.
        weight = abs(cert.ray[-1])
        assert weight > 0, f"{name}: the certificate does not use the objective cut"
        slack = (cert.rhs - cert.lhs) / weight
        assert 0 < slack <= cut * (1 + 1e-5) + 1e-9 * abs(optimum), f"{name}: {slack} vs cut {cut}"
    assert not failures, "\n".join(failures)


# ---------------------------------------------------------------------------------------------
# MIPs, quadratic objectives
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["highs", "scip"])
def test_unbounded_mip_gets_an_integral_ray(route):
    # max x + y, 2x - 3y = 0, x, y >= 0 integer: every (3k, 2k); the smallest integral step is (3, 2).
    m = om.Model()
    x = m.var(lb=0, integer=True)
    y = m.var(lb=0, integer=True)
    m.add(2 * x - 3 * y == 0)
    m.maximize(x + y)
    _skip_unless_capable(route, m)
    sol = m.solve(route)
    assert sol.status is Status.UNBOUNDED and sol.certified, sol.stats.get("certificate")
    np.testing.assert_array_equal(sol.certificate.ray, [3.0, 2.0])
    assert "integer columns integral" in sol.certificate.words()


def test_a_fractional_mip_ray_is_not_certified():
    form = _form([-1, -1], [[1, -np.sqrt(2)]], [0], [0], [0, 0], [np.inf, np.inf])
    form = dataclasses.replace(form, integrality=np.array([True, True]))
    cert = check_primal_ray(form, [np.sqrt(2), 1.0], [0.0, 0.0])
    assert not cert.checked and f"{MAX_DENOMINATOR}" in cert.problems[0]
    # The same ray on the LP relaxation is a certificate.
    assert check_primal_ray(dataclasses.replace(form, integrality=np.zeros(2, dtype=bool)), [np.sqrt(2), 1.0],
                            [0.0, 0.0]).checked


@pytest.mark.parametrize("route", ["highs", "scip", "cvxpy:highs"])
def test_semicontinuous_models_use_their_relaxation(route):
    # x = 0 or 2 <= x <= 5, 0 <= y <= 1, x + y >= 7: even the relaxation 0 <= x <= 5 is infeasible.
    m = om.Model()
    x = m.var(lb=2, ub=5, semicontinuous=True)
    y = m.var(lb=0, ub=1)
    m.add(x + y >= 7)
    m.minimize(x)
    _skip_unless_capable(route, m)
    sol = m.solve(route)
    assert sol.status is Status.INFEASIBLE and sol.certified
    np.testing.assert_allclose(sol.certificate.bound_weights, [-1, -1])  # x <= 5 and y <= 1, weight 1 each
    # Unbounded with a semicontinuous column: honestly not certified.
    m = om.Model()
    x = m.var(lb=2, ub=5, semicontinuous=True)
    y = m.var(lb=0)
    m.add(x - y <= 1)
    m.minimize(-x - y)
    sol = m.solve(route)
    assert sol.status is Status.UNBOUNDED and not sol.certified and "semicontinuous" in sol.stats["certificate"]


@pytest.mark.parametrize("route", ["highs", "scip", "cvxpy:clarabel"])
def test_unbounded_qp_ray_keeps_the_curvature_flat(route):
    m = om.Model()
    x = m.var(lb=0)
    y = m.var()
    m.minimize((y - 1) * (y - 1) - x)
    _skip_unless_capable(route, m)
    sol = m.solve(route)
    assert sol.status is Status.UNBOUNDED and sol.certified
    np.testing.assert_allclose(sol.certificate.ray, [1.0, 0.0], atol=1e-9)
    # A ray along y would curve the objective upwards: rejected.
    assert not check_primal_ray(m.canonical(), [1.0, 1.0], sol.certificate.point).checked


# ---------------------------------------------------------------------------------------------
# The CLI and the JSON summary
# ---------------------------------------------------------------------------------------------


def test_cli_prints_the_certificate(tmp_path, capsys):
    from optmodel.cli import main

    path = tmp_path / "infeasible.lp"
    path.write_text(
        "Minimize\n obj: x + y\nSubject To\n c1: x + y >= 4\n c2: x - y >= 1\n c3: x <= 2\n c4: y >= 2\n"
        "Bounds\n x >= 0\n y >= 0\nEnd\n"
    )
    assert main(["solve", str(path), "--backend", "highs"]) == 0
    out = capsys.readouterr().out
    # c2 - c3 + c4: (x - y) - x + y >= 1 - 2 + 2, i.e. 0 >= 1
    assert "certificate (Farkas ray" in out and "rows c2, c3, c4 combined with weights 1, -1, 1 give 0 >= 1" in out
    assert main(["solve", str(path), "--backend", "highs", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["certified"] is True and answer["certificate"]["kind"] == "farkas"
    assert answer["certificate"]["words"].endswith("give 0 >= 1")
    unbounded = tmp_path / "unbounded.lp"
    unbounded.write_text("Maximize\n obj: x + 2 y\nSubject To\n c1: x - y <= 1\n c2: -x + y <= 3\nEnd\n")
    assert main(["solve", str(unbounded), "--backend", "highs"]) == 0
    out = capsys.readouterr().out
    assert "certificate (primal ray and feasible point" in out and "raises the objective by 3" in out
