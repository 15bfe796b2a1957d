"""Counting the agents: the tile's cell counts each step and at every sample (what the
observables and the TPO clearance read), and the lists of cells and of platelet particles.

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
C_PLATELET_PARTICLES = 8   # released-platelet display particles
C_MK_PLOIDY_SUM = 9    # sum of MK ploidy (for the mean)
C_HSPC_LODGED = 10     # HSPCs lodged in a niche site
C_SITES = 11           # niche sites in the tile
C_SIZE = 12


@njit(cache=True, nogil=True, inline="always")
def _count(out, k, state, origin, maturity):
    """Add one living agent to a census vector."""
    if k == HSPC:
        if state == LODGED:
            out[C_HSPC_LODGED] += 1
        if origin == DONOR:
            out[C_HSPC_DONOR] += 1
        else:
            out[C_HSPC_HOST] += 1
    elif k == MKP:
        out[C_MKP] += 1
    elif k == MK:
        out[C_MK] += 1
        if state == DOCKED:
            out[C_MK_DOCKED] += 1
        elif state == RELEASING:
            out[C_MK_RELEASING] += 1
        out[C_MK_PLOIDY_SUM] += 2.0 ** (1.0 + 5.0 * maturity)
    elif k == STROMA:
        out[C_STROMA] += 1
    elif k == MSC:
        out[C_MSC] += 1
    elif k == PLATELET:
        out[C_PLATELET_PARTICLES] += 1


@njit(cache=True, nogil=True)
def tally(kind, state, origin, maturity, members, occupant):
    """Census vector (``C_*`` indices) of the agents ``members``."""
    out = np.zeros(C_SIZE)
    for m in range(members.size):
        i = members[m]
        _count(out, kind[i], state[i], origin[i], maturity[i])
    out[C_SITES] = occupant.size
    return out


@njit(cache=True, nogil=True)
def census(kind, state, origin, maturity, occupant, cells, platelets):
    """One pass over all slots: the census vector of the living agents (as :func:`tally`), and the
    slots of the cells (every living agent but platelet particles) and of the platelet particles,
    in slot order, into ``cells`` and ``platelets``. Returns (counts, number of cells, number of
    platelet particles)."""
    out = np.zeros(C_SIZE)
    nc = 0
    npl = 0
    for i in range(kind.size):
        k = kind[i]
        if k < 0:
            continue
        if k == PLATELET:
            platelets[npl] = i
            npl += 1
        else:
            cells[nc] = i
            nc += 1
        _count(out, k, state[i], origin[i], maturity[i])
    out[C_SITES] = occupant.size
    return out, nc, npl


@njit(cache=True, nogil=True)
def list_kind(kind, k, out):
    """Slots holding agents of kind ``k`` into ``out`` (at least ``kind.size`` long), in slot
    order; returns how many. (Every slot is written to ``out[n]`` and kept by counting it: no
    branch to mispredict where the kinds are mixed.)"""
    n = 0
    for i in range(kind.size):
        out[n] = i
        n += kind[i] == k
    return n
