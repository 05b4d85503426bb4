"""Fuzzing every reader and the command line with mutated real files (issue 10, item 5).

Each format's test mutates seed files (Netlib/MIPLIB MPS, LP and MPS written by optmodel's writers,
DIMACS graphs and the head of rome99, CSV edge lists, TSPLIB instances, similarity CSVs written by
``write_similarity_csv``, a GAN checkpoint written by a short training run) with byte flips,
truncation, line deletion/duplication/swaps, odd number tokens (``1_000``, ``nan``, ``1e309``,
``99999999999999999999999``, ``0x10``, Unicode digits, empty), huge declared sizes, non-UTF-8 bytes,
tabs and CRLF, reads each case in-process under a time limit and a memory bound, and requires a
plausible result or one ``OptmodelError`` line naming the file (and a line in it); the CLI test runs
``python -m optmodel`` on random combinations of commands, flags, odd values and missing values
and requires exit 0 with an answer, or exit 2 with one stderr line, no traceback, and with
``--json`` exactly one strict JSON object fitting docs/json-output.schema.json. ``tests/fuzzing.py``
holds the machinery and explains the checks.

Budget and environment:
  default                       about a minute in all (``Format.examples`` cases per format)
  OPTMODEL_FUZZ_SECONDS=600     keep each format going for that many seconds (fresh rounds)
  OPTMODEL_FUZZ_COLLECT=1       record every failure class and go on, instead of failing at the first
  OPTMODEL_FUZZ_FINDINGS=DIR    where reproducers go (default $TMPDIR/optmodel-fuzz-findings)
  OPTMODEL_FUZZ_CASE_SECONDS=2  CPU seconds of one in-process case (10x on the wall clock)
  OPTMODEL_FUZZ_MEMORY_MB=256   memory one in-process case may add (RLIMIT_AS above what is mapped)
  OPTMODEL_FUZZ_CLI_SECONDS=60  CPU seconds of one CLI run (4x on the wall clock; 3 GiB of memory)

A failure names its reproducer (FINDINGS/FORMAT/CLASS/input.EXT and info.txt); hypothesis prints the
seed and mutations and keeps failing examples in .hypothesis/fuzz/FORMAT (gitignored), replayed
first next time.
``python tests/test_fuzz.py FORMAT FILE`` reads one file as the test does and prints the verdict.

    OPTMODEL_FUZZ_SECONDS=600 OPTMODEL_FUZZ_COLLECT=1 nice -n 10 .venv/bin/python -m pytest -q tests/test_fuzz.py
"""

from __future__ import annotations

import gzip
import json
import math
import shlex
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import fuzzing as fz  # tests/fuzzing.py (pytest puts tests/ on sys.path, as for conftest)
import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from hypothesis.database import DirectoryBasedExampleDatabase

import optmodel as om

ROUND = settings(deadline=None, derandomize=False, print_blob=True, report_multiple_bugs=False,
                 suppress_health_check=list(HealthCheck),
                 phases=[Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink])


def _database(name: str) -> DirectoryBasedExampleDatabase:
    """Failing examples of one format, replayed first next time (one folder per format, since the
    tests share their inner function's source and hypothesis keys examples by it)."""
    return DirectoryBasedExampleDatabase(str(fz.REPO / ".hypothesis" / "fuzz" / name))


def _data(*parts: str) -> Path | None:
    path = fz.DATA.joinpath(*parts)
    return path if path.exists() else None


# ---------------------------------------------------------------------------------------------
# readers and what a plausible result is


def read_form(path: Path) -> Any:
    from optmodel.formats import read_model_file
    from optmodel.model import Model

    form = read_model_file(path)
    Model.from_canonical(form)  # what `solve FILE` does next: a form it refuses was read wrongly
    return form


def plausible_form(f: Any) -> str | None:
    n, m = f.num_cols, f.num_rows
    if len(f.col_names) != n or len(f.row_names) != m:
        return f"{len(f.col_names)} column names for {n} columns, {len(f.row_names)} row names for {m} rows"
    if len(set(f.col_names)) != n or len(set(f.row_names)) != m:
        return "two columns or two rows share a name"
    for label, arr in (("an objective", f.c), ("a matrix", f.A.data),
                       ("a quadratic", f.Q.data if f.Q is not None else np.zeros(0))):
        if not np.all(np.isfinite(arr)):
            return f"{label} coefficient is {arr[~np.isfinite(arr)][0]}"
    if not math.isfinite(f.offset):
        return f"the objective offset is {f.offset}"
    for label, lo, up in (("column", f.col_lower, f.col_upper), ("row", f.row_lower, f.row_upper)):
        if np.isnan(lo).any() or np.isnan(up).any():
            return f"a {label} bound is NaN"
        if np.any(lo == np.inf) or np.any(up == -np.inf):
            return f"a {label} has lower bound +inf or upper bound -inf"
    return None


def plausible_graph(g: Any) -> str | None:
    n, k = g.num_vertices, g.num_arcs
    if g.head.shape != (k,) or g.weight.shape != (k,):
        return "tail, head and weight differ in length"
    if k and (min(g.tail.min(), g.head.min()) < 0 or max(g.tail.max(), g.head.max()) >= n):
        return "an arc names a vertex outside the graph"
    if not np.all(np.isfinite(g.weight)):
        return f"an arc weight is {g.weight[~np.isfinite(g.weight)][0]}"
    if n > 2 * k + 10**6:
        return f"{n} vertices for {k} arcs: a declared size out of proportion to the file"
    if len(np.unique(g.ids)) != n:
        return "two vertices share an id"
    return None


def plausible_tsp(t: Any) -> str | None:
    n = t.n
    d = t.dist
    if d.shape != (n, n) or d.dtype.kind != "i":
        return f"distance matrix {d.shape} {d.dtype} for {n} cities"
    if np.any(d < 0) or not np.array_equal(d, d.T) or np.any(np.diag(d) != 0):
        return "distances negative, asymmetric or nonzero on the diagonal"
    if len(np.unique(t.ids)) != n:
        return "two cities share an id"
    if t.coords is not None and not np.all(np.isfinite(t.coords)):
        return "a coordinate is not finite"
    return None


def plausible_similarity(value: Any) -> str | None:
    names, s = value
    n = len(names)
    if s.shape != (n, n):
        return f"a {s.shape} matrix for {n} names"
    if not np.all(np.isfinite(s)) or not np.array_equal(s, s.T):
        return "the matrix is not finite and symmetric"
    if len(set(names)) != n:
        return "two items share a name"
    return None


def read_graph(path: Path) -> Any:
    from optmodel.graphs import read_graph

    return read_graph(path)


def read_tsp(path: Path) -> Any:
    from optmodel.tsplib import read_tsplib

    return read_tsplib(path)


def read_sim(path: Path) -> Any:
    from optmodel.similarity import read_similarity_csv

    return read_similarity_csv(path)


MPS_LINES = (b"ENDATA", b"ROWS", b"COLUMNS", b"RHS", b"BOUNDS", b"RANGES", b" N  obj2", b" E  R09",
             b" UP BND       X01       1e30", b" LO BND X01 5", b" UP BND X01 -5", b" MI BND X01", b" BV BND X01 2",
             b"    X01       R09       nan", b"    X01 R09 1 R10", b"OBJSENSE", b"    MAX", b"* comment", b"NAME dup",
             b"    MARKER                 'MARKER'                 'INTORG'", b"QUADOBJ", b"    X01 X01 1",
             b"SOS", b" S1 SOS s1", b"INDICATORS", b" IF R09 X01 1", b"    RNG R09 -1", b"    RHS obj 1e400")
LP_LINES = (b"End", b"Subject To", b"Bounds", b"General", b"Binary", b"Maximize", b"Minimize", b"obj: 3 x1",
            b" c9: X01 + X01 >= 3", b"X01 >= 1e30", b"X01 <= nan", b"X01 free", b"-inf <= X01 <= inf",
            b"\\ comment", b"SOS", b"s1: S1:: X01:1 X02:2", b"Semi-continuous", b" c10: [ 2 X01 ^2 ] >= 1",
            b"1e400 X01 >= 2", b" c11: X01 >= 1 >= 2", b" c12: 3 >= X01", b"b = 1 -> X01 <= 2", b": X01 >= 1")
DIMACS_LINES = (b"p sp 3 2", b"a 1 2 3", b"a 1 1 0", b"a 0 1 2", b"c comment", b"a 1 2", b"a 1 2 3 4",
                b"a 1 2 -5", b"a 1 2 1e400", b"", b"x y z", b"a\t1\t2\t3", b"a 1 2 3.5e")
CSV_LINES = (b"source,target,weight", b"1,2", b"1,2,3,4", b"#comment", b"a,b,nan", b",,", b'"1","2","3"',
             b"1,1,0", b"1;2;3", b'"unterminated', b"1,2,", b"1,,3", b" 1 , 2 , 3 ")
TSP_LINES = (b"EOF", b"DIMENSION: 1000000", b"DIMENSION : 3", b"NODE_COORD_SECTION", b"EDGE_WEIGHT_SECTION",
             b"EDGE_WEIGHT_TYPE: EXPLICIT", b"EDGE_WEIGHT_FORMAT: FULL_MATRIX", b"EDGE_WEIGHT_TYPE: EUC_2D",
             b"1 0 0", b"TYPE: ATSP", b"DISPLAY_DATA_SECTION", b"TOUR_SECTION", b"COMMENT: x", b"NAME: y",
             b"15 1e309 2", b"1 nan nan", b"EDGE_WEIGHT_FORMAT: UPPER_ROW", b"NODE_COORD_TYPE: THREED_COORDS")
SIM_LINES = (b",a,b", b"a,1,0.5", b"x,0,0,0", b"", b'"",""', b",,,", b"a,nan,1", b"a,1e400,1", b"a,1,2,3")

def csv_weight(data: bytes, at: int) -> bool:
    """A CSV edge list's numbers are values only in the third field (the first two are vertex names)."""
    line = data[data.rfind(b"\n", 0, max(at, 0)) + 1: at]
    return at >= 0 and line.count(b",") == 2


FORMATS: dict[str, fz.Format] = {
    "mps-fixed": fz.Format("mps-fixed", ".mps", read_form, plausible_form, insert_lines=MPS_LINES,
                           tabs_equivalent=False, examples=150),
    "mps-free": fz.Format("mps-free", ".mps", read_form, plausible_form, insert_lines=MPS_LINES, examples=150),
    "mps-gz": fz.Format("mps-gz", ".mps.gz", read_form, plausible_form, line_oriented=False,
                        tabs_equivalent=False, examples=40),
    "lp": fz.Format("lp", ".lp", read_form, plausible_form, insert_lines=LP_LINES, examples=150),
    "dimacs": fz.Format("dimacs", ".gr", read_graph, plausible_graph, header=rb"(?m)^p\b[^\n]*",
                        insert_lines=DIMACS_LINES, examples=200),
    "csv": fz.Format("csv", ".csv", read_graph, plausible_graph, insert_lines=CSV_LINES, tabs_equivalent=False,
                     is_value=csv_weight, examples=200),
    "tsplib": fz.Format("tsplib", ".tsp", read_tsp, plausible_tsp, header=rb"(?mi)^[ \t]*DIMENSION[^\n]*",
                        insert_lines=TSP_LINES, ignore=frozenset({"name", "comment", "headers"}), examples=200),
    "similarity": fz.Format("similarity", ".csv", read_sim, plausible_similarity, insert_lines=SIM_LINES,
                            tabs_equivalent=False, examples=200),
}


# ---------------------------------------------------------------------------------------------
# seeds


def synthetic_model(long_names: bool) -> Any:
    """A small MIQP with every section the formats carry: ranges, all bound kinds, integers,
    binaries, semicontinuous columns, an SOS, an indicator, a quadratic objective."""
    m = om.Model("synthetic_model_name" if long_names else "SYN")
    x = m.var(4, lb=[0, -1, -np.inf, 2], ub=[10, 1, np.inf, 2], name="production_amount" if long_names else "x")
    y = m.var(3, lb=0, ub=5, integer=True, name="trucks_in_use" if long_names else "y")
    b = m.binary_var(2)
    s = m.var(2, lb=0, ub=6, semicontinuous=True, name="semi")
    m.set_bounds(s, lb=1)
    m.add(np.array([[1, 2, 0, -1], [0, 3, 1.5, 0]]) @ x >= [1, -2], name="demand_rows")
    m.add((x[0] + y[1]).between(1, 7), name="range_row")
    m.add(y.sum() + x[2] <= 9, name="capacity")
    m.add(x[1] - 2.5e-3 * y[2] == 0.125, name="balance")
    m.indicator(b[0], x[0] <= 3, active=1)
    m.sos1(s, weights=[1, 2])
    m.minimize(x @ [1, -1, 0.5, 2] + y @ [1, 2, 3] + x[0] * x[0] + 0.5 * (x[1] ** 2) + b.sum() + 7)
    return m.canonical()


def written(form: Any, suffix: str, tmp: Path) -> bytes:
    from optmodel.formats import write_model_file

    path = tmp / f"w{suffix}"
    write_model_file(form, path)
    return path.read_bytes()


FREE_MPS = b"""NAME handwritten_free_model
OBJSENSE
    MAX
ROWS
 N profit_total
 L capacity_limit_one
 G minimum_blend_level
 E exact_balance_row
COLUMNS
 first_product_amount profit_total 3.5 capacity_limit_one 1
 first_product_amount minimum_blend_level -2.25e-1
 second_product_amount profit_total -1 capacity_limit_one 2
 second_product_amount exact_balance_row 1
 third_one profit_total 1e-3 exact_balance_row -1
RHS
 rhs_vector capacity_limit_one 14 minimum_blend_level -3
 rhs_vector exact_balance_row 0
 rhs_vector profit_total -10
RANGES
 ranges_vec exact_balance_row 4 capacity_limit_one 2
BOUNDS
 UP bounds_vec first_product_amount 40
 MI bounds_vec second_product_amount
 UP bounds_vec second_product_amount 8
 LI bounds_vec third_one -3
 UI bounds_vec third_one 12
ENDATA
"""

HAND_LP = b"""\\ a hand-written LP with the syntax variants CPLEX LP allows
Maximize
 profit: 3 x1 + 2.5 x2 - x3 + 1e-2 x4
Subject To
 c1: x1 + x2 + x3 <= 10
 c2: 2 x1 - x2
     >= -4
 c3: -1 <= x2 - x4 <= 6
 c4: x3 + 0.5 x4 = 2
Bounds
 0 <= x1 <= 8
 x2 >= -inf
 x3 free
 -infinity <= x4 <= 3
General
 x1
End
"""


def model_seeds(kind: str, tmp: Path) -> list[fz.Seed]:
    seeds: list[fz.Seed] = []
    if kind == "mps-fixed":
        for folder, name in (("netlib", "afiro"), ("netlib", "sc50b"), ("netlib", "sc50a"), ("miplib", "flugpl")):
            path = _data(folder, f"{name}.mps")
            if path is not None:
                seeds.append(fz.Seed(name, path.read_bytes()))
        seeds.append(fz.Seed("synthetic-short", written(synthetic_model(False), ".mps", tmp)))
    elif kind == "mps-free":
        seeds.append(fz.Seed("synthetic-long", written(synthetic_model(True), ".mps", tmp)))
        seeds.append(fz.Seed("handwritten-free", FREE_MPS))
    elif kind == "mps-gz":
        afiro = _data("netlib", "afiro.mps")
        text = afiro.read_bytes() if afiro is not None else written(synthetic_model(False), ".mps", tmp)
        seeds.append(fz.Seed("afiro.gz" if afiro else "synthetic.gz", gzip.compress(text, mtime=0)))
    elif kind == "lp":
        afiro = _data("netlib", "afiro.mps")
        if afiro is not None:
            from optmodel.formats import read_model_file

            seeds.append(fz.Seed("afiro-written", written(read_model_file(afiro), ".lp", tmp)))
        seeds.append(fz.Seed("synthetic-written", written(synthetic_model(True), ".lp", tmp)))
        seeds.append(fz.Seed("handwritten", HAND_LP))
    return seeds


def graph_seeds(kind: str, tmp: Path) -> list[fz.Seed]:
    from optmodel.graphs import grid_graph, write_dimacs

    write_dimacs(grid_graph(3, seed=1), tmp / "grid.gr")
    seeds = [fz.Seed("grid3", (tmp / "grid.gr").read_bytes())]
    rome = _data("graphs", "rome99.gr")
    arcs: list[bytes] = []
    if rome is not None:
        lines = rome.read_bytes().split(b"\n")
        comments = [ln for ln in lines if ln.startswith(b"c")][:6]
        arcs = [ln for ln in lines if ln.startswith(b"a ")][:120]
        seeds.append(fz.Seed("rome99-head", b"\n".join([*comments, b"p sp 3353 %d" % len(arcs), *arcs]) + b"\n"))
    if kind == "dimacs":
        seeds.append(fz.Seed("comments-between", b"c tiny\np sp 4 5\na 1 2 7\nc between arcs\na 2 3 1.5\n"
                                                 b"a 3 4 2\na 4 1 10\na 1 3 9\n"))
        return seeds
    rows = [b"source,target,weight", b"1,2,7", b"2,3,1.5", b"3,4,2", b"4,1,10", b"1,3,9"]
    seeds = [fz.Seed("numbers-header", b"\n".join(rows) + b"\n"),
             fz.Seed("names-no-header",
                     b"paris,lyon,465\nlyon,marseille,315\r\nparis,\"le havre\",197\nlille,paris,225\n"),
             fz.Seed("two-columns", b"from,to\n1,2\n2,3\n3,1\n")]
    if arcs:
        body = [b"%s,%s,%s" % tuple(ln.split()[1:4]) for ln in arcs]
        seeds.append(fz.Seed("rome99-head", b"\n".join([b"u,v,metres", *body]) + b"\n"))
    return seeds


SMALL_TSP = b"""NAME : five
COMMENT : a synthetic EUC_2D instance
TYPE : TSP
DIMENSION : 5
EDGE_WEIGHT_TYPE : EUC_2D
NODE_COORD_SECTION
1 0 0
2 3.5 4
3 -2 7.25
4 10 1e1
5 6 0
EOF
"""

UPPER_ROW_TSP = b"""NAME: upper5
TYPE: TSP
DIMENSION: 5
EDGE_WEIGHT_TYPE: EXPLICIT
EDGE_WEIGHT_FORMAT: UPPER_ROW
EDGE_WEIGHT_SECTION
 3 4 2 7
 4 6 3
 5 8
 6
EOF
"""


def tsp_seeds() -> list[fz.Seed]:
    seeds = [fz.Seed("five-euc2d", SMALL_TSP), fz.Seed("upper-row", UPPER_ROW_TSP)]
    for name in ("burma14", "ulysses22", "gr24", "bays29", "att48", "berlin52"):
        path = _data("tsplib", f"{name}.tsp")
        if path is not None:
            seeds.append(fz.Seed(name, path.read_bytes()))
    return seeds


def similarity_seeds(tmp: Path) -> list[fz.Seed]:
    from optmodel.similarity import write_similarity_csv

    rng = np.random.default_rng(7)
    seeds = []
    for n, names in ((3, ["a", "b", "c"]), (6, [f"sub_{i:02d}" for i in range(6)]),
                     (4, ["é quipe", "x,y", "\"q\"", "z"])):
        s = rng.random((n, n))
        s = (s + s.T) / 2
        np.fill_diagonal(s, 1.0)
        write_similarity_csv(tmp / "s.csv", names, s)
        seeds.append(fz.Seed(f"random{n}", (tmp / "s.csv").read_bytes()))
    return seeds


# ---------------------------------------------------------------------------------------------
# the reader tests


def fuzz_format(name: str, seeds: list[fz.Seed]) -> None:
    fmt = FORMATS[name]
    harness = fz.Harness(fmt, seeds)
    ops = st.lists(fz.mutation_strategy(fmt.header, fmt.insert_lines), min_size=1, max_size=4)

    @settings(ROUND, max_examples=fmt.examples, database=_database(fmt.name))
    @given(seed=st.integers(0, len(seeds) - 1), ops=ops)
    def case(seed: int, ops: list[fz.Mutation]) -> None:
        note(f"seed {seeds[seed].label}, mutations {ops!r}")
        harness.check(seed, ops)

    fz.run_cases(case, harness.close)


@pytest.mark.parametrize("kind", ["mps-fixed", "mps-free", "mps-gz", "lp"])
def test_fuzz_model_files(kind: str, tmp_path: Path) -> None:
    fuzz_format(kind, model_seeds(kind, tmp_path))


@pytest.mark.parametrize("kind", ["dimacs", "csv"])
def test_fuzz_graphs(kind: str, tmp_path: Path) -> None:
    fuzz_format(kind, graph_seeds(kind, tmp_path))


def test_fuzz_tsplib() -> None:
    fuzz_format("tsplib", tsp_seeds())


def test_fuzz_similarity_csv(tmp_path: Path) -> None:
    fuzz_format("similarity", similarity_seeds(tmp_path))


# ---------------------------------------------------------------------------------------------
# GAN checkpoints: bytes and the saved state, then a resume


CKPT_OPTIONS = {"dataset": "ring8", "hidden": 8, "batch_size": 16, "device": "cpu", "seed": 0}
CKPT_STEPS = 3


def train_gan(path: Path, resume: bool) -> Any:
    from optmodel.backend import SolveOptions
    from optmodel.problems import gan

    solver_options = {"checkpoint": str(path), "checkpoint_every": CKPT_STEPS, "progress": False}
    if resume:
        solver_options["resume"] = True
    return gan.run_gan(steps=CKPT_STEPS, options=SolveOptions(solver_options=solver_options), **CKPT_OPTIONS)


def load_state(path: Path) -> Any:
    """The state a checkpoint file holds, read the way the torch backend reads it where it says how."""
    try:
        from optmodel.backends.torch import read_checkpoint
    except ImportError:
        import torch

        return torch.load(path, map_location="cpu", weights_only=False)
    return read_checkpoint(str(path))


def save_state(state: Any, path: Path) -> None:
    """Write a state as the torch backend does (with its checksum, where the format has one)."""
    try:
        from optmodel.backends.torch import write_checkpoint
    except ImportError:
        import torch

        torch.save(state, path)
        return
    write_checkpoint(state, str(path))


@dataclass(frozen=True)
class EditState(fz.Mutation):
    """Re-save the checkpoint with one entry of its state deleted or replaced (a well-formed file
    that says something else: another step, other shapes, missing parts)."""

    k: int
    action: str

    def apply(self, data: bytes) -> bytes:
        import torch

        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "state.pt"
            path.write_bytes(data)
            try:
                state = load_state(path)
            except Exception:  # already corrupted by an earlier mutation: nothing to edit
                return data
            slots: list[tuple[Any, Any]] = []

            def walk(obj: Any, depth: int) -> None:
                keys = list(obj) if isinstance(obj, dict) else range(len(obj)) if isinstance(obj, list) else []
                for key in keys:
                    slots.append((obj, key))
                    if depth < 3:
                        walk(obj[key], depth + 1)

            walk(state, 0)
            if not slots:
                return data
            parent, key = slots[self.k % len(slots)]
            if self.action == "delete":
                del parent[key]
            else:
                parent[key] = {"none": None, "negative": -1, "huge": 10**30, "text": "x", "empty": [],
                               "nan": float("nan"), "tensor": torch.zeros(3, 5), "step": 10**12}[self.action]
            save_state(state, path)  # a well-formed file (its checksum right) that says something else
            return path.read_bytes()


def plausible_checkpoint(original: Any) -> Callable[[Any], str | None]:
    """An accepted checkpoint reads back, and (given ``original``) holds exactly the state written."""
    def check(value: Any) -> str | None:
        if isinstance(value, BaseException):
            return f"the resume accepted a file that cannot be read back ({value!r})"[:200]
        if original is not None and not fz.same(value, original):
            return "the resume accepted a checkpoint whose saved state differs from the one written"
        return None

    return check


@pytest.mark.parametrize("kind", ["bytes", "state"])
def test_fuzz_gan_checkpoint(kind: str, tmp_path: Path) -> None:
    """``bytes``: flipped, cut or inserted bytes; a resume that accepts the file must have read exactly
    the state written. ``state``: well-formed files whose state lacks or misstates an entry; the resume
    refuses them with an InputError or runs, never a traceback."""
    pytest.importorskip("torch")
    path = tmp_path / "gan.pt"
    train_gan(path, resume=False)
    original = load_state(path)

    def read(case: Path) -> Any:
        copy = case.with_name("copy.pt")
        shutil.copyfile(case, copy)  # what the file held before the resume could rewrite it
        train_gan(case, resume=True)
        try:
            return load_state(copy)
        except Exception as err:
            return err

    pos = st.integers(0, 2**20)
    if kind == "bytes":
        check, examples = plausible_checkpoint(original), 50
        mutation = st.one_of(st.builds(fz.FlipBit, pos, st.integers(0, 7)), st.builds(fz.Truncate, pos),
                             st.builds(fz.InsertBytes, pos, st.sampled_from(fz.NON_UTF8)))
    else:
        check, examples = plausible_checkpoint(None), 50
        mutation = st.builds(EditState, st.integers(0, 200), st.sampled_from(
            ["delete", "none", "negative", "huge", "text", "empty", "nan", "tensor", "step"]))
    fmt = fz.Format(f"checkpoint-{kind}", ".pt", read, check, line_oriented=False, tabs_equivalent=False,
                    ignore=frozenset(), examples=examples)
    harness = fz.Harness(fmt, [fz.Seed(f"gan {CKPT_OPTIONS}", path.read_bytes())])

    @settings(ROUND, max_examples=fmt.examples, database=_database(fmt.name))
    @given(ops=st.lists(mutation, min_size=1, max_size=3))
    def case(ops: list[fz.Mutation]) -> None:
        note(f"mutations {ops!r}")
        harness.check(0, ops)

    fz.run_cases(case, harness.close)


# ---------------------------------------------------------------------------------------------
# the command line


ODD = ("", "-1", "0", "nan", "inf", "1e309", "99999999999999999999999", "0x10", "1_000", "１２", "x", "--json")
BACKENDS = ("highs", "highs:ipm", "highs:simplex", "scip", "ortools", "ortools:glop", "auto", "cvxpy", "pyomo",
            "nope", "highs:nope", "torch", "fast-tsp", "")
MODEL_FILES = ("afiro.mps", "syn.lp", "syn.mps", "afiro.mps.gz", "nosuch.mps", "folder.mps", "bad.mps",
               "huge.lp", "lbub.lp", "infeasible.lp", "unbounded.lp", "empty.lp", "model.txt", "spec.py")
GRAPHS = ("graph.gr", "graph.csv", "tabs.gr", "bad.gr", "nosuch.gr", "folder.gr", "latin1.csv")
SPECS = ("spec.py", "build_spec.py", "syntax_spec.py", "raising_spec.py", "nomodel_spec.py", "nosuch.py")
PROBLEMS = ("shortest-path", "mst", "tsp", "seriation", "geometric-mle", "gan")


def cli_files(folder: Path) -> None:
    """The files the CLI cases name, in the folder they run in."""
    from optmodel.formats import write_model_file
    from optmodel.graphs import grid_graph, write_dimacs
    from optmodel.similarity import write_similarity_csv

    folder.mkdir(parents=True, exist_ok=True)
    afiro = _data("netlib", "afiro.mps")
    text = afiro.read_bytes() if afiro is not None else FREE_MPS
    (folder / "afiro.mps").write_bytes(text)
    (folder / "afiro.mps.gz").write_bytes(gzip.compress(text, mtime=0))
    write_model_file(synthetic_model(True), folder / "syn.lp")
    write_model_file(synthetic_model(False), folder / "syn.mps")
    (folder / "folder.mps").mkdir(exist_ok=True)
    (folder / "folder.gr").mkdir(exist_ok=True)
    (folder / "folder.tsp").mkdir(exist_ok=True)
    (folder / "bad.mps").write_bytes(b"NAME x\nROWS\n N obj\nCOLUMNS\n x obj 1_000\nENDATA\n")
    (folder / "huge.lp").write_text("Minimize\n obj: x + y\nSubject To\n c1: 1e308 x + y >= 1\n c2: x - y >= 1e30\n"
                                    "Bounds\n -1e3 <= x <= 1e3\n -1e3 <= y <= 1e3\nEnd\n")
    (folder / "lbub.lp").write_text("Minimize\n obj: x\nSubject To\n c1: x + y >= 1\nBounds\n 5 <= x <= 1\nEnd\n")
    (folder / "infeasible.lp").write_text("Minimize\n obj: x\nSubject To\n c1: x >= 2\n c2: x <= 1\nEnd\n")
    (folder / "unbounded.lp").write_text("Minimize\n obj: - x\nSubject To\n c1: x >= 2\nEnd\n")
    (folder / "empty.lp").write_text("")
    (folder / "model.txt").write_text("not a model\n")
    (folder / "spec.py").write_text("import optmodel as om\nmodel = om.Model('spec')\nx = model.var(2, lb=0)\n"
                                    "model.add(x.sum() >= 1)\nmodel.minimize(x @ [1, 2])\n")
    (folder / "build_spec.py").write_text("import optmodel as om\n\ndef build():\n    m = om.Model('b')\n"
                                          "    x = m.var(1, lb=0, ub=3)\n    m.maximize(x.sum())\n    return m\n")
    (folder / "syntax_spec.py").write_text("import optmodel as om\nmodel = om.Model(\n")
    (folder / "raising_spec.py").write_text("import optmodel as om\nmodel = om.Model()\nx = model.var(3)\nx[7]\n")
    (folder / "nomodel_spec.py").write_text("print('hello')\n")
    write_dimacs(grid_graph(3, seed=2), folder / "graph.gr")
    (folder / "graph.csv").write_text("source,target,weight\n1,2,3\n2,3,4\n1,3,9\n3,4,1\n")
    (folder / "latin1.csv").write_bytes("source,target,weight\nmünchen,köln,3\n".encode("latin-1"))
    (folder / "tabs.gr").write_bytes(b"p\tsp\t3\t2\na\t1\t2\t3\na\t2\t3\t4\n")
    (folder / "bad.gr").write_bytes(b"p sp 3 2\na 1 2 3\na 2 99999999999999999999999 4\n")
    burma = _data("tsplib", "burma14.tsp")
    (folder / "burma14.tsp").write_bytes(burma.read_bytes() if burma is not None else SMALL_TSP)
    (folder / "small.tsp").write_bytes(SMALL_TSP)
    (folder / "cut.tsp").write_bytes(SMALL_TSP[: SMALL_TSP.index(b"5 6 0") + 3])
    names = ["a", "b", "c", "d"]
    s = np.array([[1, 0.9, 0.1, 0.2], [0.9, 1, 0.3, 0.1], [0.1, 0.3, 1, 0.8], [0.2, 0.1, 0.8, 1]])
    write_similarity_csv(folder / "sim.csv", names, s)
    write_similarity_csv(folder / "big_sim.csv", names, s * 1e300)
    (folder / "bad_sim.csv").write_text(",a,b\na,1,x\nb,0.5,1\n")
    code = folder / "code"
    code.mkdir(exist_ok=True)
    for i in range(4):
        (code / f"s{i}.py").write_text("def order(s, names):\n    return list(range(len(names)))" + "\n# x" * i + "\n")
    (folder / "sample.txt").write_text("1\n3\n2\n5\n1\n")
    (folder / "bad_sample.txt").write_text("1\n0\n2.5\n")
    (folder / "corrupt.pt").write_bytes(b"PK\x03\x04 not really a checkpoint")


def _pick(draw: Any, options: tuple[str, ...]) -> str:
    return draw(st.sampled_from(options))


def _value(draw: Any, valid: tuple[str, ...]) -> str:
    return draw(st.sampled_from(valid) | st.sampled_from(ODD))


def _common(draw: Any, lp: bool, backends: tuple[str, ...] = BACKENDS) -> list[tuple[str, str | None]]:
    flags: list[tuple[str, str | None]] = [("--backend", _pick(draw, backends)),
                                           ("--time-limit", _value(draw, ("5", "0.001", "0")))]
    if lp:
        flags += [("--mip-gap", _value(draw, ("0", "0.01"))), ("--threads", _value(draw, ("1", "2", "100000")))]
    return [*flags, ("--verbose", None), ("--json", None)]


def _problem_flags(draw: Any, problem: str) -> list[tuple[str, str | None]]:
    small = ("3", "5", "10")
    if problem == "shortest-path":
        source = ("--graph", _pick(draw, GRAPHS)) if draw(st.booleans()) else ("--grid", _value(draw, small))
        return [source, ("--source", _value(draw, ("1", "3", "9"))), ("--target", _value(draw, ("1", "4", "9"))),
                ("--seed", _value(draw, ("0", "1"))), *_common(draw, True)]
    if problem == "mst":
        source = ("--graph", _pick(draw, GRAPHS)) if draw(st.booleans()) else ("--random", _value(draw, small))
        return [source, ("--degree", _value(draw, ("2", "4.5"))), ("--seed", _value(draw, ("0", "1"))),
                ("--formulation", _value(draw, ("directed-cut", "cut"))), ("--forest", None), *_common(draw, True)]
    if problem == "tsp":
        return [("--instance", _pick(draw, ("burma14.tsp", "small.tsp", "cut.tsp", "nosuch.tsp", "folder.tsp",
                                            "afiro.mps"))),
                ("--optimum", _value(draw, ("3323", "3000"))),
                *_common(draw, False, ("fast-tsp", "lkh", "highs", "scip", "ortools", "exact", "nope", "highs:ipm"))]
    if problem == "seriation":
        source = (("--similarity", _pick(draw, ("sim.csv", "big_sim.csv", "bad_sim.csv", "nosuch.csv", "code")))
                  if draw(st.booleans()) else ("--code", _pick(draw, ("code", "nosuch", "afiro.mps"))))
        return [source, ("--k", _value(draw, ("3", "7"))), ("--window", _value(draw, ("2", "4"))),
                ("--measure", _value(draw, ("jaccard", "containment"))), ("--max-share", _value(draw, ("0.5", "1"))),
                ("--plot", _pick(draw, ("out.png", "nodir/out.png", "folder.mps"))),
                ("--holdout", _pick(draw, ("sim.csv", "code", "nosuch"))),
                ("--write-matrix", _pick(draw, ("m.csv", "folder.mps"))),
                *_common(draw, False, ("fast-tsp", "highs", "spectral", "scip", "nope", "highs:ipm"))]
    if problem == "geometric-mle":
        source = (("--data", _pick(draw, ("sample.txt", "bad_sample.txt", "nosuch.txt", "afiro.mps")))
                  if draw(st.booleans()) else ("--generate", _value(draw, ("10", "1000"))))
        return [source, ("--p", _value(draw, ("0.3", "1", "0.999"))), ("--seed", _value(draw, ("0", "3"))),
                ("--method", _value(draw, ("closed-form", "gradient", "lagrangian", "convex", "all"))),
                ("--steps", _pick(draw, ("10", "0", "-5", "x", "nan", ""))),
                ("--write", _pick(draw, ("g.txt", "folder.mps"))),
                *_common(draw, False, ("cvxpy", "torch", "highs", "scipy", "nope"))]
    steps = ("--steps", _pick(draw, ("0", "1", "3", "-5", "x", "nan", "")))  # always bounded: training is slow
    return [steps, ("--device", _pick(draw, ("cpu", "cpu", "cuda", "x"))),
            ("--dataset", _value(draw, ("ring8", "grid25", "digits"))), ("--loss", _value(draw, ("lagrangian", "bce"))),
            ("--algorithm", _value(draw, ("simultaneous", "alternating", "extragradient", "optimistic"))),
            ("--hidden", _value(draw, ("4", "8"))), ("--batch-size", _value(draw, ("8", "16"))),
            ("--noise-dim", _value(draw, ("1", "2"))), ("--lr-g", _value(draw, ("1e-3",))),
            ("--average", _value(draw, ("0.5", "0.9", "1"))), ("--lr-decay", _value(draw, ("none", "cosine"))),
            ("--optimizer", _value(draw, ("adam", "sgd"))), ("--seed", _value(draw, ("0", "1"))),
            ("--checkpoint", _pick(draw, ("ck.pt", "folder.mps", "nodir/ck.pt", "corrupt.pt"))), ("--resume", None),
            ("--checkpoint-every", _value(draw, ("1", "2"))), ("--samples", _pick(draw, ("out.png", "nodir/s.png"))),
            ("--progress", _value(draw, ("on", "off"))),
            *_common(draw, False, ("torch", "torch:optimistic", "highs", "nope"))]


def draw_argv(draw: Any) -> list[str]:
    """A command line: a command and target, then a random subset of its flags in random order,
    each with a sensible or an odd value, sometimes one left without its value at the end."""
    command = draw(st.sampled_from(("solve-problem", "solve-problem", "solve-file", "solve-file", "explain",
                                    "bench", "list", "junk")))
    flags: list[tuple[str, str | None]]
    if command == "solve-problem":
        problem = _pick(draw, PROBLEMS)
        head, flags = ["solve", problem], _problem_flags(draw, problem)
        # The first flag is the input (gan: the step budget, always, else the default run takes minutes).
        if problem == "gan" or draw(st.integers(0, 7)) > 0:
            flags, required = flags[1:], [flags[0]]
        else:
            required = []
    elif command == "solve-file":
        head = ["solve", _pick(draw, MODEL_FILES)]
        flags = [("--write", _pick(draw, ("out.lp", "out.mps", "out.txt", "folder.mps", "nodir/out.lp", "o.mps.gz"))),
                 ("--values", None), *_common(draw, True)]
        required = []
    elif command == "explain":
        head = ["explain", _pick(draw, (*PROBLEMS, *MODEL_FILES[:8], *SPECS, "nosuch"))]
        flags, required = [("--size", _value(draw, ("3", "10"))), ("--latex", None), ("--json", None)], []
    elif command == "bench":
        targets = draw(st.lists(st.sampled_from(("afiro.mps", "burma14.tsp", "graph.gr", "shortest-path:4",
                                                  "nosuch.mps", "code", "*.lp", "infeasible.lp")),
                                min_size=1, max_size=2, unique=True))
        head = ["bench", *targets]
        flags = [("--time-limit", _value(draw, ("5", "0.5"))), ("--workers", _value(draw, ("1", "2"))),
                 ("--repeat", _value(draw, ("1",))), ("--seeds", _value(draw, ("0", "0,1"))),
                 ("--memory", _value(draw, ("1024",))), ("--sizes", _value(draw, ("3,4",))),
                 ("--report", _pick(draw, ("report", "nodir/report", "afiro.mps"))), ("--json", None)]
        required = [("--backends", _value(draw, ("highs", "highs,scip", "nope", ",", "fast-tsp")))]
        required += [("--results", "bench.jsonl")]  # keeps the store in the scratch folder
    elif command == "list":
        head, flags, required = ["list"], [("--json", None), ("--verbose", None)], []
    else:
        head = draw(st.sampled_from((["solve"], ["nosuch"], ["solve", "--json"], [], ["explain"], ["bench"],
                                     ["solve", "nosuch-problem"], ["solve", "afiro"])))
        flags, required = [("--json", None), ("--nope", None), ("-x", "1"), ("--help", None)], []
    chosen = draw(st.lists(st.sampled_from(range(len(flags))), unique=True, max_size=6)) if flags else []
    argv = list(head)
    for flag, value in required + [flags[i] for i in chosen]:
        argv += [flag] if value is None else [flag, value]
    valued = [f for f, v in flags if v is not None]
    if valued and draw(st.integers(0, 5)) == 0:  # a flag whose value is missing
        argv.append(draw(st.sampled_from(valued)))
    return argv


def test_fuzz_cli() -> None:
    folder = fz.FINDINGS / "cli" / "files"
    cli_files(folder)
    schema_path = fz.REPO / "docs" / "json-output.schema.json"
    schema = json.loads(schema_path.read_text()) if schema_path.exists() else None
    fmt = fz.Format("cli", ".sh", lambda p: None, lambda v: None, line_oriented=False, examples=16)
    findings = fz.Findings(fmt)

    @settings(ROUND, max_examples=fmt.examples, database=_database(fmt.name))
    @given(data=st.data())
    def case(data: Any) -> None:
        argv = draw_argv(data.draw)
        note(f"argv {argv!r}")
        out = fz.run_cli(argv, folder)
        findings.cases += 1
        verdict = fz.judge_cli(out, schema)
        if verdict is None:
            return
        key, description = verdict
        script = f"cd {shlex.quote(str(folder))} && {sys.executable} -m optmodel {shlex.join(argv)}\n"
        where = findings.record(key, description, script.encode(), [], "", None)
        tail = "\n".join(out.stderr.strip().splitlines()[-15:])
        if not fz.COLLECT:
            raise AssertionError(f"cli: {description}\n  reproducer: {where}\n  stderr tail:\n{tail}")

    fz.run_cases(case, findings.close)


# ---------------------------------------------------------------------------------------------
# the harness itself: each kind of broken reader is caught


def test_harness_catches_broken_readers(tmp_path: Path) -> None:
    from optmodel.errors import InputError

    path = tmp_path / "case.txt"
    path.write_bytes(b"a\nb\n")

    def spin() -> None:
        while True:
            pass

    readers: dict[str, Callable[[], Any]] = {
        "exception|ValueError": lambda: int("x"),
        "hang|": spin,
        "memory|MemoryError": lambda: np.ones(2**31),
        "unnamed|InputError": lambda: (_ for _ in ()).throw(InputError("bad number 'x'")),
        "no-line|InputError": lambda: (_ for _ in ()).throw(InputError("bad number 'x'", path)),
        "bad-line|InputError": lambda: (_ for _ in ()).throw(InputError("bad number 'x'", path, 9)),
        "multiline|InputError": lambda: (_ for _ in ()).throw(InputError("bad\nnumber", path, 1)),
        "warning|RuntimeWarning": lambda: np.float64(1) / np.float64(0),
        "implausible|": lambda: float("nan"),
    }
    fmt = fz.Format("selftest", ".txt", lambda p: None, lambda v: "NaN" if v != v else None)
    seed = fz.Seed("ab", path.read_bytes(), None)
    for expected, reader in readers.items():
        out = fz.guarded(reader, seconds=0.3, plausible=fmt.plausible)
        verdict = fz.judge(fmt, path, seed.data, [], seed, out)
        assert verdict is not None and verdict[0].startswith(expected), (expected, verdict)
    ok = fz.guarded(lambda: (_ for _ in ()).throw(InputError("bad number 'x'", path, 2)), seconds=0.3)
    assert fz.judge(fmt, path, seed.data, [], seed, ok) is None
    # single mutations with a known right answer: a lax number read as a value is a silent failure
    op = fz.ReplaceNumber(0, b"1_000")
    assert op.apply(b"x 12 y\n") == b"x 1_000 y\n"
    lax = fz.Outcome(value=1000.0)
    seed = fz.Seed("n", b"x 12 y\n", 12.0)
    assert fz.judge(fmt, path, op.apply(seed.data), [op], seed, lax)[0] == "silent|lax-number"


# ---------------------------------------------------------------------------------------------
# reproduce one file by hand


def main(argv: list[str]) -> int:
    """``python tests/test_fuzz.py FORMAT FILE``: read FILE as the fuzz test does; print the verdict."""
    if len(argv) != 2 or argv[0] not in FORMATS:
        print(f"usage: python tests/test_fuzz.py {{{','.join(FORMATS)}}} FILE", file=sys.stderr)
        return 2
    fmt, path = FORMATS[argv[0]], Path(argv[1])
    data = path.read_bytes()
    out = fz.guarded(lambda: fmt.read(path), plausible=fmt.plausible)
    verdict = fz.judge(fmt, path, data, [], fz.Seed("-", data), out)
    if out.error is not None:
        print(f"raised {type(out.error).__name__}: {out.error}  ({out.seconds:.2f} s)")
    else:
        print(f"returned {type(out.value).__name__} ({out.seconds:.2f} s)")
    print("ok" if verdict is None else f"FAILURE {verdict[0]}: {verdict[1]}")
    return 0 if verdict is None else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

