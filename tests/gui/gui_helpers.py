"""Shared helpers of the GUI tests (imported by conftest.py and the test modules)."""
from __future__ import annotations

SMALL = {"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 1.0}
BUILD_TIMEOUT_MS = 60_000
#: generous waits: the CI machine may be busy (these are not timing assertions)
WAIT_MS = 30_000


def wait_ready(qtbot, win, generation: int | None = None, timeout=BUILD_TIMEOUT_MS):
    """Wait until the window shows a run (of a newer generation than ``generation``)."""
    def ready():
        c = win.controller
        return (c.frame is not None and c.world is not None and not c.busy
                and (generation is None or c.world.generation > generation))
    qtbot.waitUntil(ready, timeout=timeout)


def wait_day(qtbot, win, day: float, timeout=BUILD_TIMEOUT_MS):
    qtbot.waitUntil(lambda: win.controller.frame is not None and win.controller.frame.day >= day - 1e-9,
                    timeout=timeout)


def run_to(qtbot, window, day):
    """Run the window's simulation to ``day`` and wait until it has stopped there and the view shows it."""
    c = window.controller
    c.run_until(day)
    wait_day(qtbot, window, day)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
