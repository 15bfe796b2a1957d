"""The published claims (DESIGN.md section 4, resources/claims.toml) hold for the model as it is.

The expensive part is one module-wide run of every claim arm with the seeds `python main.py validate`
uses by default (default tile, each distinct run once, two worker processes, ~200 s of CPU), so the
tests and the validation report give the same verdicts; every claim is then its own test so a
regression names the claim and its observed numbers. Fewer seeds (faster, but single-seed noise can
flip a claim whose effect is small): NICHELAB_CLAIM_SEEDS=1 pytest tests/test_claims.py.
Deselect the model runs with -m "not slow".
"""
from __future__ import annotations

import json
import math
import os
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine import InputError, builtin_scenarios, load_scenario
from validation import DEFAULT_SEEDS, load_claims, parse_claims, run_validation
from validation.metrics import area_below, engraftment_day, max_abs_dev, recovery_day
from validation.report import results_document
from validation.svg_plot import HLine, Series, line_plot, nice_ticks

CLAIMS = load_claims()
CLAIM_IDS = [c.id for c in CLAIMS]
SEEDS = list(range(1, 1 + int(os.environ.get("NICHELAB_CLAIM_SEEDS", str(DEFAULT_SEEDS)))))
GROUP = "Reproduce the paper"

# small tile and short spin-up: for tests of the machinery only, never for the claims themselves
SMALL = {"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 2.0}


# ------------------------------------------------------------------ claim list and scenarios
def test_every_design_claim_is_listed_with_source_rule_and_scenarios():
    assert CLAIM_IDS == [f"V{i}" for i in range(1, 13)] + ["H1"]
    for c in CLAIMS:
        assert c.statement and c.source and c.rule and c.checks
        for sid in c.scenarios:
            assert sid in builtin_scenarios()


def test_claim_arm_scenarios_form_the_gui_group_with_explanations():
    used = {sid for c in CLAIMS for sid in c.scenarios}
    group = {sid for sid in builtin_scenarios() if load_scenario(sid).group == GROUP}
    # every arm a claim runs is in the "Reproduce the paper" group, and the group holds no stray file
    assert used == group
    for sid in group:
        scn = load_scenario(sid)
        assert len(scn.explanation) > 150, sid
        assert scn.description, sid


def test_claim_arms_implement_the_stated_experiments():
    ev = {sid: [(e.kind, e.start_day, e.duration_days, e.dose) for e in load_scenario(sid).events]
          for sid in builtin_scenarios()}
    assert ev["v08_5fu"] == [("fu5", 2.0, 0.0, 1.0)]
    assert ("sdf1", 2.0, 14.0, 1.0) in ev["v08_5fu_sdf1"]
    assert ev["v10_irradiation"] == [("irradiation", 0.0, 0.0, 9.5)]
    doses = [next(d for k, _, _, d in ev[s] if k == "transplant")
             for s in ("v11_transplant_low", "v10_transplant", "v11_transplant_high")]
    assert doses == [0.5, 1.0, 3.0]
    msc = [e for e in load_scenario("v12_transplant_msc").events if e.kind == "transplant"]
    assert msc[0].msc_coinfusion == 1.0
    assert load_scenario("h1_human_transplant").species == "human"
    for kind in ("niche_disruption", "cxcr4_block", "vla4_block"):
        assert ev[f"v07_{kind}"] == [(kind, 0.0, 14.0, 1.0)]


def _claims_doc(**check_changes):
    check = {"label": "Thpo-/- platelets / WT", "kind": "ratio", "arm": "v02_thpo_ko", "reference": "v01_wt",
             "metric": "mean", "column": "platelets", "window": [20, 30], "max": 0.5}
    check.update(check_changes)
    return {"claims": [{"id": "T1", "title": "t", "statement": "s", "source": "x", "rule": "r",
                        "scenarios": ["v01_wt", "v02_thpo_ko"], "plot": ["platelets"], "checks": [check]}]}


@pytest.mark.parametrize("change, field, words", [
    ({"metric": "median"}, "claims[0].checks[0].metric", "not an allowed value"),
    ({"column": "platelet"}, "claims[0].checks[0]", "unknown observable 'platelet'"),
    ({"window": [20, 45]}, "claims[0].checks[0]", "past the end of the scenario"),
    ({"arm": "v99_nothing"}, "claims[0]", "not listed in 'scenarios'"),
    ({"max": None}, "claims[0].checks[0]", "at least one bound"),
    ({"level": 1.0, "metric": "recovery_day", "window": None}, "claims[0].checks[0]", "needs 'window'"),
    ({"colour": "red"}, "claims[0].checks[0].colour", "unknown key"),
])
def test_bad_claim_files_name_the_field(change, field, words):
    with pytest.raises(InputError) as err:
        parse_claims(_claims_doc(**change), "my_claims.toml")
    text = str(err.value)
    assert "my_claims.toml" in text and f"'{field}'" in text and words in text


def test_unknown_scenario_in_claims_is_reported():
    doc = _claims_doc()
    doc["claims"][0]["scenarios"].append("v99_nothing")
    with pytest.raises(InputError, match=r"scenarios\[2\]'.*unknown scenario.*v99_nothing"):
        parse_claims(doc, "c.toml")


# ------------------------------------------------------------------ outcome measures
T = np.arange(0, 30.25, 0.25)


def test_recovery_day_needs_a_fall_first_and_is_censored_when_not_back():
    x = np.where(T < 5, 1.0, np.where(T < 12, 0.3, 0.9))
    assert recovery_day(T, x, (0, 30), level=0.8).value == 12.0
    m = recovery_day(T, np.where(T < 5, 1.0, 0.3), (0, 30), level=0.8)
    assert m.censored and m.value == 30.0
    m = recovery_day(T, np.ones_like(T), (2, 30), level=0.8)
    assert m.value == 2.0 and not m.censored and "never below" in m.note


def test_area_below_baseline_and_max_deviation():
    x = np.where((T >= 10) & (T < 20), 0.5, 1.0)
    assert area_below(T, x, (0, 30), level=1.0).value == pytest.approx(5.0, abs=0.13)
    assert max_abs_dev(T, 1.0 + 0.05 * np.sin(T), (0, 30), level=1.0).value == pytest.approx(0.05, abs=1e-3)


def test_engraftment_day_is_first_of_three_days_at_20_after_the_fall():
    counts = np.interp(T, [0, 8, 14, 16, 17, 30], [250, 10, 10, 25, 30, 200])
    counts[(T > 15.2) & (T < 16.8)] = 25.0  # day 16 >= 20 but day 15 is not
    m = engraftment_day(T, counts, (0, 30), level=20, consecutive=3, origin_day=1)
    assert m.value == 16.0 - 1.0
    dip = counts.copy()
    dip[np.isclose(T, 17.0)] = 19.0  # interrupts the run of three: next start is day 18
    assert engraftment_day(T, dip, (0, 30), level=20, origin_day=1).value == 17.0
    never = engraftment_day(T, np.full_like(T, 30.0), (0, 30), level=20, origin_day=1)
    assert never.value == 0.0 and "never fell below" in never.note  # registries: engrafted at day 0


# ------------------------------------------------------------------ SVG plots
def test_svg_plot_is_well_formed_with_one_line_per_series():
    t = np.linspace(0, 30, 121)
    svg = line_plot([Series("WT <ref>", t, 1000 + 0 * t), Series("KO & co", t, 150 + 0 * t, 120 + 0 * t,
                                                                 180 + 0 * t)],
                    title="Platelets", xlabel="day", ylabel="10^3/uL", hlines=[HLine(1000, "baseline")])
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert len(root.findall(f".//{ns}polyline")) == 2
    assert len(root.findall(f".//{ns}polygon")) == 1  # the band of the second series
    texts = [e.text for e in root.iter(f"{ns}text")]
    assert "WT <ref>" in texts and "KO & co" in texts and "baseline (1000)" not in texts
    assert nice_ticks(0, 1118) == [0, 200, 400, 600, 800, 1000, 1200]


# ------------------------------------------------------------------ the claims themselves
@pytest.fixture(scope="module")
def outcome():
    return run_validation(CLAIMS, SEEDS, workers=2)


def _explain(result) -> str:
    lines = [f"{result.claim.id} ({result.claim.statement}) fails with seeds {SEEDS}:"]
    for c in result.checks:
        lines.append(f"  [{'ok' if c.passed else 'FAIL'}] {c.check.label}: expected {c.check.expected_text()}, "
                     f"observed {c.observed_text()}")
    return "\n".join(lines)


@pytest.mark.slow
@pytest.mark.parametrize("claim_id", CLAIM_IDS)
def test_claim_holds(outcome, claim_id):
    result = outcome.by_id(claim_id)
    assert result.passed, _explain(result)


# ------------------------------------------------------------------ determinism and the command
def _tiny_claims(tmp_path):
    """A claims file with one claim that holds and one that cannot, on two cheap arms."""
    ok = _claims_doc(max=0.9)["claims"][0]
    bad = _claims_doc(min=2.0, max=None)["claims"][0]
    bad["id"] = "T2"
    lines = ["version = 1"]
    for claim in (ok, bad):
        lines += ["", "[[claims]]"]
        for k in ("id", "title", "statement", "source", "rule"):
            lines.append(f'{k} = "{claim[k]}"')
        lines.append(f"scenarios = {json.dumps(claim['scenarios'])}")
        lines.append(f"plot = {json.dumps(claim['plot'])}")
        for check in claim["checks"]:
            lines.append("[[claims.checks]]")
            for k, v in check.items():
                if v is not None:
                    lines.append(f"{k} = {json.dumps(v)}")
    path = tmp_path / "tiny_claims.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.slow
def test_validate_command_report_is_identical_across_runs_and_exits_1_on_failure(tmp_path, capsys):
    import main

    claims = _tiny_claims(tmp_path)
    sets = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v:g}")]
    outs = []
    for run, jobs in ((1, "1"), (2, "2")):  # in this process, then in two worker processes
        out = tmp_path / f"report{run}"
        rc = main.main(["validate", "--claims-file", str(claims), "--seeds", "2", "--jobs", jobs,
                        "--out", str(out)] + sets)
        assert rc == 1  # T2 cannot hold
        outs.append(out)
    printed = capsys.readouterr().out
    assert "T1" in printed and "PASS" in printed and "FAIL" in printed
    a, b = outs
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert names == ["plots/T1_platelets.svg", "plots/T2_platelets.svg", "report.html", "report.md",
                     "results.json"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    doc = json.loads((a / "results.json").read_text())
    assert doc["seeds"] == [1, 2] and doc["app_version"] and doc["failed"] == ["T2"]
    assert doc["parameter_overrides"] == SMALL
    assert set(doc["scenarios"]) == {"v01_wt", "v02_thpo_ko"}
    check = doc["claims"][0]["checks"][0]
    assert len(check["per_seed"]) == 2 and check["observed_mean"] == pytest.approx(np.mean(check["per_seed"]),
                                                                                    rel=1e-5)
    for svg in (a / "plots").glob("*.svg"):
        ET.parse(svg)


@pytest.mark.parametrize("argv, words", [
    (["--claims", "V99"], "unknown claim id"),
    (["--set", "no_such_parameter=1"], "unknown parameter"),
    (["--set", "tile_x_um=5"], "value out of range"),
    (["--seeds", "0"], "--seeds"),
])
def test_validate_command_rejects_bad_input(argv, words, capsys):
    import main

    assert main.main(["validate", "--out", "/nonexistent/never-written"] + argv) == 2
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_results_document_records_seeds_scenarios_and_version():
    # evaluated on a fake run set: the document is built from what the runs say, nothing else
    from validation.evaluate import evaluate
    from validation.runner import ArmRun, Job

    claims = parse_claims(_claims_doc(), "c.toml")
    cols = ["day", "platelets"]
    runs = {}
    for sid, level in (("v01_wt", 1000.0), ("v02_thpo_ko", 120.0)):
        job = Job(sid, 7, 30.0)
        table = np.column_stack([T, np.full_like(T, level)])
        runs[job.key] = ArmRun(job, cols, table, {"day": "d", "platelets": "10^3/uL"},
                               {"scenario": sid, "species": "mouse", "genotype": "wt"}, 30.0)
    results = evaluate(claims, runs, [7])
    assert results[0].passed and results[0].checks[0].observed == pytest.approx(0.12)
    doc = results_document(results, {(r.job.scenario, 7): r for r in runs.values()}, [7], {}, "c.toml", {})
    assert doc["seeds"] == [7] and doc["passed"] and doc["claims"][0]["checks"][0]["per_seed"] == [0.12]
    assert doc["app"] == "NicheLab" and doc["app_version"]


# ------------------------------------------------------------------ the model document
def test_model_doc_parameter_appendix_is_current():
    from validation.model_doc import model_doc_path, render

    text = model_doc_path().read_text(encoding="utf-8")
    assert render(text) == text, "docs/model.md appendix is stale: run `python -m validation.model_doc`"


def test_model_doc_describes_every_parameter_in_its_mechanism_sections():
    import re

    from engine import parameter_table
    from validation.model_doc import BEGIN, model_doc_path

    prose = model_doc_path().read_text(encoding="utf-8").split(BEGIN)[0]
    missing = [n for n in parameter_table()
               if not re.search(rf"(?<![A-Za-z0-9_]){re.escape(n)}(?![A-Za-z0-9_])", prose)]
    assert not missing, f"docs/model.md does not describe: {', '.join(missing)}"


def test_monotone_check_uses_seed_means_and_counts_censored_runs():
    from validation.claims import Check
    from validation.evaluate import evaluate_check
    from validation.runner import ArmRun, Job

    check = Check(label="dose order", kind="decreasing", arms=["low", "mid", "high"], metric="recovery_day",
                  column="platelets_rel", window=(0, 30), level=0.5)
    recover = {("low", 1): None, ("low", 2): 20.0, ("mid", 1): 18.0, ("mid", 2): 16.0, ("high", 1): 10.0,
               ("high", 2): 12.0}
    runs = {}
    for (arm, seed), day in recover.items():
        x = np.where(T < 3, 1.0, 0.2) if day is None else np.where(T < 3, 1.0, np.where(T < day, 0.2, 0.9))
        runs[(arm, seed)] = ArmRun(Job(arm, seed, 30.0), ["day", "platelets_rel"], np.column_stack([T, x]), {},
                                   {}, 30.0)
    res = evaluate_check(check, runs, [1, 2])
    assert res.passed and res.arm_means == {"low": 25.0, "mid": 17.0, "high": 11.0}
    assert res.arm_censored == {"low": 1, "mid": 0, "high": 0} and res.observed_text() == "25* > 17 > 11"
    runs[("high", 2)] = runs[("low", 1)]  # never recovers: the high dose is no longer the fastest
    assert not evaluate_check(check, runs, [1, 2]).passed


def test_curve_check_measures_the_seed_mean_curve():
    """require = "curve": the measure of the observable averaged over seeds sample by sample, not the
    mean of the seeds' measures (two seeds fluctuating in opposite phases each deviate by 0.12, their
    mean curve by 0.02); a kind other than "value" is refused."""
    from validation.claims import Check
    from validation.evaluate import evaluate_check
    from validation.runner import ArmRun, Job

    check = Check(label="stable", arm="wt", metric="max_abs_dev", column="platelets_rel", window=(0, 30), level=1.0,
                  max=0.10, require="curve")
    wave = 0.12 * np.sin(T)
    runs = {("wt", 1): ArmRun(Job("wt", 1, 30.0), ["day", "platelets_rel"], np.column_stack([T, 1.0 + wave]), {},
                              {}, 30.0),
            ("wt", 2): ArmRun(Job("wt", 2, 30.0), ["day", "platelets_rel"],
                              np.column_stack([T, 1.02 - wave]), {}, {}, 30.0)}
    res = evaluate_check(check, runs, [1, 2])
    assert res.passed and abs(res.observed - 0.01) < 1e-9
    assert all(v > 0.10 for v in res.per_seed)
    assert check.expected_text() == "<= 0.1 (seed-mean curve)" and res.observed_text().startswith("0.01 (single seeds")
    each = check.model_copy(update={"require": "each"})
    assert not evaluate_check(each, runs, [1, 2]).passed
    shifted = dict(runs)
    shifted[("wt", 2)] = ArmRun(Job("wt", 2, 30.0), ["day", "platelets_rel"], np.column_stack([T, 1.2 - wave]), {},
                                {}, 30.0)
    assert not evaluate_check(check, shifted, [1, 2]).passed      # a cohort 10% off baseline fails
    with pytest.raises(ValueError, match="curve"):
        Check(label="r", kind="ratio", arm="a", reference="b", metric="mean", column="platelets_rel",
              window=(0, 30), max=1.0, require="curve")
