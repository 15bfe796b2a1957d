"""Blood neutrophils (engine/neutrophils.py): the Friberg chain, its feed from the tile's HSPCs, the
kill by cytotoxic events, the ANC observable and the neutrophil engraftment outcome."""
from __future__ import annotations

import math

import numpy as np
import pytest

from analysis.outcomes import NEUTROPHIL_ENGRAFTMENT_THRESHOLD, compute_outcomes, format_outcome
from engine import InputError, Simulation, load_scenario
from engine.neutrophils import N_STAGES, Neutrophils, step_chain
from engine.observables import COLUMNS
from engine.parameters import ParameterSet

HUMAN = ParameterSet("human")
MOUSE = ParameterSet("mouse")


def test_steady_state_holds_at_circ0_when_the_supply_is_at_its_reference():
    for params in (HUMAN, MOUSE):
        n = Neutrophils(params, reference_hspcs=300)
        for _ in range(24 * 60):
            n.advance(1.0, 300)
        assert n.anc == pytest.approx(params["anc_baseline"], rel=1e-12)
        assert np.allclose(n.chain, params["anc_baseline"], rtol=1e-12)
        assert np.allclose(n.transit, 1.0, rtol=1e-12) and n.transit.size == 3
    assert HUMAN["anc_baseline"] == 5.0 and MOUSE["anc_baseline"] == 1.5


def test_a_step_is_exact_whatever_its_length():
    """One step of 48 h equals 48 steps of 1 h (the chain is solved in closed form for a constant feed)."""
    x0 = np.array([3.0, 1.0, 0.5, 0.2, 4.0])
    rate, u = 4.0 / 88.7, 0.37
    one = step_chain(x0, u, rate, 48.0)
    many = x0.copy()
    for _ in range(48):
        many = step_chain(many, u, rate, 1.0)
    assert np.allclose(one, many, rtol=1e-12, atol=1e-14)
    # closed form of the last transit stage (T3, index 3) after a unit pulse in Prol, no feed
    s = rate * 48.0
    pulse = step_chain(np.array([1.0, 0, 0, 0, 0]), 0.0, rate, 48.0)
    assert pulse[3] == pytest.approx(math.exp(-s) * s ** 3 / 6.0, rel=1e-12)


def test_the_mean_transit_time_from_proliferation_to_blood_equals_mtt():
    """A unit pulse in Prol spends on average 4/ktr = MTT hours in Prol and T1..T3 before it reaches
    the blood: the area under their summed content (closed form per stage: 1/ktr each)."""
    mtt = HUMAN["anc_mtt_hours"]
    rate = 4.0 / mtt
    x = np.array([1.0, 0, 0, 0, 0])
    dt, area = 0.5, 0.0
    prev = x[:4].sum()
    for _ in range(int(40 * mtt / dt)):
        x = step_chain(x, 0.0, rate, dt)
        cur = x[:4].sum()
        area += 0.5 * (prev + cur) * dt
        prev = cur
    assert area == pytest.approx(mtt, rel=1e-4)
    assert N_STAGES == 5 and mtt == 88.7


def test_feedback_raises_production_when_anc_is_low_and_is_capped_at_the_floor():
    n = Neutrophils(HUMAN, reference_hspcs=100)
    base = n.production()
    n.chain[-1] = 0.1 * HUMAN["anc_baseline"]
    assert n.production() / base == pytest.approx(10.0 ** HUMAN["anc_feedback_gamma"], rel=1e-12)   # 1.45x
    n.chain[-1] = 1e-9
    cap = (HUMAN["anc_baseline"] / HUMAN["anc_feedback_floor"]) ** HUMAN["anc_feedback_gamma"]
    assert n.production() / base == pytest.approx(cap, rel=1e-12) and 2.7 < cap < 2.75
    # and the supply scales it: half the progenitor transit's output, half the influx
    n.chain[-1] = HUMAN["anc_baseline"]
    n.transit[-1] = 0.5
    assert n.production() == pytest.approx(0.5 * base, rel=1e-12)


def test_the_stem_cells_reach_prol_through_the_progenitor_transit():
    """Half the lodged HSPCs: Prol's influx does not move at once, falls to half only after the
    transit (3 stages of anc_transit_stage_hours: mean 9.8 d), with the spread of a 3-stage chain."""
    n = Neutrophils(HUMAN, reference_hspcs=100)
    tau = HUMAN["anc_transit_stage_hours"]
    assert tau == pytest.approx(78.4854) and HUMAN["anc_transit_stages"] == 3
    base = n.production()
    n.advance(1.0, 50)
    assert n.production() / base > 0.999999         # the last stage has not moved after one hour
    hours = 0
    while n.transit[-1] > 0.75:                      # half of the step reached the last stage
        n.advance(1.0, 50)
        hours += 1
    # a 3-stage chain passes half a unit step after (median of a gamma(3) in units of tau) 2.674 tau
    assert hours == pytest.approx(2.674 * tau, abs=2.0)
    for _ in range(24 * 120):
        n.advance(1.0, 50)
    assert n.transit == pytest.approx(0.5, rel=1e-9)


def test_a_kill_removes_that_share_of_the_cycling_cells_only():
    n = Neutrophils(HUMAN, reference_hspcs=100)
    n.kill(0.9)
    assert n.chain[0] == pytest.approx(0.5) and np.all(n.chain[1:] == 5.0)
    assert n.transit == pytest.approx(0.1)              # the cycling progenitors die as Prol does
    n.kill(2.0)
    assert n.chain[0] == 0.0 and not n.transit.any()


SMALL = {"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 2.0}


def test_lethal_conditioning_without_transplant_keeps_anc_below_engraftment():
    """Human preset, 12 Gy and no graft: the feed stops (no lodged HSPCs left), the maturing cells
    drain out within about 2 MTT, and ANC stays < 0.5 x10^9/L to day 30."""
    scn = load_scenario("h1_human_transplant")
    scn = scn.copy_with(events=[e for e in scn.events if e.kind == "irradiation"],
                        parameters={**scn.parameters, **SMALL})
    sim = Simulation.from_scenario(scn, seed=2)
    assert sim.observables["anc"][0] == pytest.approx(5.0, rel=0.02)
    prol_before = sim.neutrophils.chain[0]
    sim.advance(1.0)        # the irradiation is given in the first step
    p_kill = 1.0 - math.exp(-12.0 / sim.params["irradiation_d0_mkp_gy"])
    assert sim.neutrophils.chain[0] < prol_before * (1.0 - p_kill) * 1.01 + 1e-9
    sim.run(30)
    day, anc = sim.observables["day"], sim.observables["anc"]
    late = day >= 10
    assert anc[late].max() < NEUTROPHIL_ENGRAFTMENT_THRESHOLD
    assert sim.observables["hspc_host"][-1] < 3
    out = compute_outcomes(sim.observables, species="human", origin_day=0.0)
    assert out.neutrophil_engraftment_status == "not_reached" and out.neutrophil_engraftment_day is None


def test_neutrophil_engraftment_day_on_a_synthetic_course():
    day = np.arange(0, 30.25, 0.25)
    anc = np.where(day < 12, 5.0 * np.exp(-day / 2), 0.0) + np.clip((day - 12) * 0.2, 0, None)
    # 0.2 per day from day 12 on: >= 0.5 from day 14.5, so the first whole day of 3 is day 15
    rows = {"day": day, "platelets": np.full(day.size, 250.0), "platelets_rel": np.full(day.size, 1.0),
            "anc": anc}
    out = compute_outcomes(rows, species="human", origin_day=1.0)
    assert out.neutrophil_engraftment_status == "reached"
    assert out.neutrophil_engraftment_day == pytest.approx(14.0)        # day 15, counted from day 1
    assert out.status("neutrophil_engraftment_day") == "reached"
    never = compute_outcomes({**rows, "anc": np.full(day.size, 5.0)}, species="human")
    assert never.neutrophil_engraftment_status == "never_below"
    no_anc = compute_outcomes({k: v for k, v in rows.items() if k != "anc"}, species="human")
    assert no_anc.status("neutrophil_engraftment_day") == "undefined"
    assert format_outcome(None, "neutrophil_engraftment_day", status="undefined") == "n/a"
    assert COLUMNS["anc"][0] == "10^9/L"


@pytest.mark.parametrize("name,value", [("anc_mtt_hours", 0.0), ("anc_feedback_gamma", -0.1),
                                        ("anc_baseline", 0.0), ("anc_feedback_floor", 5.0)])
def test_bad_parameter_values_are_refused(name, value):
    with pytest.raises(InputError) as err:
        ParameterSet("human", {name: value}, source_file="s.toml")
    msg = str(err.value)
    assert name in msg and "s.toml" in msg and "out of range" in msg


def test_the_graft_short_term_myeloid_output_reaches_prol_through_its_own_transit():
    """A graft's short-term myeloid output G (units of a lodged HSPC's output) enters a chain of
    graft_myeloid_stages stages of graft_myeloid_stage_hours and adds G / H to Prol's supply once it has
    passed; without a graft that chain stays exactly 0 and the supply is the stem cells' transit alone."""
    n = Neutrophils(HUMAN, reference_hspcs=100)
    k, tau = int(HUMAN["graft_myeloid_stages"]), HUMAN["graft_myeloid_stage_hours"]
    for _ in range(24 * 10):
        n.advance(1.0, 100)
    assert not n.graft_transit.any() and n.supply() == n.transit[-1]
    hours = 0
    while n.graft_transit[-1] < 0.25:              # half of a step of 0.5 reached the last stage
        n.advance(1.0, 100, graft=50.0)
        hours += 1
    median = {6: 5.670}[k]                         # median of a gamma(6) in units of tau
    assert hours == pytest.approx(median * tau, abs=2.0)
    for _ in range(24 * 200):
        n.advance(1.0, 100, graft=50.0)
    assert n.graft_transit == pytest.approx(0.5, rel=1e-9)
    assert n.supply() == pytest.approx(1.5, rel=1e-9)
    n.kill(0.8)
    assert n.graft_transit == pytest.approx(0.1, rel=1e-9)
