"""The hostile-input corpus of the fuzz suite: scenario files, sessions, lesson files and lesson
references, claims files given by path, and command lines, each with what must happen.

The corpus is generated (deterministically) rather than stored: :func:`cases` yields the default
set (~450 inputs, a few seconds), ``cases(slow=True)`` adds seeded random mutations of every
built-in scenario and of a saved session (a few thousand inputs). tests/fuzz_driver.py runs them.

A case's ``expect`` is ``"reject"`` (a clean one-line error: exit status 2 or an InputError),
``"accept"`` (must load / reach the simulation) or ``"either"`` (both are fine; only the manner
is checked). ``field`` is a text the error must contain (the field or option named). Files are
bytes, or one of the special markers: FIFO, FOLDER, DEVZERO, SYMLOOP, MISSING, ("BIG", size).
"""
from __future__ import annotations

import json
import random
from dataclasses import dataclass, field

FIFO, FOLDER, DEVZERO, SYMLOOP, MISSING = "<fifo>", "<folder>", "<dev/zero>", "<symlink loop>", "<missing>"


@dataclass
class Case:
    id: str
    kind: str                       # scenario | session | lesson | lesson_ref | claims | cli
    files: dict[str, object] = field(default_factory=dict)
    argv: list[str] | None = None   # cli: '{dir}' is replaced by the case's folder
    ref: str | None = None          # lesson_ref: what is passed to load_lesson
    expect: str = "reject"
    field: str | None = None


# ------------------------------------------------------------------ building blocks

def toml_value(v) -> str:
    if isinstance(v, Raw):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        from engine.scenario import toml_string

        return toml_string(v)
    if isinstance(v, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(v, "nan" if v != v else repr(v))
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + "}"
    return str(v)


def scenario_text(top: dict | None = None, parameters: dict | None = None, events: list | None = None,
                  raw: str = "") -> bytes:
    """A scenario file: a valid base with ``top`` keys replaced, [parameters] and [[events]]."""
    base = {"name": "fuzz", "species": "mouse", "genotype": "wt", "days": 10.0, "seed": 1}
    base.update(top or {})
    lines = [f"{k} = {toml_value(v)}" for k, v in base.items() if v is not _DROP]
    if parameters:
        lines += ["", "[parameters]"] + [f"{k} = {toml_value(v)}" for k, v in parameters.items()]
    for ev in events or []:
        lines += ["", "[[events]]"] + [f"{k} = {toml_value(v)}" for k, v in ev.items()]
    return ("\n".join(lines) + "\n" + raw).encode("utf-8")


_DROP = object()
class Raw(str):
    """Text written into a TOML file as it is (e.g. an integer of 5,000 digits)."""


HUGE_INT = Raw("9" * 5000)
NUMBER_ATTACKS = {"string": "10", "bool": True, "list": [1], "table": {"a": 1}, "nan": float("nan"),
                  "inf": float("inf"), "neg_inf": float("-inf"), "huge_float": 1e308, "neg": -1}
SEED_ATTACKS = {"string": "1", "bool": True, "float": 1.5, "neg": -1, "2^31": 2 ** 31, "2^63": 2 ** 63,
                "2^64": 2 ** 64, "1e30": 10 ** 30}


def scenario_cases() -> list[Case]:
    out: list[Case] = []

    def add(cid, content, expect="reject", fld=None):
        out.append(Case(id=f"scenario/{cid}", kind="scenario", files={"s.toml": content}, expect=expect, field=fld))

    add("valid", scenario_text(), "accept")
    add("valid_int_days", scenario_text({"days": 30}), "accept")
    for name, v in NUMBER_ATTACKS.items():
        add(f"days={name}", scenario_text({"days": v}), fld="days")
    for v in (0, 3650.5, 3651, 1e9):
        add(f"days={v}", scenario_text({"days": v}), fld="days")
    add("days=3650", scenario_text({"days": 3650}), "accept")
    for name, v in SEED_ATTACKS.items():
        add(f"seed={name}", scenario_text({"seed": v}), fld="seed")
    add("seed=5000_digits", scenario_text({"seed": HUGE_INT}))
    add("seed=2^31-1", scenario_text({"seed": 2 ** 31 - 1}), "accept")
    for f in ("species", "genotype"):
        for v in ("", "cat", 1, True, "x" * 100_000):
            add(f"{f}={str(v)[:10]}", scenario_text({f: v}), fld=f)
    for i in list(range(0, 32)) + [127, 0x85]:
        add(f"name_control_{i:02x}", scenario_text({"name": f"a{chr(i)}b"}), fld="name")
    add("name_5MB", scenario_text({"name": "x" * 5_000_000}))          # over the file-size cap
    add("name_500k", scenario_text({"name": "x" * 500_000}), fld="name")
    add("name_empty", scenario_text({"name": ""}), fld="name")
    add("name_unicode", scenario_text({"name": "Maus \u2013 \U0001F42D \u00e9"}), "accept")
    add("name_quotes_backslash", scenario_text({"name": 'say "hi" \\ there'}), "accept")
    add("description_multiline", scenario_text({"description": "line 1\nline 2\ttab"}), "accept")
    add("description_control", scenario_text({"description": "bell \x07"}), fld="description")
    add("description_huge", scenario_text({"description": "d" * 30_000}), fld="description")
    add("unknown_key", scenario_text({"colour": "red"}), fld="colour")
    # events
    ev_attacks = {"dose=true": {"kind": "il6", "dose": True}, "dose=string": {"kind": "il6", "dose": "1"},
                  "dose=nan": {"kind": "il6", "dose": float("nan")}, "dose=inf": {"kind": "fu5", "dose": float("inf")},
                  "dose=-1": {"kind": "il6", "dose": -1.0}, "dose=99": {"kind": "fu5", "dose": 99.0},
                  "start=-1": {"kind": "sdf1", "start_day": -1.0}, "start=3651": {"kind": "sdf1", "start_day": 3651.0},
                  "start=true": {"kind": "sdf1", "start_day": True},
                  "duration=string": {"kind": "il6", "duration_days": "14"},
                  "duration=inf": {"kind": "il6", "duration_days": float("inf")},
                  "kind=laser": {"kind": "laser"}, "kind=500k": {"kind": "k" * 500_000},
                  "kind=int": {"kind": 5}, "extra_key": {"kind": "il6", "when": 3},
                  "coinfusion_wrong_kind": {"kind": "il6", "msc_coinfusion": 1.0},
                  "coinfusion=30": {"kind": "transplant", "msc_coinfusion": 30.0}}
    for name, ev in ev_attacks.items():
        add(f"event_{name}", scenario_text(events=[ev]), fld="events[0]")
    add("events_not_a_list", scenario_text({"events": 5}), fld="events")
    add("events_1000_il6", scenario_text(events=[{"kind": "il6", "dose": 10.0}] * 1000), fld="events")
    add("events_101", scenario_text(events=[{"kind": "il6", "dose": 0.01}] * 101), fld="events")
    add("events_two_il6_overlapping", scenario_text(events=[{"kind": "il6", "dose": 6.0},
                                                            {"kind": "il6", "dose": 6.0, "start_day": 5.0}]),
        fld="events[1].dose")
    add("events_two_il6_in_turn", scenario_text(events=[{"kind": "il6", "dose": 10.0, "duration_days": 5.0},
                                                        {"kind": "il6", "dose": 10.0, "start_day": 5.0}]), "accept")
    add("events_100x20Gy", scenario_text(events=[{"kind": "irradiation", "dose": 20.0}] * 100), fld="events")
    add("events_2x20Gy", scenario_text(events=[{"kind": "irradiation", "dose": 20.0},
                                               {"kind": "irradiation", "dose": 20.0, "start_day": 5.0}]),
        fld="events[1].dose")
    add("events_2x9.5Gy", scenario_text(events=[{"kind": "irradiation", "dose": 9.5},
                                                {"kind": "irradiation", "dose": 9.5, "start_day": 1.0}]), "accept")
    add("events_5fu_x7", scenario_text(events=[{"kind": "fu5", "dose": 1.0, "start_day": float(i)}
                                               for i in range(7)]), fld="events[6].dose")
    add("events_msc_total", scenario_text(events=[{"kind": "transplant", "dose": 1.0, "msc_coinfusion": 15.0},
                                                  {"kind": "msc", "dose": 20.0},
                                                  {"kind": "msc", "dose": 10.0, "start_day": 3.0}]),
        fld="events[2].dose")
    add("events_msc_panel_maxima", scenario_text(events=[{"kind": "transplant", "dose": 1.0, "msc_coinfusion": 20.0},
                                                         {"kind": "msc", "dose": 20.0}]), "accept")
    add("events_transplant_x101", scenario_text(events=[{"kind": "transplant", "dose": 100.0},
                                                        {"kind": "transplant", "dose": 1.0, "start_day": 2.0}]),
        fld="events[1].dose")
    # parameters
    add("param_unknown", scenario_text(parameters={"no_such_thing": 1.0}), fld="parameters.no_such_thing")
    add("param_5MB_name", scenario_text(parameters={"p" * 1_000_000: 1.0}), fld="parameters")
    for name, v in (("dt_hours", True), ("dt_hours", "1"), ("dt_hours", 50.0), ("dt_hours", float("nan")),
                    ("tile_x_um", 10 ** 400), ("spinup_days", -1.0), ("dt_hours", [1.0])):
        add(f"param_{name}={str(v)[:12]}", scenario_text(parameters={name: v}), fld=f"parameters.{name}")
    contradictions = {"normal_low>high": {"platelet_normal_low": 1500.0, "platelet_normal_high": 1000.0},
                      "mk_radius_min>max": {"mk_radius_min_um": 25.0, "mk_radius_max_um": 10.0},
                      "vessel_radius>=half_spacing": {"vessel_radius_um": 20.0, "vessel_spacing_um": 35.0},
                      "dt>sample": {"dt_hours": 2.0, "sample_hours": 1.0},
                      "age_stages_fraction": {"platelet_age_stages": 2.5},
                      "max_divisions_fraction": {"mkp_niche_max_divisions": 1.5}}
    for name, over in contradictions.items():
        add(f"param_{name}", scenario_text(parameters=over), fld="parameters.")
    add("param_consistent_edges", scenario_text(parameters={"vessel_radius_um": 14.0, "vessel_spacing_um": 30.0,
                                                            "mk_radius_min_um": 18.0}), "accept")
    big_tile = {"tile_x_um": 3000.0, "tile_y_um": 3000.0, "tile_z_um": 1000.0}
    add("budget_tile_small_voxels", scenario_text(parameters={**big_tile, "field_voxel_um": 4.0}),
        fld="field_voxel_um")
    add("budget_largest_tile_default_voxels", scenario_text(parameters=big_tile), "accept")
    add("budget_dense_stroma", scenario_text(parameters={**big_tile, "car_cells_per_mm3": 50000.0,
                                                         "niche_sites_per_mm3": 20000.0,
                                                         "mk_baseline_per_mm3": 1e6}), fld="parameters")
    add("budget_huge_msc_dose", scenario_text(parameters={**big_tile, "msc_agents_per_dose_unit": 10000.0},
                                              events=[{"kind": "msc", "dose": 20.0}]), fld="events[0].dose")
    add("budget_huge_transplant", scenario_text(parameters={**big_tile, "donor_agents_per_dose_unit": 1000.0},
                                                events=[{"kind": "transplant", "dose": 100.0}]), fld="events[0].dose")
    # structure and encoding
    add("deep_arrays", b"days = " + b"[" * 100_000 + b"]" * 100_000 + b"\n")
    add("deep_inline_tables", b"x = " + b"{a = " * 5000 + b"1" + b"}" * 5000 + b"\n")
    add("deep_tables_moderate", b"x = " + b"[" * 40 + b"1" + b"]" * 40 + b"\n")
    add("int_5000_digits_in_parameters", b"[parameters]\ndt_hours = " + b"9" * 5000 + b"\n")
    add("kind_5MB", scenario_text(events=[{"kind": "k" * 5_000_000}]))   # over the file-size cap
    add("malformed", b"name = 'unterminated\n")
    add("binary", b"\xff\xfe\x00garbage\x00\x01")
    add("nul_bytes", b"name = \"a\x00b\"\n")
    add("empty", b"", "accept")
    add("bom", b"\xef\xbb\xbfname = 'x'\n")
    add("duplicate_key", b"days = 1\ndays = 2\n")
    add("over_size_cap", b"# " + b"x" * (1024 * 1024 + 10) + b"\n")
    out.append(Case(id="scenario/fifo", kind="scenario", files={"s.toml": FIFO}))
    out.append(Case(id="scenario/folder", kind="scenario", files={"s.toml": FOLDER}))
    out.append(Case(id="scenario/dev_zero", kind="scenario", files={"s.toml": DEVZERO}))
    out.append(Case(id="scenario/symlink_loop", kind="scenario", files={"s.toml": SYMLOOP}))
    out.append(Case(id="scenario/missing", kind="scenario", files={"s.toml": MISSING}))
    out.append(Case(id="scenario/sparse_6GB", kind="scenario", files={"s.toml": ("BIG", 6 * 1024 ** 3)}))
    return out


# ------------------------------------------------------------------ sessions

def _good_session() -> dict:
    """A valid session document (made with the app's own writer)."""
    import numpy as np

    from engine import load_scenario
    from studies import session as S
    from studies.runs import RunRecord

    d = np.arange(9) * 0.25
    data = np.column_stack([d, 1000.0 - 10 * d, (1000.0 - 10 * d) / 1000.0])
    rec = RunRecord(scenario_toml=load_scenario("lesson_5fu").to_toml(), seed=3, label="A", treatment_summary="5-FU",
                    columns=["day", "platelets", "platelets_rel"], units={"platelets": "10^3/uL"}, data=data,
                    metadata={"species": "mouse"})
    s = S.Session.create(scenario_toml=load_scenario("lesson_hsct").to_toml(), runs=[rec], seed=5, current_day=2.0,
                         view={"camera": {"distance": 900.0}},
                         lesson=S.LessonState(lesson_id="03_5fu_recovery", step=1, answers={"1": "B"}))
    return json.loads(S.session_to_json(s))


def session_cases() -> list[Case]:
    base = _good_session()
    out: list[Case] = []

    def add(cid, mutate=None, expect="reject", fld=None, text=None):
        if text is None:
            doc = json.loads(json.dumps(base))
            mutate(doc)
            text = json.dumps(doc)
        content = text.encode("utf-8") if isinstance(text, str) else text
        out.append(Case(id=f"session/{cid}", kind="session", files={"s.nichelab.json": content}, expect=expect,
                        field=fld))

    def run(**kw):
        return lambda d: d["runs"][0].update(**kw)

    add("valid", lambda d: None, "accept")
    add("no_lesson", lambda d: d.update(lesson=None), "accept")
    add("run_without_platelets_rel", lambda d: d["runs"][0].update(
        columns=["day", "platelets"], rows=[r[:2] for r in d["runs"][0]["rows"]]), fld="runs[0]")
    add("run_zero_rows", run(rows=[]), fld="runs[0]")
    add("run_rel_all_null", lambda d: [r.__setitem__(2, None) for r in d["runs"][0]["rows"]], fld="runs[0]")
    add("run_rel_zero", lambda d: [r.__setitem__(2, 0.0) for r in d["runs"][0]["rows"]], fld="runs[0]")
    add("run_day_null", lambda d: d["runs"][0]["rows"][0].__setitem__(0, None), fld="runs[0]")
    add("run_days_decreasing", lambda d: d["runs"][0]["rows"][3].__setitem__(0, -5.0), fld="runs[0]")
    add("run_row_short", lambda d: d["runs"][0]["rows"][1].pop(), fld="runs[0]")
    add("run_value_string", lambda d: d["runs"][0]["rows"][1].__setitem__(1, "1000"), fld="runs[0].rows")
    add("run_value_bool", lambda d: d["runs"][0]["rows"][1].__setitem__(1, True), fld="runs[0].rows")
    for name, v in SEED_ATTACKS.items():
        add(f"run_seed={name}", run(seed=v), fld="runs[0].seed")
        add(f"seed={name}", lambda d, v=v: d.update(seed=v), fld="seed")
    add("seed=5000_digits", text=json.dumps(base).replace('"seed": 5', '"seed": ' + "9" * 5000))
    for name, v in NUMBER_ATTACKS.items():
        if name in ("nan", "inf", "neg_inf"):
            continue
        add(f"current_day={name}", lambda d, v=v: d.update(current_day=v), fld="current_day")
    add("current_day=3651", lambda d: d.update(current_day=3651.0), fld="current_day")
    add("nan_constant", text=json.dumps(base).replace('"current_day": 2.0', '"current_day": NaN'))
    add("infinity_constant", text=json.dumps(base).replace('"current_day": 2.0', '"current_day": Infinity'))
    for ref in ("../../../etc/passwd", "/etc/passwd", "01_vascular_niche/../../scenarios/wt_steady_state",
                "resources/lessons/01_vascular_niche.toml", "no_such_lesson", "01_VASCULAR_NICHE", " 01_vascular_niche",
                "x" * 5_000_000, "01_vascular_niche\x00"):
        add(f"lesson_id={ref[:30]!r}", lambda d, ref=ref: d["lesson"].update(lesson_id=ref), fld="lesson.lesson_id")
    add("lesson_step_past_end", lambda d: d["lesson"].update(step=999), fld="lesson.step")
    add("lesson_step_negative", lambda d: d["lesson"].update(step=-1), fld="lesson.step")
    add("lesson_answer_bad", lambda d: d["lesson"].update(answers={"1": "Z"}), fld="lesson.answers")
    add("lesson_id_int", lambda d: d["lesson"].update(lesson_id=3), fld="lesson.lesson_id")
    add("scenario_toml_invalid", lambda d: d.update(scenario_toml='days = -3\n'), fld="scenario_toml")
    add("scenario_toml_deep", lambda d: d.update(scenario_toml="x = " + "[" * 50_000 + "]" * 50_000),
        fld="scenario_toml")
    add("scenario_toml_control_name", lambda d: d.update(scenario_toml='name = "a\\u0001b"\n'), fld="scenario_toml")
    add("scenario_toml_budget", lambda d: d.update(scenario_toml="[parameters]\ntile_x_um = 3000.0\n"
                                                   "tile_y_um = 3000.0\ntile_z_um = 1000.0\nfield_voxel_um = 4.0\n"),
        fld="scenario_toml")
    add("run_scenario_toml_invalid", run(scenario_toml="days = true\n"), fld="runs[0].scenario_toml")
    add("view_deep", lambda d: d.update(view={"a": json.loads("[" * 500 + "]" * 500)}))
    add("view_deeper_than_parser", text=json.dumps(base)[:-1] + ', "zz": ' + "[" * 100_000 + "]" * 100_000 + "}")
    add("format_wrong", lambda d: d.update(format="other"), fld="format")
    add("format_list", lambda d: d.update(format=[1, 2]), fld="format")
    add("version_999", lambda d: d.update(version=999), fld="version")
    add("version_string", lambda d: d.update(version="1"), fld="version")
    add("extra_key", lambda d: d.update(colour="red"), fld="colour")
    add("runs_not_list", lambda d: d.update(runs={"a": 1}), fld="runs")
    add("runs_500", lambda d: d.update(runs=d["runs"] * 201), fld="runs")
    add("not_object", text="[1, 2, 3]")
    add("truncated", text=json.dumps(base)[:200])
    add("empty", text="")
    add("binary", text=b"\xff\xfe\x00\x01")
    out.append(Case(id="session/fifo", kind="session", files={"s.nichelab.json": FIFO}))
    out.append(Case(id="session/folder", kind="session", files={"s.nichelab.json": FOLDER}))
    out.append(Case(id="session/dev_zero", kind="session", files={"s.nichelab.json": DEVZERO}))
    out.append(Case(id="session/missing", kind="session", files={"s.nichelab.json": MISSING}))
    out.append(Case(id="session/sparse_6GB", kind="session", files={"s.nichelab.json": ("BIG", 6 * 1024 ** 3)}))
    return out


# ------------------------------------------------------------------ lessons and references

def lesson_cases() -> list[Case]:
    from studies.lessons import lessons_dir

    good = (lessons_dir() / "01_vascular_niche.toml").read_text(encoding="utf-8")
    out: list[Case] = []

    def add(cid, text, expect="reject", fld=None, name="01_vascular_niche.toml"):
        data = text.encode("utf-8") if isinstance(text, str) else text
        out.append(Case(id=f"lesson/{cid}", kind="lesson", files={name: data}, expect=expect, field=fld))

    add("valid_copy", good, "either")   # its images are relative to the built-in folder
    add("id_mismatch", good, fld="id", name="other.toml")
    add("deep", b"x = " + b"[" * 100_000 + b"]" * 100_000)
    add("not_a_lesson", 'format = "something"\n', fld="format")
    add("binary", b"\xff\xfe\x00")
    add("scenario_traversal", good.replace('scenario = "', 'scenario = "../../../../etc/', 1), fld="steps")
    add("image_traversal", good.replace('image = "', 'image = "../../../', 1), fld="steps")
    out.append(Case(id="lesson/fifo", kind="lesson", files={"01_vascular_niche.toml": FIFO}))
    out.append(Case(id="lesson/dev_zero", kind="lesson", files={"01_vascular_niche.toml": DEVZERO}))
    for ref, expect in (("01_vascular_niche", "accept"), ("../scenarios/wt_steady_state", "reject"),
                        ("../../main", "reject"), ("/dev/zero", "reject"), ("/etc", "reject"),
                        ("no_such_lesson", "reject"), ("", "reject"), ("x" * 100_000, "reject"),
                        ("01_vascular_niche/../02_thpo_knockout", "reject")):
        out.append(Case(id=f"lesson_ref/{ref[:30]!r}", kind="lesson_ref", ref=ref, expect=expect))
    return out


def claims_cases() -> list[Case]:
    out = []
    for cid, content in (("deep", b"x = " + b"[" * 100_000 + b"]" * 100_000), ("binary", b"\xff\x00"),
                         ("int_5000", b"x = " + b"9" * 5000), ("fifo", FIFO), ("dev_zero", DEVZERO),
                         ("folder", FOLDER)):
        out.append(Case(id=f"claims/{cid}", kind="cli", files={"c.toml": content},
                        argv=["validate", "--claims-file", "{dir}/c.toml", "--no-report"]))
    return out


# ------------------------------------------------------------------ command lines

def cli_cases() -> list[Case]:
    out: list[Case] = []
    scn = ["--scenario", "wt_steady_state"]

    def add(cid, argv, expect="reject", fld=None, files=None):
        out.append(Case(id=f"cli/{cid}", kind="cli", argv=argv, expect=expect, field=fld, files=files or {}))

    for cmd in ("run", "ensemble", "sweep"):
        extra = ["--param", "dt_hours=1:2:2", "--out", "{dir}/sw"] if cmd == "sweep" else []
        for v in ("inf", "-inf", "nan", "1e9", "3651", "0", "-1", "abc", "9" * 5000, "", "1e-400"):
            add(f"{cmd}_days={v[:10]}", [cmd, *scn, "--days", v, *extra], fld="--days")
        add(f"{cmd}_days=3650", [cmd, *scn, "--days", "3650", *extra], "accept")
    for v in ("-1", "2147483648", str(2 ** 64), "9" * 5000, "1.5", "abc", "", "0x10"):
        add(f"run_seed={v[:12]}", ["run", *scn, "--seed", v], fld="--seed")
        add(f"gui_seed={v[:12]}", ["--seed", v, "--screenshot", "{dir}/x.png"], fld="--seed")
    add("run_seed=2147483647", ["run", *scn, "--seed", "2147483647"], "accept")
    for cmd in ("ensemble", "sweep"):
        extra = ["--param", "dt_hours=1:2:2", "--out", "{dir}/sw"] if cmd == "sweep" else []
        for v in ("nan", "inf", "-1", "0", "1e9", "abc"):
            add(f"{cmd}_timeout={v}", [cmd, *scn, "--timeout", v, *extra], fld="--timeout")
        for v in ("0", "-1", "1000000", "abc", "9" * 100):
            add(f"{cmd}_workers={v[:10]}", [cmd, *scn, "--workers", v, *extra], fld="--workers")
        for v in ("0", "-3", "1001", "9" * 100):
            add(f"{cmd}_seeds={v[:10]}", [cmd, *scn, "--seeds", v, *extra], fld="--seeds")
    add("ensemble_seeds_past_max", ["ensemble", "--scenario", "{dir}/top_seed.toml", "--seeds", "2"], fld="--seeds",
        files={"top_seed.toml": scenario_text({"seed": 2 ** 31 - 1})})
    # outputs: refused before any work
    for opt in ("--csv", "--json"):
        add(f"run{opt}=empty", ["run", *scn, opt, ""], fld=opt)
        add(f"run{opt}=folder", ["run", *scn, opt, "{dir}"], fld=opt)
        add(f"run{opt}=name_too_long", ["run", *scn, opt, "{dir}/" + "n" * 300 + ".csv"], fld=opt)
        add(f"run{opt}=path_too_long", ["run", *scn, opt, "{dir}/" + "/".join(["d" * 200] * 30) + "/x"], fld=opt)
        add(f"run{opt}=unwritable_folder", ["run", *scn, opt, "/proc/nichelab-fuzz/x.csv"], fld=opt)
        add(f"run{opt}=device", ["run", *scn, opt, "/dev/zero"], fld=opt)
        add(f"run{opt}=fifo", ["run", *scn, opt, "{dir}/pipe"], fld=opt, files={"pipe": FIFO})
        add(f"run{opt}=nul_in_name", ["run", *scn, opt, "{dir}/a\x00b"], fld=opt)
        add(f"run{opt}=file_under_a_file", ["run", *scn, opt, "{dir}/plain/x.csv"], fld=opt,
            files={"plain": b"not a folder"})
        add(f"run{opt}=ok", ["run", *scn, opt, "{dir}/new/out.file"], "accept")
        add(f"run{opt}=stdout", ["run", *scn, opt, "-"], "accept")
        add(f"run{opt}=devnull", ["run", *scn, opt, "/dev/null"], "accept")
    add("run_both_outputs_to_stdout", ["run", *scn, "--csv", "-", "--json", "-"], fld="--json")
    add("ensemble_svg_folder", ["ensemble", *scn, "--svg", "{dir}"], fld="--svg")
    add("ensemble_column_bad", ["ensemble", *scn, "--column", "x" * 100_000], fld="--column")
    add("sweep_out_is_file", ["sweep", *scn, "--param", "dt_hours=1:2:2", "--out", "{dir}/plain"], fld="--out",
        files={"plain": b"x"})
    add("sweep_out_unwritable", ["sweep", *scn, "--param", "dt_hours=1:2:2", "--out", "/proc/nichelab-fuzz/sw"],
        fld="--out")
    add("sweep_param_nan", ["sweep", *scn, "--param", "dt_hours=nan:2:2", "--out", "{dir}/sw"], fld="--param")
    add("sweep_param_budget", ["sweep", "--scenario", "{dir}/big.toml", "--param", "field_voxel_um=4:5:2",
                               "--out", "{dir}/sw"], fld="field_voxel_um",
        files={"big.toml": scenario_text(parameters={"tile_x_um": 3000.0, "tile_y_um": 3000.0, "tile_z_um": 1000.0})})
    add("sweep_ok", ["sweep", *scn, "--param", "dt_hours=1:2:2", "--out", "{dir}/sw"], "accept")
    add("bench_out_folder", ["bench", "--out", "{dir}"], fld="--out")
    add("bench_out_stdout", ["bench", "--out", "-"], fld="--out")
    add("bench_only_bogus", ["bench", "--only", "x" * 10_000], fld="--only")
    add("calibrate_days_inf", ["calibrate", "--days", "inf"], fld="--days")
    add("calibrate_rounds_huge", ["calibrate", "--rounds", "9" * 5000], fld="--rounds")
    add("validate_first_seed_huge", ["validate", "--first-seed", str(2 ** 64), "--no-report"], fld="--first-seed")
    add("validate_set_inf", ["validate", "--set", "dt_hours=inf", "--no-report"], fld="dt_hours")
    add("validate_set_huge", ["validate", "--set", "dt_hours=" + "9" * 5000, "--no-report"], fld="dt_hours")
    add("unknown_subcommand_huge", ["x" * 1_000_000])
    add("unknown_option", ["run", *scn, "--" + "y" * 100_000])
    add("scenario_dev_zero", ["run", "--scenario", "/dev/zero"], fld="/dev/zero")
    add("scenario_fifo", ["run", "--scenario", "{dir}/p.toml"], files={"p.toml": FIFO}, fld="p.toml")
    add("scenario_folder", ["run", "--scenario", "{dir}"])
    add("scenario_5MB_name", ["run", "--scenario", "s" * 5_000_000])
    add("gui_scenario_broken_screenshot", ["--scenario", "{dir}/b.toml", "--screenshot", "{dir}/x.png"],
        fld="days", files={"b.toml": scenario_text({"days": "10"})})
    add("gui_days_inf", ["--days", "inf", "--screenshot", "{dir}/x.png"], fld="--days")
    add("gui_session_option_only", ["--session"], fld="--session")
    return out


# ------------------------------------------------------------------ random mutations (slow corpus)

def random_cases(n_per_base: int = 60, seed: int = 20240517) -> list[Case]:
    """Seeded random mutations of every built-in scenario (types, values, structure, bytes)."""
    import tomllib

    from engine import builtin_scenarios

    rng = random.Random(seed)
    values = [True, False, "x", "", "10", -1, 0, 1, 2 ** 31, 2 ** 64, 1e308, -1e308, float("inf"), float("nan"),
              [1], {"a": 1}, "\x00", "a\nb", "\u202e", "x" * 1000, 3651.0, 0.5, 20.0, 1e-300]
    out: list[Case] = []
    for sid, path in builtin_scenarios().items():
        text = path.read_text(encoding="utf-8")
        doc = tomllib.loads(text)
        for k in range(n_per_base):
            d = json.loads(json.dumps(doc))
            op = rng.randrange(6)
            if op == 0:                                             # a top-level value
                d[rng.choice(["name", "days", "seed", "species", "genotype", "group", "description"])] = \
                    rng.choice(values)
                content = _dump(d)
            elif op == 1 and d.get("events"):                       # an event value
                ev = rng.choice(d["events"])
                ev[rng.choice(["kind", "dose", "start_day", "duration_days", "msc_coinfusion"])] = rng.choice(values)
                content = _dump(d)
            elif op == 2:                                           # a parameter
                from engine import parameter_table

                name = rng.choice(sorted(parameter_table()))
                d.setdefault("parameters", {})[name] = rng.choice(values + [rng.uniform(-1e4, 1e4)])
                content = _dump(d)
            elif op == 3:                                           # duplicated events
                d["events"] = (d.get("events") or [{"kind": "il6"}]) * rng.choice([2, 5, 30, 200])
                content = _dump(d)
            elif op == 4:                                           # flipped bytes
                raw = bytearray(text.encode("utf-8"))
                for _ in range(rng.randrange(1, 8)):
                    raw[rng.randrange(len(raw))] = rng.randrange(256)
                content = bytes(raw)
            else:                                                   # cut short
                content = text.encode("utf-8")[: rng.randrange(len(text))]
            out.append(Case(id=f"random/{sid}/{k}", kind="scenario", files={"s.toml": content}, expect="either"))
    return out


def _dump(d: dict) -> bytes:
    top = {k: v for k, v in d.items() if k not in ("parameters", "events")}
    lines = [f"{k} = {toml_value(v)}" for k, v in top.items()]
    params = d.get("parameters")
    if isinstance(params, dict) and params:
        lines += ["[parameters]"] + [f"{k} = {toml_value(v)}" for k, v in params.items()]
    for ev in d.get("events") or []:
        lines += ["[[events]]"] + [f"{k} = {toml_value(v)}" for k, v in ev.items()]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def cases(slow: bool = False) -> list[Case]:
    out = scenario_cases() + session_cases() + lesson_cases() + claims_cases() + cli_cases()
    if slow:
        out += random_cases()
    from collections import Counter

    dup = [i for i, n in Counter(c.id for c in out).items() if n > 1]
    assert not dup, f"duplicate case ids: {sorted(dup)[:5]}"
    return out
