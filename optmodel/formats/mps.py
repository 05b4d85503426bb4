"""MPS files (fixed and free format) to and from :class:`~optmodel.canonical.CanonicalForm`.

Reading follows HiGHS wherever the format leaves room for choice, so that a file means the same
thing here as in ``highspy.Highs().readModel``:

* the first N row is the objective, later N rows are dropped (with their entries);
* a RHS on the objective row is minus the objective constant (``offset = -value``);
* RANGES use the standard table (E: sign of R picks the side; L: ``[rhs-|R|, rhs]``;
  G: ``[rhs, rhs+|R|]``);
* integer columns from MARKER sections that get no BOUNDS entry at all are binary, ``[0, 1]``;
* a repeated (row, column) entry or objective entry keeps the first value, with a warning;
* numbers with ``|value| >= 1e20`` in RHS, RANGES and BOUNDS mean infinity.

Sections after BOUNDS (written in this order, the one SCIP requires):

* ``SOS``: `` S1 [SOS] [name [priority]]`` (or ``S2``) starts a set and ``column weight`` lines
  list its members (``set column weight`` too, as in HiGHS's ``SETS``); weights left out are
  1, 2, ...; priorities are ignored. The writer uses `` S1 name`` (CPLEX, SCIP, HiGHS).
* ``QUADOBJ`` gives one triangle of Q (an entry for (i, j) sets Q[i, j] and Q[j, i]), ``QMATRIX``
  the whole symmetric matrix, and ``QSECTION obj`` is read like QUADOBJ (as HiGHS, SIF and SAS
  read it); the objective is ``c @ x + ½ xᵀQx``; repeated entries are added, as in HiGHS.
* ``INDICATORS``: `` IF row binary [1|0]`` makes ``row`` (with its entries, right-hand side and
  range) hold only where the binary column takes that value; it leaves the ordinary rows.
* ``SC`` bounds make a column semicontinuous (0 or between its bounds) with the value as its
  upper bound and the lower bound from ``LO`` (default 0, as in HiGHS; SCIP reads 0 as 1); on
  an integer (MARKER) column it is semi-integer (CPLEX, SCIP; HiGHS drops the integrality), as
  with ``SI``.

One deliberate difference from HiGHS 1.16: ``UP`` with a negative value on a column whose
lower bound was never set makes the lower bound ``-inf`` (the classical MPS rule that CPLEX
and Gurobi apply; HiGHS leaves the lower bound at 0, an empty domain).

Lines are split on whitespace (the free format, and the fixed format when names have no
spaces, which is fast); a line that does not parse that way is re-read at the fixed-format
columns 2-3, 5-12, 15-22, 25-36, 40-47, 50-61, so fixed files with spaces in names work too.
"""

from __future__ import annotations

import gzip
import math
import re
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import numpy as np
import scipy.sparse as sp

from optmodel.canonical import SOS, CanonicalForm, Indicators, Names, Sense
from optmodel.errors import InputError, ModelError

# Bounds and right-hand sides at or beyond this magnitude are infinite (HiGHS's infinite_bound).
INFINITY_THRESHOLD = 1e20

_SECTIONS = ("ROWS", "COLUMNS", "RHS", "RANGES", "BOUNDS")
# sections after COLUMNS that name columns: the quadratic objective, SOS sets, indicators
_LATER = ("QUADOBJ", "QMATRIX", "QSECTION", "SOS", "SETS", "INDICATORS")
_UNSUPPORTED = {
    "QCMATRIX": "quadratic constraints",
    "CSECTION": "conic constraints",
    "LAZYCONS": "lazy constraints",
    "USERCUTS": "user cuts",
    "GENCONS": "general constraints",
    "PWLOBJ": "piecewise-linear objectives",
    "OBJNAME": "OBJNAME (the objective is always the first N row)",
}
_SENSES = {
    "MAX": Sense.MAXIMIZE,
    "MAXIMIZE": Sense.MAXIMIZE,
    "MAXIMISE": Sense.MAXIMIZE,
    "MIN": Sense.MINIMIZE,
    "MINIMIZE": Sense.MINIMIZE,
    "MINIMISE": Sense.MINIMIZE,
}
_VALUE_BOUNDS = frozenset({"UP", "LO", "FX", "LI", "UI", "SC", "SI"})
_FLAG_BOUNDS = frozenset({"FR", "MI", "PL", "BV"})
_OBJ = -1  # row index of the objective row
_DROPPED = -2  # row index of an extra N row (its entries are ignored)


# ---------------------------------------------------------------------------------------------
# helpers shared with the LP module


@contextmanager
def open_text(path: Path, mode: str = "r") -> Iterator[IO[str]]:
    """Open a (possibly gzipped) text file; OS errors become :class:`InputError`.

    ``surrogateescape`` lets names in any 8-bit encoding pass through unchanged.
    """
    gz = path.name.lower().endswith(".gz")
    try:
        if gz:
            f = gzip.open(path, mode + "t", encoding="utf-8", errors="surrogateescape")
        else:
            f = open(path, mode, encoding="utf-8", errors="surrogateescape")
    except FileNotFoundError:
        raise InputError("file not found", path=path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a file", path=path) from None
    except OSError as exc:
        raise InputError(f"cannot open file: {exc.strerror or exc}", path=path) from None
    try:
        with f:
            yield f
    except EOFError:
        raise InputError("the gzip data ends early (truncated file?)", path=path) from None
    except (gzip.BadGzipFile, zlib.error) as exc:
        raise InputError(f"not a valid gzip file ({exc})", path=path) from None


def format_number(v: float) -> str:
    """Shortest text that reads back as exactly ``v`` ("3" for 3.0); infinities as ``±1e+30``."""
    s = repr(float(v))
    if s.endswith(".0"):
        return s[:-2]
    if s == "inf":
        return "1e+30"
    return "-1e+30" if s == "-inf" else s


def model_name_from_path(path: Path) -> str:
    name = path.name
    for ext in (".gz", ".mps", ".qps", ".lp"):
        if name.lower().endswith(ext):
            name = name[: -len(ext)]
    return name or "model"


def unique_names(
    names: list[str], valid: re.Pattern[str], fix: Callable[[str], str], fallback: str
) -> tuple[list[str], int]:
    """Make names writable: each invalid name goes through ``fix``, clashes get a suffix.

    Returns the new names and how many were changed.
    """
    seen: set[str] = set()
    out: list[str] = []
    changed = 0
    for k, name in enumerate(names):
        new = name if valid.fullmatch(name) else fix(name)
        if not new:
            new = f"{fallback}{k}"
        if new in seen:
            base, s = new, 1
            while f"{base}_{s}" in seen:
                s += 1
            new = f"{base}_{s}"
        seen.add(new)
        out.append(new)
        changed += new != name
    return out, changed


# ---------------------------------------------------------------------------------------------
# reading


class _Bad(Exception):
    """A line that does not parse one way (it may still parse at the fixed columns)."""


class _Fields(_Bad):
    """A line with the wrong number of whitespace-separated fields (names with blanks, maybe)."""


def _fixed_fields(line: str) -> tuple[str, str, str, str, str, str] | None:
    """The six fixed-format fields, or None if the separator columns are not blank."""
    if len(line) > 61 and line[61:].strip():
        return None
    padded = line.ljust(61)
    for a, b in ((0, 1), (3, 4), (12, 14), (22, 24), (36, 39), (47, 49)):
        if padded[a:b].strip():
            return None
    return (
        padded[1:3].strip(),
        padded[4:12].strip(),
        padded[14:22].strip(),
        padded[24:36].strip(),
        padded[39:47].strip(),
        padded[49:61].strip(),
    )


def _why_not_number(text: str) -> str:
    """Why ``text`` is refused as a number (for the message)."""
    low = text.lower().lstrip("+-")
    if low == "nan":
        return " (NaN is not a number here)"
    if "_" in text:
        return " (no '_' in numbers)"
    if not text.isascii():
        return " (digits 0-9 only)"
    return ""


def _number(text: str, what: str = "", *names: str) -> float:
    """``text`` by the strict grammar ``[+-](digits[.[digits]] | .digits)[(e|E)[+-]digits]``, or
    ``inf``/``infinity`` (HiGHS and CPLEX write those): Python's ``float`` alone would also take
    ``1_000``, ``nan`` and non-ASCII digits. ``what`` (a template for ``names``) says where the
    number stands; it is formatted only for the message."""
    try:
        v = float(text)
    except ValueError:
        v = math.nan
    if v != v or "_" in text or not text.isascii():
        where = " for " + what.format(*names) if what else ""
        raise _Bad(f"bad number {text!r}{where}{_why_not_number(text)}")
    return v


def _coefficient(text: str, what: str, *names: str) -> float:
    """A number that must be finite: a matrix, objective or quadratic coefficient, a weight."""
    v = _number(text, what, *names)
    if v in (math.inf, -math.inf):
        kind = "overflows to infinity" if text.lower().lstrip("+-")[:1] in "0123456789." else "is infinite"
        raise _Bad(f"{what.format(*names)} {kind} ({text!r}); coefficients must be finite")
    return v


def _bound_number(text: str, what: str = "", *names: str) -> float:
    v = _number(text, what, *names)
    if abs(v) >= INFINITY_THRESHOLD:
        return math.copysign(math.inf, v)
    return v


class _MpsReader:
    def __init__(self, path: Path, check_bounds: bool = False):
        self.path = path
        self.check_bounds = check_bounds
        self.name: str | None = None
        self.sense = Sense.MINIMIZE
        self.section: str | None = None
        self.seen: set[str] = set()
        self.ended = False
        self.row_names: list[str] = []
        self.row_types: list[str] = []
        self.row_index: dict[str, int] = {}
        self.obj_name: str | None = None
        self.col_names: list[str] = []
        self.col_index: dict[str, int] = {}
        self.col_int: list[bool] = []
        self.in_int = False
        self.cur_col = -1
        self.costs: dict[int, float] = {}
        self.dup_costs = 0
        self.ent_rows: list[int] = []
        self.ent_cols: list[int] = []
        self.ent_vals: list[float] = []
        self.offset = 0.0
        self.rhs: np.ndarray | None = None
        self.ranges: np.ndarray | None = None
        self.lower: np.ndarray | None = None
        self.upper: np.ndarray | None = None
        self.integrality: np.ndarray | None = None
        self.bound_seen: np.ndarray | None = None
        self.lower_set: np.ndarray | None = None
        self.semicont: np.ndarray | None = None
        self.bound_line: np.ndarray | None = None
        # quadratic objective entries (column, column, value, line) and whether they are a triangle
        self.q_kind: str | None = None
        self.q_ignore = False
        self.q_entries: list[tuple[int, int, float, int]] = []
        # SOS sets: (kind, name, header line, [(column, weight or None, line)])
        self.sos_sets: list[tuple[int, str, int, list[tuple[int, float | None, int]]]] = []
        # indicator rows: (row, binary column, active value, line)
        self.ind_rows: list[tuple[int, int, int, int]] = []
        self.ind_seen: set[int] = set()

    def error(self, message: str, line: int | None) -> InputError:
        return InputError(message, path=self.path, line=line)

    # -- driver ---------------------------------------------------------------------------------

    def read(self, f: IO[str]) -> CanonicalForm:
        lineno = 0
        handler = None
        line = ""
        try:
            for lineno, raw in enumerate(f, 1):
                line = raw.rstrip("\r\n")
                if not line or line[0] == "*" or not line.strip():
                    continue
                if not line[0].isspace():
                    self.header(line, lineno)
                    if self.ended:
                        break
                    handler = getattr(self, f"data_{self.section}", None) if self.section else None
                    continue
                if handler is None:
                    raise self.error(f"data line outside a section: {line.strip()!r}", lineno)
                handler(line, lineno)
                if self.section is None:  # the two-line OBJSENSE takes one line only
                    handler = None
        except InputError as exc:
            # A file cut in the middle of its last line fails there first: say it is truncated.
            if exc.line != lineno or line.split()[0].upper() == "ENDATA" or any(s.strip() for s in f):
                raise
            detail = str(exc).removeprefix(f"{self.path}:{lineno}: ")
            raise self.error(f"file ends without ENDATA (truncated?); its last line does not read: "
                             f"{detail}", lineno) from None
        if not self.ended:
            raise self.error("file ends without ENDATA (truncated?)", lineno or None)
        return self.finish()

    def header(self, line: str, lineno: int) -> None:
        toks = line.split()
        key = toks[0].upper()
        if key == "NAME":
            self.name = toks[1] if len(toks) > 1 else ""
            self.section = None
        elif key in ("OBJSENSE", "OBJSENCE"):
            if len(toks) > 1:
                self.set_sense(toks[1], lineno)
                self.section = None
            else:
                self.section = "OBJSENSE"
        elif key in _SECTIONS:
            if key in self.seen:
                raise self.error(f"section {key} appears twice", lineno)
            if key != "ROWS" and "ROWS" not in self.seen:
                raise self.error(f"section {key} before ROWS (missing ROWS section?)", lineno)
            if key == "ROWS" and "COLUMNS" in self.seen:
                raise self.error("section ROWS after COLUMNS", lineno)
            if key == "COLUMNS" and self.rhs is not None:
                raise self.error("section COLUMNS after RHS, RANGES or BOUNDS", lineno)
            if key in ("RHS", "RANGES", "BOUNDS"):
                self.end_columns()
            self.seen.add(key)
            self.section = key
        elif key in _LATER:
            self.later_section(key, toks, lineno)
        elif key == "ENDATA":
            if "ROWS" not in self.seen:
                raise self.error("no ROWS section before ENDATA", lineno)
            self.ended = True
        elif key in _UNSUPPORTED:
            raise self.error(f"section {key} is not supported ({_UNSUPPORTED[key]})", lineno)
        else:
            raise self.error(f"unknown section {toks[0]!r}", lineno)

    def later_section(self, key: str, toks: list[str], lineno: int) -> None:
        """QUADOBJ, QMATRIX, QSECTION, SOS, SETS or INDICATORS: after COLUMNS, once each."""
        if "COLUMNS" not in self.seen:
            raise self.error(f"section {key} before COLUMNS", lineno)
        self.end_columns()
        section = key
        if key in ("QUADOBJ", "QMATRIX", "QSECTION"):
            section = "Q"
            self.q_ignore = False
            if key == "QSECTION" and len(toks) > 1:
                r = self.row_index.get(toks[1])
                if r is None:
                    raise self.error(f"QSECTION for unknown row {toks[1]!r}", lineno)
                if r >= 0:
                    raise self.error(f"QSECTION for row {toks[1]!r}: quadratic constraints are "
                                     "not supported", lineno)
                self.q_ignore = r == _DROPPED  # an extra free row, dropped like its entries
            if not self.q_ignore:
                if self.q_kind is not None:
                    raise self.error(f"section {key} after {self.q_kind}: give the quadratic "
                                     "objective once", lineno)
                self.q_kind = key
        elif key in self.seen or (key in ("SOS", "SETS") and {"SOS", "SETS"} & self.seen):
            raise self.error(f"section {key} appears twice", lineno)
        self.seen.add(key)
        self.section = section

    def set_sense(self, word: str, lineno: int) -> None:
        sense = _SENSES.get(word.upper())
        if sense is None:
            raise self.error(f"unknown objective sense {word!r} (expected MIN or MAX)", lineno)
        self.sense = sense

    def both_ways(self, parse, line: str, lineno: int):
        """Parse whitespace-separated tokens; on failure retry at the fixed-format columns."""
        try:
            return parse(line.split())
        except _Bad as exc:
            fields = _fixed_fields(line)
            if fields is not None:
                try:
                    return parse(fields, fixed=True)
                except _Bad as fixed_exc:
                    # the fields were the whitespace reading's trouble: the fixed one's says more
                    if isinstance(exc, _Fields) and str(fixed_exc):
                        exc = fixed_exc
            raise self.error(str(exc), lineno) from None

    # -- sections -------------------------------------------------------------------------------

    def data_OBJSENSE(self, line: str, lineno: int) -> None:
        self.set_sense(line.split()[0], lineno)
        self.section = None

    def data_ROWS(self, line: str, lineno: int) -> None:
        def parse(toks, fixed=False):
            if fixed:
                if any(toks[2:]):
                    raise _Bad("")
                toks = toks[:2]
            if len(toks) != 2 or not toks[1]:
                raise _Fields(f"expected a row type and a row name, got {line.strip()!r}")
            return toks[0].upper(), toks[1]

        typ, name = self.both_ways(parse, line, lineno)
        if typ not in ("N", "E", "L", "G"):
            raise self.error(f"unknown row type {typ!r} (expected N, E, L or G)", lineno)
        if name in self.row_index:
            raise self.error(f"duplicate row {name!r}", lineno)
        if typ == "N":
            if self.obj_name is None:
                self.obj_name = name
                self.row_index[name] = _OBJ
            else:
                self.row_index[name] = _DROPPED  # extra free rows are dropped, as HiGHS does
            return
        self.row_index[name] = len(self.row_names)
        self.row_names.append(name)
        self.row_types.append(typ)

    def row_of(self, name: str) -> int:
        r = self.row_index.get(name)
        if r is None:
            raise _Bad(f"unknown row {name!r}")
        return r

    def data_COLUMNS(self, line: str, lineno: int) -> None:
        toks = line.split()
        nt = len(toks)
        if nt == 3 or nt == 5:
            # fast path for the common line: known rows and plain numbers
            get = self.row_index.get
            r1 = get(toks[1])
            r2 = get(toks[3]) if nt == 5 else _DROPPED
            if r1 is not None and r2 is not None:
                t1 = toks[2]
                t2 = toks[4] if nt == 5 else "0"
                try:
                    v1 = float(t1)
                    v2 = float(t2)
                except ValueError:
                    pass
                else:
                    # finite (not NaN or inf) and by the strict grammar; anything else goes the
                    # slow way below, which names the fault
                    # (x - x is 0 for finite x, NaN for inf and NaN; most lines have no '_')
                    if (v1 - v1 == v2 - v2 == 0.0 and line.isascii()
                            and ("_" not in line or ("_" not in t1 and "_" not in t2))):
                        self.add_column_entries(toks[0], ((r1, v1), (r2, v2)), lineno)
                        return
        if nt >= 3 and "'MARKER'" in toks[1:-1]:
            kind = toks[-1].strip("'").upper()
            if kind == "INTORG":
                self.in_int = True
            elif kind == "INTEND":
                self.in_int = False
            else:
                raise self.error(f"unknown MARKER type {toks[-1]!r} (expected INTORG or INTEND)",
                                 lineno)
            return

        def parse(toks, fixed=False):
            if fixed:
                toks = toks[1:4] if not toks[4] and not toks[5] else toks[1:6]
            if len(toks) not in (3, 5) or not all(toks):
                raise _Fields("expected a column name and one or two (row, value) pairs")
            what = "the coefficient of column {!r} in row {!r}"
            pairs = [(self.row_of(toks[1]), _coefficient(toks[2], what, toks[0], toks[1]))]
            if len(toks) == 5:
                pairs.append((self.row_of(toks[3]), _coefficient(toks[4], what, toks[0], toks[3])))
            return toks[0], pairs

        col, pairs = self.both_ways(parse, line, lineno)
        self.add_column_entries(col, pairs, lineno)

    def add_column_entries(self, col: str, pairs, lineno: int) -> None:
        if self.cur_col < 0 or col != self.col_names[self.cur_col]:
            if col in self.col_index:
                raise self.error(
                    f"column {col!r} appears again after other columns "
                    "(the entries of a column must be contiguous)", lineno)
            self.cur_col = len(self.col_names)
            self.col_index[col] = self.cur_col
            self.col_names.append(col)
            self.col_int.append(self.in_int)
        j = self.cur_col
        for r, v in pairs:
            if r >= 0:
                self.ent_rows.append(r)
                self.ent_cols.append(j)
                self.ent_vals.append(v)
            elif r == _OBJ:
                if j in self.costs:
                    self.dup_costs += 1  # keep the first, as HiGHS does
                else:
                    self.costs[j] = v

    def end_columns(self) -> None:
        if self.rhs is not None:
            return
        m, n = len(self.row_names), len(self.col_names)
        self.rhs = np.zeros(m)
        self.rhs_line = np.zeros(m, dtype=np.int64)  # the last RHS line of each row, for messages
        self.ranges = np.full(m, np.nan)
        self.lower = np.zeros(n)
        self.upper = np.full(n, np.inf)
        self.integrality = np.array(self.col_int, dtype=bool)
        self.bound_seen = np.zeros(n, dtype=bool)
        self.lower_set = np.zeros(n, dtype=bool)
        self.semicont = np.zeros(n, dtype=bool)
        self.bound_line = np.zeros(n, dtype=np.int64)  # the last BOUNDS line of each column

    def row_value_pairs(self, line: str, lineno: int, what: str) -> list[tuple[int, float]]:
        """RHS and RANGES lines: ``[set] row value [row value]``."""

        def parse(toks, fixed=False):
            if fixed:
                toks = toks[2:4] if not toks[4] and not toks[5] else toks[2:6]
                if not all(toks):
                    raise _Bad("")
            elif len(toks) in (3, 5):
                toks = toks[1:]  # drop the set name
            if len(toks) not in (2, 4):
                raise _Fields("expected [set name] row value [row value]")
            out = [(self.row_of(toks[0]), _number(toks[1], what, toks[0]))]
            if len(toks) == 4:
                out.append((self.row_of(toks[2]), _number(toks[3], what, toks[2])))
            return out

        return self.both_ways(parse, line, lineno)

    def data_RHS(self, line: str, lineno: int) -> None:
        for r, v in self.row_value_pairs(line, lineno, "the right-hand side of row {!r}"):
            if r >= 0:
                self.rhs[r] = math.copysign(math.inf, v) if abs(v) >= INFINITY_THRESHOLD else v
                self.rhs_line[r] = lineno
            elif r == _OBJ:
                if not math.isfinite(v):
                    raise self.error("the objective's constant (its RHS) must be finite",
                                     lineno)
                self.offset = -v  # RHS of the objective is minus its constant (HiGHS, CPLEX)

    def data_RANGES(self, line: str, lineno: int) -> None:
        for r, v in self.row_value_pairs(line, lineno, "the range of row {!r}"):
            if r >= 0:  # ranges on N rows mean nothing and are ignored
                self.ranges[r] = math.copysign(math.inf, v) if abs(v) >= INFINITY_THRESHOLD else v

    def data_BOUNDS(self, line: str, lineno: int) -> None:
        toks = line.split()
        kind = toks[0].upper()
        if kind not in _VALUE_BOUNDS and kind not in _FLAG_BOUNDS:
            raise self.error(f"unknown bound type {toks[0]!r}", lineno)

        def parse(toks, fixed=False):
            if fixed:
                col, val = toks[2], toks[3]
            elif kind in _VALUE_BOUNDS:
                if len(toks) == 4:
                    col, val = toks[2], toks[3]
                elif len(toks) == 3:
                    col, val = toks[1], toks[2]
                    if col not in self.col_index and val in self.col_index:
                        raise _Bad(f"bound {kind} on column {val!r} needs a value")
                else:
                    raise _Fields(f"expected {kind} [bound set] column value")
            else:
                if len(toks) == 2:
                    col, val = toks[1], ""
                elif len(toks) in (3, 4):
                    col, val = toks[2], toks[3] if len(toks) == 4 else ""
                else:
                    raise _Fields(f"expected {kind} [bound set] column")
            if kind in _VALUE_BOUNDS and not val:
                raise _Bad(f"bound {kind} needs a value")
            j = self.col_index.get(col)
            if j is None:
                raise _Bad(f"unknown column {col!r}")
            return j, (_bound_number(val, "bound {} of column {!r}", kind, col) if val else 0.0)

        j, v = self.both_ways(parse, line, lineno)
        lo, up = self.lower, self.upper
        self.bound_seen[j] = True
        self.bound_line[j] = lineno
        if kind in ("UP", "UI"):
            up[j] = v
            if v < 0 and lo[j] == 0 and not self.lower_set[j]:
                # classical MPS rule: a negative upper bound with the default lower bound 0
                # makes the column free below (CPLEX, Gurobi; HiGHS 1.16 keeps 0).
                lo[j] = -np.inf
        elif kind in ("LO", "LI"):
            lo[j] = v
        elif kind == "FX":
            lo[j] = up[j] = v
        elif kind == "FR":
            lo[j], up[j] = -np.inf, np.inf
        elif kind == "MI":
            lo[j] = -np.inf
        elif kind == "PL":
            up[j] = np.inf
        elif kind == "BV":
            lo[j], up[j] = 0.0, 1.0
        elif kind in ("SC", "SI"):
            up[j] = v  # semicontinuous: 0 or in [lower, v]; no free-below rule here
            self.semicont[j] = True
        if kind in ("LO", "LI", "FX", "FR", "MI", "BV"):
            self.lower_set[j] = True
        if kind in ("LI", "UI", "BV", "SI"):
            self.integrality[j] = True

    def col_of(self, name: str) -> int:
        j = self.col_index.get(name)
        if j is None:
            raise _Bad(f"unknown column {name!r}")
        return j

    def data_Q(self, line: str, lineno: int) -> None:
        """``column column value [column value]``: entries of Q (the first column repeats)."""

        def parse(toks, fixed=False):
            if fixed:
                toks = toks[1:4] if not toks[4] and not toks[5] else toks[1:6]
            if len(toks) not in (3, 5) or not all(toks):
                raise _Fields("expected two column names and a value (and another column and value)")
            j = self.col_of(toks[0])
            what = "the quadratic objective entry ({!r}, {!r})"
            out = [(j, self.col_of(toks[1]), _coefficient(toks[2], what, toks[0], toks[1]))]
            if len(toks) == 5:
                out.append((j, self.col_of(toks[3]), _coefficient(toks[4], what, toks[0], toks[3])))
            return out

        entries = self.both_ways(parse, line, lineno)
        if not self.q_ignore:
            self.q_entries.extend((i, j, v, lineno) for i, j, v in entries)

    def data_SOS(self, line: str, lineno: int) -> None:
        toks = line.split()
        head = toks[0]
        if head in ("S1", "S2"):  # case-sensitive, as in HiGHS and SCIP: "s1" may name a set
            # " S1 SOS name priority" (Gurobi, CPLEX writers) or " S1 name [priority]" (CPLEX
            # manual, SCIP, HiGHS); the priority is a branching hint, not part of the model
            rest = toks[1:]
            if rest and rest[0].upper() == "SOS":
                rest = rest[1:]
            if len(rest) > 2:
                raise self.error(f"expected {head} [SOS] [set name] [priority], got "
                                 f"{line.strip()!r}", lineno)
            if len(rest) == 2:
                try:
                    _number(rest[1])
                except _Bad as exc:
                    raise self.error(f"SOS priority: {exc}", lineno) from None
            name = rest[0] if rest else f"sos{len(self.sos_sets)}"
            self.sos_sets.append((int(head[1]), name, lineno, []))
            return
        if not self.sos_sets:
            raise self.error(f"SOS member {toks[0]!r} before any S1 or S2 line", lineno)
        _kind, name, _start, members = self.sos_sets[-1]
        if len(toks) == 3 and toks[0] == name:
            toks = toks[1:]  # "set column weight" (HiGHS's SETS layout)
        elif len(toks) == 1 and toks[0] not in self.col_index and ":" in toks[0]:
            toks = toks[0].rsplit(":", 1)  # "column:weight"
        if len(toks) not in (1, 2):
            raise self.error(f"expected a column and its weight in SOS {name!r}, got "
                             f"{line.strip()!r}", lineno)
        try:
            j = self.col_of(toks[0])
            w = _coefficient(toks[1], "the weight of column {!r}", toks[0]) if len(toks) == 2 else None
        except _Bad as exc:
            raise self.error(f"SOS {name!r}: {exc}", lineno) from None
        members.append((j, w, lineno))

    def data_SETS(self, line: str, lineno: int) -> None:
        self.data_SOS(line, lineno)

    def data_INDICATORS(self, line: str, lineno: int) -> None:
        toks = line.split()
        if toks[0].upper() != "IF" or len(toks) not in (3, 4):
            raise self.error(f"expected IF row binary-column [1 or 0], got {line.strip()!r}", lineno)
        r = self.row_index.get(toks[1])
        if r is None:
            raise self.error(f"unknown row {toks[1]!r}", lineno)
        if r < 0:
            raise self.error(f"row {toks[1]!r} is a free (N) row, not a constraint", lineno)
        j = self.col_index.get(toks[2])
        if j is None:
            raise self.error(f"unknown column {toks[2]!r}", lineno)
        active = toks[3] if len(toks) == 4 else "1"
        if active not in ("0", "1"):
            raise self.error(f"an indicator is active when its binary is 0 or 1, not {active!r}",
                             lineno)
        if r in self.ind_seen:
            raise self.error(f"row {toks[1]!r} has a second indicator", lineno)
        self.ind_seen.add(r)
        self.ind_rows.append((r, j, int(active), lineno))

    # -- assembly -------------------------------------------------------------------------------

    def quadratic(self, n: int) -> sp.csr_array | None:
        """Q from the entries: a triangle (QUADOBJ, QSECTION) is mirrored, QMATRIX must be symmetric."""
        if not self.q_entries:
            return None
        i, j, v, lines = (np.asarray(a) for a in zip(*self.q_entries))
        i, j = i.astype(np.int64), j.astype(np.int64)
        M = sp.coo_array((v.astype(np.float64), (i, j)), shape=(n, n)).tocsr()  # sums repeats
        if self.q_kind == "QMATRIX":
            gap = abs(M - M.T)
            if gap.nnz and gap.max() > 1e-12 * abs(M).max():
                bad = sp.coo_array(gap > 1e-12 * abs(M).max())
                hit = np.isin(i * n + j, bad.row.astype(np.int64) * n + bad.col)
                k = int(np.flatnonzero(hit)[0]) if hit.any() else 0
                a, b = int(i[k]), int(j[k])
                raise self.error(
                    f"QMATRIX is not symmetric: ({self.col_names[a]}, {self.col_names[b]}) is "
                    f"{M[a, b]:g} but ({self.col_names[b]}, {self.col_names[a]}) is {M[b, a]:g} "
                    "(QMATRIX lists both triangles; QUADOBJ lists one)", int(lines[k]))
            Q = (M + M.T) * 0.5
        else:
            off = i != j
            both = np.isin(i[off] * n + j[off], j[off] * n + i[off])
            if both.any():
                warnings.warn(f"{self.path}: {self.q_kind} gives both (i, j) and (j, i) for "
                              f"{int(both.sum()) // 2 or 1} pairs; they were added (as HiGHS "
                              "does): a QUADOBJ lists one triangle", stacklevel=4)
            Q = M + M.T - sp.diags_array(M.diagonal())
        Q = sp.csr_array(Q)
        Q.eliminate_zeros()
        Q.sort_indices()
        return Q

    def finish(self) -> CanonicalForm:
        self.end_columns()
        m, n = len(self.row_names), len(self.col_names)
        # marker integers that no BOUNDS line touched are binary, as in HiGHS
        binary = np.array(self.col_int, dtype=bool) & ~self.bound_seen
        self.upper[binary] = 1.0
        crossed = np.flatnonzero(self.lower > self.upper) if self.check_bounds else ()
        if len(crossed):
            j = int(crossed[0])
            raise self.error(
                f"column {self.col_names[j]!r} has lower bound {format_number(self.lower[j])} above its "
                f"upper bound {format_number(self.upper[j])}"
                + (f" ({len(crossed)} such columns)" if len(crossed) > 1 else ""),
                int(self.bound_line[j]) or None)

        refuse_impossible(self, self.lower, self.upper, self.col_names, self.bound_line, "column")
        types = np.array(self.row_types, dtype="U1") if m else np.zeros(0, dtype="U1")
        rhs = self.rhs
        row_lower = np.where(types == "L", -np.inf, rhs)
        row_upper = np.where(types == "G", np.inf, rhs)
        has = ~np.isnan(self.ranges)
        if has.any():
            rng = np.abs(self.ranges)
            up_side = has & ((types == "G") | ((types == "E") & (self.ranges >= 0)))
            down_side = has & ((types == "L") | ((types == "E") & (self.ranges < 0)))
            row_upper = np.where(up_side, rhs + rng, row_upper)
            row_lower = np.where(down_side, rhs - rng, row_lower)

        refuse_impossible(self, row_lower, row_upper, self.row_names, self.rhs_line, "row")
        c = np.zeros(n)
        if self.costs:
            c[np.fromiter(self.costs.keys(), dtype=np.int64)] = np.fromiter(
                self.costs.values(), dtype=np.float64)
        rows = np.asarray(self.ent_rows, dtype=np.int64)
        cols = np.asarray(self.ent_cols, dtype=np.int64)
        vals = np.asarray(self.ent_vals, dtype=np.float64)
        ndup = self.dup_costs
        if rows.size:
            key = rows * max(n, 1) + cols
            order = np.argsort(key, kind="stable")
            sk = key[order]
            first = np.ones(sk.size, dtype=bool)
            first[1:] = sk[1:] != sk[:-1]
            if not first.all():
                # HiGHS keeps the first of repeated entries and warns; so do we
                ndup += int((~first).sum())
                keep = np.sort(order[first])
                rows, cols, vals = rows[keep], cols[keep], vals[keep]
        if ndup:
            warnings.warn(f"{self.path}: {ndup} repeated matrix or objective entries; "
                          "the first value of each was kept", stacklevel=3)
        nz = vals != 0
        A = sp.csr_array((vals[nz], (rows[nz], cols[nz])), shape=(m, n))
        A.sort_indices()
        row_lower, row_upper = row_lower.astype(np.float64), row_upper.astype(np.float64)
        row_names: list[str] = self.row_names
        indicators = None
        if self.ind_rows:
            r, b, active, lines = (np.array(a, dtype=np.int64) for a in zip(*self.ind_rows))
            lo, up, ints = self.lower[b], self.upper[b], self.integrality[b]
            bad = np.flatnonzero(~(ints & (lo >= 0) & (up <= 1)))
            if bad.size:
                k = int(bad[0])
                raise self.error(f"indicator column {self.col_names[b[k]]!r} is not binary "
                                 f"(integer in [0, 1]; it is {'integer' if ints[k] else 'continuous'}"
                                 f" in [{lo[k]:g}, {up[k]:g}])", int(lines[k]))
            indicators = Indicators(binary=b, active=active, A=sp.csr_array(A[r]),
                                    lower=row_lower[r], upper=row_upper[r],
                                    names=Names.from_list([row_names[i] for i in r.tolist()]))
            keep = np.ones(m, dtype=bool)
            keep[r] = False
            A, row_lower, row_upper = sp.csr_array(A[keep]), row_lower[keep], row_upper[keep]
            row_names = [row_names[i] for i in np.flatnonzero(keep).tolist()]
        name = self.name if self.name else model_name_from_path(self.path)
        return CanonicalForm(
            sense=self.sense,
            c=c,
            offset=float(self.offset),
            A=A,
            row_lower=row_lower,
            row_upper=row_upper,
            col_lower=self.lower,
            col_upper=self.upper,
            integrality=self.integrality,
            col_names=Names.from_list(self.col_names),
            row_names=Names.from_list(row_names),
            name=name,
            Q=self.quadratic(n),
            semicontinuous=self.semicont,
            sos=make_sos(self.sos_sets, self.error),
            indicators=indicators,
        )


SosMembers = list[tuple[int, float | None, int]]  # (column, weight or None, line)


def make_sos(sets: list[tuple[int, str, int, SosMembers]],
             error: Callable[[str, int | None], InputError]) -> tuple[SOS, ...]:
    """SOS sets from ``(kind, name, header line, members)``: members sorted by weight; weights
    left out (all of a set's) are 1, 2, ...; a repeated column or weight is an error."""
    out = []
    for kind, name, _start, members in sets:
        cols = np.array([m[0] for m in members], dtype=np.int64)
        given = [m[1] is not None for m in members]
        if all(given):
            w = np.array([m[1] for m in members], dtype=np.float64)
        elif not any(given):
            w = np.arange(1.0, len(members) + 1)
        else:
            k = given.index(False) if given[0] else given.index(True)
            raise error(f"SOS {name!r}: give a weight for every member or for none", members[k][2])
        for arr, what in ((cols, "lists a column twice"),
                          (w, "gives two members one weight (the weights order the set)")):
            _, first = np.unique(arr, return_index=True)
            if first.size != arr.size:
                k = int(np.setdiff1d(np.arange(arr.size), first)[0])
                raise error(f"SOS {name!r} {what}", members[k][2])
        order = np.argsort(w, kind="stable")
        out.append(SOS(kind, cols[order], w[order], name))
    return tuple(out)


def refuse_impossible(reader: Any, lower: np.ndarray, upper: np.ndarray, names: Sequence[str],
                       lines: Any, what: str) -> None:
    """A lower bound of +inf or an upper bound of -inf (an overflowing number, ``-inf`` as an
    upper bound) admits no value at all: refuse it, naming the row or column and its line."""
    bad = np.flatnonzero((lower == np.inf) | (upper == -np.inf))
    if bad.size:
        k = int(bad[0])
        line = lines.get(k) if isinstance(lines, dict) else int(lines[k]) or None
        side = "lower bound +inf" if lower[k] == np.inf else "upper bound -inf"
        raise reader.error(f"{what} {names[k]!r} has the {side}: no value can meet it (a number too large "
                           "for a float?)", line)


def read_mps(path: str | Path, check_bounds: bool = False) -> CanonicalForm:
    """Read a fixed or free MPS file (``.gz`` too); malformed input raises InputError.

    A column whose lower bound exceeds its upper bound is read as written (as HiGHS does: the
    model is infeasible); with ``check_bounds`` it is refused, naming the column and its last
    bound line (``read_model_file`` does this: a ``Model`` refuses such bounds)."""
    path = Path(path)
    with open_text(path) as f:
        return _MpsReader(path, check_bounds).read(f)


# ---------------------------------------------------------------------------------------------
# writing

_MPS_NAME = re.compile(r"[^\s$*][^\s]*")


def _mps_fix(name: str) -> str:
    name = re.sub(r"\s+", "_", name.strip())
    return "_" + name if name[:1] in ("$", "*") else name


def _field_line(f1: str, f2: str, f3: str, f4: str = "") -> str:
    # Fixed-format columns (2-3, 5-12, 15-22, 25-36) when names fit in 8 characters; longer
    # fields push the rest right but stay blank-separated, so free readers accept every line.
    s = " " + f1.ljust(2) + " " + f2.ljust(8) + "  " + f3
    if f4:
        s = s.ljust(22) + "  " + f4
    return s.rstrip()


def _pair_lines(head: str, pairs: list[tuple[str, str]]) -> list[str]:
    """COLUMNS/RHS/RANGES lines with two (name, value) pairs each, at the fixed columns when
    the fields fit (``head`` and the names come padded)."""
    out = [f"{head}{pairs[k][0]}  {pairs[k][1]:<12}   {pairs[k + 1][0]}  {pairs[k + 1][1]}"
           for k in range(0, len(pairs) - 1, 2)]
    if len(pairs) % 2:
        out.append(f"{head}{pairs[-1][0]}  {pairs[-1][1]}")
    return out


def _range_encoding(
    lo: np.ndarray, up: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """For rows with finite ``lo < up``: (is_G, rhs, R, inexact) that read back as [lo, up].

    G reads as ``[rhs, rhs + |R|]`` and L as ``[rhs - |R|, rhs]``. Rounding can make one of
    them miss by an ulp, so pick the exact one. When ``lo`` and ``up`` have opposite signs and
    very different sizes neither can be exact (the sum cannot carry the small one's low bits;
    no other R helps either): then the closer one is used and ``inexact`` counts those rows.
    """
    R = up - lo
    miss_g = np.abs((lo + R) - up)
    miss_l = np.abs((up - R) - lo)
    is_g = miss_g <= miss_l
    inexact = int(np.count_nonzero((miss_g != 0) & (miss_l != 0)))
    return is_g, np.where(is_g, lo, up), R, inexact


def write_mps(form: CanonicalForm, path: str | Path) -> None:
    """Write ``form`` as MPS that reads back here as exactly the same model, and in HiGHS too
    except for what HiGHS 1.16 cannot read (SOS, INDICATORS) or reads otherwise (semi-integer
    columns, SC in a MARKER block, which it takes as semi-continuous). SCIP reads it all.

    Names that MPS cannot hold (empty, with blanks, repeated) are replaced, with a warning.
    Free rows are written as L rows with an infinite right-hand side, so they are kept.
    Indicator rows follow the ordinary rows and are named in INDICATORS; semicontinuous columns
    get an ``SC`` bound (after ``LO``); Q is written as QUADOBJ (its upper triangle).
    """
    path = Path(path)
    check_indicator_binaries(form)
    m, n = form.num_rows, form.num_cols
    ind = form.indicators
    nind = ind.count if ind is not None else 0
    cols, ccount = unique_names(list(form.col_names) if len(form.col_names) == n
                                else [f"C{j}" for j in range(n)], _MPS_NAME, _mps_fix, "C")
    row_list = list(form.row_names) if len(form.row_names) == m else [f"R{i}" for i in range(m)]
    if ind is not None:
        row_list += list(ind.names) if len(ind.names) == nind else [f"I{i}" for i in range(nind)]
    rows, rcount = unique_names(row_list, _MPS_NAME, _mps_fix, "R")
    sos_names, scount = unique_names([s.name or f"sos{k}" for k, s in enumerate(form.sos)],
                                     _MPS_NAME, _mps_fix, "sos")
    if ccount or rcount or scount:
        warnings.warn(f"{path}: {ccount + rcount + scount} names were changed to be valid in MPS",
                      stacklevel=2)
    row_set = set(rows)
    obj = "obj"
    k = 0
    while obj in row_set:
        k += 1
        obj = f"obj_{k}"
    num = format_number
    out: list[str] = []
    name = re.sub(r"\s+", "_", form.name.strip()) if form.name else ""
    out.append(f"NAME          {name}".rstrip())
    if form.sense is Sense.MAXIMIZE:
        out += ["OBJSENSE", "    MAX"]

    lo = np.asarray(form.row_lower, dtype=np.float64)
    up = np.asarray(form.row_upper, dtype=np.float64)
    A = form.A
    if ind is not None:
        lo = np.concatenate([lo, np.asarray(ind.lower, dtype=np.float64)])
        up = np.concatenate([up, np.asarray(ind.upper, dtype=np.float64)])
        A = sp.vstack([sp.csr_array(A), sp.csr_array(ind.A)], format="csr")
        m += nind
    typ = np.full(m, "E", dtype="U1")
    rhs = lo.copy()
    rng = np.full(m, np.nan)
    equal = lo == up
    ltype = ~equal & (lo == -np.inf)
    gtype = ~equal & ~ltype & (up == np.inf)
    typ[ltype] = "L"
    rhs[ltype] = up[ltype]
    typ[gtype] = "G"
    other = ~equal & ~ltype & ~gtype
    weird = np.flatnonzero(other & ~(np.isfinite(lo) & np.isfinite(up) & (lo < up)))
    if weird.size:
        i = int(weird[0])
        raise ModelError(f"row {rows[i]!r} has bounds [{lo[i]}, {up[i]}], which MPS cannot hold")
    ranged = np.flatnonzero(other)
    if ranged.size:
        is_g, r_rhs, r_rng, inexact = _range_encoding(lo[ranged], up[ranged])
        if inexact:
            warnings.warn(f"{path}: {inexact} ranged rows are off by one rounding step in MPS "
                          "(a range cannot hold both ends exactly)", stacklevel=2)
        typ[ranged] = np.where(is_g, "G", "L")
        rhs[ranged] = r_rhs
        rng[ranged] = r_rng

    out.append("ROWS")
    out.append(_field_line("N", obj, ""))
    out.extend(_field_line(t, r, "") for t, r in zip(typ.tolist(), rows))

    out.append("COLUMNS")
    csc = sp.csc_array(A)
    csc.sort_indices()
    indptr, indices, data = csc.indptr, csc.indices.tolist(), csc.data.tolist()
    c = np.asarray(form.c, dtype=np.float64).tolist()
    integ = np.asarray(form.integrality, dtype=bool).tolist()
    in_int = False
    marker = 0
    padded_rows = [f"{r:<8}" for r in rows]
    padded_obj = f"{obj:<8}"
    values = [num(v) for v in data]
    for j in range(n):
        if integ[j] != in_int:
            kind = "'INTORG'" if integ[j] else "'INTEND'"
            out.append(f"    M{marker:07d}  'MARKER'                 {kind}")
            marker += 1
            in_int = integ[j]
        a, b = indptr[j], indptr[j + 1]
        pairs = [(padded_rows[i], values[k]) for i, k in zip(indices[a:b], range(a, b))]
        if c[j] != 0 or a == b:  # an empty column still needs one line to exist
            pairs.insert(0, (padded_obj, num(c[j])))
        out.extend(_pair_lines(f"    {cols[j]:<8}  ", pairs))
    if in_int:
        out.append(f"    M{marker:07d}  'MARKER'                 'INTEND'")

    out.append("RHS")
    pairs = [(padded_rows[i], num(rhs[i])) for i in np.flatnonzero(rhs != 0)]
    if form.offset != 0:
        pairs.insert(0, (padded_obj, num(-form.offset)))
    out.extend(_pair_lines("    RHS       ", pairs))
    if ranged.size:
        out.append("RANGES")
        out.extend(_pair_lines("    RNG       ", [(padded_rows[i], num(rng[i])) for i in ranged]))

    bounds: list[str] = []
    cl = np.asarray(form.col_lower, dtype=np.float64).tolist()
    cu = np.asarray(form.col_upper, dtype=np.float64).tolist()
    semi = set() if form.semicontinuous is None else set(np.flatnonzero(form.semicontinuous).tolist())
    for j in range(n):
        lj, uj = cl[j], cu[j]
        col = cols[j]
        if j in semi:
            # SC sets the upper bound only: the lower bound goes first, as LO or MI
            if lj != 0:
                bounds.append(_field_line("MI", "BND", col) if lj == -math.inf
                              else _field_line("LO", "BND", col, num(lj)))
            bounds.append(_field_line("SC", "BND", col, num(uj)))
            continue
        if lj == 0 and uj == math.inf and not integ[j]:
            continue
        if integ[j] and lj == 0 and uj == 1:
            # BV, not LO 0 + UP 1: SCIP reads the latter as a general integer, which its
            # INDICATORS then refuse as a binary
            bounds.append(_field_line("BV", "BND", col))
        elif lj == uj:
            bounds.append(_field_line("FX", "BND", col, num(lj)))
        elif lj == -math.inf and uj == math.inf:
            bounds.append(_field_line("FR", "BND", col))
        else:
            if lj == -math.inf:
                bounds.append(_field_line("MI", "BND", col))
            elif lj != 0 or integ[j] or uj < 0:
                # explicit for integers (no binary default) and before a negative UP
                # (no free-below rule), so every reader gets the same bounds
                bounds.append(_field_line("LO", "BND", col, num(lj)))
            if uj != math.inf:
                bounds.append(_field_line("UP", "BND", col, num(uj)))
    if bounds:
        out.append("BOUNDS")
        out.extend(bounds)
    if form.sos:
        out.append("SOS")
        for s, sname in zip(form.sos, sos_names):
            out.append(f" S{int(s.kind)} {sname}")
            out.extend(_field_line("", cols[j], num(w))
                       for j, w in zip(np.asarray(s.columns).tolist(), np.asarray(s.weights).tolist()))
    if form.Q is not None:
        out.append("QUADOBJ")
        tri = sp.coo_array(sp.triu(form.Q, format="coo"))
        order = np.lexsort((tri.col, tri.row))
        out.extend(_field_line("", cols[i], cols[j], num(v)) for i, j, v in zip(
            tri.row[order].tolist(), tri.col[order].tolist(), tri.data[order].tolist()) if v != 0)
    if ind is not None:
        out.append("INDICATORS")
        out.extend(_field_line("IF", rows[m - nind + i], cols[b], str(int(a))) for i, (b, a) in
                   enumerate(zip(np.asarray(ind.binary).tolist(), np.asarray(ind.active).tolist())))
    out.append("ENDATA")
    _write_lines(path, out)


def check_indicator_binaries(form: CanonicalForm) -> None:
    """Files name an indicator's column as a binary one: refuse others before writing."""
    ind = form.indicators
    if ind is None:
        return
    b = np.asarray(ind.binary, dtype=np.int64)
    ok = form.integrality[b] & (form.col_lower[b] >= 0) & (form.col_upper[b] <= 1)
    bad = np.flatnonzero(~ok | ~np.isin(ind.active, (0, 1)))
    if bad.size:
        j = int(b[bad[0]])
        name = form.col_names[j] if len(form.col_names) == form.num_cols else f"column {j}"
        raise ModelError(f"indicator on {name!r}: files take indicators on a binary column "
                         "(integer in [0, 1]) being 0 or 1")


def _write_lines(path: Path, lines: list[str]) -> None:
    try:
        if path.name.lower().endswith(".gz"):
            with gzip.open(path, "wt", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n".join(lines) + "\n")
        else:
            with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
                f.write("\n".join(lines) + "\n")
    except OSError as exc:
        raise InputError(f"cannot write file: {exc.strerror or exc}", path=path) from None
