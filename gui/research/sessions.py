"""Session files (File > Save session / Open session), autosave and crash recovery.

A session holds the scenario being edited, the kept runs, the day reached and the
lesson position (studies/session.py). A bad file gives an error dialog naming the
problem and changes nothing: everything a session needs is read and checked
before the window is touched, and should applying it still fail, the previous
work is put back. Autosave: at most ``AUTOSAVE_INTERVAL_S`` after a change
(studies.session.AutosaveTimer), into this window's own autosave file
(studies.session.AutosaveSlot, removed on a clean exit). At start-up only the
autosave of a window that is gone is offered; a second window leaves the first
one's alone.
"""
from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from engine import InputError
from studies.lessons import is_builtin_lesson_id
from studies.session import (FILE_FILTER, SUFFIX, AutosaveSlot, AutosaveTimer, LessonState, Session,
                             find_recoverable_autosave, load_session, save_session)

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
        self.slot: AutosaveSlot | None = None
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
            state = lp.state()
            if is_builtin_lesson_id(state["lesson_id"]):   # a teacher's own file is not recorded by path
                lesson = LessonState(**state)
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

    def apply_safely(self, session: Session, title: str) -> bool:
        """Apply a prepared session; should it fail midway, put the previous work back and say so."""
        try:
            previous = self.current_session()
        except (InputError, ValueError) as exc:
            log.warning("cannot record the current work before applying a session: %s", exc)
            previous = None
        try:
            self.apply(session)
            return True
        except Exception as exc:  # noqa: BLE001 - the user's work must survive any failure here
            log.exception("applying a session failed")
            restored = False
            if previous is not None:
                try:
                    self.apply(previous)
                    restored = True
                except Exception:  # noqa: BLE001
                    log.exception("putting the previous work back failed")
            QMessageBox.critical(self.window, title, f"{type(exc).__name__}: {exc}"
                                 + ("\n\nYour previous work was put back." if restored else ""))
            return False

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
        if self.slot is not None:
            self.slot.clear()
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
            session.prepare(str(path))    # everything read now: a bad session must not half-load
        except InputError as exc:
            QMessageBox.critical(self.window, "Cannot open the session", str(exc))
            return False
        if not self.window.confirm_discard("opening a session"):
            return False
        if not self.apply_safely(session, "Cannot open the session"):
            return False
        self.path = Path(path)
        self.window.statusBar().showMessage(f"Opened session {path}", 5000)
        return True

    # ------------------------------------------------------------------ autosave
    def _ensure_slot(self) -> AutosaveSlot | None:
        if self.slot is None:
            try:
                self.slot = AutosaveSlot()
            except OSError as exc:
                log.warning("no autosave (cannot create its folder): %s", exc)
        return self.slot

    def start_autosave(self) -> None:
        self._ensure_slot()
        self.timer.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.clean_exit)

    def _maybe_autosave(self) -> None:
        if not self.autosave.due() or self._ensure_slot() is None:
            return
        try:
            self.slot.write(self.current_session())
        except (OSError, InputError) as exc:
            log.warning("autosave failed: %s", exc)
            return
        self.autosave.saved()

    def clean_exit(self) -> None:
        self.timer.stop()
        if self.slot is not None:
            try:
                self.slot.close()
            except OSError as exc:
                log.warning("cannot remove the autosave: %s", exc)

    def offer_recovery(self) -> bool:
        """Offer the autosave a crashed window left behind; True when it was restored.

        An autosave of a window still open is never offered. "No" removes the crashed window's
        autosave; a restored one becomes this window's autosave."""
        self._ensure_slot()               # claim this window's own slot first
        try:
            found = find_recoverable_autosave()
        except OSError as exc:
            log.warning("cannot look for an autosave: %s", exc)
            return False
        if found is None:
            return False
        mins = found.age_seconds / 60.0
        answer = QMessageBox.question(
            self.window, "Recover unsaved work?",
            f"NicheLab did not close normally last time. An autosave from {mins:.0f} min ago holds "
            f"\u201c{found.scenario_name}\u201d with {found.n_runs} kept run(s). Restore it?",
            QMessageBox.Yes | QMessageBox.No, QMessageBox.Yes)
        if answer != QMessageBox.Yes:
            found.release(remove=True)
            return False
        try:
            session = load_session(found.path)
            session.prepare(str(found.path))
        except InputError as exc:
            found.release()
            QMessageBox.critical(self.window, "Cannot recover the autosave", str(exc))
            return False
        if not self.apply_safely(session, "Cannot recover the autosave"):
            found.release()
            return False
        if self.slot is not None:
            self.slot.adopt(found)
        else:
            found.release()
        return True
