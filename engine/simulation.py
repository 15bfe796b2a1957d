"""The simulation: set-up from a scenario, the step, observables, snapshots, commands.

    sim = Simulation.from_scenario(load_scenario("wt_steady_state"), seed=1)
    sim.advance(hours=24 * 60)
    sim.observables["platelets"]

A step (dt hours) is: events due -> systemic ODEs -> sinusoid state -> SDF-1
field -> movement -> fates (deaths, births, release) -> display platelets ->
record. Same scenario + same seed = identical numbers, whatever the threads.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numba
import numpy as np

from . import agents as A
from .agents import AgentStore
from .cell_lists import CellGrid
from .errors import InputError
from .events import Schedule, kill_probability, vessel_damage
from .fates import (F_SIZE, apply_fates, census, decide_fates, deposit_sdf1, event_kill,
                    free_flagged, list_kind, move_platelets, place_particles, tally)
from . import fates as FT
from .field import DiffusionField
from .motility import M_SIZE, move_mobile, sort_bodies
from . import motility as MO
from .observables import Observables
from .parameters import ParameterSet
from .rng import S_EVENT
from .runtime import app_version
from .scenario import DOSE_UNIT_BY_SPECIES, Event, Scenario
from .snapshot import Snapshot
from .systemic import LEVEL_KINDS, Systemic, emax

REFERENCE_TILE_UM3 = 800.0 * 800.0 * 300.0
PHASES = ("systemic", "field", "movement", "fates", "platelets")

#: parameters that can change during a run (others shape the geometry: reset needed)
LIVE_PARAMETERS_EXCLUDED = {"tile_x_um", "tile_y_um", "tile_z_um", "field_voxel_um", "vessel_spacing_um",
                            "vessel_radius_um", "car_cells_per_mm3", "niche_sites_per_mm3",
                            "endosteal_site_fraction", "dt_hours", "platelet_age_stages", "spinup_days",
                            "sample_hours"}


@dataclass
class AddEvent:
    """Schedule a treatment/perturbation; a start before 'now' starts now."""
    event: Event


@dataclass
class SetParameter:
    name: str
    value: float


class Simulation:
    def __init__(self, scenario: Scenario, seed: int | None = None, *, spinup: bool = True,
                 spinup_progress=None):
        """Build the tile and equilibrate the genotype for ``spinup_days`` (not recorded);
        ``spinup_progress(fraction)`` is called after each equilibrated day."""
        scenario.check_size()  # parameters and size checked before anything is built (engine/budget.py)
        self.scenario = scenario
        self.seed = int(scenario.seed if seed is None else seed)
        self.params: ParameterSet = scenario.parameter_set()
        p = self.params
        self.species = scenario.species
        self.genotype = scenario.genotype
        self.dt = p["dt_hours"]
        self.size = np.array([p["tile_x_um"], p["tile_y_um"], p["tile_z_um"]])
        self.tile_um3 = float(np.prod(self.size))
        self.tile_mm3 = self.tile_um3 * 1e-9
        self.rng = np.random.default_rng([self.seed, 20040101])
        self.step_index = 0
        self.time_hours = 0.0
        self.schedule = Schedule([])
        self._pending_injections: list[tuple[float, int, int]] = []  # (time h, kind, count)
        self.released_cum = 0.0
        self.obs = Observables("10^9/L" if self.species == "human" else "10^3/uL")
        self._next_sample = 0.0
        self.wall_seconds = 0.0
        self.steps_done = 0
        #: wall seconds per phase of the step (events+systemic+sinusoids, field, movement, fates,
        #: platelets) and agents stepped, summed over all steps; for benchmarks and profiling
        self.phase_seconds = dict.fromkeys(PHASES, 0.0)
        self.phase_agent_updates = 0
        self._build_world()
        self._populate()
        if spinup and p["spinup_days"] > 0:
            total = int(round(p["spinup_days"] * 24.0 / self.dt))
            per_day = max(1, int(round(24.0 / self.dt)))
            for done in range(0, total, per_day):
                self._run_steps(min(per_day, total - done), record=False)
                if spinup_progress is not None:
                    spinup_progress(min(1.0, (done + per_day) / total))
        self.time_hours = 0.0
        self.released_cum = 0.0
        self.schedule = Schedule(scenario.events)
        self._record()

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_scenario(cls, scenario: Scenario, seed: int | None = None, **kw) -> "Simulation":
        return cls(scenario, seed, **kw)

    def _build_world(self):
        from .vessels import VesselNetwork

        p = self.params
        self.vessels = VesselNetwork(self.size, p["vessel_spacing_um"], p["vessel_radius_um"], self.seed)
        h = p["field_voxel_um"]
        shape = tuple(max(2, int(math.ceil(s / h))) for s in self.size)
        self.field = DiffusionField(shape, h, p["sdf1_diffusion_um2_per_h"], self.dt)
        # sinusoid-wall voxels of the field grid (endothelial SDF-1 and exogenous SDF-1 entry)
        from .vessels import nearest_segment_grid

        seg = nearest_segment_grid(self.vessels.p0, self.vessels.p1, self.vessels.radius,
                                   np.array(shape, np.int64), h, 0.5 * h)
        flat = seg.reshape(-1)
        self.endo_idx = np.flatnonzero(flat >= 0).astype(np.int64)
        self.endo_seg = flat[self.endo_idx].astype(np.int64)
        self.voxel_um3 = h ** 3
        rp = [p["hspc_radius_um"], p["mkp_radius_um"], p["mk_radius_min_um"], p["mk_radius_max_um"],
              p["stroma_radius_um"]]
        self.rp = np.array(rp)
        self.rmax = float(max(rp))
        # neighbour-search cells about the reach of a progenitor (its radius plus the largest
        # radius): most queries visit 3 x 3 short runs of cells around the cell
        self.grid = CellGrid(self.size, self.rmax + float(rp[1]) + 1.0)
        n_sites = max(1, int(round(p["niche_sites_per_mm3"] * self.tile_mm3)))
        n_endo = int(round(n_sites * p["endosteal_site_fraction"]))
        sites = [self._endosteal_points(n_endo, 8.0, 22.0),
                 self._perivascular_points(n_sites - n_endo, 6.0, 16.0)]
        self.sites = np.vstack([s for s in sites if len(s)]).astype(np.float64)
        self.occupant = np.full(len(self.sites), -1, np.int64)
        self.k_scale = p["platelet_output_scale"] * 1e-6 * REFERENCE_TILE_UM3 / self.tile_um3
        self.vessels_len = self.vessels.length
        self.edge_to = self.vessels.edges[:, 1].astype(np.int64)

    def _perivascular_points(self, n, gap_lo, gap_hi, rng=None):
        if n <= 0:
            return np.zeros((0, 3))
        rng = self.rng if rng is None else rng
        return self._wall_points(n, rng.uniform(gap_lo, gap_hi, n), rng)[0]

    def _wall_points(self, n, gap, rng=None):
        """n points at distance ``gap`` (array) outside the wall of random sinusoids, and their segments."""
        v = self.vessels
        rng = self.rng if rng is None else rng
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
        return np.clip(pts, 8.0, self.size - 8.0), seg

    def _endosteal_points(self, n, z_lo, z_hi):
        if n <= 0:
            return np.zeros((0, 3))
        pts = np.column_stack([self.rng.uniform(8.0, self.size[0] - 8.0, n),
                               self.rng.uniform(8.0, self.size[1] - 8.0, n),
                               self.rng.uniform(z_lo, z_hi, n)])
        return pts

    def _random_points(self, n):
        return np.column_stack([self.rng.uniform(8.0, self.size[i] - 8.0, n) for i in range(3)])

    def _add(self, kind, pts, origin=A.HOST, state=0, maturity=None, age=None):
        n = len(pts)
        st = self.store
        st.ensure_free(n)
        idx = []
        for q in range(n):
            i = A.alloc(st.kind, st.free, st.top, kind)
            st.pos[i] = pts[q]
            st.origin[i] = origin
            st.state[i] = state
            st.link[i] = -1
            st.age[i] = 0.0 if age is None else age[q]
            st.maturity[i] = 0.0 if maturity is None else maturity[q]
            st.timer[i] = 0.0
            st.progress[i] = 0.0
            idx.append(i)
        return np.array(idx, np.int64)

    def _genotype_factor(self):
        return 1.0 if self.genotype == "wt" else self.params["tpo_independent_output"]

    def _populate(self):
        p = self.params
        n_sites = len(self.sites)
        # start small: the store doubles when needed, and slots are handed out in the same order
        # whatever the capacity (see AgentStore.grow), so the capacity never changes a result
        self.store = AgentStore(4096)
        # stroma: mostly perivascular CAR cells, some near bone, some scattered
        n_car = int(round(p["car_cells_per_mm3"] * self.tile_mm3))
        n_pv, n_endo = int(0.7 * n_car), int(0.15 * n_car)
        car = np.vstack([self._perivascular_points(n_pv, 3.0, 12.0), self._endosteal_points(n_endo, 6.0, 20.0),
                         self._random_points(n_car - n_pv - n_endo)])
        self._add(A.STROMA, car)
        # HSPCs in most niche sites
        occupied = np.flatnonzero(self.rng.uniform(size=n_sites) < 0.97)
        idx = self._add(A.HSPC, self.sites[occupied], state=A.LODGED)
        self.store.link[idx] = occupied
        self.occupant[occupied] = idx
        # MK lineage at the calibrated WT steady state scaled for the genotype (MKP:MK ~ 0.65, ~58% of
        # MKs docked at sinusoids); the spin-up then settles the details
        g = self._genotype_factor()
        n_mk = int(round(p["mk_baseline_per_mm3"] * self.tile_mm3 * g))
        n_mkp = int(round(0.65 * n_mk))
        hs = self.sites[occupied]
        if n_mkp and len(hs):
            src = hs[self.rng.integers(0, len(hs), n_mkp)]
            self._add(A.MKP, np.clip(src + self.rng.normal(0, 20.0, (n_mkp, 3)), 6, self.size - 6),
                      age=self.rng.uniform(0, p["mkp_stage_hours"], n_mkp))
        n_docked = int(round(0.58 * n_mk))
        if n_mk - n_docked:
            free = n_mk - n_docked
            self._add(A.MK, self._random_points(free), maturity=self.rng.uniform(0, 0.36, free),
                      age=self.rng.uniform(0, 48, free))
        if n_docked:
            mat = self.rng.uniform(0.15, 1.0, n_docked)
            r = self.rp[2] + (self.rp[3] - self.rp[2]) * mat
            pts, seg = self._wall_points(n_docked, r + 0.5)
            idx = self._add(A.MK, pts, state=A.DOCKED, maturity=mat, age=self.rng.uniform(24, 96, n_docked))
            self.store.link[idx] = seg
        mk_ref = p["mk_baseline_per_mm3"] * self.tile_mm3
        self.systemic = Systemic(p, self.genotype, mk_ref)
        self.systemic.set_platelets(p["platelet_baseline"] * g)
        self.systemic.tpo = self.systemic.tpo_steady_state(self.systemic.platelets, mk_ref * g)
        self.store.ensure_free(self.store.n_alive // 2 + 1024)  # headroom for births and platelets
        self._alloc_scratch()

    def _alloc_scratch(self):
        cap = self.store.capacity
        self.flags = np.zeros(cap, np.uint8)
        self.nspawn = np.zeros(cap, np.int32)
        self.released = np.zeros(cap)
        self.active = np.zeros(cap, np.int64)    # agents apply_fates acts on (decide_fates lists them)
        self.born = np.zeros(cap, np.int64)      # new platelet particles' slots and parents (apply_fates)
        self.born_parent = np.zeros(cap, np.int64)
        self.counters = np.zeros(5)
        self._alloc_step_arrays(cap)

    def _alloc_step_arrays(self, cap):
        """Per-slot arrays a step fills before it reads them (made anew when the store grows)."""
        self.new_pos = np.zeros((cap, 3))
        self.bodies = np.zeros((cap, 4))  # cell-ordered x, y, z, radius (movement)
        self.mobile = np.zeros(cap, np.int64)
        self.mobile_q = np.zeros(cap, np.int64)
        # nearest sinusoid and SDF-1 per agent slot: filled by move_mobile, read by decide_fates
        self.near_seg = np.full(cap, -1, np.int32)
        self.near_d = np.zeros(cap)
        self.near_c = np.zeros(cap)
        # slots of the cells and of the platelet particles, filled by census / list_kind each step
        self.cell_slots = np.zeros(cap, np.int64)
        self.platelet_slots = np.zeros(cap, np.int64)
        self._no_msc = np.zeros((0, 3))

    # ------------------------------------------------------------------ commands
    def apply(self, command) -> None:
        """Change the run: AddEvent(event) or SetParameter(name, value)."""
        if isinstance(command, AddEvent):
            ev = command.event.model_copy()
            now_day = self.time_hours / 24.0
            if ev.start_day < now_day:
                ev.start_day = now_day
            self.schedule.add(ev)
        elif isinstance(command, SetParameter):
            if command.name in LIVE_PARAMETERS_EXCLUDED:
                raise InputError("this parameter shapes the tile; change it in the scenario and reset",
                                 field=command.name)
            self.params.set(command.name, command.value)
            if command.name == "sdf1_diffusion_um2_per_h":
                self.field.set_coefficients(self.params[command.name], self.dt)
            if command.name in ("platelet_output_scale",):
                self.k_scale = self.params[command.name] * 1e-6 * REFERENCE_TILE_UM3 / self.tile_um3
        else:
            raise InputError(f"unknown command {type(command).__name__}")

    # ------------------------------------------------------------------ stepping
    @property
    def day(self) -> float:
        return self.time_hours / 24.0

    def advance(self, hours: float) -> None:
        """Advance by whole steps covering ``hours`` (recording observables)."""
        if hours < 0 or not math.isfinite(hours):
            raise InputError("cannot advance by a negative or infinite time", field="hours",
                             expected=">= 0", found=hours)
        self._run_steps(int(round(hours / self.dt)), record=True)

    def run(self, days: float | None = None, progress=None) -> Observables:
        """Run to the scenario's end (or ``days``); ``progress(done, total)`` is called per day."""
        days = self.scenario.days if days is None else days
        total = int(round(days * 24.0 / self.dt))
        per_day = max(1, int(round(24.0 / self.dt)))
        done = 0
        while done < total:
            n = min(per_day, total - done)
            self._run_steps(n, record=True)
            done += n
            if progress:
                progress(done, total)
        return self.obs

    def _run_steps(self, n: int, record: bool) -> None:
        t0 = time.perf_counter()
        for _ in range(n):
            self._step()
            if record and self.time_hours >= self._next_sample - 1e-9:
                self._record()
        self.wall_seconds += time.perf_counter() - t0
        self.steps_done += n

    def _members(self):
        return np.flatnonzero(self.store.kind >= 0)

    def _step(self):
        clock = time.perf_counter
        t_start = clock()
        p = self.params
        dt = self.dt
        st = self.store
        sysm = self.systemic
        t = self.time_hours
        seed = self.seed
        step = self.step_index
        # 1. instant events and pending infusions
        for ev in self.schedule.due(t, dt):
            self._fire(ev)
        self._inject_due(t + dt)
        if st.capacity != self.flags.size:
            self._alloc_scratch()
        # 2. systemic compartments (and the lists of cells and platelet particles, in slot order)
        counts, n_cells, n_plt = census(st.kind, st.state, st.origin, st.maturity, self.occupant,
                                        self.cell_slots, self.platelet_slots)
        cells = self.cell_slots[:n_cells]
        self._counts = counts
        targets = self.schedule.targets(t)
        taus = {k: p["treatment_onset_hours"] for k in LEVEL_KINDS}
        taus["msc_ev"] = p["ev_half_life_hours"] / math.log(2.0)
        sysm.advance(dt, self._last_release_rate, counts[3], targets, taus)
        lv = sysm.levels
        # 3. sinusoids: integrity toward its target (disruption), VCAM-1 toward its target (FGF-4)
        v = self.vessels
        target = 1.0 - min(1.0, p["niche_disruption_integrity_loss"] * emax(lv["niche_disruption"]))
        regen = 1.0 - math.exp(-dt / (p["vessel_regeneration_days"] * 24.0))
        fall = 1.0 - math.exp(-dt / p["treatment_onset_hours"])
        below = v.integrity < target
        v.integrity += np.where(below, regen, fall) * (target - v.integrity)
        v.vcam += (v.vcam_base * (1.0 + p["fgf4_vcam_gain"] * emax(lv["fgf4"])) - v.vcam) * \
            (1.0 - math.exp(-dt / p["vcam_relax_hours"]))
        # 4. SDF-1 field
        t_field = clock()
        f = self.field
        f.reset_rates(p["sdf1_decay_per_h"])
        car_rate = p["sdf1_car_secretion"] / self.voxel_um3
        endo_rate = p["sdf1_endothelial_secretion"] + p["sdf1_plasma_to_field"] * emax(lv["sdf1"])
        deposit_sdf1(st.kind, st.pos, cells, f.source, f.lam, f.h, car_rate,
                     car_rate * p["msc_sdf1_factor"], p["sdf1_uptake_per_cell"] / self.voxel_um3,
                     self.endo_idx, self.endo_seg, endo_rate, v.integrity)
        f.step(clear=True)   # (the next step's reset_rates then has nothing to do)
        # 5. movement
        t_move = clock()
        mp = self._motility_vector(lv)
        cxcr4 = mp[MO.M_CXCR4]
        # only mobile cells move (immobile ones would be copied onto themselves), in cell order
        start, keys = self.grid.scratch(cells.size)
        n_mobile = sort_bodies(st.pos, st.kind, st.state, st.maturity, cells, self.rp, self.grid.cell,
                               *self.grid.shape, start, keys, self.bodies, self.mobile, self.mobile_q,
                               self.grid.chunk_counts(numba.get_num_threads()))
        mobile = self.mobile[:n_mobile]
        move_mobile(st.kind, st.pos, mobile, self.mobile_q[:n_mobile], self.new_pos, start, self.bodies,
                    self.grid.cell, *self.grid.shape, f.values, f.h, v.lookup, v.lookup_h, v.p0, v.p1,
                    v.radius, self.size, mp, self.rmax, seed, step, self.near_seg, self.near_d, self.near_c)
        # 6. fates
        t_fate = clock()
        fp = self._fate_vector(lv, counts)
        fp[FT.F_CXCR4] = cxcr4
        msc_pos = st.pos[cells[st.kind[cells] == A.MSC]] if counts[7] > 0 else self._no_msc
        # (decide_fates returns the free slots its births will take, and lists in self.active the
        # agents that apply_fates has anything to do with)
        births, n_active = decide_fates(st.kind, st.state, st.pos, st.age, st.maturity, st.timer, st.link, cells,
                                        fp, self.rp, msc_pos, self.near_seg, self.near_d, self.near_c, v.radius,
                                        v.integrity, v.vcam, seed, step, self.flags, self.nspawn, self.released,
                                        self.active, numba.get_num_threads())
        if st.top[0] < 16 + births:
            st.ensure_free(16 + births)
            self._alloc_scratch_keep()
        n_born = apply_fates(st.kind, st.origin, st.state, st.link, st.age, st.maturity, st.timer, st.pos,
                             self.active[:n_active], self.flags, self.nspawn, self.released, st.free, st.top,
                             self.sites, self.occupant, self.size, p["daughter_search_radius_um"],
                             p["niche_capture_radius_um"], seed, step, self.counters,
                             counts[0] + counts[1] > counts[10], self.born, self.born_parent)
        if n_born:
            place_particles(st.kind, st.origin, st.state, st.link, st.age, st.maturity, st.timer, st.progress,
                            st.pos, self.born[:n_born], self.born_parent[:n_born], v.p0, v.p1,
                            fp[FT.F_PARTICLE_LIFE], seed, step)
        released = self.counters[0]
        self.released_cum += released
        self._last_release_rate = released / dt * self.k_scale
        # 7. display platelets
        t_plt = clock()
        plt_members = self.platelet_slots[:list_kind(st.kind, A.PLATELET, self.platelet_slots)]
        if plt_members.size:
            move_platelets(st.kind, st.link, st.progress, st.timer, st.pos, plt_members, v.p0, v.p1,
                           self.vessels_len, self.edge_to, v.out_start, v.out_segs,
                           p["platelet_particle_flow_um_per_h"], dt, seed, step, self.flags)
            free_flagged(st.kind, plt_members, self.flags, st.free, st.top)
        t_end = clock()
        ph = self.phase_seconds
        ph["systemic"] += t_field - t_start
        ph["field"] += t_move - t_field
        ph["movement"] += t_fate - t_move
        ph["fates"] += t_plt - t_fate
        ph["platelets"] += t_end - t_plt
        self.phase_agent_updates += n_cells + n_plt
        self.step_index += 1
        self.time_hours += dt

    _last_release_rate = 0.0

    def _alloc_scratch_keep(self):
        """Grow scratch arrays after the store grew, keeping this step's decisions."""
        cap = self.store.capacity
        old = self.flags.size
        if cap == old:
            return
        for name in ("flags", "nspawn", "released", "active", "born", "born_parent"):
            a = getattr(self, name)
            b = np.zeros(cap, a.dtype)
            b[:old] = a
            setattr(self, name, b)
        self._alloc_step_arrays(cap)

    def _motility_vector(self, lv):
        p = self.params
        mp = np.zeros(M_SIZE)
        mp[MO.M_DT] = self.dt
        mp[MO.M_SIG_HSPC] = p["hspc_random_motility"]
        mp[MO.M_SIG_MKP] = p["mkp_random_motility"]
        mp[MO.M_SIG_MK] = p["mk_random_motility"]
        mp[MO.M_CHI_HSPC] = p["hspc_chemotaxis"]
        mp[MO.M_CHI_MKP] = p["mkp_chemotaxis"]
        mp[MO.M_CHI_MK] = p["mk_chemotaxis"]
        mp[MO.M_VMAX] = p["max_speed_um_per_h"]
        mp[MO.M_REPULSE] = p["repulsion_stiffness"]
        mp[MO.M_CXCR4] = 1.0 - min(1.0, p["cxcr4_block_efficacy"] * emax(lv["cxcr4_block"]))
        return mp

    def _fate_vector(self, lv, counts):
        p = self.params
        fp = np.zeros(F_SIZE)
        fp[FT.F_DT] = self.dt
        fp[FT.F_HSPC_DEATH] = p["hspc_death_per_day"] / 24.0
        msc_present = 1.0 if counts[7] > 0 else 0.0
        ev = emax(lv["msc_ev"])
        fp[FT.F_HSPC_FREE_DEATH] = p["hspc_free_death_per_day"] / 24.0 / (
            1.0 + p["msc_homing_boost"] * msc_present + p["ev_homing_boost"] * ev)
        fp[FT.F_DIV_BASE] = p["hspc_division_base_per_day"] / 24.0
        fp[FT.F_DIV_EXPAND] = p["hspc_expansion_per_day"] / 24.0
        n_sites = len(self.sites)
        fp[FT.F_FREE_FRAC] = float(np.count_nonzero(self.occupant < 0)) / n_sites
        fp[FT.F_MSC_BOOST] = p["msc_expansion_boost"]
        fp[FT.F_MSC_RADIUS] = p["msc_support_radius_um"]
        fp[FT.F_EV_BOOST] = p["ev_expansion_boost"] * ev
        fp[FT.F_MKP_OUT] = p["hspc_mkp_output_per_day"] / 24.0 * self.systemic.expansion_factor()
        fp[FT.F_MKP_DEATH] = p["mkp_death_per_day"] / 24.0
        fp[FT.F_MKP_STAGE] = p["mkp_stage_hours"]
        il = p["il6_maturation_boost"] * emax(lv["il6"]) + p["il11_maturation_boost"] * emax(lv["il11"])
        fp[FT.F_MAT_RATE] = (1.0 + il) / (p["mk_maturation_days"] * 24.0)
        fp[FT.F_AWAY_FACTOR] = p["mk_maturation_away_factor"]
        fp[FT.F_CAP_AWAY] = p["mk_maturity_cap_away"]
        fp[FT.F_MK_DEATH_AWAY] = p["mk_death_away_per_day"] / 24.0
        fp[FT.F_MK_DEATH_CONTACT] = p["mk_death_contact_per_day"] / 24.0
        vla4 = 1.0 - min(1.0, p["vla4_block_efficacy"] * emax(lv["vla4_block"]))
        fp[FT.F_DOCK_RATE] = p["dock_rate_per_h"]
        fp[FT.F_UNDOCK_RATE] = p["undock_rate_per_h"]
        fp[FT.F_VLA4] = vla4
        fp[FT.F_GAP] = p["contact_gap_um"]
        fp[FT.F_RELEASE_H] = p["mk_release_hours"]
        fp[FT.F_YIELD] = p["platelets_per_mk"]
        fp[FT.F_PARTICLES] = p["platelet_particles_per_mk"]
        fp[FT.F_MSC_DEATH] = math.log(2.0) / (p["msc_half_life_days"] * 24.0)
        fp[FT.F_PARTICLE_LIFE] = p["platelet_particle_life_hours"]
        fp[FT.F_SDF1_GAIN] = p["sdf1_integrin_activation"]
        fp[FT.F_SDF1_REF] = p["sdf1_reference_ng_ml"]
        fp[FT.F_CXCR4] = 1.0
        fp[FT.F_MKP_NICHE_DIV] = p["mkp_niche_division_per_day"] / 24.0
        fp[FT.F_MKP_MAX_GEN] = p["mkp_niche_max_divisions"]
        fp[FT.F_NICHE_CAP] = p["mkp_niche_signal_cap"]
        FT.hit_probabilities(fp)
        return fp

    # ------------------------------------------------------------------ events
    def _fire(self, ev: Event) -> None:
        p = self.params
        st = self.store
        v = self.vessels
        if ev.kind in ("fu5", "irradiation"):
            probs = kill_probability(ev, p)
            pk = np.zeros(6)
            pk[A.HSPC], pk[A.MKP] = probs["hspc"], probs["mkp"]
            pk[A.MK] = probs["mk"]
            members = self._members()
            event_kill(st.kind, st.state, st.link, members, pk, self.seed, self.step_index,
                       S_EVENT + (1 if ev.kind == "fu5" else 2), self.occupant, st.free, st.top)
            loss = vessel_damage(ev, p)
            v.integrity *= np.clip(1.0 - loss * v.damage_scale, 0.0, 1.0)
        elif ev.kind == "transplant":
            vol = self.tile_um3 / REFERENCE_TILE_UM3
            n = self._stochastic_round(float(ev.dose) * p["donor_agents_per_dose_unit"] * vol,
                                       self._event_rng(1))
            spread = p["transplant_spread_hours"]
            hours = max(1, int(round(spread / self.dt)))
            base, extra = divmod(n, hours)
            for h in range(hours):
                c = base + (1 if h < extra else 0)
                if c:
                    self._pending_injections.append((self.time_hours + h * self.dt, A.HSPC, c))
            if ev.msc_coinfusion > 0:
                self._inject_msc(ev.msc_coinfusion)
        elif ev.kind == "msc":
            self._inject_msc(float(ev.dose))

    def _inject_msc(self, dose):
        vol = self.tile_um3 / REFERENCE_TILE_UM3
        rng = self._event_rng(2)
        n = self._stochastic_round(dose * self.params["msc_agents_per_dose_unit"] * vol, rng)
        if n:
            self._add(A.MSC, self._perivascular_points(n, 4.0, 14.0, rng), origin=A.DONOR)

    def _stochastic_round(self, x: float, rng) -> int:
        base = int(math.floor(x))
        return base + (1 if rng.uniform() < x - base else 0)

    def _event_rng(self, purpose: int) -> np.random.Generator:
        """A generator of its own for each kind of infusion at each step, so that arms of an experiment
        with the same seed get the same donor cells whether or not MSCs are co-infused."""
        return np.random.default_rng([self.seed, purpose, self.step_index])

    def _inject_due(self, t_end):
        keep = []
        for (t, kind, count) in self._pending_injections:
            if t < t_end - 1e-9:
                pts = self._perivascular_points(count, 1.0, 6.0, self._event_rng(3))
                self._add(kind, pts, origin=A.DONOR, state=A.FREE)
            else:
                keep.append((t, kind, count))
        self._pending_injections = keep

    # ------------------------------------------------------------------ outputs
    def _record(self):
        st = self.store
        members = self._members()
        c = tally(st.kind, st.state, st.origin, st.maturity, members, self.occupant)
        sysm = self.systemic
        hspc = c[0] + c[1]
        lv = sysm.levels
        row = {
            "day": self.time_hours / 24.0,
            "platelets": sysm.platelets,
            "platelets_rel": sysm.platelets / self.params["platelet_baseline"],
            "tpo_pg_ml": sysm.tpo,
            "tpo_signal": sysm.tpo_signal(),
            "hspc_host": c[0],
            "hspc_donor": c[1],
            "donor_chimerism": c[1] / hspc if hspc else 0.0,
            "niche_occupancy": float(np.count_nonzero(self.occupant >= 0)) / len(self.occupant),
            "mkp": c[2],
            "mk": c[3],
            "mk_at_vessel": c[4] + c[5],
            "mk_vessel_fraction": (c[4] + c[5]) / c[3] if c[3] else 0.0,
            "mk_mean_ploidy": c[9] / c[3] if c[3] else 0.0,
            "sdf1_mean": float(self.field.values.mean()),
            "platelets_released_cum": self.released_cum * 1e-6,
            "vessel_integrity": float(self.vessels.integrity.mean()),
            "vcam1": float(self.vessels.vcam.mean()),
            "msc_cells": c[7],
            "il6": lv["il6"], "il11": lv["il11"], "sdf1_plasma": lv["sdf1"], "fgf4": lv["fgf4"],
            "msc_ev": lv["msc_ev"], "niche_disruption": lv["niche_disruption"],
            "cxcr4_block": lv["cxcr4_block"], "vla4_block": lv["vla4_block"],
            "agents": float(members.size),
        }
        self.obs.record(row)
        self._next_sample = self.time_hours + self.params["sample_hours"]

    @property
    def observables(self) -> Observables:
        return self.obs

    def metadata(self) -> dict[str, str]:
        return {"app": f"NicheLab {app_version()}", "scenario": self.scenario.name,
                "scenario_file": str(self.scenario._source or ""), "seed": str(self.seed),
                "species": self.species, "genotype": self.genotype,
                "parameter_overrides": ", ".join(f"{k}={v:g}" for k, v in sorted(self.params.overrides.items())),
                "events": "; ".join(e.summary() for e in self.schedule.events),
                "platelet_unit": self.obs.units["platelets"],
                "donor_dose_unit": DOSE_UNIT_BY_SPECIES[self.species]}

    def snapshot(self, include_field: bool = False) -> Snapshot:
        st = self.store
        idx = self._members()
        kinds = st.kind[idx]
        mat = st.maturity[idx]
        rad = _radii(kinds, mat, self.rp)
        return Snapshot(
            day=self.day, step=self.step_index,
            positions=st.pos[idx].astype(np.float32), kinds=kinds.copy(), origin=st.origin[idx].copy(),
            state=st.state[idx].copy(), maturity=mat.astype(np.float32), radius=rad,
            age_hours=st.age[idx].astype(np.float32), slots=idx.astype(np.int64),
            vessel_integrity=self.vessels.integrity.astype(np.float32).copy(),
            vessel_vcam=self.vessels.vcam.astype(np.float32).copy(),
            field=self.field.values.astype(np.float32) if include_field else None,
            field_voxel_um=self.field.h,
            counts=self.obs.last(),
        )

    def describe_agent(self, slot: int) -> dict:
        """What the GUI shows when a cell is clicked."""
        st = self.store
        if not (0 <= slot < st.capacity) or st.kind[slot] < 0:
            return {}
        k = int(st.kind[slot])
        info = {"slot": int(slot), "type": A.KIND_NAMES[k],
                "origin": "donor" if st.origin[slot] == A.DONOR else "host",
                "age_hours": float(st.age[slot]), "position_um": [float(x) for x in st.pos[slot]]}
        if k == A.MK:
            info["maturity"] = float(st.maturity[slot])
            info["ploidy"] = f"{2 ** (1 + 5 * st.maturity[slot]):.0f}N"
            info["state"] = {0: "migrating", 1: "docked at sinusoid", 2: "releasing platelets"}[int(st.state[slot])]
        if k == A.HSPC:
            info["state"] = "lodged in niche" if st.state[slot] == A.LODGED else "homing"
        if k in (A.MK, A.MKP, A.HSPC):
            from .vessels import vessel_near

            s, d, *_ = vessel_near(*st.pos[slot], self.vessels.lookup, self.vessels.lookup_h,
                                   self.vessels.p0, self.vessels.p1, self.vessels.radius)
            r = A.radius_of(k, st.maturity[slot], self.rp)
            gap = d - self.vessels.radius[s] - r if s >= 0 else float("inf")
            info["gap_to_sinusoid_um"] = float(gap)
            info["touches_vessel"] = bool(gap <= self.params["contact_gap_um"]) or (k == A.MK and st.state[slot] > 0)
        return info

    def agent_memory_bytes(self) -> int:
        return self.store.nbytes()


def _radii(kinds, mat, rp):
    r = np.ones(kinds.size, np.float32)
    r[kinds == A.HSPC] = rp[0]
    r[kinds == A.MKP] = rp[1]
    mk = kinds == A.MK
    r[mk] = rp[2] + (rp[3] - rp[2]) * mat[mk]
    r[(kinds == A.STROMA) | (kinds == A.MSC)] = rp[4]
    return r
