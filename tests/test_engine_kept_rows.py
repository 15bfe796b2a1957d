"""The body sort with the stroma's rows kept between steps (engine/kept_rows.py)."""
import numpy as np

from engine import agents as A
from engine.cell_lists import CellGrid
from engine.kept_rows import KeptRows
from engine.motility import sort_bodies, sort_bodies_kept


def _tile(seed=4, n=30000):
    rng = np.random.default_rng(seed)
    size = np.array([600.0, 500.0, 300.0])
    pos = rng.uniform(0, 1, (n, 3)) * size
    pos[::97] = pos[5]                                  # many agents in one cell
    kind = rng.integers(0, 5, n).astype(np.int8)
    kind[: n // 3] = A.STROMA                           # the stroma fill the first slots, as in a tile
    state = rng.integers(0, 3, n).astype(np.int8)
    maturity = rng.uniform(0, 1, n)
    members = np.sort(rng.choice(n, 25000, replace=False)).astype(np.int64)
    rp = np.array([4.0, 5.0, 6.0, 18.0, 6.0])
    return pos, kind, state, maturity, members, rp, CellGrid(size, 24.0)


def _sorted_cells(start, bodies):
    """Each cell's rows in one canonical order (the order inside a cell changes no number)."""
    out = bodies[:start[-1]].copy()
    for c in np.flatnonzero(np.diff(start) > 1):
        rows = out[start[c]:start[c + 1]]
        out[start[c]:start[c + 1]] = rows[np.lexsort(rows.T[::-1])]
    return out


def test_kept_sort_gives_the_cells_of_the_plain_sort_for_any_chunking():
    pos, kind, state, maturity, members, rp, grid = _tile()
    n = pos.shape[0]
    start, keys = grid.scratch(members.size)
    bodies, mobile, mobile_q = np.zeros((n, 4)), np.zeros(n, np.int64), np.zeros(n, np.int64)
    nm = sort_bodies(pos, kind, state, maturity, members, rp, grid.cell, *grid.shape, start, keys, bodies, mobile,
                     mobile_q, grid.chunk_counts(1))
    ref = (start.copy(), _sorted_cells(start, bodies), np.sort(mobile[:nm]))
    kept = KeptRows()
    assert not kept.fits(n, start.size - 1, rp[4])
    kept.build(pos, kind, members, rp, grid.cell, *grid.shape)
    assert kept.fits(n, start.size - 1, rp[4]) and kept.n == np.count_nonzero(np.isin(kind[members], (A.STROMA, A.MSC)))
    rows = None
    for nchunk, threads in ((1, 1), (2, 2), (7, 2), (8, 3)):
        start, keys = grid.scratch(members.size)
        b, mob, mq = np.zeros((n, 4)), np.zeros(n, np.int64), np.zeros(n, np.int64)
        assert sort_bodies_kept(pos, kind, state, maturity, members, rp, grid.cell, *grid.shape, start, keys, b, mob,
                                mq, grid.chunk_counts(nchunk), kept.rows, kept.start, kept.pos, kept.n, threads) == nm
        assert np.array_equal(start, ref[0]) and np.array_equal(_sorted_cells(start, b), ref[1])
        assert np.array_equal(np.sort(mob[:nm]), ref[2])
        assert np.array_equal(b[mq[:nm], :3], pos[mob[:nm]])
        if rows is None:
            rows = (b.copy(), mob.copy(), mq.copy())
        assert all(np.array_equal(x, y) for x, y in zip(rows, (b, mob, mq)))   # the same rows for any chunking


def test_kept_sort_refuses_a_layer_that_no_longer_holds():
    pos, kind, state, maturity, members, rp, grid = _tile()
    n = pos.shape[0]
    kept = KeptRows()
    kept.build(pos, kind, members, rp, grid.cell, *grid.shape)
    stroma = members[np.isin(kind[members], (A.STROMA, A.MSC))]
    other = members[~np.isin(kind[members], (A.STROMA, A.MSC))]

    def sort(pos=pos, kind=kind, members=members):
        start, keys = grid.scratch(members.size)
        return sort_bodies_kept(pos, kind, state, maturity, members, rp, grid.cell, *grid.shape, start, keys,
                                np.zeros((n, 4)), np.zeros(n, np.int64), np.zeros(n, np.int64), grid.chunk_counts(2),
                                kept.rows, kept.start, kept.pos, kept.n, 2)

    assert sort() > 0
    moved = pos.copy()
    moved[stroma[7], 2] += 1e-9                         # a stroma cell moved
    assert sort(pos=moved) == -1
    more = kind.copy()
    more[other[3]] = A.MSC                              # one more
    assert sort(kind=more) == -1
    assert sort(members=np.delete(members, np.flatnonzero(members == stroma[11]))) == -1   # one fewer
    swapped = kind.copy()                               # one fewer and one more: still refused
    swapped[stroma[0]], swapped[other[0]] = A.HSPC, A.STROMA
    assert sort(kind=swapped) == -1
