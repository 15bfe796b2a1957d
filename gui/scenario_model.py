"""The scenario being edited: the document behind the panels.

Widgets never write to the engine or the visuals; they tell the controller what they want, and the
controller edits this document (before a run has started) or sends commands to the running
simulation and copies its schedule back here (``set_events``): the document's events are always the
edited scenario that Reset runs from day 0 and that Save writes.

Once the content changes (species, genotype, treatments, parameters), a built-in scenario's name and
description no longer fit: the name becomes a summary of what the scenario now holds ("Thpo−/−
mouse · SDF-1") and the description says what it was edited from (``origin``).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Signal

from engine import GENOTYPES, Event, Scenario

#: fields the panels edit directly
SCALAR_FIELDS = ("species", "genotype", "days", "seed")
#: fields that shape the equilibrated tile (a running simulation needs a reset)
RESET_FIELDS = ("species", "genotype", "seed")
#: fields whose change makes a scenario's name and description stale
CONTENT_FIELDS = ("species", "genotype")

GENOTYPE_SHORT = {"wt": "Wild-type", "thpo_ko": "Thpo\u2212/\u2212", "mpl_ko": "Mpl\u2212/\u2212"}


def auto_name(scn: Scenario) -> str:
    """A name that says what the scenario holds: genotype, species and its events."""
    head = f"{GENOTYPE_SHORT.get(scn.genotype, scn.genotype)} {scn.species}"
    labels = []
    for e in sorted(scn.events, key=lambda e: e.start_day):
        label = e.label + (" + MSCs" if e.msc_coinfusion else "")
        if label not in labels:
            labels.append(label)
    if not labels:
        return f"{head}, untreated"
    return f"{head} \u00b7 " + ", ".join(labels)


class ScenarioModel(QObject):
    #: a new document was loaded (panels refresh everything)
    loaded = Signal(object)
    #: a scalar field changed: (name, value)
    field_changed = Signal(str, object)
    #: the event list changed: (old event or None, new event or None) for a single edit, (None, None)
    #: when the whole list was replaced
    event_changed = Signal(object, object)
    #: the parameter overrides changed
    parameters_changed = Signal()
    #: the name or description changed (an edit made them stale)
    texts_changed = Signal()
    dirty_changed = Signal(bool)
    path_changed = Signal(object)

    def __init__(self, scenario: Scenario | None = None, parent=None):
        super().__init__(parent)
        self._scn = (scenario or Scenario()).copy_with()
        self._dirty = False
        self._path: Path | None = None
        self.builtin_id: str | None = None
        #: name of the scenario as loaded (None until an edit renamed it)
        self.origin: str | None = None
        self._auto_named = False

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

    @property
    def edited(self) -> bool:
        """The content differs from the scenario as loaded (its name was made from its content)."""
        return self.origin is not None

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
        self.origin = None
        self._auto_named = False
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
        if name in CONTENT_FIELDS:
            self._content_changed()
        self.field_changed.emit(name, value)

    def set_events(self, events: list[Event]) -> bool:
        """Replace the event list (the edited scenario's events); True if it changed."""
        new = [e.model_copy() for e in events]
        if _keys(new) == _keys(self._scn.events):
            return False
        self._scn.events = new
        self._set_dirty(True)
        self._content_changed()
        self.event_changed.emit(None, None)
        return True

    def add_event(self, event: Event) -> None:
        self._scn.events = [*self._scn.events, event.model_copy()]
        self._set_dirty(True)
        self._content_changed()
        self.event_changed.emit(None, event)

    def replace_event(self, index: int, event: Event | None) -> None:
        """Replace the event at ``index`` (None: remove it)."""
        events = list(self._scn.events)
        old = events[index]
        if event is None:
            del events[index]
        elif old == event:
            return
        else:
            events[index] = event.model_copy()
        self._scn.events = events
        self._set_dirty(True)
        self._content_changed()
        self.event_changed.emit(old, event)

    def set_parameter(self, name: str, value: float | None) -> None:
        """Override a model parameter (None: back to its default)."""
        params = dict(self._scn.parameters)
        if value is None:
            if name not in params:
                return
            del params[name]
        else:
            if params.get(name) == value:
                return
            params[name] = float(value)
        self._scn = self._scn.copy_with(parameters=params)
        self._set_dirty(True)
        self._content_changed()
        self.parameters_changed.emit()

    def set_parameters(self, params: dict[str, float]) -> None:
        if dict(params) == dict(self._scn.parameters):
            return
        self._scn = self._scn.copy_with(parameters=dict(params))
        self._set_dirty(True)
        self._content_changed()
        self.parameters_changed.emit()

    def _content_changed(self) -> None:
        """The scenario no longer is the one its name and description describe: rename a built-in (or
        an already renamed) scenario after its content; a user's own file keeps its name."""
        if self.origin is None:
            self.origin = self._scn.name
            self._auto_named = self.builtin_id is not None
        if not self._auto_named:
            return
        name = auto_name(self._scn)
        desc = f"Edited from the built-in scenario \u201c{self.origin}\u201d."
        if name != self._scn.name or desc != self._scn.description or self._scn.explanation:
            self._scn = self._scn.copy_with(name=name, description=desc, explanation="")
            self.texts_changed.emit()


def _keys(events) -> list[tuple]:
    return [(e.kind, float(e.start_day), float(e.duration_days), float(e.dose), float(e.msc_coinfusion))
            for e in events]


__all__ = ["ScenarioModel", "auto_name", "SCALAR_FIELDS", "RESET_FIELDS", "GENOTYPES"]
