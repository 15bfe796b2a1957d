"""What the window asks when the simulation refuses a schedule edit (an event already given, a start
in the past): start it now, reset the run with the change, or cancel. Tests replace ``ask``."""
from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QMessageBox


def ask(parent, req) -> str:
    """"start_now", "reset" or "cancel" for a refused controller.EditRequest."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Change the schedule")
    box.setText(f"The simulation is on day {req.day:.1f}: it cannot {req.describe()} in this run.")
    box.setInformativeText(req.reason() + "\n\nWhat would you like to do? A reset starts again from day 0 "
                           "with the scenario as the panels show it.")
    keep = QCheckBox("Keep the current run in Runs for comparison")
    keep.setChecked(True)
    box.setCheckBox(keep)
    now = box.addButton(f"Start it now (day {req.day:.1f})", QMessageBox.AcceptRole) if req.can_start_now else None
    reset = box.addButton("Reset: run from day 0 with the change", QMessageBox.DestructiveRole)
    cancel = box.addButton("Cancel", QMessageBox.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    req.keep_current = keep.isChecked()
    if now is not None and clicked is now:
        return "start_now"
    if clicked is reset:
        return "reset"
    return "cancel"
