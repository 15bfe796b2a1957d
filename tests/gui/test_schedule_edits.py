"""Edits made in a panel mean what the panel shows (issue 18's blocker).

Editing an event edits that event (by its id in the engine's schedule); Reset runs the edited
scenario from day 0; an edit the run cannot make (an event already given, a start in the past) is
an explicit choice: start it now, reset with the change, or cancel.
"""
from __future__ import annotations

import pytest

from engine import Event

from gui_helpers import WAIT_MS, run_to, wait_day, wait_ready


@pytest.fixture
def answers(monkeypatch):
    """Answer the refused-edit question with the next item of the list (records what was asked)."""
    from gui import schedule_questions

    asked, queue = [], []

    def ask(parent, req):
        asked.append(req)
        answer = queue.pop(0) if queue else "cancel"
        req.keep_current = answer == "reset"          # the dialog's "keep the current run" box
        return answer
    monkeypatch.setattr(schedule_questions, "ask", ask)
    return asked, queue


def _load(qtbot, window, scn):
    gen = window.controller.world.generation
    window.controller.load_scenario(scn)
    wait_ready(qtbot, window, generation=gen)
    qtbot.waitUntil(lambda: window.controller.schedule is not None
                    and window.controller.schedule.generation == window.controller.world.generation,
                    timeout=WAIT_MS)


def test_unticking_msc_after_the_transplant_resets_with_one_plain_transplant(qtbot, window, small_scenario,
                                                                             answers):
    asked, queue = answers
    scn = small_scenario.copy_with(events=[Event(kind="transplant", start_day=0.5, dose=1.0,
                                                 msc_coinfusion=1.0)])
    _load(qtbot, window, scn)
    c = window.controller
    run_to(qtbot, window, 1.5)
    tp = window.transplant
    assert tp.check.isChecked() and tp.msc.isChecked() and tp.event_id is not None
    assert tp.status.text().startswith("Given")
    # first: cancel -- nothing changes, the run goes on, the panel shows the schedule again
    queue.append("cancel")
    gen = c.world.generation
    tp.msc.click()
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=WAIT_MS)
    assert "given on day 0.5" in asked[0].message and not asked[0].can_start_now
    qtbot.waitUntil(lambda: tp.msc.isChecked(), timeout=WAIT_MS)
    assert c.world.generation == gen and c.frame.day == pytest.approx(1.5)
    assert [e.msc_coinfusion for e in window.model.scenario.events] == [1.0]
    # then: reset with the change -- the edited scenario from day 0: ONE transplant, on day 0.5, no MSCs
    queue.append("reset")
    tp.msc.click()
    qtbot.waitUntil(lambda: len(asked) == 2, timeout=WAIT_MS)
    wait_ready(qtbot, window, generation=gen)
    events = window.model.scenario.events
    assert len(events) == 1
    assert (events[0].kind, events[0].start_day, events[0].msc_coinfusion) == ("transplant", 0.5, 0.0)
    assert c.frame.day == 0.0
    qtbot.waitUntil(lambda: c.schedule is not None and c.schedule.generation == c.world.generation, timeout=WAIT_MS)
    assert [(it.event.start_day, it.event.msc_coinfusion) for it in c.schedule.items] == [(0.5, 0.0)]
    assert tp.day.value() == 0.5 and not tp.msc.isChecked()       # the Day box did not change itself
    # the run before the reset was kept: the comparison holds the MSC run and, once run, the plain one
    runs = window.research.runs
    qtbot.waitUntil(lambda: len(runs.runs) == 1, timeout=WAIT_MS)
    assert "MSC" in runs.runs[0].treatment_summary
    run_to(qtbot, window, 1.5)
    runs.keep_current()
    qtbot.waitUntil(lambda: len(runs.runs) == 2, timeout=WAIT_MS)
    assert "MSC" not in runs.runs[1].treatment_summary
    assert "msc_coinfusion" in runs.runs[0].scenario_toml and "msc_coinfusion" not in runs.runs[1].scenario_toml


def test_a_start_in_the_past_is_asked_about(qtbot, window, small_scenario, answers):
    asked, queue = answers
    scn = small_scenario.copy_with(events=[Event(kind="sdf1", start_day=3.0, duration_days=2.0)])
    _load(qtbot, window, scn)
    c = window.controller
    run_to(qtbot, window, 1.0)
    row = window.treatments.rows["sdf1"]
    assert row.status.toolTip().startswith("Planned")
    # typing start day 0.5 while the run is on day 1: asked, and "start now" starts it on day 1
    queue.append("start_now")
    row.start.setValue(0.5)
    qtbot.waitUntil(lambda: len(asked) == 1, timeout=WAIT_MS)
    assert asked[0].can_start_now and "before now" in asked[0].message
    qtbot.waitUntil(lambda: window.model.event_for("sdf1").start_day == pytest.approx(1.0), timeout=WAIT_MS)
    assert len(window.model.scenario.events) == 1                   # edited, not added
    qtbot.waitUntil(lambda: row.start.value() == pytest.approx(1.0), timeout=WAIT_MS)
    assert any("edited" in line for line in c.schedule.edit_log)


def test_a_running_treatment_keeps_its_start_when_its_dose_changes(qtbot, window, small_scenario, answers):
    asked, _queue = answers
    scn = small_scenario.copy_with(events=[Event(kind="fgf4", start_day=0.0, duration_days=5.0, dose=1.0)])
    _load(qtbot, window, scn)
    run_to(qtbot, window, 1.0)
    row = window.treatments.rows["fgf4"]
    assert row.status.toolTip().startswith("Running")
    row.dose.setValue(2.0)
    qtbot.waitUntil(lambda: window.model.event_for("fgf4").dose == 2.0, timeout=WAIT_MS)
    ev = window.model.event_for("fgf4")
    assert (ev.start_day, ev.duration_days) == (0.0, 5.0) and len(window.model.scenario.events) == 1
    assert row.start.value() == 0.0 and asked == []
    # the change is in the run's metadata
    got = []
    window.controller.query("metadata", lambda r, e: got.append(r))
    qtbot.waitUntil(lambda: bool(got), timeout=WAIT_MS)
    assert "edited #" in got[0]["edits_during_run"]


def test_edits_before_the_run_starts_rebuild_the_scenario(qtbot, window, small_scenario):
    c = window.controller
    gen = c.world.generation
    row = window.perturbations.rows["fu5"]
    row.check.click()
    wait_ready(qtbot, window, generation=gen)
    assert [e.kind for e in window.model.scenario.events] == ["fu5"]
    assert [it.event.kind for it in c.schedule.items] == ["fu5"] and c.frame.day == 0.0
    # a built-in's name no longer fits once it is edited: it says what the scenario holds now
    assert "5-FU" in window.model.scenario.name or window.model.builtin_id is None
