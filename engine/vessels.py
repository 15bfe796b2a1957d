"""The sinusoid network: procedural generation, per-vessel state, distance look-up.

Sinusoids are capsules (segments with a radius) joining the nodes of a jittered
lattice; each segment has an integrity (1 = intact endothelium, 0 = disrupted)
and a VCAM-1 level. A look-up grid stores, for every small voxel, the nearest
segment so that "how far is this cell from a sinusoid wall" costs O(1).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cell_lists import cell_coords
from .rng import S_GEOM, uniform


@njit(cache=True, nogil=True, inline="always")
def point_segment(px, py, pz, ax, ay, az, bx, by, bz):
    """Distance from a point to segment AB, the parameter t of the closest point, and the point."""
    dx, dy, dz = bx - ax, by - ay, bz - az
    L2 = dx * dx + dy * dy + dz * dz
    t = 0.0
    if L2 > 0.0:
        t = ((px - ax) * dx + (py - ay) * dy + (pz - az) * dz) / L2
        t = min(max(t, 0.0), 1.0)
    cx, cy, cz = ax + t * dx, ay + t * dy, az + t * dz
    d = np.sqrt((px - cx) ** 2 + (py - cy) ** 2 + (pz - cz) ** 2)
    return d, t, cx, cy, cz


@njit(cache=True, nogil=True)
def _segment_boxes(p0, p1, radius, nx, ny, nz, h, cutoff):
    """Voxel index box [i0, i1) x [j0, j1) x [k0, k1) each segment can claim (as the reference)."""
    nseg = p0.shape[0]
    box = np.empty((nseg, 6), np.int64)
    dims = (nx, ny, nz)
    for s in range(nseg):
        for ax in range(3):
            lo = min(p0[s, ax], p1[s, ax]) - radius[s] - cutoff
            hi = max(p0[s, ax], p1[s, ax]) + radius[s] + cutoff
            box[s, 2 * ax] = max(int(lo / h), 0)
            box[s, 2 * ax + 1] = min(int(hi / h) + 1, dims[ax])
    return box


_BIN = 6  # voxels per bin edge for the segment candidate lists


def nearest_segment_grid(p0, p1, radius, shape, h, cutoff):
    """For each voxel centre, the segment whose wall is nearest (or -1 beyond cutoff).

    Exactly the grid of the plain form in tests/reference/kernels.py (the nearest wall within the
    segment's box and ``cutoff``; on a tie the lower segment index), computed voxel by voxel:
    each bin of _BIN^3 voxels lists the segments whose box reaches it, sorted by a lower bound
    of their wall distance from anywhere in the bin, and a voxel stops looking once that bound
    exceeds the best wall found. Parallel over bins, no float grid.

    The grid is allocated by numpy (not inside the kernel) so that, being large, it gets huge
    memory pages: the movement and fate kernels read it at scattered places every step."""
    seg = np.full(tuple(int(n) for n in shape), -1, np.int32)
    _fill_nearest_segment_grid(seg, np.ascontiguousarray(p0, dtype=np.float64),
                               np.ascontiguousarray(p1, dtype=np.float64),
                               np.ascontiguousarray(radius, dtype=np.float64), float(h), float(cutoff))
    return seg


@njit(cache=True, nogil=True, parallel=True)
def _fill_nearest_segment_grid(seg, p0, p1, radius, h, cutoff):
    nx, ny, nz = seg.shape
    nseg = p0.shape[0]
    if nseg == 0:
        return
    box = _segment_boxes(p0, p1, radius, nx, ny, nz, h, cutoff)
    bx, by, bz = (nx + _BIN - 1) // _BIN, (ny + _BIN - 1) // _BIN, (nz + _BIN - 1) // _BIN
    nbin = bx * by * bz
    counts = np.zeros(nbin + 1, np.int64)
    for s in range(nseg):
        if box[s, 1] <= box[s, 0] or box[s, 3] <= box[s, 2] or box[s, 5] <= box[s, 4]:
            continue
        for ib in range(box[s, 0] // _BIN, (box[s, 1] - 1) // _BIN + 1):
            for jb in range(box[s, 2] // _BIN, (box[s, 3] - 1) // _BIN + 1):
                for kb in range(box[s, 4] // _BIN, (box[s, 5] - 1) // _BIN + 1):
                    counts[(ib * by + jb) * bz + kb + 1] += 1
    start = np.cumsum(counts)
    fill = start[:-1].copy()
    cand = np.empty(start[-1], np.int32)  # (segments x bins reached: the biggest build array)
    for s in range(nseg):
        if box[s, 1] <= box[s, 0] or box[s, 3] <= box[s, 2] or box[s, 5] <= box[s, 4]:
            continue
        for ib in range(box[s, 0] // _BIN, (box[s, 1] - 1) // _BIN + 1):
            for jb in range(box[s, 2] // _BIN, (box[s, 3] - 1) // _BIN + 1):
                for kb in range(box[s, 4] // _BIN, (box[s, 5] - 1) // _BIN + 1):
                    b = (ib * by + jb) * bz + kb
                    cand[fill[b]] = s
                    fill[b] += 1
    for b in prange(nbin):
        c0, c1 = start[b], start[b + 1]
        if c1 == c0:
            continue
        ib = b // (by * bz)
        jb = (b // bz) % by
        kb = b % bz
        i0, i1 = ib * _BIN, min(ib * _BIN + _BIN, nx)
        j0, j1 = jb * _BIN, min(jb * _BIN + _BIN, ny)
        k0, k1 = kb * _BIN, min(kb * _BIN + _BIN, nz)
        # voxel centres of the bin span [lo + 0.5h, hi - 0.5h]: centre and half-diagonal
        cx = 0.5 * (i0 + i1) * h
        cy = 0.5 * (j0 + j1) * h
        cz = 0.5 * (k0 + k1) * h
        half = 0.5 * h * np.sqrt((i1 - i0 - 1) ** 2 + (j1 - j0 - 1) ** 2 + (k1 - k0 - 1) ** 2)
        n = c1 - c0
        lb = np.empty(n)
        for q in range(n):
            s = cand[c0 + q]
            d, t, qx, qy, qz = point_segment(cx, cy, cz, p0[s, 0], p0[s, 1], p0[s, 2],
                                             p1[s, 0], p1[s, 1], p1[s, 2])
            lb[q] = d - half - radius[s]
        rank = np.argsort(lb, kind="mergesort")
        for i in range(i0, i1):
            x = (i + 0.5) * h
            for j in range(j0, j1):
                y = (j + 0.5) * h
                for k in range(k0, k1):
                    z = (k + 0.5) * h
                    best = 1e30
                    best_s = -1
                    for r in range(n):
                        q = rank[r]
                        if lb[q] > best + 1e-6:  # margin far above rounding: nothing closer follows
                            break
                        s = cand[c0 + q]
                        if i < box[s, 0] or i >= box[s, 1] or j < box[s, 2] or j >= box[s, 3] \
                                or k < box[s, 4] or k >= box[s, 5]:
                            continue
                        d, t, qx, qy, qz = point_segment(x, y, z, p0[s, 0], p0[s, 1], p0[s, 2],
                                                         p1[s, 0], p1[s, 1], p1[s, 2])
                        wall = d - radius[s]
                        if wall <= cutoff and (wall < best or (wall == best and s < best_s)):
                            best = wall
                            best_s = s
                    seg[i, j, k] = best_s


@njit(cache=True, nogil=True, inline="always")
def vessel_near(x, y, z, lookup, h, p0, p1, radius):
    """Nearest segment to a point: (segment, distance to its axis, closest axis point) or seg -1."""
    return segment_near(lookup_segment(x, y, z, lookup, h), x, y, z, p0, p1)


@njit(cache=True, nogil=True, inline="always")
def lookup_segment(x, y, z, lookup, h):
    """The look-up grid's segment for a point (-1: none within reach); the first half of
    :func:`vessel_near`, for loops that gather these scattered reads on their own."""
    nx, ny, nz = lookup.shape
    return lookup[cell_coords(x, y, z, h, nx, ny, nz)]


@njit(cache=True, nogil=True, inline="always")
def segment_near(s, x, y, z, p0, p1):
    """The second half of :func:`vessel_near`: (s, distance to the axis of segment s, closest
    axis point), or (-1, 1e30, 0, 0, 0) for s < 0."""
    if s < 0:
        return -1, 1e30, 0.0, 0.0, 0.0
    d, t, cx, cy, cz = point_segment(x, y, z, p0[s, 0], p0[s, 1], p0[s, 2], p1[s, 0], p1[s, 1], p1[s, 2])
    return s, d, cx, cy, cz


class VesselNetwork:
    """Sinusoid segments with per-vessel integrity and VCAM-1, plus adjacency for flow."""

    def __init__(self, size_um, spacing_um, radius_um, seed, lookup_voxel_um=5.0):
        self.size = np.asarray(size_um, float)
        self._generate(spacing_um, radius_um, seed)
        n = self.p0.shape[0]
        self.integrity = np.ones(n)
        self.vcam_base = np.exp(0.3 * self._rand_normal(seed, n, 7))
        self.vcam = self.vcam_base.copy()
        self.damage_scale = 0.75 + 0.5 * self._rand_uniform(seed, n, 8)
        #: integrity still to be lost to a cytotoxic injury (as -log of the surviving share): the
        #: damage develops over days (engine.endothelium)
        self.pending_loss = np.zeros(n)
        self.lookup_h = float(lookup_voxel_um)
        shape = np.array([max(1, int(np.ceil(s / self.lookup_h))) for s in self.size], np.int64)
        self.lookup = nearest_segment_grid(self.p0, self.p1, self.radius, shape, self.lookup_h,
                                           float(spacing_um))

    @staticmethod
    def _rand_uniform(seed, n, stream):
        return np.array([uniform(seed, 0, i, S_GEOM + stream) for i in range(n)])

    @classmethod
    def _rand_normal(cls, seed, n, stream):
        u1 = np.maximum(cls._rand_uniform(seed, n, stream), 1e-12)
        u2 = cls._rand_uniform(seed, n, stream + 50)
        return np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)

    def _generate(self, spacing, radius, seed):
        # lattice nodes at exactly `spacing` (so vessel density does not depend on the tile size),
        # centred in x and y; the lowest layer a little above the bone, the top layer at the top face
        cx, cy = (max(2, int(np.ceil(s / spacing - 0.5))) for s in self.size[:2])
        cz = max(2, int(round(self.size[2] / spacing)) + 1)
        xs = (np.arange(cx) + 0.5) * spacing + 0.5 * (self.size[0] - cx * spacing)
        ys = (np.arange(cy) + 0.5) * spacing + 0.5 * (self.size[1] - cy * spacing)
        zs = np.linspace(min(0.45 * spacing, 0.3 * self.size[2]), self.size[2], cz)
        nodes = np.array([[x, y, z] for x in xs for y in ys for z in zs])
        n = len(nodes)
        jitter = (np.stack([self._rand_uniform(seed, n, k) for k in range(3)], axis=1) - 0.5) * 0.6 * spacing
        nodes = nodes + jitter
        lo = np.array([0.0, 0.0, 0.3 * spacing])
        nodes = np.clip(nodes, lo, self.size)
        idx = np.arange(n).reshape(cx, cy, cz)
        edges = []
        keep = self._rand_uniform(seed, 3 * n, 3)
        for a, (dx, dy, dz), p in ((0, (1, 0, 0), 0.8), (1, (0, 1, 0), 0.8), (2, (0, 0, 1), 0.55)):
            for i in range(cx - dx):
                for j in range(cy - dy):
                    for k in range(cz - dz):
                        u = idx[i, j, k]
                        if keep[a * n + u] < p:
                            edges.append((u, idx[i + dx, j + dy, k + dz]))
        edges = np.array(edges, np.int64)
        self.nodes = nodes
        self.edges = edges
        self.p0 = nodes[edges[:, 0]].copy()
        self.p1 = nodes[edges[:, 1]].copy()
        r = radius * (0.75 + 0.5 * self._rand_uniform(seed, len(edges), 4))
        self.radius = r
        # flow runs along each segment from its first node to its second; for each node, the
        # segments leaving it, in segment order (CSR): a platelet particle reaching the node picks one
        self.out_start = np.concatenate([[0], np.cumsum(np.bincount(edges[:, 0], minlength=n))]).astype(np.int64)
        self.out_segs = np.argsort(edges[:, 0], kind="stable").astype(np.int64)
        #: each segment's length (um) and the node its flow runs to
        self.length = np.linalg.norm(self.p1 - self.p0, axis=1)
        self.edge_to = edges[:, 1].astype(np.int64)

    @property
    def count(self) -> int:
        return self.p0.shape[0]
