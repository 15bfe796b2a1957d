"""The command line's input checks, one test per class of failure (issue 17 items 4-7): arguments
checked as they are parsed, outputs checked before any work, '-' for standard output, no
traceback ever, the shared argument blocks (parent parsers), atomic writes and their temporary
files. Subprocess cases run under an address-space limit and a timeout."""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

import main
from engine import InputError
from tests.conftest import ROOT

TINY = {"tile_x_um": 200.0, "tile_y_um": 200.0, "tile_z_um": 100.0, "spinup_days": 0.0}
LIMIT_BYTES = 6 * 1024 ** 3


def _limits():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def cli(*args, env=None, cwd=None):
    """main.py in a child process (address space and time limited)."""
    e = dict(os.environ, **(env or {}))
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=300, preexec_fn=_limits, env=e, cwd=cwd)


def one_error_line(text: str) -> str:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.fixture
def tiny_scenario(tmp_path):
    from engine import load_scenario

    p = tmp_path / "tiny.toml"
    p.write_text(load_scenario("wt_steady_state").copy_with(parameters=dict(TINY), days=0.5).to_toml())
    return p


@pytest.fixture
def no_simulation(monkeypatch):
    """Fail the test if a simulation is built (the checks must come first)."""
    import engine.simulation

    def forbidden(self, *a, **k):
        raise AssertionError("a simulation was started before the input was checked")

    monkeypatch.setattr(engine.simulation.Simulation, "__init__", forbidden)


# ------------------------------------------------------------------ numbers are checked when parsed

@pytest.mark.parametrize("args, needle", [
    (["run", "--scenario", "wt_steady_state", "--days", "inf"], "--days"),
    (["run", "--scenario", "wt_steady_state", "--days", "3651"], "<= 3650"),
    (["run", "--scenario", "wt_steady_state", "--seed", str(2 ** 64)], "0..2147483647"),
    (["ensemble", "--scenario", "wt_steady_state", "--timeout", "nan"], "--timeout"),
])
def test_out_of_range_numbers_exit_2_with_one_line_in_a_limited_process(args, needle):
    r = cli(*args)
    assert r.returncode == 2
    assert needle in one_error_line(r.stderr)


def test_days_inf_1e9_and_3651_are_refused_like_the_scenario_cap(capsys, no_simulation):
    for v in ("inf", "1e9", "3651", "nan", "0", "-2"):
        assert main.main(["run", "--scenario", "wt_steady_state", "--days", v]) == 2
        assert "days out of range" in one_error_line(capsys.readouterr().err) or v == "nan"
    assert main.main(["run", "--scenario", "wt_steady_state", "--seed", "9" * 5000]) == 2
    assert "--seed" in one_error_line(capsys.readouterr().err)


def test_a_scenario_that_needs_more_than_the_budget_is_refused_before_building(tmp_path, capsys, no_simulation):
    p = tmp_path / "big.toml"
    p.write_text("[parameters]\ntile_x_um = 3000.0\ntile_y_um = 3000.0\ntile_z_um = 1000.0\nfield_voxel_um = 4.0\n")
    assert main.main(["run", "--scenario", str(p)]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(p) in line and "parameters.field_voxel_um" in line and "GiB of model memory" in line


# ------------------------------------------------------------------ outputs are checked before the work

@pytest.mark.parametrize("make_target, words", [
    (lambda d: str(d), "is a folder"),
    (lambda d: "", "empty file name"),
    (lambda d: str(d / ("n" * 300)), "name too long"),
    (lambda d: str(d / "/".join(["x" * 200] * 30)), "path too long"),
    (lambda d: "/dev/zero", "not a regular file"),
    (lambda d: str(d / "file" / "x.csv"), "not a folder"),
])
def test_bad_output_paths_are_refused_before_simulating(tmp_path, capsys, no_simulation, make_target, words):
    (tmp_path / "file").write_text("a file, not a folder")
    for opt in ("--csv", "--json"):
        assert main.main(["run", "--scenario", "wt_steady_state", opt, make_target(tmp_path)]) == 2
        line = one_error_line(capsys.readouterr().err)
        assert f"field '{opt}'" in line and words in line


def test_a_read_only_folder_is_refused_before_simulating(tmp_path, capsys, no_simulation):
    if os.geteuid() == 0:          # root writes anywhere: take a folder no one can create files in
        target = "/proc/nichelab-test/out.csv"
    else:
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        target = str(ro / "out.csv")
    assert main.main(["run", "--scenario", "wt_steady_state", "--csv", target]) == 2
    assert "cannot" in one_error_line(capsys.readouterr().err)


def test_a_full_disk_is_refused_before_simulating(tmp_path, capsys, no_simulation, monkeypatch):
    import shutil
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10 ** 9, 10 ** 9 - 1000, 1000))
    assert main.main(["run", "--scenario", "wt_steady_state", "--csv", str(tmp_path / "out.csv")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "not enough free disk space" in line and "--csv" in line
    assert list(tmp_path.iterdir()) == []


def test_two_outputs_on_standard_output_are_refused(capsys, no_simulation):
    assert main.main(["run", "--scenario", "wt_steady_state", "--csv", "-", "--json", "-"]) == 2
    assert "only one output can go to standard output" in one_error_line(capsys.readouterr().err)


def test_json_dash_goes_to_standard_output_and_no_file_named_dash(tmp_path, tiny_scenario, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main.main(["run", "--scenario", str(tiny_scenario), "--json", "-", "--quiet"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["columns"] if "columns" in doc else doc
    assert not (tmp_path / "-").exists()


def test_a_write_that_fails_after_the_run_is_one_clean_line(tmp_path, tiny_scenario, capsys, monkeypatch):
    import engine.files

    def no_space(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(engine.files, "atomic_write_text", no_space)
    out = tmp_path / "out.csv"
    assert main.main(["run", "--scenario", str(tiny_scenario), "--csv", str(out), "--quiet"]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "No space left on device" in line and str(out) in line


def test_an_unexpected_error_is_one_line_and_its_traceback_goes_to_the_log(tmp_path, capsys, monkeypatch):
    import cli.scenarios

    def bug(args):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli.scenarios, "main", bug)
    assert main.main(["scenarios"]) == 1
    line = one_error_line(capsys.readouterr().err)
    assert "internal error: ZeroDivisionError: a bug" in line and "details in" in line


# ------------------------------------------------------------------ shared argument blocks

def _parser(name):
    from cli.common import CliParser

    mod = main._cli_modules()[name]
    ap = CliParser(prog=f"nichelab {name}", parents=mod.parents() if hasattr(mod, "parents") else [])
    mod.add_arguments(ap)
    return ap


def _action(ap, option):
    return next(a for a in ap._actions if option in a.option_strings)


def test_repeated_arguments_come_from_one_parent_parser_each():
    from cli import common

    shared = {"--scenario": ("run", "ensemble", "sweep"), "--days": ("run", "ensemble", "sweep"),
              "--workers": ("ensemble", "sweep"), "--timeout": ("ensemble", "sweep"),
              "--progress": ("run", "ensemble", "sweep", "validate"), "--quiet": ("run", "ensemble")}
    for option, commands in shared.items():
        actions = [_action(_parser(c), option) for c in commands]
        assert len({(a.type, a.help, a.required, a.default) for a in actions}) == 1, option
    assert _action(_parser("run"), "--seed").type is common.seed_value
    assert _action(main._gui_parser(), "--seed").type is common.seed_value
    assert _action(_parser("validate"), "--first-seed").type is common.seed_value
    assert _action(_parser("run"), "--days").type is common.days_value


def test_help_texts_keep_their_wording():
    text = _parser("run").format_help()
    for line in ("built-in scenario id (see `scenarios`) or a .toml file", "simulated days (default: the scenario's)",
                 "random seed (default: the scenario's)", "show a progress bar even when not on a terminal",
                 "no summary on standard error"):
        assert line in " ".join(text.split())
    assert "seconds to wait for the Dask scheduler (default 5)" in " ".join(_parser("sweep").format_help().split())


def test_help_exits_0_and_an_argument_error_is_one_line(capsys):
    assert main.main(["run", "--help"]) == 0
    assert "--scenario" in capsys.readouterr().out
    assert main.main(["run"]) == 2
    assert "--scenario" in one_error_line(capsys.readouterr().err)


# ------------------------------------------------------------------ atomic writes

def test_atomic_writes_flush_to_disk_before_the_rename(tmp_path, monkeypatch):
    from engine import files

    order = []
    real_fsync, real_replace = os.fsync, os.replace
    monkeypatch.setattr(files.os, "fsync", lambda fd: (order.append("fsync"), real_fsync(fd))[1])
    monkeypatch.setattr(files.os, "replace", lambda a, b: (order.append("replace"), real_replace(a, b))[1])
    files.atomic_write_text(tmp_path / "out.csv", "a,b\n")
    assert order[:2] == ["fsync", "replace"]
    assert (tmp_path / "out.csv").read_text() == "a,b\n"


def test_temporary_files_of_killed_writes_are_removed(tmp_path):
    from engine import files

    target = tmp_path / "out.csv"
    dead = _dead_pid()
    orphan = tmp_path / f".out.csv{files.TMP_MARK}{dead}-abcd"
    orphan.write_text("half")
    other = tmp_path / f".other.csv{files.TMP_MARK}{dead}-abcd"
    other.write_text("half")
    mine = tmp_path / f".out.csv{files.TMP_MARK}{os.getpid()}-live"
    mine.write_text("in progress")
    files.atomic_write_text(target, "x\n")
    assert not orphan.exists() and other.exists() and mine.exists()   # only this target's, only dead ones
    assert files.remove_orphan_temps(tmp_path) == [other]


def test_a_killed_write_leaves_the_old_file_and_the_next_start_cleans_up(tmp_path):
    target = tmp_path / "data" / "autosave" / "x.json"
    target.parent.mkdir(parents=True)
    target.write_text("old")
    code = ("import sys, os; sys.path.insert(0, sys.argv[1]); from engine.files import atomic_write\n"
            "def write(tmp):\n    open(tmp, 'w').write('half')\n    os._exit(9)\n"
            "atomic_write(sys.argv[2], write)")
    r = subprocess.run([sys.executable, "-c", code, str(ROOT), str(target)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 9, r.stderr
    left = [p.name for p in target.parent.iterdir()]
    assert target.read_text() == "old" and len(left) == 2          # the old file and one orphan
    r = cli("params", "--group", "tpo", env={"NICHELAB_HOME": str(tmp_path)})
    assert r.returncode == 0
    assert [p.name for p in target.parent.iterdir()] == ["x.json"]


def _dead_pid() -> int:
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


# ------------------------------------------------------------------ user files

def test_special_files_are_refused_without_reading(tmp_path):
    from engine.files import read_user_bytes

    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    for path, words in ((fifo, "not a regular file"), ("/dev/zero", "not a regular file"),
                        (tmp_path, "is a folder"), (tmp_path / "none.toml", "file not found")):
        with pytest.raises(InputError, match=words):
            read_user_bytes(path, "scenario file")
    big = tmp_path / "big.toml"
    with open(big, "wb") as fh:
        fh.truncate(6 * 1024 ** 3)
    with pytest.raises(InputError, match="file too large"):
        read_user_bytes(big, "scenario file", 1024)


def test_no_display_gives_a_message_not_an_abort(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["NICHELAB_HOME"] = str(tmp_path)
    r = subprocess.run([sys.executable, str(ROOT / "main.py")], capture_output=True, text=True, timeout=300,
                       env=env, preexec_fn=_limits)
    assert r.returncode == 1
    assert "no graphical display" in one_error_line(r.stderr)


def test_display_problem_knows_unreachable_x_displays():
    from gui.app import display_problem

    assert display_problem({}, "linux").startswith("no graphical display")
    assert "cannot connect" in display_problem({"DISPLAY": ":987"}, "linux")
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}, "linux") is None
    assert display_problem({}, "win32") is None
    assert display_problem({}, "darwin") is None


def test_broken_scenario_in_screenshot_mode_exits_2_in_one_line(tmp_path, capsys):
    bad = tmp_path / "broken.toml"
    bad.write_text("days = '10'\n")
    assert main.main(["--scenario", str(bad), "--screenshot", str(tmp_path / "x.png")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(bad) in line and "field 'days'" in line and "wrong type" in line
    assert not (tmp_path / "x.png").exists()


def test_sweep_and_ensemble_check_their_outputs_and_seeds_first(tmp_path, capsys, monkeypatch):
    import studies.ensemble
    import studies.sweep

    def no_work(*a, **k):
        raise AssertionError("work started")

    monkeypatch.setattr(studies.sweep, "run_tasks", no_work)
    monkeypatch.setattr(studies.ensemble, "run_tasks", no_work)
    (tmp_path / "file").write_text("x")
    assert main.main(["sweep", "--scenario", "wt_steady_state", "--param", "dt_hours=1:2:2",
                      "--out", str(tmp_path / "file")]) == 2
    assert "field '--out': not a folder" in one_error_line(capsys.readouterr().err)
    top = tmp_path / "top.toml"
    top.write_text(f"seed = {2 ** 31 - 1}\n")
    assert main.main(["ensemble", "--scenario", str(top), "--seeds", "2"]) == 2
    assert "largest seed" in one_error_line(capsys.readouterr().err)
    assert main.main(["ensemble", "--scenario", "wt_steady_state", "--svg", str(tmp_path)]) == 2
    assert "field '--svg': is a folder" in one_error_line(capsys.readouterr().err)


def test_runs_are_unchanged_by_the_checks(tmp_path, tiny_scenario, capsys):
    """Same scenario and seed, same numbers, whether the outputs go to files or to stdout."""
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    assert main.main(["run", "--scenario", str(tiny_scenario), "--csv", str(a), "--quiet"]) == 0
    assert main.main(["run", "--scenario", str(tiny_scenario), "--csv", "-", "--quiet"]) == 0
    b.write_text(capsys.readouterr().out)
    strip = [ln for ln in a.read_text().splitlines() if not ln.startswith("#")]
    assert strip == [ln for ln in b.read_text().splitlines() if not ln.startswith("#")]
    assert len(strip) > 2
    assert Path(a).stat().st_size > 0
