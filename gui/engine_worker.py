"""The engine on its own thread.

Commands go in through a thread-safe queue and are applied between steps;
results come out through a latest-frame slot guarded by a lock (the GUI takes
the newest frame when its render timer fires and never waits on the engine),
plus the observable rows recorded since the last take. One-off notifications
(errors, inspected cells, schedule edits, query answers) go through a
ThreadRelay (gui/thread_relay.py); the GUI thread calls ``pump()`` (the
controller does, on every render tick), which emits them as Qt signals in the
GUI thread. No Python object crosses threads inside a Qt signal.

The GUI asks for data with named queries (``Query("csv")``), never by sending
code to run on the live simulation: the worker knows every question it answers
(QUERIES).

Nothing here touches a widget or a GL object.
"""
from __future__ import annotations

import copy
import logging
import os
import queue
import sys
import threading
import time
import traceback
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from PySide6.QtCore import QObject, Signal

from engine import InputError, Scenario, Simulation
from engine.schedule import Schedule
from engine.runtime import kernel_cache_key, user_dir
from engine.snapshot import Snapshot
from engine.tile_cache import TileCache

from .thread_relay import ThreadRelay
from .view_frame import replay_frame

log = logging.getLogger("nichelab.gui")


# ----------------------------------------------------------------------------- commands
@dataclass
class Load:
    """Build a new simulation (a reset is a Load of the current scenario).

    ``ticket`` comes back in WorldInfo so the sender can ignore frames of older runs.
    """
    scenario: Scenario
    seed: int | None = None
    ticket: int = 0


@dataclass
class Play:
    """Run at the set speed; pause on reaching ``until_day`` (None: no end)."""
    until_day: float | None = None


@dataclass
class Pause:
    pass


@dataclass
class Step:
    n: int = 1


@dataclass
class SetSpeed:
    """Simulated hours per wall-clock second; None = as fast as possible."""
    hours_per_second: float | None


@dataclass
class RunUntil:
    """Run flat out until ``day`` then pause and emit ``reached``."""
    day: float


@dataclass
class Apply:
    """An engine command (engine.commands: AddEvent, EditEvent, RemoveEvent, SetParameter) applied
    between steps; the answer comes back as ``applied(token, result, error)`` with the schedule as it
    then stands. A refused command (an InputError: e.g. an edit of an event already given) changes
    nothing; its error is the tuple (message, field, expected)."""
    command: Any
    token: Any = None


@dataclass
class Inspect:
    agent_id: int


@dataclass
class WantField:
    enabled: bool


@dataclass
class Query:
    """Ask the engine thread for ``what`` (a name in QUERIES, with ``options``); the answer comes back as
    ``replied(token, result, error)``."""
    what: str
    token: Any = None
    options: dict = field(default_factory=dict)


@dataclass
class Quit:
    pass


# ----------------------------------------------------------------------------- queries
def _query_run_record(sim: Simulation, label: str | None = None, name: str | None = None):
    """The run so far as a studies.runs.RunRecord (scenario, seed, time series, metadata); ``name``:
    the scenario's name as the window shows it now (an edit may have renamed it)."""
    from studies.runs import RunRecord, default_label, treatment_summary

    if label is None and name:
        label = default_label(name, int(sim.seed), treatment_summary(sim.schedule.events))
    return RunRecord.from_simulation(sim, label=label)


def _query_csv(sim: Simulation) -> str:
    """The time series as CSV text with the run's metadata (seed, scenario, app version)."""
    return sim.observables.to_csv(sim.metadata())


def _query_metadata(sim: Simulation) -> dict:
    return dict(sim.metadata())


#: every question the GUI may ask the engine thread (Query.what -> function(sim, **options))
QUERIES: dict[str, Callable[..., Any]] = {
    "run_record": _query_run_record,
    "csv": _query_csv,
    "metadata": _query_metadata,
}


# ----------------------------------------------------------------------------- outputs
@dataclass(frozen=True)
class WorldInfo:
    """What does not change during one run (one generation): geometry, units, the scenario."""
    generation: int
    scenario: Scenario
    seed: int
    size: np.ndarray
    vessel_p0: np.ndarray
    vessel_p1: np.ndarray
    vessel_radius: np.ndarray
    species: str
    genotype: str
    columns: tuple[str, ...]
    units: dict
    normal_range: tuple[float, float]
    dt_hours: float
    field_voxel_um: float
    field_shape: tuple[int, int, int]
    ticket: int = 0
    #: the species' reference values of relative observables (platelet_baseline, tpo_baseline_pg_ml)
    baselines: dict = field(default_factory=dict)


@dataclass(frozen=True)
class ScheduleState:
    """The run's schedule as the engine holds it: each event with its id and status, the edited
    scenario's events (what Reset runs), and the edits made during the run."""
    generation: int
    day: float
    items: tuple                       # engine.schedule.ScheduledEvent (id, event, status)
    planned: tuple                     # engine Events
    edit_log: tuple = ()
    result: Any = None                 # what the command returned (AddEvent: the new id)


@dataclass
class Frame:
    """The latest state for the view."""
    generation: int
    world: WorldInfo
    snapshot: Snapshot
    day: float
    step: int
    running: bool
    steps_per_second: float
    schedule_version: int
    markers: list = field(default_factory=list)
    events: list = field(default_factory=list)
    failed: bool = False
    schedule: ScheduleState | None = None


class WorkerSignals(QObject):
    """Notifications of the engine thread, emitted in the GUI thread by ``EngineWorker.pump()``."""
    built = Signal(object)                      # WorldInfo
    busy = Signal(str)                          # "" when idle
    error = Signal(str, str, str)               # title, message, details
    running_changed = Signal(int)                # 1 running, 0 paused
    reached = Signal(float)                     # RunUntil target reached (day)
    inspected = Signal(int, object)             # generation, dict
    applied = Signal(object, object, object)    # token, ScheduleState or command result, error or None
    replied = Signal(object, object, object)    # token, result, error message


#: the engine thread (and the numba worker threads it starts) runs this much "nicer" than the GUI
#: thread: when both want a core -- 2 cores, numba's threads and the software renderer's threads all
#: busy -- input and paints go first; when the GUI is idle the engine still gets every core
ENGINE_NICENESS = 10


def lower_thread_priority(niceness: int = ENGINE_NICENESS) -> bool:
    """Lower the calling thread's CPU priority (Linux: per-thread niceness; Windows: below normal).

    Threads started afterwards by this thread (numba's OpenMP team) inherit it on Linux. Returns
    True if the priority was lowered. Elsewhere (macOS) nothing changes: setpriority there would
    apply to the whole process.
    """
    try:
        if sys.platform.startswith("linux"):
            tid = threading.get_native_id()
            os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + int(niceness)))
            return True
        if sys.platform == "win32":
            import ctypes

            k32 = ctypes.windll.kernel32
            return bool(k32.SetThreadPriority(k32.GetCurrentThread(), -1))   # THREAD_PRIORITY_BELOW_NORMAL
    except (OSError, AttributeError, ValueError) as exc:
        log.debug("could not lower the engine thread's priority: %s", exc)
    return False


class EngineWorker:
    """Owns the Simulation and steps it on a background thread (at a lower CPU priority than the GUI)."""

    def __init__(self, publish_hz: float = 30.0, niceness: int = ENGINE_NICENESS,
                 tile_cache: TileCache | None = None):
        self.signals = WorkerSignals()
        #: equilibrated tiles kept between launches (None: the user's cache folder, made on first use)
        self.tile_cache = tile_cache
        self.niceness = int(niceness)
        self._queue: queue.Queue = queue.Queue()
        self._outbox = ThreadRelay()
        self._lock = threading.Lock()
        self._frame: Frame | None = None
        self._rows: list[list[float]] = []
        self._rows_generation = 0
        self._replay: list = []               # compact frames for replay, one per recorded row
        self._replay_rows = 0                 # rows recorded when the last replay frame was taken
        self._thread: threading.Thread | None = None
        self.publish_interval = 1.0 / publish_hz
        # engine-thread state (only touched by the worker thread after start())
        self._sim: Simulation | None = None
        self._world: WorldInfo | None = None
        self._generation = 0
        self._running = False
        self._failed = False
        self._speed: float | None = 24.0
        self._until: float | None = None      # RunUntil target (flat out)
        self._stop_at: float | None = None    # Play's end (at the set speed)
        self._anchor_wall = 0.0
        self._anchor_sim = 0.0
        self._want_field = False
        self._published_rows = 0
        self._last_publish = 0.0
        self._dirty = False
        self._schedule_version = 0
        self._rate = deque(maxlen=64)     # (wall time, steps_done)
        self._pristine: tuple[tuple, Simulation] | None = None

    # ------------------------------------------------------------------ GUI-thread API
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="nichelab-engine", daemon=True)
            self._thread.start()

    def post(self, command) -> None:
        """Queue a command (thread-safe, never blocks)."""
        self._queue.put(command)

    def pump(self) -> int:
        """Emit the engine thread's pending notifications as signals (call from the GUI thread)."""
        return self._outbox.pump()

    def _emit(self, name: str, *args) -> None:
        """Engine thread: queue a notification for pump()."""
        self._outbox.post(self._emit_now, name, args)

    def _emit_now(self, name: str, args: tuple) -> None:
        getattr(self.signals, name).emit(*args)

    def take(self) -> tuple[Frame | None, list[list[float]], int]:
        """Latest frame, the observable rows recorded since the last take, and their generation."""
        with self._lock:
            frame, rows, gen = self._frame, self._rows, self._rows_generation
            self._rows = []
        return frame, rows, gen

    def take_replay(self) -> tuple[list, int]:
        """The replay frames (view_frame.ViewFrame) stored since the last take, and their generation."""
        with self._lock:
            frames, gen = self._replay, self._rows_generation
            self._replay = []
        return frames, gen

    def stop(self, timeout: float = 5.0) -> bool:
        """Ask the thread to finish and join it; True if it ended."""
        if self._thread is None:
            return True
        self._queue.put(Quit())
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if alive:
            log.warning("engine thread still busy after %.1f s; leaving it (daemon)", timeout)
        self._thread = None
        return not alive

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------ engine thread
    def _loop(self) -> None:
        if self.niceness:
            lower_thread_priority(self.niceness)   # before the first kernel starts numba's threads
        while True:
            commands = self._next_commands()
            for cmd in commands:
                if isinstance(cmd, Quit):
                    return
                try:
                    self._handle(cmd)
                except Exception as exc:  # noqa: BLE001 - reported to the user, app keeps running
                    self._fail("Command failed", exc)
            if self._running and self._sim is not None and not self._failed:
                if self._step_due():
                    try:
                        self._sim.advance(self._sim.dt)
                        self._store_replay()
                    except Exception as exc:  # noqa: BLE001
                        self._fail("The simulation stopped", exc)
                    else:
                        self._dirty = True
                        self._rate.append((time.perf_counter(), self._sim.steps_done))
                        target = self._until if self._until is not None else self._stop_at
                        if target is not None and self._sim.day >= target - 1e-9:
                            self._until = self._stop_at = None
                            self._set_running(False)
                            self._publish(force=True)
                            self._emit("reached", float(target))
            try:
                self._publish()
            except Exception as exc:  # noqa: BLE001 - a broken snapshot must not kill the thread
                self._fail("The simulation state could not be shown", exc)

    def _wait_time(self) -> float:
        """Seconds to block waiting for a command (0: do not wait, a step is due)."""
        if not self._running or self._sim is None or self._failed:
            return 0.1
        if self._speed is None or self._until is not None:
            return 0.0
        due = self._anchor_sim + (time.perf_counter() - self._anchor_wall) * self._speed
        ahead = self._sim.time_hours + self._sim.dt - due
        return 0.0 if ahead <= 0 else min(ahead / self._speed, 0.02)

    def _next_commands(self) -> list:
        wait = self._wait_time()
        cmds = []
        try:
            cmds.append(self._queue.get(timeout=wait) if wait else self._queue.get_nowait())
        except queue.Empty:
            return cmds
        while True:
            try:
                cmds.append(self._queue.get_nowait())
            except queue.Empty:
                break
        # a later Load makes earlier run commands moot (skip rebuilding twice)
        loads = [i for i, c in enumerate(cmds) if isinstance(c, Load)]
        if len(loads) > 1:
            last = loads[-1]
            keep = (SetSpeed, WantField, Quit, Query)
            cmds = [c for i, c in enumerate(cmds) if i >= last or isinstance(c, keep)]
        return cmds

    def _step_due(self) -> bool:
        sim = self._sim
        if self._speed is None or self._until is not None:
            return True
        now = time.perf_counter()
        due = self._anchor_sim + (now - self._anchor_wall) * self._speed
        behind = due - sim.time_hours
        if behind > max(0.5 * self._speed, 2 * sim.dt):
            # the engine cannot keep up: do not try to catch up in a burst
            self._anchor(now)
            return True
        return sim.time_hours + sim.dt <= due + 1e-9

    def _anchor(self, now: float | None = None) -> None:
        self._anchor_wall = time.perf_counter() if now is None else now
        self._anchor_sim = self._sim.time_hours if self._sim is not None else 0.0

    def _set_running(self, running: bool) -> None:
        if running and (self._sim is None or self._failed):
            running = False
        if running != self._running:
            self._running = running
            if running:
                self._anchor()
                self._rate.clear()
            self._dirty = True
            self._emit("running_changed", int(running))

    def _handle(self, cmd) -> None:
        if isinstance(cmd, Load):
            self._load(cmd.scenario, cmd.seed, cmd.ticket)
        elif isinstance(cmd, Play):
            self._until = None
            end = cmd.until_day
            self._stop_at = end if (end is not None and self._sim is not None
                                    and self._sim.day < end - 1e-9) else None
            self._set_running(True)
        elif isinstance(cmd, Pause):
            self._until = self._stop_at = None
            self._set_running(False)
        elif isinstance(cmd, Step):
            self._set_running(False)
            if self._sim is not None and not self._failed:
                for _ in range(max(1, int(cmd.n))):
                    self._sim.advance(self._sim.dt)
                    self._store_replay()
                self._dirty = True
                self._publish(force=True)
        elif isinstance(cmd, SetSpeed):
            self._speed = None if cmd.hours_per_second is None else max(1e-3, float(cmd.hours_per_second))
            self._anchor()
        elif isinstance(cmd, RunUntil):
            if self._sim is not None and self._sim.day >= cmd.day - 1e-9:
                self._set_running(False)
                self._publish(force=True)
                self._emit("reached", float(cmd.day))
            else:
                self._until = float(cmd.day)
                self._stop_at = None
                self._set_running(True)
        elif isinstance(cmd, Apply):
            self._apply(cmd)
        elif isinstance(cmd, Inspect):
            info = self._sim.describe_agent(int(cmd.agent_id)) if self._sim is not None else {}
            self._emit("inspected", self._generation, _plain(info))
        elif isinstance(cmd, WantField):
            self._want_field = bool(cmd.enabled)
            self._dirty = True
        elif isinstance(cmd, Query):
            self._answer(cmd)

    def _answer(self, cmd: Query) -> None:
        fn = QUERIES.get(cmd.what)
        if fn is None:
            self._emit("replied", cmd.token, None, f"unknown query {cmd.what!r}")
            return
        if self._sim is None:
            self._emit("replied", cmd.token, None, "no simulation is loaded")
            return
        try:
            result = fn(self._sim, **cmd.options)
        except Exception as exc:  # noqa: BLE001 - answered as an error, the run goes on
            log.exception("query %s failed", cmd.what)
            self._emit("replied", cmd.token, None, str(exc) or type(exc).__name__)
        else:
            self._emit("replied", cmd.token, result, None)

    # ------------------------------------------------------------------ building
    @staticmethod
    def _cache_key(scn: Scenario, seed: int) -> tuple:
        # everything that shapes the equilibrated tile; events, names and days do not
        return (scn.species, scn.genotype, tuple(sorted(scn.parameters.items())), int(seed))

    def _tiles(self) -> TileCache:
        if self.tile_cache is None:
            try:
                folder = user_dir("cache") / "tiles"
            except OSError:
                folder = None
            self.tile_cache = TileCache(folder, kernel_cache_key())
        return self.tile_cache

    def _load(self, scenario: Scenario, seed: int | None, ticket: int = 0) -> None:
        self._set_running(False)
        self._until = self._stop_at = None
        with self._lock:          # no frames of the old run while the new one is being built
            self._frame = None
            self._rows = []
        seed = int(scenario.seed if seed is None else seed)
        scn = scenario.copy_with()
        key = self._cache_key(scn, seed)
        if self._pristine is not None and self._pristine[0] == key:
            # same tile, same equilibration: reuse it (identical numbers, no spin-up wait)
            sim = copy.deepcopy(self._pristine[1])
            sim.scenario = scn
            sim.schedule = Schedule(scn.events)
        else:
            self._pristine = None
            spin = scn.parameter_set()["spinup_days"]
            tiles = self._tiles()
            kept = tiles.path_for(scn, seed)
            if kept is not None and kept.exists():
                self._emit("busy", "Opening the equilibrated marrow tile\u2026")
            else:
                self._emit("busy", f"Preparing the marrow tile (equilibrating {spin:g} days)\u2026")

            def progress(fraction: float) -> None:
                self._emit("busy", f"Preparing the marrow tile: equilibrating, day {round(fraction * spin):g} "
                                   f"of {spin:g}\u2026")
            try:
                sim, _ = tiles.simulation(scn, seed, spinup_progress=progress)
            except BaseException:
                self._sim = None          # no half-built or stale run to play
                self._world = None
                raise
            finally:
                self._emit("busy", "")
            self._pristine = (key, copy.deepcopy(sim))
        self._sim = sim
        self._failed = False
        self._generation += 1
        p = sim.params
        self._world = WorldInfo(
            generation=self._generation, scenario=scn, seed=sim.seed, size=np.array(sim.size, float),
            vessel_p0=np.array(sim.vessels.p0, float), vessel_p1=np.array(sim.vessels.p1, float),
            vessel_radius=np.array(sim.vessels.radius, float), species=sim.species, genotype=sim.genotype,
            columns=tuple(sim.observables.columns), units=dict(sim.observables.units),
            normal_range=(float(p["platelet_normal_low"]), float(p["platelet_normal_high"])),
            dt_hours=float(sim.dt), field_voxel_um=float(sim.field.h),
            field_shape=tuple(int(s) for s in sim.field.values.shape), ticket=int(ticket),
            baselines={k: float(p[k]) for k in ("platelet_baseline", "tpo_baseline_pg_ml")})
        self._published_rows = 0
        self._schedule_version += 1
        self._rate.clear()
        with self._lock:
            self._rows = []
            self._replay = []
            self._rows_generation = self._generation
            self._frame = None
        self._replay_rows = 0
        self._store_replay()
        self._emit("built", self._world)
        self._dirty = True
        self._publish(force=True)

    def _apply(self, cmd: Apply) -> None:
        sim = self._sim
        if sim is None or self._failed:
            self._emit("applied", cmd.token, None, ("no simulation is running", None, None))
            return
        try:
            result = sim.apply(cmd.command)
        except InputError as exc:        # refused: nothing changed; the GUI asks what to do
            self._emit("applied", cmd.token, self._schedule_state(), (str(exc), exc.field, exc.expected))
            return
        self._schedule_version += 1
        self._dirty = True
        self._emit("applied", cmd.token, self._schedule_state(result), None)
        self._publish(force=True)

    def _schedule_state(self, result=None) -> ScheduleState:
        sim = self._sim
        return ScheduleState(generation=self._generation, day=float(sim.day),
                             items=tuple(sim.schedule.items(sim.time_hours)),
                             planned=tuple(sim.schedule.planned_events()),
                             edit_log=tuple(sim.schedule.edit_log), result=result)

    # ------------------------------------------------------------------ outputs
    def _store_replay(self) -> None:
        """After a step: when it recorded a row of observables, keep a compact frame for replay."""
        n = len(self._sim.observables)
        if n <= self._replay_rows:
            return
        self._replay_rows = n
        frame = replay_frame(self._sim.snapshot())
        with self._lock:
            self._replay.append(frame)

    def _steps_per_second(self) -> float:
        if len(self._rate) < 2:
            return 0.0
        now = time.perf_counter()
        while len(self._rate) > 2 and now - self._rate[0][0] > 2.0:
            self._rate.popleft()
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def _publish(self, force: bool = False) -> None:
        if self._sim is None or not self._dirty:
            return
        now = time.perf_counter()
        if not force and self._running and now - self._last_publish < self.publish_interval:
            return
        sim = self._sim
        snap = sim.snapshot(include_field=self._want_field)
        obs = sim.observables
        rows = [list(r) for r in obs.since(self._published_rows)]
        self._published_rows += len(rows)
        live = sim.schedule.planned_events()
        markers = [(e.start_day, e.start_day if e.instant else e.start_day + e.duration_days, e.summary())
                   for e in live]
        frame = Frame(generation=self._generation, world=self._world, snapshot=snap, day=sim.day,
                      step=sim.steps_done, running=self._running, steps_per_second=self._steps_per_second(),
                      schedule_version=self._schedule_version, markers=markers, events=live,
                      failed=self._failed, schedule=self._schedule_state())
        with self._lock:
            self._frame = frame
            if self._rows_generation == self._generation:
                self._rows.extend(rows)
        self._last_publish = now
        self._dirty = False

    def _fail(self, title: str, exc: BaseException) -> None:
        self._until = self._stop_at = None
        self._set_running(False)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        if isinstance(exc, InputError):
            message = str(exc)
        else:
            log.error("engine error: %s", details)
            self._failed = self._sim is not None
            message = (f"{type(exc).__name__}: {exc}\n\nThe run is stopped. Press Reset to start again "
                       "(details are in the log file).")
        self._dirty = True
        try:
            self._publish(force=True)
        except Exception:  # noqa: BLE001 - the error below is what matters
            log.exception("could not publish the state after an error")
            self._dirty = False       # do not retry (and re-report) on every loop
        self._emit("error", title, message, details)


def _plain(value):
    """numpy scalars -> Python (for display and signals)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value
