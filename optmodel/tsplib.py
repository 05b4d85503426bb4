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

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optmodel.errors import InputError

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


def explicit_matrix(values: np.ndarray, n: int, fmt: str) -> np.ndarray:
    """A full symmetric matrix from the numbers of an EDGE_WEIGHT_SECTION in format ``fmt``."""
    fmt = fmt.upper()
    if fmt == "FULL_MATRIX":
        if values.size != n * n:
            raise ValueError(f"FULL_MATRIX needs {n * n} numbers, found {values.size}")
        return values.reshape(n, n)
    # Column formats are the row formats of the other triangle.
    swap = {"UPPER_COL": "LOWER_ROW", "LOWER_COL": "UPPER_ROW",
            "UPPER_DIAG_COL": "LOWER_DIAG_ROW", "LOWER_DIAG_COL": "UPPER_DIAG_ROW"}  # fmt: skip
    fmt = swap.get(fmt, fmt)
    if fmt not in ("UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW"):
        raise ValueError(f"unsupported EDGE_WEIGHT_FORMAT {fmt!r}; supported: {', '.join(MATRIX_FORMATS)}")
    diag = "DIAG" in fmt
    if fmt.startswith("UPPER"):
        rows, cols = np.triu_indices(n, 0 if diag else 1)
    else:
        rows, cols = np.tril_indices(n, 0 if diag else -1)
    if values.size != rows.size:
        raise ValueError(f"{fmt} for {n} cities needs {rows.size} numbers, found {values.size}")
    full = np.zeros((n, n), dtype=values.dtype)
    full[rows, cols] = values
    full[cols, rows] = values
    return full


def read_tsplib(path: str | Path) -> TspInstance:
    """Read a symmetric TSPLIB ``.tsp`` file; malformed input raises ``InputError`` naming the line."""
    path = Path(path)
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        raise InputError("no such file", path) from None
    lines = text.splitlines()
    headers: dict[str, str] = {}
    section_data: dict[str, tuple[int, list[str]]] = {}  # section -> (first line number, lines)
    i = 0
    while i < len(lines):
        raw = lines[i].strip()
        i += 1
        if not raw:
            continue
        key = raw.split(":", 1)[0].strip().upper()
        if key == "EOF":
            break
        if key.endswith("_SECTION"):
            start = i + 1
            body: list[str] = []
            while i < len(lines):
                s = lines[i].strip()
                head = s.split(":", 1)[0].strip().upper()
                if head == "EOF" or head.endswith("_SECTION") or (":" in s and head in _HEADER_KEYS):
                    break
                body.append(s)
                i += 1
            section_data[key] = (start, body)
            continue
        if ":" not in raw:
            raise InputError(f"expected 'KEY : value' or a *_SECTION line, got {raw[:60]!r}", path, i)
        value = raw.split(":", 1)[1].strip()
        headers[key] = value
    return _build(path, headers, section_data)


_HEADER_KEYS = {
    "NAME", "TYPE", "COMMENT", "DIMENSION", "CAPACITY", "EDGE_WEIGHT_TYPE", "EDGE_WEIGHT_FORMAT",
    "EDGE_DATA_FORMAT", "NODE_COORD_TYPE", "DISPLAY_DATA_TYPE",
}  # fmt: skip


def _numbers(path: Path, start: int, body: list[str]) -> tuple[np.ndarray, list[int]]:
    """All numbers of a section and, per number, its line (for error messages)."""
    values: list[str] = []
    where: list[int] = []
    for k, s in enumerate(body):
        parts = s.split()
        values.extend(parts)
        where.extend([start + k] * len(parts))
    try:
        return np.array(values, dtype=float), where
    except ValueError:
        for v, line in zip(values, where):
            try:
                float(v)
            except ValueError:
                raise InputError(f"expected a number, got {v!r}", path, line) from None
        raise


def _build(path: Path, headers: dict[str, str], sections: dict[str, tuple[int, list[str]]]) -> TspInstance:
    kind = headers.get("TYPE", "TSP").split()[0].upper() if headers.get("TYPE") else "TSP"
    if kind not in ("TSP", "HCP"):
        raise InputError(f"TYPE {kind} is not supported: only symmetric TSP files (TYPE: TSP)", path)
    if "DIMENSION" not in headers:
        raise InputError("missing DIMENSION header", path)
    try:
        n = int(headers["DIMENSION"])
    except ValueError:
        raise InputError(f"DIMENSION must be an integer, got {headers['DIMENSION']!r}", path) from None
    if n < 1:
        raise InputError("DIMENSION must be at least 1", path)
    ewt = headers.get("EDGE_WEIGHT_TYPE", "").split()[0].upper() if headers.get("EDGE_WEIGHT_TYPE") else ""
    fmt = headers.get("EDGE_WEIGHT_FORMAT", "").split()[0].upper() if headers.get("EDGE_WEIGHT_FORMAT") else ""
    name = headers.get("NAME", path.stem).removesuffix(".tsp") or path.stem
    coords = ids = None
    if "NODE_COORD_SECTION" in sections:
        start, body = sections["NODE_COORD_SECTION"]
        rows = [(start + k, s.split()) for k, s in enumerate(body) if s]
        if len(rows) != n:
            line = rows[-1][0] + 1 if rows else start
            raise InputError(f"NODE_COORD_SECTION has {len(rows)} cities, DIMENSION says {n}", path, line)
        width = len(rows[0][1])
        for line, parts in rows:
            if len(parts) != width or width not in (3, 4):
                raise InputError(f"expected 'id x y' (or 'id x y z'), got {' '.join(parts)!r}", path, line)
        table, where = _numbers(path, start, [" ".join(p) for _, p in rows])
        table = table.reshape(n, width)
        ids = table[:, 0].astype(np.int64)
        coords = table[:, 1:]
        if len(np.unique(ids)) != n:
            dup = int(ids[np.flatnonzero(np.diff(np.sort(ids)) == 0)[0]])
            raise InputError(f"city id {dup} appears twice in NODE_COORD_SECTION", path, start)
    if ewt == "EXPLICIT":
        if "EDGE_WEIGHT_SECTION" not in sections:
            raise InputError("EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_SECTION", path)
        if not fmt:
            raise InputError("EDGE_WEIGHT_TYPE EXPLICIT needs an EDGE_WEIGHT_FORMAT header", path)
        start, body = sections["EDGE_WEIGHT_SECTION"]
        values, where = _numbers(path, start, body)
        if np.any(values != np.round(values)):
            bad = int(np.flatnonzero(values != np.round(values))[0])
            raise InputError(f"edge weights must be integers, got {values[bad]:g}", path, where[bad])
        try:
            dist = explicit_matrix(values.astype(np.int64), n, fmt)
        except ValueError as err:
            line = where[-1] if where else start
            raise InputError(str(err), path, line) from None
        if ids is None:
            ids = np.arange(1, n + 1)
    elif ewt in COORD_TYPES:
        if coords is None:
            raise InputError(f"EDGE_WEIGHT_TYPE {ewt} needs a NODE_COORD_SECTION", path)
        if ewt != "EUC_3D" and coords.shape[1] != 2:
            raise InputError(f"EDGE_WEIGHT_TYPE {ewt} needs 2-D coordinates", path)
        dist = distances(coords, ewt)
    elif not ewt:
        raise InputError("missing EDGE_WEIGHT_TYPE header", path)
    else:
        raise InputError(f"unsupported EDGE_WEIGHT_TYPE {ewt!r}; supported: {', '.join(COORD_TYPES)}, EXPLICIT", path)
    if np.any(dist < 0):
        raise InputError("negative edge weights", path)
    if not np.array_equal(dist, dist.T):
        raise InputError("the distance matrix is not symmetric (asymmetric TSP is not supported)", path)
    np.fill_diagonal(dist, 0)
    return TspInstance(name, dist, ids, ewt, fmt, coords, headers.get("COMMENT", ""), headers)


def read_tour(path: str | Path) -> list[int]:
    """City ids of the first tour in a TSPLIB ``.tour`` file (TOUR_SECTION, ended by -1)."""
    path = Path(path)
    lines = path.read_text(errors="replace").splitlines()
    tour: list[int] = []
    inside = False
    for k, raw in enumerate(lines, 1):
        s = raw.strip()
        if not inside:
            inside = s.upper().startswith("TOUR_SECTION")
            continue
        for tok in s.split():
            try:
                v = int(tok)
            except ValueError:
                raise InputError(f"expected a city id, got {tok!r}", path, k) from None
            if v == -1:
                return tour
            tour.append(v)
    if not tour:
        raise InputError("no TOUR_SECTION found", path)
    return tour
