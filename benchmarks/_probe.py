"""A compute-only parallel kernel for benchmarks.stats.parallel_probe."""
import numpy as np
from numba import njit, prange


@njit(cache=True, nogil=True, parallel=True)
def spin(a):
    for i in prange(a.size):
        x = a[i]
        for _ in range(100):
            x = np.sqrt(x + 1.0)
        a[i] = x
