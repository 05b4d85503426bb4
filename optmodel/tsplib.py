"""TSPLIB ``.tsp`` files: the common edge-weight types with TSPLIB's exact distance conventions.

Supported: EUC_2D, EUC_3D, CEIL_2D, MAN_2D, MAX_2D (nint / ceil of the metric), ATT (pseudo-Euclidean),
GEO, and EXPLICIT with FULL_MATRIX, UPPER_ROW, LOWER_ROW, UPPER_DIAG_ROW, LOWER_DIAG_ROW (and the
*_COL variants, which are the transposed row formats). Distances come back as an int64 matrix,
computed vectorised.

GEO follows the reference code the published optima were computed with: the degrees part of a
coordinate truncates (``(int) x``), although TSPLIB's DOC prints ``nint``; with nint the published
optimal tours of ulysses16/22 would measure 7030/7230 instead of 6859/7013.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optmodel.errors import InputError
from optmodel.graphs import NumberError, check_last_newline, parse_numbers, read_text

_NATURAL = re.compile(r"[0-9]+")  # ASCII digits only: int() also takes '1_000' and other scripts' digits

COORD_TYPES = ("EUC_2D", "EUC_3D", "CEIL_2D", "MAN_2D", "MAX_2D", "ATT", "GEO")
MATRIX_FORMATS = (
    "FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW",
    "UPPER_COL", "LOWER_COL", "UPPER_DIAG_COL", "LOWER_DIAG_COL",
)  # fmt: skip
_SKIPPED_SECTIONS = ("DISPLAY_DATA_SECTION", "FIXED_EDGES_SECTION", "TOUR_SECTION")


@dataclass
class TspInstance:
    """A symmetric TSP: city ids as in the file, integer distances, coordinates when given."""

    name: str
    dist: np.ndarray  # (n, n) int64
    ids: np.ndarray  # city ids as in the file (1..n usually)
    edge_weight_type: str
    edge_weight_format: str = ""
    coords: np.ndarray | None = None
    comment: str = ""
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.ids)

    def tour_length(self, tour: np.ndarray | list[int]) -> int:
        """Length of a closed tour given by 0-based city indices."""
        t = np.asarray(tour, dtype=np.int64)
        return int(self.dist[t, np.roll(t, -1)].sum())


def nint(x: np.ndarray) -> np.ndarray:
    """TSPLIB's ``nint``: ``(int)(x + 0.5)`` for the non-negative values distances are."""
    y = x + 0.5
    np.floor(y, out=y)
    return y.astype(np.int64)


def distances(coords: np.ndarray, kind: str) -> np.ndarray:
    """The (n, n) int64 distance matrix of ``coords`` under TSPLIB's convention ``kind``."""
    kind = kind.upper()
    c = np.asarray(coords, dtype=float)
    if kind == "GEO":
        return _geo(c)
    if kind in ("EUC_2D", "EUC_3D"):
        return nint(np.sqrt(_squared(c)))
    if kind == "CEIL_2D":
        return np.ceil(np.sqrt(_squared(c))).astype(np.int64)
    if kind == "MAN_2D":
        return nint(np.abs(c[:, None, 0] - c[None, :, 0]) + np.abs(c[:, None, 1] - c[None, :, 1]))
    if kind == "MAX_2D":
        return np.maximum(nint(np.abs(c[:, None, 0] - c[None, :, 0])), nint(np.abs(c[:, None, 1] - c[None, :, 1])))
    if kind == "ATT":
        r = np.sqrt(_squared(c) / 10.0)
        t = nint(r)
        return np.where(t < r, t + 1, t)
    raise InputError(f"unsupported EDGE_WEIGHT_TYPE {kind!r}; supported: {', '.join(COORD_TYPES)}, EXPLICIT")


def _squared(c: np.ndarray) -> np.ndarray:
    """dx² + dy² (+ dz²) for all pairs, summed in TSPLIB's order, with in-place steps."""
    total = np.subtract.outer(c[:, 0], c[:, 0])
    total *= total
    for k in range(1, c.shape[1]):
        part = np.subtract.outer(c[:, k], c[:, k])
        part *= part
        total += part
    return total


def _geo(c: np.ndarray) -> np.ndarray:
    pi = 3.141592  # TSPLIB's constant, not math.pi: the published optima depend on it
    deg = np.trunc(c)
    rad = pi * (deg + 5.0 * (c - deg) / 3.0) / 180.0
    lat, lon = rad[:, 0], rad[:, 1]
    q1 = np.cos(lon[:, None] - lon[None, :])
    q2 = np.cos(lat[:, None] - lat[None, :])
    q3 = np.cos(lat[:, None] + lat[None, :])
    arg = np.clip(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3), -1.0, 1.0)
    d = (6378.388 * np.arccos(arg) + 1.0).astype(np.int64)
    np.fill_diagonal(d, 0)  # the formula gives 1 for i == j; TSPLIB never uses d(i, i)
    return d


MAX_DIMENSION = 10_000  # cities: the dense int64 distance matrix alone takes 8·n² bytes (800 MB here)
MAX_COORDINATE = 1e9  # |x|, |y|, |z|: distances and tour lengths of up to MAX_DIMENSION cities stay exact
MAX_WEIGHT = 1e9  # an explicit edge weight, for the same reason


def matrix_size(n: int, fmt: str) -> int:
    """How many numbers an EDGE_WEIGHT_SECTION of format ``fmt`` holds for ``n`` cities."""
    fmt = fmt.upper()
    if fmt == "FULL_MATRIX":
        return n * n
    if fmt not in MATRIX_FORMATS:
        raise ValueError(f"unsupported EDGE_WEIGHT_FORMAT {fmt!r}; supported: {', '.join(MATRIX_FORMATS)}")
    return n * (n + 1) // 2 if "DIAG" in fmt else n * (n - 1) // 2


def explicit_matrix(values: np.ndarray, n: int, fmt: str) -> np.ndarray:
    """A full symmetric matrix from the numbers of an EDGE_WEIGHT_SECTION in format ``fmt``."""
    fmt = fmt.upper()
    needed = matrix_size(n, fmt)  # counted before anything of size n² is allocated
    if values.size != needed:
        raise ValueError(f"{fmt} for {n} cities needs {needed} numbers, found {values.size}")
    if fmt == "FULL_MATRIX":
        return values.reshape(n, n)
    # Column formats are the row formats of the other triangle.
    swap = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW",
            "UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}  # fmt: skip
    fmt = swap.get(fmt, fmt)
    diag = "DIAG" in fmt
    if fmt.startswith("UPPER"):
        rows, cols = np.triu_indices(n, 0 if diag else 1)
    else:
        rows, cols = np.tril_indices(n, 0 if diag else -1)
    full = np.zeros((n, n), dtype=values.dtype)
    full[rows, cols] = values
    full[cols, rows] = values
    return full


@dataclass
class _Section:
    line: int  # of the *_SECTION keyword
    body: list[str]  # its lines, stripped

    def tokens(self) -> tuple[list[str], np.ndarray, np.ndarray]:
        """All tokens, the line of each input line and the cumulative token count at its end."""
        parts = [s.split() for s in self.body]
        counts = np.fromiter((len(p) for p in parts), dtype=np.int64, count=len(parts))
        return [t for p in parts for t in p], self.line + 1 + np.arange(len(parts)), np.cumsum(counts)

    def line_of(self, index: int, lines: np.ndarray, ends: np.ndarray) -> int:
        """The line of token ``index`` (the line after the section's last one when past its end)."""
        k = int(np.searchsorted(ends, index, side="right"))
        return int(lines[k]) if k < len(lines) else self.line + 1 + len(self.body)


def read_tsplib(path: str | Path) -> TspInstance:
    """Read a symmetric TSPLIB ``.tsp`` file; malformed input raises ``InputError`` naming the line.

    Sizes are checked against the numbers present before an n×n matrix is allocated; a file that
    ends inside a line without an ``EOF`` line is refused as possibly cut short."""
    path = Path(path)
    text = read_text(path)
    lines = text.split("\n")
    headers: dict[str, str] = {}
    where: dict[str, int] = {}  # header or section -> its line
    sections: dict[str, _Section] = {}
    ended = False
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        key = raw.split(":", 1)[0].strip().upper()
        if key == "EOF":
            ended = True
            break
        if key in where and key != "COMMENT":
            raise InputError(f"{key} appears twice (first on line {where[key]})", path, i)
        if key.endswith("_SECTION"):
            where[key] = i
            body: list[str] = []
            while i < len(lines):
                s = lines[i].strip()
                head = s.split(":", 1)[0].strip().upper()
                if head == "EOF" or head.endswith("_SECTION") or (":" in s and head in _HEADER_KEYS):
                    break
                body.append(s)
                i += 1
            sections[key] = _Section(where[key], body)
            continue
        if ":" not in raw:
            raise InputError(f"expected 'KEY : value' or a *_SECTION line, got {raw[:60]!r}", path, i)
        value = raw.split(":", 1)[1].strip()
        headers[key] = f"{headers[key]} {value}" if key in headers else value  # COMMENT may repeat
        where.setdefault(key, i)
    if not ended and lines[-1].strip():
        check_last_newline(path, text, "line", " and the file has no EOF line")
    return _build(path, headers, where, sections)


_HEADER_KEYS = {
    "NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "EDGE_WEIGHT_TYPE", "EDGE_WEIGHT_FORMAT",
    "EDGE_DATA_FORMAT", "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE",
}  # fmt: skip


def _first_word(headers: dict[str, str], key: str) -> str:
    value = headers.get(key, "").split()
    return value[0].upper() if value else ""


def _dimension(path: Path, headers: dict[str, str], where: dict[str, int]) -> int:
    if "DIMENSION" not in headers:
        raise InputError("missing DIMENSION header", path)
    value = headers["DIMENSION"]
    if not _NATURAL.fullmatch(value):
        raise InputError(f"DIMENSION must be a whole number, got {value[:40]!r}", path, where["DIMENSION"])
    n = int(value)
    if n < 1:
        raise InputError("DIMENSION must be at least 1", path, where["DIMENSION"])
    return n


def _check_dimension(path: Path, n: int, line: int) -> None:
    if n > MAX_DIMENSION:
        raise InputError(
            f"DIMENSION {n} is too large: the dense distance matrix needs {8 * n * n / 1e9:.3g} GB; "
            f"this reader accepts at most {MAX_DIMENSION} cities",
            path,
            line,
        )


def _coordinates(path: Path, n: int, section: _Section) -> tuple[np.ndarray, np.ndarray]:
    """City ids and coordinates of a NODE_COORD_SECTION, which must list exactly n cities."""
    rows = [(section.line + 1 + k, s.split()) for k, s in enumerate(section.body) if s]
    if len(rows) != n:
        line = rows[min(n, len(rows) - 1)][0] if rows else section.line  # the first city too many, or the last
        raise InputError(f"NODE_COORD_SECTION has {len(rows)} cities, DIMENSION says {n}", path, line)
    _check_dimension(path, n, section.line)
    width = len(rows[0][1])
    for line, parts in rows:
        if len(parts) != width or width not in (3, 4):
            raise InputError(f"expected 'id x y' (or 'id x y z'), got {' '.join(parts)[:60]!r}", path, line)
    try:
        ids = parse_numbers([p[0] for _, p in rows], integer=True)
    except NumberError as err:
        raise InputError(err.describe("city id"), path, rows[err.index][0]) from None
    try:
        coords = parse_numbers([x for _, p in rows for x in p[1:]]).reshape(n, width - 1)
    except NumberError as err:
        raise InputError(err.describe("coordinate"), path, rows[err.index // (width - 1)][0]) from None
    big = np.abs(coords) > MAX_COORDINATE
    if big.any():
        k = int(np.argmax(big.any(axis=1)))
        raise InputError(
            f"coordinate {coords[k][big[k]][0]:g} is too large: coordinates are limited to ±{MAX_COORDINATE:g} "
            "so that distances and tour lengths stay exact integers",
            path,
            rows[k][0],
        )
    order = np.argsort(ids, kind="stable")
    dup = np.flatnonzero(np.diff(ids[order]) == 0)
    if dup.size:
        k = int(max(order[dup[0]], order[dup[0] + 1]))
        raise InputError(f"city id {ids[k]} appears twice in NODE_COORD_SECTION", path, rows[k][0])
    return ids, coords


def _edge_weights(path: Path, n: int, fmt: str, section: _Section, fmt_line: int) -> np.ndarray:
    """The distance matrix of an EDGE_WEIGHT_SECTION: counts first, then numbers, then the matrix."""
    try:
        needed = matrix_size(n, fmt)
    except ValueError as err:
        raise InputError(str(err), path, fmt_line) from None
    tokens, lines, ends = section.tokens()
    if len(tokens) != needed:
        # the line of the first number too many, or of the last one there is
        last = needed if len(tokens) > needed else len(tokens) - 1
        line = section.line_of(last, lines, ends) if tokens else section.line
        raise InputError(
            f"EDGE_WEIGHT_SECTION has {len(tokens)} numbers; {fmt} for DIMENSION {n} needs {needed}", path, line
        )
    _check_dimension(path, n, section.line)
    try:
        values = parse_numbers(tokens)
    except NumberError as err:
        raise InputError(err.describe("edge weight"), path, section.line_of(err.index, lines, ends)) from None
    for bad, problem in (
        (values != np.round(values), "must be an integer"),
        (values < 0, "is negative"),
        (values > MAX_WEIGHT, f"is too large (the limit is {MAX_WEIGHT:g}, so that tour lengths stay exact)"),
    ):
        if bad.any():
            k = int(np.argmax(bad))
            raise InputError(f"edge weight {values[k]:g} {problem}", path, section.line_of(k, lines, ends))
    dist = explicit_matrix(values.astype(np.int64), n, fmt)
    if fmt == "FULL_MATRIX" and not np.array_equal(dist, dist.T):
        i, j = np.argwhere(dist != dist.T)[0]
        raise InputError(
            f"the matrix is not symmetric: row {i + 1} column {j + 1} is {dist[i, j]}, row {j + 1} column {i + 1} "
            f"is {dist[j, i]} (asymmetric TSP is not supported)",
            path,
            section.line_of(int(i * n + j), lines, ends),
        )
    return dist


def _build(path: Path, headers: dict[str, str], where: dict[str, int], sections: dict[str, _Section]) -> TspInstance:
    kind = _first_word(headers, "TYPE") or "TSP"
    if kind not in ("TSP", "HCP"):
        raise InputError(f"TYPE {kind} is not supported: only symmetric TSP files (TYPE: TSP)", path, where["TYPE"])
    n = _dimension(path, headers, where)
    ewt = _first_word(headers, "EDGE_WEIGHT_TYPE")
    fmt = _first_word(headers, "EDGE_WEIGHT_FORMAT")
    name = headers.get("NAME", path.stem).removesuffix(".tsp") or path.stem
    coords = ids = None
    if "NODE_COORD_SECTION" in sections:
        ids, coords = _coordinates(path, n, sections["NODE_COORD_SECTION"])
    if ewt == "EXPLICIT":
        if "EDGE_WEIGHT_SECTION" not in sections:
            raise InputError("EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_SECTION", path, where["EDGE_WEIGHT_TYPE"])
        if not fmt:
            raise InputError(
                "EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_FORMAT header", path, where["EDGE_WEIGHT_TYPE"]
            )
        dist = _edge_weights(path, n, fmt, sections["EDGE_WEIGHT_SECTION"], where["EDGE_WEIGHT_FORMAT"])
        if ids is None:
            ids = np.arange(1, n + 1)
    elif ewt in COORD_TYPES:
        if coords is None:
            raise InputError(f"EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION", path, where["EDGE_WEIGHT_TYPE"])
        if ewt != "EUC_3D" and coords.shape[1] != 2:
            raise InputError(f"EDGE_WEIGHT_TYPE {ewt} needs 2-D coordinates", path, where["NODE_COORD_SECTION"])
        dist = distances(coords, ewt)
    elif not ewt:
        raise InputError("missing EDGE_WEIGHT_TYPE header", path)
    else:
        raise InputError(
            f"unsupported EDGE_WEIGHT_TYPE {ewt!r}; supported: {', '.join(COORD_TYPES)}, EXPLICIT",
            path,
            where["EDGE_WEIGHT_TYPE"],
        )
    np.fill_diagonal(dist, 0)
    return TspInstance(name, dist, ids, ewt, fmt, coords, headers.get("COMMENT", ""), headers)


def read_tour(path: str | Path) -> list[int]:
    """City ids of the first tour in a TSPLIB ``.tour`` file: its TOUR_SECTION, ended by -1. The ids
    must be distinct positive integers, as many as a DIMENSION header says when there is one."""
    path = Path(path)
    lines = read_text(path).split("\n")
    dimension = start = None
    for k, raw in enumerate(lines, 1):
        key = raw.split(":", 1)[0].strip().upper()
        if key.startswith("TOUR_SECTION"):
            start = k
            break
        if key == "DIMENSION" and ":" in raw:
            value = raw.split(":", 1)[1].strip()
            if not _NATURAL.fullmatch(value):
                raise InputError(f"DIMENSION must be a whole number, got {value[:40]!r}", path, k)
            dimension = int(value)
        if key == "EOF":
            break
    if start is None:
        raise InputError("no TOUR_SECTION found", path)
    tour: list[int] = []
    seen: set[int] = set()
    last = start
    for k in range(start, len(lines)):  # lines[k] is line k + 1
        for tok in lines[k].split():
            last = k + 1
            if tok == "-1":
                if not tour:
                    raise InputError("the TOUR_SECTION is empty", path, k + 1)
                if dimension is not None and len(tour) != dimension:
                    raise InputError(f"the tour has {len(tour)} cities, DIMENSION says {dimension}", path, k + 1)
                return tour
            if tok.upper() == "EOF":
                raise InputError("the TOUR_SECTION ends without its closing -1", path, k + 1)
            if not _NATURAL.fullmatch(tok) or not 1 <= int(tok) <= (dimension or 2**63 - 1):
                bound = f"1..{dimension}" if dimension is not None else "a positive 64-bit integer"
                raise InputError(f"expected a city id ({bound}) or -1, got {tok[:40]!r}", path, k + 1)
            city = int(tok)
            if city in seen:
                raise InputError(f"city {city} appears twice in the tour", path, k + 1)
            seen.add(city)
            tour.append(city)
    raise InputError("the file ends before the TOUR_SECTION's closing -1: it may be cut short", path, last)
