"""Issue 11: building a model and handing it to HiGHS close to raw highspy, without changing answers.

The spec layer's fast paths (variables selected and broadcast without sparse row copies, sums and
sums of different variables written side by side, scalings of the data alone, dense weights kept
dense, one concatenation at lowering) must give the same matrices as plain sparse algebra; HiGHS
gets the form row-wise; reduced costs come from the row duals; verification reads each array once;
``import optmodel`` and ``--help`` load no scipy.
"""

from __future__ import annotations

import subprocess
import sys
import time

import numpy as np
import pytest
import scipy.sparse as sp

import optmodel as om
from optmodel.canonical import stack_rows
from optmodel.reductions import prepare
from optmodel.verify import _max_violation, _violation


def _dense(e: om.Expr, n: int) -> np.ndarray:
    coef = sp.csr_array((e.coef.data, e.coef.indices, e.coef.indptr), shape=(e.coef.shape[0], n))
    return coef.toarray()


def _check(e: om.Expr, matrix: np.ndarray, const: np.ndarray | float = 0.0) -> None:
    """``e`` is ``matrix @ x + const`` element by element (rows in C order)."""
    n = matrix.shape[-1]
    np.testing.assert_allclose(_dense(e, n), matrix.reshape(-1, n))
    np.testing.assert_allclose(e.const, np.broadcast_to(const, e.shape).ravel())
    x = np.random.default_rng(0).normal(size=n)
    np.testing.assert_allclose(np.ravel(e.value(x)), (matrix.reshape(-1, n) @ x) + np.ravel(
        np.broadcast_to(const, e.shape)))


def _model() -> tuple[om.Model, om.Var, om.Var, om.Var, int]:
    m = om.Model()
    y = m.var((3, 2))
    s = m.var((2, 4, 3))
    d = m.var()
    return m, y, s, d, m.num_vars


def test_broadcast_sum_and_difference_of_blocks_match_dense_algebra():
    _m, y, s, d, n = _model()
    eye = np.eye(n)
    Y, S, D = eye[0:6].reshape(3, 2, n), eye[6:30].reshape(2, 4, 3, n), eye[30]
    _check(s - d, S - D)  # a scalar broadcast to every row, its column right of the block's
    _check(d - s, D - S)
    # y's block lies left of s's: the rows are laid side by side with y's entries first
    _check(s + y[:, 0], S + Y[:, 0])
    _check(y[:, 0] + s, S + Y[:, 0])
    mixed = (s - d) - 2.5 * (1 - s)  # columns interleave: scipy merges
    _check(mixed, S - D + 2.5 * S, -2.5)
    _check((s - d) + 0 * s, S - D)  # explicit zeros are harmless in expressions
    _check(s.sum(axis=1), S.sum(axis=1))
    _check(s.sum(axis=0) - s[0], S.sum(axis=0) - S[0])
    _check((s * np.arange(3.0)).sum(axis=2), (S * np.arange(3.0)[:, None]).sum(axis=2))
    _check(s[[0, 0]].sum(axis=0), 2 * S[0])  # duplicate columns in a sum are added up
    _check(s[:, ::-1][..., [2, 0]], S[:, ::-1][..., [2, 0], :])
    _check(s[s.value(np.arange(n, dtype=float)) > 12], S.reshape(-1, n)[np.arange(6, 30) > 12])
    _check(s[-1, -2], S[-1, -2])
    w = np.array([0.0, 2.0, 0.0, -1.5, 0.0, 3.0])
    _check(y.reshape(6) @ w, w @ Y.reshape(6, n))  # an expression, not a block: scaled and summed
    _check(-(s - d), D - S)


def test_sums_of_blocks_are_written_once_when_read():
    """``s - d - M(1 - z)``: blocks of different variables, scaled and broadcast, are kept as a sum
    and written side by side once, when the coefficients are first read (no intermediate matrix,
    no scaled copy of a block); sums whose blocks share columns are merged as before."""
    m, y, s, d, _n = _model()
    z = m.var((2, 4, 3))
    n = m.num_vars
    eye = np.eye(n)
    Y, S, D, Z = eye[0:6].reshape(3, 2, n), eye[6:30].reshape(2, 4, 3, n), eye[30], eye[31:55].reshape(2, 4, 3, n)
    e = s - d - 2.5 * (1 - z)
    assert e._parts is not None and len(e._parts) == 3
    _check(e, S - D + 2.5 * Z, -2.5)
    assert e._parts is None  # written once, then kept
    before = z.coef.data.copy()
    _check(-(3 * (z - d)) * 2, 6 * D - 6 * Z)
    np.testing.assert_array_equal(z.coef.data, before)  # scaled as it is written: the block is untouched
    _check(np.ones((2, 1, 1)) - d, -np.broadcast_to(D, (2, 1, 1, n)), 1.0)
    _check(y[:, 0] + s + 4, S + Y[:, 0], 4.0)
    _check((s - d) + (s - d), 2 * (S - D))  # shared columns: merged
    _check(z - z, 0 * Z)
    _check((z - d)[1, 2], Z[1, 2] - D)
    _check((y[:, 1] - d).sum(), Y[:, 1].sum(axis=0) - 3 * D)


def test_weights_at_a_variable_block_stay_dense_and_exact():
    m = om.Model()
    x = m.var(1000)
    w = np.where(np.arange(1000) % 3 == 0, 0.0, np.linspace(-1, 1, 1000))
    e = w @ x
    assert e.shape == () and e.coef.nnz == np.count_nonzero(w)
    np.testing.assert_allclose(_dense(e, 1000).ravel(), w)
    e2 = x @ w
    np.testing.assert_allclose(_dense(e2, 1000).ravel(), w)


def test_scaling_shares_the_pattern_and_never_changes_the_original():
    m = om.Model()
    x = m.var(5)
    e = x + 1
    f = 3.0 * e
    g = e * np.arange(5.0)
    np.testing.assert_allclose(_dense(f, 5), 3 * np.eye(5))
    np.testing.assert_allclose(_dense(g, 5), np.diag(np.arange(5.0)))
    np.testing.assert_allclose(_dense(e, 5), np.eye(5))  # the original's data is untouched
    np.testing.assert_allclose(f.const, 3.0)


def test_lowering_leaves_shared_blocks_intact_and_is_canonical():
    """A block whose rows are unsorted and share their index array with another expression is
    sorted on a copy: the other expression keeps its meaning."""
    m = om.Model()
    x = m.var(4)
    A = sp.csr_array((np.array([1.0, 2.0, 3.0, 4.0]), np.array([3, 1, 2, 0]), np.array([0, 2, 4])), shape=(2, 4))
    e = A @ x  # unsorted rows
    scaled = 2.0 * e  # the same index array, other data
    m.add(scaled <= 1)
    before = _dense(e, 4).copy()
    form = m.canonical()
    assert form.A.has_sorted_indices
    form.A.sort_indices()  # what the MPS/LP writers do to the form, in place
    np.testing.assert_allclose(_dense(e, 4), before)
    np.testing.assert_allclose(form.A.toarray(), 2 * A.toarray())
    # several blocks: one concatenation, zeros from cancellation dropped
    m2 = om.Model()
    z = m2.var(3)
    m2.add(z[0] + z[1] - z[1] <= 1)
    m2.add(z.sum() >= 0)
    A2 = m2.canonical().A
    assert A2.nnz == 4 and np.all(A2.data != 0) and A2.has_canonical_format
    blocks = [sp.csr_array(np.array([[0.0, 1.0], [2.0, 0.0]])), sp.csr_array(np.array([[3.0, 0.0, 4.0]]))]
    stacked = stack_rows(blocks, 3)
    np.testing.assert_allclose(stacked.toarray(), [[0, 1, 0], [2, 0, 0], [3, 0, 4]])
    assert stacked.indices.dtype == np.int32


def test_lowered_blocks_are_views_of_the_form_and_later_edits_never_reach_it():
    """After lowering, each constraint block is a view of its rows of the form (the block's own
    arrays are freed), equation rows share one bound array and bounds of one number take no array
    per variable; a later edit of the model makes new arrays, so a form already handed to a solver
    never changes."""
    rng = np.random.default_rng(0)
    m = om.Model()
    x = m.var(4, lb=np.arange(4.0) - 9)
    y = m.var(3, lb=0, ub=1, integer=True)
    A1, A2 = rng.normal(size=(2, 4)), rng.normal(size=(3, 3))
    blocks = [m.add(A1 @ x == 1), m.add(A2 @ y + x[:3] == np.arange(3.0)), m.add(x[0] + x[1] - x[1] <= 5)]
    before = [_dense(c, m.num_vars) for c in blocks]  # the last has an explicit zero, dropped in lowering
    assert m._lb[1].strides == (0,)  # y's bound of one number: a view, no array
    form = m.canonical()
    for c, dense in zip(blocks, before, strict=True):
        assert np.shares_memory(c.coef.data, form.A.data) and np.shares_memory(c.coef.indices, form.A.indices)
        np.testing.assert_array_equal(_dense(c, m.num_vars), dense)
        np.testing.assert_array_equal(c.lower, form.row_lower[c.rows])
    assert blocks[2].coef.nnz == 1 and form.A.nnz == 8 + 12 + 1
    np.testing.assert_array_equal(form.col_lower, [-9, -8, -7, -6, 0, 0, 0])
    old_rows, old_cols = form.row_upper.copy(), form.col_lower.copy()
    m.set_bounds(blocks[0], ub=2)
    m.set_bounds(x[0], lb=-1)
    np.testing.assert_array_equal(form.row_upper, old_rows)
    np.testing.assert_array_equal(form.col_lower, old_cols)
    new = m.canonical()
    assert new.row_upper[1] == 2 and new.row_lower[1] == 1 and new.col_lower[0] == -1
    m.add(x.sum() >= -30)  # lowered again from the views: the same rows and one more
    again = m.canonical()
    np.testing.assert_array_equal(again.A.toarray()[:6], new.A.toarray())
    assert again.A.nnz == form.A.nnz + 4
    # equations only: one bound array serves both sides
    m2 = om.Model()
    z = m2.var(3, lb=0)
    m2.add(z[:2] == 1)
    m2.add(z.sum() == 2)
    f2 = m2.canonical()
    assert f2.row_lower is f2.row_upper
    sol = m2.solve("highs")
    assert sol.certified and np.isclose(sol[z].sum(), 2)


def test_what_the_model_and_its_form_share_is_read_only():
    """A write into a lowered block or into a shared bound array raises: it would otherwise reach
    the form a solver session holds (and a warm re-solve would answer the old model)."""
    from optmodel.explain import formulation

    m = om.Model()
    x = m.var(3, lb=np.arange(3.0))
    c1 = m.add(x[:2] == 1)
    c2 = m.add(x.sum() <= 10)
    form = m.canonical()
    for write in (lambda: c1.lower.__setitem__(0, 6.0), lambda: c2.coef.data.__setitem__(0, 3.0),
                  lambda: form.col_lower.__setitem__(0, 7.0), lambda: form.row_upper.__setitem__(0, 7.0)):
        with pytest.raises(ValueError, match="read-only"):
            write()
    assert m.solve("highs").certified
    m.set_bounds(c1, lb=0, ub=2)  # the supported way: new arrays
    m.set_bounds(x[1], ub=5)
    assert m.canonical().row_upper[0] == 2 and m.canonical().col_upper[1] == 5
    assert "subject to" in formulation(m)[0]  # one bound array per variable block, after set_bounds too
    # a constraint given in another sparse format is lowered like any other
    m2 = om.Model()
    y = m2.var(2, lb=0)
    m2.add(om.Constraint(sp.coo_array(np.array([[1.0, 1.0]])), np.array([1.0]), np.array([np.inf]), (1,), m2))
    m2.add(y[0] <= 0.25)
    m2.minimize(y.sum())
    sol = m2.solve("highs")
    assert sol.certified and np.isclose(sol.objective, 1.0)


def test_lowering_checks_bounds_of_one_number_once():
    m = om.Model()
    m.var(5, lb=np.nan)  # one NaN stands for all five
    with pytest.raises(om.ModelError, match="NaN bound"):
        m.canonical()
    m2 = om.Model()
    m2.var(4, integer=True, lb=0, ub=3)
    m2.var(2, lb=-np.inf)
    assert m2.is_mip and not m2.has_special
    assert m2.canonical().integrality.tolist() == [True] * 4 + [False] * 2
    with pytest.raises(om.ModelError, match="lower bound above"):
        m2.var(3, lb=2, ub=1)
    assert m2.var(0, lb=1, ub=0).size == 0  # nothing to contradict
    m3 = om.Model()
    m3.var(2, lb=None)  # None reads as NaN, refused when lowered as before
    with pytest.raises(om.ModelError, match="NaN bound"):
        m3.canonical()


def test_normalise_never_edits_the_form_it_is_given():
    from optmodel.reductions import DropFreeRows

    m = om.Model()
    x = m.var(2, lb=2.5, ub=2.7, integer=True, semicontinuous=True)  # no integer in [2.5, 2.7]: only 0
    y = m.var(lb=0.5, ub=3.5, integer=True)
    m.add(x.sum() + y <= 10)
    form = m.canonical()
    checked, _solved, _chain = prepare(form)
    np.testing.assert_array_equal(checked.col_lower, [0, 0, 1])
    np.testing.assert_array_equal(checked.col_upper, [0, 0, 3])
    np.testing.assert_array_equal(form.col_lower, [2.5, 2.5, 0.5])  # the model's form as stated
    np.testing.assert_array_equal(form.col_upper, [2.7, 2.7, 3.5])
    assert not DropFreeRows(form).needed and DropFreeRows(form).keep is None
    m.add(x[0].between(-np.inf, np.inf))
    free = DropFreeRows(m.canonical())
    assert free.needed and free.keep.tolist() == [0]


def test_highs_gets_the_form_row_wise_and_reduced_costs_from_the_row_duals():
    import highspy

    from optmodel.backend import SolveOptions
    from optmodel.backends.highs import Highs, pass_model

    m = om.Model()
    x = m.var(3, lb=0)
    m.add(np.array([[1.0, 0, 2], [0, 3, 4]]) @ x >= 1)
    m.minimize(x.sum())
    form = m.canonical()

    class Recorder:  # what pass_model hands to HiGHS
        def passModel(self, *args):
            self.args = args
            return highspy.HighsStatus.kOk

    h = Recorder()
    pass_model(h, form)
    assert h.args[3] == int(highspy.MatrixFormat.kRowwise)
    for array in h.args[11:13]:  # the form's own int32 arrays, not converted copies
        assert array.dtype == np.int32
    assert h.args[11] is form.A.indptr and np.shares_memory(h.args[12], form.A.indices)
    adapter = Highs("choose")
    adapter.load(form, SolveOptions())
    lp = adapter.h.getLp()
    np.testing.assert_allclose(sp.csc_array((lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_),
                                            shape=(2, 3)).toarray(), form.A.toarray())
    rng = np.random.default_rng(3)
    for sense in ("min", "max"):
        m = om.Model()
        x = m.var(8, lb=-1, ub=2)
        m.add(rng.normal(size=(5, 8)) @ x <= 1)
        m.add(x.sum() >= -3)
        c = rng.normal(size=8)
        (m.minimize if sense == "min" else m.maximize)(x @ c)
        sol = m.solve("highs")
        h = m._session.adapter.h
        np.testing.assert_allclose(sol.reduced_costs, np.array(h.getSolution().col_dual), atol=1e-9)
        form = m.canonical()
        np.testing.assert_allclose(sol.reduced_costs, form.c - form.A.T @ sol.row_duals, atol=1e-12)
        assert sol.certified


def test_reduced_costs_with_rows_the_form_does_not_hold():
    """Row generation adds rows to HiGHS only: HiGHS's own column duals are used then."""
    from optmodel.backend import SolveOptions
    from optmodel.backends.highs import Highs
    from optmodel.lazy import Rows

    m = om.Model()
    x = m.var(3, lb=0)
    m.add(x.sum() >= 1)
    m.minimize(x @ [1.0, 2.0, 3.0])
    form = m.canonical()
    adapter = Highs("choose")
    adapter.load(form, SolveOptions())
    adapter.add_rows(Rows(sp.csr_array(np.array([[1.0, 0.0, 0.0]])), np.array([-np.inf]), np.array([0.5])))
    raw = adapter.run(SolveOptions())
    assert raw.row_duals.shape == (2,)
    np.testing.assert_allclose(raw.reduced_costs, np.array(adapter.h.getSolution().col_dual))
    assert raw.stats["solver_seconds"] >= 0


def test_one_pass_violation_matches_the_entrywise_one():
    rng = np.random.default_rng(1)
    for _ in range(200):
        k = int(rng.integers(0, 12))
        value = rng.normal(size=k) * 3
        lower = np.where(rng.random(k) < 0.3, -np.inf, rng.normal(size=k))
        upper = np.where(rng.random(k) < 0.3, np.inf, np.where(np.isfinite(lower), lower, 0.0) + rng.random(k) * 2)
        upper = np.where(np.isneginf(lower) & (rng.random(k) < 0.2), -np.inf, upper)  # impossible bounds too
        lower = np.where(rng.random(k) < 0.1, np.inf, lower)
        expected = float(_violation(value, lower, upper).max(initial=0.0))
        assert _max_violation(value, lower, upper) == pytest.approx(expected)


def test_finite_bounds_beyond_1e20_become_infinite_next_to_infinite_ones():
    m = om.Model()
    x = m.var(3, lb=[-np.inf, -1e21, 0.0], ub=[np.inf, 5.0, 1e22])
    m.add(x.sum() <= 1e25)
    m.minimize(x.sum())
    checked, _, _ = prepare(m.canonical())
    np.testing.assert_array_equal(checked.col_lower, [-np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(checked.col_upper, [np.inf, 5.0, np.inf])
    np.testing.assert_array_equal(checked.row_upper, [np.inf])


def test_build_seconds_count_the_lowering():
    m = om.Model()
    x = m.var(2, lb=0)
    m.add(x.sum() >= 1)
    m.minimize(x.sum())
    lower = m._lower

    def slow_lower():
        time.sleep(0.3)
        return lower()

    m._lower = slow_lower
    sol = m.solve("highs")
    assert sol.build_seconds >= 0.3


def test_values_of_a_block_are_a_copy():
    m = om.Model()
    x = m.var((2, 2), lb=1, ub=1)
    m.minimize(x.sum())
    sol = m.solve("highs")
    v = sol[x]
    v[:] = 7
    np.testing.assert_allclose(sol[x], 1.0)


def test_highs_version_after_a_solve_is_the_distributions():
    from importlib.metadata import version

    m = om.Model()
    x = m.var(lb=0)
    m.minimize(x)
    assert m.solve("highs").backend_version == version("highspy")


HELP = """import runpy, sys
sys.argv = ['optmodel', '--help']
try:
    runpy.run_module('optmodel', run_name='__main__')
except SystemExit:
    pass"""
HEAVY = "{'scipy', 'highspy', 'torch', 'cvxpy', 'pyomo', 'ortools', 'pyscipopt'}"


@pytest.mark.parametrize("code", ["import optmodel", HELP])
def test_import_and_help_load_no_scipy(code: str):
    """scipy.sparse takes longer to import than numpy: optmodel loads it when a model first needs it."""
    probe = code + f"\nimport sys\nprint(sorted({{m.split('.')[0] for m in sys.modules}} & {HEAVY}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


def test_peers_benchmark_tiny(tmp_path):
    """benchmarks/peers.py on tiny sizes: every tool installed hands HiGHS the same model."""
    import importlib.util
    import json
    from pathlib import Path

    tools = ["raw", "raw_thread", "optmodel"] + [t for t, module in (("poi", "pyoptinterface"), ("linopy", "linopy"))
                                   if importlib.util.find_spec(module) is not None]
    script = Path(__file__).resolve().parent.parent / "benchmarks" / "peers.py"
    done = subprocess.run(
        [sys.executable, str(script), "--sizes", "facility:3,4", "grid:6", "--repeat", "1", "--tools",
         ",".join(tools), "--check-sizes", "1", "--startup", "--startup-repeat", "1", "--out", str(tmp_path)],
        capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads((tmp_path / "results.json").read_text())
    assert [c["same"] for c in result["check"]] == [True, True]
    rows = {(r["model"], r["size"], r["tool"]): r for r in result["rows"]}
    assert len(rows) == 3 * len(tools)
    grid = [r for r in result["rows"] if r["model"] == "grid"]
    assert all(r["same_objective"] for r in grid if r["tool"] != "raw")
    assert all(r["build_s"] > 0 and r["rss_mb"] > 0 for r in result["rows"])
    assert {(e["model"], e["tool"]) for e in result["exponents"]} == {("facility", t) for t in tools}
    assert (tmp_path / "build.png").stat().st_size > 0 and "identical" in (tmp_path / "results.md").read_text()
    assert all(r["rss_thread_ratio"] > 0 for r in result["rows"])
    startup = result["startup"]["median_s"]
    assert len(startup) == 4 and all(0 < s < 30 for s in startup.values())


def test_rows_of_a_block_between_two_others_are_interleaved_in_order():
    """``(s - d) + M * z`` with z's columns between s's and d's: each row [s, z, d], sorted."""
    m = om.Model()
    s = m.var(4)
    z = m.var(4)
    d = m.var()
    e = (s - d) - 2.0 * (1 - z)
    eye = np.eye(9)
    _check(e, eye[0:4] - eye[8] + 2.0 * eye[4:8], -2.0)
    assert e.coef.has_sorted_indices
    np.testing.assert_array_equal(e.coef.indices.reshape(4, 3), np.c_[np.arange(4), 4 + np.arange(4), np.full(4, 8)])
    m.add(e == 0)
    np.testing.assert_allclose(m.canonical().A.toarray(), (eye[0:4] - eye[8] + 2.0 * eye[4:8]))
