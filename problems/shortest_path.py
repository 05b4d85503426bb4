"""Shortest path as the lecture's flow LP.

minimise Σ_e c_e x_e  over x ∈ {0,1,2,…}^E
subject to  net flow out of s = 1,  net flow out of v = 0 for every v ∉ {s, t}.

The constraint matrix is a network (incidence) matrix, totally unimodular, so the LP optimum is
integral and the integrality constraint can be dropped: it is solved as an LP.
"""

from __future__ import annotations

import argparse
from collections import deque
from typing import Any

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError
from optmodel.expr import Constraint, Var
from optmodel.graphs import Graph, grid_graph, read_graph
from optmodel.model import Model
from optmodel.problem import Problem, Report
from optmodel.problems import number
from optmodel.solution import Solution, SolutionStatus, Status


def build(graph: Graph, source: int, target: int, integer: bool = False) -> tuple[Model, Var, Constraint]:
    """The flow model for internal vertex indices ``source`` and ``target``."""
    m = Model("shortest-path")
    x = m.var(graph.num_arcs, lb=0, integer=integer, name="flow")
    keep = np.ones(graph.num_vertices, dtype=bool)
    keep[target] = False  # t's conservation row is implied by the others
    supply = np.zeros(graph.num_vertices)
    supply[source] = 1.0
    balance = m.add(graph.incidence(without=target) @ x == supply[keep], name="balance")
    m.minimize(graph.weight @ x)
    return m, x, balance


def path_from_flow(graph: Graph, flow: np.ndarray, source: int, target: int) -> list[int]:
    """Vertices of an s-t path inside the support of a unit flow (cycles of zero cost skipped).

    The support is a path plus, at most, a few zero-cost cycles: a breadth-first search over the
    used arcs alone is cheap, and avoids loading scipy's graph module on the CLI's hot path.
    """
    used = np.flatnonzero(flow > 0.5)
    successors: dict[int, list[int]] = {}
    for u, v in zip(graph.tail[used].tolist(), graph.head[used].tolist(), strict=True):
        successors.setdefault(u, []).append(v)
    parent = {source: source}
    queue = deque([source])
    while queue and target not in parent:
        u = queue.popleft()
        for w in successors.get(u, ()):
            if w not in parent:
                parent[w] = u
                queue.append(w)
    if target not in parent:
        raise ValueError("the flow does not connect the source to the target")
    path = [target]
    while path[-1] != source:
        path.append(parent[path[-1]])
    return path[::-1]


def solve_graph(
    graph: Graph, source: Any, target: Any, backend: str | None = None, options: SolveOptions | None = None
) -> Report:
    s, t = graph.vertex(source), graph.vertex(target)
    model, x, _ = build(graph, s, t)
    sol = model.solve(backend, options=options or SolveOptions())
    return report(graph, s, t, x, sol)


def report(graph: Graph, s: int, t: int, x: Var, sol: Solution) -> Report:
    src, dst = graph.labels([s, t])
    rep = Report(sol)
    if sol.status is Status.INFEASIBLE:
        sol.message = f"Infeasible: vertex {dst} cannot be reached from vertex {src}."
    elif sol.status is Status.UNBOUNDED or sol.status is Status.INFEASIBLE_OR_UNBOUNDED:
        sol.message = (
            "Unbounded: the graph has a cycle of negative total cost, so flow around it lowers the "
            "cost without limit and no shortest path exists."
        )
        if sol.status is Status.INFEASIBLE_OR_UNBOUNDED:
            sol.message = "Infeasible or unbounded: the target may be unreachable, or a negative cycle exists."
    usable = sol.status in (Status.OPTIMAL, Status.FEASIBLE) or (
        sol.status is Status.TIME_LIMIT and sol.solution_status is SolutionStatus.FEASIBLE
    )
    if sol.has_values and usable:
        path = graph.labels(path_from_flow(graph, sol[x], s, t))
        rep.answer = {"path": path, "cost": sol.objective, "arcs": len(path) - 1}
        rep.lines.append(f"shortest path {src} -> {dst}: cost {number(sol.objective)}, {len(path) - 1} arcs")
        shown = path if len(path) <= 20 else [*path[:10], "...", *path[-9:]]
        rep.lines.append("path: " + " ".join(map(str, shown)))
    else:
        rep.answer = {"path": None, "cost": None}
    return rep


class ShortestPath(Problem):
    name = "shortest-path"
    summary = "shortest s-t path as a flow LP (DIMACS .gr, CSV edge list, or a generated grid)"
    needs = frozenset({Capability.LP})  # what its models ask of a backend (--help lists those that can)
    formulation = [
        "minimize Σ_e c_e x_e   over x ∈ {0,1,2,…}^E",
        "subject to Σ_{e out of v} x_e − Σ_{e into v} x_e = [v = s]   for every vertex v ≠ t",
        "(solved as the LP: the incidence matrix is totally unimodular, so its optimum is integral)",
    ]
    adjacent = [
        "the LP dual: maximize π_s − π_t subject to π_u − π_v ≤ c_uv — node potentials, i.e. distances",
        "Dijkstra's algorithm when costs are non-negative (backend auto, with the LP certificate)",
    ]
    sizes_help = "grid side (SIDE x SIDE vertices, arcs both ways)"
    example_size = 10

    def instance(self, size: int, seed: int = 0) -> Model:
        if size < 2:
            raise InputError(f"a grid needs a side of at least 2, got {size}")
        graph = grid_graph(size, seed=seed)
        return build(graph, 0, graph.num_vertices - 1)[0]

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--graph", metavar="FILE", help="DIMACS .gr file or CSV edge list (source,target,weight)")
        src.add_argument("--grid", type=int, metavar="SIDE", help="generate a SIDE x SIDE grid (arcs both ways)")
        parser.add_argument("--source", help="source vertex id as in the file (grid: default 1)")
        parser.add_argument("--target", help="target vertex id as in the file (grid: default the last vertex)")
        parser.add_argument("--seed", type=int, default=0, help="random weights of --grid (default 0)")

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        if args.grid is not None:
            if args.grid < 2:
                raise InputError("--grid needs a side of at least 2")
            graph = grid_graph(args.grid, seed=args.seed)
            source = args.source or 1
            target = args.target or args.grid * args.grid
        else:
            if args.source is None or args.target is None:
                raise InputError("--source and --target are required with --graph")
            graph = read_graph(args.graph)
            source, target = args.source, args.target
        return solve_graph(graph, source, target, backend, options)


PROBLEM = ShortestPath()
