"""Seriation: order items so that similar ones are neighbours (the "Tick 1" challenge).

maximise Σ_i S(π_i, π_{i+1}) over permutations π — a maximum-similarity Hamiltonian path, i.e.
a TSP in disguise, solved by any ordering backend (default fast-tsp). The similarity comes from a
folder of code submissions (winnowed token fingerprints, as MOSS) or from a CSV matrix.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np

from optmodel.backend import Capability, SolveOptions
from optmodel.errors import InputError
from optmodel.problem import Problem, Report, check_output_path
from optmodel.problems.tsp import ALIASES, backend_name
from optmodel.solution import Solution

DEFAULT_BACKEND = "fast-tsp"


def load_matrix(source: str | Path, **fingerprint: Any) -> tuple[list[str], np.ndarray]:
    """(names, similarity) from a folder of submissions or a CSV similarity matrix (by what it is)."""
    from optmodel.similarity import code_similarity, read_similarity_csv

    path = Path(source)
    if path.is_dir():
        return code_similarity(path, **fingerprint)
    if not path.exists():
        raise InputError("no such file or folder", path)
    return read_similarity_csv(path)


def seriate(
    names: list[str], s: np.ndarray, backend: str | None = None, options: SolveOptions | None = None
) -> tuple[list[int], Solution, dict[str, Any]]:
    """Order the items of similarity ``s``: (order, solution, criteria)."""
    from optmodel.ordering import order_of, ordering_model
    from optmodel.seriation import criteria

    model = ordering_model(s, closed=False, maximize=True, names=names, name="seriation")
    sol = model.solve(_backend(backend), options=options or SolveOptions())
    order = order_of(sol) if sol.stats.get("order") is not None else []
    return order, sol, (criteria(s, order) if order else {})


def _backend(backend: str | None) -> str:
    return backend_name(backend or DEFAULT_BACKEND)


class Seriation(Problem):
    name = "seriation"
    summary = "order code submissions (or a similarity CSV) so that similar ones are neighbours"
    needs = frozenset({Capability.ORDERING})
    default_backend = DEFAULT_BACKEND
    backend_aliases = ALIASES
    uses_lp_backends = False

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        src = parser.add_mutually_exclusive_group(required=True)
        src.add_argument("--code", metavar="DIR", help="folder of submissions: one file or sub-folder each")
        src.add_argument("--similarity", metavar="FILE.csv", help="similarity matrix with item names")
        parser.add_argument("--plot", metavar="OUT.png", help="heatmap of the matrix before and after ordering")
        parser.add_argument("--holdout", metavar="DIR_OR_CSV", help="also order a second dataset and score it")
        parser.add_argument("--write-matrix", metavar="OUT.csv", help="save the similarity matrix as CSV")
        g = parser.add_argument_group("code fingerprints (--code)")
        g.add_argument("--k", type=int, default=7, help="tokens per k-gram (default 7)")
        g.add_argument("--window", type=int, default=4, help="winnowing window (default 4)")
        g.add_argument("--measure", choices=("jaccard", "containment"), default="jaccard")
        g.add_argument("--max-share", type=float, default=0.5,
                       help="ignore fingerprints in more than this share of submissions (default 0.5; 1 keeps all)")
        g.add_argument("--base", metavar="PATH", help="handout code whose fingerprints are ignored")

    def run(self, args: argparse.Namespace, backend: str | None, options: SolveOptions) -> Report:
        fp = {"k": args.k, "w": args.window, "measure": args.measure, "max_share": args.max_share, "base": args.base}
        for path in (args.write_matrix, args.plot):
            check_output_path(path)  # before the work, not after it
        if args.code:
            from optmodel.similarity import code_similarity

            names, s = code_similarity(args.code, **fp)
        else:
            names, s = load_matrix(args.similarity)
        if args.write_matrix:
            from optmodel.similarity import write_similarity_csv

            write_similarity_csv(args.write_matrix, names, s)
        order, sol, crit = seriate(names, s, backend, options)
        rep = Report(sol)
        sol.stats.pop("order_names", None)  # the answer's "order" holds the names
        sol.stats.pop("order", None)
        rep.answer = {"items": len(names), "order": [names[i] for i in order] or None,
                      "score": crit.get("score"), "criteria": crit}
        if args.write_matrix:
            rep.answer["files"] = [str(args.write_matrix)]
            rep.lines.append(f"wrote {args.write_matrix} (the similarity matrix)")
        if not order:
            return rep
        rep.lines.append(f"{len(names)} items, score {crit['score']:.2f}/100 "
                         f"(mean neighbour similarity {crit['mean_neighbour_similarity']:.4f})")
        if _backend(backend).split(":")[0] != "spectral":
            _, _, base_crit = seriate(names, s, "spectral")
            rep.answer["baseline"] = {"backend": "spectral", "score": base_crit["score"]}
            rep.lines.append(f"spectral (Fiedler) baseline: score {base_crit['score']:.2f}/100")
        rep.lines.append("order: " + " ".join(names[i] for i in order))
        iu, ju = np.triu_indices(len(names), 1)
        top = np.argsort(-s[iu, ju], kind="stable")[:10]
        rep.lines.append("most similar pairs: " + ", ".join(
            f"{names[iu[t]]}~{names[ju[t]]} {s[iu[t], ju[t]]:.2f}" for t in top))
        if args.plot:
            from optmodel.similarity import plot_heatmaps

            title = f"{Path(args.code or args.similarity).name}: {len(names)} items"
            plot_heatmaps(s, names, order, args.plot, title,
                          ("input order", f"{sol.backend} order, score {crit['score']:.1f}/100"))
            rep.answer["plot"] = str(args.plot)
            rep.answer.setdefault("files", []).append(str(args.plot))
            rep.lines.append(f"wrote {args.plot} (the heatmap)")
        if args.holdout:
            start = time.perf_counter()
            hnames, hs = load_matrix(args.holdout, **fp)
            horder, hsol, hcrit = seriate(hnames, hs, backend, options)
            rep.answer["holdout"] = {
                "source": str(args.holdout), "items": len(hnames), "status": hsol.status.value,
                "order": [hnames[i] for i in horder] or None, "objective": hsol.objective,
                "score": hcrit.get("score"), "criteria": hcrit, "seconds": time.perf_counter() - start,
            }
            if horder:
                rep.lines.append(f"holdout {Path(args.holdout).name}: {len(hnames)} items, "
                                 f"score {hcrit['score']:.2f}/100 in {time.perf_counter() - start:.2f}s")
        return rep


PROBLEM = Seriation()
