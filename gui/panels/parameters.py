"""Every model parameter, searchable: value, unit, allowed range, default and literature source
(engine.parameter_table(), i.e. resources/parameters.toml).

An edit is written to the scenario document (its ``[parameters]`` overrides, saved with it and
recorded in every run's metadata); before a run has started it rebuilds the run at once, during a
run it applies at Reset -- or now, from the current day, with "Apply now" (the change is then listed
in the run's ``edits_during_run``). Changed values are marked with a gear (\u2699), here, in the
window's title bar and on kept runs.
"""
from __future__ import annotations

import html
import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton,
                               QSizePolicy, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from engine import parameter_table

from ..parameter_use import readable_name, unit_text

NAME_ROLE = Qt.UserRole + 1
GEAR = "\u2699"


def _fmt(v: float) -> str:
    return f"{v:,.6g}" if abs(v) < 1e6 else f"{v:.4g}"


class ParameterPanel(QWidget):
    #: (name, value or None = back to the default)
    changed = Signal(str, object)
    apply_now = Signal(str, float)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.table = parameter_table()
        self.species = "mouse"
        self.overrides: dict[str, float] = {}
        self.started = False
        self.live_excluded: set[str] = set()
        try:
            from engine.simulation import LIVE_PARAMETERS_EXCLUDED
            self.live_excluded = set(LIVE_PARAMETERS_EXCLUDED)
        except ImportError:
            pass
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search parameters (name, meaning, source)\u2026")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.only_changed = QCheckBox("Only changed")
        self.only_changed.setToolTip("Show only the parameters that differ from their defaults")
        self.only_changed.toggled.connect(lambda _on: self._filter(self.search.text()))
        self.reset_all = QPushButton("All to defaults")
        self.reset_all.setToolTip("Put every parameter back to its default value")
        self.reset_all.clicked.connect(self._reset_all)
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Parameter", "Value", "Default"])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.currentItemChanged.connect(lambda cur, _p: self._show_current(cur))
        self.tree.setMinimumHeight(120)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeToContents)
        # the selected parameter: everything about it, and its editor
        self.title = QLabel()
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextFormat(Qt.RichText)
        self.details.setStyleSheet("color: #333;")
        self.details.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.value = QDoubleSpinBox()
        self.value.setKeyboardTracking(False)
        self.value.setDecimals(4)
        self.value.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)
        self.value.valueChanged.connect(self._on_value)
        self.unit = QLabel()
        self.default_button = QPushButton("Default")
        self.default_button.setToolTip("Back to this parameter's default value")
        self.default_button.clicked.connect(self._reset_current)
        self.now_button = QPushButton("Apply now")
        self.now_button.setToolTip("Change it in the running simulation from the current day on (recorded in "
                                   "the run's metadata); otherwise it applies when you press Reset")
        self.now_button.clicked.connect(self._apply_now)
        self.note = QLabel("")
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color: #8a5a00;")
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.only_changed)
        edit = QHBoxLayout()
        edit.addWidget(self.value, 1)
        edit.addWidget(self.unit)
        edit.addWidget(self.default_button)
        edit.addWidget(self.now_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(top)
        row = QHBoxLayout()
        self.summary = QLabel("")
        self.summary.setStyleSheet("color: #555;")
        row.addWidget(self.summary, 1)
        row.addWidget(self.reset_all)
        lay.addLayout(row)
        lay.addWidget(self.tree, 3)
        lay.addWidget(self.title)
        lay.addWidget(self.details)
        lay.addLayout(edit)
        lay.addWidget(self.note)
        self._items: dict[str, QTreeWidgetItem] = {}
        self._populate()
        self._show_current(None)

    # ------------------------------------------------------------------ building
    def _populate(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for name, p in self.table.items():
            g = groups.get(p.group)
            if g is None:
                g = QTreeWidgetItem([p.group.capitalize(), "", ""])
                f = g.font(0)
                f.setBold(True)
                g.setFont(0, f)
                g.setFlags(Qt.ItemIsEnabled)
                groups[p.group] = g
                self.tree.addTopLevelItem(g)
            it = QTreeWidgetItem(["", "", ""])
            it.setData(0, NAME_ROLE, name)
            it.setToolTip(0, f"{name}: {p.description}\nSource: {p.source}")
            g.addChild(it)
            self._items[name] = it
        self.tree.expandAll()
        self._refresh_rows()

    def _refresh_rows(self) -> None:
        for name, it in self._items.items():
            p = self.table[name]
            default = p.default_for(self.species)
            value = self.overrides.get(name, default)
            changed = name in self.overrides and not math.isclose(value, default, rel_tol=1e-12)
            unit = unit_text(p.unit)
            it.setText(0, (GEAR + " " if changed else "") + readable_name(p))
            it.setText(1, f"{_fmt(value)} {unit}".strip())
            it.setText(2, _fmt(default))
            f = it.font(0)
            f.setBold(changed)
            for c in range(3):
                it.setFont(c, f)
        n = len(self.changed_names())
        self.summary.setText(f"{GEAR} {n} changed from the defaults" if n else "All parameters at their defaults")
        self.reset_all.setEnabled(bool(n))

    def changed_names(self) -> list[str]:
        return [n for n, v in self.overrides.items() if n in self.table
                and not math.isclose(v, self.table[n].default_for(self.species), rel_tol=1e-12)]

    # ------------------------------------------------------------------ showing the scenario
    def show_scenario(self, scenario, started: bool = False) -> None:
        self.species = scenario.species
        self.overrides = dict(scenario.parameters)
        self.started = started
        self._refresh_rows()
        self._show_current(self.tree.currentItem())
        self._filter(self.search.text())

    def set_started(self, started: bool) -> None:
        self.started = started
        self._show_current(self.tree.currentItem())

    def _filter(self, text: str) -> int:
        q = text.strip().lower()
        only = self.only_changed.isChecked()
        changed = set(self.changed_names())
        shown = 0
        for i in range(self.tree.topLevelItemCount()):
            g = self.tree.topLevelItem(i)
            visible_children = 0
            for j in range(g.childCount()):
                it = g.child(j)
                name = it.data(0, NAME_ROLE)
                p = self.table[name]
                hay = " ".join([name, p.description, p.source, p.group, p.unit]).lower()
                hide = (bool(q) and q not in hay) or (only and name not in changed)
                it.setHidden(hide)
                visible_children += not hide
            g.setHidden(visible_children == 0)
            shown += visible_children
        return shown

    # ------------------------------------------------------------------ the selected parameter
    def current_name(self) -> str | None:
        it = self.tree.currentItem()
        return it.data(0, NAME_ROLE) if it is not None else None

    def select(self, name: str) -> None:
        it = self._items.get(name)
        if it is not None:
            it.setHidden(False)
            it.parent().setHidden(False)
            self.tree.setCurrentItem(it)
            self.tree.scrollToItem(it, QTreeWidget.PositionAtCenter)

    def _show_current(self, item) -> None:
        name = item.data(0, NAME_ROLE) if item is not None else None
        editing = name is not None
        for w in (self.value, self.default_button, self.now_button, self.unit):
            w.setEnabled(editing)
        if not editing:
            self.title.setText("<i>Pick a parameter to see its meaning and source, and to change it.</i>")
            self.details.setText("")
            self.note.setText("")
            self.now_button.setVisible(False)
            return
        p = self.table[name]
        default = p.default_for(self.species)
        value = self.overrides.get(name, default)
        self.title.setText(f"<b>{html.escape(readable_name(p))}</b> &nbsp;<code>{name}</code>")
        unit = unit_text(p.unit) or "(a number without unit)"
        self.details.setText(f"{html.escape(p.description)}<br>Unit: {html.escape(unit)} \u00b7 allowed "
                             f"{_fmt(p.min)} \u2013 {_fmt(p.max)} \u00b7 default ({self.species}) {_fmt(default)}"
                             f"<br><span style='color:#555'>Source: {html.escape(p.source)}</span>")
        self.value.blockSignals(True)
        self.value.setRange(p.min, p.max)
        span = max(abs(default), abs(p.max - p.min) / 100.0, 1e-9)
        self.value.setSingleStep(10 ** math.floor(math.log10(span)) / 10 if span > 0 else 0.1)
        self.value.setDecimals(max(2, min(6, 3 - int(math.floor(math.log10(max(abs(default), 1e-6)))))))
        self.value.setValue(value)
        self.value.blockSignals(False)
        self.unit.setText(unit_text(p.unit))
        self.default_button.setEnabled(name in self.overrides)
        live = name not in self.live_excluded
        self.now_button.setVisible(self.started)
        self.now_button.setEnabled(self.started and live)
        if self.started and name in self.overrides:
            self.note.setText("Applies when you press Reset (or now, from today, with \u201cApply now\u201d)."
                              if live else "Shapes the tile or the model's compartments: applies when you press Reset.")
        else:
            self.note.setText("")

    def _on_value(self, v: float) -> None:
        name = self.current_name()
        if name is None:
            return
        default = self.table[name].default_for(self.species)
        value = None if math.isclose(v, default, rel_tol=1e-9) else float(v)
        if value is None:
            self.overrides.pop(name, None)
        else:
            self.overrides[name] = value
        self._refresh_rows()
        self._show_current(self.tree.currentItem())
        self.changed.emit(name, value)

    def _reset_current(self) -> None:
        name = self.current_name()
        if name is not None:
            self.value.setValue(self.table[name].default_for(self.species))

    def _reset_all(self) -> None:
        for name in list(self.overrides):
            self.overrides.pop(name)
            self.changed.emit(name, None)
        self._refresh_rows()
        self._show_current(self.tree.currentItem())

    def _apply_now(self) -> None:
        name = self.current_name()
        if name is not None:
            self.apply_now.emit(name, float(self.value.value()))
