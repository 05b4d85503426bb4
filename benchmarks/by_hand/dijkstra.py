"""A hand-written shortest path: parse a DIMACS .gr file and run scipy's Dijkstra (the baseline).

usage: python dijkstra.py FILE.gr SOURCE TARGET
"""

import sys

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

path, source, target = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with open(path) as f:
    lines = f.read().splitlines()
n = int(next(line for line in lines if line.startswith("p")).split()[2])
tokens = " ".join(line for line in lines if line.startswith("a")).split()
tail = np.array(tokens[1::4], dtype=np.int64) - 1
head = np.array(tokens[2::4], dtype=np.int64) - 1
weight = np.array(tokens[3::4], dtype=float)
graph = sp.csr_array((weight, (tail, head)), shape=(n, n))  # no parallel arcs in the benchmark graphs
dist, pred = dijkstra(graph, indices=source - 1, return_predecessors=True)
route = [target - 1]
while route[-1] != source - 1:
    route.append(pred[route[-1]])
print(dist[target - 1], len(route) - 1)
