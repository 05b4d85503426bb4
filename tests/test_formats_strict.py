"""Strict input (issue 10): numbers by a strict grammar in MPS and LP files, errors that name the
file, line, row and column, truncated files refused, crossed bounds named, and the numeric
extremes of the API and the solvers (1e308 costs for SCIP, 1e19 supplies for ``auto``, absurd
thread counts, negative shapes) refused or handled with a clear message."""

from __future__ import annotations

import gzip
import math
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, REPO, data_path

import optmodel as om
from optmodel.backend import MAX_THREADS, SolveOptions
from optmodel.errors import InputError, ModelError, OptmodelError
from optmodel.formats import read_model_file
from optmodel.formats.lp import read_lp
from optmodel.formats.mps import read_mps

MPS = """NAME          TINY
ROWS
 N  COST
 L  LIM1
 G  LIM2
COLUMNS
    X1        COST         1.0   LIM1         {a}
    X1        LIM2         1.0
    X2        COST         {c}   LIM1         1.0
RHS
    RHS       LIM1         {rhs}   LIM2         1.0
RANGES
    RNG       LIM2         {rng}
BOUNDS
 UP BND       X1           {up}
ENDATA
"""
GOOD = {"a": "1.0", "c": "2.0", "rhs": "4.0", "rng": "2", "up": "4.0"}


def mps(tmp_path: Path, name: str = "t.mps", **values: str) -> Path:
    p = tmp_path / name
    p.write_text(MPS.format(**{**GOOD, **values}))
    return p


def refused(path: Path, *words: str, line: int | None = None, **kw) -> InputError:
    with pytest.raises(InputError) as info:
        read_model_file(path, **kw)
    err = info.value
    assert err.path == str(path), str(err)
    if line is not None:
        assert err.line == line, str(err)
    for w in words:
        assert w in str(err), str(err)
    return err


# ---------------------------------------------------------------------------------------------
# MPS: the number grammar


@pytest.mark.parametrize(
    ("text", "why"),
    [("1_000", "no '_'"), ("nan", "NaN"), ("-NaN", "NaN"), ("\u0661", "digits 0-9"), ("1,5", ""), ("0x10", "")],
)
def test_mps_matrix_coefficient_by_the_strict_grammar(tmp_path, text, why):
    # Python's float takes '1_000' (as 1000), 'nan' and Arabic-Indic digits; the reader must not
    refused(mps(tmp_path, a=text), f"bad number {text!r}", "column 'X1'", "row 'LIM1'", why, line=7)


@pytest.mark.parametrize(("text", "kind"), [("inf", "is infinite"), ("-Infinity", "is infinite"),
                                            ("1e400", "overflows to infinity")])
def test_mps_infinite_coefficient_names_line_row_and_column(tmp_path, text, kind):
    refused(mps(tmp_path, a=text), "coefficient of column 'X1' in row 'LIM1'", kind, line=7)
    # the objective row too
    refused(mps(tmp_path, c=text), "coefficient of column 'X2' in row 'COST'", kind, line=9)


@pytest.mark.parametrize(
    ("field", "text", "words", "line"),
    [
        ("rhs", "4_0", ("right-hand side of row 'LIM1'", "no '_'"), 11),
        ("rhs", "nan", ("right-hand side of row 'LIM1'", "NaN"), 11),
        ("rng", "2_0", ("range of row 'LIM2'",), 13),
        ("up", "1_0", ("bound UP of column 'X1'", "no '_'"), 15),
        ("up", "nan", ("bound UP of column 'X1'", "NaN"), 15),
    ],
)
def test_mps_rhs_range_and_bound_by_the_strict_grammar(tmp_path, field, text, words, line):
    refused(mps(tmp_path, **{field: text}), f"bad number {text!r}", *words, line=line)


@pytest.mark.parametrize("text", ["1e30", "1e+30", "1E+30", "1e20", "inf", "+Infinity", "1e400"])
def test_mps_bound_infinities_are_kept(tmp_path, text):
    # HiGHS and CPLEX read bounds of 1e20 and beyond (1e30 is the usual way to write it) as infinite
    f = read_mps(mps(tmp_path, up=text, rhs=text.lstrip("+")))
    assert f.col_upper[0] == math.inf
    assert f.row_upper[0] == math.inf  # an L row with rhs +inf: a free row
    # an L row with rhs -inf admits no point: refused where it is written, not read as a model
    refused(mps(tmp_path, rhs="-" + text.lstrip("+")), "row 'LIM1' has the upper bound -inf", line=11)


def test_mps_fixed_format_with_spaces_in_names_uses_the_grammar_too(tmp_path):
    # names with blanks are read at the fixed columns: the same strict grammar applies there
    def fields(*f: str) -> str:  # columns 5-12, 15-22, 25-36, 40-47, 50-61
        widths = (8, 8, 12, 8, 12)
        gaps = ("    ", "  ", "  ", "   ", "  ")
        return "".join(g + x.ljust(w) for g, x, w in zip(gaps, f, widths)).rstrip() + "\n"

    good = ("NAME          FIX\nROWS\n N  COST\n L  LIM 1\nCOLUMNS\n" + fields("MY X", "COST", "1.0", "LIM 1", "{v}")
            + "RHS\n" + fields("RHS", "LIM 1", "4.0") + "ENDATA\n")
    p = tmp_path / "fixed.mps"
    p.write_text(good.format(v="2.5"))
    assert read_mps(p).A.toarray().tolist() == [[2.5]]
    p.write_text(good.format(v="1_000"))
    refused(p, "bad number '1_000'", "column 'MY X'", "row 'LIM 1'", line=6)
    p.write_text(good.format(v="1e999"))
    refused(p, "column 'MY X' in row 'LIM 1' overflows", line=6)


def test_mps_quadratic_and_sos_values_must_be_finite(tmp_path):
    head = "NAME q\nROWS\n N obj\n L r\nCOLUMNS\n x obj 1 r 1\n y obj 1 r 1\nRHS\n rhs r 1\n"
    p = tmp_path / "q.mps"
    p.write_text(head + "QUADOBJ\n x x 2\n x y inf\nENDATA\n")
    refused(p, "quadratic objective entry ('x', 'y')", "infinite", line=12)
    p.write_text(head + "QUADOBJ\n x x 1_0\nENDATA\n")
    refused(p, "bad number '1_0'", "('x', 'x')", line=11)
    p.write_text(head + "SOS\n S1 s\n x 1\n y nan\nENDATA\n")
    refused(p, "bad number 'nan'", "weight of column 'y'", line=13)


# ---------------------------------------------------------------------------------------------
# LP: the number grammar

LP = """\\ Problem name: tiny
Minimize
 obj: x + {c} y
Subject To
 c1: {a} x + y <= {rhs}
 x + y >= 1
Bounds
 x <= {up}
End
"""
LP_GOOD = {"a": "1", "c": "2", "rhs": "4", "up": "4"}


def lp(tmp_path: Path, text: str | None = None, **values: str) -> Path:
    p = tmp_path / "t.lp"
    p.write_text(text if text is not None else LP.format(**{**LP_GOOD, **values}))
    return p


@pytest.mark.parametrize(
    ("values", "words", "line"),
    [
        ({"a": "1_000"}, ("bad number '1_000'", "coefficient of 'x' in constraint 'c1'", "no '_'"), 5),
        ({"c": "2_0"}, ("bad number '2_0'", "coefficient of 'y' in the objective"), 3),
        ({"rhs": "1_000"}, ("right-hand side of constraint 'c1'", "'1_000'", "no '_'"), 5),
        ({"rhs": "nan"}, ("right-hand side of constraint 'c1'", "NaN"), 5),
        ({"up": "1_0"}, ("a bound of 'x'", "'1_0'"), 8),
        ({"up": "nan"}, ("a bound of 'x'", "NaN"), 8),
        ({"a": "nan"}, ("coefficient 'nan' of 'x' in constraint 'c1' is NaN",), 5),
        ({"a": "1e400"}, ("coefficient '1e400' of 'x' in constraint 'c1' overflows to infinity",), 5),
        ({"a": "inf"}, ("coefficient 'inf' of 'x' in constraint 'c1' is infinite",), 5),
        ({"c": "Infinity"}, ("coefficient 'Infinity' of 'y' in the objective is infinite",), 3),
    ],
)
def test_lp_numbers_by_the_strict_grammar(tmp_path, values, words, line):
    refused(lp(tmp_path, **values), *words, line=line)


def test_lp_unnamed_row_and_term_without_variable(tmp_path):
    text = "Minimize\n obj: x\nSubject To\n x + y <= 4\n x + inf >= 1\nEnd\n"
    refused(lp(tmp_path, text), "'inf'", "constraint 'c2'", "infinite", line=5)
    text = "Minimize\n obj: [ 1e999 x ^ 2 ] / 2\nSubject To\n x >= 1\nEnd\n"
    refused(lp(tmp_path, text), "'1e999'", "overflows", line=2)
    text = "Minimize\n obj: x + y\nSubject To\n x + y >= 1\nSOS\n s1: S1:: x:1_0 y:2\nEnd\n"
    refused(lp(tmp_path, text), "bad SOS weight '1_0'", line=6)


def test_lp_keeps_its_infinities_and_names_with_underscores(tmp_path):
    text = ("Minimize\n obj: 2_x + 3 y_1\nSubject To\n c1: 2_x + y_1 >= -1e30\n c2: 2_x <= 1e+30\n"
            "Bounds\n -inf <= _x <= +Infinity\n y_1 <= 1e30\n -1E+30 <= z <= 1\nEnd\n")
    f = read_lp(lp(tmp_path, text))
    assert list(f.col_names) == ["_x", "y_1", "z"]  # "2_x" is 2 times _x, as CPLEX reads it
    assert f.c.tolist() == [2, 3, 0]
    assert f.row_lower[0] == -math.inf and f.row_upper[1] == math.inf
    # ">= 1e30" admits no point: refused where it is written
    refused(lp(tmp_path, text.replace(">= -1e30", ">= 1e30")), "constraint 'c1' has the lower bound +inf", line=4)
    assert f.col_lower.tolist() == [-math.inf, 0, -math.inf]
    assert f.col_upper.tolist() == [math.inf, math.inf, 1]


# ---------------------------------------------------------------------------------------------
# crossed bounds name the column and the line


def test_mps_crossed_bounds_name_the_column_and_line(tmp_path):
    p = tmp_path / "lbub.mps"
    p.write_text(MPS.format(**GOOD).replace(" UP BND       X1           4.0\n",
                                            " LO BND       X1           5\n UP BND       X1           3\n"))
    # read as written by default (HiGHS does the same: the model is infeasible) ...
    assert read_mps(p).col_lower[0] == 5
    # ... named with file and line where a Model is to be built
    refused(p, "column 'X1' has lower bound 5 above its upper bound 3", line=16, check_bounds=True)
    # and om.read (a Model) names the column, not the internal block 'x', with file and line
    with pytest.raises(InputError, match=r"lbub\.mps:16: column 'X1' has lower bound 5 above its upper bound 3"):
        om.read(str(p))


def test_lp_crossed_bounds_name_the_variable_and_line(tmp_path):
    text = "Minimize\n obj: x + y\nSubject To\n c1: x + y >= 1\nBounds\n y <= 3\n x >= 5\n x <= 4\nEnd\n"
    p = lp(tmp_path, text)
    assert read_lp(p).col_lower[0] == 5
    refused(p, "variable 'x' has lower bound 5 above its upper bound 4", line=8, check_bounds=True)


# ---------------------------------------------------------------------------------------------
# truncated files


def test_mps_cut_in_the_middle_of_a_line_is_truncated(tmp_path):
    text = MPS.format(**GOOD)
    p = tmp_path / "cut.mps"
    p.write_text(text[: text.index("LIM2         1.0\nRANGES")])  # "    RHS       LIM1  4.0   "
    err = refused(p, "file ends without ENDATA (truncated?)", line=11)
    p.write_text(text[: text.index("ENDATA")])
    refused(p, "file ends without ENDATA (truncated?)", line=15)
    p.write_text(text[: text.index("ENDATA") + 3])  # "END"
    refused(p, "truncated", line=16)
    # a bad line in the middle of a file that then has more lines is that line's error
    p.write_text(text.replace("    X1        LIM2         1.0\n", "    X1        LIM3         1.0\n"))
    err = refused(p, "unknown row 'LIM3'", line=8)
    assert "truncated" not in str(err)


def test_lp_cut_in_the_middle_is_truncated(tmp_path):
    text = LP.format(**LP_GOOD)
    for cut in (text.index("<= 4") + 2, text.index("Bounds") + 3, text.index("End")):
        refused(lp(tmp_path, text[:cut]), "file ends without End (truncated?)")
    # a last line that fails to tokenise, with no End after it, is reported as a truncation too
    refused(lp(tmp_path, text[: text.index("Bounds")] + " c3: x :"), "truncated", "':'", line=7)


def test_truncated_gzip_says_so(tmp_path):
    raw = gzip.compress(MPS.format(**GOOD).encode())
    p = tmp_path / "t.mps.gz"
    p.write_bytes(raw)
    assert read_model_file(p).num_cols == 2
    p.write_bytes(raw[: len(raw) // 2])
    refused(p, "gzip data ends early (truncated file?)")
    p.write_bytes(raw[:10] + bytes(b ^ 0x55 for b in raw[10:30]) + raw[30:])
    refused(p, "not a valid gzip file")


def test_every_shared_file_still_reads_plain_and_gzipped(tmp_path):
    files = sorted(DATA.glob("*/*.mps")) + sorted(DATA.glob("*/*.lp"))
    if not files:
        data_path("netlib")  # skips with the reason
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in files:
            form = read_model_file(f, check_bounds=True)
            g = tmp_path / (f.name + ".gz")
            with open(f, "rb") as a, gzip.open(g, "wb") as b:
                shutil.copyfileobj(a, b)
            again = read_model_file(g)
            assert (again.A != form.A).nnz == 0 and np.array_equal(again.col_upper, form.col_upper), f.name


# ---------------------------------------------------------------------------------------------
# numeric extremes: API arguments, options and solvers


@pytest.mark.parametrize("shape", [-3, 2.5, (2, -1), "3", True, [1.0], None])
def test_var_refuses_a_bad_shape_naming_it(shape):
    with pytest.raises(ModelError, match="shape must be a non-negative integer"):
        om.Model().var(shape)


def test_var_and_set_bounds_name_the_element_with_crossed_bounds():
    m = om.Model()
    assert m.var(np.int64(2)).shape == (2,) and m.var((0, 3)).size == 0 and m.var().shape == ()
    with pytest.raises(ModelError, match=r"variable y\[1, 0\] has a lower bound above its upper bound \(5 > 1\)"):
        m.var((2, 2), lb=[[0, 0], [5, 0]], ub=1, name="y")
    with pytest.raises(ModelError, match=r"variable k\['b'\] has a lower bound"):
        m.var(keys=["a", "b"], lb=[0, 3], ub=2, name="k")
    with pytest.raises(ModelError, match="lb and ub must be numbers or arrays"):
        m.var(3, lb=[1, 2])
    w = m.var(3, lb=0, ub=5, name="w")
    with pytest.raises(ModelError, match=r"set_bounds: variable w\[1\] would have a lower bound above"):
        m.set_bounds(w[1:], lb=6)
    with pytest.raises(ModelError, match="set_bounds: lb and ub must be"):
        m.set_bounds(w[1:], ub=[1, 2, 3])


@pytest.mark.parametrize("threads", [0, -1, MAX_THREADS + 1, 100000, 2.5, True])
def test_solve_options_refuse_unreasonable_threads(threads):
    with pytest.raises(OptmodelError, match=f"threads must be an integer from 1 to {MAX_THREADS}"):
        SolveOptions(threads=threads)
    assert SolveOptions(threads=MAX_THREADS).threads == MAX_THREADS


def test_cli_threads_100000_is_one_line_and_exit_2():
    proc = subprocess.run([sys.executable, "-m", "optmodel", "solve", "shortest-path", "--grid", "3",
                           "--threads", "100000"], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "threads must be an integer from 1 to 1024" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_scip_refuses_a_cost_beyond_its_infinity_naming_the_column():
    pytest.importorskip("pyscipopt")
    m = om.Model()
    x = m.var(2, lb=0, ub=10, name="x")
    m.add(x.sum() >= 1)
    m.minimize(x @ [1e308, 1.0])
    with pytest.raises(ModelError, match=r"objective coefficient 1e\+308 of x\[0\] is too large"):
        m.solve("scip")
    m.set_objective(x @ [1.0, 1.0])
    assert m.solve("scip").objective == pytest.approx(1.0)
    m.set_objective(x @ [1.0, -1e21])  # a warm re-solve checks the new costs too
    with pytest.raises(ModelError, match=r"-1e\+21 of x\[1\]"):
        m.solve("scip")


def test_scip_threads_and_options_refused_clearly():
    pytest.importorskip("pyscipopt")
    m = om.Model()
    x = m.var(lb=0)
    m.add(x >= 1)
    m.minimize(x)
    with pytest.raises(OptmodelError, match="at most 64 threads"):
        m.solve("scip", threads=100)
    with pytest.raises(OptmodelError, match="SCIP refused the option limits/gap=-5"):
        m.solve("scip", solver_options={"limits/gap": -5.0}, resolve=False)
    assert m.solve("scip", threads=4, resolve=False).objective == pytest.approx(1.0)


@pytest.mark.parametrize("backend", ["ortools:scip", "pyomo:scip"])
def test_every_backend_that_drives_scip_declares_its_thread_limit(backend):
    # they passed 100 to SCIP, which failed with a traceback (pyomo) or an error code (ortools)
    from optmodel.backends import get

    if get(backend.partition(":")[0]).unavailable_reason() is not None:
        pytest.skip(f"{backend} is not installed")
    m = om.Model()
    x = m.var(lb=0)
    m.add(x >= 1)
    m.minimize(x)
    with pytest.raises(OptmodelError, match=f"{backend} runs at most 64 threads, not 100"):
        m.solve(backend, threads=100)


@pytest.mark.parametrize("rhs", [5e18, 9.3e18, 9.9e19])
def test_auto_network_with_supplies_beyond_int64_goes_to_a_general_backend(rhs):
    # x - y == rhs is a network LP; min-cost flow in int64 overflowed and answered "infeasible"
    m = om.Model()
    x, y = m.var(lb=0, name="x"), m.var(lb=0, name="y")
    m.add(x - y == rhs)
    m.minimize(x + y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no "invalid value encountered in cast"
        sol = m.solve("auto")
    assert sol.status is om.Status.OPTIMAL, sol.message
    assert sol.objective == pytest.approx(rhs, rel=1e-9)
    assert "too large for min-cost flow" in sol.stats["auto"]


def test_auto_refuses_an_infinite_right_hand_side_clearly():
    m = om.Model()
    x, y = m.var(lb=0), m.var(lb=0)
    m.add(x - y >= 1e30)
    m.minimize(x + y)
    with pytest.raises(ModelError, match=r"lower bound .* ill-posed"):
        m.solve("auto")
