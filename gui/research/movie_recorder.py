"""Movie recording: grab the 3D view and the live plots at every rendered frame for N days.

Frames come from QWidget.grab of the central view and the plot dock, side by
side, with the simulated day burned in (studies.movie.MovieWriter encodes MP4 or
GIF; the file appears atomically when finished). A progress dialog shows the
simulated days recorded; Cancel deletes the partial file.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QMessageBox,
                               QProgressDialog, QSpinBox)

from engine import InputError
from studies.movie import MovieWriter

log = logging.getLogger("nichelab.gui")


def grab_rgb(window) -> np.ndarray:
    """(h, w, 3) uint8 picture of the 3D view and the live plots, side by side."""
    parts = [window.centralWidget().grab().toImage()]
    if window.dock_plots.isVisible():
        parts.append(window.plots.grab().toImage())
    h = max(p.height() for p in parts)
    w = sum(p.width() for p in parts)
    out = QImage(w, h, QImage.Format_RGB888)
    out.fill(Qt.white)
    painter = QPainter(out)
    x = 0
    for p in parts:
        painter.drawImage(x, 0, p)
        x += p.width()
    painter.end()
    return qimage_to_rgb(out)


def qimage_to_rgb(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


class MovieRecorder(QObject):
    """Records ``days`` simulated days from the current day into ``path``."""

    def __init__(self, window, path: str | Path, days: float, fps: float = 24.0, grab=grab_rgb):
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.days = float(days)
        self.grab = grab
        self.writer = MovieWriter(self.path, fps=fps)
        self.start_day = window.controller.day
        self.end_day = self.start_day + self.days
        self.last_day = None
        self.frames = 0
        self.active = True
        self.dialog = QProgressDialog(f"Recording {self.path.name}\u2026", "Cancel", 0, 1000, window)
        self.dialog.setWindowTitle("Record movie")
        self.dialog.setWindowModality(Qt.NonModal)
        self.dialog.setMinimumDuration(0)
        self.dialog.canceled.connect(self.abort)
        c = window.controller
        c.timer.timeout.connect(self._tick)        # after each poll; _tick draws the frame it grabs
        c.error.connect(lambda *_: self.abort())
        c.run_until(self.end_day)

    def _tick(self) -> None:
        if not self.active:
            return
        frame = self.window.controller.frame
        if frame is None or frame.day == self.last_day:
            return
        self.last_day = frame.day
        self.window.flush_frame()       # the view and plots show this frame (not the pacer's last one)
        try:
            self.writer.add_frame(self.grab(self.window), day=frame.day)
        except (OSError, InputError, ValueError) as exc:
            self.abort()
            QMessageBox.critical(self.window, "Cannot record the movie", str(exc))
            return
        self.frames += 1
        frac = (frame.day - self.start_day) / max(1e-9, self.days)
        self.dialog.setValue(int(1000 * min(1.0, frac)))
        self.dialog.setLabelText(f"Recording {self.path.name}: day {frame.day:.1f} of {self.end_day:g} "
                                 f"({self.frames} frames)")
        if frame.day >= self.end_day - 1e-9:
            self.finish()

    def _disconnect(self) -> None:
        self.active = False
        try:
            self.window.controller.timer.timeout.disconnect(self._tick)
        except (RuntimeError, TypeError):
            pass

    def finish(self) -> Path | None:
        self._disconnect()
        self.dialog.setLabelText("Encoding\u2026")
        try:
            path = self.writer.close()
        except (OSError, InputError, ValueError) as exc:
            self.dialog.reset()
            QMessageBox.critical(self.window, "Cannot record the movie", str(exc))
            return None
        self.dialog.reset()
        self.window.statusBar().showMessage(f"Saved movie {path} ({self.frames} frames)", 8000)
        return path

    def abort(self) -> None:
        if not self.active:
            return
        self._disconnect()
        self.writer.abort()
        self.window.controller.pause()
        self.dialog.reset()


class MovieOptions(QDialog):
    def __init__(self, parent, default_days: float):
        super().__init__(parent)
        self.setWindowTitle("Record movie")
        form = QFormLayout(self)
        self.days = QDoubleSpinBox()
        self.days.setRange(0.1, 3650)
        self.days.setValue(default_days)
        self.days.setToolTip("Simulated days to record from now")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(24)
        form.addRow("Days to record", self.days)
        form.addRow("Frames per second", self.fps)
        bb = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)


def record_movie_interactive(window):
    """File > Record movie…: ask days, fps and a file name, then record."""
    c = window.controller
    remaining = float(c.world.scenario.days) - c.day if c.world is not None else 10.0
    opts = MovieOptions(window, max(1.0, remaining))
    if opts.exec() != QDialog.Accepted:
        return None
    path, _ = QFileDialog.getSaveFileName(window, "Record movie", str(Path.home() / "nichelab.mp4"),
                                          "MP4 video (*.mp4);;Animated GIF (*.gif)")
    if not path:
        return None
    if not path.lower().endswith((".mp4", ".gif")):
        path += ".mp4"
    try:
        rec = MovieRecorder(window, path, opts.days.value(), fps=opts.fps.value())
    except (InputError, OSError, ValueError) as exc:
        QMessageBox.critical(window, "Cannot record the movie", str(exc))
        return None
    window._movie_recorder = rec
    return rec
