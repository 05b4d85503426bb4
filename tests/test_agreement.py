"""Every installed backend route agrees with HiGHS on small generated LPs and MIPs, or refuses.

Hypothesis states small models through the public API (1-5 variables, 0-5 rows, infinite and
fractional bounds, ranges and free rows, zero rows, an objective offset). HiGHS is the reference;
each route that ``capable_backends`` lists must either raise an ``OptmodelError`` with a message or
return HiGHS's status, and, when optimal, the same objective with optmodel's check passed. HiGHS
answering ``infeasible_or_unbounded`` is itself a failure: optmodel is meant to decide which.

The model is built once per example and every route is tried inside the example, so the run time
is bounded by ``max_examples``; ``derandomize`` makes the examples the same on every run.
``disagreements`` and ``render`` are also used by scratch scripts that tally many more examples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

import optmodel as om
from optmodel.dispatch import capable_backends
from optmodel.errors import OptmodelError
from optmodel.solution import Solution, Status

INF = np.inf
FINITE = (-3.0, -2.5, -2.0, -1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0)
COEFS = (-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.0, 2.0, 3.0)
KINDS = ("<=", ">=", "==", "range", "free")
DECIDED = (Status.OPTIMAL, Status.INFEASIBLE, Status.UNBOUNDED)
TOL = 1e-6


@dataclass
class Spec:
    """A small LP/MIP as plain data, so that a failing example can be printed as Python."""

    lb: list[float]
    ub: list[float]
    integer: list[bool]
    rows: list[tuple[str, list[float], float, float]]  # kind, coefficients, lower, upper
    sense: str  # "min" or "max"
    cost: list[float]
    offset: float

    @property
    def kind(self) -> str:
        return "MIP" if any(self.integer) else "LP"


# --- generation ------------------------------------------------------------------------------
finite = st.sampled_from(FINITE)
# An infinite side about one time in five (more would make most examples unbounded); a lower
# bound is never +inf (that is the error case below) and an upper bound never -inf.
lower_side = st.sampled_from((-INF, -INF, -INF, *FINITE))
upper_side = st.sampled_from((INF, INF, INF, *FINITE))


@st.composite
def bounds(draw):
    lo, hi = draw(lower_side), draw(upper_side)
    return (hi, lo) if lo > hi else (lo, hi)


@st.composite
def rows(draw, n):
    kind = draw(st.sampled_from(KINDS))
    if draw(st.integers(0, 5)) == 0:
        coefs = [0.0] * n  # a zero row: trivially satisfied or trivially infeasible
    else:
        coefs = draw(st.lists(st.sampled_from(COEFS), min_size=n, max_size=n))
    if kind == "range":
        lo, hi = draw(bounds())
    elif kind == "free":
        lo, hi = -INF, INF
    else:
        lo = hi = draw(finite)
    return kind, coefs, lo, hi


@st.composite
def specs(draw, mip=None):
    n = draw(st.integers(1, 5))
    is_mip = draw(st.booleans()) if mip is None else mip
    lbs, ubs = zip(*[draw(bounds()) for _ in range(n)])
    integer = draw(st.lists(st.booleans(), min_size=n, max_size=n)) if is_mip else [False] * n
    if is_mip and not any(integer):
        integer[draw(st.integers(0, n - 1))] = True
    return Spec(
        lb=list(lbs),
        ub=list(ubs),
        integer=integer,
        rows=draw(st.lists(rows(n), min_size=0, max_size=5)),
        sense=draw(st.sampled_from(("min", "max"))),
        cost=draw(st.lists(st.sampled_from(COEFS), min_size=n, max_size=n)),
        offset=draw(st.sampled_from((0.0, 1.0, -2.5, 10.0))),
    )


# --- building and printing -------------------------------------------------------------------
def _blocks(spec: Spec) -> list[tuple[str, list[int], bool]]:
    cont = [j for j, i in enumerate(spec.integer) if not i]
    ints = [j for j, i in enumerate(spec.integer) if i]
    return [(name, idx, integral) for name, idx, integral in (("x", cont, False), ("z", ints, True)) if idx]


def _grouped(spec: Spec) -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    out = []
    for kind in KINDS:
        mine = [r for r in spec.rows if r[0] == kind]
        if mine:
            A = np.array([r[1] for r in mine], dtype=float)
            out.append((kind, A, np.array([r[2] for r in mine]), np.array([r[3] for r in mine])))
    return out


def build(spec: Spec) -> om.Model:
    m = om.Model("agreement")
    blocks = []
    for name, idx, integral in _blocks(spec):
        lb = [spec.lb[j] for j in idx]
        ub = [spec.ub[j] for j in idx]
        blocks.append((idx, m.var(len(idx), lb=lb, ub=ub, integer=integral, name=name)))

    def lin(A: np.ndarray) -> om.Expr:
        terms = [A[..., idx] @ v for idx, v in blocks]
        return sum(terms[1:], terms[0])

    for kind, A, lo, hi in _grouped(spec):
        e = lin(A)
        if kind == "<=":
            m.add(e <= hi, name="le")
        elif kind == ">=":
            m.add(e >= lo, name="ge")
        elif kind == "==":
            m.add(e == lo, name="eq")
        elif kind == "range":
            m.add(e.between(lo, hi), name="range")
        else:
            m.add(e.between(-INF, INF), name="free")
    objective = lin(np.array(spec.cost, dtype=float)) + spec.offset
    (m.minimize if spec.sense == "min" else m.maximize)(objective)
    return m


def _num(v: float) -> str:
    if np.isinf(v):
        return "np.inf" if v > 0 else "-np.inf"
    return f"{v:g}"


def _list(vs) -> str:
    return "[" + ", ".join(_num(float(v)) for v in vs) + "]"


def render(spec: Spec) -> str:
    """The example as a few lines of Python through the public API."""
    lines = ["m = om.Model()"]
    names = []
    for name, idx, integral in _blocks(spec):
        kw = ", integer=True" if integral else ""
        lb, ub = _list(spec.lb[j] for j in idx), _list(spec.ub[j] for j in idx)
        lines.append(f"{name} = m.var({len(idx)}, lb={lb}, ub={ub}{kw})")
        names.append((name, idx))

    def lin(A: np.ndarray) -> str:
        if A.ndim == 1:
            return " + ".join(f"{_list(A[idx])} @ {name}" for name, idx in names)
        return " + ".join(f"np.array([{', '.join(_list(r) for r in A[:, idx])}]) @ {name}" for name, idx in names)

    for kind, A, lo, hi in _grouped(spec):
        e = lin(A)
        if kind == "<=":
            lines.append(f"m.add({e} <= {_list(hi)})")
        elif kind == ">=":
            lines.append(f"m.add({e} >= {_list(lo)})")
        elif kind == "==":
            lines.append(f"m.add({e} == {_list(lo)})")
        elif kind == "range":
            lines.append(f"m.add(({e}).between({_list(lo)}, {_list(hi)}))")
        else:
            lines.append(f"m.add(({e}).between(-np.inf, np.inf))")
    sense = "minimize" if spec.sense == "min" else "maximize"
    lines.append(f"m.{sense}({lin(np.array(spec.cost))} + {_num(spec.offset)})")
    return "\n".join(lines)


# --- the comparison --------------------------------------------------------------------------
def _attempt(model: om.Model, route: str) -> tuple[Solution | None, str | None]:
    """``(solution, None)``; ``(None, None)`` for a refusal with a reason; ``(None, problem)`` for a
    refusal without one or a crash."""
    try:
        return model.solve(route), None
    except OptmodelError as err:
        return None, (None if str(err).strip() else f"{type(err).__name__} without a message")
    except Exception as err:
        return None, f"raised {type(err).__name__}: {err}"


def _said(sol: om.Solution) -> str:
    if sol.status is Status.OPTIMAL:
        return f"optimal {sol.objective:.9g}"
    return f"{sol.status.value} ({sol.message})" if sol.message else sol.status.value


def disagreements(spec: Spec) -> list[tuple[str, str, str]]:
    """(route, what HiGHS said, what the route said) for every route that neither refuses with a
    reason nor agrees with HiGHS; the route ``highs`` names a failure of the reference itself."""
    model = build(spec)
    try:
        ref = model.solve("highs")
    except Exception as err:  # the reference must answer every one of these models
        return [("highs", "(reference)", f"raised {type(err).__name__}: {err}")]
    if ref.status not in DECIDED:
        # infeasible_or_unbounded (or anything undecided) is a failure of the reference
        print(f"HiGHS did not decide: {_said(ref)}\n{render(spec)}")
        return [("highs", "(reference)", _said(ref))]
    if ref.status is Status.OPTIMAL and not (ref.verification is not None and ref.verification.passed):
        return [("highs", "(reference)", f"optimal but unverified: {ref.verification}")]
    out = []
    for route in capable_backends(model):
        sol, problem = _attempt(model, route)
        if sol is None:
            if problem:
                out.append((route, _said(ref), problem))
            continue
        if sol.status is not ref.status:
            out.append((route, _said(ref), _said(sol)))
        elif sol.status is Status.OPTIMAL:
            if sol.objective is None or sol.objective != pytest.approx(ref.objective, rel=TOL, abs=TOL):
                out.append((route, _said(ref), f"optimal {sol.objective!r}"))
            elif sol.verification is None or not sol.verification.passed:
                problems = sol.verification.problems if sol.verification is not None else "no verification"
                out.append((route, _said(ref), f"optimal, verification not passed: {problems}"))
    return out


@settings(
    max_examples=50,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
@given(spec=specs())
def test_every_route_agrees_with_highs(spec):
    note(f"{spec.kind}:\n{render(spec)}")
    found = disagreements(spec)
    assert not found, "\n".join(f"{route}: HiGHS said {ref}, route said {got}" for route, ref, got in found)


# Examples that disagreed in longer runs of the same generator (300-1000 examples, tallied by a
# scratch script), at the commit or in the working tree of the day they were found; some may be
# fixed since. They are checked on every run, apart from the generated ones, so that a known
# failure does not stop the generator from looking for new ones.
FOUND = {
    # an infeasible LP with a free, improving column in no row: cvxpy:clarabel and cvxpy:scs said
    # "unbounded" (a dual-infeasibility ray taken for unboundedness without a feasible point)
    "infeasible LP, improving ray": Spec(
        [0, 0, -INF], [1, 1, INF], [False] * 3, [("==", [1, 1, 0], 3, 3)], "max", [0, 0, 1], 0.0
    ),
    # repeated, contradictory equalities: cvxpy:clarabel failed (status error) instead of infeasible
    "infeasible LP, repeated equalities": Spec(
        [-2],
        [1.5],
        [False],
        [(">=", [-0.5], -1, -1), ("==", [2], 1, 1), ("==", [2], -1, -1), ("==", [2], -1, -1)],
        "max",
        [-2],
        1.0,
    ),
    # cvxpy:scipy: error instead of unbounded; pyomo (HiGHS): infeasible_or_unbounded
    "unbounded MIP with a row": Spec([0], [INF], [True], [(">=", [1], 1, 1)], "max", [1], 0.0),
    # ortools:scip raised "OR-Tools failed: Expected no NaN or inf" (an OptmodelError, so allowed)
    "unbounded LP with a row": Spec([0, 0], [INF, INF], [False] * 2, [("<=", [1, -1], 0, 0)], "max", [1, 0], 1.0),
    # cvxpy:scs: "The solver SCS cannot solve this problem" instead of unbounded
    "unbounded LP, free variables": Spec(
        [-INF, -INF], [INF, INF], [False] * 2, [(">=", [1, -1], 0, 0)], "min", [-2, 0], 0.0
    ),
    # fractional integer bounds: pyomo routes returned a fractional "optimal" point (unverified) or
    # termination 'unknown'
    "integer bounds [1, 1.5] and [1.5, 3]": Spec([1, 1.5], [1.5, 3], [True, True], [], "min", [3, 0], 0.0),
    "integer bounds [1.5, 3], zero objective": Spec([1.5], [3], [True], [], "min", [0], 0.0),
    # rows with both sides infinite: scip:scip raised a bare AssertionError
    "free row beside bounded columns": Spec(
        [-2.5, -2.5], [3, 3], [False] * 2, [("free", [-2, 0], -INF, INF)], "min", [-1, -2], 0.0
    ),
    "free row in an infeasible LP": Spec(
        [-INF], [INF], [False], [("==", [0], 0.5, 0.5), ("free", [0], -INF, INF)], "max", [0], 0.0
    ),
}


@pytest.mark.parametrize("name", list(FOUND))
def test_found_examples_agree_with_highs(name):
    spec = FOUND[name]
    found = disagreements(spec)
    assert not found, f"{spec.kind}:\n{render(spec)}\n" + "\n".join(
        f"{route}: HiGHS said {ref}, route said {got}" for route, ref, got in found
    )


# --- edge cases, stated by hand --------------------------------------------------------------
def _agree(model: om.Model, expected: Status, objective: float | None = None) -> list[str]:
    """Check HiGHS against ``expected``, then every capable route against HiGHS; the failures."""
    ref = model.solve("highs")
    out = []
    if ref.status is not expected:
        out.append(f"highs: expected {expected.value}, got {_said(ref)}")
    elif objective is not None and ref.objective != pytest.approx(objective, rel=TOL, abs=TOL):
        out.append(f"highs: expected objective {objective}, got {ref.objective}")
    for route in capable_backends(model):
        sol, problem = _attempt(model, route)
        if sol is None:
            if problem:
                out.append(f"{route}: {problem}")
            continue
        if sol.status is not expected:
            out.append(f"{route}: expected {expected.value}, got {_said(sol)}")
        elif objective is not None and sol.objective != pytest.approx(objective, rel=TOL, abs=TOL):
            out.append(f"{route}: expected objective {objective}, got {sol.objective}")
        elif expected is Status.OPTIMAL and not sol.verification.passed:
            out.append(f"{route}: optimal but verification not passed: {sol.verification.problems}")
    return out


def _integer_in_narrow_fractional_box() -> om.Model:
    m = om.Model("no-integer-in-box")
    z = m.var(lb=1.5, ub=1.7, integer=True)  # no integer in [1.5, 1.7]
    m.minimize(z)
    return m


def _row_with_both_sides_infinite() -> om.Model:
    m = om.Model("free-row")
    x = m.var(2, lb=0, ub=4)
    m.add((x[0] - 2 * x[1]).between(-np.inf, np.inf))
    m.add(x.sum() >= 1)
    m.minimize(x @ [1, 2] + 0.5)
    return m


def _free_vars_no_rows(objective: str) -> om.Model:
    m = om.Model("free-no-rows")
    x = m.var(2)
    m.minimize(0 * x.sum() if objective == "zero" else x[0])
    return m


def _free_vars_no_rows_mip(objective: str) -> om.Model:
    m = om.Model("free-no-rows-mip")
    x = m.var(2, integer=True)
    m.minimize(0 * x.sum() if objective == "zero" else x[0])
    return m


EDGE_CASES = {
    "integer in [1.5, 1.7] is infeasible": (_integer_in_narrow_fractional_box, Status.INFEASIBLE, None),
    "row with both sides infinite": (_row_with_both_sides_infinite, Status.OPTIMAL, 1.5),
    "free variables, no rows, min 0": (lambda: _free_vars_no_rows("zero"), Status.OPTIMAL, 0.0),
    "free variables, no rows, min x": (lambda: _free_vars_no_rows("x"), Status.UNBOUNDED, None),
    "free integer variables, no rows, min 0": (lambda: _free_vars_no_rows_mip("zero"), Status.OPTIMAL, 0.0),
    "free integer variables, no rows, min x": (lambda: _free_vars_no_rows_mip("x"), Status.UNBOUNDED, None),
}


@pytest.mark.parametrize("case", list(EDGE_CASES))
def test_edge_cases(case):
    make, expected, objective = EDGE_CASES[case]
    failures = _agree(make(), expected, objective)
    assert not failures, "\n".join(failures)


def test_lower_bound_plus_infinity_is_a_clear_error():
    # lb = +inf leaves no value for the variable; it must be refused with a message, either when
    # the variable is declared or, at the latest, by every route when solved.
    try:
        m = om.Model("lb-plus-inf")
        x = m.var(lb=np.inf)
        m.add(x <= 3)
        m.minimize(x)
    except OptmodelError as err:
        assert str(err).strip()
        return
    failures = []
    for route in ["highs", *capable_backends(m)]:
        sol, problem = _attempt(m, route)
        if sol is None:
            if problem:
                failures.append(f"{route}: {problem}")
            continue
        failures.append(f"{route}: no error for lb=+inf, returned {_said(sol)}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize(
    ("box", "accepted"),
    [
        ((0.0, 10.0), (Status.INFEASIBLE,)),  # x - y <= 10 here: infeasible is the answer
        ((-np.inf, np.inf), (Status.INFEASIBLE, Status.UNBOUNDED)),  # x = y + 1e30, min x + y: unbounded
    ],
    ids=["bounded", "free"],
)
def test_ill_posed_right_hand_side_is_never_certified_optimal(box, accepted):
    # x - y >= 1e30 is beyond every solver's infinity (HiGHS reads 1e20 and above as infinite and
    # would drop the row): a clear error, or infeasible (unbounded where the variables are free,
    # which is the exact answer there), never optimal.
    failures = []
    try:
        m = om.Model("huge-rhs")
        x = m.var(lb=box[0], ub=box[1])
        y = m.var(lb=box[0], ub=box[1])
        m.add(x - y >= 1e30)
        m.minimize(x + y)
        routes = ["highs", *capable_backends(m)]
    except OptmodelError as err:
        assert str(err).strip()
        return
    for route in routes:
        sol, problem = _attempt(m, route)
        if sol is None:
            if problem:
                failures.append(f"{route}: {problem}")
            continue
        if sol.status not in accepted:
            want = " or ".join(a.value for a in accepted)
            failures.append(f"{route}: expected an error or {want}, got {_said(sol)} certified={sol.certified}")
    assert not failures, "\n".join(failures)


def test_capable_routes_answer_a_textbook_lp_and_mip():
    # Refusing with a reason is allowed above, so a route that refused everything would pass there;
    # a route that capable_backends lists must at least solve a plain, well-posed LP and MIP.
    failures = []
    for mip, objective in ((False, 5.1), (True, 4.5)):  # LP vertex (2.4, 1.2); integer (2, 1) or (3, 0)
        m = om.Model("textbook")
        x = m.var(2, lb=0, ub=10, integer=mip)
        m.add(np.array([[2.0, 1.0], [1.0, 3.0]]) @ x <= [6, 6])
        m.maximize(x @ [1.0, 1.0] + 1.5)
        for route in capable_backends(m):
            try:
                sol = m.solve(route)
            except Exception as err:
                failures.append(f"{route} ({'MIP' if mip else 'LP'}): raised {type(err).__name__}: {err}")
                continue
            if sol.status is not Status.OPTIMAL or sol.objective != pytest.approx(objective, rel=TOL, abs=TOL):
                failures.append(f"{route} ({'MIP' if mip else 'LP'}): expected optimal {objective}, got {_said(sol)}")
    assert not failures, "\n".join(failures)
