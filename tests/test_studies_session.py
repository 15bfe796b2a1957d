"""Session files and autosave (studies.session): round trip, strict validation, atomic saves."""
import json

import numpy as np
import pytest

from engine import InputError, load_scenario
from studies import session as S
from studies.runs import RunRecord


def record(label="run A", n=9):
    d = np.arange(n) * 0.25
    data = np.column_stack([d, 1000.0 - 10 * d, (1000.0 - 10 * d) / 1000.0])
    data[2, 2] = np.nan  # missing values survive as null
    return RunRecord(scenario_toml=load_scenario("lesson_5fu").to_toml(), seed=3, label=label,
                     treatment_summary="5-FU", columns=["day", "platelets", "platelets_rel"],
                     units={"platelets": "10^3/uL"}, data=data, metadata={"species": "mouse"})


def session(**kw):
    return S.Session.create(scenario_toml=load_scenario("lesson_hsct").to_toml(), runs=[record(), record("B")],
                            view={"camera": {"distance": 900.0, "azimuth": 30}, "show_field": True},
                            seed=5, current_day=12.5, **kw)


def test_round_trip_restores_scenario_runs_and_view(tmp_path):
    path = S.save_session(tmp_path / "lab.nichelab.json", session(lesson=S.LessonState(lesson_id="03_5fu_recovery",
                                                                                         step=2, answers={"1": "B"})))
    s = S.load_session(path)
    assert s.scenario().name == "Lesson: transplant after lethal irradiation"
    assert s.seed == 5 and s.current_day == 12.5 and s.version == S.VERSION
    assert s.view["camera"]["distance"] == 900.0 and s.view["show_field"] is True
    assert s.lesson.step == 2 and s.lesson.answers == {"1": "B"}
    runs = s.run_records()
    assert [r.label for r in runs] == ["run A", "B"]
    assert np.isnan(runs[0].data[2, 2]) and runs[0]["platelets"][4] == pytest.approx(990.0)
    doc = json.loads(path.read_text())
    assert doc["format"] == "nichelab-session" and doc["app_version"] and doc["saved_at"]


def _write(tmp_path, doc_or_text, name="bad.json"):
    p = tmp_path / name
    p.write_text(doc_or_text if isinstance(doc_or_text, str) else json.dumps(doc_or_text))
    return p


@pytest.fixture
def good_doc(tmp_path):
    return json.loads(S.save_session(tmp_path / "good.json", session()).read_text())


@pytest.mark.parametrize("mutate, field, words", [
    (lambda d: d["runs"][1]["rows"][3].pop(), "runs[1]", "row 3 has 2 values for 3 columns"),
    (lambda d: d["runs"][0].update(seed=-1), "runs[0].seed", "out of range (expected >= 0"),
    (lambda d: d["runs"][0].update(colour="red"), "runs[0].colour", "unknown key"),
    (lambda d: d["runs"][0].update(columns=["day", "x", "y"]), "runs[0].columns",
     "must include 'day', 'platelets', 'platelets_rel'"),
    (lambda d: d.update(scenario_toml='name = "x"\ndays = -3\n'), "scenario_toml", "invalid scenario"),
    (lambda d: d.update(scenario_toml="name = "), "scenario_toml", "not valid TOML"),
    (lambda d: d.update(version=7), "version", "newer NicheLab"),
    (lambda d: d.pop("scenario_toml"), "scenario_toml", "required key missing"),
    (lambda d: d.update(current_day="noon"), "current_day", "wrong type (expected a number"),
])
def test_corrupt_session_names_file_and_field(tmp_path, good_doc, mutate, field, words):
    mutate(good_doc)
    p = _write(tmp_path, good_doc)
    with pytest.raises(InputError) as exc:
        S.load_session(p)
    msg = str(exc.value)
    assert str(p) in msg and f"field '{field}'" in msg and words in msg


def test_unreadable_files_give_one_clear_error(tmp_path):
    cases = {
        "trunc.json": ('{"format": "nichelab-session", "runs": [', "malformed JSON at line 1"),
        "list.json": ("[1, 2]", "not a NicheLab session file"),
        "other.json": ('{"format": "something-else"}', "not a NicheLab session file"),
        "nan.json": ('{"format": "nichelab-session", "x": NaN}', "non-standard JSON number NaN"),
    }
    for name, (text, words) in cases.items():
        with pytest.raises(InputError, match=words) as exc:
            S.load_session(_write(tmp_path, text, name))
        assert name in str(exc.value)
    (tmp_path / "bin.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(InputError, match="UTF-8"):
        S.load_session(tmp_path / "bin.json")
    with pytest.raises(InputError, match="file not found"):
        S.load_session(tmp_path / "missing.json")


def test_failed_save_keeps_the_previous_file(tmp_path, monkeypatch):
    path = S.save_session(tmp_path / "lab.json", session())
    before = path.read_text()

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("engine.files.os.replace", boom)
    with pytest.raises(InputError, match="cannot write session"):
        S.save_session(path, S.Session.create(scenario_toml=load_scenario("lesson_5fu").to_toml()))
    assert path.read_text() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lab.json"]


def test_autosave_of_a_window_is_offered_only_after_its_window_is_gone(tmp_path, monkeypatch):
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    assert S.autosave_dir() == tmp_path / "home" / "data" / "autosave"
    assert S.find_recoverable_autosave() is None
    first = S.AutosaveSlot()                       # the first window
    first.write(session())
    # a second window starting now must not take the first one's autosave for a crash
    assert S.find_recoverable_autosave() is None
    assert first.path.is_file()
    # the first window crashes: its claim goes with it (here: the lock is released, the file stays)
    first._lock.release()
    found = S.find_recoverable_autosave()
    assert found.path == first.path and found.n_runs == 2 and found.scenario_name.startswith("Lesson: transplant")
    assert S.find_recoverable_autosave() is None   # claimed by whoever asked first
    found.release(remove=True)                     # "No": the crashed window's autosave goes
    assert not first.path.exists() and S.find_recoverable_autosave() is None


def test_a_clean_exit_removes_the_autosave_and_a_corrupt_one_is_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    slot = S.AutosaveSlot()
    slot.write(session())
    slot.close()
    assert list(S.autosave_dir().iterdir()) == []
    crashed = S.AutosaveSlot()
    crashed.path.write_text("{broken")
    crashed._lock.release()
    assert S.find_recoverable_autosave() is None           # corrupt: not offered ...
    assert crashed.path.read_text() == "{broken"            # ... and not deleted


def test_a_recovered_autosave_becomes_the_new_windows_own(tmp_path, monkeypatch):
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    crashed = S.AutosaveSlot()
    crashed.write(session())
    crashed._lock.release()
    found = S.find_recoverable_autosave()
    mine = S.AutosaveSlot()
    mine.adopt(found)
    assert mine.path.is_file() and not crashed.path.exists()
    assert S.find_recoverable_autosave() is None           # locked by the new window
    mine.close()
    assert not mine.path.exists()


def test_an_autosave_of_a_killed_process_is_offered(tmp_path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    code = ("import os, sys; sys.path.insert(0, sys.argv[1]);"
            "from studies import session as S; from tests.test_studies_session import session;"
            "slot = S.AutosaveSlot(sys.argv[2]); slot.write(session()); os._exit(9)")
    r = subprocess.run([sys.executable, "-c", code, str(ROOT), str(tmp_path)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 9, r.stderr
    found = S.find_recoverable_autosave(tmp_path)
    assert found is not None and found.n_runs == 2
    found.release()


def test_a_version_0_1_autosave_is_offered_once_idle(tmp_path, monkeypatch):
    import os
    import time

    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    legacy = S.legacy_autosave_path()
    legacy.parent.mkdir(parents=True, exist_ok=True)
    S.save_session(legacy, session())
    assert S.find_recoverable_autosave() is None           # written just now: its window may be open
    old = time.time() - S.LEGACY_AUTOSAVE_IDLE_S - 5
    os.utime(legacy, (old, old))
    found = S.find_recoverable_autosave()
    assert found.path == legacy
    found.release(remove=True)
    assert not legacy.exists()


def test_autosave_timer_is_due_a_minute_after_the_first_change():
    now = [100.0]
    t = S.AutosaveTimer(60.0, clock=lambda: now[0])
    assert not t.due()
    t.mark_dirty()
    now[0] = 130.0
    t.mark_dirty()  # later changes do not postpone the save
    assert not t.due()
    now[0] = 160.0
    assert t.due()
    t.saved()
    assert not t.due()


# ------------------------------------------------------------------ sessions that pass the schema but cannot be applied

@pytest.mark.parametrize("mutate, field, words", [
    (lambda d: d["runs"][0].update(columns=["day", "platelets"], rows=[r[:2] for r in d["runs"][0]["rows"]]),
     "runs[0].columns", "missing 'platelets_rel'"),
    (lambda d: d["runs"][0].update(rows=[]), "runs[0].rows", "at least 1"),
    (lambda d: [r.__setitem__(2, None) for r in d["runs"][1]["rows"]], "runs[1]", "cannot be shown"),
    (lambda d: d["runs"][0]["rows"][0].__setitem__(1, None), "runs[0]", "no day or no platelet count"),
    (lambda d: d["runs"][0]["rows"][5].__setitem__(0, 0.1), "runs[0]", "days must not decrease"),
    (lambda d: d.update(lesson={"lesson_id": "../../etc/passwd", "step": 0}), "lesson.lesson_id",
     "not a built-in lesson id"),
    (lambda d: d.update(lesson={"lesson_id": "/tmp/mine", "step": 0}), "lesson.lesson_id", "not a built-in lesson id"),
    (lambda d: d.update(lesson={"lesson_id": "03_5fu_recovery", "step": 500}), "lesson.step", "fewer steps"),
    (lambda d: d.update(seed=2 ** 31), "seed", "out of range"),
    (lambda d: d.update(current_day=True), "current_day", "wrong type"),
])
def test_sessions_that_cannot_be_applied_are_refused_on_load(tmp_path, good_doc, mutate, field, words):
    mutate(good_doc)
    p = _write(tmp_path, good_doc)
    with pytest.raises(InputError) as exc:
        S.load_session(p)
    msg = str(exc.value)
    assert str(p) in msg and f"field '{field}'" in msg and words in msg


def test_hostile_session_files_are_refused_without_reading_them(tmp_path):
    import os

    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    deep = _write(tmp_path, '{"format": "nichelab-session", "view": ' + "[" * 100_000 + "]" * 100_000 + "}", "deep.json")
    digits = _write(tmp_path, '{"format": "nichelab-session", "seed": ' + "9" * 5000 + "}", "digits.json")
    for path, words in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"), (tmp_path, "is a folder"),
                        (deep, "nested too deeply"), (digits, "thousands of digits")):
        with pytest.raises(InputError, match=words):
            S.load_session(path)


def test_a_session_too_large_to_read_back_is_not_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(S, "MAX_FILE_BYTES", 1000)
    with pytest.raises(InputError, match="session too large to save"):
        S.save_session(tmp_path / "big.json", session())
    assert list(tmp_path.iterdir()) == []


def test_lesson_references_are_built_in_ids_or_files_never_paths_inside_resources():
    from studies.lessons import builtin_lesson_ids, is_builtin_lesson_id, load_lesson

    ids = builtin_lesson_ids()
    assert "01_vascular_niche" in ids and all(is_builtin_lesson_id(i) for i in ids)
    for ref in ("../scenarios/wt_steady_state", "01_vascular_niche/../02_thpo_knockout", "", "x" * 100_000,
                "/etc", "/dev/zero"):
        assert not is_builtin_lesson_id(ref)
        with pytest.raises(InputError):
            load_lesson(ref)
