"""Menu entries: one helper for the main window's menus and the research features' entries."""
from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def add_action(parent, menu, text, slot, shortcut=None, tip=None, before=None) -> QAction:
    """A menu entry calling ``slot()``; ``shortcut`` a key sequence or its text, ``tip`` shown as
    tooltip and in the status bar, ``before`` an entry of ``menu`` to insert it in front of."""
    a = QAction(text, parent)
    if shortcut:
        a.setShortcut(QKeySequence(shortcut))
    if tip:
        a.setToolTip(tip)
        a.setStatusTip(tip)
    a.triggered.connect(lambda _checked=False: slot())
    if before is not None:
        menu.insertAction(before, a)
    else:
        menu.addAction(a)
    return a
