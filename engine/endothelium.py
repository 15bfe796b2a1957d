"""The sinusoid endothelium's state each step: integrity (lost to anti-VE-cadherin, and to 5-FU and
irradiation over the days after the dose; regenerating over days) and VCAM-1 (raised by FGF-4), the
adhesion ligand that megakaryocytes' VLA-4 binds when they dock (see :mod:`engine.fates`)."""
from __future__ import annotations

import math

import numpy as np

from .interventions import Effects
from .vessels import VesselNetwork


def update_endothelium(vessels: VesselNetwork, effects: Effects, params, dt: float) -> None:
    """Move integrity toward its target (up with ``vessel_regeneration_days``, down with the
    treatment onset) and VCAM-1 toward its baseline x the FGF-4 factor (``vcam_relax_hours``)."""
    p = params
    v = vessels
    target = effects.integrity_target
    regen = 1.0 - math.exp(-dt / (p["vessel_regeneration_days"] * 24.0))
    fall = 1.0 - math.exp(-dt / p["treatment_onset_hours"])
    below = v.integrity < target
    v.integrity += np.where(below, regen, fall) * (target - v.integrity)
    if v.pending_loss.any():
        # cytotoxic damage develops with time constant vessel_damage_onset_days
        lost = v.pending_loss * (1.0 - math.exp(-dt / (p["vessel_damage_onset_days"] * 24.0)))
        v.integrity *= np.exp(-lost)
        v.pending_loss -= lost
    v.vcam += (v.vcam_base * effects.vcam_target - v.vcam) * (1.0 - math.exp(-dt / p["vcam_relax_hours"]))
