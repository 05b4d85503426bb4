"""Anchor and rank: start with the item most similar to everybody, then list the items from most
to least similar to it. The bug: the ranking includes the anchor itself (its similarity to itself
is the largest), and the slice meant to skip it drops the last item instead. The answer repeats
the anchor and misses one item, so it is not a permutation: "invalid"."""

import numpy as np


def order(similarity: np.ndarray, names: list[str]) -> list[int]:
    similarity = np.asarray(similarity, dtype=float)
    anchor = int(np.argmax(similarity.sum(axis=1)))
    ranked = np.argsort(-similarity[anchor], kind="stable")
    return [anchor] + [int(i) for i in ranked[:-1]]  # meant ranked[1:]
