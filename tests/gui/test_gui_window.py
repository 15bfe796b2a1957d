"""The NicheLab window: run controls, panels, files, errors (pytest-qt under Xvfb)."""
from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from engine import Event, load_scenario

from gui_helpers import BUILD_TIMEOUT_MS, SMALL, WAIT_MS, wait_day, wait_ready


def test_window_opens_on_the_scenario(window, small_scenario):
    c = window.controller
    assert c.world.scenario.name == small_scenario.name
    assert small_scenario.name in window.windowTitle()
    # the view has the tile's sinusoids and cells; the plots have day 0 and the species' normal range
    assert window.viewport.vessels.visible and window.viewport.cells.visible
    assert len(window.viewport._pick_slots) > 50
    assert window.plots.buffer.n >= 1
    lo, hi = window.plots.normal_band.getRegion()
    assert (lo, hi) == (800.0, 1400.0) or (lo, hi) == pytest.approx(c.world.normal_range)
    assert "µL" in window.plots.p_plt.getAxis("left").labelText
    # every legend entry (cell classes and vessels) is there
    assert len(window.view_panel.legend.items) >= 9
    # every control in the side panels explains itself
    for panel in (window.treatments, window.perturbations):
        for row in panel.rows.values():
            for w in (row.check, row.dose, row.start):
                assert w.toolTip().strip(), row.kind
    for b in window.genotype.genotype_buttons.values():
        assert b.toolTip().strip()


def test_play_pause_step_reset(qtbot, window):
    c = window.controller
    c.set_speed(24.0)            # 1 day/s: the run cannot reach its end before we pause it
    assert c.frame.day == 0.0
    window.activateWindow()
    qtbot.waitUntil(lambda: window.isActiveWindow(), timeout=WAIT_MS)   # shortcuts are per window
    qtbot.keyClick(window, Qt.Key_Space)                # play
    qtbot.waitUntil(lambda: c.running, timeout=WAIT_MS)
    wait_day(qtbot, window, 0.5)
    qtbot.keyClick(window, Qt.Key_Space)                # pause
    qtbot.waitUntil(lambda: not c.running and c.frame is not None and not c.frame.running, timeout=WAIT_MS)
    qtbot.wait(100)
    c.poll()
    day = c.frame.day
    assert day >= 0.5
    qtbot.wait(600)
    c.poll()
    assert c.frame.day == day                            # paused: time stands still
    qtbot.keyClick(window, Qt.Key_Right)                 # one step
    dt_days = c.world.dt_hours / 24.0
    qtbot.waitUntil(lambda: c.frame.day == pytest.approx(day + dt_days), timeout=WAIT_MS)
    gen = c.world.generation
    qtbot.keyClick(window, Qt.Key_R)                     # reset
    wait_ready(qtbot, window, generation=gen)
    assert c.frame.day == 0.0
    assert window.plots.buffer.n == 1


def _mean_platelets(qtbot, win, days):
    win.controller.run_until(days)
    wait_day(qtbot, win, days)
    qtbot.waitUntil(lambda: not win.controller.running, timeout=WAIT_MS)
    win.controller.poll()
    return float(np.mean(win.plots.buffer["platelets"]))


def test_thpo_knockout_lowers_the_platelet_curve(qtbot, window):
    wt = _mean_platelets(qtbot, window, 2.0)
    gen = window.controller.world.generation
    window.genotype.genotype_buttons["thpo_ko"].click()   # during a run: applies at reset
    assert window.model.scenario.genotype == "thpo_ko"
    assert window.controller.reset_pending
    window.run_controls.reset_action.trigger()
    wait_ready(qtbot, window, generation=gen)
    assert window.controller.world.genotype == "thpo_ko"
    ko = _mean_platelets(qtbot, window, 2.0)
    assert ko < 0.6 * wt


def test_treatment_added_mid_run_is_scheduled_from_now(qtbot, window):
    c = window.controller
    c.run_until(1.0)
    wait_day(qtbot, window, 1.0)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
    now = c.frame.day
    assert window.plots.marker_count == 0
    row = window.treatments.rows["fgf4"]
    row.dose.setValue(2.0)
    row.check.click()                                   # start FGF-4 (start day 0 in the row -> now)
    # the run's schedule and the plot markers have it, starting on the current day
    qtbot.waitUntil(lambda: c.frame is not None and any(e.kind == "fgf4" for e in c.frame.events), timeout=WAIT_MS)
    ev = next(e for e in c.frame.events if e.kind == "fgf4")
    assert now <= ev.start_day < now + 0.1 + 1e-9          # from now on (the row's start moved to now)
    assert row.start.value() == pytest.approx(ev.start_day)
    qtbot.waitUntil(lambda: window.plots.marker_count > 0, timeout=WAIT_MS)
    # the scenario records what happened (so a reset reproduces it)
    qtbot.waitUntil(lambda: window.model.event_for("fgf4") is not None, timeout=WAIT_MS)
    assert window.model.event_for("fgf4").start_day == pytest.approx(ev.start_day)
    assert window.model.dirty
    # and the engine state responds: the FGF-4 level and VCAM-1 rise
    vcam_before = window.plots.buffer.last("vcam1")
    c.run_until(now + 1.5)
    wait_day(qtbot, window, now + 1.5)
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    c.poll()
    assert window.plots.buffer.last("fgf4") > 0.5
    assert window.plots.buffer.last("vcam1") > vcam_before * 1.05
    # unticking stops it now: the old event ends on the current day
    c.poll()
    stop_day = c.frame.day
    row.check.click()
    qtbot.waitUntil(lambda: any(e.kind == "fgf4" and e.start_day + e.duration_days <= stop_day + 1e-6
                                for e in window.model.scenario.events), timeout=WAIT_MS)


def test_bad_scenario_file_shows_error_and_changes_nothing(qtbot, window, tmp_path, no_modal_dialogs):
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "Broken"\ngenotype = "wt"\ndays = "sixty"\n', encoding="utf-8")
    before = window.model.scenario
    gen = window.controller.world.generation
    assert window.files.open_scenario(str(bad)) is False
    assert len(no_modal_dialogs) == 1
    title, message = no_modal_dialogs[0]
    assert "bad.toml" in message and "days" in message
    qtbot.wait(300)
    window.controller.poll()
    assert window.model.scenario is before
    assert window.controller.world.generation == gen
    # unknown keys and malformed TOML are refused the same way
    bad.write_text("name = 'x'\ncolour = 3\n", encoding="utf-8")
    assert window.files.open_scenario(str(bad)) is False
    assert "colour" in no_modal_dialogs[-1][1]
    bad.write_text("name = [unclosed\n", encoding="utf-8")
    assert window.files.open_scenario(str(bad)) is False
    assert "TOML" in no_modal_dialogs[-1][1]
    assert window.model.scenario is before


def test_bad_file_dialog_is_a_real_message_box(qtbot, window, tmp_path, monkeypatch):
    """Without the recorder: the QMessageBox itself carries the InputError text."""
    from PySide6.QtWidgets import QMessageBox

    from gui import dialogs

    monkeypatch.undo()    # restore the real show_error
    captured = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: captured.append((self.text(), self.informativeText())))
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, what: "discard")
    bad = tmp_path / "oops.toml"
    bad.write_text("species = 'dog'\n", encoding="utf-8")
    assert window.files.open_scenario(str(bad)) is False
    assert captured and "oops.toml" in captured[0][1] and "species" in captured[0][1]


def test_save_open_and_csv_export(qtbot, window, tmp_path):
    window.genotype.genotype_buttons["mpl_ko"].click()
    assert window.model.dirty
    path = tmp_path / "saved.toml"
    assert window.files._write_scenario(str(path))
    assert not window.model.dirty
    again = load_scenario(str(path))
    assert again.genotype == "mpl_ko" and again.parameters == SMALL
    csv_path = tmp_path / "series.csv"
    window.files.export_csv(str(csv_path))
    qtbot.waitUntil(csv_path.exists, timeout=WAIT_MS)
    text = csv_path.read_text(encoding="utf-8")
    assert "# seed: 1" in text and "# app: NicheLab" in text and "platelets" in text
    png = tmp_path / "view.png"
    assert window.files.save_view_png(str(png)) and png.stat().st_size > 1000
    from PySide6.QtGui import QImage

    img = QImage(str(png)).convertToFormat(QImage.Format_RGB888)
    w, h = img.width(), img.height()
    px = np.frombuffer(img.constBits(), np.uint8, img.bytesPerLine() * h).reshape(h, -1)[:, :3 * w].copy()
    assert (w, h) == tuple(window.viewport.canvas.size) and px.std() > 20   # the cells were drawn
    png2 = tmp_path / "plots.png"
    assert window.files.save_plots_png(str(png2)) and png2.stat().st_size > 1000
    # no temporary files are left behind
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plots.png", "saved.toml", "series.csv", "view.png"]


def test_engine_exception_is_reported_and_reset_recovers(qtbot, window, no_modal_dialogs):
    c = window.controller

    def broken(hours):
        raise RuntimeError("injected failure")
    assert not c.running                       # the engine thread is idle: patching its run is safe
    c.worker._sim.advance = broken
    c.play()
    qtbot.waitUntil(lambda: bool(no_modal_dialogs), timeout=WAIT_MS)
    assert "injected failure" in no_modal_dialogs[0][1]
    qtbot.waitUntil(lambda: not c.running, timeout=WAIT_MS)
    gen = c.world.generation
    window.reset()
    wait_ready(qtbot, window, generation=gen)
    c.run_until(0.5)
    wait_day(qtbot, window, 0.5)


def test_unsaved_changes_are_asked_about(qtbot, window, monkeypatch):
    from gui import dialogs

    window.genotype.genotype_buttons["thpo_ko"].click()
    asked = []
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, what: asked.append(what) or "cancel")
    assert window.load_builtin("wt_steady_state") is False
    assert window.model.scenario.genotype == "thpo_ko"
    window.close()
    assert window.isVisible() and len(asked) == 2
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, what: "discard")
    window.close()
    assert not window.isVisible()
    assert not window.controller.worker.alive          # the engine thread was joined


def test_click_a_cell_to_inspect_it(qtbot, window):
    vp = window.viewport
    qtbot.waitUntil(lambda: vp.draw_count > 0, timeout=WAIT_MS)
    tr = vp.cells.get_transform("visual", "canvas")
    m = tr.map(vp._pick_pos)
    xy = m[:, :2] / m[:, 3:4]
    w, h = vp.canvas.size
    inside = np.flatnonzero((xy[:, 0] > 20) & (xy[:, 0] < w - 20) & (xy[:, 1] > 20) & (xy[:, 1] < h - 20))
    i = inside[0]
    x, y = xy[i]
    slot = vp.pick(x, y)
    assert slot >= 0
    qtbot.mouseClick(vp.canvas.native, Qt.LeftButton, pos=QPoint(int(round(x)), int(round(y))))
    qtbot.waitUntil(lambda: window.inspector.info.get("id") is not None, timeout=WAIT_MS)
    info = window.inspector.info
    assert info["type"] in ("HSPC", "MK progenitor", "megakaryocyte", "CAR/MSC stroma", "infused MSC")
    assert window.inspector.values["Type"].text() not in ("", "\u2013")
    assert window.inspector.values["Age"].text().endswith("days)")


def test_field_slice_and_colour_bar(qtbot, window):
    window.field_action.trigger()                       # F: the slice
    assert window.viewport.field_mode == "slice"
    window.controller.step(1)
    qtbot.waitUntil(lambda: window.viewport.field_clim is not None, timeout=WAIT_MS)
    lo, hi = window.viewport.field_clim
    assert hi > lo >= 0
    assert window.view_panel.colorbar.hi == hi and window.view_panel.colorbar.isVisible()
    field = window.viewport._field
    # the automatic range spans the data (1st to 99.5th percentile) on readable numbers, no fixed 0-10
    assert lo <= np.percentile(field, 1) and hi >= np.percentile(field, 99.5)
    assert hi <= 2.0 * np.percentile(field, 99.5) + 1e-9
    # an isosurface at a level inside the range, and a volume rendering
    window.view_panel.field_mode.setCurrentIndex(window.view_panel.field_mode.findData("isosurface"))
    assert window.viewport.field_iso is not None and window.viewport.field_iso.visible
    assert lo < window.viewport.iso_level < hi
    assert window.view_panel.iso.isVisible() and not window.view_panel.slice.isVisible()
    from gui.viewport import volume_rendering_available

    if volume_rendering_available():            # (3D textures need PyOpenGL)
        window.view_panel.field_mode.setCurrentIndex(window.view_panel.field_mode.findData("volume"))
        assert window.viewport.field_volume is not None and window.viewport.field_volume.visible
        assert not window.viewport.field_iso.visible
    else:
        assert window.view_panel.field_mode.findData("volume") < 0
    window.view_panel.field_mode.setCurrentIndex(window.view_panel.field_mode.findData("off"))
    assert not window.viewport.field_iso.visible and not window.view_panel.colorbar.isVisible()


def test_schedule_markers_follow_the_scenario(qtbot, window, small_scenario):
    scn = small_scenario.copy_with(events=[Event(kind="fu5", start_day=2.0),
                                           Event(kind="sdf1", start_day=3.0, duration_days=5.0)])
    gen = window.controller.world.generation
    window.controller.load_scenario(scn)
    wait_ready(qtbot, window, generation=gen)
    qtbot.waitUntil(lambda: window.plots.marker_count > 0, timeout=WAIT_MS)
    # 5 plots (the neutrophil plot is shown after 5-FU) x (line) for 5-FU, 5 x (line + region) for SDF-1
    assert window.plots.anc_shown and len(window.plots.plots) == 5
    assert window.plots.marker_count == 15
    # the schedule strip labels both, in different lanes when they would overlap
    labels = window.plots.strip_labels()
    assert sorted(t for t, _x, _lane in labels) == ["5-FU", "SDF-1"]
    assert window.perturbations.rows["fu5"].check.isChecked()
    assert window.treatments.rows["sdf1"].duration.value() == 5.0
    assert window.dock_schedule.windowTitle() == "Schedule (2)"


def test_repeated_doses_share_one_schedule_label(qtbot, window, small_scenario):
    # five daily agonist injections and one 5-FU dose: two labels, the repeated dose counted, each
    # injection still a marker line in every plot
    days = [2.0, 3.0, 4.0, 5.0, 6.0]
    scn = small_scenario.copy_with(events=[Event(kind="tpo", start_day=d, dose=30.0) for d in days]
                                   + [Event(kind="fu5", start_day=4.5)])
    gen = window.controller.world.generation
    window.controller.load_scenario(scn)
    wait_ready(qtbot, window, generation=gen)
    qtbot.waitUntil(lambda: window.plots.marker_count > 0, timeout=WAIT_MS)
    labels = window.plots.strip_labels()
    tpo = Event(kind="tpo", start_day=2.0, dose=30.0).label
    assert sorted(t for t, _x, _lane in labels) == sorted(["5-FU", f"{tpo} \u00d75"])
    x_tpo = [x for t, x, _lane in labels if t.startswith(tpo)][0]
    assert 6.0 <= x_tpo < 7.0                           # placed after the last injection's marker
    assert window.plots.marker_count == 6 * len(window.plots.plots)


def test_play_stops_at_the_end_of_the_scenario(qtbot, window):
    c = window.controller
    window.genotype.days.setValue(1.0)
    assert window.model.scenario.days == 1.0
    c.play()
    qtbot.waitUntil(lambda: c.frame is not None and c.frame.day >= 1.0 - 1e-9 and not c.frame.running,
                    timeout=BUILD_TIMEOUT_MS)
    qtbot.wait(300)
    c.poll()
    assert not c.running
    assert c.frame.day == pytest.approx(1.0)          # it stopped there
    assert window.run_controls.day_label.text().startswith("Day 1.0")


def test_legend_entries_hide_and_show_what_they_name(qtbot, window):
    from gui import palette as P

    legend = window.view_panel.legend
    vp = window.viewport
    stroma = next(it for it in legend.items if getattr(it, "cls", None) is not None and it.cls.key == "stroma")
    # stroma is hidden at start (the overview preset), so the haematopoietic cells stand out
    assert not stroma.isChecked() and not vp.stroma.visible
    n_pick = len(vp._pick_ids)
    stroma.click()
    assert vp.stroma.visible and vp.class_visible(P.CLASS_INDEX["stroma"])
    assert len(vp._pick_ids) > n_pick
    stroma.click()
    assert not vp.stroma.visible and len(vp._pick_ids) == n_pick         # hidden cells cannot be clicked
    vessels = next(it for it in legend.items if getattr(it, "key", None) == "vessels")
    vessels.click()
    assert not vp.vessels.visible
    vessels.click()
    assert vp.vessels.visible


def test_busy_message_wraps_inside_a_narrow_view(qtbot, window):
    panel = window.view_panel
    label = panel.busy
    short = "Opening the equilibrated marrow tile\u2026"
    panel.show_busy(short)
    one_line = label.height()
    assert label.isVisible() and label.width() <= panel.viewport.width()
    window.resize(700, window.height())          # the 3D view gets narrow
    qtbot.waitUntil(lambda: panel.viewport.width() < 400, timeout=5000)
    long = "Preparing the marrow tile: equilibrating, day 12 of 14\u2026 " * 2
    panel.show_busy(long)
    vp = panel.viewport
    assert label.width() <= vp.width() - 24 or label.width() == 120
    assert label.height() > one_line              # wrapped onto more lines, nothing cut off
    assert 0 <= label.x() and label.x() + label.width() <= max(vp.width(), 120)
    panel.show_busy("")
    assert not label.isVisible()


@pytest.mark.parametrize("n, cells, steps, fps", [
    (1, "1 cell", "engine 1 step/s", "1 frame/s"),
    (0.6, "1 cell", "engine 1 step/s", "1 frame/s"),       # the number shown decides the word
    (0.4, "0 cells", "engine 0 steps/s", "0 frames/s"),
    (2, "2 cells", "engine 2 steps/s", "2 frames/s"),
    (1234, "1,234 cells", "engine 1,234 steps/s", "1,234 frames/s"),
])
def test_status_bar_counts_agree_with_their_number(window, monkeypatch, n, cells, steps, fps):
    from types import SimpleNamespace

    real = window.controller.frame
    snap = SimpleNamespace(counts={"agents": round(n)}, kinds=real.snapshot.kinds)
    frame = SimpleNamespace(day=3.0, snapshot=snap, running=True, steps_per_second=n)
    monkeypatch.setattr(window.viewport, "frames_per_second", lambda *a, **k: n)
    window.update_status(frame)
    assert window.status_agents.text() == cells
    assert window.status_steps.text() == steps
    assert window.status_fps.text() == fps
    assert window.status_day.text() == "day 3.00"
