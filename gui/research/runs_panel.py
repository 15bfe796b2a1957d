"""Run list: kept runs, overlaid on the platelet plot, with a table of outcomes and differences.

"Keep this run" records the live simulation (studies.runs.RunRecord) through
``controller.request`` (read on the engine thread, delivered on the GUI thread).
Checked runs are drawn over the live platelet curve with a legend; the table
compares their key outcomes with the first checked run.
"""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QHBoxLayout, QLabel, QListWidget,
                               QListWidgetItem, QMessageBox, QPushButton, QSplitter, QTableWidget,
                               QTableWidgetItem, QVBoxLayout, QWidget)

from studies.runs import RunList, RunRecord, compare_runs

#: Okabe-Ito colours (colour-blind safe), one per overlaid run
RUN_COLOURS = ["#0072B2", "#D55E00", "#CC79A7", "#E69F00", "#56B4E9", "#009E73", "#F0E442", "#000000"]
TABLE_OUTCOMES = ("nadir", "nadir_day", "days_to_recovery", "area_below_baseline", "chimerism_d30",
                  "engraftment_day")


class RunsPanel(QWidget):
    runs_changed = Signal()

    def __init__(self, window, parent=None):
        super().__init__(parent)
        self.window = window
        self.runs = RunList()
        self.overlays: dict[str, pg.PlotDataItem] = {}
        self.legend = None
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        row2 = QHBoxLayout()
        self.keep_button = QPushButton("Keep this run")
        self.keep_button.setToolTip("Keep the current run (its time series so far) for comparison")
        self.keep_button.clicked.connect(lambda: self.keep_current())
        self.auto_check = QCheckBox("keep each finished run")
        self.auto_check.setToolTip("Keep the run automatically whenever it reaches its last day")
        self.remove_button = QPushButton("Remove")
        self.remove_button.clicked.connect(self.remove_selected)
        self.copy_button = QPushButton("Copy table")
        self.copy_button.setToolTip("Copy the comparison table as CSV")
        self.copy_button.clicked.connect(lambda: QApplication.clipboard().setText(self.table_csv()))
        for w in (self.keep_button, self.auto_check):
            row.addWidget(w)
        row.addStretch(1)
        row2.addStretch(1)
        row2.addWidget(self.remove_button)
        row2.addWidget(self.copy_button)
        lay.addLayout(row)
        lay.addLayout(row2)
        split = QSplitter(Qt.Vertical)
        self.list = QListWidget()
        self.list.setSelectionMode(QAbstractItemView.SingleSelection)
        self.list.setToolTip("Tick runs to overlay them on the platelet plot and compare them")
        self.list.itemChanged.connect(lambda _i: self.refresh())
        split.addWidget(self.list)
        self.table = QTableWidget()
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setToolTip("Key outcomes of the ticked runs; brackets: difference to the first ticked run")
        split.addWidget(self.table)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 3)
        self.list.setMinimumHeight(60)
        lay.addWidget(split, 1)
        self.note = QLabel("Differences (in brackets) are to the first ticked run.")
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self._pending = 0
        window.controller.reached.connect(self._on_reached)

    # ------------------------------------------------------------------ keeping runs
    def keep_current(self, label: str | None = None) -> None:
        """Record the live run (asynchronously: added when the engine thread answers)."""
        self._pending += 1
        self.window.controller.query("run_record", self._on_record, label=label,
                                     name=self.window.model.scenario.name)

    def _on_record(self, record, error) -> None:
        self._pending -= 1
        if error is not None or record is None:
            QMessageBox.warning(self, "Cannot keep the run", str(error))
            return
        self.add_record(record)

    def _on_reached(self, day: float) -> None:
        c = self.window.controller
        if self.auto_check.isChecked() and c.world is not None and day >= float(c.world.scenario.days) - 1e-9:
            self.keep_current()

    @property
    def pending(self) -> int:
        return self._pending

    def add_record(self, record: RunRecord, checked: bool = True) -> None:
        rec = self.runs.add(record)
        ids = {r.run_id for r in self.runs}
        for i in reversed(range(self.list.count())):          # the oldest may have been dropped
            if self.list.item(i).data(Qt.UserRole) not in ids:
                self.list.takeItem(i)
        item = QListWidgetItem(rec.label or rec.legend())
        item.setData(Qt.UserRole, rec.run_id)
        item.setToolTip(rec.legend())
        item.setFlags(item.flags() | Qt.ItemIsUserCheckable)
        self.list.blockSignals(True)
        item.setCheckState(Qt.Checked if checked else Qt.Unchecked)
        self.list.addItem(item)
        self.list.blockSignals(False)
        self.refresh()
        self.runs_changed.emit()

    def set_records(self, records) -> None:
        self.runs.clear()
        self.list.clear()
        for r in records:
            self.add_record(r)
        self.refresh()
        self.runs_changed.emit()

    def remove_selected(self) -> None:
        item = self.list.currentItem()
        if item is None:
            return
        self.runs.remove(item.data(Qt.UserRole))
        self.list.takeItem(self.list.row(item))
        self.refresh()
        self.runs_changed.emit()

    def checked_records(self) -> list[RunRecord]:
        out = []
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.checkState() == Qt.Checked:
                out.append(self.runs.get(it.data(Qt.UserRole)))
        return out

    # ------------------------------------------------------------------ views
    def refresh(self) -> None:
        self._draw_overlays()
        self._fill_table()

    def _draw_overlays(self) -> None:
        plot = self.window.plots.p_plt
        for item in self.overlays.values():
            plot.removeItem(item)
        self.overlays = {}
        if self.legend is not None:
            self.legend.clear()
        recs = self.checked_records()
        self.list.blockSignals(True)
        k = 0
        for i in range(self.list.count()):
            it = self.list.item(i)
            if it.checkState() == Qt.Checked:
                it.setForeground(pg.mkColor(RUN_COLOURS[k % len(RUN_COLOURS)]))
                k += 1
            else:
                it.setForeground(pg.mkColor("#777777"))
        self.list.blockSignals(False)
        if recs and self.legend is None:
            self.legend = pg.LegendItem(offset=(-6, 22), labelTextSize="7pt", verSpacing=-8,
                                        brush=pg.mkBrush(255, 255, 255, 200))
            self.legend.setParentItem(plot.vb)
        ymax = 0.0
        for k, rec in enumerate(recs):
            colour = RUN_COLOURS[k % len(RUN_COLOURS)]
            style = Qt.DashLine if k >= len(RUN_COLOURS) else Qt.SolidLine
            item = pg.PlotDataItem(rec["day"], rec["platelets"], pen=pg.mkPen(colour, width=2.0, style=style))
            item.setZValue(5)
            plot.addItem(item)
            self.overlays[rec.run_id] = item
            self.legend.addItem(item, _legend_text(rec))
            if len(rec):
                ymax = max(ymax, float(max(rec["platelets"])))
        if self.legend is not None:
            self.legend.setVisible(bool(recs))
        if ymax > 0:
            lo, hi = plot.vb.viewRange()[1]
            if ymax > hi:
                plot.setYRange(0.0, ymax * 1.1, padding=0.0)
            days = max(float(max(r["day"])) for r in recs if len(r))
            xlo, xhi = plot.vb.viewRange()[0]
            if days > xhi:
                plot.setXRange(0.0, days, padding=0.0)

    def comparison(self):
        recs = self.checked_records()
        return compare_runs(recs, reference=0, outcomes=TABLE_OUTCOMES) if recs else None

    def _fill_table(self) -> None:
        table = self.comparison()
        self.table.clear()
        if table is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        header = table.header()
        self.table.setColumnCount(len(header))
        self.table.setHorizontalHeaderLabels(header)
        self.table.setRowCount(len(table.rows))
        for r, row in enumerate(table.rows):
            name = QTableWidgetItem(_short(row.label))
            name.setToolTip(row.label)
            self.table.setItem(r, 0, name)
            for c, o in enumerate(table.outcomes, start=1):
                self.table.setItem(r, c, QTableWidgetItem(table.cell_text(row, o)))
        self.table.resizeColumnsToContents()

    def table_csv(self) -> str:
        t = self.comparison()
        return t.to_csv() if t is not None else ""


def _legend_text(rec, n: int = 34) -> str:
    """Compact legend entry: scenario (without the 'Lesson:' prefix) and seed."""
    name = rec.label if rec.label and rec.label != rec.legend() else rec.scenario_name
    if name.startswith("Lesson: "):
        name = name[len("Lesson: "):]
    return f"{_short(name, n)} \u00b7 seed {rec.seed}"


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "\u2026"
