import csv
import json
import math

import numpy as np
import pytest
from conftest import DATA, data_path

from optmodel.cli import main
from optmodel.errors import InputError
from optmodel.tsplib import explicit_matrix, read_tsplib

# The published optimal tour of ulysses22 (TSPLIB's ulysses22.opt.tour): 7013 with TSPLIB's GEO code.
ULYSSES22_OPT = [1, 14, 13, 12, 7, 6, 15, 5, 11, 9, 10, 19, 20, 21, 16, 3, 2, 17, 22, 4, 18, 8]


def instances():
    path = DATA / "tsplib" / "optimal.csv"
    if not path.exists():
        return []
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["name"] and not r["name"].startswith("#")]


# --- TSPLIB's reference C code, transcribed one pair at a time (the outside reference) ---------
def ref_distance(kind, a, b):
    if kind == "EUC_2D":
        return int(math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) + 0.5)
    if kind == "CEIL_2D":
        return math.ceil(math.sqrt((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2))
    if kind == "ATT":
        r = math.sqrt(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) / 10.0)
        t = int(r + 0.5)
        return t + 1 if t < r else t
    if kind == "GEO":
        def rad(x):
            deg = int(x)
            return 3.141592 * (deg + 5.0 * (x - deg) / 3.0) / 180.0

        la, lo, lb, lob = rad(a[0]), rad(a[1]), rad(b[0]), rad(b[1])
        q1, q2, q3 = math.cos(lo - lob), math.cos(la - lb), math.cos(la + lb)
        return int(6378.388 * math.acos(0.5 * ((1.0 + q1) * q2 - (1.0 - q1) * q3)) + 1.0)
    raise AssertionError(kind)


def write_tsp(path, kind, coords=None, matrix_text=None, fmt=None, n=None):
    lines = [f"NAME : {path.stem}", "TYPE : TSP", f"DIMENSION : {n or len(coords)}", f"EDGE_WEIGHT_TYPE : {kind}"]
    if fmt:
        lines.append(f"EDGE_WEIGHT_FORMAT : {fmt}")
    if coords is not None:
        lines.append("NODE_COORD_SECTION")
        lines += [f"{i + 1} {x!r} {y!r}" for i, (x, y) in enumerate(coords)]
    if matrix_text is not None:
        lines.append("EDGE_WEIGHT_SECTION")
        lines.append(matrix_text)
    lines.append("EOF")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize("kind", ["EUC_2D", "CEIL_2D", "ATT", "GEO"])
def test_distances_match_tsplib_reference_code(tmp_path, kind):
    rng = np.random.default_rng(1)
    if kind == "GEO":  # DDD.MM latitude/longitude, both signs (truncation, not floor, of negatives)
        coords = np.round(np.column_stack([rng.uniform(-80, 80, 30), rng.uniform(-179, 179, 30)]), 2)
    else:
        coords = rng.integers(0, 5000, size=(30, 2)).astype(float)
        coords[:5] += 0.5  # half-way cases of nint
    inst = read_tsplib(write_tsp(tmp_path / "x.tsp", kind, coords=coords.tolist()))
    ref = np.array([[ref_distance(kind, a, b) if i != j else 0 for j, b in enumerate(coords)]
                    for i, a in enumerate(coords)])
    assert np.array_equal(inst.dist, ref)


def _matrix_text(m, fmt):
    n = len(m)
    rows = {
        "FULL_MATRIX": [m[i][j] for i in range(n) for j in range(n)],
        "UPPER_ROW": [m[i][j] for i in range(n) for j in range(i + 1, n)],
        "LOWER_ROW": [m[i][j] for i in range(n) for j in range(i)],
        "UPPER_DIAG_ROW": [m[i][j] for i in range(n) for j in range(i, n)],
        "LOWER_DIAG_ROW": [m[i][j] for i in range(n) for j in range(i + 1)],
        "UPPER_COL": [m[i][j] for j in range(n) for i in range(j)],
        "LOWER_DIAG_COL": [m[i][j] for j in range(n) for i in range(j, n)],
    }[fmt]
    # An awkward layout on purpose: 7 numbers per line regardless of rows.
    return "\n".join(" ".join(map(str, rows[k : k + 7])) for k in range(0, len(rows), 7))


@pytest.mark.parametrize(
    "fmt", ["FULL_MATRIX", "UPPER_ROW", "LOWER_ROW", "UPPER_DIAG_ROW", "LOWER_DIAG_ROW", "UPPER_COL", "LOWER_DIAG_COL"]
)
def test_explicit_formats(tmp_path, fmt):
    rng = np.random.default_rng(2)
    a = rng.integers(1, 999, size=(9, 9))
    m = np.triu(a, 1) + np.triu(a, 1).T
    path = write_tsp(tmp_path / "m.tsp", "EXPLICIT", matrix_text=_matrix_text(m.tolist(), fmt), fmt=fmt, n=9)
    inst = read_tsplib(path)
    assert np.array_equal(inst.dist, m)
    assert inst.ids.tolist() == list(range(1, 10))


def test_explicit_matrix_counts():
    with pytest.raises(ValueError, match="needs 3 numbers"):
        explicit_matrix(np.arange(4), 3, "UPPER_ROW")


def test_every_instance_reads_with_the_csv_metadata():
    rows = instances()
    if not rows:
        pytest.skip(f"no TSPLIB data under {DATA}")
    for r in rows:
        inst = read_tsplib(data_path("tsplib", r["name"] + ".tsp"))
        assert inst.n == int(r["n"]) and inst.dist.shape == (inst.n, inst.n)
        assert inst.edge_weight_type == r["edge_weight_type"]
        assert np.array_equal(inst.dist, inst.dist.T) and np.all(np.diag(inst.dist) == 0)


def test_ulysses22_published_tour_measures_the_optimum():
    inst = read_tsplib(data_path("tsplib", "ulysses22.tsp"))
    assert inst.tour_length(np.array(ULYSSES22_OPT) - 1) == 7013


BAD = {
    "bad number": ("NAME: b\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
                   "1 0 0\n2 3 x4\n3 1 1\nEOF\n", 7),
    "short row": ("NAME: b\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
                  "1 0 0\n2 3\n3 1 1\nEOF\n", 7),
    "too few cities": ("NAME: b\nTYPE: TSP\nDIMENSION: 4\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
                       "1 0 0\n2 3 4\n3 1 1\nEOF\n", None),
    "matrix count": ("NAME: b\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
                     "EDGE_WEIGHT_SECTION\n1 2\nEOF\n", 7),
    "matrix word": ("NAME: b\nTYPE: TSP\nDIMENSION: 3\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: UPPER_ROW\n"
                    "EDGE_WEIGHT_SECTION\n1 2\nthree\nEOF\n", 8),
    "no colon": ("NAME: b\nTYPE: TSP\nDIMENSION 3\n", 3),
    "no dimension": ("NAME: b\nTYPE: TSP\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n1 0 0\nEOF\n", None),
    "atsp": ("NAME: b\nTYPE: ATSP\nDIMENSION: 2\n", None),
    "unknown type": ("NAME: b\nTYPE: TSP\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: XRAY1\nNODE_COORD_SECTION\n"
                     "1 0 0\n2 1 1\nEOF\n", None),
    "asymmetric": ("NAME: b\nTYPE: TSP\nDIMENSION: 2\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: FULL_MATRIX\n"
                   "EDGE_WEIGHT_SECTION\n0 1\n2 0\nEOF\n", None),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_malformed_files_name_the_line(tmp_path, case):
    text, line = BAD[case]
    path = tmp_path / "bad.tsp"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        read_tsplib(path)
    assert info.value.path == str(path)
    if line is not None:
        assert info.value.line == line, str(info.value)


def test_cli_tsp_json_and_bad_file(tmp_path, capsys):
    path = data_path("tsplib", "burma14.tsp")
    assert main(["solve", "tsp", "--instance", str(path), "--time-limit", "1", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["objective"] == 3323 and out["length"] == 3323 and out["status"] == "optimal"
    assert sorted(out["tour"]) == list(range(1, 15))
    bad = tmp_path / "bad.tsp"
    bad.write_text(BAD["bad number"][0])
    assert main(["solve", "tsp", "--instance", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:7:" in err and "x4" in err
