"""Sweep dialog: vary one or two model parameters over a range and plot an outcome.

Runs studies.sweep.start_sweep (local processes, or a Dask scheduler when an
address is given) in a background thread; progress and the result come back to
the GUI thread through the controller's relay. One axis: line plot with 95%
interval bars; two axes: heat map with a colour bar. Parameters are named by what
they mean, with their units (resources/parameters.toml). A parameter the scenario
never uses (a treatment's parameter without that treatment) is flagged before the
sweep starts, and a result that is the same at every point says so.
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

from ..parameter_use import readable_name, unit_text, unused_reason
from .study_dialog import StudyDialog


def axis_title(name: str, limit: int = 48) -> str:
    """'Fractional rise of endothelial VCAM-1 … (unit)' style axis label of a parameter (shortened on a
    word boundary to ``limit`` characters)."""
    p = parameter_table().get(name)
    if p is None:
        return name
    unit = unit_text(p.unit)
    text = readable_name(p)
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0] + "\u2026"
    return text + (f" ({unit})" if unit else "")


class AxisRow(QWidget):
    def __init__(self, params, species: str, default: str | None = None, parent=None, scenario=None):
        super().__init__(parent)
        self.params = params
        self.species = species
        self.scenario = scenario
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.name = QComboBox()
        for n in sorted(params, key=lambda n: readable_name(params[n]).lower()):
            unused = unused_reason(n, scenario) if scenario is not None else None
            self.name.addItem(("\u26a0 " if unused else "") + readable_name(params[n]), n)
            tip = f"{n}: {params[n].description}\nSource: {params[n].source}" + (f"\n\n{unused}" if unused else "")
            self.name.setItemData(self.name.count() - 1, tip, 3)   # Qt.ToolTipRole
        self.name.setMinimumContentsLength(24)
        self.name.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
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
        self.unit.setText(unit_text(p.unit))
        self.name.setToolTip(f"{p.name}: {p.description} (allowed {p.min:g}\u2013{p.max:g} {unit_text(p.unit)})"
                             f"\nSource: {p.source}")

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
        self.axis1 = AxisRow(params, self.scenario.species, "fgf4_vcam_gain", scenario=self.scenario)
        self.use2 = QCheckBox("second parameter")
        self.axis2 = AxisRow(params, self.scenario.species, scenario=self.scenario)
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
        self.warning = QLabel("")
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("color: #8a5a00; font-weight: bold;")
        lay.addWidget(self.warning)
        for row in (self.axis1, self.axis2):
            row.name.currentIndexChanged.connect(lambda _i: self._check_use())
        self.use2.toggled.connect(lambda _on: self._check_use())
        self._check_use()
        self.save_button = QPushButton("Save results\u2026")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        lay.addLayout(self._controls("Run sweep", self.save_button))
        lay.addWidget(self.status)
        self.plot = pg.PlotWidget(background="w")
        self.plot.showGrid(x=True, y=True, alpha=0.15)
        self.colorbar = None
        lay.addWidget(self.plot, 3)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        lay.addWidget(self.table, 2)

    def unused(self) -> list[str]:
        """Why the chosen parameters cannot change this scenario (empty when they can)."""
        rows = [self.axis1] + ([self.axis2] if self.use2.isChecked() else [])
        return [r for r in (unused_reason(row.name.currentData(), self.scenario) for row in rows) if r]

    def _check_use(self) -> None:
        reasons = self.unused()
        self.warning.setText("\u26a0 " + " ".join(reasons) if reasons else "")
        self.warning.setVisible(bool(reasons))

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
        reasons = self.unused()
        if reasons and not getattr(self, "headless", False):
            answer = QMessageBox.question(self, "Sweep a parameter this scenario does not use?",
                                          " ".join(reasons) + "\n\nRun the sweep anyway?",
                                          QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
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
        from ..palette import pretty_unit

        unit = res.outcome_unit
        label = OUTCOMES[res.outcome].label + (f" ({pretty_unit(unit)})" if unit and unit != "1" else "")
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
            self.plot.setLabel("bottom", axis_title(res.axes[0].name))
            self.plot.setLabel("left", label)
        else:
            a, b = res.axes
            img = pg.ImageItem(np.nan_to_num(g, nan=np.nanmin(g) if np.isfinite(g).any() else 0.0))
            cmap = pg.colormap.get("viridis")
            img.setColorMap(cmap)
            xa, ya = a.values, b.values
            dx = (xa[-1] - xa[0]) / max(1, len(xa) - 1) or 1.0
            dy = (ya[-1] - ya[0]) / max(1, len(ya) - 1) or 1.0
            img.setRect(xa[0] - dx / 2, ya[0] - dy / 2, dx * len(xa), dy * len(ya))
            self.plot.addItem(img)
            self.plot.setLabel("bottom", axis_title(a.name))
            self.plot.setLabel("left", axis_title(b.name))
            self.plot.setTitle(label)
            finite = g[np.isfinite(g)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            if hi <= lo:
                hi = lo + 1.0
            if self.colorbar is not None:
                self.plot.plotItem.layout.removeItem(self.colorbar)
                self.colorbar.scene() and self.colorbar.scene().removeItem(self.colorbar)
            self.colorbar = pg.ColorBarItem(values=(lo, hi), colorMap=cmap, label=label, interactive=False)
            self.colorbar.setImageItem(img, insert_in=self.plot.plotItem)
            self.image = img
        finite = g[np.isfinite(g)]
        if finite.size > 1 and np.allclose(finite, finite[0], rtol=1e-9, atol=0):
            names = ", ".join(axis_title(ax.name) for ax in res.axes)
            self.warning.setText(f"\u26a0 The outcome is the same at every point: this scenario does not respond "
                                 f"to {names} over this range.")
            self.warning.setVisible(True)
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
