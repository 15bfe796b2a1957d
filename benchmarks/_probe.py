"""Probe kernels for benchmarks.stats: a compute-only parallel kernel (parallel_probe) and a chain of
dependent memory reads (memory_probe)."""
import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def spin(a):
    for i in prange(a.size):
        x = a[i]
        for _ in range(100):
            x = np.sqrt(x + 1.0)
        a[i] = x


@njit(cache=True, nogil=True)
def chase(nxt, steps):
    """Follow ``nxt`` from slot 0 for ``steps`` reads, each waiting for the one before."""
    p = 0
    for _ in range(steps):
        p = nxt[p]
    return p
