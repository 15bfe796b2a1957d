"""Benchmark workloads: the default scenario scaled to a chosen number of agents, and step timing.

How the agent count is reached (also written into every result): the default mouse WT tile
(800 x 800 x 300 um) keeps its cell densities and grows in x and y (up to the 3000 um maximum),
then in depth z (up to 1000 um); beyond that tile the stroma and niche-site densities
(car_cells_per_mm3, niche_sites_per_mm3; the MK lineage follows the niche sites) are raised by the
missing factor. The agent density is measured on a pilot run of the default tile with the same
equilibration, so the count lands near the target; the count of cells actually simulated (the
released-platelet display particles live in a buffer of their own and are not counted) is what every
rate is computed from.
"""
from __future__ import annotations

import math
import time
from functools import lru_cache

from .stats import summary

SCENARIO = "wt_steady_state"
DEFAULT_TILE = (800.0, 800.0, 300.0)
MAX_XY, MAX_Z = 3000.0, 1000.0
SPINUP_DAYS = 1.0   # equilibration of the benchmark tiles (the population starts near steady state)


def _scenario(overrides: dict):
    from engine import load_scenario

    scn = load_scenario(SCENARIO)
    return scn.copy_with(parameters={**scn.parameters, **overrides})


@lru_cache(maxsize=4)
def agent_density_per_mm3(spinup_days: float = SPINUP_DAYS) -> float:
    """Agents per mm^3 of the default tile after ``spinup_days`` (pilot run)."""
    from engine import Simulation

    sim = Simulation.from_scenario(_scenario({"spinup_days": spinup_days}), seed=1)
    return sim.store.n_alive / (sim.tile_mm3)


def overrides_for(n_target: int, spinup_days: float = SPINUP_DAYS) -> tuple[dict, str]:
    """Parameter overrides giving about ``n_target`` agents, and how (one sentence)."""
    from engine.parameters import ParameterSet

    rho = agent_density_per_mm3(spinup_days)
    vol_um3 = n_target / rho * 1e9
    z = DEFAULT_TILE[2]
    xy = math.sqrt(vol_um3 / z)
    factor = 1.0
    if xy > MAX_XY:
        xy = MAX_XY
        z = vol_um3 / (xy * xy)
        if z > MAX_Z:
            z = MAX_Z
            factor = vol_um3 / (xy * xy * z)
    xy = max(200.0, round(xy / 10.0) * 10.0)
    z = max(100.0, round(z / 10.0) * 10.0)
    over = {"tile_x_um": xy, "tile_y_um": xy, "tile_z_um": z, "spinup_days": spinup_days}
    how = f"tile {xy:g} x {xy:g} x {z:g} um at default cell densities"
    if factor > 1.0:
        base = ParameterSet("mouse")
        over["car_cells_per_mm3"] = round(base["car_cells_per_mm3"] * factor, 1)
        over["niche_sites_per_mm3"] = round(base["niche_sites_per_mm3"] * factor, 1)
        how = (f"tile {xy:g} x {xy:g} x {z:g} um (the largest) with stroma and niche-site densities "
               f"x{factor:.2f}")
    return over, how


def build(n_target: int, seed: int = 1, spinup_days: float = SPINUP_DAYS):
    """(simulation, description, build seconds) for about ``n_target`` agents."""
    from engine import Simulation

    over, how = overrides_for(n_target, spinup_days)
    t0 = time.perf_counter()
    sim = Simulation.from_scenario(_scenario(over), seed=seed)
    return sim, {"target_agents": n_target, "how": how, "overrides": over}, time.perf_counter() - t0


def time_steps(sim, steps: int, repeats: int) -> dict:
    """Run ``repeats`` blocks of ``steps`` steps; per block the wall time per step of each phase.

    Returns {"agents": mean agents per step, "step_ms": summary, "phase_ms": {phase: summary},
    "agent_phase_ms": summary of movement + fates (the cells' phases: DESIGN.md section 5 counts
    movement, neighbours and fate, not the display particles), "with_particles_ms": summary of
    movement + fates + the display particles' phase}.
    """
    from engine.simulation import PHASES

    blocks = {p: [] for p in PHASES}
    whole, agent_part, with_particles, agents = [], [], [], []
    for _ in range(repeats):
        for k in sim.phase_seconds:
            sim.phase_seconds[k] = 0.0
        sim.phase_agent_updates = 0
        t0 = time.perf_counter()
        sim.advance(steps * sim.dt)
        el = time.perf_counter() - t0
        ph = sim.phase_seconds
        for p in PHASES:
            blocks[p].append(1e3 * ph[p] / steps)
        whole.append(1e3 * el / steps)
        agent_part.append(1e3 * (ph["movement"] + ph["fates"]) / steps)
        with_particles.append(1e3 * (ph["movement"] + ph["fates"] + ph["platelets"]) / steps)
        agents.append(sim.phase_agent_updates / steps)
    return {"agents": float(sum(agents) / len(agents)), "step_ms": summary(whole),
            "phase_ms": {p: summary(v) for p, v in blocks.items()}, "agent_phase_ms": summary(agent_part),
            "with_particles_ms": summary(with_particles)}
