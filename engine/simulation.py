"""The simulation: one marrow tile stepped through time, its commands and its record.

    sim = Simulation.from_scenario(load_scenario("wt_steady_state"), seed=1)
    sim.advance(hours=24 * 60)
    sim.observables["platelets"]

A step (dt hours) is: instant events and infusions due -> systemic compartments (treatment
levels, blood platelets, TPO, blood neutrophils) -> sinusoid endothelium -> SDF-1 field -> movement -> fates
(deaths, births, release) -> display platelets -> record. Same scenario + same seed =
identical numbers, whatever the threads.

Where things live: the tile and its first cells are built by :mod:`engine.world`; what each
treatment and perturbation does is in :mod:`engine.interventions`; the schedule of events in
:mod:`engine.schedule` and the commands that change a run in :mod:`engine.commands`; the
mechanisms in :mod:`engine.systemic`, :mod:`engine.endothelium`, :mod:`engine.sdf1_sources`,
:mod:`engine.motility` and :mod:`engine.fates`; counting in :mod:`engine.census`.
"""
from __future__ import annotations

import math
import time

import numba
import numpy as np

from . import agents as A
from . import census as C
from . import fates as FT
from .commands import AddEvent, EditEvent, RemoveEvent, SetParameter
from .endothelium import update_endothelium
from .errors import InputError
from .fates import apply_fates, decide_fates, fate_parameters, splenic_yield
from .interventions import give, infuse_due, level_time_constants, msc_homing_effect, treatment_effects
from .neutrophils import Neutrophils
from .kept_rows import KeptRows
from .motility import move_mobile, motility_parameters, sort_bodies_kept
from .msc_secretome import MscSecretome
from .observables import Observables
from .parameters import ParameterSet
from .platelet_particles import ParticleBuffer
from .runtime import app_version
from .scenario import DOSE_UNIT_BY_SPECIES, Scenario
from .schedule import Schedule
from .sdf1_sources import Sdf1Lists
from .snapshot import Snapshot
from .systemic import Systemic
from .world import REFERENCE_TILE_UM3, build_tile, lineage_factor, populate

PHASES = ("systemic", "field", "movement", "fates", "platelets")

#: parameters that cannot change during a run (they shape the tile: its geometry, the cell sizes the
#: neighbour grid is cut for; or the model's state: the number of stages of a chain; reset needed)
LIVE_PARAMETERS_EXCLUDED = {"tile_x_um", "tile_y_um", "tile_z_um", "field_voxel_um", "vessel_spacing_um",
                            "vessel_radius_um", "car_cells_per_mm3", "niche_sites_per_mm3",
                            "endosteal_site_fraction", "dt_hours", "platelet_age_stages", "spinup_days",
                            "sample_hours", "hspc_radius_um", "mkp_radius_um", "mk_radius_min_um",
                            "mk_radius_max_um", "stroma_radius_um", "hspc_activation_stages", "mk_transit_stages",
                            "stress_spleen_stages", "anc_transit_stages", "graft_myeloid_stages"}

__all__ = ["Simulation", "AddEvent", "EditEvent", "RemoveEvent", "SetParameter", "LIVE_PARAMETERS_EXCLUDED",
           "REFERENCE_TILE_UM3"]


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
        self.rng = np.random.default_rng([self.seed, 20040101])
        self.step_index = 0
        self.time_hours = 0.0
        self.schedule = Schedule([])
        #: donor cells of a transplant still to arrive: (time h, kind, count)
        self.pending_infusions: list[tuple[float, int, int]] = []
        self.released_cum = 0.0
        self.release_rate = 0.0     # platelets entering the blood per hour (blood count units)
        self.donor_release_rate = 0.0   # of it: from donor-derived megakaryocytes
        self.obs = Observables("10^9/L" if self.species == "human" else "10^3/uL")
        self._next_sample = 0.0
        self.wall_seconds = 0.0
        self.steps_done = 0
        #: wall seconds per phase of the step (events+systemic+sinusoids, field, movement, fates,
        #: platelets) and agents stepped, summed over all steps; for benchmarks and profiling
        self.phase_seconds = dict.fromkeys(PHASES, 0.0)
        self.phase_agent_updates = 0
        self.tile = build_tile(p, self.seed, self.dt, self.rng)
        self.store, self.occupant = populate(self.tile, p, self.genotype, self.rng)
        self.particles = ParticleBuffer()
        #: the body sort's rows of the stroma, kept between steps (built on first use; never saved)
        self.kept_rows = KeptRows()
        #: the voxels the SDF-1 field's step lists: the walls', the cells' (built on first use; never saved)
        self.sdf1_lists = Sdf1Lists()
        g = lineage_factor(p, self.genotype)
        mk_ref = self.mk_reference
        self.systemic = Systemic(p, self.genotype, mk_ref)
        self.systemic.set_platelets(p["platelet_baseline"] * g)
        self.systemic.tpo = self.systemic.tpo_steady_state(self.systemic.platelets, mk_ref * g)
        #: the set-up's (steady-state) lodged HSPCs: what the neutrophil supply and the splenic stress
        #: output are counted against
        self.hspc_reference = float(np.count_nonzero(self.occupant >= 0))
        self.neutrophils = Neutrophils(p, self.hspc_reference)
        #: lung load and plasma level of the factors infused MSCs secrete (engine/msc_secretome.py)
        self.msc_secretome = MscSecretome()
        self._alloc_scratch()
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

    @classmethod
    def from_scenario(cls, scenario: Scenario, seed: int | None = None, **kw) -> "Simulation":
        return cls(scenario, seed, **kw)

    # ------------------------------------------------------------------ the tile
    @property
    def size(self) -> np.ndarray:
        return self.tile.size

    @property
    def vessels(self):
        return self.tile.vessels

    @property
    def field(self):
        return self.tile.field

    @property
    def sites(self) -> np.ndarray:
        return self.tile.sites

    @property
    def grid(self):
        return self.tile.grid

    @property
    def rp(self) -> np.ndarray:
        """Radii (um): [hspc, mkp, mk_min, mk_max, stroma]."""
        return self.tile.radii

    @property
    def tile_um3(self) -> float:
        return self.tile.um3

    @property
    def tile_mm3(self) -> float:
        return self.tile.um3 * 1e-9

    @property
    def mk_reference(self) -> float:
        """The WT MK number of this tile (``mk_baseline_per_mm3`` x its volume): the blood
        compartments count the MKs' TPO receptors relative to it."""
        return self.params["mk_baseline_per_mm3"] * self.tile_mm3

    @property
    def blood_scale(self) -> float:
        """Blood count per platelet released in the tile (``platelet_output_scale`` per million
        in the default tile, scaled with the tile's volume)."""
        return self.params["platelet_output_scale"] * 1e-6 * REFERENCE_TILE_UM3 / self.tile.um3

    def living(self) -> np.ndarray:
        """Slots of every living agent, in slot order."""
        return np.flatnonzero(self.store.kind >= 0)

    # ------------------------------------------------------------------ scratch
    def _alloc_scratch(self):
        cap = self.store.capacity
        self.flags = np.zeros(cap, np.uint8)
        self.nspawn = np.zeros(cap, np.int32)
        self.released = np.zeros(cap)
        self.active = np.zeros(cap, np.int64)    # agents apply_fates acts on (decide_fates lists them)
        self.counters = np.zeros(FT.FC_SIZE)
        self._alloc_step_arrays(cap)

    def _alloc_step_arrays(self, cap):
        """Per-slot arrays a step fills before it reads them (made anew when the store grows)."""
        self.bodies = np.zeros((cap, 4))  # cell-ordered x, y, z, radius (movement)
        self.mobile = np.zeros(cap, np.int64)
        self.mobile_q = np.zeros(cap, np.int64)
        self.new_pos = np.zeros((cap, 3))
        # nearest sinusoid and SDF-1 per agent slot: filled by move_mobile, read by decide_fates
        self.near_seg = np.full(cap, -1, np.int32)
        self.near_d = np.zeros(cap)
        self.near_c = np.zeros(cap)
        # slots of the living cells, filled by census each step
        self.cell_slots = np.zeros(cap, np.int64)

    def _grow_scratch_keeping(self):
        """Grow scratch arrays after the store grew, keeping this step's decisions."""
        cap = self.store.capacity
        old = self.flags.size
        if cap == old:
            return
        for name in ("flags", "nspawn", "released", "active"):
            a = getattr(self, name)
            b = np.zeros(cap, a.dtype)
            b[:old] = a
            setattr(self, name, b)
        self._alloc_step_arrays(cap)

    # ------------------------------------------------------------------ commands
    def apply(self, command):
        """Change the run between steps: AddEvent (returns the new event's id), EditEvent,
        RemoveEvent or SetParameter (see :mod:`engine.commands`)."""
        now = self.time_hours
        if isinstance(command, AddEvent):
            return self.schedule.add(command.event, now, command.past)
        if isinstance(command, EditEvent):
            self.schedule.edit(command.event_id, command.event, now, command.past)
            return None
        if isinstance(command, RemoveEvent):
            self.schedule.remove(command.event_id, now)
            return None
        if isinstance(command, SetParameter):
            if command.name in LIVE_PARAMETERS_EXCLUDED:
                raise InputError("this parameter shapes the tile or the model's compartments; change it in "
                                 "the scenario and reset", field=command.name)
            self.params.set(command.name, command.value)
            p = self.params
            if command.name == "sdf1_diffusion_um2_per_h":
                self.field.set_coefficients(p[command.name], self.dt)
            # (the blood compartments keep constants read from the parameters: read them again)
            self.systemic.set_constants(p, self.mk_reference)
            self.neutrophils.set_constants(p)
            self.schedule.edit_log.append(f"day {now / 24.0:.2f}: set {command.name} = {command.value:g}")
            return None
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
            self.step()
            if record and self.time_hours >= self._next_sample - 1e-9:
                self._record()
        self.wall_seconds += time.perf_counter() - t0
        self.steps_done += n

    def step(self) -> None:
        """One time step (not recorded: :meth:`advance` records at the sampling interval)."""
        clock = time.perf_counter
        t_start = clock()
        p = self.params
        dt = self.dt
        st = self.store
        t = self.time_hours
        seed = self.seed
        step = self.step_index
        # 1. instant events and infusions due
        for ev in self.schedule.due(t, dt):
            give(self, ev)
        infuse_due(self, t + dt)
        if st.capacity != self.flags.size:
            self._alloc_scratch()
        # 2. systemic compartments (and the list of cells, in slot order)
        counts, n_cells = C.census(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, p["mkp_stage_hours"],
                                    self.occupant, self.cell_slots, p["mk_endomitosis_share"])
        cells = self.cell_slots[:n_cells]
        self.counts = counts
        sysm = self.systemic
        sysm.advance_levels(dt, self.schedule.targets(t), level_time_constants(p))
        self.msc_secretome.advance(p, dt)
        fx = treatment_effects(p, sysm.levels, self.msc_secretome.level)
        # (the spleen's stress platelets, mouse only, join the tile's release: none until the first injury)
        spleen = sysm.spleen_release(splenic_yield(p, sysm.relative_signal())) if sysm.spleen_chain.any() else 0.0
        sysm.advance_blood(dt, self.release_rate + spleen, counts[C.C_MK], fx.tpo_production,
                           self.donor_release_rate, counts[C.C_MK_DONOR])
        sysm.advance_transit(dt)
        sysm.advance_spleen(dt, counts[C.C_HSPC_HOST] / self.hspc_reference)
        sysm.advance_activation(dt)
        self.neutrophils.advance(dt, counts[C.C_HSPC_LODGED], fx.gcsf, sysm.graft_myeloid_output())
        sysm.advance_graft(dt)
        # 3. sinusoid endothelium: integrity (disruption, regeneration), VCAM-1 (FGF-4)
        v = self.vessels
        update_endothelium(v, fx, p, dt)
        # 4. SDF-1 field
        t_field = clock()
        tile = self.tile
        f = tile.field
        car_rate = p["sdf1_car_secretion"] / tile.voxel_um3
        self.sdf1_lists.step(f, st.kind, st.pos, cells, car_rate, car_rate * p["msc_sdf1_factor"],
                             p["sdf1_uptake_per_cell"] / tile.voxel_um3, p["sdf1_decay_per_h"], tile.wall_voxels,
                             tile.wall_segments, fx.wall_sdf1, v.integrity)
        # 5. movement: only mobile cells move (immobile ones would be copied onto themselves), in cell order
        t_move = clock()
        grid = tile.grid
        mp = motility_parameters(p, dt, fx.cxcr4)
        start, keys = grid.scratch(cells.size)
        kept = self.kept_rows
        for _ in range(2):   # (the second time with the stroma's rows kept afresh)
            if kept.fits(st.capacity, start.size - 1, tile.radii[4]):
                n_mobile = sort_bodies_kept(st.pos, st.kind, st.state, st.maturity, cells, tile.radii, grid.cell,
                                            *grid.shape, start, keys, self.bodies, self.mobile, self.mobile_q,
                                            grid.chunk_counts(numba.get_num_threads()), kept.rows,
                                            kept.start, kept.pos, kept.n, numba.get_num_threads())
                if n_mobile >= 0:
                    break
            kept.build(st.pos, st.kind, cells, tile.radii, grid.cell, *grid.shape)
        move_mobile(st.kind, st.pos, self.mobile[:n_mobile], self.mobile_q[:n_mobile], self.new_pos, start,
                    self.bodies, grid.cell, *grid.shape, f.values, f.h, v.lookup, v.lookup_h, v.p0, v.p1,
                    v.radius, tile.size, mp, tile.rmax, seed, step, self.near_seg, self.near_d, self.near_c)
        # 6. fates
        t_fate = clock()
        n_msc = int(counts[C.C_MSC])
        free_fraction = float(np.count_nonzero(self.occupant < 0)) / len(tile.sites)
        fp = fate_parameters(p, dt, fx, sysm.drive(counts[C.C_HSPC_DONOR_LODGED]), free_fraction,
                             msc_homing_effect(p, n_msc, tile.volume_scale))
        msc_pos = st.pos[cells[st.kind[cells] == A.MSC]] if n_msc else np.zeros((0, 3))
        # (decide_fates returns the free slots its births will take, and lists in self.active the
        # agents that apply_fates has anything to do with)
        births, n_active = decide_fates(st.kind, st.origin, st.state, st.pos, st.age, st.maturity, st.timer, st.ploidy, st.link, cells,
                                        fp, tile.radii, msc_pos, self.near_seg, self.near_d, self.near_c, v.radius,
                                        v.integrity, v.vcam, seed, step, self.flags, self.nspawn, self.released,
                                        self.active, numba.get_num_threads())
        if st.top[0] < 16 + births:
            st.ensure_free(16 + births)
            self._grow_scratch_keeping()
        homing = counts[C.C_HSPC_HOST] + counts[C.C_HSPC_DONOR] > counts[C.C_HSPC_LODGED]
        apply_fates(st.kind, st.origin, st.state, st.link, st.age, st.maturity, st.timer, st.pos, st.uid, st.next_uid,
                    self.active[:n_active], self.flags, self.nspawn, self.released, st.free, st.top, tile.sites,
                    self.occupant, tile.size, p["daughter_search_radius_um"], p["niche_capture_radius_um"], seed, step,
                    self.counters, homing)
        released = self.counters[FT.FC_RELEASED]
        self.released_cum += released
        self.release_rate = released / dt * self.blood_scale
        self.donor_release_rate = self.counters[FT.FC_RELEASED_DONOR] / dt * self.blood_scale
        # 7. display platelets (their own buffer and random streams: they never change a cell's fate)
        t_plt = clock()
        self.particles.step(st.kind, st.link, st.pos, self.active[:n_active], self.released,
                            p["platelet_particles_per_mk"] / p["platelets_per_mk"], p["platelet_particle_life_hours"],
                            v, p["platelet_particle_flow_um_per_h"], dt, seed, step)
        t_end = clock()
        ph = self.phase_seconds
        ph["systemic"] += t_field - t_start
        ph["field"] += t_move - t_field
        ph["movement"] += t_fate - t_move
        ph["fates"] += t_plt - t_fate
        ph["platelets"] += t_end - t_plt
        self.phase_agent_updates += n_cells
        self.step_index += 1
        self.time_hours += dt

    # ------------------------------------------------------------------ outputs
    def _record(self):
        st = self.store
        members = self.living()
        c = C.tally(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, self.params["mkp_stage_hours"],
                    members, self.occupant, self.params["mk_endomitosis_share"])
        sysm = self.systemic
        hspc = c[C.C_HSPC_HOST] + c[C.C_HSPC_DONOR]
        mk = c[C.C_MK]
        at_vessel = c[C.C_MK_DOCKED] + c[C.C_MK_RELEASING]
        lv = sysm.levels
        row = {
            "day": self.time_hours / 24.0,
            "platelets": sysm.platelets,
            "platelets_rel": sysm.platelets / self.params["platelet_baseline"],
            "anc": self.neutrophils.anc,
            "tpo_pg_ml": sysm.mpl_ligand,
            "tpo_signal": sysm.tpo_signal(),
            "hspc_host": c[C.C_HSPC_HOST],
            "hspc_donor": c[C.C_HSPC_DONOR],
            "donor_chimerism": c[C.C_HSPC_DONOR] / hspc if hspc else 0.0,
            "niche_occupancy": float(np.count_nonzero(self.occupant >= 0)) / len(self.occupant),
            "hspc_activation": sysm.activation(),
            "mkp": c[C.C_MKP],
            "mk": mk,
            "mk_at_vessel": at_vessel,
            "mk_vessel_fraction": at_vessel / mk if mk else 0.0,
            "mk_mean_ploidy": c[C.C_MK_PLOIDY_SUM] / mk if mk else 0.0,
            "mk_immature": c[C.C_MK_IMMATURE],
            "sdf1_mean": float(self.field.values.mean()),
            "platelets_released_cum": self.released_cum * 1e-6,
            "vessel_integrity": float(self.vessels.integrity.mean()),
            "vcam1": float(self.vessels.vcam.mean()),
            "msc_cells": c[C.C_MSC],
            "il6": lv["il6"], "il11": lv["il11"], "sdf1_plasma": lv["sdf1"], "fgf4": lv["fgf4"],
            "msc_ev": lv["msc_ev"], "msc_ev_marrow": lv["msc_ev_marrow"], "msc_secretome": self.msc_secretome.level,
            "niche_disruption": lv["niche_disruption"],
            "cxcr4_block": lv["cxcr4_block"], "vla4_block": lv["vla4_block"], "gcsf": lv["gcsf"],
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
                "edits_during_run": "; ".join(self.schedule.edit_log),
                "platelet_unit": self.obs.units["platelets"],
                "donor_dose_unit": DOSE_UNIT_BY_SPECIES[self.species]}

    def snapshot(self, include_field: bool = False) -> Snapshot:
        """Copies of what the view draws: the living cells, then the display particles (kind
        PLATELET, id -1)."""
        st = self.store
        idx = self.living()
        kinds = st.kind[idx]
        mat = st.maturity[idx]
        m = self.particles.n

        def cells_then(a, fill, dtype):
            return np.concatenate([a.astype(dtype), np.full((m,) + a.shape[1:], fill, dtype)])

        positions = np.concatenate([st.pos[idx], self.particles.positions()]).astype(np.float32)
        return Snapshot(
            day=self.day, step=self.step_index, positions=positions,
            kinds=cells_then(kinds, A.PLATELET, np.int8), origin=cells_then(st.origin[idx], 0, np.int8),
            state=cells_then(st.state[idx], 0, np.int8), maturity=cells_then(mat, 0.0, np.float32),
            radius=cells_then(_radii(kinds, mat, self.rp), 1.0, np.float32),
            age_hours=cells_then(st.age[idx], 0.0, np.float32), ids=cells_then(st.uid[idx], -1, np.int64),
            vessel_integrity=self.vessels.integrity.astype(np.float32).copy(),
            vessel_vcam=self.vessels.vcam.astype(np.float32).copy(),
            field=self.field.values.astype(np.float32) if include_field else None,
            field_voxel_um=self.field.h,
            counts=self.obs.last(),
        )

    def describe_agent(self, agent_id: int) -> dict:
        """What the GUI shows when a cell is clicked ({} when that cell no longer lives)."""
        st = self.store
        slot = st.slot_of(int(agent_id))
        if slot < 0:
            return {}
        k = int(st.kind[slot])
        info = {"id": int(agent_id), "type": A.KIND_NAMES[k],
                "origin": "donor" if st.origin[slot] == A.DONOR else "host",
                "age_hours": float(st.age[slot]), "position_um": [float(x) for x in st.pos[slot]]}
        if k == A.MK:
            info["maturity"] = float(st.maturity[slot])
            now = C.current_ploidy(float(st.ploidy[slot]), float(st.maturity[slot]),
                                   self.params["mk_endomitosis_share"])
            cls = float(st.ploidy[slot])
            info["ploidy"] = f"{now:.0f}N" if now >= cls - 0.5 else f"{now:.0f}N, reaching {cls:.0f}N"
            info["state"] = {0: "migrating", 1: "docked at sinusoid", 2: "releasing platelets"}[int(st.state[slot])]
        if k == A.HSPC:
            info["state"] = "lodged in niche" if st.state[slot] == A.LODGED else "homing"
        if k in (A.MK, A.MKP, A.HSPC):
            from .vessels import vessel_near

            v = self.vessels
            s, d, *_ = vessel_near(*st.pos[slot], v.lookup, v.lookup_h, v.p0, v.p1, v.radius)
            r = A.radius_of(k, st.maturity[slot], self.rp)
            gap = d - v.radius[s] - r if s >= 0 else float("inf")
            info["gap_to_sinusoid_um"] = float(gap)
            info["touches_vessel"] = bool(gap <= self.params["contact_gap_um"]) or (k == A.MK and st.state[slot] > 0)
        return info


def _radii(kinds, mat, rp):
    r = np.ones(kinds.size, np.float32)
    r[kinds == A.HSPC] = rp[0]
    r[kinds == A.MKP] = rp[1]
    mk = kinds == A.MK
    r[mk] = rp[2] + (rp[3] - rp[2]) * mat[mk]
    r[(kinds == A.STROMA) | (kinds == A.MSC)] = rp[4]
    return r
