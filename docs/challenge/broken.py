"""Cheapest insertion with an off-by-one: each item may go between any two neighbours or at
either end, but the loop over gaps runs one past the end of the path. Raises
IndexError: list index out of range (from the first item it tries to insert)."""

import numpy as np


def order(similarity: np.ndarray, names: list[str]) -> list[int]:
    n = len(names)
    path = [0, 1]
    for item in range(2, n):
        best_gain, best_at = float("-inf"), 0
        for at in range(len(path) + 1):  # gaps 0..len(path): the last one is after the end
            left = similarity[item][path[at - 1]] if at > 0 else 0.0
            right = similarity[item][path[at]]  # bug: no path[at] when at == len(path)
            old = similarity[path[at - 1]][path[at]] if at > 0 else 0.0
            gain = left + right - old
            if gain > best_gain:
                best_gain, best_at = gain, at
        path.insert(best_at, item)
    return path
