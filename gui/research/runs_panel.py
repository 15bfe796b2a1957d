"""Run list: kept runs, overlaid on the platelet plot, with a table of outcomes and differences.

"Keep this run" records the live simulation (studies.runs.RunRecord) through the
controller's "run_record" query (read on the engine thread, delivered on the GUI
thread). Checked runs are drawn over the live platelet curve with a legend; the
table compares their outcomes with the first checked run: one column per run (the
colour of its curve), one row per outcome. Mean and final platelets are always
there; nadir and recovery when a run dips below its baseline; engraftment and
donor chimerism when a run has a transplant. Runs that used non-default
parameters carry a gear (\u2699).
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
#: outcomes in the table, in order; each group shown only when it means something for the runs
ALWAYS_OUTCOMES = ("platelets_mean", "platelets_final")
DIP_OUTCOMES = ("nadir", "nadir_day", "days_to_recovery", "area_below_baseline")
TRANSPLANT_OUTCOMES = ("engraftment_day", "neutrophil_engraftment_day", "chimerism_d30", "chimerism_final")
TABLE_OUTCOMES = ALWAYS_OUTCOMES + DIP_OUTCOMES + TRANSPLANT_OUTCOMES
GEAR = "\u2699"


def uses_non_defaults(rec) -> str:
    """The parameter overrides a run used ('' if none)."""
    return str(rec.metadata.get("parameter_overrides", "") or "").strip()


def table_outcomes(records) -> tuple[str, ...]:
    """The outcomes worth comparing for these runs."""
    out = list(ALWAYS_OUTCOMES)
    dip = transplant = False
    for rec in records:
        try:
            o = rec.outcomes()
        except Exception:  # noqa: BLE001 - a run too short for outcomes
            continue
        dip = dip or (o.nadir_rel is not None and o.nadir_rel < 0.8)
        transplant = transplant or (o.chimerism_final is not None and o.chimerism_final > 0.01) \
            or "transplant" in rec.treatment_summary.lower()
    if dip:
        out += DIP_OUTCOMES
    if transplant:
        out += TRANSPLANT_OUTCOMES
    return tuple(out)


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
        self.note = QLabel("Differences (in brackets) are to Run 1, the first ticked run. "
                           f"{GEAR}: the run used non-default parameters.")
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
        over = uses_non_defaults(rec)
        item = QListWidgetItem((f"{GEAR} " if over else "") + (rec.label or rec.legend()))
        item.setData(Qt.UserRole, rec.run_id)
        tip = rec.legend()
        if over:
            tip += f"\n{GEAR} non-default parameters: {over}"
        edits = rec.metadata.get("edits_during_run", "")
        if edits:
            tip += f"\nchanged during the run: {edits}"
        item.setToolTip(tip)
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
        recs = self.checked_records()
        self.list.blockSignals(True)
        k = 0
        for i in range(self.list.count()):
            it = self.list.item(i)
            rec = self.runs.get(it.data(Qt.UserRole))
            gear = f"{GEAR} " if uses_non_defaults(rec) else ""
            if it.checkState() == Qt.Checked:
                it.setForeground(pg.mkColor(RUN_COLOURS[k % len(RUN_COLOURS)]))
                it.setText(f"Run {k + 1}: {gear}{rec.label or rec.legend()}")
                k += 1
            else:
                it.setForeground(pg.mkColor("#777777"))
                it.setText(f"{gear}{rec.label or rec.legend()}")
        self.list.blockSignals(False)
        ymax = 0.0
        legend = []
        for k, rec in enumerate(recs):
            colour = RUN_COLOURS[k % len(RUN_COLOURS)]
            style = Qt.DashLine if k >= len(RUN_COLOURS) else Qt.SolidLine
            item = pg.PlotDataItem(rec["day"], rec["platelets"], pen=pg.mkPen(colour, width=2.0, style=style))
            item.setZValue(5)
            item.setToolTip(f"Run {k + 1}: {rec.label}")
            plot.addItem(item)
            self.overlays[rec.run_id] = item
            legend.append((colour, f"Run {k + 1}"))
            if len(rec):
                ymax = max(ymax, float(max(rec["platelets"])))
        self.window.plots.set_runs_legend(legend)
        self.legend = legend
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
        return compare_runs(recs, reference=0, outcomes=table_outcomes(recs)) if recs else None

    def _fill_table(self) -> None:
        """One column per ticked run (headed in its curve's colour), one row per outcome."""
        from analysis.outcomes import OUTCOMES

        table = self.comparison()
        self.table.clear()
        if table is None:
            self.table.setRowCount(0)
            self.table.setColumnCount(0)
            return
        self.table.setColumnCount(len(table.rows))
        self.table.setRowCount(len(table.outcomes))
        for c, row in enumerate(table.rows):
            head = QTableWidgetItem(f"Run {c + 1}")
            head.setForeground(pg.mkColor(RUN_COLOURS[c % len(RUN_COLOURS)]))
            head.setToolTip(row.label)
            self.table.setHorizontalHeaderItem(c, head)
        for r, o in enumerate(table.outcomes):
            info = OUTCOMES[o]
            name = QTableWidgetItem(info.label)
            name.setToolTip(info.description)
            self.table.setVerticalHeaderItem(r, name)
            for c, row in enumerate(table.rows):
                cell = QTableWidgetItem(table.cell_text(row, o))
                cell.setToolTip(f"{row.label}\n{info.label}: {info.description}")
                self.table.setItem(r, c, cell)
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
