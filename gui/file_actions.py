"""Open/save scenario files, export CSV and PNG. Every write is atomic.

The dialogs are looked up through this module (``QFileDialog``) so that tests
can replace them.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QFileDialog

from engine import InputError, load_scenario
from engine.files import atomic_write, atomic_write_text

from . import dialogs

log = logging.getLogger("nichelab.gui")

SCENARIO_FILTER = "NicheLab scenario (*.toml);;All files (*)"
CSV_FILTER = "CSV table (*.csv);;All files (*)"
PNG_FILTER = "PNG image (*.png)"


def atomic_save_image(image: QImage, path: str | Path) -> None:
    """Save a QImage as PNG atomically (temporary file in the same folder, then rename)."""
    def write(tmp: str) -> None:
        if not image.save(tmp, "PNG"):
            raise OSError(f"could not write PNG {path}")

    atomic_write(path, write, suffix=".png")


def rgba_to_qimage(rgba: np.ndarray) -> QImage:
    a = np.ascontiguousarray(rgba[..., :4] if rgba.shape[-1] == 4 else
                             np.concatenate([rgba, np.full(rgba.shape[:2] + (1,), 255, np.uint8)], -1))
    h, w = a.shape[:2]
    img = QImage(a.data, w, h, 4 * w, QImage.Format_RGBA8888)
    return img.copy()   # own the pixels


def _slug(text: str) -> str:
    keep = "".join(c if c.isalnum() else "_" for c in text.strip().lower())
    return "_".join(p for p in keep.split("_") if p)[:60] or "scenario"


class FileActions(QObject):
    """File menu behaviour for a MainWindow (model, controller, viewport, plots)."""

    saved = Signal(str)           # path of any file written

    def __init__(self, window):
        super().__init__(window)
        self.w = window

    # ------------------------------------------------------------------ scenarios
    def open_scenario(self, path: str | None = None) -> bool:
        """Ask for a scenario file and load it; a bad file shows a dialog and changes nothing.

        The file is read and checked (schema, parameters, size of the simulation) before the
        unsaved-changes question, so a bad file never costs the user their edits."""
        if path is None:
            path, _ = QFileDialog.getOpenFileName(self.w, "Open scenario", str(self._folder()), SCENARIO_FILTER)
            if not path:
                return False
        try:
            scn = load_scenario(path)
        except InputError as exc:
            dialogs.show_error(self.w, "Cannot open scenario", str(exc))
            return False
        if not self.w.confirm_discard("opening another scenario"):
            return False
        self.w.controller.load_scenario(scn, path=path)
        return True

    def save_scenario(self) -> bool:
        path = self.w.model.path
        if path is None or self.w.model.builtin_id is not None:
            return self.save_scenario_as()
        return self._write_scenario(path)

    def save_scenario_as(self) -> bool:
        name = _slug(self.w.model.scenario.name) + ".toml"
        path, _ = QFileDialog.getSaveFileName(self.w, "Save scenario", str(self._folder() / name),
                                              SCENARIO_FILTER)
        if not path:
            return False
        if not path.lower().endswith(".toml"):
            path += ".toml"
        return self._write_scenario(path)

    def _write_scenario(self, path) -> bool:
        try:
            atomic_write_text(path, self.w.model.snapshot().to_toml())
        except (OSError, UnicodeError, InputError) as exc:
            dialogs.show_error(self.w, "Cannot save scenario", f"{path}: {getattr(exc, 'strerror', None) or exc}")
            return False
        self.w.model.mark_saved(path)
        self.saved.emit(str(path))
        return True

    # ------------------------------------------------------------------ exports
    def export_csv(self, path: str | None = None) -> bool:
        """Write the time series (with the run's metadata) as CSV; the text is made on the engine thread."""
        if path is None:
            name = _slug(self.w.model.scenario.name) + ".csv"
            path, _ = QFileDialog.getSaveFileName(self.w, "Export time series", str(self._folder() / name),
                                                  CSV_FILTER)
            if not path:
                return False

        def done(text, error):
            if error or text is None:
                dialogs.show_error(self.w, "Cannot export", error or "no simulation is loaded")
                return
            try:
                atomic_write_text(path, text)
            except (OSError, UnicodeError) as exc:
                dialogs.show_error(self.w, "Cannot export", f"{path}: {getattr(exc, 'strerror', None) or exc}")
                return
            self.saved.emit(str(path))
            self.w.statusBar().showMessage(f"Saved {path}", 5000)

        self.w.controller.query("csv", done)
        return True

    def save_view_png(self, path: str | None = None) -> bool:
        path = path or self._ask_png("Save 3D view", "_3d.png")
        if not path:
            return False
        return self._save_image(rgba_to_qimage(self.w.viewport.render_image()), path)

    def save_plots_png(self, path: str | None = None) -> bool:
        path = path or self._ask_png("Save plots", "_plots.png")
        if not path:
            return False
        return self._save_image(self.w.plots.grab().toImage(), path)

    def save_window_png(self, path: str) -> bool:
        return self._save_image(self.w.grab().toImage(), path)

    def _ask_png(self, title: str, suffix: str) -> str | None:
        name = _slug(self.w.model.scenario.name) + suffix
        path, _ = QFileDialog.getSaveFileName(self.w, title, str(self._folder() / name), PNG_FILTER)
        if path and not path.lower().endswith(".png"):
            path += ".png"
        return path or None

    def _save_image(self, image: QImage, path) -> bool:
        try:
            atomic_save_image(image, path)
        except OSError as exc:
            dialogs.show_error(self.w, "Cannot save image", str(exc))
            return False
        self.saved.emit(str(path))
        self.w.statusBar().showMessage(f"Saved {path}", 5000)
        return True

    def _folder(self) -> Path:
        p = self.w.model.path
        if p is not None and self.w.model.builtin_id is None:
            return Path(p).parent
        return Path.home()
