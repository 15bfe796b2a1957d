"""Building the marrow tile: its geometry (sinusoids, SDF-1 grid, neighbour grid, niche sites)
and the cells it starts with (stroma, HSPCs in their niches, the megakaryocyte lineage).

Everything here runs once per run, before the spin-up; the random draws come from the run's
set-up generator in a fixed order, so a scenario and seed always build the same tile.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from . import agents as A
from .agents import AgentStore
from .cell_lists import CellGrid
from .fates import ploidy_class, ploidy_log2_mode
from .field import DiffusionField
from .vessels import VesselNetwork, nearest_segment_grid

#: the default tile (800 x 800 x 300 um): whole-body numbers are scaled from it
REFERENCE_TILE_UM3 = 800.0 * 800.0 * 300.0

#: (lowest, highest) distance of new cells from where they are placed, um
STROMA_WALL_GAP_UM = (3.0, 12.0)          # perivascular CAR cells, outside a sinusoid wall
STROMA_BONE_HEIGHT_UM = (6.0, 20.0)       # endosteal CAR cells, above the bone
SITE_BONE_HEIGHT_UM = (8.0, 22.0)         # endosteal niche sites
SITE_WALL_GAP_UM = (6.0, 16.0)            # perivascular niche sites
MSC_WALL_GAP_UM = (4.0, 14.0)             # infused MSCs settle outside sinusoid walls
DONOR_WALL_GAP_UM = (1.0, 6.0)            # extravasated donor HSPCs
EDGE_MARGIN_UM = 8.0                      # placed cells keep this far from the tile's faces


@dataclass
class Tile:
    """The fixed geometry of one run's tile (the vessels' integrity and VCAM-1 and the field's
    values change during the run; their layout does not)."""
    size: np.ndarray            # (3,) tile edges, um
    vessels: VesselNetwork
    field: DiffusionField       # SDF-1, ng/mL
    wall_voxels: np.ndarray     # flat indices of the field voxels at a sinusoid wall
    wall_segments: np.ndarray   # the sinusoid segment of each wall voxel
    radii: np.ndarray           # [hspc, mkp, mk_min, mk_max, stroma] radius, um
    grid: CellGrid              # neighbour search
    sites: np.ndarray           # (n, 3) HSPC niche sites

    @property
    def um3(self) -> float:
        return float(np.prod(self.size))

    @property
    def voxel_um3(self) -> float:
        return self.field.h ** 3

    @property
    def rmax(self) -> float:
        return float(self.radii.max())

    @property
    def volume_scale(self) -> float:
        """Tile volume relative to the default tile."""
        return self.um3 / REFERENCE_TILE_UM3

    # ------------------------------------------------------------------ placing new cells
    def wall_points(self, n: int, gap, rng) -> tuple[np.ndarray, np.ndarray]:
        """n points at distance ``gap`` (array) outside the wall of random sinusoids, and their
        segments."""
        v = self.vessels
        seg = rng.integers(0, v.count, n)
        t = rng.uniform(0.1, 0.9, n)
        axis = v.p0[seg] + t[:, None] * (v.p1[seg] - v.p0[seg])
        d = v.p1[seg] - v.p0[seg]
        d /= np.maximum(np.linalg.norm(d, axis=1, keepdims=True), 1e-9)
        rnd = rng.normal(size=(n, 3))
        perp = rnd - (rnd * d).sum(1, keepdims=True) * d
        perp /= np.maximum(np.linalg.norm(perp, axis=1, keepdims=True), 1e-9)
        dist = v.radius[seg] + gap
        pts = axis + perp * dist[:, None]
        return np.clip(pts, EDGE_MARGIN_UM, self.size - EDGE_MARGIN_UM), seg

    def perivascular_points(self, n: int, gap_range: tuple[float, float], rng) -> np.ndarray:
        if n <= 0:
            return np.zeros((0, 3))
        return self.wall_points(n, rng.uniform(gap_range[0], gap_range[1], n), rng)[0]

    def endosteal_points(self, n: int, height_range: tuple[float, float], rng) -> np.ndarray:
        if n <= 0:
            return np.zeros((0, 3))
        m = EDGE_MARGIN_UM
        return np.column_stack([rng.uniform(m, self.size[0] - m, n), rng.uniform(m, self.size[1] - m, n),
                                rng.uniform(height_range[0], height_range[1], n)])

    def random_points(self, n: int, rng) -> np.ndarray:
        m = EDGE_MARGIN_UM
        return np.column_stack([rng.uniform(m, self.size[i] - m, n) for i in range(3)])


def build_tile(params, seed: int, dt_hours: float, rng) -> Tile:
    """The tile's geometry from the parameters and seed (vessels from counter-based numbers of
    the seed; niche sites from ``rng``)."""
    p = params
    size = np.array([p["tile_x_um"], p["tile_y_um"], p["tile_z_um"]])
    vessels = VesselNetwork(size, p["vessel_spacing_um"], p["vessel_radius_um"], seed)
    h = p["field_voxel_um"]
    shape = tuple(max(2, int(math.ceil(s / h))) for s in size)
    field = DiffusionField(shape, h, p["sdf1_diffusion_um2_per_h"], dt_hours)
    # sinusoid-wall voxels of the field grid (endothelial SDF-1 and exogenous SDF-1 entry)
    seg = nearest_segment_grid(vessels.p0, vessels.p1, vessels.radius, np.array(shape, np.int64), h, 0.5 * h)
    flat = seg.reshape(-1)
    wall_voxels = np.flatnonzero(flat >= 0).astype(np.int64)
    wall_segments = flat[wall_voxels].astype(np.int64)
    radii = np.array([p["hspc_radius_um"], p["mkp_radius_um"], p["mk_radius_min_um"], p["mk_radius_max_um"],
                      p["stroma_radius_um"]])
    # neighbour-search cells about twice the reach of a progenitor (its radius plus the largest
    # radius): most queries visit 2 x 2 runs of cells around the cell. Any edge gives the same
    # numbers; fewer, longer runs are faster than 3 x 3 short ones (docs/performance.md, item 25)
    grid = CellGrid(size, 2.0 * (float(radii.max()) + float(radii[1]) + 1.0))
    tile = Tile(size=size, vessels=vessels, field=field, wall_voxels=wall_voxels, wall_segments=wall_segments,
                radii=radii, grid=grid, sites=np.zeros((0, 3)))
    tile_mm3 = tile.um3 * 1e-9
    n_sites = max(1, int(round(p["niche_sites_per_mm3"] * tile_mm3)))
    n_endo = int(round(n_sites * p["endosteal_site_fraction"]))
    sites = [tile.endosteal_points(n_endo, SITE_BONE_HEIGHT_UM, rng),
             tile.perivascular_points(n_sites - n_endo, SITE_WALL_GAP_UM, rng)]
    tile.sites = np.vstack([s for s in sites if len(s)]).astype(np.float64)
    return tile


def add_agents(store: AgentStore, kind: int, pts: np.ndarray, origin: int = A.HOST, state: int = 0,
               maturity=None, age=None) -> np.ndarray:
    """New agents of ``kind`` at the points ``pts``; returns their slots."""
    n = len(pts)
    store.ensure_free(n)
    idx = []
    for q in range(n):
        i = A.alloc(store.kind, store.free, store.top, kind, store.uid, store.next_uid)
        store.pos[i] = pts[q]
        store.origin[i] = origin
        store.state[i] = state
        store.link[i] = -1
        store.age[i] = 0.0 if age is None else age[q]
        store.maturity[i] = 0.0 if maturity is None else maturity[q]
        store.timer[i] = 0.0
        store.ploidy[i] = 0.0
        idx.append(i)
    return np.array(idx, np.int64)


def lineage_factor(params, genotype: str) -> float:
    """Size of the MK lineage and platelet pool a genotype starts from, relative to WT (the
    spin-up then settles them at the genotype's own steady state)."""
    return 1.0 if genotype == "wt" else params["tpo_independent_output"]


def populate(tile: Tile, params, genotype: str, rng) -> tuple[AgentStore, np.ndarray]:
    """The cells a tile starts with: (agent store, niche-site occupant slots, -1 where empty)."""
    p = params
    n_sites = len(tile.sites)
    tile_mm3 = tile.um3 * 1e-9
    # start small: the store doubles when needed, and slots are handed out in the same order
    # whatever the capacity (see AgentStore.grow), so the capacity never changes a result
    store = AgentStore(4096)
    occupant = np.full(n_sites, -1, np.int64)
    # stroma: mostly perivascular CAR cells, some near bone, some scattered
    n_car = int(round(p["car_cells_per_mm3"] * tile_mm3))
    n_pv, n_endo = int(0.7 * n_car), int(0.15 * n_car)
    car = np.vstack([tile.perivascular_points(n_pv, STROMA_WALL_GAP_UM, rng),
                     tile.endosteal_points(n_endo, STROMA_BONE_HEIGHT_UM, rng),
                     tile.random_points(n_car - n_pv - n_endo, rng)])
    add_agents(store, A.STROMA, car)
    # HSPCs in most niche sites
    occupied = np.flatnonzero(rng.uniform(size=n_sites) < 0.97)
    idx = add_agents(store, A.HSPC, tile.sites[occupied], state=A.LODGED)
    store.link[idx] = occupied
    occupant[occupied] = idx
    # MK lineage at the calibrated WT steady state scaled for the genotype (MKP:MK ~ 0.65 for
    # progenitors that make one MK each, fewer as each makes 2^mkp_divisions_wt; ~58% of MKs docked
    # at sinusoids); the spin-up then settles the details
    g = lineage_factor(p, genotype)
    n_mk = int(round(p["mk_baseline_per_mm3"] * tile_mm3 * g))
    n_mkp = int(round(0.65 * n_mk / 2.0 ** p["mkp_divisions_wt"]))
    hs = tile.sites[occupied]
    if n_mkp and len(hs):
        src = hs[rng.integers(0, len(hs), n_mkp)]
        add_agents(store, A.MKP, np.clip(src + rng.normal(0, 20.0, (n_mkp, 3)), 6, tile.size - 6),
                   age=rng.uniform(0, p["mkp_stage_hours"], n_mkp))
    n_docked = int(round(0.58 * n_mk))
    if n_mk - n_docked:
        free = n_mk - n_docked
        add_agents(store, A.MK, tile.random_points(free, rng), maturity=rng.uniform(0, 0.36, free),
                   age=rng.uniform(0, 48, free))
    if n_docked:
        mat = rng.uniform(0.15, 1.0, n_docked)
        r = tile.radii[2] + (tile.radii[3] - tile.radii[2]) * mat
        pts, seg = tile.wall_points(n_docked, r + 0.5, rng)
        idx = add_agents(store, A.MK, pts, state=A.DOCKED, maturity=mat, age=rng.uniform(24, 96, n_docked))
        store.link[idx] = seg
    # ploidy classes as new MKs get them (engine/fates.py) at the genotype's baseline Mpl signal
    mks = np.flatnonzero(store.kind == A.MK)
    signal = 1.0 if genotype == "wt" else 0.0
    log2_mean = ploidy_log2_mode(p, signal)
    z = rng.normal(0.0, 1.0, mks.size)
    store.ploidy[mks] = [ploidy_class(log2_mean, p["mk_ploidy_sd_log2"], float(x)) for x in z]
    store.timer[mks] = z  # each MK's rank among MKs: its class follows the signal during endomitosis
    store.ensure_free(store.n_alive // 2 + 1024)  # headroom for births and platelets
    return store, occupant
