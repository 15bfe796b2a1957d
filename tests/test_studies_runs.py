"""Run records and the comparison table (studies.runs)."""
import json

import numpy as np
import pytest

from engine import AddEvent, Event, Simulation, load_scenario
from studies.runs import RunList, RunRecord, compare_runs

TINY = {"tile_x_um": 250.0, "tile_y_um": 250.0, "spinup_days": 1.0}


@pytest.fixture(scope="module")
def finished_sim():
    scn = load_scenario("lesson_wt_reference").copy_with(days=2.0, parameters=dict(TINY))
    sim = Simulation.from_scenario(scn, seed=7)
    sim.advance(24.0)
    sim.apply(AddEvent(Event(kind="fgf4", start_day=0.0, duration_days=3.0, dose=2.0), past="start_now"))
    sim.advance(24.0)
    return sim


def test_record_keeps_series_seed_and_events_added_during_the_run(finished_sim):
    rec = RunRecord.from_simulation(finished_sim)
    obs = finished_sim.observables
    assert rec.seed == 7 and len(rec) == len(obs)
    assert np.array_equal(rec["platelets"], obs["platelets"])
    assert "FGF-4 2 x standard dose day 1 for 3 d" in rec.treatment_summary
    assert rec.legend() == f"Lesson: healthy mouse (reference) · seed 7 · {rec.treatment_summary}"
    # the recorded scenario reproduces the run: the live event is in it with its real start day
    scn = rec.scenario()
    assert [(e.kind, e.start_day, e.dose) for e in scn.events] == [("fgf4", 1.0, 2.0)]
    assert scn.parameters["tile_x_um"] == 250.0
    rerun = Simulation.from_scenario(scn, seed=rec.seed)
    rerun.advance(48.0)
    assert np.array_equal(rerun.observables["platelets"], rec["platelets"])


def test_record_round_trips_through_plain_json(finished_sim):
    rec = RunRecord.from_simulation(finished_sim, label="my run")
    back = RunRecord.from_dict(json.loads(json.dumps(rec.to_dict())))
    assert back.label == "my run" and back.run_id == rec.run_id and back.seed == 7
    assert back.columns == rec.columns and back.units["platelets"] == "10^3/uL"
    assert np.allclose(back.data, rec.data, rtol=1e-6)
    assert back.metadata["seed"] == "7"


def _synthetic(label, nadir, nadir_day, chim30):
    d = np.arange(0.0, 61.0, 0.5)
    plt = np.where(d < nadir_day, 1000.0 - (1000.0 - nadir) * d / nadir_day,
                   np.minimum(1000.0, nadir + 100.0 * (d - nadir_day)))
    cols = ["day", "platelets", "platelets_rel", "donor_chimerism"]
    data = np.column_stack([d, plt, plt / 1000.0, np.clip(d / 30.0, 0, 1) * chim30])
    scn = load_scenario("lesson_hsct").to_toml()
    return RunRecord(scenario_toml=scn, seed=1, label=label, treatment_summary="x", columns=cols,
                     units={"platelets": "10^3/uL"}, data=data, metadata={"species": "mouse", "scenario": label})


def test_comparison_table_reports_differences_to_the_reference():
    a = _synthetic("HSCT", 100.0, 10.0, 0.9)
    b = _synthetic("HSCT + MSC", 300.0, 8.0, 1.0)
    table = compare_runs([a, b], reference=0)
    ra, rb = table.rows
    assert ra.values["nadir"] == pytest.approx(100.0) and rb.values["nadir"] == pytest.approx(300.0)
    assert rb.differences["nadir"] == pytest.approx(200.0)
    assert rb.differences["nadir_day"] == pytest.approx(-2.0)
    # recovery to 800: a at 10 + 7 = 17 d, b at 8 + 5 = 13 d
    assert ra.values["days_to_recovery"] == pytest.approx(17.0)
    assert rb.differences["days_to_recovery"] == pytest.approx(-4.0)
    assert rb.differences["chimerism_d30"] == pytest.approx(0.1)
    assert ra.differences["nadir"] == 0.0
    text = table.to_text()
    assert "HSCT + MSC" in text and "(+200)" in text and "(+10 pp)" in text
    csv_lines = table.to_csv().splitlines()
    assert csv_lines[0].startswith("run_id,label,platelet_unit,nadir,") and len(csv_lines) == 3
    with pytest.raises(IndexError):
        compare_runs([a], reference=3)


def test_run_list_keeps_order_ids_and_a_maximum():
    runs = RunList(max_runs=2)
    a, b, c = (_synthetic(x, 100.0, 10.0, 1.0) for x in "abc")
    runs.add(a)
    runs.add(b)
    runs.add(c)
    assert [r.label for r in runs] == ["b", "c"]
    runs.rename(c.run_id, "renamed")
    assert runs.get(c.run_id).label == "renamed"
    runs.remove(b.run_id)
    assert len(runs) == 1
    with pytest.raises(KeyError):
        runs.get("nope")
