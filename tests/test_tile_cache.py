"""Equilibrated tiles kept on disk (engine/tile_cache.py): a restored tile runs exactly as a built one."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from engine import Event, Simulation, load_scenario
from engine.tile_cache import TileCache, capture, tile_key

STEPS = 48


@pytest.fixture(scope="module")
def scenario():
    # a smaller tile than the default one, with the default spin-up and a 5-FU dose in the run
    return load_scenario("wt_steady_state").copy_with(
        parameters={"tile_x_um": 500.0, "tile_y_um": 500.0, "tile_z_um": 200.0},
        events=[Event(kind="fu5", start_day=1.0)])


def _state(sim):
    arrays, rest = capture(sim)
    arrays = dict(arrays)
    arrays["store.free"] = arrays["store.free"][:int(sim.store.top[0])]   # (above top: unused slots)
    for noise in ("wall_seconds", "phase_seconds"):
        rest.pop(noise)
    return arrays, rest


def _assert_same_run(a, b):
    a.advance(STEPS * a.dt)
    b.advance(STEPS * b.dt)
    np.testing.assert_array_equal(a.observables.table(), b.observables.table())
    (xa, ra), (xb, rb) = _state(a), _state(b)
    assert xa.keys() == xb.keys()
    for k in xa:
        np.testing.assert_array_equal(xa[k], xb[k], err_msg=k)
    assert ra == rb


def test_restored_tile_runs_exactly_as_a_built_one(tmp_path, scenario):
    cache = TileCache(tmp_path, "build-1")
    built, hit = cache.simulation(scenario, seed=3)
    assert not hit and len(list(tmp_path.glob("tile-*.npz"))) == 1
    restored, hit = cache.simulation(scenario, seed=3)
    assert hit
    assert restored.step_index == built.step_index == 14 * 24      # after the 14-day spin-up
    assert restored.time_hours == 0.0 and len(restored.observables.table()) == 1
    assert [e.kind for e in restored.schedule.events] == ["fu5"]   # events come from the scenario
    _assert_same_run(built, restored)
    # and the 5-FU dose of day 1 was applied in both: it kills 90% of the MK progenitors (the platelets
    # of so small a tile wobble too much to show it within a day)
    mkp = restored.observables["mkp"]
    assert mkp[0] >= 10 and mkp[-1] < 0.5 * mkp[0]


def test_tile_key_names_everything_that_shapes_the_tile(scenario):
    base = tile_key(scenario, 1, "b")
    assert tile_key(scenario.copy_with(), 1, "b") == base
    assert tile_key(scenario.copy_with(events=[], days=3.0, name="other"), 1, "b") == base
    others = {tile_key(scenario, 2, "b"), tile_key(scenario, 1, "other build"),
              tile_key(scenario.copy_with(genotype="thpo_ko"), 1, "b"),
              tile_key(scenario.copy_with(parameters={**scenario.parameters, "spinup_days": 7.0}), 1, "b")}
    assert base not in others and len(others) == 4


def test_bad_cache_files_are_rebuilt_not_trusted(tmp_path, scenario, caplog):
    cache = TileCache(tmp_path, "build-1")
    good, _ = cache.simulation(scenario, seed=5)
    path = cache.path_for(scenario, 5)
    path.write_bytes(b"not a zip file")
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        sim, hit = cache.simulation(scenario, seed=5)
    assert not hit and "ignoring the cached tile" in caplog.text and str(path) in caplog.text
    _assert_same_run(good, sim)
    # a valid tile under another tile's name (another seed) is refused by its recorded key
    other = cache.path_for(scenario, 6)
    path.rename(other)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        sim6, hit = cache.simulation(scenario, seed=6)
    assert not hit and "another tile" in caplog.text
    assert sim6.seed == 6


def test_unwritable_cache_folder_still_builds(tmp_path, scenario, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    cache = TileCache(blocker / "tiles", "build-1")
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        sim, hit = cache.simulation(scenario, seed=1)
    assert not hit and sim.store.n_alive > 0
    assert "could not keep the equilibrated tile" in caplog.text


def test_capture_refuses_state_it_cannot_keep(tmp_path, scenario):
    sim, _ = TileCache(None, "b").simulation(scenario.copy_with(
        parameters={**scenario.parameters, "spinup_days": 0.0}))
    sim.store.extra = object()
    with pytest.raises(TypeError, match="store.extra"):
        capture(sim)


def test_folder_keeps_only_the_newest_tiles(tmp_path, scenario):
    quick = scenario.copy_with(parameters={**scenario.parameters, "spinup_days": 0.0})
    cache = TileCache(tmp_path, "b", max_files=2)
    for seed in range(4):
        cache.simulation(quick, seed=seed)
    kept = sorted(p.name for p in tmp_path.glob("tile-*.npz"))
    assert kept == sorted(cache.path_for(quick, s).name for s in (2, 3))
    assert not list(tmp_path.glob(".tile-*"))      # no temporary file left behind


def test_large_tiles_are_not_kept(tmp_path, scenario):
    cache = TileCache(tmp_path, "b", max_bytes=1e5)
    cache.simulation(scenario.copy_with(parameters={**scenario.parameters, "spinup_days": 0.0}), seed=1)
    assert not list(tmp_path.iterdir())


# ------------------------------------------------------------------ kept tiles are untrusted input

def test_grown_store_keeps_a_defined_free_stack():
    """The free-slot stack is reallocated when the store grows; the entries above its top are never
    read but a tile file keeps them, and tile_checks wants each one a valid slot (found on the
    default tile: uninitialised memory made every second launch refuse its own cached tile)."""
    from engine.agents import HSPC, AgentStore, alloc

    store = AgentStore(1000)
    taken = [alloc(store.kind, store.free, store.top, HSPC, store.uid, store.next_uid) for _ in range(600)]
    for capacity in (3000, 7000):
        store.grow(capacity)
        top = int(store.top[0])
        assert top == capacity - 600
        assert np.array_equal(np.sort(np.concatenate([store.free[:top], taken])), np.arange(capacity))
        assert not store.free[top:].any()


def test_default_size_tile_passes_the_checks_after_its_store_grew():
    """The default tile outgrows the store's first capacity during set-up (the case that failed)."""
    import json

    from engine.tile_checks import validate

    scn = load_scenario("wt_steady_state").copy_with(parameters={"spinup_days": 0.25})
    sim = Simulation(scn, 1)
    assert sim.store.capacity > 4096
    arrays, rest = capture(sim)
    validate(Simulation(scn, 1, spinup=False), arrays, json.loads(json.dumps(rest)))


def test_every_builtin_scenarios_tile_passes_the_checks():
    """No false alarms: the tile of every built-in scenario (small, one day of spin-up) as it reads back
    from a file passes engine/tile_checks.py."""
    import json

    from engine import Simulation, builtin_scenarios
    from engine.tile_checks import validate

    for sid in builtin_scenarios():
        base = load_scenario(sid)
        scn = base.copy_with(parameters={**base.parameters, "tile_x_um": 300.0, "tile_y_um": 300.0,
                                         "tile_z_um": 150.0, "spinup_days": 1.0})
        arrays, rest = capture(Simulation(scn))
        validate(Simulation(scn, spinup=False), arrays, json.loads(json.dumps(rest)))


#: each class of forged tile file (issue 17): run in a child process, because a forgery that got
#: through would crash it (SIGSEGV from an index out of range) rather than fail an assertion
FORGERIES = {
    # indices out of range: each would send a kernel outside its arrays
    "link_out_of_range": "arrays['store.link'][alive[kind[alive] == A.MK][0] if (kind == A.MK).any() "
                         "else alive[0]] = 10**6",
    "particle_segment_out_of_range": "arrays['particles.seg'][:] = 10**6",
    "particle_count_beyond_buffer": "rest['particles.n']['scalar'][0] = arrays['particles.life'].size + 5",
    "platelet_particle_among_cells": "arrays['store.kind'][alive[0]] = A.PLATELET",
    "occupant_out_of_range": "arrays['occupant'][0] = C + 100",
    "free_slot_out_of_range": "arrays['store.free'][0] = 10**9",
    "free_count_out_of_range": "arrays['store.top'][0] = C + 7",
    "free_stack_duplicate": "arrays['store.free'][1] = arrays['store.free'][0]",
    "segment_out_of_range": "arrays['near_seg'][:] = 10**6",
    "grid_key_out_of_range": "arrays['tile.grid.keys'][:] = 10**7",
    "vessel_graph_changed": "arrays['tile.vessels.out_segs'][0] = 10**6",
    "capacity_mismatch": "rest['store.capacity']['scalar'][0] = 2 * C",
    "grid_shape_changed": "rest['tile.grid.shape']['list'] = [1000, 1000, 1000]",
    "infusion_of_a_billion": "rest['pending_infusions']['list'] = [[1.0, 0, 10**9]]",
    "generator_state_garbage": "rest['rng']['rng'] = {'bit_generator': 'PCG64', 'state': 'x'}",
    # short arrays, wrong types
    "short_positions": "arrays['store.pos'] = arrays['store.pos'][:-1]",
    "short_field": "arrays['tile.field.values'] = arrays['tile.field.values'][:, :, :-1]",
    "kinds_as_floats": "arrays['store.kind'] = arrays['store.kind'].astype(float)",
    "unknown_kind": "arrays['store.kind'][alive[0]] = 42",
    # garbage numbers
    "nan_position": "arrays['store.pos'][alive[0], 1] = np.nan",
    "outside_the_tile": "arrays['store.pos'][alive[0]] = 1e6",
    "nan_field": "arrays['tile.field.values'][0, 0, 0] = np.nan",
    "infinite_blood": "arrays['systemic.chain'][0] = np.inf",
    "missing_array": "del arrays['store.age']",
    "extra_array": "arrays['store.extra'] = np.zeros(3)",
}

FORGE_SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
from engine import Event, Simulation, load_scenario
from engine import agents as A
from engine.tile_cache import TileCache, read_tile_file
scn = load_scenario("wt_steady_state").copy_with(
    parameters={"tile_x_um": 300.0, "tile_y_um": 300.0, "tile_z_um": 150.0, "spinup_days": 1.0},
    events=[Event(kind="fu5", start_day=0.2)])
fresh = TileCache(None, "b").simulation(scn, seed=4)[0]
fresh.advance(24 * fresh.dt)
cache = TileCache(sys.argv[2], "b")
cache.simulation(scn, seed=4)
path = cache.path_for(scn, 4)
good = path.read_bytes()
for name, forge in json.loads(sys.argv[3]).items():
    path.write_bytes(good)
    arrays = read_tile_file(path, 1e9)
    rest = json.loads(arrays.pop("__rest__").tobytes().decode())
    kind = arrays["store.kind"]
    alive = np.flatnonzero(kind >= 0)
    C = kind.size
    exec(forge)
    with open(path, "wb") as fh:
        np.savez(fh, __rest__=np.frombuffer(json.dumps(rest).encode(), np.uint8), **arrays)
    sim, hit = cache.simulation(scn, seed=4)
    sim.advance(24 * sim.dt)
    same = np.array_equal(sim.observables.table(), fresh.observables.table(), equal_nan=True)
    print(name, "hit" if hit else "rebuilt", "same" if same else "DIFFERENT", flush=True)
"""


def test_forged_tiles_never_crash_and_are_rebuilt_exactly(tmp_path, caplog):
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", FORGE_SCRIPT, str(root), str(tmp_path), json.dumps(FORGERIES)],
                         capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, f"the child process died (code {out.returncode}): {out.stderr[-2000:]}"
    results = dict(line.split(" ", 1) for line in out.stdout.strip().splitlines())
    assert results == {name: "rebuilt same" for name in FORGERIES}
    assert out.stderr.count("ignoring the cached tile") == len(FORGERIES)


def _forged_file(path, members: dict[str, bytes], compression=None):
    import zipfile

    with zipfile.ZipFile(path, "w", compression or zipfile.ZIP_STORED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy(arr) -> bytes:
    import io

    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=True)
    return buf.getvalue()


@pytest.mark.parametrize("forgery", ["truncated", "zip_bomb", "lying_header", "pickled_member", "wrong_key",
                                     "symlink", "not_a_zip"])
def test_damaged_or_hostile_tile_files_are_rebuilt(tmp_path, scenario, caplog, forgery):
    import zipfile

    quick = scenario.copy_with(parameters={**scenario.parameters, "spinup_days": 1.0})
    cache = TileCache(tmp_path / "tiles", "b")
    good, _ = cache.simulation(quick, seed=2)
    path = cache.path_for(quick, 2)
    data = path.read_bytes()
    victim = tmp_path / "victim"
    if forgery == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif forgery == "zip_bomb":
        # 1 GB of zeros in a member of about a megabyte: refused from the zip directory, never inflated
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
            with zf.open("store.kind.npy", "w", force_zip64=True) as m:
                block = bytes(1 << 24)
                for _ in range(64):
                    m.write(block)
        assert path.stat().st_size < 5e6
    elif forgery == "lying_header":
        # an array header claiming 10^10 elements in a member of a few bytes: refused before allocating
        header = _npy(np.zeros(3))
        _forged_file(path, {"store.kind.npy": header.replace(b"(3,)", b"(10000000000,)")})
    elif forgery == "pickled_member":
        class Boom:
            def __reduce__(self):
                return (victim.mkdir, ())
        _forged_file(path, {"store.kind.npy": _npy(np.array([Boom()], dtype=object))})
    elif forgery == "wrong_key":
        other = TileCache(tmp_path / "other", "b")
        other.simulation(quick, seed=3)
        path.write_bytes(other.path_for(quick, 3).read_bytes())
    elif forgery == "symlink":
        victim.write_bytes(data)
        path.unlink()
        path.symlink_to(victim)
    else:
        path.write_bytes(b"not a zip file")
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        sim, hit = cache.simulation(quick, seed=2)
    assert not hit and "ignoring the cached tile" in caplog.text
    assert not path.is_symlink() and path.is_file()           # built again and kept
    if forgery == "symlink":
        assert victim.read_bytes() == data                   # the link's target was not touched
    else:
        assert not victim.exists()                           # nothing unpickled
    fresh = Simulation(quick, 2)
    _assert_same_run(fresh, sim)
    _assert_same_run(good, cache.simulation(quick, seed=2)[0])   # and the rebuilt file restores exactly
