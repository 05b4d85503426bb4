"""MPS and LP files: read against HiGHS as an outside reference, solve, round-trip, reject junk."""

from __future__ import annotations

import csv
import gzip
import math
import os
import re
import warnings
from pathlib import Path

import highspy
import numpy as np
import pytest
import scipy.sparse as sp

from optmodel.canonical import CanonicalForm, Names, Sense
from optmodel.errors import InputError
from optmodel.formats import read_model_file, write_model_file
from optmodel.formats.lp import read_lp, write_lp
from optmodel.formats.mps import read_mps, write_mps

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", REPO.parent / "shared" / "data"))
FILES = sorted(DATA.glob("netlib/*.mps")) + sorted(DATA.glob("miplib/*.mps"))
FILE_PARAMS = [pytest.param(p, id=f"{p.parent.name}-{p.stem}") for p in FILES] or [
    pytest.param(None, id="no-data")
]


def need_data(path: Path | None) -> Path:
    if path is None or not DATA.is_dir():
        pytest.skip(f"shared data folder not found at {DATA}; set OPTMODEL_DATA")
    return path


def optimum(path: Path) -> float:
    with open(path.parent / "optimal.csv") as f:
        rows = {r[0]: float(r[1]) for r in list(csv.reader(f))[1:] if r}
    return rows[path.stem]


# ---------------------------------------------------------------------------------------------
# HiGHS as the outside reference


def highs_read(path: Path) -> highspy.HighsLp:
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    status = h.readModel(str(path))
    assert status != highspy.HighsStatus.kError, f"HiGHS could not read {path}"
    return h.getLp()


def highs_arrays(lp: highspy.HighsLp) -> dict:
    a = lp.a_matrix_
    assert a.format_ == highspy.MatrixFormat.kColwise
    A = sp.csc_array(
        (np.array(a.value_, dtype=float), np.array(a.index_), np.array(a.start_)),
        shape=(lp.num_row_, lp.num_col_),
    )
    integ = np.zeros(lp.num_col_, dtype=bool)
    if len(lp.integrality_):
        integ = np.array([v == highspy.HighsVarType.kInteger for v in lp.integrality_])
    return dict(
        sense=Sense.MAXIMIZE if lp.sense_ == highspy.ObjSense.kMaximize else Sense.MINIMIZE,
        c=np.array(lp.col_cost_, dtype=float),
        offset=float(lp.offset_),
        A=A,
        row_lower=np.array(lp.row_lower_, dtype=float),
        row_upper=np.array(lp.row_upper_, dtype=float),
        col_lower=np.array(lp.col_lower_, dtype=float),
        col_upper=np.array(lp.col_upper_, dtype=float),
        integrality=integ,
        col_names=list(lp.col_names_),
        row_names=list(lp.row_names_),
    )


def triples(A) -> np.ndarray:
    coo = sp.coo_array(A)
    coo.sum_duplicates()
    keep = coo.data != 0
    t = np.stack([coo.row[keep], coo.col[keep], coo.data[keep]], axis=1).astype(float)
    return t[np.lexsort((t[:, 1], t[:, 0]))]


def assert_matches_highs(form: CanonicalForm, ref: dict, names: bool = True) -> None:
    assert form.sense == ref["sense"]
    assert form.offset == pytest.approx(ref["offset"], rel=1e-12, abs=1e-12)
    for key in ("c", "row_lower", "row_upper", "col_lower", "col_upper"):
        np.testing.assert_allclose(getattr(form, key), ref[key], rtol=1e-12, atol=0, err_msg=key)
    np.testing.assert_array_equal(form.integrality, ref["integrality"])
    mine, theirs = triples(form.A), triples(ref["A"])
    assert mine.shape == theirs.shape, "different number of nonzeros"
    np.testing.assert_array_equal(mine[:, :2], theirs[:, :2])
    np.testing.assert_allclose(mine[:, 2], theirs[:, 2], rtol=1e-12, atol=0)
    if names:
        assert list(form.col_names) == ref["col_names"]
        assert list(form.row_names) == ref["row_names"]


def highs_solve(form: CanonicalForm) -> float:
    lp = highspy.HighsLp()
    lp.num_col_ = form.num_cols
    lp.num_row_ = form.num_rows
    maximize = form.sense is Sense.MAXIMIZE
    lp.sense_ = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
    lp.offset_ = form.offset
    lp.col_cost_ = form.c
    lp.col_lower_ = form.col_lower
    lp.col_upper_ = form.col_upper
    lp.row_lower_ = form.row_lower
    lp.row_upper_ = form.row_upper
    csc = form.A.tocsc()
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = csc.indptr
    lp.a_matrix_.index_ = csc.indices
    lp.a_matrix_.value_ = csc.data
    if form.is_mip:
        kinds = (highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger)
        lp.integrality_ = [kinds[int(b)] for b in form.integrality]
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("mip_rel_gap", 1e-9)
    assert h.passModel(lp) == highspy.HighsStatus.kOk
    h.run()
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    return h.getInfo().objective_function_value


def assert_same_form(a: CanonicalForm, b: CanonicalForm, names: bool = True) -> None:
    """Exact equality: the writers must round-trip bit for bit."""
    assert a.sense == b.sense
    assert a.offset == b.offset
    for key in ("c", "row_lower", "row_upper", "col_lower", "col_upper", "integrality"):
        np.testing.assert_array_equal(getattr(a, key), getattr(b, key), err_msg=key)
    assert a.A.shape == b.A.shape
    np.testing.assert_array_equal(triples(a.A), triples(b.A))
    if names:
        assert list(a.col_names) == list(b.col_names)
        assert list(a.row_names) == list(b.row_names)
        assert a.name == b.name


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---------------------------------------------------------------------------------------------
# real instances


@pytest.mark.parametrize("path", FILE_PARAMS)
def test_reader_matches_highs(path):
    path = need_data(path)
    form = read_mps(path)
    assert_matches_highs(form, highs_arrays(highs_read(path)))
    assert form.num_cols > 0 and form.num_rows > 0
    assert form.is_mip == (path.parent.name == "miplib")


@pytest.mark.parametrize("path", FILE_PARAMS)
def test_solves_to_known_optimum(path):
    path = need_data(path)
    assert highs_solve(read_model_file(path)) == pytest.approx(optimum(path), rel=1e-6)


@pytest.mark.parametrize("ext", [".mps", ".lp"])
@pytest.mark.parametrize("path", FILE_PARAMS)
def test_written_file_round_trips_and_highs_reads_it(path, ext, tmp_path):
    path = need_data(path)
    form = read_mps(path)
    out = tmp_path / (path.stem + ext)
    write_model_file(form, out)
    back = read_model_file(out)
    # LP renames what CPLEX LP forbids (leading digits, "E1"); MPS keeps every name
    assert_same_form(form, back, names=ext == ".mps")
    if ext == ".lp":
        assert len(set(back.col_names)) == form.num_cols
        old_names = list(form.col_names) + list(form.row_names)
        for old, new in zip(old_names, list(back.col_names) + list(back.row_names)):
            if re.fullmatch(r"[A-DF-Za-df-z_][A-Za-z0-9_]*", old):
                assert new == old
    # HiGHS reading what we wrote must see the model HiGHS sees in the original file
    assert_matches_highs(form, highs_arrays(highs_read(out)), names=ext == ".mps")


@pytest.mark.parametrize("ext", [".mps", ".lp"])
@pytest.mark.parametrize("path", FILE_PARAMS)
def test_reads_files_written_by_highs(path, ext, tmp_path):
    path = need_data(path)
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(path))
    out = tmp_path / (path.stem + ext)
    assert h.writeModel(str(out)) == highspy.HighsStatus.kOk
    again = highspy.Highs()
    again.setOptionValue("output_flag", False)
    if again.readModel(str(out)) == highspy.HighsStatus.kError:
        # HiGHS writes names CPLEX LP forbids ("1", "010106") and cannot read them back
        with pytest.raises(InputError, match=r"expected \+ or -"):
            read_model_file(out)
        return
    form = read_model_file(out)
    # both readers must see the same model in HiGHS's file
    assert_matches_highs(form, highs_arrays(again.getLp()))
    if ext == ".mps":  # ... which is the model HiGHS wrote (its LP file reorders columns)
        assert_matches_highs(form, highs_arrays(h.getLp()))


def test_data_files_are_fixed_format_and_gzip_reads_the_same(tmp_path):
    path = need_data(FILES[0] if FILES else None)
    gz = tmp_path / (path.name + ".gz")
    gz.write_bytes(gzip.compress(path.read_bytes()))
    assert_same_form(read_model_file(path), read_model_file(gz), names=False)


# ---------------------------------------------------------------------------------------------
# synthetic MPS

FREE_MPS = """\
* a free-format model that uses every feature
NAME demo
OBJSENSE
    MAX
ROWS
 N cost
 E e_pos
 E e_neg
 L l_pos
 L l_neg
 G g_pos
 G g_neg
 E plain
 N spare
COLUMNS
 up_c cost 1 e_pos 1
 up_c e_neg 1 l_pos 1
 up_c spare 99
 MARKER 'MARKER' 'INTORG'
 lo_c cost 2 l_neg 1
 bin_c cost 3 g_pos 1
 MARKER 'MARKER' 'INTEND'
 fx_c cost -1 g_neg 1
 fr_c plain 2
 mi_c plain 3
 pl_c plain 4
 bv_c plain 5
 li_c plain 6
 ui_c plain 7
 neg_c plain 8
RHS
 rhs cost 7.5 e_pos 1
 rhs e_neg 2 l_pos 3
 rhs l_neg 4 g_pos 5
 rhs g_neg 6 plain 10
 rhs spare 1
RANGES
 rng e_pos 2 e_neg -2
 rng l_pos 1.5 l_neg -1.5
 rng g_pos 2.5 g_neg -2.5
BOUNDS
 UP bnd up_c 4
 LO bnd lo_c -2
 FX bnd fx_c 3.5
 FR bnd fr_c
 MI bnd mi_c
 UP bnd mi_c 9
 PL bnd pl_c
 BV bnd bv_c
 LI bnd li_c -3
 UI bnd ui_c 8
 UP bnd neg_c -5
ENDATA
"""


def test_free_mps_every_feature(tmp_path):
    f = read_model_file(write(tmp_path, "demo.mps", FREE_MPS))
    assert f.name == "demo"
    assert f.sense is Sense.MAXIMIZE
    assert f.offset == -7.5  # a RHS on the objective row is minus the constant
    assert list(f.row_names) == ["e_pos", "e_neg", "l_pos", "l_neg", "g_pos", "g_neg", "plain"]
    cols = ["up_c", "lo_c", "bin_c", "fx_c", "fr_c", "mi_c", "pl_c", "bv_c", "li_c", "ui_c"]
    cols.append("neg_c")
    assert list(f.col_names) == cols
    np.testing.assert_array_equal(f.c, [1, 2, 3, -1, 0, 0, 0, 0, 0, 0, 0])
    # the RANGES table: E by the sign of R, L below the rhs, G above it
    np.testing.assert_array_equal(f.row_lower, [1, 0, 1.5, 2.5, 5, 6, 10])
    np.testing.assert_array_equal(f.row_upper, [3, 2, 3, 4, 7.5, 8.5, 10])
    inf = np.inf
    np.testing.assert_array_equal(f.col_lower, [0, -2, 0, 3.5, -inf, -inf, 0, 0, -3, 0, -inf])
    np.testing.assert_array_equal(f.col_upper, [4, inf, 1, 3.5, inf, 9, inf, 1, inf, 8, -5])
    np.testing.assert_array_equal(f.integrality, [0, 1, 1, 0, 0, 0, 0, 1, 1, 1, 0])
    dense = f.A.toarray()
    assert dense[0, 0] == 1 and dense[1, 0] == 1 and dense[2, 0] == 1
    assert dense[6].tolist() == [0, 0, 0, 0, 2, 3, 4, 5, 6, 7, 8]
    assert f.nnz == 13  # the entry in the extra N row "spare" is dropped


def test_free_mps_agrees_with_highs(tmp_path):
    # HiGHS 1.16 keeps lower 0 under a negative UP (an empty domain); everything else must agree
    text = FREE_MPS.replace(" UP bnd neg_c -5\n", "")
    p = write(tmp_path, "demo.mps", text)
    assert_matches_highs(read_mps(p), highs_arrays(highs_read(p)))


@pytest.mark.parametrize(
    ("bounds", "lower", "upper"),
    [
        (" UP b x -3\n", -np.inf, -3.0),  # the classical rule
        (" LO b x 0\n UP b x -3\n", 0.0, -3.0),  # an explicit lower bound wins
        (" MI b x\n UP b x -3\n", -np.inf, -3.0),
        (" UP b x -3\n LO b x -7\n", -7.0, -3.0),
        (" LO b x 2\n UP b x -3\n", 2.0, -3.0),
        (" UP b x 0\n", 0.0, 0.0),
        (" UI b x -2\n", -np.inf, -2.0),
    ],
)
def test_negative_upper_bound_rule(tmp_path, bounds, lower, upper):
    text = "NAME t\nROWS\n N obj\n L r\nCOLUMNS\n x obj 1 r 1\nRHS\n rhs r 1\n"
    text += f"BOUNDS\n{bounds}ENDATA\n"
    f = read_mps(write(tmp_path, "t.mps", text))
    assert (f.col_lower[0], f.col_upper[0]) == (lower, upper)


@pytest.mark.parametrize(
    ("header", "sense"),
    [
        ("OBJSENSE MAX\n", Sense.MAXIMIZE),
        ("OBJSENSE\n    MAX\n", Sense.MAXIMIZE),
        ("OBJSENSE\n    MAXIMIZE\n", Sense.MAXIMIZE),
        ("OBJSENSE MAXIMIZE\n", Sense.MAXIMIZE),
        ("OBJSENCE\n    MAX\n", Sense.MAXIMIZE),
        ("OBJSENSE\n    MIN\n", Sense.MINIMIZE),
        ("", Sense.MINIMIZE),
    ],
)
def test_objsense_forms(tmp_path, header, sense):
    text = f"NAME t\n{header}ROWS\n N obj\n L r\nCOLUMNS\n x obj 1 r 1\nRHS\n rhs r 1\nENDATA\n"
    assert read_mps(write(tmp_path, "t.mps", text)).sense is sense


@pytest.mark.parametrize(
    ("typ", "rng", "lower", "upper"),
    [
        ("E", 2.0, 5.0, 7.0),
        ("E", -2.0, 3.0, 5.0),
        ("E", 0.0, 5.0, 5.0),
        ("L", 2.0, 3.0, 5.0),
        ("L", -2.0, 3.0, 5.0),
        ("G", 2.0, 5.0, 7.0),
        ("G", -2.0, 5.0, 7.0),
    ],
)
def test_ranges_table_and_highs_agree(tmp_path, typ, rng, lower, upper):
    text = (
        f"NAME t\nROWS\n N obj\n {typ} r\nCOLUMNS\n x obj 1 r 1\nRHS\n rhs r 5\n"
        f"RANGES\n rng r {rng}\nENDATA\n"
    )
    p = write(tmp_path, "t.mps", text)
    f = read_mps(p)
    assert (f.row_lower[0], f.row_upper[0]) == (lower, upper)
    assert_matches_highs(f, highs_arrays(highs_read(p)))


def test_marker_integers_without_bounds_are_binary_like_highs(tmp_path):
    text = """NAME t
ROWS
 N obj
 L r
COLUMNS
 M1 'MARKER' 'INTORG'
 a obj 1 r 1
 b obj 1 r 1
 c obj 1 r 1
 d obj 1 r 1
 M2 'MARKER' 'INTEND'
 e obj 1 r 1
RHS
 rhs r 10
BOUNDS
 LO bnd b 2
 UP bnd c 5
 PL bnd d
ENDATA
"""
    p = write(tmp_path, "t.mps", text)
    f = read_mps(p)
    np.testing.assert_array_equal(f.integrality, [1, 1, 1, 1, 0])
    np.testing.assert_array_equal(f.col_lower, [0, 2, 0, 0, 0])
    np.testing.assert_array_equal(f.col_upper, [1, np.inf, 5, np.inf, np.inf])
    assert_matches_highs(f, highs_arrays(highs_read(p)))


def test_repeated_entries_keep_the_first_like_highs(tmp_path):
    text = """NAME t
ROWS
 N obj
 L r1
 L r2
COLUMNS
 x obj 1 r1 2
 x r1 5 r2 3
 x obj 4
 y r2 1 r2 7
RHS
 rhs r1 1
ENDATA
"""
    p = write(tmp_path, "t.mps", text)
    with pytest.warns(UserWarning, match="3 repeated"):
        f = read_mps(p)
    np.testing.assert_array_equal(f.A.toarray(), [[2, 0], [3, 1]])
    np.testing.assert_array_equal(f.c, [1, 0])
    assert_matches_highs(f, highs_arrays(highs_read(p)))


def fixed_line(f1="", f2="", f3="", f4="", f5="", f6=""):
    """A line at the fixed MPS columns 2-3, 5-12, 15-22, 25-36, 40-47, 50-61."""
    return (" " + f1.ljust(2) + " " + f2.ljust(8) + "  " + f3.ljust(8) + "  " + f4.ljust(12) + "   "
            + f5.ljust(8) + "  " + f6).rstrip()


def test_fixed_mps_with_spaces_in_names(tmp_path):
    L = fixed_line
    lines = [
        "NAME          SPACES", "ROWS",
        L("N", "COST"), L("L", "LIM 1"), L("G", "LIM 2"), L("E", "MY EQN"),
        "COLUMNS",
        L("", "X ONE", "COST", "1.0", "LIM 1", "1.0"), L("", "X ONE", "LIM 2", "1.0"),
        L("", "Y TWO", "COST", "2.0", "MY EQN", "-1.0"), L("", "Y TWO", "LIM 2", "1.0"),
        L("", "Z", "LIM 1", "3"),
        "RHS", L("", "RHS", "LIM 1", "4.0", "LIM 2", "1.0"), L("", "", "MY EQN", "2.5"),
        "RANGES", L("", "RNG", "LIM 1", "2"),
        "BOUNDS", L("UP", "BND", "X ONE", "4.0"), L("MI", "BND", "Y TWO"), L("FR", "", "Z"),
        "ENDATA",
    ]
    p = write(tmp_path, "spaces.mps", "\n".join(lines) + "\n")
    f = read_model_file(p)
    assert list(f.col_names) == ["X ONE", "Y TWO", "Z"]
    assert list(f.row_names) == ["LIM 1", "LIM 2", "MY EQN"]
    np.testing.assert_array_equal(f.A.toarray(), [[1, 0, 3], [1, 1, 0], [0, -1, 0]])
    np.testing.assert_array_equal(f.row_lower, [2, 1, 2.5])
    np.testing.assert_array_equal(f.row_upper, [4, np.inf, 2.5])
    np.testing.assert_array_equal(f.col_lower, [0, -np.inf, -np.inf])
    assert_matches_highs(f, highs_arrays(highs_read(p)))
    # names with blanks cannot be written to free MPS; they are replaced, with a warning
    out = tmp_path / "out.mps"
    with pytest.warns(UserWarning, match="names were changed"):
        write_mps(f, out)
    back = read_mps(out)
    assert list(back.col_names) == ["X_ONE", "Y_TWO", "Z"]
    assert_same_form(f, back, names=False)


MPS_BASE = """NAME t
ROWS
 N obj
 L r1
 G r2
COLUMNS
 x obj 1 r1 1
 y obj 2 r2 1
RHS
 rhs r1 4 r2 1
BOUNDS
 UP bnd x 3
ENDATA
"""


def mps_with(old: str, new: str) -> str:
    assert old in MPS_BASE
    return MPS_BASE.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (mps_with("RHS\n", "RHSX\n"), 9, "unknown section"),
        (mps_with(" y obj 2 r2 1", " y obj 2 r9 1"), 8, "unknown row 'r9'"),
        (mps_with(" y obj 2 r2 1", " y obj 2 r2 1.2.3"), 8, "bad number"),
        (mps_with(" x obj 1 r1 1", " x obj 1 r1 nan"), 7, "bad number"),
        (mps_with(" UP bnd x 3", " XX bnd x 3"), 12, "unknown bound type"),
        (mps_with(" UP bnd x 3", " SC bnd x"), 12, "needs a value"),
        (mps_with(" UP bnd x 3", " UP bnd z 3"), 12, "unknown column 'z'"),
        (mps_with(" UP bnd x 3", " UP bnd x"), 12, "needs a value"),
        (mps_with(" G r2", " G r1"), 5, "duplicate row 'r1'"),
        (mps_with(" G r2", " Q r2"), 5, "unknown row type"),
        (mps_with(" rhs r1 4 r2 1", " rhs r7 4 r2 1"), 10, "unknown row 'r7'"),
        (mps_with("ROWS\n N obj\n L r1\n G r2\n", ""), 2, "before ROWS"),
        (mps_with(" y obj 2 r2 1\n", " y obj 2 r2 1\n x r2 5\n"), 9, "contiguous"),
        (mps_with("ENDATA\n", ""), 12, "without ENDATA"),
        (mps_with("ROWS\n", "OBJSENSE\n    SIDEWAYS\nROWS\n"), 3, "objective sense"),
        (mps_with(" x obj 1 r1 1\n", " M 'MARKER' 'INTWHAT'\n x obj 1 r1 1\n"), 7, "MARKER"),
        (mps_with("RHS\n", "RHS\nQCMATRIX r1\n"), 10, "not supported"),
        (mps_with("ROWS\n N obj", "ROWS\n N obj\nROWS"), 4, "twice"),
        (mps_with(" x obj 1 r1 1", " x obj 1 r1"), 7, "column name and one or two"),
        ("  x obj 1\nENDATA\n", 1, "outside a section"),
        ("NAME empty\nENDATA\n", 2, "no ROWS"),
        ("NAME t\nROWS\n N obj\nRHS\nCOLUMNS\n x obj 1\nENDATA\n", 5, "COLUMNS after RHS"),
    ],
)
def test_malformed_mps_names_the_line(tmp_path, text, line, words):
    p = write(tmp_path, "bad.mps", text)
    with pytest.raises(InputError) as info:
        read_model_file(p)
    err = info.value
    assert err.line == line, str(err)
    assert err.path == str(p)
    assert words in str(err)
    assert str(err).startswith(f"{p}:{line}: ")


# ---------------------------------------------------------------------------------------------
# synthetic LP

LP_TEXT = r"""\ a CPLEX LP model
\ Problem name: lpdemo
Maximize
 obj: 3 x + 2 y - 0 z + 2.5 + w
Subject To
 c1: x + y <= 4
 c2: - x - z >= -3
 c3: x + 2 z = 1
 2 x + 3 y
   + 4 w >= 1
 c5: 3 >= x - y
 c6: 3 x1 + x1 <= 8
Bounds
 x free
 -inf <= y <= 4
 z = 2
 w >= -5
 -3 <= v <= 4
 u <= 1e30
Generals
 w
Binaries
 t
End
"""


def test_lp_reader_every_feature(tmp_path):
    f = read_lp(write(tmp_path, "demo.lp", LP_TEXT))
    assert f.name == "lpdemo"
    assert f.sense is Sense.MAXIMIZE
    assert f.offset == 2.5
    assert list(f.col_names) == ["x", "y", "z", "w", "x1", "v", "u", "t"]
    assert list(f.row_names) == ["c1", "c2", "c3", "c4", "c5", "c6"]
    np.testing.assert_array_equal(f.c, [3, 2, 0, 1, 0, 0, 0, 0])
    np.testing.assert_array_equal(f.row_lower, [-np.inf, -3, 1, 1, -np.inf, -np.inf])
    np.testing.assert_array_equal(f.row_upper, [4, np.inf, 1, np.inf, 3, 8])
    inf = np.inf
    np.testing.assert_array_equal(f.col_lower, [-inf, -inf, 2, -5, 0, -3, 0, 0])
    np.testing.assert_array_equal(f.col_upper, [inf, 4, 2, inf, inf, 4, inf, 1])
    np.testing.assert_array_equal(f.integrality, [0, 0, 0, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(
        f.A.toarray(),
        [
            [1, 1, 0, 0, 0, 0, 0, 0],
            [-1, 0, -1, 0, 0, 0, 0, 0],
            [1, 0, 2, 0, 0, 0, 0, 0],
            [2, 3, 0, 4, 0, 0, 0, 0],
            [1, -1, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 4, 0, 0, 0],  # repeated terms are summed
        ],
    )
    # HiGHS has no "3 >= expr" rows and names unnamed rows its own way; the rest must agree
    text = LP_TEXT.replace(" c5: 3 >= x - y", " c5: x - y <= 3")
    text = text.replace(" 2 x + 3 y", " c4: 2 x + 3 y")
    p = write(tmp_path, "h.lp", text)
    assert_matches_highs(read_lp(p), highs_arrays(highs_read(p)))


@pytest.mark.parametrize("st", ["Subject To", "subject to", "st", "s.t.", "such that", "ST"])
@pytest.mark.parametrize("gen", ["General", "Generals", "Integers", "gen"])
def test_lp_keyword_aliases(tmp_path, st, gen):
    text = f"minimize\n x + y\n{st}\n c1: x + y >= 2\nbounds\n x <= 1.5\n{gen}\n y\nbin\n z\nend\n"
    f = read_lp(write(tmp_path, "k.lp", text))
    assert list(f.col_names) == ["x", "y", "z"]
    np.testing.assert_array_equal(f.integrality, [0, 1, 1])
    np.testing.assert_array_equal(f.col_upper, [1.5, np.inf, 1])
    assert (f.row_lower[0], f.row_upper[0]) == (2, np.inf)


def test_lp_ranged_constraint_form_is_read(tmp_path):
    f = read_lp(write(tmp_path, "r.lp", "min\n x\nst\n r: -2 <= x + y <= 5\n q: 1 <= x\nend\n"))
    np.testing.assert_array_equal(f.row_lower, [-2, 1])
    np.testing.assert_array_equal(f.row_upper, [5, np.inf])


LP_BASE = """Minimize
 obj: x + y
Subject To
 c1: x + y >= 2
 c2: x - y <= 1
Bounds
 x <= 4
End
"""


def lp_with(old: str, new: str) -> str:
    assert old in LP_BASE
    return LP_BASE.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (lp_with(" c2: x - y <= 1", " c2: x - y"), 5, "expected <=, >= or ="),
        (lp_with(" c2: x - y <= 1", " c2: x - y <= z"), 5, "right-hand side"),
        (lp_with(" c2: x - y <= 1", " c2: x y <= 1"), 5, "expected + or -"),
        (lp_with(" c2: x - y <= 1", " c2: x + [ x ^ 2 ] <= 1"), 5, "quadratic"),
        (lp_with(" c2: x - y <= 1", " c1: x - y <= 1"), 5, "duplicate constraint name"),
        (lp_with(" c2: x - y <= 1", " c2: y = 1 -> x <= 1"), 5, "indicator"),
        (lp_with(" x <= 4", " x <= y"), 7, "expected a number"),
        (lp_with(" x <= 4", " x 4"), 7, "expected <=, >=, = or free"),
        (lp_with("End\n", "Generals\n x 3\nEnd\n"), 9, "variable name"),
        (lp_with("End\n", "Lazy Constraints\n l: x <= 3\nEnd\n"), 8, "not supported"),
        (lp_with("End\n", "SOS1\n s1: x:1, y:2\nEnd\n"), 8, "'SOS1' is not supported"),
        (lp_with("End\n", "General Constraints\n g: x = MAX ( y )\nEnd\n"), 8, "not supported"),
        (lp_with("End\n", ""), 7, "without End"),
        (lp_with("Minimize\n", "x + y\nMinimize\n"), 1, "must start with Minimize"),
        (lp_with(" obj: x + y", " obj: x + y <= 3"), 2, "in the objective"),
        (lp_with(" c2: x - y <= 1", " <= 1"), 5, "start of a constraint"),
    ],
)
def test_malformed_lp_names_the_line(tmp_path, text, line, words):
    p = write(tmp_path, "bad.lp", text)
    with pytest.raises(InputError) as info:
        read_model_file(p)
    err = info.value
    assert err.line == line, str(err)
    assert words in str(err)


def test_lp_empty_semi_section_is_accepted(tmp_path):
    # HiGHS writes an empty "semi" section into every LP file
    assert read_lp(write(tmp_path, "s.lp", lp_with("End\n", "semi\nEnd\n"))).num_rows == 2


# ---------------------------------------------------------------------------------------------
# writers on synthetic forms


def make_form(seed: int, m: int = 12, n: int = 15, ranged: bool = True) -> CanonicalForm:
    """A form with awkward numbers: 0.1-style fractions, huge and tiny values, every bound kind."""
    rng = np.random.default_rng(seed)
    dense = np.where(rng.random((m, n)) < 0.4, np.round(rng.normal(size=(m, n)), 3) / 7, 0.0)
    dense[3, 0] = 1.0  # the equality row below is not empty
    A = sp.csr_array(dense)
    inf = np.inf
    lo_choices = [0.1, -inf, 0.3, -1e-7, 1 / 3, -2.5e6, 0.0]
    up_choices = [0.3, 1 / 3 + 0.2, inf, 1e-7, 0.7, 1e6, 0.0]
    row_lower = np.array([lo_choices[i % 7] for i in range(m)])
    row_upper = np.array([up_choices[i % 7] for i in range(m)])
    if not ranged:
        row_upper = np.where(np.isfinite(row_lower) & (row_lower != row_upper), inf, row_upper)
    row_upper[3] = row_lower[3] = -1e-7  # equality row
    row_lower[5], row_upper[5] = -inf, inf  # free row
    col_lower = np.array([[0.0, -inf, -2.0, 1.5, 0.0, -inf, 0.0, 0.1][j % 8] for j in range(n)])
    col_upper = np.array([[inf, inf, 3.0, 1.5, 1.0, -4.0, -2.0, 1e-3][j % 8] for j in range(n)])
    integrality = np.zeros(n, dtype=bool)
    integrality[[1, 2, 4, 10]] = True
    integrality[[0]] = True  # an integer with [0, inf): must not become binary on reading
    c = rng.normal(size=n) / 3
    c[2] = 0.0
    c[3] = -0.0
    return CanonicalForm(
        sense=Sense.MAXIMIZE if seed % 2 else Sense.MINIMIZE,
        c=c,
        offset=0.1 + seed,
        A=A,
        row_lower=row_lower,
        row_upper=row_upper,
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        col_names=Names.from_list([f"x_{j}" for j in range(n)]),
        row_names=Names.from_list([f"row.{i}" for i in range(m)]),
        name=f"synthetic{seed}",
    )


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mps_round_trip_is_exact(tmp_path, seed):
    form = make_form(seed)
    for name in ("f.mps", "f.mps.gz"):
        out = tmp_path / name
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # valid names: nothing to warn about
            write_model_file(form, out)
        back = read_model_file(out, check_bounds=False)  # random bounds may cross
        assert back.name == form.name
        assert_same_form(form, back)
    # HiGHS reads our file as the same model (no negative-upper-bound column without LO)
    ref = highs_arrays(highs_read(tmp_path / "f.mps"))
    assert_matches_highs(form, ref)


def test_mps_ranges_survive_rounding(tmp_path):
    # one of lo + (hi - lo) and hi - (hi - lo) often misses by an ulp; the writer picks the
    # exact form. Ends of opposite sign and different size cannot both be exact in any form:
    # those are off by at most one ulp of the larger end, with a warning.
    rng = np.random.default_rng(7)
    a = rng.normal(size=(2, 2000)) * 10.0 ** rng.integers(-8, 9, size=(2, 2000))
    lo, up = a.min(axis=0), a.max(axis=0)
    lo[:20], up[:20] = 0.1 * np.arange(20), 0.1 * np.arange(20) + 0.2
    m = lo.size
    form = CanonicalForm(
        sense=Sense.MINIMIZE, c=np.ones(1), offset=0.0,
        A=sp.csr_array(np.ones((m, 1))), row_lower=lo, row_upper=up,
        col_lower=np.zeros(1), col_upper=np.full(1, np.inf), integrality=np.zeros(1, dtype=bool),
    )
    with pytest.warns(UserWarning, match="ranged rows are off by one rounding step"):
        write_mps(form, tmp_path / "r.mps")
    back = read_mps(tmp_path / "r.mps")
    representable = ((lo + (up - lo)) == up) | ((up - (up - lo)) == lo)
    assert representable.mean() > 0.9
    assert representable[:20].all()
    np.testing.assert_array_equal(back.row_lower[representable], lo[representable])
    np.testing.assert_array_equal(back.row_upper[representable], up[representable])
    ulp = np.spacing(np.maximum(np.abs(lo), np.abs(up)))
    assert (np.abs(back.row_lower - lo) <= ulp).all()
    assert (np.abs(back.row_upper - up) <= ulp).all()
    assert (back.row_lower <= back.row_upper).all()


@pytest.mark.parametrize("seed", [0, 1])
def test_lp_round_trip_is_exact_without_ranges(tmp_path, seed):
    form = make_form(seed, ranged=False)
    out = tmp_path / "f.lp"
    write_lp(form, out)
    assert_same_form(form, read_lp(out))
    assert_matches_highs(form, highs_arrays(highs_read(out)))


def test_lp_writes_ranged_rows_as_two_rows(tmp_path):
    form = make_form(3)
    out = tmp_path / "r.lp"
    write_model_file(form, out)
    back = read_model_file(out, check_bounds=False)  # random bounds may cross
    lo, up = form.row_lower, form.row_upper
    ranged = np.isfinite(lo) & np.isfinite(up) & (lo != up)
    assert back.num_rows == form.num_rows + ranged.sum()
    # expand the original the same way: row i -> (i_lo: >= lo, i_hi: <= up)
    rows, lows, ups, names = [], [], [], []
    for i, name in enumerate(form.row_names):
        if ranged[i]:
            rows += [i, i]
            lows += [lo[i], -np.inf]
            ups += [np.inf, up[i]]
            names += [f"{name}_lo", f"{name}_hi"]
        else:
            rows.append(i)
            lows.append(lo[i])
            ups.append(up[i])
            names.append(name)
    np.testing.assert_array_equal(back.row_lower, lows)
    np.testing.assert_array_equal(back.row_upper, ups)
    assert list(back.row_names) == names
    np.testing.assert_array_equal(back.A.toarray(), form.A.toarray()[rows])
    np.testing.assert_array_equal(back.col_lower, form.col_lower)
    np.testing.assert_array_equal(back.integrality, form.integrality)
    # HiGHS reads the file, and both models have the same LP-relaxation optimum
    assert_matches_highs(back, highs_arrays(highs_read(out)))


def test_lp_ranged_rows_solve_the_same(tmp_path):
    path = need_data(FILES[0] if FILES else None)
    form = read_mps(path)
    # turn every inequality of a real LP into a ranged row with a loose second side
    lo, up = form.row_lower.copy(), form.row_upper.copy()
    lo[np.isinf(lo)] = up[np.isinf(lo)] - 1e4
    up[np.isinf(up)] = lo[np.isinf(up)] + 1e4
    ranged = CanonicalForm(form.sense, form.c, form.offset, form.A, lo, up, form.col_lower,
                           form.col_upper, form.integrality, form.col_names, form.row_names)
    write_lp(ranged, tmp_path / "r.lp")
    assert highs_solve(read_lp(tmp_path / "r.lp")) == pytest.approx(highs_solve(ranged), rel=1e-9)


def test_lp_names_are_made_valid(tmp_path):
    form = make_form(0, ranged=False)
    bad = ["x[0]", "x[1]", "2nd", "e1", "st", "a-b", "a b", "x(0)", "", "ok"]
    bad += [f"v{j}" for j in range(form.num_cols - len(bad))]
    form.col_names = Names.from_list(bad)
    out = tmp_path / "n.lp"
    write_lp(form, out)
    back = read_lp(out)
    names = list(back.col_names)
    assert names[:2] == ["x(0)", "x(1)"]
    assert names[9] == "ok"
    assert len(set(names)) == len(names)
    assert_same_form(form, back, names=False)
    assert highs_arrays(highs_read(out))["col_names"] == names


# ---------------------------------------------------------------------------------------------
# dispatch


def test_read_model_file_dispatch_and_errors(tmp_path):
    text = "NAME t\nROWS\n N obj\n L r\nCOLUMNS\n x obj 1 r 1\nRHS\n rhs r 1\nENDATA\n"
    (tmp_path / "a.mps.gz").write_bytes(gzip.compress(text.encode()))
    assert read_model_file(tmp_path / "a.mps.gz").name == "t"
    (tmp_path / "b.lp.gz").write_bytes(gzip.compress(b"min\n x\nst\n r: x >= 1\nend\n"))
    assert read_model_file(str(tmp_path / "b.lp.gz")).row_lower.tolist() == [1.0]
    (tmp_path / "c.MPS").write_text(text)
    assert read_model_file(tmp_path / "c.MPS").num_rows == 1

    with pytest.raises(InputError, match=r"model\.txt.*\.mps, \.mps\.gz, \.lp, \.lp\.gz"):
        read_model_file(tmp_path / "model.txt")
    with pytest.raises(InputError, match=r"missing\.mps.*not found"):
        read_model_file(tmp_path / "missing.mps")
    with pytest.raises(InputError, match=r"missing\.lp.*not found"):
        read_lp(tmp_path / "missing.lp")
    with pytest.raises(InputError, match=r"model\.xyz.*supported"):
        write_model_file(read_model_file(tmp_path / "c.MPS"), tmp_path / "model.xyz")
    (tmp_path / "bad.mps.gz").write_bytes(b"not gzip at all")
    with pytest.raises(InputError, match="gzip"):
        read_model_file(tmp_path / "bad.mps.gz")


def test_big_free_mps_reads_quickly(tmp_path):
    # 20k columns x 5 entries: the reader must not be quadratic or slow per nonzero
    n, m = 20_000, 2_000
    rng = np.random.default_rng(1)
    lines = ["NAME big", "ROWS", " N obj"] + [f" L r{i}" for i in range(m)] + ["COLUMNS"]
    for j in range(n):
        rows = rng.choice(m, size=5, replace=False)
        lines += [f" c{j} r{rows[k]} {k + 1} r{rows[k + 1]} {k + 2}" for k in (0, 2)]
        lines.append(f" c{j} obj 1 r{rows[4]} -1")
    lines += ["RHS", " rhs r0 1", "ENDATA"]
    p = write(tmp_path, "big.mps", "\n".join(lines) + "\n")
    f = read_mps(p)
    assert f.nnz == 5 * n
    assert math.isclose(f.A.sum(), n * (1 + 2 + 3 + 4 - 1))
