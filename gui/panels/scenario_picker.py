"""Scenario library (grouped by each scenario's ``group``) and the loaded scenario's explanation."""
from __future__ import annotations

import html
import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLabel, QPushButton, QTextBrowser, QTreeWidget, QTreeWidgetItem,
                               QVBoxLayout, QWidget)

from engine import GENOTYPES, InputError, Scenario, builtin_scenarios, load_scenario

log = logging.getLogger("nichelab.gui")

#: groups listed first, in this order; others follow alphabetically
GROUP_ORDER = ["Basics", "Lessons", "Reproduce the paper", "Myelosuppression", "Transplant", "Therapy", "Explore"]
ID_ROLE = Qt.UserRole + 1


def scenario_catalogue() -> list[tuple[str, str, str, str, str | None]]:
    """(id, group, name, description, error) of every built-in scenario."""
    out = []
    for sid in builtin_scenarios():
        try:
            s = load_scenario(sid)
            out.append((sid, s.group, s.name, s.description, None))
        except InputError as exc:
            log.warning("built-in scenario %s is invalid: %s", sid, exc)
            out.append((sid, "Invalid", sid, "", str(exc)))
    return out


def _group_key(group: str):
    return (GROUP_ORDER.index(group), "") if group in GROUP_ORDER else (len(GROUP_ORDER), group.lower())


class ScenarioPicker(QWidget):
    """Tree of built-in scenarios plus a readable explanation of the loaded one."""

    load_requested = Signal(str)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.tree = QTreeWidget()
        self.tree.setHeaderHidden(True)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setToolTip("Built-in scenarios, grouped by topic. Double-click one (or select it and press "
                             "Load) to open it; each comes with an explanation of what to look for.")
        self.tree.itemDoubleClicked.connect(self._on_double_click)
        self.tree.currentItemChanged.connect(self._on_current)
        self.load_button = QPushButton("Load scenario")
        self.load_button.setToolTip("Open the selected scenario and start again from day 0.")
        self.load_button.clicked.connect(self._on_load)
        self.load_button.setEnabled(False)
        self.text = QTextBrowser()
        self.text.setOpenExternalLinks(True)
        self.text.setToolTip("What the loaded scenario shows and what to look for.")
        self.text.setMinimumHeight(160)
        row = QHBoxLayout()
        label = QLabel("<b>Scenario library</b>")
        row.addWidget(label)
        row.addStretch(1)
        row.addWidget(self.load_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addLayout(row)
        lay.addWidget(self.tree, 3)
        lay.addWidget(self.text, 2)
        self.populate()

    def populate(self) -> None:
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        entries = scenario_catalogue()
        for group in sorted({e[1] for e in entries}, key=_group_key):
            item = QTreeWidgetItem([group])
            f = item.font(0)
            f.setBold(True)
            item.setFont(0, f)
            item.setFlags(Qt.ItemIsEnabled)
            self.tree.addTopLevelItem(item)
            groups[group] = item
        for sid, group, name, desc, error in entries:
            child = QTreeWidgetItem([name])
            child.setData(0, ID_ROLE, sid)
            child.setToolTip(0, f"{desc}\n\n(id: {sid})" if not error else error)
            if error:
                child.setFlags(Qt.NoItemFlags)
            groups[group].addChild(child)
        self.tree.expandAll()

    def item_for(self, sid: str) -> QTreeWidgetItem | None:
        for i in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(i)
            for j in range(top.childCount()):
                if top.child(j).data(0, ID_ROLE) == sid:
                    return top.child(j)
        return None

    def select(self, sid: str | None) -> None:
        item = self.item_for(sid) if sid else None
        self.tree.blockSignals(True)
        self.tree.setCurrentItem(item) if item is not None else self.tree.clearSelection()
        self.tree.blockSignals(False)
        self.load_button.setEnabled(item is not None)

    def _on_current(self, cur, _prev) -> None:
        self.load_button.setEnabled(cur is not None and cur.data(0, ID_ROLE) is not None)

    def _on_double_click(self, item, _col) -> None:
        sid = item.data(0, ID_ROLE)
        if sid:
            self.load_requested.emit(sid)

    def _on_load(self) -> None:
        item = self.tree.currentItem()
        if item is not None and item.data(0, ID_ROLE):
            self.load_requested.emit(item.data(0, ID_ROLE))

    def show_scenario(self, scn: Scenario, source: str = "") -> None:
        """Render the scenario's name, description, explanation and schedule."""
        esc = html.escape
        src = f" \u00b7 {esc(source)}" if source else ""
        parts = [f"<h3 style='margin-bottom:2px'>{esc(scn.name)}</h3>",
                 f"<p style='color:#555; margin-top:0'>{esc(scn.group)} \u00b7 {esc(scn.species)} \u00b7 "
                 f"{esc(GENOTYPES.get(scn.genotype, scn.genotype))} \u00b7 {scn.days:g} days \u00b7 seed "
                 f"{scn.seed}{src}</p>"]
        if scn.description:
            parts.append(f"<p><i>{esc(scn.description)}</i></p>")
        for para in [p.strip() for p in scn.explanation.split("\n\n") if p.strip()]:
            parts.append(f"<p>{esc(para).replace(chr(10), ' ')}</p>")
        if scn.events:
            items = "".join(f"<li>{esc(e.summary())}</li>" for e in sorted(scn.events, key=lambda e: e.start_day))
            parts.append(f"<p><b>Schedule</b></p><ul style='margin-top:0'>{items}</ul>")
        else:
            parts.append("<p><b>Schedule:</b> no treatments or perturbations.</p>")
        if scn.parameters:
            ov = ", ".join(f"{esc(k)} = {v:g}" for k, v in sorted(scn.parameters.items()))
            parts.append(f"<p><b>Parameter changes:</b> {ov}</p>")
        self.text.setHtml("".join(parts))
