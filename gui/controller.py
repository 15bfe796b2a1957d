"""The run controller: engine worker + scenario model, no widgets.

It turns user intentions (play, step, reset, edit a treatment) into worker
commands, and the worker's output into Qt signals that views connect to. The
render timer lives here: at ~30 Hz it takes the latest frame (never waiting on
the engine) and emits it. Other panels (lessons, run comparison, ensembles)
can connect to the same signals without touching the viewport or the plots.
"""
from __future__ import annotations

import itertools
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

from engine import Event, Scenario

from . import engine_worker as W
from .scenario_model import RESET_FIELDS, ScenarioModel
from .thread_relay import ThreadRelay

log = logging.getLogger("nichelab.gui")

#: speed presets shown in the run controls: (label, simulated hours per second or None = max)
SPEEDS = [("1 h/s", 1.0), ("6 h/s", 6.0), ("12 h/s", 12.0), ("1 day/s", 24.0), ("2 days/s", 48.0),
          ("5 days/s", 120.0), ("Max", None)]
DEFAULT_SPEED = 24.0


class RunController(QObject):
    world_changed = Signal(object)       # WorldInfo: a new run (generation) began
    frame_ready = Signal(object)         # Frame: newest state, at most once per render tick
    rows_ready = Signal(list)            # observable rows since the last tick (current generation)
    replay_ready = Signal(list)          # ViewFrames stored for replay since the last tick (current generation)
    running_changed = Signal(bool)
    busy_changed = Signal(str)
    error = Signal(str, str, str)        # title, message, details
    inspected = Signal(dict)
    reached = Signal(float)
    reset_pending_changed = Signal(bool)  # panels hold settings the running simulation does not have
    status_message = Signal(str)

    def __init__(self, model: ScenarioModel, render_hz: float = 30.0, parent=None):
        super().__init__(parent)
        self.model = model
        self.worker = W.EngineWorker()
        self._tokens = itertools.count(1)
        self._requests: dict[int, object] = {}
        self.world: W.WorldInfo | None = None
        self.frame: W.Frame | None = None
        self.running = False
        self.busy = ""
        self.speed: float | None = DEFAULT_SPEED
        self._reset_pending = False
        self._ticket = 0           # id of the latest Load; frames of older runs are ignored
        self._polling = False
        self._fps_times: list[float] = []
        #: calls from study threads (ensembles, sweeps) to the GUI thread, run on every render tick
        self.relay = ThreadRelay()
        self._studies: list = []
        sig = self.worker.signals
        sig.built.connect(self._on_built)
        sig.busy.connect(self._on_busy)
        sig.error.connect(self.error)
        sig.running_changed.connect(self._on_running)
        sig.reached.connect(self.reached)
        sig.inspected.connect(self._on_inspected)
        sig.rescheduled.connect(self._on_rescheduled)
        sig.replied.connect(self._on_replied)
        model.field_changed.connect(self._on_field_changed)
        model.event_changed.connect(self._on_event_changed)
        model.loaded.connect(lambda _s: self.reset())
        self.timer = QTimer(self)
        self.timer.setInterval(max(1, int(round(1000.0 / render_hz))))
        self.timer.timeout.connect(self.poll)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        self.worker.start()
        self.worker.post(W.SetSpeed(self.speed))
        self.timer.start()

    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop the render timer, cancel running studies and join the engine thread."""
        self.timer.stop()
        self.cancel_studies(timeout)
        return self.worker.stop(timeout)

    # ------------------------------------------------------------------ studies
    def track_study(self, job) -> None:
        """Remember a running study (studies.parallel.StudyJob) so that shutdown cancels it."""
        self._studies = [j for j in self._studies if not j.done()]
        self._studies.append(job)

    def running_studies(self) -> list:
        self._studies = [j for j in self._studies if not j.done()]
        return list(self._studies)

    def cancel_studies(self, timeout: float = 5.0) -> bool:
        """Cancel every running study and wait up to ``timeout`` s for them to end; True if they did."""
        jobs = self.running_studies()
        for job in jobs:
            job.cancel()
        deadline = time.perf_counter() + timeout
        for job in jobs:
            try:
                job.result(timeout=max(0.0, deadline - time.perf_counter()))
            except TimeoutError:
                log.warning("a study did not stop within %.1f s", timeout)
            except Exception:  # noqa: BLE001 - its error no longer matters
                pass
        return all(j.done() for j in jobs)

    # ------------------------------------------------------------------ run control
    @property
    def day(self) -> float:
        return self.frame.day if self.frame is not None else 0.0

    @property
    def started(self) -> bool:
        """The current run has advanced beyond day 0 (False while a reset is pending)."""
        return (self.frame is not None and self.frame.day > 0.0
                and self.frame.world.ticket >= self._ticket)

    @property
    def ready(self) -> bool:
        return self.world is not None and not self.busy

    def play(self, until_day: float | None = None) -> None:
        """Run at the set speed; stop at ``until_day`` (default: the scenario's last day), if not
        already past it."""
        end = float(self.model.scenario.days) if until_day is None else float(until_day)
        self.worker.post(W.Play(until_day=end))

    @property
    def ticket(self) -> int:
        """Id of the newest Load (WorldInfo.ticket of the run it starts)."""
        return self._ticket

    def run_free(self) -> None:
        """Run at the set speed with no end (benchmarks, long explorations)."""
        self.worker.post(W.Play(until_day=None))

    def pause(self) -> None:
        self.worker.post(W.Pause())

    def toggle(self) -> None:
        self.pause() if self.running else self.play()

    def step(self, n: int = 1) -> None:
        self.worker.post(W.Step(n))

    def run_until(self, day: float) -> None:
        self.worker.post(W.RunUntil(day))

    def reset(self) -> None:
        """Start again from day 0 with the model's scenario (its seed)."""
        self._ticket += 1
        self.worker.post(W.Load(self.model.snapshot(), ticket=self._ticket))
        self.frame = None          # edits from now on go into the new run's scenario
        self._set_reset_pending(False)

    def set_speed(self, hours_per_second: float | None) -> None:
        self.speed = hours_per_second
        self.worker.post(W.SetSpeed(hours_per_second))

    def apply(self, command) -> None:
        """Send an engine command (AddEvent, SetParameter) to the running simulation."""
        self.worker.post(W.Apply(command))

    def inspect(self, slot: int) -> None:
        self.worker.post(W.Inspect(int(slot)))

    def want_field(self, enabled: bool) -> None:
        self.worker.post(W.WantField(enabled))

    def query(self, what: str, callback, **options) -> None:
        """Ask the engine thread for ``what`` (a name in engine_worker.QUERIES: "run_record", "csv",
        "metadata"); ``callback(result, error)`` runs on the GUI thread."""
        if what not in W.QUERIES:
            raise KeyError(f"unknown query {what!r}")
        token = next(self._tokens)
        self._requests[token] = callback
        self.worker.post(W.Query(what, token, dict(options)))

    # ------------------------------------------------------------------ render tick
    def poll(self) -> bool:
        """Deliver the worker's notifications, take its newest frame and publish it (GUI thread;
        never blocks). Not re-entered from a nested event loop (e.g. an error dialog)."""
        self.relay.pump()
        if self._polling:
            return False
        self._polling = True
        try:
            self.worker.pump()
            return self._take_frame()
        finally:
            self._polling = False

    def _take_frame(self) -> bool:
        frame, rows, gen = self.worker.take()
        if frame is None or frame.world.ticket < self._ticket:
            return False
        if self.world is None or frame.world.generation != self.world.generation:
            self.world = frame.world
            self.world_changed.emit(frame.world)
        if rows and gen == self.world.generation:
            self.rows_ready.emit(rows)
        stored, sgen = self.worker.take_replay()
        if stored and sgen == self.world.generation:
            self.replay_ready.emit(stored)
        if frame is self.frame:
            return False
        self.frame = frame
        now = time.perf_counter()
        self._fps_times.append(now)
        self._fps_times = [t for t in self._fps_times if now - t <= 2.0]
        self.frame_ready.emit(frame)
        return True

    def frames_per_second(self) -> float:
        """Rate at which new frames reached the view (last 2 s)."""
        t = self._fps_times
        if len(t) < 2 or time.perf_counter() - t[-1] > 1.0:
            return 0.0
        return (len(t) - 1) / (t[-1] - t[0]) if t[-1] > t[0] else 0.0

    # ------------------------------------------------------------------ model edits
    @property
    def reset_pending(self) -> bool:
        return self._reset_pending

    def _set_reset_pending(self, pending: bool) -> None:
        if pending != self._reset_pending:
            self._reset_pending = pending
            self.reset_pending_changed.emit(pending)

    def _on_field_changed(self, name: str, value) -> None:
        if name not in RESET_FIELDS:
            return
        if self.started:
            self._set_reset_pending(True)
            self.status_message.emit(f"The new {name} applies when you press Reset.")
        else:
            self.reset()

    def _on_event_changed(self, old: Event | None, new: Event | None) -> None:
        if self.started:
            self.worker.post(W.ReplaceEvent(old, new, token=(old, new)))
        else:
            self.reset()   # day 0: rebuild (the equilibrated tile is reused, so this is instant)

    def _on_rescheduled(self, token, old, old_actual, new_actual, now: float) -> None:
        _, new = token
        self.model.sync_event(old, old_actual, new, new_actual)
        if new_actual is not None:
            self.status_message.emit(f"Scheduled {new_actual.summary()} (from day {now:.1f}).")
        elif old is not None:
            self.status_message.emit(f"Stopped {old.label} on day {now:.1f}.")

    # ------------------------------------------------------------------ worker replies
    def _on_built(self, world: W.WorldInfo) -> None:
        log.info("simulation ready: %s (seed %d)", world.scenario.name, world.seed)

    def _on_busy(self, message: str) -> None:
        self.busy = message
        self.busy_changed.emit(message)

    def _on_running(self, running: int) -> None:
        running = bool(running)
        self.running = running
        self.running_changed.emit(running)

    def _on_inspected(self, generation: int, info: dict) -> None:
        if self.world is not None and generation == self.world.generation:
            self.inspected.emit(info)

    def _on_replied(self, token, result, error) -> None:
        cb = self._requests.pop(token, None)
        if cb is not None:
            cb(result, error)

    def load_scenario(self, scenario: Scenario, path=None, builtin_id: str | None = None) -> None:
        """Make ``scenario`` the document and start a fresh run of it."""
        self.model.load(scenario, path=path, builtin_id=builtin_id)
