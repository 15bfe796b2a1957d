"""Run many independent simulation tasks: local processes or a Dask cluster.

Both back-ends take the same list of :class:`Task` and give back the same
:class:`TaskOutcome`: the results of the tasks that finished, the failures (each
with the parameters of its run and the error), and whether the study was
cancelled. One failing task never stops the others.

* local: ``concurrent.futures.ProcessPoolExecutor`` with the *spawn* context
  (each worker imports ``engine`` itself); per-day progress comes back through a
  queue, and cancelling stops running workers at their next simulated day.
* Dask: ``dask.distributed.Client(address, timeout=...)`` and ``client.submit`` of
  the same top-level task functions; progress per finished run. An unreachable
  scheduler is an :class:`engine.errors.InputError` after ``connect_timeout`` s,
  never a silent fallback to local processes.

Callbacks (``progress``) run in the thread that called :func:`run_tasks`.
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import queue as queue_mod
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol, Sequence

from engine.errors import InputError

from . import worker

POLL_SECONDS = 0.2


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


@dataclass
class Task:
    key: Any                       # unique, hashable (e.g. seed, or (point index, seed))
    fn: Callable[..., Any]         # a top-level (importable) function
    args: tuple
    #: what to report if it fails (seed, parameter values ...)
    parameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class TaskFailure:
    key: Any
    parameters: dict[str, Any]
    error: str
    traceback: str = ""

    def describe(self) -> str:
        params = ", ".join(f"{k}={v}" for k, v in self.parameters.items())
        return f"run failed ({params}): {self.error}"


@dataclass
class StudyProgress:
    finished: int          # tasks done (successful or failed)
    failed: int
    total: int
    fraction: float        # 0..1 including partial progress of running tasks (local only)
    message: str = ""


@dataclass
class TaskOutcome:
    results: dict[Any, Any]
    failures: list[TaskFailure]
    cancelled: bool
    wall_seconds: float
    backend: str           # "local (K processes)" or "dask tcp://..."


def default_workers(n_tasks: int) -> int:
    return max(1, min(n_tasks, os.cpu_count() or 1))


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, InputError) else f"{type(exc).__name__}: {text}"


def run_tasks(tasks: Sequence[Task], *, scheduler: str | None = None, workers: int | None = None,
              progress: Callable[[StudyProgress], None] | None = None, cancel: CancelFlag | None = None,
              connect_timeout: float = 5.0) -> TaskOutcome:
    """Run the tasks on local processes (default) or on the Dask scheduler at ``scheduler``."""
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    if scheduler:
        return _run_dask(tasks, scheduler, progress, cancel, connect_timeout)
    return _run_local(tasks, workers, progress, cancel)


# ------------------------------------------------------------------ local processes

def _run_local(tasks, workers, progress, cancel) -> TaskOutcome:
    t0 = time.perf_counter()
    n = len(tasks)
    results: dict[Any, Any] = {}
    failures: list[TaskFailure] = []
    if n == 0:
        return TaskOutcome(results, failures, False, 0.0, "local (0 processes)")
    k = workers or default_workers(n)
    if k < 1:
        raise InputError("must be at least 1", field="workers", expected=">= 1", found=k)
    k = min(k, n)
    ctx = mp.get_context("spawn")
    pq = ctx.Queue()
    stop = ctx.Event()
    partial: dict[Any, float] = {}
    cancelled = False

    def report(msg=""):
        if progress:
            done = len(results) + len(failures)
            frac = (done + sum(v for key, v in partial.items() if key not in results)) / n
            progress(StudyProgress(done, len(failures), n, min(1.0, frac), msg))

    def drain():
        got = False
        while True:
            try:
                key, frac = pq.get_nowait()
            except (queue_mod.Empty, EOFError, OSError):
                return got
            if key in partial:
                partial[key] = max(partial[key], float(frac))
                got = True

    ex = cf.ProcessPoolExecutor(max_workers=k, mp_context=ctx, initializer=worker.init_local_worker,
                                initargs=(pq, stop))
    try:
        futs = {}
        for t in tasks:
            futs[ex.submit(t.fn, *t.args, task_key=t.key)] = t
            partial[t.key] = 0.0
        pending = set(futs)
        report("started")
        while pending:
            done, pending = cf.wait(pending, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for f in done:
                t = futs[f]
                if f.cancelled():
                    failures.append(TaskFailure(t.key, t.parameters, "cancelled"))
                    continue
                exc = f.exception()
                if exc is None:
                    results[t.key] = f.result()
                elif isinstance(exc, worker.RunCancelled):
                    failures.append(TaskFailure(t.key, t.parameters, "cancelled"))
                else:
                    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                    failures.append(TaskFailure(t.key, t.parameters, _error_text(exc), tb))
                partial.pop(t.key, None)
            moved = drain()
            if done or moved:
                report()
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                stop.set()
                for f in pending:
                    f.cancel()
                report("cancelling")
    finally:
        stop.set()
        drain()
        ex.shutdown(wait=True, cancel_futures=True)
        drain()
        pq.close()
        pq.cancel_join_thread()
    return TaskOutcome(results, failures, cancelled, time.perf_counter() - t0, f"local ({k} processes)")


# ------------------------------------------------------------------ Dask

def connect_dask(address: str, timeout: float = 5.0):
    """A dask.distributed Client for ``address`` or an InputError that says why not (within ``timeout`` s)."""
    if not isinstance(address, str) or not address.strip():
        raise InputError("empty scheduler address", field="scheduler", expected="tcp://HOST:PORT")
    address = address.strip()
    try:
        from dask.distributed import Client
    except ImportError:
        raise InputError("Dask is not installed; install the 'cluster' extra: pip install 'nichelab[cluster]'",
                         field="scheduler") from None
    _probe_tcp(address, timeout)
    try:
        return Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"cannot reach the Dask scheduler at {address} within {timeout:g} s ({exc})",
                         field="scheduler", expected="the address of a running dask scheduler, "
                         "e.g. tcp://127.0.0.1:8786") from None
    except ValueError as exc:
        raise InputError(f"not a usable Dask scheduler address: {exc}", field="scheduler",
                         expected="tcp://HOST:PORT", found=address) from None
    except Exception as exc:  # something answered, but it does not speak the Dask protocol
        raise InputError(f"cannot connect to a Dask scheduler at {address} ({type(exc).__name__}: {exc})",
                         field="scheduler", expected="the address of a running dask scheduler") from None


def _probe_tcp(address: str, timeout: float) -> None:
    """Fail fast, with a plain message, when nothing listens at a tcp:// (or host:port) address."""
    import socket
    from urllib.parse import urlsplit

    if "://" in address and not address.startswith("tcp://"):
        return  # tls://, inproc:// ...: leave it to Dask
    parts = urlsplit(address if "://" in address else f"tcp://{address}")
    try:
        host, port = parts.hostname, parts.port
    except ValueError:
        host, port = None, None
    if not host or not port:
        raise InputError("not a usable Dask scheduler address", field="scheduler", expected="tcp://HOST:PORT",
                         found=address)
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = f"no answer within {timeout:g} s" if isinstance(exc, TimeoutError) else (exc.strerror or str(exc))
        raise InputError(f"cannot reach the Dask scheduler at {address}: {reason}",
                         field="scheduler", expected="the address of a running dask scheduler, "
                         "e.g. tcp://127.0.0.1:8786") from None


def _run_dask(tasks, address, progress, cancel, connect_timeout) -> TaskOutcome:
    t0 = time.perf_counter()
    client = connect_dask(address, connect_timeout)
    n = len(tasks)
    results: dict[Any, Any] = {}
    failures: list[TaskFailure] = []
    cancelled = False

    def report(msg=""):
        if progress:
            done = len(results) + len(failures)
            progress(StudyProgress(done, len(failures), n, done / n if n else 1.0, msg))

    try:
        futs = {}
        for t in tasks:
            f = client.submit(t.fn, *t.args, task_key=t.key, pure=False, retries=0)
            futs[f.key] = (f, t)
        pending = {f for f, _ in futs.values()}
        report("submitted")
        while pending:
            done = {f for f in pending if f.done()}
            pending -= done
            if not done:
                time.sleep(POLL_SECONDS)
            for f in done:
                _, t = futs[f.key]
                if f.status == "finished":
                    results[t.key] = f.result()
                elif f.status == "cancelled":
                    failures.append(TaskFailure(t.key, t.parameters, "cancelled"))
                else:
                    exc = f.exception()
                    tb = "".join(traceback.format_tb(f.traceback())) if f.traceback() else ""
                    failures.append(TaskFailure(t.key, t.parameters, _error_text(exc), tb))
            if done:
                report()
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                client.cancel(list(pending))
                for f in pending:
                    _, t = futs[f.key]
                    failures.append(TaskFailure(t.key, t.parameters, "cancelled"))
                pending = set()
                report("cancelled")
    finally:
        client.close()
    return TaskOutcome(results, failures, cancelled, time.perf_counter() - t0, f"dask {address}")


class StudyJob:
    """A study running in a background thread (Qt-free): ``cancel()``, ``done()``, ``result()``.

    ``progress`` and ``finished`` callbacks run in the background thread; a GUI
    must hand them to its main thread (e.g. through a Qt signal).
    """

    def __init__(self, fn: Callable[..., Any], kwargs: dict[str, Any],
                 finished: Callable[["StudyJob"], None] | None = None):
        self._cancel = threading.Event()
        self._result: Any = None
        self._error: BaseException | None = None
        self._finished = finished
        self.latest: StudyProgress | None = None
        user_progress = kwargs.pop("progress", None)

        def progress(p: StudyProgress) -> None:
            self.latest = p
            if user_progress:
                user_progress(p)

        def target():
            try:
                self._result = fn(progress=progress, cancel=self._cancel, **kwargs)
            except BaseException as exc:  # reported through result()
                self._error = exc
            finally:
                if self._finished:
                    self._finished(self)

        self._thread = threading.Thread(target=target, name="nichelab-study", daemon=True)
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def done(self) -> bool:
        return not self._thread.is_alive()

    def result(self, timeout: float | None = None) -> Any:
        """The study's result; re-raises its error (e.g. InputError). TimeoutError if still running."""
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("study still running")
        if self._error is not None:
            raise self._error
        return self._result
