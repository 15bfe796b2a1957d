"""What the window asks when the simulation refuses a schedule edit (an event already given, a start
in the past): start it now, reset the run with the change, or cancel. Tests replace ``ask``."""
from __future__ import annotations

from PySide6.QtWidgets import QMessageBox


def ask(parent, req) -> str:
    """"start_now", "reset" or "cancel" for a refused controller.EditRequest."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Question)
    box.setWindowTitle("Change the schedule")
    box.setText(f"The simulation is on day {req.day:.1f}: it cannot {req.describe()} as it stands.")
    box.setInformativeText(req.message[:1].upper() + req.message[1:] + "\n\nWhat would you like to do?")
    now = box.addButton(f"Start it now (day {req.day:.1f})", QMessageBox.AcceptRole) if req.can_start_now else None
    reset = box.addButton("Reset: run from day 0 with the change", QMessageBox.DestructiveRole)
    cancel = box.addButton("Cancel", QMessageBox.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    clicked = box.clickedButton()
    if now is not None and clicked is now:
        return "start_now"
    if clicked is reset:
        return "reset"
    return "cancel"
