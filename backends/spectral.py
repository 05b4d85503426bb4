"""Spectral seriation (Atkins, Boman & Hendrickson 1998): sort by the Fiedler vector.

A baseline for comparison, not an optimiser: the items are ordered by the eigenvector of the
second-smallest eigenvalue of the similarity graph's Laplacian (open paths); closed tours are
ordered by the angle of the second and third eigenvectors (circular seriation). Distances are
turned into similarities with a Gaussian kernel whose width is the median distance to the
fifth-nearest neighbour.

The eigenvectors (a dense LU: seconds for a few thousand items) are computed in
``interrupt.run_in_worker``: on Ctrl-C they are abandoned after ``interrupt.GRACE_SECONDS`` and a
nearest-neighbour order returned instead. There is no search to cut short at a time limit.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from optmodel import interrupt
from optmodel.backend import Capability, SolveOptions
from optmodel.ordering import OrderingBackend, TourProblem, TourRun


def similarity_of(problem: TourProblem) -> np.ndarray:
    """A non-negative similarity matrix of the real items (the dummy city left out)."""
    d = problem.dist[:-1, :-1] if problem.dummy else problem.dist
    n = d.shape[0]
    if problem.sign < 0:
        # The user maximised similarities W and dist = max(W) - W: recover W - min(W).
        s = d.max() - d
    else:
        k = min(5, n - 1)
        kth = np.partition(d + np.diag(np.full(n, np.inf)), k - 1, axis=1)[:, k - 1]
        sigma = float(np.median(kth)) or float(d.max()) or 1.0
        s = np.exp(-((d / sigma) ** 2))
    np.fill_diagonal(s, 0.0)
    return s


def fiedler_order(s: np.ndarray, closed: bool = False) -> np.ndarray:
    """Order of the items by the Laplacian's Fiedler vector (closed: by the angle of v2, v3)."""
    from scipy.linalg import eigh

    n = s.shape[0]
    if n <= 2:
        return np.arange(n)
    deg = s.sum(axis=1)
    lap = np.diag(deg) - s
    k = 3 if closed and n > 3 else 2
    if n <= 200:
        _, vecs = eigh(lap, subset_by_index=[0, k - 1])
    else:
        # Shift-invert Lanczos just below 0 (L is positive semi-definite): one dense LU, then
        # a few solves, instead of a full O(n³) tridiagonalisation.
        from scipy.sparse.linalg import eigsh

        sigma = -1e-3 * max(float(deg.mean()), 1e-12)
        vals, vecs = eigsh(lap, k=k, sigma=sigma, which="LM")
        vecs = vecs[:, np.argsort(vals)]
    if k == 3:
        return np.argsort(np.arctan2(vecs[:, 2], vecs[:, 1]), kind="stable")
    return np.argsort(vecs[:, 1], kind="stable")


class Spectral(OrderingBackend):
    name = "spectral"
    description = "spectral seriation by the Fiedler vector (baseline, no search; numpy/scipy only)"
    modules = ("scipy",)
    distribution = "scipy"
    extra: ClassVar[str] = "tsp"
    subsolvers: ClassVar[dict[str, frozenset[Capability]]] = {"fiedler": frozenset({Capability.ORDERING})}

    def search(self, problem: TourProblem, options: SolveOptions, deadline: float | None) -> TourRun:
        stats: dict[str, object] = {"method": "fiedler"}
        order, _ = interrupt.run_in_worker(lambda: fiedler_order(similarity_of(problem), closed=not problem.dummy))
        if order is None:
            return self.fallback(problem, deadline, stats, "Interrupted before the Fiedler vector was computed")
        if problem.dummy:
            order = np.append(order, problem.n - 1)
        return TourRun(order.astype(np.int64), stats=stats)


BACKEND = Spectral
