"""Graphs as arrays of arcs (tail, head, weight), read from DIMACS, CSV or networkx.

Vertices are numbered 0..n-1 internally; ``ids`` maps them back to the names in the input.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from optmodel.errors import InputError


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

    def incidence(self) -> sp.csr_array:
        """Vertex-arc incidence matrix: +1 where an arc leaves a vertex, -1 where it enters."""
        m = self.num_arcs
        # Column e holds +1 at its tail and -1 at its head: build it column-wise directly.
        rows = np.empty(2 * m, dtype=np.int64)
        rows[0::2], rows[1::2] = self.tail, self.head
        values = np.empty(2 * m)
        values[0::2], values[1::2] = 1.0, -1.0
        csc = sp.csc_array((values, rows, np.arange(0, 2 * m + 1, 2)), shape=(self.num_vertices, m))
        csc.sum_duplicates()  # a self-loop's +1 and -1 cancel
        return csc.tocsr()

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
    """The id as the graph stores it: ``"3"`` for integer ids is 3; networkx labels as they are."""
    if np.issubdtype(ids.dtype, np.integer):
        try:
            return int(vertex_id)
        except (TypeError, ValueError):
            return None
    if ids.dtype == object and vertex_id in set(ids.tolist()):
        return vertex_id
    return str(vertex_id)


def read_graph(path: str | Path) -> Graph:
    """A graph from a DIMACS ``.gr`` file or a CSV edge list (``source,target,weight``)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path)
    if path.suffix.lower() == ".gr":
        return read_dimacs(path)
    if path.suffix.lower() in (".csv", ".txt", ".tsv"):
        return read_edge_csv(path)
    raise InputError("unknown graph format (expected a DIMACS .gr or a .csv edge list)", path)


def read_dimacs(path: str | Path) -> Graph:
    """DIMACS shortest-path format: ``c`` comments, one ``p sp N M`` line, ``a u v w`` arcs."""
    path = Path(path)
    text = path.read_text()
    # Fast path: the usual layout, a header of c/p lines and then only arc lines.
    first = 0 if text.startswith("a") else text.find("\na ") + 1
    head_lines = text[:first].splitlines() if first > 0 else ([] if text.startswith("a") else text.splitlines())
    tokens = text[first:].split() if first > 0 or text.startswith("a") else []
    if len(tokens) % 4 or set(tokens[::4]) - {"a"}:
        lines = text.splitlines()  # comments among the arcs, or a malformed arc: go line by line
        head_lines = [ln for ln in lines if not ln.startswith("a")]
        arc_lines = [ln for ln in lines if ln.startswith("a")]
        tokens = " ".join(arc_lines).split()
        if len(tokens) != 4 * len(arc_lines) or set(tokens[::4]) - {"a"}:
            raise _first_bad_line(path, lines, None)
    n, m, lineno = _problem_line(path, text, head_lines)
    try:
        tail = np.array(tokens[1::4], dtype=np.int64) - 1
        head = np.array(tokens[2::4], dtype=np.int64) - 1
        weight = np.array(tokens[3::4], dtype=np.float64)
    except ValueError:
        raise _first_bad_line(path, text.splitlines(), n) from None
    if tail.size and (min(tail.min(), head.min()) < 0 or max(tail.max(), head.max()) >= n):
        raise _first_bad_line(path, text.splitlines(), n)
    if tail.size != m:
        raise InputError(f"the problem line announces {m} arcs but the file has {tail.size}", path, lineno)
    return Graph(tail, head, weight, np.arange(1, n + 1), source=str(path))


def _problem_line(path: Path, text: str, head_lines: list[str]) -> tuple[int, int, int]:
    """Nodes, arcs and the line number of the ``p sp N M`` line; other non-arc lines must be comments."""
    all_lines = None
    found: list[str] = []
    for ln in head_lines:
        if ln.startswith("p"):
            found.append(ln)
        elif ln.strip() and not ln.startswith("c"):
            all_lines = all_lines or text.splitlines()
            bad = all_lines.index(ln) + 1
            raise InputError(f"unknown line type {ln.split()[0]!r} (DIMACS lines start with c, p or a)", path, bad)
    lineno = text[: text.find(found[0])].count("\n") + 1 if found else None
    if len(found) != 1:
        second = text[: text.find(found[1], text.find(found[0]) + 1)].count("\n") + 1 if len(found) > 1 else None
        raise InputError("expected exactly one problem line 'p sp NODES ARCS'", path, second)
    parts = found[0].split()
    if len(parts) != 4 or not parts[2].isdigit() or not parts[3].isdigit():
        raise InputError(f"malformed problem line {found[0]!r} (expected 'p sp NODES ARCS')", path, lineno)
    return int(parts[2]), int(parts[3]), lineno


def _first_bad_line(path: Path, lines: list[str], n: int | None) -> InputError:
    for i, ln in enumerate(lines, 1):
        if not ln.startswith("a"):
            continue
        parts = ln.split()
        try:
            if len(parts) != 4:
                raise ValueError
            u, v, _ = int(parts[1]), int(parts[2]), float(parts[3])
        except ValueError:
            return InputError(f"malformed arc line {ln!r} (expected 'a TAIL HEAD WEIGHT')", path, i)
        if n is not None and not (1 <= u <= n and 1 <= v <= n):
            return InputError(f"arc {u} -> {v} names a vertex outside 1..{n}", path, i)
    return InputError("malformed arc lines", path)


def read_edge_csv(path: str | Path) -> Graph:
    """CSV edge list: ``source,target[,weight]`` per row, an optional header row."""
    path = Path(path)
    text = path.read_text()
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    start = 0
    if rows and len(rows[0]) >= 3 and not _is_number(rows[0][2]):
        start = 1  # a header row
    elif rows and len(rows[0]) == 2 and rows[0][0].lower() in ("source", "from", "u", "tail"):
        start = 1
    src, dst, w = [], [], []
    for i, row in enumerate(rows[start:], start + 1):
        if not row or not "".join(row).strip() or row[0].startswith("#"):
            continue
        if len(row) not in (2, 3):
            raise InputError(f"expected 'source,target[,weight]', got {len(row)} fields", path, i)
        src.append(row[0].strip())
        dst.append(row[1].strip())
        try:
            w.append(float(row[2]) if len(row) == 3 else 1.0)
        except ValueError:
            raise InputError(f"weight {row[2]!r} is not a number", path, i) from None
    if not src:
        raise InputError("the file has no edges", path)
    names = np.array(src + dst)
    if all(s.lstrip("-").isdigit() for s in names.tolist()):
        names = names.astype(np.int64)
    ids, inverse = np.unique(names, return_inverse=True)
    k = len(src)
    return Graph(inverse[:k], inverse[k:], np.array(w), ids, source=str(path))


def from_networkx(g: Any, weight: str = "weight") -> Graph:
    """A graph from a networkx (Di)Graph; missing weights count 1."""
    nodes = list(g.nodes)
    index = {v: i for i, v in enumerate(nodes)}
    edges = list(g.edges(data=weight, default=1.0))
    tail = np.array([index[u] for u, _, _ in edges], dtype=np.int64)
    head = np.array([index[v] for _, v, _ in edges], dtype=np.int64)
    w = np.array([float(d) for _, _, d in edges])
    ids = np.empty(len(nodes), dtype=object)
    ids[:] = nodes
    if not g.is_directed():  # an undirected edge is an arc each way
        tail, head, w = np.r_[tail, head], np.r_[head, tail], np.r_[w, w]
    return Graph(tail, head, w, ids, directed=True, source="<networkx>")


def grid_graph(side: int, seed: int = 0, max_weight: int = 100) -> Graph:
    """A ``side`` x ``side`` grid with arcs both ways between neighbours, random integer weights."""
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


def _is_number(s: str) -> bool:
    try:
        float(s)
        return True
    except ValueError:
        return False
