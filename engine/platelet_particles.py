"""Released-platelet display particles: what the 3D view shows flowing away in the sinusoids.

They enter no number of the model (the blood count is :mod:`engine.systemic`'s); a releasing
megakaryocyte sheds ``platelet_particles_per_mk`` of them onto its sinusoid, and they drift with the
flow, taking a random branch at each node, until their display life ends or they leave the tile.
"""
from __future__ import annotations

from numba import njit, prange

from .agents import PLATELET, release
from .fates import FL_DIE
from .rng import S_PLACE, normal, uniform


@njit(cache=True, nogil=True, parallel=True)
def place_particles(kind, origin, state, link, age, maturity, timer, progress, pos, born, born_parent, p0, p1,
                    life, seed, step):
    """New platelet particles in the slots ``born`` (from :func:`apply_fates`): each on its parent
    MK's sinusoid (``link``), near the point closest to the parent, moving with the flow. Each
    particle's numbers depend on its own slot and its parent only, so they are made in parallel."""
    for b in prange(born.size):
        j = born[b]
        i = born_parent[b]
        s = link[i]
        ax, ay, az = p0[s, 0], p0[s, 1], p0[s, 2]
        dx, dy, dz = p1[s, 0] - ax, p1[s, 1] - ay, p1[s, 2] - az
        L2 = dx * dx + dy * dy + dz * dz
        t = 0.5
        if L2 > 0:
            t = ((pos[i, 0] - ax) * dx + (pos[i, 1] - ay) * dy + (pos[i, 2] - az) * dz) / L2
            t = min(max(t, 0.0), 1.0)
        kind[j] = PLATELET
        origin[j] = origin[i]
        state[j] = 0
        link[j] = s
        age[j] = 0.0
        maturity[j] = 0.0
        timer[j] = life * (0.5 + uniform(seed, step, j, S_PLACE + 5))
        u = min(max(t + 0.05 * normal(seed, step, j, S_PLACE + 6), 0.0), 1.0)
        progress[j] = u
        pos[j, 0] = ax + u * dx
        pos[j, 1] = ay + u * dy
        pos[j, 2] = az + u * dz


@njit(cache=True, nogil=True, parallel=True)
def move_platelets(kind, link, progress, timer, pos, members, p0, p1, vlen, edge_to, out_start, out_segs,
                   flow, dt, seed, step, flags):
    """Advance display platelets along sinusoids; at a branch point pick an outgoing segment
    (``out_segs[out_start[node]:out_start[node + 1]]``: the segments leaving a node)."""
    for m in prange(members.size):
        i = members[m]
        if kind[i] != PLATELET:
            continue
        flags[i] = 0
        timer[i] -= dt
        if timer[i] <= 0.0:
            flags[i] = FL_DIE
            continue
        s = link[i]
        t = progress[i] + flow * dt / max(vlen[s], 1.0)
        hops = 0
        while t >= 1.0 and hops < 16:
            node = edge_to[s]
            first = out_start[node]
            nout = out_start[node + 1] - first
            if nout == 0:
                break
            nxt = out_segs[first + int(uniform(seed, step, i, S_PLACE + 7 + hops) * nout)]
            t = (t - 1.0) * vlen[s] / max(vlen[nxt], 1.0)
            s = nxt
            hops += 1
        if t >= 1.0:
            flags[i] = FL_DIE  # left the tile
            continue
        link[i] = s
        progress[i] = t
        pos[i, 0] = p0[s, 0] + t * (p1[s, 0] - p0[s, 0])
        pos[i, 1] = p0[s, 1] + t * (p1[s, 1] - p0[s, 1])
        pos[i, 2] = p0[s, 2] + t * (p1[s, 2] - p0[s, 2])


@njit(cache=True, nogil=True)
def free_flagged(kind, members, flags, free, top):
    n = 0
    for m in range(members.size):
        i = members[m]
        if flags[i] & FL_DIE:
            release(kind, free, top, i)
            flags[i] = 0
            n += 1
    return n
