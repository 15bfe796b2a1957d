"""The schedule of a run: every treatment, perturbation and infusion, each with an id.

A run's schedule starts as its scenario's events; commands (:mod:`engine.commands`) add, edit and
remove events while it runs. The schedule always describes one scenario -- the edited one that a
reset would run from day 0 -- and the run follows it from now on:

* an event that has not started yet can be changed in any way, or removed;
* a continuous treatment that is running keeps its start; a new dose or duration applies from now
  on (the part already given stays as it was run); removing it ends it now;
* an instant event already given, or a treatment already over, cannot change in this run: such an
  edit is refused (reset the run to apply it from day 0);
* an event that would start before now is refused, unless the command asks for it to start now.

Every change made during a run is written to :attr:`Schedule.edit_log`, which the run's metadata
carries.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .errors import InputError
from .scenario import Event
from .systemic import LEVEL_KINDS

Past = Literal["refuse", "start_now"]
Status = Literal["planned", "running", "given", "over"]

_EPS = 1e-9


@dataclass(frozen=True)
class ScheduledEvent:
    id: int
    event: Event
    status: Status


class Schedule:
    def __init__(self, events: list[Event] = ()):
        self._events: dict[int, Event] = {}
        self._given: set[int] = set()
        self._next_id = 1
        self.edit_log: list[str] = []
        for e in events:
            self._insert(e.model_copy())

    # ------------------------------------------------------------------ reading
    @property
    def events(self) -> list[Event]:
        """The events in the order they were scheduled (the run's own copies: do not change them)."""
        return list(self._events.values())

    def planned_events(self) -> list[Event]:
        """Copies of the events: the edited scenario's events, as a reset would run them."""
        return [e.model_copy() for e in self._events.values()]

    def status(self, event_id: int, now_hours: float) -> Status:
        e = self._get(event_id)
        start = e.start_day * 24.0
        if e.instant:
            return "given" if event_id in self._given else "planned"
        if now_hours < start - _EPS:
            return "planned"
        if now_hours < start + e.duration_days * 24.0 - _EPS:
            return "running"
        return "over"

    def items(self, now_hours: float) -> list[ScheduledEvent]:
        return [ScheduledEvent(i, e.model_copy(), self.status(i, now_hours)) for i, e in self._events.items()]

    def targets(self, t_hours: float) -> dict[str, float]:
        """Sum of doses of the continuous events active at t (keys: LEVEL_KINDS)."""
        out = {k: 0.0 for k in LEVEL_KINDS}
        for e in self._events.values():
            if e.kind in out:
                start = e.start_day * 24.0
                if start <= t_hours < start + e.duration_days * 24.0:
                    out[e.kind] += float(e.dose)
        return out

    def due(self, t_hours: float, dt: float) -> list[Event]:
        """Instant events whose time falls in [t, t + dt) and that have not been given yet; they
        count as given from now on."""
        fired = []
        for i, e in self._events.items():
            if not e.instant or i in self._given:
                continue
            if e.start_day * 24.0 < t_hours + dt - _EPS:
                self._given.add(i)
                fired.append(e)
        return fired

    def markers(self) -> list[tuple[float, float, str]]:
        """(start day, end day, label) of every event, for plot markers."""
        out = []
        for e in self._events.values():
            end = e.start_day if e.instant else e.start_day + e.duration_days
            out.append((e.start_day, end, e.summary()))
        return out

    # ------------------------------------------------------------------ changing
    def add(self, event: Event, now_hours: float = 0.0, past: Past = "refuse") -> int:
        """Schedule a copy of ``event``; returns its id."""
        ev = self._not_in_past(event.model_copy(), now_hours, past)
        i = self._insert(ev)
        if now_hours > 0:
            self._log(now_hours, f"added #{i}: {ev.summary()}")
        return i

    def edit(self, event_id: int, event: Event, now_hours: float, past: Past = "refuse") -> None:
        """Replace event ``event_id`` by ``event`` (see the module's rules)."""
        old = self._get(event_id)
        new = event.model_copy()
        status = self.status(event_id, now_hours)
        if status in ("given", "over"):
            self._refuse_done(old, status)
        if status == "running":
            if new.kind != old.kind:
                raise InputError(f"{old.label} has been running since day {old.start_day:g}: its kind cannot "
                                 "change in this run (reset the run to change it from day 0)", field="kind")
            if abs(new.start_day - old.start_day) > _EPS:
                raise InputError(f"{old.label} started on day {old.start_day:g}: its start cannot move in this run "
                                 "(reset the run to change it from day 0)", field="start_day",
                                 found=new.start_day)
            end = new.start_day * 24.0 + new.duration_days * 24.0
            if end < now_hours - _EPS:
                if past == "refuse":
                    raise InputError(f"{old.label} would have ended before now (day {now_hours / 24.0:g})",
                                     field="duration_days", found=new.duration_days)
                new.duration_days = (now_hours - new.start_day * 24.0) / 24.0
        else:
            new = self._not_in_past(new, now_hours, past)
        self._events[event_id] = new
        self._log(now_hours, f"edited #{event_id}: {old.summary()} -> {new.summary()}")

    def remove(self, event_id: int, now_hours: float) -> None:
        """Withdraw event ``event_id``: one not started yet disappears; a running treatment ends now."""
        old = self._get(event_id)
        status = self.status(event_id, now_hours)
        if status in ("given", "over"):
            self._refuse_done(old, status)
        if status == "running":
            old.duration_days = (now_hours - old.start_day * 24.0) / 24.0
            self._log(now_hours, f"ended #{event_id} now: {old.summary()}")
        else:
            del self._events[event_id]
            self._given.discard(event_id)
            self._log(now_hours, f"removed #{event_id}: {old.summary()}")

    def cancel(self, event: Event, now_hours: float) -> bool:
        """Withdraw the scheduled event object ``event`` (as :meth:`remove`); False when there is
        nothing left to undo (an instant event already given, a treatment already over)."""
        for i, e in self._events.items():
            if e is event:
                if self.status(i, now_hours) in ("given", "over"):
                    return False
                self.remove(i, now_hours)
                return True
        raise ValueError("event is not in this schedule")

    # ------------------------------------------------------------------ helpers
    def _insert(self, event: Event) -> int:
        i = self._next_id
        self._next_id += 1
        self._events[i] = event
        return i

    def _get(self, event_id: int) -> Event:
        try:
            return self._events[int(event_id)]
        except (KeyError, TypeError, ValueError):
            raise InputError("no such event in the schedule", field="event_id", found=event_id) from None

    @staticmethod
    def _not_in_past(ev: Event, now_hours: float, past: Past) -> Event:
        if ev.start_day * 24.0 < now_hours - _EPS:
            if past == "refuse":
                raise InputError(f"{ev.label} would start on day {ev.start_day:g}, before now "
                                 f"(day {now_hours / 24.0:g}); start it now or reset the run",
                                 field="start_day", expected=f">= {now_hours / 24.0:g}", found=ev.start_day)
            ev.start_day = now_hours / 24.0
        return ev

    @staticmethod
    def _refuse_done(ev: Event, status: str) -> None:
        when = (f"was given on day {ev.start_day:g}" if status == "given"
                else f"ended on day {ev.start_day + ev.duration_days:g}")
        raise InputError(f"{ev.label} {when}: it cannot change in this run (reset the run to apply the "
                         "change from day 0)", field="event")

    def _log(self, now_hours: float, text: str) -> None:
        self.edit_log.append(f"day {now_hours / 24.0:.2f}: {text}")
