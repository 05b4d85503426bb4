"""The example Tick 1 submissions in docs/challenge behave as their README says, and the corpus
generator in optmodel.corpus plants the structure its docstring claims (lineages, handout, borrowed
functions, own solutions), while make_tick's output stays what it always was."""

import ast
import hashlib
import itertools
import json
import os
import runpy
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from optmodel.corpus import (
    OWN_SOLUTIONS,
    PROGRAMS,
    TICK1_FAMILIES,
    CopyStyle,
    challenge_cohorts,
    main,
    make_challenge_corpus,
    make_tick,
)
from optmodel.errors import InputError
from optmodel.seriation import score
from optmodel.similarity import code_similarity, write_similarity_csv

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "challenge"


def entry(name):
    # runpy, not importlib: no __pycache__ left in docs/challenge to be mistaken for a submission.
    return runpy.run_path(str(EXAMPLES / name))["order"]


def is_permutation(order, n):
    return len(order) == n and sorted(int(i) for i in order) == list(range(n))


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    root = tmp_path_factory.mktemp("tick1")
    return root, challenge_cohorts(root, seed=3)


@pytest.fixture(scope="module")
def train(corpus):
    root, _ = corpus
    return code_similarity(root / "train")


def test_good_entries_return_permutations_and_two_opt_improves_on_greedy(train):
    names, s = train
    n = len(names)
    orders = {m: entry(f"{m}.py")(s, list(names)) for m in ("greedy", "spectral", "two_opt")}
    for m, order in orders.items():
        assert is_permutation(order, n), m
        assert all(isinstance(i, int) for i in order), m
    scores = {m: score(s, o) for m, o in orders.items()}
    assert scores["two_opt"] >= scores["greedy"] - 1e-9
    assert scores["greedy"] > score(s, list(range(n))) + 20  # the planted families are found
    # Tiny inputs are answered, not crashed on.
    for m in ("greedy", "spectral", "two_opt"):
        assert entry(f"{m}.py")(np.eye(2), ["a", "b"]) in ([0, 1], [1, 0])


def test_two_opt_leaves_no_improving_reversal():
    rng = np.random.default_rng(1)  # a matrix on which the greedy path is not 2-opt optimal
    a = rng.uniform(0, 1, (12, 12))
    s = (a + a.T) / 2
    np.fill_diagonal(s, 1)
    names = [f"x{i}" for i in range(12)]
    order = entry("two_opt.py")(s, names)
    assert is_permutation(order, 12)
    best = score(s, order)
    assert best > score(s, entry("greedy.py")(s, names)) + 1
    for i in range(12):
        for j in range(i + 2, 13):
            assert score(s, order[:i] + order[i:j][::-1] + order[j:]) <= best + 1e-9


def test_invalid_repeats_one_item_and_misses_another(train):
    names, s = train
    order = entry("invalid.py")(s, list(names))
    assert len(order) == len(names) and not is_permutation(order, len(names))
    counts = Counter(order)
    assert [k for k, c in counts.items() if c > 1] == [order[0]]  # the anchor, twice
    assert len(set(range(len(names))) - set(order)) == 1


def test_broken_raises_index_error(train):
    names, s = train
    with pytest.raises(IndexError):
        entry("broken.py")(s, list(names))


def test_too_slow_defines_order_by_brute_force():
    # Not run: it tries n! orders. Its answer is checked on a size it can finish.
    order = entry("too_slow.py")
    assert callable(order)
    assert "itertools.permutations" in (EXAMPLES / "too_slow.py").read_text()
    s = np.array([[1, 0.1, 0.9, 0.0], [0.1, 1, 0.2, 0.8], [0.9, 0.2, 1, 0.3], [0.0, 0.8, 0.3, 1]])
    assert order(s, list("abcd")) in ([0, 2, 3, 1], [1, 3, 2, 0])  # the best path, 0.9 + 0.3 + 0.8


def test_executable_reads_the_csv_and_prints_a_permutation(tmp_path):
    program = EXAMPLES / "sort_by_name"
    assert program.read_text().startswith("#!/usr/bin/env python3\n")
    assert os.access(program, os.X_OK)
    names = ["zoe", "ann", "mo", "bob"]
    rng = np.random.default_rng(1)
    a = rng.uniform(0, 1, (4, 4))
    write_similarity_csv(tmp_path / "s.csv", names, (a + a.T) / 2)
    run = subprocess.run([str(program), str(tmp_path / "s.csv")], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    order = [int(x) for x in run.stdout.replace(",", " ").split()]
    assert order == [1, 3, 2, 0]  # ann, bob, mo, zoe


def test_examples_are_self_contained_and_documented():
    readme = (EXAMPLES / "README.md").read_text()
    files = sorted(p.name for p in EXAMPLES.iterdir() if p.is_file() and p.name != "README.md")
    assert {"greedy.py", "spectral.py", "two_opt.py", "too_slow.py", "broken.py", "invalid.py",
            "sort_by_name"} <= set(files)
    for name in files:
        assert f"`{name}`" in readme, name
        tree = ast.parse((EXAMPLES / name).read_text())
        imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert "optmodel" not in imported, name  # students do not have optmodel


def _similarity_by_name(root, part):
    names, s = code_similarity(root / part)
    ix = {n: i for i, n in enumerate(names)}
    return names, s, lambda a, b: float(s[ix[a], ix[b]])


def _tree_distance(key, a, b):
    """Steps between two hand-ins of one family along copied_from links (through their common source)."""
    def up(x):
        chain = [x]
        while key[chain[-1]].copied_from:
            chain.append(key[chain[-1]].copied_from)
        return chain

    ua, ub = up(a), up(b)
    common = next(x for x in ua if x in ub)
    return ua.index(common) + ub.index(common)


def test_corpus_cohorts_have_families_lineages_and_own_solutions(corpus):
    root, cohorts = corpus
    assert set(cohorts) == {"train", "holdout"}
    assert len(PROGRAMS) >= 6 and len(OWN_SOLUTIONS) >= 3
    for part, per_family, independent in (("train", 4, 2), ("holdout", 5, 3)):
        made = cohorts[part]
        sizes = Counter(h.family for h in made)
        assert sum(sizes[p] for p in PROGRAMS) == per_family * len(PROGRAMS)
        assert all(sizes[p] >= 2 for p in PROGRAMS) and len(set(sizes[p] for p in PROGRAMS)) > 1  # uneven
        own = [h for h in made if h.family.endswith(" (own)")]
        assert len(own) == independent and len({h.family for h in own}) == independent
        assert all(h.copied_from is None for h in own)
        key = {h.student: h for h in made}
        for h in made:  # a copy is made after its source, from the same exercise
            source = h.copied_from
            assert source is None or (key[source].family == h.family and made.index(key[source]) < made.index(h))
            assert h.borrowed_from is None or key[h.borrowed_from].family != h.family
        founders = [h for h in made if h.copied_from is None and h.family in PROGRAMS]
        assert sorted(h.family for h in founders) == sorted(PROGRAMS)
        assert any(h.borrowed_from for h in made) and any(h.handout for h in made)
        assert max(Counter(h.copied_from for h in made if h.copied_from).values()) >= 2  # lineages branch
        names = [p.stem if p.is_file() else p.name for p in (root / part).iterdir() if not p.name.startswith(".")]
        assert sorted(names) == sorted(key)
        for p in (root / part).rglob("*.py"):
            ast.parse(p.read_text())  # valid Python: fingerprinted by the Python tokenizer, as real hand-ins


def test_lineage_neighbours_are_more_alike_than_lineage_ends(corpus):
    root, cohorts = corpus
    by_distance = {1: [], 2: [], 3: []}
    chains = []
    for part, made in cohorts.items():
        key = {h.student: h for h in made}
        _, _, sim = _similarity_by_name(root, part)
        for a, b in itertools.combinations(sorted(key), 2):
            if key[a].family == key[b].family and key[a].family in PROGRAMS:
                by_distance[min(_tree_distance(key, a, b), 3)].append(sim(a, b))
        for h in made:  # grandparent -> parent -> h
            if h.copied_from and key[h.copied_from].copied_from:
                p, g = h.copied_from, key[h.copied_from].copied_from
                chains.append(min(sim(h.student, p), sim(p, g)) > sim(h.student, g))
    mean = {d: np.mean(v) for d, v in by_distance.items()}
    assert mean[1] > mean[2] + 0.08 and mean[2] > mean[3] + 0.04  # similarity decays along a lineage
    assert np.mean(chains) >= 0.85 and len(chains) >= 15


def test_copies_are_nearest_their_family_and_own_solutions_are_nearest_nobody(corpus):
    root, cohorts = corpus
    for part, made in cohorts.items():
        names, s, _ = _similarity_by_name(root, part)
        fam = {h.student: h.family for h in made}
        off = s - 2 * np.eye(len(names))
        best = {a: names[int(np.argmax(off[i]))] for i, a in enumerate(names)}
        copies = [a for a in names if fam[a] in PROGRAMS]
        # A copier who pasted in another exercise's function (or whose function was taken) may be
        # nearer that stranger than to its own family; every other copy is nearest its own family.
        traded = {x for h in made if h.borrowed_from for x in (h.student, h.borrowed_from)}
        assert all(fam[best[a]] == fam[a] for a in copies if a not in traded)
        assert len(traded) <= len(copies) // 2
        own = [i for i, a in enumerate(names) if fam[a] not in PROGRAMS]
        weakest_copy = min(off[names.index(a)].max() for a in copies)
        assert own and max(off[i].max() for i in own) < min(0.35, weakest_copy)


def test_handout_and_borrowed_functions_link_families(corpus):
    root, cohorts = corpus
    handout, borrowed, plain = [], [], []
    for part, made in cohorts.items():
        key = {h.student: h for h in made}
        _, _, sim = _similarity_by_name(root, part)
        for a, b in itertools.combinations(sorted(key), 2):
            ha, hb = key[a], key[b]
            if ha.family == hb.family:
                continue
            if ha.borrowed_from == b or hb.borrowed_from == a:
                borrowed.append(sim(a, b))
            elif ha.handout and hb.handout:
                handout.append(sim(a, b))
            else:
                plain.append(sim(a, b))
    assert handout and borrowed and plain
    assert np.mean(handout) > np.mean(plain) + 0.04
    assert np.mean(borrowed) > np.mean(plain) + 0.04
    assert max(borrowed) > 0.1  # the blocks are not perfectly separated


def test_the_best_order_follows_the_lineages(corpus):
    root, cohorts = corpus
    for part, made in cohorts.items():
        key = {h.student: h for h in made}
        names, s, _ = _similarity_by_name(root, part)
        order = entry("two_opt.py")(s, list(names))
        pairs = [(names[i], names[j]) for i, j in itertools.pairwise(order)
                 if key[names[i]].family == key[names[j]].family]
        direct = [key[a].copied_from == b or key[b].copied_from == a for a, b in pairs]
        assert len(pairs) >= len(names) // 2 and np.mean(direct) >= 0.8  # a copy sits next to its source


def test_train_and_holdout_are_different_cohorts_and_the_seed_decides(corpus, tmp_path):
    root, cohorts = corpus
    maps = {part: {h.student: h.family for h in made} for part, made in cohorts.items()}
    assert set(maps["train"]) != set(maps["holdout"])
    texts = {p.read_text() for part in ("train", "holdout") for p in (root / part).rglob("*.py")}
    assert len(texts) == len(maps["train"]) + len(maps["holdout"])  # no copy is reused
    even = make_challenge_corpus(tmp_path / "even", seed=3, train_per_family=3, holdout_per_family=3,
                                 train_independent=2, holdout_independent=2)
    assert set(even["train"]) != set(even["holdout"])  # not the same cohort twice, even at equal sizes
    assert challenge_cohorts(tmp_path / "again", seed=3) == cohorts  # deterministic in the seed...
    for p in (root / "train").rglob("*"):
        if p.is_file():
            assert (tmp_path / "again" / "train" / p.relative_to(root / "train")).read_bytes() == p.read_bytes()
    assert make_challenge_corpus(tmp_path / "other", seed=4)["train"] != maps["train"]  # ...and changes with it
    with pytest.raises(InputError, match="already holds files"):
        make_challenge_corpus(tmp_path / "again", seed=3)


def test_copy_style_shapes_the_corpus(tmp_path):
    flat = challenge_cohorts(tmp_path / "flat", seed=3, style=CopyStyle(branch=0, handout=0, borrow=0))
    for made in flat.values():
        for prev, h in itertools.pairwise([h for h in made if h.family == "primes"]):
            assert h.copied_from == prev.student  # one chain per family
        assert not any(h.handout or h.borrowed_from for h in made)
    names, s = code_similarity(tmp_path / "flat" / "train")
    heavy = challenge_cohorts(tmp_path / "heavy", seed=3,
                              style=CopyStyle(edits=8, branch=0, handout=0, borrow=0))
    names_h, s_h = code_similarity(tmp_path / "heavy" / "train")
    fam = {h.student: h.family for h in flat["train"]}
    same = np.array([[fam[a] == fam[b] and a != b and fam[a] in PROGRAMS for b in names] for a in names])
    fam_h = {h.student: h.family for h in heavy["train"]}
    same_h = np.array([[fam_h[a] == fam_h[b] and a != b and fam_h[a] in PROGRAMS for b in names_h] for a in names_h])
    assert s_h[same_h].mean() < s[same].mean() - 0.1  # more edits per copy: families drift apart faster
    for bad in (CopyStyle(edits=-1), CopyStyle(branch=1.5), CopyStyle(borrow=-0.1)):
        with pytest.raises(InputError, match="probabilities"):
            challenge_cohorts(tmp_path / "bad", style=bad)
    with pytest.raises(InputError, match="independent"):
        challenge_cohorts(tmp_path / "bad", train_independent=len(OWN_SOLUTIONS) + 1)


def test_make_tick_default_is_unchanged(tmp_path):
    fam = make_tick(tmp_path / "t", per_family=2, seed=0)
    assert sorted(set(fam.values())) == sorted(TICK1_FAMILIES) and len(fam) == 8
    assert (tmp_path / "t" / ".DS_Store").exists()
    assert any(p.is_dir() and (p / "README.txt").exists() for p in (tmp_path / "t").iterdir())
    digest = hashlib.sha256()
    for p in sorted((tmp_path / "t").rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(tmp_path / "t").as_posix().encode() + b"\0" + p.read_bytes() + b"\0")
    # Byte for byte what make_tick has always written: the seriation tests and the recorded
    # benchmark tables describe this corpus.
    assert digest.hexdigest() == "3f3957018acb187315af03a07f24c0d21ccf7ed89d8c3a667d71daf577f1a23b"
    with pytest.raises(InputError, match="unknown exercise"):
        make_tick(tmp_path / "u", families=["primes", "chess"])


def test_corpus_cli(tmp_path, capsys):
    helped = subprocess.run([sys.executable, "-m", "optmodel.corpus", "--help"], capture_output=True, text=True,
                            timeout=60)
    assert helped.returncode == 0 and "--holdout-per-family" in helped.stdout and "--borrow" in helped.stdout
    argv = [str(tmp_path / "c"), "--seed", "1", "--train-per-family", "2", "--holdout-per-family", "3",
            "--train-independent", "1", "--holdout-independent", "0", "--edits", "2", "--borrow", "0.5"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"{tmp_path / 'c' / 'train'}: {2 * len(PROGRAMS) + 1} submissions" in out
    assert f"{tmp_path / 'c' / 'holdout'}: {3 * len(PROGRAMS)} submissions" in out
    key = json.loads((tmp_path / "c" / "families.json").read_text())
    style = CopyStyle(edits=2, borrow=0.5)
    assert key == make_challenge_corpus(tmp_path / "same", 1, 2, 3, 1, 0, style)
    lineage = json.loads((tmp_path / "c" / "lineage.json").read_text())
    full = challenge_cohorts(tmp_path / "full", 1, 2, 3, 1, 0, style)
    assert lineage["holdout"] == {h.student: {"family": h.family, "copied_from": h.copied_from,
                                              "edits": h.edits, "handout": h.handout,
                                              "borrowed_from": h.borrowed_from} for h in full["holdout"]}
    assert main([str(tmp_path / "c")]) == 2  # never writes over an earlier corpus
    assert "already holds files" in capsys.readouterr().err
    assert main([str(tmp_path / "d"), "--handout", "2"]) == 2
    assert "probabilities" in capsys.readouterr().err
