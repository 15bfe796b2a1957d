"""Outcome measures (analysis.outcomes: the one definition used by validate, GUI and studies) on
hand-made time series with known answers."""
import numpy as np
import pytest

from engine.observables import Observables
from analysis.outcomes import (OUTCOMES, compute_outcomes, daily_values, engraftment, first_sustained_day,
                               format_outcome, recovery, transplant_day)


def series(day, platelets, baseline=1000.0, chimerism=None, unit="10^3/uL"):
    day = np.asarray(day, float)
    plt = np.asarray(platelets, float)
    obs = Observables(unit)
    for i in range(day.size):
        row = {c: 0.0 for c in obs.columns}
        row.update(day=day[i], platelets=plt[i], platelets_rel=plt[i] / baseline,
                   donor_chimerism=0.0 if chimerism is None else chimerism[i], mk_vessel_fraction=0.4)
        obs.record(row)
    return obs


def v_shape(days=30.0, dt=0.25, base=1000.0, nadir=200.0, nadir_day=7.0, back_day=14.0):
    """Baseline, linear fall to the nadir, linear rise back to baseline, then flat."""
    d = np.arange(0.0, days + 1e-9, dt)
    y = np.where(d <= nadir_day, base - (base - nadir) * d / nadir_day,
                 np.minimum(base, nadir + (base - nadir) * (d - nadir_day) / (back_day - nadir_day)))
    return d, y


def test_mouse_v_shaped_course_gives_exact_nadir_recovery_area_and_engraftment():
    d, y = v_shape()
    out = compute_outcomes(series(d, y))
    assert out.species == "mouse" and out.baseline == pytest.approx(1000.0)
    assert out.nadir == pytest.approx(200.0)
    assert out.nadir_rel == pytest.approx(0.2)
    assert out.nadir_day == pytest.approx(7.0)
    # back to 800 (80%) at 7 + 7 * 600/800 = 12.25 d
    assert out.days_to_recovery == pytest.approx(12.25)
    # triangle below baseline: 0.5 * 14 d * 800
    assert out.area_below_baseline == pytest.approx(0.5 * 14.0 * 800.0, rel=1e-3)
    # mouse threshold: 50% of baseline = 500; daily values are below it from day 5 (429) and back at or
    # above it from 7 + 7 * 300/800 = 9.625 d, so the first of 3 consecutive days >= 500 is day 10
    assert out.engraftment_threshold == pytest.approx(500.0)
    assert out.engraftment_day == pytest.approx(10.0)
    assert out.platelets_final == pytest.approx(1000.0)
    assert out.chimerism_d30 == pytest.approx(0.0)
    assert out.chimerism_d60 is None  # run shorter than 60 days


def test_human_engraftment_uses_20_per_nl_threshold_and_three_consecutive_days():
    d = np.arange(0.0, 40.0 + 1e-9, 0.5)
    y = np.full(d.size, 5.0)
    y[d < 3] = 250.0
    # a one-day blip above 20 on day 15 must not count; sustained from day 21
    y[(d >= 15) & (d < 16)] = 30.0
    y[d >= 21] = 25.0
    out = compute_outcomes(series(d, y, baseline=250.0, unit="10^9/L"))
    assert out.species == "human"
    assert out.engraftment_threshold == pytest.approx(20.0)
    assert out.engraftment_day == pytest.approx(21.0)
    assert out.days_to_recovery is None  # never back to 200 (80% of 250)


def test_never_below_has_no_day_and_a_status_of_its_own_and_never_back_is_not_reached():
    d = np.arange(0, 20.25, 0.25)
    flat = compute_outcomes(series(d, np.full(d.size, 950.0)))
    # never below the threshold: no day at all (never averaged in as day 0), a separate status
    assert flat.days_to_recovery is None and flat.engraftment_day is None
    assert flat.status("days_to_recovery") == "never_below" and flat.status("engraftment_day") == "never_below"
    assert format_outcome(None, "engraftment_day", status="never_below") == "never below"
    assert flat.area_below_baseline == pytest.approx(50.0 * 20.0)
    falling = compute_outcomes(series(d, np.linspace(1000.0, 100.0, d.size)))
    assert falling.days_to_recovery is None and falling.engraftment_day is None
    assert falling.status("engraftment_day") == "not_reached"
    assert falling.nadir_day == pytest.approx(20.0)


def test_chimerism_is_interpolated_at_day_30_and_60():
    d = np.arange(0.0, 61.0, 1.0)
    chim = np.clip(d / 40.0, 0.0, 1.0)
    out = compute_outcomes(series(d, np.full(d.size, 1000.0), chimerism=chim))
    assert out.chimerism_d30 == pytest.approx(0.75)
    assert out.chimerism_d60 == pytest.approx(1.0)
    # a sample grid that straddles day 30
    d2 = np.arange(0.0, 61.0, 7.0)
    out2 = compute_outcomes(series(d2, np.full(d2.size, 1000.0), chimerism=d2 / 100.0))
    assert out2.chimerism_d30 == pytest.approx(0.30)


def test_baseline_options_and_plain_mapping_input():
    d, y = v_shape(base=800.0, nadir=400.0)
    data = {"day": d, "platelets": y, "platelets_rel": y / 1000.0}
    species_base = compute_outcomes(data, species="mouse")
    run_base = compute_outcomes(data, species="mouse", baseline="run")
    assert species_base.baseline == pytest.approx(1000.0)
    assert run_base.baseline == pytest.approx(800.0)
    assert run_base.nadir_rel == pytest.approx(0.5)
    assert compute_outcomes(data, baseline=500.0).days_to_recovery is None  # 80% of 500 = 400: never below
    with pytest.raises(ValueError):
        compute_outcomes({"day": [], "platelets": []})


def test_daily_values_and_sustained_day_helpers():
    days, vals = daily_values(np.array([0.0, 0.5, 2.0]), np.array([0.0, 1.0, 4.0]))
    assert days.tolist() == [0.0, 1.0, 2.0] and vals.tolist() == pytest.approx([0.0, 2.0, 4.0])
    assert first_sustained_day(np.arange(6.0), np.array([9, 1, 9, 9, 1, 9.0]), 5.0) is None
    assert first_sustained_day(np.arange(6.0), np.array([9, 1, 9, 9, 9, 1.0]), 5.0) == 2.0
    assert first_sustained_day(np.arange(6.0), np.array([9, 9, 9, 1, 1, 1.0]), 5.0, start=3) is None


def test_engraftment_is_counted_from_the_transplant_and_searched_after_the_nadir():
    # transplant on day 1; count falls below 20 on day 4, lowest on day 8, a 2-day rise to 21-22 on
    # days 6-7 before the nadir does not count; sustained >= 20 from day 16 -> 15 days after the transplant
    d = np.arange(0.0, 40.0 + 1e-9, 0.25)
    y = np.interp(d, [0, 3, 4, 5, 6, 7, 8, 15, 16, 40], [250, 60, 15, 12, 21, 22, 2, 19, 20, 120])
    ev = engraftment(d, y, 20.0, origin_day=1.0)
    assert ev.status == "reached" and ev.day == pytest.approx(15.0)
    assert engraftment(d, y, 20.0, origin_day=0.0).day == pytest.approx(16.0)
    # the same rule through compute_outcomes with the scenario's transplant day
    from types import SimpleNamespace as E
    origin = transplant_day([E(kind="irradiation", start_day=0.0), E(kind="transplant", start_day=1.0)])
    assert origin == 1.0 and transplant_day([]) == 0.0
    out = compute_outcomes({"day": d, "platelets": y, "platelets_rel": y / 250.0}, species="human",
                           origin_day=origin)
    assert out.engraftment_day == pytest.approx(15.0) and out.origin_day == 1.0


def test_recovery_is_the_first_sample_back_after_the_nadir():
    d = np.arange(0.0, 10.0 + 1e-9, 0.5)
    y = np.interp(d, [0, 2, 3, 4, 6, 8, 10], [1.0, 0.7, 0.85, 0.75, 0.3, 0.9, 1.0])
    ev = recovery(d, y, 0.8)
    # nadir 0.3 on day 6; back to 0.8 at 6 + 2 * 0.5 / 0.6 = 7.67 -> first sample 8.0 (the early bump
    # above 0.8 on day 3, before the nadir, does not count)
    assert ev.day == pytest.approx(8.0)
    assert recovery(d, y, 0.8, origin_day=2.0).day == pytest.approx(6.0)
    assert recovery(d, y, 0.97, win=(0.0, 9.0)).status == "not_reached"


def test_every_outcome_is_reachable_and_formatted():
    d, y = v_shape()
    out = compute_outcomes(series(d, y))
    for name in OUTCOMES:
        out.get(name)
    assert format_outcome(None, "days_to_recovery") == "not reached"
    assert format_outcome(0.5, "chimerism_d30") == "50%"
    assert format_outcome(12.25, "nadir_day") == "day 12.2"
