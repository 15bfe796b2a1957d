"""SHA-1 of four reference runs: every observable, the living agents' state and the SDF-1 field.

    .venv/bin/python scripts/reference_runs.py

A refactor or a speed-up must leave all four unchanged (run this before and after, or in a second
working tree of the previous commit); a model change states in its commit and notes that it
changes them. The runs cover steady state, 5-FU with SDF-1, a transplant with MSC co-infusion
(homing donor cells) and a bigger tile (store growth, more threads' work).
"""
from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Simulation, load_scenario  # noqa: E402

RUNS = (("wt_steady_state", 20, {}), ("v08_5fu_sdf1", 20, {}), ("v12_transplant_msc", 30, {}),
        ("wt_steady_state", 2, {"tile_x_um": 1400.0, "tile_y_um": 1400.0}))


def digest(sim: Simulation) -> tuple[str, str]:
    """(hash of everything, hash of the observables alone), 16 hex digits each."""
    whole, obs = hashlib.sha1(), hashlib.sha1()
    for c in sim.observables.columns:
        data = np.asarray(sim.observables[c], np.float64).tobytes()
        whole.update(data)
        if c != "agents":
            obs.update(data)
    st = sim.store
    alive = np.flatnonzero(st.kind >= 0)
    for a in (st.pos, st.kind, st.origin, st.state, st.link, st.age, st.maturity, st.timer):
        whole.update(np.ascontiguousarray(a[alive]).tobytes())
    whole.update(sim.field.values.tobytes())
    return whole.hexdigest()[:16], obs.hexdigest()[:16]


def main() -> None:
    for name, days, overrides in RUNS:
        t0 = time.perf_counter()
        scn = load_scenario(name)
        if overrides:
            scn = scn.copy_with(parameters={**scn.parameters, **overrides})
        sim = Simulation.from_scenario(scn, seed=1)
        sim.run(days)
        whole, obs = digest(sim)
        extra = " ".join(f"{k}={v:g}" for k, v in overrides.items())
        print(f"{name:20s} {days:3d} d {extra:34s} all {whole}  observables {obs}  "
              f"({sim.store.n_alive} agents, {time.perf_counter() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    main()
