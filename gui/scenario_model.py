"""The scenario being edited: the document behind the panels.

Widgets write to this model (never to the engine or the visuals); the
controller listens to it and decides what reaches the running simulation.
Each panel row edits the *last* event of its kind; earlier events of the same
kind (e.g. a treatment that was changed mid-run) stay in the schedule.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine import Event, Scenario

#: fields the panels edit directly
SCALAR_FIELDS = ("species", "genotype", "days", "seed")
#: fields that shape the equilibrated tile (a running simulation needs a reset)
RESET_FIELDS = ("species", "genotype", "seed")


class ScenarioModel(QObject):
    #: a new document was loaded (panels refresh everything)
    loaded = Signal(object)
    #: a scalar field changed: (name, value)
    field_changed = Signal(str, object)
    #: the event list changed: (old event or None, new event or None); old/new are the list's objects
    event_changed = Signal(object, object)
    #: the event list was rewritten to what really happened (panels refresh rows, no engine action)
    events_synced = Signal()
    dirty_changed = Signal(bool)
    path_changed = Signal(object)

    def __init__(self, scenario: Scenario | None = None, parent=None):
        super().__init__(parent)
        self._scn = (scenario or Scenario()).copy_with()
        self._dirty = False
        self._path: Path | None = None
        self.builtin_id: str | None = None

    # ------------------------------------------------------------------ reading
    @property
    def scenario(self) -> Scenario:
        """The current scenario (do not modify it; use the setters)."""
        return self._scn

    def snapshot(self) -> Scenario:
        """An independent copy (for the engine and for saving)."""
        return self._scn.copy_with()

    @property
    def dirty(self) -> bool:
        return self._dirty

    @property
    def path(self) -> Path | None:
        return self._path

    def events_of(self, kind: str) -> list[Event]:
        return [e for e in self._scn.events if e.kind == kind]

    def event_for(self, kind: str) -> Event | None:
        evs = self.events_of(kind)
        return evs[-1] if evs else None

    # ------------------------------------------------------------------ loading / saving
    def load(self, scenario: Scenario, path: str | Path | None = None, builtin_id: str | None = None) -> None:
        self._scn = scenario.copy_with()
        self._path = Path(path) if path else None
        self.builtin_id = builtin_id
        self._set_dirty(False)
        self.loaded.emit(self._scn)
        self.path_changed.emit(self._path)

    def mark_saved(self, path: str | Path) -> None:
        self._path = Path(path)
        self.builtin_id = None
        self._set_dirty(False)
        self.path_changed.emit(self._path)

    def _set_dirty(self, dirty: bool) -> None:
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirty_changed.emit(dirty)

    # ------------------------------------------------------------------ editing
    def set_field(self, name: str, value) -> None:
        if name not in SCALAR_FIELDS:
            raise KeyError(name)
        if getattr(self._scn, name) == value:
            return
        self._scn = self._scn.copy_with(**{name: value})
        self._set_dirty(True)
        self.field_changed.emit(name, value)

    def set_event(self, kind: str, event: Event | None) -> None:
        """Replace the last event of ``kind`` by ``event`` (None: remove it)."""
        old = self.event_for(kind)
        if event is not None and event.kind != kind:
            raise ValueError(f"event kind {event.kind!r} given for row {kind!r}")
        if old is None and event is None:
            return
        if old is not None and event is not None and old == event:
            return
        events = list(self._scn.events)
        new = event.model_copy() if event is not None else None
        if old is not None:
            i = _index_of(events, old)
            if new is None:
                del events[i]
            else:
                events[i] = new
        else:
            events.append(new)
        self._scn.events = events
        self._set_dirty(True)
        self.event_changed.emit(old, new)

    def sync_event(self, old: Event | None, old_actual: Event | None, new: Event | None,
                   new_actual: Event | None) -> None:
        """Record what a mid-run change really did (the old event ended now, the new one starts now).

        ``old`` is an event that was replaced in the list (it is re-inserted before the new one as
        ``old_actual`` when it had already acted), ``new`` the list object to replace by ``new_actual``.
        """
        events = list(self._scn.events)
        if new is not None:
            i = _index_of(events, new, missing_ok=True)
            if i is not None:
                if new_actual is None:
                    del events[i]
                else:
                    events[i] = new_actual
        if old_actual is not None and (old_actual.instant or old_actual.duration_days > 0):
            j = _index_of(events, new_actual, missing_ok=True) if new_actual is not None else None
            events.insert(j if j is not None else len(events), old_actual)
        self._scn.events = events
        self.events_synced.emit()


def _index_of(events: list[Event], ev: Event, missing_ok: bool = False):
    for i, e in enumerate(events):
        if e is ev:
            return i
    for i, e in enumerate(events):
        if e == ev:
            return i
    if missing_ok:
        return None
    raise ValueError("event not in the scenario")
