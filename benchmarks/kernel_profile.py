"""Where a step's time goes, kernel by kernel: a timer around every kernel the step calls.

    python -m benchmarks.kernel_profile [--agents 100000] [--steps 30]

The step's kernels (the names :mod:`engine.simulation` and the display particles call) are
wrapped in timers for the run; the tile is the benchmark's (:func:`benchmarks.workloads.build`).
Prints the median ms per step of each kernel (wall, and CPU time of all threads: on a machine
shared with other programs the CPU time is the steadier figure), of the phases (as the bench counts
them) and the agent-updates/s of the agent phases. The wrappers add ~1 us per call; no number of the
run changes.
"""
from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent

#: (module, name) of the kernels a step calls, as the step looks them up
KERNELS = (
    ("engine.simulation", ("sort_bodies_kept", "move_mobile", "decide_fates", "apply_fates",
                           "fate_parameters", "treatment_effects")),
    ("engine.census", ("census",)),
    ("engine.sdf1_sources", ("list_sdf1_cells", "wall_sources")),
    ("engine.field", ("bucket_voxels", "react_diffuse_x_listed", "diffuse_yz")),
    ("engine.platelet_particles", ("shed_counts", "shed", "move_particles", "compact")),
)


def install_timers(acc: dict, cpu: dict) -> list:
    """Replace each kernel in KERNELS by a wrapper that adds its wall time (s) to ``acc[name]`` and
    the process's CPU time (s) to ``cpu[name]``. Returns what :func:`remove_timers` puts back."""
    import importlib

    originals = []
    for modname, names in KERNELS:
        mod = importlib.import_module(modname)
        for name in names:
            fn = getattr(mod, name)
            originals.append((mod, name, fn))

            def timed(*a, _fn=fn, _name=name, **k):
                t0, c0 = time.perf_counter(), time.process_time()
                r = _fn(*a, **k)
                acc[_name] += time.perf_counter() - t0
                cpu[_name] += time.process_time() - c0
                return r

            setattr(mod, name, timed)
    return originals


def remove_timers(originals: list) -> None:
    for mod, name, fn in originals:
        setattr(mod, name, fn)


def profile(sim, steps: int) -> dict:
    """Per-step times (ms lists) of every timed kernel (wall; CPU as "name cpu") and of the phases,
    over ``steps`` steps."""
    acc, cpu = defaultdict(float), defaultdict(float)
    originals = install_timers(acc, cpu)
    rows = defaultdict(list)
    try:
        for _ in range(steps):
            acc.clear()
            cpu.clear()
            before = dict(sim.phase_seconds)
            sim.advance(sim.dt)
            for k, v in acc.items():
                rows[k].append(1e3 * v)
                rows[k + " cpu"].append(1e3 * cpu[k])
            d = {k: 1e3 * (sim.phase_seconds[k] - before[k]) for k in before}
            for k, v in d.items():
                rows["phase " + k].append(v)
            rows["agent phases"].append(d["movement"] + d["fates"])
            rows["with display particles"].append(d["movement"] + d["fates"] + d["platelets"])
    finally:
        remove_timers(originals)
    return dict(rows)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.kernel_profile", description=__doc__.split("\n\n")[0])
    ap.add_argument("--agents", type=int, default=100_000, help="tile size in agents (default 100000)")
    ap.add_argument("--steps", type=int, default=30, help="steps timed (default 30)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    from .workloads import build

    sim, info, build_s = build(args.agents)
    sim.advance(2 * sim.dt)
    rows = profile(sim, args.steps)
    n = sim.store.n_alive
    print(f"{n} agents ({info['how']}), field {sim.field.shape}, {args.steps} steps; ms per step, median (min)")
    print(f"  {'':22s} {'wall':>16s} {'CPU':>16s}")
    for k, v in sorted(rows.items(), key=lambda kv: -np.median(kv[1])):
        if k.endswith(" cpu"):
            continue
        c = rows.get(k + " cpu")
        cpu = f"{np.median(c):7.3f} ({np.min(c):.3f})" if c else ""
        print(f"  {k:22s} {np.median(v):7.3f} ({np.min(v):.3f}) {cpu}")
    print(f"agent phases: {n / np.median(rows['agent phases']) / 1e3:.2f} M agent-updates/s "
          f"({n / np.median(rows['with display particles']) / 1e3:.2f} with the display particles' phase)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
