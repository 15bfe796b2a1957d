"""The optimised kernels give bit-for-bit the numbers of their plain reference forms.

Speed work must not change a run (docs/performance.md): each fast kernel is checked here against
the straightforward version it replaced, with exact equality, not a tolerance.
"""
import numpy as np
import pytest

from engine import agents as A
from engine.agents import AgentStore, alloc, release
from engine.field import DiffusionField, _solve_line, thomas_factors
from engine.cell_lists import CellGrid
from engine.fates import needs_vessel
from engine.motility import M_SIZE, is_mobile, move_mobile, sort_bodies
from engine import census as CE
from engine import fates as FT
from engine import motility as MO
from engine import platelet_particles as PP
from engine.vessels import VesselNetwork, nearest_segment_grid
from tests.reference.kernels import births_needed, move_cells, nearest_segment_grid_reference, react, vessel_contacts


def reference_field_step(c, source, lam, dt, a):
    """react() then an x, y and z pass of single-line Thomas solves (the original scheme)."""
    c = c.copy()
    react(c, source, lam, dt)
    for axis in range(3):
        cp, inv = thomas_factors(c.shape[axis], a)
        v = np.moveaxis(c, axis, -1)
        for idx in np.ndindex(v.shape[:-1]):
            line = v[idx].copy()
            tmp = np.empty_like(line)
            _solve_line(line, tmp, a, cp, inv)
            v[idx] = line
    return c


@pytest.mark.parametrize("shape", [(12, 9, 7), (1, 5, 4), (6, 1, 1), (17, 20, 33), (3, 40, 2), (5, 7, 32)])
@pytest.mark.parametrize("hint", ["right", "wrong", "none"])
def test_field_step_matches_reference_bit_for_bit(shape, hint):
    rng = np.random.default_rng(sum(shape))
    f = DiffusionField(shape, 10.0, 900.0, 1.0)
    f.reset_rates(2.0)
    f.source[rng.random(shape) < 0.3] = 0.7
    f.lam[rng.random(shape) < 0.1] += 0.25
    f.lam[rng.random(shape) < 0.05] = 0.0          # voxels without any loss
    f.values[:] = rng.random(shape) * 5
    if hint == "wrong":
        f.base_loss = 0.123
    elif hint == "none":
        f.base_loss = 0.0
    for _ in range(3):
        expected = reference_field_step(f.values, f.source, f.lam, f.dt, f.a)
        f.step()
        assert np.array_equal(f.values, expected)


def test_field_chunking_never_changes_numbers():
    shape = (30, 24, 18)
    rng = np.random.default_rng(3)
    results = []
    for nchunk in (1, 2, 7, 64):
        f = DiffusionField(shape, 10.0, 900.0, 1.0)
        f.reset_rates(2.0)
        f.source[rng.random(shape) < 0.2] = 1.0
        f.values[:] = np.arange(f.values.size).reshape(shape) % 13
        f.nchunk = nchunk
        f.step()
        results.append(f.values.copy())
        rng = np.random.default_rng(3)
    assert all(np.array_equal(results[0], r) for r in results[1:])


@pytest.mark.parametrize("shape,nchunk,loss", [((13, 11, 7), None, 2.0), ((13, 11, 7), 1, 0.0),
                                                ((9, 20, 6), 7, 0.3), ((1, 5, 4), None, 2.0)])
def test_the_listed_field_step_gives_the_bits_of_the_grids(shape, nchunk, loss):
    """A simulation's SDF-1 step (walls kept in the source grid, cells listed: Sdf1Lists.step) gives
    the values of reset_rates + deposit_sdf1 + step() bit for bit, step after step, with the walls'
    integrity and rate changing, cells sharing voxels and sitting on walls, more uptake cells in a
    voxel than the exponential table holds, cells outside the grid, kinds that add nothing, and
    voxels without loss."""
    from engine.agents import HSPC, MK, MKP, MSC, PLATELET, STROMA
    from engine.sdf1_sources import Sdf1Lists, deposit_sdf1

    rng = np.random.default_rng(sum(shape) + (nchunk or 0))
    h = 10.0
    plain, listed = DiffusionField(shape, h, 900.0, 1.0), DiffusionField(shape, h, 900.0, 1.0)
    if nchunk is not None:
        plain.nchunk = listed.nchunk = nchunk
    start = rng.uniform(0, 3, shape)
    plain.values[:], listed.values[:] = start, start
    n_voxels = int(np.prod(shape))
    walls = np.sort(rng.choice(n_voxels, max(1, n_voxels // 5), replace=False)).astype(np.int64)
    segs = rng.integers(0, 6, walls.size).astype(np.int64)
    lists = Sdf1Lists()
    size = np.array(shape) * h
    for step in range(5):
        n = 3000
        pos = rng.uniform(-15.0, 1.0, (n, 3)) + rng.uniform(0, 1, (n, 3)) * (size + 30.0)
        pos[:40] = size * 0.5 + 1.0                 # 40 uptake cells in one voxel (table holds 16)
        kind = rng.choice(np.array([HSPC, MKP, MK, STROMA, MSC, PLATELET], np.int8), n)
        kind[:40] = MKP
        # a cell on a wall voxel (and a stroma cell sharing it)
        wx, wy, wz = np.unravel_index(walls[0], shape)
        pos[40:42] = (np.array([wx, wy, wz]) + 0.5) * h
        kind[40:42] = (HSPC, STROMA)
        members = rng.permutation(n)[: n - 200].astype(np.int64)
        members = np.concatenate([np.arange(42), members[members >= 42]])
        integrity = rng.uniform(0.0, 1.0, 6) if step != 2 else integrity   # (step 2: walls unchanged)
        wall_rate = (0.29, 0.29, 0.29, 0.0, 1.7)[step]
        car, msc, up = 0.37, 1.13, 0.071
        plain.reset_rates(loss)
        deposit_sdf1(kind, pos, members, plain.source, plain.lam, h, car, msc, up, walls, segs, wall_rate, integrity)
        plain.step()
        lists.step(listed, kind, pos, members, car, msc, up, loss, walls, segs, wall_rate, integrity)
        assert np.array_equal(plain.values, listed.values), step
        assert listed.values.any()


def test_listed_voxels_are_bucketed_by_chunk_and_row_in_their_order():
    """bucket_voxels: each entry in the bucket of its (chunk of lines, x row), entries of a bucket in
    their input order, with their tags."""
    from engine.field import ListedVoxels

    shape = (7, 9, 5)
    f = DiffusionField(shape, 10.0, 900.0, 1.0)
    f.nchunk = 4
    rng = np.random.default_rng(2)
    n = 500
    row = rng.integers(0, shape[0], n).astype(np.int64)
    line = rng.integers(0, shape[1] * shape[2], n).astype(np.int64)
    tag = rng.integers(0, 3, n).astype(np.int8)
    lv = ListedVoxels(f, 10)            # (grows)
    lv.fill(row, line, tag, n)
    m = shape[1] * shape[2]
    chunk = np.array([next(c for c in range(4) if c * m // 4 <= q < (c + 1) * m // 4) for q in line])
    key = chunk * shape[0] + row
    order = np.argsort(key, kind="stable")
    assert np.array_equal(lv.ptr, np.concatenate([[0], np.cumsum(np.bincount(key, minlength=4 * shape[0]))]))
    assert np.array_equal(lv.pos[:n], line[order]) and np.array_equal(lv.tag[:n], tag[order])


@pytest.fixture(scope="module")
def small_sim():
    from engine import Simulation, load_scenario

    scn = load_scenario("wt_steady_state")
    sim = Simulation.from_scenario(scn.copy_with(parameters={"tile_x_um": 400.0, "tile_y_um": 400.0,
                                                             "spinup_days": 1.0}), seed=5)
    return sim


def test_move_mobile_matches_move_cells_bit_for_bit(small_sim):
    """Column-list movement = all-pairs movement, to the bit; and the sinusoid contacts it
    leaves for the fate decisions are those of vessel_contacts at the new positions."""
    sim = small_sim
    st, v, f = sim.store, sim.vessels, sim.field
    members = sim.living()
    cells = members[st.kind[members] != A.PLATELET]
    mp = np.zeros(M_SIZE)
    mp[:] = [1.0, 4.0, 3.0, 1.5, 40.0, 40.0, 40.0, 8.0, 0.4, 0.8]  # strong chemotaxis and crowding
    # crowd some cells onto each other so that volume exclusion acts
    mob_all = cells[(st.kind[cells] == A.MKP) | ((st.kind[cells] == A.MK) & (st.state[cells] == A.FREE))]
    pos = st.pos.copy()
    pos[mob_all[1::3]] = pos[mob_all[0::3]][: mob_all[1::3].size] + 1.5
    ref = np.full((st.capacity, 3), np.nan)
    move_cells(pos, st.kind, st.state, st.maturity, cells, ref, f.values, f.h, v.lookup, v.lookup_h, v.p0, v.p1,
               v.radius, sim.size, mp, sim.rp, 7, 3)
    cap = st.capacity
    near = (np.full(cap, -2, np.int32), np.full(cap, np.nan), np.full(cap, np.nan))
    results = []
    for width in (sim.grid.cell, 9.0, 61.0):     # any cell size gives the same numbers
        grid = CellGrid(sim.size, width)
        start, keys = grid.scratch(cells.size)
        bodies = np.zeros((cap, 4))
        mobile = np.zeros(cap, np.int64)
        mobile_q = np.zeros(cap, np.int64)
        n = sort_bodies(pos, st.kind, st.state, st.maturity, cells, sim.rp, grid.cell, *grid.shape, start, keys,
                        bodies, mobile, mobile_q, grid.chunk_counts(2))
        rows = (start.copy(), bodies.copy(), mobile.copy(), mobile_q.copy())
        assert sort_bodies(pos, st.kind, st.state, st.maturity, cells, sim.rp, grid.cell, *grid.shape, start, keys,
                           bodies, mobile, mobile_q, grid.chunk_counts(5)) == n        # any number of chunks: the same rows
        assert all(np.array_equal(a, b) for a, b in zip(rows, (start, bodies, mobile, mobile_q)))
        ref_start, order = grid.build(pos, cells)   # the plain cell list: same rows
        assert np.array_equal(start, ref_start) and np.array_equal(bodies[:cells.size, :3], pos[order])
        moved = np.zeros((cap, 3))
        new = pos.copy()
        move_mobile(st.kind, new, mobile[:n], mobile_q[:n], moved, start, bodies, grid.cell, *grid.shape,
                    f.values, f.h, v.lookup, v.lookup_h, v.p0, v.p1, v.radius, sim.size, mp, sim.tile.rmax, 7, 3,
                    *near)
        assert np.array_equal(moved[:n], new[mobile[:n]])
        results.append(new)
        assert n == mob_all.size + np.count_nonzero((st.kind[cells] == A.HSPC) & (st.state[cells] == A.FREE))
        assert n > 50
        # the reference leaves immobile cells where they are; both agree on every listed cell
        assert np.array_equal(new[cells], ref[cells])
        assert not np.array_equal(new[mobile[:n]], pos[mobile[:n]])
    # contacts for the fate decisions, as the plain kernel gives them at the new positions
    expect = (np.full(cap, -2, np.int32), np.full(cap, np.nan), np.full(cap, np.nan))
    vessel_contacts(st.kind, st.state, results[0], cells, v.lookup, v.lookup_h, v.p0, v.p1, v.radius,
                    f.values, f.h, *expect)
    needs = cells[(st.kind[cells] == A.MKP) | ((st.kind[cells] == A.MK) & (st.state[cells] == A.FREE))]
    for a, b in zip(near, expect):
        assert np.array_equal(a[needs], b[needs])
    assert (near[0][needs] >= 0).any()


def test_every_agent_needing_a_vessel_contact_is_mobile():
    for kind in range(6):
        for state in range(3):
            if needs_vessel(kind, state):
                assert is_mobile(kind, state)


def test_pushes_are_summed_in_any_order_to_the_same_bits():
    """Volume exclusion sums its pushes in fixed point: the order of neighbours cannot matter."""
    rng = np.random.default_rng(1)
    offs = rng.normal(0, 3, (40, 3))
    sums = []
    for perm in (np.arange(40), rng.permutation(40), np.arange(40)[::-1]):
        s = np.zeros(3, np.int64)
        for k in perm:
            s += np.array(MO._push(*offs[k], 5.0, 6.0, 0.7))
        sums.append(s)
    assert all(np.array_equal(sums[0], t) for t in sums[1:])
    assert np.count_nonzero(sums[0]) == 3


@pytest.mark.parametrize("size,spacing,h,cutoff", [
    ((400.0, 300.0, 200.0), 75.0, 5.0, 75.0),
    ((350.0, 350.0, 300.0), 40.0, 5.0, 40.0),
    ((300.0, 300.0, 150.0), 75.0, 10.0, 5.0),
    ((300.0, 200.0, 120.0), 60.0, 7.0, 0.0),
])
def test_nearest_segment_grid_matches_reference(size, spacing, h, cutoff):
    v = VesselNetwork.__new__(VesselNetwork)
    v.size = np.array(size)
    v._generate(spacing, 7.0, 4)
    shape = np.array([max(1, int(np.ceil(s / h))) for s in size], np.int64)
    fast = nearest_segment_grid(v.p0, v.p1, v.radius, shape, h, cutoff)
    ref = nearest_segment_grid_reference(v.p0, v.p1, v.radius, shape, h, cutoff)
    assert np.array_equal(fast, ref)
    assert (ref >= 0).any()


def _platelet_hops_reference(v, link, progress, flow_dt, seed, step):
    """The particles' segment and progress after one step, by the original scan: at a node, count
    the touching segments that leave it, then take the pick-th of them in segment order."""
    from engine.rng import S_PARTICLE, uniform
    edge_to = v.edges[:, 1]
    touching = [[] for _ in range(len(v.nodes))]
    for s, (a, b) in enumerate(v.edges):
        touching[a].append(s)
        touching[b].append(s)
    vlen = v.length
    out = []
    for i, (s, t) in enumerate(zip(link, progress)):
        t = t + flow_dt / max(vlen[s], 1.0)
        hops = 0
        while t >= 1.0 and hops < 16:
            node = edge_to[s]
            leaving = [q for q in touching[node] if edge_to[q] != node]
            if not leaving:
                break
            nxt = leaving[int(uniform(seed, step, i, 3 * S_PARTICLE + hops) * len(leaving))]
            t = (t - 1.0) * vlen[s] / max(vlen[nxt], 1.0)
            s = nxt
            hops += 1
        out.append((s, t) if t < 1.0 else (-1, -1.0))
    return out


def test_platelet_particles_pick_the_segments_leaving_a_node_as_a_scan_does():
    """move_particles reads each node's leaving segments from the vessels' CSR lists; they give
    the hops of a scan over every segment touching the node (also across several nodes a step)."""
    v = VesselNetwork.__new__(VesselNetwork)
    v.size = np.array((400.0, 350.0, 250.0))
    v._generate(60.0, 7.0, 3)
    n = 3000
    rng = np.random.default_rng(5)
    seg = rng.integers(0, v.count, n).astype(np.int64)
    along = rng.uniform(0.0, 1.0, n)
    life = np.full(n, 10.0)
    pos = np.zeros((n, 3))
    flow, dt, seed, step = 90.0, 1.0, 11, 4
    ref = _platelet_hops_reference(v, seg, along, flow * dt, seed, step)
    seg0 = seg.copy()
    keep = PP.move_particles(pos, seg, along, life, n, v.p0, v.p1, v.length, v.edge_to, v.out_start,
                             v.out_segs, flow, dt, seed, step)
    assert [r[0] == -1 for r in ref] == (~keep).tolist()
    assert np.array_equal(seg[keep], np.array([r[0] for r in ref])[keep])
    assert np.array_equal(along[keep], np.array([r[1] for r in ref])[keep])
    assert (~keep).sum() > 0 and keep.sum() > 2000
    assert np.count_nonzero(seg[keep] != seg0[keep]) > 1000     # most moved on to another segment
    s = seg[keep]
    assert np.allclose(pos[keep], v.p0[s] + along[keep][:, None] * (v.p1[s] - v.p0[s]))
    m = PP.compact(keep, n, pos, seg, along, life)
    assert m == keep.sum() and np.array_equal(seg[:m], s)


def test_nearest_segment_grid_breaks_ties_by_lower_index():
    p0 = np.array([[10.0, 10, 10], [10, 10, 10], [50, 50, 50]])
    p1 = np.array([[40.0, 10, 10], [40, 10, 10], [50, 80, 50]])   # segments 0 and 1 coincide
    r = np.array([3.0, 3.0, 3.0])
    shape = np.array([20, 20, 20])
    fast = nearest_segment_grid(p0, p1, r, shape, 5.0, 30.0)
    assert np.array_equal(fast, nearest_segment_grid_reference(p0, p1, r, shape, 5.0, 30.0))
    assert 1 not in set(np.unique(fast).tolist())


def test_slot_order_does_not_depend_on_initial_capacity():
    """The store may start small and grow: the slots handed out are the same as with a big store."""
    def history(capacity):
        st = AgentStore(capacity)
        got = []
        rng = np.random.default_rng(0)
        live = []
        for step in range(400):
            st.ensure_free(8)
            for _ in range(int(rng.integers(0, 6))):
                i = alloc(st.kind, st.free, st.top, A.MKP, st.uid, st.next_uid)
                got.append(int(i))
                live.append(int(i))
            for _ in range(int(rng.integers(0, 4))):
                if live:
                    i = live.pop(int(rng.integers(0, len(live))))
                    release(st.kind, st.free, st.top, i)
        return got

    assert history(16) == history(100_000)


def test_census_matches_tally_and_the_plain_lists(small_sim):
    from engine.census import census, tally

    sim = small_sim
    st = sim.store
    members = sim.living()
    cap = st.capacity
    cells_out = np.full(cap, -1, np.int64)
    stage = sim.params["mkp_stage_hours"]
    counts, nc = census(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, stage, sim.occupant, cells_out,
                        sim.params["mk_endomitosis_share"])
    assert np.array_equal(counts, tally(st.kind, st.state, st.origin, st.maturity, st.ploidy, st.age, stage, members,
                                        sim.occupant, sim.params["mk_endomitosis_share"]))
    assert np.array_equal(cells_out[:nc], members)
    assert nc > 0 and not np.any(st.kind[members] == A.PLATELET)   # particles live outside the store
    nspawn = np.zeros(cap, np.int32)
    flags = np.zeros(cap, np.uint8)
    nspawn[cells_out[:nc:7]] = 3
    flags[cells_out[1:nc:5]] = FT.FL_DIVIDE | FT.FL_DIE
    cells = cells_out[:nc]
    assert births_needed(cells, nspawn, flags) == nspawn[cells].sum() + np.count_nonzero(flags[cells] & FT.FL_DIVIDE)


def test_fate_decisions_count_births_and_list_the_agents_with_work(monkeypatch):
    """decide_fates returns what births_needed counts from its flags and spawn numbers, and lists
    exactly the agents apply_fates has anything to do with, in the order of the members."""
    import engine.simulation as ES
    from engine import Simulation, load_scenario
    from engine.agents import FREE, HSPC

    decide = ES.decide_fates
    seen = []

    def recording(*args):
        births, n_active = decide(*args)
        kind, state, members = args[0], args[2], args[9]      # (args[1]: origin)
        flags, nspawn, released, active = args[-5], args[-4], args[-3], args[-2]
        work = members[(flags[members] != 0) | (nspawn[members] != 0) | (released[members] != 0.0)
                       | ((kind[members] == HSPC) & (state[members] == FREE))]
        seen.append((births, births_needed(members, nspawn, flags), active[:n_active].copy(), work))
        return births, n_active

    scn = load_scenario("wt_steady_state").copy_with(parameters={"tile_x_um": 400.0, "tile_y_um": 400.0,
                                                                 "spinup_days": 0.0})
    sim = Simulation.from_scenario(scn, seed=5)
    monkeypatch.setattr(ES, "decide_fates", recording)
    sim.advance(24 * sim.dt)
    assert len(seen) == 24 and all(a == b for a, b, _, _ in seen)
    assert sum(b for _, b, _, _ in seen) > 0      # (births happened: the count was tested on something)
    assert all(np.array_equal(listed, work) for _, _, listed, work in seen)
    sizes = [w.size for _, _, _, w in seen]
    assert min(sizes) > 0 and max(sizes) < 0.5 * sim.store.n_alive


def test_fate_decisions_list_the_same_agents_for_any_number_of_threads():
    """The active list and every decision are the same whether decide_fates runs on 1 or 7 threads."""
    from engine import Simulation, load_scenario
    from engine.fates import decide_fates

    scn = load_scenario("wt_steady_state").copy_with(parameters={"tile_x_um": 400.0, "tile_y_um": 400.0,
                                                                 "spinup_days": 0.0})
    sim = Simulation.from_scenario(scn, seed=9)
    sim.advance(4 * sim.dt)
    st, v = sim.store, sim.vessels
    cells = np.flatnonzero((st.kind >= 0) & (st.kind != A.PLATELET))
    from engine.interventions import treatment_effects

    fx = treatment_effects(sim.params, sim.systemic.levels)
    fp = FT.fate_parameters(sim.params, sim.dt, fx, sim.systemic.drive(), 0.03, False)
    out = []
    for threads in (1, 7):
        s = {name: getattr(st, name).copy() for name in ("kind", "state", "age", "maturity", "timer", "ploidy", "link")}
        flags, nspawn = np.zeros(st.capacity, np.uint8), np.zeros(st.capacity, np.int32)
        released, active = np.zeros(st.capacity), np.zeros(st.capacity, np.int64)
        births, n = decide_fates(s["kind"], st.origin, s["state"], st.pos, s["age"], s["maturity"], s["timer"], s["ploidy"],
                                 s["link"],
                                 cells, fp, sim.rp, np.zeros((0, 3)), sim.near_seg, sim.near_d, sim.near_c,
                                 v.radius, v.integrity, v.vcam, sim.seed, 11, flags, nspawn, released, active,
                                 threads)
        out.append((births, active[:n].copy(), flags, nspawn, released, s))
    (b1, a1, f1, n1, r1, s1), (b7, a7, f7, n7, r7, s7) = out
    assert b1 == b7 and a1.size > 0 and np.array_equal(a1, a7)
    assert np.array_equal(f1, f7) and np.array_equal(n1, n7) and np.array_equal(r1, r7)
    assert all(np.array_equal(s1[k], s7[k]) for k in s1)


def test_per_step_hazard_probabilities_equal_the_per_agent_ones():
    fp = np.zeros(FT.F_SIZE)
    fp[FT.F_DT] = 1.0
    fp[[FT.F_HSPC_DEATH, FT.F_HSPC_FREE_DEATH, FT.F_MKP_DEATH, FT.F_MK_DEATH_AWAY, FT.F_MSC_DEATH]] = \
        [0.001, 0.04, 0.02, 1 / 72, 0.3]
    FT.hit_probabilities(fp)
    for rate, p in ((FT.F_HSPC_DEATH, FT.F_P_HSPC_DEATH), (FT.F_MKP_DEATH, FT.F_P_MKP_DEATH),
                    (FT.F_MSC_DEATH, FT.F_P_MSC_DEATH), (FT.F_MK_DEATH_AWAY, FT.F_P_MK_DEATH_AWAY)):
        assert fp[p] == FT.hit_probability(fp[rate], 1.0) == 1.0 - np.exp(-fp[rate])


def test_parallel_body_sort_gives_the_same_rows_for_any_chunking():
    rng = np.random.default_rng(4)
    n = 30000
    size = np.array([600.0, 500.0, 300.0])
    pos = rng.uniform(0, 1, (n, 3)) * size
    pos[::97] = pos[5]                                  # many agents in one cell: order inside it matters
    kind = rng.integers(0, 5, n).astype(np.int8)
    state = rng.integers(0, 3, n).astype(np.int8)
    maturity = rng.uniform(0, 1, n)
    members = np.sort(rng.choice(n, 25000, replace=False)).astype(np.int64)
    rp = np.array([4.0, 5.0, 6.0, 18.0, 6.0])
    grid = CellGrid(size, 24.0)
    ref_start, order = grid.build(pos, members)
    order = order.copy()
    for nchunk in (1, 2, 7):
        start, keys = grid.scratch(members.size)
        bodies = np.zeros((n, 4))
        mobile = np.zeros(n, np.int64)
        mobile_q = np.zeros(n, np.int64)
        nm = sort_bodies(pos, kind, state, maturity, members, rp, grid.cell, *grid.shape, start, keys, bodies,
                         mobile, mobile_q, grid.chunk_counts(nchunk))
        assert np.array_equal(start, ref_start)
        assert np.array_equal(bodies[:members.size, :3], pos[order])
        mob = np.array([is_mobile(kind[i], state[i]) for i in order])
        assert nm == mob.sum() and np.array_equal(mobile[:nm], order[mob])
        assert np.array_equal(mobile_q[:nm], np.flatnonzero(mob))
