"""Movie recording: the 3D view (and optionally the plots) at a chosen number of frames per
simulated day, with the day burned in.

Frames are rendered offscreen from the vispy canvas (no widgets, no mouse pointer), so a frame is
the scene alone, at the view's size. The recorder runs the simulation to each frame's day in turn
(``run_until``: the engine pauses there), draws that state and renders it; the spacing in simulated
time is therefore exact, whatever the speed of the computer: 3 simulated days at 8 frames per day
are 25 frames, 1.0 s at 24 frames per second. studies.movie.MovieWriter encodes MP4 or GIF; the file
appears atomically when finished; Cancel deletes the partial file.
"""
from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer
from PySide6.QtGui import QImage
from PySide6.QtWidgets import (QCheckBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout,
                               QLabel, QMessageBox, QProgressDialog, QSpinBox)

from engine import InputError
from studies.movie import MovieWriter, frame_days

log = logging.getLogger("nichelab.gui")

DEFAULT_FRAMES_PER_DAY = 8
DEFAULT_FPS = 24


def view_rgb(window) -> np.ndarray:
    """(h, w, 3) uint8 render of the 3D view alone (even width and height)."""
    img = np.asarray(window.viewport.render_image())[..., :3]
    h, w = img.shape[:2]
    return np.ascontiguousarray(img[: h - h % 2, : w - w % 2])


def view_and_plots_rgb(window) -> np.ndarray:
    """The 3D view with the live plots beside it (the plots' own picture; no other widget)."""
    view = view_rgb(window)
    plots = qimage_to_rgb(window.plots.grab().toImage())
    h = max(view.shape[0], plots.shape[0])
    out = np.full((h, view.shape[1] + plots.shape[1], 3), 255, np.uint8)
    out[: view.shape[0], : view.shape[1]] = view
    out[: plots.shape[0], view.shape[1]:] = plots
    return out


def grab_rgb(window) -> np.ndarray:
    """(kept for callers of the older name: the view and the plots)"""
    return view_and_plots_rgb(window)


def qimage_to_rgb(img: QImage) -> np.ndarray:
    img = img.convertToFormat(QImage.Format_RGB888)
    w, h, bpl = img.width(), img.height(), img.bytesPerLine()
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=bpl * h).reshape(h, bpl)
    return buf[:, : 3 * w].reshape(h, w, 3).copy()


class MovieRecorder(QObject):
    """Records ``days`` simulated days from the current day into ``path``."""

    def __init__(self, window, path: str | Path, days: float, fps: float = DEFAULT_FPS,
                 frames_per_day: float = DEFAULT_FRAMES_PER_DAY, grab=view_rgb, progress: bool = True):
        super().__init__(window)
        self.window = window
        self.path = Path(path)
        self.grab = grab
        c = window.controller
        dt = c.world.dt_hours if c.world is not None else None
        self.start_day = c.day
        self.days_to_shoot = frame_days(self.start_day, float(days), float(frames_per_day), dt)
        self.end_day = self.days_to_shoot[-1]
        self.writer = MovieWriter(self.path, fps=fps, total_frames=len(self.days_to_shoot))
        self.frames = 0
        self.active = True
        self.finished_path: Path | None = None
        self._index = 0
        self.dialog = None
        if progress:
            self.dialog = QProgressDialog(f"Recording {self.path.name}\u2026", "Cancel", 0, 1000, window)
            self.dialog.setWindowTitle("Record movie")
            self.dialog.setWindowModality(Qt.NonModal)
            self.dialog.setMinimumDuration(0)
            self.dialog.canceled.connect(self.abort)
        c.pause()
        c.reached.connect(self._on_reached)
        c.error.connect(self._on_error)
        window.show_live()
        QTimer.singleShot(0, self._capture)          # the first frame: now

    def _target(self) -> float:
        return self.days_to_shoot[self._index]

    def _on_reached(self, _day: float) -> None:
        if self.active:
            QTimer.singleShot(0, self._capture)

    def _on_error(self, *_args) -> None:
        self.abort()

    def _capture(self) -> None:
        if not self.active:
            return
        c = self.window.controller
        c.poll()
        frame = c.frame
        target = self._target()
        if frame is None or frame.day < target - 1e-6:
            c.run_until(target)
            return
        self.window.flush_frame()       # the view and plots show this frame
        try:
            self.writer.add_frame(self.grab(self.window), day=frame.day)
        except (OSError, InputError, ValueError) as exc:
            self.abort()
            QMessageBox.critical(self.window, "Cannot record the movie", str(exc))
            return
        self.frames += 1
        self._index += 1
        if self.dialog is not None:
            frac = self._index / len(self.days_to_shoot)
            self.dialog.setValue(int(1000 * min(1.0, frac)))
            self.dialog.setLabelText(f"Recording {self.path.name}: day {frame.day:.1f} of {self.end_day:g} "
                                     f"({self.frames} of {len(self.days_to_shoot)} frames)")
        if self._index >= len(self.days_to_shoot):
            self.finish()
        else:
            c.run_until(self._target())

    def _disconnect(self) -> None:
        self.active = False
        c = self.window.controller
        for sig, slot in ((c.reached, self._on_reached), (c.error, self._on_error)):
            try:
                sig.disconnect(slot)
            except (RuntimeError, TypeError):
                pass

    def finish(self) -> Path | None:
        self._disconnect()
        if self.dialog is not None:
            self.dialog.setLabelText("Encoding\u2026")
        try:
            path = self.writer.close()
        except (OSError, InputError, ValueError) as exc:
            if self.dialog is not None:
                self.dialog.reset()
            QMessageBox.critical(self.window, "Cannot record the movie", str(exc))
            return None
        if self.dialog is not None:
            self.dialog.reset()
        self.finished_path = path
        self.window.statusBar().showMessage(f"Saved movie {path} ({self.frames} frames)", 8000)
        return path

    def abort(self) -> None:
        if not self.active:
            return
        self._disconnect()
        self.writer.abort()
        self.window.controller.pause()
        if self.dialog is not None:
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
        self.per_day = QSpinBox()
        self.per_day.setRange(1, 24)
        self.per_day.setValue(DEFAULT_FRAMES_PER_DAY)
        self.per_day.setToolTip("Pictures per simulated day (at most one per model step, 1 h)")
        self.fps = QSpinBox()
        self.fps.setRange(1, 60)
        self.fps.setValue(DEFAULT_FPS)
        self.fps.setToolTip("Playback speed of the movie file")
        self.plots = QCheckBox("Put the live plots beside the 3D view")
        self.length = QLabel()
        for w in (self.days, self.per_day, self.fps):
            w.valueChanged.connect(self._update_length)
        form.addRow("Days to record", self.days)
        form.addRow("Frames per simulated day", self.per_day)
        form.addRow("Playback frames per second", self.fps)
        form.addRow(self.plots)
        form.addRow(self.length)
        bb = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel)
        bb.accepted.connect(self.accept)
        bb.rejected.connect(self.reject)
        form.addRow(bb)
        self._update_length()

    def _update_length(self) -> None:
        n = int(round(self.days.value() * self.per_day.value())) + 1
        self.length.setText(f"{n} frames: a {n / self.fps.value():.1f} s movie; one second shows "
                            f"{self.fps.value() / self.per_day.value():.2g} simulated days. The day is burned in.")


def record_movie_interactive(window):
    """File > Record movie…: ask days, frames per day, fps and a file name, then record."""
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
        rec = MovieRecorder(window, path, opts.days.value(), fps=opts.fps.value(),
                            frames_per_day=opts.per_day.value(),
                            grab=view_and_plots_rgb if opts.plots.isChecked() else view_rgb)
    except (InputError, OSError, ValueError) as exc:
        QMessageBox.critical(window, "Cannot record the movie", str(exc))
        return None
    window._movie_recorder = rec
    return rec
