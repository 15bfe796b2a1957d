"""Dialogs: errors, unsaved changes, About."""
from __future__ import annotations

import platform
import sys

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QMessageBox, QTextBrowser, QVBoxLayout

from engine.runtime import APP_NAME, app_version, log_file, resource_dir

LICENSE_FILE = "THIRD_PARTY_LICENSES.md"
#: longest message and details an error box shows (characters): a huge text would freeze the box
MAX_MESSAGE_CHARS = 2000
MAX_DETAILS_CHARS = 20000


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (a note says how much was left out)."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f"\u2026 ({len(text) - limit} more characters not shown)"


def show_error(parent, title: str, message: str, details: str | None = None) -> None:
    """A modal error box; the application keeps running afterwards."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Critical)
    box.setWindowTitle(clip(title, 200))
    box.setText(clip(title, 200))
    box.setInformativeText(clip(message, MAX_MESSAGE_CHARS))
    if details:
        box.setDetailedText(clip(details, MAX_DETAILS_CHARS))
    box.setStandardButtons(QMessageBox.Ok)
    box.exec()


def ask_unsaved(parent, what: str) -> str:
    """'save', 'discard' or 'cancel' before ``what`` (e.g. 'closing') throws edits away."""
    answer = QMessageBox.question(
        parent, "Unsaved changes",
        f"The scenario has changes that are not saved. Save them before {what}?",
        QMessageBox.Save | QMessageBox.Discard | QMessageBox.Cancel, QMessageBox.Save)
    return {QMessageBox.Save: "save", QMessageBox.Discard: "discard"}.get(answer, "cancel")


def _version(module: str) -> str:
    try:
        mod = __import__(module)
        return str(getattr(mod, "__version__", "?"))
    except Exception:  # noqa: BLE001 - shown as missing
        return "not available"


def about_text() -> str:
    """Markdown for the About dialog: versions and third-party licences."""
    import PySide6
    from PySide6 import QtCore

    lines = [f"# {APP_NAME} {app_version()}", "",
             "A simulator of the bone-marrow vascular niche: thrombopoiesis, TPO, SDF-1/FGF-4 and "
             "transplant recovery.", "",
             "| component | version |", "| --- | --- |",
             f"| Python | {platform.python_version()} ({sys.platform}) |",
             f"| Qt | {QtCore.qVersion()} |",
             f"| PySide6 | {PySide6.__version__} |",
             f"| numpy | {_version('numpy')} |",
             f"| numba | {_version('numba')} |",
             f"| vispy | {_version('vispy')} |",
             f"| pyqtgraph | {_version('pyqtgraph')} |",
             f"| pydantic | {_version('pydantic')} |", ""]
    try:
        lines.append(f"Log file: `{log_file()}`")
    except OSError:
        pass
    lines.append("")
    path = resource_dir() / LICENSE_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        text = ("Licences of bundled components: see the licence files of numpy, numba, llvmlite, "
                "pydantic, platformdirs, PySide6 (LGPLv3), vispy, pyqtgraph, imageio and imageio-ffmpeg.")
    lines += ["---", "", text]
    return "\n".join(lines)


class AboutDialog(QDialog):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.setWindowTitle(f"About {APP_NAME}")
        self.resize(640, 560)
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(about_text())
        buttons = QDialogButtonBox(QDialogButtonBox.Close)
        buttons.rejected.connect(self.reject)
        buttons.accepted.connect(self.accept)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser)
        lay.addWidget(buttons)
