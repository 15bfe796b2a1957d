"""The body sort's kept rows: the stroma's (x, y, z, radius), sorted by neighbour cell once.

The stroma (resident CAR cells, infused MSCs) never move, yet the body sort
(:func:`engine.motility.sort_bodies_kept`) would scatter their ~40% of the rows anew every
step. Their rows are sorted here once and copied in whole runs into each cell's first rows; the
sort scatters only the other cells. The layer is checked every step by the sort (each stroma
member must sit at its kept position, and there must be as many as kept) and built again when it
does not hold: stroma added or removed, the store grown, another stroma radius. Rows carry no
agent (stroma never move), and the order of a cell's rows changes no number of the movement.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .agents import MSC, STROMA
from .cell_lists import cell_coords


class KeptRows:
    """The kept layer: ``rows`` (n, 4) in cell order, ``start`` (cells + 1: the kept rows of cell
    c are rows[start[c]:start[c + 1]]), ``pos`` (per agent slot: the kept position, NaN where no
    stroma is kept) and ``n``."""

    def __init__(self):
        self.rows = np.zeros((0, 4))
        self.start = np.zeros(1, np.int32)
        self.pos = np.zeros((0, 3))
        self.n = 0
        self.radius = np.nan

    def fits(self, capacity: int, ncell: int, radius: float) -> bool:
        """Whether the layer was built for this store capacity, grid and stroma radius (whether
        it still holds the stroma is the sort's check)."""
        return self.pos.shape[0] == capacity and self.start.size == ncell + 1 and self.radius == radius

    def build(self, pos, kind, members, rp, cell, nx, ny, nz) -> None:
        """The layer of the stroma among ``members`` (agents of a cell in the order of ``members``)."""
        n = int(np.count_nonzero((kind[members] == STROMA) | (kind[members] == MSC)))
        self.rows = np.zeros((n, 4))
        self.start = np.zeros(nx * ny * nz + 1, np.int32)
        self.pos = np.full((pos.shape[0], 3), np.nan)
        self.n = keep_rows(pos, kind, members, rp, cell, nx, ny, nz, self.rows, self.start, self.pos)
        self.radius = float(rp[4])


@njit(cache=True, nogil=True)
def keep_rows(pos, kind, members, rp, cell, nx, ny, nz, rows, start, kpos):
    """Counting sort of the stroma among ``members`` into ``rows`` and ``start`` (as
    :class:`KeptRows` holds them; ``start`` zero on entry), their positions into ``kpos`` by slot.
    Returns how many."""
    nk = 0
    keys = np.empty(members.size, np.int64)
    for k in range(members.size):
        i = members[k]
        keys[k] = -1
        if kind[i] == STROMA or kind[i] == MSC:
            ix, iy, iz = cell_coords(pos[i, 0], pos[i, 1], pos[i, 2], cell, nx, ny, nz)
            keys[k] = (ix * ny + iy) * nz + iz
            start[keys[k] + 1] += 1
            nk += 1
    for c in range(start.size - 1):
        start[c + 1] += start[c]
    fill = start[:-1].copy()
    for k in range(members.size):
        if keys[k] >= 0:
            i = members[k]
            q = fill[keys[k]]
            fill[keys[k]] += 1
            rows[q, 0], rows[q, 1], rows[q, 2], rows[q, 3] = pos[i, 0], pos[i, 1], pos[i, 2], rp[4]
            kpos[i, 0], kpos[i, 1], kpos[i, 2] = pos[i, 0], pos[i, 1], pos[i, 2]
    return nk
