"""The run controller: engine worker + scenario model, no widgets.

It turns user intentions (play, step, reset, edit a treatment) into worker
commands, and the worker's output into Qt signals that views connect to. The
render timer lives here: at ~30 Hz it takes the latest frame (never waiting on
the engine) and emits it. Other panels (lessons, run comparison, ensembles)
can connect to the same signals without touching the viewport or the plots.

Schedule edits (``edit_event``) mean what the panel row shows: before the run
has started they edit the scenario document and rebuild the run (instant: the
equilibrated tile is reused); during a run they become engine commands on the
event's id (AddEvent, EditEvent, RemoveEvent), and the document takes the
engine's schedule back, so Reset runs the edited scenario from day 0. A command
the engine refuses (an event already given, a start in the past) changes
nothing and comes back as ``edit_refused``: the window asks the user to start it
now, to reset with the change, or to cancel (``resolve``).
"""
from __future__ import annotations

import itertools
import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

from dataclasses import dataclass

from engine import AddEvent, EditEvent, Event, RemoveEvent, Scenario, SetParameter

from . import engine_worker as W
from .scenario_model import RESET_FIELDS, ScenarioModel
from .thread_relay import ThreadRelay

log = logging.getLogger("nichelab.gui")

#: speed presets shown in the run controls: (label, simulated hours per second or None = max)
SPEEDS = [("1 h/s", 1.0), ("6 h/s", 6.0), ("12 h/s", 12.0), ("1 day/s", 24.0), ("2 days/s", 48.0),
          ("5 days/s", 120.0), ("Max", None)]
DEFAULT_SPEED = 24.0


@dataclass
class EditRequest:
    """A schedule edit asked for by a panel: ``new`` None removes, ``event_id`` None adds."""
    kind: str
    event_id: int | None
    new: Event | None
    #: filled when the engine refused it
    message: str = ""
    #: the refusal was "starts before now": the edit could start it now instead
    can_start_now: bool = False
    day: float = 0.0
    #: the user asked to keep the current run (for comparison) before a reset
    keep_current: bool = False

    def describe(self) -> str:
        label = self.new.label if self.new is not None else self.kind
        if self.new is None:
            return f"remove {label}"
        if self.event_id is None:
            return f"add {label} on day {self.new.start_day:g}"
        return f"change {label}"

    def reason(self) -> str:
        """The engine's message without its field prefix, as a sentence."""
        import re

        text = re.sub(r"^field '[^']*':\s*", "", self.message.strip())
        return text[:1].upper() + text[1:] if text else ""


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
    schedule_changed = Signal(object)     # engine_worker.ScheduleState: the run's schedule after an edit
    edit_refused = Signal(object)         # EditRequest the engine refused (message filled in)

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
        sig.reached.connect(self._on_reached)
        sig.inspected.connect(self._on_inspected)
        sig.applied.connect(self._on_applied)
        sig.replied.connect(self._on_replied)
        self._edits: dict[int, EditRequest] = {}
        self.schedule: W.ScheduleState | None = None
        model.field_changed.connect(self._on_field_changed)
        model.parameters_changed.connect(self._on_parameters_changed)
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
        """Remember a running study (analysis.runner.StudyJob) so that shutdown cancels it."""
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

    def apply(self, command, callback=None) -> None:
        """Send an engine command (engine.commands) to the running simulation; ``callback(state,
        error)`` gets the schedule afterwards (or the refusal)."""
        token = next(self._tokens)
        if callback is not None:
            self._requests[token] = callback
        self.worker.post(W.Apply(command, token))

    def inspect(self, agent_id: int) -> None:
        self.worker.post(W.Inspect(int(agent_id)))

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
            self.schedule = frame.schedule
            self.world_changed.emit(frame.world)
            if frame.schedule is not None:
                self.schedule_changed.emit(frame.schedule)
        if rows and gen == self.world.generation:
            self.rows_ready.emit(rows)
        stored, sgen = self.worker.take_replay()
        if stored and sgen == self.world.generation:
            self.replay_ready.emit(stored)
        if frame is self.frame:
            return False
        self.frame = frame
        if frame.schedule is not None:
            self.schedule = frame.schedule
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

    def _on_parameters_changed(self) -> None:
        if self.started:
            self._set_reset_pending(True)
            self.status_message.emit("The changed parameters apply when you press Reset.")
        else:
            self.reset()

    # ------------------------------------------------------------------ schedule edits
    def edit_event(self, kind: str, event_id: int | None, new: Event | None) -> None:
        """A panel row's edit: ``new`` replaces event ``event_id`` (None: add ``new``; ``new`` None:
        remove the event)."""
        req = EditRequest(kind, event_id, new, day=self.day)
        if not self.started:
            self._edit_document(req)
            self.reset()   # day 0: rebuild (the equilibrated tile is reused, so this is instant)
            return
        if event_id is None:
            if new is None:
                return
            cmd = AddEvent(new)
        elif new is None:
            cmd = RemoveEvent(int(event_id))
        else:
            cmd = EditEvent(int(event_id), new)
        token = next(self._tokens)
        self._edits[token] = req
        self.worker.post(W.Apply(cmd, token))

    def resolve(self, req: EditRequest, choice: str) -> None:
        """The user's answer to a refused edit: "start_now", "reset" (run the edited scenario from day 0)
        or "cancel" (the panels show the schedule as it is)."""
        if choice == "start_now" and req.new is not None:
            cmd = (AddEvent(req.new, past="start_now") if req.event_id is None
                   else EditEvent(int(req.event_id), req.new, past="start_now"))
            token = next(self._tokens)
            self._edits[token] = EditRequest(req.kind, req.event_id, req.new, day=self.day)
            self.worker.post(W.Apply(cmd, token))
        elif choice == "reset":
            self._edit_document(req)
            self.reset()
            self.status_message.emit("Started again from day 0 with the change.")
        else:
            if self.schedule is not None:
                self.schedule_changed.emit(self.schedule)

    def _edit_document(self, req: EditRequest) -> None:
        """Make the edit in the scenario document (what Reset runs)."""
        m = self.model
        index = self._document_index(req)
        if index is None:
            if req.new is not None:
                m.add_event(req.new)
        else:
            m.replace_event(index, req.new)

    def _document_index(self, req: EditRequest) -> int | None:
        """Where event ``req.event_id`` sits in the document's event list (the run's schedule lists the
        document's events in the same order); None for a new event."""
        events = self.model.scenario.events
        if req.event_id is not None and self.schedule is not None:
            ids = [it.id for it in self.schedule.items]
            if req.event_id in ids:
                i = ids.index(req.event_id)
                if i < len(events) and events[i].kind == req.kind:
                    return i
        if req.event_id is None:
            return None
        same = [i for i, e in enumerate(events) if e.kind == req.kind]
        return same[-1] if same else None

    def _on_applied(self, token, state, error) -> None:
        req = self._edits.pop(token, None)
        cb = self._requests.pop(token, None)
        if state is not None and isinstance(state, W.ScheduleState) and self.world is not None \
                and state.generation == self.world.generation:
            self.schedule = state
            if error is None:
                self.model.set_events(list(state.planned))
            self.schedule_changed.emit(state)
        if cb is not None:
            cb(state, error)
        if req is None:
            return
        if error is not None:
            message, fld, expected = error
            req.message = message
            req.day = state.day if state is not None else self.day
            req.can_start_now = req.new is not None and fld == "start_day" and bool(expected) \
                and str(expected).startswith(">=")
            self.edit_refused.emit(req)
        elif req.new is None:
            self.status_message.emit(f"Removed {req.kind} from the schedule (day {state.day:.1f}).")
        else:
            self.status_message.emit(f"Scheduled {req.new.summary()} (now day {state.day:.1f}).")

    def set_parameter_now(self, name: str, value: float) -> None:
        """Change a parameter of the running simulation from now on (recorded in its edit log)."""
        self.apply(SetParameter(name, float(value)))

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

    def _on_reached(self, day: float) -> None:
        # the worker published the frame of that moment before it said so: take it first, so that
        # receivers see the run (world, frame) that reached the day
        self._take_frame()
        self.reached.emit(day)

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
