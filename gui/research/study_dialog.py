"""What the ensemble and sweep dialogs share: the run settings (worker processes, days, an optional
Dask scheduler), start / cancel / progress / status, and the relay of a background study's progress
and end (studies.ensemble.start_ensemble, studies.sweep.start_sweep) to the GUI thread through the
controller's ThreadRelay (the study thread never emits a Qt signal), with its errors shown in a
message box. The controller keeps the running study so that closing the window cancels it."""
from __future__ import annotations

import os

from PySide6.QtWidgets import (QDialog, QDoubleSpinBox, QHBoxLayout, QLabel, QLineEdit, QMessageBox, QProgressBar,
                               QPushButton, QSpinBox)

from engine import InputError


class StudyDialog(QDialog):
    """Base of a dialog that runs one study of the current scenario in the background.

    Subclasses build their form (calling :meth:`_add_run_settings` and :meth:`_controls`), start
    the study with :meth:`_study_options` and :meth:`_running`, and show it in :meth:`show_result`."""
    #: the study's name in messages ("ensemble", "sweep")
    noun = "study"
    #: whether the status line repeats the study's progress messages ("started", ...)
    progress_messages = True

    def __init__(self, window, scenario, title: str, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.scenario = scenario if scenario is not None else window.model.snapshot()
        self.job = None
        self.result = None
        self.setWindowTitle(f"{title} \u2013 {self.scenario.name}")
        self.relay = window.controller.relay

    def _add_run_settings(self, form, days_decimals: int = 2) -> None:
        """Worker processes, days and cluster rows at the end of ``form``."""
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        self.workers.setValue(max(1, min(8, os.cpu_count() or 1)))
        self.workers.setToolTip("Parallel processes on this computer")
        self.days = QDoubleSpinBox()
        self.days.setRange(0.5, 3650)
        self.days.setDecimals(days_decimals)
        self.days.setValue(float(self.scenario.days))
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("optional Dask scheduler, e.g. tcp://10.0.0.5:8786")
        form.addRow("Worker processes", self.workers)
        form.addRow("Days", self.days)
        form.addRow("Cluster", self.scheduler)

    def _controls(self, start_text: str, *extra_buttons) -> QHBoxLayout:
        """The row start, cancel, ``extra_buttons``, progress bar; also makes the status line
        (``self.status``, for the caller to place)."""
        self.start_button = QPushButton(start_text)
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        row = QHBoxLayout()
        for w in (self.start_button, self.cancel_button, *extra_buttons):
            row.addWidget(w)
        row.addWidget(self.progress, 1)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        return row

    def _busy(self) -> bool:
        return self.job is not None and not self.job.done()

    def _study_options(self, **options) -> dict:
        """``options`` plus the run settings and the progress / end relays, for start_ensemble /
        start_sweep."""
        options.update(workers=self.workers.value(), days=self.days.value(),
                       progress=lambda p: self.relay.post(self._on_progress, p),
                       finished=lambda job: self.relay.post(self._on_finished, job))
        sched = self.scheduler.text().strip()
        if sched:
            options["scheduler"] = sched
        return options

    def _running(self, job, text: str) -> None:
        self.job = job
        self.window.controller.track_study(job)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.status.setText(text)

    def start(self) -> bool:
        raise NotImplementedError

    def show_result(self, res) -> None:
        raise NotImplementedError

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling\u2026")

    def _on_progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.status.setText(f"{p.finished} of {p.total} runs finished" + (f", {p.failed} failed" if p.failed else "")
                            + (f" \u2013 {p.message}" if p.message and self.progress_messages else ""))

    def _on_finished(self, job) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        try:
            res = job.result(timeout=1.0)
        except InputError as exc:
            self.status.setText(f"{self.noun.capitalize()} failed.")
            QMessageBox.critical(self, f"Cannot run the {self.noun}", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown, the app goes on
            self.status.setText(f"{self.noun.capitalize()} failed.")
            QMessageBox.critical(self, f"{self.noun.capitalize()} failed", f"{type(exc).__name__}: {exc}")
            return
        self.show_result(res)

    def closeEvent(self, event) -> None:
        if self._busy():
            self.job.cancel()
        super().closeEvent(event)
