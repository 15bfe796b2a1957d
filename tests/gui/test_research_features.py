"""Lesson panel, kept runs with overlay and comparison table, ensemble band, session files (pytest-qt)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtWidgets import QMessageBox

from engine import load_scenario

from gui_helpers import SMALL, WAIT_MS, wait_day, wait_ready


@pytest.fixture
def errors(monkeypatch):
    shown = []
    for name in ("critical", "warning"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda parent, title, text, *a, **k:
                                                           shown.append((title, text)) or QMessageBox.Ok))
    return shown


def test_lesson_panel_steps_load_scenarios_and_check_answers(qtbot, window, errors):
    lp = window.research.lessons
    lp.scenario_overrides = dict(SMALL)
    lp.run_check.setChecked(False)
    lp.open_lesson("02_thpo_knockout")
    assert lp.lesson.id.startswith("thpo") or "thpo" in lp.lesson.id
    assert lp.step_label.text().startswith("Step 1 of ")
    # step to the first step with a scenario, load it: the window runs that scenario
    k = next(i for i, s in enumerate(lp.lesson.steps) if s.scenario)
    while lp.step_index < k:
        lp.next_button.click()
    assert lp.load_button.isVisible()
    gen = window.controller.world.generation
    lp.load_button.click()
    wait_ready(qtbot, window, generation=gen)
    expected = load_scenario(lp.lesson.scenario_ref(k))
    assert window.controller.world.scenario.name == expected.name
    assert window.controller.world.scenario.genotype == expected.genotype
    # a wrong answer says so and explains; nothing is revealed before a choice
    q = lp.step.question
    assert q is not None
    assert lp.check_answer() is None
    assert q.explanation not in lp.feedback.text()
    wrong = next(i for i in range(len(q.options)) if i != q.correct_index)
    lp.choose(wrong)
    lp.check_button.click()
    assert "Not quite" in lp.feedback.text() and q.explanation in lp.feedback.text()
    lp.choose(q.correct_index)
    assert lp.check_answer() is True
    assert "Correct" in lp.feedback.text()
    assert errors == []


def _keep(qtbot, window, n_before):
    runs = window.research.runs
    runs.keep_current()
    qtbot.waitUntil(lambda: len(runs.runs) == n_before + 1, timeout=WAIT_MS)


def test_two_kept_runs_overlay_and_compare(qtbot, window, small_scenario):
    runs = window.research.runs
    plot = window.plots.p_plt
    curves_before = len(plot.listDataItems())
    window.controller.run_until(1.0)
    wait_day(qtbot, window, 1.0)
    _keep(qtbot, window, 0)
    gen = window.controller.world.generation
    window.controller.load_scenario(small_scenario.copy_with(genotype="thpo_ko"))
    wait_ready(qtbot, window, generation=gen)
    window.controller.run_until(1.0)
    wait_day(qtbot, window, 1.0)
    _keep(qtbot, window, 1)
    assert len(plot.listDataItems()) == curves_before + 2
    assert len(runs.legend) == 2 and " runs" in window.plots.readout_text("platelets")   # named in the title row
    assert runs.table.columnCount() == 2              # one column per run, one row per outcome
    table = runs.comparison()
    assert [r.label for r in table.rows] == [r.label or r.legend() for r in runs.runs]
    # the knockout's nadir is lower, and the table shows the difference against the first run
    wt, ko = table.rows
    assert ko.values["nadir"] < wt.values["nadir"]
    assert ko.differences["nadir"] == pytest.approx(ko.values["nadir"] - wt.values["nadir"])
    assert table.outcomes[0] == "platelets_mean"
    assert "(-" in runs.table.item(0, 1).text()         # the knockout's mean platelets, below run 1
    # unticking a run removes its curve and its row
    from PySide6.QtCore import Qt
    runs.list.item(1).setCheckState(Qt.Unchecked)
    assert len(plot.listDataItems()) == curves_before + 1
    assert runs.table.columnCount() == 1


def test_ensemble_of_two_seeds_gives_a_band(qtbot, window, small_scenario):
    from gui.research import open_ensemble

    dlg = open_ensemble(window, small_scenario.copy_with(days=2.0))
    dlg.seeds.setValue(2)
    dlg.workers.setValue(1)
    dlg.days.setValue(2.0)
    assert dlg.start()
    qtbot.waitUntil(lambda: dlg.result is not None, timeout=120_000)
    res = dlg.result
    assert len(res.runs) == 2 and not res.failures
    band = dlg.band
    assert band.n == 2
    assert np.all(band.lo <= band.mean + 1e-9) and np.all(band.mean <= band.hi + 1e-9)
    assert np.any(band.hi > band.lo)                # two seeds differ
    assert dlg.table.rowCount() >= 3
    assert dlg.progress.value() == 1000
    dlg.close()


def test_corrupt_session_file_shows_an_error_and_changes_nothing(qtbot, window, errors, tmp_path):
    before = window.model.scenario.to_toml()
    gen = window.controller.world.generation
    bad = tmp_path / "broken.nichelab.json"
    bad.write_text('{"format": "nichelab-session", "version": 1, "scenario_toml": 5', encoding="utf-8")
    assert window.research.sessions.open(str(bad)) is False
    assert len(errors) == 1 and "broken.nichelab.json" in errors[0][1]
    wrong = tmp_path / "wrong.nichelab.json"
    wrong.write_text(json.dumps({"format": "nichelab-session", "version": 1, "scenario_toml": "days = -3"}),
                     encoding="utf-8")
    assert window.research.sessions.open(str(wrong)) is False
    assert len(errors) == 2 and "wrong.nichelab.json" in errors[1][1]
    qtbot.wait(200)
    assert window.model.scenario.to_toml() == before
    assert window.controller.world.generation == gen


def test_session_round_trip_keeps_scenario_runs_and_lesson(qtbot, window, errors, tmp_path, small_scenario):
    r = window.research
    window.controller.run_until(0.5)
    wait_day(qtbot, window, 0.5)
    _keep(qtbot, window, 0)
    r.lessons.open_lesson("02_thpo_knockout")
    r.lessons.show_step(2)
    path = tmp_path / "lab.nichelab.json"
    assert r.sessions.save(str(path))
    r.runs.set_records([])
    r.lessons.show_step(0)
    gen = window.controller.world.generation
    assert r.sessions.open(str(path))
    wait_ready(qtbot, window, generation=gen)
    assert len(r.runs.runs) == 1 and r.runs.table.columnCount() == 1
    assert r.lessons.step_index == 2
    assert window.controller.world.scenario.name == small_scenario.name
    assert errors == []


def test_glossary_dialog_filters(qtbot, window):
    from gui.research.glossary_dialog import GlossaryDialog

    dlg = GlossaryDialog(window)
    qtbot.addWidget(dlg)
    n = dlg.list.count()
    assert n > 5
    shown = dlg.filter("thrombopoietin")
    assert 1 <= shown < n
    assert dlg.filter("zzzz-no-such-term") == 0
