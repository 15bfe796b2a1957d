"""G-CSF (filgrastim): its plasma level, its two effects on the neutrophils (engine/neutrophils.py)
and what it leaves alone (everything else the model computes)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import Event, InputError, Scenario, Simulation
from engine.scenario import parse_scenario
from engine.neutrophils import N_STAGES, Neutrophils, step_chain, step_linear_chain
from engine.parameters import ParameterSet
from engine.systemic import emax
from tests.conftest import SMALL_TILE

HUMAN = ParameterSet("human")


def _rk4(x, inflow, rates, dt, n=4000):
    """Reference: the same linear chain integrated with many small RK4 steps."""
    def f(y):
        d = -rates * y
        d[0] += inflow
        d[1:] += rates[:-1] * y[:-1]
        return d
    y = np.array(x, float)
    h = dt / n
    for _ in range(n):
        k1 = f(y)
        k2 = f(y + h / 2 * k1)
        k3 = f(y + h / 2 * k2)
        k4 = f(y + h * k3)
        y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
    return y


def test_the_chain_step_with_rates_of_their_own_is_exact():
    x0 = np.array([3.0, 1.0, 0.5, 0.2, 4.0])
    rates = np.array([0.045, 0.1, 0.1, 0.1, 0.045])
    for dt in (1.0, 48.0):
        assert np.allclose(step_linear_chain(x0, 0.37, rates, dt), _rk4(x0, 0.37, rates, dt), rtol=1e-10)
    # with equal rates it is the closed form of step_chain
    same = np.full(5, 4.0 / 88.7)
    assert np.allclose(step_linear_chain(x0, 0.37, same, 24.0), step_chain(x0, 0.37, 4.0 / 88.7, 24.0),
                       rtol=1e-12)


def test_gcsf_shortens_maturation_by_prices_factor_and_leaves_the_blood_half_life():
    n = Neutrophils(HUMAN, reference_hspcs=300)
    base = n.rates(0.0)
    on = n.rates(1.0)
    assert np.all(base == n.ktr)
    # maturing compartments (T1..T3): the time spent there x 0.453 at effect 1 (Price 1996: 6.4 -> 2.9 d)
    assert np.allclose(base[1:4] / on[1:4], HUMAN["gcsf_maturation_time_factor"])
    assert HUMAN["gcsf_maturation_time_factor"] == pytest.approx(2.9 / 6.4, abs=1e-3)
    # Prol's residence and the blood's clearance do not change
    assert on[0] == base[0] and on[-1] == base[-1]
    assert n.production(1.0) == pytest.approx(n.production(0.0) * (1.0 + HUMAN["gcsf_production_gain"]))


def _run(events, days=12.0, seed=2):
    scn = Scenario(name="g-csf", species="human", days=days, seed=seed, events=events,
                   parameters={**SMALL_TILE})
    sim = Simulation.from_scenario(scn)
    sim.run()
    return sim.observables


@pytest.fixture(scope="module")
def healthy():
    plain = _run([])
    treated = _run([Event(kind="gcsf", start_day=1.0, duration_days=5.0, dose=3.2)])
    return plain, treated


def test_gcsf_raises_a_healthy_persons_neutrophils_and_they_fall_back_when_it_stops(healthy):
    plain, treated = healthy
    d = treated["day"]
    before = treated["anc"][d <= 1.0]
    during = treated["anc"][(d >= 2.0) & (d <= 6.0)]
    after = treated["anc"][d >= 11.0]
    base = HUMAN["anc_baseline"]
    assert np.allclose(before, plain["anc"][d <= 1.0])
    assert during.min() > 1.5 * base
    assert after.max() < during.max() and after[-1] < 1.5 * base
    # the level reaches the dose within a day (filgrastim's 3.5 h half-life) and is gone a day after the last
    assert treated["gcsf"][(d >= 2.5) & (d < 5.99)].min() == pytest.approx(3.2, rel=1e-3)
    assert treated["gcsf"][-1] < 1e-6


def test_gcsf_changes_nothing_but_the_neutrophils(healthy):
    plain, treated = healthy
    for col in plain.columns:
        if col in ("anc", "gcsf"):
            continue
        assert np.array_equal(plain[col], treated[col]), col


def test_gcsf_doses_are_checked_naming_the_file_and_field():
    ok = {"name": "x", "species": "human", "days": 5.0,
          "events": [{"kind": "gcsf", "start_day": 0.0, "duration_days": 3.0, "dose": 10.0}]}
    assert parse_scenario(ok, "ok.toml").events[0].dose == 10.0
    for events, field in (([{"kind": "gcsf", "start_day": 0.0, "duration_days": 3.0, "dose": 11.0}], "events[0].dose"),
                          ([{"kind": "gcsf", "start_day": 0.0, "duration_days": 3.0, "dose": 6.0},
                            {"kind": "gcsf", "start_day": 1.0, "duration_days": 3.0, "dose": 6.0}], "events[1].dose")):
        with pytest.raises(InputError) as err:
            parse_scenario({**ok, "events": events}, "bad.toml")
        assert "bad.toml" in str(err.value) and field in str(err.value)


def test_the_level_follows_the_dose_with_filgrastims_half_life():
    from engine.interventions import level_time_constants
    tau = level_time_constants(HUMAN)["gcsf"]
    assert tau == pytest.approx(HUMAN["gcsf_half_life_hours"] / math.log(2.0))
    assert emax(1.0) == 1.0 and N_STAGES == 5
