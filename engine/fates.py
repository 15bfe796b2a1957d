"""Cell fates: division, differentiation, maturation, docking, death, platelet release.

``decide_fates`` runs in parallel and only writes each agent's own entries (its
state, maturity, and flags/counts for what must happen to it). The serial
``apply_fates`` then carries out deaths and births in slot order, so results
never depend on the number of threads. :func:`fate_parameters` packs what the
kernels read (the ``F_*`` entries) from the parameters and this step's effects.

Where the biology sits: HSPC self-renewal and MK-lineage output (TPO), MK progenitor
division at the vessel wall, MK maturation (IL-6/IL-11), docking and staying docked
(VCAM-1/VLA-4, SDF-1 activation of VLA-4), survival at and away from the sinusoids,
platelet release into the lumen -- all in :func:`_decide`.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from .agents import DOCKED, DONOR, FREE, HSPC, LODGED, MK, MKP, MSC, RELEASING, alloc, radius_of, release
from .rng import S_BIRTH, S_DEATH, S_DIVIDE, S_DOCK, S_PLACE, S_PLOIDY, S_UNDOCK, normal, uniform

# indices into the fate parameter vector
(F_DT, F_HSPC_DEATH, F_HSPC_FREE_DEATH, F_DIV_BASE, F_DIV_EXPAND, F_FREE_FRAC, F_MSC_BOOST,
 F_MSC_RADIUS, F_PARACRINE_BOOST, F_MKP_OUT, F_MKP_DEATH, F_MKP_STAGE, F_MAT_RATE, F_AWAY_FACTOR,
 F_CAP_AWAY, F_MK_DEATH_AWAY, F_MK_DEATH_CONTACT, F_DOCK_RATE, F_UNDOCK_RATE, F_VLA4, F_GAP,
 F_RELEASE_H, F_YIELD, F_MSC_DEATH, F_SDF1_GAIN, F_SDF1_REF,
 F_CXCR4, F_MKP_NICHE_DIV, F_MKP_MAX_GEN, F_NICHE_CAP,
 F_PLOIDY_LOG2, F_PLOIDY_SD, F_PLOIDY_REF, F_MSC_LENGTH, F_MSC_HALF,
 # per-step probabilities of the hazards that are the same for every agent (set by hit_probabilities)
 F_P_HSPC_DEATH, F_P_HSPC_FREE_DEATH, F_P_MKP_DEATH, F_P_MK_DEATH_AWAY, F_P_MSC_DEATH,
 # what depends on a cell's own Mpl (donor cells carry Mpl whatever the host's genotype): the
 # host's entries are above, the donor's here
 F_DIV_EXPAND_DONOR, F_MKP_OUT_DONOR, F_PLOIDY_LOG2_DONOR,
 F_ENDO_SHARE,
 # extra divisions an MK progenitor makes at the end of its stage (Mpl signal above WT), host, donor
 F_MKP_DIVISIONS, F_MKP_DIVISIONS_DONOR) = range(46)
F_SIZE = 46

#: MK ploidy classes: 2N (2**1) to 64N (2**6)
PLOIDY_LOG2_MIN, PLOIDY_LOG2_MAX = 1, 6

# what apply_fates counts each step (entries of its ``counters``)
FC_RELEASED = 0       # platelets released into the sinusoids (in the tile)
FC_MK_DONE = 1        # megakaryocytes that finished releasing
FC_NEW_MKP = 2        # new MK progenitors
FC_HSPC_DIVISIONS = 3  # HSPC self-renewing divisions
FC_MK_DEATHS = 4      # megakaryocytes that died before releasing
FC_RELEASED_DONOR = 5  # of FC_RELEASED: by donor-derived megakaryocytes
FC_SIZE = 6

# flags
FL_DIE = 1
FL_TO_MK = 2
FL_DIVIDE = 4
FL_RELEASED = 8   # death after completing platelet release


@njit(cache=True, nogil=True, inline="always")
def hit_probability(rate_per_h, dt):
    """Probability that an event of constant hazard ``rate_per_h`` happens within dt hours."""
    return 1.0 - np.exp(-rate_per_h * dt)


@njit(cache=True, nogil=True, inline="always")
def _hit(rate_per_h, dt, seed, step, i, stream):
    return uniform(seed, step, i, stream) < hit_probability(rate_per_h, dt)


@njit(cache=True, nogil=True)
def hit_probabilities(fp):
    """Fill the F_P_* entries of the fate vector from their rates, once per step (the same
    numbers the per-agent _hit would compute)."""
    dt = fp[F_DT]
    fp[F_P_HSPC_DEATH] = hit_probability(fp[F_HSPC_DEATH], dt)
    fp[F_P_HSPC_FREE_DEATH] = hit_probability(fp[F_HSPC_FREE_DEATH], dt)
    fp[F_P_MKP_DEATH] = hit_probability(fp[F_MKP_DEATH], dt)
    fp[F_P_MK_DEATH_AWAY] = hit_probability(fp[F_MK_DEATH_AWAY], dt)
    fp[F_P_MSC_DEATH] = hit_probability(fp[F_MSC_DEATH], dt)


@njit(cache=True, nogil=True, inline="always")
def _poisson(lam, seed, step, i, stream):
    u = uniform(seed, step, i, stream)
    p = np.exp(-lam)
    cdf = p
    k = 0
    while u > cdf and k < 50:
        k += 1
        p *= lam / k
        cdf += p
    return k


@njit(cache=True, nogil=True, inline="always")
def needs_vessel(kind, state):
    """Agents whose fate depends on the nearest sinusoid: MK progenitors (niche-supported
    division) and free megakaryocytes (docking)."""
    return kind == MKP or (kind == MK and state == FREE)


@njit(cache=True, nogil=True, inline="always")
def ploidy_class(log2_mean, sd, z):
    """A new megakaryocyte's ploidy class (N): the class nearest 2**(log2_mean + sd * z), from 2N to 64N."""
    k = int(np.floor(log2_mean + sd * z + 0.5))
    return 2.0 ** min(max(k, PLOIDY_LOG2_MIN), PLOIDY_LOG2_MAX)


@njit(cache=True, nogil=True, inline="always")
def _endomitosis(i, origin, maturity, timer, ploidy, fp):
    """While MK i is still in endomitosis (the first ``mk_endomitosis_share`` of its maturation) its
    ploidy class follows the Mpl signal of this step: the class its own rank z (``timer``) gives at
    today's modal class, but never below the DNA it has already made (the class it has passed)."""
    share = fp[F_ENDO_SHARE]
    m = maturity[i]
    if m < share:
        mode = fp[F_PLOIDY_LOG2_DONOR] if origin[i] == DONOR else fp[F_PLOIDY_LOG2]
        target = ploidy_class(mode, fp[F_PLOIDY_SD], timer[i])
        made = 1.0 + (np.log2(max(ploidy[i], 2.0)) - 1.0) * m / share
        ploidy[i] = max(target, 2.0 ** min(max(np.floor(made), PLOIDY_LOG2_MIN), PLOIDY_LOG2_MAX))


@njit(cache=True, nogil=True, inline="always")
def msc_factor_weight(d, contact, length):
    """Relative concentration, at distance d (um, centre to centre) from one infused MSC, of a factor
    it secretes that diffuses and decays with decay length ``length``: the steady state around a point
    source, (contact / d) exp(-(d - contact) / length), 1 at cell contact (d <= contact)."""
    r = max(d, contact)
    return contact / r * np.exp(-(r - contact) / length)


@njit(cache=True, nogil=True, inline="always")
def msc_support(x, y, z, msc_pos, radius, length, contact):
    """Summed factor weight (:func:`msc_factor_weight`) at (x, y, z) of the infused MSCs within
    ``radius`` um, added in the order of ``msc_pos`` (the same for any thread count). 0 without MSCs;
    one MSC at cell contact gives 1."""
    r2 = radius * radius
    s = 0.0
    for q in range(msc_pos.shape[0]):
        ex = x - msc_pos[q, 0]
        ey = y - msc_pos[q, 1]
        ez = z - msc_pos[q, 2]
        d2 = ex * ex + ey * ey + ez * ez
        if d2 < r2:
            s += msc_factor_weight(np.sqrt(d2), contact, length)
    return s


@njit(cache=True, nogil=True, inline="always")
def msc_boost(support, max_boost, half):
    """Extra self-renewal (relative) of an HSPC at MSC support ``support``: receptor occupancy
    support / (support + half) times ``max_boost``; 0 without support, approaching max_boost."""
    return max_boost * support / (support + half)


@njit(cache=True, nogil=True, inline="always")
def _decide(i, kind, origin, state, pos, age, maturity, timer, ploidy, link, fp, rp, msc_pos, near_seg, near_d,
            near_c, vrad, integrity, vcam, seed, step, dt, flags, nspawn, released):
    """Agent i's fate this step (see :func:`decide_fates`)."""
    k = kind[i]
    flags[i] = 0
    nspawn[i] = 0
    released[i] = 0.0
    age[i] += dt
    if k == HSPC:
        if state[i] == LODGED:
            if uniform(seed, step, i, S_DEATH) < fp[F_P_HSPC_DEATH]:
                flags[i] = FL_DIE
                return
            boost = fp[F_PARACRINE_BOOST]
            if msc_pos.shape[0] > 0:
                # SCF / CXCL12 from the infused MSCs nearby, turned into self-renewal by receptor occupancy
                sup = msc_support(pos[i, 0], pos[i, 1], pos[i, 2], msc_pos, fp[F_MSC_RADIUS], fp[F_MSC_LENGTH],
                                  rp[0] + rp[4])
                boost += msc_boost(sup, fp[F_MSC_BOOST], fp[F_MSC_HALF])
            donor = origin[i] == DONOR
            expand = fp[F_DIV_EXPAND_DONOR] if donor else fp[F_DIV_EXPAND]
            div = fp[F_DIV_BASE] + expand * fp[F_FREE_FRAC] * (1.0 + boost)
            if _hit(div, dt, seed, step, i, S_DIVIDE):
                flags[i] |= FL_DIVIDE
            nspawn[i] = _poisson((fp[F_MKP_OUT_DONOR] if donor else fp[F_MKP_OUT]) * dt, seed, step, i, S_BIRTH)
        else:
            if uniform(seed, step, i, S_DEATH) < fp[F_P_HSPC_FREE_DEATH]:
                flags[i] = FL_DIE
    elif k == MKP:
        if uniform(seed, step, i, S_DEATH) < fp[F_P_MKP_DEATH]:
            flags[i] = FL_DIE
        elif age[i] >= fp[F_MKP_STAGE]:
            if _mkp_divides(i, origin, timer, fp, seed, step):
                # transit amplification (and the TPO burst above WT's signal): the committed progenitor
                # divides once more before its daughters become MKs (timer = generation; a daughter
                # checks again in the next step)
                flags[i] = FL_DIVIDE
                return
            flags[i] = FL_TO_MK
            # the ploidy it will reach: set by the Mpl signal while it is in endomitosis; its own
            # rank among MKs (z, kept in the timer until release) stays with it
            z = normal(seed, step, i, S_PLOIDY)
            timer[i] = z
            mode = fp[F_PLOIDY_LOG2_DONOR] if origin[i] == DONOR else fp[F_PLOIDY_LOG2]
            ploidy[i] = ploidy_class(mode, fp[F_PLOIDY_SD], z)
        elif timer[i] < fp[F_MKP_MAX_GEN]:
            # the vascular niche supports TPO-independent progenitor expansion: an MKP adherent to
            # sinusoidal endothelium (VCAM-1/VLA-4, activated by SDF-1) divides; timer = generation
            s = near_seg[i]
            if s >= 0 and integrity[s] > 0.05:
                if near_d[i] - vrad[s] - rp[1] <= fp[F_GAP]:
                    c = near_c[i]
                    act = (1.0 + fp[F_SDF1_GAIN] * fp[F_CXCR4] * c / fp[F_SDF1_REF]) / (1.0 + fp[F_SDF1_GAIN])
                    sig = min(fp[F_NICHE_CAP], vcam[s] * fp[F_VLA4] * act) * integrity[s]
                    if _hit(fp[F_MKP_NICHE_DIV] * sig, dt, seed, step, i, S_DIVIDE):
                        flags[i] = FL_DIVIDE
    elif k == MK:
        st = state[i]
        if st == FREE:
            mat = maturity[i] + fp[F_MAT_RATE] * fp[F_AWAY_FACTOR] * dt
            maturity[i] = min(mat, max(maturity[i], fp[F_CAP_AWAY]))
            _endomitosis(i, origin, maturity, timer, ploidy, fp)
            if uniform(seed, step, i, S_DEATH) < fp[F_P_MK_DEATH_AWAY]:
                flags[i] = FL_DIE
                return
            s = near_seg[i]
            if s >= 0:
                gap = near_d[i] - vrad[s] - radius_of(k, maturity[i], rp)
                if gap <= fp[F_GAP] and integrity[s] > 0.05:
                    # CXCR4 signalling activates VLA-4 (inside-out): local SDF-1 raises adhesion
                    c = near_c[i]
                    act = 1.0 + fp[F_SDF1_GAIN] * fp[F_CXCR4] * c / fp[F_SDF1_REF]
                    rate = fp[F_DOCK_RATE] * vcam[s] * fp[F_VLA4] * integrity[s] * act
                    if _hit(rate, dt, seed, step, i, S_DOCK):
                        state[i] = DOCKED
                        link[i] = s
        elif st == DOCKED:
            s = link[i]
            q = integrity[s]
            # below the away-cap maturation runs at the away speed, the terminal part needs the niche
            if maturity[i] < fp[F_CAP_AWAY]:
                rate = fp[F_MAT_RATE] * (fp[F_AWAY_FACTOR] + (1.0 - fp[F_AWAY_FACTOR]) * q)
            else:
                rate = fp[F_MAT_RATE] * q
            maturity[i] = min(1.0, maturity[i] + rate * dt)
            _endomitosis(i, origin, maturity, timer, ploidy, fp)
            death = fp[F_MK_DEATH_CONTACT] + (fp[F_MK_DEATH_AWAY] - fp[F_MK_DEATH_CONTACT]) * (1.0 - q)
            if _hit(death, dt, seed, step, i, S_DEATH):
                flags[i] = FL_DIE
                return
            adhesion = vcam[s] * fp[F_VLA4] * max(q, 0.05)
            if _hit(fp[F_UNDOCK_RATE] / max(adhesion, 1e-3), dt, seed, step, i, S_UNDOCK):
                state[i] = FREE
                link[i] = -1
            elif maturity[i] >= 1.0 and q > 0.3:
                state[i] = RELEASING
                timer[i] = fp[F_RELEASE_H]
        else:  # releasing proplatelets into the lumen
            s = link[i]
            q = integrity[s]
            frac = min(dt, timer[i]) / fp[F_RELEASE_H]
            # platelets shed grow with the MK's ploidy (cytoplasm volume doubles with each class)
            released[i] = fp[F_YIELD] * ploidy[i] / fp[F_PLOIDY_REF] * frac * q
            timer[i] -= dt
            if timer[i] <= 1e-9:
                flags[i] = FL_DIE | FL_RELEASED
    elif k == MSC:
        if uniform(seed, step, i, S_DEATH) < fp[F_P_MSC_DEATH]:
            flags[i] = FL_DIE


@njit(cache=True, nogil=True, inline="always")
def _mkp_divides(i, origin, timer, fp, seed, step):
    """Whether MK progenitor i, at the end of its stage with ``timer[i]`` divisions behind it, divides
    once more: d divisions (fp's F_MKP_DIVISIONS: the transit amplification plus the TPO burst by the
    cell's own Mpl signal, :func:`mkp_divisions`) are floor(d) sure ones and one more with probability
    2**(d - floor(d)) - 1, so that a progenitor yields on average 2**d MKs (2**mkp_divisions_wt at or
    below the WT signal)."""
    d = fp[F_MKP_DIVISIONS_DONOR] if origin[i] == DONOR else fp[F_MKP_DIVISIONS]
    if d <= 0.0:
        return False
    g = timer[i]
    whole = math.floor(d)
    if g < whole:
        return True
    if g == whole:
        return uniform(seed, step, i, S_DIVIDE) < 2.0 ** (d - whole) - 1.0
    return False


@njit(cache=True, nogil=True, inline="always")
def has_work(kind, state, flags, nspawn, released, i):
    """Whether :func:`apply_fates` has anything to do with agent i: a flag, offspring, released
    platelets, or a homing HSPC (free, so it may lodge)."""
    return (flags[i] != 0 or nspawn[i] != 0 or released[i] != 0.0
            or (kind[i] == HSPC and state[i] == FREE))


#: decide_fates deals out the members in blocks of this many, in turn to each thread
FATE_BLOCK = 1024


@njit(cache=True, nogil=True, parallel=True)
def decide_fates(kind, origin, state, pos, age, maturity, timer, ploidy, link, members, fp, rp, msc_pos,
                 near_seg, near_d, near_c, vrad, integrity, vcam, seed, step, flags, nspawn, released,
                 active, threads):
    """Each agent's fate this step (see the module docstring); the sinusoid contacts
    (``near_*``, as :func:`vessel_contacts` gives them) are those of the current positions.

    Also lists in ``active`` (as long as ``members``), in the order of ``members``, the agents
    :func:`apply_fates` has anything to do with (:func:`has_work`; a few percent of them).
    Returns (the free slots :func:`apply_fates` may take, as :func:`births_needed` counts
    them; how many agents ``active`` lists).

    The members are cut into blocks of FATE_BLOCK, dealt out in turn to ``threads`` workers
    (members come in slot order, where agents of one kind sit together: the stroma, which have
    nothing to decide, fill the first ~40%; halves would leave one thread idle). Each block lists
    its active agents from its own first position on; the lists are then closed up in block
    order, so the result is the same for any number of threads."""
    dt = fp[F_DT]
    n = members.size
    nblk = (n + FATE_BLOCK - 1) // FATE_BLOCK
    nt = max(1, min(threads, nblk))
    births = np.zeros(nt, np.int64)
    listed = np.zeros(nblk, np.int64)
    for t in prange(nt):
        b = 0
        for blk in range(t, nblk, nt):
            lo = blk * FATE_BLOCK
            na = lo
            for m in range(lo, min(lo + FATE_BLOCK, n)):
                i = members[m]
                _decide(i, kind, origin, state, pos, age, maturity, timer, ploidy, link, fp, rp, msc_pos, near_seg,
                        near_d, near_c, vrad, integrity, vcam, seed, step, dt, flags, nspawn, released)
                # (the branches that end early are deaths: no births)
                b += nspawn[i] + ((flags[i] & FL_DIVIDE) != 0)
                if has_work(kind, state, flags, nspawn, released, i):
                    active[na] = i
                    na += 1
            listed[blk] = na - lo
        births[t] = b
    na = 0
    for blk in range(nblk):
        lo = blk * FATE_BLOCK
        for k in range(lo, lo + listed[blk]):
            active[na] = active[k]
            na += 1
    return births.sum(), na


@njit(cache=True, nogil=True)
def _nearest_free_site(x, y, z, sites, occupant, radius):
    best = -1
    best_d2 = radius * radius
    for s in range(sites.shape[0]):
        if occupant[s] >= 0:
            continue
        ex, ey, ez = sites[s, 0] - x, sites[s, 1] - y, sites[s, 2] - z
        d2 = ex * ex + ey * ey + ez * ez
        if d2 <= best_d2:
            best_d2 = d2
            best = s
    return best


@njit(cache=True, nogil=True)
def _place_near(pos, j, x, y, z, spread, size, seed, step, i, stream):
    pos[j, 0] = min(max(x + spread * normal(seed, step, i, stream), 1.0), size[0] - 1.0)
    pos[j, 1] = min(max(y + spread * normal(seed, step, i, stream + 1), 1.0), size[1] - 1.0)
    pos[j, 2] = min(max(z + spread * normal(seed, step, i, stream + 2), 1.0), size[2] - 1.0)


@njit(cache=True, nogil=True)
def _spawn_mkp(kind, origin, state, link, age, maturity, timer, pos, free, top, uid, next_uid, parent, size,
               seed, step, stream):
    j = alloc(kind, free, top, MKP, uid, next_uid)
    if j < 0:
        return -1
    origin[j] = origin[parent]
    state[j] = FREE
    link[j] = -1
    age[j] = 0.0
    maturity[j] = 0.0
    timer[j] = 0.0
    _place_near(pos, j, pos[parent, 0], pos[parent, 1], pos[parent, 2], 10.0, size, seed, step,
                parent, stream)
    return j


@njit(cache=True, nogil=True)
def apply_fates(kind, origin, state, link, age, maturity, timer, pos, uid, next_uid, members, flags, nspawn,
                released, free, top, sites, occupant, size, daughter_radius, capture_radius, seed, step, counters,
                homing):
    """Serial: deaths, transitions, births, lodging of the agents ``members`` in their order (the
    step passes the agents :func:`decide_fates` listed as having work; any list that holds them
    all, e.g. every cell, gives the same result). ``counters`` gets this step's ``FC_*`` counts. ``homing``:
    whether any HSPC may be homing (False skips the lodging pass: none is)."""
    total_released = 0.0
    donor_released = 0.0
    mk_done = 0
    new_mkp = 0
    divisions = 0
    mk_deaths = 0
    n = members.size
    # 1. transitions and births (parents still alive at this point)
    for m in range(n):
        i = members[m]
        f = flags[i]
        if f == 0 and nspawn[i] == 0 and released[i] == 0.0:
            continue    # (most agents: nothing to do; adding 0.0 would not change the sum)
        k = kind[i]
        total_released += released[i]
        if origin[i] == DONOR:
            donor_released += released[i]
        if k == HSPC and (f & FL_DIE) == 0:
            for r in range(nspawn[i]):
                if _spawn_mkp(kind, origin, state, link, age, maturity, timer, pos, free, top, uid, next_uid, i,
                              size, seed, step, S_PLACE + 3 * (r % 3)) >= 0:
                    new_mkp += 1
            if f & FL_DIVIDE:
                divisions += 1
                site = _nearest_free_site(pos[i, 0], pos[i, 1], pos[i, 2], sites, occupant,
                                          daughter_radius)
                if site >= 0:
                    j = alloc(kind, free, top, HSPC, uid, next_uid)
                    if j >= 0:
                        origin[j] = origin[i]
                        state[j] = LODGED
                        link[j] = site
                        occupant[site] = j
                        age[j] = 0.0
                        maturity[j] = 0.0
                        timer[j] = 0.0
                        pos[j, 0], pos[j, 1], pos[j, 2] = sites[site, 0], sites[site, 1], sites[site, 2]
                else:
                    if _spawn_mkp(kind, origin, state, link, age, maturity, timer, pos, free, top, uid, next_uid, i,
                                  size, seed, step, S_PLACE + 9) >= 0:
                        new_mkp += 1
        if k == MKP and (f & FL_DIVIDE):
            timer[i] += 1.0
            j = _spawn_mkp(kind, origin, state, link, age, maturity, timer, pos, free, top, uid, next_uid, i,
                           size, seed, step, S_PLACE + 12)
            if j >= 0:
                age[j] = age[i]
                timer[j] = timer[i]
                new_mkp += 1
        if f & FL_TO_MK:
            kind[i] = MK
            age[i] = 0.0
            maturity[i] = 0.0
            state[i] = FREE
            link[i] = -1
    # 2. deaths
    for m in range(n):
        i = members[m]
        f = flags[i]
        if f & FL_DIE:
            if kind[i] == HSPC and state[i] == LODGED and link[i] >= 0:
                occupant[link[i]] = -1
            if kind[i] == MK:
                if f & FL_RELEASED:
                    mk_done += 1
                else:
                    mk_deaths += 1
            release(kind, free, top, i)
            flags[i] = 0
    # 3. homing HSPCs lodge in free niche sites within reach
    for m in range(n if homing else 0):
        i = members[m]
        if kind[i] == HSPC and state[i] == FREE:
            site = _nearest_free_site(pos[i, 0], pos[i, 1], pos[i, 2], sites, occupant, capture_radius)
            if site >= 0:
                state[i] = LODGED
                link[i] = site
                occupant[site] = i
                pos[i, 0], pos[i, 1], pos[i, 2] = sites[site, 0], sites[site, 1], sites[site, 2]
    counters[FC_RELEASED] = total_released
    counters[FC_MK_DONE] = mk_done
    counters[FC_NEW_MKP] = new_mkp
    counters[FC_HSPC_DIVISIONS] = divisions
    counters[FC_MK_DEATHS] = mk_deaths
    counters[FC_RELEASED_DONOR] = donor_released


def reserve_share(params, mpl_signal: float) -> float:
    """How much of the Mpl response's reserve a signal above WT (relative to WT baseline) uses: 0 at
    WT, 1 at the saturated signal (1 + ec50) and beyond."""
    return min((mpl_signal - 1.0) / params["tpo_signal_ec50_rel"], 1.0)


def ploidy_log2_mode(params, mpl_signal: float) -> float:
    """log2 of the modal ploidy class new MKs reach at this Mpl signal (relative to WT baseline).

    Above the WT signal the mode rises linearly to `mk_ploidy_tpo_rise_log2` classes more at the
    saturated signal (1 + ec50); below it, it falls by `mk_ploidy_tpo_gain_log2` per unit of signal
    lost (the two sides have different sources: a TPO agonist moves the mode from 16N to 64N, while
    the MKs of TPO- or Mpl-deficient mice mature nearly normally)."""
    base = params["mk_ploidy_log2_wt"]
    if mpl_signal > 1.0:
        return base + params["mk_ploidy_tpo_rise_log2"] * reserve_share(params, mpl_signal)
    return base + params["mk_ploidy_tpo_gain_log2"] * (mpl_signal - 1.0)


def mkp_divisions(params, mpl_signal: float) -> float:
    """Divisions an MK progenitor makes at the end of its stage at this Mpl signal (relative to WT
    baseline): the transit amplification every progenitor makes (`mkp_divisions_wt`) plus the TPO
    burst above WT (:func:`mkp_burst_divisions`)."""
    return params["mkp_divisions_wt"] + mkp_burst_divisions(params, mpl_signal)


def mkp_burst_divisions(params, mpl_signal: float) -> float:
    """Extra divisions an MK progenitor makes at the end of its stage at this Mpl signal (relative to
    WT baseline): none at or below WT, rising linearly to `mkp_tpo_burst_divisions` at the saturated
    signal (1 + ec50)."""
    if mpl_signal <= 1.0:
        return 0.0
    return params["mkp_tpo_burst_divisions"] * reserve_share(params, mpl_signal)


def splenic_yield(params, mpl_signal: float) -> float:
    """Platelets the splenic stress output makes at this Mpl signal (relative to WT baseline), as a
    factor on what it makes at the WT steady state: the splenic MKs answer the signal as the marrow's
    do, their modal ploidy shifted by :func:`ploidy_log2_mode` (yield proportional to ploidy) and each
    progenitor making 2^burst times the MKs it makes at WT (:func:`mkp_burst_divisions`; the transit
    amplification is in both and cancels). 1 at the WT signal; 2^-gain without one."""
    return 2.0 ** (ploidy_log2_mode(params, mpl_signal) - params["mk_ploidy_log2_wt"]
                   + mkp_burst_divisions(params, mpl_signal))


def fate_parameters(params, dt: float, effects, drive, free_fraction: float, msc_homing: float) -> np.ndarray:
    """The fate vector (``F_*`` entries) for one step: the parameters in per-hour units, this
    step's treatment effects (:class:`engine.interventions.Effects`), what TPO asks of host and
    of donor cells (:class:`engine.systemic.Drive`: MK-lineage output, Mpl signal relative to WT
    baseline, which sets the ploidy new megakaryocytes reach, and the factor on niche-filling
    self-renewal), the share of empty niche sites, and the MSC homing effect
    (:func:`engine.interventions.msc_homing_effect`: 0 without infused MSCs, 1 at the standard
    dose's number)."""
    p = params
    fp = np.zeros(F_SIZE)
    fp[F_DT] = dt
    fp[F_HSPC_DEATH] = p["hspc_death_per_day"] / 24.0
    fp[F_HSPC_FREE_DEATH] = p["hspc_free_death_per_day"] / 24.0 / (
        1.0 + p["msc_homing_boost"] * msc_homing + p["ev_homing_boost"] * effects.ev)
    fp[F_DIV_BASE] = p["hspc_division_base_per_day"] / 24.0
    fp[F_DIV_EXPAND] = p["hspc_expansion_per_day"] / 24.0 * drive.host_renewal
    fp[F_DIV_EXPAND_DONOR] = p["hspc_expansion_per_day"] / 24.0 * drive.donor_renewal
    fp[F_FREE_FRAC] = free_fraction
    fp[F_MSC_BOOST] = p["msc_expansion_boost"]
    fp[F_MSC_RADIUS] = p["msc_support_radius_um"]
    fp[F_MSC_LENGTH] = p["msc_factor_length_um"]
    fp[F_MSC_HALF] = p["msc_support_half_saturation"]
    # self-renewal support carried by the blood: MSC-EVs taken up by the marrow and the secretome of
    # the lung-held MSCs (engine.msc_secretome)
    fp[F_PARACRINE_BOOST] = (p["ev_expansion_boost"] * effects.ev
                             + p["msc_secretome_expansion_boost"] * effects.msc_secretome)
    fp[F_MKP_OUT] = p["hspc_mkp_output_per_day"] / 24.0 * drive.host_output
    fp[F_MKP_OUT_DONOR] = p["hspc_mkp_output_per_day"] / 24.0 * drive.donor_output
    fp[F_MKP_DEATH] = p["mkp_death_per_day"] / 24.0
    fp[F_MKP_STAGE] = p["mkp_stage_hours"]
    fp[F_MAT_RATE] = (1.0 + effects.maturation_boost) / (p["mk_maturation_days"] * 24.0)
    fp[F_AWAY_FACTOR] = p["mk_maturation_away_factor"]
    fp[F_CAP_AWAY] = p["mk_maturity_cap_away"]
    fp[F_MK_DEATH_AWAY] = p["mk_death_away_per_day"] / 24.0
    fp[F_MK_DEATH_CONTACT] = p["mk_death_contact_per_day"] / 24.0
    fp[F_DOCK_RATE] = p["dock_rate_per_h"]
    fp[F_UNDOCK_RATE] = p["undock_rate_per_h"]
    fp[F_VLA4] = effects.vla4
    fp[F_GAP] = p["contact_gap_um"]
    fp[F_RELEASE_H] = p["mk_release_hours"]
    fp[F_YIELD] = p["platelets_per_mk"]
    fp[F_MSC_DEATH] = math.log(2.0) / (p["msc_half_life_days"] * 24.0)
    fp[F_SDF1_GAIN] = p["sdf1_integrin_activation"]
    fp[F_SDF1_REF] = p["sdf1_reference_ng_ml"]
    fp[F_CXCR4] = effects.cxcr4
    fp[F_MKP_NICHE_DIV] = p["mkp_niche_division_per_day"] / 24.0
    fp[F_MKP_MAX_GEN] = p["mkp_niche_max_divisions"]
    fp[F_NICHE_CAP] = p["mkp_niche_signal_cap"]
    fp[F_PLOIDY_LOG2] = ploidy_log2_mode(p, drive.host_signal)
    fp[F_PLOIDY_LOG2_DONOR] = ploidy_log2_mode(p, drive.donor_signal)
    fp[F_PLOIDY_SD] = p["mk_ploidy_sd_log2"]
    fp[F_PLOIDY_REF] = 2.0 ** p["mk_ploidy_log2_wt"]
    fp[F_ENDO_SHARE] = p["mk_endomitosis_share"]
    fp[F_MKP_DIVISIONS] = mkp_divisions(p, drive.host_signal)
    fp[F_MKP_DIVISIONS_DONOR] = mkp_divisions(p, drive.donor_signal)
    hit_probabilities(fp)
    return fp
