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
    """New positions for ``members`` (indices into the agent arrays) into ``new_pos``."""
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
