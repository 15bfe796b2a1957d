"""Megakaryocyte ploidy as a state of each MK (engine/fates.py, engine/census.py): the class is drawn
from the Mpl signal when an MK is born, reached during endomitosis, and sets its platelet yield."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import agents as A
from engine import fates as FT
from engine import load_scenario
from engine.census import current_ploidy
from engine.parameters import ParameterSet

SMALL = {"tile_x_um": 400.0, "tile_y_um": 400.0, "tile_z_um": 200.0, "spinup_days": 2.0}


def test_ploidy_class_is_the_nearest_class_from_2n_to_64n():
    assert FT.ploidy_class(4.0, 0.8, 0.0) == 16.0
    assert FT.ploidy_class(4.0, 0.8, 0.62) == 16.0       # 4.496: still nearest to 16N
    assert FT.ploidy_class(4.0, 0.8, 0.63) == 32.0       # 4.504
    assert FT.ploidy_class(4.0, 0.8, -10.0) == 2.0       # never below 2N ...
    assert FT.ploidy_class(4.0, 0.8, 10.0) == 64.0       # ... nor above 64N
    # the shape the parameters give: mode 16N, nearly all MKs 8N-64N (Jackson 1990, Corash 1989)
    p = ParameterSet("mouse")
    z = np.random.default_rng(1).standard_normal(20000)
    classes = np.array([FT.ploidy_class(p["mk_ploidy_log2_wt"], p["mk_ploidy_sd_log2"], x) for x in z])
    values, counts = np.unique(classes, return_counts=True)
    assert values[np.argmax(counts)] == 16.0
    assert np.mean((classes >= 8) & (classes <= 64)) > 0.9


def test_the_mpl_signal_moves_the_class_of_new_megakaryocytes():
    p = ParameterSet("mouse")
    from engine.interventions import treatment_effects
    from engine.systemic import LEVEL_KINDS, TISSUE_LEVELS

    fx = treatment_effects(p, {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)})
    from engine.systemic import Drive

    ec50 = p["tpo_signal_ec50_rel"]
    full = 1.0 + ec50                      # the relative signal at saturation
    log2 = {s: FT.fate_parameters(p, 1.0, fx, Drive(1.0, 1.0, s, 1.0, 1.0, 1.0), 0.0, False)[FT.F_PLOIDY_LOG2]
            for s in (0.0, 1.0, 2.0, full)}
    donor = FT.fate_parameters(p, 1.0, fx, Drive(1.0, 1.0, 0.0, full, 1.0, 1.0), 0.0, False)
    # the signal saturates at 1 + ec50: there the mode is two classes up (16N -> 64N, Arnold 1997),
    # halfway there it is part of the way up; with no signal it is mk_ploidy_tpo_gain_log2 down
    assert ec50 > 1.0 and p["mk_ploidy_tpo_rise_log2"] == 2.0
    assert donor[FT.F_PLOIDY_LOG2_DONOR] == pytest.approx(p["mk_ploidy_log2_wt"] + p["mk_ploidy_tpo_rise_log2"])
    assert log2[1.0] == p["mk_ploidy_log2_wt"]
    assert log2[0.0] == pytest.approx(log2[1.0] - p["mk_ploidy_tpo_gain_log2"])
    assert log2[full] == pytest.approx(log2[1.0] + 2.0)
    assert log2[2.0] == pytest.approx(log2[1.0] + 2.0 / ec50)


def test_the_ploidy_rise_is_linear_above_wt_and_stops_at_the_saturated_signal():
    p = ParameterSet("mouse")
    base, rise, ec50 = p["mk_ploidy_log2_wt"], p["mk_ploidy_tpo_rise_log2"], p["tpo_signal_ec50_rel"]
    assert FT.ploidy_log2_mode(p, 1.0 + 0.25 * ec50) == pytest.approx(base + 0.25 * rise)
    assert FT.ploidy_log2_mode(p, 1.0 + 3.0 * ec50) == pytest.approx(base + rise)
    assert FT.ploidy_log2_mode(p, 0.5) == pytest.approx(base - 0.5 * p["mk_ploidy_tpo_gain_log2"])


def test_endomitosis_reaches_the_class_early_in_maturation():
    assert current_ploidy(16.0, 0.0, 0.25) == 2.0
    assert current_ploidy(16.0, 0.125, 0.25) == pytest.approx(2.0 ** 2.5)
    assert current_ploidy(16.0, 0.25, 0.25) == pytest.approx(16.0)
    assert current_ploidy(16.0, 0.9, 0.25) == pytest.approx(16.0)
    assert current_ploidy(64.0, 1.0, 0.25) == pytest.approx(64.0)


def _mean_log2_class_of_new_mks(genotype: str) -> tuple[float, int]:
    """Mean log2 class of the MKs alive at the end of 6-day runs (seeds 1, 2) that were born during them."""
    from engine import Simulation

    scn = load_scenario("wt_steady_state").copy_with(
        parameters={**SMALL, "tile_x_um": 600.0, "tile_y_um": 600.0}, genotype=genotype, days=6.0)
    classes = []
    for seed in (1, 2):
        sim = Simulation.from_scenario(scn, seed=seed)
        st = sim.store
        before = st.uid[st.kind == A.MK].copy()
        sim.run()
        mk = (st.kind == A.MK) & ~np.isin(st.uid, before)
        classes.append(np.log2(st.ploidy[mk]))
    born = np.concatenate(classes)
    return float(born.mean()), born.size


def test_thpo_knockout_megakaryocytes_reach_a_lower_class():
    """de Sauvage 1996: lower ploidy without TPO. The MKs born during a run (after the set-up) of a
    Thpo-/- mouse sit about mk_ploidy_tpo_gain_log2 classes below wild type."""
    p = ParameterSet("mouse")
    wt, n_wt = _mean_log2_class_of_new_mks("wt")
    ko, n_ko = _mean_log2_class_of_new_mks("thpo_ko")
    assert n_wt > 500 and n_ko > 60
    assert abs(wt - p["mk_ploidy_log2_wt"]) < 0.15
    assert wt - ko == pytest.approx(p["mk_ploidy_tpo_gain_log2"], abs=0.25)


def test_platelet_yield_doubles_with_each_ploidy_class():
    """Two copies of one state that differ only in the releasing MKs' classes (16N vs 32N): every
    releasing MK sheds exactly twice as many platelets; nothing else changes."""
    from engine import Simulation
    from engine.fates import decide_fates
    from engine.interventions import treatment_effects

    scn = load_scenario("wt_steady_state").copy_with(parameters=dict(SMALL))
    sim = Simulation.from_scenario(scn, seed=4)
    st, v = sim.store, sim.vessels
    releasing = np.flatnonzero((st.kind == A.MK) & (st.state == A.RELEASING))
    assert releasing.size > 0
    cells = np.flatnonzero(st.kind >= 0)
    fx = treatment_effects(sim.params, sim.systemic.levels)
    fp = FT.fate_parameters(sim.params, sim.dt, fx, sim.systemic.drive(), 0.0, False)
    out = []
    for cls in (16.0, 32.0):
        s = {k: getattr(st, k).copy() for k in ("kind", "state", "age", "maturity", "timer", "ploidy", "link")}
        s["ploidy"][releasing] = cls
        flags, nspawn = np.zeros(st.capacity, np.uint8), np.zeros(st.capacity, np.int32)
        released, active = np.zeros(st.capacity), np.zeros(st.capacity, np.int64)
        decide_fates(s["kind"], st.origin, s["state"], st.pos, s["age"], s["maturity"], s["timer"], s["ploidy"], s["link"],
                     cells, fp, sim.rp, np.zeros((0, 3)), sim.near_seg, sim.near_d, sim.near_c, v.radius,
                     v.integrity, v.vcam, sim.seed, 3, flags, nspawn, released, active, 1)
        out.append((released, flags))
    (r16, f16), (r32, f32) = out
    assert (r16[releasing] > 0).all()
    np.testing.assert_allclose(r32[releasing], 2.0 * r16[releasing], rtol=1e-12)
    others = np.setdiff1d(cells, releasing)
    assert not r16[others].any() and not r32[others].any() and np.array_equal(f16, f32)
    # a 16N MK sheds platelets_per_mk over mk_release_hours
    rel = sim.params["platelets_per_mk"] * sim.dt / sim.params["mk_release_hours"]
    full = releasing[(st.timer[releasing] >= sim.dt) & (v.integrity[st.link[releasing]] == 1.0)]
    if full.size:
        np.testing.assert_allclose(r16[full], rel, rtol=1e-12)
    assert math.isfinite(r32.sum())


def test_the_cell_card_gives_the_ploidy_now_and_the_class_it_is_reaching():
    from engine import Simulation

    scn = load_scenario("wt_steady_state").copy_with(parameters=dict(SMALL))
    sim = Simulation.from_scenario(scn, seed=3)
    st = sim.store
    mks = np.flatnonzero(st.kind == A.MK)
    share = sim.params["mk_endomitosis_share"]
    young = [i for i in mks if 0.0 < st.maturity[i] < 0.5 * share and st.ploidy[i] >= 8]
    old = [i for i in mks if st.maturity[i] >= share]
    assert young and old
    y, o = young[0], old[0]
    assert sim.describe_agent(int(st.uid[o]))["ploidy"] == f"{st.ploidy[o]:.0f}N"
    text = sim.describe_agent(int(st.uid[y]))["ploidy"]
    assert text.endswith(f", reaching {st.ploidy[y]:.0f}N") and not text.startswith(f"{st.ploidy[y]:.0f}N")


def _step_fates_with_mode(sim, log2_mode):
    """One fate step on a copy of the state, with the host's modal class set to ``log2_mode``;
    returns the copy's maturity and ploidy after the step."""
    from engine.fates import decide_fates
    from engine.interventions import treatment_effects

    st, v = sim.store, sim.vessels
    cells = np.flatnonzero(st.kind >= 0)
    fx = treatment_effects(sim.params, sim.systemic.levels)
    fp = FT.fate_parameters(sim.params, sim.dt, fx, sim.systemic.drive(), 0.0, False)
    fp[FT.F_PLOIDY_LOG2] = log2_mode
    s = {k: getattr(st, k).copy() for k in ("kind", "state", "age", "maturity", "timer", "ploidy", "link")}
    flags, nspawn = np.zeros(st.capacity, np.uint8), np.zeros(st.capacity, np.int32)
    released, active = np.zeros(st.capacity), np.zeros(st.capacity, np.int64)
    decide_fates(s["kind"], st.origin, s["state"], st.pos, s["age"], s["maturity"], s["timer"], s["ploidy"], s["link"],
                 cells, fp, sim.rp, np.zeros((0, 3)), sim.near_seg, sim.near_d, sim.near_c, v.radius,
                 v.integrity, v.vcam, sim.seed, 3, flags, nspawn, released, active, 1)
    return s["maturity"], s["ploidy"]


def test_megakaryocytes_in_endomitosis_follow_the_signal_and_keep_the_dna_they_made():
    """Arnold et al. 1997: one agonist injection takes the modal class from 16N to 64N within 3 days,
    faster than MKs are replaced. An MK still in endomitosis (maturity below mk_endomitosis_share)
    takes the class its own rank gives at today's modal class: two classes more when the mode rises
    by two; an MK past endomitosis keeps its class; when the mode falls, a young MK stops where it is
    but never loses DNA it has already made."""
    from engine import Simulation

    scn = load_scenario("wt_steady_state").copy_with(parameters=dict(SMALL))
    sim = Simulation.from_scenario(scn, seed=5)
    st = sim.store
    p = sim.params
    share, base, sd = p["mk_endomitosis_share"], p["mk_ploidy_log2_wt"], p["mk_ploidy_sd_log2"]
    mk = (st.kind == A.MK) & (st.state != A.RELEASING)
    mat_up, up = _step_fates_with_mode(sim, base + 2.0)
    young = mk & (mat_up < share)
    old = mk & (st.maturity >= share)
    assert young.sum() > 20 and old.sum() > 20
    # each young MK: the class of its own rank z (kept in the timer) at the raised mode
    expect = np.array([FT.ploidy_class(base + 2.0, sd, z) for z in st.timer[young]])
    np.testing.assert_array_equal(up[young], np.maximum(expect, st.ploidy[young]))
    assert np.mean(np.log2(up[young]) - np.log2(st.ploidy[young])) > 1.5
    np.testing.assert_array_equal(up[old], st.ploidy[old])
    # a falling mode: no young MK ends below the class its DNA has already passed
    mat_dn, dn = _step_fates_with_mode(sim, base - 3.0)
    young = mk & (mat_dn < share)
    made = np.floor(1.0 + (np.log2(st.ploidy[young]) - 1.0) * mat_dn[young] / share)
    assert (np.log2(dn[young]) >= np.clip(made, 1, 6)).all()
    assert (dn[young] <= st.ploidy[young]).all() and (dn[young] < st.ploidy[young]).any()


def test_the_young_megakaryocytes_are_those_nearest_2n_or_4n_now():
    """Observable mk_immature (claim T2, Arnold 1997's 2N-4N cells): the MKs whose ploidy now rounds
    (in log2) to 2N or 4N; an MK aiming at 32N is counted while young and not once past 5.66N."""
    from engine import Simulation
    from engine import census as C

    assert C.IMMATURE_PLOIDY == pytest.approx(2.0 ** 2.5)
    assert current_ploidy(32.0, 0.05, 0.25) < C.IMMATURE_PLOIDY < current_ploidy(32.0, 0.12, 0.25)
    scn = load_scenario("wt_steady_state").copy_with(parameters=dict(SMALL))
    sim = Simulation.from_scenario(scn, seed=6)
    st = sim.store
    share = sim.params["mk_endomitosis_share"]
    mks = np.flatnonzero(st.kind == A.MK)
    now = np.array([current_ploidy(st.ploidy[i], st.maturity[i], share) for i in mks])
    expect = int(np.sum(np.floor(np.log2(now) + 0.5) <= 2))     # nearest class 2N or 4N
    counts = C.tally(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, sim.params["mkp_stage_hours"],
                     np.flatnonzero(st.kind >= 0), sim.occupant, share)
    assert 0 < expect < mks.size
    assert counts[C.C_MK_IMMATURE] == expect
    assert counts[C.C_MK] == mks.size
