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
KILLED, CRASHED, RAISED, OK, CANCELLED = "killed", "crashed", "raised", "ok", "cancelled"
BASE_PRELOAD = ("numpy", "scipy.sparse", "optmodel", "optmodel.benchmark.isolation")


@dataclass
class Outcome:
    status: str  # ok, raised (the task raised: message says what), killed, crashed, cancelled
    result: Any = None
    message: str = ""
    wall_seconds: float = 0.0
    peak_mb: float | None = None  # the child's peak resident memory


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
        _CONTEXT = multiprocessing.get_context("forkserver")
        _CONTEXT.set_forkserver_preload([*BASE_PRELOAD, *preload])
    return _CONTEXT


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
    proc.join(5)
    if outcome is None:
        outcome = Outcome(CRASHED, message=_exit_text(proc.exitcode))
    outcome.wall_seconds = time.perf_counter() - began
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
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(5)
    reader.close()
    if outcome is None:
        outcome = Outcome(CRASHED, message=_exit_text(proc.returncode))
    outcome.wall_seconds = time.perf_counter() - began
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
        rss = _rss_mb(pid)
        peak = max(peak, rss or 0.0)
        elapsed = time.perf_counter() - began
        if wall_limit is not None and elapsed > wall_limit:
            _kill(pid)
            return Outcome(KILLED, message=f"killed at the wall-clock limit of {wall_limit:g} s", peak_mb=peak or None)
        if memory_mb is not None and rss is not None and rss > memory_mb:
            _kill(pid)
            return Outcome(KILLED, message=f"killed at the memory limit of {memory_mb:g} MB", peak_mb=peak)


def _rss_mb(pid: int) -> float | None:
    """Resident memory of the child and its process group's other members is not summed: the child
    is the solver's process, and solvers run threads, not processes."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return None


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
    send.send(_call(task, kwargs))
    send.close()


def _detach() -> None:
    """A group of its own (so a kill takes its helpers too), Ctrl-C left to the parent, and death
    with the parent where Linux offers it (prctl PR_SET_PDEATHSIG)."""
    with contextlib.suppress(OSError):
        os.setsid()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)


def _call(task: str, kwargs: dict[str, Any]) -> tuple[str, Any, float | None]:
    try:
        module, _, name = task.partition(":")
        result = getattr(importlib.import_module(module), name)(**kwargs)
        status, payload = OK, result
    except BaseException as err:  # the task's failure is its result, whatever it is
        lines = traceback.format_exception_only(type(err), err)
        status, payload = RAISED, (lines[-1].strip() if lines else type(err).__name__)
    return status, payload, _peak_mb()


def _peak_mb() -> float | None:
    try:
        import resource

        kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    except (ImportError, OSError):
        return None
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def _interpreter_main(fd: int) -> None:
    """The fresh-interpreter child: the task on stdin, the answer on ``fd`` (stdout stays the task's)."""
    _detach()
    task, kwargs = pickle.loads(sys.stdin.buffer.read())
    answer = _call(task, kwargs)
    with os.fdopen(fd, "wb") as out:
        out.write(pickle.dumps(answer))


if __name__ == "__main__":
    _interpreter_main(int(sys.argv[1]))
