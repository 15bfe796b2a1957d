"""Sweep dialog: vary one or two model parameters over a range and plot an outcome.

Runs studies.sweep.start_sweep (local processes, or a Dask scheduler when an
address is given) in a background thread; progress and the result come back to
the GUI thread through Qt signals. One axis: line plot with 95% interval bars;
two axes: heat map (pyqtgraph ImageItem).
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QHBoxLayout, QLabel, QMessageBox, QPushButton, QSpinBox, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from engine import InputError, parameter_table
from analysis.outcomes import OUTCOMES
from studies.sweep import parse_axis, start_sweep, validate_axes

from .study_dialog import StudyDialog


class AxisRow(QWidget):
    def __init__(self, params, species: str, default: str | None = None, parent=None):
        super().__init__(parent)
        self.params = params
        self.species = species
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QComboBox()
        for n in sorted(params):
            self.name.addItem(n, n)
            self.name.setItemData(self.name.count() - 1, params[n].description, 3)   # Qt.ToolTipRole
        self.lo = QDoubleSpinBox()
        self.hi = QDoubleSpinBox()
        for s in (self.lo, self.hi):
            s.setDecimals(4)
            s.setRange(-1e12, 1e12)
        self.n = QSpinBox()
        self.n.setRange(2, 101)
        self.n.setValue(5)
        self.unit = QLabel()
        for w, stretch in ((self.name, 3), (QLabel("from"), 0), (self.lo, 1), (QLabel("to"), 0), (self.hi, 1),
                           (self.unit, 0), (QLabel("points"), 0), (self.n, 0)):
            lay.addWidget(w, stretch)
        self.name.currentIndexChanged.connect(self._on_name)
        if default and default in params:
            self.name.setCurrentIndex(self.name.findData(default))
        self._on_name()

    def _on_name(self) -> None:
        p = self.params[self.name.currentData()]
        d = p.default_for(self.species)
        self.lo.setRange(p.min, p.max)
        self.hi.setRange(p.min, p.max)
        self.lo.setValue(max(p.min, 0.5 * d if d > 0 else p.min))
        self.hi.setValue(min(p.max, 1.5 * d if d > 0 else p.max))
        self.unit.setText(p.unit)
        self.name.setToolTip(f"{p.description} (allowed {p.min:g}\u2013{p.max:g} {p.unit})")

    def text(self) -> str:
        return f"{self.name.currentData()}={self.lo.value():g}:{self.hi.value():g}:{self.n.value()}"


class SweepDialog(StudyDialog):
    noun = "sweep"
    progress_messages = False

    def __init__(self, window, scenario=None, parent=None):
        super().__init__(window, scenario, "Parameter sweep", parent)
        self.resize(950, 760)
        params = parameter_table()
        lay = QVBoxLayout(self)
        form = QFormLayout()
        self.axis1 = AxisRow(params, self.scenario.species, "fgf4_vcam_gain")
        self.use2 = QCheckBox("second parameter")
        self.axis2 = AxisRow(params, self.scenario.species)
        self.axis2.setEnabled(False)
        self.use2.toggled.connect(self.axis2.setEnabled)
        self.outcome = QComboBox()
        for name, info in OUTCOMES.items():
            self.outcome.addItem(info.label, name)
            self.outcome.setItemData(self.outcome.count() - 1, info.description, 3)
        self.seeds = QSpinBox()
        self.seeds.setRange(1, 100)
        self.seeds.setValue(2)
        form.addRow("Parameter", self.axis1)
        form.addRow(self.use2, self.axis2)
        form.addRow("Outcome", self.outcome)
        form.addRow("Seeds per point", self.seeds)
        self._add_run_settings(form)
        lay.addLayout(form)
        self.save_button = QPushButton("Save results\u2026")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        lay.addLayout(self._controls("Run sweep", self.save_button))
        lay.addWidget(self.status)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        lay.addWidget(self.plot, 3)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        lay.addWidget(self.table, 2)

    def axes(self):
        """The parsed, validated axes (InputError names the field)."""
        axes = [parse_axis(self.axis1.text(), "parameter 1")]
        if self.use2.isChecked():
            axes.append(parse_axis(self.axis2.text(), "parameter 2"))
        validate_axes(axes, self.scenario.species, "parameter")
        return axes

    def start(self) -> bool:
        if self._busy():
            return False
        try:
            axes = self.axes()
        except InputError as exc:
            QMessageBox.critical(self, "Cannot run the sweep", str(exc))
            return False
        job = start_sweep(self.scenario, axes, self.outcome.currentData(),
                          **self._study_options(seeds=self.seeds.value()))
        self._running(job, "Running\u2026")
        return True

    def show_result(self, res) -> None:
        self.result = res
        self.save_button.setEnabled(True)
        self.progress.setValue(1000)
        msg = f"{len(res.points)} points \u00d7 {len(res.seeds)} seeds in {res.wall_seconds:.1f} s ({res.backend})"
        if res.failures:
            msg += f"; {len(res.failures)} runs failed: " + "; ".join(f.describe() for f in res.failures[:5])
        self.status.setText(msg)
        self.plot.clear()
        g = res.grid()
        label = f"{OUTCOMES[res.outcome].label} ({res.outcome_unit})"
        if len(res.axes) == 1:
            x = res.axes[0].values
            self.plot.plot(x, g, pen=pg.mkPen("#0072B2", width=2), symbol="o", symbolBrush="#0072B2")
            lo = np.array([p.outcome.lo if p.outcome.lo is not None else np.nan for p in res.points])
            hi = np.array([p.outcome.hi if p.outcome.hi is not None else np.nan for p in res.points])
            ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(g)
            if ok.any():
                err = pg.ErrorBarItem(x=x[ok], y=g[ok], top=(hi - g)[ok], bottom=(g - lo)[ok], beam=0.0,
                                      pen=pg.mkPen("#0072B2"))
                self.plot.addItem(err)
            self.plot.setLabel("bottom", res.axes[0].label())
            self.plot.setLabel("left", label)
        else:
            a, b = res.axes
            img = pg.ImageItem(np.nan_to_num(g, nan=np.nanmin(g) if np.isfinite(g).any() else 0.0))
            img.setColorMap(pg.colormap.get("viridis"))
            xa, ya = a.values, b.values
            dx = (xa[-1] - xa[0]) / max(1, len(xa) - 1) or 1.0
            dy = (ya[-1] - ya[0]) / max(1, len(ya) - 1) or 1.0
            img.setRect(xa[0] - dx / 2, ya[0] - dy / 2, dx * len(xa), dy * len(ya))
            self.plot.addItem(img)
            self.plot.setLabel("bottom", a.label())
            self.plot.setLabel("left", b.label())
            self.plot.setTitle(label)
            self.image = img
        rows = res.table_rows()
        cols = list(rows[0]) if rows else []
        self.table.setColumnCount(len(cols))
        self.table.setHorizontalHeaderLabels(cols)
        self.table.setRowCount(len(rows))
        for r, row in enumerate(rows):
            for c, k in enumerate(cols):
                v = row[k]
                text = "\u2013" if v is None or (isinstance(v, float) and not math.isfinite(v)) else (
                    f"{v:.4g}" if isinstance(v, float) else str(v))
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()

    def save(self) -> None:
        if self.result is None:
            return
        folder = QFileDialog.getExistingDirectory(self, "Save sweep results into folder")
        if not folder:
            return
        try:
            paths = self.result.write(folder)
        except (OSError, InputError) as exc:
            QMessageBox.critical(self, "Cannot save the sweep", str(exc))
            return
        self.status.setText("Saved " + ", ".join(str(p) for p in paths.values()))
