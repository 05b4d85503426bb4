"""The Tick 1 challenge, run as the lecture ran it: submitted ordering programs, each in its own
process under a time limit, scored on the training data and on held-out data, ranked, and set
against the best order that exists.

A submission is a Python file defining ``order(similarity, names) -> list[int]`` (a symmetric
numpy matrix and the item names in; a permutation of 0..n-1 out, similar items adjacent), or any
executable file, called as ``PROGRAM SIMILARITY.csv``, that prints the order as 0-based item indices
separated by spaces, commas or newlines. The score is the challenge's: 100 × the mean similarity
of neighbours in the order, over the largest similarity (``optmodel.seriation.score``).

Every run goes through the benchmark runner (``optmodel.benchmark``): its own process, the time
limit and a memory limit, a results store that a re-run resumes, Dask with ``--scheduler``. A run
ends as ``ok`` (scored), ``timeout``, ``error`` (its exception or the last line of its stderr) or
``invalid`` (not a permutation, and why). optmodel's own rows (the default ordering backend, the
exact MIP, the spectral baseline) run the same way, and the bounds they prove give the upper
bound on the score that any order can reach. Isolation is a process, not a sandbox: run only
submissions you would run yourself.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import math
import os
import socket
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from optmodel.errors import InputError

TASK = "optmodel.challenge:run_entry"
# optmodel's own rows: the default backend, the exact MIP (lazy subtour cuts) and the baseline.
REFERENCES = {"fast-tsp": "fast-tsp", "exact MIP": "exact", "spectral baseline": "spectral"}
REFERENCE_SHARE = 0.6  # of the time limit: optmodel's rows stop their search with room to answer
EXACT_LIMIT = 200  # items: beyond, the exact MIP cannot even be built within a contest's seconds
GRACE = 0.5  # seconds past the time limit before a run is killed (process start, loading the data)
PRELOAD = ("optmodel.challenge", "optmodel.seriation", "optmodel.ordering", "optmodel.problems.seriation",
           "optmodel.backends.fast_tsp", "optmodel.backends.exact", "optmodel.backends.spectral", "fast_tsp")
STATUSES = ("ok", "timeout", "error", "invalid", "skipped")


@dataclass(frozen=True)
class Entry:
    name: str
    kind: str  # python, program, reference
    path: str  # the file, or the backend of a reference row
    digest: str  # of the file's bytes: a changed submission runs again

    @property
    def reference(self) -> bool:
        return self.kind == "reference"


@dataclass
class Dataset:
    label: str  # train, holdout
    source: str
    names: list[str]
    matrix: np.ndarray

    @functools.cached_property
    def digest(self) -> str:  # cached: every entry's job key asks for it
        h = hashlib.sha256("\0".join(self.names).encode())
        h.update(np.ascontiguousarray(self.matrix, dtype=np.float64).tobytes())
        return h.hexdigest()[:16]


def find_submissions(folder: str | Path) -> tuple[list[Entry], list[str]]:
    """The submissions in a folder, and the files left out (with why).

    A ``*.py`` file defining ``order`` is a Python submission; any other executable file (an
    executable ``*.py`` script without ``order`` too) is a program. Names are the file's stem,
    or its whole name where two would clash or where it would read as one of optmodel's rows."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("no such folder of submissions", folder)
    found, skipped = [], []
    for path in sorted(folder.iterdir()):
        if path.name.startswith("."):
            continue
        if not path.is_file():
            skipped.append(f"{path.name}: a folder (a submission is one file)")
            continue
        executable, data = os.access(path, os.X_OK), path.read_bytes()
        if path.suffix == ".py" and not (executable and b"def order" not in data):
            kind = "python"
        elif executable:
            kind = "program"
        else:
            if path.suffix not in (".md", ".txt", ".csv", ".json"):
                skipped.append(f"{path.name}: neither a .py file nor executable")
            continue
        found.append((path, kind, hashlib.sha256(data).hexdigest()[:16]))
    stems = [p.stem for p, _, _ in found]
    entries = []
    for path, kind, digest in found:
        name = path.stem if stems.count(path.stem) == 1 and path.stem not in REFERENCES else path.name
        entries.append(Entry(name, kind, str(path.resolve()), digest))
    if not entries:
        raise InputError("no submissions here: Python files defining order(similarity, names), "
                         "or executable programs", folder)
    return entries, skipped


def references(enabled: bool = True) -> list[Entry]:
    from optmodel import __version__

    return [Entry(name, "reference", backend, __version__) for name, backend in REFERENCES.items()] if enabled else []


def load_dataset(label: str, source: str | Path) -> Dataset:
    """A folder of code submissions (fingerprinted as ``solve seriation --code``) or a similarity CSV."""
    from optmodel.problems.seriation import load_matrix

    names, matrix = load_matrix(source)
    if len(names) < 2:
        raise InputError(f"the {label} data has {len(names)} item(s); ordering needs at least 2", source)
    return Dataset(label, str(source), list(names), np.asarray(matrix, dtype=float))


# --- in the isolated child ---------------------------------------------------------------------


def run_entry(entry: dict[str, Any], names: list[str], matrix: np.ndarray, time_limit: float,
              workdir: str, source: bytes | None) -> dict[str, Any]:
    """Run one entry on one dataset (in the child, in ``workdir``): what it answered, unchecked, and
    the seconds the entry itself took (process start and data loading not counted)."""
    import time

    os.chdir(workdir)
    kind = entry["kind"]
    if kind == "python":
        import runpy
        import sys

        path = Path(workdir) / Path(entry["path"]).name  # the file travels in the job: Dask workers need no copy
        path.write_bytes(source or b"")
        sys.argv = [str(path)]
        began = time.perf_counter()
        try:
            order = runpy.run_path(str(path), run_name="submission").get("order")
            if not callable(order):
                raise EntryFailed("the file defines no function order(similarity, names)")
            answer = order(matrix.copy(), list(names))
        except EntryFailed:
            raise
        except BaseException as err:
            raise EntryFailed(_where(err, str(path))) from None
        return {"order": _plain(answer), "seconds": time.perf_counter() - began}
    if kind == "program":
        from optmodel.similarity import write_similarity_csv

        program, data = Path(workdir) / Path(entry["path"]).name, Path(workdir) / "similarity.csv"
        program.write_bytes(source or b"")
        program.chmod(0o700)
        write_similarity_csv(data, names, matrix)
        began = time.perf_counter()
        with open("stdout.txt", "w+b") as out, open("stderr.txt", "w+b") as err:
            # files, not pipes: a helper it leaves running must not keep the answer from being read
            code = subprocess.Popen([str(program), str(data)], stdout=out, stderr=err).wait()
            seconds = time.perf_counter() - began
            out.seek(0)
            err.seek(0)
            printed, complaint = (f.read().decode(errors="replace") for f in (out, err))
        if code != 0:
            last = next((line for line in reversed(complaint.splitlines()) if line.strip()), "")
            raise EntryFailed(last.strip() or f"exited with code {code}")
        return {"order": printed.translate(str.maketrans(",[]()", "     ")).split(), "seconds": seconds}
    from optmodel.backend import SolveOptions
    from optmodel.problems.seriation import seriate

    began = time.perf_counter()
    order, sol, _ = seriate(names, matrix, entry["path"], SolveOptions(time_limit=REFERENCE_SHARE * time_limit))
    return {"order": order, "bound": _finite(sol.bound), "optimal": sol.status.value == "optimal",
            "seconds": time.perf_counter() - began}


class EntryFailed(Exception):
    """An entry failed: its own words (the exception and the line of the submission that raised it,
    or the last line of a program's stderr)."""


def _where(err: BaseException, path: str) -> str:
    """``Error: message (line N)``, N the last line of the submission in the traceback."""
    import traceback

    text = f"{type(err).__name__}: {err}".rstrip(": ")
    if isinstance(err, SyntaxError) and err.lineno:
        return f"{type(err).__name__}: {err.msg} (line {err.lineno})"
    frames = [f for f in traceback.extract_tb(err.__traceback__) if f.filename == path]
    return f"{text} (line {frames[-1].lineno})" if frames else text


def _plain(answer: Any) -> Any:
    """The answer as plain values, to check in the parent (and to pickle: anything else becomes text)."""
    if isinstance(answer, np.ndarray):
        answer = answer.tolist()
    if isinstance(answer, (str, bytes, dict)) or not hasattr(answer, "__iter__"):
        return repr(answer)[:200]
    out = []
    for x in answer:
        x = x.item() if isinstance(x, np.generic) else x
        out.append(x if isinstance(x, (int, str)) and not isinstance(x, bool) else repr(x)[:60])
    return out


def _finite(v: Any) -> float | None:
    return float(v) if v is not None and math.isfinite(float(v)) else None


# --- checks and scores -------------------------------------------------------------------------


def check_order(answer: Any, n: int) -> tuple[list[int] | None, str]:
    """(the order, "") when ``answer`` is a permutation of 0..n-1, else (None, why not)."""
    if not isinstance(answer, list):
        return None, f"returned {answer}, not a list of item indices"
    order = []
    for k, x in enumerate(answer):
        if isinstance(x, str) and x.strip().removeprefix("-").isdecimal() and x.strip().isascii():
            x = int(x)
        if isinstance(x, bool) or not isinstance(x, int):
            return None, f"position {k} holds {x!r}, not an item index"
        order.append(x)
    outside = [x for x in order if not 0 <= x < n]
    if outside:
        return None, f"index {outside[0]} is outside 0..{n - 1}"
    seen = np.bincount(np.asarray(order, dtype=np.int64), minlength=n) if order else np.zeros(n, dtype=np.int64)
    twice, missing = np.flatnonzero(seen > 1), np.flatnonzero(seen == 0)
    if len(twice):
        return None, f"item {twice[0]} appears {seen[twice[0]]} times" + (
            f" and item {missing[0]} is missing" if len(missing) else "")
    if len(order) != n:
        gone = f": item {missing[0]} is missing" if len(missing) else ""
        return None, f"{len(order)} items ordered, {n} given{gone}"
    return order, ""


def path_upper_bound(matrix: np.ndarray) -> float:
    """An upper bound on Σ similarity along any Hamiltonian path, from degrees: each item meets at
    most its two most similar items, and the two ends of the path only one, so the sum is at most
    half of Σ_i (first + second largest similarity of i) less the two smallest second-largest ones."""
    s = np.array(matrix, dtype=float)
    n = s.shape[0]
    if n == 2:
        return float(s[0, 1])
    np.fill_diagonal(s, -np.inf)
    top = np.sort(s, axis=1)[:, -2:]  # second largest, largest
    second = np.sort(top[:, 0])
    return float((top.sum() - second[:2].sum()) / 2)


def score_of_sum(total: float, matrix: np.ndarray) -> float:
    """The challenge's score of an order whose neighbour similarities sum to ``total``."""
    from optmodel.seriation import scale_of

    return 100.0 * total / ((matrix.shape[0] - 1) * scale_of(matrix))


# --- one job: an entry on a dataset, through the runner -----------------------------------------


def job_key(entry: Entry, data: Dataset, time_limit: float, memory_mb: float | None) -> str:
    return f"{entry.path}|{data.label}|{entry.digest}|{data.digest}|limit={time_limit:g}|memory={memory_mb}"


def blank_row(job: dict[str, Any]) -> dict[str, Any]:
    return {"run": job["key"], "submission": job["entry"]["name"], "kind": job["entry"]["kind"],
            "dataset": job["dataset"], "status": "error", "score": None, "seconds": None, "message": "",
            "bound": None, "optimal": False, "order": None, "host": socket.gethostname(),
            "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}


def run_job(job: dict[str, Any], preload: Sequence[str] = (), cancel: Any = None, *, time_limit: float,
            memory_mb: float | None) -> dict[str, Any]:
    """One entry on one dataset in its own process: the store's row (on a local thread or a Dask
    worker). An entry that answers after the limit is a timeout, however quickly its process
    started; one that has not answered by the limit + ``GRACE`` is killed."""
    import shutil

    from optmodel.benchmark import isolation
    from optmodel.seriation import score

    row = blank_row(job)
    entry, n = job["entry"], len(job["names"])
    if entry["kind"] == "reference" and entry["path"] == "exact" and n > EXACT_LIMIT:
        return {**row, "status": "skipped", "message": f"{n} items: more than the exact MIP's {EXACT_LIMIT}"}
    workdir = tempfile.mkdtemp(prefix="optmodel-challenge-")  # removed here, even when the run is killed
    try:
        outcome = isolation.run(TASK, {"entry": entry, "names": job["names"], "matrix": job["matrix"],
                                       "time_limit": time_limit, "workdir": workdir, "source": job.get("source")},
                                wall_limit=time_limit + GRACE, memory_mb=memory_mb, preload=preload, cancel=cancel)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    row["seconds"] = round(outcome.wall_seconds, 3)
    if outcome.status == isolation.OK:
        result = outcome.result
        row["seconds"] = round(result["seconds"], 3)
        order, why = check_order(result.get("order"), n)
        if result["seconds"] > time_limit:
            row.update(status="timeout",
                       message=f"answered after {result['seconds']:.2f} s, past the {time_limit:g} s limit")
        elif order is None:
            row.update(status="invalid", message=why)
        else:
            row.update(status="ok", score=score(job["matrix"], order), order=order,
                       bound=result.get("bound"), optimal=bool(result.get("optimal")))
    elif outcome.status == isolation.KILLED and "wall-clock" in outcome.message:
        row.update(status="timeout", message=f"no answer within {time_limit:g} s")
    elif outcome.status == isolation.CANCELLED:
        row["status"] = isolation.CANCELLED
    else:  # raised, crashed, killed at the memory limit
        row.update(status="error", message=outcome.message.removeprefix(f"{__name__}.{EntryFailed.__name__}: "))
    return row


# --- the contest --------------------------------------------------------------------------------


@dataclass
class Contest:
    entries: list[Entry]
    datasets: list[Dataset]
    time_limit: float
    memory_mb: float | None = 4096.0

    def jobs(self) -> list[dict[str, Any]]:
        sources = {e.path: None if e.reference else Path(e.path).read_bytes() for e in self.entries}
        return [{"key": job_key(e, d, self.time_limit, self.memory_mb), "entry": asdict(e), "dataset": d.label,
                 "names": d.names, "matrix": d.matrix, "source": sources[e.path]}
                for d in self.datasets for e in self.entries]

    def run(self, store: Any, workers: int = 1, scheduler: str | None = None, progress: bool | None = None,
            retry: frozenset[str] = frozenset()) -> bool:
        from optmodel.benchmark.runner import execute

        job = functools.partial(run_job, time_limit=self.time_limit, memory_mb=self.memory_mb)
        return execute(self.jobs(), job, blank_row, store, workers=workers, scheduler=scheduler, preload=PRELOAD,
                       progress=progress, retry=retry, desc="challenge")


def upper_bounds(rows: list[dict[str, Any]], datasets: Sequence[Dataset]) -> dict[str, dict[str, Any]]:
    """Per dataset, the best score any order can reach: the optimum where optmodel proved one, else
    the smallest proven bound (the reference rows' Held–Karp / MIP bounds, and two neighbours per item)."""
    out = {}
    for d in datasets:
        mine = [r for r in rows if r["dataset"] == d.label and r["kind"] == "reference" and r["status"] == "ok"]
        # no score can pass the bound: one that does by rounding (1e-14) raises it, so every gap is >= 0
        reached = max((r["score"] for r in rows if r["dataset"] == d.label and r["status"] == "ok"), default=-math.inf)
        proven = [r["score"] for r in mine if r.get("optimal")]
        if proven:
            out[d.label] = {"score": max(*proven, reached), "proven_optimal": True}
            continue
        sums = [path_upper_bound(d.matrix), *(r["bound"] for r in mine if r.get("bound") is not None)]
        out[d.label] = {"score": max(min(score_of_sum(s, d.matrix) for s in sums), reached), "proven_optimal": False}
    return out


def leaderboard(rows: list[dict[str, Any]], labels: Sequence[str]) -> list[dict[str, Any]]:
    """One line per entry: per dataset its status, score and seconds; ranked by the last dataset's
    score (the held-out one), then the first's, then by name; entries without a score last."""
    lines: dict[str, dict[str, Any]] = {}
    for r in rows:
        line = lines.setdefault(r["submission"], {"submission": r["submission"], "reference": r["kind"] == "reference"})
        line[r["dataset"]] = {"status": r["status"], "score": r["score"], "seconds": r["seconds"],
                              "message": r["message"]}

    def rank_key(line: dict[str, Any]) -> tuple[Any, ...]:  # ties by name: the same table however runs finish
        scores = (line.get(label, {}).get("score") for label in reversed(labels))
        return (*(math.inf if x is None else -x for x in scores), line["submission"])

    ranked = sorted(lines.values(), key=rank_key)
    for k, line in enumerate([x for x in ranked if not x["reference"]], 1):
        line["rank"] = k
    return ranked


def _cell(part: dict[str, Any] | None) -> str:
    if not part:
        return ""
    if part["status"] == "ok":
        return f"{part['score']:.1f}"
    return part["status"]


def table(board: list[dict[str, Any]], labels: Sequence[str], bounds: dict[str, dict[str, Any]]) -> tuple[
        list[str], list[list[str]]]:
    """The lecture's table: rank, submission, a score (or timeout / error / invalid) per dataset, the
    gap to the upper bound on the held-out data, and the seconds."""
    last = labels[-1]
    header = ["rank", "submission", *labels, f"gap to bound ({last})", *(f"s ({label})" for label in labels)]
    lines = []
    for line in board:
        part = line.get(last) or {}
        gap = f"{bounds[last]['score'] - part['score']:.1f}" if part.get("status") == "ok" else ""
        lines.append([str(line.get("rank", "-")), line["submission"] + (" (optmodel)" if line["reference"] else ""),
                      *(_cell(line.get(label)) for label in labels), gap,
                      *(f"{(line.get(label) or {}).get('seconds') or 0:.2f}" for label in labels)])
    lines.append(["", "upper bound (optimum or proven bound)",
                  *(f"{bounds[label]['score']:.1f} ({'optimum' if bounds[label]['proven_optimal'] else 'bound'})"
                    for label in labels), "0.0", *("" for _ in labels)])
    return header, lines


def problems_below(board: list[dict[str, Any]], labels: Sequence[str]) -> list[str]:
    """What went wrong, one line per failed run: the reason a status alone does not give."""
    out = []
    for line in board:
        for label in labels:
            part = line.get(label)
            if part and part["status"] != "ok":
                out.append(f"{line['submission']} on {label}: {part['status']}: {part['message']}")
    return out


def plain_table(header: list[str], lines: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in lines)) for i, h in enumerate(header)]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths)), "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in lines]
    return "\n".join(out)


def write_report(rows: list[dict[str, Any]], datasets: Sequence[Dataset], directory: str | Path,
                 command: str, time_limit: float) -> list[Path]:
    """``leaderboard.md``, a self-contained ``leaderboard.html`` and the heatmap of the best order on
    each dataset (``best-LABEL.png``)."""
    import base64
    import html

    from optmodel.similarity import plot_heatmaps

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    labels = [d.label for d in datasets]
    bounds = upper_bounds(rows, datasets)
    board = leaderboard(rows, labels)
    header, lines = table(board, labels, bounds)
    pngs = []
    for d in datasets:
        best = max((r for r in rows if r["dataset"] == d.label and r["status"] == "ok"),
                   key=lambda r: r["score"], default=None)
        if best is None:
            continue
        png = directory / f"best-{d.label}.png"
        plot_heatmaps(d.matrix, d.names, best["order"], png, f"{d.label}: {Path(d.source).name}, {len(d.names)} items",
                      ("input order", f"best: {best['submission']}, score {best['score']:.1f}"))
        pngs.append((d.label, png))
    failures = problems_below(board, labels)
    intro = (f"Time limit {time_limit:g} s per run; score = 100 × mean neighbour similarity / largest similarity; "
             "ranked by the held-out score. The upper bound is the best score any order can reach "
             "(the optimum where optmodel proved it, else a proven bound).")
    md = ["# Tick 1 challenge: leaderboard", "", intro, "",
          "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
          *("| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in lines), ""]
    if failures:
        md += ["## Runs without a score", "", *(f"- {f}" for f in failures), ""]
    for label, png in pngs:
        md += [f"## The best order on {label}", "", f"![{label}]({png.name})", ""]
    md += ["## Command", "", "```", command, "```", ""]
    esc = html.escape
    body = [f"<h1>Tick 1 challenge: leaderboard</h1><p>{esc(intro)}</p><table>",
            "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>",
            *("<tr>" + "".join(f'<td class="{c if c in STATUSES else ""}">{esc(c)}</td>' for c in r) + "</tr>"
              for r in lines), "</table>"]
    if failures:
        body += ["<h2>Runs without a score</h2><ul>", *(f"<li>{esc(f)}</li>" for f in failures), "</ul>"]
    for label, png in pngs:
        data = base64.b64encode(png.read_bytes()).decode("ascii")
        body.append(f'<h2>The best order on {esc(label)}</h2><img alt="{esc(label)}" '
                    f'style="max-width:100%" src="data:image/png;base64,{data}">')
    body.append(f"<h2>Command</h2><pre>{esc(command)}</pre>")
    css = ("body{font-family:system-ui,sans-serif;margin:2em auto;max-width:70em}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.timeout,.error,.invalid{color:#c00}")
    page = (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Tick 1 leaderboard</title>'
            f"<style>{css}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")
    (directory / "leaderboard.md").write_text("\n".join(md), encoding="utf-8")
    (directory / "leaderboard.html").write_text(page, encoding="utf-8")
    return [directory / "leaderboard.md", directory / "leaderboard.html", *(p for _, p in pngs)]


def to_json(rows: list[dict[str, Any]], datasets: Sequence[Dataset], time_limit: float) -> dict[str, Any]:
    labels = [d.label for d in datasets]
    board = leaderboard(rows, labels)
    out_rows = [{"submission": line["submission"], "reference": line["reference"], "rank": line.get("rank"),
                 **{label: {k: (line.get(label) or {}).get(k) for k in ("status", "score", "seconds", "message")}
                    for label in labels}} for line in board]
    bounds = upper_bounds(rows, datasets)
    return {"rows": out_rows, "upper_bound": {label: bounds[label]["score"] for label in labels},
            "upper_bound_proven_optimal": {label: bounds[label]["proven_optimal"] for label in labels},
            "items": {d.label: len(d.names) for d in datasets}, "time_limit": time_limit}
