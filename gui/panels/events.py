"""Treatments and perturbations: one row per kind with dose, start day and duration.

A ticked row shows one event of the run's schedule (by its id: the latest of
its kind, unless another was picked in the schedule list) and its status
(planned, running, given, over). Editing the row edits that event: the panel
emits ``changed(kind, event id or None, event or None)`` and the controller
decides what reaches the run (see controller.edit_event). Other events of the
same kind are listed below the rows.
"""
from __future__ import annotations

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QGridLayout, QGroupBox, QLabel, QSizePolicy, QVBoxLayout,
                               QWidget)

from engine import EVENT_KINDS, Event
from engine.scenario import PERTURBATIONS, TREATMENTS

from ..texts import DOSE_TIP, DURATION_TIP, EVENT_TIPS, INSTANT_TIP, START_TIP

#: how a dose unit is shown in the dose box: (suffix, factor from the event's dose to the shown number,
#: decimals, step). 5-FU is shown in mg/kg (the event stores multiples of 150 mg/kg).
DOSE_DISPLAY = {"x standard dose": (" \u00d7 std", 1.0, 2, 0.25), "x standard co-infusion": (" \u00d7 std", 1.0, 2, 0.25),
                "x 150 mg/kg": (" mg/kg", 150.0, 0, 25.0), "Gy": (" Gy", 1.0, 1, 0.5),
                "donor dose units": (" \u00d7", 1.0, 1, 0.5)}
DEFAULT_DURATION = 14.0


def dose_step(maximum: float) -> float:
    return 0.5 if maximum >= 20 else 0.25


#: a status as a small mark after the row (the schedule list above spells it out)
STATUS_TEXT = {"planned": "\u25cb", "running": "\u25b6", "given": "\u2713", "over": "\u2713"}
STATUS_TIPS = {"planned": "Planned, not started yet: any change applies as shown.",
               "running": "Running, being given now: a new dose or duration applies from now on; its start cannot move "
                          "in this run.",
               "given": "Given already in this run: a change needs a reset (you will be asked).",
               "over": "Over already in this run: a change needs a reset (you will be asked)."}


def ceil_tenth(day: float) -> float:
    """``day`` rounded up to a tenth of a day (a start that is not in the past)."""
    import math

    return math.ceil(day * 10.0 - 1e-6) / 10.0


class EventRow(QObject):
    """Widgets for one event kind, placed in a grid row."""

    changed = Signal(str, object, object)     # kind, event id | None, Event | None

    def __init__(self, kind: str, grid: QGridLayout, row: int, parent=None):
        super().__init__(parent)
        self.kind = kind
        label, default, maximum, unit, instant = EVENT_KINDS[kind]
        self.instant = instant
        self.check = QCheckBox(label)
        self.check.setToolTip(EVENT_TIPS.get(kind, label))
        suffix, self.scale, decimals, step = DOSE_DISPLAY.get(unit, (" " + unit, 1.0, 2, dose_step(maximum)))
        self.dose = QDoubleSpinBox()
        self.dose.setRange(0.0, maximum * self.scale)
        self.dose.setDecimals(decimals)
        self.dose.setSingleStep(step)
        self.dose.setValue(default * self.scale)
        self.dose.setSuffix(suffix)
        self.dose.setToolTip(DOSE_TIP.format(unit=unit) + "\n\n" + EVENT_TIPS.get(kind, ""))
        self.start = QDoubleSpinBox()
        self.start.setRange(0.0, 3650.0)
        self.start.setDecimals(1)
        self.start.setSingleStep(1.0)
        self.start.setToolTip(START_TIP)
        self.duration = QDoubleSpinBox()
        self.duration.setRange(0.5, 3650.0)
        self.duration.setDecimals(1)
        self.duration.setValue(DEFAULT_DURATION)
        self.duration.setToolTip(DURATION_TIP)
        for w, width in ((self.dose, 92), (self.start, 50), (self.duration, 50)):
            w.setMinimumWidth(width)          # narrower than Qt's guess (room for 4 digits and the unit)
            w.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        self.once = QLabel("once")
        self.once.setToolTip(INSTANT_TIP)
        self.once.setAlignment(Qt.AlignCenter)
        self.status = QLabel("")
        self.status.setStyleSheet("color: #555;")
        self.status.setFixedWidth(14)
        #: the scheduled event this row shows (None: not scheduled, or not yet known to the engine)
        self.event_id: int | None = None
        #: the run's current day (a row ticked during a run starts now, not in the past)
        self.now = 0.0
        for w in (self.dose, self.start, self.duration):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._on_value)
        self.check.toggled.connect(self._on_check)
        grid.addWidget(self.check, row, 0)
        grid.addWidget(self.dose, row, 1)
        grid.addWidget(self.start, row, 2)
        grid.addWidget(self.once if instant else self.duration, row, 3)
        grid.addWidget(self.status, row, 4)
        self.duration.setVisible(not instant)
        self.once.setVisible(instant)
        self._sync_enabled()

    def current_event(self) -> Event | None:
        """The event this row describes (None when unticked)."""
        if not self.check.isChecked():
            return None
        return Event(kind=self.kind, start_day=float(self.start.value()),
                     duration_days=float(self.duration.value()) if not self.instant else 0.0,
                     dose=float(self.dose.value()) / self.scale)

    def set_event(self, ev: Event | None, event_id: int | None = None, status: str = "") -> None:
        """Show ``ev`` (scheduled as ``event_id``, with its status) without emitting."""
        self.event_id = event_id if ev is not None else None
        self.status.setText(STATUS_TEXT.get(status, ""))
        self.status.setToolTip(STATUS_TIPS.get(status, ""))
        widgets = (self.check, self.dose, self.start, self.duration)
        for w in widgets:
            w.blockSignals(True)
        self.check.setChecked(ev is not None)
        if ev is not None:
            self.dose.setValue(float(ev.dose) * self.scale)
            self.start.setValue(float(ev.start_day))
            if not self.instant:
                self.duration.setValue(max(0.5, float(ev.duration_days)))
        for w in widgets:
            w.blockSignals(False)
        self._sync_enabled()

    def _sync_enabled(self) -> None:
        on = self.check.isChecked()
        for w in (self.dose, self.start, self.duration, self.once):
            w.setEnabled(on)

    def _on_check(self, on: bool) -> None:
        if on and self.start.value() < self.now:
            self.start.blockSignals(True)
            self.start.setValue(ceil_tenth(self.now))      # ticked during a run: from now on
            self.start.blockSignals(False)
        self._sync_enabled()
        self.changed.emit(self.kind, self.event_id, self.current_event())

    def _on_value(self, _v) -> None:
        if self.check.isChecked():
            self.changed.emit(self.kind, self.event_id, self.current_event())


class EventPanel(QWidget):
    """A group of event rows (treatments or perturbations) with a short explanation."""

    changed = Signal(str, object, object)       # kind, event id | None, Event | None

    def __init__(self, title: str, kinds, note: str, parent=None):
        super().__init__(parent)
        box = QGroupBox(title)
        self.box = box
        self.title = title
        grid = QGridLayout(box)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(4)
        for col, (text, tip) in enumerate([("", ""), ("Dose", "Dose, with its unit (\u00d7 std: multiples of the "
                                                            "standard dose of the source experiments)."),
                                           ("Start day", START_TIP), ("For days", DURATION_TIP),
                                           ("", "Status in this run")]):
            h = QLabel(f"<b>{text}</b>")
            h.setToolTip(tip)
            grid.addWidget(h, 0, col)
        self.rows: dict[str, EventRow] = {}
        for i, kind in enumerate(kinds):
            r = EventRow(kind, grid, i + 1, self)
            r.changed.connect(self.changed)
            self.rows[kind] = r
        grid.setColumnStretch(0, 3)
        for col, stretch in ((1, 3), (2, 2), (3, 2)):
            grid.setColumnStretch(col, stretch)
        self.note = QLabel(note)
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #555;")
        self.extra = QLabel("")
        self.extra.setWordWrap(True)
        self.extra.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(box)
        lay.addWidget(self.note)
        lay.addWidget(self.extra)
        lay.addStretch(1)

    def show_events(self, model) -> None:
        """Rows show the document's last event of each kind (before the run's schedule is known)."""
        earlier = []
        for kind, row in self.rows.items():
            evs = model.events_of(kind)
            row.set_event(evs[-1] if evs else None)
            earlier += evs[:-1]
        self._show_others([(None, e, "") for e in earlier])

    def show_schedule(self, items, now: float, chosen: dict[str, int] | None = None) -> None:
        """Rows show the run's scheduled events (engine ScheduledEvent: id, event, status): per kind the
        one ``chosen`` for it, else the latest. Other events of a kind are listed below the rows."""
        chosen = chosen or {}
        others = []
        for kind, row in self.rows.items():
            row.now = now
            mine = [it for it in items if it.event.kind == kind]
            pick = next((it for it in mine if it.id == chosen.get(kind, row.event_id)), None)
            if pick is None and mine:
                pick = max(mine, key=lambda it: (it.event.start_day, it.id))
            row.set_event(pick.event if pick else None, pick.id if pick else None, pick.status if pick else "")
            others += [(it.id, it.event, it.status) for it in mine if it is not pick]
        self._show_others(others)

    def set_now(self, day: float) -> None:
        """The run's current day (a row ticked during a run starts then)."""
        for row in self.rows.values():
            row.now = float(day)

    def _show_others(self, others) -> None:
        if others:
            parts = [e.summary() + (f" ({status})" if status else "") for _i, e, status in others]
            self.extra.setText("Also scheduled: " + "; ".join(parts))
        else:
            self.extra.setText("")

    def active_count(self) -> int:
        return sum(1 for r in self.rows.values() if r.check.isChecked())


def treatments_panel(parent=None) -> EventPanel:
    return EventPanel("Treatments", TREATMENTS,
                      "Tick a treatment to give it; hover over a name for the biology. Doses are multiples "
                      "of the standard dose of the source experiments. During a run a change applies from "
                      "now on; a change to what was already given asks first.", parent)


def perturbations_panel(parent=None) -> EventPanel:
    return EventPanel("Perturbations", PERTURBATIONS,
                      "Myelosuppression (5-FU), conditioning (irradiation) and blocks of the vascular niche "
                      "or of megakaryocyte motility. During a run a change applies from now on; a change to "
                      "what was already given asks first.",
                      parent)
