"""SDF-1 field solver speed: voxel-updates per second at three grid sizes.

A voxel-update is one voxel advanced one time step: the exact reaction (secretion, decay, uptake)
and the three implicit line sweeps (x, y, z) of the LOD diffusion step. Sources and loss rates
are laid out like the model's (a fifth of the voxels secrete: sinusoid walls and stroma; about 1%
hold consuming cells); D, dt and voxel size are the defaults. The grids are those of the default
tile (800 x 800 x 300 um), the ~30k-agent tile and the ~100k-agent tile.
"""
from __future__ import annotations

import time

import numpy as np

from .stats import inverse, summary

GRIDS = ((80, 80, 30), (240, 240, 30), (300, 300, 64))
QUICK_GRIDS = ((40, 40, 30), (80, 80, 30))


def _field(shape):
    from engine.field import DiffusionField
    from engine.parameters import ParameterSet

    p = ParameterSet("mouse")
    f = DiffusionField(shape, p["field_voxel_um"], p["sdf1_diffusion_um2_per_h"], p["dt_hours"])
    rng = np.random.default_rng(7)
    f.reset_rates(p["sdf1_decay_per_h"])
    f.source[rng.random(shape) < 0.2] = 0.05
    f.lam[rng.random(shape) < 0.01] += 0.5
    f.values[:] = rng.random(shape)
    return f


def run(opts) -> dict:
    from . import numpy_reference

    grids = QUICK_GRIDS if opts.quick else GRIDS
    repeats = 3 if opts.quick else 7
    rows = []
    for shape in grids:
        f = _field(shape)
        nvox = int(np.prod(shape))
        steps = max(1, int(2e7 // nvox)) if not opts.quick else 2
        f.step()  # warm-up
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps):
                f.step()
            times.append((time.perf_counter() - t0) / steps)
        row = {"shape": list(shape), "voxels": nvox, "steps_per_repeat": steps,
               "step_ms": summary(1e3 * np.array(times)),
               "voxel_updates_per_s": inverse(summary(times), nvox)}
        if shape == grids[-2 if len(grids) > 1 else 0]:  # NumPy LOD on one grid, for the ratio
            g = _field(shape)
            nt = []
            for _ in range(2 if opts.quick else 3):
                t0 = time.perf_counter()
                numpy_reference.field_step(g.values, g.source, g.lam, g.dt, g.factors, g.a)
                nt.append(time.perf_counter() - t0)
            row["numpy_step_ms"] = summary(1e3 * np.array(nt))
            row["numpy_voxel_updates_per_s"] = inverse(summary(nt), nvox)
            row["speedup_over_numpy"] = float(np.median(nt) / np.median(times))
        rows.append(row)
        opts.log(f"field: {shape}: {row['voxel_updates_per_s']['median'] / 1e6:.0f} M voxel-updates/s")
    return {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " "), "grids": rows}
