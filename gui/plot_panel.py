"""The right-hand panel: the live plots and, in a second tab, the run's numbers as a table.

The table reads the plots' SeriesBuffer (nothing is copied): one row per sample, one column per
observable with its unit; it grows while the run goes on. Ctrl+C copies the selected cells as
tab-separated text (File > Export time series writes the whole run as CSV).
"""
from __future__ import annotations

import math

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QHBoxLayout, QLabel, QPushButton, QTableView,
                               QTabWidget, QVBoxLayout, QWidget)

from engine.observables import COLUMNS

from . import palette as P
from .plots import LivePlots

#: columns shown first in the table (the rest follow in the engine's order)
FIRST_COLUMNS = ("day", "platelets", "platelets_rel", "tpo_pg_ml", "donor_chimerism", "niche_occupancy",
                 "hspc_activation", "mk", "mk_vessel_fraction", "mkp", "hspc_host", "hspc_donor")
PERCENT = {"platelets_rel", "donor_chimerism", "niche_occupancy", "mk_vessel_fraction", "vessel_integrity",
           "tpo_signal", "hspc_activation"}


class SeriesTableModel(QAbstractTableModel):
    """A read-only table over a SeriesBuffer."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.buffer = None
        self.units: dict = {}
        self.columns: list[str] = []
        self._rows = 0

    def set_buffer(self, buffer, units: dict) -> None:
        self.beginResetModel()
        self.buffer = buffer
        self.units = dict(units)
        cols = list(buffer.columns) if buffer is not None else []
        self.columns = [c for c in FIRST_COLUMNS if c in cols] + [c for c in cols if c not in FIRST_COLUMNS]
        self._rows = buffer.n if buffer is not None else 0
        self.endResetModel()

    def refresh(self) -> None:
        """Announce the rows appended to the buffer since the last call."""
        if self.buffer is None:
            return
        n = self.buffer.n
        if n > self._rows:
            self.beginInsertRows(QModelIndex(), self._rows, n - 1)
            self._rows = n
            self.endInsertRows()

    def rowCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else self._rows

    def columnCount(self, parent=QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def header(self, col: int) -> str:
        name = self.columns[col]
        unit = "%" if name in PERCENT else P.pretty_unit(self.units.get(name, ""))
        return f"{name}\n({unit})" if unit and unit != "1" else name

    def headerData(self, section, orientation, role=Qt.DisplayRole):
        if role == Qt.DisplayRole:
            if orientation == Qt.Horizontal:
                return self.header(section)
            return str(section + 1)
        if role == Qt.ToolTipRole and orientation == Qt.Horizontal:
            name = self.columns[section]
            return COLUMNS.get(name, ("", name))[1]
        return None

    def text(self, row: int, col: int) -> str:
        name = self.columns[col]
        v = self.buffer.value(row, self.buffer.index[name])
        if not math.isfinite(v):
            return "\u2013"
        if name in PERCENT:
            return f"{100 * v:.1f}"
        if name == "day":
            return f"{v:.2f}"
        return f"{v:,.4g}" if abs(v) < 1e4 else f"{v:,.0f}"

    def data(self, index, role=Qt.DisplayRole):
        if not index.isValid() or self.buffer is None:
            return None
        if role == Qt.DisplayRole:
            return self.text(index.row(), index.column())
        if role == Qt.TextAlignmentRole:
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None


class PlotsPanel(QTabWidget):
    """Tabs: the live plots, and the table of the run's numbers."""

    def __init__(self, plots: LivePlots, parent=None):
        super().__init__(parent)
        self.plots = plots
        self.model = SeriesTableModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setDefaultSectionSize(20)
        self.table.horizontalHeader().setDefaultSectionSize(86)
        copy = QShortcut(QKeySequence.Copy, self.table)
        copy.activated.connect(self.copy_selection)
        table_page = QWidget()
        lay = QVBoxLayout(table_page)
        lay.setContentsMargins(2, 2, 2, 2)
        row = QHBoxLayout()
        note = QLabel("One row per sample of the run. Select cells and press Ctrl+C to copy them; "
                      "File \u203a Export time series saves all of it as CSV.")
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        copy_all = QPushButton("Copy all")
        copy_all.setToolTip("Copy the whole table (tab-separated, for a spreadsheet)")
        copy_all.clicked.connect(lambda: self.copy_selection(all_rows=True))
        row.addWidget(note, 1)
        row.addWidget(copy_all)
        lay.addLayout(row)
        lay.addWidget(self.table, 1)
        self.addTab(plots, "Plots")
        self.addTab(table_page, "Table")
        self.setTabToolTip(1, "The run's numbers, sample by sample")
        self.setDocumentMode(True)

    def set_buffer(self, buffer, units) -> None:
        self.model.set_buffer(buffer, units)

    def refresh(self) -> None:
        self.model.refresh()

    def selected_text(self, all_rows: bool = False) -> str:
        m = self.model
        if m.buffer is None:
            return ""
        if all_rows:
            rows, cols = range(m.rowCount()), range(m.columnCount())
        else:
            idx = self.table.selectionModel().selectedIndexes()
            if not idx:
                return ""
            rows = range(min(i.row() for i in idx), max(i.row() for i in idx) + 1)
            cols = range(min(i.column() for i in idx), max(i.column() for i in idx) + 1)
        lines = ["\t".join(m.header(c).replace("\n", " ") for c in cols)]
        for r in rows:
            lines.append("\t".join(m.text(r, c).replace(",", "") for c in cols))
        return "\n".join(lines) + "\n"

    def copy_selection(self, all_rows: bool = False) -> None:
        QApplication.clipboard().setText(self.selected_text(all_rows))
