"""Uniform-grid neighbour search (cell lists).

``build_cell_list`` sorts agent indices by grid cell (counting sort, serial and
deterministic). Cells are numbered with z fastest, so the cells of one (x, y)
column that a query needs form one contiguous run of the sorted agents: a
radius query visits the columns within reach (skipping those whose nearest
point is out of reach) and, in each, only the cells of its z-window. Used for
volume exclusion between cells; never all-pairs.
"""
from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, nogil=True, inline="always")
def cell_coords(x, y, z, cell, nx, ny, nz):
    """Grid coordinates of the cell (or voxel) of edge ``cell`` holding a point, in a grid of
    nx x ny x nz (points outside go to the edge cells). The field and the sinusoid look-up grid
    index their voxels with it too."""
    return (min(max(int(x / cell), 0), nx - 1), min(max(int(y / cell), 0), ny - 1),
            min(max(int(z / cell), 0), nz - 1))


@njit(cache=True, nogil=True)
def build_cell_list(pos, members, cell, nx, ny, nz, start, order, keys):
    """Counting sort of ``members`` (agent indices) into grid cells.

    Fills ``start`` (nx * ny * nz + 1 entries: the agents of cell c are
    order[start[c]:start[c+1]]), ``order`` and the scratch ``keys`` (members.size entries
    each); within a cell agents keep the order of ``members``."""
    for c in range(start.size):
        start[c] = 0
    for k in range(members.size):
        i = members[k]
        ix, iy, iz = cell_coords(pos[i, 0], pos[i, 1], pos[i, 2], cell, nx, ny, nz)
        c = (ix * ny + iy) * nz + iz
        keys[k] = c
        start[c + 1] += 1
    for c in range(start.size - 1):
        start[c + 1] += start[c]
    for k in range(members.size):  # scatter; start[c] runs ahead as cell c fills, then is shifted back
        c = keys[k]
        order[start[c]] = members[k]
        start[c] += 1
    for c in range(start.size - 1, 0, -1):
        start[c] = start[c - 1]
    start[0] = 0


@njit(cache=True, nogil=True, inline="always")
def query_box(x, y, z, radius, cell, nx, ny, nz):
    """Cell ranges [ix0, ix1) x [iy0, iy1) x [iz0, iz1] that can hold points within ``radius``."""
    ix0, iy0, iz0 = cell_coords(x - radius, y - radius, z - radius, cell, nx, ny, nz)
    ix1, iy1, iz1 = cell_coords(x + radius, y + radius, z + radius, cell, nx, ny, nz)
    return ix0, ix1 + 1, iy0, iy1 + 1, iz0, iz1


@njit(cache=True, nogil=True, inline="always")
def column_gap2(x, y, ax, ay, cell):
    """Squared horizontal distance from (x, y) to the nearest point of column (ax, ay)."""
    gx = max(ax * cell - x, 0.0, x - (ax + 1) * cell)
    gy = max(ay * cell - y, 0.0, y - (ay + 1) * cell)
    return gx * gx + gy * gy


@njit(cache=True, nogil=True)
def neighbours_within(pos, i, radius, start, order, cell, nx, ny, nz, out):
    """Write the indices of agents within ``radius`` of agent i (excluding i) into ``out``.

    Returns how many were found (at most out.size).
    """
    x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
    ix0, ix1, iy0, iy1, iz0, iz1 = query_box(x, y, z, radius, cell, nx, ny, nz)
    r2 = radius * radius
    n = 0
    for ax in range(ix0, ix1):
        for ay in range(iy0, iy1):
            if column_gap2(x, y, ax, ay, cell) > r2 * (1.0 + 1e-12) + 1e-9:
                continue
            base = (ax * ny + ay) * nz
            for k in range(start[base + iz0], start[base + iz1 + 1]):
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
    """Cubic cells over a tile, with the sort's arrays kept between builds.

    Any cell edge gives the same neighbours; about the typical query radius is fastest (a
    query of radius R visits at most (2 ceil(R / cell) + 1)^2 runs of cells)."""

    def __init__(self, size_um, cell_um):
        self.cell = float(cell_um)
        self.shape = tuple(max(1, int(np.ceil(s / self.cell))) for s in size_um)
        # (32-bit counts and offsets: half the memory the sort streams through every step)
        self.start = np.zeros(int(np.prod(self.shape)) + 1, np.int32)
        self.order = np.zeros(0, np.int64)
        self.keys = np.zeros(0, np.int32)
        self._counts = np.zeros((0, 0), np.int32)

    def scratch(self, n):
        """(start, keys) arrays for sorting ``n`` agents (kept for the next sort)."""
        if self.keys.size < n:
            self.order = np.zeros(int(n * 1.25) + 16, np.int64)
            self.keys = np.zeros(self.order.size, np.int32)
        return self.start, self.keys

    def chunk_counts(self, chunks):
        """Scratch (chunks, cells) for a counting sort done in ``chunks`` parallel pieces."""
        if self._counts.shape[0] != chunks:
            self._counts = np.zeros((chunks, self.start.size - 1), np.int32)
        return self._counts

    def build(self, pos, members):
        """(start, order) for ``members``; both arrays are reused by the next build."""
        start, keys = self.scratch(members.size)
        build_cell_list(pos, members, self.cell, *self.shape, start, self.order, keys)
        return start, self.order[:members.size]
