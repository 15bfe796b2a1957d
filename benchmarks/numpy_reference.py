"""The core of one simulation step written as plain vectorised NumPy (no numba), for comparison.

The same work as the engine's step on the same state: cell movement (SDF-1 chemotaxis, random
motility, volume exclusion through a sorted uniform grid, tile and sinusoid walls), the fate
decisions of every agent, and the SDF-1 field (exact reaction, then locally one-dimensional
implicit diffusion with a Thomas solve vectorised across all lines of an axis). It follows the
engine's rules and its counter-based random numbers, so on the same state it reproduces the
engine's moves (the pushes are summed in fixed point, as the engine does) and its fate
decisions; the benchmark reports how closely, and how much slower it is.

It mirrors engine/motility.py and engine/fates.py as they are; if the model rules change, the
agreement reported by the benchmark drops (it is a measurement, not a test).
"""
from __future__ import annotations

import time

import numpy as np

from engine import agents as A
from engine import fates as FT
from engine import motility as MO

# ---------------------------------------------------------------- counter-based random numbers
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_K_STEP = np.uint64(0xD1B54A32D192ED03)
_K_AGENT = np.uint64(0xABC98388FB8FAC03)
_K_STREAM = np.uint64(0x8CB92BA72F3D8DD7)
_INV53 = 1.0 / 9007199254740992.0


def _mix64(z):
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def uniform(seed: int, step: int, agents: np.ndarray, stream: int) -> np.ndarray:
    """engine.rng.uniform for an array of agent ids."""
    with np.errstate(over="ignore"):
        key = (np.array([step], np.uint64) * _K_STEP) ^ (agents.astype(np.uint64) * _K_AGENT) ^ \
              (np.array([stream], np.uint64) * _K_STREAM)
        z = _mix64(_mix64(np.array([seed], np.uint64) + _GOLDEN) ^ key)
    return (z >> np.uint64(11)).astype(np.float64) * _INV53


def normal3(seed: int, step: int, agents: np.ndarray, stream: int) -> np.ndarray:
    """engine.rng.normal3 for an array of agent ids: (n, 3) standard normal deviates (with NumPy's
    log, sin and cos: within 2e-15 of the engine's plain-arithmetic ones)."""
    u1 = np.maximum(uniform(seed, step, agents, stream), 1e-300)
    u2 = uniform(seed, step, agents, stream + 7919)
    u3 = np.maximum(uniform(seed, step, agents, stream + 1), 1e-300)
    u4 = uniform(seed, step, agents, stream + 7920)
    r1 = np.sqrt(-2.0 * np.log(u1))
    r2 = np.sqrt(-2.0 * np.log(u3))
    t1 = 2.0 * np.pi * u2
    return np.column_stack([r1 * np.cos(t1), r1 * np.sin(t1), r2 * np.cos(2.0 * np.pi * u4)])


def normal(seed: int, step: int, agents: np.ndarray, stream: int) -> np.ndarray:
    """engine.rng.normal for an array of agent ids."""
    u1 = np.maximum(uniform(seed, step, agents, stream), 1e-300)
    u2 = uniform(seed, step, agents, stream + 7919)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


# ---------------------------------------------------------------- geometry helpers
def radius_of(kind: np.ndarray, maturity: np.ndarray, rp: np.ndarray) -> np.ndarray:
    r = np.ones(kind.size)
    r[kind == A.HSPC] = rp[0]
    r[kind == A.MKP] = rp[1]
    mk = kind == A.MK
    r[mk] = rp[2] + (rp[3] - rp[2]) * maturity[mk]
    r[(kind == A.STROMA) | (kind == A.MSC)] = rp[4]
    return r


def _voxel(x, h, n):
    return np.clip((x / h).astype(np.int64), 0, n - 1)


def gradient_at(c, pts, h):
    nx, ny, nz = c.shape
    i, j, k = _voxel(pts[:, 0], h, nx), _voxel(pts[:, 1], h, ny), _voxel(pts[:, 2], h, nz)
    i0, i1 = np.maximum(i - 1, 0), np.minimum(i + 1, nx - 1)
    j0, j1 = np.maximum(j - 1, 0), np.minimum(j + 1, ny - 1)
    k0, k1 = np.maximum(k - 1, 0), np.minimum(k + 1, nz - 1)
    gx = (c[i1, j, k] - c[i0, j, k]) / (np.maximum(i1 - i0, 1) * h)
    gy = (c[i, j1, k] - c[i, j0, k]) / (np.maximum(j1 - j0, 1) * h)
    gz = (c[i, j, k1] - c[i, j, k0]) / (np.maximum(k1 - k0, 1) * h)
    return gx, gy, gz


def field_at(c, pts, h):
    nx, ny, nz = c.shape
    return c[_voxel(pts[:, 0], h, nx), _voxel(pts[:, 1], h, ny), _voxel(pts[:, 2], h, nz)]


def vessel_near(pts, lookup, lh, p0, p1, vrad):
    """(segment or -1, distance to its axis, closest axis point (n, 3)) for every point."""
    nx, ny, nz = lookup.shape
    s = lookup[_voxel(pts[:, 0], lh, nx), _voxel(pts[:, 1], lh, ny), _voxel(pts[:, 2], lh, nz)].astype(np.int64)
    ok = s >= 0
    ss = np.where(ok, s, 0)
    a, b = p0[ss], p1[ss]
    d = b - a
    L2 = (d * d).sum(1)
    t = np.where(L2 > 0, ((pts - a) * d).sum(1) / np.where(L2 > 0, L2, 1.0), 0.0)
    t = np.clip(t, 0.0, 1.0)
    cpt = a + t[:, None] * d
    dist = np.sqrt(((pts - cpt) ** 2).sum(1))
    return np.where(ok, s, -1), np.where(ok, dist, 1e30), cpt


# ---------------------------------------------------------------- movement
def move(pos, kind, state, maturity, members, field, h, lookup, lh, p0, p1, vrad, size, mp, rp, rmax,
         cell, grid_shape, seed, step):
    """(mobile agent indices, their new positions): the engine's movement, vectorised."""
    cells = members
    k_c = kind[cells]
    mob_mask = (k_c == A.MKP) | (((k_c == A.HSPC) | (k_c == A.MK)) & (state[cells] == A.FREE))
    mob = cells[mob_mask]
    x = pos[mob]
    km = kind[mob]
    ri = radius_of(km, maturity[mob], rp)
    dt = mp[MO.M_DT]
    sig = np.where(km == A.HSPC, mp[MO.M_SIG_HSPC], np.where(km == A.MKP, mp[MO.M_SIG_MKP], mp[MO.M_SIG_MK]))
    chi = np.where(km == A.HSPC, mp[MO.M_CHI_HSPC], np.where(km == A.MKP, mp[MO.M_CHI_MKP], mp[MO.M_CHI_MK]))
    chi = chi * mp[MO.M_CXCR4]
    gx, gy, gz = gradient_at(field, x, h)
    v = np.column_stack([chi * gx, chi * gy, chi * gz])
    speed = np.sqrt((v * v).sum(1))
    over = speed > mp[MO.M_VMAX]
    v[over] *= (mp[MO.M_VMAX] / speed[over])[:, None]
    sq = np.sqrt(dt)
    disp = v * dt + (sig * sq)[:, None] * normal3(seed, step, mob, MO.S_MOVE)
    # volume exclusion: agents sorted by grid cell, pairs gathered cell offset by cell offset
    gnx, gny, gnz = grid_shape
    all_pos = pos[cells]
    all_r = radius_of(k_c, maturity[cells], rp)
    ci = (_voxel(all_pos[:, 0], cell, gnx) * gny + _voxel(all_pos[:, 1], cell, gny)) * gnz + \
        _voxel(all_pos[:, 2], cell, gnz)
    order = np.argsort(ci, kind="stable")
    counts = np.bincount(ci, minlength=gnx * gny * gnz)
    start = np.concatenate([[0], np.cumsum(counts)])
    sx, sr = all_pos[order], all_r[order]
    ix, iy, iz = _voxel(x[:, 0], cell, gnx), _voxel(x[:, 1], cell, gny), _voxel(x[:, 2], cell, gnz)
    reach = np.ceil((ri + rmax) / cell).astype(np.int64)
    R = int(reach.max()) if reach.size else 0
    push_sum = np.zeros((mob.size, 3), np.int64)   # fixed point, as the engine sums them
    for ox in range(-R, R + 1):
        for oy in range(-R, R + 1):
            for oz in range(-R, R + 1):
                ax, ay, az = ix + ox, iy + oy, iz + oz
                ok = (ax >= 0) & (ax < gnx) & (ay >= 0) & (ay < gny) & (az >= 0) & (az < gnz) & \
                    (np.abs(ox) <= reach) & (np.abs(oy) <= reach) & (np.abs(oz) <= reach)
                who = np.flatnonzero(ok)
                c = (ax[who] * gny + ay[who]) * gnz + az[who]
                n_c = counts[c]
                tot = int(n_c.sum())
                if tot == 0:
                    continue
                a_loc = np.repeat(who, n_c)
                first = np.repeat(start[c] - (np.cumsum(n_c) - n_c), n_c)
                q = first + np.arange(tot)
                e = x[a_loc] - sx[q]
                d2 = (e * e).sum(1)
                rs = ri[a_loc] + sr[q]
                hit = (d2 < rs * rs) & (d2 > 1e-12)
                if not hit.any():
                    continue
                d = np.sqrt(d2[hit])
                pf = mp[MO.M_REPULSE] * 0.5 * (rs[hit] - d) / d * MO.PUSH_SCALE
                w = np.floor(e[hit] * pf[:, None] + 0.5).astype(np.int64)
                np.add.at(push_sum, a_loc[hit], w)
    disp += push_sum / MO.PUSH_SCALE
    step_len = np.sqrt((disp * disp).sum(1))
    lim = np.maximum(ri, 2.0)
    big = step_len > lim
    disp[big] *= (lim[big] / step_len[big])[:, None]
    new = np.clip(x + disp, ri[:, None], size[None, :] - ri[:, None])
    s, d, cpt = vessel_near(new, lookup, lh, p0, p1, vrad)
    inside = (s >= 0) & (d < vrad[np.maximum(s, 0)] + ri) & (d > 1e-9)
    if inside.any():
        f = (vrad[s[inside]] + ri[inside]) / d[inside]
        moved = cpt[inside] + (new[inside] - cpt[inside]) * f[:, None]
        new[inside] = np.clip(moved, ri[inside][:, None], size[None, :] - ri[inside][:, None])
    return mob, new


# ---------------------------------------------------------------- fate decisions
def _hit(rate_per_h, dt, seed, step, idx, stream):
    return uniform(seed, step, idx, stream) < 1.0 - np.exp(-rate_per_h * dt)


def _poisson(lam, seed, step, idx, stream):
    u = uniform(seed, step, idx, stream)
    p = np.exp(-lam)
    cdf = np.full(idx.size, p)
    k = np.zeros(idx.size, np.int64)
    pk = p
    for n in range(1, 51):
        more = u > cdf
        if not more.any():
            break
        k[more] = n
        pk = pk * lam / n
        cdf = cdf + pk
    return k


def decide(kind, origin, state, pos, age, maturity, timer, ploidy, link, members, fp, rp, msc_pos, lookup, lh, p0, p1,
           vrad, integrity, vcam, field, fh, seed, step):
    """Fate decisions for ``members`` (non-platelet agents), as engine.fates.decide_fates.

    Works on the given arrays in place (age, maturity, state, link, timer, ploidy) and returns
    (flags, nspawn, released) indexed like ``members``."""
    dt = fp[FT.F_DT]
    n = members.size
    flags = np.zeros(n, np.uint8)
    nspawn = np.zeros(n, np.int64)
    released = np.zeros(n)
    age[members] += dt
    k = kind[members]
    st = state[members]
    # HSPC lodged / homing
    sel = np.flatnonzero((k == A.HSPC) & (st == A.LODGED))
    ids = members[sel]
    die = _hit(fp[FT.F_HSPC_DEATH], dt, seed, step, ids, FT.S_DEATH)
    flags[sel[die]] = FT.FL_DIE
    live, lid = sel[~die], ids[~die]
    boost = np.full(lid.size, fp[FT.F_PARACRINE_BOOST])
    if msc_pos.shape[0] and lid.size:
        d2 = ((pos[lid][:, None, :] - msc_pos[None, :, :]) ** 2).sum(2)
        boost += np.where((d2 < fp[FT.F_MSC_RADIUS] ** 2).any(1), fp[FT.F_MSC_BOOST], 0.0)
    donor = origin[lid] == A.DONOR
    expand = np.where(donor, fp[FT.F_DIV_EXPAND_DONOR], fp[FT.F_DIV_EXPAND])
    div = fp[FT.F_DIV_BASE] + expand * fp[FT.F_FREE_FRAC] * (1.0 + boost)
    flags[live[_hit(div, dt, seed, step, lid, FT.S_DIVIDE)]] |= FT.FL_DIVIDE
    nspawn[live] = _poisson(np.where(donor, fp[FT.F_MKP_OUT_DONOR], fp[FT.F_MKP_OUT]) * dt, seed, step, lid,
                            FT.S_BIRTH)
    sel = np.flatnonzero((k == A.HSPC) & (st != A.LODGED))
    flags[sel[_hit(fp[FT.F_HSPC_FREE_DEATH], dt, seed, step, members[sel], FT.S_DEATH)]] = FT.FL_DIE
    # MK progenitors: death, maturation into MKs, division in the vascular niche
    sel = np.flatnonzero(k == A.MKP)
    ids = members[sel]
    die = _hit(fp[FT.F_MKP_DEATH], dt, seed, step, ids, FT.S_DEATH)
    flags[sel[die]] = FT.FL_DIE
    to_mk = ~die & (age[ids] >= fp[FT.F_MKP_STAGE])
    flags[sel[to_mk]] = FT.FL_TO_MK
    tid = ids[to_mk]
    mode = np.where(origin[tid] == A.DONOR, fp[FT.F_PLOIDY_LOG2_DONOR], fp[FT.F_PLOIDY_LOG2])
    k2 = np.floor(mode + fp[FT.F_PLOIDY_SD] * normal(seed, step, tid, FT.S_PLOIDY) + 0.5)
    ploidy[tid] = 2.0 ** np.clip(k2, FT.PLOIDY_LOG2_MIN, FT.PLOIDY_LOG2_MAX)
    cand = ~die & ~to_mk & (timer[ids] < fp[FT.F_MKP_MAX_GEN])
    csel, cid = sel[cand], ids[cand]
    s, d, _ = vessel_near(pos[cid], lookup, lh, p0, p1, vrad)
    ss = np.maximum(s, 0)
    near = (s >= 0) & (integrity[ss] > 0.05) & (d - vrad[ss] - rp[1] <= fp[FT.F_GAP])
    c = field_at(field, pos[cid], fh)
    act = (1.0 + fp[FT.F_SDF1_GAIN] * fp[FT.F_CXCR4] * c / fp[FT.F_SDF1_REF]) / (1.0 + fp[FT.F_SDF1_GAIN])
    sig = np.minimum(fp[FT.F_NICHE_CAP], vcam[ss] * fp[FT.F_VLA4] * act) * integrity[ss]
    divide = near & _hit(fp[FT.F_MKP_NICHE_DIV] * sig, dt, seed, step, cid, FT.S_DIVIDE)
    flags[csel[divide]] = FT.FL_DIVIDE
    # free megakaryocytes: slow maturation, death, docking at a sinusoid
    sel = np.flatnonzero((k == A.MK) & (st == A.FREE))
    ids = members[sel]
    mat = maturity[ids] + fp[FT.F_MAT_RATE] * fp[FT.F_AWAY_FACTOR] * dt
    maturity[ids] = np.minimum(mat, np.maximum(maturity[ids], fp[FT.F_CAP_AWAY]))
    die = _hit(fp[FT.F_MK_DEATH_AWAY], dt, seed, step, ids, FT.S_DEATH)
    flags[sel[die]] = FT.FL_DIE
    asel, aid = sel[~die], ids[~die]
    s, d, _ = vessel_near(pos[aid], lookup, lh, p0, p1, vrad)
    ss = np.maximum(s, 0)
    gap = d - vrad[ss] - radius_of(kind[aid], maturity[aid], rp)
    ok = (s >= 0) & (gap <= fp[FT.F_GAP]) & (integrity[ss] > 0.05)
    c = field_at(field, pos[aid], fh)
    act = 1.0 + fp[FT.F_SDF1_GAIN] * fp[FT.F_CXCR4] * c / fp[FT.F_SDF1_REF]
    rate = fp[FT.F_DOCK_RATE] * vcam[ss] * fp[FT.F_VLA4] * integrity[ss] * act
    dock = ok & _hit(rate, dt, seed, step, aid, FT.S_DOCK)
    state[aid[dock]] = A.DOCKED
    link[aid[dock]] = s[dock]
    # docked megakaryocytes: maturation in the niche, death, undocking, start of release
    sel = np.flatnonzero((k == A.MK) & (st == A.DOCKED))
    ids = members[sel]
    seg = link[ids]
    q = integrity[seg]
    rate = np.where(maturity[ids] < fp[FT.F_CAP_AWAY],
                    fp[FT.F_MAT_RATE] * (fp[FT.F_AWAY_FACTOR] + (1.0 - fp[FT.F_AWAY_FACTOR]) * q),
                    fp[FT.F_MAT_RATE] * q)
    maturity[ids] = np.minimum(1.0, maturity[ids] + rate * dt)
    death = fp[FT.F_MK_DEATH_CONTACT] + (fp[FT.F_MK_DEATH_AWAY] - fp[FT.F_MK_DEATH_CONTACT]) * (1.0 - q)
    die = _hit(death, dt, seed, step, ids, FT.S_DEATH)
    flags[sel[die]] = FT.FL_DIE
    adhesion = vcam[seg] * fp[FT.F_VLA4] * np.maximum(q, 0.05)
    undock = ~die & _hit(fp[FT.F_UNDOCK_RATE] / np.maximum(adhesion, 1e-3), dt, seed, step, ids, FT.S_UNDOCK)
    state[ids[undock]] = A.FREE
    link[ids[undock]] = -1
    go = ~die & ~undock & (maturity[ids] >= 1.0) & (q > 0.3)
    state[ids[go]] = A.RELEASING
    timer[ids[go]] = fp[FT.F_RELEASE_H]
    # releasing megakaryocytes: platelets into the lumen
    sel = np.flatnonzero((k == A.MK) & (st == A.RELEASING))
    ids = members[sel]
    q = integrity[link[ids]]
    frac = np.minimum(dt, timer[ids]) / fp[FT.F_RELEASE_H]
    released[sel] = fp[FT.F_YIELD] * ploidy[ids] / fp[FT.F_PLOIDY_REF] * frac * q
    timer[ids] -= dt
    flags[sel[timer[ids] <= 1e-9]] = FT.FL_DIE | FT.FL_RELEASED
    # infused MSCs
    sel = np.flatnonzero(k == A.MSC)
    flags[sel[_hit(fp[FT.F_MSC_DEATH], dt, seed, step, members[sel], FT.S_DEATH)]] = FT.FL_DIE
    return flags, nspawn, released


# ---------------------------------------------------------------- field
def field_step(values, source, lam, dt, factors, a):
    """Exact reaction then LOD implicit diffusion (x, y, z), every line of an axis at once."""
    c = values
    safe = np.where(lam > 1e-12, lam, 1.0)
    e = np.exp(-lam * dt)
    c[...] = np.where(lam > 1e-12, c * e + source * (1.0 - e) / safe, c + source * dt)
    for axis, (cp, inv) in enumerate(factors):
        v = np.moveaxis(c, axis, 0)
        n = v.shape[0]
        v[0] *= inv[0]
        for i in range(1, n):
            v[i] = (v[i] + a * v[i - 1]) * inv[i]
        for i in range(n - 2, -1, -1):
            v[i] -= cp[i] * v[i + 1]
    return c


# ---------------------------------------------------------------- the comparison
def _inputs(sim):
    """Everything one step reads, copied from the simulation's current state."""
    from engine.census import C_MSC, tally
    from engine.interventions import treatment_effects
    from engine.sdf1_sources import deposit_sdf1

    p = sim.params
    st = sim.store
    members = sim.living()
    fx = treatment_effects(p, sim.systemic.levels)
    mp = MO.motility_parameters(p, sim.dt, fx.cxcr4)
    counts = tally(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, p["mkp_stage_hours"], members,
                   sim.occupant, p["mk_endomitosis_share"])
    free_fraction = float(np.count_nonzero(sim.occupant < 0)) / len(sim.sites)
    fp = FT.fate_parameters(p, sim.dt, fx, sim.systemic.drive(), free_fraction, counts[C_MSC] > 0)
    f = sim.field
    tile = sim.tile
    # the field's sources and loss rates as the engine builds them for this state
    src = np.zeros(f.shape)
    lam = np.full(f.shape, p["sdf1_decay_per_h"])
    car_rate = p["sdf1_car_secretion"] / tile.voxel_um3
    deposit_sdf1(st.kind, st.pos, members, src, lam, f.h, car_rate, car_rate * p["msc_sdf1_factor"],
                 p["sdf1_uptake_per_cell"] / tile.voxel_um3, tile.wall_voxels, tile.wall_segments, fx.wall_sdf1,
                 sim.vessels.integrity)
    return {"members": members, "mp": mp, "fp": fp, "src": src, "lam": lam,
            "arrays": {k: getattr(st, k).copy() for k in ("pos", "kind", "origin", "state", "maturity", "age", "timer",
                                                          "ploidy", "link")},
            "field": f.values.copy()}


def _numpy_phases(sim, inp):
    """Run the three NumPy phases once on copies of ``inp``, in the engine's order (field, movement,
    fates); (seconds per phase, outputs)."""
    v = sim.vessels
    f = sim.field
    arr = {k: a.copy() for k, a in inp["arrays"].items()}
    members = inp["members"]
    t0 = time.perf_counter()
    values = field_step(inp["field"].copy(), inp["src"], inp["lam"], f.dt, f.factors, f.a)
    t1 = time.perf_counter()
    mob, new = move(arr["pos"], arr["kind"], arr["state"], arr["maturity"], members, values, f.h, v.lookup,
                    v.lookup_h, v.p0, v.p1, v.radius, sim.size, inp["mp"], sim.rp, sim.tile.rmax, sim.grid.cell,
                    sim.grid.shape, sim.seed, sim.step_index)
    arr["pos"][mob] = new
    t2 = time.perf_counter()
    cells = members
    msc_pos = arr["pos"][members[arr["kind"][members] == A.MSC]]
    flags, nspawn, released = decide(arr["kind"], arr["origin"], arr["state"], arr["pos"], arr["age"], arr["maturity"], arr["timer"],
                                     arr["ploidy"], arr["link"], cells, inp["fp"], sim.rp, msc_pos, v.lookup, v.lookup_h, v.p0,
                                     v.p1, v.radius, v.integrity, v.vcam, values, f.h, sim.seed, sim.step_index)
    t3 = time.perf_counter()
    out = dict(mob=mob, new=new, cells=cells, flags=flags, maturity=arr["maturity"], state=arr["state"],
               field=values)
    return {"field": t1 - t0, "movement": t2 - t1, "fates": t3 - t2}, out


def compare(sim, repeats: int = 3) -> dict:
    """Time the NumPy step on the simulation's current state and check it against one engine step.

    Returns NumPy phase times (ms, summaries) and the agreement with the engine: positions of
    the agents that moved, death decisions, MK maturities and states, and the field."""
    from .stats import summary

    inp = _inputs(sim)
    times = {"movement": [], "fates": [], "field": []}
    out = None
    for _ in range(repeats):
        t, out = _numpy_phases(sim, inp)
        for k in times:
            times[k].append(1e3 * t[k])
    whole = [sum(times[k][r] for k in times) for r in range(repeats)]
    # one engine step from the same state
    st = sim.store
    kind_before = st.kind.copy()
    sim.step()
    mob = out["mob"]
    still = (st.kind[mob] == kind_before[mob]) & (kind_before[mob] != A.HSPC)  # HSPCs may lodge on a site
    dpos = np.abs(st.pos[mob[still]] - out["new"][still]).max() if still.any() else 0.0
    cells = out["cells"]
    died_engine = (kind_before[cells] >= 0) & (st.kind[cells] == A.DEAD)
    died_numpy = (out["flags"] & FT.FL_DIE) != 0
    mk = (kind_before[cells] == A.MK) & ~died_engine
    mk_ids = cells[mk]
    return {
        "agents": int(inp["members"].size),
        "phase_ms": {k: summary(v) for k, v in times.items()},
        "core_ms": summary(whole),
        "agreement": {
            "moved_agents": int(still.sum()),
            "max_position_difference_um": float(dpos),
            "death_decisions_agreeing": float(np.mean(died_engine == died_numpy)) if cells.size else 1.0,
            "mk_maturity_max_difference": float(np.abs(st.maturity[mk_ids] - out["maturity"][mk_ids]).max())
            if mk_ids.size else 0.0,
            "mk_state_agreeing": float(np.mean(st.state[mk_ids] == out["state"][mk_ids])) if mk_ids.size else 1.0,
            "field_max_relative_difference": float(np.abs(sim.field.values - out["field"]).max() /
                                                   max(np.abs(sim.field.values).max(), 1e-300)),
        },
    }
