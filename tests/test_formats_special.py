"""Quadratic objectives, SOS sets, semicontinuous columns and indicators in MPS and LP files.

Outside references: HiGHS reading the same text (Q, SC/SI, the LP quadratic and semi-continuous
parts), SCIP reading and solving the same text (SOS, indicators, everything), published optima of
the Maros-Meszaros QPs HS21 and HS35, and optima derived by hand in the comments.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

import optmodel as om
from optmodel.canonical import SOS, CanonicalForm, Indicators, Names, Sense
from optmodel.errors import InputError, ModelError
from optmodel.formats import read_model_file, write_model_file
from optmodel.formats.lp import read_lp
from optmodel.formats.mps import read_mps

pyscipopt = pytest.importorskip("pyscipopt")


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------------------------------------
# outside readers


def highs_model(path: Path) -> dict:
    """What HiGHS reads from ``path``: Q made full and symmetric from its lower triangle, the
    column kinds (HiGHS's semi-continuous/semi-integer) and bounds."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) != highspy.HighsStatus.kError, f"HiGHS cannot read {path}"
    model = h.getModel()
    lp, hess = model.lp_, model.hessian_
    n = lp.num_col_
    Q = sp.csc_array((n, n))
    if hess.dim_:
        tri = sp.csc_array((np.array(hess.value_, dtype=float), np.array(hess.index_),
                            np.array(hess.start_)), shape=(n, n))
        Q = tri + tri.T - sp.diags_array(tri.diagonal())
    kind = highspy.HighsVarType
    types = list(lp.integrality_) or [kind.kContinuous] * n
    return dict(
        Q=Q.toarray(),
        c=np.array(lp.col_cost_, dtype=float),
        offset=float(lp.offset_),
        semi=np.array([t in (kind.kSemiContinuous, kind.kSemiInteger) for t in types]),
        integer=np.array([t in (kind.kInteger, kind.kSemiInteger) for t in types]),
        col_lower=np.array(lp.col_lower_, dtype=float),
        col_upper=np.array(lp.col_upper_, dtype=float),
        col_names=list(lp.col_names_),
    )


def highs_optimum(path: Path) -> float:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    assert h.readModel(str(path)) != highspy.HighsStatus.kError
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def scip_optimum(path: Path) -> float:
    m = pyscipopt.Model()
    m.hideOutput()
    m.readProblem(str(path))
    m.optimize()
    assert m.getStatus() == "optimal"
    return m.getObjVal()


def semicontinuous(form: CanonicalForm) -> np.ndarray:
    return np.zeros(form.num_cols, bool) if form.semicontinuous is None else form.semicontinuous


def dense_q(form: CanonicalForm) -> np.ndarray:
    return np.zeros((form.num_cols,) * 2) if form.Q is None else form.Q.toarray()


def assert_same_sparse(a, b) -> None:
    a, b = sp.csr_array(a), sp.csr_array(b)
    assert a.shape == b.shape and (a != b).nnz == 0


def assert_same(a: CanonicalForm, b: CanonicalForm, names: bool = True) -> None:
    """Bit-for-bit equality of everything, the new parts included."""
    assert a.sense == b.sense and a.offset == b.offset
    for key in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integrality"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    assert_same_sparse(a.A, b.A)
    assert (a.Q is None) == (b.Q is None)
    if a.Q is not None:
        assert_same_sparse(a.Q, b.Q)
    np.testing.assert_array_equal(semicontinuous(a), semicontinuous(b))
    assert len(a.sos) == len(b.sos)
    for s, t in zip(a.sos, b.sos):
        assert s.kind == t.kind
        np.testing.assert_array_equal(s.columns, t.columns)
        np.testing.assert_array_equal(s.weights, t.weights)
        assert not names or s.name == t.name
    assert (a.indicators is None) == (b.indicators is None)
    if a.indicators is not None:
        i, j = a.indicators, b.indicators
        for key in ("binary", "active", "lower", "upper"):
            np.testing.assert_array_equal(getattr(i, key), getattr(j, key), err_msg=key)
        assert_same_sparse(i.A, j.A)
        assert not names or list(i.names) == list(j.names)
    if names:
        assert list(a.col_names) == list(b.col_names)
        assert list(a.row_names) == list(b.row_names)


def round_trip(form: CanonicalForm, tmp_path: Path, ext: str) -> CanonicalForm:
    path = tmp_path / f"m.{ext}"
    write_model_file(form, path)
    return read_model_file(path)


# ---------------------------------------------------------------------------------------------
# a form with every feature


def awkward_q(n: int, seed: int) -> sp.csr_array:
    """A symmetric Q with fractions that need all 17 digits."""
    rng = np.random.default_rng(seed)
    half = np.where(rng.random((n, n)) < 0.4, np.round(rng.normal(size=(n, n)), 3) / 7, 0.0)
    return sp.csr_array(np.triu(half) + np.triu(half, 1).T)


def special_form(*, Q: bool = True, semi: bool = True, sos: bool = True, ind: bool = True,
                 ranged_indicator: bool = False) -> CanonicalForm:
    n = 7
    names = ["x0", "x1", "x2", "y", "z", "b", "w"]
    integ = np.array([0, 0, 0, 0, 1, 1, 0], bool)
    lower = np.array([0, 0, -1.5, 2.5, 3, 0, 0.1])
    upper = np.array([4, 5, 3, 8.25, 9, 1, np.inf])
    A = sp.csr_array(np.array([[1, 1, 1, 1, 1, 0, 0], [0.1 / 3, 0, 0, 0, -2, 0, 1]]))
    indicators = None
    if ind:
        indicators = Indicators(
            binary=np.array([5, 5]), active=np.array([1, 0]),
            A=sp.csr_array(np.array([[1, 1, 0, 0, 0, 0, 0], [0, 0, 1, 0, 0, 0, 2 / 3]])),
            lower=np.array([-np.inf, 1.0 if ranged_indicator else 0.5]),
            upper=np.array([3.0, 7.0 if ranged_indicator else np.inf]),
            names=Names.from_list(["cap", "low"]))
    return CanonicalForm(
        sense=Sense.MINIMIZE, c=np.array([1, 2, 3, -1, 0.3, 0, 1 / 3]), offset=-2.5, A=A,
        row_lower=np.array([4.0, -np.inf]), row_upper=np.array([np.inf, 6.0]),
        col_lower=lower, col_upper=upper, integrality=integ,
        col_names=Names.from_list(names), row_names=Names.from_list(["r1", "r2"]), name="special",
        Q=awkward_q(n, 3) if Q else None,
        semicontinuous=np.array([0, 0, 0, 1, 1, 0, 0], bool) if semi else None,
        sos=(SOS(1, np.array([1, 2, 0]), np.array([0.5, 2.0, 3.25]), "pick"),
             SOS(2, np.array([0, 1, 2]), np.array([1.0, 2.0, 3.0]), "chain")) if sos else (),
        indicators=indicators,
    )


FEATURES = {
    "quadratic": dict(semi=False, sos=False, ind=False),
    "semicontinuous": dict(Q=False, sos=False, ind=False),
    "sos": dict(Q=False, semi=False, ind=False),
    "indicator": dict(Q=False, semi=False, sos=False),
    "all": {},
}


@pytest.mark.parametrize("ext", ["mps", "lp", "mps.gz", "lp.gz"])
@pytest.mark.parametrize("feature", list(FEATURES))
def test_round_trip_is_exact(feature, ext, tmp_path):
    form = special_form(**FEATURES[feature])
    assert_same(form, round_trip(form, tmp_path, ext))


def test_ranged_indicator_row_round_trips_in_mps_and_splits_in_lp(tmp_path):
    form = special_form(ranged_indicator=True)
    assert_same(form, round_trip(form, tmp_path, "mps"))
    back = round_trip(form, tmp_path, "lp")
    # LP has no ranged rows: "low" becomes low_lo (>= 1) and low_hi (<= 7), both under b = 0
    ind = back.indicators
    assert list(ind.names) == ["cap", "low_lo", "low_hi"]
    np.testing.assert_array_equal(ind.binary, [5, 5, 5])
    np.testing.assert_array_equal(ind.active, [1, 0, 0])
    np.testing.assert_array_equal(ind.lower, [-np.inf, 1, -np.inf])
    np.testing.assert_array_equal(ind.upper, [3, np.inf, 7])
    np.testing.assert_array_equal(ind.A.toarray()[1], ind.A.toarray()[2])


@pytest.mark.parametrize("ext", ["mps", "lp"])
def test_om_write_and_read_a_model_with_every_feature(ext, tmp_path):
    m = om.Model("plant")
    x = m.var(3, lb=0, ub=[4, 5, 3], name="x")
    y = m.var(2, lb=0, ub=10, name="y")
    b = m.var(lb=0, ub=1, integer=True, name="b")
    s = m.var(lb=2, ub=5, semicontinuous=True, name="s")
    m.add(s + y[1] >= 1.5, name="cover")
    m.sos1(x, weights=[1, 2, 3], name="pick")
    m.sos2(x, name="chain")
    m.indicator(b, y[0] + y[1] <= 3, name="cap")
    m.maximize(x @ [1, 2, 3] + y[0] - 2 * y[1] + 18 * b - s - 0.1 * om.sum_squares(y))
    path = tmp_path / f"plant.{ext}"
    om.write(m, str(path))
    # x[0] becomes x(0) in LP; everything else is the same model
    assert_same(m.canonical(), read_model_file(path), names=ext == "mps")
    back = om.read(str(path)).canonical()
    np.testing.assert_allclose(back.Q.toarray(), m.canonical().Q.toarray(), rtol=1e-15)
    assert back.indicators.count == 1 and len(back.sos) == 2
    np.testing.assert_array_equal(back.semicontinuous, m.canonical().semicontinuous)
    # by hand: SOS1 and SOS2 leave x[1] = 5 (10); b = 1, y = (3, 0) gives 3 - 0.9 + 18; s = 2
    # covers the row at cost 2 (s = 0 would need y[1] = 1.5 at cost 3.225): 28.1. SCIP agrees.
    assert scip_optimum(path) == pytest.approx(28.1, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# quadratic objectives against HiGHS and published optima

HS21 = """NAME          HS21
ROWS
 N  OBJ.FUNC
 G  R------1
COLUMNS
    C------1  R------1  0.100000e+02
    C------2  R------1  -.100000e+01
RHS
    RHS       OBJ.FUNC  0.100000e+03
    RHS       R------1  0.100000e+02
RANGES
BOUNDS
 LO BOUNDS    C------1  0.200000e+01
 UP BOUNDS    C------1  0.500000e+02
 LO BOUNDS    C------2  -.500000e+02
 UP BOUNDS    C------2  0.500000e+02
QUADOBJ
    C------1  C------1  0.200000e-01
    C------2  C------2  0.200000e+01
ENDATA
"""

# min 9 - 8 x1 - 6 x2 - 4 x3 + 2 x1^2 + 2 x2^2 + x3^2 + 2 x1 x2 + 2 x1 x3, x1 + x2 + 2 x3 <= 3
HS35_HEAD = """NAME          HS35
ROWS
 N  OBJ.FUNC
 L  R------1
COLUMNS
    C------1  OBJ.FUNC  -.800000e+01   R------1  0.100000e+01
    C------2  OBJ.FUNC  -.600000e+01   R------1  0.100000e+01
    C------3  OBJ.FUNC  -.400000e+01   R------1  0.200000e+01
RHS
    RHS       OBJ.FUNC  -.900000e+01
    RHS       R------1  0.300000e+01
"""
HS35_Q = {
    "QUADOBJ": """QUADOBJ
    C------1  C------1  0.400000e+01   C------2  0.200000e+01
    C------1  C------3  0.200000e+01
    C------2  C------2  0.400000e+01
    C------3  C------3  0.200000e+01
""",
    "QMATRIX": """QMATRIX
    C------1  C------1  4
    C------1  C------2  2
    C------2  C------1  2
    C------1  C------3  2
    C------3  C------1  2
    C------2  C------2  4
    C------3  C------3  2
""",
    # HiGHS, SIF and SAS read QSECTION like QUADOBJ: one triangle (here the lower one)
    "QSECTION": """QSECTION      OBJ.FUNC
    C------1  C------1  4
    C------2  C------1  2
    C------3  C------1  2
    C------2  C------2  4
    C------3  C------3  2
""",
}
HS35_QMAT = np.array([[4, 2, 2], [2, 4, 0], [2, 0, 2]], dtype=float)


@pytest.mark.parametrize("section", list(HS35_Q))
def test_quadratic_sections_read_as_highs_reads_them(section, tmp_path):
    p = write(tmp_path, "hs35.mps", HS35_HEAD + HS35_Q[section] + "ENDATA\n")
    f = read_mps(p)
    np.testing.assert_array_equal(f.Q.toarray(), HS35_QMAT)
    ref = highs_model(p)
    np.testing.assert_array_equal(f.Q.toarray(), ref["Q"])
    np.testing.assert_array_equal(f.c, ref["c"])
    assert f.offset == ref["offset"] == 9


@pytest.mark.parametrize(("text", "optimum"), [(HS21, -99.96), (HS35_HEAD + HS35_Q["QUADOBJ"] + "ENDATA\n", 1 / 9)])
@pytest.mark.parametrize("ext", ["qps", "lp"])
def test_maros_meszaros_qps_solve_to_published_optimum(text, optimum, ext, tmp_path):
    qps = write(tmp_path, "p.qps", text)
    path = qps
    if ext == "lp":  # the same model through our LP writer and reader
        path = tmp_path / "p.lp"
        om.write(om.read(str(qps)), str(path))
    sol = om.read(str(path)).solve("highs")
    assert sol.status == om.Status.OPTIMAL
    assert sol.objective == pytest.approx(optimum, rel=1e-6, abs=1e-7)
    assert sol.certified  # KKT checked for the convex QP
    # HiGHS and SCIP reading the same text on their own agree
    mps = write(tmp_path, "p.mps", text) if ext == "qps" else path
    assert highs_optimum(mps) == pytest.approx(optimum, rel=1e-6, abs=1e-7)
    assert scip_optimum(mps) == pytest.approx(optimum, rel=1e-6, abs=1e-6)


def test_hs35_optimum_by_hand():
    # the published optimum x = (4/3, 7/9, 4/9) gives 1/9: the QPS text above means that model
    x = np.array([4 / 3, 7 / 9, 4 / 9])
    value = 9 - np.array([8, 6, 4]) @ x + 0.5 * x @ HS35_QMAT @ x
    assert value == pytest.approx(1 / 9, abs=1e-12)


LP_Q = "Minimize\n obj: {objective}\nSubject To\n c1: x + y >= 1\nEnd\n"


@pytest.mark.parametrize(
    ("q", "Q"),
    [
        ("[ 2 x ^ 2 + 2 x * y + 4 y ^ 2 ] / 2", [[2, 1], [1, 4]]),
        ("[ 2 x ^ 2 + 2 x * y + 4 y ^ 2 ]", [[4, 2], [2, 8]]),  # no "/ 2": no halving
        ("[2x^2+2x*y]/2", [[2, 1], [1, 0]]),
        ("[ 2 y * x + x * y ] / 2", [[0, 1.5], [1.5, 0]]),
        ("[ x ^2 - 3 x * y ] / 2 + 0", [[1, -1.5], [-1.5, 0]]),
        ("3 - [ 2 x ^ 2 ] / 2", [[-2, 0], [0, 0]]),
    ],
)
@pytest.mark.parametrize("objective", ["x + y + {q}", "{q} + x + y"])
def test_lp_quadratic_objective_read_as_highs_reads_it(q, Q, objective, tmp_path):
    p = write(tmp_path, "q.lp", LP_Q.format(objective=objective.format(q=q)))
    f = read_lp(p)
    np.testing.assert_array_equal(dense_q(f), Q)
    ref = highs_model(p)
    np.testing.assert_array_equal(dense_q(f), ref["Q"])
    np.testing.assert_array_equal(f.c, ref["c"])
    assert f.offset == ref["offset"]


@pytest.mark.parametrize("ext", ["mps", "lp"])
def test_highs_reads_our_quadratic_and_semicontinuous_files(ext, tmp_path):
    form = special_form(sos=False, ind=False)
    form.integrality[4] = False  # HiGHS reads SC on an MPS integer column as semi-continuous
    path = tmp_path / f"h.{ext}"
    write_model_file(form, path)
    ref = highs_model(path)
    np.testing.assert_array_equal(form.Q.toarray(), ref["Q"])
    np.testing.assert_array_equal(form.semicontinuous, ref["semi"])
    np.testing.assert_array_equal(form.integrality, ref["integer"])
    np.testing.assert_array_equal(form.col_lower, ref["col_lower"])
    np.testing.assert_array_equal(form.col_upper, ref["col_upper"])


def test_qmatrix_and_quadobj_with_both_triangles(tmp_path):
    base = HS35_HEAD + "QUADOBJ\n    C------1  C------2  1\n    C------2  C------1  1\n"
    p = write(tmp_path, "both.mps", base + "ENDATA\n")
    with pytest.warns(UserWarning, match="added"):
        f = read_mps(p)
    # added, as HiGHS does
    np.testing.assert_array_equal(f.Q.toarray()[:2, :2], [[0, 2], [2, 0]])
    np.testing.assert_array_equal(f.Q.toarray(), highs_model(p)["Q"])


# ---------------------------------------------------------------------------------------------
# semicontinuous and semi-integer columns

SC_MPS = """NAME sc
ROWS
 N  cost
 G  need
COLUMNS
    x   cost  1   need  1
    y   cost  3   need  1
    M1  'MARKER'  'INTORG'
    k   cost  1   need  1
    M2  'MARKER'  'INTEND'
    v   cost  1   need  1
RHS
    rhs need 1.5
BOUNDS
 LO bnd x 2
 SC bnd x 5
 UP bnd y 10
 SC bnd k 4
 LO bnd v 1
 SI bnd v 6
ENDATA
"""


def test_sc_and_si_bounds(tmp_path):
    f = read_mps(write(tmp_path, "sc.mps", SC_MPS))
    np.testing.assert_array_equal(f.semicontinuous, [1, 0, 1, 1])
    np.testing.assert_array_equal(f.integrality, [0, 0, 1, 1])  # k: SC in MARKER is semi-integer
    np.testing.assert_array_equal(f.col_lower, [2, 0, 0, 1])
    np.testing.assert_array_equal(f.col_upper, [5, 10, 4, 6])
    ref = highs_model(write(tmp_path, "sc.mps", SC_MPS))
    np.testing.assert_array_equal(f.semicontinuous, ref["semi"])
    np.testing.assert_array_equal(f.col_lower, ref["col_lower"])
    np.testing.assert_array_equal(f.col_upper, ref["col_upper"])
    # the one difference: HiGHS 1.16 drops k's integrality (SC wins over the MARKER)
    np.testing.assert_array_equal(f.integrality & ~np.array([0, 0, 1, 0], bool), ref["integer"])


SC_MODEL = """Minimize
 cost: x + 3 y
Subject To
 need: x + y >= {need}
Bounds
 {lo} <= x <= 5
 y <= 10
{integer}Semi-continuous
 x
End
"""


@pytest.mark.parametrize(
    ("need", "lo", "integer", "optimum"),
    [
        (1.5, 2, "", 2.0),  # x = 0 or 2 <= x <= 5: x = 2 beats y = 1.5 (4.5); plain LP: 1.5
        (0.5, 2, "", 1.5),  # x = 0, y = 0.5 beats x = 2
        (2.5, 2.5, "Generals\n x\n", 3.0),  # semi-integer x in {0, 3, 4, 5}: x = 3 (y: 7.5)
        (2.5, 2.5, "", 2.5),  # semi-continuous: x = 2.5
    ],
)
@pytest.mark.parametrize("ext", ["lp", "mps"])
def test_semicontinuous_models_solve_to_hand_optimum(need, lo, integer, optimum, ext, tmp_path):
    lp = write(tmp_path, "sc.lp", SC_MODEL.format(need=need, lo=lo, integer=integer))
    path = lp
    if ext == "mps":
        path = tmp_path / "sc.mps"
        write_model_file(read_lp(lp), path)
    # HiGHS may leave x at 5e-7, inside its tolerance of 0 (1.499999 for 1.5)
    sol = om.read(str(path)).solve("highs")
    assert sol.objective == pytest.approx(optimum, abs=1e-5)
    assert highs_optimum(lp) == pytest.approx(optimum, abs=1e-5)
    assert scip_optimum(path) == pytest.approx(optimum, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# SOS sets and indicators: SCIP is the outside reader and solver

SOS_MPS = """NAME sos
OBJSENSE
    MAX
ROWS
 N  obj
 L  lim
COLUMNS
    x1  obj  1  lim  1
    x2  obj  2  lim  1
    x3  obj  3  lim  1
RHS
    rhs  lim  100
BOUNDS
 UP bnd x1 4
 UP bnd x2 5
 UP bnd x3 3
SOS
{sets}ENDATA
"""


@pytest.mark.parametrize(
    ("sets", "kind", "optimum", "scip_reads"),
    [
        # SOS1: one of x1..x3 nonzero; best alone is x2 = 5 (10) over x3 = 3 (9), x1 = 4 (4)
        (" S1 SOS s1 1\n    x1 1\n    x2 2\n    x3 3\n", 1, 10.0, True),  # Gurobi-style
        (" S1 s1\n    x1 1\n    x2 2\n    x3 3\n", 1, 10.0, True),  # CPLEX manual, SCIP
        (" S1 s1 5\n    x3:3\n    x1:1\n    x2:2\n", 1, 10.0, False),  # priority; col:weight
        (" S1 s1\n    s1 x1 1\n    s1 x2 2\n    s1 x3 3\n", 1, 10.0, False),  # HiGHS's SETS
        (" S1\n    x1\n    x2\n    x3\n", 1, 10.0, False),  # no name, no weights: 1, 2, 3
        # SOS2: two adjacent ones; (x2, x3) gives 10 + 9 = 19 over (x1, x2) = 14
        (" S2 SOS s2 1\n    x1 1\n    x2 2\n    x3 3\n", 2, 19.0, True),
        # the weights give the order x1, x3, x2: pairs (x1, x3) = 13 and (x3, x2) = 19
        (" S2 s2\n    x1 1\n    x2 30\n    x3 2\n", 2, 19.0, True),
        # the order x3, x1, x2: pairs (x3, x1) = 13 and (x1, x2) = 14
        (" S2 s2\n    x3 1\n    x1 2\n    x2 3\n", 2, 14.0, True),
    ],
)
def test_sos_section_layouts_solve_like_scip(sets, kind, optimum, scip_reads, tmp_path):
    p = write(tmp_path, "sos.mps", SOS_MPS.format(sets=sets))
    f = read_mps(p)
    assert len(f.sos) == 1 and f.sos[0].kind == kind
    assert np.all(np.diff(f.sos[0].weights) > 0)
    assert om.read(str(p)).solve("highs").objective == pytest.approx(optimum, abs=1e-7)
    if scip_reads:
        assert scip_optimum(p) == pytest.approx(optimum, abs=1e-6)
    # and the same model through our LP writer, read by SCIP
    lp = tmp_path / "sos.lp"
    write_model_file(f, lp)
    assert scip_optimum(lp) == pytest.approx(optimum, abs=1e-6)


def test_lp_sos_section(tmp_path):
    text = ("Maximize\n obj: x1 + 2 x2 + 3 x3\nSubject To\n lim: x1 + x2 + x3 <= 100\n"
            "Bounds\n x1 <= 4\n x2 <= 5\n x3 <= 3\nSOS\n s1: S1:: x1:1 x2:2\n   x3:3\n"
            " S2 :: x1 : 1 x2 : 2\nEnd\n")
    p = write(tmp_path, "s.lp", text)
    f = read_lp(p)
    assert [(s.kind, s.name, s.columns.tolist(), s.weights.tolist()) for s in f.sos] == [
        (1, "s1", [0, 1, 2], [1, 2, 3]), (2, "sos1", [0, 1], [1, 2])]
    assert om.read(str(p)).solve("highs").objective == pytest.approx(10, abs=1e-7)
    assert scip_optimum(p) == pytest.approx(10, abs=1e-6)


IND_MPS = """NAME ind
OBJSENSE
    MAX
ROWS
 N  obj
 L  cap
 G  other
COLUMNS
    x  obj  1  cap  1
    x  other  1
    y  obj  1  cap  1
    MARKER  'MARKER'  'INTORG'
    b  obj  {bcost}
    MARKER  'MARKER'  'INTEND'
RHS
    rhs  cap  3
    rhs  other  -1
BOUNDS
 UP bnd x 10
 UP bnd y 10
INDICATORS
 IF cap b {active}
ENDATA
"""


@pytest.mark.parametrize(
    ("bcost", "active", "optimum"),
    [
        # b = 1 forces x + y <= 3: 3 + 18 = 21 beats b = 0 with x + y = 20
        (18, "1", 21.0),
        (18, "", 21.0),  # the value defaults to 1
        # b = 0 forces x + y <= 3 (3); b = 1 frees it but costs 18: 20 - 18 = 2
        (-18, "0", 3.0),
        (-16, "0", 4.0),  # now b = 1 wins: 20 - 16
    ],
)
def test_indicators_solve_like_scip(bcost, active, optimum, tmp_path):
    p = write(tmp_path, "ind.mps", IND_MPS.format(bcost=bcost, active=active))
    f = read_mps(p)
    assert list(f.row_names) == ["other"]  # cap left the ordinary rows
    ind = f.indicators
    assert list(ind.names) == ["cap"] and ind.binary.tolist() == [2]
    assert ind.active.tolist() == [int(active or 1)]
    np.testing.assert_array_equal(ind.A.toarray(), [[1, 1, 0]])
    assert (ind.lower[0], ind.upper[0]) == (-np.inf, 3)
    assert om.read(str(p)).solve("highs").objective == pytest.approx(optimum, abs=1e-7)
    assert scip_optimum(p) == pytest.approx(optimum, abs=1e-6)
    lp = tmp_path / "ind.lp"
    write_model_file(f, lp)
    assert f"cap: b = {int(active or 1)} ->" in lp.read_text()
    assert scip_optimum(lp) == pytest.approx(optimum, abs=1e-6)


def test_lp_indicator_constraints(tmp_path):
    text = ("Maximize\n obj: x + y + 18 b\nSubject To\n cap: b = 1 -> x + y <= 3\n"
            " b = 0 -> 2 <= x\nBounds\n x <= 10\n y <= 10\nBinaries\n b\nEnd\n")
    f = read_lp(write(tmp_path, "i.lp", text))
    assert f.num_rows == 0
    ind = f.indicators
    assert list(ind.names) == ["cap", "ind2"]
    np.testing.assert_array_equal(ind.active, [1, 0])
    np.testing.assert_array_equal(ind.lower, [-np.inf, 2])
    np.testing.assert_array_equal(ind.upper, [3, np.inf])


@pytest.mark.parametrize("ext", ["mps", "lp"])
def test_reads_files_scip_writes(ext, tmp_path):
    m = pyscipopt.Model()
    m.hideOutput()
    x = [m.addVar(f"x{i}", lb=0, ub=u) for i, u in enumerate([4, 5, 3])]
    y, z = m.addVar("y", lb=0, ub=10), m.addVar("z", lb=0, ub=10)
    b = m.addVar("b", vtype="B")
    s = m.addVar("s", lb=2, ub=5)
    m.addConsSOS1(x, [1, 2, 3], name="pick")
    m.addConsSOS2([y, z, s], [1, 2, 3], name="chain")
    m.addConsIndicator(y + z <= 3, binvar=b, name="cap")
    m.addCons(x[0] + y >= 0.5, name="lin")
    m.setObjective(x[0] + 2 * x[1] + 3 * x[2] + y + z + 18 * b - s, "maximize")
    path = tmp_path / f"scip.{ext}"
    m.writeProblem(str(path))
    m.optimize()
    f = read_model_file(path)
    assert sorted((s.kind, s.name) for s in f.sos) == [(1, "pick"), (2, "chain")]
    assert f.indicators.count == 1
    # by hand: s >= 2 so SOS2 (y, z, s) keeps y = 0; then x0 >= 0.5 makes SOS1 pick x0 = 4;
    # b = 1, z = 3: 4 + 3 + 18 - 2 = 23
    assert m.getObjVal() == pytest.approx(23)
    assert om.read(str(path)).solve("highs").objective == pytest.approx(23, abs=1e-7)


# ---------------------------------------------------------------------------------------------
# writing what a format cannot say


def test_writers_refuse_an_indicator_on_a_non_binary_column(tmp_path):
    form = special_form(Q=False, semi=False, sos=False)
    form.integrality[5] = False
    for ext in ("mps", "lp"):
        with pytest.raises(ModelError, match="binary"):
            write_model_file(form, tmp_path / f"bad.{ext}")


def test_mps_writes_bv_for_binaries(tmp_path):
    # "LO 0" + "UP 1" makes SCIP see a general integer, which its INDICATORS refuse
    path = tmp_path / "b.mps"
    write_model_file(special_form(Q=False, semi=False, sos=False), path)
    assert " BV BND       b" in path.read_text()


# ---------------------------------------------------------------------------------------------
# malformed input names the line

MPS_BASE = """NAME t
ROWS
 N obj
 L r1
 G r2
COLUMNS
 x obj 1 r1 1
 y obj 2 r2 1
 M1 'MARKER' 'INTORG'
 b obj 1
 M2 'MARKER' 'INTEND'
RHS
 rhs r1 4 r2 1
BOUNDS
 UP bnd x 3
ENDATA
"""


def mps_with(old: str, new: str) -> str:
    assert old in MPS_BASE
    return MPS_BASE.replace(old, new, 1)


def later(text: str) -> str:
    return mps_with("ENDATA\n", text + "ENDATA\n")


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (later("QUADOBJ\n x z 1\n"), 17, "unknown column 'z'"),
        (later("QUADOBJ\n x y\n"), 17, "two column names and a value"),
        (later("QUADOBJ\n x y 1.2.3\n"), 17, "bad number"),
        (later("QMATRIX\n x x 1\n x y 2\n y x 3\n"), 18, "not symmetric"),
        (later("QMATRIX\n x y 2\n"), 17, "not symmetric"),
        (later("QUADOBJ\n x x 1\nQMATRIX\n x x 1\n"), 18, "once"),
        (later("QSECTION r1\n x x 1\n"), 16, "quadratic constraints"),
        (later("QSECTION r9\n x x 1\n"), 16, "unknown row 'r9'"),
        (later("QCMATRIX r1\n x x 1\n"), 16, "not supported"),
        (mps_with("COLUMNS\n", "QUADOBJ\n x x 1\nCOLUMNS\n"), 6, "before COLUMNS"),
        (later("SOS\n x 1\n"), 17, "before any S1 or S2"),
        (later("SOS\n S1 s\n z 1\n"), 18, "unknown column 'z'"),
        (later("SOS\n S1 s\n x one\n"), 18, "bad number"),
        (later("SOS\n S1 s\n x 1\n y 1\n"), 19, "one weight"),
        (later("SOS\n S1 s\n x 1\n x 2\n"), 19, "twice"),
        (later("SOS\n S1 s\n x 1\n y\n"), 19, "every member or for none"),
        (later("SOS\n S1 SOS s 1 2\n"), 17, "set name"),
        (later("SOS\n S1 s\nSOS\n"), 18, "twice"),
        (later("INDICATORS\n r1 b 1\n"), 17, "expected IF"),
        (later("INDICATORS\n IF r9 b 1\n"), 17, "unknown row 'r9'"),
        (later("INDICATORS\n IF obj b 1\n"), 17, "free (N) row"),
        (later("INDICATORS\n IF r1 z 1\n"), 17, "unknown column 'z'"),
        (later("INDICATORS\n IF r1 b 2\n"), 17, "0 or 1"),
        (later("INDICATORS\n IF r1 x 1\n"), 17, "not binary"),
        (later("INDICATORS\n IF r1 b 1\n IF r1 b 0\n"), 18, "second indicator"),
        (mps_with(" UP bnd x 3", " SC bnd x"), 15, "needs a value"),
    ],
)
def test_malformed_mps_names_the_line(tmp_path, text, line, words):
    p = write(tmp_path, "bad.mps", text)
    with pytest.raises(InputError) as info:
        read_model_file(p)
    err = info.value
    assert err.line == line, str(err)
    assert words in str(err)
    assert str(err).startswith(f"{p}:{line}: ")


LP_BASE = """Minimize
 obj: x + y
Subject To
 c1: x + y >= 2
Bounds
 x <= 4
Binaries
 b
End
"""


def lp_with(old: str, new: str) -> str:
    assert old in LP_BASE
    return LP_BASE.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (lp_with(" c1: x + y >= 2", " c1: x + [ x ^ 2 ] >= 2"), 4, "objective only"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 3 ] / 2"), 2, "only squares"),
        (lp_with(" obj: x + y", " obj: x + [ x y ] / 2"), 2, "'^ 2' or '* variable'"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 2 / 2"), 2, "expected + or -"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 2 + ] / 2"), 2, "expected a variable"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 2 ] / 3"), 2, "'/ 2'"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 2 x * y ] / 2"), 2, "expected + or -"),
        (lp_with(" obj: x + y", " obj: x + [ ] / 2"), 2, "empty"),
        (lp_with(" obj: x + y", " obj: x + [ x ^ 2"), 2, "']' to close"),
        (lp_with(" c1: x + y >= 2", " c1: b = 1 -> x + y >= 2\n c2: b <-> x >= 1"), 5, "expected"),
        (lp_with(" c1: x + y >= 2", " c1: b = 2 -> x + y >= 2"), 4, "0 or 1"),
        (lp_with(" c1: x + y >= 2", " c1: x = 1 -> b + y >= 2"), 4, "not binary"),
        (lp_with(" c1: x + y >= 2", " c1: b = 1 ->"), 4, "no row after"),
        (lp_with(" c1: x + y >= 2", " c1: b = 1 <-> x >= 2"), 4, "if and only if"),
        (lp_with(" c1: x + y >= 2", " c1: x + y >= 2\n c1: b = 1 -> x <= 1"), 5, "duplicate"),
        (lp_with("End\n", "SOS\n s1: S1:: x:1 y\nEnd\n"), 10, "variable:weight"),
        (lp_with("End\n", "SOS\n s1: S1:: x:1 y:two\nEnd\n"), 10, "bad SOS weight"),
        (lp_with("End\n", "SOS\n x:1 y:2\nEnd\n"), 10, "to start a set"),
        (lp_with("End\n", "SOS\n s1: S1:: x:1\n y:1\nEnd\n"), 11, "one weight"),
        (lp_with("End\n", "Semi-continuous\n x 3\nEnd\n"), 10, "variable name"),
        (lp_with("End\n", "SOS2\n s1: x:1, y:2\nEnd\n"), 9, "'SOS2' is not supported"),
    ],
)
def test_malformed_lp_names_the_line(tmp_path, text, line, words):
    p = write(tmp_path, "bad.lp", text)
    with pytest.raises(InputError) as info:
        read_model_file(p)
    err = info.value
    assert err.line == line, str(err)
    assert words in str(err)


def test_empty_semi_section_and_infinite_sc_upper_bound(tmp_path):
    f = read_lp(write(tmp_path, "s.lp", lp_with("End\n", "semi\nEnd\n")))
    assert f.semicontinuous is None
    text = lp_with(" x <= 4", " x >= 2").replace("End\n", "semis\n x\nEnd\n")
    f = read_lp(write(tmp_path, "s2.lp", text))
    assert f.semicontinuous.tolist() == [True, False, False] and f.col_upper[0] == math.inf
    back = round_trip(f, tmp_path, "mps")  # written as SC with 1e+30
    assert_same(f, back)


def test_many_quadratic_entries_sets_and_indicators_read_quickly(tmp_path):
    # 20k Q entries, 2k SOS sets, 2k indicators: assembly is vectorised, nothing per pair of lines
    n, k = 10_000, 2_000
    rng = np.random.default_rng(2)
    cols = [f"x{j}" for j in range(n)]
    lines = ["NAME big", "ROWS", " N obj"] + [f" L r{i}" for i in range(k)] + ["COLUMNS"]
    lines.append("    M1  'MARKER'  'INTORG'")
    lines += [f"    b{i}  obj  1" for i in range(k)]
    lines.append("    M2  'MARKER'  'INTEND'")
    lines += [f"    {cols[j]}  obj  1  r{j % k}  1" for j in range(n)]
    lines += ["RHS", "BOUNDS"] + [f" UP bnd {c} 2" for c in cols]
    lines += ["SOS"] + [f" S1 s{i}\n    {cols[4 * i]} 1\n    {cols[4 * i + 1]} 2" for i in range(k)]
    i, j = rng.integers(0, n, 20_000), rng.integers(0, n, 20_000)
    lines += ["QUADOBJ"] + [f"    {cols[a]}  {cols[a]}  1" for a in range(n)]
    lines += [f"    {cols[a]}  {cols[b]}  0.001" for a, b in zip(i, j) if a < b]
    lines += ["INDICATORS"] + [f" IF r{r} b{r} 1" for r in range(k)] + ["ENDATA"]
    p = write(tmp_path, "big.mps", "\n".join(lines) + "\n")
    start = time.perf_counter()
    f = read_mps(p)
    elapsed = time.perf_counter() - start
    assert f.num_rows == 0 and f.indicators.count == k and len(f.sos) == k
    assert f.Q.shape == (n + k, n + k) and (f.Q != f.Q.T).nnz == 0
    assert elapsed < 10, f"reading took {elapsed:.1f}s"
    for ext in ("mps", "lp"):
        start = time.perf_counter()
        back = round_trip(f, tmp_path, ext)
        assert time.perf_counter() - start < 20
        assert_same(f, back)
