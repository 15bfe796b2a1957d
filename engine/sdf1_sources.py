"""SDF-1 (CXCL12) sources and sinks: where the field's secretion and receptor uptake come from
each step -- CAR stroma, infused MSCs, the sinusoid endothelium (with exogenous SDF-1 entering at
the walls), and CXCR4 uptake by HSPCs, MK progenitors and megakaryocytes.

In a simulation the walls' secretion stays in the field's ``source`` grid between steps (rewritten
when the walls' rate or integrity changes) and the cells' rates reach the field's step as a list
(:class:`Sdf1Lists`, :meth:`engine.field.DiffusionField.step_listed`): a step then streams one
rate grid instead of three. :func:`deposit_sdf1` writes all of them into the grids, for the
field's general step and as the reference the listed step is tested against (the same bits)."""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .agents import HSPC, MK, MKP, MSC, STROMA
from .cell_lists import cell_coords
from .field import DiffusionField, ListedVoxels

#: what a listed cell adds (index into the rates of :func:`cell_rates`)
CAR, MSC_SECRETION, UPTAKE = 0, 1, 2


def cell_rates(car_rate: float, msc_rate: float, uptake: float) -> np.ndarray:
    """The rate of each code: CAR stroma's and MSCs' secretion, a CXCR4+ cell's uptake."""
    return np.array([car_rate, msc_rate, uptake], np.float64)


@njit(cache=True, nogil=True)
def list_sdf1_cells(kind, pos, members, h, nx, ny, nz, row, line, code):
    """The voxel (x row ``row``, x-line ``line``: iy * nz + iz) and what it adds (``code``) of each
    cell among ``members`` that secretes or takes up SDF-1, in the order of ``members``; returns how
    many."""
    n = 0
    for m in range(members.size):
        i = members[m]
        k = kind[i]
        if k == STROMA:
            code[n] = CAR
        elif k == MSC:
            code[n] = MSC_SECRETION
        elif k == HSPC or k == MKP or k == MK:
            code[n] = UPTAKE
        else:
            continue
        ix, iy, iz = cell_coords(pos[i, 0], pos[i, 1], pos[i, 2], h, nx, ny, nz)
        row[n] = ix
        line[n] = iy * nz + iz
        n += 1
    return n


@njit(cache=True, nogil=True)
def _add_listed(source, lam, row, line, code, n, rate):
    nx = source.shape[0]
    src = source.reshape((nx, -1))
    lm = lam.reshape((nx, -1))
    for r in range(n):
        if code[r] == UPTAKE:
            lm[row[r], line[r]] += rate[UPTAKE]
        else:
            src[row[r], line[r]] += rate[code[r]]


@njit(cache=True, nogil=True, parallel=True)
def wall_sources(source, endo_idx, endo_seg, endo_rate, integrity, add):
    """The sinusoid walls' secretion ``endo_rate * integrity[segment]`` into ``source``, added or
    (``add`` False) set (parallel: ``endo_idx`` lists each wall voxel once)."""
    flat_src = source.reshape(-1)
    for q in prange(endo_idx.size):
        v = endo_rate * integrity[endo_seg[q]]
        flat_src[endo_idx[q]] = flat_src[endo_idx[q]] + v if add else v


def deposit_sdf1(kind, pos, members, source, lam, h, car_rate, msc_rate, uptake, endo_idx,
                 endo_seg, endo_rate, integrity):
    """Add the cells' secretion (in the order of ``members``) then the walls' to ``source``, the
    cells' uptake to ``lam``."""
    nx, ny, nz = source.shape
    row, line = np.empty(members.size, np.int64), np.empty(members.size, np.int64)
    code = np.empty(members.size, np.int8)
    n = list_sdf1_cells(kind, pos, members, h, nx, ny, nz, row, line, code)
    _add_listed(source, lam, row, line, code, n, cell_rates(car_rate, msc_rate, uptake))
    wall_sources(source, endo_idx, endo_seg, float(endo_rate), integrity, True)


class Sdf1Lists:
    """What a simulation's SDF-1 step needs besides the field: the cells' list and the walls' rates
    the field's ``source`` holds. Built on first use; never saved (a restored tile rewrites the
    walls' sources on its first step)."""

    def __init__(self):
        self.cells: ListedVoxels | None = None
        self.row = np.zeros(0, np.int64)
        self.line = np.zeros(0, np.int64)
        self.code = np.zeros(0, np.int8)
        #: the walls' rate and segment integrities ``source`` holds (None: not written yet)
        self.walls_key: tuple | None = None

    def step(self, field: DiffusionField, kind, pos, members, car_rate, msc_rate, uptake, loss, wall_voxels,
             wall_segments, wall_rate, integrity) -> None:
        """One step of the field with loss rate ``loss`` (1/h): the numbers of ``reset_rates(loss)``,
        :func:`deposit_sdf1` and ``step()``."""
        if self.cells is None or not self.cells.fits(field):
            self.cells = ListedVoxels(field, members.size)
            self.walls_key = None
        if self.row.size < members.size:
            size = max(members.size, 2 * self.row.size)
            self.row, self.line, self.code = np.zeros(size, np.int64), np.zeros(size, np.int64), np.zeros(size, np.int8)
        key = (float(wall_rate), integrity.tobytes())
        if key != self.walls_key:
            if self.walls_key is None:
                field.source.fill(0.0)
            wall_sources(field.source, wall_voxels, wall_segments, float(wall_rate), integrity, False)
            self.walls_key = key
        nx, ny, nz = field.shape
        n = list_sdf1_cells(kind, pos, members, field.h, nx, ny, nz, self.row, self.line, self.code)
        self.cells.fill(self.row, self.line, self.code, n)
        field.step_listed(self.cells, cell_rates(car_rate, msc_rate, uptake), UPTAKE, loss)
