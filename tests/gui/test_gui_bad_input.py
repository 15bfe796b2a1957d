"""Bad input in the window (issue 17): a dialog, and the previous state intact. The seed box's
range, sessions that cannot be applied, a broken --scenario from a desktop shortcut, a second
window and the first one's autosave, error boxes with huge texts."""
from __future__ import annotations

import json

import pytest
from PySide6.QtWidgets import QMessageBox

from engine.scenario import SEED_MAX

from gui_helpers import WAIT_MS


@pytest.fixture
def boxes(monkeypatch):
    shown = []
    for name in ("critical", "warning"):
        monkeypatch.setattr(QMessageBox, name, staticmethod(lambda parent, title, text, *a, **k:
                                                           shown.append((title, text)) or QMessageBox.Ok))
    return shown


def test_seed_box_holds_the_schema_range_and_never_stays_blocked(qtbot, window):
    box = window.run_controls.seed
    assert (box.minimum(), box.maximum()) == (0, SEED_MAX)
    with pytest.raises(ValueError):
        window.run_controls.set_seed(SEED_MAX + 1)
    with pytest.raises(ValueError):
        window.run_controls.set_seed(-1)
    assert not box.signalsBlocked()
    window.run_controls.set_seed(SEED_MAX)
    assert box.value() == SEED_MAX and not box.signalsBlocked()
    seen = []
    window.run_controls.seed_changed.connect(seen.append)
    box.setValue(7)
    assert seen == [7]


def test_a_bad_scenario_file_never_costs_the_unsaved_edits(qtbot, window, tmp_path, no_modal_dialogs, monkeypatch):
    from gui import dialogs

    asked = []
    monkeypatch.setattr(dialogs, "ask_unsaved", lambda parent, what: asked.append(what) or "discard")
    window.model.set_field("days", 7.0)          # an unsaved edit
    assert window.model.dirty
    bad = tmp_path / "big.toml"
    bad.write_text("[parameters]\ntile_x_um = 3000.0\ntile_y_um = 3000.0\ntile_z_um = 1000.0\n"
                   "field_voxel_um = 4.0\n", encoding="utf-8")
    assert window.files.open_scenario(str(bad)) is False
    assert asked == []                           # refused before the unsaved-changes question
    assert "scenario too large" in no_modal_dialogs[-1][1] and "field_voxel_um" in no_modal_dialogs[-1][1]
    assert window.model.dirty and window.model.scenario.days == 7.0


def test_a_session_that_cannot_be_applied_shows_a_dialog_and_changes_nothing(qtbot, window, boxes, tmp_path):
    r = window.research
    window.controller.run_until(0.25)
    qtbot.waitUntil(lambda: window.controller.frame is not None and window.controller.frame.day >= 0.25,
                    timeout=WAIT_MS)
    r.runs.keep_current()
    qtbot.waitUntil(lambda: len(r.runs.runs) == 1, timeout=WAIT_MS)
    path = tmp_path / "lab.nichelab.json"
    assert r.sessions.save(str(path))
    doc = json.loads(path.read_text())
    run = doc["runs"][0]
    keep = [i for i, c in enumerate(run["columns"]) if c != "platelets_rel"]
    run["columns"] = [run["columns"][i] for i in keep]
    run["rows"] = [[row[i] for i in keep] for row in run["rows"]]
    doc["scenario_toml"] = doc["scenario_toml"].replace("days = 10.0", "days = 12.0")
    bad = tmp_path / "no_rel.nichelab.json"
    bad.write_text(json.dumps(doc))
    before = window.model.scenario.to_toml()
    gen = window.controller.world.generation
    assert r.sessions.open(str(bad)) is False
    assert "no_rel.nichelab.json" in boxes[-1][1] and "platelets_rel" in boxes[-1][1]
    run["columns"], run["rows"] = ["day", "platelets", "platelets_rel"], []
    bad.write_text(json.dumps(doc))
    assert r.sessions.open(str(bad)) is False
    assert "runs[0].rows" in boxes[-1][1]
    qtbot.wait(200)
    assert window.model.scenario.to_toml() == before and len(r.runs.runs) == 1
    assert window.controller.world.generation == gen


def test_a_session_failing_midway_puts_the_previous_work_back(qtbot, window, boxes, tmp_path, monkeypatch):
    r = window.research
    path = tmp_path / "lab.nichelab.json"
    other = window.model.scenario.copy_with(name="Other scenario")
    from studies.session import Session, save_session

    save_session(path, Session.create(scenario_toml=other.to_toml()))
    before = window.model.scenario.name
    calls = []

    def fail_once(records):
        calls.append(len(records))
        if len(calls) == 1:
            raise RuntimeError("the run list broke")

    monkeypatch.setattr(r.runs, "set_records", fail_once)
    assert r.sessions.open(str(path)) is False
    assert "previous work was put back" in boxes[-1][1] and "the run list broke" in boxes[-1][1]
    assert window.model.scenario.name == before and len(calls) == 2


def test_a_second_window_leaves_the_first_ones_autosave_alone(qtbot, window, tmp_path, monkeypatch):
    from studies import session as S

    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    first = S.AutosaveSlot()                       # another window, still open
    first.write(S.Session.create(scenario_toml=window.model.scenario.to_toml()))
    asked = []
    monkeypatch.setattr(QMessageBox, "question", staticmethod(lambda *a, **k: asked.append(a) or QMessageBox.No))
    sessions = window.research.sessions
    sessions.slot = None
    assert sessions.offer_recovery() is False
    assert asked == [] and first.path.is_file()
    first._lock.release()                          # now the first window crashes
    assert sessions.offer_recovery() is False      # offered, and the user says No
    assert len(asked) == 1 and not first.path.exists()
    sessions.clean_exit()


def test_a_broken_scenario_from_a_desktop_shortcut_shows_a_dialog(qtbot, tmp_path, monkeypatch, no_modal_dialogs):
    import argparse

    from PySide6.QtWidgets import QApplication

    import gui.app
    from gui import research

    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    bad = tmp_path / "broken.toml"
    bad.write_text("days = true\n", encoding="utf-8")
    windows = []
    monkeypatch.setattr(QApplication, "exec", lambda self: 0)
    monkeypatch.setattr(research, "startup", lambda win, session=None: windows.append(win))
    monkeypatch.setattr(gui.app, "_warm_up", lambda app: None)
    args = argparse.Namespace(scenario=str(bad), seed=None, screenshot=None, days=5.0, session=None)
    assert gui.app.run_gui(args) == 0
    assert no_modal_dialogs and no_modal_dialogs[0][0] == "Cannot open the scenario"
    assert "broken.toml" in no_modal_dialogs[0][1] and "field 'days'" in no_modal_dialogs[0][1]
    assert windows and windows[0].model.builtin_id == "wt_steady_state"


def test_an_error_box_shows_a_huge_message_cut_short(qtbot, window, monkeypatch):
    from gui import dialogs

    monkeypatch.undo()
    seen = []
    monkeypatch.setattr(QMessageBox, "exec", lambda self: seen.append((self.informativeText(), self.detailedText())))
    dialogs.show_error(window, "Cannot open scenario", "x" * 5_000_000, details="y" * 5_000_000)
    text, details = seen[0]
    assert len(text) < dialogs.MAX_MESSAGE_CHARS + 100 and "more characters not shown" in text
    assert len(details) < dialogs.MAX_DETAILS_CHARS + 100
