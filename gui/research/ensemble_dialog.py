"""Ensemble dialog: the current scenario over N seeds; mean with spread band, outcome 95% intervals.

The study runs in a background thread (studies.ensemble.start_ensemble); its
progress and finished callbacks are relayed to the GUI thread through Qt signals.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDoubleSpinBox, QFormLayout, QHBoxLayout, QLabel,
                               QLineEdit, QMessageBox, QProgressBar, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout)

from engine import InputError
from studies.ensemble import start_ensemble
from studies.outcomes import KEY_OUTCOMES, OUTCOMES, format_outcome

BAND_BRUSH = (0, 114, 178, 60)
MEAN_PEN = "#0072B2"


class EnsembleDialog(QDialog):
    _progress = Signal(object)
    _finished = Signal(object)

    def __init__(self, window, scenario=None, parent=None):
        super().__init__(parent or window)
        self.window = window
        self.scenario = scenario if scenario is not None else window.model.snapshot()
        self.job = None
        self.result = None
        self.setWindowTitle(f"Ensemble \u2013 {self.scenario.name}")
        self.resize(900, 700)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.seeds = QSpinBox()
        self.seeds.setRange(2, 1000)
        self.seeds.setValue(8)
        self.seeds.setToolTip(f"Runs with seeds {self.scenario.seed}, {self.scenario.seed + 1}, \u2026")
        self.workers = QSpinBox()
        self.workers.setRange(1, 64)
        import os
        self.workers.setValue(max(1, min(8, os.cpu_count() or 1)))
        self.workers.setToolTip("Parallel processes on this computer")
        self.days = QDoubleSpinBox()
        self.days.setRange(0.5, 3650)
        self.days.setDecimals(1)
        self.days.setValue(float(self.scenario.days))
        self.scheduler = QLineEdit()
        self.scheduler.setPlaceholderText("optional Dask scheduler, e.g. tcp://10.0.0.5:8786")
        form.addRow("Seeds", self.seeds)
        form.addRow("Worker processes", self.workers)
        form.addRow("Days", self.days)
        form.addRow("Cluster", self.scheduler)
        lay.addLayout(form)
        row = QHBoxLayout()
        self.start_button = QPushButton("Run ensemble")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        row.addWidget(self.progress, 1)
        lay.addLayout(row)
        self.status = QLabel("")
        self.status.setWordWrap(True)
        lay.addWidget(self.status)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setLabel("bottom", "day")
        self.plot.setLabel("left", "platelets")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.plot.addLegend(offset=(-6, 6))
        lay.addWidget(self.plot, 3)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        lay.addWidget(self.table, 2)
        self.failures = QLabel("")
        self.failures.setWordWrap(True)
        self.failures.setStyleSheet("color: #b00020")
        lay.addWidget(self.failures)
        self._progress.connect(self._on_progress)
        self._finished.connect(self._on_finished)
        self.band_items = []

    def start(self) -> bool:
        if self.job is not None and not self.job.done():
            return False
        self.result = None
        self.failures.clear()
        self.progress.setValue(0)
        kw = dict(workers=self.workers.value(), days=self.days.value(),
                  progress=lambda p: self._progress.emit(p), finished=lambda job: self._finished.emit(job))
        sched = self.scheduler.text().strip()
        if sched:
            kw["scheduler"] = sched
        self.job = start_ensemble(self.scenario, self.seeds.value(), **kw)
        self.start_button.setEnabled(False)
        self.cancel_button.setEnabled(True)
        self.status.setText(f"Running {self.seeds.value()} seeds\u2026")
        return True

    def cancel(self) -> None:
        if self.job is not None:
            self.job.cancel()
            self.status.setText("Cancelling\u2026")

    def _on_progress(self, p) -> None:
        self.progress.setValue(int(1000 * p.fraction))
        self.status.setText(f"{p.finished} of {p.total} runs finished" + (f", {p.failed} failed" if p.failed else "")
                            + (f" \u2013 {p.message}" if p.message else ""))

    def _on_finished(self, job) -> None:
        self.start_button.setEnabled(True)
        self.cancel_button.setEnabled(False)
        try:
            res = job.result(timeout=1.0)
        except InputError as exc:
            self.status.setText("Ensemble failed.")
            QMessageBox.critical(self, "Cannot run the ensemble", str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - shown, the app goes on
            self.status.setText("Ensemble failed.")
            QMessageBox.critical(self, "Ensemble failed", f"{type(exc).__name__}: {exc}")
            return
        self.show_result(res)

    def show_result(self, res) -> None:
        self.result = res
        self.progress.setValue(1000)
        n = len(res.runs)
        self.status.setText(f"{n} of {len(res.seeds)} runs finished in {res.wall_seconds:.1f} s ({res.backend})"
                            + (" \u2013 cancelled" if res.cancelled else ""))
        if res.failures:
            self.failures.setText("Failed: " + "; ".join(f.describe() for f in res.failures))
        for it in self.band_items:
            self.plot.removeItem(it)
        self.band_items = []
        if n == 0:
            return
        band = res.band("platelets")
        lo = pg.PlotDataItem(band.day, band.lo, pen=pg.mkPen(None))
        hi = pg.PlotDataItem(band.day, band.hi, pen=pg.mkPen(None))
        fill = pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(*BAND_BRUSH))
        mean = pg.PlotDataItem(band.day, band.mean, pen=pg.mkPen(MEAN_PEN, width=2.5),
                               name=f"mean of {band.n} runs")
        for it in (lo, hi, fill):
            self.plot.addItem(it)
        self.plot.addItem(mean)
        self.plot.plotItem.legend.clear()
        self.plot.plotItem.legend.addItem(mean, f"mean of {band.n} runs")
        self._band_key = pg.PlotDataItem([0, 1], [0, 0], pen=pg.mkPen(BAND_BRUSH[:3] + (110,), width=8))
        self.plot.plotItem.legend.addItem(self._band_key, "2.5\u201397.5% of runs")
        self.band_items = [lo, hi, fill, mean]
        self.band = band
        unit = res.units.get("platelets", "")
        if unit:
            self.plot.setLabel("left", "platelets", units=None)
            self.plot.setLabel("left", f"platelets ({unit})")
        self._fill_table(res)

    def _fill_table(self, res) -> None:
        iv = res.outcome_intervals(names=KEY_OUTCOMES)
        unit = res.units.get("platelets", "")
        self.table.setColumnCount(4)
        self.table.setHorizontalHeaderLabels(["outcome", "mean", "95% interval", "runs (undefined)"])
        self.table.setRowCount(len(iv))
        for r, (name, it) in enumerate(iv.items()):
            def fmt(v, name=name):
                return format_outcome(v, name, unit)
            cells = [OUTCOMES[name].label, fmt(it.mean),
                     f"{fmt(it.lo)} \u2013 {fmt(it.hi)}" if it.lo is not None else "\u2013",
                     f"{it.n}" + (f" ({it.n_missing})" if it.n_missing else "")]
            for c, text in enumerate(cells):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def closeEvent(self, event) -> None:
        if self.job is not None and not self.job.done():
            self.job.cancel()
        super().closeEvent(event)
