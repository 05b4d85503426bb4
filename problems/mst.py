"""Minimum spanning tree as the lecture's cut formulation, its cuts generated lazily.

minimise Σ_e c_e x_e  over x ∈ {0,1}^E
subject to  Σ_e x_e = |V| − 1,
            Σ_{v∈S, w∉S} x_vw ≥ 1 for every proper non-empty S ⊂ V   (a lazy family)

The cut family has one row per vertex subset; a separation oracle finds violated ones: connected
components of an integer candidate, and a minimum cut (Stoer-Wagner, after contracting edges with
x_e ≥ 1) of a fractional LP point. The one-vertex cuts are stated up front.

``--formulation directed-cut``: arcs both ways, a root r, Σ y = |V| − 1 and
Σ_{a into S} y_a ≥ 1 for every S ∌ r. Its LP relaxation is integral (Edmonds); the oracle is
reachability from the root (integer) and maximum flows from the root (fractional). It is the
default: the undirected cut LP is weak (on rome99 its bound is 992713.4 against the optimum
1186386), so branch-and-bound on it cannot finish in minutes, while the directed LP needs no
branching at all (rome99 in ~7 s with HiGHS row generation).
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError
from optmodel.expr import Var
from optmodel.graphs import Graph, read_graph
from optmodel.model import Model
from optmodel.problem import Problem, Report
from optmodel.problems import number
from optmodel.solution import Solution, Status
from optmodel.subtour import THRESHOLDS, component_labels, cut_separation, unique_rows

FLOW_SCALE = 1_000_000  # scipy's maximum flow takes integer capacities
MAX_FLOW_CUTS = 50  # violated directed cuts collected per fractional round


def random_graph(n: int, degree: float = 4.0, seed: int = 0, max_weight: int = 1000) -> Graph:
    """A connected random sparse graph: a random spanning tree plus random edges (average
    ``degree``), integer weights 1..max_weight, vertex ids 1..n."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(n)
    tree_u = order[1:]
    tree_v = order[rng.integers(0, np.arange(1, n))] if n > 1 else np.zeros(0, dtype=np.int64)
    extra = max(int(degree * n / 2) - (n - 1), 0)
    eu, ev = rng.integers(0, n, extra), rng.integers(0, n, extra)
    u, v = np.r_[tree_u, eu].astype(np.int64), np.r_[tree_v, ev].astype(np.int64)
    w = rng.integers(1, max_weight + 1, u.shape[0]).astype(float)
    g = Graph(u, v, w, np.arange(1, n + 1), directed=False, source=f"<random n={n} seed={seed}>")
    return g.undirected_simple()


def kruskal_weight(graph: Graph) -> float:
    """The minimum spanning forest's weight by scipy (the reference answer)."""
    from scipy.sparse.csgraph import minimum_spanning_tree

    g = graph.undirected_simple()
    n = g.num_vertices
    # scipy treats explicit zeros as missing edges: shift weights to keep them, then undo.
    shift = 1.0 - min(float(g.weight.min(initial=0.0)), 0.0)
    m = sp.csr_array((g.weight + shift, (g.tail, g.head)), shape=(n, n))
    t = minimum_spanning_tree(m)
    return float(t.sum() - shift * t.nnz)


def _groups(g: Graph, forest: bool) -> tuple[int, np.ndarray]:
    k, groups = component_labels(g.num_vertices, g.tail, g.head)
    if k > 1 and not forest:
        raise InputError(
            f"the graph is disconnected ({k} connected components), so it has no spanning tree; "
            "use --forest for a minimum spanning forest",
            g.source,
        )
    return k, groups


def build_cut(graph: Graph, forest: bool = False, fractional: bool = True) -> tuple[Model, Var]:
    """The cut formulation over the edges of ``graph`` (an undirected simple graph)."""
    g = graph
    n, u, v = g.num_vertices, g.tail, g.head
    k, groups = _groups(g, forest)
    m = Model("mst-cut")
    x = m.var(g.num_arcs, binary=True, name="x")
    m.add(x.sum() == n - k, name="edges")
    big = np.bincount(groups)[groups] > 1
    e = np.arange(g.num_arcs)
    inc = sp.csr_array((np.ones(2 * e.size), (np.r_[u, v], np.r_[e, e])), shape=(n, e.size))
    if big.any():
        m.add(inc[np.flatnonzero(big)] @ x >= 1, name="degree")  # the one-vertex cuts

    def cuts(values: np.ndarray) -> list[Any]:
        xe = values[x.columns]
        frac = bool(np.any(np.abs(xe - np.round(xe)) > 1e-6))
        rows = cut_separation(n, u, v, xe, 1.0, frac, groups=groups, shrink=True)
        return [rows @ x >= 1] if rows.shape[0] else []

    m.lazy(
        cuts,
        name="cut",
        fractional=fractional,
        description="Σ_{v∈S, w∉S} x_vw ≥ 1 for every proper non-empty S (within its component)",
    )
    m.minimize(g.weight @ x)
    return m, x


def build_directed(graph: Graph, forest: bool = False, fractional: bool = True) -> tuple[Model, Var]:
    """Directed cuts from a root per component: arcs both ways, an arborescence."""
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    g = graph
    n = g.num_vertices
    k, groups = _groups(g, forest)
    tail, head = np.r_[g.tail, g.head], np.r_[g.head, g.tail]
    roots = np.zeros(k, dtype=np.int64)
    roots[groups[::-1]] = np.arange(n)[::-1]  # the smallest vertex of each component
    is_root = np.zeros(n, dtype=bool)
    is_root[roots] = True
    m = Model("mst-directed-cut")
    y = m.var(tail.shape[0], binary=True, name="y")
    m.add(y.sum() == n - k, name="arcs")
    a = np.arange(tail.shape[0])
    into = sp.csr_array((np.ones(a.size), (head, a)), shape=(n, a.size))
    if (~is_root).any():
        m.add(into[np.flatnonzero(~is_root)] @ y >= 1, name="in-degree")  # one-vertex cuts

    def in_cut_rows(outside: np.ndarray) -> sp.csr_array:
        """δ^in(S) rows for the sets S = {outside == c} (c >= 0)."""
        ids = np.unique(outside[outside >= 0])
        row_of = np.full(n, -1)
        row_of[ids] = np.arange(ids.size)
        lh, lt = outside[head], outside[tail]
        enter = np.flatnonzero((lh >= 0) & (lh != lt))
        return sp.csr_array((np.ones(enter.size), (row_of[lh[enter]], enter)), shape=(ids.size, a.size))

    def unreached_sets(ya: np.ndarray, eps: float) -> np.ndarray:

        keep = ya >= eps
        adj = sp.csr_array((np.ones(int(keep.sum())), (tail[keep], head[keep])), shape=(n, n))
        reached = np.zeros(n, dtype=bool)
        for r in roots.tolist():
            reached[breadth_first_order(adj, r, directed=True, return_predecessors=False)] = True
        if reached.all():
            return np.full(n, -1)
        inside = keep & ~reached[tail] & ~reached[head]
        _, lab = component_labels(n, tail, head, inside)
        return np.where(reached, -1, lab)

    def flow_cuts(ya: np.ndarray) -> sp.csr_array:

        cap = sp.csr_array((np.rint(ya * FLOW_SCALE).astype(np.int32), (tail, head)), shape=(n, n))
        cap.sum_duplicates()
        covered = is_root.copy()
        sets = np.full(n, -1)
        found = 0
        for t in np.flatnonzero(~covered).tolist():
            if covered[t]:
                continue
            r = int(roots[groups[t]])
            res = maximum_flow(cap, r, t)
            if res.flow_value >= FLOW_SCALE * (1 - 1e-6):
                continue
            residual = sp.csr_array(cap - res.flow)
            residual.data[residual.data < 0] = 0
            residual.eliminate_zeros()
            reach = np.zeros(n, dtype=bool)
            reach[breadth_first_order(residual, r, directed=True, return_predecessors=False)] = True
            S = ~reach & (groups == groups[t]) & (sets < 0)
            sets[S] = found
            covered |= S
            found += 1
            if found >= MAX_FLOW_CUTS:
                break
        return in_cut_rows(sets) if found else sp.csr_array((0, a.size))

    def threshold_rows(ya: np.ndarray) -> sp.csr_array:
        # Sets unreached from the root along arcs with y ≥ θ, kept when their in-flow is < 1.
        found = []
        for theta in (1e-6, *THRESHOLDS):
            outside = unreached_sets(ya, theta)
            if (outside >= 0).any():
                M = in_cut_rows(outside)
                light = (M @ ya) < 1 - 1e-6
                if light.any():
                    found.append(sp.csr_array(M[np.flatnonzero(light)]))
        if not found:
            return sp.csr_array((0, a.size))
        return unique_rows(sp.csr_array(sp.vstack(found, format="csr")))

    def cuts(values: np.ndarray) -> list[Any]:
        ya = values[y.columns]
        frac = bool(np.any(np.abs(ya - np.round(ya)) > 1e-6))
        if not frac:
            outside = unreached_sets(ya, 0.5)
            rows = in_cut_rows(outside) if (outside >= 0).any() else sp.csr_array((0, a.size))
        else:
            rows = threshold_rows(ya)
            if not rows.shape[0]:
                rows = flow_cuts(ya)
        return [rows @ y >= 1] if rows.shape[0] else []

    m.lazy(
        cuts,
        name="directed-cut",
        fractional=fractional,
        description="Σ_{a into S} y_a ≥ 1 for every vertex set S without the root",
    )
    m.minimize(np.r_[g.weight, g.weight] @ y)
    return m, y


def edges_of(graph: Graph, var: Var, sol: Solution) -> np.ndarray:
    """Indices of the chosen edges of ``graph`` (either formulation)."""
    values = sol[var]
    if values.shape[0] == 2 * graph.num_arcs:  # directed: an edge is used either way
        values = values[: graph.num_arcs] + values[graph.num_arcs :]
    return np.flatnonzero(values > 0.5)


def solve_graph(
    graph: Graph,
    backend: str | None = None,
    options: SolveOptions | None = None,
    formulation: str = "directed-cut",
    forest: bool = False,
) -> Report:
    g = graph.undirected_simple()
    builder = build_directed if formulation == "directed-cut" else build_cut
    model, var = builder(g, forest=forest)
    sol = model.solve(backend, options=options or SolveOptions())
    rep = Report(sol)
    if sol.has_values and sol.status in (Status.OPTIMAL, Status.FEASIBLE, Status.TIME_LIMIT):
        chosen = edges_of(g, var, sol)
        ids = g.ids
        k, _ = component_labels(g.num_vertices, g.tail, g.head)
        rep.answer = {
            "weight": float(g.weight[chosen].sum()),
            "edges": len(chosen),
            "components": int(k),
            "formulation": formulation,
            "tree": [list(e) for e in zip(ids[g.tail[chosen]].tolist(), ids[g.head[chosen]].tolist())],
        }
        kind = "forest" if k > 1 else "tree"
        rep.lines.append(
            f"minimum spanning {kind}: weight {number(rep.answer['weight'])}, {len(chosen)} edges "
            f"({formulation} formulation)"
        )
    else:
        rep.answer = {"weight": None, "edges": None, "formulation": formulation}
    st = sol.stats
    rep.lines.append(
        f"lazy cuts: {st.get('cuts', 0)} added in {st.get('rounds', st.get('separation_rounds', 0))} rounds"
        f" ({st.get('lazy_path', '?')}), separation {st.get('separation_seconds', 0.0):.3f} s"
    )
    return rep


class MinimumSpanningTree(Problem):
    name = "mst"
    summary = "minimum spanning tree by cut formulations (directed or undirected) with lazy cuts"
    needs = frozenset({Capability.MIP})  # lazy cuts: in-solver where declared, row generation elsewhere
    formulation = [
        "minimize Σ_e c_e x_e   over x ∈ {0,1}^E",
        "subject to Σ_e x_e = |V| − 1",
        "           Σ_{v∈S, w∉S} x_vw ≥ 1   for every proper non-empty S ⊂ V",
        "(one cut constraint per vertex subset: exponentially many, generated lazily by a separation",
        " oracle — connected components of integer points, minimum cuts of fractional ones)",
    ]
    adjacent = [
        "directed cuts from a root r (--formulation directed-cut, the default): Σ_{a into S} y_a ≥ 1 for "
        "every S ∌ r; its LP relaxation is integral (Edmonds), while the undirected cut LP is weak "
        "(16% below the optimum on rome99)",
        "Kruskal's or Prim's greedy algorithm, which the matroid structure makes exact",
    ]
    sizes_help = "vertices of a random sparse graph (average degree 4)"
    example_size = 8

    def instance(self, size: int, seed: int = 0) -> Model:
        return build_cut(random_graph(size, seed=seed))[0]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--graph", metavar="FILE", help="DIMACS .gr file or CSV edge list (read as undirected)")
        src.add_argument("--random", type=int, metavar="N", help="a random connected sparse graph on N vertices")
        parser.add_argument("--degree", type=float, default=4.0, help="average degree of --random (default 4)")
        parser.add_argument("--seed", type=int, default=0, help="seed of --random (default 0)")
        parser.add_argument(
            "--formulation",
            choices=("directed-cut", "cut"),
            default="directed-cut",
            help="directed cuts from a root (default: its LP relaxation is integral) or the lecture's "
            "undirected cuts (weak LP: on rome99 its bound is 16%% below the optimum)",
        )
        parser.add_argument(
            "--forest", action="store_true", help="accept a disconnected graph: a minimum spanning forest"
        )

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        if args.random is not None:
            if args.random < 1:
                raise InputError("--random needs at least 1 vertex")
            graph = random_graph(args.random, args.degree, args.seed)
        else:
            graph = read_graph(args.graph)
        if graph.num_vertices == 0:
            raise InputError("the graph has no vertices", graph.source)
        return solve_graph(graph, backend, options, args.formulation, args.forest)


PROBLEM = MinimumSpanningTree()
