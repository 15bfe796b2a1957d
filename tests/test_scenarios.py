"""Scenario schema and bad-input handling (library and CLI)."""
import subprocess
import sys

import pytest

from engine import InputError, builtin_scenarios, load_scenario, parse_scenario
from engine.parameters import parameter_table
from tests.conftest import ROOT


def write(tmp_path, text, name="s.toml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_every_builtin_scenario_loads_and_round_trips(tmp_path):
    ids = builtin_scenarios()
    assert "wt_steady_state" in ids
    for sid in ids:
        scn = load_scenario(sid)
        again = parse_scenario(__import__("tomllib").loads(scn.to_toml()), "roundtrip")
        assert again.model_dump() == scn.model_dump()


def test_parameter_table_is_complete():
    table = parameter_table()
    assert len(table) > 60
    for p in table.values():
        assert p.unit and p.source and p.description
        assert p.min <= p.default <= p.max


@pytest.mark.parametrize("text, field, words", [
    ("name = 'x'\ncolour = 3\n", "colour", "unknown key"),
    ("days = 'long'\n", "days", "wrong type"),
    ("days = -5\n", "days", "out of range"),
    ("genotype = 'ko'\n", "genotype", "not an allowed value"),
    ("[parameters]\ndt_hours = 50\n", "parameters.dt_hours", "out of range"),
    ("[parameters]\nno_such_thing = 1\n", "parameters.no_such_thing", "unknown parameter"),
    ("[[events]]\nkind = 'fu5'\ndose = 99\n", "events[0]", "dose"),
    ("[[events]]\nkind = 'sdf1'\nstart_day = -1\n", "events[0].start_day", "out of range"),
    ("[[events]]\nkind = 'laser'\n", "events[0].kind", "not an allowed value"),
])
def test_bad_scenarios_name_file_and_field(tmp_path, text, field, words):
    p = write(tmp_path, text)
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    msg = str(exc.value)
    assert str(p) in msg
    assert field in msg
    assert words in msg


def test_malformed_and_missing_files(tmp_path):
    with pytest.raises(InputError, match="malformed TOML"):
        load_scenario(write(tmp_path, "name = 'unterminated\n"))
    with pytest.raises(InputError, match="file not found"):
        load_scenario(tmp_path / "absent.toml")
    with pytest.raises(InputError, match="unknown scenario name"):
        load_scenario("no_such_builtin")
    with pytest.raises(InputError, match="not a text"):
        p = tmp_path / "bin.toml"
        p.write_bytes(b"\xff\xfe\x00garbage")
        load_scenario(p)


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "main.py"), *args], capture_output=True, text=True,
                          timeout=600)


@pytest.mark.parametrize("args, needle", [
    (["run", "--scenario", "no_such_builtin"], "unknown scenario name"),
    (["run", "--scenario", "wt_steady_state", "--days", "-3"], "--days"),
    (["run", "--scenario", "/nonexistent/x.toml"], "file not found"),
])
def test_cli_bad_input_exits_nonzero_without_traceback(args, needle):
    r = cli(*args)
    assert r.returncode == 2
    assert needle in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_bad_file_names_field(tmp_path):
    p = write(tmp_path, "days = 10\n[[events]]\nkind = 'sdf1'\nwhen = 3\n")
    r = cli("run", "--scenario", str(p))
    assert r.returncode == 2
    assert str(p) in r.stderr and "events[0].when" in r.stderr and "unknown key" in r.stderr
    assert "Traceback" not in r.stderr


def test_cli_params_and_scenarios_list():
    r = cli("params", "--group", "tpo")
    assert r.returncode == 0 and "tpo_baseline_pg_ml" in r.stdout and "pg/mL" in r.stdout
    r = cli("scenarios")
    assert r.returncode == 0 and "wt_steady_state" in r.stdout
