"""Calibration of the two scale constants that tie the tile to the whole body.

* ``platelet_output_scale``: blood count added per platelet released in the
  reference tile, chosen so the WT steady state sits at ``platelet_baseline``.
* ``mk_baseline_per_mm3``: WT megakaryocyte density, the reference for MK
  receptor mass in TPO clearance.

Both follow from a WT run; because TPO feedback depends on them, the run is
repeated until they agree with themselves (a fixed point, 2-4 rounds).
"""
from __future__ import annotations

import numpy as np

from .scenario import Scenario
from .simulation import REFERENCE_TILE_UM3, Simulation


def calibrate(species: str = "mouse", days: float = 30.0, seeds=(1, 2), rounds: int = 4,
              overrides: dict | None = None, log=print) -> dict[str, float]:
    overrides = dict(overrides or {})
    for r in range(rounds):
        rates, mks, plts = [], [], []
        for seed in seeds:
            scn = Scenario(name="calibration", species=species, genotype="wt", days=days, seed=seed,
                           parameters=overrides)
            sim = Simulation.from_scenario(scn)
            sim.run()
            o = sim.observables
            half = len(o) // 3
            rel = o["platelets_released_cum"]
            d = o["day"]
            rates.append((rel[-1] - rel[half]) * 1e6 / ((d[-1] - d[half]) * 24.0))
            mks.append(o["mk"][half:].mean() / sim.tile_mm3)
            plts.append(o["platelets"][half:].mean())
            p = sim.params
            vol_ratio = REFERENCE_TILE_UM3 / sim.tile_um3
        rate = float(np.mean(rates)) * vol_ratio  # platelets/h in the reference tile
        scale = p["platelet_baseline"] / (rate * 1e-6 * p["platelet_lifespan_days"] * 24.0)
        mk_density = float(np.mean(mks))
        log(f"round {r + 1}: platelets {np.mean(plts):.1f} (target {p['platelet_baseline']:g}), "
            f"release {rate:.0f}/h, MK density {mk_density:.0f}/mm3 -> scale {scale:.4g}")
        overrides["platelet_output_scale"] = round(scale, 4)
        overrides["mk_baseline_per_mm3"] = round(mk_density, 1)
    return {"platelet_output_scale": overrides["platelet_output_scale"],
            "mk_baseline_per_mm3": overrides["mk_baseline_per_mm3"]}
