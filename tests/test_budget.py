"""The size budget (engine/budget.py): estimated before anything is built, refused with the
estimate in the message, generous enough for every shipped scenario and the benchmarks, and an
upper bound of what a build really takes (measured in a child process, slow)."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from engine import Event, InputError, Simulation, builtin_scenarios, load_scenario
from engine import budget
from engine.parameters import ParameterSet
from tests.conftest import ROOT

LARGEST_TILE = {"tile_x_um": 3000.0, "tile_y_um": 3000.0, "tile_z_um": 1000.0}


def test_every_builtin_scenario_fits_the_budget_with_room_to_spare():
    for sid in builtin_scenarios():
        scn = load_scenario(sid)
        est = scn.check_size()
        assert est.bytes < budget.MEMORY_BUDGET_BYTES / 20 and est.agents < budget.AGENT_BUDGET / 20, sid


def test_the_benchmarks_largest_workload_fits():
    # benchmarks/workloads.py reaches 300k agents with the largest tile and denser stroma and niches
    p = ParameterSet("mouse", {**LARGEST_TILE, "car_cells_per_mm3": 9000.0 * 1.3, "niche_sites_per_mm3": 1600.0 * 1.3})
    est = budget.check(p, [], "wt")
    assert 300_000 < est.agents < budget.AGENT_BUDGET and est.bytes < budget.MEMORY_BUDGET_BYTES


@pytest.mark.parametrize("overrides, events, field, words", [
    ({**LARGEST_TILE, "field_voxel_um": 4.0}, [], "parameters.field_voxel_um", "140.6 M field voxels"),
    ({**LARGEST_TILE, "msc_agents_per_dose_unit": 10000.0}, [Event(kind="msc", dose=20.0)], "events[0].dose",
     "9.9 M agents"),
    ({**LARGEST_TILE, "donor_agents_per_dose_unit": 1000.0}, [Event(kind="transplant", dose=60.0, msc_coinfusion=1.0)],
     "events[0].dose", "M agents"),
    ({**LARGEST_TILE, "msc_agents_per_dose_unit": 10000.0},
     [Event(kind="transplant", dose=1.0, msc_coinfusion=20.0)], "events[0].msc_coinfusion", "M agents"),
    ({**LARGEST_TILE, "car_cells_per_mm3": 50000.0, "niche_sites_per_mm3": 20000.0, "mk_baseline_per_mm3": 1e6},
     [], "parameters.tile_x_um", "M agents"),
])
def test_too_large_scenarios_are_refused_with_the_estimate(overrides, events, field, words):
    scn = load_scenario("wt_steady_state").copy_with(parameters=overrides, events=events)
    with pytest.raises(InputError) as exc:
        scn.check_size()
    msg = str(exc.value)
    assert f"field '{field}'" in msg and words in msg and "scenario too large to simulate" in msg
    assert "GiB of model memory" in msg and "at most 2.0 M agents and 3.0 GiB" in msg


def test_a_simulation_refuses_before_allocating():
    import tracemalloc

    scn = load_scenario("wt_steady_state").copy_with(parameters={**LARGEST_TILE, "field_voxel_um": 4.0})
    tracemalloc.start()
    try:
        with pytest.raises(InputError, match="scenario too large"):
            Simulation.from_scenario(scn)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 16 * 1024 ** 2          # nothing of the 5.9 GiB it would need was allocated


def test_the_memory_budget_can_be_raised_by_the_environment(monkeypatch):
    scn = load_scenario("wt_steady_state").copy_with(parameters={**LARGEST_TILE, "field_voxel_um": 5.0})
    with pytest.raises(InputError):
        scn.check_size()
    monkeypatch.setenv(budget.BUDGET_ENV, "64")
    assert scn.check_size().bytes > budget.MEMORY_BUDGET_BYTES
    for junk in ("nan", "-1", "lots", "inf"):
        monkeypatch.setenv(budget.BUDGET_ENV, junk)
        assert budget.memory_budget() == budget.MEMORY_BUDGET_BYTES


def test_doses_and_tile_scale_the_estimate():
    base = ParameterSet("mouse")
    e0 = budget.estimate(base)
    e1 = budget.estimate(base, [Event(kind="transplant", dose=10.0)])
    assert e1.agents - e0.agents == pytest.approx(10 * base["donor_agents_per_dose_unit"], abs=1)
    big = budget.estimate(ParameterSet("mouse", {"tile_x_um": 1600.0}))
    assert 1.9 < big.agents / e0.agents < 2.1
    assert big.field_voxels == 160 * 80 * 30 and e0.field_voxels == 80 * 80 * 30


_PROBE = """
import json, sys
sys.path.insert(0, sys.argv[1])
from engine import Event, Simulation, load_scenario
over, evs = json.loads(sys.argv[2]), json.loads(sys.argv[3])
scn = load_scenario("wt_steady_state").copy_with(parameters=over, events=[Event(**e) for e in evs], days=1.0)
est = scn.check_size()
tiny = {"tile_x_um": 200.0, "tile_y_um": 200.0, "tile_z_um": 100.0, "spinup_days": 0.0}
Simulation.from_scenario(scn.copy_with(parameters=tiny, events=[])).run(0.5)   # kernels loaded first
import gc
gc.collect()
def status(key):
    for line in open("/proc/self/status"):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
try:
    with open("/proc/self/clear_refs", "w") as fh:   # restart the peak (VmHWM) after a compile's spike
        fh.write("5")
except OSError:
    print(json.dumps({"skip": "cannot reset the peak resident size (/proc/self/clear_refs)"}))
    sys.exit(0)
base = status("VmRSS")
sim = Simulation.from_scenario(scn)
sim.run(1.0)
peak = status("VmHWM")
print(json.dumps({"estimate": est.bytes, "est_agents": est.agents, "used": peak - base,
                  "agents": int(sim.observables.last()["agents"])}))
"""


@pytest.mark.slow
@pytest.mark.parametrize("overrides, events", [
    ({"tile_x_um": 1500.0, "tile_y_um": 1500.0, "field_voxel_um": 5.0, "spinup_days": 1.0}, []),
    ({"tile_x_um": 2000.0, "tile_y_um": 2000.0, "tile_z_um": 600.0, "spinup_days": 1.0}, []),
    ({"spinup_days": 0.0, "msc_agents_per_dose_unit": 10000.0}, [{"kind": "msc", "dose": 20.0}]),
])
def test_the_estimate_bounds_what_a_build_really_uses(overrides, events):
    if not sys.platform.startswith("linux"):
        pytest.skip("reads /proc/self/status")
    r = subprocess.run([sys.executable, "-c", _PROBE, str(ROOT), json.dumps(overrides), json.dumps(events)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads(r.stdout.strip().splitlines()[-1])
    if "skip" in m:
        pytest.skip(m["skip"])
    assert m["estimate"] >= m["used"], m          # never under
    assert m["estimate"] <= 4 * m["used"] + 64 * 1024 ** 2, m   # and not wildly over
    assert m["est_agents"] >= m["agents"], m
