"""Wall time of the default scenario run headless: equilibration (spin-up) and the 60 days.

`Simulation.from_scenario` builds the tile and equilibrates the genotype for ``spinup_days``
(10 days by default, not recorded); then ``run()`` simulates the scenario's 60 days. Both are
timed, in one process whose kernels are already compiled (the start-up section measures
compilation).
"""
from __future__ import annotations

import time

from .stats import summary

SCENARIO = "wt_steady_state"


def run(opts) -> dict:
    from engine import Simulation, load_scenario

    scn = load_scenario(SCENARIO)
    if opts.quick:
        scn = scn.copy_with(days=2.0, parameters={**scn.parameters, "spinup_days": 1.0})
    repeats = 1 if opts.quick else 3
    build, runs, total, steps = [], [], [], 0
    for r in range(repeats):
        t0 = time.perf_counter()
        sim = Simulation.from_scenario(scn)
        t1 = time.perf_counter()
        sim.run()
        t2 = time.perf_counter()
        build.append(t1 - t0)
        runs.append(t2 - t1)
        total.append(t2 - t0)
        steps = sim.steps_done
        agents = sim.observables["agents"]
        opts.log(f"scenario: build+equilibration {t1 - t0:.1f} s, {scn.days:g} days {t2 - t1:.1f} s")
    return {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " "),
            "scenario": SCENARIO, "days": scn.days, "spinup_days": sim.params["spinup_days"],
            "steps_including_equilibration": steps, "agents_mean": float(agents.mean()),
            "agents_max": float(agents.max()),
            "build_and_equilibration_s": summary(build), "run_s": summary(runs), "total_s": summary(total)}
