"""What every treatment and perturbation does -- the one place to look for an event kind's effects.

Continuous treatments (IL-6, IL-11, SDF-1, FGF-4, MSC-EVs, G-CSF) and perturbations (anti-VE-cadherin,
CXCR4 block, VLA-4 block) act through a plasma level (:mod:`engine.systemic`); each step
:func:`treatment_effects` turns the levels into the factors the rest of the model reads:

=====================  =================================================================
IL-6, IL-11            MK maturation speed (fates); IL-6 also hepatic TPO production (systemic)
SDF-1                  SDF-1 entering the marrow at the sinusoid walls (sdf1_sources)
FGF-4                  VCAM-1 on the sinusoid endothelium (endothelium), hence MK adhesion (fates)
MSC-EVs                HSPC self-renewal and the survival of homing HSPCs (fates)
MSC secretome          HSPC self-renewal (fates): the factors the lung-held MSCs secrete
                       (engine.msc_secretome)
G-CSF                  neutrophil production and maturation time (engine.neutrophils)
anti-VE-cadherin       sinusoid integrity (endothelium)
CXCR4 block            chemotaxis (motility) and SDF-1 activation of VLA-4 (fates)
VLA-4 block            MK docking, staying docked, niche-supported MkP division (fates)
=====================  =================================================================

Instant events are given by :func:`give`: 5-FU and irradiation kill cells (:func:`kill_probabilities`,
:func:`event_kill`: megakaryocytes still in endomitosis as MK progenitors, those past it by their own
rate; the neutrophils' proliferating compartment loses the MK progenitors' share) and
damage sinusoids (:func:`vessel_damage`); a transplant infuses donor HSPCs over a few hours; an MSC
infusion (or MSC co-infusion with a transplant) adds the few MSCs that reach the marrow next to
sinusoids and the rest to the lung load that makes the plasma secretome (:mod:`engine.msc_secretome`);
a TPO-agonist injection (PEG-MGDF) adds Mpl ligand to plasma (:meth:`engine.systemic.Systemic.inject_tpo_agonist`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from . import agents as A
from .agents import HSPC, LODGED, MK, release
from .rng import S_EVENT, uniform
from .scenario import Event
from .msc_secretome import secretome_effect
from .systemic import LEVEL_KINDS, emax
from .world import DONOR_WALL_GAP_UM, MSC_WALL_GAP_UM, add_agents

#: random streams of the instant events (each kind its own)
S_KILL_FU5 = S_EVENT + 1
S_KILL_IRRADIATION = S_EVENT + 2
#: purposes of the per-step infusion generators (see :func:`event_rng`)
R_DONOR_COUNT, R_MSC, R_DONOR_PLACE = 1, 2, 3


@dataclass(frozen=True)
class Effects:
    """The treatments' effects at one step, as factors the mechanisms read (1 or 0: no effect)."""
    maturation_boost: float     # added to 1 in the MK maturation speed (IL-6 + IL-11)
    tpo_production: float       # hepatic TPO production x this (IL-6)
    wall_sdf1: float            # SDF-1 secreted per wall voxel, endothelium + exogenous (ng/mL/h)
    vcam_target: float          # endothelial VCAM-1 target x this (FGF-4)
    integrity_target: float     # sinusoid integrity tends to this (anti-VE-cadherin)
    cxcr4: float                # CXCR4 activity left (CXCR4 block)
    vla4: float                 # VLA-4 activity left (VLA-4 block)
    ev: float                   # MSC-EV effect E(marrow level), 0..2
    msc_secretome: float = 0.0  # MSC secretome effect E(plasma level / half-effect load), 0..2
    gcsf: float = 0.0           # G-CSF effect E(plasma level), 0..2 (neutrophils)


def treatment_effects(params, levels: dict[str, float], secretome_level: float = 0.0) -> Effects:
    """This step's effects from the plasma (and tissue) levels and the plasma level of the MSC
    secretome (10^6 MSCs/kg, :class:`engine.msc_secretome.MscSecretome`)."""
    p = params
    return Effects(
        maturation_boost=p["il6_maturation_boost"] * emax(levels["il6"]) + p["il11_maturation_boost"] * emax(
            levels["il11"]),
        tpo_production=1.0 + p["il6_tpo_induction"] * emax(levels["il6"]),
        wall_sdf1=p["sdf1_endothelial_secretion"] + p["sdf1_plasma_to_field"] * emax(levels["sdf1"]),
        vcam_target=1.0 + p["fgf4_vcam_gain"] * emax(levels["fgf4"]),
        integrity_target=1.0 - min(1.0, p["niche_disruption_integrity_loss"] * emax(levels["niche_disruption"])),
        cxcr4=1.0 - min(1.0, p["cxcr4_block_efficacy"] * emax(levels["cxcr4_block"])),
        vla4=1.0 - min(1.0, p["vla4_block_efficacy"] * emax(levels["vla4_block"])),
        ev=emax(levels["msc_ev_marrow"]),
        msc_secretome=secretome_effect(p, secretome_level),
        gcsf=emax(levels["gcsf"]),
    )


def msc_standard_count(params, volume_scale: float) -> float:
    """Infused MSCs a standard dose (1) brings into a tile of ``volume_scale`` default tiles."""
    return params["msc_agents_per_dose_unit"] * volume_scale


def msc_homing_effect(params, n_msc: int, volume_scale: float) -> float:
    """Effect of the infused MSCs in the tile on the survival of homing HSPCs: E(n / n_std) (section
    3's saturating E), with n_std the number a standard dose brings (:func:`msc_standard_count`);
    0 without MSCs, 1 at the standard dose's number, never more than 2."""
    n_std = msc_standard_count(params, volume_scale)
    return emax(n_msc / n_std) if n_msc > 0 and n_std > 0 else 0.0


def level_time_constants(params) -> dict[str, float]:
    """Time constant (h) with which each plasma level follows its dose: the treatments' onset, and
    the MSC-EVs' and G-CSF's plasma half-lives; and the marrow EV level's retention half-life."""
    taus = {k: params["treatment_onset_hours"] for k in LEVEL_KINDS}
    taus["msc_ev"] = params["ev_plasma_half_life_hours"] / math.log(2.0)
    taus["gcsf"] = params["gcsf_half_life_hours"] / math.log(2.0)
    taus["msc_ev_marrow"] = params["ev_marrow_half_life_hours"] / math.log(2.0)
    return taus


# ----------------------------------------------------------------------------- cytotoxic events
def kill_probabilities(event: Event, params) -> dict[str, float]:
    """Death probability per cell kind of a cytotoxic event (5-FU: per 150 mg/kg, compounded
    over the dose; irradiation: exponential survival with a D0 per kind). ``mk``: megakaryocytes
    past endomitosis; ``mk_endomitosis``: those still in it (:func:`event_kill`), which irradiation
    kills as it kills MK progenitors (Tanum 1984: after 2 Gy the 2N-8N megakaryocytes fell at once,
    the 16N-64N ones stayed at their number for 4 days) and 5-FU as it kills the others."""
    if event.kind == "fu5":
        dose = float(event.dose)

        def p(base):
            return 1.0 - (1.0 - base) ** dose

        mk = p(params["fu5_kill_mk"])
        return {"hspc": p(params["fu5_kill_hspc"]), "mkp": p(params["fu5_kill_mkp"]), "mk": mk, "mk_endomitosis": mk}
    if event.kind == "irradiation":
        gy = float(event.dose)
        mkp = 1.0 - math.exp(-gy / params["irradiation_d0_mkp_gy"])
        return {"hspc": 1.0 - math.exp(-gy / params["irradiation_d0_hspc_gy"]), "mkp": mkp,
                "mk": 1.0 - math.exp(-gy / params["irradiation_d0_mk_gy"]), "mk_endomitosis": mkp}
    return {}


def vessel_damage(event: Event, params) -> float:
    """Fraction of sinusoid integrity a cytotoxic event takes at once (before each segment's
    susceptibility)."""
    if event.kind == "fu5":
        return min(1.0, params["fu5_vessel_damage"] * min(float(event.dose), 1.5))
    if event.kind == "irradiation":
        return min(0.95, params["irradiation_vessel_damage_per_gy"] * float(event.dose))
    return 0.0


@njit(cache=True, nogil=True)
def event_kill(kind, state, link, maturity, members, p_kill, p_mk_endomitosis, endo_share, seed, step,
               stream, occupant, free, top):
    """Kill agents with a per-kind probability p_kill[kind] (5-FU, irradiation); a megakaryocyte
    still in endomitosis (``maturity`` below ``endo_share``: it is still synthesising DNA) with
    ``p_mk_endomitosis`` instead. One draw per agent whatever its probability.

    Returns the number killed per kind (array of 6)."""
    killed = np.zeros(6, np.int64)
    for m in range(members.size):
        i = members[m]
        k = kind[i]
        if k < 0 or k >= p_kill.size:
            continue
        p = p_mk_endomitosis if (k == MK and maturity[i] < endo_share) else p_kill[k]
        if uniform(seed, step, i, stream) < p:
            if k == HSPC and state[i] == LODGED and link[i] >= 0:
                occupant[link[i]] = -1
            release(kind, free, top, i)
            killed[k] += 1
    return killed


def _cytotoxic(sim, event: Event) -> None:
    probs = kill_probabilities(event, sim.params)
    pk = np.zeros(6)
    pk[A.HSPC], pk[A.MKP], pk[A.MK] = probs["hspc"], probs["mkp"], probs["mk"]
    st = sim.store
    event_kill(st.kind, st.state, st.link, st.maturity, sim.living(), pk, probs["mk_endomitosis"],
               sim.params["mk_endomitosis_share"], sim.seed, sim.step_index,
               S_KILL_FU5 if event.kind == "fu5" else S_KILL_IRRADIATION, sim.occupant, st.free, st.top)
    sim.systemic.injure(probs["hspc"])
    sim.systemic.kill_transit(probs["mkp"])    # the cycling progenitors between stem cells and MkPs
    sim.neutrophils.kill(probs["mkp"])    # the cycling neutrophil progenitors, as MK progenitors
    v = sim.vessels
    # the damage develops over the following days (engine.endothelium): -log of the surviving share
    v.pending_loss -= np.log(np.clip(1.0 - vessel_damage(event, sim.params) * v.damage_scale, 1e-6, 1.0))


# ----------------------------------------------------------------------------- infusions
def event_rng(seed: int, purpose: int, step: int) -> np.random.Generator:
    """A generator of its own for each kind of infusion at each step, so that arms of an
    experiment with the same seed get the same donor cells whether or not MSCs are co-infused."""
    return np.random.default_rng([seed, purpose, step])


def stochastic_round(x: float, rng) -> int:
    base = int(math.floor(x))
    return base + (1 if rng.uniform() < x - base else 0)


def _transplant(sim, event: Event) -> None:
    """Donor HSPCs (``donor_agents_per_dose_unit`` per dose unit in the default tile) arrive in
    equal parts over ``transplant_spread_hours`` (see :func:`infuse_due`)."""
    p = sim.params
    n = stochastic_round(float(event.dose) * p["donor_agents_per_dose_unit"] * sim.tile.volume_scale,
                         event_rng(sim.seed, R_DONOR_COUNT, sim.step_index))
    hours = max(1, int(round(p["transplant_spread_hours"] / sim.dt)))
    base, extra = divmod(n, hours)
    for h in range(hours):
        c = base + (1 if h < extra else 0)
        if c:
            sim.pending_infusions.append((sim.time_hours + h * sim.dt, A.HSPC, c))
    if event.msc_coinfusion > 0:
        infuse_msc(sim, event.msc_coinfusion)


def infuse_msc(sim, dose: float) -> None:
    """MSCs (``msc_agents_per_dose_unit`` per dose unit in the default tile) settle next to
    sinusoid walls; the rest, held in the lungs, add to the lung load that secretes into the blood."""
    sim.msc_secretome.infuse(sim.params, dose)
    rng = event_rng(sim.seed, R_MSC, sim.step_index)
    n = stochastic_round(dose * sim.params["msc_agents_per_dose_unit"] * sim.tile.volume_scale, rng)
    if n:
        add_agents(sim.store, A.MSC, sim.tile.perivascular_points(n, MSC_WALL_GAP_UM, rng), origin=A.DONOR)


def infuse_due(sim, t_end: float) -> None:
    """Donor cells of a transplant whose arrival falls before ``t_end`` enter the tile next to
    sinusoid walls (extravasated), homing."""
    keep = []
    for (t, kind, count) in sim.pending_infusions:
        if t < t_end - 1e-9:
            pts = sim.tile.perivascular_points(count, DONOR_WALL_GAP_UM,
                                               event_rng(sim.seed, R_DONOR_PLACE, sim.step_index))
            add_agents(sim.store, kind, pts, origin=A.DONOR, state=A.FREE)
            if kind == A.HSPC:
                sim.systemic.add_graft(count)
        else:
            keep.append((t, kind, count))
    sim.pending_infusions = keep


def give(sim, event: Event) -> None:
    """Give an instant event (5-FU, irradiation, transplant, MSC infusion, a TPO-agonist injection) now."""
    if event.kind in ("fu5", "irradiation"):
        _cytotoxic(sim, event)
    elif event.kind == "transplant":
        _transplant(sim, event)
    elif event.kind == "msc":
        infuse_msc(sim, float(event.dose))
    elif event.kind == "tpo":
        sim.systemic.inject_tpo_agonist(float(event.dose))
