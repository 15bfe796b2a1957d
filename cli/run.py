"""`run`: simulate a scenario headless and write its time series."""
from __future__ import annotations

import sys

from .common import (days_parent, outputs_parent, progress_parent, quiet_parent, scenario_parent, seed_parent)

NAME = "run"
HELP = "Run a scenario headless and write its observables as CSV and/or JSON."


def parents():
    return [scenario_parent(), days_parent(), seed_parent(), outputs_parent(), progress_parent(), quiet_parent()]


def add_arguments(ap):
    """All of run's arguments come from the shared blocks (parents)."""


def main(args) -> int:
    from engine import Simulation, load_scenario

    from .common import ProgressBar, check_outputs, series_bytes, write_output

    scn = load_scenario(args.scenario)
    if args.days is not None:
        scn = scn.copy_with(days=float(args.days))
    if args.seed is not None:
        scn = scn.copy_with(seed=int(args.seed))
    # everything the run needs is checked before it starts: size, then the outputs
    scn.check_size()
    check_outputs(args, {"csv": "--csv", "json": "--json"},
                  need_bytes=series_bytes(scn.days, scn.parameter_set()["sample_hours"]))
    sim = Simulation.from_scenario(scn)
    bar = ProgressBar(f"{scn.name} ({scn.days:g} d)", 1, enabled=True if args.progress else None)
    sim.run(progress=bar)
    meta = sim.metadata()
    if args.csv:
        write_output(args.csv, sim.observables.to_csv(meta), "--csv")
    if args.json:
        write_output(args.json, sim.observables.to_json(meta), "--json")
    if not args.quiet:
        o = sim.observables.last()
        steps = sim.steps_done
        sys.stderr.write(
            f"{scn.name}: seed {sim.seed}, day {o['day']:g}: platelets {o['platelets']:.0f} "
            f"{sim.observables.units['platelets']} ({100 * o['platelets_rel']:.0f}% of baseline), "
            f"TPO {o['tpo_pg_ml']:.0f} pg/mL, MKs {o['mk']:.0f} ({100 * o['mk_vessel_fraction']:.0f}% at sinusoids), "
            f"donor chimerism {100 * o['donor_chimerism']:.0f}%\n"
            f"  {int(o['agents'])} agents; {steps} steps in {sim.wall_seconds:.1f} s "
            f"({steps / max(sim.wall_seconds, 1e-9):.0f} steps/s, including equilibration)\n")
    return 0
