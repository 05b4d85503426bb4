"""A synthetic "Tick 1": corpora of code submissions with planted families, for seriation and its challenge.

The lecture's Tick 1 ordered real student hand-ins so that similar code sits together. This module
writes stand-ins whose answer is known. Each exercise in :data:`PROGRAMS` (a realistic 15–40 line
Python program) is a *family*: several students hand in copies of it, disguised the way copiers
disguise code. Hand-ins are saved under shuffled student names (``s123.py``); every fifth student
hands in a folder (``s123/tick1.py`` with a ``README.txt``) instead of a file, and a binary
``.DS_Store`` decoy lies in the folder, as on a real hand-in share.

**make_tick** (the seriation tests' and benchmarks' corpus; its output never changes) writes
``per_family`` copies of each exercise, each disguised independently from the original:

* identifiers renamed (about 70% of the names outside :data:`KEEP`, keywords and builtins kept),
* top-level ``def``/``class`` blocks reordered,
* a comment inserted in every block and a header comment added,
* integer literals nudged by 0–2.

None of this touches the fingerprint's normalised token stream (names, numbers and comments are
normalised away) except the block order, so all copies of a family are about equally similar
(0.8–1) and strangers hardly at all (< 0.05): clean blocks, and the order inside a block hardly matters.

**make_challenge_corpus** (the challenge's corpus) writes a training cohort and a held-out cohort
(``root/train``, ``root/holdout``: a different class handing in the same exercises, drawn with
seeds ``2*seed`` and ``2*seed + 1``) with the graded structure of a real class:

* **Copy lineages.** A family starts with one student's hand-in (disguised as above). Each further
  copy takes a classmate's hand-in of the same exercise — the latest copy, or with probability
  ``branch`` an earlier one — and adds ``edits`` ± 1 disguise steps that do change the code's
  structure: a leftover ``print`` or unused variable inserted, a result named before it is
  returned, ``x += y`` written out, a docstring or a ``__main__`` block added (and about a fifth of
  the names renamed again, now and then a function moved). Copies of copies drift away step by
  step: parent and copy ≈ 0.75 similar on average, two steps apart ≈ 0.6, four ≈ 0.5, six ≈ 0.4
  (default style), so the best order follows the lineage, and a branching tree has no perfect order.
* **Shared handout code.** With probability ``handout`` a family's first student (or an
  independent student) pastes in the course's test harness (:data:`HANDOUT`); copies inherit it.
  Hand-ins of different exercises that carry it are weakly alike (≈ 0.1, at most ≈ 0.3).
* **Borrowed functions.** With probability ``borrow`` a copier also pastes in one function from a
  hand-in of *another* exercise (≈ 0.1–0.4 alike), so blocks are not perfectly separated and the
  order of the blocks matters.
* **Independent solutions.** ``*_independent`` students write their own solution of an exercise
  (:data:`OWN_SOLUTIONS`, one student each): weakly similar to everything (their family,
  ``"EXERCISE (own)"``, has one member).

A family has ``*_per_family`` hand-ins on average (at least two each; the rest dealt at random,
so some exercises are copied more than others). ``edits``, ``branch``, ``handout`` and ``borrow``
form a :class:`CopyStyle`. The defaults make 26 training and 33 held-out hand-ins, on
which optmodel's exact MIP proves the optimum within a second and which separate the example
entries in ``docs/challenge`` (measured over seeds 0–9, points of score below the optimum): 2-opt
0–0.3, greedy nearest neighbour from every start 0–2, the spectral order 4–20 (the Fiedler vector
splits weakly linked families).

:func:`challenge_cohorts` returns the full answer key (:class:`HandIn`: who copied whom, with how
many edits, from whom functions were taken, who carries the handout); :func:`make_challenge_corpus`
returns ``{cohort: {student: family}}``.

    python -m optmodel.corpus OUT [--seed S] [--train-per-family N] [--holdout-per-family N] ...

writes ``OUT/train``, ``OUT/holdout``, the answer key ``OUT/families.json`` and the lineages
``OUT/lineage.json``. Everything is deterministic in the seed.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from optmodel.errors import InputError

PROGRAMS: dict[str, str] = {
    "primes": '''
def is_prime(number):
    if number < 2:
        return False
    divisor = 2
    while divisor * divisor <= number:
        if number % divisor == 0:
            return False
        divisor += 1
    return True


def primes_below(limit):
    found = []
    for candidate in range(limit):
        if is_prime(candidate):
            found.append(candidate)
    return found


def twin_primes(limit):
    ps = primes_below(limit)
    return [(a, b) for a, b in zip(ps, ps[1:]) if b - a == 2]
''',
    "bank": '''
class Account:
    def __init__(self, owner, balance=0):
        self.owner = owner
        self.balance = balance
        self.history = []

    def deposit(self, amount):
        if amount <= 0:
            raise ValueError("positive amounts only")
        self.balance += amount
        self.history.append(("deposit", amount))

    def withdraw(self, amount):
        if amount > self.balance:
            raise ValueError("insufficient funds")
        self.balance -= amount
        self.history.append(("withdraw", amount))


def total(accounts):
    return sum(acc.balance for acc in accounts)
''',
    "words": '''
def word_counts(text):
    counts = {}
    for word in text.lower().split():
        word = word.strip(".,;:!?")
        if not word:
            continue
        counts[word] = counts.get(word, 0) + 1
    return counts


def top_words(text, k=3):
    counts = word_counts(text)
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [w for w, _ in ranked[:k]]


def is_palindrome(phrase):
    letters = [c for c in phrase.lower() if c.isalnum()]
    return letters == letters[::-1]
''',
    "matrix": '''
def transpose(rows):
    return [list(col) for col in zip(*rows)]


def multiply(left, right):
    cols = transpose(right)
    result = []
    for row in left:
        result.append([sum(x * y for x, y in zip(row, col)) for col in cols])
    return result


def identity(size):
    return [[1 if i == j else 0 for j in range(size)] for i in range(size)]


def power(matrix, exponent):
    out = identity(len(matrix))
    while exponent > 0:
        if exponent % 2 == 1:
            out = multiply(out, matrix)
        matrix = multiply(matrix, matrix)
        exponent //= 2
    return out
''',
    "cipher": '''
ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def shift_letter(letter, shift):
    if not letter.isalpha():
        return letter
    base = ord("A") if letter.isupper() else ord("a")
    return chr((ord(letter) - base + shift) % 26 + base)


def caesar(text, shift):
    return "".join(shift_letter(c, shift) for c in text)


def vigenere(text, key, decrypt=False):
    out = []
    position = 0
    for c in text:
        if c.isalpha():
            shift = ALPHABET.index(key[position % len(key)].lower())
            out.append(shift_letter(c, -shift if decrypt else shift))
            position += 1
        else:
            out.append(c)
    return "".join(out)


def crack(ciphertext, common="e"):
    counts = [ciphertext.lower().count(letter) for letter in ALPHABET]
    guess = counts.index(max(counts))
    return caesar(ciphertext, ALPHABET.index(common) - guess)
''',
    "brackets": '''
PAIRS = {")": "(", "]": "[", "}": "{"}


def balanced(text):
    stack = []
    for char in text:
        if char in "([{":
            stack.append(char)
        elif char in PAIRS:
            if not stack or stack.pop() != PAIRS[char]:
                return False
    return not stack


def evaluate_rpn(expression):
    stack = []
    for token in expression.split():
        if token in ("+", "-", "*", "/"):
            right = stack.pop()
            left = stack.pop()
            if token == "+":
                stack.append(left + right)
            elif token == "-":
                stack.append(left - right)
            elif token == "*":
                stack.append(left * right)
            else:
                stack.append(left / right)
        else:
            stack.append(float(token))
    if len(stack) != 1:
        raise ValueError("malformed expression")
    return stack[0]


def deepest_nesting(text):
    depth = best = 0
    for char in text:
        if char in "([{":
            depth += 1
            best = max(best, depth)
        elif char in ")]}":
            depth -= 1
    return best
''',
}

# Independent solutions: the same exercises, written from scratch by a student who copied nobody.
# They share with the copied families only what the exercise forces (and the handout, if used).
OWN_SOLUTIONS: dict[str, str] = {
    "primes": '''
def sieve(limit):
    marks = [True] * limit
    for i in range(2, limit):
        if marks[i]:
            for j in range(i * i, limit, i):
                marks[j] = False
    return [i for i in range(2, limit) if marks[i]]


def count_primes(limit):
    return len(sieve(limit))


def twins(limit):
    primes = set(sieve(limit))
    return sorted((p, p + 2) for p in primes if p + 2 in primes)
''',
    "bank": '''
def open_account(owner):
    return {"owner": owner, "balance": 0, "log": []}


def put_in(account, amount):
    assert amount > 0, "deposit must be positive"
    account["balance"] = account["balance"] + amount
    account["log"].append(amount)


def take_out(account, amount):
    if account["balance"] - amount < 0:
        return False
    account["balance"] = account["balance"] - amount
    account["log"].append(-amount)
    return True


def statement(account):
    return " ".join(str(entry) for entry in account["log"])
''',
    "words": '''
def tally(text):
    result = dict()
    cleaned = "".join(ch if ch.isalnum() else " " for ch in text.lower())
    for token in cleaned.split():
        if token in result:
            result[token] += 1
        else:
            result[token] = 1
    return result


def most_common(text, how_many=3):
    pairs = list(tally(text).items())
    pairs.sort(key=lambda pair: pair[1], reverse=True)
    return [pair[0] for pair in pairs[:how_many]]


def reads_same_backwards(phrase):
    kept = "".join(ch for ch in phrase.lower() if ch.isalnum())
    i, j = 0, len(kept) - 1
    while i < j:
        if kept[i] != kept[j]:
            return False
        i, j = i + 1, j - 1
    return True
''',
    "matrix": '''
def mat_mul(a, b):
    n, m, p = len(a), len(b), len(b[0])
    c = [[0] * p for _ in range(n)]
    for i in range(n):
        for j in range(p):
            for t in range(m):
                c[i][j] += a[i][t] * b[t][j]
    return c


def mat_pow(a, e):
    if e == 0:
        return [[int(i == j) for j in range(len(a))] for i in range(len(a))]
    half = mat_pow(a, e // 2)
    square = mat_mul(half, half)
    return mat_mul(square, a) if e % 2 else square


def trace(a):
    return sum(a[i][i] for i in range(len(a)))
''',
    "cipher": '''
def rotate(text, places):
    result = ""
    for ch in text:
        if ch.islower():
            result += chr((ord(ch) - 97 + places) % 26 + 97)
        elif ch.isupper():
            result += chr((ord(ch) - 65 + places) % 26 + 65)
        else:
            result += ch
    return result


def unrotate(text, places):
    return rotate(text, -places)


def brute_force(text, word):
    for places in range(26):
        guess = unrotate(text, places)
        if word in guess:
            return places, guess
    return None
''',
    "brackets": '''
OPENERS = "([{"
CLOSERS = ")]}"


def matches(text):
    seen = []
    for ch in text:
        if ch in OPENERS:
            seen.append(CLOSERS[OPENERS.index(ch)])
        elif ch in CLOSERS:
            if len(seen) == 0 or seen[-1] != ch:
                return False
            seen.pop()
    return len(seen) == 0


def rpn(line):
    values = []
    for tok in line.split():
        if tok in "+-*/":
            y = values.pop()
            x = values.pop()
            values.append(x + y if tok == "+" else x - y if tok == "-" else x * y if tok == "*" else x / y)
        else:
            values.append(float(tok))
    return values[-1]
''',
}

# The course's handout: a small test harness that some students paste into their tick (and that a
# copy inherits from its source). It links submissions of different exercises, weakly.
HANDOUT = '''
def check(label, got, expected):
    if got == expected:
        print("ok:", label)
        return True
    print("FAIL:", label, "got", got, "expected", expected)
    return False


def run_checks(cases):
    passed = 0
    for label, got, expected in cases:
        if check(label, got, expected):
            passed += 1
    print(passed, "of", len(cases), "checks passed")
    return passed == len(cases)
'''

# make_tick's default: the four exercises its output has always had, so the seriation tests and the
# recorded benchmark tables (benchmarks/README-tsp.md) keep describing the same corpus.
TICK1_FAMILIES: tuple[str, ...] = ("primes", "bank", "words", "matrix")

# Names a copier leaves alone: keywords, builtins and methods. Extending the set changes nothing for
# programs that do not use the new names, so older corpora stay byte-identical.
KEEP: frozenset[str] = frozenset(
    {"def", "class", "return", "if", "else", "while", "for", "in", "not", "and", "or", "is", "self",
     "range", "zip", "sum", "sorted", "list", "len", "raise", "lambda", "continue", "True", "False",
     "k", "lower", "split", "strip", "get", "items", "append", "isalnum", "key"}
    | {"elif", "pop", "float", "max", "ord", "chr", "isalpha", "isupper", "join", "index", "count"}
    | {"print", "str", "int", "set", "dict", "sort", "reverse", "islower", "assert", "None", "__name__",
       "__main__"}
)

_NAME = re.compile(r"\b[a-z_][a-z_0-9]*\b")


def disguise(source: str, rng: random.Random) -> str:
    """One student's copy of ``source``: identifiers renamed, top-level blocks reordered, comments
    inserted, integer literals changed; all choices drawn from ``rng``."""
    names = sorted(set(_NAME.findall(source)) - KEEP)
    mapping = {n: f"{n[:2]}{rng.randrange(1000)}_{rng.choice('xyz')}" for n in names if rng.random() < 0.7}
    text = _NAME.sub(lambda m: mapping.get(m.group(), m.group()), source)
    text = re.sub(r"\b(\d+)\b", lambda m: str(int(m.group()) + rng.randrange(3)), text)
    blocks = [b for b in re.split(r"\n(?=def |class )", text.strip()) if b.strip()]
    rng.shuffle(blocks)
    out = []
    for b in blocks:
        lines = b.splitlines()
        at = rng.randrange(1, len(lines) + 1)
        lines.insert(at, " " * (len(lines[at - 1]) - len(lines[at - 1].lstrip())) + f"# note {rng.random():.3f}")
        out.append("\n".join(lines))
    return f"# submission {rng.random()}\n" + "\n\n\n".join(out) + "\n"


def make_tick(
    folder: Path, per_family: int = 4, seed: int = 0, families: Sequence[str] = TICK1_FAMILIES
) -> dict[str, str]:
    """Write ``per_family`` disguised copies of each exercise in ``families`` into ``folder``, under
    shuffled student names (every fifth as a sub-folder with a README), plus a ``.DS_Store`` decoy.

    Returns ``{student: family}``. Students are dealt round-robin over the families, so the folder's
    alphabetical order does not give the families away.
    """
    unknown = [f for f in families if f not in PROGRAMS]
    if unknown or not families:
        raise InputError(f"unknown exercise(s) {unknown}; choose from {sorted(PROGRAMS)}")
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    family: dict[str, str] = {}
    students = [f"s{k:03d}" for k in rng.sample(range(1000), per_family * len(families))]
    for k, (name, student) in enumerate(zip(itertools.cycle(families), students)):
        text = disguise(PROGRAMS[name], rng)
        if k % 5 == 0:  # some hand in a folder
            (folder / student).mkdir()
            (folder / student / "tick1.py").write_text(text)
            (folder / student / "README.txt").write_text("my tick\n")
        else:
            (folder / f"{student}.py").write_text(text)
        family[student] = name
    (folder / ".DS_Store").write_bytes(b"\0\0binary")
    return family


# --- the challenge corpus: copy lineages, a shared handout, borrowed functions, own solutions -----


@dataclass(frozen=True)
class HandIn:
    """One generated hand-in and how it came about: the full answer key of a challenge cohort."""

    student: str
    family: str  # the exercise copied; "EXERCISE (own)" for an independent solution
    copied_from: str | None  # whose hand-in this one was derived from (None: a family's founder, or own work)
    edits: int  # disguise steps applied on top of copied_from's text
    handout: bool  # carries the course's test harness (HANDOUT)
    borrowed_from: str | None  # a student of another family whose function this one pasted in


@dataclass(frozen=True)
class CopyStyle:
    """How a cohort copies: see the module docstring."""

    edits: int = 3  # disguise steps per copy (drawn from edits-1 .. edits+1)
    branch: float = 0.3  # a copy's source is an earlier member of the family, not the latest copy
    handout: float = 0.35  # a family's first hand-in (or an own solution) pastes in HANDOUT
    borrow: float = 0.15  # a copy pastes in one function from a hand-in of another exercise


# A hand-in as its top-level blocks, each keyed by where it came from ("primes.is_prime",
# "handout.check", "__main__"): a copier may paste in one function of another hand-in.
Blocks = list[tuple[str, str]]

_FRESH = ("tmp", "debug", "flag", "seen", "extra", "check", "value", "old")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _fresh(rng: random.Random) -> str:
    return f"{rng.choice(_FRESH)}{rng.randrange(10)}"


def _insert_statement(lines: list[str], rng: random.Random) -> bool:
    """A leftover debugging line (printing a parameter) or an unused variable, before some statement
    inside a function."""
    spots = [i for i, line in enumerate(lines) if line.strip() and _indent(line)
             and not line.lstrip().startswith(("#", '"""', "elif", "else", "except", "finally", "def ", "class "))]
    if not spots:
        return False
    i = rng.choice(spots)
    head = next((m for line in reversed(lines[:i]) if (m := re.match(r"\s*def \w+\((.*)\):", line))), None)
    params = [p.split("=")[0].strip() for p in head[1].split(",") if p.strip() not in ("", "self")] if head else []
    choices = [f"{_fresh(rng)} = 0", f"{_fresh(rng)} = []", f"{_fresh(rng)} = None", 'print("here")']
    if params:
        choices += [f'print("{rng.choice(_FRESH)}", {rng.choice(params)})'] * 2
    lines.insert(i, _indent(lines[i]) + rng.choice(choices))
    return True


_AUGMENTED = re.compile(r"^(\s*)([\w.\[\]]+) (\+|-|\*|//|/)= (.+)$")


def _expand_augmented(lines: list[str], rng: random.Random) -> bool:
    """``x += y`` written out as ``x = x + y``."""
    spots = [i for i, line in enumerate(lines) if _AUGMENTED.match(line)]
    if not spots:
        return False
    i = rng.choice(spots)
    ind, target, op, rhs = _AUGMENTED.match(lines[i]).groups()  # type: ignore[union-attr]
    lines[i] = f"{ind}{target} = {target} {op} {f'({rhs})' if ' ' in rhs else rhs}"
    return True


_RETURN = re.compile(r"^(\s*)return (.+)$")


def _name_the_result(lines: list[str], rng: random.Random) -> bool:
    """``return f(x)`` split into ``result = f(x)`` and ``return result``."""
    spots = [i for i, line in enumerate(lines) if (m := _RETURN.match(line)) and not re.fullmatch(r"[\w.]+", m[2])]
    if not spots:
        return False
    i = rng.choice(spots)
    ind, expr = _RETURN.match(lines[i]).groups()  # type: ignore[union-attr]
    name = f"{rng.choice(('result', 'answer', 'out', 'res'))}{rng.randrange(10)}"
    lines[i : i + 1] = [f"{ind}{name} = {expr}", f"{ind}return {name}"]
    return True


def _add_docstring(lines: list[str], rng: random.Random) -> bool:
    """A one-line docstring under a ``def`` that has none."""
    spots = [i for i, line in enumerate(lines[:-1]) if line.lstrip().startswith("def ")
             and not lines[i + 1].lstrip().startswith('"""')]
    if not spots:
        return False
    i = rng.choice(spots)
    text = rng.choice(("Does the work.", "Helper.", "See the task sheet.", "Returns the answer.", "TODO tidy"))
    lines.insert(i + 1, _indent(lines[i]) + f'    """{text}"""')
    return True


# One disguise step inside a function, with its weight: what changes the token stream (renaming,
# comments and literal values do not, after the fingerprint's normalisation).
EDITS = ((_insert_statement, 4), (_name_the_result, 2), (_expand_augmented, 1), (_add_docstring, 1))


_CODE_NAME = re.compile(r"(#[^\n]*|\"[^\"\n]*\"|'[^'\n]*')|\b([a-z_][a-z_0-9]*)\b")  # comments, strings, names


def _rename(blocks: Blocks, rng: random.Random, share: float) -> Blocks:
    """The same new name for a name wherever it occurs in the code (not in strings or comments),
    for about ``share`` of the names."""
    text = "\n".join(b for _, b in blocks)
    names = sorted({m[2] for m in _CODE_NAME.finditer(text) if m[2]} - KEEP)
    mapping = {n: f"{n[:2]}{rng.randrange(1000)}_{rng.choice('xyz')}" for n in names if rng.random() < share}
    return [(key, _CODE_NAME.sub(lambda m: m[1] or mapping.get(m[2], m[2]), b)) for key, b in blocks]


_DEF = re.compile(r"^(?:def|class) (\w+)", re.M)


def _split(source: str, prefix: str) -> Blocks:
    blocks = [b.strip("\n") for b in re.split(r"\n(?=def |class )", source.strip()) if b.strip()]
    return [(prefix + "." + (_DEF.findall(b) or ["globals"])[0], b) for b in blocks]


def first_hand_in(source: str, rng: random.Random, prefix: str) -> Blocks:
    """The first copy of ``source`` (a family's founder, or an own solution), disguised as
    :func:`disguise` does: names renamed, integers nudged, blocks shuffled, a comment in each."""
    blocks = _rename(_split(source, prefix), rng, 0.7)
    blocks = [(key, re.sub(r"\b(\d+)\b", lambda m: str(int(m.group()) + rng.randrange(3)), b)) for key, b in blocks]
    rng.shuffle(blocks)
    out = []
    for key, b in blocks:
        lines = b.splitlines()
        at = rng.randrange(1, len(lines) + 1)
        lines.insert(at, _indent(lines[at - 1]) + f"# note {rng.random():.3f}")
        out.append((key, "\n".join(lines)))
    return out


def derive(source: Blocks, rng: random.Random, steps: int) -> Blocks:
    """A copy of a classmate's hand-in ``source``: about a fifth of the names renamed again, then
    ``steps`` edits that change the code's structure a little (a debugging line or unused variable
    inserted, a result named before it is returned, ``x += y`` written out, a docstring added), now
    and then a ``__main__`` block added or one function moved. Each step breaks the few fingerprints
    around it, so copies of copies drift away from the original step by step."""
    blocks = _rename(source, rng, 0.2)
    lines = [b.splitlines() for _, b in blocks]
    edits, weights = zip(*EDITS)
    done = 0
    for _ in range(20 * steps):
        if done == steps:
            break
        if rng.random() < 0.1 and all(key != "__main__" for key, _ in blocks):
            defs = [m.groups() for _, b in blocks for m in re.finditer(r"^def (\w+)\((.*)\):", b, re.M)]
            name, params = rng.choice(defs)
            args = [p for p in params.split(",") if p.strip() and "=" not in p and p.strip() != "self"]
            call = f"{name}({', '.join(str(rng.randrange(2, 20)) for _ in args)})"
            blocks.append(("__main__", ""))
            lines.append(['if __name__ == "__main__":', f"    print({call})"])
            done += 1
            continue
        at = rng.choices(range(len(lines)), [len(x) for x in lines])[0]
        done += rng.choices(edits, weights)[0](lines[at], rng)
    out = [(key, "\n".join(x)) for (key, _), x in zip(blocks, lines)]
    main = [b for b in out if b[0] == "__main__"]
    out = [b for b in out if b[0] != "__main__"]
    if len(out) > 1 and rng.random() < 0.25:
        out.insert(rng.randrange(len(out)), out.pop(rng.randrange(len(out))))
    return out + main


def write_cohort(
    folder: Path,
    per_family: int = 4,
    independent: int = 2,
    seed: int = 0,
    style: CopyStyle | None = None,
    families: Sequence[str] = tuple(PROGRAMS),
) -> list[HandIn]:
    """Write one cohort of a challenge corpus into ``folder`` and return its answer key, one
    :class:`HandIn` per student in the order they were made (a copy after its sources): every
    exercise in ``families`` with ``per_family`` hand-ins on average (at least 2 each when
    ``per_family`` ≥ 2), plus ``independent`` own solutions. See the module docstring for the
    structure; all choices are drawn from ``random.Random(seed)``."""
    style = style or CopyStyle()
    if per_family < 1:
        raise InputError("each family needs at least one submission per cohort")
    if not 0 <= independent <= len(OWN_SOLUTIONS):
        raise InputError(f"between 0 and {len(OWN_SOLUTIONS)} independent solutions per cohort")
    if style.edits < 0 or not all(0 <= p <= 1 for p in (style.branch, style.handout, style.borrow)):
        raise InputError("edits must be at least 0; branch, handout and borrow are probabilities (0 to 1)")
    unknown = [f for f in families if f not in PROGRAMS]
    if unknown or not families:
        raise InputError(f"unknown exercise(s) {unknown}; choose from {sorted(PROGRAMS)}")
    rng = random.Random(seed)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    size = dict.fromkeys(families, min(2, per_family))
    for _ in range(per_family * len(families) - sum(size.values())):
        size[rng.choice(families)] += 1
    students = iter(f"s{k:03d}" for k in rng.sample(range(1000), sum(size.values()) + independent))
    made: list[HandIn] = []
    hand_in: dict[str, Blocks] = {}
    origin: dict[str, str] = {}  # the key prefix of a hand-in's own functions

    def first(family: str, source: str, prefix: str) -> None:  # a founder, or an independent solution
        uses = rng.random() < style.handout
        student = next(students)
        hand_in[student] = first_hand_in(source, rng, prefix)
        origin[student] = prefix
        if uses:
            hand_in[student] += first_hand_in(HANDOUT, rng, "handout")
        made.append(HandIn(student, family, None, 0, uses, None))

    for family in families:
        first(family, PROGRAMS[family], family)
    copies = [f for f in families for _ in range(size[f] - 1)]
    rng.shuffle(copies)  # the families' copies are made interleaved, so a copier can borrow from any
    for family in copies:
        members = [h.student for h in made if h.family == family]
        parent = members[-1] if len(members) == 1 or rng.random() >= style.branch else rng.choice(members[:-1])
        steps = rng.randint(max(style.edits - 1, 0), style.edits + 1)
        student = next(students)
        blocks = derive(hand_in[parent], rng, steps)
        lender = None
        others = [h.student for h in made if h.family != family]
        if others and rng.random() < style.borrow:  # pastes in one function of another exercise
            lender = rng.choice(others)
            functions = [b for b in hand_in[lender] if b[0].startswith(origin[lender] + ".") and _DEF.search(b[1])]
            blocks.insert(rng.randrange(len(blocks)), rng.choice(functions))
        hand_in[student] = blocks
        origin[student] = family
        made.append(HandIn(student, family, parent, steps, any(k.startswith("handout.") for k, _ in blocks),
                           lender))
    for exercise in rng.sample(sorted(OWN_SOLUTIONS), independent):
        first(f"{exercise} (own)", OWN_SOLUTIONS[exercise], exercise + "-own")
    for k, student in enumerate(sorted(hand_in)):
        page = f"# submission {rng.random()}\n" + "\n\n\n".join(b for _, b in hand_in[student]) + "\n"
        if k % 5 == 0:  # some hand in a folder
            (folder / student).mkdir()
            (folder / student / "tick1.py").write_text(page)
            (folder / student / "README.txt").write_text("my tick\n")
        else:
            (folder / f"{student}.py").write_text(page)
    (folder / ".DS_Store").write_bytes(b"\0\0binary")
    return made


def challenge_cohorts(
    root: Path,
    seed: int = 0,
    train_per_family: int = 4,
    holdout_per_family: int = 5,
    train_independent: int = 2,
    holdout_independent: int = 3,
    style: CopyStyle | None = None,
) -> dict[str, list[HandIn]]:
    """Write ``root/train`` and ``root/holdout``, two cohorts (:func:`write_cohort`) handing in the
    exercises of :data:`PROGRAMS`, drawn with different seeds (``2*seed`` and ``2*seed + 1``), so
    the holdout is unseen data of the same kind. Returns the full answer key,
    ``{"train": [HandIn, ...], "holdout": [...]}``: who copied whom, with how many edits, and who
    pasted in the handout or another family's function.

    Refuses to write into a non-empty ``train`` or ``holdout`` folder: an older corpus left there
    would silently mix with the new one.
    """
    if train_per_family < 1 or holdout_per_family < 1:
        raise InputError("each family needs at least one submission per cohort")
    root = Path(root)
    for part in ("train", "holdout"):
        if (root / part).is_dir() and any((root / part).iterdir()):
            raise InputError("already holds files; choose an empty or new folder", root / part)
    return {
        "train": write_cohort(root / "train", train_per_family, train_independent, 2 * seed, style),
        "holdout": write_cohort(root / "holdout", holdout_per_family, holdout_independent, 2 * seed + 1, style),
    }


def make_challenge_corpus(
    root: Path,
    seed: int = 0,
    train_per_family: int = 4,
    holdout_per_family: int = 5,
    train_independent: int = 2,
    holdout_independent: int = 3,
    style: CopyStyle | None = None,
) -> dict[str, dict[str, str]]:
    """:func:`challenge_cohorts`, returning only ``{"train": {student: family}, "holdout": {...}}``
    (an own solution's family is ``"EXERCISE (own)"``, a family of one)."""
    cohorts = challenge_cohorts(root, seed, train_per_family, holdout_per_family, train_independent,
                                holdout_independent, style)
    return {part: {h.student: h.family for h in made} for part, made in cohorts.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m optmodel.corpus OUT ...``: write a challenge corpus and say what was written."""
    default = CopyStyle()
    parser = argparse.ArgumentParser(
        prog="python -m optmodel.corpus",
        description="Write a synthetic Tick 1 corpus: copy lineages of several exercises (planted families, "
        "each copy derived from a classmate's with a few more disguise steps), a shared handout, functions "
        "borrowed across families and a few independent solutions, handed in by a training cohort (OUT/train) "
        "and a held-out cohort (OUT/holdout); plus the answer key OUT/families.json ({cohort: {student: "
        "exercise}}) and OUT/lineage.json (who copied whom). See the docstring of optmodel/corpus.py.",
    )
    parser.add_argument("out", metavar="OUT", type=Path, help="folder to write into (created if missing)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--train-per-family", type=int, default=4, metavar="N",
                        help="training hand-ins per exercise, on average (default 4)")
    parser.add_argument("--holdout-per-family", type=int, default=5, metavar="N",
                        help="held-out hand-ins per exercise, on average (default 5)")
    parser.add_argument("--train-independent", type=int, default=2, metavar="N",
                        help="independent training solutions (default 2)")
    parser.add_argument("--holdout-independent", type=int, default=3, metavar="N",
                        help="independent held-out solutions (default 3)")
    parser.add_argument("--edits", type=int, default=default.edits, metavar="N",
                        help=f"disguise steps per copy, ±1 (default {default.edits})")
    for name, what in (("branch", "a copy's source is an earlier classmate, not the latest copy"),
                       ("handout", "a family's first hand-in pastes in the handout"),
                       ("borrow", "a copy pastes in one function of another exercise")):
        parser.add_argument(f"--{name}", type=float, default=getattr(default, name), metavar="P",
                            help=f"probability that {what} (default {getattr(default, name)})")
    args = parser.parse_args(argv)
    style = CopyStyle(args.edits, args.branch, args.handout, args.borrow)
    try:
        cohorts = challenge_cohorts(args.out, args.seed, args.train_per_family, args.holdout_per_family,
                                    args.train_independent, args.holdout_independent, style)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    maps = {part: {h.student: h.family for h in made} for part, made in cohorts.items()}
    lineage = {part: {h.student: {k: v for k, v in asdict(h).items() if k != "student"} for h in made}
               for part, made in cohorts.items()}
    (args.out / "families.json").write_text(json.dumps(maps, indent=2, sort_keys=True) + "\n")
    (args.out / "lineage.json").write_text(json.dumps(lineage, indent=2, sort_keys=True) + "\n")
    for part, fam in maps.items():
        sizes = ", ".join(f"{name} {count}" for name, count in sorted(Counter(fam.values()).items()))
        print(f"{args.out / part}: {len(fam)} submissions, {len(set(fam.values()))} families ({sizes})")
    print(f"{args.out / 'families.json'}: the answer key, {{cohort: {{student: exercise}}}}")
    print(f"{args.out / 'lineage.json'}: how each hand-in came about, {{cohort: {{student: {{copied_from, ...}}}}}}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
