"""Code similarity of submissions: normalised tokens, winnowed k-gram fingerprints, overlap scores.

As MOSS does (Schleimer, Wilkerson & Aiken, "Winnowing", SIGMOD 2003): each submission becomes a
token stream in which identifiers, numbers and strings are replaced by placeholders (renaming a
variable changes nothing), comments and blank lines are dropped, every k consecutive tokens are
hashed, and from each window of w consecutive hashes the smallest is kept as a fingerprint. Two
submissions are as similar as their fingerprint sets overlap (Jaccard by default). Fingerprints
shared by more than ``max_share`` of all submissions, or present in a ``base`` (the handout), are
ignored, since they say nothing about who copied whom.
"""

from __future__ import annotations

import builtins
import csv
import io
import keyword
import re
import tokenize
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from optmodel.errors import InputError
from optmodel.graphs import NumberError, csv_rows, parse_numbers, read_text

PY_KEEP = frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | frozenset(dir(builtins))
GENERIC_KEYWORDS = frozenset(
    "if else elif for while do return break continue switch case default try catch finally throw "
    "class struct def fun fn func function let var val const static public private protected new "
    "import from package include using namespace void int long float double char bool boolean string "
    "true false null nil none self this and or not in is match with type interface enum lambda yield".split()
)
_GENERIC = re.compile(
    r"""(?P<comment>//[^\n]*|/\*.*?\*/|\#[^\n]*|--[^\n]*)
      |(?P<string>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*')
      |(?P<number>\b\d[\w.]*)
      |(?P<name>[A-Za-z_]\w*)
      |(?P<op>\S)""",
    re.VERBOSE | re.DOTALL,
)
TEXT_LIMIT = 2_000_000  # characters read per file: submissions, not data dumps


def python_tokens(text: str) -> list[str]:
    """Normalised tokens of Python source; falls back to the generic tokenizer on broken code."""
    out: list[str] = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            kind = tok.type
            if kind == tokenize.NAME:
                out.append(tok.string if tok.string in PY_KEEP else "V")
            elif kind == tokenize.NUMBER:
                out.append("N")
            elif kind == tokenize.STRING:
                out.append("S")
            elif kind == tokenize.OP:
                out.append(tok.string)
            elif kind == tokenize.NEWLINE:
                out.append(";")
            elif kind == tokenize.INDENT:
                out.append("{")
            elif kind == tokenize.DEDENT:
                out.append("}")
            # COMMENT, NL, ENCODING, ENDMARKER carry no structure
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return generic_tokens(text)
    return out


def generic_tokens(text: str) -> list[str]:
    """Normalised tokens of any program text (C-like, Java, OCaml, shell...)."""
    out: list[str] = []
    for m in _GENERIC.finditer(text):
        group = m.lastgroup
        if group == "comment":
            continue
        if group == "name":
            word = m.group()
            out.append(word if word.lower() in GENERIC_KEYWORDS else "V")
        elif group == "number":
            out.append("N")
        elif group == "string":
            out.append("S")
        else:
            out.append(m.group())
    return out


def tokens_of(path: Path, text: str) -> list[str]:
    return python_tokens(text) if path.suffix == ".py" else generic_tokens(text)


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads k-gram hashes so window minima are unbiased."""
    h = h.copy()
    h ^= h >> np.uint64(30)
    h *= np.uint64(0xBF58476D1CE4E5B9)
    h ^= h >> np.uint64(27)
    h *= np.uint64(0x94D049BB133111EB)
    h ^= h >> np.uint64(31)
    return h


def kgram_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """A 64-bit hash of every k consecutive token ids (polynomial, vectorised, wrapping)."""
    ids = np.asarray(ids, dtype=np.uint64)
    count = len(ids) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    base = np.uint64(1_000_003)
    h = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * base + ids[j : j + count] + np.uint64(1)
        return _mix(h)


def winnow(hashes: np.ndarray, w: int) -> np.ndarray:
    """Positions chosen by winnowing: the rightmost minimum of every window of ``w`` hashes."""
    n = len(hashes)
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if n <= w:
        return np.array([n - 1 - int(np.argmin(hashes[::-1]))])
    win = np.lib.stride_tricks.sliding_window_view(hashes, w)
    right = w - 1 - np.argmin(win[:, ::-1], axis=1)
    return np.unique(right + np.arange(len(win)))


def fingerprints(token_ids: np.ndarray, k: int = 7, w: int = 4) -> np.ndarray:
    """The set of winnowed k-gram hashes of a token id sequence (sorted, unique)."""
    h = kgram_hashes(token_ids, k)
    return np.unique(h[winnow(h, w)])


@dataclass
class Submission:
    name: str
    files: list[Path]
    tokens: list[str] = field(default_factory=list)


def _read_text(path: Path) -> str | None:
    try:
        raw = path.read_bytes()[: TEXT_LIMIT * 4]
    except OSError:
        return None
    if b"\0" in raw[:8192]:
        return None  # binary
    return raw.decode("utf-8", errors="replace")[:TEXT_LIMIT]


def _visible(p: Path) -> bool:  # hidden files and byte-code caches are not submissions
    return not p.name.startswith(".") and p.name != "__pycache__"


def load_submissions(folder: str | Path) -> list[Submission]:
    """One submission per file or per sub-folder of ``folder`` (hidden entries and binaries skipped)."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder of submissions", root)
    subs: list[Submission] = []
    for entry in sorted(root.iterdir()):
        if not _visible(entry):
            continue
        if entry.is_dir():
            files = sorted(
                p
                for p in entry.rglob("*")
                if p.is_file() and not any(x.startswith(".") or x == "__pycache__" for x in p.relative_to(entry).parts)
            )
        else:
            files = [entry]
        sub = Submission(entry.name if entry.is_dir() else entry.stem, [])
        for f in files:
            text = _read_text(f)
            if text is None:
                continue
            sub.files.append(f)
            sub.tokens.extend(tokens_of(f, text))
        if sub.files:
            subs.append(sub)
    if len(subs) < 2:
        raise InputError(f"found {len(subs)} readable submission(s); at least 2 are needed", root)
    names = [s.name for s in subs]
    if len(set(names)) != len(names):  # a.py and a/ both present: keep them apart
        for s in subs:
            if names.count(s.name) > 1 and s.files and s.files[0].is_file() and s.files[0].parent == root:
                s.name = s.files[0].name
    return subs


def similarity_matrix(
    fps: Sequence[np.ndarray], measure: str = "jaccard", max_share: float | None = 0.5, ignore: np.ndarray | None = None
) -> np.ndarray:
    """Pairwise overlap of fingerprint sets: ``jaccard`` |A∩B|/|A∪B| or ``containment`` |A∩B|/min(|A|,|B|).

    Fingerprints in more than ``max_share`` of the sets (when there are at least 4), or in
    ``ignore``, are dropped first. The diagonal is 1.
    """
    n = len(fps)
    sizes = np.array([len(f) for f in fps])
    allfp = np.concatenate(fps) if n else np.zeros(0, dtype=np.uint64)
    uniq, inv = np.unique(allfp, return_inverse=True)
    rows = np.repeat(np.arange(n), sizes)
    M = sp.csr_array((np.ones(len(inv)), (rows, inv)), shape=(n, len(uniq)))
    keep = np.ones(len(uniq), dtype=bool)
    if max_share is not None and n >= 4:
        df = np.asarray(M.sum(axis=0)).ravel()
        keep &= df <= max_share * n
    if ignore is not None and len(ignore):
        keep &= ~np.isin(uniq, ignore)
    M = M[:, np.flatnonzero(keep)]
    inter = (M @ M.T).toarray()
    size = np.diag(inter).copy()
    if measure == "jaccard":
        denom = size[:, None] + size[None, :] - inter
    elif measure == "containment":
        denom = np.minimum(size[:, None], size[None, :])
    else:
        raise InputError(f"unknown similarity measure {measure!r}; use jaccard or containment")
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom > 0, inter / np.where(denom > 0, denom, 1), 0.0)
    np.fill_diagonal(s, 1.0)
    return s


def code_similarity(
    folder: str | Path,
    k: int = 7,
    w: int = 4,
    measure: str = "jaccard",
    max_share: float | None = 0.5,
    base: str | Path | None = None,
) -> tuple[list[str], np.ndarray]:
    """(names, similarity matrix) of the submissions in ``folder``; ``base`` is handout code to ignore."""
    if k < 1 or w < 1:
        raise InputError("k and w must be positive")
    subs = load_submissions(folder)
    vocab: dict[str, int] = {}
    ids = [np.array([vocab.setdefault(t, len(vocab)) for t in s.tokens], dtype=np.int64) for s in subs]
    fps = [fingerprints(i, k, w) for i in ids]
    ignore = None
    if base is not None:
        bpath = Path(base)
        files = sorted(p for p in bpath.rglob("*") if p.is_file()) if bpath.is_dir() else [bpath]
        btoks: list[str] = []
        for f in files:
            text = _read_text(f)
            if text is not None:
                btoks.extend(tokens_of(f, text))
        ignore = fingerprints(np.array([vocab.setdefault(t, len(vocab)) for t in btoks], dtype=np.int64), k, w)
    return [s.name for s in subs], similarity_matrix(fps, measure, max_share, ignore)


SIMILARITY_LIMIT = 1e100  # |value|: sums of squared differences over n² cells stay far from overflow


def read_similarity_csv(path: str | Path) -> tuple[list[str], np.ndarray]:
    """A similarity matrix with item names: a header row of names (after an optional corner cell),
    then one row per item (every row starting with its name, or none). Must be square and
    symmetric, with finite numbers of magnitude at most ``SIMILARITY_LIMIT``."""
    path = Path(path)
    rows, lines = csv_rows(path, read_text(path))
    if len(rows) < 3:
        raise InputError(
            "a similarity CSV needs a header row of names and at least 2 rows", path, lines[-1] if rows else None
        )
    header = [c.strip() for c in rows[0]]
    body, body_lines = rows[1:], lines[1:]
    n = len(body)
    if len(header) == n + 1:
        header = header[1:]
    if len(header) != n:
        raise InputError(f"the header names {len(header)} items but there are {n} rows", path, lines[0])
    if "" in header:
        raise InputError(f"the name of column {header.index('') + 1} is missing", path, lines[0])
    if len(set(header)) != n:
        raise InputError("item names must be unique", path, lines[0])
    width = len(body[0])
    named = width == n + 1
    for i, row in enumerate(body):  # all rows alike: named, or not; no cell missing
        if len(row) != width or width not in (n, n + 1):
            expected = f"a name and {n} values" if named else f"{n} values"
            raise InputError(f"expected {expected}, got {len(row)} cells", path, body_lines[i])
        if named and row[0].strip() != header[i]:
            raise InputError(
                f"row {i + 1} is named {row[0].strip()!r} but column {i + 1} is {header[i]!r}", path, body_lines[i]
            )
    skip = 1 if named else 0
    try:
        values = parse_numbers([c.strip() for row in body for c in row[skip:]]).reshape(n, n)
    except NumberError as err:
        i, j = divmod(err.index, n)
        raise InputError(
            f"row {header[i]!r}, column {header[j]!r}: {err.describe('value')}", path, body_lines[i]
        ) from None
    big = np.abs(values) > SIMILARITY_LIMIT
    if big.any():
        i, j = np.unravel_index(int(np.argmax(big)), big.shape)
        raise InputError(
            f"row {header[i]!r}, column {header[j]!r}: {values[i, j]:g} is too large; similarities are limited "
            f"to ±{SIMILARITY_LIMIT:g} so that scores and criteria stay finite",
            path,
            body_lines[i],
        )
    if not np.allclose(values, values.T, rtol=1e-6, atol=1e-9):
        i, j = np.unravel_index(int(np.argmax(np.abs(values - values.T))), values.shape)
        raise InputError(
            f"the matrix is not symmetric: {header[i]}/{header[j]} = {values[i, j]:g} but "
            f"{header[j]}/{header[i]} = {values[j, i]:g}",
            path,
            body_lines[i],
        )
    return header, (values + values.T) / 2


def write_similarity_csv(path: str | Path, names: Sequence[str], s: np.ndarray) -> None:
    with open(path, "w", newline="") as f:
        out = csv.writer(f)
        out.writerow(["", *names])
        for name, row in zip(names, s):
            out.writerow([name, *(f"{v:.6g}" for v in row)])


def plot_heatmaps(
    s: np.ndarray,
    names: Sequence[str],
    order: Sequence[int],
    out: str | Path,
    title: str = "",
    labels: tuple[str, str] = ("input order", "optimised order"),
) -> None:
    """The similarity matrix as given and after ordering, side by side, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    o = np.asarray(order)
    n = len(names)
    fig, axes = plt.subplots(1, 2, figsize=(13, 6.2), constrained_layout=True)
    vmax = float(np.quantile(s[~np.eye(n, dtype=bool)], 0.995)) if n > 1 else 1.0
    vmax = vmax if vmax > 0 else 1.0
    for ax, idx, label in ((axes[0], np.arange(n), labels[0]), (axes[1], o, labels[1])):
        im = ax.imshow(s[np.ix_(idx, idx)], cmap="magma", vmin=0, vmax=vmax, interpolation="nearest")
        ax.set_title(label)
        if n <= 60:
            ticks = [names[i] for i in idx]
            ax.set_xticks(range(n), ticks, rotation=90, fontsize=6)
            ax.set_yticks(range(n), ticks, fontsize=6)
        else:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.colorbar(im, ax=axes, shrink=0.8, label="similarity")
    if title:
        fig.suptitle(title)
    fig.savefig(out, dpi=110)
    plt.close(fig)
