"""Diffusing SDF-1 (CXCL12) field on a regular 3D grid.

Scheme: operator splitting per step of length dt
  1. reaction: exact solution of dc/dt = S - lambda*c per voxel (secretion,
     decay, receptor uptake) -- unconditionally stable;
  2. diffusion: locally one-dimensional (LOD) backward Euler, one implicit
     tridiagonal solve per grid line along x, then y, then z, with no-flux
     walls. Each 1D solve conserves the total exactly (column sums are 1) and is
     stable for any dt, so there is no CFL bound on dt (the explicit bound
     dx^2/(6D) is reported by :func:`explicit_cfl_limit` for reference).
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange


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
    n = line.size
    tmp[0] = line[0] * inv[0]
    for i in range(1, n):
        tmp[i] = (line[i] + a * tmp[i - 1]) * inv[i]
    for i in range(n - 2, -1, -1):
        tmp[i] = tmp[i] - cp[i] * tmp[i + 1]
    for i in range(n):
        line[i] = tmp[i]


@njit(cache=True, nogil=True, parallel=True)
def diffuse_x(c, a, cp, inv):
    nx, ny, nz = c.shape
    for j in prange(ny):
        line = np.empty(nx)
        tmp = np.empty(nx)
        for k in range(nz):
            for i in range(nx):
                line[i] = c[i, j, k]
            _solve_line(line, tmp, a, cp, inv)
            for i in range(nx):
                c[i, j, k] = line[i]


@njit(cache=True, nogil=True, parallel=True)
def diffuse_y(c, a, cp, inv):
    nx, ny, nz = c.shape
    for i in prange(nx):
        line = np.empty(ny)
        tmp = np.empty(ny)
        for k in range(nz):
            for j in range(ny):
                line[j] = c[i, j, k]
            _solve_line(line, tmp, a, cp, inv)
            for j in range(ny):
                c[i, j, k] = line[j]


@njit(cache=True, nogil=True, parallel=True)
def diffuse_z(c, a, cp, inv):
    nx, ny, nz = c.shape
    for i in prange(nx):
        line = np.empty(nz)
        tmp = np.empty(nz)
        for j in range(ny):
            for k in range(nz):
                line[k] = c[i, j, k]
            _solve_line(line, tmp, a, cp, inv)
            for k in range(nz):
                c[i, j, k] = line[k]


@njit(cache=True, nogil=True, parallel=True)
def react(c, source, lam, dt):
    """Exact update of dc/dt = source - lam*c over dt, voxel by voxel."""
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


@njit(cache=True, nogil=True)
def gradient_at(c, x, y, z, h):
    """Central-difference gradient of c at a point (nearest voxel), per um."""
    nx, ny, nz = c.shape
    i = min(max(int(x / h), 0), nx - 1)
    j = min(max(int(y / h), 0), ny - 1)
    k = min(max(int(z / h), 0), nz - 1)
    i0, i1 = max(i - 1, 0), min(i + 1, nx - 1)
    j0, j1 = max(j - 1, 0), min(j + 1, ny - 1)
    k0, k1 = max(k - 1, 0), min(k + 1, nz - 1)
    gx = (c[i1, j, k] - c[i0, j, k]) / (max(i1 - i0, 1) * h)
    gy = (c[i, j1, k] - c[i, j0, k]) / (max(j1 - j0, 1) * h)
    gz = (c[i, j, k1] - c[i, j, k0]) / (max(k1 - k0, 1) * h)
    return gx, gy, gz, c[i, j, k]


class DiffusionField:
    """A scalar field with the LOD solver's factors cached for its (D, dt, h)."""

    def __init__(self, shape, voxel_um, diffusion_um2_per_h, dt_hours):
        self.shape = tuple(int(s) for s in shape)
        self.h = float(voxel_um)
        self.values = np.zeros(self.shape)
        self.source = np.zeros(self.shape)
        self.lam = np.zeros(self.shape)
        self.set_coefficients(diffusion_um2_per_h, dt_hours)

    def set_coefficients(self, diffusion_um2_per_h, dt_hours):
        self.D = float(diffusion_um2_per_h)
        self.dt = float(dt_hours)
        self.a = self.D * self.dt / (self.h * self.h)
        self.factors = [thomas_factors(n, self.a) for n in self.shape]

    def diffuse(self):
        (cpx, ix), (cpy, iy), (cpz, iz) = self.factors
        diffuse_x(self.values, self.a, cpx, ix)
        diffuse_y(self.values, self.a, cpy, iy)
        diffuse_z(self.values, self.a, cpz, iz)

    def step(self):
        react(self.values, self.source, self.lam, self.dt)
        self.diffuse()
