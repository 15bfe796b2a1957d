"""Diffusing SDF-1 (CXCL12) field on a regular 3D grid.

Scheme: operator splitting per step of length dt
  1. reaction: exact solution of dc/dt = S - lambda*c per voxel (secretion,
     decay, receptor uptake) -- unconditionally stable;
  2. diffusion: locally one-dimensional (LOD) backward Euler, one implicit
     tridiagonal solve per grid line along x, then y, then z, with no-flux
     walls. Each 1D solve conserves the total exactly (column sums are 1) and is
     stable for any dt, so there is no CFL bound on dt (the explicit bound
     dx^2/(6D) is reported by :func:`explicit_cfl_limit` for reference).

The splitting is first order in dt: around a source, the steady gradient decays
over sqrt(D dt / (1 - exp(-k dt))) instead of sqrt(D/k) (about 1.5x longer at
dt = 1 h, k = 2/h); the two agree as dt -> 0 (tests/test_engine_kernels.py).
The calibrated parameters refer to the model step.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange

from .cell_lists import cell_coords
from .prefetch import prefetch


def explicit_cfl_limit(dx_um: float, diffusion_um2_per_h: float) -> float:
    """Largest stable step (h) an explicit 3D scheme would allow."""
    return dx_um * dx_um / (6.0 * diffusion_um2_per_h) if diffusion_um2_per_h > 0 else np.inf


def thomas_factors(n: int, a: float):
    """Pre-factored Thomas coefficients for the 1D no-flux backward-Euler matrix.

    Matrix: diag 1+2a (1+a at both ends), off-diagonals -a.
    Returns (cprime, inv_denom) arrays of length n.
    """
    cp = np.zeros(n)
    inv = np.zeros(n)
    if n == 1:
        inv[0] = 1.0
        return cp, inv
    b0 = 1.0 + a
    inv[0] = 1.0 / b0
    cp[0] = -a * inv[0]
    for i in range(1, n):
        b = 1.0 + (a if i == n - 1 else 2.0 * a)
        denom = b - (-a) * cp[i - 1]
        inv[i] = 1.0 / denom
        cp[i] = -a * inv[i] if i < n - 1 else 0.0
    return cp, inv


@njit(cache=True, nogil=True, inline="always")
def _solve_line(line, tmp, a, cp, inv):
    """One no-flux backward-Euler line solve (reference form, used by tests)."""
    n = line.size
    tmp[0] = line[0] * inv[0]
    for i in range(1, n):
        tmp[i] = (line[i] + a * tmp[i - 1]) * inv[i]
    for i in range(n - 2, -1, -1):
        tmp[i] = tmp[i] - cp[i] * tmp[i + 1]
    for i in range(n):
        line[i] = tmp[i]


# The kernels below do exactly the arithmetic of the exact reaction (``react`` in
# tests/reference/kernels.py) + _solve_line (same operations in the same order for every voxel,
# hence the same bits) but many lines at once: each recurrence runs
# along its axis while the innermost loop walks contiguous memory, which vectorises and stays in
# cache. Two parallel launches per step:
#   react_diffuse_x: for a chunk of x-lines (a contiguous range q of the flattened (y, z) index),
#       react row i and run the forward x recurrence on it at once, then the backward x pass;
#   diffuse_yz: for each y-z plane (fixed i), the y sweep then the z sweep (blocks of z-lines
#       solved side by side).
# How the work is cut into chunks never changes a number, only the speed.

@njit(cache=True, nogil=True, inline="always")
def _forward_row(crow, prev, a, w):
    for q in range(crow.size):
        crow[q] = (crow[q] + a * prev[q]) * w


@njit(cache=True, nogil=True, inline="always")
def _scale_row(crow, w):
    for q in range(crow.size):
        crow[q] = crow[q] * w


@njit(cache=True, nogil=True, inline="always")
def _backward_row(crow, nxt, w):
    for q in range(crow.size):
        crow[q] = crow[q] - w * nxt[q]


@njit(cache=True, nogil=True, inline="always")
def _react_decaying(c, s, L, e):
    """Exact reaction of one voxel with loss rate L > 0, given e = exp(-L dt)."""
    return c * e + s * (1.0 - e) / L


@njit(cache=True, nogil=True, inline="always")
def _react_voxel(c, s, L, dt):
    """Exact reaction over dt of one voxel: value c, source s, loss rate L."""
    if L > 1e-12:
        return _react_decaying(c, s, L, np.exp(-L * dt))
    return c + s * dt


@njit(cache=True, nogil=True, inline="always")
def _react_others(crow, srow, lrow, dt, l0, idx, val):
    """Exact reaction of the voxels of a row whose loss rate is not l0 (few): their positions go to
    ``idx``, their new values to ``val``; returns how many. The positions are listed without a
    branch (every position is written, the count advances by the test)."""
    n = 0
    for q in range(crow.size):
        idx[n] = q
        n += lrow[q] != l0
    for r in range(n):
        q = idx[r]
        val[r] = _react_voxel(crow[q], srow[q], lrow[q], dt)
    return n


@njit(cache=True, nogil=True, inline="always")
def _react_forward_row(crow, prev, srow, dt, l0, e0, om0, a, w, first):
    """One pass over a row: the reaction of the voxels with loss rate l0 (all of them; the others
    are overwritten after) and the forward x recurrence on the result."""
    if l0 > 1e-12:
        if first:
            for q in range(crow.size):
                crow[q] = (crow[q] * e0 + srow[q] * om0 / l0) * w
        else:
            for q in range(crow.size):
                crow[q] = ((crow[q] * e0 + srow[q] * om0 / l0) + a * prev[q]) * w
    else:
        if first:
            for q in range(crow.size):
                crow[q] = (crow[q] + srow[q] * dt) * w
        else:
            for q in range(crow.size):
                crow[q] = ((crow[q] + srow[q] * dt) + a * prev[q]) * w


@njit(cache=True, nogil=True, parallel=True)
def react_diffuse_x(c, source, lam, dt, l0, a, cp, inv, nchunk):
    """Reaction (exact, as the reference react) then the implicit x sweep. ``l0``: the loss rate most voxels
    have (any value gives the same result; the right one is faster).

    Per row, the voxels whose loss rate is not l0 are reacted first (kept aside), then one pass
    reacts every voxel with l0 and applies the forward recurrence, and the kept voxels get the
    recurrence on their own value: each voxel sees the same operations in the same order as the
    reaction then the forward sweep as separate passes."""
    nx, ny, nz = c.shape
    m = ny * nz
    c2 = c.reshape((nx, m))
    s2 = source.reshape((nx, m))
    l2 = lam.reshape((nx, m))
    e0 = np.exp(-l0 * dt)
    om0 = 1.0 - e0
    for ch in prange(nchunk):
        lo = ch * m // nchunk
        hi = (ch + 1) * m // nchunk
        idx = np.empty(hi - lo, np.int64)
        val = np.empty(hi - lo)
        for i in range(nx):
            crow = c2[i, lo:hi]
            lrow = l2[i, lo:hi]
            n = _react_others(crow, s2[i, lo:hi], lrow, dt, l0, idx, val)
            w = inv[i]
            prev = c2[max(i - 1, 0), lo:hi]
            _react_forward_row(crow, prev, s2[i, lo:hi], dt, l0, e0, om0, a, w, i == 0)
            if i == 0:
                for r in range(n):
                    crow[idx[r]] = val[r] * w
            else:
                for r in range(n):
                    q = idx[r]
                    crow[q] = (val[r] + a * prev[q]) * w
        for i in range(nx - 2, -1, -1):
            _backward_row(c2[i, lo:hi], c2[i + 1, lo:hi], cp[i])


#: uptake entries per voxel up to which react_diffuse_x_listed takes exp(-L dt) from a table
LISTED_EXP_TABLE = 16


@njit(cache=True, nogil=True, parallel=True)
def react_diffuse_x_listed(c, source, dt, l0, a, cp, inv, nchunk, ptr, pos, tag, rate, uptake_code):
    """:func:`react_diffuse_x` for a step whose loss rate is ``l0`` everywhere and whose sources are
    ``source`` except where listed entries add to them: the entries of bucket b = chunk * nx + row
    (:class:`ListedVoxels`: ``pos[ptr[b]:ptr[b + 1]]``, in their order) each add
    ``rate[tag[entry]]`` to their voxel's loss rate (tag ``uptake_code``) or, starting from
    0, to a source that then gets ``source``'s value added. ``source`` is read, never written, and no
    loss-rate grid is needed (the x sweep streams the values and one rate grid instead of three
    grids: docs/performance.md).

    The voxels get the numbers react_diffuse_x gives them when the entries' rates are added to
    grids of 0 and l0 in their order and ``source`` after them, as :func:`engine.sdf1_sources.
    deposit_sdf1` does: each voxel sees the same operations in the same order."""
    nx, ny, nz = c.shape
    m = ny * nz
    c2 = c.reshape((nx, m))
    s2 = source.reshape((nx, m))
    e0 = np.exp(-l0 * dt)
    om0 = 1.0 - e0
    # exp(-L dt) of a voxel with k uptake entries (k < LISTED_EXP_TABLE): L summed as the entries add it
    etab = np.empty(LISTED_EXP_TABLE)
    lk = l0
    for k in range(LISTED_EXP_TABLE):
        etab[k] = np.exp(-lk * dt)
        lk = lk + rate[uptake_code]
    for ch in prange(nchunk):
        lo = ch * m // nchunk
        hi = (ch + 1) * m // nchunk
        slot = np.full(hi - lo, -1, np.int64)   # entry of the voxels of the row listed so far
        idx = np.empty(hi - lo, np.int64)
        sv = np.empty(hi - lo)
        lv = np.empty(hi - lo)
        nu = np.empty(hi - lo, np.int64)         # uptake entries of the voxel
        for i in range(nx):
            crow = c2[i, lo:hi]
            srow = s2[i, lo:hi]
            n = 0
            for r in range(ptr[ch * nx + i], ptr[ch * nx + i + 1]):
                q = pos[r] - lo
                k = slot[q]
                if k < 0:
                    k = n
                    slot[q] = n
                    idx[n] = q
                    sv[n] = 0.0
                    lv[n] = l0
                    nu[n] = 0
                    n += 1
                cd = tag[r]
                if cd == uptake_code:
                    lv[k] = lv[k] + rate[cd]
                    nu[k] += 1
                else:
                    sv[k] = sv[k] + rate[cd]
            for r in range(n):
                q = idx[r]
                slot[q] = -1
                L = lv[r]
                if L > 1e-12 and nu[r] < LISTED_EXP_TABLE:   # (the exponential from the table: the same bits)
                    sv[r] = _react_decaying(crow[q], sv[r] + srow[q], L, etab[nu[r]])
                else:
                    sv[r] = _react_voxel(crow[q], sv[r] + srow[q], L, dt)
            w = inv[i]
            prev = c2[max(i - 1, 0), lo:hi]
            _react_forward_row(crow, prev, srow, dt, l0, e0, om0, a, w, i == 0)
            if i == 0:
                for r in range(n):
                    crow[idx[r]] = sv[r] * w
            else:
                for r in range(n):
                    q = idx[r]
                    crow[q] = (sv[r] + a * prev[q]) * w
        for i in range(nx - 2, -1, -1):
            _backward_row(c2[i, lo:hi], c2[i + 1, lo:hi], cp[i])


@njit(cache=True, nogil=True, inline="always")
def _solve_y_plane(p, a, cp, inv):
    """y sweep of one y-z plane p (ny, nz)."""
    ny = p.shape[0]
    _scale_row(p[0], inv[0])
    for j in range(1, ny):
        _forward_row(p[j], p[j - 1], a, inv[j])
    for j in range(ny - 2, -1, -1):
        _backward_row(p[j], p[j + 1], cp[j])


ZBLOCK = 16  # z-lines solved side by side in a transposed buffer


@njit(cache=True, nogil=True, inline="always")
def _solve_z_plane(p, a, cp, inv, buf):
    """z sweep of one y-z plane p (ny, nz): blocks of ZBLOCK lines are copied transposed into
    buf (nz, ZBLOCK) so the recurrence runs over rows and the lines side by side vectorise."""
    ny, nz = p.shape
    for j0 in range(0, ny, ZBLOCK):
        nb = min(ZBLOCK, ny - j0)
        t = buf[:, :nb]
        for jj in range(nb):
            for k in range(nz):
                t[k, jj] = p[j0 + jj, k]
        _scale_row(t[0], inv[0])
        for k in range(1, nz):
            _forward_row(t[k], t[k - 1], a, inv[k])
        for k in range(nz - 2, -1, -1):
            _backward_row(t[k], t[k + 1], cp[k])
        for jj in range(nb):
            for k in range(nz):
                p[j0 + jj, k] = t[k, jj]


@njit(cache=True, nogil=True, inline="always")
def _solve_z_plane_direct(p, a, cp, inv):
    """z sweep of one y-z plane p (ny, nz) in place: recurrence outermost, all lines side by side
    (strided; fast unless nz * 8 bytes is a multiple of the cache's critical stride)."""
    ny, nz = p.shape
    w = inv[0]
    for j in range(ny):
        p[j, 0] = p[j, 0] * w
    for k in range(1, nz):
        w = inv[k]
        for j in range(ny):
            p[j, k] = (p[j, k] + a * p[j, k - 1]) * w
    for k in range(nz - 2, -1, -1):
        w = cp[k]
        for j in range(ny):
            p[j, k] = p[j, k] - w * p[j, k + 1]


def z_sweep_in_place(nz: int) -> bool:
    """Which z sweep suits a grid: in place, or through the transposed buffer when the line
    length makes the in-place strides alias in cache (nz a multiple of 16). Same numbers."""
    return nz % 16 != 0


@njit(cache=True, nogil=True, parallel=True)
def diffuse_yz(c, a, cpy, invy, cpz, invz, z_in_place=True):
    """The y then the z sweep, one y-z plane at a time."""
    nx, ny, nz = c.shape
    for i in prange(nx):
        _solve_y_plane(c[i], a, cpy, invy)
        if z_in_place:
            _solve_z_plane_direct(c[i], a, cpz, invz)
        else:
            buf = np.empty((nz, ZBLOCK))
            _solve_z_plane(c[i], a, cpz, invz, buf)


def line_chunks(shape, target_bytes: int = 1 << 18, min_line_block: int = 64, min_chunks: int = 8) -> int:
    """How many chunks of x-lines react_diffuse_x works on: each chunk's nx rows of values should
    take ~256 kB, so that they are still in a core's L2 (1 MB on the reference machine) when the
    backward pass re-reads them, after the forward pass has streamed the chunk's sources and loss
    rates through it as well; at least 64 lines per chunk; a multiple of ``min_chunks`` (8), so
    that 2, 4 or 8 threads get equal shares."""
    nx, ny, nz = shape
    m = ny * nz
    n = max(min_chunks, -(-nx * m * 8 // target_bytes))
    n = -(-n // min_chunks) * min_chunks
    return int(max(1, min(n, m // min_line_block if m >= min_line_block else 1)))


def chunk_of_lines(shape, nchunk: int) -> np.ndarray:
    """The chunk react_diffuse_x gives each x-line (flattened (y, z) index)."""
    m = int(shape[1]) * int(shape[2])
    out = np.empty(m, np.int64)
    for ch in range(nchunk):
        out[ch * m // nchunk:(ch + 1) * m // nchunk] = ch
    return out


@njit(cache=True, nogil=True)
def bucket_voxels(row, line, tag, n, nx, chunk_of, ptr, pos, ptag):
    """Counting sort of the voxels (x row ``row[r]``, x-line ``line[r]``: the flattened (y, z)
    index), r < n, by (chunk of lines, x row): bucket b = chunk * nx + row holds entries
    ptr[b]:ptr[b + 1], each with its line (``pos``) and its tag (``ptag``, from ``tag[r]``); entries keep their
    order within a bucket. (Chunk first: the x sweep's thread for a chunk reads its entries in one
    run.)"""
    nb = ptr.size - 1
    for b in range(nb + 1):
        ptr[b] = 0
    for r in range(n):
        ptr[chunk_of[line[r]] * nx + row[r] + 1] += 1
    for b in range(nb):
        ptr[b + 1] += ptr[b]
    for r in range(n):   # (ptr[b] advances to the end of bucket b: shifted back below)
        b = chunk_of[line[r]] * nx + row[r]
        k = ptr[b]
        pos[k] = line[r]
        ptag[k] = tag[r]
        ptr[b] = k + 1
    for b in range(nb, 0, -1):
        ptr[b] = ptr[b - 1]
    ptr[0] = 0


class ListedVoxels:
    """Voxels of a field listed by the chunk of lines and x row react_diffuse_x_listed visits them in
    (``ptr``, ``pos``, ``tag``: see :func:`bucket_voxels`)."""

    def __init__(self, field: "DiffusionField", capacity: int = 0):
        nx, ny, nz = field.shape
        self.nx, self.m = nx, ny * nz
        self.nchunk = field.nchunk
        self.chunk_of = chunk_of_lines(field.shape, field.nchunk)
        self.ptr = np.zeros(nx * self.nchunk + 1, np.int64)
        self.pos = np.zeros(capacity, np.int64)
        self.tag = np.zeros(capacity, np.int8)

    def fits(self, field: "DiffusionField") -> bool:
        return self.nchunk == field.nchunk and self.nx == field.shape[0] and self.m == field.shape[1] * field.shape[2]

    def fill(self, row: np.ndarray, line: np.ndarray, tag: np.ndarray, n: int) -> None:
        """List the voxels (``row[r]``, ``line[r]``) with their tags ``tag[r]`` (int8), r < n (the
        buffers grow as needed)."""
        if self.pos.size < n:
            self.pos = np.zeros(max(n, 2 * self.pos.size), np.int64)
            self.tag = np.zeros(self.pos.size, np.int8)
        bucket_voxels(row, line, tag, int(n), self.nx, self.chunk_of, self.ptr, self.pos, self.tag)


@njit(cache=True, nogil=True)
def value_at(c, x, y, z, h):
    """Value of c in the voxel holding a point (the voxel :func:`gradient_at` centres on)."""
    nx, ny, nz = c.shape
    return c[cell_coords(x, y, z, h, nx, ny, nz)]


@njit(cache=True, nogil=True)
def gradient_at(c, x, y, z, h):
    """Central-difference gradient of c at a point (nearest voxel), per um."""
    nx, ny, nz = c.shape
    i, j, k = cell_coords(x, y, z, h, nx, ny, nz)
    i0, i1 = max(i - 1, 0), min(i + 1, nx - 1)
    j0, j1 = max(j - 1, 0), min(j + 1, ny - 1)
    k0, k1 = max(k - 1, 0), min(k + 1, nz - 1)
    gx = (c[i1, j, k] - c[i0, j, k]) / (max(i1 - i0, 1) * h)
    gy = (c[i, j1, k] - c[i, j0, k]) / (max(j1 - j0, 1) * h)
    gz = (c[i, j, k1] - c[i, j, k0]) / (max(k1 - k0, 1) * h)
    return gx, gy, gz, c[i, j, k]


@njit(cache=True, nogil=True, inline="always")
def prefetch_gradient(c, x, y, z, h):
    """Start loading the cache lines :func:`gradient_at` will read at (x, y, z) (a hint; ``c``
    C-contiguous). Its x and y neighbours lie a plane and a row away, each on its own line."""
    nx, ny, nz = c.shape
    i, j, k = cell_coords(x, y, z, h, nx, ny, nz)
    flat = c.reshape(-1)
    v = (i * ny + j) * nz + k
    prefetch(flat, v)
    prefetch(flat, max(v - ny * nz, 0))
    prefetch(flat, min(v + ny * nz, flat.size - 1))
    prefetch(flat, max(v - nz, 0))
    prefetch(flat, min(v + nz, flat.size - 1))


@njit(cache=True, nogil=True, parallel=True)
def _fill_rates(source, lam, base_loss):
    for i in prange(source.size):
        source[i] = 0.0
        lam[i] = base_loss


class DiffusionField:
    """A scalar field with the LOD solver's factors cached for its (D, dt, h)."""

    def __init__(self, shape, voxel_um, diffusion_um2_per_h, dt_hours):
        self.shape = tuple(int(s) for s in shape)
        self.h = float(voxel_um)
        self.values = np.zeros(self.shape)
        self.source = np.zeros(self.shape)
        self.lam = np.zeros(self.shape)
        #: loss rate (1/h) most voxels have; set by reset_rates (a speed hint for step(), never a result)
        self.base_loss = 0.0
        self.nchunk = line_chunks(self.shape)
        self.set_coefficients(diffusion_um2_per_h, dt_hours)

    def set_coefficients(self, diffusion_um2_per_h, dt_hours):
        self.D = float(diffusion_um2_per_h)
        self.dt = float(dt_hours)
        self.a = self.D * self.dt / (self.h * self.h)
        self.factors = [thomas_factors(n, self.a) for n in self.shape]

    def reset_rates(self, base_loss: float) -> None:
        """Zero the sources and set every voxel's loss rate to ``base_loss`` (1/h)."""
        _fill_rates(self.source.reshape(-1), self.lam.reshape(-1), float(base_loss))
        self.base_loss = float(base_loss)

    def step(self):
        """Reaction with the rates of ``source`` and ``lam``, then diffusion, over one dt (same numbers
        as the exact reaction then an x, y and z sweep of single-line Thomas solves:
        tests/reference/kernels.py). (The simulation steps with :meth:`step_listed`.)"""
        (cpx, ix), (cpy, iy), (cpz, iz) = self.factors
        react_diffuse_x(self.values, self.source, self.lam, self.dt, self.base_loss, self.a, cpx, ix,
                        self.nchunk)
        diffuse_yz(self.values, self.a, cpy, iy, cpz, iz, z_sweep_in_place(self.shape[2]))

    def step_listed(self, listed: ListedVoxels, rate, uptake_code: int, loss: float):
        """A step with loss rate ``loss`` everywhere and the sources in ``source``, to which each listed
        entry adds ``rate[its tag]`` (to the loss rate for tag ``uptake_code``:
        :func:`react_diffuse_x_listed`); the rate grids are left as they are. The numbers of
        ``reset_rates(loss)``, the entries' rates added to the grids in their order, ``source``
        added, and ``step()``."""
        if not listed.fits(self):
            raise ValueError("listed voxels were made for another field layout")
        (cpx, ix), (cpy, iy), (cpz, iz) = self.factors
        react_diffuse_x_listed(self.values, self.source, self.dt, float(loss), self.a, cpx, ix, self.nchunk,
                               listed.ptr, listed.pos, listed.tag, rate, int(uptake_code))
        diffuse_yz(self.values, self.a, cpy, iy, cpz, iz, z_sweep_in_place(self.shape[2]))
