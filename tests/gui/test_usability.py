"""Issue 18: the window fits 1280 x 720, the 3D view's presets, replay, the plots' table, hover and
published points, the parameter panel, renamed edited scenarios, lessons that run and keep their
runs, help and glossary, sweeps that warn, movies at a chosen rate, studies cancelled at shutdown."""
from __future__ import annotations

import sys
import types

import numpy as np
import pytest

from engine import Event, load_scenario

from gui_helpers import SMALL, WAIT_MS, run_to, wait_day, wait_ready


def test_window_fits_1280_by_720(qtbot, window):
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720 - 40     # room for a title bar
    window.resize(1280, 720)
    qtbot.waitUntil(lambda: window.width() == 1280 and window.height() == 720, timeout=WAIT_MS)
    # every part is there and usable
    assert window.viewport.width() >= 300 and window.viewport.height() >= 250
    assert window.plots.width() >= 280 and window.plots.height() >= 350
    assert window.dock_scenario.width() >= 280
    for w in (window.run_controls.play_action, window.run_controls.reset_action):
        assert w.isVisible()
    # the SDF-1 field (its slider and colour bar) does not widen the window
    window.view_panel.field_mode.setCurrentIndex(window.view_panel.field_mode.findData("slice"))
    qtbot.wait(200)
    assert window.minimumSizeHint().width() <= 1280 and window.width() == 1280
    assert window.view_panel.colorbar.isVisible()
    assert window.view_panel.colorbar.parent() is window.viewport       # inside the view, not beside it


def test_view_presets_and_focus_on_megakaryocytes(qtbot, window):
    from gui import palette as P

    vp = window.viewport
    dist = vp.view.camera.scale_factor
    window.mk_focus_action.trigger()
    shown = {c.key for i, c in enumerate(P.CELL_CLASSES) if vp.class_visible(i)}
    assert shown == {"mkp", "mk", "mk_docked", "mk_releasing"}
    assert vp.view.camera.scale_factor < dist                           # closer in
    legend = {it.cls.key: it.isChecked() for it in window.view_panel.legend.items if hasattr(it, "cls")}
    assert legend["mk"] and not legend["hsc_host"] and not legend["platelet"]
    assert window.view_panel.preset.currentData() == "megakaryocytes"
    window.apply_preset("overview")
    assert vp.class_visible(P.CLASS_INDEX["hsc_host"]) and not vp.class_visible(P.CLASS_INDEX["stroma"])


def test_depth_cue_darkens_far_cells():
    from gui.viewport import DEPTH_CUE_FAR, depth_factor

    pos = np.array([[0, 0, 0], [50, 0, 0], [100, 0, 0]], float)
    k = depth_factor(pos, np.array([0.0, 0.0, 0.0]), near=0.0, far=100.0)
    assert k[0] == 1.0 and k[-1] == pytest.approx(DEPTH_CUE_FAR) and k[0] > k[1] > k[2]


def test_replay_scrubs_back_through_stored_frames(qtbot, window):
    run_to(qtbot, window, 2.0)
    qtbot.waitUntil(lambda: len(window.replay) >= 9, timeout=WAIT_MS)   # day 0 and every 6 h
    days = window.replay.days
    assert days[0] == 0.0 and days[-1] == pytest.approx(2.0)
    slider = window.view_panel.replay
    assert slider.isEnabled() and slider.value() == slider.maximum()
    slider.setValue(2)
    assert window.replaying and window.viewport._frame.day == pytest.approx(days[2])
    assert window.viewport._frame.ids is None                           # a stored picture: nothing to click
    assert window.view_panel.replay_note.isVisible()
    assert window.plots._cursor_lines[0].isVisible()
    assert f"day {days[2]:.1f}" in window.plots.readout_text("platelets")
    # compact copies: 15 bytes per drawn agent
    f = window.replay.frame(2)
    assert f.positions.dtype == np.float32 and f.radius.dtype == np.float16 and f.classes.dtype == np.int8
    window.view_panel.live_button.click()
    assert not window.replaying and window.viewport._frame.day == pytest.approx(2.0)


def test_replay_store_thins_within_its_budget():
    from gui.view_frame import ReplayStore, ViewFrame

    def frame(day):
        return ViewFrame(day=day, positions=np.zeros((100, 3), np.float32), classes=np.zeros(100, np.int8),
                         radius=np.zeros(100, np.float16), vessel_integrity=None)
    store = ReplayStore(budget_bytes=10 * frame(0).nbytes)
    for i in range(40):
        store.add(frame(i * 0.25))
    assert store.nbytes <= store.budget_bytes and len(store) >= 5
    assert store.stride >= 4 and store.days[0] == 0.0 and store.days[-1] == pytest.approx(39 * 0.25)
    assert store.frame_at(5.1).day <= 5.1


def test_table_tab_hover_and_zoom(qtbot, window):
    run_to(qtbot, window, 1.0)
    window.flush_frame()
    panel = window.plots_panel
    m = panel.model
    assert m.rowCount() == window.plots.buffer.n >= 5
    cols = [m.header(c) for c in range(m.columnCount())]
    assert cols[0] == "day\n(d)" and "platelets\n(×10³/µL)" in cols
    assert "mk_immature\n(cells)" in cols          # every observable has a column (claim T2's young MKs too)
    text = panel.selected_text(all_rows=True)
    assert text.count("\n") == m.rowCount() + 1
    # hovering a day shows that day's values in the title rows
    plots = window.plots
    plots.set_hover(0.5)
    assert "day 0.5" in plots.readout_text("platelets")
    v = plots.buffer.at_day("platelets", 0.5)
    assert f"{v:,.0f}" in plots.readout_text("platelets")
    plots.set_hover(None)
    assert "day" not in plots.readout_text("platelets")
    # the user's zoom is kept while data arrive; "A" brings the automatic range back
    plots.p_plt.vb.setYRange(100, 200, padding=0)
    plots._on_manual_range(plots.p_plt, (False, True))
    plots.flush(force=True)
    assert plots.p_plt.vb.viewRange()[1] == pytest.approx([100, 200])
    plots.reset_view(plots.p_plt)
    assert plots.p_plt.vb.viewRange()[1][0] == 0.0
    assert plots.p_plt.vb.menuEnabled()                         # right-click: view menu and Export


def test_published_points_are_drawn_in_plot_units(qtbot, window, small_scenario, monkeypatch):
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class PublishedSeries:
        table_id: str
        column: str
        days: np.ndarray
        mean: np.ndarray
        lower: np.ndarray
        upper: np.ndarray
        label: str
        citation: str

    series = [PublishedSeries("t1", "platelets_rel", np.array([0.0, 2.0]), np.array([1.0, 0.5]),
                              np.array([0.9, 0.4]), np.array([1.1, 0.6]), "WT + 5-FU", "Doe J. Blood. 2001"),
              PublishedSeries("t2", "no_such_column", np.array([1.0]), np.array([1.0]), np.array([0.5]),
                              np.array([1.5]), "x", "y")]
    fake = types.ModuleType("analysis.published")
    fake.published_for_scenario = lambda sid: series if sid == "wt_steady_state" else []
    monkeypatch.setitem(sys.modules, "analysis.published", fake)
    gen = window.controller.world.generation
    window.controller.load_scenario(small_scenario, builtin_id="wt_steady_state")
    wait_ready(qtbot, window, generation=gen)
    plots = window.plots
    assert plots.published_count == 1                       # the unknown column is left out
    import pyqtgraph as pg
    pts = [it for p, it in plots._published_items if isinstance(it, pg.ScatterPlotItem)][0]
    base = window.controller.world.baselines["platelet_baseline"]
    np.testing.assert_allclose(pts.data["y"], [base, 0.5 * base])
    assert "Doe J" in plots.readout_text("platelets")          # the legend entry
    assert "Blood. 2001" in pts.opts["tip"](2.0, 0.5 * base, None)


def test_parameter_panel_edits_mark_and_reset(qtbot, window):
    panel = window.parameters
    assert panel._filter("vcam") >= 1
    assert panel._filter("zzzz-nothing") == 0
    panel.search.clear()
    panel.select("fgf4_vcam_gain")
    p = panel.table["fgf4_vcam_gain"]
    assert "Source" in panel.details.text() and p.source[:20] in panel.details.text()
    gen = window.controller.world.generation
    panel.value.setValue(min(p.max, p.default * 2 + 0.5))
    assert window.model.scenario.parameters["fgf4_vcam_gain"] == pytest.approx(min(p.max, p.default * 2 + 0.5))
    wait_ready(qtbot, window, generation=gen)                   # day 0: rebuilt with it
    assert "\u2699" in window.windowTitle() and "fgf4_vcam_gain" in panel.changed_names()
    panel.default_button.click()
    assert "fgf4_vcam_gain" not in window.model.scenario.parameters


def test_editing_a_built_in_renames_it_after_its_content(qtbot, window, small_scenario):
    gen = window.controller.world.generation
    window.controller.load_scenario(small_scenario, builtin_id="wt_steady_state")
    wait_ready(qtbot, window, generation=gen)
    original = window.model.scenario.name
    window.genotype.genotype_buttons["thpo_ko"].click()
    name = window.model.scenario.name
    assert name != original and "Thpo" in name
    assert original in window.model.scenario.description
    assert name in window.windowTitle()
    assert "Edited from" in window.picker.text.toPlainText()
    assert "healthy" not in window.picker.text.toPlainText().lower()


def test_lesson_step_loads_runs_and_keeps_its_run(qtbot, window):
    lp = window.research.lessons
    lp.scenario_overrides = dict(SMALL)
    lp.days_override = 1.0
    lp.open_lesson("02_thpo_knockout")
    k = next(i for i, s in enumerate(lp.lesson.steps) if s.scenario)
    lp.show_step(k)
    assert lp.run_check.isChecked() and lp.keep_check.isChecked()
    gen = window.controller.world.generation
    lp.load_button.click()
    wait_ready(qtbot, window, generation=gen)
    wait_day(qtbot, window, 1.0)                                 # it runs
    runs = window.research.runs
    qtbot.waitUntil(lambda: len(runs.runs) == 1, timeout=WAIT_MS)  # and is kept for comparison
    assert runs.runs[0].label.startswith(f"Lesson 2, step {k + 1}: ")
    assert runs.checked_records() and runs.overlays


def test_lesson_diagram_enlarges(qtbot, window):
    lp = window.research.lessons
    lp.open_lesson("02_thpo_knockout")
    k = next(i for i, s in enumerate(lp.lesson.steps) if s.image)
    lp.show_step(k)
    dlg = lp.enlarge_image()
    qtbot.addWidget(dlg)
    assert dlg.label.pixmap().width() > lp.image.pixmap().width()


def test_help_and_glossary(qtbot, window):
    from gui.research.glossary_dialog import GlossaryDialog
    from gui.research.help_dialog import HelpDialog

    dlg = HelpDialog(window)
    qtbot.addWidget(dlg)
    text = dlg.browser.toPlainText()
    assert "Space" in text and "Play" in text and "Focus on megakaryocytes" in text
    g = GlossaryDialog(window)
    qtbot.addWidget(g)
    g.select("cxcr4")
    shown = g.shown_text()
    assert "CXCR4" in shown and "**" not in shown


def test_sweep_warns_about_an_unused_parameter(qtbot, window, small_scenario):
    from gui.research import open_sweep

    dlg = open_sweep(window, small_scenario)                     # no FGF-4 in it
    assert dlg.axis1.name.currentData() == "fgf4_vcam_gain"
    assert dlg.warning.isVisible() and "FGF-4" in dlg.warning.text()
    assert "fgf4_vcam_gain" not in dlg.axis1.name.currentText()  # a readable name, not the key
    dlg2 = open_sweep(window, small_scenario.copy_with(events=[Event(kind="fgf4", duration_days=3)]))
    assert not dlg2.warning.isVisible()
    dlg.close()
    dlg2.close()


def test_movie_records_the_view_at_frames_per_day(qtbot, window, tmp_path):
    import imageio.v3 as iio

    from gui.research.movie_recorder import MovieRecorder

    path = tmp_path / "run.gif"
    rec = MovieRecorder(window, path, days=1.0, fps=10, frames_per_day=4, progress=False)
    qtbot.waitUntil(lambda: rec.finished_path is not None, timeout=60_000)
    frames = iio.imread(path, index=None)
    assert len(frames) == 5                                       # days 0, 0.25, 0.5, 0.75, 1
    w, h = window.viewport.canvas.size
    assert frames.shape[1:3] == (h - h % 2, w - w % 2)            # the view alone, no widgets
    assert window.controller.frame.day == pytest.approx(1.0)


def test_frame_days_are_whole_steps():
    from studies.movie import frame_days

    assert frame_days(0.0, 3.0, 8) == pytest.approx([k / 8 for k in range(25)])
    d = frame_days(1.0, 1.0, 100, dt_hours=1.0)                  # capped at one frame per step
    assert len(d) == 25 and d[0] == 1.0 and d[-1] == pytest.approx(2.0)


def test_shutdown_cancels_running_studies(qtbot, window, small_scenario):
    from gui.research import open_ensemble

    dlg = open_ensemble(window, small_scenario.copy_with(days=30.0))
    dlg.seeds.setValue(4)
    dlg.workers.setValue(1)
    assert dlg.start()
    job = dlg.job
    assert window.controller.running_studies() == [job]
    window.shutdown()
    assert job.done()
