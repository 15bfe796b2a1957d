"""The one task runner (analysis.runner) in this process: results, failures, weights, cancel."""
import threading

import pytest

from analysis.runner import RunCancelled, Task, cancel_requested, report_progress, run_tasks

ORDER = []


def square(x, task_key=None):
    ORDER.append(task_key)
    report_progress(task_key, 0.5)
    if x < 0:
        raise ValueError("negative input")
    return x * x


def stop_here(flag, task_key=None):
    flag.set()
    if cancel_requested():
        raise RunCancelled("asked to stop")
    return 1


def test_in_process_runs_longest_first_reports_failures_and_monotone_progress():
    ORDER.clear()
    seen = []
    tasks = [Task(key=k, fn=square, args=(x,), parameters={"x": x}, weight=w)
             for k, x, w in (("a", 2, 1.0), ("b", -1, 5.0), ("c", 3, 3.0))]
    out = run_tasks(tasks, workers=1, progress=seen.append)
    assert ORDER == ["b", "c", "a"] and out.results == {"a": 4, "c": 9} and out.backend == "this process"
    assert len(out.failures) == 1 and out.failures[0].key == "b" and "ValueError: negative input" in out.failures[0].error
    assert "x=-1" in out.failures[0].describe()
    fractions = [p.fraction for p in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and seen[-1].finished == 3


def test_cancel_reaches_the_running_task_and_skips_the_rest():
    flag = threading.Event()
    out = run_tasks([Task(key=i, fn=stop_here, args=(flag,)) for i in range(3)], workers=1, cancel=flag)
    # the first task sees the flag it set and stops; the two after it never start
    assert out.cancelled and out.results == {} and [f.error for f in out.failures] == ["cancelled"] * 3


def test_keys_must_be_unique_and_workers_positive():
    with pytest.raises(ValueError):
        run_tasks([Task(key=1, fn=square, args=(1,)), Task(key=1, fn=square, args=(2,))])
    from engine import InputError

    with pytest.raises(InputError):
        run_tasks([Task(key=1, fn=square, args=(1,))], workers=0)


def compile_a_kernel(x, task_key=None):
    """Compile a kernel no cache holds (a worker's first compile), and say how many threads numba has."""
    import numba

    @numba.njit
    def twice(v):
        return 2 * v

    return twice(x), numba.config.NUMBA_NUM_THREADS


def test_workers_compile_kernels_with_one_numba_thread():
    """Worker processes start with NUMBA_NUM_THREADS=1 (numba reads it on import): a worker that
    compiles a kernel must not fail with "Cannot set NUMBA_NUM_THREADS to a different value" (it did
    when a validation run met a kernel missing from the cache), and the parent's setting is kept."""
    import os

    before = os.environ.get("NUMBA_NUM_THREADS")
    tasks = [Task(key=k, fn=compile_a_kernel, args=(k,), parameters={"x": k}) for k in (1, 2, 3)]
    out = run_tasks(tasks, workers=2)
    assert not out.failures, out.failures[0].error if out.failures else ""
    assert out.results == {1: (2, 1), 2: (4, 1), 3: (6, 1)} and out.backend == "local (2 processes)"
    assert os.environ.get("NUMBA_NUM_THREADS") == before
