"""Machinery of the fuzz suite (``tests/test_fuzz.py``): seed files, mutations, per-case limits,
the judgement of one case, and where failures are kept.

A case is a seed file (a real instance or a synthetic one written by optmodel's own writers) and a
short list of mutations. It is read in this process under a time limit (``CASE_SECONDS``, an
interval timer whose exception readers cannot catch) and a memory bound (``MEMORY_MB`` above what
the process already maps, enforced as ``RLIMIT_AS`` so an oversized allocation fails at once
instead of swapping the machine). The reader must either return a plausible object or raise an
``OptmodelError`` whose message is one line naming the file (and, for line-oriented formats, a line
inside it). Anything else is a failure: another exception type, a MemoryError anywhere in the
exception chain, a RuntimeWarning, a timeout, an implausible result, or, for single-mutation cases
with a known meaning, a result that should not exist (a file cut mid-line read as if whole, a
number such as ``1_000`` or ``١٢`` that a strict grammar refuses, a CRLF or tab variant read
differently from the original).

Every failure is written under ``FINDINGS`` (``OPTMODEL_FUZZ_FINDINGS``, default
``$TMPDIR/optmodel-fuzz-findings``): ``FORMAT/CLASS/input.EXT`` (the smallest input seen for that
class, reduced line by line), ``info.txt`` (mutations, seed, traceback), ``FORMAT/index.json`` (every
class with its count) and ``FORMAT/runs.jsonl`` (cases and failures of each run).
"""

from __future__ import annotations

import contextlib
import enum
import faulthandler
import hashlib
import json
import math
import os
import re
import shutil
import signal
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from optmodel.errors import OptmodelError

try:
    import resource
except ImportError:  # not POSIX: no memory bound (the time limits still hold)
    resource = None  # type: ignore[assignment]

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("OPTMODEL_DATA", REPO.parent / "shared" / "data"))
FUZZ_SECONDS = float(os.environ.get("OPTMODEL_FUZZ_SECONDS", "0") or 0)
COLLECT = os.environ.get("OPTMODEL_FUZZ_COLLECT", "") not in ("", "0")
FINDINGS = Path(os.environ.get("OPTMODEL_FUZZ_FINDINGS", Path(tempfile.gettempdir()) / "optmodel-fuzz-findings"))
CASE_SECONDS = float(os.environ.get("OPTMODEL_FUZZ_CASE_SECONDS", "2"))
MEMORY_MB = int(os.environ.get("OPTMODEL_FUZZ_MEMORY_MB", "256"))
PROJECT_DIRS = ("optmodel", "backends", "problems")
# Errors about what the whole file lacks have no line to point at; every other error names one.
WHOLE_FILE = re.compile(r"\b(missing|empty|needs?|at least|has no|have no|no (such|\w+ (section|line|header))|"
                        r"not found|does not end|ends before|truncated|unexpected end|end of file)\b", re.I)


# ---------------------------------------------------------------------------------------------
# mutations

NUMBER = re.compile(rb"(?<![\w.+\-\[(])[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.\])])")

# Tokens a strict number grammar refuses although Python's float()/int() take them: a reader that
# accepts one where a number is due reads a value the file does not state.
LAX_NUMBERS = (b"1_000", "１２".encode(), "٣".encode(), b"1_0.5")
ODD_NUMBERS = (
    *LAX_NUMBERS, b"nan", b"NaN", b"inf", b"-inf", b"Infinity", b"-0", b"1e309", b"-1e309", b"1e-400",
    b"99999999999999999999999", b"-99999999999999999999999", b"9223372036854775808", b"-9223372036854775809",
    b"2147483648", b"0x10", b"", b"+5", b"5.", b".5", b"1e", b"--1", b"1.5.5", b"1,5", b"0", b"-1", b"1.5",
)
SIZES = (b"0", b"-1", b"1", b"2", b"20000", b"1000000", b"20000000", b"10000000000", b"9223372036854775807",
         b"99999999999999999999999", b"1e6", b"nan")  # fmt: skip
NON_UTF8 = (b"\xff", b"\xfe\xff", b"\xc3\x28", b"\x80", b"\xed\xa0\x80", b"\x00", b"\xef\xbb\xbf", b"\x1a")


class Mutation:
    """One edit of a file's bytes; ``apply`` never fails (positions wrap around the size)."""

    def apply(self, data: bytes) -> bytes:
        raise NotImplementedError


def _lines(data: bytes) -> list[bytes]:
    return data.split(b"\n")


@dataclass(frozen=True)
class FlipBit(Mutation):
    pos: int
    bit: int

    def apply(self, data: bytes) -> bytes:
        if not data:
            return data
        i = self.pos % len(data)
        return data[:i] + bytes([data[i] ^ (1 << self.bit)]) + data[i + 1:]


@dataclass(frozen=True)
class InsertBytes(Mutation):
    pos: int
    value: bytes

    def apply(self, data: bytes) -> bytes:
        i = self.pos % (len(data) + 1)
        return data[:i] + self.value + data[i:]


@dataclass(frozen=True)
class Truncate(Mutation):
    pos: int

    def apply(self, data: bytes) -> bytes:
        return data[: self.pos % max(len(data), 1)]


@dataclass(frozen=True)
class DeleteLine(Mutation):
    line: int

    def apply(self, data: bytes) -> bytes:
        lines = _lines(data)
        del lines[self.line % len(lines)]
        return b"\n".join(lines)


@dataclass(frozen=True)
class DuplicateLine(Mutation):
    line: int

    def apply(self, data: bytes) -> bytes:
        lines = _lines(data)
        i = self.line % len(lines)
        return b"\n".join(lines[: i + 1] + lines[i:])


@dataclass(frozen=True)
class SwapLines(Mutation):
    a: int
    b: int

    def apply(self, data: bytes) -> bytes:
        lines = _lines(data)
        i, j = self.a % len(lines), self.b % len(lines)
        lines[i], lines[j] = lines[j], lines[i]
        return b"\n".join(lines)


@dataclass(frozen=True)
class InsertLine(Mutation):
    line: int
    text: bytes

    def apply(self, data: bytes) -> bytes:
        lines = _lines(data)
        i = self.line % (len(lines) + 1)
        return b"\n".join([*lines[:i], self.text, *lines[i:]])


@dataclass(frozen=True)
class ReplaceNumber(Mutation):
    """The k-th number of the file (of its header lines, where ``where`` selects lines) by a token."""

    k: int
    token: bytes
    where: bytes | None = None

    def spans(self, data: bytes) -> list[tuple[int, int]]:
        if self.where is None:
            return [m.span() for m in NUMBER.finditer(data)]
        return [(a + s, a + e) for line in re.finditer(self.where, data)
                for a in [line.start()] for s, e in (m.span() for m in NUMBER.finditer(line.group()))]

    def replaced(self, data: bytes) -> int:
        """Where in ``data`` the token goes (-1: the file has no number)."""
        spans = self.spans(data)
        return spans[self.k % len(spans)][0] if spans else -1

    def apply(self, data: bytes) -> bytes:
        spans = self.spans(data)
        if not spans:
            return data
        a, b = spans[self.k % len(spans)]
        return data[:a] + self.token + data[b:]


@dataclass(frozen=True)
class Tabs(Mutation):
    """Runs of spaces become one tab: the k-th run, or every run when ``k`` is None."""

    k: int | None

    def apply(self, data: bytes) -> bytes:
        if self.k is None:
            return re.sub(rb" +", b"\t", data)
        runs = list(re.finditer(rb" +", data))
        if not runs:
            return data
        a, b = runs[self.k % len(runs)].span()
        return data[:a] + b"\t" + data[b:]


@dataclass(frozen=True)
class Crlf(Mutation):
    def apply(self, data: bytes) -> bytes:
        return data.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def apply_all(data: bytes, ops: Sequence[Mutation]) -> bytes:
    for op in ops:
        data = op.apply(data)
    return data


def mutation_strategy(header: bytes | None, insert_lines: Sequence[bytes]) -> Any:
    """Hypothesis strategy for one mutation; ``header`` selects the lines that declare sizes."""
    from hypothesis import strategies as st

    pos = st.integers(0, 2**20)
    options = [
        st.builds(FlipBit, pos, st.integers(0, 7)),
        st.builds(InsertBytes, pos, st.sampled_from(NON_UTF8)),
        st.builds(Truncate, pos),
        st.builds(DeleteLine, pos),
        st.builds(DuplicateLine, pos),
        st.builds(SwapLines, pos, pos),
        st.builds(ReplaceNumber, pos, st.sampled_from(ODD_NUMBERS)),
        st.builds(Tabs, st.none() | pos),
        st.just(Crlf()),
    ]
    if header is not None:
        options.append(st.builds(ReplaceNumber, st.integers(0, 3), st.sampled_from(SIZES), st.just(header)))
    if insert_lines:
        options.append(st.builds(InsertLine, pos, st.sampled_from(tuple(insert_lines))))
    return st.one_of(options)


# ---------------------------------------------------------------------------------------------
# limits


class CaseTimeout(BaseException):
    """The per-case alarm: a BaseException, so a reader's ``except Exception`` cannot swallow it."""


def _mapped_bytes() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


@contextlib.contextmanager
def limits(seconds: float = CASE_SECONDS, memory_mb: int = MEMORY_MB, hang_log: Path | None = None) -> Iterator[None]:
    """Run the body under a time limit (CaseTimeout) and a memory bound (MemoryError).

    The time limit counts the process's CPU seconds (a loaded CI machine does not make a case
    slow), with a wall-clock limit ten times longer for a case that waits without computing. Both
    interrupt Python code only; a loop inside C code that never returns is stopped by faulthandler,
    which writes every thread's stack to ``hang_log`` and ends the process (a crashed pytest worker,
    not a CI job that never ends)."""
    timers = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    old_handlers: dict[int, Any] = {}
    if timers:
        def on_timer(signum: int, frame: Any) -> None:
            kind = "CPU" if signum == signal.SIGPROF else "wall-clock"
            raise CaseTimeout(f"still running after {seconds if kind == 'CPU' else 10 * seconds:g} {kind} seconds")

        for sig in (signal.SIGPROF, signal.SIGALRM):
            old_handlers[sig] = signal.signal(sig, on_timer)
        signal.setitimer(signal.ITIMER_PROF, seconds)
        signal.setitimer(signal.ITIMER_REAL, 10 * seconds)
    log = open(hang_log, "w") if hang_log is not None else sys.stderr
    faulthandler.dump_traceback_later(30 * seconds + 60, exit=True, file=log)
    old_limit = None
    if resource is not None and sys.platform.startswith("linux"):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        want = _mapped_bytes() + memory_mb * 2**20
        if hard == resource.RLIM_INFINITY or want <= hard:
            resource.setrlimit(resource.RLIMIT_AS, (want, hard))
            old_limit = (soft, hard)
    try:
        yield
    finally:
        try:
            if timers:
                signal.setitimer(signal.ITIMER_PROF, 0)
                signal.setitimer(signal.ITIMER_REAL, 0)
        finally:
            if old_limit is not None:
                resource.setrlimit(resource.RLIMIT_AS, old_limit)
            for sig, handler in old_handlers.items():
                signal.signal(sig, handler)
            faulthandler.cancel_dump_traceback_later()
            if log is not sys.stderr:
                log.close()


@dataclass
class Outcome:
    value: Any = None
    error: BaseException | None = None
    problem: str | None = None  # what makes an accepted value implausible
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def guarded(fn: Callable[[], Any], hang_log: Path | None = None, seconds: float = CASE_SECONDS,
            plausible: Callable[[Any], str | None] | None = None) -> Outcome:
    """Call ``fn`` under the limits; record its value or exception, any RuntimeWarning and what
    ``plausible`` says of the value (checked under the same limits: a huge value is slow to check)."""
    out = Outcome()
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", RuntimeWarning)
        try:
            with limits(seconds, hang_log=hang_log):
                out.value = fn()
                if plausible is not None:
                    out.problem = plausible(out.value)
        except (Exception, CaseTimeout) as err:  # everything but KeyboardInterrupt/SystemExit
            out.error = err
    out.seconds = time.perf_counter() - start
    out.warnings = [f"{w.category.__name__}: {w.message} ({Path(w.filename).name}:{w.lineno})"
                    for w in caught if issubclass(w.category, RuntimeWarning)]
    return out


# ---------------------------------------------------------------------------------------------
# comparing and judging


def same(a: Any, b: Any, ignore: frozenset[str] = frozenset()) -> bool:
    """Deep equality of what readers return: arrays (NaN equal to NaN), sparse matrices, objects."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return False
        if a.dtype == object or b.dtype == object or a.dtype.kind in "USb" or b.dtype.kind in "USb":
            return a.tolist() == b.tolist()
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc" and b.dtype.kind in "fc"))
    if sp.issparse(a) or sp.issparse(b):
        if not (sp.issparse(a) and sp.issparse(b)) or a.shape != b.shape:
            return False
        return bool(same(a.toarray(), b.toarray()))
    if "torch" in sys.modules and isinstance(a, sys.modules["torch"].Tensor):
        torch = sys.modules["torch"]
        return isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape and bool(torch.equal(a, b))
    if type(a).__name__ == "Names" and type(b).__name__ == "Names":
        return list(a) == list(b)
    if isinstance(a, enum.Enum) or isinstance(b, enum.Enum):
        return a is b
    if hasattr(a, "__dataclass_fields__") or (hasattr(a, "__dict__") and not callable(a)):
        if type(a) is not type(b):
            return False
        keys = (set(vars(a)) | set(vars(b))) - ignore - {"_convex", "csc"}
        return all(same(getattr(a, k, None), getattr(b, k, None), ignore) for k in keys)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], ignore) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y, ignore) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    try:
        return bool(a == b)
    except Exception:
        return False


@dataclass
class Format:
    """How to read, check and mutate one input format."""

    name: str
    suffix: str
    read: Callable[[Path], Any]
    plausible: Callable[[Any], str | None]
    line_oriented: bool = True
    header: bytes | None = None  # regex of the lines that declare sizes
    insert_lines: tuple[bytes, ...] = ()
    tabs_equivalent: bool = True  # a tab where spaces were must read the same
    ignore: frozenset[str] = frozenset({"source", "name"})  # fields a harmless edit may change
    is_value: Callable[[bytes, int], bool] | None = None  # is the number at this offset a value, not a name?
    examples: int = 150  # cases in the default (CI) run


@dataclass
class Seed:
    label: str
    data: bytes
    value: Any = None  # what the reader makes of the unmutated seed


def _chain(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    e: BaseException | None = err
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        yield e
        e = e.__cause__ or e.__context__


def _where(err: BaseException) -> str:
    """The innermost project frame of the traceback (where the failure comes from)."""
    best = "?"
    for frame in traceback.extract_tb(err.__traceback__):
        parts = Path(frame.filename).parts
        if any(d in parts for d in PROJECT_DIRS) and "tests" not in parts:
            best = f"{Path(frame.filename).name}:{frame.name}"
    return best


def _normalise(message: str) -> str:
    message = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", message)
    message = re.sub(r"/\S+", "FILE", message)
    return re.sub(r"\d+(\.\d+)?(e[-+]?\d+)?", "N", message)[:90]


def judge(fmt: Format, path: Path, data: bytes, ops: Sequence[Mutation], seed: Seed,
          out: Outcome) -> tuple[str, str] | None:
    """None when the case behaves, else (class key, description)."""
    name = path.name
    if out.error is not None:
        err = out.error
        if isinstance(err, CaseTimeout):
            return f"hang|{_where(err)}", f"{err} (stopped in {_where(err)})"
        memory = next((e for e in _chain(err) if isinstance(e, MemoryError)), None)
        if memory is not None:
            return (f"memory|{type(err).__name__}|{_where(memory)}",
                    f"allocation beyond {MEMORY_MB} MB: {type(memory).__name__}: {memory}"[:300])
        if not isinstance(err, OptmodelError):
            return (f"exception|{type(err).__name__}|{_where(err)}|{_normalise(str(err))[:30]}",
                    f"{type(err).__name__}: {err}"[:300])
        message = str(err)
        key = f"{type(err).__name__}|{_normalise(message)}"
        if "\n" in message.strip():
            return f"multiline|{key}", f"message spans lines: {message!r}"[:300]
        if name not in message:
            return f"unnamed|{key}", f"message does not name the file: {message!r}"[:300]
        if fmt.line_oriented:
            line = getattr(err, "line", None)
            # Lines as an editor counts them: a lone CR ends a line too (str.splitlines does so).
            count = max(data.count(b"\n"), len(data.decode(errors="replace").splitlines())) + 1
            if line is None and not WHOLE_FILE.search(message):
                return f"no-line|{key}", f"message names no line: {message!r}"[:300]
            if line is not None and not 1 <= line <= count:
                return f"bad-line|{key}", f"line {line} is outside the file's {count} lines: {message!r}"[:300]
    elif out.warnings:
        return f"warning|{_normalise(out.warnings[0])}", "; ".join(out.warnings)[:300]
    elif out.problem is not None:
        return f"implausible|{_normalise(out.problem)}", f"accepted, but {out.problem}"
    if len(ops) == 1:
        return _oracle(fmt, data, ops[0], seed, out)
    return None


def _oracle(fmt: Format, data: bytes, op: Mutation, seed: Seed, out: Outcome) -> tuple[str, str] | None:
    """Single mutations whose right answer is known."""
    accepted = out.error is None
    if isinstance(op, Truncate) and accepted and data and not data.endswith(b"\n") \
            and seed.data[len(data):].strip() and not same(out.value, seed.value, fmt.ignore):
        return "silent|truncated", f"a file cut mid-line after {len(data)} bytes is read as if whole"
    if isinstance(op, ReplaceNumber) and op.token in LAX_NUMBERS and accepted \
            and (fmt.is_value is None or fmt.is_value(data, op.replaced(seed.data))) \
            and not same(out.value, seed.value, fmt.ignore):
        return "silent|lax-number", f"the number {op.token.decode()!r} (not a number to a strict grammar) is accepted"
    if fmt.line_oriented and (isinstance(op, Crlf) or (isinstance(op, Tabs) and fmt.tabs_equivalent)):
        variant = "CRLF line ends" if isinstance(op, Crlf) else "a tab for spaces"
        if not accepted:
            return f"refused|{type(op).__name__}", f"{variant} refused: {out.error}"[:300]
        if not same(out.value, seed.value, fmt.ignore):
            return f"differs|{type(op).__name__}", f"{variant} read differently from the original"
    return None


# ---------------------------------------------------------------------------------------------
# findings


class Findings:
    """Failure classes of one format, kept under FINDINGS/FORMAT with the smallest input per class."""

    def __init__(self, fmt: Format):
        self.fmt = fmt
        self.root = FINDINGS / fmt.name
        self.index_path = self.root / "index.json"
        self.classes: dict[str, dict[str, Any]] = {}
        if self.index_path.exists():
            with contextlib.suppress(ValueError, OSError):
                self.classes = json.loads(self.index_path.read_text())
        self.counted = sum(v["count"] for v in self.classes.values())  # failures of earlier runs
        self.cases = 0

    def slug(self, key: str) -> str:
        words = re.sub(r"[^A-Za-z0-9]+", "-", key).strip("-")[:60]
        return f"{words}-{hashlib.sha1(key.encode()).hexdigest()[:8]}"

    def record(self, key: str, description: str, data: bytes, ops: Sequence[Mutation], seed: str,
               err: BaseException | None, reduce: Callable[[bytes], bytes] | None = None) -> Path:
        entry = self.classes.setdefault(key, {"count": 0, "size": None, "description": description})
        entry["count"] += 1
        folder = self.root / self.slug(key)
        path = folder / f"input{self.fmt.suffix}"
        if entry["size"] is None or len(data) < entry["size"] or not path.exists():
            if reduce is not None and entry["size"] is None and self.fmt.line_oriented:
                data = reduce(data)
            folder.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            tb = "".join(traceback.format_exception(err)) if err is not None else ""
            how = (f"sh {path}" if self.fmt.suffix == ".sh" else
                   f"resume from {path} as tests/test_fuzz.py does" if self.fmt.name.startswith("checkpoint") else
                   f"python tests/test_fuzz.py {self.fmt.name} {path}")
            (folder / "info.txt").write_text(
                f"class: {key}\n{description}\nseed: {seed}\nmutations: {list(ops)!r}\nbytes: {len(data)}\n"
                f"reproduce: {how}\n\n{tb}")
            entry.update(size=len(data), description=description, input=str(path))
        self.save()
        return path

    def save(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.index_path.write_text(json.dumps(self.classes, indent=1, ensure_ascii=False))

    def close(self) -> None:
        """Save, and add this run's numbers to FORMAT/runs.jsonl (cases, failing cases, classes)."""
        self.save()
        failing = sum(v["count"] for v in self.classes.values()) - self.counted
        with open(self.root / "runs.jsonl", "a") as f:
            f.write(json.dumps({"time": time.strftime("%Y-%m-%d %H:%M:%S"), "cases": self.cases,
                                "failing": failing, "classes": len(self.classes)}) + "\n")


def reduce_lines(data: bytes, still_fails: Callable[[bytes], bool], budget: int = 60) -> bytes:
    """Greedy delta reduction by lines: drop chunks (halving their size) while the class stays."""
    lines = data.split(b"\n")
    chunk = max(len(lines) // 2, 1)
    while chunk >= 1 and budget > 0:
        i, changed = 0, False
        while i < len(lines) and budget > 0:
            trial = lines[:i] + lines[i + chunk:]
            budget -= 1
            if trial and still_fails(b"\n".join(trial)):
                lines, changed = trial, True
            else:
                i += chunk
        if not changed:
            chunk //= 2
    return b"\n".join(lines)


# ---------------------------------------------------------------------------------------------
# running a format


@dataclass
class Harness:
    """Reads mutated files of one format in a scratch folder and judges each case."""

    fmt: Format
    seeds: list[Seed]
    findings: Findings = field(init=False)
    work: Path = field(init=False)

    def __post_init__(self) -> None:
        self.findings = Findings(self.fmt)
        self.work = self.findings.root / f"inflight-{os.getpid()}"
        self.work.mkdir(parents=True, exist_ok=True)
        for seed in self.seeds:  # the seeds themselves must read cleanly
            out = self.read(seed.data)
            if out.error is not None:
                self.close()
                raise AssertionError(f"seed {seed.label} does not read: {out.error!r}") from out.error
            seed.value = out.value

    @property
    def path(self) -> Path:
        return self.work / f"case{self.fmt.suffix}"

    def read(self, data: bytes) -> Outcome:
        self.path.write_bytes(data)
        return guarded(lambda: self.fmt.read(self.path), hang_log=self.work / "hang.log", plausible=self.fmt.plausible)

    def check(self, seed_index: int, ops: Sequence[Mutation]) -> None:
        """One case; a failure is recorded and, unless COLLECT, raised as an AssertionError."""
        seed = self.seeds[seed_index % len(self.seeds)]
        data = apply_all(seed.data, ops)
        out = self.read(data)
        self.findings.cases += 1
        verdict = judge(self.fmt, self.path, data, ops, seed, out)
        if verdict is None:
            return
        key, description = verdict

        def still_fails(trial: bytes) -> bool:
            again = judge(self.fmt, self.path, trial, [], seed, self.read(trial))
            return again is not None and again[0] == key

        reduce = None if len(ops) == 1 else (lambda d: reduce_lines(d, still_fails))
        saved = self.findings.record(key, description, data, ops, seed.label, out.error, reduce)
        if not COLLECT:
            raise AssertionError(f"{self.fmt.name}: {description}\n  seed {seed.label}, mutations {list(ops)!r}\n"
                                 f"  reproducer: {saved} (info.txt beside it)") from out.error

    def close(self) -> None:
        shutil.rmtree(self.work, ignore_errors=True)
        self.findings.close()


def run_cases(test: Callable[[], None], close: Callable[[], None]) -> None:
    """Run a hypothesis test once (the CI budget, ``Format.examples`` cases), or again and again
    for ``FUZZ_SECONDS`` seconds, each round with fresh random choices; then ``close``."""
    end = time.monotonic() + FUZZ_SECONDS
    try:
        test()
        while time.monotonic() < end:
            test()
    finally:
        close()


# ---------------------------------------------------------------------------------------------
# the command line, in a subprocess

CLI_SECONDS = float(os.environ.get("OPTMODEL_FUZZ_CLI_SECONDS", "60"))
CLI_MEMORY_MB = int(os.environ.get("OPTMODEL_FUZZ_CLI_MEMORY_MB", "3072"))
STATUSES = ("optimal", "feasible", "infeasible", "unbounded", "infeasible_or_unbounded", "time_limit",
            "iteration_limit", "interrupted", "unverified", "error")


@dataclass
class CliOutcome:
    argv: list[str]
    rc: int | None  # None: killed at the time limit
    stdout: str
    stderr: str
    seconds: float


def run_cli(argv: Sequence[str], cwd: Path, seconds: float = CLI_SECONDS) -> CliOutcome:
    """``python -m optmodel ARGV`` in its own session, limited to ``seconds`` of CPU (four times as
    many on the wall clock, for a run that waits) and ``CLI_MEMORY_MB`` of address space."""
    import subprocess

    def limit() -> None:  # in the child, before exec
        if resource is not None:
            cap = CLI_MEMORY_MB * 2**20
            resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
            cpu = math.ceil(seconds)
            resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))

    env = {**os.environ, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}  # progress bars are not messages
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "optmodel", *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=limit if sys.platform.startswith("linux") else None)
    try:
        out, err = proc.communicate(timeout=4 * seconds)
        rc: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        rc = None
    finally:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)  # the run and anything it started (bench runs)
    if rc is None:
        out, err = proc.communicate()
    if rc is not None and rc in (-getattr(signal, "SIGXCPU", 24), -getattr(signal, "SIGKILL", 9)):
        rc = None  # over its CPU seconds
    return CliOutcome(list(argv), rc, out.decode(errors="replace"), err.decode(errors="replace"),
                      time.perf_counter() - start)


def _traceback_class(stderr: str) -> str:
    frames = re.findall(r'File "([^"]+)", line \d+, in (\S+)', stderr)
    where = "?"
    for filename, func in frames:
        parts = Path(filename).parts
        if any(d in parts for d in PROJECT_DIRS):
            where = f"{Path(filename).name}:{func}"
    last = [ln for ln in stderr.strip().splitlines() if ln and not ln.startswith(" ")]
    exc = last[-1].split(":", 1)[0] if last else "?"
    return f"{exc}|{where}"


def strict_json(text: str) -> Any:
    def refuse(token: str) -> Any:
        raise ValueError(f"{token} is not JSON")

    return json.loads(text, parse_constant=refuse)


def judge_cli(out: CliOutcome, schema: dict[str, Any] | None) -> tuple[str, str] | None:
    """None when the command behaved, else (class key, description)."""
    argv = out.argv
    command = argv[0] if argv else ""
    wants_json = "--json" in argv
    tail = out.stderr.strip().splitlines()[-3:]
    if out.rc is None:
        return f"{command}|hang", f"no exit within {CLI_SECONDS:g} CPU seconds ({4 * CLI_SECONDS:g} on the wall)"
    # A Python spec's own mistake is shown as its own frames (and it may print): only optmodel's,
    # a library's or Python's frames make a traceback a failure.
    specs = {Path(a).name for a in argv if a.endswith(".py")}
    spec = bool(specs)
    frames = re.findall(r'File "([^"]+)", line \d+', out.stderr)
    foreign = [f for f in frames if Path(f).name not in specs or "site-packages" in f
               or any(d in Path(f).parts for d in PROJECT_DIRS)]
    if "Traceback (most recent call last)" in out.stderr and (foreign or not spec):
        return f"{command}|traceback|{_traceback_class(out.stderr)}", "traceback: " + " / ".join(tail)[:300]
    if out.rc not in (0, 2, 3):
        return f"{command}|exit {out.rc}", f"exit code {out.rc}; stderr: " + " / ".join(tail)[:300]
    errors = [ln for ln in out.stderr.splitlines() if ln.strip()]
    if spec:  # what the spec printed, and its own frames, come before optmodel's line
        errors = errors[-1:] if errors and errors[-1].startswith("optmodel: ") else errors
    if out.rc == 2 and (len(errors) != 1 or not errors[0].startswith("optmodel: ")):
        return (f"{command}|stderr lines {min(len(errors), 2)}",
                f"exit 2 with {len(errors)} stderr lines, not one 'optmodel: ...': {errors[:3]!r}"[:300])
    if out.rc == 0 and ("-h" in argv or "--help" in argv):
        return None if out.stdout.strip() else (f"{command}|help silent", "--help printed nothing")
    if wants_json:
        lines = [ln for ln in out.stdout.splitlines() if ln.strip()]
        if len(lines) != 1:
            return f"{command}|json lines {min(len(lines), 2)}", f"--json printed {len(lines)} lines on stdout"
        try:
            obj = strict_json(lines[0])
        except ValueError as err:
            return f"{command}|json invalid", f"--json printed what is not strict JSON: {err}"[:300]
        if not isinstance(obj, dict):
            return f"{command}|json not object", "--json printed a JSON value that is not an object"
        allowed = {0: STATUSES, 2: ("error",), 3: ("error", "unverified")}[out.rc]
        if out.rc != 0 and (obj.get("status") not in allowed or obj.get("exit_code", out.rc) != out.rc):
            return (f"{command}|json status {obj.get('status')} exit {out.rc}",
                    f"exit {out.rc} but status {obj.get('status')!r}, exit_code {obj.get('exit_code')!r}")
        if command == "solve" and out.rc == 0 and obj.get("status") not in STATUSES:
            return f"{command}|json status {obj.get('status')}", f"status {obj.get('status')!r} is not documented"
        if schema is not None:
            import jsonschema

            try:
                jsonschema.validate(obj, schema)
            except jsonschema.ValidationError as err:
                return (f"{command}|schema|{_normalise(err.message)}",
                        f"output does not fit the schema: {err.message}"[:300])
    elif out.rc == 0 and not out.stdout.strip():
        return f"{command}|silent", "exit 0 with nothing on stdout"
    return None
