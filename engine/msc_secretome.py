"""The paracrine (systemic) route of infused MSCs: what the MSCs held in the lungs secrete into the blood.

Most intravenously infused MSCs never reach the marrow: they are held in the lungs, where they die
or are cleared within about a day (Lee RH et al. 2009 Cell Stem Cell 5:54: after 2 x10^6 human MSCs
i.v. in mice most were lung emboli, which disappeared with a half-life of about 24 h, and fewer than
1000 cells reached six other tissues; Eggenhofer et al. 2012 Front Immunol 3:297: viable MSCs only in
the lungs, up to 24 h). Yet co-infusion speeds engraftment while culture-expanded MSCs are barely
found in the recipient's marrow (Noort et al. 2003 Exp Hematol 31:881), and lung-held MSCs act at a
distance by what they secrete (Lee 2009: TSG-6). The factors MSCs secrete that act on HSPCs are
those of the niche: SCF, FLT3 ligand, IL-6, TPO, GM-CSF and CXCL12 (Majumdar et al. 1998 J Cell
Physiol 176:57; review: Li T & Wu Y 2011 Bone Marrow Res 2011:353878, Table 1).

The model keeps two numbers (both in 10^6 MSCs per kg body weight, the clinical dose unit):

* the **lung load** L: each infusion adds ``dose x msc_dose_unit_per_kg`` (mouse: 10^6 MSCs per
  25 g mouse = 40 x10^6/kg; human: 10^6/kg); it decays with half-life ``msc_lung_half_life_hours``;
* the **plasma secretome level** S, the load whose secretion the plasma factors balance: it follows L
  with the factors' own plasma half-life ``msc_secretome_half_life_hours``
  (dS/dt = k_f (L - S)), so S = L at steady state and S = 0 without MSCs.

Per kg makes the plasma level comparable between species (secretion grows with the cells, the
factors' volume of distribution and clearance with body mass). The level acts through section 3's
saturating effect ``E(S / msc_secretome_half_effect_per_kg)`` on the self-renewal of lodged HSPCs
(:func:`engine.interventions.treatment_effects`, :func:`engine.fates.fate_parameters`). Both ODEs are
linear and integrated exactly over a step.
"""
from __future__ import annotations

import math

from .systemic import emax


class MscSecretome:
    """Lung load and plasma secretome level of infused MSCs (10^6 MSCs/kg). The parameters are read
    at each call, so a parameter changed during a run acts from the next step."""

    def __init__(self) -> None:
        self.lung = 0.0
        self.level = 0.0

    def infuse(self, params, dose: float) -> None:
        """An MSC infusion of ``dose`` standard doses: nearly all of it is held in the lungs (the ~1%
        that reaches the marrow, :func:`engine.interventions.infuse_msc`, is not taken off)."""
        self.lung += max(float(dose), 0.0) * params["msc_dose_unit_per_kg"]

    def advance(self, params, dt: float) -> None:
        """Advance both by ``dt`` hours (exact: L decays, S relaxes towards the decaying L)."""
        if self.lung == 0.0 and self.level == 0.0:
            return
        kl = math.log(2.0) / params["msc_lung_half_life_hours"]
        kf = math.log(2.0) / params["msc_secretome_half_life_hours"]
        el, ef = math.exp(-kl * dt), math.exp(-kf * dt)
        if abs(kf - kl) > 1e-12 * kf:
            gain = kf / (kf - kl) * (el - ef)
        else:
            gain = kf * dt * ef
        self.level = self.level * ef + self.lung * gain
        self.lung *= el

    def effect(self, params) -> float:
        """E(S / msc_secretome_half_effect_per_kg): 0 without MSCs, 1 at the half-effect load, at most 2."""
        return secretome_effect(params, self.level)


def secretome_effect(params, level: float) -> float:
    """Section 3's saturating effect of a plasma secretome level (10^6 MSCs/kg)."""
    return emax(level / params["msc_secretome_half_effect_per_kg"])
