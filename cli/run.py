"""`run`: simulate a scenario headless and write its time series."""
from __future__ import annotations

import sys

NAME = "run"
HELP = "Run a scenario headless and write its observables as CSV and/or JSON."


def add_arguments(ap):
    ap.add_argument("--scenario", required=True, help="built-in scenario id (see `scenarios`) or a .toml file")
    ap.add_argument("--days", type=float, default=None, help="simulated days (default: the scenario's)")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    ap.add_argument("--csv", metavar="FILE", help="write the time series as CSV ('-' for standard output)")
    ap.add_argument("--json", metavar="FILE", help="write the time series as JSON")
    ap.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    ap.add_argument("--quiet", action="store_true", help="no summary on standard error")


def main(args) -> int:
    from engine import InputError, Simulation, load_scenario
    from engine.observables import atomic_write_text

    from .common import ProgressBar

    scn = load_scenario(args.scenario)
    if args.days is not None:
        if not args.days > 0:
            raise InputError("must be a positive number of days", field="--days", expected="> 0",
                             found=args.days)
        scn = scn.copy_with(days=float(args.days))
    if args.seed is not None and args.seed < 0:
        raise InputError("must not be negative", field="--seed", expected=">= 0", found=args.seed)
    sim = Simulation.from_scenario(scn, seed=args.seed)
    bar = ProgressBar(f"{scn.name} ({scn.days:g} d)", 1, enabled=True if args.progress else None)
    sim.run(progress=bar)
    meta = sim.metadata()
    if args.csv:
        text = sim.observables.to_csv(meta)
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            atomic_write_text(args.csv, text)
    if args.json:
        atomic_write_text(args.json, sim.observables.to_json(meta))
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
