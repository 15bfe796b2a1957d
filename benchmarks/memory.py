"""Memory: bytes per agent, peak at 100k agents, and day 1 against day 365 of a long run.

Agent state is the structure-of-arrays store (engine/agents.py: position, kind, origin, state,
link, age, maturity, timer, progress: engine.agents.BYTES_PER_AGENT per slot) plus the free-slot
stack; the step's scratch arrays (movement buffers, fate flags) add a fixed amount per slot.
The peak is the high-water resident set size (VmHWM) of a fresh process that builds the ~100k-agent tile
with the default 10 um field grid and steps it; tracemalloc's peak of Python-visible allocations
(numpy arrays included) is taken on a second, traced build (tracemalloc's own book-keeping would
inflate the resident peak). The long run is the default scenario for 365
days in a fresh process: resident memory and step time (wall and CPU) early and late in the run.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _status_mb(field: str) -> float | None:
    """A memory line of /proc/self/status (``VmRSS``, ``VmHWM``) in MB; None where there is none."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return None


def rss_mb() -> float:
    mb = _status_mb("VmRSS")
    return float("nan") if mb is None else mb


def peak_rss_mb() -> float:
    """High-water resident memory of this process (VmHWM). Not ru_maxrss: Linux carries that over an
    exec from the forking parent, so a probe started by a big benchmark process would report the
    parent's size."""
    mb = _status_mb("VmHWM")
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0 if mb is None else mb


def scratch_bytes(sim) -> int:
    names = ("new_pos", "bodies", "mobile", "mobile_q", "flags", "nspawn", "released", "near_seg", "near_d",
             "near_c", "cell_slots", "active")
    return sum(getattr(sim, n).nbytes for n in names if hasattr(sim, n))


def probe_peak(n_target: int, steps: int) -> dict:
    """In this (fresh) process: build ~n_target agents, step, report memory."""
    import tracemalloc

    import engine  # noqa: F401  (numba and numpy loaded before the baseline)
    from benchmarks.workloads import build
    from engine import agents as A

    from benchmarks.workloads import agent_density_per_mm3

    agent_density_per_mm3()  # the pilot run that sizes the tile, before the baseline
    import gc

    gc.collect()
    base = rss_mb()
    # 1. the resident peak of building and stepping the tile, untraced
    sim, info, build_s = build(n_target)
    sim.advance(steps * sim.dt)
    peak_rss, end_rss = peak_rss_mb(), rss_mb()
    # 2. the same again under tracemalloc (its own book-keeping would inflate the resident peak)
    del sim
    gc.collect()
    tracemalloc.start()
    sim, info, build_s = build(n_target)
    sim.advance(steps * sim.dt)
    cur, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    st = sim.store
    return {**info, "agents": st.n_alive, "capacity": st.capacity, "steps": steps,
            "rss_after_imports_mb": base, "peak_rss_mb": peak_rss, "rss_end_mb": end_rss,
            "tracemalloc_peak_mb": peak / 2**20, "tracemalloc_end_mb": cur / 2**20,
            "agent_store_mb": st.nbytes() / 2**20, "scratch_mb": scratch_bytes(sim) / 2**20,
            "field_mb": 3 * sim.field.values.nbytes / 2**20, "vessel_lookup_mb": sim.vessels.lookup.nbytes / 2**20,
            "field_shape": list(sim.field.shape),
            "bytes_per_agent_state": A.BYTES_PER_AGENT,
            "store_bytes_per_slot": st.nbytes() / st.capacity,
            "store_bytes_per_live_agent": st.nbytes() / st.n_alive,
            "scratch_bytes_per_slot": scratch_bytes(sim) / st.capacity}


def probe_long(days: int) -> dict:
    """In this (fresh) process: the default scenario for ``days`` days; day 1 against the last day."""
    from engine import Simulation, load_scenario

    sim = Simulation.from_scenario(load_scenario("wt_steady_state").copy_with(days=float(days)))
    per_day = []
    for d in range(days):
        w0 = sim.wall_seconds
        s0 = sim.steps_done
        c0 = time.process_time()
        sim.advance(24.0)
        n = sim.steps_done - s0
        per_day.append({"day": d + 1, "step_ms": 1e3 * (sim.wall_seconds - w0) / n,
                        "step_cpu_ms": 1e3 * (time.process_time() - c0) / n,
                        "rss_mb": rss_mb(), "agents": sim.store.n_alive, "capacity": sim.store.capacity})
    first, last = per_day[0], per_day[-1]
    # the first and the last 10% of the days; wall time is disturbed by other programs (it only ever
    # adds), so the slowdown is judged on the lower quartile of wall time and on CPU time per step
    k = max(1, days // 10)
    import numpy as np

    def q25(rows, key):
        return float(np.percentile([r[key] for r in rows], 25))

    early, late = q25(per_day[:k], "step_ms"), q25(per_day[-k:], "step_ms")
    early_cpu, late_cpu = q25(per_day[:k], "step_cpu_ms"), q25(per_day[-k:], "step_cpu_ms")
    # trend over the whole run (every day): median of the second half against the first half, and
    # the change along a least-squares line, both for CPU time per step
    cpu = np.array([r["step_cpu_ms"] for r in per_day])
    half = max(1, days // 2)
    halves = 100.0 * (np.median(cpu[half:]) - np.median(cpu[:half])) / np.median(cpu[:half]) if days > 1 else 0.0
    if days > 2:
        slope, icpt = np.polyfit(np.arange(days), cpu, 1)
        line = 100.0 * slope * (days - 1) / icpt
    else:
        line = 0.0
    per_agent = cpu / np.array([r["agents"] for r in per_day], float)
    per_agent_change = 100.0 * (np.percentile(per_agent[-k:], 25) - np.percentile(per_agent[:k], 25)) / \
        np.percentile(per_agent[:k], 25)
    every = max(1, days // 73)
    return {"days": days, "day_first": first, "day_last": last,
            "rss_growth_pct": 100.0 * (last["rss_mb"] - first["rss_mb"]) / first["rss_mb"],
            "step_ms_first_days": early, "step_ms_last_days": late,
            "slowdown_pct": 100.0 * (late - early) / early,
            "step_cpu_ms_first_days": early_cpu, "step_cpu_ms_last_days": late_cpu,
            "cpu_slowdown_pct": 100.0 * (late_cpu - early_cpu) / early_cpu, "window_days": k,
            "cpu_change_second_half_vs_first_pct": float(halves), "cpu_change_fitted_line_pct": float(line),
            "cpu_per_agent_change_pct": float(per_agent_change),
            "agents_change_pct": 100.0 * (np.median([r["agents"] for r in per_day[-k:]]) -
                                          np.median([r["agents"] for r in per_day[:k]])) /
            np.median([r["agents"] for r in per_day[:k]]),
            "peak_rss_mb": peak_rss_mb(),
            "rss_mb_by_day": [round(r["rss_mb"], 1) for r in per_day[::every]],
            "step_ms_by_day": [round(r["step_ms"], 3) for r in per_day[::every]],
            "step_cpu_ms_by_day": [round(r["step_cpu_ms"], 3) for r in per_day[::every]],
            "agents_by_day": [r["agents"] for r in per_day[::every]]}


def _subprocess(args: list[str], timeout: float) -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = subprocess.run([sys.executable, "-m", "benchmarks.memory", *args], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=timeout)
    if out.returncode != 0:
        return {"error": out.stderr.strip().splitlines()[-1] if out.stderr.strip() else f"exit {out.returncode}"}
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(opts) -> dict:
    from engine import agents as A

    n = 3000 if opts.quick else 100_000
    days = 3 if opts.quick else 365
    opts.log(f"memory: peak with ~{n} agents (fresh process)")
    t0 = time.perf_counter()
    peak = _subprocess(["peak", str(n), "6" if opts.quick else "24"], timeout=1800)
    opts.log(f"memory: {days}-day run (fresh process)")
    long = _subprocess(["long", str(days)], timeout=7200)
    return {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " "),
            "bytes_per_agent_state": A.BYTES_PER_AGENT, "peak": peak, "long_run": long,
            "seconds": time.perf_counter() - t0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="memory probes (run by `main.py bench`)")
    ap.add_argument("what", choices=("peak", "long"))
    ap.add_argument("n", type=int)
    ap.add_argument("steps", type=int, nargs="?", default=24)
    a = ap.parse_args(argv)
    res = probe_peak(a.n, a.steps) if a.what == "peak" else probe_long(a.n)
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
