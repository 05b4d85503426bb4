import itertools
import json
import random
from pathlib import Path

import numpy as np
import pytest

import optmodel
from optmodel.cli import main
from optmodel.corpus import PROGRAMS, disguise, make_tick
from optmodel.errors import InputError
from optmodel.problems.seriation import seriate
from optmodel.seriation import criteria, score, triple_criteria
from optmodel.similarity import (
    code_similarity,
    fingerprints,
    generic_tokens,
    kgram_hashes,
    python_tokens,
    read_similarity_csv,
    winnow,
    write_similarity_csv,
)


def test_renaming_and_comments_do_not_change_python_tokens():
    rng = random.Random(1)
    a = python_tokens(PROGRAMS["primes"])
    b = PROGRAMS["primes"].replace("divisor", "d").replace("number", "n_2") + "# trailing comment\n"
    assert python_tokens(b) == a
    assert "V" in a and "while" in a and "range" in a and "N" in a
    broken = "def f(:\n  return 'x' # c\n"
    assert python_tokens(broken) == generic_tokens(broken)
    c_like = "int x = 42; // hi\n/* block */ s = \"str\";"
    assert generic_tokens(c_like) == ["int", "V", "=", "N", ";", "V", "=", "S", ";"]
    assert disguise(PROGRAMS["bank"], rng) != PROGRAMS["bank"]


def test_winnowing_matches_the_definition():
    rng = np.random.default_rng(0)
    for w in (1, 3, 4, 8):
        h = rng.integers(0, 50, size=60).astype(np.uint64)  # many ties: rightmost minimum
        expected = set()
        for start in range(len(h) - w + 1):
            window = h[start : start + w]
            expected.add(start + max(i for i in range(w) if window[i] == window.min()))
        assert set(winnow(h, w).tolist()) == expected
    # Equal k-grams hash equally wherever they occur, different ones differently.
    ids = np.array([1, 2, 3, 4, 1, 2, 3, 4, 5])
    hs = kgram_hashes(ids, 4)
    assert hs[0] == hs[4] and len(set(hs.tolist())) == 5
    assert fingerprints(np.arange(3), k=5).size == 0


def test_families_are_found_and_ordered_in_blocks(tmp_path):
    family = make_tick(tmp_path / "tick", per_family=4)
    names, s = code_similarity(tmp_path / "tick")
    assert sorted(names) == sorted(family)
    same = np.array([[family[a] == family[b] for b in names] for a in names])
    off = ~np.eye(len(names), dtype=bool)
    assert s[same & off].min() > s[~same].max()  # disguised copies stay more alike than strangers
    order, sol, crit = seriate(names, s, "fast-tsp", optmodel.SolveOptions(time_limit=1))
    labels = [family[names[i]] for i in order]
    runs = [k for k, _ in itertools.groupby(labels)]
    assert len(runs) == len(set(family.values()))  # every family is one contiguous block
    _, _, base = seriate(names, s, "spectral")
    assert crit["score"] >= base["score"] - 1e-9
    assert crit["score"] == pytest.approx(100 * sol.objective / (len(names) - 1))


def test_criteria_match_their_definitions():
    rng = np.random.default_rng(2)
    a = rng.uniform(0, 1, size=(9, 9))
    s = (a + a.T) / 2
    np.fill_diagonal(s, 1)
    order = rng.permutation(9)
    d = 1 - s[np.ix_(order, order)]
    np.fill_diagonal(d, 0)
    ev = dev = graw = gw = 0.0
    for i, k, j in itertools.combinations(range(9), 3):
        for x in (d[i, j] - d[i, k], d[i, j] - d[k, j]):
            ev += x < 0
            dev += -x if x < 0 else 0
            graw += np.sign(x)
            gw += x
    got = triple_criteria(d)
    assert got == pytest.approx({"ar_events": ev, "ar_deviations": dev, "gradient_raw": graw, "gradient_weighted": gw})
    c = criteria(s, order)
    assert c["path_length"] == pytest.approx(sum(d[i, i + 1] for i in range(8)))
    assert c["score"] == pytest.approx(100 * np.mean([s[order[i], order[i + 1]] for i in range(8)]))
    assert c["inertia"] == pytest.approx(sum(d[i, j] * (i - j) ** 2 for i in range(9) for j in range(9)))
    # A Robinson matrix in its natural order has no anti-Robinson events and the best gradient.
    x = np.sort(rng.uniform(0, 10, 12))
    rob = np.exp(-np.abs(x[:, None] - x[None, :]))
    best = criteria(rob, np.arange(12))
    assert best["ar_events"] == 0 and best["ar_deviations"] == 0
    assert best["gradient_raw"] > criteria(rob, rng.permutation(12))["gradient_raw"]
    assert score(rob * 50, np.arange(12)) == pytest.approx(score(rob, np.arange(12)))  # scaled to s_max


def test_similarity_csv_round_trip_and_errors(tmp_path):
    names = ["ann", "bob", "cy"]
    s = np.array([[1, 0.5, 0.1], [0.5, 1, 0.2], [0.1, 0.2, 1]])
    write_similarity_csv(tmp_path / "s.csv", names, s)
    got_names, got = read_similarity_csv(tmp_path / "s.csv")
    assert got_names == names and np.allclose(got, s)
    bad = {
        "ann,bob,cy\n1,0.5,0.1\n0.5,1,oops\n0.1,0.2,1\n": 3,
        ",ann,bob,cy\nann,1,0.5,0.1\nbob,0.5,1\ncy,0.1,0.2,1\n": 3,
        ",ann,bob,cy\nann,1,0.5,0.1\nbib,0.5,1,0.2\ncy,0.1,0.2,1\n": 3,
        ",ann,bob,cy\nann,1,0.9,0.1\nbob,0.5,1,0.2\ncy,0.1,0.2,1\n": 2,
    }
    for text, line in bad.items():
        (tmp_path / "b.csv").write_text(text)
        with pytest.raises(InputError) as info:
            read_similarity_csv(tmp_path / "b.csv")
        assert info.value.line == line, str(info.value)


def test_cli_code_plot_and_holdout(tmp_path, capsys):
    family = make_tick(tmp_path / "year1", per_family=3, seed=1)
    make_tick(tmp_path / "year2", per_family=3, seed=2)
    out_png = tmp_path / "heat.png"
    argv = ["solve", "seriation", "--code", str(tmp_path / "year1"), "--plot", str(out_png),
            "--holdout", str(tmp_path / "year2"), "--time-limit", "0.5", "--json"]
    assert main(argv) == 0
    out = json.loads(capsys.readouterr().out)
    assert sorted(out["order"]) == sorted(family) and out["status"] in ("feasible", "optimal")
    assert out["score"] == pytest.approx(out["criteria"]["score"]) and out["score"] >= out["baseline"]["score"]
    assert 0 < out["holdout"]["score"] <= 100 and len(out["holdout"]["order"]) == 12
    assert out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    write = tmp_path / "m.csv"
    assert main(["solve", "seriation", "--code", str(tmp_path / "year1"), "--write-matrix", str(write)]) == 0
    capsys.readouterr()
    assert main(["solve", "seriation", "--similarity", str(write), "--backend", "ortools", "--time-limit", "0.5",
                 "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["backend"].startswith("routing") and sorted(again["order"]) == sorted(family)
    assert main(["solve", "seriation", "--code", str(tmp_path / "nowhere")]) == 2
    assert "not a folder" in capsys.readouterr().err


def test_real_source_files_beat_the_spectral_baseline(tmp_path):
    import networkx

    folder = Path(networkx.__file__).parent / "algorithms" / "centrality"
    if not folder.is_dir():
        pytest.skip("networkx's centrality sources are not installed here")
    names, s = code_similarity(folder)
    assert len(names) >= 10
    _order, _, crit = seriate(names, s, "fast-tsp", optmodel.SolveOptions(time_limit=1))
    _, _, base = seriate(names, s, "spectral")
    assert crit["score"] > base["score"]
