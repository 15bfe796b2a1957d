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
    ("[[events]]\nkind = 'tpo'\ndose = 1500\n", "events[0]", "ug/kg"),
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


# ------------------------------------------------------------------ strict means strict (issue 17 item 6)

@pytest.mark.parametrize("text, field", [
    ("days = '10'\n", "days"), ("days = true\n", "days"), ("seed = '1'\n", "seed"), ("seed = 1.0\n", "seed"),
    ("[[events]]\nkind = 'il6'\ndose = true\n", "events[0].dose"),
    ("[[events]]\nkind = 'il6'\nstart_day = '2'\n", "events[0].start_day"),
    ("[parameters]\ndt_hours = true\n", "parameters.dt_hours"),
    ("[parameters]\ndt_hours = '1'\n", "parameters.dt_hours"),
    ("days = nan\n", "days"), ("days = inf\n", "days"),
    ("[[events]]\nkind = 'fu5'\ndose = inf\n", "events[0].dose"),
])
def test_numbers_are_never_taken_from_text_or_true_false(tmp_path, text, field):
    with pytest.raises(InputError) as exc:
        load_scenario(write(tmp_path, text))
    assert f"field '{field}'" in str(exc.value)


def test_integers_are_accepted_for_decimal_fields(tmp_path):
    scn = load_scenario(write(tmp_path, "days = 30\n[[events]]\nkind = 'fu5'\ndose = 1\n"))
    assert type(scn.days) is float and scn.days == 30.0 and type(scn.events[0].dose) is float


def test_copy_with_validates_like_a_file():
    scn = load_scenario("wt_steady_state")
    for change in ({"days": "10"}, {"days": True}, {"seed": 2 ** 31}, {"days": 3651.0}, {"name": "a\nb"}):
        with pytest.raises(InputError):
            scn.copy_with(**change)
    assert scn.copy_with(days=5).days == 5.0


@pytest.mark.parametrize("events, field, words", [
    ([("il6", 0.0, 10.0)] * 1000, "events", "at most 100"),
    ([("irradiation", float(i), 20.0) for i in range(100)], "events[1].dose", "40 Gy over the run"),
    ([("irradiation", 0.0, 20.0), ("irradiation", 3.0, 1.0)], "events[1].dose", "21 Gy over the run"),
    ([("il6", 0.0, 6.0), ("il6", 10.0, 6.0)], "events[1].dose", "12 x standard dose on day 10"),
    ([("fu5", float(i), 1.0) for i in range(7)], "events[6].dose", "7 x 150 mg/kg"),
    ([("tpo", float(i), 1000.0) for i in range(6)], "events[5].dose", "6000 ug/kg"),
])
def test_cumulative_doses_are_capped(events, field, words):
    from engine.scenario import DOSE_TOTAL_MAX

    data = {"events": [{"kind": k, "start_day": s, "dose": d} for k, s, d in events]}
    with pytest.raises(InputError) as exc:
        parse_scenario(data, "caps.toml")
    assert f"field '{field}'" in str(exc.value) and words in str(exc.value)
    assert DOSE_TOTAL_MAX["irradiation"] == 20.0 and DOSE_TOTAL_MAX["il6"] == 10.0


def test_treatments_given_one_after_another_are_not_summed():
    data = {"events": [{"kind": "il6", "start_day": 0.0, "duration_days": 5.0, "dose": 10.0},
                       {"kind": "il6", "start_day": 5.0, "duration_days": 5.0, "dose": 10.0}]}
    assert len(parse_scenario(data, "turns.toml").events) == 2


@pytest.mark.parametrize("overrides, field", [
    ({"platelet_normal_low": 1500.0, "platelet_normal_high": 1000.0}, "platelet_normal_low"),
    ({"platelet_normal_high": 700.0}, "platelet_normal_high"),
    ({"mk_radius_min_um": 25.0}, "mk_radius_min_um"),
    ({"mk_radius_max_um": 5.0}, "mk_radius_max_um"),
    ({"vessel_radius_um": 20.0, "vessel_spacing_um": 40.0}, "vessel_radius_um"),
    ({"vessel_spacing_um": 30.0, "vessel_radius_um": 15.0}, "vessel_radius_um"),
    ({"dt_hours": 2.0, "sample_hours": 1.0}, "dt_hours"),
    ({"platelet_age_stages": 3.5}, "platelet_age_stages"),
    ({"mkp_niche_max_divisions": 0.5}, "mkp_niche_max_divisions"),
    # the stages of a chain are its state's shape: a fraction was rounded without a word until 0.13.0
    ({"anc_transit_stages": 2.5}, "anc_transit_stages"),
    ({"mk_transit_stages": 3.2}, "mk_transit_stages"),
    ({"hspc_activation_stages": 1.5}, "hspc_activation_stages"),
    ({"stress_spleen_stages": 63.5}, "stress_spleen_stages"),
    ({"graft_myeloid_stages": 4.5}, "graft_myeloid_stages"),
])
def test_contradictory_parameters_are_refused(overrides, field):
    with pytest.raises(InputError) as exc:
        parse_scenario({"parameters": overrides}, "p.toml")
    assert f"field 'parameters.{field}'" in str(exc.value)


def test_a_live_parameter_change_that_contradicts_is_refused_and_undone():
    from engine.parameters import ParameterSet

    p = ParameterSet("mouse")
    with pytest.raises(InputError, match="contradicts"):
        p.set("mk_radius_min_um", 25.0)
    assert p["mk_radius_min_um"] == 6.0 and "mk_radius_min_um" not in p.overrides


def test_the_parameter_table_defaults_are_consistent_for_both_species():
    from engine.parameters import ParameterSet, check_consistency

    for species in ("mouse", "human"):
        check_consistency(ParameterSet(species).as_dict())


@pytest.mark.parametrize("text", ["a\x01b", "tab\there", "new\nline", "quote \" and \\ back", "del\x7f",
                                  "\u2028 separator", "emoji \U0001F42D", "cr\r"])
def test_descriptions_round_trip_through_the_toml_writer(text):
    import tomllib

    scn = parse_scenario({"description": text.replace("\x01", "").replace("\x7f", "")}, "d.toml")
    again = parse_scenario(tomllib.loads(scn.to_toml()), "again.toml")
    assert again.description == scn.description


def test_the_toml_writer_escapes_every_control_character():
    import tomllib

    from engine.scenario import toml_string

    every = "".join(chr(i) for i in range(0, 0x250))
    assert tomllib.loads(f"x = {toml_string(every)}")["x"] == every


def test_names_with_control_characters_are_refused_with_the_field():
    for c in ("\n", "\x00", "\x1b", "\x7f", "\x85"):
        with pytest.raises(InputError, match="field 'name': holds a control character"):
            parse_scenario({"name": f"a{c}b"}, "n.toml")


def test_a_huge_value_in_a_file_gives_a_short_message(tmp_path):
    p = write(tmp_path, "[[events]]\nkind = '" + "k" * 500_000 + "'\n")
    with pytest.raises(InputError) as exc:
        load_scenario(p)
    assert len(str(exc.value)) < 600 and "events[0].kind" in str(exc.value)


def test_deep_nesting_and_huge_numbers_are_input_errors(tmp_path):
    with pytest.raises(InputError, match="nested too deeply"):
        load_scenario(write(tmp_path, "days = " + "[" * 50_000 + "]" * 50_000 + "\n"))
    with pytest.raises(InputError, match="thousands of digits"):
        load_scenario(write(tmp_path, "seed = " + "9" * 5000 + "\n", "big.toml"))
