"""Cell movement: random motility, SDF-1 chemotaxis (CXCR4), volume exclusion,
and the walls every cell respects (tile box, bone at z = 0, sinusoid lumen).

Positions are updated Jacobi-style (all cells read the old positions, write
new ones), and the volume-exclusion pushes a cell receives are summed in fixed
point (exact integer sums, so their order does not matter): the result does
not depend on thread count, visiting order or how neighbours are searched.
"""
from __future__ import annotations

import numpy as np
from numba import njit, prange, uint64

from .agents import HSPC, MK, MKP, MSC, STROMA, FREE, radius_of
from .cell_lists import cell_coords, column_gap2, query_box
from .fates import needs_vessel
from .field import gradient_at, prefetch_gradient, value_at
from .prefetch import PREFETCH_AHEAD
from .rng import S_MOVE, normal3
from .vessels import lookup_segment, segment_near, vessel_near

# indices into the motility parameter vector
M_DT, M_SIG_HSPC, M_SIG_MKP, M_SIG_MK, M_CHI_HSPC, M_CHI_MKP, M_CHI_MK, M_VMAX, M_REPULSE, M_CXCR4 = range(10)
M_SIZE = 10

#: volume-exclusion pushes are summed as integers in units of 2^-40 um (1e-12 um)
PUSH_SCALE = 2.0 ** 40
#: the volume-exclusion pass works in this many consecutive pieces of the mobile cells (the
#: threads share them out; each piece draws its cells' random steps in one vectorised loop)
MOVE_PIECES = 16


@njit(cache=True, nogil=True, inline="always")
def is_mobile(kind, state):
    """MK progenitors, free megakaryocytes and homing HSPCs move. Every agent whose fate needs
    its sinusoid contact is mobile: :func:`move_mobile` provides those contacts."""
    return needs_vessel(kind, state) or (kind == HSPC and state == FREE)


@njit(cache=True, nogil=True, inline="always")
def _motility_of(k, mp):
    """(random motility sigma, chemotactic sensitivity incl. CXCR4 block) of kind k."""
    if k == HSPC:
        return mp[M_SIG_HSPC], mp[M_CHI_HSPC] * mp[M_CXCR4]
    if k == MKP:
        return mp[M_SIG_MKP], mp[M_CHI_MKP] * mp[M_CXCR4]
    return mp[M_SIG_MK], mp[M_CHI_MK] * mp[M_CXCR4]


@njit(cache=True, nogil=True, inline="always")
def _chemotaxis_velocity(field, h, x, y, z, chi, vmax):
    """Velocity up the SDF-1 gradient, capped at vmax."""
    gx, gy, gz, c0 = gradient_at(field, x, y, z, h)
    vx, vy, vz = chi * gx, chi * gy, chi * gz
    v = np.sqrt(vx * vx + vy * vy + vz * vz)
    if v > vmax:
        f = vmax / v
        vx, vy, vz = vx * f, vy * f, vz * f
    return vx, vy, vz


@njit(cache=True, nogil=True, inline="always")
def _touching(ex, ey, ez, ri, rj):
    """Whether a neighbour at offset (ex, ey, ez) overlaps the cell (its push is not 0). The cell
    itself has d2 == 0 and is skipped by the second test."""
    d2 = ex * ex + ey * ey + ez * ez
    rs = ri + rj
    return d2 < rs * rs and d2 > 1e-12


@njit(cache=True, nogil=True, inline="always")
def _push(ex, ey, ez, ri, rj, rep):
    """Fixed-point push on a cell from a neighbour at offset (ex, ey, ez) (0 if apart)."""
    d2 = ex * ex + ey * ey + ez * ez
    rs = ri + rj
    if _touching(ex, ey, ez, ri, rj):
        d = np.sqrt(d2)
        push = rep * 0.5 * (rs - d) / d * PUSH_SCALE
        return (np.int64(np.floor(ex * push + 0.5)), np.int64(np.floor(ey * push + 0.5)),
                np.int64(np.floor(ez * push + 0.5)))
    return np.int64(0), np.int64(0), np.int64(0)


@njit(cache=True, nogil=True, inline="always")
def _tentative(x, y, z, ri, vx, vy, vz, sig, sx, sy, sz, n1, n2, n3, dt, size):
    """Chemotaxis + random step (standard normals n1, n2, n3) + summed pushes, at most one
    radius long, inside the tile box and above the bone surface (z = 0)."""
    sq = np.sqrt(dt)
    dx = vx * dt + sig * sq * n1 + sx / PUSH_SCALE
    dy = vy * dt + sig * sq * n2 + sy / PUSH_SCALE
    dz = vz * dt + sig * sq * n3 + sz / PUSH_SCALE
    step_len = np.sqrt(dx * dx + dy * dy + dz * dz)
    lim = max(ri, 2.0)
    if step_len > lim:
        f = lim / step_len
        dx, dy, dz = dx * f, dy * f, dz * f
    return (min(max(x + dx, ri), size[0] - ri), min(max(y + dy, ri), size[1] - ri),
            min(max(z + dz, ri), size[2] - ri))


@njit(cache=True, nogil=True, inline="always")
def _outside_lumen(x, y, z, ri, s, lookup, lh, p0, p1, vrad, size):
    """Final position outside the sinusoid lumen, and the nearest segment and axis distance there
    (``s``: the look-up grid's segment for (x, y, z))."""
    s, d, cx, cy, cz = segment_near(s, x, y, z, p0, p1)
    if s >= 0:
        lim = vrad[s] + ri
        if d < lim and d > 1e-9:
            f = lim / d
            x = min(max(cx + (x - cx) * f, ri), size[0] - ri)
            y = min(max(cy + (y - cy) * f, ri), size[1] - ri)
            z = min(max(cz + (z - cz) * f, ri), size[2] - ri)
            s, d, cx, cy, cz = vessel_near(x, y, z, lookup, lh, p0, p1, vrad)
    return x, y, z, s, d


@njit(cache=True, nogil=True, inline="always")
def _write_row(bodies, mobile, q, i, pos, kind, state, maturity, rp):
    """Row q of the sorted bodies: agent i's position and radius, and in ``mobile[q]`` the agent, or
    -1 if it stays put (one scattered write per row fewer than a separate flag, and these writes
    are most of the sort's time)."""
    bodies[q, 0] = pos[i, 0]
    bodies[q, 1] = pos[i, 1]
    bodies[q, 2] = pos[i, 2]
    bodies[q, 3] = radius_of(kind[i], maturity[i], rp)
    mobile[q] = i if is_mobile(kind[i], state[i]) else -1


@njit(cache=True, nogil=True, inline="always")
def _compact_mobile(mobile, mobile_q, n):
    """Pack the mobile agents of rows 0..n-1 (``mobile[q] >= 0``) to the front of ``mobile``, their
    rows into ``mobile_q``; returns how many. (Without a branch: a third of the rows are mobile, in
    no pattern.)"""
    nm = 0
    for q in range(n):
        i = mobile[q]
        mobile[nm] = i
        mobile_q[nm] = q
        nm += 1 if i >= 0 else 0
    return nm


@njit(cache=True, nogil=True)
def _first_rows(cnt, start, ncell, kstart):
    """Each chunk's first row in each cell (into ``cnt``) and each cell's first row (into ``start``):
    a running sum over cells, and within a cell over chunks, after the cell's kept rows
    (``kstart``, as :mod:`engine.kept_rows` holds them; None: none). (One and two chunks, the
    common cases, have loops of their own over whole rows of ``cnt``; the general loop reads
    ``cnt`` a column at a time: docs/performance.md.)"""
    nch = cnt.shape[0]
    run = 0
    if nch == 1:
        c0 = cnt[0]
        for key in range(ncell):
            t = c0[key]
            start[key] = run
            if kstart is not None:
                run += kstart[key + 1] - kstart[key]
            c0[key] = run
            run += t
    elif nch == 2:
        c0, c1 = cnt[0], cnt[1]
        for key in range(ncell):
            a, b = c0[key], c1[key]
            start[key] = run
            if kstart is not None:
                run += kstart[key + 1] - kstart[key]
            c0[key] = run
            c1[key] = run + a
            run += a + b
    else:
        for key in range(ncell):
            start[key] = run
            if kstart is not None:
                run += kstart[key + 1] - kstart[key]
            for c in range(nch):
                t = cnt[c, key]
                cnt[c, key] = run
                run += t
    start[ncell] = run


@njit(cache=True, nogil=True, parallel=True)
def sort_bodies(pos, kind, state, maturity, members, rp, cell, nx, ny, nz, start, keys, bodies, mobile, mobile_q,
                counts):
    """The cell list of ``members`` (as :func:`engine.cell_lists.build_cell_list`: ``start``
    per grid cell, agents of a cell in the order of ``members``) written as a cell-ordered
    copy of their (x, y, z, radius) in ``bodies`` (neighbour scans read contiguous memory), and
    the mobile ones in the same order (neighbouring cells are moved together: field and
    look-up reads stay in cache) in ``mobile`` (agent index) and ``mobile_q`` (row in
    ``bodies``). Returns how many are mobile.

    A counting sort in parallel: ``members`` is cut into consecutive chunks (as many as
    ``counts`` has rows: one per thread; ``counts`` is scratch of (chunks, cells)), each counted
    and scattered by one thread; a cell's rows take chunk 0's agents first, then chunk 1's, ...,
    so the rows are the same for any number of chunks."""
    n = members.size
    ncell = nx * ny * nz
    nch = max(1, min(counts.shape[0], n // 2048))
    cnt = counts[:nch]
    for c in prange(nch):
        cnt[c, :] = 0
        for k in range(c * n // nch, (c + 1) * n // nch):
            i = members[k]
            ix, iy, iz = cell_coords(pos[i, 0], pos[i, 1], pos[i, 2], cell, nx, ny, nz)
            key = (ix * ny + iy) * nz + iz
            keys[k] = key
            cnt[c, key] += 1
    _first_rows(cnt, start, ncell, None)
    for c in prange(nch):
        for k in range(c * n // nch, (c + 1) * n // nch):
            i = members[k]
            q = cnt[c, keys[k]]
            cnt[c, keys[k]] = q + 1
            _write_row(bodies, mobile, q, i, pos, kind, state, maturity, rp)
    return _compact_mobile(mobile, mobile_q, n)


@njit(cache=True, nogil=True, inline="always")
def _chunk_start(c, nch, n, lead):
    """First member of chunk c of nch (c = nch: n): the first chunk takes the ``lead`` first members
    besides its share of the others."""
    return 0 if c == 0 else lead + c * (n - lead) // nch


@njit(cache=True, nogil=True, parallel=True)
def sort_bodies_kept(pos, kind, state, maturity, members, rp, cell, nx, ny, nz, start, keys, bodies, mobile, mobile_q,
                     counts, krows, kstart, kpos, nkept, threads):
    """:func:`sort_bodies` with the stroma's rows taken from the kept layer of
    :mod:`engine.kept_rows` (``krows``, ``kstart``, ``kpos``, ``nkept``): each cell's kept rows
    come first, copied in one run, then the other members' rows as :func:`sort_bodies` orders
    them. Returns how many are mobile, or -1 (nothing sorted) if the layer does not hold the
    stroma among ``members`` as they are now (one at another position, one more or fewer).

    The members are cut into as many chunks as ``counts`` has rows (one per thread), dealt out in
    turn to ``threads`` workers; the first chunk takes the ``nkept`` first members besides its share
    of the others: the stroma, which only have their position checked here, fill the first ~40% of
    the slots, and equal pieces would leave one thread most of the scatter. (The rows are the same
    for any chunking: within a cell, members keep their order.)"""
    n = members.size
    ncell = nx * ny * nz
    nch = max(1, min(counts.shape[0], n // 2048))
    nt = max(1, min(threads, nch))
    lead = min(nkept, n)
    cnt = counts[:nch]
    held = np.zeros(nch, np.int64)
    for t in prange(nt):
        for c in range(t, nch, nt):
            cnt[c, :] = 0
            h = 0
            for k in range(_chunk_start(c, nch, n, lead), _chunk_start(c + 1, nch, n, lead)):
                i = members[k]
                x, y, z = pos[i, 0], pos[i, 1], pos[i, 2]
                if kind[i] == STROMA or kind[i] == MSC:
                    # (kept: counted if where the layer has it, and once more: NaN for the others)
                    h += 1 + (1 << 32) * (x == kpos[i, 0] and y == kpos[i, 1] and z == kpos[i, 2])
                    keys[k] = -1
                else:
                    ix, iy, iz = cell_coords(x, y, z, cell, nx, ny, nz)
                    key = (ix * ny + iy) * nz + iz
                    keys[k] = key
                    cnt[c, key] += 1
            held[c] = h
    h = held.sum()
    if h != nkept * ((1 << 32) + 1):
        return -1
    _first_rows(cnt, start, ncell, kstart)
    for t in prange(nt):
        for c in range(t, nch, nt):
            for key in range(c * ncell // nch, (c + 1) * ncell // nch):
                q = start[key]
                for r in range(kstart[key], kstart[key + 1]):
                    bodies[q, 0], bodies[q, 1], bodies[q, 2], bodies[q, 3] = krows[r, 0], krows[r, 1], krows[r, 2], \
                        krows[r, 3]
                    mobile[q] = -1
                    q += 1
            for k in range(_chunk_start(c, nch, n, lead), _chunk_start(c + 1, nch, n, lead)):
                key = keys[k]
                if key < 0:
                    continue
                i = members[k]
                q = cnt[c, key]
                cnt[c, key] = q + 1
                _write_row(bodies, mobile, q, i, pos, kind, state, maturity, rp)
    return _compact_mobile(mobile, mobile_q, n)


@njit(cache=True, nogil=True, error_model="numpy")
def movement_noise(mobile, lo, hi, n1, n2, n3, seed, step):
    """The random-motility normals of the mobile cells lo..hi-1 into n1, n2, n3[0:hi - lo].

    One loop that does nothing else, compiled on its own: LLVM vectorises it (the normals
    need no libm call, see :mod:`engine.vector_math`); drawn inside the neighbour loop they
    took about a fifth of the movement. (The body of a parallel loop is not vectorised, so
    this is a function of its own that the pieces of that loop call.)"""
    for m in range(lo, hi):
        a, b, c = normal3(seed, step, mobile[m], S_MOVE)
        n1[m - lo] = a
        n2[m - lo] = b
        n3[m - lo] = c


@njit(cache=True, nogil=True, error_model="numpy")
def _exclude_and_step(lo, hi, kind, mobile, mobile_q, moved, start, bodies, cell, gnx, gny, gnz, size, mp,
                      rmax, seed, step):
    """Pass 2 of :func:`move_mobile` for the mobile cells lo..hi-1: volume exclusion against the
    cells within reach (of each column of grid cells around the cell only the z-window, one
    contiguous run), random step, step limit, tile walls. ``moved[m]`` holds the chemotactic
    velocity on entry and the tentative position on return."""
    dt = mp[M_DT]
    rep = mp[M_REPULSE]
    n1 = np.empty(hi - lo)
    n2 = np.empty(hi - lo)
    n3 = np.empty(hi - lo)
    movement_noise(mobile, lo, hi, n1, n2, n3, seed, step)
    # The candidate loop below is most of the movement's time (~25 candidates per cell, ~1 of them
    # touching). It reads the rows as one flat array through unsigned indices: numba adds a
    # negative-index check to every read with a signed index, and a row of four takes a shift
    # instead of a multiply (together ~15% of the pass; same arithmetic).
    flat = bodies.reshape(-1)
    one, two, three, four = uint64(1), uint64(2), uint64(3), uint64(4)
    for m in range(lo, hi):
        i = mobile[m]
        q = mobile_q[m]
        x, y, z, ri = bodies[q, 0], bodies[q, 1], bodies[q, 2], bodies[q, 3]
        reach = ri + rmax
        far = reach * reach * (1.0 + 1e-12) + 1e-9   # (a margin: column edges are rounded)
        ix0, ix1, iy0, iy1, iz0, iz1 = query_box(x, y, z, reach, cell, gnx, gny, gnz)
        sx, sy, sz = np.int64(0), np.int64(0), np.int64(0)
        for ax in range(ix0, ix1):
            for ay in range(iy0, iy1):
                if column_gap2(x, y, ax, ay, cell) > far:
                    continue
                base = uint64((ax * gny + ay) * gnz)
                for r in range(four * uint64(start[base + uint64(iz0)]), four * uint64(start[base + uint64(iz1 + 1)]),
                               four):
                    ex, ey, ez, rj = x - flat[r], y - flat[r + one], z - flat[r + two], flat[r + three]
                    if _touching(ex, ey, ez, ri, rj):
                        px, py, pz = _push(ex, ey, ez, ri, rj, rep)
                        sx += px
                        sy += py
                        sz += pz
        sig, chi = _motility_of(kind[i], mp)
        k = m - lo
        moved[m, 0], moved[m, 1], moved[m, 2] = _tentative(x, y, z, ri, moved[m, 0], moved[m, 1], moved[m, 2],
                                                           sig, sx, sy, sz, n1[k], n2[k], n3[k], dt, size)


@njit(cache=True, nogil=True, parallel=True)
def move_mobile(kind, pos, mobile, mobile_q, moved, start, bodies, cell, gnx, gny, gnz,
                field, h, lookup, lh, p0, p1, vrad, size, mp, rmax, seed, step, near_seg, near_d, near_c):
    """New positions of the ``mobile`` agents into ``pos`` (and into ``moved[m]``, in the order
    of ``mobile``): the same numbers as the plain all-pairs form in tests/reference/kernels.py, read from the cell-ordered ``bodies``
    of :func:`sort_bodies` (``start``: rows of each grid cell). Every cell moves from the old
    positions: until the last pass writes ``pos``, only ``bodies`` (their copy) is read.

    Three passes over the mobile cells, so that the scattered reads of the big grids (SDF-1
    field, sinusoid look-up) sit in short loops where many of them are in flight at once:
    1. chemotactic velocity from the field gradient (parked in ``moved``);
    2. volume exclusion against the cells within reach (of each column of grid cells around
       the cell only the z-window, one contiguous run), random step, step limit, tile walls;
    3. the sinusoid lumen wall; then, at the final position, the nearest sinusoid and the
       SDF-1 level that the fate decisions need (``near_seg``, ``near_d``, ``near_c`` by agent
       slot: the numbers of the plain form ``vessel_contacts`` in tests/reference/kernels.py, while
       the grids are in cache)."""
    # 1. chemotaxis up the SDF-1 gradient, speed capped. These field reads miss the caches: the
    # lines of the cell PREFETCH_AHEAD iterations on are requested early, so that many are in flight
    last = mobile.size - 1
    for m in prange(mobile.size):
        a = mobile_q[min(m + PREFETCH_AHEAD, last)]
        prefetch_gradient(field, bodies[a, 0], bodies[a, 1], bodies[a, 2], h)
        q = mobile_q[m]
        sig, chi = _motility_of(kind[mobile[m]], mp)
        vx, vy, vz = _chemotaxis_velocity(field, h, bodies[q, 0], bodies[q, 1], bodies[q, 2], chi, mp[M_VMAX])
        moved[m, 0], moved[m, 1], moved[m, 2] = vx, vy, vz
    # 2. volume exclusion and random motility, in MOVE_PIECES consecutive pieces of the cells
    n = mobile.size
    for c in prange(MOVE_PIECES):
        _exclude_and_step(c * n // MOVE_PIECES, (c + 1) * n // MOVE_PIECES, kind, mobile, mobile_q, moved, start,
                          bodies, cell, gnx, gny, gnz, size, mp, rmax, seed, step)
    # 3. sinusoid lumen: cells stay outside the wall; contacts at the final position. The
    # look-up grid reads first, on their own (no branches: many in flight at once)
    seg = np.empty(mobile.size, np.int32)
    for m in prange(mobile.size):
        seg[m] = lookup_segment(moved[m, 0], moved[m, 1], moved[m, 2], lookup, lh)
    for m in prange(mobile.size):
        ri = bodies[mobile_q[m], 3]
        nx_, ny_, nz_, s, d = _outside_lumen(moved[m, 0], moved[m, 1], moved[m, 2], ri, seg[m], lookup, lh,
                                             p0, p1, vrad, size)
        moved[m, 0], moved[m, 1], moved[m, 2] = nx_, ny_, nz_
        i = mobile[m]
        pos[i, 0], pos[i, 1], pos[i, 2] = nx_, ny_, nz_
        near_seg[i] = s
        near_d[i] = d
        near_c[i] = value_at(field, nx_, ny_, nz_, h)


@njit(cache=True, nogil=True)
def chemotaxis_displacement(field, h, x, y, z, chi, vmax, dt):
    """Directed displacement of one cell over dt (the movement's chemotaxis; used by tests and docs)."""
    vx, vy, vz = _chemotaxis_velocity(field, h, x, y, z, chi, vmax)
    return vx * dt, vy * dt, vz * dt


def motility_parameters(params, dt: float, cxcr4: float) -> np.ndarray:
    """The motility vector (``M_*`` entries) for one step; ``cxcr4``: the CXCR4 activity left
    (1 without a CXCR4 block)."""
    p = params
    mp = np.zeros(M_SIZE)
    mp[M_DT] = dt
    mp[M_SIG_HSPC] = p["hspc_random_motility"]
    mp[M_SIG_MKP] = p["mkp_random_motility"]
    mp[M_SIG_MK] = p["mk_random_motility"]
    mp[M_CHI_HSPC] = p["hspc_chemotaxis"]
    mp[M_CHI_MKP] = p["mkp_chemotaxis"]
    mp[M_CHI_MK] = p["mk_chemotaxis"]
    mp[M_VMAX] = p["max_speed_um_per_h"]
    mp[M_REPULSE] = p["repulsion_stiffness"]
    mp[M_CXCR4] = cxcr4
    return mp
