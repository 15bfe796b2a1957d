"""The claims (resources/claims.toml), their checks and statistics, the runs behind them, the report.

The full check of every claim over the default 10 seeds is `python main.py validate` (minutes). Here:
the claim file's content, the evaluation rules on hand-made runs with known answers, the shared
spin-ups against runs from scratch, the command on a tiny tile, and a fast subset of real claims on
two seeds (a minute at most).
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine import InputError, builtin_scenarios, load_scenario
from validation import TEST_SEEDS, load_claims, parse_claims, run_validation, select
from validation.arms import ArmRun, Job, group_key, run_group, run_job
from validation.claims import Check
from validation.evaluate import evaluate, evaluate_check, jobs_for
from validation.report import results_document, tally

CLAIMS = load_claims()
GROUP = "Reproduce the paper"
DESIGN = [f"V{i}" for i in range(1, 13)] + ["H1"]

# small tile and short spin-up: for tests of the machinery only, never for the claims themselves
SMALL = {"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 2.0}
T = np.arange(0, 30.25, 0.25)


# ------------------------------------------------------------------ the claim file
def test_every_design_direction_is_a_claim_and_data_claims_name_their_tables():
    ids = [c.id for c in CLAIMS]
    assert [c.design for c in CLAIMS if c.design] == DESIGN and len(set(ids)) == len(ids)
    for c in CLAIMS:
        assert c.statement and c.rule and c.checks
        for ch in c.checks:
            if ch.target:
                assert ch.target.table in c.data
            if ch.expect or ch.bounds():
                assert ch.basis
                tid = ch.basis.partition(":")[0]
                assert ch.basis.startswith("design:") or tid in c.data, (c.id, ch.basis)


def test_quantitative_checks_against_published_numbers_and_a_calibration_section():
    """Checks of calibration series (the data a calibrated parameter was fitted to) are never counted as
    tests: WT platelets (V1), WT TPO (D1), the EV plasma half-life (D4) and, inside the test claim V3,
    the Mpl-null / WT TPO ratio. Since version 0.2 three of them are calibration data (they had been
    15 test checks); 12 distinct checks against published numbers remain tests."""
    data = [(c, ch) for c in CLAIMS for ch in c.checks if ch.target]
    tests = [(c, ch) for c, ch in data if ch.role == "test"]
    distinct = {(ch.target.table, ch.target.series, ch.target.point, ch.kind, ch.arm, ch.column) for _, ch in tests}
    assert len(distinct) >= 12
    assert [c.id for c in CLAIMS if c.role == "calibration"] == ["V1", "D1", "D4", "D11"]
    v3 = {ch.target.series: ch.role for c in CLAIMS if c.id == "V3" for ch in c.checks if ch.target}
    assert v3["mpl_tpo_ratio"] == "calibration" and v3["mpl_platelets_rel"] == "test"
    assert next(c for c in CLAIMS if c.id == "V3").role == "test"
    # D6: Fox 2002's ratio is calibration data, Kimura 1998's statement a test: the claim is a test
    d6 = next(c for c in CLAIMS if c.id == "D6")
    assert [ch.role for ch in d6.checks] == ["calibration", "test"] and d6.role == "test"


def test_claim_arm_scenarios_form_the_gui_group_with_explanations():
    used = {sid for c in CLAIMS for sid in c.scenarios}
    group = {sid for sid in builtin_scenarios() if load_scenario(sid).group == GROUP}
    assert used == group
    for sid in group:
        scn = load_scenario(sid)
        assert len(scn.explanation) > 150, sid
        assert scn.description, sid


def test_claim_arms_implement_the_stated_experiments():
    ev = {sid: [(e.kind, e.start_day, e.duration_days, e.dose) for e in load_scenario(sid).events]
          for sid in builtin_scenarios()}
    assert ev["v08_5fu"] == [("fu5", 2.0, 0.0, 1.0)]
    assert ev["v14_mpl_ko_5fu"] == [("fu5", 2.0, 0.0, 1.0)] and load_scenario("v14_mpl_ko_5fu").genotype == "mpl_ko"
    assert ev["v15_wt_il6"] == [("il6", 0.0, 14.0, 1.0)]
    assert ("sdf1", 2.0, 14.0, 1.0) in ev["v08_5fu_sdf1"]
    assert ev["v10_irradiation"] == [("irradiation", 0.0, 0.0, 9.5)]
    doses = [next(d for k, _, _, d in ev[s] if k == "transplant")
             for s in ("v11_transplant_low", "v10_transplant", "v11_transplant_high")]
    assert doses == [0.5, 1.0, 3.0]
    assert ("msc_ev", 1.0, 14.0, 1.0) in ev["v12_transplant_msc_ev"]   # D4 reads the decay from day 15
    assert load_scenario("h1_human_transplant").species == "human"


def test_each_arm_runs_only_as_long_as_its_checks_read():
    jobs = {j.scenario: j.days for j in jobs_for(CLAIMS, [1])}
    assert jobs["v07_vla4_block"] == 14.0 and jobs["v10_transplant"] == 60.0 and jobs["v11_transplant_low"] == 40.0
    assert jobs["v08_5fu"] == 30.0 and jobs["h1_human_transplant"] == 40.0


def _doc(**check_changes):
    check = {"label": "Thpo-/- platelets / WT", "kind": "ratio", "arm": "v02_thpo_ko", "reference": "v01_wt",
             "metric": "mean", "column": "platelets", "window": [20, 30],
             "target": {"table": "bunting1997_abstract", "series": "thpo_platelets_rel"}}
    check.update(check_changes)
    check = {k: v for k, v in check.items() if v is not None}
    return {"claims": [{"id": "T1", "title": "t", "statement": "s", "data": ["bunting1997_abstract"], "rule": "r",
                        "scenarios": ["v01_wt", "v02_thpo_ko"], "plot": ["platelets"], "checks": [check]}]}


@pytest.mark.parametrize("change, field, words", [
    ({"metric": "median"}, "claims[0].checks[0].metric", "not an allowed value"),
    ({"column": "platelet"}, "claims[0].checks[0]", "unknown observable 'platelet'"),
    ({"window": [20, 45]}, "claims[0].checks[0]", "past the end of the scenario"),
    ({"arm": "v99_nothing"}, "claims[0]", "not listed in 'scenarios'"),
    ({"target": None}, "claims[0].checks[0]", "exactly one acceptance rule"),
    ({"max": 0.5}, "claims[0].checks[0]", "exactly one acceptance rule"),
    ({"target": None, "expect": "increase"}, "claims[0].checks[0]", "needs 'basis'"),
    ({"target": None, "expect": "no_change", "basis": "x"}, "claims[0].checks[0]", "needs 'equivalence'"),
    ({"target": {"table": "gurney1994_abstract", "series": "mpl_platelets_rel"}}, "claims[0]",
     "not listed in 'data'"),
    ({"target": {"table": "bunting1997_abstract", "series": "nope"}}, "claims[0].checks[0].target.series",
     "unknown series"),
    ({"target": {"table": "bunting1997_abstract", "series": "thpo_platelets_rel", "k": -1}},
     "claims[0].checks[0].target.k", "value out of range"),
    ({"colour": "red"}, "claims[0].checks[0].colour", "unknown key"),
    ({"level_to": 50.0}, "claims[0].checks[0]", "'level_to' goes with metric 'rise_days'"),
    ({"metric": "rise_days", "level": 20.0, "level_to": 10.0}, "claims[0].checks[0]",
     "'level_to' must be above 'level'"),
    ({"metric": "rise_days", "level": 20.0}, "claims[0].checks[0]", "needs 'level_to'"),
])
def test_bad_claim_files_name_the_field(change, field, words):
    with pytest.raises(InputError) as err:
        parse_claims(_doc(**change), "my_claims.toml")
    text = str(err.value)
    assert "my_claims.toml" in text and f"'{field}'" in text and words in text


def test_a_target_without_spread_is_refused_and_unknown_tables_are_named():
    doc = _doc(target={"table": "kaluzhny2002_fig3", "series": "wt_platelets"})
    doc["claims"][0]["data"] = ["kaluzhny2002_fig3"]
    with pytest.raises(InputError, match="no spread"):
        parse_claims(doc, "c.toml")
    doc = _doc()
    doc["claims"][0]["data"].append("nobody2099")
    with pytest.raises(InputError, match=r"data\[1\]'.*unknown data table.*nobody2099"):
        parse_claims(doc, "c.toml")


# ------------------------------------------------------------------ evaluation on hand-made runs
def _runs(spec: dict[tuple[str, int], np.ndarray], column="platelets_rel") -> dict[tuple[str, int], ArmRun]:
    return {(arm, seed): ArmRun(Job(arm, seed, 30.0), ["day", column], np.column_stack([T, x]), {}, {}, 30.0)
            for (arm, seed), x in spec.items()}


def _check(**kw) -> Check:
    base = {"label": "x", "kind": "ratio", "arm": "ko", "reference": "wt", "metric": "mean",
            "column": "platelets_rel", "window": (20, 30)}
    base.update(kw)
    return Check(**base)


def test_a_data_check_is_two_sided_and_uses_the_mean_over_seeds():
    target = {"table": "bunting1997_abstract", "series": "thpo_platelets_rel"}     # 0.05-0.15
    check = _check(target=target)

    def verdict(a, b):
        runs = _runs({("wt", 1): np.ones_like(T), ("wt", 2): np.ones_like(T),
                      ("ko", 1): np.full_like(T, a), ("ko", 2): np.full_like(T, b)})
        return evaluate_check(check, runs, [1, 2])

    ok = verdict(0.08, 0.12)
    assert ok.passed and ok.observed == pytest.approx(0.10) and ok.tolerance == (0.05, 0.15)
    assert ok.interval.n == 2 and ok.interval.lo < 0.10 < ok.interval.hi
    assert not verdict(0.30, 0.32).passed       # too many platelets: fails (used to pass as "a fall")
    assert not verdict(0.01, 0.02).passed       # too few: fails too (two-sided)
    # a published mean ± SD: tolerance = mean ± 2 SD of single animals (here 3.67 ± 2 x 0.668)
    tpo = evaluate_check(_check(target={"table": "zingariello2017_tab1", "series": "mpl_tpo_ratio"}),
                         _runs({("wt", 1): np.ones_like(T), ("ko", 1): np.full_like(T, 4.0)}), [1])
    assert tpo.passed and tpo.tolerance == pytest.approx((3.667 - 1.336, 3.667 + 1.336), abs=2e-3)


def test_a_direction_passes_only_when_the_95_percent_interval_excludes_no_change():
    check = _check(expect="decrease", basis="avecilla2004_abstract:disruption_inhibits")
    seeds = [1, 2, 3]

    def run(values):
        spec = {("wt", s): np.ones_like(T) for s in seeds}
        spec.update({("ko", s): np.full_like(T, v) for s, v in zip(seeds, values)})
        return evaluate_check(check, _runs(spec), seeds)

    assert run([0.5, 0.6, 0.55]).passed
    # mean below 1, but the interval (t = 4.30 for 2 df) reaches above 1: no evidence of a fall
    noisy = run([0.2, 1.5, 0.9])
    assert noisy.interval.mean < 1.0 and noisy.interval.hi > 1.0 and not noisy.passed
    one = evaluate_check(check, _runs({("wt", 1): np.ones_like(T), ("ko", 1): np.full_like(T, 0.5)}), [1])
    assert not one.passed           # one seed: no interval, no direction
    eq = _check(expect="no_change", equivalence=(0.8, 1.2), basis="x")
    close = {("wt", s): np.ones_like(T) for s in seeds}
    close.update({("ko", s): np.full_like(T, v) for s, v in zip(seeds, [0.98, 1.0, 1.02])})
    assert evaluate_check(eq, _runs(close), seeds).passed
    close[("ko", 3)] = np.full_like(T, 1.6)
    assert not evaluate_check(eq, _runs(close), seeds).passed


def test_event_days_never_below_are_left_out_and_counted_not_averaged_as_zero():
    check = _check(kind="difference", metric="recovery_day", level=0.8, window=(0, 30),
                   expect="increase", basis="x")

    def course(back):   # falls on day 3, back at `back`; None = never falls
        return np.ones_like(T) if back is None else np.where(T < 3, 1.0, np.where(T < back, 0.3, 1.0))

    spec = {("wt", 1): course(10), ("wt", 2): course(11), ("wt", 3): course(12), ("wt", 4): course(10),
            ("ko", 1): course(15), ("ko", 2): course(17), ("ko", 3): course(16), ("ko", 4): course(None)}
    res = evaluate_check(check, _runs(spec), [1, 2, 3, 4])
    assert res.per_seed == [5.0, 6.0, 4.0, None] and res.never_below == 1
    assert res.interval.n == 3 and res.interval.mean == pytest.approx(5.0) and res.passed
    assert "1 never below, left out" in res.observed_text()


def test_ordered_arms_need_every_paired_step_in_the_stated_direction():
    check = Check(label="dose order", kind="decreasing", arms=["low", "mid", "high"], metric="recovery_day",
                  column="platelets_rel", window=(0, 30), level=0.5, expect="decrease", basis="design: x")
    days = {"low": [20.0, 21.0, 22.0], "mid": [16.0, 17.5, 18.0], "high": [10.0, 12.0, 11.5]}
    spec = {(arm, s + 1): np.where(T < 3, 1.0, np.where(T < d, 0.2, 0.9))
            for arm, ds in days.items() for s, d in enumerate(ds)}
    res = evaluate_check(check, _runs(spec), [1, 2, 3])
    assert res.passed and [(a, b) for a, b, _ in res.pair_intervals] == [("low", "mid"), ("mid", "high")]
    spec[("high", 3)] = spec[("low", 3)]    # one seed where the high dose is slowest
    assert not evaluate_check(check, _runs(spec), [1, 2, 3]).passed


def test_curve_check_measures_the_seed_mean_curve():
    check = Check(label="stable", arm="wt", metric="max_abs_dev", column="platelets_rel", window=(0, 30),
                  level=1.0, max=0.10, require="curve", basis="design: x")
    wave = 0.12 * np.sin(T)
    runs = _runs({("wt", 1): 1.0 + wave, ("wt", 2): 1.02 - wave})
    res = evaluate_check(check, runs, [1, 2])
    assert res.passed and abs(res.observed - 0.01) < 1e-9 and all(v > 0.10 for v in res.per_seed)
    assert not evaluate_check(check.model_copy(update={"require": "each"}), runs, [1, 2]).passed


def test_a_quotient_of_two_observables_is_measured_sample_by_sample():
    """``per``: MKs per MK progenitor, the quotient taken at each sample before the mean; a run with
    no progenitors at a sample the mean reads has no value; the divisor must be another observable."""
    check = Check(label="MKs per MkP", arm="wt", metric="mean", column="mk", per="mkp", window=(0, 30),
                  target={"table": "niswander2014_fig5", "series": "mk_per_mkp"})
    mkp = np.where(T < 15, 100.0, 200.0)
    mk = np.where(T < 15, 400.0, 860.0)             # 4.0 then 4.3: the mean of the quotients ~4.15
    runs = {("wt", s): ArmRun(Job("wt", s, 30.0), ["day", "mk", "mkp"], np.column_stack([T, mk * f, mkp * f]),
                              {}, {}, 30.0) for s, f in ((1, 1.0), (2, 2.0))}
    res = evaluate_check(check, runs, [1, 2])
    want = np.mean(np.where(T < 15, 4.0, 4.3))
    assert res.passed and res.per_seed == pytest.approx([want, want]) and res.observed == pytest.approx(want)
    # a ratio of two published ranges is held to the range of the quotient (53 946 / 12 420 = 4.34 ...)
    assert res.tolerance == pytest.approx((52414 / 13272, 53946 / 12420)) and res.published.spread == "range"
    assert check.measure_text() == "mean of mk/mkp over days 0-30"
    # the mean of the quotient, not the quotient of the means (which would be 630 / 150 = 4.2)
    assert abs(want - mk.mean() / mkp.mean()) > 0.01
    none = dict(runs)
    none[("wt", 2)] = ArmRun(Job("wt", 2, 30.0), ["day", "mk", "mkp"],
                             np.column_stack([T, mk, np.where(T < 1, 0.0, mkp)]), {}, {}, 30.0)
    res = evaluate_check(check, none, [1, 2])
    assert res.per_seed[1] is None and res.per_seed[0] == pytest.approx(want)
    too_few = {k: ArmRun(r.job, r.columns, r.table * np.array([1.0, 0.5, 1.0]), {}, {}, 30.0)
               for k, r in runs.items()}           # half the MKs: ~2.1 per MkP, below the bounds
    assert not evaluate_check(check, too_few, [1, 2]).passed
    with pytest.raises(InputError, match=r"'per' must be another observable.*found 'mk'"):
        parse_claims(_doc(per="mk", column="mk"), "c.toml")
    with pytest.raises(InputError, match=r"found 'progenitors'"):
        parse_claims(_doc(per="progenitors"), "c.toml")


def test_change_over_a_window_is_the_last_sample_minus_the_first():
    """'change': recovering (rising between two days) passes gt = 0, a flat or falling course fails."""
    check = Check(label="recovering", arm="wt", metric="change", column="platelets_rel", window=(14, 21),
                  gt=0.0, basis="salter2009_fig2:ve_cadherin_delays_recovery")
    rising = np.clip((T - 10) / 20, 0.01, 1.0)       # 0.2 on day 14, 0.55 on day 21
    res = evaluate_check(check, _runs({("wt", 1): rising, ("wt", 2): rising * 2}), [1, 2])
    assert res.passed and res.per_seed == pytest.approx([0.35, 0.70])
    assert check.measure_text() == "platelets_rel on day 21 minus on day 14"
    falling = np.exp(-T / 2)                          # a count that never recovers: ~0 - ~0, below 0
    assert not evaluate_check(check, _runs({("wt", 1): falling, ("wt", 2): falling}), [1, 2]).passed


def test_identical_numbers_are_reported_once_and_a_claim_of_duplicates_is_merged():
    doc = _doc()
    first = doc["claims"][0]
    second = json.loads(json.dumps(first))
    second["id"] = "T2"
    second["scenarios"] = ["v01_wt", "v03_mpl_ko"]
    second["checks"][0].update(arm="v03_mpl_ko", target={"table": "bunting1997_abstract",
                                                          "series": "mpl_platelets_rel"})
    third = json.loads(json.dumps(second))
    third["id"] = "T3"
    third["data"] = ["gurney1994_abstract"]
    third["checks"][0]["target"] = {"table": "gurney1994_abstract", "series": "mpl_platelets_rel"}
    claims = parse_claims({"claims": [first, second, third]}, "c.toml")
    same = np.full_like(T, 0.12)
    cols = ["day", "platelets"]
    runs = {}
    for sid, x in (("v01_wt", np.ones_like(T)), ("v02_thpo_ko", same), ("v03_mpl_ko", same)):
        job = Job(sid, 1, 30.0)
        runs[job.key] = ArmRun(job, cols, np.column_stack([T, x]), {}, {"scenario": sid}, 30.0)
    results = evaluate(claims, runs, [1])
    assert results[1].checks[0].duplicate_of == "T1: Thpo-/- platelets / WT" and results[1].merged_with == "T1"
    # the same numbers against another published range are a test of their own
    assert results[2].checks[0].duplicate_of is None and results[2].merged_with is None
    t = tally(results)
    assert t["n_claims"] == 2 and t["merged"] == {"T2": "T1"} and t["n_duplicates"] == 1
    doc = results_document(results, {(r.job.scenario, 1): r for r in runs.values()}, [1], {}, "c.toml", {})
    assert doc["claims"][1]["merged_with"] == "T1" and doc["app"] == "NicheLab" and doc["app_version"]


# ------------------------------------------------------------------ shared spin-ups
def test_arms_sharing_a_spin_up_give_the_numbers_of_runs_from_scratch():
    ov = tuple(sorted(SMALL.items()))
    jobs = [Job("v01_wt", 4, 3.0, ov), Job("v08_5fu", 4, 3.0, ov), Job("v07_cxcr4_block", 4, 2.0, ov)]
    assert len({group_key(j) for j in jobs}) == 1
    assert group_key(Job("v02_thpo_ko", 4, 3.0, ov)) != group_key(jobs[0])     # another genotype
    assert group_key(Job("v01_wt", 5, 3.0, ov)) != group_key(jobs[0])          # another seed
    shared = run_group(jobs)
    for job, run in zip(jobs, shared):
        alone = run_job(job)
        assert np.array_equal(alone.table, run.table, equal_nan=True), job.scenario
        assert alone.metadata == run.metadata


# ------------------------------------------------------------------ the command
def _tiny_claims(tmp_path):
    """One claim that holds (a direction the model shows on any tile) and one that cannot."""
    path = tmp_path / "tiny_claims.toml"
    path.write_text("""version = 2

[[claims]]
id = "T1"
title = "Thpo-/- has fewer platelets"
statement = "s"
data = ["desauvage1996_abstract"]
rule = "r"
scenarios = ["v01_wt", "v02_thpo_ko"]
plot = ["platelets_rel"]

[[claims.checks]]
label = "Thpo-/- / WT"
kind = "ratio"
arm = "v02_thpo_ko"
reference = "v01_wt"
metric = "mean"
column = "platelets"
window = [1, 3]
target = { table = "desauvage1996_abstract", series = "thpo_platelets_rel" }

[[claims]]
id = "T2"
title = "impossible"
statement = "s"
rule = "r"
scenarios = ["v01_wt"]
plot = ["platelets"]

[[claims.checks]]
label = "WT above ten times its baseline"
arm = "v01_wt"
metric = "mean"
column = "platelets_rel"
window = [1, 3]
min = 10.0
basis = "design: a bound no model meets"
""", encoding="utf-8")
    return path


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
    assert "Test targets: published numbers" in printed and "de Sauvage et al. 1996" in printed
    assert "Design bounds" in printed and "FAIL" in printed
    a, b = outs
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*") if p.is_file())
    assert names == ["plots/T1_platelets_rel.svg", "plots/T2_platelets.svg", "report.html", "report.md",
                     "results.json"]
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    doc = json.loads((a / "results.json").read_text())
    assert doc["seeds"] == [1, 2] and doc["failed"] == ["T2"] and doc["parameter_overrides"] == SMALL
    assert set(doc["scenarios"]) == {"v01_wt", "v02_thpo_ko"}
    assert doc["scenarios"]["v01_wt"]["days_run"] == 3.0     # as long as the checks read
    check = doc["claims"][0]["checks"][0]
    assert len(check["per_seed"]) == 2 and check["observed_mean"] == pytest.approx(np.mean(check["per_seed"]),
                                                                                    rel=1e-5)
    assert check["tolerance"] == [0.0, 0.2] and check["source"].startswith("de Sauvage et al. 1996")
    svg = ET.parse(a / "plots" / "T1_platelets_rel.svg").getroot()
    ids = {e.get("id") for e in svg.iter()}
    assert {"line-0", "line-1", "data-0"} <= ids        # two arms and the published point
    assert "de Sauvage et al. 1996" in (a / "plots" / "T1_platelets_rel.svg").read_text()


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


# ------------------------------------------------------------------ a fast subset of the real claims
FAST = ["V7"]


@pytest.fixture(scope="module")
def fast_outcome():
    return run_validation(select(CLAIMS, FAST), list(range(1, TEST_SEEDS + 1)), workers=2)


def test_fast_subset_disruption_lowers_platelets_on_the_default_tile(fast_outcome):
    """V7 on two seeds: anti-VE-cadherin, CXCR4 and VLA-4 block each lower platelets with a 95%
    interval below 1 and by at least 30% (a regression here means the vascular niche stopped working)."""
    res = fast_outcome.by_id("V7")
    lines = [f"{c.check.label}: {c.observed_text()} (expected {c.expected_text()})" for c in res.checks]
    assert res.passed, "\n".join(lines)
    assert {r.job.days for r in fast_outcome.runs.values()} == {14.0}   # the arms run as long as the checks read


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


def test_peak_day_is_the_day_of_the_highest_value_counted_from_the_origin():
    from validation.metrics import compute

    t = np.arange(0.0, 20.0, 0.25)
    x = np.exp(-(t - 7.0) ** 2)
    assert compute("peak_day", t, x, window=(2, 18), origin_day=2.0).value == pytest.approx(5.0)
    assert compute("peak_day", t, x, window=(8, 18)).value == pytest.approx(8.0)


def test_rise_days_counts_from_engraftment_at_one_level_to_engraftment_at_the_next():
    """Claim H4's measure: a count that falls to 0 by day 5, is back at 20 on day 12 and at 50 on day 17
    (daily values, 3 consecutive days each) rose in 5 days; one that never reaches 50 gets the window's
    end as a lower bound; one that never comes back to 20, or never fell below it, has no value."""
    from validation.metrics import compute

    t = np.arange(0.0, 40.25, 0.25)
    climb = np.where(t < 5, 100.0, np.where(t < 12, 0.0, np.where(t < 17, 30.0, 80.0)))
    kw = dict(window=(0, 40), level=20.0, level_to=50.0, consecutive=3, origin_day=1.0)
    m = compute("rise_days", t, climb, **kw)
    assert m.value == pytest.approx(5.0) and not m.censored and m.status == "reached"
    stuck = np.where(t < 5, 100.0, np.where(t < 12, 0.0, 30.0))   # back at 20 on day 12 (day 11 from the origin)
    m = compute("rise_days", t, stuck, **kw)
    assert m.censored and m.value == pytest.approx(40.0 - 1.0 - 11.0) and m.status == "not_reached"
    gone = np.where(t < 5, 100.0, 0.0)
    m = compute("rise_days", t, gone, **kw)
    assert m.value is None and m.status == "not_reached"
    m = compute("rise_days", t, np.full_like(t, 100.0), **kw)
    assert m.value is None and m.status == "never_below"
    # a one-day blip above 50 is not engraftment at 50 (3 consecutive days are)
    blip = np.where((t >= 13) & (t < 14), 60.0, climb)
    assert compute("rise_days", t, blip, **kw).value == pytest.approx(5.0)


def test_a_bound_on_a_published_statement_names_its_source_and_is_not_called_a_design_bound():
    """A bound whose basis is a data table's statement (claim H1's nadir, Fliedner 2002) shows the
    source and "statement (bound)"; a bound with a free-text basis stays a design bound."""
    from validation.evaluate import CheckResult, Interval, _attach_source
    made = {}
    for basis in ("fliedner2002_text:platelets_gone_in_10_days", "design: transplant biology"):
        check = Check(label="lowest platelets", arm="h1_human_transplant", metric="min", column="platelets",
                      window=[1, 15], lt=20.0, require="each", basis=basis)
        res = CheckResult(check=check, passed=True, observed=0.0,
                          interval=Interval(0.0, 0.0, 0.0, 0.0, 2, 0, 0.95))
        _attach_source(res)
        made[basis.split(":")[0]] = res
    statement, design = made["fliedner2002_text"], made["design"]
    assert statement.published_text() == "statement (bound)"
    assert "Fliedner" in statement.source and "2002" in statement.citation
    assert design.published_text() == "no published number (design bound)" and design.citation == ""
