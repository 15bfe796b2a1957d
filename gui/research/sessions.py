"""Session files (File > Save session / Open session), autosave and crash recovery.

A session holds the scenario being edited, the kept runs, the day reached and the
lesson position (studies/session.py). A bad file gives an error dialog naming the
problem and changes nothing. Autosave: at most ``AUTOSAVE_INTERVAL_S`` after a
change (studies.session.AutosaveTimer); the autosave is removed on a clean exit.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from engine import InputError
from studies.session import (FILE_FILTER, SUFFIX, LessonState, Session, clear_autosave,
                             find_recoverable_autosave, load_session, save_session, write_autosave,
                             AutosaveTimer)

log = logging.getLogger("nichelab.gui")

CHECK_INTERVAL_MS = 5000


class SessionManager(QObject):
    def __init__(self, window, runs_panel=None, lesson_panel=None):
        super().__init__(window)
        self.window = window
        self.runs_panel = runs_panel
        self.lesson_panel = lesson_panel
        self.path: Path | None = None
        self.autosave = AutosaveTimer()
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_INTERVAL_MS)
        self.timer.timeout.connect(self._maybe_autosave)
        m = window.model
        m.loaded.connect(lambda _s: self.autosave.mark_dirty())
        m.field_changed.connect(lambda *_: self.autosave.mark_dirty())
        m.event_changed.connect(lambda *_: self.autosave.mark_dirty())
        if runs_panel is not None:
            runs_panel.runs_changed.connect(self.autosave.mark_dirty)
        if lesson_panel is not None:
            lesson_panel.step_changed.connect(lambda _i: self.autosave.mark_dirty())

    # ------------------------------------------------------------------ build / apply
    def current_session(self) -> Session:
        w = self.window
        scn = w.model.snapshot()
        lesson = None
        lp = self.lesson_panel
        if lp is not None and lp.lesson is not None:
            lesson = LessonState(**lp.state())
        runs = list(self.runs_panel.runs) if self.runs_panel is not None else []
        return Session.create(scenario_toml=scn.to_toml(), runs=runs, seed=int(scn.seed),
                              current_day=float(w.controller.day or 0.0), lesson=lesson,
                              view={"splitter": None})

    def apply(self, session: Session) -> None:
        w = self.window
        w.controller.load_scenario(session.scenario())
        if self.runs_panel is not None:
            self.runs_panel.set_records(session.run_records())
        if self.lesson_panel is not None and session.lesson is not None and session.lesson.lesson_id:
            lp = self.lesson_panel
            lp.restore(session.lesson.lesson_id, session.lesson.step, session.lesson.answers)
        if session.current_day > 0:
            w.controller.run_until(session.current_day)

    # ------------------------------------------------------------------ files
    def save(self, path: str | Path | None = None) -> bool:
        if path is None:
            start = str(self.path or (Path.home() / ("nichelab" + SUFFIX)))
            path, _ = QFileDialog.getSaveFileName(self.window, "Save session", start, FILE_FILTER)
            if not path:
                return False
            if not path.endswith(".json"):
                path += SUFFIX
        try:
            save_session(path, self.current_session())
        except (OSError, InputError) as exc:
            QMessageBox.critical(self.window, "Cannot save the session", str(exc))
            return False
        self.path = Path(path)
        clear_autosave()
        self.autosave.saved()
        self.window.statusBar().showMessage(f"Saved session {path}", 5000)
        return True

    def open(self, path: str | Path | None = None) -> bool:
        """Open a session file; a bad file -> error dialog, nothing changes."""
        if path is None:
            start = str(self.path.parent if self.path else Path.home())
            path, _ = QFileDialog.getOpenFileName(self.window, "Open session", start, FILE_FILTER)
            if not path:
                return False
        try:
            session = load_session(path)
            session.scenario()            # parse now: a bad scenario must not half-load
        except InputError as exc:
            QMessageBox.critical(self.window, "Cannot open the session", str(exc))
            return False
        if not self.window.confirm_discard("opening a session"):
            return False
        self.apply(session)
        self.path = Path(path)
        self.window.statusBar().showMessage(f"Opened session {path}", 5000)
        return True

    # ------------------------------------------------------------------ autosave
    def start_autosave(self) -> None:
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.clean_exit)

    def _maybe_autosave(self) -> None:
        if not self.autosave.due():
            return
        try:
            write_autosave(self.current_session())
        except (OSError, InputError) as exc:
            log.warning("autosave failed: %s", exc)
            return
        self.autosave.saved()

    def clean_exit(self) -> None:
        self.timer.stop()
        try:
            clear_autosave()
        except OSError as exc:
            log.warning("cannot remove the autosave: %s", exc)

    def offer_recovery(self) -> bool:
        """Offer the autosave a crashed session left behind; True when it was restored."""
        found = find_recoverable_autosave()
        if found is None:
            return False
        mins = found.age_seconds / 60.0
        answer = QMessageBox.question(
            self.window, "Recover unsaved work?",
            f"NicheLab did not close normally last time. An autosave from {mins:.0f} min ago holds "
            f"\u201c{found.scenario_name}\u201d with {found.n_runs} kept run(s). Restore it?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer != QMessageBox.Yes:
            clear_autosave()
            return False
        try:
            self.apply(load_session(found.path))
        except InputError as exc:
            QMessageBox.critical(self.window, "Cannot recover the autosave", str(exc))
            return False
        return True
