"""`ensemble`: run a scenario over N seeds in parallel; mean, spread band and 95% intervals."""
from __future__ import annotations

import sys

NAME = "ensemble"
HELP = ("Run a scenario over N seeds in parallel local processes (or on a Dask cluster); write the mean and "
        "2.5-97.5 percentile band per time point (CSV/JSON) and print key outcomes with 95% intervals.")


def parents():
    from .common import (dask_parent, days_parent, outputs_parent, progress_parent, quiet_parent,
                         scenario_parent, workers_parent)

    return [scenario_parent(), days_parent(), workers_parent(), dask_parent(),
            outputs_parent(csv_help="write mean/p2.5/p97.5 per time point as CSV ('-': stdout)",
                           json_help="write the band series and outcome intervals as JSON ('-': stdout)"),
            progress_parent(), quiet_parent()]


def add_arguments(ap):
    from .common import seeds_value

    ap.add_argument("--seeds", type=seeds_value, default=8,
                    help="number of seeds, from the scenario's seed on (default 8)")
    ap.add_argument("--svg", metavar="FILE", help="write an SVG plot of the mean and band of --column")
    ap.add_argument("--column", default="platelets", help="time series to plot with --svg (default platelets)")


def main(args) -> int:
    from engine import InputError, load_scenario
    from engine.observables import COLUMNS
    from engine.scenario import SEED_MAX
    from studies.ensemble import run_ensemble

    from .common import ProgressBar, check_outputs, series_bytes, write_output

    if args.column not in COLUMNS or args.column == "day":
        raise InputError("unknown time series", field="--column", expected=", ".join(list(COLUMNS)[1:]),
                         found=args.column)
    scn = load_scenario(args.scenario)
    if args.days is not None:
        scn = scn.copy_with(days=float(args.days))
    if scn.seed + args.seeds - 1 > SEED_MAX:
        raise InputError("the seeds would run past the largest seed", field="--seeds",
                         expected=f"at most {SEED_MAX - scn.seed + 1} seeds from the scenario's seed {scn.seed}",
                         found=args.seeds)
    scn.check_size()
    check_outputs(args, {"csv": "--csv", "json": "--json", "svg": "--svg"},
                  need_bytes=3 * series_bytes(scn.days, scn.parameter_set()["sample_hours"]))
    bar = ProgressBar(f"ensemble of {args.seeds}", 1000, enabled=True if args.progress else None)
    res = run_ensemble(scn, args.seeds, workers=args.workers, scheduler=args.scheduler,
                       connect_timeout=args.timeout, progress=lambda p: bar(int(round(1000 * p.fraction)), 1000))
    if args.csv:
        write_output(args.csv, res.to_csv(), "--csv")
    if args.json:
        write_output(args.json, res.to_json(), "--json")
    if args.svg and res.runs:
        write_output(args.svg, res.plot_svg(args.column), "--svg")
    if not args.quiet:
        sys.stderr.write(res.summary_text())
    if not res.runs:
        sys.stderr.write("nichelab ensemble: error: every run failed\n")
        return 1
    return 1 if res.failures else 0
