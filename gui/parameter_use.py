"""Which parameters a scenario can feel, and readable names for all of them (no Qt).

A parameter that belongs to a treatment or perturbation acts only when the scenario schedules that
event: sweeping ``fgf4_vcam_gain`` over a scenario without FGF-4 gives the same number at every
point. ``unused_reason`` says why a parameter cannot change a scenario's numbers (None when it can).
The map follows the engine's code (engine/interventions.py, fates.py, endothelium.py,
platelet_particles.py); a parameter missing from it counts as used.
"""
from __future__ import annotations

import re

#: parameter -> event kinds of which at least one must be scheduled for it to act
NEEDS_EVENT: dict[str, tuple[str, ...]] = {
    "il6_maturation_boost": ("il6",), "il6_tpo_induction": ("il6",),
    "il11_maturation_boost": ("il11",),
    "fgf4_vcam_gain": ("fgf4",),
    "sdf1_plasma_to_field": ("sdf1",),
    "cxcr4_block_efficacy": ("cxcr4_block",),
    "vla4_block_efficacy": ("vla4_block",),
    "niche_disruption_integrity_loss": ("niche_disruption",),
    "fu5_kill_mkp": ("fu5",), "fu5_kill_mk": ("fu5",), "fu5_kill_hspc": ("fu5",), "fu5_vessel_damage": ("fu5",),
    "irradiation_d0_hspc_gy": ("irradiation",), "irradiation_d0_mkp_gy": ("irradiation",),
    "irradiation_d0_mk_gy": ("irradiation",), "irradiation_vessel_damage_per_gy": ("irradiation",),
    "vessel_regeneration_days": ("fu5", "irradiation", "niche_disruption"),
    "donor_agents_per_dose_unit": ("transplant",), "transplant_spread_hours": ("transplant",),
    "msc_agents_per_dose_unit": ("msc", "transplant+msc"), "msc_sdf1_factor": ("msc", "transplant+msc"),
    "msc_support_radius_um": ("msc", "transplant+msc"), "msc_expansion_boost": ("msc", "transplant+msc"),
    "msc_homing_boost": ("msc", "transplant+msc"), "msc_half_life_days": ("msc", "transplant+msc"),
    "msc_dose_unit_per_kg": ("msc", "transplant+msc"), "msc_lung_half_life_hours": ("msc", "transplant+msc"),
    "msc_secretome_half_life_hours": ("msc", "transplant+msc"),
    "msc_secretome_half_effect_per_kg": ("msc", "transplant+msc"),
    "msc_secretome_expansion_boost": ("msc", "transplant+msc"),
    "ev_expansion_boost": ("msc_ev",), "ev_homing_boost": ("msc_ev",), "ev_plasma_half_life_hours": ("msc_ev",),
    "ev_marrow_half_life_hours": ("msc_ev",),
    "tpo_agonist_half_life_hours": ("tpo",), "tpo_agonist_volume_ml_per_kg": ("tpo",),
    "tpo_agonist_potency": ("tpo",),
    "gcsf_production_gain": ("gcsf",), "gcsf_maturation_time_factor": ("gcsf",), "gcsf_half_life_hours": ("gcsf",),
    "treatment_onset_hours": ("il6", "il11", "sdf1", "fgf4", "cxcr4_block", "vla4_block", "niche_disruption"),
    # the stem-cell activation, the MK-lineage transit and the (splenic) stress output start with a cytotoxic event
    **dict.fromkeys(("hspc_activation_per_killed_share", "hspc_activation_stages", "hspc_activation_stage_hours",
                     "mk_transit_stages", "mk_transit_stage_hours", "stress_mkp_output", "stress_output_spleen_share",
                     "stress_spleen_lag_hours", "stress_spleen_stages"), ("fu5", "irradiation")),
    # the neutrophils' progenitor transit matters once a cytotoxic event kills it or a graft must refill it
    **dict.fromkeys(("anc_transit_stages", "anc_transit_stage_hours"), ("fu5", "irradiation", "transplant")),
    # the graft's short-term progenitors come with a transplant
    **dict.fromkeys(("graft_short_term_units", "graft_short_term_days", "graft_short_term_myeloid_factor",
                     "graft_myeloid_stages", "graft_myeloid_stage_hours"), ("transplant",)),
}
#: parameters that only change what the 3D view draws
VISUAL_ONLY = {"platelet_particle_flow_um_per_h", "platelet_particle_life_hours", "platelet_particles_per_mk"}

UNIT_WORDS = {"1": "", "h": "h", "d": "days", "um": "\u00b5m", "um/h": "\u00b5m/h", "1/d": "per day",
              "1/h": "per hour", "1/mm3": "per mm\u00b3", "Gy": "Gy", "1/Gy": "per Gy", "pg/mL": "pg/mL",
              "ng/mL": "ng/mL"}


def _kinds(scenario) -> set[str]:
    out = set()
    for e in scenario.events:
        out.add(e.kind)
        if e.kind == "transplant" and e.msc_coinfusion:
            out.add("transplant+msc")
    return out


def unused_reason(name: str, scenario) -> str | None:
    """Why ``name`` cannot change ``scenario``'s numbers, or None."""
    if name in VISUAL_ONLY:
        return f"{name} only changes what the 3D view draws, never a number of the run."
    need = NEEDS_EVENT.get(name)
    if need and not (_kinds(scenario) & set(need)):
        from engine import EVENT_KINDS

        labels = sorted({EVENT_KINDS[k.split("+")[0]][0] + (" with MSC co-infusion" if "+" in k else "")
                         for k in need})
        return (f"{name} acts only when the scenario schedules {' or '.join(labels)}; "
                f"\u201c{scenario.name}\u201d does not, so every point will give the same result.")
    if name == "tpo_receptor_clearance_fraction" and scenario.genotype == "mpl_ko":
        return None
    return None


def readable_name(p) -> str:
    """A parameter's description as a short label ("Model time step for agents, fields and ODEs")."""
    text = re.split(r"[;(]", p.description)[0].strip().rstrip(".")
    return text[:1].upper() + text[1:] if text else p.name


def unit_text(unit: str) -> str:
    """Unit as people write it ('' for a plain number)."""
    from .palette import pretty_unit

    if unit in UNIT_WORDS:
        return UNIT_WORDS[unit]
    return pretty_unit(unit)
