"""Ctrl-C, the same for every backend: the first asks the solve to stop and keep its incumbent,
the second aborts at once.

``dispatch.solve`` wraps every solve in ``stop_on_interrupt()``. A backend whose solver runs in C
hands it to ``run_in_worker`` with the solver's cancel call; a backend that loops in Python polls
``stop_requested()`` between steps. Either way the solve returns within a second of the signal,
with status ``interrupted`` and the best point found.
"""

from __future__ import annotations

import contextlib
import contextvars
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")

# How long a solver without a cancel call is waited for after Ctrl-C before giving up on it.
GRACE_SECONDS = 0.8


class StopRequest:
    """Set by the first Ctrl-C while a solve runs; callbacks (solvers' cancel calls) run at once."""

    def __init__(self) -> None:
        self.requested = False
        self._callbacks: list[Callable[[], Any]] = []
        self._lock = threading.Lock()

    def request(self) -> None:
        with self._lock:
            first = not self.requested
            self.requested = True
            callbacks = list(self._callbacks)
        if first:
            for cb in callbacks:
                with contextlib.suppress(Exception):  # a solver that has already finished
                    cb()

    @contextlib.contextmanager
    def on_request(self, callback: Callable[[], Any] | None) -> Iterator[None]:
        """Call ``callback`` when a stop is requested while inside (or at once if it already was)."""
        if callback is None:
            yield
            return
        with self._lock:
            self._callbacks.append(callback)
            already = self.requested
        if already:
            with contextlib.suppress(Exception):
                callback()
        try:
            yield
        finally:
            with self._lock:
                self._callbacks.remove(callback)


# A context variable, so that solver threads started by ``run_in_worker`` see the request of the
# solve that started them, even after that solve has given up on them.
_current: contextvars.ContextVar[StopRequest | None] = contextvars.ContextVar("optmodel_stop", default=None)


_active: set[StopRequest] = set()  # the requests of the solves in progress, in any thread


def stop_all() -> None:
    """Ask every solve in progress to stop, as a first Ctrl-C would (for servers, notebooks and
    threads, where no SIGINT reaches the solve)."""
    for stop in list(_active):
        stop.request()


def current() -> StopRequest:
    """The stop request of the solve in progress (a fresh, never-set one outside any solve)."""
    stop = _current.get()
    return stop if stop is not None else StopRequest()


def stop_requested() -> bool:
    """True once Ctrl-C was pressed during the current solve: Python loops poll this."""
    stop = _current.get()
    return stop is not None and stop.requested


@contextlib.contextmanager
def stop_on_interrupt() -> Iterator[StopRequest]:
    """Turn the first SIGINT into a stop request and the second into KeyboardInterrupt.

    Nested solves (row generation, delegation) share the outer request. Off the main thread,
    where Python cannot take signals, the request is still there for ``request()`` calls.
    """
    outer = _current.get()
    if outer is not None:
        yield outer
        return
    stop = StopRequest()
    token = _current.set(stop)
    _active.add(stop)
    previous = None
    main = threading.current_thread() is threading.main_thread()

    def handler(signum: int, frame: Any) -> None:
        if stop.requested:
            raise KeyboardInterrupt
        stop.request()

    if main:
        previous = signal.signal(signal.SIGINT, handler)
    try:
        yield stop
    finally:
        _active.discard(stop)
        _current.reset(token)
        if main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)


def run_in_worker(work: Callable[[], T], cancel: Callable[[], Any] | None = None) -> tuple[T | None, bool]:
    """Run a blocking solver call in a thread so that Ctrl-C reaches the main thread at once.

    Returns ``(result, interrupted)``. On a stop request ``cancel`` is called and the solver's own
    answer (with its incumbent) awaited; a solver without ``cancel`` is given ``GRACE_SECONDS`` to
    finish and otherwise abandoned (``result`` None). Exceptions from ``work`` are re-raised here.
    """
    stop = current()
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["result"] = work()
        except BaseException as e:  # re-raised in the caller's thread
            box["error"] = e
        finally:
            done.set()

    context = contextvars.copy_context()  # the worker sees this solve's stop request
    threading.Thread(target=context.run, args=(target,), name="optmodel-solve", daemon=True).start()
    asked_at: float | None = None
    with stop.on_request(cancel):
        while not done.wait(0.05):
            if stop.requested and asked_at is None:
                asked_at = time.perf_counter()
            if asked_at is not None and cancel is None and time.perf_counter() - asked_at > GRACE_SECONDS:
                return None, True
    if "error" in box:
        raise box["error"]
    return box["result"], stop.requested
