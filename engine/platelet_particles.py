"""Released-platelet display particles: what the 3D view shows flowing away in the sinusoids.

They enter no number of the model: the blood count is :mod:`engine.systemic`'s, and the particles
live in a buffer of their own (not in the agent store) and draw from random streams of their own
(``rng.S_PARTICLE``), so how many are shown (``platelet_particles_per_mk``, 0 included) never
changes a cell's fate. A releasing megakaryocyte sheds particles in proportion to the platelets it
releases this step onto its sinusoid; they drift with the flow, taking a random branch at each node,
until their display life ends or they leave the tile.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .agents import MK
from .prefetch import PREFETCH_AHEAD, prefetch
from .rng import S_PARTICLE, normal, uniform

#: most particles one megakaryocyte sheds in a step
MAX_PER_MK_STEP = 400


class ParticleBuffer:
    """Display particles: position, sinusoid segment, position along it (0..1), display life left
    (h). ``n`` live particles fill the first rows, in the order they were shed."""

    def __init__(self, capacity: int = 1024):
        self.n = 0
        self.pos = np.zeros((capacity, 3))
        self.seg = np.zeros(capacity, np.int64)
        self.along = np.zeros(capacity)
        self.life = np.zeros(capacity)

    @property
    def capacity(self) -> int:
        return self.life.size

    def reserve(self, extra: int) -> None:
        need = self.n + int(extra)
        if need <= self.capacity:
            return
        cap = max(need, 2 * self.capacity)
        for name in ("pos", "seg", "along", "life"):
            old = getattr(self, name)
            new = np.zeros((cap,) + old.shape[1:], old.dtype)
            new[:self.n] = old[:self.n]
            setattr(self, name, new)

    def positions(self) -> np.ndarray:
        return self.pos[:self.n]

    def step(self, kind, link, pos, active, released, per_platelet, life_h, vessels, flow, dt, seed, step):
        """Shed new particles from the MKs that released platelets this step (``released`` by slot,
        for the agents listed in ``active``), then move every particle and drop those done."""
        counts = shed_counts(kind, active, released, per_platelet, seed, step)
        total = int(counts.sum())
        if total:
            self.reserve(total)
            shed(kind, link, pos, active, counts, self.n, self.pos, self.seg, self.along, self.life,
                 vessels.p0, vessels.p1, life_h, seed, step)
            self.n += total
        if self.n:
            v = vessels
            keep = move_particles(self.pos, self.seg, self.along, self.life, self.n, v.p0, v.p1, v.length,
                                  v.edge_to, v.out_start, v.out_segs, flow, dt, seed, step)
            self.n = compact(keep, self.n, self.pos, self.seg, self.along, self.life)


@njit(cache=True, nogil=True)
def shed_counts(kind, active, released, per_platelet, seed, step):
    """How many particles each agent of ``active`` sheds: ``per_platelet`` per platelet released,
    rounded up or down at random."""
    counts = np.zeros(active.size, np.int64)
    for m in range(active.size):
        i = active[m]
        if kind[i] == MK and released[i] > 0.0:
            expected = per_platelet * released[i]
            n = int(expected)
            if uniform(seed, step, i, S_PARTICLE) < expected - n:
                n += 1
            counts[m] = min(n, MAX_PER_MK_STEP)
    return counts


@njit(cache=True, nogil=True, parallel=True)
def shed(kind, link, pos, active, counts, first, ppos, pseg, palong, plife, p0, p1, life_h, seed, step):
    """Write the new particles from row ``first`` on, in the order of ``active`` (``counts[m]``
    for agent ``active[m]``): each on its MK's sinusoid (``link``), near the point closest to the
    MK. In parallel over the particles: a particle's numbers depend only on its MK and its number
    k among that MK's particles, so every row is the same for any number of threads."""
    total = 0
    for m in range(active.size):
        total += counts[m]
    parent = np.empty(total, np.int64)   # (each new row's m, and its first row's number)
    row0 = np.empty(active.size, np.int64)
    j = 0
    for m in range(active.size):
        row0[m] = j
        for k in range(counts[m]):
            parent[j] = m
            j += 1
    for j in prange(total):
        m = parent[j]
        k = j - row0[m]
        i = active[m]
        s = link[i]
        ax, ay, az = p0[s, 0], p0[s, 1], p0[s, 2]
        dx, dy, dz = p1[s, 0] - ax, p1[s, 1] - ay, p1[s, 2] - az
        L2 = dx * dx + dy * dy + dz * dz
        t = 0.5
        if L2 > 0:
            t = ((pos[i, 0] - ax) * dx + (pos[i, 1] - ay) * dy + (pos[i, 2] - az) * dz) / L2
            t = min(max(t, 0.0), 1.0)
        u = min(max(t + 0.05 * normal(seed, step, i, S_PARTICLE + 2 + 2 * k), 0.0), 1.0)
        r = first + j
        pseg[r] = s
        palong[r] = u
        plife[r] = life_h * (0.5 + uniform(seed, step, i, S_PARTICLE + 3 + 2 * k))
        ppos[r, 0] = ax + u * dx
        ppos[r, 1] = ay + u * dy
        ppos[r, 2] = az + u * dz


@njit(cache=True, nogil=True, parallel=True)
def move_particles(ppos, pseg, palong, plife, n, p0, p1, vlen, edge_to, out_start, out_segs, flow, dt, seed,
                   step):
    """Advance the particles along sinusoids; at a branch point pick an outgoing segment
    (``out_segs[out_start[node]:out_start[node + 1]]``: the segments leaving a node). Returns
    which particles are still shown."""
    keep = np.zeros(n, np.bool_)
    flat0, flat1 = p0.reshape(-1), p1.reshape(-1)
    last = n - 1
    for i in prange(n):
        # (the particles' segments are scattered over the network's arrays: the segment lines of
        # the particle 2 * PREFETCH_AHEAD rows on are requested early, and the node line of the
        # one PREFETCH_AHEAD rows on (its segment's end node read from a line requested earlier))
        a = pseg[min(i + 2 * PREFETCH_AHEAD, last)]
        prefetch(vlen, a)
        prefetch(edge_to, a)
        prefetch(flat0, 3 * a)
        prefetch(flat1, 3 * a)
        prefetch(out_start, edge_to[pseg[min(i + PREFETCH_AHEAD, last)]])
        plife[i] -= dt
        if plife[i] <= 0.0:
            continue
        s = pseg[i]
        t = palong[i] + flow * dt / max(vlen[s], 1.0)
        hops = 0
        while t >= 1.0 and hops < 16:
            node = edge_to[s]
            first = out_start[node]
            nout = out_start[node + 1] - first
            if nout == 0:
                break
            nxt = out_segs[first + int(uniform(seed, step, i, 3 * S_PARTICLE + hops) * nout)]
            t = (t - 1.0) * vlen[s] / max(vlen[nxt], 1.0)
            s = nxt
            hops += 1
        if t >= 1.0:
            continue  # left the tile
        keep[i] = True
        pseg[i] = s
        palong[i] = t
        ppos[i, 0] = p0[s, 0] + t * (p1[s, 0] - p0[s, 0])
        ppos[i, 1] = p0[s, 1] + t * (p1[s, 1] - p0[s, 1])
        ppos[i, 2] = p0[s, 2] + t * (p1[s, 2] - p0[s, 2])
    return keep


@njit(cache=True, nogil=True)
def compact(keep, n, ppos, pseg, palong, plife):
    """Close up the rows of the particles kept, in order; returns how many."""
    j = 0
    for i in range(n):
        if keep[i]:
            if j != i:
                ppos[j, 0], ppos[j, 1], ppos[j, 2] = ppos[i, 0], ppos[i, 1], ppos[i, 2]
                pseg[j] = pseg[i]
                palong[j] = palong[i]
                plife[j] = plife[i]
            j += 1
    return j
