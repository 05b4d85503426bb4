"""``auto``: recognise a network-flow LP and solve it combinatorially, with an LP certificate.

A network LP has a node-arc incidence matrix (each column one +1 at its tail and one -1 at its
head; a column with one entry has its other end at the node whose conservation row was dropped),
equality rows (supplies) and x >= 0. Then:

* one unit from s to t with costs >= 0 and no capacities is a shortest path: Dijkstra, and the
  row duals (node potentials) are the distances *to* t, which makes reduced costs >= 0;
* integral supplies, costs and capacities are a min-cost flow: OR-Tools' network simplex, with
  potentials from shortest distances in the residual graph.

Either way the primal point and the duals go through optmodel's verification (primal feasible,
dual feasible, equal objectives), which is the certificate. Anything else goes to the best
general backend.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from optmodel.backend import Adapter, Capability, RawResult, SolveOptions
from optmodel.solution import Termination

if TYPE_CHECKING:
    from collections.abc import Sequence

    from optmodel.canonical import CanonicalForm
    from optmodel.lazy import LazyFamily

_CAPS = frozenset({Capability.LP, Capability.MIP, Capability.DUALS, Capability.WARM_START})
_EXACT = 2.0**53  # floats hold every integer below this
_COST_LIMIT = 2.0**62  # a flow's total cost stays clear of int64's 2^63


@dataclass
class Network:
    tail: np.ndarray
    head: np.ndarray
    supply: np.ndarray  # one per node; the last node is the implied one when ``implied``
    implied: bool  # a node whose conservation row was dropped (the flow's sink side)
    num_rows: int

    @property
    def num_nodes(self) -> int:
        return self.supply.shape[0]


def recognise(form: CanonicalForm) -> tuple[Network | None, str]:
    """The network behind ``form``, or None and the reason it is not one."""
    if form.num_cols == 0 or form.num_rows == 0:
        return None, "the model has no constraints or no variables"
    if not np.array_equal(form.row_lower, form.row_upper):
        return None, "not every constraint is an equation (flow conservation)"
    if np.any(form.col_lower != 0):
        return None, "not every variable has lower bound 0"
    # Read row-wise, as the form holds it (no transposition): each entry's row and column.
    A = form.A
    data, col = A.data[: A.nnz], A.indices[: A.nnz]
    if not np.all(np.abs(data) == 1):
        return None, "the matrix has entries other than +1 and -1"
    counts = np.bincount(col, minlength=form.num_cols)
    if counts.min(initial=1) == 0 or counts.max(initial=0) > 2:
        return None, "a column has no entry or more than two entries"
    row = np.repeat(np.arange(form.num_rows, dtype=col.dtype), np.diff(A.indptr))
    plus, minus = data > 0, data < 0
    if np.bincount(col[plus], minlength=form.num_cols).max(initial=0) > 1 or (
        np.bincount(col[minus], minlength=form.num_cols).max(initial=0) > 1
    ):
        return None, "a column has two entries of the same sign"
    implied_node = form.num_rows
    tail = np.full(form.num_cols, implied_node)
    head = np.full(form.num_cols, implied_node)
    tail[col[plus]] = row[plus]
    head[col[minus]] = row[minus]
    supply = form.row_lower.astype(float)
    # The dropped row's node exists when arcs end there or the supplies do not balance.
    implied = bool(np.any(counts == 1)) or supply.sum() != 0
    supply = np.append(supply, -supply.sum()) if implied else supply
    return Network(tail, head, supply, implied, form.num_rows), ""


class Auto(Adapter):
    name = "auto"
    description = "network LPs by Dijkstra / min-cost flow with an LP certificate; others to the best backend"
    modules = ("scipy",)
    distribution = "scipy"
    subsolvers = {"auto": _CAPS}

    def load(self, form: CanonicalForm, options: SolveOptions, families: Sequence[LazyFamily] = ()) -> None:
        self.form = form
        self.delegate: Adapter | None = None
        self.network, reason = recognise(form) if form.sense.sign > 0 else (None, "the objective is maximised")
        if self.network is not None:
            self.reason = _network_refusal(form, self.network)
            if not self.reason:
                return
            self.network, reason = None, self.reason
        self.delegate = _general_adapter(form)
        self.delegate.load(form, options, families)
        self.reason = reason

    def run(self, options: SolveOptions) -> RawResult:
        if self.delegate is not None:
            raw = self.delegate.run(options)
            raw.stats["auto"] = f"general backend {self.delegate.label}: {self.reason}"
            return raw
        return _solve_network(self.form, self.network)

    def iis(self) -> list[str] | None:
        return self.delegate.iis() if self.delegate is not None else None

    @property
    def label(self) -> str:
        delegate = getattr(self, "delegate", None)
        return f"auto>{delegate.label}" if delegate is not None else super().label


def _general_adapter(form: CanonicalForm) -> Adapter:
    """The first preferred LP/MIP adapter that is installed and can take the form."""
    from optmodel.dispatch import PREFERENCE, backend_class
    from optmodel.errors import CapabilityError

    need = Capability.MIP if form.is_mip else Capability.LP
    for name in PREFERENCE:
        cls = backend_class(name)
        if cls is None or cls is Auto or not issubclass(cls, Adapter) or cls.unavailable_reason():
            continue
        for sub, caps in cls.subsolvers.items():
            if need in caps:
                return cls(sub)
    raise CapabilityError("auto found no general backend for this model")


def _network_refusal(form: CanonicalForm, net: Network) -> str:
    """Why the network cannot go to a combinatorial algorithm ('' when it can)."""
    c = form.c
    if _is_shortest_path(form, net):
        return ""
    # OR-Tools' min-cost flow counts in int64: supplies, capacities and costs must be exact integers
    # there (below 2^53, where floats hold every integer) and a flow's cost must not overflow.
    caps = form.col_upper[np.isfinite(form.col_upper)]
    total = float(np.abs(net.supply).sum())
    largest = max(total, float(np.abs(c).max(initial=0.0)), float(caps.max(initial=0.0)))
    if not largest < _EXACT or not total * float(np.abs(c).max(initial=0.0)) < _COST_LIMIT:
        return "a network LP with data too large for min-cost flow's 64-bit integers"
    integral = all(np.array_equal(a, np.round(a)) for a in (c, net.supply, form.col_upper[np.isfinite(form.col_upper)]))
    if not integral:
        return "a network LP with fractional data (min-cost flow needs integers)"
    if np.any(c < 0) and not np.all(np.isfinite(form.col_upper)):
        return "a network LP with negative costs on uncapacitated arcs (possible negative cycles)"
    return ""


def _is_shortest_path(form: CanonicalForm, net: Network) -> bool:
    sources = np.flatnonzero(net.supply > 0)
    return bool(
        np.all(np.isinf(form.col_upper))
        and np.all(form.c >= 0)
        and sources.size == 1
        and net.supply[sources[0]] == 1
        and np.count_nonzero(net.supply) == 2
    )


def _solve_network(form: CanonicalForm, net: Network) -> RawResult:
    if _is_shortest_path(form, net):
        s, t = int(np.flatnonzero(net.supply > 0)[0]), int(np.flatnonzero(net.supply < 0)[0])
        return _shortest_path(form, net, s, t)
    return _min_cost_flow(form, net)


def _shortest_path(form: CanonicalForm, net: Network, s: int, t: int) -> RawResult:
    from scipy.sparse.csgraph import dijkstra

    n = net.num_nodes
    c = form.c
    # Dijkstra on the reversed graph gives distances *to* t, and a tree pointing towards t.
    arcs, keys = _cheapest(net.tail, net.head, c, with_keys=True)
    graph = _graph(net.head[arcs], net.tail[arcs], c[arcs], n)
    dist, pred = dijkstra(graph, indices=t, return_predecessors=True)
    raw = RawResult(Termination.OPTIMAL, stats={"method": "dijkstra"})
    if not np.isfinite(dist[s]):
        raw.termination = Termination.INFEASIBLE
        raw.stats["infeasibility"] = "no path: the vertices that can reach the target exclude the source"
        return raw
    # Walk s -> t along the predecessor tree (pred points towards t on the reversed graph); each
    # step's arc is found among the arcs sorted by (tail, head), all steps in one search.
    path = [s]
    while path[-1] != t:
        path.append(int(pred[path[-1]]))
    v, w = np.array(path[:-1], dtype=np.int64), np.array(path[1:], dtype=np.int64)
    x = np.zeros(form.num_cols)
    x[arcs[np.searchsorted(keys, v * (int(net.head.max(initial=0)) + 1) + w)]] = 1.0
    potential = np.where(np.isfinite(dist), dist, dist[np.isfinite(dist)].max())
    y = potential[: net.num_rows] - (potential[-1] if net.implied else 0.0)
    raw.x, raw.row_duals = x, y  # the core derives the reduced costs c - Aᵀy
    return raw


def _cheapest(tail: np.ndarray, head: np.ndarray, cost: np.ndarray, with_keys: bool = False) -> Any:
    """Indices of the cheapest arc of each (tail, head) pair, sorted by (tail, head): csgraph would
    sum parallel arcs. ``with_keys``: also their keys ``tail * (max head + 1) + head``, ascending."""
    key = tail.astype(np.int64) * (int(head.max(initial=0)) + 1) + head
    order = np.argsort(key, kind="stable")
    sorted_keys = key[order]
    if not np.all(np.diff(sorted_keys) != 0):  # parallel arcs: the cheapest of each pair, by a three-key sort
        order = np.lexsort((cost, head, tail))
        t, h = tail[order], head[order]
        order = order[np.r_[True, (t[1:] != t[:-1]) | (h[1:] != h[:-1])]]
        sorted_keys = key[order]
    return (order, sorted_keys) if with_keys else order


def _graph(tail: np.ndarray, head: np.ndarray, cost: np.ndarray, n: int) -> sp.csr_array:
    # Built from CSR parts so that zero-cost arcs stay as explicit entries (csgraph edges).
    order = np.argsort(tail, kind="stable")
    indptr = np.r_[0, np.cumsum(np.bincount(tail, minlength=n))]
    return sp.csr_array((cost[order].astype(float), head[order], indptr), shape=(n, n))


def _min_cost_flow(form: CanonicalForm, net: Network) -> RawResult:
    from ortools.graph.python import min_cost_flow
    from scipy.sparse.csgraph import bellman_ford

    n, m = net.num_nodes, form.num_cols
    big = int(np.abs(net.supply).sum())  # no arc carries more than the total supply in a cycle-free flow
    capacity = np.where(np.isfinite(form.col_upper), form.col_upper, big).astype(np.int64)
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(net.tail, net.head, capacity, form.c.astype(np.int64))
    flow.set_nodes_supplies(np.arange(n), net.supply.astype(np.int64))
    status = flow.solve()
    raw = RawResult(Termination.ERROR, stats={"method": "min-cost-flow"})
    if status in (flow.INFEASIBLE, flow.UNBALANCED):
        raw.termination = Termination.INFEASIBLE
        return raw
    if status != flow.OPTIMAL:
        raw.message = f"OR-Tools min-cost flow stopped with status {status}"
        return raw
    x = flow.flows(np.arange(m)).astype(float)
    # Potentials: shortest distances in the residual graph from a virtual root (no negative cycles
    # at an optimum), so every residual arc has non-negative reduced cost.
    fwd = x < capacity
    bwd = x > 0
    root = n
    tails = np.r_[net.tail[fwd], net.head[bwd], np.full(n, root)]
    heads = np.r_[net.head[fwd], net.tail[bwd], np.arange(n)]
    costs = np.r_[form.c[fwd], -form.c[bwd], np.zeros(n)].astype(float)
    keep = _cheapest(tails, heads, costs)
    dist = bellman_ford(_graph(tails[keep], heads[keep], costs[keep], n + 1), indices=root)
    y = -dist[:n]
    y = y[: net.num_rows] - (y[-1] if net.implied else 0.0)
    raw.termination = Termination.OPTIMAL
    raw.x, raw.row_duals = x, y  # the core derives the reduced costs c - Aᵀy
    return raw


BACKEND = Auto
