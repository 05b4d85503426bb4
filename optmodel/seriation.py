"""Seriation quality: the challenge's score and the standard criteria of the seriation literature.

The challenge's objective is the mean similarity of neighbours in the order, reported as a score
out of 100 (similarities in [0, 1]; a matrix with larger values is divided by its largest entry).
For comparing methods, the criteria of Hahsler, Hornik & Buchta ("Getting things in order", JSS
2008) are computed on the dissimilarity ``D = s_max - S`` in the permuted order:

* ``path_length``       Σ D(o_i, o_i+1) — the Hamiltonian path length (lower is better)
* ``ar_events``         anti-Robinson violations: triples i<k<j with D_ij < D_ik or D_ij < D_kj (lower)
* ``ar_deviations``     the same, weighted by how much they are violated (lower)
* ``gradient_raw``      Σ_{i<k<j} sign(D_ij − D_ik) + sign(D_ij − D_kj) (higher)
* ``gradient_weighted`` Σ_{i<k<j} (D_ij − D_ik) + (D_ij − D_kj) (higher)
* ``inertia``           Σ D_ij (i − j)² (higher: large dissimilarities far from the diagonal)
* ``neumann_stress``    Σ squared differences of similarity between adjacent cells (lower)

The triple criteria cost O(n³); beyond ``TRIPLE_LIMIT`` items they are left out (None).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

TRIPLE_LIMIT = 500

# Which direction is better for each criterion (for tables and comparisons).
HIGHER_IS_BETTER = {
    "score": True,
    "mean_neighbour_similarity": True,
    "path_length": False,
    "ar_events": False,
    "ar_deviations": False,
    "gradient_raw": True,
    "gradient_weighted": True,
    "inertia": True,
    "neumann_stress": False,
}


def scale_of(s: np.ndarray) -> float:
    """The similarity of identical items: 1 for matrices in [0, 1], else the largest entry
    (the diagonal included: a matrix of percentages has 100 there)."""
    top = float(np.max(s)) if s.size else 0.0
    return 1.0 if top <= 1.0 else top


def neighbour_similarity(s: np.ndarray, order: Sequence[int]) -> float:
    o = np.asarray(order, dtype=np.int64)
    if len(o) < 2:
        return 0.0
    return float(s[o[:-1], o[1:]].mean())


def score(s: np.ndarray, order: Sequence[int]) -> float:
    """The challenge's score: 100 × mean neighbour similarity / s_max."""
    return 100.0 * neighbour_similarity(s, order) / scale_of(s)


def triple_criteria(d: np.ndarray) -> dict[str, float]:
    """AR events/deviations and gradient measures of a dissimilarity matrix already in order."""
    n = d.shape[0]
    events = deviations = graw = gweighted = 0.0
    for i in range(n - 2):
        r = d[i, i + 1 :]  # D_ij for j > i, indexed by position after i
        sub = d[i + 1 :, i + 1 :]  # D_kj
        upper = np.triu(np.ones((len(r), len(r)), dtype=bool), 1)  # k < j
        dij = np.broadcast_to(r[None, :], sub.shape)[upper]
        dik = np.broadcast_to(r[:, None], sub.shape)[upper]
        dkj = sub[upper]
        a, b = dij - dik, dij - dkj
        events += float((a < 0).sum() + (b < 0).sum())
        deviations += float(-a[a < 0].sum() - b[b < 0].sum())
        graw += float(np.sign(a).sum() + np.sign(b).sum())
        gweighted += float(a.sum() + b.sum())
    return {"ar_events": events, "ar_deviations": deviations, "gradient_raw": graw, "gradient_weighted": gweighted}


def criteria(s: np.ndarray, order: Sequence[int]) -> dict[str, Any]:
    """The score and every criterion of the module docstring for ``order`` of similarity ``s``."""
    s = np.asarray(s, dtype=float)
    o = np.asarray(order, dtype=np.int64)
    n = len(o)
    top = scale_of(s)
    p = s[np.ix_(o, o)]
    d = top - p
    np.fill_diagonal(d, 0.0)
    idx = np.arange(n)
    out: dict[str, Any] = {
        "score": score(s, o),
        "mean_neighbour_similarity": neighbour_similarity(s, o),
        "path_length": float(d[idx[:-1], idx[1:]].sum()) if n > 1 else 0.0,
    }
    if n <= TRIPLE_LIMIT:
        out.update(triple_criteria(d))
    else:
        out.update(dict.fromkeys(("ar_events", "ar_deviations", "gradient_raw", "gradient_weighted")))
    out["inertia"] = float((d * (idx[:, None] - idx[None, :]) ** 2).sum())
    out["neumann_stress"] = float(((p[:-1, :] - p[1:, :]) ** 2).sum() + ((p[:, :-1] - p[:, 1:]) ** 2).sum())
    return out
