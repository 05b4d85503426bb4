"""Graphs as arrays of arcs (tail, head, weight), read from DIMACS, CSV or networkx.

Vertices are numbered 0..n-1 internally; ``ids`` maps them back to the names in the input.
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from optmodel.errors import InputError
from optmodel.numbers import DECIMAL, INTEGER


@dataclass(eq=False)
class Graph:
    tail: np.ndarray  # int64, one per arc
    head: np.ndarray
    weight: np.ndarray  # float64
    ids: np.ndarray  # vertex id as given in the input, one per vertex
    directed: bool = True
    source: str = "<memory>"

    @property
    def num_vertices(self) -> int:
        return int(self.ids.shape[0])

    @property
    def num_arcs(self) -> int:
        return int(self.tail.shape[0])

    def vertex(self, vertex_id: Any) -> int:
        """Internal index of a vertex given as in the input (``"3"`` and ``3`` both work)."""
        key = _coerce(vertex_id, self.ids)
        ids = self.ids if self.ids.dtype != object or not isinstance(key, str) else self.ids.astype(str)
        matches = np.flatnonzero(ids == key)
        if matches.size == 0:
            raise InputError(f"vertex {vertex_id!r} is not in the graph ({self.num_vertices} vertices)", self.source)
        return int(matches[0])

    def labels(self, vertices: Any) -> list[Any]:
        """Vertex ids as in the input, for internal indices."""
        return self.ids[np.asarray(vertices, dtype=np.int64)].tolist()

    def incidence(self, without: int | None = None) -> sp.csr_array:
        """Vertex-arc incidence matrix: +1 where an arc leaves a vertex, -1 where it enters;
        ``without``: that vertex's row left out (a flow's implied conservation row)."""
        m, n = self.num_arcs, self.num_vertices
        if without is not None and not 0 <= without < n:
            raise ValueError(f"incidence: vertex index {without} is not in 0..{n - 1}")
        index = np.int32 if max(n, 2 * m) < np.iinfo(np.int32).max else np.int64
        tail, head = self.tail, self.head
        if without is not None:  # renumbered so that its row is the last one, then cut off (a view)
            tail, head = (np.where(v == without, n - 1, v - (v > without)) for v in (tail, head))
        # Entries in arc order, (tail, +1) then (head, -1): scipy's COO->CSR keeps that order
        # within each row, so the columns come out sorted with no sort and no transposition.
        rows = np.empty(2 * m, dtype=index)
        rows[0::2], rows[1::2] = tail, head
        cols = np.repeat(np.arange(m, dtype=index), 2)
        values = np.empty(2 * m)
        values[0::2], values[1::2] = 1.0, -1.0
        A = sp.csr_array((values, (rows, cols)), shape=(n, m))
        if np.any(self.tail == self.head):
            A.sum_duplicates()  # a self-loop's +1 and -1 (adjacent, so one pass finds them) cancel
            A.eliminate_zeros()
        else:
            A.has_canonical_format = True  # no two entries of an arc share a row; columns ascend
        if without is not None:
            k = int(A.indptr[n - 1])
            A = sp.csr_array((A.data[:k], A.indices[:k], A.indptr[:n]), shape=(n - 1, m))
            A.has_canonical_format = True
        return A

    def adjacency(self) -> sp.csr_array:
        """Weighted adjacency matrix keeping the cheapest of parallel arcs."""
        order = np.lexsort((self.weight, self.head, self.tail))
        t, h, w = self.tail[order], self.head[order], self.weight[order]
        first = np.r_[True, (t[1:] != t[:-1]) | (h[1:] != h[:-1])]
        n = self.num_vertices
        return sp.csr_array((w[first], (t[first], h[first])), shape=(n, n))

    def undirected_simple(self) -> Graph:
        """One edge per unordered vertex pair, the cheapest of the parallel arcs; no loops."""
        u, v = np.minimum(self.tail, self.head), np.maximum(self.tail, self.head)
        keep = u != v
        u, v, w = u[keep], v[keep], self.weight[keep]
        order = np.lexsort((w, v, u))
        u, v, w = u[order], v[order], w[order]
        first = np.r_[True, (u[1:] != u[:-1]) | (v[1:] != v[:-1])] if u.size else np.zeros(0, bool)
        return Graph(u[first], v[first], w[first], self.ids, directed=False, source=self.source)

    def to_networkx(self) -> Any:
        import networkx as nx

        g = nx.DiGraph() if self.directed else nx.Graph()
        g.add_nodes_from(self.ids.tolist())
        ids = self.ids
        for a, b, w in zip(ids[self.tail].tolist(), ids[self.head].tolist(), self.weight.tolist()):
            if not g.has_edge(a, b) or g[a][b]["weight"] > w:
                g.add_edge(a, b, weight=w)
        return g


def _coerce(vertex_id: Any, ids: np.ndarray) -> Any:
    """The id as the graph stores it: ``"3"`` for integer ids is 3 (``"1_0"`` or 3.5 are no
    integer id); networkx labels as they are."""
    if np.issubdtype(ids.dtype, np.integer):
        if isinstance(vertex_id, str):
            return int(vertex_id) if INTEGER.fullmatch(vertex_id.strip()) else None
        if isinstance(vertex_id, float):
            return int(vertex_id) if vertex_id.is_integer() else None
        try:
            return int(vertex_id)
        except (TypeError, ValueError):
            return None
    if ids.dtype == object and vertex_id in set(ids.tolist()):
        return vertex_id
    return str(vertex_id)


def read_graph(path: str | Path) -> Graph:
    """A graph from a DIMACS ``.gr`` file or a CSV edge list (``source,target[,weight]``)."""
    path = Path(path)
    if path.is_dir():
        raise InputError("is a directory, not a graph file", path)
    if not path.exists():
        raise InputError("no such file", path)
    if path.suffix.lower() == ".gr":
        return read_dimacs(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return read_edge_csv(path)
    raise InputError("unknown graph format (expected a DIMACS .gr or a .csv edge list)", path)


# --- reading text files ---------------------------------------------------------------------------
# Strict number grammar: ASCII digits with an optional sign, decimal point and exponent. Python's
# int()/float() (and numpy, which calls them) also take '1_000', 'nan', 'inf', ' 1' and non-ASCII
# digits: none of these is a number in a data file.
# Within these characters Python's grammar is the strict one, so one scan of all the tokens plus
# numpy's conversion enforces it at C speed; only a failure goes token by token.
_INT_CHARS = b"0123456789+-"
_FLOAT_CHARS = b"0123456789+-.eE"
_INT64 = 2**63

MAX_WEIGHT = 1e15  # |arc weight|: sums stay finite and LP costs stay far below HiGHS's infinity (1e20)
MAX_ISOLATED = 1_000_000  # DIMACS vertices beyond those the arcs can touch
MAX_GRID_SIDE = 5_000  # a generated grid's side: 4·side·(side−1) arcs, 100M and some 2.4 GB of arrays at most


class NumberError(ValueError):
    """The first token of a list that is not a number under the strict grammar."""

    def __init__(self, index: int, token: str, reason: str):
        super().__init__(f"{token!r} {reason}")
        self.index, self.token, self.reason = index, token, reason

    def describe(self, what: str) -> str:
        """``what`` and the problem, for an error message: "weight 'nan' is not a number"."""
        return f"{what} is missing" if not self.token.strip() else f"{what} {self.token[:40]!r} {self.reason}"


def only_chars(text: str, allowed: bytes) -> bool:
    """True when ``text`` holds only the ASCII characters in ``allowed``."""
    return text.isascii() and not text.encode("ascii").translate(None, allowed)


def parse_numbers(tokens: Sequence[str] | Sequence[bytes], integer: bool = False, checked: bool = False) -> np.ndarray:
    """``tokens`` (str, or ASCII bytes) as int64 or finite float64 values under the strict grammar;
    ``NumberError`` names the first bad token. ``checked``: the caller has already seen
    (``only_chars``) that the tokens hold no characters other than the grammar's and some letters
    that no number contains."""
    if not tokens:
        return np.zeros(0, dtype=np.int64 if integer else np.float64)
    if not checked and isinstance(tokens[0], str):
        checked = only_chars("".join(tokens), _INT_CHARS if integer else _FLOAT_CHARS)
    if checked:
        try:
            values = np.array(tokens, dtype=np.int64 if integer else np.float64).reshape(len(tokens))
        except (ValueError, OverflowError):
            pass
        else:
            if integer or np.isfinite(values).all():
                return values
    pattern = INTEGER if integer else DECIMAL
    for k, item in enumerate(tokens):
        tok = item.decode("utf-8", "replace") if isinstance(item, bytes) else item
        if not pattern.fullmatch(tok):
            raise NumberError(k, tok, "is not an integer" if integer else "is not a number")
        if integer and not -_INT64 <= int(tok) < _INT64:
            raise NumberError(k, tok, "does not fit in a 64-bit integer")
        if not integer and not np.isfinite(float(tok)):
            raise NumberError(k, tok, "is too large for a 64-bit float")
    raise AssertionError("parse_numbers: no bad token found")  # pragma: no cover


def read_text(path: str | Path) -> str:
    """A file's text as UTF-8 (a leading byte-order mark dropped); a missing file, a directory or
    bytes that are not UTF-8 raise ``InputError`` naming the file (and the line of the bad byte)."""
    path = Path(path)
    return decode_text(path, read_data(path))


def read_data(path: Path) -> bytes:
    """A file's bytes; a missing file, a directory or an unreadable one raise ``InputError``."""
    if path.is_dir():
        raise InputError("is a directory, not a file", path)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    except OSError as err:
        raise InputError(f"cannot be read: {err.strerror or err}", path) from None


def decode_text(path: Path, data: bytes) -> str:
    """``data`` as UTF-8 text without a leading byte-order mark; a byte that is not UTF-8 is an
    ``InputError`` naming its line and column."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = data.count(b"\n", 0, err.start) + 1
        column = err.start - data.rfind(b"\n", 0, err.start)
        raise InputError(f"byte 0x{data[err.start]:02x} in column {column} is not UTF-8 text", path, line) from None


def check_last_newline(path: Path, text: str, what: str = "line", ending: str = "") -> None:
    """A last data line without its newline may be a file cut short (mid-number: '94.55' read as '94')."""
    if text and not text.endswith("\n"):
        raise InputError(
            f"the last {what} has no newline at its end{ending}: the file may be cut short "
            f"(end it with a newline{' and EOF' if ending else ''} if it is complete)",
            path,
            text.count("\n") + 1,
        )


def csv_rows(
    path: Path, text: str, dialect: type[csv.Dialect] = csv.excel, comments: bool = False
) -> tuple[list[list[str]], list[int]]:
    """The rows of a CSV text that hold something, with their line numbers; ``comments``: rows
    starting with '#' are skipped too. A last row without its newline is refused (truncation)."""
    reader = csv.reader(io.StringIO(text), dialect)
    collecting = gc.isenabled()
    gc.disable()  # keeping many row lists alive sets off full collections again and again: 2-3x slower
    try:
        rows = list(reader)
    except csv.Error as err:
        raise InputError(f"not valid CSV: {err}", path, max(reader.line_num, 1)) from None
    finally:
        if collecting:
            gc.enable()
    if reader.line_num == len(rows):  # one row per line: no quoted field spans lines
        lines = list(range(1, len(rows) + 1))
    else:
        reader = csv.reader(io.StringIO(text), dialect)
        lines = [reader.line_num for _ in reader]
    # Per-row work kept to a cheap test: rows are skipped only when blank (or comments).
    keep = [i for i, r in enumerate(rows) if r and ((r[0] and not r[0].isspace()) or any(c.strip() for c in r))]
    if comments:
        keep = [i for i in keep if not rows[i][0].lstrip().startswith("#")]
    if len(keep) != len(rows):
        rows, lines = [rows[i] for i in keep], [lines[i] for i in keep]
    last = text[text.rfind("\n") + 1 :].strip()  # what follows the last newline: a row cut short?
    if last and not (comments and last.startswith("#")):
        check_last_newline(path, text, "row")
    return rows, lines


# --- DIMACS -----------------------------------------------------------------------------------------
_ARC_START = re.compile(r"^[^\S\n]*a(?=\s|$)", re.M)  # the first arc line
_NATURAL = re.compile(r"[0-9]+")
_DIMACS_CHARS = b"0123456789+-.eEa \t\r\n"


def read_dimacs(path: str | Path) -> Graph:
    """DIMACS shortest-path format: ``c`` comments, one ``p sp N M`` line, then ``a u v w`` arcs
    (fields separated by any whitespace). Sizes are checked against the file before anything
    proportional to them is allocated; every error names the line."""
    path = Path(path)
    data = read_data(path)
    text = decode_text(path, data)
    found = _ARC_START.search(text)
    start = found.start() if found else len(text)
    first_line = text.count("\n", 0, start) + 1  # of the first arc
    n, m, p_line = _problem_line(path, text[:start], first_line if found else None)
    # The arcs as bytes: splitting and converting bytes is a third faster than str.
    bom = 3 if data.startswith(b"\xef\xbb\xbf") else 0
    body = data[bom + len(text[:start].encode()) :]
    body_newlines = body.count(b"\n")
    total_lines = first_line - 1 + body_newlines + (0 if data.endswith(b"\n") else 1)
    if m > total_lines - p_line:
        raise InputError(
            f"the problem line announces {m} arcs but only {total_lines - p_line} lines follow it", path, p_line
        )
    if n > 2 * m + MAX_ISOLATED:
        raise InputError(
            f"the problem line announces {n} vertices but its {m} arcs touch at most {2 * m}; "
            f"more than {MAX_ISOLATED} vertices without arcs are refused",
            path,
            p_line,
        )
    last = text[text.rfind("\n") + 1 :].split()
    if last and last[0] == "a":
        check_last_newline(path, text, "arc line")
    plain = _plain_arcs(body)
    if plain is not None:
        _check_arc_count(path, m, len(plain), p_line)
        tail_ids, head_ids, weight = plain.T
        return _graph_from_arcs(path, n, tail_ids, head_ids, weight.astype(float), lambda arc: first_line + arc)
    tokens: list[bytes] | list[str] = body.split()
    k = len(tokens) // 4
    tail = body[-256:]  # blank lines at the end of the file are no arc lines
    body_lines = body_newlines - tail[len(tail.rstrip()) :].count(b"\n") + 1
    # The usual layout: every line is an arc. Then each line starts with an 'a' token and the
    # 'a' tokens sit every 4 tokens (the other fields must parse as numbers), so each line has
    # exactly 4 fields. Anything else (comments among the arcs, blank lines, leading spaces, a
    # malformed line, other characters) goes line by line.
    arc_lines: list[int] | None = None
    fast = bool(tokens) and (
        len(tokens) == 4 * k
        and body_lines == body.count(b"\na") + body.startswith(b"a") == k
        and tokens[::4].count(b"a") == k  # one-byte bytes are shared objects: an identity test each
        and not body.translate(None, _DIMACS_CHARS)
    )
    if not fast:
        tokens, arc_lines = _arc_tokens(path, text[start:], first_line)
        k = len(tokens) // 4
    _check_arc_count(path, m, k, p_line)

    def line_of(arc: int) -> int:
        return first_line + arc if arc_lines is None else arc_lines[arc]

    errors: list[tuple[int, str]] = []
    columns: list[np.ndarray] = []
    for field, what in ((1, "tail vertex"), (2, "head vertex"), (3, "weight")):
        try:
            columns.append(parse_numbers(tokens[field::4], integer=field < 3, checked=fast))
        except NumberError as err:
            errors.append((err.index, err.describe(what)))
    if errors:
        arc, message = min(errors)
        raise InputError(message, path, line_of(arc))
    return _graph_from_arcs(path, n, *columns, line_of)


def _check_arc_count(path: Path, announced: int, found: int, p_line: int) -> None:
    if found != announced:
        raise InputError(f"the problem line announces {announced} arcs but the file has {found}", path, p_line)


def _graph_from_arcs(
    path: Path, n: int, tail_ids: np.ndarray, head_ids: np.ndarray, weight: np.ndarray, line_of: Callable[[int], int]
) -> Graph:
    outside = (tail_ids < 1) | (tail_ids > n) | (head_ids < 1) | (head_ids > n)
    if outside.any():
        arc = int(np.argmax(outside))
        raise InputError(f"arc {tail_ids[arc]} -> {head_ids[arc]} names a vertex outside 1..{n}", path, line_of(arc))
    _check_weights(path, weight, line_of)
    return Graph(tail_ids - 1, head_ids - 1, weight, np.arange(1, n + 1), source=str(path))


_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[list(b"0123456789")] = True
_PLAIN_CHARS = b"0123456789-a \t\r\n"  # of these, exactly the whitespace sorts below b"!"
_INT64_ENDS = (np.iinfo(np.int64).min, np.iinfo(np.int64).max)


def _plain_arcs(body: bytes) -> np.ndarray | None:
    """The arcs as a (k, 3) int64 array of tail, head and weight when every line of ``body`` is
    ``a TAIL HEAD WEIGHT`` in plain integers (the usual file), checked with whole-array operations;
    None for anything else (comments or blank lines among the arcs, decimals, signs out of place,
    values that may overflow), which goes token by token and gets its errors there."""
    if not body or body.translate(None, _PLAIN_CHARS):
        return None
    b = np.frombuffer(body, dtype=np.uint8)
    ink = b > ord(" ")
    starts = np.flatnonzero(ink[1:] > ink[:-1]) + 1  # where a token begins
    if ink[0]:
        starts = np.r_[0, starts]
    newlines = np.flatnonzero(b == ord("\n"))
    k = starts.size // 4
    if k == 0 or starts.size != 4 * k or newlines.size < k:
        return None
    # Line i holds tokens 4i..4i+3: its newline falls after token 4i+3 and before token 4i+4
    # (lines after the last arc hold no tokens then).
    if not (np.all(newlines[:k] > starts[3::4]) and np.all(newlines[: k - 1] < starts[4::4])):
        return None
    first = starts[::4]
    if body.count(b"a") != k or not (np.all(b[first] == ord("a")) and not np.any(ink[first + 1])):
        return None  # 'a', alone, begins each line and appears nowhere else
    if b"-" in body:
        minus = np.flatnonzero(b == ord("-"))
        if minus[-1] == b.size - 1 or np.any(ink[minus - 1]) or not np.all(_DIGIT[b[minus + 1]]):
            return None  # a sign that does not begin a number ('a' begins every line: minus > 0)
    try:
        values = np.fromstring(body.translate(None, b"a"), dtype=np.int64, sep=" ")
    except ValueError:
        return None
    if values.size != 3 * k or values.min() == _INT64_ENDS[0] or values.max() == _INT64_ENDS[1]:
        return None  # numpy saturates a value that overflows: such files go token by token
    if b"-0" in body and not values[2::3].all():
        return None  # a weight '-0' is the float -0.0 that the token-by-token reading keeps
    return values.reshape(k, 3)


def _check_weights(path: Path, weight: np.ndarray, line_of: Callable[[int], int]) -> None:
    big = np.abs(weight) > MAX_WEIGHT
    if big.any():
        arc = int(np.argmax(big))
        raise InputError(
            f"weight {weight[arc]:g} is too large: weights are limited to ±{MAX_WEIGHT:g} so that "
            "path and tree lengths stay finite and exact enough",
            path,
            line_of(arc),
        )


def _problem_line(path: Path, head: str, first_arc: int | None) -> tuple[int, int, int]:
    """Nodes, arcs and line of the ``p sp N M`` line among the lines before the first arc."""
    found: tuple[int, int, int] | None = None
    for lineno, raw in enumerate(head.split("\n"), 1):
        parts = raw.split()
        if not parts or parts[0].startswith("c"):
            continue
        if parts[0] != "p":
            raise InputError(f"unknown line type {parts[0][:20]!r} (DIMACS lines start with c, p or a)", path, lineno)
        if found is not None:
            raise InputError(f"a second problem line (the first is line {found[2]})", path, lineno)
        if len(parts) != 4 or not (_NATURAL.fullmatch(parts[2]) and _NATURAL.fullmatch(parts[3])):
            raise InputError(f"malformed problem line {raw.strip()[:60]!r} (expected 'p sp NODES ARCS')", path, lineno)
        found = (int(parts[2]), int(parts[3]), lineno)
    if found is None:
        raise InputError("no problem line 'p sp NODES ARCS' before the first arc", path, first_arc)
    return found


def _arc_tokens(path: Path, body: str, first_line: int) -> tuple[list[str], list[int]]:
    """Arc tokens (4 per arc) and each arc's line, checking every line of the arc part."""
    tokens: list[str] = []
    lines: list[int] = []
    for lineno, raw in enumerate(body.split("\n"), first_line):
        parts = raw.split()
        if not parts or parts[0].startswith("c"):
            continue
        if parts[0] == "a":
            if len(parts) != 4:
                missing = ("tail, head and weight", "head and weight", "weight")
                problem = f"is missing its {missing[len(parts) - 1]}" if len(parts) < 4 else f"has {len(parts)} fields"
                raise InputError(
                    f"arc line {raw.strip()[:60]!r} {problem} (expected 'a TAIL HEAD WEIGHT')", path, lineno
                )
            tokens.extend(parts)
            lines.append(lineno)
        elif parts[0] == "p":
            raise InputError("a second problem line, or one after the first arc", path, lineno)
        else:
            raise InputError(f"unknown line type {parts[0][:20]!r} (DIMACS lines start with c, p or a)", path, lineno)
    return tokens, lines


# --- CSV edge lists -------------------------------------------------------------------------------
_HEADER_WORDS = ("source", "from", "u", "tail", "src")


def read_edge_csv(path: str | Path) -> Graph:
    """CSV edge list: ``source,target[,weight]`` per row and an optional header row; ``#`` rows are
    comments. Either every row has a weight or none has (then every weight is 1): a row missing a
    field that the header or other rows have is an error. Vertex names that are all integers are
    read as integers (int64)."""
    path = Path(path)
    text = read_text(path)
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    rows, lines = csv_rows(path, text, dialect, comments=True)
    if not rows:
        raise InputError("the file has no edges", path)
    first = [c.strip() for c in rows[0]]
    header = None
    if (len(first) >= 3 and _is_word(first[2])) or (len(first) == 2 and first[0].lower() in _HEADER_WORDS):
        header, header_line, rows, lines = first, lines[0], rows[1:], lines[1:]
        if len(header) > 3:
            raise InputError(f"the header has {len(header)} fields; expected source,target[,weight]", path, header_line)
        if not rows:
            raise InputError("the file has no edges, only a header", path, header_line)
    widths = list(map(len, rows))
    width = len(header) if header else min(max(widths), 3)
    if width < 2:
        raise InputError("one field where 'source,target[,weight]' is expected", path, lines[0])
    if min(widths) != width or max(widths) != width:
        i = next(i for i, w in enumerate(widths) if w != width)
        others = "the header has" if header else "other rows have"
        if widths[i] > width:
            message = f"{widths[i]} fields; expected {width} (source,target{',weight' if width == 3 else ''})"
        else:
            missing = "its weight is missing" if width == 3 and widths[i] == 2 else "fields are missing"
            message = (
                f"{widths[i]} field{'s' * (widths[i] != 1)} where {others} {width} (source,target[,weight]): {missing}"
            )
        raise InputError(message, path, lines[i])
    # Stripping a million cells is slow: only when the text has whitespace other than line ends.
    blanks = not text.isascii() or any(c in text for c in " \t\x0b\x0c\x1c\x1d\x1e\x1f")
    columns = [list(map(itemgetter(j), rows)) for j in range(width)]
    if blanks:
        columns = [[c.strip() for c in col] for col in columns]
    names = columns[0] + columns[1]
    k = len(rows)
    if "" in names:
        i = names.index("")
        raise InputError(f"the {'source' if i < k else 'target'} vertex is missing", path, lines[i % k])
    ids: np.ndarray = np.array(names)
    if all(c in "0123456789+-" for c in set("".join(names))):  # cheap test before the strict one
        try:
            ids = parse_numbers(names, integer=True)
        except NumberError as err:
            if err.reason.startswith("does not fit") and all(INTEGER.fullmatch(s) for s in names):
                raise InputError(err.describe("vertex id"), path, lines[err.index % k]) from None
    if width == 3:
        try:
            weight = parse_numbers(columns[2])
        except NumberError as err:
            raise InputError(err.describe("weight"), path, lines[err.index]) from None
        _check_weights(path, weight, lambda i: lines[i])
    else:
        weight = np.ones(k)
    uniq, inverse = np.unique(ids, return_inverse=True)
    return Graph(inverse[:k], inverse[k:], weight, uniq, source=str(path))


def _is_word(cell: str) -> bool:
    """A header cell: a name such as 'weight' (starting with a letter), not 'nan' or 'inf'."""
    if not cell or not (cell[0].isalpha() or cell[0] == "_"):
        return False
    try:
        float(cell)
    except ValueError:
        return True
    return False


def from_networkx(g: Any, weight: str = "weight") -> Graph:
    """A graph from a networkx (Di)Graph; missing weights count 1."""
    nodes = list(g.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    edges = list(g.edges(data=weight, default=1.0))
    tail = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    head = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    w = np.array([float(d) for _, _, d in edges])
    if not np.isfinite(w).all():
        u, v, d = edges[int(np.argmin(np.isfinite(w)))]
        raise InputError(f"edge {u!r} -> {v!r} has weight {d}; weights must be finite numbers", "<networkx>")
    ids = np.empty(len(nodes), dtype=object)
    ids[:] = nodes
    if not g.is_directed():  # an undirected edge is an arc each way
        tail, head, w = np.r_[tail, head], np.r_[head, tail], np.r_[w, w]
    return Graph(tail, head, w, ids, directed=True, source="<networkx>")


def grid_graph(side: int, seed: int = 0, max_weight: int = 100) -> Graph:
    """A ``side`` x ``side`` grid with arcs both ways between neighbours, random integer weights."""
    if side > MAX_GRID_SIDE:
        arcs = 4 * MAX_GRID_SIDE * (MAX_GRID_SIDE - 1)
        raise InputError(f"a grid side of at most {MAX_GRID_SIDE} is generated ({arcs:,} arcs), got {side}")
    rng = np.random.default_rng(seed)
    idx = np.arange(side * side).reshape(side, side)
    right = np.c_[idx[:, :-1].ravel(), idx[:, 1:].ravel()]
    down = np.c_[idx[:-1, :].ravel(), idx[1:, :].ravel()]
    pairs = np.r_[right, down]
    tail = np.r_[pairs[:, 0], pairs[:, 1]]
    head = np.r_[pairs[:, 1], pairs[:, 0]]
    weight = rng.integers(1, max_weight + 1, size=tail.size).astype(float)
    return Graph(tail, head, weight, np.arange(1, side * side + 1), source=f"<grid {side}x{side}>")


def write_dimacs(graph: Graph, path: str | Path) -> None:
    ids = np.asarray(graph.ids)
    weights = graph.weight.astype(np.int64) if np.all(graph.weight == np.round(graph.weight)) else graph.weight
    body = "\n".join(
        f"a {a} {b} {w}" for a, b, w in zip(ids[graph.tail].tolist(), ids[graph.head].tolist(), weights.tolist())
    )
    Path(path).write_text(f"p sp {graph.num_vertices} {graph.num_arcs}\n{body}\n")
