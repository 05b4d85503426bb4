"""One task in a fresh process, under a wall-clock limit and a memory limit.

A task is ``"module:function"`` plus keyword arguments; its return value (picklable) comes back
through a pipe. A task that hangs, leaks or crashes costs its own process only: the parent kills
the child's whole process group at the wall-clock limit or when its resident memory passes the
limit (polled from ``/proc`` every 50 ms, as runsolver does), and reports ``killed`` or ``crashed``.

Processes are forked from a ``multiprocessing`` fork server that has already imported numpy,
scipy and the solver modules named in ``preload``, so a run pays for a fork (milliseconds), not for
a Python start-up and imports (half a second). Inside a daemonic process (a Dask worker under its
nanny), where ``multiprocessing`` may not start children, the child is a fresh interpreter instead.
"""

from __future__ import annotations

import contextlib
import importlib
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass
from multiprocessing.connection import wait
from typing import Any

POLL_SECONDS = 0.05
PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
KILLED, CRASHED, RAISED, OK, CANCELLED = "killed", "crashed", "raised", "ok", "cancelled"
BASE_PRELOAD = ("numpy", "scipy.sparse", "optmodel", "optmodel.benchmark.isolation")


@dataclass
class Outcome:
    status: str  # ok, raised (the task raised: message says what), killed, crashed, cancelled
    result: Any = None
    message: str = ""
    wall_seconds: float = 0.0
    peak_mb: float | None = None  # resident memory the run added at its peak (killed: its total at the kill)


def run(
    task: str,
    kwargs: dict[str, Any],
    wall_limit: float | None = None,
    memory_mb: float | None = None,
    preload: Sequence[str] = (),
    cancel: threading.Event | None = None,
) -> Outcome:
    """Run ``task(**kwargs)`` in its own process; never raises for what the task does.

    ``preload``: modules the fork server imports once (solver libraries), so runs do not each pay.
    ``cancel``: set it to kill the child at once (status ``cancelled``), e.g. on Ctrl-C.
    """
    limits = (wall_limit, memory_mb, cancel)
    if multiprocessing.current_process().daemon:
        return _run_interpreter(task, kwargs, *limits)
    return _run_forked(task, kwargs, preload, *limits)


_CONTEXT: Any = None


def _context(preload: Sequence[str]) -> Any:
    global _CONTEXT
    if _CONTEXT is None:  # the preload list is fixed when the server starts: the first caller's
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([*BASE_PRELOAD, *preload])
        _start_server(ctx)
        _CONTEXT = ctx
    return _CONTEXT


def warm(preload: Sequence[str] = ()) -> None:
    """Start the fork server now, so that its imports are not charged to the first run's clock."""
    if not multiprocessing.current_process().daemon:
        _context(preload)


def _start_server(ctx: Any) -> None:
    """The server inherits what is set while it starts: its stdout goes to stderr (what a library
    prints on import must not reach a --json stdout) and it ignores Ctrl-C, which the parent handles."""
    from multiprocessing import forkserver

    main = threading.current_thread() is threading.main_thread()
    saved_stdout = os.dup(1)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main else None
    try:
        sys.stdout.flush()
        os.dup2(2, 1)
        forkserver.ensure_running()
    finally:
        os.dup2(saved_stdout, 1)
        os.close(saved_stdout)
        if main:
            signal.signal(signal.SIGINT, previous)


def _run_forked(task: str, kwargs: dict[str, Any], preload: Sequence[str], wall_limit: float | None,
                memory_mb: float | None, cancel: threading.Event | None) -> Outcome:
    ctx = _context(preload)
    receive, send = ctx.Pipe(duplex=False)
    began = time.perf_counter()
    proc = ctx.Process(target=_child, args=(task, kwargs, send), daemon=False)
    proc.start()
    send.close()
    outcome = _watch(proc.pid, [receive, proc.sentinel], receive.poll, receive.recv,
                     lambda: proc.exitcode is not None, began, wall_limit, memory_mb, cancel)
    wall = time.perf_counter() - began
    _kill(proc.pid)  # answered or not, nothing the task started outlives it (threads, helpers)
    proc.join(5)
    if outcome is None:
        outcome = Outcome(CRASHED, message=_exit_text(proc.exitcode))
    outcome.wall_seconds = wall
    receive.close()
    return outcome


def _run_interpreter(task: str, kwargs: dict[str, Any], wall_limit: float | None, memory_mb: float | None,
                     cancel: threading.Event | None) -> Outcome:
    read_fd, write_fd = os.pipe()
    began = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "optmodel.benchmark.isolation", str(write_fd)],
        stdin=subprocess.PIPE, pass_fds=(write_fd,), start_new_session=True,
    )
    os.close(write_fd)
    assert proc.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.write(pickle.dumps((task, kwargs)))
        proc.stdin.close()
    reader = os.fdopen(read_fd, "rb")

    def readable() -> bool:
        return bool(wait([reader], 0))

    def receive() -> Any:
        data = reader.read()
        return pickle.loads(data) if data else None

    outcome = _watch(proc.pid, [reader], readable, receive, lambda: proc.poll() is not None,
                     began, wall_limit, memory_mb, cancel)
    wall = time.perf_counter() - began
    _kill(proc.pid)
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    reader.close()
    if outcome is None:
        outcome = Outcome(CRASHED, message=_exit_text(proc.returncode))
    outcome.wall_seconds = wall
    return outcome


def _watch(pid: int, handles: list[Any], ready: Any, receive: Any, exited: Any, began: float,
           wall_limit: float | None, memory_mb: float | None, cancel: threading.Event | None) -> Outcome | None:
    """Wait for the child's answer, killing it at a limit; None when it died without one."""
    peak = 0.0
    while True:
        wait(handles, POLL_SECONDS)
        if ready() or exited():
            if not ready():
                return None
            try:
                message = receive()
            except (EOFError, OSError, pickle.UnpicklingError):
                return None
            if message is None:
                return None
            status, payload, peak_mb = message
            return Outcome(status, payload if status == OK else None, "" if status == OK else payload,
                           peak_mb=peak_mb)
        if cancel is not None and cancel.is_set():
            _kill(pid)
            return Outcome(CANCELLED, message="cancelled", peak_mb=peak or None)
        rss = _rss_mb(pid, tree=True)
        peak = max(peak, rss or 0.0)
        elapsed = time.perf_counter() - began
        if wall_limit is not None and elapsed > wall_limit:
            _kill(pid)
            return Outcome(KILLED, message=f"killed at the wall-clock limit of {wall_limit:g} s", peak_mb=peak or None)
        if memory_mb is not None and rss is not None and rss > memory_mb:
            _kill(pid)
            return Outcome(KILLED, message=f"killed at the memory limit of {memory_mb:g} MB", peak_mb=peak)


def _rss_mb(pid: int, tree: bool = False) -> float | None:
    """Resident memory of ``pid`` (with ``tree``: and of all its descendants, e.g. a solver that
    runs a helper executable), from /proc; None where there is no /proc."""
    total, found, todo = 0.0, False, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/statm", "rb") as f:
                total += int(f.read().split()[1]) * PAGE / 2**20
            found = True
        except (OSError, ValueError, IndexError):
            continue
        if tree:
            todo += _children(p)
    return total if found else None


def _children(pid: int) -> list[int]:
    out: list[int] = []
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/children", "rb") as f:
                out += [int(c) for c in f.read().split()]
    except (OSError, ValueError):
        pass
    return out


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)  # the child leads its own group: its helpers go too
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.kill(pid, signal.SIGKILL)


def _exit_text(code: int | None) -> str:
    if code is None:
        return "the process did not exit"
    if code < 0:
        try:
            return f"died of signal {signal.Signals(-code).name}"
        except ValueError:
            return f"died of signal {-code}"
    return f"exited with code {code} without a result"


def _child(task: str, kwargs: dict[str, Any], send: Any) -> None:
    _detach()
    parent = multiprocessing.parent_process()
    if parent is not None:  # the fork server outlives a killed parent: watch the parent itself
        threading.Thread(target=_die_with, args=(parent.sentinel,), daemon=True).start()
    answer = _call(task, kwargs)
    try:
        send.send(answer)
    except Exception as err:  # e.g. a result that cannot be pickled: say so, not "exited without a result"
        send.send((RAISED, f"the result cannot be sent back: {type(err).__name__}: {err}", answer[2]))
    send.close()
    sys.stderr.flush()
    os._exit(0)  # not the interpreter's exit, which would wait for threads the task left running


def _die_with(sentinel: int) -> None:
    wait([sentinel])
    os.killpg(0, signal.SIGKILL)


def _detach() -> None:
    """A group of its own (so a kill takes its helpers too), Ctrl-C left to the parent, and death
    with the parent where Linux offers it (prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.stdout.flush()
    os.dup2(2, 1)  # what the task prints is a log, not the parent's output
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _call(task: str, kwargs: dict[str, Any]) -> tuple[str, Any, float | None]:
    baseline = _rss_mb(os.getpid()) or 0.0  # what the preloaded libraries already occupy
    try:
        module, _, name = task.partition(":")
        result = getattr(importlib.import_module(module), name)(**kwargs)
        status, payload = OK, result
    except BaseException as err:  # the task's failure is its result, whatever it is
        lines = traceback.format_exception_only(type(err), err)
        status, payload = RAISED, (lines[-1].strip() if lines else type(err).__name__)
    return status, payload, _peak_mb(baseline)


def _peak_mb(baseline: float) -> float | None:
    """Peak resident memory the run added: this process's beyond ``baseline`` (the libraries that
    the fork server had loaded, the same for every run), or its largest finished child's."""
    try:
        import resource

        own, children = (resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    except (ImportError, OSError):
        return None
    unit = 1024 if sys.platform != "darwin" else 2**20
    return max(own / unit - baseline, children / unit, 0.0)


def _interpreter_main(fd: int) -> None:
    """The fresh-interpreter child: the task on stdin, the answer on ``fd`` (stdout stays the task's)."""
    _detach()
    task, kwargs = pickle.loads(sys.stdin.buffer.read())
    answer = _call(task, kwargs)
    with os.fdopen(fd, "wb") as out:
        out.write(pickle.dumps(answer))
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    _interpreter_main(int(sys.argv[1]))
