"""One runner for many independent simulation tasks: this process, a local process pool, or Dask.

Ensembles, sweeps and ``main.py validate`` hand it a list of :class:`Task` and get back a
:class:`TaskOutcome`: the results of the tasks that finished, the failures (each with the
parameters of its run and the error), and whether the study was cancelled. One failing task never
stops the others.

* ``workers=1``: the tasks run one after another in this process (no start-up cost; tests).
* local processes: ``ProcessPoolExecutor`` with the *spawn* context; each worker imports the
  engine itself and runs numba on one thread (on a small machine several single-threaded runs use
  the cores better than one multi-threaded run; the numbers do not depend on the thread count).
  Tasks start longest first (``Task.weight``) for a better packing. Per-task progress comes back
  through a queue (:func:`report_progress`); cancelling stops running tasks at their next check
  (:func:`cancel_requested`).
* Dask: ``dask.distributed.Client(address)`` and ``client.submit`` of the same task functions;
  progress per finished task. An unreachable scheduler is an :class:`engine.errors.InputError`
  after ``connect_timeout`` s, never a silent fallback to local processes.

Callbacks (``progress``) run in the thread that called :func:`run_tasks`. Task functions must be
top-level (importable) and take ``task_key=`` besides their ``args``.
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

POLL_SECONDS = 0.2


class CancelFlag(Protocol):
    def is_set(self) -> bool: ...


class RunCancelled(Exception):
    """Raised inside a task when the caller asked to cancel the study."""


@dataclass
class Task:
    key: Any                       # unique, hashable (e.g. seed, or (point index, seed))
    fn: Callable[..., Any]         # a top-level (importable) function
    args: tuple
    #: what to report if it fails (seed, parameter values ...)
    parameters: dict[str, Any] = field(default_factory=dict)
    #: relative cost (e.g. simulated days): longer tasks start first
    weight: float = 1.0


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
    fraction: float        # 0..1, weighted by Task.weight, with partial progress of running tasks
    message: str = ""


@dataclass
class TaskOutcome:
    results: dict[Any, Any]
    failures: list[TaskFailure]
    cancelled: bool
    wall_seconds: float
    backend: str           # "this process", "local (K processes)" or "dask tcp://..."


def default_workers(n_tasks: int) -> int:
    return max(1, min(n_tasks, os.cpu_count() or 1))


def _error_text(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text if isinstance(exc, InputError) else f"{type(exc).__name__}: {text}"


# ------------------------------------------------------------------ inside a task

_PROGRESS_QUEUE: Any = None
_CANCEL_EVENT: Any = None
_PROGRESS_HOOK: Callable[[Any, float], None] | None = None


def init_local_worker(progress_queue: Any, cancel_event: Any) -> None:
    """ProcessPoolExecutor initializer: the shared progress queue and cancel flag; one numba thread."""
    global _PROGRESS_QUEUE, _CANCEL_EVENT
    _PROGRESS_QUEUE = progress_queue
    _CANCEL_EVENT = cancel_event
    try:
        # progress messages are disposable: never let a worker wait at exit to flush them
        progress_queue.cancel_join_thread()
    except AttributeError:
        pass
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # noqa: BLE001 - numba is always there in practice; threads only affect speed
        pass


def report_progress(task_key: Any, fraction: float) -> None:
    """Tell the caller how far a running task is (0..1); never raises."""
    try:
        if _PROGRESS_QUEUE is not None:
            _PROGRESS_QUEUE.put_nowait((task_key, float(fraction)))
        elif _PROGRESS_HOOK is not None:
            _PROGRESS_HOOK(task_key, float(fraction))
    except Exception:  # noqa: BLE001 - a full or closed queue must never break a run
        pass


def cancel_requested() -> bool:
    return _CANCEL_EVENT is not None and _CANCEL_EVENT.is_set()


# ------------------------------------------------------------------ entry point

def run_tasks(tasks: Sequence[Task], *, scheduler: str | None = None, workers: int | None = None,
              progress: Callable[[StudyProgress], None] | None = None, cancel: CancelFlag | None = None,
              connect_timeout: float = 5.0) -> TaskOutcome:
    """Run the tasks here (workers=1), on local processes (default) or on the Dask scheduler."""
    keys = [t.key for t in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("task keys must be unique")
    if workers is not None and workers < 1:
        raise InputError("must be at least 1", field="workers", expected=">= 1", found=workers)
    if scheduler:
        return _run_dask(tasks, scheduler, progress, cancel, connect_timeout)
    if workers == 1 or len(tasks) <= 1:
        return _run_here(tasks, progress, cancel)
    return _run_local(tasks, workers, progress, cancel)


class _Tally:
    """Results, failures and weighted progress of a study."""

    def __init__(self, tasks: Sequence[Task], progress):
        self.weights = {t.key: max(1e-9, float(t.weight)) for t in tasks}
        self.total = sum(self.weights.values()) or 1.0
        self.n = len(tasks)
        self.results: dict[Any, Any] = {}
        self.failures: list[TaskFailure] = []
        self.partial: dict[Any, float] = {}
        self.progress = progress

    def done_keys(self):
        return set(self.results) | {f.key for f in self.failures}

    def report(self, msg: str = "") -> None:
        if not self.progress:
            return
        done = self.done_keys()
        w = sum(self.weights[k] for k in done) + sum(self.weights[k] * v for k, v in self.partial.items()
                                                      if k not in done)
        frac = 1.0 if len(done) == self.n else min(1.0, w / self.total)
        self.progress(StudyProgress(len(done), len(self.failures), self.n, frac, msg))

    def fail(self, t: Task, exc: BaseException | None, text: str | None = None) -> None:
        if exc is None or isinstance(exc, RunCancelled):
            self.failures.append(TaskFailure(t.key, t.parameters, text or "cancelled"))
            return
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        self.failures.append(TaskFailure(t.key, t.parameters, _error_text(exc), tb))


def _ordered(tasks: Sequence[Task]) -> list[Task]:
    return sorted(tasks, key=lambda t: -float(t.weight))


def _run_here(tasks, progress, cancel) -> TaskOutcome:
    global _CANCEL_EVENT, _PROGRESS_HOOK
    t0 = time.perf_counter()
    tally = _Tally(tasks, progress)
    saved = (_CANCEL_EVENT, _PROGRESS_HOOK)

    def hook(key, frac):
        tally.partial[key] = max(tally.partial.get(key, 0.0), frac)
        tally.report()

    _CANCEL_EVENT, _PROGRESS_HOOK = cancel, hook
    cancelled = False
    try:
        tally.report("started")
        for t in _ordered(tasks):
            if cancel is not None and cancel.is_set():
                cancelled = True
                tally.fail(t, None)
                continue
            try:
                tally.results[t.key] = t.fn(*t.args, task_key=t.key)
            except Exception as exc:  # noqa: BLE001 - reported per task, the others go on
                tally.fail(t, exc)
                cancelled = cancelled or isinstance(exc, RunCancelled)
            tally.partial.pop(t.key, None)
            tally.report()
    finally:
        _CANCEL_EVENT, _PROGRESS_HOOK = saved
    return TaskOutcome(tally.results, tally.failures, cancelled, time.perf_counter() - t0, "this process")


def _run_local(tasks, workers, progress, cancel) -> TaskOutcome:
    t0 = time.perf_counter()
    tally = _Tally(tasks, progress)
    k = min(workers or default_workers(len(tasks)), len(tasks))
    ctx = mp.get_context("spawn")
    pq = ctx.Queue()
    stop = ctx.Event()
    cancelled = False

    def drain():
        got = False
        while True:
            try:
                key, frac = pq.get_nowait()
            except (queue_mod.Empty, EOFError, OSError):
                return got
            if key in tally.weights and key not in tally.done_keys():
                tally.partial[key] = max(tally.partial.get(key, 0.0), float(frac))
                got = True

    # one numba thread per worker: the workers must inherit NUMBA_NUM_THREADS=1 when they start, since
    # numba reads it on import, before any initializer runs (a worker started without it has a pool
    # sized for the machine and set to 1 thread, and its first kernel compile then fails: "Cannot set
    # NUMBA_NUM_THREADS to a different value"). The executor starts its workers during submit(), so
    # the variable stays set until every task is submitted.
    saved = os.environ.get("NUMBA_NUM_THREADS")
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        ex = cf.ProcessPoolExecutor(max_workers=k, mp_context=ctx, initializer=init_local_worker,
                                    initargs=(pq, stop))
        futs = {ex.submit(t.fn, *t.args, task_key=t.key): t for t in _ordered(tasks)}
    finally:
        if saved is None:
            os.environ.pop("NUMBA_NUM_THREADS", None)
        else:
            os.environ["NUMBA_NUM_THREADS"] = saved
    try:
        pending = set(futs)
        tally.report("started")
        while pending:
            done, pending = cf.wait(pending, timeout=POLL_SECONDS, return_when=cf.FIRST_COMPLETED)
            for f in done:
                t = futs[f]
                if f.cancelled():
                    tally.fail(t, None)
                    continue
                exc = f.exception()
                if exc is None:
                    tally.results[t.key] = f.result()
                else:
                    tally.fail(t, exc)
                tally.partial.pop(t.key, None)
            moved = drain()
            if done or moved:
                tally.report()
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                stop.set()
                for f in pending:
                    f.cancel()
                tally.report("cancelling")
    finally:
        stop.set()
        drain()
        ex.shutdown(wait=True, cancel_futures=True)
        drain()
        pq.close()
        pq.cancel_join_thread()
    return TaskOutcome(tally.results, tally.failures, cancelled, time.perf_counter() - t0,
                       f"local ({k} processes)")


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
    tally = _Tally(tasks, progress)
    cancelled = False
    try:
        futs = {}
        for t in tasks:
            f = client.submit(t.fn, *t.args, task_key=t.key, pure=False, retries=0)
            futs[f.key] = (f, t)
        pending = {f for f, _ in futs.values()}
        tally.report("submitted")
        while pending:
            done = {f for f in pending if f.done()}
            pending -= done
            if not done:
                time.sleep(POLL_SECONDS)
            for f in done:
                _, t = futs[f.key]
                if f.status == "finished":
                    tally.results[t.key] = f.result()
                elif f.status == "cancelled":
                    tally.fail(t, None)
                else:
                    exc = f.exception()
                    tb = "".join(traceback.format_tb(f.traceback())) if f.traceback() else ""
                    tally.failures.append(TaskFailure(t.key, t.parameters, _error_text(exc), tb))
            if done:
                tally.report()
            if cancel is not None and cancel.is_set() and not cancelled:
                cancelled = True
                client.cancel(list(pending))
                for f in pending:
                    tally.fail(futs[f.key][1], None)
                pending = set()
                tally.report("cancelled")
    finally:
        client.close()
    return TaskOutcome(tally.results, tally.failures, cancelled, time.perf_counter() - t0, f"dask {address}")


class StudyJob:
    """A study running in a background thread (Qt-free): ``cancel()``, ``done()``, ``result()``.

    ``progress`` and ``finished`` callbacks run in the background thread; a GUI must hand them to
    its main thread (e.g. through a Qt signal).
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
