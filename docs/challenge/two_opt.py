"""Greedy start, then 2-opt: reverse any stretch of the path whenever that raises the total
similarity of neighbours, until no reversal helps. The best of the example entries (numpy only)."""

import numpy as np


def path_similarity(similarity: np.ndarray, path: list[int]) -> float:
    return float(similarity[path[:-1], path[1:]].sum())


def greedy_from(similarity: np.ndarray, start: int) -> list[int]:
    n = similarity.shape[0]
    used = np.zeros(n, dtype=bool)
    path = [start]
    used[start] = True
    for _ in range(n - 1):
        row = np.where(used, -np.inf, similarity[path[-1]])
        nxt = int(np.argmax(row))
        path.append(nxt)
        used[nxt] = True
    return path


def two_opt(similarity: np.ndarray, path: list[int]) -> list[int]:
    n = len(path)
    # A dummy item n with similarity 0 to everybody sits at both ends, so reversing a prefix or a
    # suffix is the same move as reversing a stretch in the middle.
    s = np.zeros((n + 1, n + 1))
    s[:n, :n] = similarity
    q = np.array([n, *path, n])
    upper = np.triu(np.ones((n, n), dtype=bool), 1)
    while True:
        prev, cur, nxt = q[:-2], q[1:-1], q[2:]
        # gain[a, b]: reversing path[a..b] trades the edges (before a, a) and (b, after b)
        # for (before a, b) and (a, after b).
        gain = (s[prev[:, None], cur[None, :]] + s[cur[:, None], nxt[None, :]]
                - s[prev, cur][:, None] - s[cur, nxt][None, :])
        gain = np.where(upper, gain, 0.0)
        a, b = np.unravel_index(int(np.argmax(gain)), gain.shape)
        if gain[a, b] <= 1e-12:
            return [int(i) for i in q[1:-1]]
        q[a + 1 : b + 2] = q[a + 1 : b + 2][::-1].copy()


def order(similarity: np.ndarray, names: list[str]) -> list[int]:
    similarity = np.asarray(similarity, dtype=float)
    n = len(names)
    if n <= 2:
        return list(range(n))
    start = max((greedy_from(similarity, k) for k in range(n)), key=lambda p: path_similarity(similarity, p))
    return two_opt(similarity, start)
