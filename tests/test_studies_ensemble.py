"""Ensembles over seeds in spawned worker processes (studies.ensemble, cli/ensemble.py)."""
import json
import threading

import numpy as np
import pytest

from engine import InputError, Simulation, load_scenario
from studies import worker
from studies.ensemble import resolve_seeds, run_ensemble, start_ensemble
from analysis.stats import mean_interval, t_quantile

TINY = {"tile_x_um": 250.0, "tile_y_um": 250.0, "spinup_days": 1.0}
FAILING_SEED = 12


def seed_12_fails(scenario_toml, seed, days=None, overrides=None, task_key=None):
    """Worker task for tests: seed 12 raises, the others run normally (top level: importable by workers)."""
    if seed == FAILING_SEED:
        raise RuntimeError("injected failure for the test")
    return worker.run_seed(scenario_toml, seed, days, overrides, task_key)


def tiny(days=2.0, scenario="lesson_5fu"):
    return load_scenario(scenario).copy_with(days=days, parameters=dict(TINY))


@pytest.fixture(scope="module")
def ensemble():
    progress = []
    res = run_ensemble(tiny(), [11, 12, 13], workers=2, progress=progress.append, task=seed_12_fails)
    return res, progress


def test_one_failing_seed_is_reported_and_the_others_finish(ensemble):
    res, progress = ensemble
    assert [r.seed for r in res.runs] == [11, 13], [f.error for f in res.failures]
    assert len(res.failures) == 1
    f = res.failures[0]
    assert f.key == FAILING_SEED and f.parameters["seed"] == FAILING_SEED
    assert "injected failure" in f.error and "RuntimeError" in f.error
    assert "seed=12" in f.describe()
    assert progress[-1].finished == 3 and progress[-1].failed == 1 and progress[-1].fraction == 1.0
    fractions = [p.fraction for p in progress]
    assert fractions == sorted(fractions)


def test_ensemble_runs_equal_direct_runs_with_the_same_seed(ensemble):
    res, _ = ensemble
    sim = Simulation.from_scenario(tiny(), seed=13)
    sim.run()
    rec = next(r for r in res.runs if r.seed == 13)
    assert np.array_equal(rec["platelets"], sim.observables["platelets"])
    assert rec.metadata["seed"] == "13"


def test_band_and_intervals_are_the_statistics_of_the_seeds(ensemble):
    res, _ = ensemble
    a, b = (r["platelets"] for r in res.runs)
    assert not np.array_equal(a, b)  # different seeds, different runs
    band = res.band("platelets")
    assert band.n == 2
    assert np.allclose(band.mean, (a + b) / 2)
    assert np.allclose(band.lo, np.minimum(a, b) + 0.025 * np.abs(a - b))
    ci = res.band("platelets", method="ci")
    half = t_quantile(1) * np.abs(a - b) / np.sqrt(2) / np.sqrt(2)
    assert np.allclose(ci.hi - ci.mean, half)
    ivs = res.outcome_intervals()
    nadirs = [r.outcomes().nadir for r in res.runs]
    assert ivs["nadir"].mean == pytest.approx(np.mean(nadirs))
    assert ivs["nadir"].hi - ivs["nadir"].mean == pytest.approx(12.7062047 * np.std(nadirs, ddof=1) / np.sqrt(2))
    assert ivs["chimerism_d60"].mean is None and ivs["chimerism_d60"].n_missing == 2


def test_exports_carry_metadata_and_band_columns(ensemble):
    res, _ = ensemble
    csv_text = res.to_csv(["platelets", "tpo_pg_ml"])
    assert "# ensemble_finished_seeds: 11 13" in csv_text
    assert "seed=12" in csv_text and "# app: NicheLab" in csv_text
    header = [ln for ln in csv_text.splitlines() if not ln.startswith("#")][0]
    assert header == ("day,platelets_mean,platelets_p2.5,platelets_p97.5,tpo_pg_ml_mean,tpo_pg_ml_p2.5,"
                      "tpo_pg_ml_p97.5")
    doc = json.loads(res.to_json())
    assert doc["failures"][0]["seed"] == 12
    s = doc["series"]["platelets"]
    assert all(lo <= m <= hi for lo, m, hi in zip(s["p2.5"], s["mean"], s["p97.5"]))
    assert set(doc["outcomes"]["nadir"]) >= {"mean", "lo", "hi", "n"}


def test_cancel_stops_running_workers():
    started = threading.Event()

    def progress(p):
        if p.fraction > 0:
            started.set()

    # runs far longer than a cancel takes to arrive (a 60-day tiny run, ~3 s, once finished before it
    # on a loaded machine); cancelled, they stop within a step
    job = start_ensemble(tiny(days=1000.0, scenario="lesson_wt_reference"), 2, workers=2, progress=progress)
    assert started.wait(120), "workers never reported progress"
    job.cancel()
    res = job.result(timeout=120)
    assert res.cancelled and res.runs == []
    assert {f.error for f in res.failures} == {"cancelled"}


def test_seed_and_input_checks():
    assert resolve_seeds(3, 5) == [5, 6, 7]
    with pytest.raises(InputError, match="seeds"):
        resolve_seeds(0, 1)
    with pytest.raises(InputError, match="distinct"):
        resolve_seeds([1, 1], 1)
    with pytest.raises(InputError, match="unknown scenario"):
        run_ensemble("no_such_scenario", 2)


def test_mean_interval_against_hand_computation():
    iv = mean_interval([1.0, 2.0, 3.0, None, float("nan")])
    assert iv.n == 3 and iv.n_missing == 2
    assert iv.mean == pytest.approx(2.0)
    assert iv.hi - iv.mean == pytest.approx(4.30265273 * 1.0 / np.sqrt(3))
    assert t_quantile(200) == pytest.approx(1.972, abs=2e-3)


def test_cli_ensemble_writes_csv_and_json(tmp_path, capsys):
    import main

    scn = tmp_path / "tiny.toml"
    scn.write_text(tiny(days=1.0, scenario="lesson_wt_reference").to_toml())
    rc = main.main(["ensemble", "--scenario", str(scn), "--seeds", "2", "--workers", "2",
                    "--csv", str(tmp_path / "e.csv"), "--json", str(tmp_path / "e.json"),
                    "--svg", str(tmp_path / "e.svg"), "--column", "tpo_pg_ml"])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert "2 of 2 seeds finished" in err and "platelet nadir" in err
    doc = json.loads((tmp_path / "e.json").read_text())
    assert doc["seeds"] == [1, 2] and len(doc["day"]) == 5
    svg = (tmp_path / "e.svg").read_text()
    assert "tpo_pg_ml [pg/mL]" in svg and 'id="band-0"' in svg and 'id="line-0"' in svg  # mean line with its band
    assert main.main(["ensemble", "--scenario", str(scn), "--column", "nope"]) == 2
    assert "--column" in capsys.readouterr().err
    assert main.main(["ensemble", "--scenario", str(scn), "--seeds", "2", "--workers", "0"]) == 2
    assert "--workers" in capsys.readouterr().err
