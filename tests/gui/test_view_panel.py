"""The 3D view's panel (gui/view_panel.py) as a user reads it in the running window: the replay label."""
from __future__ import annotations

import dataclasses

import pytest

from gui_helpers import WAIT_MS, wait_day


def _run_to(qtbot, window, day):
    c = window.controller
    c.run_until(day)
    wait_day(qtbot, window, day)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
    window.flush_frame()


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
