"""Run controls: play/pause, step, reset, speed, seed, and the day read-out."""
from __future__ import annotations

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QComboBox, QLabel, QSpinBox, QStyle, QToolBar, QWidget, QSizePolicy

from engine.scenario import SEED_MAX

from ..controller import DEFAULT_SPEED, SPEEDS
from ..texts import RUN_TIPS


class RunControls(QToolBar):
    """Toolbar with the run actions (the actions carry the keyboard shortcuts)."""

    play_toggled = Signal()
    step_requested = Signal()
    reset_requested = Signal()
    speed_changed = Signal(object)    # hours per second or None (max)
    seed_changed = Signal(int)

    def __init__(self, parent=None):
        super().__init__("Run", parent)
        self.setObjectName("run_controls")
        self.setMovable(False)
        self.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        st = self.style()
        self._icon_play = st.standardIcon(QStyle.SP_MediaPlay)
        self._icon_pause = st.standardIcon(QStyle.SP_MediaPause)
        self.play_action = QAction(self._icon_play, "Play", self)
        self.play_action.setShortcut(QKeySequence(Qt.Key_Space))
        self.play_action.setShortcutContext(Qt.WindowShortcut)
        self.play_action.setToolTip(RUN_TIPS["play"])
        self.play_action.triggered.connect(self.play_toggled)
        self.step_action = QAction(st.standardIcon(QStyle.SP_MediaSkipForward), "Step", self)
        self.step_action.setShortcuts([QKeySequence(Qt.Key_Right), QKeySequence(Qt.Key_S)])
        self.step_action.setShortcutContext(Qt.WindowShortcut)
        self.step_action.setToolTip(RUN_TIPS["step"])
        self.step_action.triggered.connect(self.step_requested)
        self.reset_action = QAction(st.standardIcon(QStyle.SP_BrowserReload), "Reset", self)
        self.reset_action.setShortcuts([QKeySequence(Qt.Key_R), QKeySequence("Ctrl+R")])
        self.reset_action.setShortcutContext(Qt.WindowShortcut)
        self.reset_action.setToolTip(RUN_TIPS["reset"])
        self.reset_action.triggered.connect(self.reset_requested)
        for a in (self.play_action, self.step_action, self.reset_action):
            self.addAction(a)
        self.addSeparator()
        self.speed = QComboBox()
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.setCurrentIndex([v for _, v in SPEEDS].index(DEFAULT_SPEED))
        self.speed.setToolTip(RUN_TIPS["speed"])
        self.speed.currentIndexChanged.connect(lambda _i: self.speed_changed.emit(self.speed.currentData()))
        lab = QLabel(" Speed ")
        lab.setToolTip(RUN_TIPS["speed"])
        self.addWidget(lab)
        self.addWidget(self.speed)
        self.seed = QSpinBox()
        self.seed.setRange(0, SEED_MAX)      # the scenario schema's and the command line's range
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip(RUN_TIPS["seed"])
        self.seed.valueChanged.connect(self.seed_changed)
        lab = QLabel("  Seed ")
        lab.setToolTip(RUN_TIPS["seed"])
        self.addWidget(lab)
        self.addWidget(self.seed)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self.addWidget(spacer)
        self.scenario_label = QLabel("")
        self.scenario_label.setToolTip("The loaded scenario (an asterisk marks unsaved changes).")
        self.addWidget(self.scenario_label)
        self.day_label = QLabel("Day 0.0")
        self.day_label.setStyleSheet("font-size: 15pt; font-weight: bold; padding: 0 10px;")
        self.day_label.setToolTip("Simulated time since the start of the scenario.")
        self.day_label.setMinimumWidth(190)
        self.day_label.setAlignment(Qt.AlignRight | Qt.AlignVCenter)
        self.addWidget(self.day_label)

    def set_running(self, running: bool) -> None:
        self.play_action.setText("Pause" if running else "Play")
        self.play_action.setIcon(self._icon_pause if running else self._icon_play)

    def set_day(self, day: float, days: float) -> None:
        self.day_label.setText(f"Day {day:.1f} / {days:g}")

    def set_seed(self, seed: int) -> None:
        """Show ``seed`` without emitting seed_changed; ValueError outside 0..SEED_MAX (the box and
        its signals are left as they were)."""
        seed = int(seed)
        if not 0 <= seed <= SEED_MAX:
            raise ValueError(f"seed {seed} outside 0..{SEED_MAX}")
        blocker = QSignalBlocker(self.seed)
        try:
            self.seed.setValue(seed)
        finally:
            blocker.unblock()

    def set_reset_pending(self, pending: bool) -> None:
        self.reset_action.setText("Reset (apply changes)" if pending else "Reset")
