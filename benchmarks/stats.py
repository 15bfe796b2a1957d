"""Timing statistics and a description of the machine the numbers come from."""
from __future__ import annotations

import os
import platform
import shutil
import subprocess
import sys
import time

import numpy as np


def summary(samples) -> dict:
    """Median and spread of repeated measurements: {median, min, max, iqr, spread_pct, n}."""
    a = np.asarray(list(samples), float)
    if a.size == 0:
        return {"median": float("nan"), "min": float("nan"), "max": float("nan"), "iqr": float("nan"),
                "spread_pct": float("nan"), "n": 0}
    med = float(np.median(a))
    q1, q3 = np.percentile(a, [25, 75])
    return {"median": med, "min": float(a.min()), "max": float(a.max()), "iqr": float(q3 - q1),
            "spread_pct": float(100.0 * (a.max() - a.min()) / med) if med else 0.0, "n": int(a.size)}


def scaled(s: dict, factor: float) -> dict:
    """A summary with every value multiplied by ``factor`` (a positive constant)."""
    out = dict(s)
    for k in ("median", "min", "max", "iqr"):
        out[k] = s[k] * factor
    return out


def inverse(s: dict, numerator: float) -> dict:
    """Summary of numerator / x from a summary of x (median, min and max swap roles)."""
    out = dict(s)
    out["median"] = numerator / s["median"] if s["median"] else float("nan")
    out["min"] = numerator / s["max"] if s["max"] else float("nan")
    out["max"] = numerator / s["min"] if s["min"] else float("nan")
    out["iqr"] = float("nan")
    return out


def parallel_probe() -> dict:
    """How many cores this process really gets now: a pure compute kernel timed on 1 thread and on
    all numba threads (2 on the reference machine). A speed-up near 1 means the other core was busy
    with other programs and the parallel kernels could not gain from it during the run."""
    import numba

    from ._probe import spin

    a = np.random.default_rng(0).random(100_000)
    spin(a)
    n = numba.get_num_threads()
    out = {}
    try:
        for threads in sorted({1, n}):
            numba.set_num_threads(threads)
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                spin(a)
                best = min(best, time.perf_counter() - t0)
            out[f"ms_{threads}_threads"] = 1e3 * best
    finally:
        numba.set_num_threads(n)
    out["speedup"] = out["ms_1_threads"] / out[f"ms_{n}_threads"]
    return out


def memory_probe(sizes_mib=(1, 16), steps: int = 200_000) -> dict:
    """Time per dependent random read (ns) in a chain that visits every slot of an array of each
    size once, in random order: the latency of the cache level (or memory) the array fits in. On the
    reference machine a 1 MiB array lives in L2 and a 16 MiB one in the 32 MiB L3 shared with other
    guests: a record of the machine beside each run (it read the same in the host's fast and slow
    moods, see docs/performance.md)."""
    from ._probe import chase

    rng = np.random.default_rng(0)
    out = {}
    for mib in sizes_mib:
        n = mib * 2**20 // 8
        order = rng.permutation(n)
        nxt = np.empty(n, np.int64)
        nxt[order] = np.roll(order, -1)      # one cycle through all n slots
        chase(nxt, min(n, steps))            # (compiles; brings the array in)
        best = float("inf")
        for _ in range(3):
            t0 = time.perf_counter()
            chase(nxt, steps)
            best = min(best, time.perf_counter() - t0)
        out[f"ns_per_read_{mib}_mib"] = 1e9 * best / steps
    return out


def latency_parts(probe) -> list[tuple[str, float]]:
    """(size in MiB, ns per read) pairs of a :func:`memory_probe` result."""
    return [(k.split("_")[3], v) for k, v in (probe or {}).items()]


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def machine() -> dict:
    """CPU, core count, memory, Python/numba/numpy versions, threading layer, load."""
    import numba

    info = {"platform": platform.platform(), "python": sys.version.split()[0], "numpy": np.__version__,
            "numba": numba.__version__, "cpu_count": os.cpu_count(),
            "numba_threads": int(numba.config.NUMBA_NUM_THREADS), "load_average": load_average(),
            "parallel_probe": parallel_probe(), "memory_probe": memory_probe(),
            "time": time.strftime("%Y-%m-%d %H:%M:%S %z")}
    if shutil.which("lscpu"):
        try:
            text = subprocess.run(["lscpu"], capture_output=True, text=True, timeout=10).stdout
            keep = ("Model name", "CPU(s)", "Thread(s) per core", "L1d cache", "L2 cache", "L3 cache",
                    "Hypervisor vendor", "Flags")
            for line in text.splitlines():
                k, _, v = line.partition(":")
                if k.strip() in keep:
                    v = v.strip()
                    if k.strip() == "Flags":
                        v = " ".join(f for f in v.split() if f.startswith(("avx", "fma", "sse4")))
                    info["lscpu_" + k.strip().lower().replace(" ", "_").replace("(s)", "s")] = v
        except (OSError, subprocess.SubprocessError):
            pass
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemTotal"):
                    info["mem_total_gib"] = round(int(line.split()[1]) / 2**20, 1)
    except OSError:
        pass
    return info
