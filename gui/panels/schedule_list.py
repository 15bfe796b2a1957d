"""The run's schedule as the engine holds it: every event with its id and status.

The list is read-only display of ``engine_worker.ScheduleState``; picking an
entry makes its row in the panels below show (and edit) that event -- useful
when a kind was scheduled more than once. "Remove" withdraws the picked event
(a running treatment ends now; one already given asks for a reset).
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

STATUS_MARK = {"planned": "\u25cb planned", "running": "\u25b6 running", "given": "\u2713 given",
               "over": "\u2713 over"}


class ScheduleList(QWidget):
    picked = Signal(str, int)             # kind, event id
    remove_requested = Signal(str, int)   # kind, event id

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Event", "Days", "Status"])
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SingleSelection)
        self.tree.setToolTip("The run's schedule as the simulation holds it. Pick an event to edit it in its "
                             "row below.")
        self.tree.itemClicked.connect(self._on_item)
        self.tree.setMinimumHeight(44)
        self.tree.setMaximumHeight(140)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setToolTip("Withdraw the picked event (a running treatment ends now)")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove)
        self.log = QLabel("")
        self.log.setWordWrap(True)
        self.log.setStyleSheet("color: #555;")
        head = QHBoxLayout()
        head.addWidget(QLabel("<b>This run's schedule</b>"))
        head.addStretch(1)
        head.addWidget(self.remove_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 0)
        lay.setSpacing(2)
        lay.addLayout(head)
        lay.addWidget(self.tree)
        lay.addWidget(self.log)
        self._items = []

    def show_state(self, state) -> None:
        """Fill the list from a ScheduleState (None: empty)."""
        current = self.tree.currentItem()
        keep = current.data(0, Qt.UserRole) if current is not None else None
        self.tree.clear()
        self._items = list(state.items) if state is not None else []
        if not self._items:
            row = QTreeWidgetItem(["no treatments or perturbations", "", ""])
            row.setFlags(Qt.NoItemFlags)
            self.tree.addTopLevelItem(row)
        for it in sorted(self._items, key=lambda it: (it.event.start_day, it.id)):
            e = it.event
            end = e.start_day if e.instant else e.start_day + e.duration_days
            days = f"{e.start_day:g}" if e.instant else f"{e.start_day:g}\u2013{end:g}"
            text = f"{e.label} {e.dose:g}" + (f" + MSC \u00d7{e.msc_coinfusion:g}" if e.msc_coinfusion else "")
            row = QTreeWidgetItem([text, days, STATUS_MARK.get(it.status, it.status)])
            row.setData(0, Qt.UserRole, it.id)
            row.setData(1, Qt.UserRole, e.kind)
            row.setToolTip(0, f"#{it.id}: {e.summary()}")
            self.tree.addTopLevelItem(row)
            if it.id == keep:
                self.tree.setCurrentItem(row)
        for c in range(3):
            self.tree.resizeColumnToContents(c)
        rows = max(1, self.tree.topLevelItemCount())
        row_h = self.tree.sizeHintForRow(0) if self.tree.topLevelItemCount() else 18
        self.tree.setFixedHeight(min(140, self.tree.header().height() + rows * max(row_h, 16) + 6))
        log = list(state.edit_log) if state is not None else []
        self.log.setText(("Changed during this run: " + "; ".join(log[-3:])) if log else "")
        self.log.setVisible(bool(log))
        self.remove_button.setEnabled(self.tree.currentItem() is not None
                                      and self.tree.currentItem().data(0, Qt.UserRole) is not None)

    def _on_item(self, item, _col) -> None:
        eid = item.data(0, Qt.UserRole)
        self.remove_button.setEnabled(eid is not None)
        if eid is not None:
            self.picked.emit(item.data(1, Qt.UserRole), int(eid))

    def _on_remove(self) -> None:
        item = self.tree.currentItem()
        if item is not None and item.data(0, Qt.UserRole) is not None:
            self.remove_requested.emit(item.data(1, Qt.UserRole), int(item.data(0, Qt.UserRole)))

    def count(self) -> int:
        return len(self._items)
