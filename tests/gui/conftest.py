"""Fixtures for the GUI tests (pytest-qt under Xvfb, started by pytest-xvfb).

Every test uses a small tile (300 x 300 um, 1 day of equilibration) so that a
window is ready in about a second. Modal dialogs are replaced by recorders.
"""
from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("PySide6")
pytest.importorskip("pytestqt")

from gui_helpers import SMALL, wait_ready  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def compiled_kernels():
    """Compile (or load from numba's cache) every kernel once, before the first window: on a fresh
    machine that takes about a minute, which must not count against a window's 60 s build wait."""
    from engine.kernel_warmup import compile_kernels

    compile_kernels()


@pytest.fixture
def small_scenario():
    from engine import load_scenario

    return load_scenario("wt_steady_state").copy_with(parameters=dict(SMALL), days=10.0)


@pytest.fixture(autouse=True)
def no_modal_dialogs(monkeypatch):
    """Record error dialogs and answer 'discard' to unsaved-changes questions (no blocking)."""
    from gui import dialogs

    shown = []
    monkeypatch.setattr(dialogs, "show_error", lambda parent, title, message, details=None:
                        shown.append((title, message)))
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, what: "discard")
    from gui import schedule_questions

    monkeypatch.setattr(schedule_questions, "ask", lambda parent, req: shown.append(("refused", req.message))
                        or "cancel")
    return shown


@pytest.fixture
def window(qtbot, small_scenario):
    """A MainWindow on the small WT scenario, built and shown, engine at full speed."""
    from gui.main_window import MainWindow

    win = MainWindow()
    qtbot.addWidget(win)
    win.controller.set_speed(None)
    win.controller.load_scenario(small_scenario)
    win.show()
    win.activateWindow()
    qtbot.waitExposed(win)
    wait_ready(qtbot, win)
    yield win
    win.shutdown()


def pytest_collection_modifyitems(config, items):
    """Every test under tests/gui/ needs a display: mark it ``gui`` (``./run-tests.sh -m "not gui"``
    leaves them out)."""
    here = Path(__file__).resolve().parent
    for item in items:
        if here in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.gui)


def pytest_configure(config):
    # vispy's Qt backend calls QMouseEvent.pos(), deprecated in Qt 6 (harmless)
    config.addinivalue_line("filterwarnings", "ignore:Function.*QMouseEvent.pos:DeprecationWarning")
