"""Engine thread equals headless runs; the screenshot command line."""
from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

from engine import Event, Simulation

from gui_helpers import WAIT_MS, BUILD_TIMEOUT_MS, wait_day

ROOT = Path(__file__).resolve().parents[2]


def _drive(qtbot, worker, n_steps, generation):
    """Rows of run ``generation`` published while the worker makes n_steps steps from day 0."""
    from gui import engine_worker as W

    rows, last = [], {}

    def collect():
        frame, new, gen = worker.take()
        if frame is not None and frame.generation == generation:
            last["frame"] = frame
            if gen == generation:
                rows.extend(new)
        f = last.get("frame")
        return f is not None and f.day * 24.0 >= n_steps * f.world.dt_hours - 1e-9 and not f.running

    worker.post(W.Step(n_steps))
    qtbot.waitUntil(collect, timeout=BUILD_TIMEOUT_MS)
    collect()
    return np.array(rows), last["frame"]


@contextmanager
def _running_worker(tiles):
    """A started engine worker keeping its tiles in ``tiles``, and the busy messages it sent
    (pumped when the block ends, and whenever the block calls worker.pump())."""
    from gui import engine_worker as W

    worker = W.EngineWorker(tile_cache=tiles)
    busy = []
    worker.signals.busy.connect(busy.append)
    worker.start()
    try:
        yield worker, busy
    finally:
        assert worker.stop()
        worker.pump()


def test_engine_thread_and_headless_give_identical_numbers(qtbot, small_scenario, tmp_path):
    from engine.tile_cache import TileCache
    from gui import engine_worker as W

    scn = small_scenario.copy_with(events=[Event(kind="fu5", start_day=0.5)])
    n = 48
    headless = Simulation.from_scenario(scn, seed=7)
    headless.advance(n * headless.dt)
    expected = headless.observables.table()
    tiles = TileCache(tmp_path, "test")
    with _running_worker(tiles) as (worker, building):
        worker.post(W.Load(scn, seed=7))
        rows, frame = _drive(qtbot, worker, n, generation=1)
        assert tiles.path_for(scn, 7).is_file()   # the equilibrated tile was kept
        worker.pump()
        spin = scn.parameter_set()["spinup_days"]
        days = [m for m in building if "equilibrating, day" in m]   # the spin-up reports each day
        assert len(days) == int(spin) and days[-1].endswith(f"day {spin:g} of {spin:g}\u2026")
        assert frame.world.seed == 7
        np.testing.assert_array_equal(rows, expected)
        # a reset reuses the equilibrated tile (no spin-up): still the same numbers
        worker.post(W.Load(scn, seed=7))
        rows2, _ = _drive(qtbot, worker, n, generation=2)
        np.testing.assert_array_equal(rows2, expected)
        # another seed gives other numbers
        worker.post(W.Load(scn, seed=8))
        rows3, _ = _drive(qtbot, worker, n, generation=3)
        assert not np.array_equal(rows3, expected)
    # a later launch (a new worker) opens the kept tile instead of equilibrating: same numbers
    with _running_worker(TileCache(tmp_path, "test")) as (again, busy):
        again.post(W.Load(scn, seed=7))
        rows4, _ = _drive(qtbot, again, n, generation=1)
        np.testing.assert_array_equal(rows4, expected)
    assert any("Opening the equilibrated marrow tile" in b for b in busy)


def test_window_run_equals_headless(qtbot, window, small_scenario):
    window.controller.run_until(1.0)
    wait_day(qtbot, window, 1.0)
    qtbot.waitUntil(lambda: not window.controller.running, timeout=WAIT_MS)
    qtbot.wait(100)
    window.controller.poll()
    sim = Simulation.from_scenario(small_scenario)
    sim.advance(24.0)
    np.testing.assert_array_equal(window.plots.buffer.table(), sim.observables.table())


def test_mid_run_change_reproduces_after_reset(qtbot, window):
    """What the panels record for a mid-run change replays to the same numbers after Reset."""
    c = window.controller
    c.run_until(0.5)
    wait_day(qtbot, window, 0.5)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    window.treatments.rows["sdf1"].check.click()
    qtbot.waitUntil(lambda: window.model.event_for("sdf1") is not None
                    and window.model.event_for("sdf1").start_day > 0, timeout=WAIT_MS)
    c.run_until(1.5)
    wait_day(qtbot, window, 1.5)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
    first = window.plots.buffer.table()
    gen = c.world.generation
    window.reset()
    qtbot.waitUntil(lambda: c.world is not None and c.world.generation > gen and c.frame is not None,
                    timeout=BUILD_TIMEOUT_MS)
    c.run_until(1.5)
    wait_day(qtbot, window, 1.5)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
    np.testing.assert_array_equal(window.plots.buffer.table(), first)


def _pixels(path):
    from PySide6.QtGui import QImage

    img = QImage(str(path)).convertToFormat(QImage.Format_RGB888)
    w, h = img.width(), img.height()
    arr = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h).reshape(h, img.bytesPerLine())
    return arr[:, :3 * w].reshape(h, w, 3).copy()   # own the pixels: img is freed on return


def test_screenshot_option_writes_a_picture(tmp_path, small_scenario, qapp):
    scn_file = tmp_path / "small.toml"
    scn_file.write_text(small_scenario.to_toml(), encoding="utf-8")
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), "--scenario",
                           str(scn_file), "--days", "0.5"], capture_output=True, text=True, timeout=300,
                          cwd=str(ROOT))
    assert proc.returncode == 0, proc.stderr
    px = _pixels(out)
    assert px.shape[0] >= 600 and px.shape[1] >= 1000
    assert px.std() > 30
    colours = np.unique(px.reshape(-1, 3) // 16, axis=0)
    assert len(colours) > 50
    # the 3D view (dark background) has drawn cells in it: many distinct colours in the middle
    h, w, _ = px.shape
    centre = px[h // 4: 3 * h // 4, 2 * w // 5: 3 * w // 5].reshape(-1, 3)
    assert len(np.unique(centre // 16, axis=0)) > 20


@pytest.mark.parametrize("args, needle", [(["--scenario", "no_such_scenario"], "unknown scenario"),
                                          (["--days", "-1"], "--days")])
def test_screenshot_option_rejects_bad_input(tmp_path, args, needle):
    out = tmp_path / "shot.png"
    proc = subprocess.run([sys.executable, str(ROOT / "main.py"), "--screenshot", str(out), *args],
                          capture_output=True, text=True, timeout=120, cwd=str(ROOT))
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists()


@pytest.mark.skipif(sys.version_info >= (3, 12), reason="None and True are immortal from Python 3.12")
def test_qt_binding_keeps_reference_counts(qapp):
    """PySide6 6.12.0 on Python 3.11 drops a reference to None on every void call (the app then aborts
    with 'none_dealloc' after a while); pyproject pins PySide6-Essentials<6.12 because of it."""
    from PySide6.QtWidgets import QGraphicsTextItem

    from gui.app import qt_binding_problem

    item = QGraphicsTextItem()
    before = sys.getrefcount(None)
    for i in range(500):
        item.setVisible(i % 2 == 0)
    drift = sys.getrefcount(None) - before
    assert drift > -100, f"the Qt binding lost {-drift} references to None in 500 calls: {qt_binding_problem()}"
