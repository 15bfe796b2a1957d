"""Engine throughput against agent count, per phase; and the NumPy reference beside it.

An *agent-update* is one cell carried through one time step. Throughput is cells / wall time
of the agent phases of the step (movement with neighbour search, fate decisions and births /
deaths: DESIGN.md section 5's "movement, neighbours, fate; display particles not counted"); "with
display particles" adds the released-platelet particles' phase, which only the 3D view needs;
"whole step" also counts the SDF-1 field (sources + solve) and the systemic ODEs. Time per
simulated day is the whole-step time x steps per day.
"""
from __future__ import annotations

import gc

import numpy as np

from .stats import inverse, scaled
from .workloads import build, time_steps

SIZES = (10_000, 30_000, 100_000, 300_000)
QUICK_SIZES = (1_500, 4_000)
NUMPY_SIZES = (10_000, 100_000)
QUICK_NUMPY_SIZES = (1_500,)


def _engine_entry(sim, info, build_s, steps, repeats) -> dict:
    import numba

    sim.advance(2 * sim.dt)  # warm-up (kernels are compiled already; touches the scratch memory)
    t = time_steps(sim, steps, repeats)
    n = t["agents"]
    threads = numba.get_num_threads()
    one = None
    if threads > 1:  # the same tile on one worker thread: how much the second core gave
        numba.set_num_threads(1)
        try:
            one = time_steps(sim, steps, max(2, repeats // 2))
        finally:
            numba.set_num_threads(threads)
    steps_per_day = 24.0 / sim.dt
    ph = t["phase_ms"]
    return {
        **info,
        "agents": n,
        "field_voxels": int(np.prod(sim.field.shape)),
        "field_shape": list(sim.field.shape),
        "build_s": build_s,
        "steps_per_repeat": steps,
        "step_ms": t["step_ms"],
        "phase_ms": ph,
        "agent_phase_ms": t["agent_phase_ms"],
        "agent_updates_per_s": inverse(t["agent_phase_ms"], 1e3 * n),
        "with_particles_ms": t["with_particles_ms"],
        "with_particles_agent_updates_per_s": inverse(t["with_particles_ms"], 1e3 * n),
        "whole_step_agent_updates_per_s": inverse(t["step_ms"], 1e3 * n),
        "movement_agent_updates_per_s": inverse(ph["movement"], 1e3 * n),
        "fates_agent_updates_per_s": inverse(ph["fates"], 1e3 * n),
        "field_voxel_updates_per_s": inverse(ph["field"], 1e3 * np.prod(sim.field.shape)),
        "s_per_sim_day": scaled(t["step_ms"], steps_per_day / 1e3),
        "ns_per_agent_update": scaled(t["agent_phase_ms"], 1e6 / n),
        "threads": threads,
        "one_thread": None if one is None else {
            "agents": one["agents"], "step_ms": one["step_ms"], "agent_phase_ms": one["agent_phase_ms"],
            "phase_ms": one["phase_ms"],
            "agent_updates_per_s": inverse(one["agent_phase_ms"], 1e3 * one["agents"])},
    }


def scaling_fit(entries) -> dict:
    """Least-squares exponent b of cost ~ agents^b (1 = linear), for agent phases and whole step."""
    if len(entries) < 2:
        return {}
    n = np.array([e["agents"] for e in entries])
    out = {}
    for key in ("agent_phase_ms", "step_ms"):
        t = np.array([e[key]["median"] for e in entries])
        b = np.polyfit(np.log(n), np.log(t), 1)[0]
        per = t / n
        out[key] = {"exponent": float(b), "cost_per_agent_largest_over_smallest": float(per[-1] / per[0])}
    return out


def run(opts, sections) -> dict:
    """Results for the 'engine' and/or 'numpy' sections (they share the built tiles)."""
    from . import numpy_reference

    quick = opts.quick
    steps, repeats = (3, 2) if quick else (6, 5)
    want_engine = "engine" in sections
    want_numpy = "numpy" in sections
    sizes = set()
    if want_engine:
        sizes |= set(QUICK_SIZES if quick else SIZES)
    if want_numpy:
        sizes |= set(QUICK_NUMPY_SIZES if quick else NUMPY_SIZES)
    numpy_sizes = set(QUICK_NUMPY_SIZES if quick else NUMPY_SIZES) if want_numpy else set()
    engine_rows, numpy_rows = [], []
    for n_target in sorted(sizes):
        opts.log(f"engine: building ~{n_target} agents")
        sim, info, build_s = build(n_target)
        opts.log(f"engine: {sim.store.n_alive} agents ({info['how']}), built in {build_s:.1f} s; timing")
        entry = _engine_entry(sim, info, build_s, steps, repeats)
        if want_engine and n_target in (QUICK_SIZES if quick else SIZES):
            engine_rows.append(entry)
            opts.log(f"engine: {entry['agents']:.0f} agents: {entry['step_ms']['median']:.1f} ms/step, "
                     f"{entry['agent_updates_per_s']['median'] / 1e6:.2f} M agent-updates/s")
        if n_target in numpy_sizes:
            opts.log(f"numpy: reference step on {sim.store.n_alive} agents")
            ref = numpy_reference.compare(sim, repeats=2 if quick else 3)
            ph = entry["phase_ms"]
            core = ph["movement"]["median"] + ph["fates"]["median"] + ph["field"]["median"]
            numpy_rows.append({
                "target_agents": n_target, "agents": ref["agents"], "how": info["how"],
                "numpy_phase_ms": ref["phase_ms"], "numpy_core_ms": ref["core_ms"],
                "engine_phase_ms": {k: ph[k] for k in ("movement", "fates", "field")},
                "engine_core_ms": {"median": core},
                "speedup": {k: ref["phase_ms"][k]["median"] / ph[k]["median"] for k in ("movement", "fates", "field")}
                | {"core": ref["core_ms"]["median"] / core},
                "agreement": ref["agreement"],
            })
        del sim
        gc.collect()
    out = {}
    if want_engine:
        out["engine"] = {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " "),
                         "sizes": engine_rows, "scaling": scaling_fit(engine_rows)}
    if want_numpy:
        out["numpy"] = {"definition": "Same state, same rules: NumPy (vectorised, no numba) field solve + movement "
                                      "+ fate decisions against the engine's field, movement and fates phases "
                                      "(engine timed in the same run on the same tile). speedup = NumPy time / "
                                      "engine time.",
                        "sizes": numpy_rows}
    return out
