"""Run the claim arms headless, each (scenario, seed, days, overrides) once.

A :class:`Job` names one run. :func:`run_jobs` removes duplicates (the same arm
serves several claims), runs the rest in worker processes (one numba thread
each: on a small machine several single-threaded runs use the cores better than
one multi-threaded run) or in this process, and returns an :class:`ArmRun` per
job. Results never depend on the number of workers or threads: the engine's
random numbers are counter-based.
"""
from __future__ import annotations

import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Job:
    """One headless run: a scenario (id or path), a seed, a length, parameter overrides."""

    scenario: str
    seed: int
    days: float
    overrides: tuple[tuple[str, float], ...] = ()

    @property
    def key(self) -> tuple:
        return (self.scenario, self.seed, float(self.days), self.overrides)

    def label(self) -> str:
        return f"{self.scenario} seed {self.seed}"


@dataclass
class ArmRun:
    """The recorded time series of one job (columns -> arrays) and its metadata."""

    job: Job
    columns: list[str]
    table: np.ndarray
    units: dict[str, str]
    metadata: dict[str, str]
    scenario_days: float
    events: list[dict] = field(default_factory=list)
    steps: int = 0
    wall_seconds: float = 0.0
    cpu_seconds: float = 0.0

    def __getitem__(self, column: str) -> np.ndarray:
        return self.table[:, self.columns.index(column)]

    @property
    def day(self) -> np.ndarray:
        return self["day"]


def _prepare(job: Job):
    from engine import load_scenario

    scn = load_scenario(job.scenario)
    changes = {"days": float(job.days)}
    if job.overrides:
        params = dict(scn.parameters)
        params.update(dict(job.overrides))
        changes["parameters"] = params
    scn = scn.copy_with(**changes)
    # re-validate the overrides against the parameter table (names, ranges)
    scn.parameter_set()
    return scn


def estimate_steps(job: Job) -> int:
    """Model steps of a job (spin-up included), for progress and ETA."""
    scn = _prepare(job)
    p = scn.parameter_set()
    return int(round((p["spinup_days"] + job.days) * 24.0 / p["dt_hours"]))


def run_job(job: Job) -> ArmRun:
    """Run one job in this process."""
    from engine import Simulation

    scn = _prepare(job)
    t0, c0 = time.perf_counter(), time.process_time()
    sim = Simulation.from_scenario(scn, seed=job.seed)
    sim.run()
    obs = sim.observables
    return ArmRun(job=job, columns=list(obs.columns), table=obs.table(), units=dict(obs.units),
                  metadata=sim.metadata(), scenario_days=float(job.days),
                  events=[e.model_dump() for e in sim.schedule.events], steps=int(sim.steps_done),
                  wall_seconds=time.perf_counter() - t0, cpu_seconds=time.process_time() - c0)


def _worker_init() -> None:
    os.environ["NUMBA_NUM_THREADS"] = "1"
    try:
        import numba

        numba.set_num_threads(1)
    except Exception:  # pragma: no cover - numba always present in practice
        pass


def default_workers(n_jobs: int) -> int:
    return max(1, min(n_jobs, os.cpu_count() or 1))


def run_jobs(jobs: list[Job], workers: int | None = None, progress=None,
             cache: dict | None = None) -> dict[tuple, ArmRun]:
    """Run every distinct job once; returns {job.key: ArmRun}.

    ``progress(done_steps, total_steps, label)`` is called as jobs finish.
    ``cache`` (a dict) keeps results between calls (e.g. in tests).
    """
    cache = {} if cache is None else cache
    todo: dict[tuple, Job] = {}
    for j in jobs:
        if j.key not in cache and j.key not in todo:
            todo[j.key] = j
    weights = {k: estimate_steps(j) for k, j in todo.items()}
    total = max(1, sum(weights.values()))
    done = 0
    if progress:
        progress(0, total, "")
    # longest first: better packing on few workers
    order = sorted(todo, key=lambda k: -weights[k])
    workers = default_workers(len(order)) if workers is None else max(1, int(workers))
    if workers == 1 or len(order) <= 1:
        for k in order:
            cache[k] = run_job(todo[k])
            done += weights[k]
            if progress:
                progress(done, total, todo[k].label())
    else:
        import multiprocessing as mp

        ctx = mp.get_context("spawn")
        saved = os.environ.get("NUMBA_NUM_THREADS")
        os.environ["NUMBA_NUM_THREADS"] = "1"  # inherited by the workers at start-up
        try:
            pool = ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)
            try:
                futures = {pool.submit(run_job, todo[k]): k for k in order}
                for fut in as_completed(futures):
                    k = futures[fut]
                    cache[k] = fut.result()
                    done += weights[k]
                    if progress:
                        progress(done, total, todo[k].label())
            except BaseException:
                # do not wait for queued runs (Ctrl-C, a failing run): drop them and leave
                pool.shutdown(wait=False, cancel_futures=True)
                raise
            pool.shutdown(wait=True)
        finally:
            if saved is None:
                os.environ.pop("NUMBA_NUM_THREADS", None)
            else:
                os.environ["NUMBA_NUM_THREADS"] = saved
    return {j.key: cache[j.key] for j in jobs}
