"""The 3D view with everything around it: legend, view presets, SDF-1 field controls, the replay
slider, and overlays inside the view (the clicked cell's card, the SDF-1 colour bar, the mouse hints,
the busy note).

The panel holds widgets only: the main window connects them to the viewport and the controller.
Every control row shrinks with the window (nothing here sets the window's minimum width).
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QRect, Qt, Signal
from PySide6.QtWidgets import (QCheckBox, QComboBox, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QSlider,
                               QToolButton, QVBoxLayout, QWidget)

from . import palette as P
from .legend import ColorBar, LegendBar
from .panels.inspector import InspectorPanel
from .texts import VIEW_HINTS, VIEW_TIPS
from .viewport import Viewport, volume_rendering_available

INSPECTOR_WIDTH = 270


class HintLabel(QLabel):
    """The mouse hints as a caption inside the 3D view, joined by " \u00b7 ", most important first:
    it shows as many whole hints as the room it is given (``fit``) holds, never a word cut short.
    Clicks and drags pass through it to the view."""

    SEP = " \u00b7 "

    def __init__(self, hints: list[str], parent=None):
        super().__init__(parent)
        self._hints = list(hints)
        self.setAttribute(Qt.WA_TransparentForMouseEvents, True)
        self.setStyleSheet("background: rgba(0,0,0,120); color: rgba(255,255,255,210); padding: 2px 6px; "
                           "border-radius: 4px;")
        self.fit(10_000)

    def fit(self, room: int) -> None:
        """Show the first hints that fit in ``room`` pixels (padding included); none: hidden."""
        self.ensurePolished()            # (the style sheet's padding)
        fm = self.fontMetrics()
        m = self.contentsMargins()
        room = room - m.left() - m.right() - 2
        shown: list[str] = []
        for h in self._hints:
            if fm.horizontalAdvance(self.SEP.join(shown + [h])) > room:
                break
            shown.append(h)
        self.setText(self.SEP.join(shown))
        self.adjustSize()
        self.setVisible(bool(shown))


def replay_label_text(day: float, live: bool) -> str:
    """The replay row's label: which moment the view shows, and whether it is the running simulation."""
    return f"{'Live' if live else 'Replay'}: day {day:.2f}"


class CellCard(QWidget):
    """The clicked cell's details as a card in the view's top-left corner, with a close button."""

    closed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("cell_card")
        self.setAttribute(Qt.WA_StyledBackground, True)
        self.setStyleSheet("#cell_card { background: rgba(255,255,255,235); border-radius: 6px; }")
        self.inspector = InspectorPanel()
        self.inspector.hint.hide()
        title = QLabel("<b>Cell inspector</b>")
        close = QToolButton()
        close.setText("\u00d7")
        close.setAutoRaise(True)
        close.setToolTip("Close (the cell stays selected until you click elsewhere)")
        close.clicked.connect(self._close)
        top = QHBoxLayout()
        top.setContentsMargins(6, 2, 2, 0)
        top.addWidget(title)
        top.addStretch(1)
        top.addWidget(close)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 4)
        lay.setSpacing(0)
        lay.addLayout(top)
        lay.addWidget(self.inspector)
        self.setFixedWidth(INSPECTOR_WIDTH)
        self.hide()

    def _close(self) -> None:
        self.hide()
        self.closed.emit()

    def show_info(self, info: dict) -> None:
        self.inspector.show_info(info)
        self.setVisible(True)
        self.layout().activate()
        self.resize(INSPECTOR_WIDTH, self.layout().heightForWidth(INSPECTOR_WIDTH)
                    if self.layout().hasHeightForWidth() else self.sizeHint().height())
        self.raise_()


class ViewPanel(QWidget):
    """The 3D viewport with its legend, presets, field and replay controls."""

    preset_chosen = Signal(str)
    field_mode_chosen = Signal(str)
    replay_moved = Signal(int)          # index into the replay store
    live_requested = Signal()

    def __init__(self, viewport: Viewport, parent=None):
        super().__init__(parent)
        self.viewport = viewport
        self.legend = LegendBar()
        self.camera_button = QPushButton("Reset view")
        self.camera_button.setToolTip(VIEW_TIPS["camera"])
        self.preset = QComboBox()
        for p in P.VIEW_PRESETS:
            self.preset.addItem(p.label, p.key)
            self.preset.setItemData(self.preset.count() - 1, p.tooltip, Qt.ToolTipRole)
        self.preset.setToolTip(VIEW_TIPS["preset"])
        self.preset.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.preset.setMinimumContentsLength(8)
        self.preset.activated.connect(lambda i: self.preset_chosen.emit(self.preset.itemData(i)))
        self.section = QComboBox()
        for thickness in (None, 200.0, 120.0, 60.0):
            self.section.addItem("Whole tile" if thickness is None else f"{thickness:g} \u00b5m slice", thickness)
        self.section.setToolTip(VIEW_TIPS["section"])
        self.section.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.section.setMinimumContentsLength(7)
        self.section.setCurrentIndex(max(0, self.section.findData(P.VIEW_PRESETS[0].section_um)))
        self.depth_check = QCheckBox("Depth cue")
        self.depth_check.setChecked(True)
        self.depth_check.setToolTip(VIEW_TIPS["depth"])
        self.field_mode = QComboBox()
        modes = [("off", "SDF-1: off"), ("slice", "SDF-1: slice"), ("isosurface", "SDF-1: isosurface")]
        if volume_rendering_available():      # (3D textures need PyOpenGL)
            modes.append(("volume", "SDF-1: volume"))
        for key, label in modes:
            self.field_mode.addItem(label, key)
        self.field_mode.setToolTip(VIEW_TIPS["field"])
        self.field_mode.setSizeAdjustPolicy(QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.field_mode.setMinimumContentsLength(8)
        self.field_mode.currentIndexChanged.connect(lambda i: self.field_mode_chosen.emit(self.field_mode.itemData(i)))
        # the slider sets the slice height (slice) or the surface level (isosurface)
        self.slice = QSlider(Qt.Horizontal)
        self.slice.setRange(0, 300)
        self.slice.setValue(30)
        self.slice.setToolTip(VIEW_TIPS["slice"])
        self.slice.setMinimumWidth(40)
        self.slice.setMaximumWidth(160)
        self.slice_label = QLabel("z = 30 \u00b5m")
        self.slice_label.setToolTip(VIEW_TIPS["slice"])
        self.iso = QSlider(Qt.Horizontal)
        self.iso.setRange(2, 98)
        self.iso.setValue(60)
        self.iso.setToolTip(VIEW_TIPS["iso"])
        self.iso.setMinimumWidth(40)
        self.iso.setMaximumWidth(160)
        self.iso_label = QLabel("")
        self.iso_label.setToolTip(VIEW_TIPS["iso"])
        # inside the view: the colour bar (bottom right), the cell card (top left), the busy note
        self.colorbar = ColorBar(parent=viewport)
        self.card = CellCard(viewport)
        self.inspector = self.card.inspector
        self.busy = QLabel("", viewport)
        self.busy.setAlignment(Qt.AlignCenter)
        self.busy.setWordWrap(True)          # a narrow view wraps the message instead of cutting it
        self.busy.setStyleSheet("background: rgba(20,20,20,190); color: white; padding: 14px; "
                                "border-radius: 8px; font-size: 12pt;")
        self.busy.hide()
        self.replay_note = QLabel("", viewport)
        self.replay_note.setStyleSheet("background: rgba(230,159,0,220); color: black; padding: 3px 8px; "
                                       "border-radius: 4px; font-weight: bold;")
        self.replay_note.hide()
        self.hint = HintLabel(VIEW_HINTS, viewport)     # bottom left, beside the colour bar
        for w in (self.slice, self.slice_label, self.iso, self.iso_label, self.colorbar):
            w.setVisible(False)
        viewport.installEventFilter(self)
        viewport.view_moved.connect(self._place_colorbar)     # (the scale bar moves with the camera)
        # replay: scrub through the stored frames of the run
        self.replay = QSlider(Qt.Horizontal)
        self.replay.setRange(0, 0)
        self.replay.setEnabled(False)
        self.replay.setToolTip(VIEW_TIPS["replay"])
        self.replay.valueChanged.connect(self._on_replay)
        self.replay_label = QLabel("Replay")
        self.replay_label.setToolTip(VIEW_TIPS["replay"])
        # as wide as its longest text, so that the slider does not jump when the day changes
        self.replay_label.setMinimumWidth(self.replay_label.fontMetrics().horizontalAdvance(
            replay_label_text(999.99, live=False)) + 4)
        self.live_button = QPushButton("Live")
        self.live_button.setToolTip("Back to the running simulation's current state")
        self.live_button.setEnabled(False)
        self.live_button.clicked.connect(self.live_requested)
        self._replay_days: list[float] = []
        self._live_day: float | None = None       # day of the live frame the view shows
        self._replay_day: float | None = None     # day of the stored frame the view shows (None: live)

        controls = QHBoxLayout()
        controls.setContentsMargins(4, 0, 4, 0)
        controls.setSpacing(6)
        for w in (self.camera_button, self.preset, self.section, self.field_mode):
            controls.addWidget(w)
        # the field's slider gets a row of its own while a slice or surface is shown (never widens the window)
        self.field_row = QWidget()
        frow = QHBoxLayout(self.field_row)
        frow.setContentsMargins(4, 0, 4, 0)
        self.field_row_label = QLabel("SDF-1")
        for w in (self.field_row_label, self.slice, self.slice_label, self.iso, self.iso_label):
            frow.addWidget(w)
        self.slice.setMaximumWidth(16777215)
        self.iso.setMaximumWidth(16777215)
        frow.setStretch(1, 1)
        frow.setStretch(3, 1)
        self.field_row.setVisible(False)
        controls.addStretch(1)
        replay_row = QHBoxLayout()
        replay_row.setContentsMargins(4, 0, 4, 0)
        replay_row.addWidget(self.depth_check)
        replay_row.addSpacing(8)
        replay_row.addWidget(self.replay_label)
        replay_row.addWidget(self.replay, 1)
        replay_row.addWidget(self.live_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 2)
        lay.setSpacing(2)
        lay.addWidget(viewport, 1)
        lay.addWidget(self.legend)
        lay.addLayout(controls)
        lay.addWidget(self.field_row)
        lay.addLayout(replay_row)
        for w in (self.camera_button, self.preset, self.section, self.field_mode, self.depth_check):
            w.setSizePolicy(QSizePolicy.Maximum, QSizePolicy.Fixed)

    # ------------------------------------------------------------------ overlays
    def eventFilter(self, obj, ev):
        if obj is self.viewport and ev.type() == QEvent.Resize:
            self._place_overlays()
        return False

    def _place_overlays(self) -> None:
        vp = self.viewport
        self.card.move(8, 8)
        self.card.setMaximumHeight(max(80, vp.height() - 16))
        rn = self.replay_note
        rn.adjustSize()
        rn.move(max(0, (vp.width() - rn.width()) // 2), 8)
        self._place_colorbar()
        if self.busy.isVisible():
            self.show_busy(self.busy.text())

    def colorbar_places(self) -> list[QRect]:
        """Where the colour bar may go, best first: the bottom right corner, then on the right just
        above or below the scale bar, then the top right corner (under the replay note)."""
        vp, cb, m = self.viewport, self.colorbar, 8
        w, h = cb.width(), cb.height()
        x = max(0, vp.width() - w - m)
        places = [QRect(x, max(0, vp.height() - h - m), w, h)]
        scale = vp.scale_bar_rect()
        if scale is not None:
            places += [QRect(x, scale.top() - h - 2, w, h), QRect(x, scale.bottom() + 3, w, h)]
        top = m
        if not self.replay_note.isHidden():
            top = self.replay_note.geometry().bottom() + 1 + 4
        places.append(QRect(x, top, w, h))
        return places

    def _place_colorbar(self) -> None:
        """The colour bar goes to the first of its places that is inside the view and clear of the scale
        bar and the replay note (then the mouse hints take the room it leaves)."""
        vp, cb = self.viewport, self.colorbar
        cb.adjustSize()
        view = vp.rect()
        scale = vp.scale_bar_rect()
        note = self.replay_note.geometry() if not self.replay_note.isHidden() else None
        places = self.colorbar_places()
        for r in places:
            if (view.contains(r) and (scale is None or not r.intersects(scale))
                    and (note is None or not r.intersects(note))):
                break
        else:
            r = places[0]
        cb.move(r.topLeft())
        hint_top = vp.height() - self.hint.sizeHint().height() - 8
        beside = not cb.isHidden() and cb.geometry().bottom() >= hint_top
        self.hint.fit(vp.width() - 16 - (cb.width() + 8 if beside else 0))
        self.hint.move(8, max(0, vp.height() - self.hint.height() - 8))

    def show_busy(self, message: str) -> None:
        self.busy.setText(message)
        self.busy.setVisible(bool(message))
        if message:
            vp = self.viewport
            self.busy.ensurePolished()       # (the style sheet's font and padding)
            m = self.busy.contentsMargins()
            natural = self.busy.fontMetrics().horizontalAdvance(message) + m.left() + m.right() + 4
            width = max(120, min(natural, vp.width() - 24))      # one line if it fits
            self.busy.setFixedSize(width, self.busy.heightForWidth(width))
            self.busy.move(max(0, (vp.width() - self.busy.width()) // 2),
                           max(0, (vp.height() - self.busy.height()) // 2))
            self.busy.raise_()

    def set_tile_height(self, z_um: float) -> None:
        self.slice.setRange(0, int(z_um))

    def show_field_controls(self, mode: str) -> None:
        """Show the slider that belongs to the field mode, and the colour bar when a field is drawn."""
        self.slice.setVisible(mode == "slice")
        self.slice_label.setVisible(mode == "slice")
        self.iso.setVisible(mode == "isosurface")
        self.iso_label.setVisible(mode == "isosurface")
        self.field_row.setVisible(mode in ("slice", "isosurface"))
        self.field_row_label.setText({"slice": "SDF-1 slice height", "isosurface": "SDF-1 surface level"}.get(mode, ""))
        self.colorbar.setVisible(mode != "off")
        self._place_overlays()          # (the hints make room for the colour bar)
        if mode != "off":
            self.colorbar.raise_()
        idx = self.field_mode.findData(mode)
        if idx != self.field_mode.currentIndex():
            self.field_mode.blockSignals(True)
            self.field_mode.setCurrentIndex(idx)
            self.field_mode.blockSignals(False)

    def set_preset(self, key: str) -> None:
        self.preset.setCurrentIndex(max(0, self.preset.findData(key)))

    def set_section(self, thickness: float | None) -> None:
        i = max(0, self.section.findData(thickness))
        self.section.blockSignals(True)
        self.section.setCurrentIndex(i)
        self.section.blockSignals(False)

    # ------------------------------------------------------------------ replay
    def set_replay_days(self, days: list[float], follow: bool) -> None:
        """The days of the stored frames; ``follow``: keep the slider at the newest."""
        self._replay_days = list(days)
        n = len(days)
        self.replay.blockSignals(True)
        at_end = self.replay.value() >= self.replay.maximum()
        self.replay.setRange(0, max(0, n - 1))
        if follow or at_end:
            self.replay.setValue(max(0, n - 1))
        self.replay.blockSignals(False)
        self.replay.setEnabled(n > 1)
        self._show_replay_label()

    def set_live_day(self, day: float) -> None:
        """The day of the live frame just drawn in the view (the label shows it while not replaying)."""
        self._live_day = float(day)
        if self._replay_day is None:
            self._show_replay_label()

    def _show_replay_label(self) -> None:
        """The day of the frame on screen: the stored one while replaying, else the live one."""
        if self._replay_day is not None:
            self.replay_label.setText(replay_label_text(self._replay_day, live=False))
        elif self._live_day is not None:
            self.replay_label.setText(replay_label_text(self._live_day, live=True))
        else:
            self.replay_label.setText("Replay")

    def _on_replay(self, i: int) -> None:
        if i < self.replay.maximum() and i < len(self._replay_days):
            self.replay_label.setText(replay_label_text(self._replay_days[i], live=False))
        self.replay_moved.emit(int(i))

    def set_replaying(self, day: float | None) -> None:
        """Show (day) or hide (None) the note that the view shows a stored moment."""
        self.live_button.setEnabled(day is not None)
        self._replay_day = None if day is None else float(day)
        self._show_replay_label()
        if day is None:
            self.replay_note.hide()
            return
        self.replay_note.setText(f"Replay: day {day:.2f} (stored picture; press Live or Play to return)")
        self._place_overlays()
        self.replay_note.show()
        self.replay_note.raise_()
