"""How big a scenario's simulation gets, estimated before anything is built; refused over budget.

    est = estimate(params, events, genotype)     # params: name -> value (a ParameterSet works)
    est.agents, est.field_voxels, est.bytes, est.describe()
    check(params, events, genotype, file="my.toml")   # InputError over the budget

The estimate is deliberately generous (an upper bound in ordinary runs, measured against the
arrays a build really allocates in tests/test_budget.py): a scenario is refused only when
it would clearly not fit. What it counts:

* agents: stroma (``car_cells_per_mm3``), HSPCs in niche sites, the MK lineage at twice its
  steady-state size (treatments raise it; the TPO signal saturates at 2), the released-platelet
  display particles, and every donor HSPC and infused MSC the events bring (all at once);
* the SDF-1 field grid (``field_voxel_um``) and the 5 um sinusoid look-up grid of the tile;
* the sinusoid segments and their build lists.

Budget: MEMORY_BUDGET_BYTES of model arrays (the interpreter, numba and Qt come on top) and
AGENT_BUDGET agents. A researcher with a large machine can raise the memory budget with the
environment variable NICHELAB_MEMORY_BUDGET_GB. numpy only.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Iterable, Mapping

from .errors import InputError

#: model memory a simulation may plan for, and the most agents it may plan for
MEMORY_BUDGET_BYTES = 3 * 1024 ** 3
AGENT_BUDGET = 2_000_000
BUDGET_ENV = "NICHELAB_MEMORY_BUDGET_GB"

REFERENCE_TILE_UM3 = 800.0 * 800.0 * 300.0   # the tile the per-dose agent numbers refer to
LOOKUP_VOXEL_UM = 5.0                          # engine.vessels.VesselNetwork's look-up grid
#: bytes per agent slot: the store (79 B) and the per-step scratch arrays (~160 B), with the
#: store's capacity up to twice the live agents (it doubles when full)
BYTES_PER_AGENT = 512
#: bytes per field voxel: values, sources, loss rates (3 x 8 B), the nearest-wall grid made at
#: build time (4 B) and room for a snapshot copy of the values (8 B)
BYTES_PER_FIELD_VOXEL = 40
#: bytes per look-up voxel (an int32 segment index)
BYTES_PER_LOOKUP_VOXEL = 4
#: bytes per sinusoid segment: end points, radius, state arrays, the build's Python lists
BYTES_PER_SEGMENT = 400
#: the MK lineage may grow to this multiple of its steady state under treatment
LINEAGE_HEADROOM = 2.0


@dataclass(frozen=True)
class Estimate:
    agents: int
    field_voxels: int
    lookup_voxels: int
    segments: int
    bytes: int
    #: agents brought by events (donor HSPCs, infused MSCs)
    event_agents: int
    #: the part of the scenario that weighs most: 'tile', 'field' or 'events'
    dominant: str

    def describe(self) -> str:
        return (f"about {_count(self.agents)} agents, {_count(self.field_voxels)} field voxels and "
                f"{_bytes(self.bytes)} of model memory")


def _count(n: float) -> str:
    if n >= 1e6:
        return f"{n / 1e6:.1f} M"
    if n >= 1e4:
        return f"{n / 1e3:.0f} k"
    return f"{int(n)}"


def _bytes(n: float) -> str:
    if n >= 1024 ** 3:
        return f"{n / 1024 ** 3:.1f} GiB"
    return f"{n / 1024 ** 2:.0f} MiB"


def memory_budget() -> int:
    """MEMORY_BUDGET_BYTES, or the NICHELAB_MEMORY_BUDGET_GB environment variable when it is a
    positive number."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if text:
        try:
            gb = float(text)
        except ValueError:
            gb = float("nan")
        if math.isfinite(gb) and gb > 0:
            return int(min(gb, 1e6) * 1024 ** 3)
    return MEMORY_BUDGET_BYTES


def _grid(size: tuple[float, float, float], h: float, least: int) -> tuple[int, int, int]:
    return tuple(max(least, int(math.ceil(s / h))) for s in size)


def _segments(size, spacing: float) -> int:
    cx, cy = (max(2, int(math.ceil(s / spacing - 0.5))) for s in size[:2])
    cz = max(2, int(round(size[2] / spacing)) + 1)
    # bonds along x and y are kept with p 0.8, along z with 0.55
    return int(0.8 * (cx - 1) * cy * cz + 0.8 * cx * (cy - 1) * cz + 0.55 * cx * cy * (cz - 1)) + 1


def _bins_per_segment(spacing: float, radius: float, h: float, cutoff: float) -> int:
    """Bins of 6 x 6 x 6 voxels each segment's box reaches (the candidate lists of the grid build)."""
    reach = 2.0 * (1.25 * radius + cutoff)
    along = math.ceil((1.3 * spacing + reach) / (6.0 * h)) + 1
    across = math.ceil(reach / (6.0 * h)) + 1
    return int(along * across * across)


def _event_agents(ev, p: Mapping[str, float], vol: float) -> tuple[float, float]:
    """(agents brought by the dose, agents brought by the MSC co-infusion) of one event."""
    dose = float(ev.dose if ev.dose is not None else 0.0)
    if ev.kind == "transplant":
        co = float(getattr(ev, "msc_coinfusion", 0.0) or 0.0)
        return (dose * float(p["donor_agents_per_dose_unit"]) * vol, co * float(p["msc_agents_per_dose_unit"]) * vol)
    if ev.kind == "msc":
        return dose * float(p["msc_agents_per_dose_unit"]) * vol, 0.0
    return 0.0, 0.0


def estimate(params: Mapping[str, float], events: Iterable = (), genotype: str = "wt") -> Estimate:
    """Estimate the size of a simulation of these parameters and events (nothing is allocated)."""
    p = params
    size = (float(p["tile_x_um"]), float(p["tile_y_um"]), float(p["tile_z_um"]))
    tile_um3 = size[0] * size[1] * size[2]
    tile_mm3 = tile_um3 * 1e-9
    vol = tile_um3 / REFERENCE_TILE_UM3
    g = 1.0 if genotype == "wt" else float(p["tpo_independent_output"])
    stroma = float(p["car_cells_per_mm3"]) * tile_mm3
    sites = max(1.0, float(p["niche_sites_per_mm3"]) * tile_mm3)
    mk = float(p["mk_baseline_per_mm3"]) * tile_mm3 * max(g, 0.1) * LINEAGE_HEADROOM
    mkp = 0.65 * mk
    cycle_h = float(p["mk_release_hours"]) + 24.0 * float(p["mk_maturation_days"])
    particles = mk * float(p["platelet_particles_per_mk"]) * float(p["platelet_particle_life_hours"]) / cycle_h
    event_agents = sum(sum(_event_agents(ev, p, vol)) for ev in events)
    agents = stroma + sites + mk + mkp + particles + event_agents

    h = float(p["field_voxel_um"])
    field_voxels = math.prod(_grid(size, h, 2))
    lookup_voxels = math.prod(_grid(size, LOOKUP_VOXEL_UM, 1))
    spacing, radius = float(p["vessel_spacing_um"]), float(p["vessel_radius_um"])
    segments = _segments(size, spacing)
    seg_bytes = segments * (BYTES_PER_SEGMENT + 4 * (_bins_per_segment(spacing, radius, LOOKUP_VOXEL_UM, spacing)
                                                     + _bins_per_segment(spacing, radius, h, 0.5 * h)))
    parts = {"tile": agents * BYTES_PER_AGENT - event_agents * BYTES_PER_AGENT + lookup_voxels
             * BYTES_PER_LOOKUP_VOXEL + seg_bytes,
             "field": field_voxels * BYTES_PER_FIELD_VOXEL,
             "events": event_agents * BYTES_PER_AGENT}
    total = sum(parts.values())
    return Estimate(agents=int(math.ceil(agents)), field_voxels=int(field_voxels), lookup_voxels=int(lookup_voxels),
                    segments=int(segments), bytes=int(math.ceil(total)), event_agents=int(math.ceil(event_agents)),
                    dominant=max(parts, key=parts.get))


_ADVICE = {"tile": ("parameters.tile_x_um", "a smaller tile (tile_x_um, tile_y_um, tile_z_um) or lower cell "
                                              "densities"),
           "field": ("parameters.field_voxel_um", "a larger field_voxel_um or a smaller tile"),
           "events": ("events", "smaller transplant or MSC doses (or fewer of them)")}


def check(params: Mapping[str, float], events: Iterable = (), genotype: str = "wt", *,
          file: str | None = None) -> Estimate:
    """The estimate; InputError (with the estimate in the message) when it exceeds the budget."""
    events = list(events)
    est = estimate(params, events, genotype)
    budget = memory_budget()
    if est.bytes <= budget and est.agents <= AGENT_BUDGET:
        return est
    field, advice = _ADVICE[est.dominant]
    if est.dominant == "events" and events:
        vol = float(params["tile_x_um"]) * float(params["tile_y_um"]) * float(params["tile_z_um"]) / REFERENCE_TILE_UM3
        per = [_event_agents(e, params, vol) for e in events]
        i = max(range(len(events)), key=lambda k: max(per[k]))
        field = f"events[{i}]." + ("dose" if per[i][0] >= per[i][1] else "msc_coinfusion")
    raise InputError(f"scenario too large to simulate: {est.describe()}; use {advice}", file=file, field=field,
                     expected=f"at most {_count(AGENT_BUDGET)} agents and {_bytes(budget)} "
                              f"(the budget; {BUDGET_ENV} raises the memory budget)")
