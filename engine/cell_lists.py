"""Uniform-grid neighbour search (cell lists).

``build_cell_list`` sorts agent indices by grid cell (counting sort, serial and
deterministic); ``neighbours_within`` answers a radius query from it. Used for
volume exclusion between cells; never all-pairs.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def cell_index(x, y, z, cell, nx, ny, nz):
    ix = min(max(int(x / cell), 0), nx - 1)
    iy = min(max(int(y / cell), 0), ny - 1)
    iz = min(max(int(z / cell), 0), nz - 1)
    return (ix * ny + iy) * nz + iz


@njit(cache=True, nogil=True)
def build_cell_list(pos, members, cell, nx, ny, nz):
    """Counting sort of ``members`` (agent indices) into grid cells.

    Returns (start, order): the agents of cell c are order[start[c]:start[c+1]].
    """
    ncell = nx * ny * nz
    counts = np.zeros(ncell + 1, np.int64)
    keys = np.empty(members.size, np.int64)
    for k in range(members.size):
        i = members[k]
        c = cell_index(pos[i, 0], pos[i, 1], pos[i, 2], cell, nx, ny, nz)
        keys[k] = c
        counts[c + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    order = np.empty(members.size, np.int64)
    for k in range(members.size):
        c = keys[k]
        order[fill[c]] = members[k]
        fill[c] += 1
    return start, order


@njit(cache=True, nogil=True)
def neighbours_within(pos, i, radius, start, order, cell, nx, ny, nz, out):
    """Write the indices of agents within ``radius`` of agent i (excluding i) into ``out``.

    Returns how many were found (at most out.size).
    """
    x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
    reach = int(np.ceil(radius / cell))
    ix = min(max(int(x / cell), 0), nx - 1)
    iy = min(max(int(y / cell), 0), ny - 1)
    iz = min(max(int(z / cell), 0), nz - 1)
    r2 = radius * radius
    n = 0
    for ax in range(max(ix - reach, 0), min(ix + reach + 1, nx)):
        for ay in range(max(iy - reach, 0), min(iy + reach + 1, ny)):
            for az in range(max(iz - reach, 0), min(iz + reach + 1, nz)):
                c = (ax * ny + ay) * nz + az
                for k in range(start[c], start[c + 1]):
                    j = order[k]
                    if j == i:
                        continue
                    dx = pos[j, 0] - x
                    dy = pos[j, 1] - y
                    dz = pos[j, 2] - z
                    if dx * dx + dy * dy + dz * dz <= r2:
                        if n < out.size:
                            out[n] = j
                        n += 1
    return min(n, out.size)


class CellGrid:
    """Grid shape for a tile; the cell edge must be at least the interaction range."""

    def __init__(self, size_um, cell_um):
        self.cell = float(cell_um)
        self.shape = tuple(max(1, int(np.ceil(s / self.cell))) for s in size_um)

    def build(self, pos, members):
        nx, ny, nz = self.shape
        return build_cell_list(pos, members, self.cell, nx, ny, nz)
