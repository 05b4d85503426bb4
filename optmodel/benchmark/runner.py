"""The run matrix (instances × backends × seeds × repeats), executed in isolated processes on a local
pool or a Dask cluster, each finished run appended to the results store as it arrives.

Re-running the same benchmark skips the runs already in the store; Ctrl-C kills the runs in flight
(they are not stored, so they run again next time) and keeps everything finished.
"""

from __future__ import annotations

import contextlib
import datetime
import functools
import math
import os
import platform
import signal
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import asdict, dataclass
from typing import Any

from optmodel.benchmark import isolation
from optmodel.benchmark.instances import Instance
from optmodel.benchmark.store import Store

SOLVE_TASK = "optmodel.benchmark.instances:solve"
# Imported once by the fork server, so runs do not each pay for them.
PRELOAD = ("optmodel.benchmark.instances", "optmodel.formats", "optmodel.model", "optmodel.dispatch",
           "optmodel.solving", "optmodel.verify", "optmodel.tsplib", "optmodel.graphs", "optmodel.problems")


@dataclass(frozen=True)
class Settings:
    """What every run of a benchmark shares; part of each run's identity in the store."""

    time_limit: float = 60.0
    mip_gap: float | None = 1e-4  # MIPLIB's gap limit
    threads: int = 1
    memory_mb: float | None = 4096.0
    grace: float = 10.0  # beyond the time limit before the process is killed (reading, checking)

    @property
    def wall_limit(self) -> float:
        return self.time_limit + self.grace


@dataclass(frozen=True)
class Run:
    instance: Instance
    backend: str
    seed: int
    repeat: int

    def key(self, settings: Settings) -> str:
        return (f"{self.instance.path}|{self.backend}|seed={self.seed}|repeat={self.repeat}"
                f"|limit={settings.time_limit:g}|gap={settings.mip_gap}|threads={settings.threads}")


def plan(instances: Sequence[Instance], backends: Sequence[str], seeds: Sequence[int], repeat: int) -> list[Run]:
    """Every run, instance by instance (so a partial benchmark covers whole instances first)."""
    return [Run(inst, b, s, r) for inst in instances for s in seeds for r in range(repeat) for b in backends]


def preload_modules(backends: Sequence[str]) -> list[str]:
    """The solver libraries (and backend modules) the runs will import: imported once, in the server."""
    from optmodel.dispatch import backend_class

    modules = list(PRELOAD)
    for label in backends:
        name = label.partition(":")[0]
        cls = backend_class(name)
        if cls is not None and cls.unavailable_reason() is None:
            modules += [cls.__module__, *cls.modules]
    return list(dict.fromkeys(modules))


def execute_one(job: dict[str, Any], preload: Sequence[str] = (), cancel: Any = None, *,
                settings: dict[str, Any]) -> dict[str, Any]:
    """One benchmark run in its own process: the store's row. Runs on a local thread or a Dask
    worker. ``cancel``: anything with ``is_set()`` (a threading.Event; on Dask a ``ClusterCancel``)."""
    s = Settings(**settings)
    row = blank_row(job, settings=settings)
    options = {"time_limit": s.time_limit, "mip_gap": s.mip_gap, "threads": s.threads}
    outcome = isolation.run(SOLVE_TASK, {"instance": job["instance"], "backend": job["backend"], "seed": job["seed"],
                                         "options": options},
                            wall_limit=s.wall_limit, memory_mb=s.memory_mb, preload=preload, cancel=cancel)
    row.update(wall_seconds=round(outcome.wall_seconds, 4), peak_mb=_round(outcome.peak_mb), message=outcome.message)
    if outcome.status == isolation.OK:
        row.update(outcome.result)
    elif outcome.status == isolation.RAISED:
        row["status"] = "error"
    else:  # killed, crashed, cancelled
        row["status"] = outcome.status
    return row


def blank_row(job: dict[str, Any], *, settings: dict[str, Any]) -> dict[str, Any]:
    """A row of the store's schema for ``job``, before anything is known of its result."""
    inst, s = job["instance"], Settings(**settings)
    return {
        "run": job["key"], "instance": inst["name"], "set": inst["set"], "kind": inst["kind"], "path": inst["path"],
        "backend": job["backend"], "seed": job["seed"], "repeat": job["repeat"],
        "time_limit": s.time_limit, "mip_gap": s.mip_gap, "threads": s.threads, "memory_mb": s.memory_mb,
        "status": "error", "sense": None, "objective": None, "bound": None, "gap": None, "certified": False,
        "reference": inst["reference"], "build_seconds": None, "solve_seconds": None, "wall_seconds": None,
        "peak_mb": None, "solver_version": "", "host": socket.gethostname(),
        "started": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "message": "",
    }


def _round(v: float | None) -> float | None:
    return None if v is None else round(v, 1)


def run_benchmark(
    runs: Sequence[Run],
    settings: Settings,
    store: Store,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | None = None,
    retry: frozenset[str] = frozenset(),
) -> bool:
    """The benchmark's runs through :func:`execute`."""
    jobs = [{"instance": r.instance.to_dict(), "backend": r.backend, "seed": r.seed, "repeat": r.repeat,
             "key": r.key(settings)} for r in runs]
    fixed = {"settings": asdict(settings)}
    return execute(jobs, functools.partial(execute_one, **fixed), functools.partial(blank_row, **fixed), store,
                   workers=workers, scheduler=scheduler, preload=preload_modules(sorted({r.backend for r in runs})),
                   progress=progress, retry=retry, desc="bench")


def execute(
    jobs: Sequence[dict[str, Any]],
    run_job: Callable[..., dict[str, Any]],
    blank: Callable[[dict[str, Any]], dict[str, Any]],
    store: Store,
    workers: int = 1,
    scheduler: str | None = None,
    preload: Sequence[str] = (),
    progress: bool | None = None,
    on_row: Callable[[dict[str, Any]], None] | None = None,
    retry: frozenset[str] = frozenset(),
    desc: str = "runs",
) -> bool:
    """Run the jobs the store lacks (and those whose stored status is in ``retry``), each by
    ``run_job(job, preload, cancel) -> row`` (a module-level function, or a partial of one, so
    that Dask can ship it), appending each row as it arrives; ``blank(job)`` is the row of a job
    that failed around its run. True when all finished, False when Ctrl-C or SIGTERM stopped it
    (finished rows kept, runs in flight killed and not stored). Each job has a unique ``key``."""
    from tqdm import tqdm

    done = store.done(retry)
    pending = [job for job in jobs if job["key"] not in done]
    if not pending:
        return True
    if not scheduler:
        isolation.warm(preload)
    disable = None if progress is None else not progress  # None: a bar on a terminal only
    bar = tqdm(total=len(jobs), initial=len(jobs) - len(pending), desc=desc, unit="run", file=sys.stderr,
               disable=disable, dynamic_ncols=True)
    with _sigterm_interrupts(), bar:

        def settle(job: dict[str, Any], future: Future[dict[str, Any]]) -> None:
            try:
                row = future.result()
            except Exception as err:  # a failure around the run (not in it) costs its row only
                row = {**blank(job), "status": "error", "message": f"{type(err).__name__}: {err}"}
            if row["status"] == isolation.CANCELLED:
                return
            store.append(row)
            what = " ".join(os.path.basename(part) for part in job["key"].split("|")[:2])
            bar.set_postfix_str(f"{what}: {row['status']}", refresh=False)
            bar.update(1)
            if on_row is not None:
                on_row(row)

        if scheduler:
            return _on_dask(pending, run_job, scheduler, preload, settle)
        return _on_threads(pending, run_job, max(1, workers), preload, settle)


@contextlib.contextmanager
def _sigterm_interrupts() -> Iterator[None]:
    """SIGTERM (a batch system's stop) ends the benchmark as Ctrl-C does."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _on_threads(jobs: list[dict[str, Any]], run_job: Callable[..., dict[str, Any]], workers: int,
                preload: Sequence[str], settle: Callable[[dict[str, Any], Future[dict[str, Any]]], None]) -> bool:
    cancel = threading.Event()
    queue = iter(jobs)
    with ThreadPoolExecutor(workers) as pool:
        running: dict[Future[dict[str, Any]], dict[str, Any]] = {}

        def top_up() -> None:  # submit lazily, so Ctrl-C leaves nothing queued
            while len(running) < workers:
                job = next(queue, None)
                if job is None:
                    return
                running[pool.submit(run_job, job, preload, cancel)] = job

        try:
            top_up()
            while running:
                ready, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in ready:
                    settle(running.pop(future), future)
                top_up()
        except KeyboardInterrupt:
            cancel.set()  # every child is killed within a poll; their rows are not stored
            wait(running)
            return False
    return True


class ClusterCancel:
    """Ctrl-C on the machine that runs ``bench``, seen by the runs on Dask workers: a named
    ``distributed.Event``, asked at most once a second (each ask is a round trip to the scheduler)."""

    def __init__(self, name: str):
        self.name = name
        self._event: Any = None
        self._asked = -math.inf
        self._set = False

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return ClusterCancel, (self.name,)

    def is_set(self) -> bool:
        now = time.monotonic()
        if not self._set and now - self._asked >= 1.0:
            self._asked = now
            if self._event is None:
                from distributed import Event

                self._event = Event(self.name)
            self._set = bool(self._event.is_set())
        return self._set


def _on_dask(jobs: list[dict[str, Any]], run_job: Callable[..., dict[str, Any]], scheduler: str,
             preload: Sequence[str], settle: Callable[[dict[str, Any], Future[dict[str, Any]]], None]) -> bool:
    """The same runs as Dask tasks: each worker thread runs one isolated process at a time."""
    try:
        from distributed import Client, as_completed
    except ImportError:
        from optmodel.errors import OptmodelError

        raise OptmodelError("--scheduler needs Dask: pip install 'optmodel[cluster]'") from None
    try:
        client = Client(scheduler, timeout="10s")
    except OSError as err:
        from optmodel.errors import OptmodelError

        raise OptmodelError(f"cannot reach the Dask scheduler at {scheduler}: {err}") from None
    from distributed import Event

    with client:
        cancel = ClusterCancel(f"optmodel-bench-cancel-{uuid.uuid4().hex}")
        futures = {client.submit(run_job, job, preload, cancel, pure=False): job for job in jobs}
        try:
            for future in as_completed(futures):
                settle(futures[future], future)
        except KeyboardInterrupt:
            Event(cancel.name, client=client).set()  # the runs in flight are killed within a second
            client.cancel(list(futures))  # and the queued ones dropped
            return False
    return True


def machine() -> dict[str, Any]:
    """Where the benchmark ran, for the report."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            cpu = next((line.split(":", 1)[1].strip() for line in f if line.startswith("model name")), cpu)
    except OSError:
        pass
    memory = None
    try:
        memory = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError, AttributeError):
        pass
    return {"host": socket.gethostname(), "cpu": cpu, "cores": os.cpu_count(), "memory_gib": memory,
            "os": platform.platform(), "python": platform.python_version()}
