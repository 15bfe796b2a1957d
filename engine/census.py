"""Counting the cells: the tile's cell counts each step and at every sample (what the
observables and the TPO clearance read), and the list of living cells.

Counts come as a float vector indexed by the ``C_*`` names below (platelets in blood are not
counted here: they are a systemic compartment, see :mod:`engine.systemic`).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .agents import DOCKED, DONOR, HSPC, LODGED, MK, MKP, MSC, PLATELET, RELEASING, STROMA

# indices into a census vector
C_HSPC_HOST = 0        # host HSPCs (lodged or homing)
C_HSPC_DONOR = 1       # donor HSPCs
C_MKP = 2              # MK progenitors
C_MK = 3               # megakaryocytes (any state)
C_MK_DOCKED = 4        # megakaryocytes docked at a sinusoid
C_MK_RELEASING = 5     # megakaryocytes releasing platelets into a sinusoid
C_STROMA = 6           # resident stroma (CAR cells / MSCs)
C_MSC = 7              # infused MSCs
C_PLATELET_PARTICLES = 8   # (display particles live outside the agent store: always 0 here)
C_MK_PLOIDY_SUM = 9    # sum of MK ploidy (for the mean)
C_HSPC_LODGED = 10     # HSPCs lodged in a niche site
C_SITES = 11           # niche sites in the tile
C_MK_DONOR = 12        # of C_MK: donor-derived megakaryocytes
C_MK_IMMATURE = 13     # of C_MK: megakaryocytes whose ploidy now is nearest the 2N or 4N class
C_HSPC_DONOR_LODGED = 14   # of C_HSPC_LODGED: donor HSPCs
C_SIZE = 15

#: ploidy now below which an MK counts as 2N-4N (the geometric midpoint of 4N and 8N)
IMMATURE_PLOIDY = 2.0 ** 2.5


@njit(cache=True, nogil=True, inline="always")
def current_ploidy(ploidy, maturity, endo_share):
    """An MK's ploidy now: endomitosis takes it from 2N to its class (``ploidy``) over the first
    ``endo_share`` of its maturation (log2 ploidy linear in maturity), then DNA synthesis stops
    and the cytoplasm matures."""
    return 2.0 ** (1.0 + (np.log2(max(ploidy, 2.0)) - 1.0) * min(1.0, maturity / endo_share))


@njit(cache=True, nogil=True, inline="always")
def _count(out, k, state, origin, maturity, ploidy, age, mkp_stage, endo_share):
    """Add one living agent to a census vector. An MK progenitor counts while in its stage
    (``age < mkp_stage``): past it, it and its daughters are dividing into MKs, which the model does
    in a few steps that stand for divisions made during the stage (engine/fates.py)."""
    if k == HSPC:
        if state == LODGED:
            out[C_HSPC_LODGED] += 1
            if origin == DONOR:
                out[C_HSPC_DONOR_LODGED] += 1
        if origin == DONOR:
            out[C_HSPC_DONOR] += 1
        else:
            out[C_HSPC_HOST] += 1
    elif k == MKP:
        if age < mkp_stage:
            out[C_MKP] += 1
    elif k == MK:
        out[C_MK] += 1
        if origin == DONOR:
            out[C_MK_DONOR] += 1
        if state == DOCKED:
            out[C_MK_DOCKED] += 1
        elif state == RELEASING:
            out[C_MK_RELEASING] += 1
        now = current_ploidy(ploidy, maturity, endo_share)
        out[C_MK_PLOIDY_SUM] += now
        if now < IMMATURE_PLOIDY:
            out[C_MK_IMMATURE] += 1
    elif k == STROMA:
        out[C_STROMA] += 1
    elif k == MSC:
        out[C_MSC] += 1
    elif k == PLATELET:
        out[C_PLATELET_PARTICLES] += 1


@njit(cache=True, nogil=True)
def tally(kind, state, origin, maturity, ploidy, age, mkp_stage, members, occupant, endo_share):
    """Census vector (``C_*`` indices) of the agents ``members`` (``endo_share``: see
    :func:`current_ploidy`; ``mkp_stage``: the MK progenitors' stage in hours, see :func:`_count`)."""
    out = np.zeros(C_SIZE)
    for m in range(members.size):
        i = members[m]
        _count(out, kind[i], state[i], origin[i], maturity[i], ploidy[i], age[i], mkp_stage, endo_share)
    out[C_SITES] = occupant.size
    return out


@njit(cache=True, nogil=True)
def census(kind, state, origin, maturity, ploidy, age, mkp_stage, occupant, cells, endo_share):
    """One pass over all slots: the census vector of the living agents (as :func:`tally`), and
    their slots, in slot order, into ``cells``. Returns (counts, number of cells)."""
    out = np.zeros(C_SIZE)
    nc = 0
    for i in range(kind.size):
        k = kind[i]
        if k < 0:
            continue
        cells[nc] = i
        nc += 1
        _count(out, k, state[i], origin[i], maturity[i], ploidy[i], age[i], mkp_stage, endo_share)
    out[C_SITES] = occupant.size
    return out, nc
