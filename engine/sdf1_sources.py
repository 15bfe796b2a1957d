"""SDF-1 (CXCL12) sources and sinks: where the field's secretion and receptor uptake come from
each step -- CAR stroma, infused MSCs, the sinusoid endothelium (with exogenous SDF-1 entering at
the walls), and CXCR4 uptake by HSPCs, MK progenitors and megakaryocytes."""
from __future__ import annotations

from numba import njit, prange

from .agents import HSPC, MK, MKP, MSC, STROMA
from .cell_lists import cell_coords
from .prefetch import PREFETCH_AHEAD, prefetch


@njit(cache=True, nogil=True, parallel=True)
def deposit_sdf1(kind, pos, members, source, lam, h, car_rate, msc_rate, uptake, endo_idx,
                 endo_seg, endo_rate, integrity):
    """Fill the SDF-1 source and loss-rate grids from cells (serial, in the order of
    ``members``) and then from sinusoid walls (parallel: ``endo_idx`` lists each wall voxel
    once, so every voxel still gets its additions in the same order).

    The cells' voxels lie scattered over grids far larger than the caches (28 MB each at 100k
    agents): the line of the cell PREFETCH_AHEAD members on is requested early, so that many
    are in flight at once (half the time of the serial loop at 100k agents)."""
    nx, ny, nz = source.shape
    flat_src = source.reshape(-1)
    flat_lam = lam.reshape(-1)
    last = members.size - 1
    for m in range(members.size):
        a = members[min(m + PREFETCH_AHEAD, last)]
        ax, ay, az = cell_coords(pos[a, 0], pos[a, 1], pos[a, 2], h, nx, ny, nz)
        if kind[a] == STROMA or kind[a] == MSC:
            prefetch(flat_src, (ax * ny + ay) * nz + az)
        else:
            prefetch(flat_lam, (ax * ny + ay) * nz + az)
        i = members[m]
        k = kind[i]
        ix, iy, iz = cell_coords(pos[i, 0], pos[i, 1], pos[i, 2], h, nx, ny, nz)
        if k == STROMA:
            source[ix, iy, iz] += car_rate
        elif k == MSC:
            source[ix, iy, iz] += msc_rate
        elif k == HSPC or k == MKP or k == MK:
            lam[ix, iy, iz] += uptake
    for q in prange(endo_idx.size):
        flat_src[endo_idx[q]] += endo_rate * integrity[endo_seg[q]]
