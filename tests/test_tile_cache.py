"""Equilibrated tiles kept on disk (engine/tile_cache.py): a restored tile runs exactly as a built one."""
from __future__ import annotations

import logging

import numpy as np
import pytest

from engine import Event, load_scenario
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
    # and the 5-FU dose of day 1 was applied in both (platelets fall from day 0)
    p = restored.observables["platelets"]
    assert p[-1] < p[0]


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
