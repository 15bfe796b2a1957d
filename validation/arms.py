"""Run the claim arms headless, each (scenario, seed, days, overrides) once, sharing spin-ups.

A :class:`Job` names one run. Runs whose tiles are the same after the spin-up (same species,
genotype, parameters and seed: arms that differ only in their events) form a *group*: one task
builds and equilibrates the tile once, keeps a copy of its state (``engine.tile_cache.capture``)
and starts every arm of the group from that copy (``restore``), the way the GUI's tile cache does;
the numbers are the same as a run from scratch to the last bit (tests/test_claims.py checks it).
The groups run through :func:`analysis.runner.run_tasks` (worker processes, or this process with
``workers=1``). Results never depend on the number of workers or threads: the engine's random
numbers are counter-based.
"""
from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field

import numpy as np

from analysis.runner import Task, report_progress, run_tasks


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


def prepare(job: Job):
    """The job's scenario: its length and parameter overrides applied, overrides checked."""
    from engine import load_scenario

    scn = load_scenario(job.scenario)
    changes = {"days": float(job.days)}
    if job.overrides:
        params = dict(scn.parameters)
        params.update(dict(job.overrides))
        changes["parameters"] = params
    scn = scn.copy_with(**changes)
    scn.parameter_set()   # names and ranges of the overrides
    return scn


def group_key(job: Job) -> str:
    """Jobs with the same key share one spin-up (the tile cache's key: species, genotype, parameters, seed)."""
    from engine.tile_cache import tile_key

    return tile_key(prepare(job), job.seed, "validate")


def spinup_days(job: Job) -> float:
    return float(prepare(job).parameter_set()["spinup_days"])


def run_group(jobs: list[Job], task_key=None) -> list[ArmRun]:
    """Run jobs of one group in this process: one spin-up, then each arm from a copy of it."""
    from engine import Simulation
    from engine.tile_cache import capture, restore

    scns = [prepare(j) for j in jobs]
    spin = float(scns[0].parameter_set()["spinup_days"])
    total = spin + sum(float(j.days) for j in jobs)
    t0, c0 = time.perf_counter(), time.process_time()
    first = Simulation.from_scenario(scns[0], seed=jobs[0].seed)
    arrays, rest = capture(first)
    arrays = {k: np.array(v) for k, v in arrays.items()}     # capture hands out the live arrays
    rest = copy.deepcopy(rest)
    setup = (time.perf_counter() - t0, time.process_time() - c0)
    done = spin
    report_progress(task_key, done / total)
    out = []
    for i, (job, scn) in enumerate(zip(jobs, scns)):
        t1, c1 = time.perf_counter(), time.process_time()
        if i == 0:
            sim = first
        else:
            sim = Simulation(scn, job.seed, spinup=False)
            restore(sim, arrays, rest)

        def progress(steps, n, base=done, days=float(job.days)):
            report_progress(task_key, (base + days * steps / max(n, 1)) / total)

        sim.run(progress=progress)
        done += float(job.days)
        obs = sim.observables
        wall, cpu = time.perf_counter() - t1, time.process_time() - c1
        if i == 0:
            wall, cpu = wall + setup[0], cpu + setup[1]
        out.append(ArmRun(job=job, columns=list(obs.columns), table=obs.table(), units=dict(obs.units),
                          metadata=sim.metadata(), scenario_days=float(job.days),
                          events=[e.model_dump() for e in sim.schedule.events], steps=int(sim.steps_done),
                          wall_seconds=wall, cpu_seconds=cpu))
    return out


def run_job(job: Job) -> ArmRun:
    """Run one job in this process, from scratch."""
    return run_group([job])[0]


def run_jobs(jobs: list[Job], workers: int | None = None, progress=None,
             cache: dict | None = None) -> dict[tuple, ArmRun]:
    """Run every distinct job once, grouped by shared spin-up; returns {job.key: ArmRun}.

    ``progress(fraction)`` (0..1) is called as the work proceeds. ``cache`` (a dict) keeps results
    between calls (e.g. in tests).
    """
    cache = {} if cache is None else cache
    todo: dict[tuple, Job] = {}
    for j in jobs:
        if j.key not in cache and j.key not in todo:
            todo[j.key] = j
    groups: dict[str, list[Job]] = {}
    for j in todo.values():
        groups.setdefault(group_key(j), []).append(j)
    tasks = []
    for gk, members in groups.items():
        members.sort(key=lambda j: (j.scenario, j.days))
        weight = spinup_days(members[0]) + sum(float(j.days) for j in members)
        tasks.append(Task(key=gk, fn=run_group, args=(members,), weight=weight,
                          parameters={"seed": members[0].seed, "arms": ", ".join(j.scenario for j in members)}))
    if progress:
        progress(0.0)
    outcome = run_tasks(tasks, workers=workers, progress=(lambda p: progress(p.fraction)) if progress else None)
    if outcome.failures:
        f = outcome.failures[0]
        raise RuntimeError(f"{f.describe()}\n{f.traceback}")
    for runs in outcome.results.values():
        for r in runs:
            cache[r.job.key] = r
    return {j.key: cache[j.key] for j in jobs}
