"""Cell movement: random motility, SDF-1 chemotaxis (CXCR4), volume exclusion,
and the walls every cell respects (tile box, bone at z = 0, sinusoid lumen).

Positions are updated Jacobi-style (all cells read the old positions, write
new ones) so the result does not depend on thread count or visiting order.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .agents import HSPC, MK, MKP, FREE, radius_of
from .field import gradient_at
from .rng import S_MOVE_X, S_MOVE_Y, S_MOVE_Z, normal
from .vessels import vessel_near

# indices into the motility parameter vector
M_DT, M_SIG_HSPC, M_SIG_MKP, M_SIG_MK, M_CHI_HSPC, M_CHI_MKP, M_CHI_MK, M_VMAX, M_REPULSE, M_CXCR4 = range(10)
M_SIZE = 10


@njit(cache=True, nogil=True, inline="always")
def is_mobile(kind, state):
    return (kind == MKP) or ((kind == HSPC or kind == MK) and state == FREE)


@njit(cache=True, nogil=True, parallel=True)
def move_cells(pos, kind, state, maturity, members, new_pos, start, order, cell, gnx, gny, gnz,
               field, h, lookup, lh, p0, p1, vrad, size, mp, rp, rmax, seed, step):
    """New positions for ``members`` (indices into the agent arrays) into ``new_pos``.

    The plain reference form; the simulation runs :func:`move_mobile`, which must give the
    same numbers (tests/test_engine_speedups.py checks it)."""
    dt = mp[M_DT]
    sq = np.sqrt(dt)
    for m in prange(members.size):
        i = members[m]
        x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
        k = kind[i]
        if not is_mobile(k, state[i]):
            new_pos[i, 0], new_pos[i, 1], new_pos[i, 2] = x, y, z
            continue
        ri = radius_of(k, maturity[i], rp)
        if k == HSPC:
            sig, chi = mp[M_SIG_HSPC], mp[M_CHI_HSPC]
        elif k == MKP:
            sig, chi = mp[M_SIG_MKP], mp[M_CHI_MKP]
        else:
            sig, chi = mp[M_SIG_MK], mp[M_CHI_MK]
        chi *= mp[M_CXCR4]
        # chemotaxis up the SDF-1 gradient, speed capped
        gx, gy, gz, c0 = gradient_at(field, x, y, z, h)
        vx, vy, vz = chi * gx, chi * gy, chi * gz
        v = np.sqrt(vx * vx + vy * vy + vz * vz)
        if v > mp[M_VMAX]:
            f = mp[M_VMAX] / v
            vx, vy, vz = vx * f, vy * f, vz * f
        dx = vx * dt + sig * sq * normal(seed, step, i, S_MOVE_X)
        dy = vy * dt + sig * sq * normal(seed, step, i, S_MOVE_Y)
        dz = vz * dt + sig * sq * normal(seed, step, i, S_MOVE_Z)
        # volume exclusion against all cells in reach (cell lists)
        reach = int(np.ceil((ri + rmax) / cell))
        ix = min(max(int(x / cell), 0), gnx - 1)
        iy = min(max(int(y / cell), 0), gny - 1)
        iz = min(max(int(z / cell), 0), gnz - 1)
        for ax in range(max(ix - reach, 0), min(ix + reach + 1, gnx)):
            for ay in range(max(iy - reach, 0), min(iy + reach + 1, gny)):
                for az in range(max(iz - reach, 0), min(iz + reach + 1, gnz)):
                    c = (ax * gny + ay) * gnz + az
                    for q in range(start[c], start[c + 1]):
                        j = order[q]
                        if j == i:
                            continue
                        ex = x - pos[j, 0]
                        ey = y - pos[j, 1]
                        ez = z - pos[j, 2]
                        d2 = ex * ex + ey * ey + ez * ez
                        rs = ri + radius_of(kind[j], maturity[j], rp)
                        if d2 < rs * rs and d2 > 1e-12:
                            d = np.sqrt(d2)
                            push = mp[M_REPULSE] * 0.5 * (rs - d) / d
                            dx += ex * push
                            dy += ey * push
                            dz += ez * push
        # never more than one radius per step
        step_len = np.sqrt(dx * dx + dy * dy + dz * dz)
        lim = max(ri, 2.0)
        if step_len > lim:
            f = lim / step_len
            dx, dy, dz = dx * f, dy * f, dz * f
        nx_, ny_, nz_ = x + dx, y + dy, z + dz
        # walls: tile box, bone surface at z = 0
        nx_ = min(max(nx_, ri), size[0] - ri)
        ny_ = min(max(ny_, ri), size[1] - ri)
        nz_ = min(max(nz_, ri), size[2] - ri)
        # sinusoid lumen: cells stay outside the wall
        s, d, cx, cy, cz = vessel_near(nx_, ny_, nz_, lookup, lh, p0, p1, vrad)
        if s >= 0:
            lim = vrad[s] + ri
            if d < lim and d > 1e-9:
                f = lim / d
                nx_ = cx + (nx_ - cx) * f
                ny_ = cy + (ny_ - cy) * f
                nz_ = cz + (nz_ - cz) * f
                nx_ = min(max(nx_, ri), size[0] - ri)
                ny_ = min(max(ny_, ri), size[1] - ri)
                nz_ = min(max(nz_, ri), size[2] - ri)
        new_pos[i, 0], new_pos[i, 1], new_pos[i, 2] = nx_, ny_, nz_


@njit(cache=True, nogil=True, parallel=True)
def prepare_bodies(pos, kind, state, maturity, order, rp, bodies, mobile, mobile_q):
    """Cell-ordered copy of the listed agents' (x, y, z, radius) into ``bodies[:order.size]``
    (so neighbour scans read contiguous memory), and the mobile ones, in the same cell order
    (neighbouring cells are moved together: field and look-up reads stay in cache), into
    ``mobile`` (agent index) and ``mobile_q`` (row in ``bodies``). Returns how many are mobile.

    The scattered reads run in parallel; ``mobile_q`` first holds a mobility flag per row and is
    then compacted in order (serial, sequential)."""
    n = order.size
    for q in prange(n):
        i = order[q]
        bodies[q, 0] = pos[i, 0]
        bodies[q, 1] = pos[i, 1]
        bodies[q, 2] = pos[i, 2]
        bodies[q, 3] = radius_of(kind[i], maturity[i], rp)
        mobile_q[q] = 1 if is_mobile(kind[i], state[i]) else 0
    nm = 0
    for q in range(n):
        if mobile_q[q]:
            mobile[nm] = order[q]
            mobile_q[nm] = q
            nm += 1
    return nm


@njit(cache=True, nogil=True, parallel=True)
def move_mobile(kind, mobile, mobile_q, moved, start, bodies, cell, gnx, gny, gnz,
                field, h, lookup, lh, p0, p1, vrad, size, mp, rmax, seed, step):
    """New positions of the ``mobile`` agents into ``moved[m]`` (same order as ``mobile``): the
    same numbers as :func:`move_cells` (same operations, neighbours visited in the same order),
    read from the cell-ordered ``bodies`` of :func:`prepare_bodies`. Nothing else is touched;
    :func:`commit_moved` writes the positions back.

    Three passes over the mobile cells, so that the scattered reads of the big grids (SDF-1
    field, sinusoid look-up) sit in short loops where many of them are in flight at once:
    1. chemotactic velocity from the field gradient (parked in ``moved``);
    2. random step, volume exclusion, step limit, tile walls (tentative position);
    3. the sinusoid lumen wall."""
    dt = mp[M_DT]
    sq = np.sqrt(dt)
    # 1. chemotaxis up the SDF-1 gradient, speed capped
    for m in prange(mobile.size):
        i = mobile[m]
        q = mobile_q[m]
        k = kind[i]
        if k == HSPC:
            chi = mp[M_CHI_HSPC]
        elif k == MKP:
            chi = mp[M_CHI_MKP]
        else:
            chi = mp[M_CHI_MK]
        chi *= mp[M_CXCR4]
        gx, gy, gz, c0 = gradient_at(field, bodies[q, 0], bodies[q, 1], bodies[q, 2], h)
        vx, vy, vz = chi * gx, chi * gy, chi * gz
        v = np.sqrt(vx * vx + vy * vy + vz * vz)
        if v > mp[M_VMAX]:
            f = mp[M_VMAX] / v
            vx, vy, vz = vx * f, vy * f, vz * f
        moved[m, 0], moved[m, 1], moved[m, 2] = vx, vy, vz
    # 2. random motility and volume exclusion
    rep = mp[M_REPULSE]
    for m in prange(mobile.size):
        i = mobile[m]
        q = mobile_q[m]
        x, y, z, ri = bodies[q, 0], bodies[q, 1], bodies[q, 2], bodies[q, 3]
        k = kind[i]
        if k == HSPC:
            sig = mp[M_SIG_HSPC]
        elif k == MKP:
            sig = mp[M_SIG_MKP]
        else:
            sig = mp[M_SIG_MK]
        vx, vy, vz = moved[m, 0], moved[m, 1], moved[m, 2]
        dx = vx * dt + sig * sq * normal(seed, step, i, S_MOVE_X)
        dy = vy * dt + sig * sq * normal(seed, step, i, S_MOVE_Y)
        dz = vz * dt + sig * sq * normal(seed, step, i, S_MOVE_Z)
        # volume exclusion against all cells in reach; the z-neighbour cells of one (x, y)
        # column are adjacent in the cell list, so each column is one contiguous run
        reach = int(np.ceil((ri + rmax) / cell))
        ix = min(max(int(x / cell), 0), gnx - 1)
        iy = min(max(int(y / cell), 0), gny - 1)
        iz = min(max(int(z / cell), 0), gnz - 1)
        az0 = max(iz - reach, 0)
        az1 = min(iz + reach + 1, gnz)
        for ax in range(max(ix - reach, 0), min(ix + reach + 1, gnx)):
            for ay in range(max(iy - reach, 0), min(iy + reach + 1, gny)):
                col = (ax * gny + ay) * gnz
                for r in range(start[col + az0], start[col + az1]):
                    ex = x - bodies[r, 0]
                    ey = y - bodies[r, 1]
                    ez = z - bodies[r, 2]
                    d2 = ex * ex + ey * ey + ez * ez
                    rs = ri + bodies[r, 3]
                    # (the agent itself has d2 == 0 and is skipped by the second test)
                    if d2 < rs * rs and d2 > 1e-12:
                        d = np.sqrt(d2)
                        push = rep * 0.5 * (rs - d) / d
                        dx += ex * push
                        dy += ey * push
                        dz += ez * push
        # never more than one radius per step
        step_len = np.sqrt(dx * dx + dy * dy + dz * dz)
        lim = max(ri, 2.0)
        if step_len > lim:
            f = lim / step_len
            dx, dy, dz = dx * f, dy * f, dz * f
        nx_, ny_, nz_ = x + dx, y + dy, z + dz
        # walls: tile box, bone surface at z = 0
        moved[m, 0] = min(max(nx_, ri), size[0] - ri)
        moved[m, 1] = min(max(ny_, ri), size[1] - ri)
        moved[m, 2] = min(max(nz_, ri), size[2] - ri)
    # 3. sinusoid lumen: cells stay outside the wall
    for m in prange(mobile.size):
        nx_, ny_, nz_ = moved[m, 0], moved[m, 1], moved[m, 2]
        s, d, cx, cy, cz = vessel_near(nx_, ny_, nz_, lookup, lh, p0, p1, vrad)
        if s >= 0:
            ri = bodies[mobile_q[m], 3]
            lim = vrad[s] + ri
            if d < lim and d > 1e-9:
                f = lim / d
                nx_ = cx + (nx_ - cx) * f
                ny_ = cy + (ny_ - cy) * f
                nz_ = cz + (nz_ - cz) * f
                moved[m, 0] = min(max(nx_, ri), size[0] - ri)
                moved[m, 1] = min(max(ny_, ri), size[1] - ri)
                moved[m, 2] = min(max(nz_, ri), size[2] - ri)


@njit(cache=True, nogil=True)
def commit_moved(pos, mobile, moved):
    for m in range(mobile.size):
        i = mobile[m]
        pos[i, 0], pos[i, 1], pos[i, 2] = moved[m, 0], moved[m, 1], moved[m, 2]


@njit(cache=True, nogil=True)
def commit_positions(pos, new_pos, members):
    for m in range(members.size):
        i = members[m]
        pos[i, 0], pos[i, 1], pos[i, 2] = new_pos[i, 0], new_pos[i, 1], new_pos[i, 2]


@njit(cache=True, nogil=True)
def chemotaxis_displacement(field, h, x, y, z, chi, vmax, dt):
    """Directed displacement of one cell over dt (used by tests and docs)."""
    gx, gy, gz, c0 = gradient_at(field, x, y, z, h)
    vx, vy, vz = chi * gx, chi * gy, chi * gz
    v = np.sqrt(vx * vx + vy * vy + vz * vz)
    if v > vmax:
        f = vmax / v
        vx, vy, vz = vx * f, vy * f, vz * f
    return vx * dt, vy * dt, vz * dt
