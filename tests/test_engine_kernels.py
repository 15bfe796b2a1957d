"""Kernel-level tests: field solver, chemotaxis, neighbour search, random numbers."""
import numpy as np
import pytest

from engine.cell_lists import CellGrid, neighbours_within
from engine.field import DiffusionField, explicit_cfl_limit
from engine.motility import chemotaxis_displacement
from engine.rng import normal, normal3, uniform


def test_diffusion_conserves_mass_without_decay():
    f = DiffusionField((20, 16, 12), 10.0, diffusion_um2_per_h=3600.0, dt_hours=1.0)
    rng = np.random.default_rng(0)
    f.values[:] = rng.uniform(0, 5, f.shape)
    f.values[3, 4, 5] = 1000.0
    total = f.values.sum()
    for _ in range(50):
        f.step()  # source 0, lam 0: pure diffusion with no-flux walls
    assert f.values.sum() == pytest.approx(total, rel=1e-10)
    assert f.values.min() >= 0.0


def test_diffusion_is_stable_far_beyond_explicit_cfl():
    dt = 5.0
    f = DiffusionField((16, 16, 16), 10.0, diffusion_um2_per_h=3600.0, dt_hours=dt)
    assert dt > 100 * explicit_cfl_limit(10.0, 3600.0)
    f.values[8, 8, 8] = 1.0
    peaks = []
    for _ in range(20):
        f.step()
        peaks.append(f.values.max())
    # monotone spreading: no oscillation, no negative values, max never grows
    assert np.all(np.diff(peaks) <= 1e-15)
    assert f.values.min() >= 0.0
    assert np.isfinite(f.values).all()


def _decay_length(D, k, h, dt, steps):
    f = DiffusionField((80, 2, 2), h, D, dt)
    f.lam[:] = k
    f.source[0, :, :] = 50.0
    for _ in range(steps):
        f.step()
    c = f.values[:, 0, 0]
    x = (np.arange(80) + 0.5) * h
    slope = np.polyfit(x[5:40], np.log(c[5:40]), 1)[0]
    return -1.0 / slope


def test_decay_length_converges_to_analytic_value_as_dt_shrinks():
    """Steady state of D c'' = k c around a plane source decays as exp(-x/sqrt(D/k))."""
    D, k, h = 900.0, 2.0, 2.0
    assert _decay_length(D, k, h, 0.02, 600) == pytest.approx(np.sqrt(D / k), rel=0.03)


def test_decay_length_at_model_step_matches_the_split_scheme():
    """React-then-diffuse splitting at step dt has the steady decay length
    sqrt(D dt / (1 - exp(-k dt))) (documented in engine/field.py)."""
    D, k, h, dt = 900.0, 2.0, 2.0, 1.0
    expected = np.sqrt(D * dt / (1.0 - np.exp(-k * dt)))
    assert _decay_length(D, k, h, dt, 100) == pytest.approx(expected, rel=0.03)


def test_chemotaxis_moves_cells_up_the_gradient():
    f = DiffusionField((30, 10, 10), 10.0, 1.0, 1.0)
    x = (np.arange(30) + 0.5) * 10.0
    f.values[:] = (0.02 * x)[:, None, None]  # rises along +x at 0.02 ng/mL per um
    dx, dy, dz = chemotaxis_displacement(f.values, 10.0, 150.0, 50.0, 50.0, 60.0, 100.0, 1.0)
    assert dx == pytest.approx(60.0 * 0.02)  # chi * gradient * dt
    assert abs(dy) < 1e-12 and abs(dz) < 1e-12
    # the speed cap holds
    dx, _, _ = chemotaxis_displacement(f.values, 10.0, 150.0, 50.0, 50.0, 1e5, 8.0, 1.0)
    assert dx == pytest.approx(8.0)


@pytest.mark.parametrize("width", [25.0, 7.0, 400.0])
def test_neighbour_search_matches_brute_force(width):
    rng = np.random.default_rng(42)
    size = np.array([300.0, 200.0, 150.0])
    pos = rng.uniform(0, 1, (2000, 3)) * size
    pos[100:110] = pos[100]
    members = np.arange(0, 2000, 2, dtype=np.int64)  # only every other agent is listed
    grid = CellGrid(size, width)
    start, order = grid.build(pos, members)
    assert sorted(order.tolist()) == members.tolist()
    same = order[np.isin(order, np.arange(100, 110))]   # one cell keeps the order of members
    assert same.tolist() == sorted(same.tolist())
    out = np.empty(2000, np.int64)
    radius = 22.0
    for i in members[:200]:
        n = neighbours_within(pos, i, radius, start, order, grid.cell, *grid.shape, out)
        found = set(out[:n].tolist())
        d = np.linalg.norm(pos[members] - pos[i], axis=1)
        expected = set(members[(d <= radius)].tolist()) - {int(i)}
        assert found == expected


def test_three_normals_are_standard_and_independent():
    z = np.array([normal3(9, 2, i, 1) for i in range(40000)])
    assert np.allclose(z.mean(axis=0), 0.0, atol=0.02)
    assert np.allclose(z.std(axis=0), 1.0, atol=0.02)
    c = np.corrcoef(z.T)
    assert np.all(np.abs(c[np.triu_indices(3, 1)]) < 0.02)
    # tails of a normal, not of a uniform or a triangle
    assert 0.040 < np.mean(np.abs(z) > 2.0) < 0.051


def test_counter_based_random_numbers():
    a = np.array([uniform(7, 3, i, 1) for i in range(20000)])
    assert 0.0 <= a.min() and a.max() < 1.0
    assert a.mean() == pytest.approx(0.5, abs=0.01)
    # a pure function of its counters: same inputs, same output; any counter changes it
    assert uniform(7, 3, 11, 1) == uniform(7, 3, 11, 1)
    assert len({uniform(7, 3, 11, 1), uniform(8, 3, 11, 1), uniform(7, 4, 11, 1),
                uniform(7, 3, 12, 1), uniform(7, 3, 11, 2)}) == 5
    g = np.array([normal(1, 1, i, 5) for i in range(20000)])
    assert g.mean() == pytest.approx(0.0, abs=0.03)
    assert g.std() == pytest.approx(1.0, abs=0.03)


def test_plain_arithmetic_log_and_sincos_match_numpy():
    from numba import njit

    from engine.vector_math import ln, sincos_turn

    @njit
    def both(u):
        out = np.empty((u.size, 3))
        for k in range(u.size):
            out[k, 0] = ln(u[k])
            out[k, 1], out[k, 2] = sincos_turn(u[k])
        return out

    rng = np.random.default_rng(3)
    # the uniforms of the movement, the clamp of Box-Muller, both sides of sqrt(1/2), quarter turns
    u = np.concatenate([rng.random(200_000), [1e-300, 2.0 ** -53, 0.5, np.sqrt(0.5), np.nextafter(np.sqrt(0.5), 1),
                                              1 - 2.0 ** -53, 1.0], np.arange(0, 1.0001, 1 / 64)])
    got = both(u)
    inside = (u > 0) & (u < 1)     # (ln is used on (0, 1]; ln 1 = 0 exactly)
    ulps = np.abs(got[inside, 0] - np.log(u[inside])) / np.spacing(np.abs(np.log(u[inside])))
    assert ulps.max() <= 2.0 and got[u == 1.0, 0].max() == 0.0
    assert np.abs(got[:, 1] - np.sin(2 * np.pi * u)).max() < 1e-15
    assert np.abs(got[:, 2] - np.cos(2 * np.pi * u)).max() < 1e-15
    # exact at the quarter turns, so the four quadrants are put together the right way round
    q = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    assert np.array_equal(both(q)[:, 1:], [[0, 1], [1, 0], [0, -1], [-1, 0], [0, 1]])


def test_sdf1_deposit_adds_in_member_order_as_a_numpy_reference():
    """deposit_sdf1 (serial cell loop with prefetches, parallel wall loop) gives the bits of plain
    sequential additions: the cells' in the order of ``members``, then each wall voxel's once."""
    from engine.agents import HSPC, MK, MKP, MSC, PLATELET, STROMA
    from engine.sdf1_sources import deposit_sdf1

    rng = np.random.default_rng(7)
    shape, h = (13, 11, 7), 10.0
    n = 5000
    # many cells share voxels, some lie outside the grid (clamped to the edge voxels)
    pos = rng.uniform(-15.0, 145.0, (n, 3))
    kind = rng.choice(np.array([HSPC, MKP, MK, STROMA, MSC, PLATELET], np.int8), n)
    members = rng.permutation(n)[: n - 300].astype(np.int64)   # not in slot order
    endo_idx = np.sort(rng.choice(np.prod(shape), 200, replace=False)).astype(np.int64)
    endo_seg = rng.integers(0, 9, endo_idx.size).astype(np.int64)
    integrity = rng.uniform(0.2, 1.0, 9)
    car, msc, up, endo = 0.37, 1.13, 0.071, 0.29
    source, lam = np.zeros(shape), np.full(shape, 0.05)
    deposit_sdf1(kind, pos, members, source, lam, h, car, msc, up, endo_idx, endo_seg, endo, integrity)

    ref_src, ref_lam = np.zeros(shape).reshape(-1), np.full(shape, 0.05).reshape(-1)
    ijk = np.clip((pos[members] / h).astype(np.int64), 0, np.array(shape) - 1)
    flat = np.ravel_multi_index(ijk.T, shape)
    k = kind[members]
    rate = np.where(k == STROMA, car, msc)
    src = (k == STROMA) | (k == MSC)
    np.add.at(ref_src, flat[src], rate[src])   # (unbuffered: one addition at a time, in order)
    takes = (k == HSPC) | (k == MKP) | (k == MK)
    np.add.at(ref_lam, flat[takes], up)
    ref_src[endo_idx] += endo * integrity[endo_seg]
    assert np.array_equal(source.reshape(-1), ref_src)
    assert np.array_equal(lam.reshape(-1), ref_lam)
    assert src.sum() > 1000 and takes.sum() > 1000 and (k == PLATELET).any()
