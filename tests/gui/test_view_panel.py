"""The row under the 3D view (gui/view_panel.py): the mouse hints and the replay label, as a user reads
them in the running window."""
from __future__ import annotations

import dataclasses

import pytest
from PySide6.QtCore import Qt

from gui_helpers import WAIT_MS, run_to


def _run_to(qtbot, window, day):
    """run_to, then draw the newest frame now (the label tests read what the view shows)."""
    run_to(qtbot, window, day)
    window.flush_frame()


def _resize(qtbot, window, w, h):
    window.resize(w, h)
    want = window.size()                   # (the window's minimum size may have raised it)
    qtbot.waitUntil(lambda: window.size() == want, timeout=WAIT_MS)
    qtbot.wait(100)                        # docks and rows settle


@pytest.mark.parametrize("size", [(1600, 1000), (1173, 559), (1, 1)], ids=["default", "reviewed-min", "min"])
@pytest.mark.parametrize("field", ["off", "slice"])
def test_click_to_inspect_hint_is_shown_whole(qtbot, window, size, field):
    from gui.texts import VIEW_HINTS

    vp = window.view_panel
    vp.field_mode.setCurrentIndex(vp.field_mode.findData(field))      # "slice": the colour bar is shown
    _resize(qtbot, window, *size)
    hint = vp.hint
    shown = hint.text()
    assert hint.isVisible()
    assert shown.startswith("Click a cell: inspect")             # the one hint nobody finds alone
    assert "\u2026" not in shown and "..." not in shown           # whole hints, never cut mid-word
    assert all(h in VIEW_HINTS for h in shown.split(" \u00b7 "))
    assert hint.fontMetrics().horizontalAdvance(shown) <= hint.contentsRect().width()
    # inside the view, clear of the colour bar, and clicks go through it to the cells
    view = window.viewport.rect()
    assert view.contains(hint.geometry())
    if field != "off":
        assert vp.colorbar.isVisible() and not hint.geometry().intersects(vp.colorbar.geometry())
    assert hint.testAttribute(Qt.WA_TransparentForMouseEvents)
    if size == (1600, 1000):
        assert shown.split(" \u00b7 ")[:3] == VIEW_HINTS[:3]        # room for rotating and zooming too


def test_replay_label_names_the_frame_on_screen(qtbot, window):
    vp = window.view_panel
    _run_to(qtbot, window, 1.0)
    qtbot.waitUntil(lambda: len(window.replay) >= 5, timeout=WAIT_MS)
    assert vp.replay_label.text() == "Live: day 1.00"
    # the engine has stored a frame the view has not drawn yet (it runs ahead of the paced view)
    ahead = dataclasses.replace(window.replay.frame(len(window.replay) - 1), day=1.25)
    window._on_replay_frames([ahead])
    assert window.replay.days[-1] == 1.25
    assert vp.replay_label.text() == "Live: day 1.00"             # what the view shows, not the store's newest
    # scrubbing back names the chosen stored frame
    vp.replay.setValue(2)
    day = window.replay.days[2]
    assert window.replaying and window.viewport._frame.day == pytest.approx(day)
    assert vp.replay_label.text() == f"Replay: day {day:.2f}"
    assert f"day {day:.2f}" in vp.replay_note.text()
    vp.live_button.click()
    assert not window.replaying and vp.replay_label.text() == "Live: day 1.00"


def test_replay_label_follows_the_live_view_while_running(qtbot, window):
    c = window.controller
    vp = window.view_panel
    c.set_speed(48.0)            # 2 days/s: still running while we look
    c.play()
    qtbot.waitUntil(lambda: c.running, timeout=WAIT_MS)
    seen = set()
    for _ in range(30):
        qtbot.wait(50)
        if not c.running:
            break
        shown = window.viewport._frame.day
        seen.add(shown)
        assert vp.replay_label.text() == f"Live: day {shown:.2f}"
        assert window.status_day.text() == f"day {shown:.2f}"
    c.pause()
    assert len(seen) > 1                                          # it did run while we looked


def _scale_label_on_screen(viewport):
    """The "100 µm" label's rectangle in the view (its anchor projected by the scene's transform; the
    text left-anchored and centred vertically, vispy's point sizes at the canvas's dpi)."""
    import numpy as np
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QFont, QFontMetricsF

    text = viewport.scale_text
    p = np.asarray(text.get_transform("visual", "canvas").map(np.r_[np.ravel(text.pos)[:3], 1.0]), float)
    x, y = p[0] / p[3], p[1] / p[3]
    font = QFont()
    font.setBold(True)
    font.setPixelSize(round(text.font_size * viewport.canvas.dpi / 72))
    fm = QFontMetricsF(font)
    return QRectF(x, y - fm.height() / 2, fm.horizontalAdvance(text.text), fm.height())


@pytest.mark.parametrize("size", [(1, 1), (1173, 600), (1280, 720), (1600, 1000)],
                         ids=["min", "reviewed", "1280x720", "default"])
def test_colour_bar_keeps_clear_of_the_scale_bar_label(qtbot, window, size):
    from PySide6.QtCore import QRectF

    vp = window.view_panel
    view = window.viewport
    vp.field_mode.setCurrentIndex(vp.field_mode.findData("slice"))
    _resize(qtbot, window, *size)
    assert view.scale_text.visible and "\u00b5m" in view.scale_text.text
    cam = view.view.camera
    for zoom in (1.0, 0.6):
        for azimuth in (-35.0, 0.0, 35.0, 90.0, 180.0, -90.0):
            for elevation in (24.0, 60.0):
                view.reset_camera(zoom)
                cam.azimuth, cam.elevation = azimuth, elevation
                qtbot.wait(5)
                label = _scale_label_on_screen(view)
                if not QRectF(view.rect()).contains(label):
                    continue                          # (the label is out of sight)
                cb = QRectF(vp.colorbar.geometry())
                assert vp.colorbar.isVisible() and QRectF(view.rect()).contains(cb)
                assert not cb.intersects(label), (zoom, azimuth, elevation, cb, label)
                assert not vp.hint.geometry().intersects(vp.colorbar.geometry())
