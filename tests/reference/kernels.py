"""Plain reference forms of the engine's optimised kernels, for tests only.

Each optimised kernel must give exactly the numbers of the straightforward version here
(tests/test_engine_speedups.py compares them bit for bit): an all-pairs movement step, the
sinusoid contacts looked up agent by agent, the count of free slots births take, the
nearest-wall grid built segment by segment, and the exact field reaction voxel by voxel.
"""
import numpy as np
from numba import njit, prange

from engine.agents import radius_of
from engine.fates import FL_DIVIDE, needs_vessel
from engine.field import value_at
from engine.motility import (M_DT, M_REPULSE, M_VMAX, _chemotaxis_velocity, _motility_of, _outside_lumen,
                             _push, _tentative, is_mobile)
from engine.rng import S_MOVE, normal3
from engine.vessels import lookup_segment, point_segment, vessel_near


@njit(cache=True, nogil=True, parallel=True)
def move_cells(pos, kind, state, maturity, members, new_pos, field, h, lookup, lh, p0, p1, vrad, size,
               mp, rp, seed, step):
    """New positions for ``members`` (indices into the agent arrays) into ``new_pos``.

    The plain reference form, with an all-pairs neighbour search (for tests); the simulation
    runs :func:`move_mobile`, which must give the same numbers (tests/test_engine_speedups.py)."""
    dt = mp[M_DT]
    for m in prange(members.size):
        i = members[m]
        x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
        k = kind[i]
        if not is_mobile(k, state[i]):
            new_pos[i, 0], new_pos[i, 1], new_pos[i, 2] = x, y, z
            continue
        ri = radius_of(k, maturity[i], rp)
        sig, chi = _motility_of(k, mp)
        vx, vy, vz = _chemotaxis_velocity(field, h, x, y, z, chi, mp[M_VMAX])
        sx, sy, sz = np.int64(0), np.int64(0), np.int64(0)
        for q in range(members.size):
            j = members[q]
            px, py, pz = _push(x - pos[j, 0], y - pos[j, 1], z - pos[j, 2], ri,
                               radius_of(kind[j], maturity[j], rp), mp[M_REPULSE])
            sx += px
            sy += py
            sz += pz
        n1, n2, n3 = normal3(seed, step, i, S_MOVE)
        nx_, ny_, nz_ = _tentative(x, y, z, ri, vx, vy, vz, sig, sx, sy, sz, n1, n2, n3, dt, size)
        s = lookup_segment(nx_, ny_, nz_, lookup, lh)
        nx_, ny_, nz_, s, d = _outside_lumen(nx_, ny_, nz_, ri, s, lookup, lh, p0, p1, vrad, size)
        new_pos[i, 0], new_pos[i, 1], new_pos[i, 2] = nx_, ny_, nz_


@njit(cache=True, nogil=True, parallel=True)
def vessel_contacts(kind, state, pos, order, lookup, lh, p0, p1, vrad, field, fh, near_seg, near_d,
                    near_c):
    """For every agent in ``order`` that :func:`needs_vessel`: its nearest sinusoid segment
    (``near_seg``, -1 if none within reach), the distance to that segment's axis (``near_d``)
    and the SDF-1 concentration of its voxel (``near_c``), indexed by agent slot; what
    :func:`decide_fates` reads.

    The plain form. The simulation gets the same numbers from the last pass of
    :func:`engine.motility.move_mobile`, which has just looked up the sinusoid at the new
    position of every mobile cell (a superset of these agents): the look-up grid and field
    reads then come from cache (tests/test_engine_speedups.py checks they agree). Inside the
    decision loop each of these scattered reads waited for the last (3-4x slower)."""
    for m in prange(order.size):
        i = order[m]
        if needs_vessel(kind[i], state[i]):
            x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
            s, d, cx, cy, cz = vessel_near(x, y, z, lookup, lh, p0, p1, vrad)
            near_seg[i] = s
            near_d[i] = d
            near_c[i] = value_at(field, x, y, z, fh)


@njit(cache=True, nogil=True)
def births_needed(members, nspawn, flags):
    """Free slots the coming :func:`apply_fates` may take: spawned agents plus HSPC daughters."""
    n = 0
    for m in range(members.size):
        i = members[m]
        n += nspawn[i]
        if flags[i] & FL_DIVIDE:
            n += 1
    return n


@njit(cache=True, nogil=True)
def nearest_segment_grid_reference(p0, p1, radius, shape, h, cutoff):
    """For each voxel centre, the segment whose wall is nearest (or -1 beyond cutoff).

    The plain segment-by-segment form (slow, and a float64 grid of the lookup's size on top);
    :func:`nearest_segment_grid` gives the same grid (tests check it)."""
    nx, ny, nz = shape[0], shape[1], shape[2]
    best = np.full((nx, ny, nz), 1e30)
    seg = np.full((nx, ny, nz), -1, np.int32)
    for s in range(p0.shape[0]):
        lo = np.minimum(p0[s], p1[s]) - radius[s] - cutoff
        hi = np.maximum(p0[s], p1[s]) + radius[s] + cutoff
        i0, i1 = max(int(lo[0] / h), 0), min(int(hi[0] / h) + 1, nx)
        j0, j1 = max(int(lo[1] / h), 0), min(int(hi[1] / h) + 1, ny)
        k0, k1 = max(int(lo[2] / h), 0), min(int(hi[2] / h) + 1, nz)
        for i in range(i0, i1):
            x = (i + 0.5) * h
            for j in range(j0, j1):
                y = (j + 0.5) * h
                for k in range(k0, k1):
                    z = (k + 0.5) * h
                    d, t, cx, cy, cz = point_segment(x, y, z, p0[s, 0], p0[s, 1], p0[s, 2],
                                                     p1[s, 0], p1[s, 1], p1[s, 2])
                    wall = d - radius[s]
                    if wall < best[i, j, k] and wall <= cutoff:
                        best[i, j, k] = wall
                        seg[i, j, k] = s
    return seg


@njit(cache=True, nogil=True, parallel=True)
def react(c, source, lam, dt):
    """Exact update of dc/dt = source - lam*c over dt, voxel by voxel (reference form)."""
    nx, ny, nz = c.shape
    for i in prange(nx):
        for j in range(ny):
            for k in range(nz):
                L = lam[i, j, k]
                s = source[i, j, k]
                if L > 1e-12:
                    e = np.exp(-L * dt)
                    c[i, j, k] = c[i, j, k] * e + s * (1.0 - e) / L
                else:
                    c[i, j, k] = c[i, j, k] + s * dt
