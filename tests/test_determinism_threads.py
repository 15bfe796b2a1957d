"""1 worker thread and 2 worker threads give identical runs (and the same seed the same run).

Each thread count runs in its own process (NUMBA_NUM_THREADS is read when numba starts). The run
is short and small but has births, deaths, platelet release, a 5-FU kill, MSC infusion and SDF-1
treatment, so every parallel kernel and the serial births/deaths matter.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = r"""
import hashlib, json, sys
import numpy as np
from engine import AddEvent, Event, Scenario, Simulation
scn = Scenario(name="threads", genotype="wt", days=3, seed=11,
               parameters={"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 2.0})
sim = Simulation.from_scenario(scn)
sim.apply(AddEvent(Event(kind="fu5", start_day=1.0, duration_days=0, dose=1)))
sim.apply(AddEvent(Event(kind="msc", start_day=1.5, duration_days=0, dose=10)))   # ~6 MSCs in this tile
sim.apply(AddEvent(Event(kind="sdf1", start_day=0.5, duration_days=2, dose=1)))
sim.run()
st = sim.store
alive = np.flatnonzero(st.kind >= 0)
h = hashlib.sha256(alive.tobytes())
for a in st.arrays():
    h.update(np.ascontiguousarray(a[alive]).tobytes())
h.update(sim.field.values.tobytes())
obs = {c: [float(x) for x in sim.observables[c]] for c in sim.observables.columns}
import numba
print(json.dumps({"threads": numba.get_num_threads(), "state": h.hexdigest(), "obs": obs}))
"""


def _run(threads: int) -> dict:
    env = dict(os.environ)
    env["NUMBA_NUM_THREADS"] = str(threads)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_one_and_two_threads_give_identical_runs():
    one, two = _run(1), _run(2)
    assert (one["threads"], two["threads"]) == (1, 2)
    assert one["obs"]["platelets"] and len(one["obs"]["day"]) == len(two["obs"]["day"])
    for col, values in one["obs"].items():
        assert values == two["obs"][col], f"observable {col} differs between 1 and 2 threads"
    # final agent state and SDF-1 field, bit for bit
    assert one["state"] == two["state"]
    # the run really did something: the 5-FU kill and births change the population
    assert min(one["obs"]["mkp"]) < max(one["obs"]["mkp"])
