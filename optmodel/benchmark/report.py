"""Checks, summaries, performance profiles and report files over benchmark rows.

Everything here is a pure function of a list of row dicts (the store's schema, see
``store.py``): no solver is imported, so a report can be rebuilt from a results file alone.
The order of the work: :func:`check` flags wrong answers, then :func:`summary`,
:func:`profile`, :func:`instance_table` and the writers read the checked rows.
"""

from __future__ import annotations

import base64
import html
import json
import math
import statistics
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

SHIFT = 10.0  # Mittelmann's shift for the geometric mean of times, in seconds
DEFAULT_GAP = 1e-4  # MIPLIB 2017's relative gap limit, the default tolerance of the checks

# Runs without a trustworthy answer: they cost a row, never a "wrong" flag.
_UNCHECKED = frozenset({"killed", "crashed", "skipped", "error", "unverified"})
_NO_OPTIMUM = frozenset({"infeasible", "unbounded", "infeasible_or_unbounded"})
_SOLVED = frozenset({"optimal", *_NO_OPTIMUM})
_RED, _RESET = "\x1b[31m", "\x1b[0m"

DEFINITIONS = (
    "A run is *solved* when, within its time limit, it answered optimal (the returned point passed "
    "optmodel's feasibility check) or proved the instance infeasible or unbounded, and was not flagged "
    "wrong. A run is *wrong* when its objective differs from the instance's reference optimum (or, "
    "without one, from another backend's certified optimum) by more than the tolerance "
    "max(mip_gap, 1e-6) × max(1, |optimum|) (mip_gap 1e-4 when unset); when any objective is better than "
    "that optimum or a bound lies beyond it; when it reports infeasible or unbounded although an optimum "
    "is known or another backend found a checked feasible point; when it reports optimal although "
    "another backend certified unboundedness; or when another backend's checked feasible point is better "
    "than its claimed optimum or its bound (a checked point proves how good the optimum is at least, "
    "which catches wrong MIP answers where no duals exist). Killed, crashed, skipped, error and "
    "unverified runs are never wrong. A generated instance (PROBLEM:SIZE) is another instance for every "
    "seed. Time = build + solve seconds as the solver reports them (wall seconds when neither is known). "
    "SGM is the shifted geometric mean of times, exp(mean(log(t + 10))) − 10, with shift 10 s as in "
    "Mittelmann's benchmarks, over every problem (instance × seed); unsolved runs, skipped ones "
    "included, count at the time limit (at the largest time of the benchmark when there is none), and "
    "repeats of a run are reduced to their median first. SGM relative divides by the smallest SGM. "
    "Counts are per run (every seed and repeat); killed runs hit the wall-clock or the memory limit "
    "(the message says which). The performance profile (Dolan & Moré 2002) shows, for each backend, the "
    "share of problems it solved within τ times the best backend's time. An unsolved cell with a point "
    "and a known optimum shows how far that point is from the optimum."
)


# ---------------------------------------------------------------------------------------------
# checks


def _num(x: Any) -> float | None:
    """A finite float, or None: NaN and ±inf carry no answer to compare."""
    if x is None or isinstance(x, bool):
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _g(x: float) -> str:
    return f"{x:.10g}"


def _tol(row: dict[str, Any], v: float) -> float:
    gap = row.get("mip_gap")
    return max(DEFAULT_GAP if gap is None else gap, 1e-6) * max(1.0, abs(v))


def _key(row: dict[str, Any]) -> tuple[Any, ...]:
    """The instance a row answers: a generated one is another instance for every seed."""
    seed = row.get("seed") if row.get("kind") == "generated" else None
    return (row.get("instance"), row.get("path"), seed)


def _wrong_reason(row: dict[str, Any], answers: list[tuple[str, float]], certified_none: list[str],
                  points: list[tuple[str, float]] = ()) -> str:
    """The first contradiction of one run with the instance's answers ("" when none).

    ``answers`` are (source, optimum) pairs; ``certified_none`` names the other backends that
    certified the instance infeasible or unbounded (only used when no reference is known);
    ``points`` are (backend, objective) of other backends' verified feasible points, each a proof
    that the optimum is at least that good."""
    status = row.get("status")
    maximize = row.get("sense") == "max"
    obj, bound = _num(row.get("objective")), _num(row.get("bound"))
    if answers and status in _NO_OPTIMUM:
        src, v = answers[0]
        return f"status {status} but {_source(src)} is {_g(v)}"
    if status == "optimal" and certified_none:
        return f"status optimal but {certified_none[0]} certified the instance has no optimum"
    for src, v in answers:
        tol = _tol(row, v)
        if obj is not None and (obj > v + tol if maximize else obj < v - tol):
            return f"objective {_g(obj)} better than the optimum {_g(v)} ({_source(src)}): impossible"
        if status == "optimal" and obj is not None and abs(obj - v) > tol:
            return f"objective {_g(obj)} differs from {_source(src)} {_g(v)}"
        if bound is not None and (bound < v - tol if maximize else bound > v + tol):
            return f"bound {_g(bound)} beyond the optimum {_g(v)} ({_source(src)})"
    for src, v in points:
        tol = _tol(row, v)
        if status in _NO_OPTIMUM:
            return f"status {status} but {src} found a verified feasible point (objective {_g(v)})"
        if status == "optimal" and obj is not None and (obj < v - tol if maximize else obj > v + tol):
            return f"objective {_g(obj)} claimed optimal, but {src} found a verified point with {_g(v)}"
        if bound is not None and (bound < v - tol if maximize else bound > v + tol):
            return f"bound {_g(bound)} beyond a verified point of {src} ({_g(v)})"
    return ""


def _source(src: str) -> str:
    return "the reference optimum" if src == "" else f"{src}'s certified optimum"


def check(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Copies of ``rows`` with ``wrong`` (bool) and ``wrong_reason`` (str, "" when not wrong) added.

    Runs are compared per instance, i.e. per (``instance``, ``path``), across seeds and repeats.
    The instance's *answer* is its reference optimum when any of its rows carries one; otherwise
    the objectives of the other backends' runs that are ``certified`` with status optimal (each is
    compared). With tol(v) = max(mip_gap or 1e-4, 1e-6) × max(1, |v|), the run's own mip_gap, and
    sense None read as "min", a run is wrong when

    - its status is infeasible / unbounded / infeasible_or_unbounded while an answer exists;
    - without a reference, its status is optimal while another backend's run on the instance is
      certified infeasible or unbounded (symmetric with the rule above: when both runs are
      certified, both are flagged, since one of them must be wrong and the rows cannot say which);
    - any objective (optimal, feasible, time_limit, ...) is better than an answer beyond tol;
    - its status is optimal and its objective differs from an answer by more than tol;
    - its bound lies beyond an answer by more than tol (min: bound > v + tol; max: bound < v − tol);
    - another backend found a verified feasible point (status optimal or feasible) that proves it
      wrong: a better objective than its claimed optimum or its bound, or any point at all when it
      says infeasible. A checked point is a certificate too (of an upper bound, for a minimum), which
      is what catches a wrong MIP answer when no optimum is known and no duals exist.

    Killed, crashed, skipped, error and unverified runs are never wrong: they carry no answer
    to trust (unverified already means optmodel's own check rejected the point).
    """
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for r in rows:
        groups.setdefault(_key(r), []).append(r)
    references = {k: next((v for r in g if (v := _num(r.get("reference"))) is not None), None)
                  for k, g in groups.items()}
    out = []
    for r in rows:
        row = dict(r)
        reason = ""
        if row.get("status") not in _UNCHECKED:
            group = groups[_key(row)]
            ref = _num(row.get("reference"))
            ref = references[_key(row)] if ref is None else ref
            peers = [p for p in group if p.get("backend") != row.get("backend") and p.get("certified")]
            if ref is not None:
                answers, certified_none = [("", ref)], []
            else:
                answers = [(p["backend"], v) for p in peers
                           if p.get("status") == "optimal" and (v := _num(p.get("objective"))) is not None]
                # a certified infeasibility does not beat a checked point (the point is the stronger
                # evidence, and flags the infeasible run below); a certified unboundedness does
                certified_none = list(dict.fromkeys(p["backend"] for p in peers if p.get("status") == "unbounded"))
            points = [(p["backend"], v) for p in group if p.get("backend") != row.get("backend")
                      and p.get("status") in ("optimal", "feasible") and (v := _num(p.get("objective"))) is not None]
            reason = _wrong_reason(row, answers, certified_none, points)
        row["wrong"] = bool(reason)
        row["wrong_reason"] = reason
        out.append(row)
    return out


# ---------------------------------------------------------------------------------------------
# times and summary


def solved(row: dict[str, Any]) -> bool:
    """Answered within the time limit and not flagged wrong by :func:`check`: optimal, or proven
    infeasible or unbounded (MIPLIB counts a correct proof of infeasibility as solved)."""
    if row.get("status") not in _SOLVED or row.get("wrong", False):
        return False
    limit = _num(row.get("time_limit"))
    return limit is None or seconds(row) <= limit


def seconds(row: dict[str, Any]) -> float:
    """Build + solve seconds (a missing one counts 0); wall seconds when both are missing."""
    build, solve = _num(row.get("build_seconds")), _num(row.get("solve_seconds"))
    if build is None and solve is None:
        wall = _num(row.get("wall_seconds"))
        return math.nan if wall is None else wall
    return (build or 0.0) + (solve or 0.0)


def _backends(rows: Iterable[dict[str, Any]]) -> list[str]:
    return list(dict.fromkeys(r.get("backend") for r in rows))


def _problem(row: dict[str, Any]) -> tuple[str, str, Any]:
    return (row.get("instance"), row.get("path"), row.get("seed"))


def _largest_time(rows: list[dict[str, Any]]) -> float:
    times = [t for r in rows if r.get("status") != "skipped" and math.isfinite(t := seconds(r))]
    return max(times, default=0.0)


def _reduced_times(rows: list[dict[str, Any]], unsolved: str) -> dict[str, dict[tuple, float]]:
    """backend -> problem (instance, path, seed) -> median over repeats of the run times.

    An unsolved run's time is its time limit (``unsolved="limit"``; the largest time of the
    benchmark when it has none) or infinity (``unsolved="inf"``)."""
    largest = _largest_time(rows)
    times: dict[str, dict[tuple, list[float]]] = {b: {} for b in _backends(rows)}
    for r in rows:  # a skipped run is unsolved: the backend cannot answer there
        if solved(r):
            t = seconds(r)
        elif unsolved == "inf":
            t = math.inf
        else:
            limit = _num(r.get("time_limit"))
            t = largest if limit is None else limit
        times[r.get("backend")].setdefault(_problem(r), []).append(t)
    return {b: {p: statistics.median(ts) for p, ts in per.items()} for b, per in times.items()}


def sgm(times: Iterable[float], shift: float = SHIFT) -> float | None:
    """Shifted geometric mean exp(mean(log(t + shift))) − shift; None for no times."""
    t = np.asarray(list(times), dtype=float)
    if t.size == 0:
        return None
    return float(np.exp(np.mean(np.log(t + shift))) - shift)


def summary(rows_checked: list[dict[str, Any]], shift: float = SHIFT) -> list[dict[str, Any]]:
    """One dict per backend (first-appearance order) with run counts, SGM and SGM relative.

    Keys: backend, runs, solved, wrong, time_limit_hits (time_limit or killed), killed, crashed,
    errors (error or unverified), skipped, sgm (seconds; None when every run was skipped),
    sgm_relative (sgm / the smallest sgm). Counts are per run, every seed and repeat included;
    the SGM is over all problems (instance, path, seed), after reducing repeats to their median
    time, with unsolved runs at the time limit — skipped ones too, as Mittelmann counts a solver's
    failures, so that a backend cannot look fast by leaving out what it cannot do."""
    reduced = _reduced_times(rows_checked, unsolved="limit")
    out = []
    for b in _backends(rows_checked):
        mine = [r for r in rows_checked if r.get("backend") == b]
        status = Counter(r.get("status") for r in mine)
        out.append({
            "backend": b,
            "runs": len(mine),
            "solved": sum(solved(r) for r in mine),
            "wrong": sum(bool(r.get("wrong")) for r in mine),
            "time_limit_hits": status["time_limit"],
            "killed": status["killed"],
            "crashed": status["crashed"],
            "errors": status["error"] + status["unverified"],
            "skipped": status["skipped"],
            "sgm": sgm(reduced[b].values(), shift),
        })
    best = min((s["sgm"] for s in out if s["sgm"] is not None), default=None)
    for s in out:
        if s["sgm"] is None or best is None:
            s["sgm_relative"] = None
        elif best > 0:
            s["sgm_relative"] = s["sgm"] / best
        else:  # every time 0 (only in toy data): equal SGMs are 1, anything else has no finite ratio
            s["sgm_relative"] = 1.0 if s["sgm"] == best else None
    return out


# ---------------------------------------------------------------------------------------------
# performance profile


def profile(rows_checked: list[dict[str, Any]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Dolan & Moré (2002) performance profile: backend -> (τ breakpoints, ρ(τ)).

    Problems are (instance, path, seed) with at least one non-skipped run. t[p, s] is the median
    over repeats of the run times, an unsolved run counting as infinity (so a problem is solved
    when most repeats are); a backend without a run on p (skipped) has t = inf. The ratio
    r[p, s] = t[p, s] / min_s t[p, s] is inf when nobody solved p, and ρ_s(τ) is the share of
    problems with r[p, s] ≤ τ, so problems nobody solved keep every curve below 1. τ is sorted,
    starts at 1 and holds each distinct finite ratio; ρ is right-continuous between breakpoints.
    """
    reduced = _reduced_times(rows_checked, unsolved="inf")
    backends = _backends(rows_checked)
    problems = list(dict.fromkeys(p for b in backends for p in reduced[b]))
    t = np.array([[reduced[b].get(p, math.inf) for b in backends] for p in problems], dtype=float)
    t = t.reshape(len(problems), len(backends))
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if not problems:
        return {b: (np.array([1.0]), np.array([0.0])) for b in backends}
    best = t.min(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        # 0/0 (a zero time that is the best) is a ratio of 1; inf/inf (nobody solved) stays inf
        ratio = np.where(t == best, 1.0, t / best)
    ratio[~np.isfinite(best[:, 0])] = math.inf
    for j, b in enumerate(backends):
        r = ratio[:, j]
        tau = np.unique(np.concatenate([[1.0], r[np.isfinite(r)]]))
        rho = (r[None, :] <= tau[:, None]).sum(axis=1) / len(problems)
        out[b] = (tau, rho)
    return out


def plot_profile(rows_checked: list[dict[str, Any]], path: str | Path, title: str) -> Path:
    """Write the performance profile as a PNG: log2 τ axis, one step curve per backend."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    prof = profile(rows_checked)
    tau_max = max((float(tau[-1]) for tau, _ in prof.values()), default=1.0)
    right = max(2.0, tau_max * 1.5)  # let every curve's last level show as a flat step
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for b, (tau, rho) in prof.items():
        ax.step(np.append(tau, right), np.append(rho, rho[-1]), where="post", label=b)
    ax.set_xscale("log", base=2)
    ax.set_xlim(1.0, right)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("τ (time relative to the best backend, log2)")
    ax.set_ylabel("share of problems solved within τ × best")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    path = Path(path)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# ---------------------------------------------------------------------------------------------
# tables


def _fmt_time(t: float) -> str:
    if t >= 100:
        return f"{t:.0f}"
    return f"{t:.2f}" if t >= 1 else f"{t:.3f}"


def _fmt(x: Any, spec: str = ".2f") -> str:
    v = _num(x)
    return "" if v is None else format(v, spec)


def _cell(runs: list[dict[str, Any]]) -> str:
    """One backend's runs on one problem (all repeats): WRONG, median time, or the status."""
    if not runs:
        return ""
    wrong = [r for r in runs if r.get("wrong")]
    if wrong:
        obj = _num(wrong[0].get("objective"))
        return f"WRONG (obj {_g(obj)})" if obj is not None else f"WRONG ({wrong[0].get('status')})"
    t = statistics.median(seconds(r) if solved(r) else math.inf for r in runs)
    if math.isfinite(t):
        return _fmt_time(t)
    unsolved = Counter(r.get("status") for r in runs if not solved(r))
    status = str(unsolved.most_common(1)[0][0])
    # an unfinished run with a point: how far it is from the optimum, as "time_limit +1.2%"
    last = next((r for r in runs if r.get("status") == status), runs[0])
    obj, ref = _num(last.get("objective")), _num(last.get("reference"))
    if obj is not None and ref is not None and ref != 0:
        worse = (ref - obj if last.get("sense") == "max" else obj - ref) / abs(ref)
        return f"{status} {100 * worse:+.2g}%"
    return status


def instance_table(rows_checked: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    """(header, lines): one line per instance (and seed, when there are several), one column per
    backend. A cell is the median time when solved, else the most common status of its runs,
    ``WRONG (obj X)`` when any run was flagged wrong, and empty when the backend has no run."""
    backends = _backends(rows_checked)
    seeds = {r.get("seed") for r in rows_checked}
    by_seed = len(seeds) > 1
    paths_of: dict[str, set] = {}
    for r in rows_checked:
        paths_of.setdefault(r.get("instance"), set()).add(r.get("path"))
    cells: dict[tuple, dict[str, list[dict[str, Any]]]] = {}
    for r in rows_checked:
        cells.setdefault(_problem(r) if by_seed else _key(r), {}).setdefault(r.get("backend"), []).append(r)

    def label(k: tuple) -> str:
        # an instance name shared by two files (two sets) shows its path to tell them apart
        return str(k[0]) if len(paths_of[k[0]]) == 1 else f"{k[0]} ({k[1]})"

    header = ["instance", *(["seed"] if by_seed else []), *backends]
    keys = sorted(cells, key=lambda k: (label(k), *(str(x) for x in k[1:])))
    lines = [[label(k), *([str(k[2])] if by_seed else []), *(_cell(cells[k].get(b, [])) for b in backends)]
             for k in keys]
    return header, lines


def _summary_table(summ: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["backend", "runs", "solved", "wrong", "time limit", "killed", "crashed", "errors", "skipped",
              "SGM (s)", "SGM relative"]
    lines = [[str(s["backend"]), str(s["runs"]), str(s["solved"]), str(s["wrong"]), str(s["time_limit_hits"]),
              str(s["killed"]), str(s["crashed"]), str(s["errors"]), str(s["skipped"]),
              _fmt(s["sgm"]), _fmt(s["sgm_relative"])] for s in summ]
    return header, lines


def _wrong_table(rows_checked: list[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["instance", "backend", "seed", "repeat", "status", "objective", "reason"]
    lines = [[str(r.get("instance")), str(r.get("backend")), str(r.get("seed")), str(r.get("repeat")),
              str(r.get("status")), _fmt(r.get("objective"), ".10g"), r.get("wrong_reason", "")]
             for r in rows_checked if r.get("wrong")]
    return header, lines


def _is_wrong_cell(text: str) -> bool:
    return text.startswith("WRONG")


def _plain(header: list[str], lines: list[list[str]], color: bool) -> str:
    """Left-aligned columns; red for WRONG cells when ``color`` (padding first, so ANSI codes
    do not shift the columns)."""
    widths = [max(len(x) for x in col) for col in zip(header, *lines)]

    def fmt(line: list[str]) -> str:
        cells = [x.ljust(w) for x, w in zip(line, widths)]
        if color:
            cells = [f"{_RED}{c}{_RESET}" if _is_wrong_cell(x) else c for x, c in zip(line, cells)]
        return "  ".join(cells).rstrip()

    return "\n".join([fmt(header), "  ".join("-" * w for w in widths), *map(fmt, lines)])


def terminal_table(rows_checked: list[dict[str, Any]], color: bool) -> str:
    """The summary and the per-instance table as text; the wrong runs, if any, listed last, where
    a terminal leaves them in view. WRONG cells are red (ANSI) when ``color``."""
    parts = [_plain(*_summary_table(summary(rows_checked)), color=False), "",
             _plain(*instance_table(rows_checked), color=color)]
    _, lines = _wrong_table(rows_checked)
    if lines:
        head = f"WRONG ANSWERS ({len(lines)}):"
        parts += ["", f"{_RED}{head}{_RESET}" if color else head]
        for line in lines:
            text = f"  {line[0]}  {line[1]}  seed {line[2]}  repeat {line[3]}: {line[6]}"
            parts.append(f"{_RED}{text}{_RESET}" if color else text)
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------
# report files


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(header: list[str], lines: list[list[str]], bold_wrong: bool = False) -> str:
    def cell(x: str) -> str:
        x = _md_escape(x)
        return "**WRONG**" + x[len("WRONG"):] if bold_wrong and _is_wrong_cell(x) else x

    out = ["| " + " | ".join(map(_md_escape, header)) + " |", "|" + "---|" * len(header)]
    out += ["| " + " | ".join(map(cell, line)) + " |" for line in lines]
    return "\n".join(out)


def _machine_lines(machine: dict[str, Any]) -> list[str]:
    return [f"{k}: {v}" for k, v in machine.items()]


def _settings_lines(rows: list[dict[str, Any]]) -> list[str]:
    """The limits the runs shared and each backend's solver version, as the rows record them."""

    def values(key: str) -> str:
        return ", ".join(str(v) for v in dict.fromkeys(r.get(key) for r in rows))

    lines = [f"time limit (s): {values('time_limit')}", f"gap limit: {values('mip_gap')}",
             f"threads per run: {values('threads')}", f"memory limit (MB): {values('memory_mb')}",
             f"seeds: {values('seed')}; repeats: {len({r.get('repeat') for r in rows})}"]
    for b in _backends(rows):
        versions = dict.fromkeys(r.get("solver_version") for r in rows if r.get("backend") == b
                                 and r.get("solver_version"))
        lines.append(f"{b}: {', '.join(versions) or 'version unknown (no run reached the solver)'}")
    return lines


def _markdown(rows_checked: list[dict[str, Any]], title: str, command: str, machine: dict[str, Any],
              png_name: str) -> str:
    wrong_header, wrong_lines = _wrong_table(rows_checked)
    md = [f"# {title}", ""]
    if wrong_lines:  # the benchmark's most important output comes first
        md += ["## Wrong answers", "", f"{len(wrong_lines)} run(s) contradict a known answer:", "",
               _md_table(wrong_header, wrong_lines), ""]
    else:
        md += ["No run was flagged wrong.", ""]
    md += ["## Summary", "", _md_table(*_summary_table(summary(rows_checked))), "",
           "## Performance profile", "", f"![performance profile]({png_name})", "",
           "## Per instance", "", _md_table(*instance_table(rows_checked), bold_wrong=True), "",
           "## Settings and solver versions", "", *(f"- {_md_escape(x)}" for x in _settings_lines(rows_checked)), "",
           "## Machine", "", *(f"- {_md_escape(x)}" for x in _machine_lines(machine)), "",
           "## Command", "", "```", command, "```", "",
           "## Definitions", "", DEFINITIONS, ""]
    return "\n".join(md)


_CSS = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 70em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #f3f3f3; }
.wrong { color: #c00; font-weight: bold; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; }
img { max-width: 100%; }
"""


def _html_table(header: list[str], lines: list[list[str]], wrong_rows: bool = False) -> str:
    esc = html.escape
    out = ["<table>", "<tr>" + "".join(f"<th>{esc(h)}</th>" for h in header) + "</tr>"]
    for line in lines:
        cells = "".join(f'<td class="wrong">{esc(x)}</td>' if wrong_rows or _is_wrong_cell(x) else f"<td>{esc(x)}</td>"
                        for x in line)
        out.append(f'<tr class="wrong">{cells}</tr>' if wrong_rows else f"<tr>{cells}</tr>")
    out.append("</table>")
    return "\n".join(out)


def _html(rows_checked: list[dict[str, Any]], title: str, command: str, machine: dict[str, Any], png: bytes) -> str:
    esc = html.escape
    wrong_header, wrong_lines = _wrong_table(rows_checked)
    body = [f"<h1>{esc(title)}</h1>"]
    if wrong_lines:
        body += ['<h2 class="wrong">Wrong answers</h2>',
                 f"<p>{len(wrong_lines)} run(s) contradict a known answer:</p>",
                 _html_table(wrong_header, wrong_lines, wrong_rows=True)]
    else:
        body.append("<p>No run was flagged wrong.</p>")
    data = base64.b64encode(png).decode("ascii")
    body += ["<h2>Summary</h2>", _html_table(*_summary_table(summary(rows_checked))),
             "<h2>Performance profile</h2>", f'<img alt="performance profile" src="data:image/png;base64,{data}">',
             "<h2>Per instance</h2>", _html_table(*instance_table(rows_checked)),
             "<h2>Settings and solver versions</h2>",
             "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in _settings_lines(rows_checked)) + "</ul>",
             "<h2>Machine</h2>", "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in _machine_lines(machine)) + "</ul>",
             "<h2>Command</h2>", f"<pre>{esc(command)}</pre>",
             "<h2>Definitions</h2>", f"<p>{esc(DEFINITIONS.replace('*', ''))}</p>"]
    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{esc(title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


def write_report(rows_checked: list[dict[str, Any]], directory: str | Path, title: str, command: str,
                 machine: dict[str, Any]) -> list[Path]:
    """Write ``report.md``, ``profile.png`` and a self-contained ``report.html`` (CSS inline, the
    PNG as a data URI) into ``directory`` (created); return their paths. Wrong runs are listed
    first, and in red in the HTML."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    png = plot_profile(rows_checked, directory / "profile.png", title)
    md = directory / "report.md"
    md.write_text(_markdown(rows_checked, title, command, machine, png.name), encoding="utf-8")
    page = directory / "report.html"
    page.write_text(_html(rows_checked, title, command, machine, png.read_bytes()), encoding="utf-8")
    return [md, png, page]


# ---------------------------------------------------------------------------------------------
# JSON


def _jsonable(x: Any) -> Any:
    """Plain JSON values with NaN and ±inf as None (so ``allow_nan=False`` holds)."""
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, np.ndarray)):
        return [_jsonable(v) for v in x]
    if isinstance(x, (bool, np.bool_)):
        return bool(x)
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, (float, np.floating)):
        return float(x) if math.isfinite(x) else None
    if x is None or isinstance(x, str):
        return x
    return str(x)


def to_json(rows_checked: list[dict[str, Any]]) -> dict[str, Any]:
    """{"rows": the checked rows, "summary": :func:`summary`, "profile": {backend: {"tau", "rho"}}},
    with NaN and infinities replaced by None."""
    prof = {b: {"tau": tau, "rho": rho} for b, (tau, rho) in profile(rows_checked).items()}
    out = _jsonable({"rows": rows_checked, "summary": summary(rows_checked), "profile": prof})
    json.dumps(out, allow_nan=False)  # fail here, not in the caller's file, if a NaN slipped through
    return out
