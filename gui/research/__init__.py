"""Classroom and research features of the window: lessons, kept runs and their comparison,
ensembles, parameter sweeps, movies, session files with autosave, and the glossary.

    install_research_features(window)    # docks, menu entries (called from MainWindow.__init__)
    startup(window, session=None)        # app start: open a session file or offer crash recovery

The back-end is in studies/ (no Qt); this package only wires it into the window.
"""
from __future__ import annotations

from functools import partial
from types import SimpleNamespace

from PySide6.QtCore import Qt

from ..menu_actions import add_action


def install_research_features(window):
    """Add the lesson and run-comparison docks and the menu entries; returns the namespace
    also stored as ``window.research``."""
    from .glossary_dialog import GlossaryDialog
    from .lesson_panel import LessonPanel
    from .movie_recorder import record_movie_interactive
    from .runs_panel import RunsPanel
    from .sessions import SessionManager

    lessons = LessonPanel(window)
    runs = RunsPanel(window)
    r = SimpleNamespace(lessons=lessons, runs=runs, dialogs=[])
    r.dock_lessons = window.add_dock("Lesson", lessons, Qt.LeftDockWidgetArea, name="dock_lesson",
                                     tabify_with=window.dock_schedule)
    r.dock_runs = window.add_dock("Runs", runs, Qt.LeftDockWidgetArea, name="dock_runs",
                                  tabify_with=r.dock_lessons)
    r.dock_runs.setToolTip("Kept runs: overlay them on the platelet plot and compare their outcomes")
    window.dock_scenario.raise_()
    r.sessions = SessionManager(window, runs, lessons)
    window.research = r

    act = partial(add_action, window)

    menus = {m.title().replace("&", ""): m for m in (a.menu() for a in window.menuBar().actions()) if m}
    f, s, v, h = menus.get("File"), menus.get("Simulation"), menus.get("View"), menus.get("Help")
    if f is not None:
        quit_action = next((a for a in f.actions() if a.text().replace("&", "") == "Quit"), None)
        r.open_session_action = act(f, "Open session\u2026", r.sessions.open, "Ctrl+Shift+O",
                                    "Open a saved workspace: scenario, kept runs, lesson position", quit_action)
        r.save_session_action = act(f, "Save session\u2026", r.sessions.save, "Ctrl+Alt+S",
                                    "Save the workspace: scenario, kept runs, lesson position", quit_action)
        r.movie_action = act(f, "Record &movie\u2026", lambda: record_movie_interactive(window), None,
                             "Record the 3D view and plots for some days into an MP4 or GIF", quit_action)
        if quit_action is not None:
            f.insertSeparator(quit_action)
    if s is not None:
        s.addSeparator()
        r.keep_action = act(s, "&Keep this run for comparison", runs.keep_current, "Ctrl+K",
                            "Add the current run to the Compare runs list")
        r.ensemble_action = act(s, "Run &ensemble\u2026", lambda: open_ensemble(window), None,
                                "Run the scenario over many seeds: mean, spread and 95% intervals")
        r.sweep_action = act(s, "Parameter s&weep\u2026", lambda: open_sweep(window), None,
                             "Vary one or two parameters and plot an outcome")
    if v is not None:
        v.addAction(r.dock_lessons.toggleViewAction())
        v.addAction(r.dock_runs.toggleViewAction())
    if h is not None:
        from .help_dialog import HelpDialog

        first = h.actions()[0] if h.actions() else None
        r.help_action = act(h, "&User guide and shortcuts", lambda: _show(window, HelpDialog(window)), "F1",
                            "A short guide to the window and every keyboard shortcut", first)
        r.glossary_action = act(h, "&Glossary", lambda: _show(window, GlossaryDialog(window)), "Shift+F1",
                                "Search the terms used in NicheLab", first)
        if first is not None:
            h.insertSeparator(first)
    return r


def _show(window, dialog):
    window.research.dialogs.append(dialog)
    dialog.setAttribute(Qt.WA_DeleteOnClose, False)
    dialog.show()
    dialog.raise_()
    return dialog


def open_ensemble(window, scenario=None):
    from .ensemble_dialog import EnsembleDialog
    return _show(window, EnsembleDialog(window, scenario))


def open_sweep(window, scenario=None):
    from .sweep_dialog import SweepDialog
    return _show(window, SweepDialog(window, scenario))


def startup(window, session: str | None = None) -> None:
    """At application start: open ``session`` (a file named on the command line) or offer to
    recover an autosave; then autosave about once a minute."""
    r = getattr(window, "research", None)
    if r is None:
        return
    if session:
        r.sessions.open(session)
    else:
        r.sessions.offer_recovery()
    r.sessions.start_autosave()
