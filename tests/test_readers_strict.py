"""The text readers (DIMACS .gr, CSV edge lists, TSPLIB .tsp/.tour, similarity CSV) refuse bad input
before allocating anything sized by it, with an InputError naming the file and line: declared
sizes beyond what the file holds, ids beyond int64, truncated files, missing fields, numbers
outside the strict grammar (no '_', nan, inf, hex), bytes that are not UTF-8, directories."""

import subprocess
import sys
import time
import tracemalloc
import warnings

import numpy as np
import pytest
from conftest import REPO, data_path

from optmodel.cli import main
from optmodel.errors import InputError
from optmodel.graphs import (
    NumberError,
    from_networkx,
    parse_numbers,
    read_dimacs,
    read_edge_csv,
    read_graph,
)
from optmodel.problems.shortest_path import solve_graph
from optmodel.similarity import read_similarity_csv, write_similarity_csv
from optmodel.tsplib import MAX_DIMENSION, read_tour, read_tsplib

NINE_ARCS = "".join(f"a {i} {i % 9 + 1} 1\n" for i in range(1, 10))
COORD_HEAD = "NAME: x\nTYPE: TSP\nDIMENSION: {n}\nEDGE_WEIGHT_TYPE: EUC_2D\nNODE_COORD_SECTION\n"
MATRIX_HEAD = (
    "NAME: x\nTYPE: TSP\nDIMENSION: {n}\nEDGE_WEIGHT_TYPE: EXPLICIT\nEDGE_WEIGHT_FORMAT: {fmt}\nEDGE_WEIGHT_SECTION\n"
)
SIMILARITY = ",ann,bob,cy\nann,1,0.5,0.1\nbob,0.5,1,0.2\ncy,0.1,0.2,1\n"


def refused(reader, path, line=None, match=None):
    """The InputError ``reader(path)`` raises: it names the file (and ``line``)."""
    with pytest.raises(InputError, match=match) as info:
        reader(path)
    assert info.value.path == str(path), str(info.value)
    if line is not None:
        assert info.value.line == line, str(info.value)
    return info.value


def fast_and_small(reader, path, line, match, seconds=1.0, megabytes=20):
    """Refused at once, without allocating anything proportional to the declared sizes."""
    tracemalloc.start()
    began = time.perf_counter()
    try:
        refused(reader, path, line, match)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - began < seconds
    assert peak < megabytes * 2**20, f"{peak / 2**20:.0f} MiB allocated before refusing"


# --- the number grammar --------------------------------------------------------------------------


@pytest.mark.parametrize("token", ["1_000", "nan", "inf", "-Infinity", "0x10", " 1", "", ".", "1e", "١", "1e999"])
def test_strict_float_grammar(token):
    with pytest.raises(NumberError) as info:
        parse_numbers(["1", "2.5", token])
    assert info.value.index == 2


@pytest.mark.parametrize("token", ["1_0", "1.0", "1e3", "²", "99999999999999999999999", "-9223372036854775809"])
def test_strict_int_grammar(token):
    with pytest.raises(NumberError) as info:
        parse_numbers(["7", token], integer=True)
    assert info.value.index == 1


def test_grammar_accepts_plain_numbers():
    got = parse_numbers(["1", "-2.5", "+.5", "5.", "1E+05", "2e-3"])
    assert got.tolist() == [1, -2.5, 0.5, 5, 1e5, 2e-3]
    assert parse_numbers(["-9223372036854775808", "+7"], integer=True).tolist() == [-(2**63), 7]


# --- DIMACS ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("nodes", [10_000_000_000, 20_000_000, 99999999999999999999999])
def test_dimacs_vertex_count_beyond_the_arcs_fails_fast(tmp_path, nodes):
    f = tmp_path / "g.gr"
    f.write_text(f"p sp {nodes} 9\n{NINE_ARCS}")
    fast_and_small(read_dimacs, f, 1, f"{nodes} vertices but its 9 arcs touch at most 18; more than 1000000")


def test_dimacs_arc_count_beyond_the_lines_fails_fast(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text(f"c x\np sp 9 1000000000000\n{NINE_ARCS}")
    fast_and_small(read_dimacs, f, 2, "announces 1000000000000 arcs but only 9 lines follow")


def test_dimacs_isolated_vertices_within_the_bound_are_kept(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text("p sp 5 1\na 1 2 3\n")
    g = read_dimacs(f)
    assert g.num_vertices == 5 and g.num_arcs == 1
    f.write_text("p sp 5 0\nc no arcs at all\n")
    assert (read_dimacs(f).num_vertices, read_dimacs(f).num_arcs) == (5, 0)


@pytest.mark.parametrize(
    ("arc", "match"),
    [
        ("a 2 99999999999999999999999 1", "head vertex '99999999999999999999999' does not fit in a 64-bit integer"),
        ("a -99999999999999999999999 3 1", "tail vertex .* does not fit in a 64-bit integer"),
        ("a 2 3 1_000", "weight '1_000' is not a number"),
        ("a 2 3 nan", "weight 'nan' is not a number"),
        ("a 2 3 inf", "weight 'inf' is not a number"),
        ("a 2 3 0x1f", "weight '0x1f' is not a number"),
        ("a 2 3 1e999", "weight '1e999' is too large"),
        ("a 2 3 1e300", "weight 1e\\+300 is too large: weights are limited to ±1e\\+15"),
        ("a 1_0 3 1", "tail vertex '1_0' is not an integer"),
        ("a 2 \u0663 1", "head vertex .* is not an integer"),
        ("a 2 3", "missing its weight"),
        ("a 2", "missing its head and weight"),
        ("a", "missing its tail, head and weight"),
        ("a 2 3 4 5", "has 5 fields"),
        ("a 2 4 1", r"outside 1\.\.3"),
        ("x 2 3 1", "unknown line type 'x'"),
        ("p sp 3 2", "second problem line"),
    ],
)
def test_dimacs_bad_arc_names_its_line(tmp_path, arc, match):
    f = tmp_path / "g.gr"
    f.write_text(f"c test\np sp 3 2\na 1 2 5\n{arc}\n")
    refused(read_graph, f, 4, match)


def test_dimacs_bad_arc_among_comments_names_its_line(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text("p sp 3 3\na 1 2 5\nc middle\n\na 2 3 1\na 3 1 nan\n")
    refused(read_graph, f, 6, "weight 'nan'")


def test_dimacs_any_whitespace_is_a_separator(tmp_path):
    plain = tmp_path / "plain.gr"
    plain.write_text("p sp 3 3\na 1 2 5\na 2 3 1.5\na 3 1 7\n")
    other = tmp_path / "tabs.gr"
    other.write_text("c tabs, CRLF, leading blanks\r\np\tsp\t3\t3\r\na\t1\t2\t5\r\n  a 2\t 3  1.5\r\n\ta 3 1 7 \r\n")
    a, b = read_graph(plain), read_graph(other)
    for field in ("tail", "head", "weight", "ids"):
        assert np.array_equal(getattr(a, field), getattr(b, field))


def test_dimacs_last_arc_without_newline_is_refused(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text("p sp 3 2\na 1 2 5\na 2 3 12")  # "123" cut short reads as 12
    refused(read_graph, f, 3, "no newline at its end: the file may be cut short")
    f.write_bytes(b"p sp 3 2\r\na 1 2 5\r\na 2 3 12\r")  # cut inside CRLF: still no newline
    refused(read_graph, f, 3, "no newline at its end")
    f.write_text("p sp 3 2\na 1 2 5\na 2 3 12\nc a comment may end the file")
    assert read_graph(f).weight.tolist() == [5, 12]


def test_dimacs_lost_lines_are_counted(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text("p sp 3 3\na 1 2 5\na 2 3 1\n")
    refused(read_graph, f, 1, "announces 3 arcs but only 2 lines follow it")
    f.write_text("p sp 3 3\na 1 2 5\nc a comment\na 2 3 1\n")
    refused(read_graph, f, 1, "announces 3 arcs but the file has 2")


def test_dimacs_problem_line_must_come_first(tmp_path):
    f = tmp_path / "g.gr"
    f.write_text("a 1 2 5\np sp 2 1\n")
    refused(read_graph, f, 1, "no problem line")
    f.write_text("p sp 2 1_0\na 1 2 5\n")
    refused(read_graph, f, 1, "malformed problem line")


def test_rome99_reads_as_a_plain_parse_does():
    path = data_path("graphs", "rome99.gr")
    arcs = [ln.split()[1:] for ln in path.read_text().splitlines() if ln.startswith("a ")]
    g = read_graph(path)
    assert g.num_vertices == 3353 and g.num_arcs == len(arcs) == 8870
    assert g.tail.tolist() == [int(a[0]) - 1 for a in arcs] and g.head.tolist() == [int(a[1]) - 1 for a in arcs]
    assert g.weight.tolist() == [float(a[2]) for a in arcs]


def _outcome(path):
    """What ``read_dimacs`` makes of ``path``: the arrays, or the error message."""
    try:
        g = read_dimacs(path)
    except InputError as err:
        return str(err)
    return (g.num_vertices, g.tail.tolist(), g.head.tolist(), g.weight.tolist(), np.signbit(g.weight).tolist(),
            g.weight.dtype.kind)


@pytest.mark.parametrize(
    "body",
    [
        "a 1 2 9223372036854775807\n",  # int64's end: numpy saturates overflow there, so token by token
        "a 1 2 99999999999999999999\n",
        "a 1 2 -9223372036854775809\n",
        "a 1 2 - 5\n",  # a sign alone
        "a 1 2 5-\n",
        "a 1 2 -\n",
        "a 1 2 --5\n",
        "a1 2 3\n",  # 'a' not alone
        "a 1 2 3a\n",
        "a 1 2\na 1 2 3 4\n",  # 3 + 5 fields: 8 tokens, 2 'a'
        "a 1 2 3\n\na 2 1 4\n",  # a blank line among the arcs
        "a 1 2 3\na 2 1 4\n\n\n",  # blank lines after them
        " a 1 2 3\n",
        "a 1 2 3\r\na 2 1 -4\r\n",
        "a\t1\t2\t3\t\n",
        "a 1 2 +3\n",
        "a 1 2 3.5\n",
        "a 1 2 007\n",
        "a 1 2 -0\na 2 1 -00\n",  # -0.0, as the token-by-token reading keeps it
    ],
)
def test_dimacs_whole_array_path_agrees_with_token_by_token(tmp_path, monkeypatch, body):
    f = tmp_path / "g.gr"
    f.write_text(f"p sp 2 {body.count('a')}\n" + body)
    fast = _outcome(f)
    monkeypatch.setattr("optmodel.graphs._plain_arcs", lambda body: None)
    assert fast == _outcome(f)


def test_dimacs_whole_array_path_agrees_on_random_damage(tmp_path, monkeypatch):
    """Thousands of small files, each a valid one with a few bytes inserted, deleted or replaced:
    the whole-array reading of plain integer arcs must give exactly what the line-by-line reading
    gives (the same arrays, or the same error)."""
    import optmodel.graphs as graphs

    rng = np.random.default_rng(0)
    alphabet = list(b"0123456789-+a \t\r\nxe.")
    original = b"p sp 5 6\na 1 2 3\na 2 3 -4\na 3 4 50\na 4 5 6\na 5 1 0\na 1 3 12\n"
    plain = graphs._plain_arcs
    f = tmp_path / "g.gr"
    taken = 0
    for _ in range(3000):
        data = bytearray(original)
        for _ in range(rng.integers(1, 4)):
            at = int(rng.integers(len("p sp 5 6\n"), len(data) + 1))
            kind = rng.integers(3)
            if kind == 0:
                data[at:at] = bytes([alphabet[rng.integers(len(alphabet))]])
            elif at < len(data):
                data[at : at + 1] = b"" if kind == 1 else bytes([alphabet[rng.integers(len(alphabet))]])
        f.write_bytes(bytes(data))
        monkeypatch.setattr(graphs, "_plain_arcs", plain)
        fast = _outcome(f)
        monkeypatch.setattr(graphs, "_plain_arcs", lambda body: None)
        taken += plain(bytes(data[len("p sp 5 6\n") :])) is not None
        assert fast == _outcome(f), bytes(data)
    assert taken > 300  # the whole-array path was really exercised


# --- CSV edge lists --------------------------------------------------------------------------------


def test_csv_line_that_lost_its_weight_is_an_error_never_weight_1(tmp_path):
    rome = read_graph(data_path("graphs", "rome99.gr"))
    rows = [f"{a},{b},{int(w)}" for a, b, w in zip(rome.ids[rome.tail], rome.ids[rome.head], rome.weight)]
    f = tmp_path / "rome.csv"
    f.write_text("source,target,weight\n" + "\n".join(rows) + "\n")
    assert solve_graph(read_graph(f), 1, 3353).solution.objective == 30305
    rows[100] = rows[100].rsplit(",", 1)[0]
    f.write_text("source,target,weight\n" + "\n".join(rows) + "\n")
    refused(read_graph, f, 102, "2 fields where the header has 3 .*its weight is missing")
    f.write_text("\n".join(rows) + "\n")  # no header: the other rows say a weight is due
    refused(read_graph, f, 101, "2 fields where other rows have 3 .*its weight is missing")


def test_csv_without_any_weight_means_unit_weights(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("source,target\nx,y\ny,z\n")
    g = read_edge_csv(f)
    assert g.weight.tolist() == [1.0, 1.0] and g.ids.tolist() == ["x", "y", "z"]
    f.write_text("source,target,weight\nx,y,2\ny,z,\n")
    refused(read_graph, f, 3, "weight is missing")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("2,99999999999999999999999,1", "vertex id '99999999999999999999999' does not fit in a 64-bit integer"),
        ("2,3,1_000", "weight '1_000' is not a number"),
        ("2,3,nan", "weight 'nan' is not a number"),
        ("2,3,-inf", "weight '-inf' is not a number"),
        ("2,3,1e300", "weight 1e\\+300 is too large"),
        ("2,,1", "target vertex is missing"),
        ("2,3,1,4", "4 fields; expected 3"),
    ],
)
def test_csv_bad_row_names_its_line(tmp_path, row, match):
    f = tmp_path / "g.csv"
    f.write_text(f"# comment\n1,2,5\n{row}\n")
    refused(read_graph, f, 3, match)


def test_csv_first_row_with_a_bad_weight_is_no_header(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("1,2,nan\n2,3,1\n")
    refused(read_graph, f, 1, "weight 'nan'")


def test_csv_last_row_without_newline_is_refused(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("a,b,5\nb,c,12")
    refused(read_graph, f, 2, "may be cut short")
    f.write_bytes(b"a,b,5\r\nb,c,12\r")
    refused(read_graph, f, 2, "may be cut short")
    f.write_text("a,b,5\nb,c,12\n# a comment may end the file")
    assert read_graph(f).weight.tolist() == [5, 12]


def test_csv_names_are_strict_integers_or_strings(tmp_path):
    f = tmp_path / "g.csv"
    f.write_text("1,2,5\n2,3,1\n")
    assert read_edge_csv(f).ids.tolist() == [1, 2, 3]
    f.write_text("1, 2 ,5\n2,\t3\u00a0, 1\n")  # blanks around cells (a no-break space too) are no part of them
    assert read_edge_csv(f).ids.tolist() == [1, 2, 3]
    g = read_edge_csv(f)
    assert g.ids.dtype == np.int64 and g.vertex("3") == 2
    with pytest.raises(InputError, match="not in the graph"):
        g.vertex("0_3")  # int() would read 3
    with pytest.raises(InputError, match="not in the graph"):
        g.vertex(2.5)


def test_weights_from_networkx_must_be_finite():
    nx = pytest.importorskip("networkx")
    g = nx.DiGraph()
    g.add_edge(1, 2, weight=float("nan"))
    with pytest.raises(InputError, match="edge 1 -> 2 has weight nan"):
        from_networkx(g)


# --- all text formats: encoding and directories ----------------------------------------------------

GOOD = {
    "g.gr": "p sp 3 2\nc café\na 1 2 5\na 2 3 1\n",
    "g.csv": "source,target,weight\n# café\na,b,1\nb,c,2\n",
    "t.tsp": COORD_HEAD.format(n=3) + "1 0 0\n2 3 4\n3 0 4\nEOF\n",
    "s.csv": SIMILARITY,
}
READERS = {"g.gr": read_graph, "g.csv": read_graph, "t.tsp": read_tsplib, "s.csv": read_similarity_csv}


@pytest.mark.parametrize("name", sorted(GOOD))
def test_bytes_that_are_not_utf8_name_the_line(tmp_path, name):
    f = tmp_path / name
    f.write_text(GOOD[name])
    READERS[name](f)  # the file reads as UTF-8
    lines = GOOD[name].encode().split(b"\n")
    lines[2] = lines[2][:1] + b"\xff" + lines[2][1:]
    f.write_bytes(b"\n".join(lines))
    refused(READERS[name], f, 3, "byte 0xff in column 2 is not UTF-8 text")


@pytest.mark.parametrize("name", sorted(GOOD))
def test_a_directory_is_not_a_file(tmp_path, name):
    (tmp_path / name).mkdir()
    refused(READERS[name], tmp_path / name, None, "is a directory")


def test_a_missing_file_is_no_such_file(tmp_path):
    for name, reader in READERS.items():
        refused(reader, tmp_path / f"missing-{name}", None, "no such file")


# --- TSPLIB ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "fmt", "needed"), [(1_000_000, "UPPER_ROW", 499999500000), (20_000, "FULL_MATRIX", 4 * 10**8)]
)
def test_tsplib_declared_matrix_is_counted_before_allocation(tmp_path, n, fmt, needed):
    f = tmp_path / "m.tsp"
    f.write_text(MATRIX_HEAD.format(n=n, fmt=fmt) + "\n".join(["5 5 5 5 5 5 5"] * 13) + "\nEOF\n")
    fast_and_small(read_tsplib, f, 19, f"EDGE_WEIGHT_SECTION has 91 numbers; {fmt} for DIMENSION {n} needs {needed}")


def test_tsplib_dimension_bound_is_stated(tmp_path):
    n = MAX_DIMENSION + 1
    f = tmp_path / "big.tsp"
    f.write_text(COORD_HEAD.format(n=n) + "".join(f"{i + 1} {i} {i}\n" for i in range(n)) + "EOF\n")
    fast_and_small(read_tsplib, f, 5, f"DIMENSION {n} is too large.*at most {MAX_DIMENSION} cities", 3, 60)


def test_tsplib_cut_mid_number_without_eof_is_refused(tmp_path):
    burma = data_path("tsplib", "burma14.tsp").read_text()
    assert read_tsplib(data_path("tsplib", "burma14.tsp")).tour_length(np.arange(14)) > 0
    f = tmp_path / "burma14.tsp"
    f.write_text(burma[: burma.index("94.55") + 2])  # "94.55" read as 94 gave "optimal 3234"
    refused(read_tsplib, f, 22, "no newline at its end and the file has no EOF line: the file may be cut short")
    f.write_text(burma[: burma.index(" 14  ")])  # cut at a line end: a city short
    refused(read_tsplib, f, 21, "NODE_COORD_SECTION has 13 cities, DIMENSION says 14")  # its last city
    f.write_text(burma.replace("EOF\n", ""))  # no EOF but a complete last line (as pr1002.tsp)
    assert read_tsplib(f).n == 14
    f.write_bytes(burma.replace("EOF\n", "").rstrip().replace("\n", "\r\n").encode() + b"\r")  # cut in a CRLF
    refused(read_tsplib, f, 22, "may be cut short")


def test_tsplib_matrix_section_cut_short_is_refused(tmp_path):
    f = tmp_path / "m.tsp"
    f.write_text(MATRIX_HEAD.format(n=4, fmt="UPPER_ROW") + "1 2 3\n4 5\n6")
    refused(read_tsplib, f, 9, "may be cut short")
    f.write_text(MATRIX_HEAD.format(n=4, fmt="UPPER_ROW") + "1 2 3\n4 5\n")
    refused(read_tsplib, f, 8, "has 5 numbers; UPPER_ROW for DIMENSION 4 needs 6")


@pytest.mark.parametrize(
    ("row", "match"),
    [
        ("2 nan 1", "coordinate 'nan' is not a number"),
        ("2 inf 1", "coordinate 'inf' is not a number"),
        ("2 1_0 1", "coordinate '1_0' is not a number"),
        ("2 0x1A 1", "coordinate '0x1A' is not a number"),
        ("2 1e300 1", "coordinate 1e\\+300 is too large: coordinates are limited to ±1e\\+09"),
        ("2.5 1 1", "city id '2.5' is not an integer"),
        ("99999999999999999999999 1 1", "city id .* does not fit in a 64-bit integer"),
        ("1 1 1", "city id 1 appears twice"),
    ],
)
def test_tsplib_bad_coordinate_names_its_line_without_numpy_warnings(tmp_path, row, match):
    f = tmp_path / "c.tsp"
    f.write_text(COORD_HEAD.format(n=3) + f"1 0 0\n{row}\n3 1 1\nEOF\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning on the way
        refused(read_tsplib, f, 7, match)


@pytest.mark.parametrize(
    ("numbers", "line", "match"),
    [
        ("1 2 3\n4 nan 6", 8, "edge weight 'nan' is not a number"),
        ("1 2 3\n4 -5 6", 8, "edge weight -5 is negative"),
        ("1 2 3\n4 5.5 6", 8, "must be an integer"),
        ("1 2 1e300\n4 5 6", 7, "edge weight 1e\\+300 is too large"),
    ],
)
def test_tsplib_bad_edge_weight_names_its_line(tmp_path, numbers, line, match):
    f = tmp_path / "m.tsp"
    f.write_text(MATRIX_HEAD.format(n=4, fmt="UPPER_ROW") + numbers + "\nEOF\n")
    refused(read_tsplib, f, line, match)


def test_tsplib_headers_are_strict(tmp_path):
    f = tmp_path / "h.tsp"
    body = "1 0 0\n2 3 4\n3 0 4\nEOF\n"
    f.write_text(COORD_HEAD.format(n="1_4") + body)
    refused(read_tsplib, f, 3, "DIMENSION must be a whole number, got '1_4'")
    f.write_text(COORD_HEAD.format(n=3).replace("TYPE: TSP\n", "TYPE: TSP\nDIMENSION: 14\n") + body)
    refused(read_tsplib, f, 4, "DIMENSION appears twice")
    f.write_text(MATRIX_HEAD.format(n=2, fmt="FULL_MATRIX") + "0 1\n2 0\nEOF\n")
    refused(read_tsplib, f, 7, "not symmetric: row 1 column 2 is 1, row 2 column 1 is 2")


def test_tour_files(tmp_path):
    f = tmp_path / "t.tour"
    f.write_text("NAME: t\nTYPE: TOUR\nDIMENSION: 3\nTOUR_SECTION\n1\n3\n2\n-1\nEOF\n")
    assert read_tour(f) == [1, 3, 2]
    f.write_text("NAME: t\nTYPE: TOUR\nDIMENSION: 3\nTOUR_SECTION\n1\n3\n2\n")
    refused(read_tour, f, 7, "before the TOUR_SECTION's closing -1")
    f.write_text("NAME: t\nTYPE: TOUR\nDIMENSION: 3\nTOUR_SECTION\n1\n3\nEOF\n")
    refused(read_tour, f, 7, "without its closing -1")
    f.write_text("DIMENSION: 3\nTOUR_SECTION\n1 3 1\n-1\n")
    refused(read_tour, f, 3, "city 1 appears twice")
    f.write_text("DIMENSION: 3\nTOUR_SECTION\n1 3\n-1\n")
    refused(read_tour, f, 4, "the tour has 2 cities, DIMENSION says 3")
    f.write_text("DIMENSION: 3\nTOUR_SECTION\n1 1_0 2\n-1\n")
    refused(read_tour, f, 3, "expected a city id")


def test_every_shared_tsplib_file_still_reads():
    files = sorted(data_path("tsplib").glob("*.tsp"))
    assert len(files) >= 15
    for f in files:
        inst = read_tsplib(f)
        assert inst.dist.shape == (inst.n, inst.n) and (inst.dist >= 0).all()


# --- similarity CSV --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cell", "match"),
    [
        ("1e300", "row 'bob', column 'cy': 1e\\+300 is too large; similarities are limited to ±1e\\+100"),
        ("nan", "row 'bob', column 'cy': value 'nan' is not a number"),
        ("inf", "value 'inf' is not a number"),
        ("0_2", "value '0_2' is not a number"),
        ("", "row 'bob', column 'cy': value is missing"),
    ],
)
def test_similarity_bad_value_names_line_and_column(tmp_path, cell, match):
    f = tmp_path / "s.csv"
    f.write_text(SIMILARITY.replace("bob,0.5,1,0.2", f"bob,0.5,1,{cell}").replace("cy,0.1,0.2", f"cy,0.1,{cell}"))
    refused(read_similarity_csv, f, 3, match)


def test_similarity_rows_alike_and_complete(tmp_path):
    f = tmp_path / "s.csv"
    f.write_text(SIMILARITY.replace("bob,0.5", "0.5"))  # one row lost its name: no guessing
    refused(read_similarity_csv, f, 3, "expected a name and 3 values, got 3 cells")
    f.write_text(SIMILARITY.rstrip("\n"))
    refused(read_similarity_csv, f, 4, "may be cut short")
    f.write_text(SIMILARITY.replace(",ann,bob", ",,bob"))
    refused(read_similarity_csv, f, 1, "name of column 1 is missing")


def test_similarity_round_trip_still_works(tmp_path):
    rng = np.random.default_rng(1)
    s = rng.random((30, 30))
    s = (s + s.T) / 2
    names = [f"item{k}" for k in range(30)]
    write_similarity_csv(tmp_path / "s.csv", names, s)
    got_names, got = read_similarity_csv(tmp_path / "s.csv")
    assert got_names == names and np.allclose(got, s, rtol=1e-5)


# --- through the CLI: exit 2, one line, no traceback -------------------------------------------------


def test_cli_refuses_with_one_line(tmp_path, capsys):
    huge = tmp_path / "huge.gr"
    huge.write_text(f"p sp 10000000000 9\n{NINE_ARCS}")
    cut = tmp_path / "cut.tsp"
    cut.write_text(COORD_HEAD.format(n=3) + "1 0 0\n2 3 4\n3 0 4")
    sim = tmp_path / "s.csv"
    sim.write_text(SIMILARITY.replace("bob,0.5,1,0.2", "bob,0.5,1,1e300").replace("cy,0.1,0.2", "cy,0.1,1e300"))
    folder = tmp_path / "folder.gr"
    folder.mkdir()
    cases = [
        (["solve", "shortest-path", "--graph", str(huge), "--source", "1", "--target", "2"], f"{huge}:1:"),
        (["solve", "mst", "--graph", str(folder)], "is a directory"),
        (["solve", "tsp", "--instance", str(cut)], f"{cut}:8:"),
        (["solve", "seriation", "--similarity", str(sim)], f"{sim}:3:"),
    ]
    for argv, where in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert where in err and len(err.strip().splitlines()) == 1, err


def test_cli_subprocess_tabs_work_and_bad_ids_have_no_traceback(tmp_path):
    tabs = tmp_path / "tabs.gr"
    tabs.write_text("p\tsp\t3\t2\na\t1\t2\t5\na\t2\t3\t1\n")
    run = [sys.executable, "-m", "optmodel", "solve", "shortest-path", "--source", "1", "--target", "3", "--graph"]
    ok = subprocess.run([*run, str(tabs)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert ok.returncode == 0 and "6" in ok.stdout, ok.stderr
    bad = tmp_path / "ids.csv"
    bad.write_text("1,2,5\n2,99999999999999999999999,1\n")
    proc = subprocess.run([*run, str(bad)], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f"optmodel: {bad}:2: vertex id '99999999999999999999999' does not fit in a 64-bit integer"
    ]
