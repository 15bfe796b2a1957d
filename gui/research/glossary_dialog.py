"""Help > Glossary: a searchable list of the terms behind NicheLab's tooltips, rendered from their
Markdown (bold, lists, links) -- never shown as raw Markdown."""
from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QTextBrowser, QVBoxLayout

from studies.glossary import load_glossary


class GlossaryDialog(QDialog):
    def __init__(self, parent=None, glossary=None):
        super().__init__(parent)
        self.setWindowTitle("Glossary")
        self.resize(820, 560)
        self.glossary = glossary or load_glossary()
        lay = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search terms and definitions\u2026")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        lay.addWidget(self.search)
        row = QHBoxLayout()
        self.list = QListWidget()
        self.list.setMaximumWidth(260)
        self.text = QTextBrowser()
        row.addWidget(self.list)
        row.addWidget(self.text, 1)
        lay.addLayout(row, 1)
        self.terms = sorted(self.glossary.terms, key=lambda t: t.term.lower())
        for t in self.terms:
            it = QListWidgetItem(t.term)
            it.setData(Qt.UserRole, t.id)
            it.setToolTip(t.short)
            self.list.addItem(it)
        self.list.currentItemChanged.connect(lambda cur, _prev: self.show_term(cur.data(Qt.UserRole))
                                             if cur is not None else None)
        self.text.setOpenLinks(False)
        self.text.anchorClicked.connect(lambda url: self.select(url.toString()))
        if self.terms:
            self.list.setCurrentRow(0)

    def filter(self, text: str) -> int:
        q = text.strip().lower()
        shown = 0
        for i, t in enumerate(self.terms):
            hay = " ".join([t.term, *t.aliases, t.short, t.long]).lower()
            hide = bool(q) and q not in hay
            self.list.item(i).setHidden(hide)
            shown += not hide
        return shown

    def select(self, term_id: str) -> None:
        for i, t in enumerate(self.terms):
            if t.id == term_id:
                self.list.item(i).setHidden(False)
                self.list.setCurrentRow(i)

    def show_term(self, term_id: str) -> None:
        t = self.glossary.by_id(term_id)
        parts = [f"## {_md_escape(t.term)}", ""]
        if t.aliases:
            parts += [f"*also: {_md_escape(', '.join(t.aliases))}*", ""]
        parts += [f"**{_md_escape(t.short)}**", "", t.long.strip(), ""]
        parts += [f"<span style='color:#555'>Source: {html.escape(t.source)}</span>", ""]
        if t.see_also:
            links = []
            for sid in t.see_also:
                try:
                    links.append(f"[{_md_escape(self.glossary.by_id(sid).term)}]({sid})")
                except KeyError:
                    continue
            if links:
                parts.append("See also: " + ", ".join(links))
        self.text.setMarkdown("\n".join(parts))

    def shown_text(self) -> str:
        """The rendered text (no Markdown marks)."""
        return self.text.toPlainText()


def _md_escape(text: str) -> str:
    for ch in ("\\", "*", "_", "[", "]", "`"):
        text = text.replace(ch, "\\" + ch)
    return text
