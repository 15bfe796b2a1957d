"""Infused MSCs act on HSPCs in proportion to their number (engine/fates.py, engine/interventions.py):
lodged HSPCs self-renew faster with the summed, distance-weighted factor level of the MSCs near them
(saturating), and homing HSPCs survive longer with the number of MSCs in the tile relative to a
standard dose's (saturating)."""
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
