"""Infused MSCs act on HSPCs in proportion to their number (engine/fates.py, engine/interventions.py):
lodged HSPCs self-renew faster with the summed, distance-weighted factor level of the MSCs near them
(saturating), and homing HSPCs survive longer with the number of MSCs in the tile relative to a
standard dose's (saturating). The MSCs held in the lungs act through the blood
(engine/msc_secretome.py): a lung load that decays with its half-life makes a plasma secretome level,
proportional to the dose per kg, that raises the self-renewal of every lodged HSPC (saturating)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import agents as A
from engine import fates as FT
from engine.interventions import msc_homing_effect, msc_standard_count, treatment_effects
from engine.parameters import ParameterSet
from engine.systemic import LEVEL_KINDS, TISSUE_LEVELS, Drive

CONTACT, LENGTH, RADIUS = 10.0, 21.0, 100.0


def _support(n_at: dict[float, int], radius: float = RADIUS) -> float:
    """Support at the origin of MSCs placed at the given distances (n of them at each)."""
    pts = []
    for d, n in n_at.items():
        for k in range(n):
            a = 2.0 * math.pi * k / max(n, 1)
            pts.append((d * math.cos(a), d * math.sin(a), 0.0))
    msc = np.array(pts, np.float64).reshape(-1, 3)
    return FT.msc_support(0.0, 0.0, 0.0, msc, radius, LENGTH, CONTACT)


def test_factor_weight_is_the_point_source_steady_state_normalised_at_contact():
    assert FT.msc_factor_weight(0.0, CONTACT, LENGTH) == 1.0
    assert FT.msc_factor_weight(CONTACT, CONTACT, LENGTH) == 1.0
    for d in (15.0, 30.0, 60.0):
        assert FT.msc_factor_weight(d, CONTACT, LENGTH) == pytest.approx(CONTACT / d * math.exp(-(d - CONTACT) / LENGTH),
                                                                         rel=1e-12)
    # one decay length further away: 1/e times the 1/d fall
    w30, w51 = FT.msc_factor_weight(30.0, CONTACT, LENGTH), FT.msc_factor_weight(51.0, CONTACT, LENGTH)
    assert w51 / w30 == pytest.approx(30.0 / 51.0 * math.exp(-1.0), rel=1e-12)


def test_support_sums_the_msc_weights_within_the_cutoff():
    assert _support({}) == 0.0
    assert _support({CONTACT: 1}) == pytest.approx(1.0)
    assert _support({CONTACT: 3}) == pytest.approx(3.0)
    w40 = FT.msc_factor_weight(40.0, CONTACT, LENGTH)
    assert _support({CONTACT: 2, 40.0: 5}) == pytest.approx(2.0 + 5 * w40, rel=1e-12)
    # an MSC beyond the cut-off radius adds nothing; just inside it adds its (small) weight
    assert _support({CONTACT: 1, 120.0: 4}) == pytest.approx(1.0)
    assert _support({99.0: 1}) == pytest.approx(FT.msc_factor_weight(99.0, CONTACT, LENGTH), rel=1e-12)
    assert _support({CONTACT: 1, 60.0: 1}, radius=50.0) == pytest.approx(1.0)


def test_boost_grows_with_the_msc_count_and_saturates():
    p = ParameterSet("mouse")
    top, half = p["msc_expansion_boost"], p["msc_support_half_saturation"]
    boosts = [FT.msc_boost(_support({CONTACT: n}), top, half) for n in range(0, 41)]
    assert boosts[0] == 0.0
    assert all(b2 > b1 for b1, b2 in zip(boosts, boosts[1:]))
    assert boosts[1] == pytest.approx(top / (1.0 + half))
    assert boosts[-1] < top and boosts[-1] > 0.95 * top
    # the gain of one more MSC shrinks (saturation): the 2nd adds more than the 20th
    assert boosts[2] - boosts[1] > 5 * (boosts[20] - boosts[19])
    # far MSCs help less than near ones
    assert FT.msc_boost(_support({50.0: 1}), top, half) < 0.1 * boosts[1]


#: the TPO drive of a WT steady state, host and donor cells alike (engine.systemic.Drive)
WT_DRIVE = Drive(1.0, 1.0, 1.0, 1.0, 1.0, 1.0)


def _lodged_division_share(n_msc: int, distance: float, agents: int = 20000) -> tuple[float, float]:
    """Share of `agents` lodged HSPCs (all at the origin, in empty marrow) dividing in one step with
    `n_msc` infused MSCs at `distance`, and the probability the fate parameters say it should be."""
    p = ParameterSet("mouse")
    fx = treatment_effects(p, {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)})
    fp = FT.fate_parameters(p, 1.0, fx, WT_DRIVE, 1.0, 0.0)
    rp = np.array([4.0, 5.0, 8.0, 20.0, 6.0])
    n = agents + n_msc
    kind = np.full(n, A.HSPC, np.int8)
    kind[agents:] = A.MSC
    state = np.full(n, A.LODGED, np.int8)
    pos = np.zeros((n, 3))
    for k in range(n_msc):
        a = 2.0 * math.pi * k / n_msc
        pos[agents + k] = (distance * math.cos(a), distance * math.sin(a), 0.0)
    msc_pos = pos[agents:].copy()
    members = np.arange(n, dtype=np.int64)
    flags, nspawn, released = np.zeros(n, np.uint8), np.zeros(n, np.int32), np.zeros(n)
    FT.decide_fates(kind, np.zeros(n, np.int8), state, pos, np.zeros(n), np.zeros(n), np.zeros(n), np.zeros(n), np.full(n, -1, np.int32),
                    members, fp, rp, msc_pos, np.full(n, -1, np.int32), np.zeros(n), np.zeros(n), np.ones(1),
                    np.ones(1), np.ones(1), 7, 3, flags, nspawn, released, np.zeros(n, np.int64), 1)
    divided = np.mean((flags[:agents] & FT.FL_DIVIDE) != 0)
    sup = FT.msc_support(0.0, 0.0, 0.0, msc_pos, fp[FT.F_MSC_RADIUS], fp[FT.F_MSC_LENGTH], rp[0] + rp[4])
    rate = fp[FT.F_DIV_BASE] + fp[FT.F_DIV_EXPAND] * (1.0 + FT.msc_boost(sup, fp[FT.F_MSC_BOOST], fp[FT.F_MSC_HALF]))
    # (the death hit comes first: the survivors' share)
    return divided, (1.0 - fp[FT.F_P_HSPC_DEATH]) * (1.0 - math.exp(-rate))


def test_lodged_hspcs_divide_more_with_more_mscs_in_contact():
    shares = {}
    for n in (0, 1, 4):
        shares[n], expected = _lodged_division_share(n, 10.0)
        sd = math.sqrt(expected * (1 - expected) / 20000)
        assert abs(shares[n] - expected) < 4 * sd
    assert shares[0] < shares[1] < shares[4]
    # MSCs out of reach do nothing
    far, _ = _lodged_division_share(4, 150.0)
    assert far == shares[0]


def test_homing_effect_scales_with_the_msc_number_relative_to_a_standard_dose():
    p = ParameterSet("mouse")
    vol = 1.0
    n_std = msc_standard_count(p, vol)
    assert n_std == pytest.approx(p["msc_agents_per_dose_unit"])
    assert msc_homing_effect(p, 0, vol) == 0.0
    assert msc_homing_effect(p, n_std, vol) == pytest.approx(1.0)
    effects = [msc_homing_effect(p, n, vol) for n in range(0, 60)]
    assert all(b > a for a, b in zip(effects, effects[1:]))
    assert effects[-1] < 2.0
    # a tile half the size needs half the MSCs for the same effect
    assert msc_homing_effect(p, 2, 0.5) == pytest.approx(msc_homing_effect(p, 4, 1.0))


def test_homing_survival_follows_the_msc_effect():
    p = ParameterSet("mouse")
    fx = treatment_effects(p, {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)})
    base = p["hspc_free_death_per_day"] / 24.0
    for e in (0.0, 0.5, 1.0, 1.8):
        fp = FT.fate_parameters(p, 1.0, fx, WT_DRIVE, 0.5, e)
        assert fp[FT.F_HSPC_FREE_DEATH] == pytest.approx(base / (1.0 + p["msc_homing_boost"] * e), rel=1e-12)


def test_a_standard_human_dose_brings_far_fewer_mscs_than_a_mouse_dose():
    """Per kg the trials give ~40x less than mouse co-transplants, and the marrow holds ~1% of them."""
    mouse, human = ParameterSet("mouse"), ParameterSet("human")
    assert human["msc_agents_per_dose_unit"] < 0.05 * mouse["msc_agents_per_dose_unit"]
    assert human["msc_agents_per_dose_unit"] < 1.0


# ----------------------------------------------------------------------------- the systemic route
def _course(params, dose: float, hours: int, dt: float = 1.0, start: int = 0) -> np.ndarray:
    """Plasma secretome level every dt hours for `hours` after an infusion of `dose` at hour `start`."""
    from engine.msc_secretome import MscSecretome

    m = MscSecretome()
    out = []
    for k in range(int(round(hours / dt))):
        if k * dt == start:
            m.infuse(params, dose)
        m.advance(params, dt)
        out.append(m.level)
    return np.array(out)


def test_secretome_follows_the_lung_load_and_decays_with_the_lung_half_life():
    from engine.msc_secretome import MscSecretome

    p = ParameterSet("mouse")
    hl, hf, per_kg = p["msc_lung_half_life_hours"], p["msc_secretome_half_life_hours"], p["msc_dose_unit_per_kg"]
    m = MscSecretome()
    m.infuse(p, 1.0)
    assert m.lung == per_kg and m.level == 0.0
    for _ in range(48):
        m.advance(p, 1.0)
    # the lung load halves every lung half-life
    assert m.lung == pytest.approx(per_kg * 0.5 ** (48.0 / hl), rel=1e-12)
    # the plasma level: dS/dt = kf (L - S), closed form
    kl, kf = math.log(2) / hl, math.log(2) / hf
    exact = per_kg * kf / (kf - kl) * (math.exp(-kl * 48) - math.exp(-kf * 48))
    assert m.level == pytest.approx(exact, rel=1e-9)
    # once the factors' own (short) half-life has passed, the level falls with the lung half-life
    s = _course(p, 1.0, 24 * 6)
    assert s[4 * 24 - 1] / s[3 * 24 - 1] == pytest.approx(0.5 ** (24.0 / hl), rel=1e-3)
    # it peaks within a few factor half-lives of the infusion, below the dose's load
    peak = int(np.argmax(s))
    assert 1 <= peak < 4 * hf and s[peak] < per_kg


def test_secretome_is_proportional_to_the_dose_per_kg_and_zero_without_mscs():
    mouse, human = ParameterSet("mouse"), ParameterSet("human")
    one, two = _course(mouse, 1.0, 96), _course(mouse, 2.0, 96)
    assert np.allclose(two, 2.0 * one, rtol=1e-12)
    assert not _course(mouse, 0.0, 96).any()
    # a patient's standard dose (10^6/kg) is 40x less per kg than a mouse co-transplant (10^6 per 25 g)
    assert np.allclose(_course(human, 1.0, 96), one / 40.0, rtol=1e-12)
    # the step does not matter (both ODEs are integrated exactly)
    assert _course(mouse, 1.0, 96, dt=0.25)[3::4] == pytest.approx(one, rel=1e-9)


def test_no_mscs_leave_the_fates_as_they_were_and_the_secretome_raises_self_renewal():
    p = ParameterSet("mouse")
    levels = {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)}
    fx0 = treatment_effects(p, levels)
    assert fx0.msc_secretome == 0.0 and treatment_effects(p, levels, 0.0) == fx0
    assert FT.fate_parameters(p, 1.0, fx0, WT_DRIVE, 1.0, 0.0)[FT.F_PARACRINE_BOOST] == 0.0
    half = p["msc_secretome_half_effect_per_kg"]
    for level, e in ((half, 1.0), (3.0 * half, 1.5), (1e6 * half, 2.0)):
        fx = treatment_effects(p, levels, level)
        assert fx.msc_secretome == pytest.approx(e, rel=1e-5)
        fp = FT.fate_parameters(p, 1.0, fx, WT_DRIVE, 1.0, 0.0)
        assert fp[FT.F_PARACRINE_BOOST] == pytest.approx(p["msc_secretome_expansion_boost"] * e, rel=1e-5)


def test_an_infusion_in_a_run_makes_the_secretome_observable_and_the_ev_arm_stays_smaller():
    """In a run the infusion feeds the lung load and the observable follows the closed form; in the V12
    regimens (mouse: standard MSC co-infusion once, or standard MSC-EVs for 14 days) the MSCs' systemic
    self-renewal support is larger than the vesicles', at its peak and summed over the run."""
    from engine import Simulation
    from engine.scenario import Event, Scenario
    from engine.systemic import Systemic
    from engine.interventions import level_time_constants

    scn = Scenario(name="msc", species="mouse", days=3.0, seed=2, parameters={"spinup_days": 0.0},
                   events=[Event(kind="msc", start_day=1.0, duration_days=0.0, dose=2.0)])
    sim = Simulation.from_scenario(scn)
    sim.run()
    o = sim.observables
    p = sim.params
    before = o["day"] < 1.0 - 1e-9
    assert not o["msc_secretome"][before].any()
    expected = _course(p, 2.0, 48)      # hours 1..48 after the infusion (given at the start of day 1)
    for d, v in zip(o["day"][~before], o["msc_secretome"][~before]):
        k = int(round((d - 1.0) * 24.0))
        assert v == (0.0 if k == 0 else pytest.approx(expected[k - 1], rel=1e-9))

    hours = 40 * 24
    msc = p["msc_secretome_expansion_boost"] * np.array(
        [treatment_effects(p, {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)}, s).msc_secretome
         for s in _course(p, 1.0, hours)])
    sysm = Systemic(p, "wt", 1.0)
    taus = level_time_constants(p)
    ev = []
    for h in range(hours):
        sysm.advance_levels(1.0, {"msc_ev": 1.0 if h < 14 * 24 else 0.0}, taus)
        ev.append(p["ev_expansion_boost"] * treatment_effects(p, sysm.levels).ev)
    ev = np.array(ev)
    assert msc.max() > 2.0 * ev.max()
    assert msc.sum() > 1.5 * ev.sum()


def test_the_secretome_potency_is_fitted_to_the_trials_mean_engraftment_difference(monkeypatch):
    """response_to_target with metric engraftment_day: per seed, the engraftment day of the MSC arm minus
    that of the HSCT arm (a seed whose count never fell below the threshold is left out), averaged, and
    the potency scaled until the mean meets Li 2021's -1.275 d."""
    import analysis.calibration as cal
    from analysis.calibration import Entry, load_calibration

    e = next(x for x in load_calibration() if x.name == "msc_secretome_expansion_boost")
    assert (e.species, e.table, e.series, e.scenario, e.reference, e.metric, e.threshold, e.consecutive,
            e.origin_day) == ("human", "li2021_tab2", "msc_effect_days", "h1_human_transplant_msc",
                              "h1_human_transplant", "engraftment_day", 20.0, 3, 1.0)
    assert cal._table_value(e) == pytest.approx(-1.275)

    def fake(base, entry, values, seed):
        msc = any(ev.msc_coinfusion for ev in base.events)
        if msc and seed == 3:
            return None                                     # never below the threshold: left out
        return 17.0 - 2.0 * values[entry.name] if msc else 17.0

    monkeypatch.setattr(cal, "_run_measure", fake)
    assert cal.response_of(e, {e.name: 0.5}) == pytest.approx(-1.0)
    value = cal._fit_response(e, "human", {e.name: 0.5}, rounds=30, log=lambda *_: None)
    assert value == pytest.approx(1.275 / 2.0, rel=1e-3)
    with pytest.raises(ValueError, match="threshold"):
        Entry(name="x", species="human", method="response_to_target", table="li2021_tab2",
              series="msc_effect_days", scenario="h1_human_transplant_msc", observable="platelets",
              window=(0.0, 40.0), metric="engraftment_day")
