"""The biology behind each control, in one or two sentences (tooltips and help)."""
from __future__ import annotations

EVENT_TIPS = {
    "il6": "IL-6: an inflammatory cytokine that speeds megakaryocyte maturation (ploidy, size). It cannot "
           "replace TPO-driven expansion or bring cells to the sinusoids, so it does not rescue Thpo-/- or "
           "Mpl-/- mice (Avecilla et al. 2004).",
    "il11": "IL-11: like IL-6, enhances megakaryocyte maturation but not their expansion or relocation to "
            "the vascular niche; no rescue of Thpo-/- or Mpl-/- platelet counts (Avecilla et al. 2004).",
    "sdf1": "SDF-1 (CXCL12): chemokine that draws CXCR4+ megakaryocyte progenitors to the sinusoidal "
            "endothelium. Giving more of it relocates megakaryocytes to the vascular niche and restores "
            "platelets even without TPO (Avecilla et al. 2004).",
    "fgf4": "FGF-4: raises VCAM-1 on sinusoidal endothelium; megakaryocytes bind it through VLA-4, dock and "
            "release platelets. Restores thrombopoiesis in Thpo-/- and Mpl-/- mice (Avecilla et al. 2004).",
    "msc": "Mesenchymal stromal cells given as a cell therapy: most are held in the lungs for about a day and "
           "act through the factors they secrete into the blood, which speed HSC self-renewal; the few that "
           "reach the marrow settle near vessels, secrete SDF-1 and help the HSCs near them home, survive "
           "and expand.",
    "msc_ev": "Extracellular vesicles released by MSCs carry their proteins and miRNAs: a cell-free, smaller "
              "and shorter-lived version of the MSC effect.",
    "tpo": "A TPO-receptor agonist (pegylated MGDF, a short form of thrombopoietin) given as one injection: "
           "it adds to the plasma TPO acting on Mpl, so MK progenitors expand, new megakaryocytes reach a "
           "higher ploidy and platelets rise within days (Daw et al. 1998). Thpo-/- mice answer it; Mpl-/- "
           "mice, which lack the receptor, do not.",
    "gcsf": "G-CSF (filgrastim), the growth factor given daily after chemotherapy or a transplant (dose 1 = "
            "5 ug/kg a day, the usual dose in patients; the transplant trials gave 10, dose 2): it "
            "expands the marrow's dividing neutrophil precursors and shortens the days the new neutrophils "
            "spend maturing (Price et al. 1996), so neutrophils come back days sooner. It acts on the "
            "neutrophils only: platelets recover as fast as without it (Bishop et al. 2000).",
    "fu5": "5-fluorouracil: a chemotherapy that kills cycling cells (progenitors, cycling HSCs) and damages "
           "sinusoids. Platelets fall, then recover as the marrow and its vessels regenerate.",
    "irradiation": "Total-body irradiation (conditioning before a transplant) kills host HSCs and progenitors "
                   "in a dose-dependent way and damages sinusoids; about 9.5 Gy is lethal for a mouse "
                   "without a transplant.",
    "niche_disruption": "Anti-VE-cadherin antibody breaks the sinusoidal endothelium: megakaryocytes lose "
                        "their vascular niche and platelet production falls (Avecilla et al. 2004).",
    "cxcr4_block": "CXCR4 antagonist: megakaryocytes can no longer follow the SDF-1 gradient to the "
                   "sinusoids, so fewer reach the vascular niche and platelet output falls.",
    "vla4_block": "VLA-4 blocking antibody: megakaryocytes cannot bind VCAM-1 on the sinusoids, so they do "
                  "not dock and release fewer platelets.",
    "transplant": "Infuse donor HSCs: they home to free niches (SDF-1/CXCR4), engraft, self-renew and rebuild "
                  "blood production. More cells give faster platelet recovery; without conditioning there "
                  "are few free niches.",
    "msc_coinfusion": "Co-infuse MSCs with the graft: extra SDF-1 sources and niche support speed homing and "
                      "early donor engraftment.",
}

DOSE_TIP = "Dose ({unit}). 1 is the standard dose used in the source experiments."
START_TIP = ("Day the treatment starts (day 0 = start of the scenario). During a run, a change is scheduled "
             "from the current day.")
DURATION_TIP = "How many days the treatment is given; its level then decays."
INSTANT_TIP = "Given once, on the start day."

GENOTYPE_TIPS = {
    "wt": "Wild type: TPO from the liver drives progenitor expansion; SDF-1 and VCAM-1 bring megakaryocytes "
          "to the sinusoids.",
    "thpo_ko": "Thpo-/-: no thrombopoietin is made. Progenitor expansion collapses and platelets fall to "
               "about 10-15% of normal (Bunting et al. 1997).",
    "mpl_ko": "Mpl-/-: TPO is made but its receptor Mpl is missing, so cells cannot respond; plasma TPO is "
              "high because receptors on platelets and megakaryocytes normally clear it.",
}
GENOTYPE_LABELS = {"wt": "Wild type", "thpo_ko": "Thpo\u2212/\u2212 (no TPO)",
                   "mpl_ko": "Mpl\u2212/\u2212 (no TPO receptor)"}

SPECIES_TIPS = {
    "mouse": "Mouse: all source experiments are murine. Platelets ~1,000 x10\u00b3/\u00b5L, platelet "
             "lifespan 4-5 days.",
    "human": "Human: for transplant-recovery teaching. Platelets 150-450 x10\u2079/L, lifespan 8-10 days; "
             "platelet engraftment is the first of 3 days >= 20 x10\u2079/L, neutrophil engraftment the first "
             "of 3 days with ANC >= 0.5 x10\u2079/L.",
}

RUN_TIPS = {
    "play": "Run or pause the simulation (Space).",
    "step": "Advance one time step (Right arrow or S).",
    "reset": "Start again from day 0 with the settings in the panels (R or Ctrl+R).",
    "speed": "How fast simulated time runs: simulated hours per real second. 'Max' runs as fast as the "
             "computer allows.",
    "seed": "Random seed: the same scenario and seed always give identical numbers. Changing it applies at "
            "the next reset.",
    "days": "How many days the scenario runs; the plots span this range.",
}

VIEW_TIPS = {
    "field": "Show the SDF-1 (CXCL12) concentration: on a horizontal slice, as the surface where it reaches "
             "a chosen level (isosurface), or as a glowing volume (when PyOpenGL is installed). Stromal CAR cells and the sinusoid walls "
             "secrete it; megakaryocyte progenitors climb its gradient. The colour range follows the data "
             "(F toggles the slice).",
    "slice": "Height of the SDF-1 slice above the bone surface (\u00b5m).",
    "iso": "SDF-1 level of the surface, as a share of the colour range: the surface encloses the marrow "
           "where SDF-1 is higher.",
    "camera": "Put the camera back to the view of the preset (Home). Drag to rotate, scroll to zoom, "
              "Shift+drag to pan.",
    "preset": "What the view shows: an overview, megakaryocytes and their sinusoids up close, or stem cells "
              "and their niches. The legend below switches single cell classes on and off.",
    "section": "Show the whole tile, or only a section through its middle that faces you (like a thick "
               "histological slice): fewer cells in front of each other. It turns with the camera.",
    "depth": "Depth cue: cells far from the camera fade towards the background, so that near cells stand "
             "out of the crowd.",
    "replay": "Scrub back through the run: the view shows the cells as they were (one stored picture per "
              "sampling interval). Press Live or Play to return to the running simulation.",
}

#: the mouse hints in the 3D view's corner, most important first (a narrow view shows the first ones)
VIEW_HINTS = ["Click a cell: inspect", "drag: rotate", "scroll: zoom", "Shift+drag: pan"]


def count_text(n: float, one: str, many: str, fmt: str = "{:,.0f}") -> str:
    """``n`` formatted with ``fmt`` and the word that goes with the number shown: "1 cell", "0 cells",
    "2.5 cells" (the shown number decides, so 0.6 frames/s reads "1 frame/s")."""
    shown = fmt.format(n)
    return f"{shown} {one if shown == '1' else many}"
