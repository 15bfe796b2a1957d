"""Ensemble dialog: the current scenario over N seeds; mean with spread band, outcome 95% intervals.

The study runs in a background thread (studies.ensemble.start_ensemble); its
progress and finished callbacks are relayed to the GUI thread through Qt signals.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import (QAbstractItemView, QFormLayout, QLabel, QSpinBox, QTableWidget, QTableWidgetItem,
                               QVBoxLayout)

from studies.ensemble import start_ensemble
from analysis.outcomes import KEY_OUTCOMES, OUTCOMES, format_outcome

from .study_dialog import StudyDialog

BAND_BRUSH = (0, 114, 178, 60)
MEAN_PEN = "#0072B2"


class EnsembleDialog(StudyDialog):
    noun = "ensemble"

    def __init__(self, window, scenario=None, parent=None):
        super().__init__(window, scenario, "Ensemble", parent)
        self.resize(900, 700)
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.seeds = QSpinBox()
        self.seeds.setRange(2, 1000)
        self.seeds.setValue(8)
        self.seeds.setToolTip(f"Runs with seeds {self.scenario.seed}, {self.scenario.seed + 1}, \u2026")
        form.addRow("Seeds", self.seeds)
        self._add_run_settings(form, days_decimals=1)
        lay.addLayout(form)
        lay.addLayout(self._controls("Run ensemble"))
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
        self.band_items = []

    def start(self) -> bool:
        if self._busy():
            return False
        self.result = None
        self.failures.clear()
        job = start_ensemble(self.scenario, self.seeds.value(), **self._study_options())
        self._running(job, f"Running {self.seeds.value()} seeds\u2026")
        return True

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
            from ..palette import pretty_unit

            self.plot.setLabel("left", f"platelets ({pretty_unit(unit)})")
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
