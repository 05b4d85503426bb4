"""Ordering decisions: a permutation of n items scored by the weights between neighbours.

Stated once and solved by any ordering backend (``Capability.ORDERING``)::

    m = Model("tour")
    m.minimize(ordering.tour(dist))          # closed tour, total length
    sol = m.solve("fast-tsp", time_limit=5)
    ordering.order_of(sol)                   # the permutation (0-based item indices)

    m.maximize(ordering.path(similarity))    # open path, total similarity of neighbours

Every backend solves the same closed-tour problem on a non-negative distance matrix derived here:
a maximised similarity W becomes ``max(W) - W`` (the objective is affine in the path length), and
an open path gets a dummy city at distance 0 from all others (cutting the tour there gives the
path). Backends return a tour of that problem; the base class maps it back and reports the objective;
``OrderingObjective.verify`` then checks the permutation and recomputes the objective from the
user's matrix (the objective kind's own verification, as the core's is for linear models).

Limits and Ctrl-C are the same for every backend: the search ends at the time limit, and the first
Ctrl-C (``optmodel.interrupt``) stops it with status ``interrupted`` and the best tour found so
far. Solver libraries that block run in ``interrupt.run_in_worker`` (in slices, or with their own
cancel call); Python loops here poll ``interrupt.stop_requested()``. A search stopped before its
library produced a tour returns a nearest-neighbour tour (``nearest_neighbour_tour``).
"""

from __future__ import annotations

import importlib.util
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import Backend, Capability, SolveOptions
from optmodel.canonical import Sense
from optmodel.errors import ModelError
from optmodel.solution import Solution, SolutionStatus, Status, Termination, Verification

if TYPE_CHECKING:
    from optmodel.model import Model


class OrderingObjective:
    """Sum of ``weights[a, b]`` over neighbours ``a, b`` of an order (closed: also last -> first)."""

    requirement = Capability.ORDERING

    def __init__(self, weights: Any, closed: bool, names: Sequence[str] | None = None):
        w = np.asarray(weights, dtype=float)
        if w.ndim != 2 or w.shape[0] != w.shape[1]:
            raise ModelError(f"an ordering needs a square weight matrix, got shape {w.shape}")
        if w.shape[0] < 1:
            raise ModelError("an ordering needs at least one item")
        # Cheap checks first: these matrices can have millions of entries.
        if not np.isfinite(w.sum()) and not np.all(np.isfinite(w)):
            raise ModelError("the weight matrix has NaN or infinite entries")
        if not np.array_equal(w, w.T) and not np.allclose(w, w.T, rtol=1e-9, atol=1e-12):
            raise ModelError("the weight matrix must be symmetric (asymmetric orderings are not supported)")
        if names is not None and len(names) != w.shape[0]:
            raise ModelError(f"{len(names)} names for {w.shape[0]} items")
        self.weights = w
        self.closed = bool(closed)
        self.names = list(names) if names is not None else None

    @property
    def n(self) -> int:
        return self.weights.shape[0]

    @property
    def edges(self) -> int:
        """Number of neighbour pairs an order has."""
        return self.n if (self.closed and self.n > 2) else self.n - 1

    def value(self, order: Sequence[int] | np.ndarray) -> float:
        o = np.asarray(order, dtype=np.int64)
        if len(o) < 2:
            return 0.0
        if self.closed and len(o) > 2:
            return float(self.weights[o, np.roll(o, -1)].sum())
        return float(self.weights[o[:-1], o[1:]].sum())

    def verify(self, sol: Solution) -> Verification:
        """optmodel's own check of an ordering result: ``sol.stats["order"]`` is a permutation of
        the items and ``sol.objective`` is its value recomputed from the weight matrix.

        Reads the solution only (calling it again gives the same answer); no order means no point
        (``point = False``), which is a problem only for a result claimed optimal.
        """
        check = Verification()
        order = sol.stats.get("order")
        if order is None:
            check.point = False
            if sol.termination is Termination.OPTIMAL:
                check.feasible = False
                check.problems.append("the solver claimed an optimal order but returned none")
            return check
        try:
            o = np.asarray(order)
            ok = o.ndim == 1 and o.dtype.kind in "iu" and len(o) == self.n
            ok = ok and bool(np.array_equal(np.sort(o), np.arange(self.n)))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            check.feasible = False
            check.problems.append(f"the order is not a permutation of the {self.n} items")
            return check
        actual = self.value(o)
        check.objective_recomputed = actual
        claimed = sol.objective
        if claimed is None or not math.isfinite(claimed):
            check.problems.append(f"no objective value reported for the order (recomputed: {actual:.12g})")
            return check
        check.objective_error = abs(claimed - actual) / max(1.0, abs(actual))
        if check.objective_error > 1e-9:
            check.problems.append(f"objective {claimed:.12g} differs from the recomputed {actual:.12g}")
        return check

    def __repr__(self) -> str:
        return f"<{'tour' if self.closed else 'path'} ordering of {self.n} items>"


def tour(dist: Any, names: Sequence[str] | None = None) -> OrderingObjective:
    """A closed tour (TSP): use with ``m.minimize`` for lengths."""
    return OrderingObjective(dist, closed=True, names=names)


def path(weights: Any, names: Sequence[str] | None = None) -> OrderingObjective:
    """An open path (Hamiltonian path, seriation): ``m.maximize`` similarities or ``m.minimize`` distances."""
    return OrderingObjective(weights, closed=False, names=names)


def ordering_model(
    weights: Any, closed: bool, maximize: bool = False, names: Sequence[str] | None = None, name: str = "ordering"
) -> Model:
    """A model whose only decision is the order of the items."""
    from optmodel.model import Model

    m = Model(name)
    spec = OrderingObjective(weights, closed, names)
    (m.maximize if maximize else m.minimize)(spec)
    return m


def order_of(sol: Solution) -> list[int]:
    """The permutation an ordering backend found (0-based item indices)."""
    order = sol.stats.get("order")
    if order is None:
        raise ValueError(f"no order in this solution (status {sol.status.value}): {sol.message}")
    return list(order)


# --- the closed-tour problem every backend solves ---------------------------------------------


@dataclass
class TourProblem:
    """Minimise the length of a closed tour over ``dist`` (non-negative, symmetric, zero diagonal);
    the user's objective is ``sign * length + offset``."""

    dist: np.ndarray  # float64
    dummy: bool  # the last city is the dummy of an open path
    sign: float
    offset: float
    integral: bool  # every distance is an integer (no rounding needed by integer solvers)

    @property
    def n(self) -> int:
        return self.dist.shape[0]

    def length(self, t: np.ndarray) -> float:
        t = np.asarray(t, dtype=np.int64)
        return float(self.dist[t, np.roll(t, -1)].sum())

    def objective(self, length: float) -> float:
        return self.sign * length + self.offset

    def order(self, t: Sequence[int] | np.ndarray) -> np.ndarray:
        """The user's order from a tour of this problem (cut at the dummy, or rotated to start at 0)."""
        t = np.asarray(t, dtype=np.int64)
        start = int(np.flatnonzero(t == (self.n - 1 if self.dummy else 0))[0])
        t = np.roll(t, -start)
        return t[1:] if self.dummy else t


def tour_problem(spec: OrderingObjective, sense: Sense) -> TourProblem:
    """The closed tour problem equivalent to ``spec`` optimised in direction ``sense``."""
    n = spec.n
    d = spec.weights.copy()  # in-place steps below: a few passes over n² numbers, no masks
    sign, offset = 1.0, 0.0
    if n >= 2 and sense is Sense.MAXIMIZE:
        np.fill_diagonal(d, -np.inf)
        top = float(d.max())
        np.subtract(top, d, out=d)
        sign, offset = -1.0, spec.edges * top
    elif n >= 2:
        np.fill_diagonal(d, np.inf)
        low = min(0.0, float(d.min()))  # every order has the same number of edges
        if low < 0:
            d -= low
            offset = spec.edges * low
    np.fill_diagonal(d, 0.0)
    dummy = not spec.closed or n <= 2  # a "tour" of two items uses its one edge once
    return TourProblem(_with_dummy(d, dummy), dummy, sign, offset, _integral(d))


def _with_dummy(d: np.ndarray, dummy: bool) -> np.ndarray:
    if not dummy:
        return d
    n = d.shape[0]
    out = np.zeros((n + 1, n + 1))
    out[:n, :n] = d
    return out


def _integral(d: np.ndarray) -> bool:
    return bool(np.array_equal(d, np.rint(d)))


# --- bounds and local search on the true distances --------------------------------------------


def mst_weight(d: np.ndarray, exclude: int | None = None, stop_at: float | None = None) -> tuple[float, np.ndarray]:
    """Weight of a minimum spanning tree of the dense graph ``d`` (Prim, O(n²) vectorised) and
    each vertex's degree in it; ``exclude`` leaves one vertex out. Past ``stop_at`` (or on
    Ctrl-C) the tree is given up: the weight is NaN."""
    n = d.shape[0]
    keep = np.ones(n, dtype=bool)
    if exclude is not None:
        keep[exclude] = False
    idx = np.flatnonzero(keep)
    sub = d[1:, 1:] if exclude == 0 else d[np.ix_(idx, idx)]  # a view in the 1-tree's case
    m = len(idx)
    deg = np.zeros(n, dtype=np.int64)
    if m <= 1:
        return 0.0, deg
    in_tree = np.zeros(m, dtype=bool)
    best = sub[0].copy()
    parent = np.zeros(m, dtype=np.int64)
    in_tree[0] = True
    best[0] = np.inf
    total = 0.0
    for k in range(m - 1):
        if stop_at is not None and (k & 127) == 127 and (time.perf_counter() > stop_at or interrupt.stop_requested()):
            return math.nan, deg
        v = int(np.argmin(best))
        total += best[v]
        deg[idx[v]] += 1
        deg[idx[parent[v]]] += 1
        in_tree[v] = True
        best[v] = np.inf
        closer = (sub[v] < best) & ~in_tree
        best[closer] = sub[v][closer]
        parent[closer] = v
    return float(total), deg


def one_tree_bound(
    d: np.ndarray, upper: float | None = None, seconds: float = 0.0, stop_at: float | None = None
) -> float:
    """A lower bound on the closed tour length: the 1-tree bound, raised by Held–Karp subgradient
    steps on node penalties while ``seconds`` last (each step is one O(n²) spanning tree).
    ``upper`` (a known tour length) sets the step size. ``stop_at`` is a hard end (the first
    tree included): past it the best bound so far is returned, -inf if none was complete."""
    n = d.shape[0]
    if n <= 3:
        t = np.arange(n)
        return float(d[t, np.roll(t, -1)].sum()) if n > 1 else 0.0
    pi = np.zeros(n)
    best = -np.inf
    deadline = time.perf_counter() + seconds
    lam, stall = 2.0, 0
    while True:
        began = time.perf_counter()
        dd = d + pi[:, None] + pi[None, :] if pi.any() else d
        tree, deg = mst_weight(dd, exclude=0, stop_at=stop_at)
        if math.isnan(tree):
            break
        row = np.array(dd[0], dtype=float)
        row[0] = np.inf
        two = np.argpartition(row, 1)[:2]
        deg[0] += 2
        deg[two] += 1
        value = tree + float(row[two].sum()) - 2.0 * float(pi.sum())
        if value > best + 1e-12 * abs(best if np.isfinite(best) else 1.0):
            best, stall = value, 0
        else:
            stall += 1
            if stall >= 5:
                lam, stall = lam / 2, 0
        g = deg - 2
        norm = float((g**2).sum())
        now = time.perf_counter()
        if norm == 0 or upper is None or now + (now - began) > deadline or lam < 1e-4 or interrupt.stop_requested():
            break  # norm 0: the 1-tree is a tour, so the bound is exact
        pi += lam * max(upper - value, 1e-9 * abs(upper)) / norm * g
    return float(best)


def nearest_neighbour_tour(d: np.ndarray, deadline: float | None = None) -> np.ndarray:
    """A nearest-neighbour tour from city 0 (O(n²), vectorised per step): the fallback when a
    search is stopped before its library returned a tour. Past ``deadline`` the cities not yet
    visited are appended in index order, so a valid tour always comes back quickly."""
    n = d.shape[0]
    tour = np.empty(n, dtype=np.int64)
    free = np.ones(n, dtype=bool)
    cur = 0
    for k in range(n):
        tour[k] = cur
        free[cur] = False
        if k == n - 1:
            break
        if deadline is not None and (k & 63) == 0 and time.perf_counter() >= deadline:
            tour[k + 1 :] = np.flatnonzero(free)
            break
        row = np.where(free, d[cur], np.inf)
        cur = int(np.argmin(row))
    return tour


def improve(d: np.ndarray, t: np.ndarray, deadline: float, tol: float = 1e-9) -> tuple[np.ndarray, int]:
    """2-opt and Or-opt on the true distances ``d`` until no move improves, ``deadline``, or Ctrl-C.

    Each candidate move is evaluated for all positions at once with numpy; returns the tour and
    the number of improving moves made.
    """
    t = np.asarray(t, dtype=np.int64).copy()
    n = len(t)
    if n < 5:
        return t, 0
    eps = tol * max(1.0, float(np.abs(d).max()))
    moves = 0
    improved = True

    def over() -> bool:
        return time.perf_counter() >= deadline or interrupt.stop_requested()

    while improved and not over():
        improved = False
        # 2-opt: replace edges (t[i], t[i+1]) and (t[j], t[j+1]) by (t[i], t[j]), (t[i+1], t[j+1]).
        for i in range(n - 2):
            if (i & 63) == 0 and over():
                break
            a, b = t[i], t[i + 1]
            j = np.arange(i + 2, n if i > 0 else n - 1)
            if j.size == 0:
                continue
            c = t[j]
            e = t[(j + 1) % n]
            delta = d[a, c] + d[b, e] - d[a, b] - d[c, e]
            k = int(np.argmin(delta))
            if delta[k] < -eps:
                jj = int(j[k])
                t[i + 1 : jj + 1] = t[i + 1 : jj + 1][::-1]
                moves += 1
                improved = True
        # Or-opt: move a segment of 1-3 cities (either direction) between two other neighbours.
        for length in (1, 2, 3):
            i = 0
            while i < n and ((i & 15) or not over()):
                seg = t[np.arange(i, i + length) % n]
                p, q = t[(i - 1) % n], t[(i + length) % n]
                s0, s1 = seg[0], seg[-1]
                gain = d[p, s0] + d[s1, q] - d[p, q]
                rest = t[np.arange(i + length, i + n) % n]  # the tour without the segment, from q to p
                c, e = rest[:-1], rest[1:]
                fwd = d[c, s0] + d[s1, e] - d[c, e]
                bwd = d[c, s1] + d[s0, e] - d[c, e]
                both = np.minimum(fwd, bwd)
                k = int(np.argmin(both))
                if both[k] - gain < -eps:
                    piece = seg if fwd[k] <= bwd[k] else seg[::-1]
                    t = np.concatenate([rest[: k + 1], piece, rest[k + 1 :]])
                    moves += 1
                    improved = True
                i += 1
    return t, moves


# --- the backend base class ----------------------------------------------------------------------


@dataclass
class TourRun:
    """What a backend's tour search produced, in the closed-tour problem's terms."""

    tour: np.ndarray | None
    optimal: bool = False  # proven optimal
    bound: float | None = None  # lower bound on the tour length
    termination: Termination | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    message: str = ""


def _bound_meets(problem: TourProblem, length: float, bound: float) -> bool:
    """True when the lower bound proves the tour optimal (integral lengths: rounding up the bound)."""
    slack = 1e-9 * max(1.0, abs(length))
    if problem.integral:
        return math.ceil(bound - 1e-6 * max(1.0, abs(bound))) >= length - slack
    return bound >= length - slack


def default_seconds(n: int) -> float:
    """Search time of the heuristics when no time limit is given."""
    return min(30.0, 1.0 + n / 200.0)


class OrderingBackend(Backend):
    """Base of ordering backends: subclasses implement ``search``; this class maps the user's
    objective to a closed tour problem and back, polishes tours found on rounded distances,
    verifies the permutation and recomputes the objective."""

    subsolvers: ClassVar[dict[str, frozenset[Capability]]] = {"default": frozenset({Capability.ORDERING})}
    extra: ClassVar[str] = "tsp"  # pip extra that installs the library
    exact: ClassVar[bool] = False  # searches for a proof (MIP) rather than a good tour

    @classmethod
    def unavailable_reason(cls) -> str | None:
        missing = [m for m in cls.modules if importlib.util.find_spec(m) is None]
        if missing:
            return f"{', '.join(missing)} is not installed (pip install 'optmodel[{cls.extra}]')"
        return None

    def why_not(self, model: Model) -> str | None:
        obj = model.objective
        if obj is None or not isinstance(obj.expr, OrderingObjective):
            return f"{self.label} solves ordering models only (optmodel.ordering.tour / path)"
        if model.num_vars or model.constraints or model.families:
            return f"{self.label}: an ordering model takes no other variables or constraints"
        return None

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        """Find a tour of ``problem`` by ``deadline`` (None: the backend's own default effort).

        On Ctrl-C (``interrupt.stop_requested()``) return the best tour found so far at once; a
        library call that cannot be stopped runs in ``interrupt.run_in_worker``.
        """
        raise NotImplementedError  # pragma: no cover - every backend defines it

    def solve(self, model: Model, options: SolveOptions) -> Solution:
        start = time.perf_counter()
        assert model.objective is not None
        spec: OrderingObjective = model.objective.expr
        problem = tour_problem(spec, model.objective.sense)
        built = time.perf_counter()
        limit = options.time_limit
        deadline = None if limit is None else start + limit
        # Part of the time limit is kept for the lower bound computed after the search.
        reserve = None if limit is None else min(1.0, 0.08 * limit)
        search_deadline = None if deadline is None or reserve is None else deadline - reserve
        if problem.n <= 3:
            run = TourRun(np.arange(problem.n), optimal=True, stats={"trivial": True})
        else:
            run = self.search(problem, options, search_deadline)
            stopped = interrupt.stop_requested()
            if run.tour is not None and not run.optimal and run.bound is None and not stopped:
                t0 = time.perf_counter()
                budget = min(1.0, 0.05 + problem.n / 2000)
                if deadline is not None and reserve is not None:
                    budget = max(0.0, min(reserve, deadline - t0))
                bound = one_tree_bound(problem.dist, problem.length(run.tour), budget, stop_at=deadline)
                run.stats["bound_seconds"] = time.perf_counter() - t0
                if math.isfinite(bound):
                    run.bound = bound
                    run.optimal = _bound_meets(problem, problem.length(run.tour), bound)
            if stopped and not run.optimal:
                run.termination = Termination.INTERRUPTED
        sol = self._finish(spec, model.objective.sense, problem, run, options, deadline)
        sol.build_seconds = built - start
        sol.solve_seconds = time.perf_counter() - built
        return sol

    def polish(self, problem: TourProblem, t: np.ndarray, deadline: float | None, stats: dict[str, Any]) -> np.ndarray:
        """Improve a tour found on rounded distances with 2-opt/Or-opt on the true ones."""
        before = problem.length(t)
        limit = deadline if deadline is not None else time.perf_counter() + max(1.0, problem.n / 500)
        t, moves = improve(problem.dist, t, limit)
        stats["polish_moves"] = moves
        stats["polish_gain"] = before - problem.length(t)
        return t

    def fallback(self, problem: TourProblem, deadline: float | None, stats: dict[str, Any], why: str) -> TourRun:
        """A nearest-neighbour tour, improved by 2-opt/Or-opt while time is left (not after Ctrl-C),
        for a search stopped before its library returned a tour."""
        now = time.perf_counter()
        limit = now + 0.2 if deadline is None else max(deadline, now + 0.05)
        if interrupt.stop_requested():
            limit = now + 0.1  # nearest neighbours for 0.1 s, the rest of the cities in index order
        t = nearest_neighbour_tour(problem.dist, limit)
        moves = 0
        if not interrupt.stop_requested():
            t, moves = improve(problem.dist, t, limit)
        stats["tour_source"] = "nearest-neighbour"
        stats["fallback_moves"] = moves
        message = f"{why}; returning a nearest-neighbour tour ({moves} 2-opt/Or-opt moves)."
        return TourRun(t, stats=stats, message=message)

    def _finish(
        self,
        spec: OrderingObjective,
        sense: Sense,
        problem: TourProblem,
        run: TourRun,
        options: SolveOptions,
        deadline: float | None,
    ) -> Solution:
        stats = dict(run.stats)
        if run.tour is None:
            term = run.termination or Termination.ERROR
            return Solution(Status.ERROR, term, SolutionStatus.NO_SOLUTION, message=run.message, stats=stats)
        t = np.asarray(run.tour, dtype=np.int64)
        is_tour = t.ndim == 1 and np.array_equal(np.sort(t), np.arange(problem.n))
        if is_tour:
            order = problem.order(t)
            claimed = problem.objective(problem.length(t))
        else:  # not a tour: reported as it came, the objective kind's check rejects it
            order, claimed = t.ravel(), math.nan
        bound = None
        if run.optimal:
            bound = claimed  # proven: both ends meet (up to the solver's tolerance)
        elif run.bound is not None:
            bound = problem.objective(run.bound)
        gap = None
        if bound is not None and math.isfinite(claimed):
            gap = abs(claimed - bound) / max(abs(claimed), 1e-12) if claimed != bound else 0.0
        if run.termination is not None:
            term = run.termination
        elif run.optimal:
            term = Termination.OPTIMAL
        else:
            term = Termination.OTHER  # a heuristic: a verified tour, no proof
        stats["order"] = order.tolist()
        if spec.names is not None and is_tour:
            stats["order_names"] = [spec.names[i] for i in order]
        sol = Solution(
            Status.FEASIBLE,  # the core derives the status once the objective kind has verified it
            term,
            SolutionStatus.OPTIMAL if run.optimal else SolutionStatus.FEASIBLE,
            objective=claimed,
            bound=bound,
            gap=gap,
            x=None,  # an ordering model has no columns; the order is in stats["order"]
            stats=stats,
            message=run.message,
        )
        if not run.optimal and term is Termination.OTHER and not run.message:
            sol.message = "A heuristic tour: verified, without proof of optimality."
        return sol


def solve_order(
    weights: Any,
    closed: bool,
    maximize: bool = False,
    names: Sequence[str] | None = None,
    backend: str | None = "fast-tsp",
    **options: Any,
) -> tuple[list[int], Solution]:
    """Order the items of ``weights`` with ``backend``: (order, solution)."""
    m = ordering_model(weights, closed, maximize, names)
    sol = m.solve(backend, **options)
    return (order_of(sol) if sol.stats.get("order") is not None else []), sol
