"""Treatments and perturbations: one row per kind with dose, start day and duration.

A ticked row is an event of the scenario (the last event of that kind); the
rows show what the loaded scenario contains. The panel emits ``changed(kind,
event or None)``; the model and the controller decide what reaches a run.
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


class EventRow(QObject):
    """Widgets for one event kind, placed in a grid row."""

    changed = Signal(str, object)     # kind, Event | None

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
        for w in (self.dose, self.start, self.duration):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._on_value)
        self.check.toggled.connect(self._on_check)
        grid.addWidget(self.check, row, 0)
        grid.addWidget(self.dose, row, 1)
        grid.addWidget(self.start, row, 2)
        grid.addWidget(self.once if instant else self.duration, row, 3)
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

    def set_event(self, ev: Event | None) -> None:
        """Show ``ev`` without emitting."""
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

    def _on_check(self, _on: bool) -> None:
        self._sync_enabled()
        self.changed.emit(self.kind, self.current_event())

    def _on_value(self, _v) -> None:
        if self.check.isChecked():
            self.changed.emit(self.kind, self.current_event())


class EventPanel(QWidget):
    """A group of event rows (treatments or perturbations) with a short explanation."""

    changed = Signal(str, object)

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
                                           ("Start day", START_TIP), ("For days", DURATION_TIP)]):
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
        """Rows show the last event of each kind; earlier ones are listed below."""
        earlier = []
        for kind, row in self.rows.items():
            evs = model.events_of(kind)
            row.set_event(evs[-1] if evs else None)
            earlier += evs[:-1]
        if earlier:
            self.extra.setText("Also scheduled: " + "; ".join(e.summary() for e in earlier))
        else:
            self.extra.setText("")

    def active_count(self) -> int:
        return sum(1 for r in self.rows.values() if r.check.isChecked())


def treatments_panel(parent=None) -> EventPanel:
    return EventPanel("Treatments", TREATMENTS,
                      "Tick a treatment to give it; hover over a name for the biology. Doses are multiples "
                      "of the standard dose of the source experiments. A change made during a run starts on "
                      "the current day.", parent)


def perturbations_panel(parent=None) -> EventPanel:
    return EventPanel("Perturbations", PERTURBATIONS,
                      "Myelosuppression (5-FU), conditioning (irradiation) and blocks of the vascular niche "
                      "or of megakaryocyte motility. A change made during a run starts on the current day.",
                      parent)
