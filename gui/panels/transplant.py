"""HSC transplant: donor dose, day, optional MSC co-infusion."""
from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
                               QVBoxLayout, QWidget)

from engine import EVENT_KINDS, Event
from engine.scenario import DOSE_UNIT_BY_SPECIES

from ..palette import pretty_unit
from ..texts import EVENT_TIPS, START_TIP


class TransplantPanel(QWidget):
    changed = Signal(str, object, object)     # "transplant", event id | None, Event | None

    def __init__(self, parent=None):
        super().__init__(parent)
        _, default, maximum, _, _ = EVENT_KINDS["transplant"]
        box = QGroupBox("Donor HSC transplant")
        self.check = QCheckBox("Give a transplant")
        self.check.setToolTip(EVENT_TIPS["transplant"])
        self.dose = QDoubleSpinBox()
        self.dose.setRange(0.0, maximum)
        self.dose.setDecimals(1)
        self.dose.setSingleStep(0.5)
        self.dose.setValue(default)
        self.day = QDoubleSpinBox()
        self.day.setRange(0.0, 3650.0)
        self.day.setDecimals(1)
        self.day.setValue(1.0)
        self.day.setToolTip(START_TIP)
        self.msc = QCheckBox("Co-infuse MSCs")
        self.msc.setToolTip(EVENT_TIPS["msc_coinfusion"])
        self.msc_dose = QDoubleSpinBox()
        self.msc_dose.setRange(0.25, 20.0)
        self.msc_dose.setSingleStep(0.25)
        self.msc_dose.setValue(1.0)
        self.msc_dose.setSuffix(" \u00d7 std")
        self.msc_dose.setToolTip("MSC co-infusion dose (1 = a standard co-infusion).\n\n"
                                 + EVENT_TIPS["msc_coinfusion"])
        self.status = QLabel("")
        self.status.setStyleSheet("color: #555;")
        self.event_id: int | None = None
        self.now = 0.0
        for w in (self.dose, self.day, self.msc_dose):
            w.setKeyboardTracking(False)
            w.valueChanged.connect(self._on_value)
        self.check.toggled.connect(self._on_toggle)
        self.msc.toggled.connect(self._on_toggle)
        form = QFormLayout(box)
        form.addRow(self.check)
        self.dose_label = QLabel("Donor cells")
        self.dose_unit = QLabel("")
        self.dose_unit.setStyleSheet("color: #555;")
        self.dose_unit.setWordWrap(True)
        dose_row = QHBoxLayout()
        dose_row.addWidget(self.dose)
        dose_row.addWidget(self.dose_unit, 1)
        form.addRow(self.dose_label, dose_row)
        form.addRow("Day", self.day)
        form.addRow(self.msc, self.msc_dose)
        form.addRow(self.status)
        note = QLabel("Condition first (Perturbations \u2192 Irradiation) so that donor cells find free "
                      "niches; without conditioning few donor cells engraft. More donor cells give faster "
                      "platelet recovery.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(box)
        lay.addWidget(note)
        lay.addStretch(1)
        self.set_species("mouse")
        self._sync_enabled()

    def set_species(self, species: str) -> None:
        unit = pretty_unit(DOSE_UNIT_BY_SPECIES.get(species, "donor dose units"))
        self.dose_unit.setText(unit)
        self.dose.setToolTip(f"Donor HSC dose in {unit}.\n\n" + EVENT_TIPS["transplant"])

    def current_event(self) -> Event | None:
        if not self.check.isChecked():
            return None
        return Event(kind="transplant", start_day=float(self.day.value()), duration_days=0.0,
                     dose=float(self.dose.value()),
                     msc_coinfusion=float(self.msc_dose.value()) if self.msc.isChecked() else 0.0)

    def set_event(self, ev: Event | None, event_id: int | None = None, status: str = "") -> None:
        from .events import STATUS_TIPS

        self.event_id = event_id if ev is not None else None
        self.status.setText({"given": "Given in this run.", "planned": "Planned."}.get(status, ""))
        self.status.setToolTip(STATUS_TIPS.get(status, ""))
        ws = (self.check, self.dose, self.day, self.msc, self.msc_dose)
        for w in ws:
            w.blockSignals(True)
        self.check.setChecked(ev is not None)
        if ev is not None:
            self.dose.setValue(float(ev.dose))
            self.day.setValue(float(ev.start_day))
            self.msc.setChecked(ev.msc_coinfusion > 0)
            if ev.msc_coinfusion > 0:
                self.msc_dose.setValue(float(ev.msc_coinfusion))
        for w in ws:
            w.blockSignals(False)
        self._sync_enabled()

    def show_events(self, model) -> None:
        self.set_event(model.event_for("transplant"))

    def set_now(self, day: float) -> None:
        self.now = float(day)

    def show_schedule(self, items, now: float, chosen: dict[str, int] | None = None) -> None:
        self.now = now
        mine = [it for it in items if it.event.kind == "transplant"]
        want = (chosen or {}).get("transplant", self.event_id)
        pick = next((it for it in mine if it.id == want), None)
        if pick is None and mine:
            pick = max(mine, key=lambda it: (it.event.start_day, it.id))
        self.set_event(pick.event if pick else None, pick.id if pick else None, pick.status if pick else "")

    def active_count(self) -> int:
        return int(self.check.isChecked())

    def _sync_enabled(self) -> None:
        on = self.check.isChecked()
        for w in (self.dose, self.day, self.msc):
            w.setEnabled(on)
        self.msc_dose.setEnabled(on and self.msc.isChecked())

    def _on_toggle(self, _on) -> None:
        if self.sender() is self.check and self.check.isChecked() and self.day.value() < self.now:
            from .events import ceil_tenth

            self.day.blockSignals(True)
            self.day.setValue(ceil_tenth(self.now))       # ticked during a run: from now on
            self.day.blockSignals(False)
        self._sync_enabled()
        self.changed.emit("transplant", self.event_id, self.current_event())

    def _on_value(self, _v) -> None:
        if self.check.isChecked():
            self.changed.emit("transplant", self.event_id, self.current_event())
