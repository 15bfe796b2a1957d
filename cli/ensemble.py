"""`ensemble`: run a scenario over N seeds in parallel; mean, spread band and 95% intervals."""
from __future__ import annotations

import sys

NAME = "ensemble"
HELP = ("Run a scenario over N seeds in parallel local processes (or on a Dask cluster); write the mean and "
        "2.5-97.5 percentile band per time point (CSV/JSON) and print key outcomes with 95% intervals.")


def add_arguments(ap):
    ap.add_argument("--scenario", required=True, help="built-in scenario id (see `scenarios`) or a .toml file")
    ap.add_argument("--seeds", type=int, default=8, help="number of seeds, from the scenario's seed on (default 8)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU cores)")
    ap.add_argument("--days", type=float, default=None, help="simulated days (default: the scenario's)")
    ap.add_argument("--csv", metavar="FILE", help="write mean/p2.5/p97.5 per time point as CSV ('-': stdout)")
    ap.add_argument("--json", metavar="FILE", help="write the band series and outcome intervals as JSON")
    ap.add_argument("--svg", metavar="FILE", help="write an SVG plot of the mean and band of --column")
    ap.add_argument("--column", default="platelets", help="time series to plot with --svg (default platelets)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler (tcp://host:port) instead of local "
                    "processes")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the Dask scheduler (default 5)")
    ap.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    ap.add_argument("--quiet", action="store_true", help="no summary on standard error")


def main(args) -> int:
    from engine import InputError
    from engine.observables import COLUMNS, atomic_write_text
    from studies.ensemble import run_ensemble

    from .common import ProgressBar

    if args.workers is not None and args.workers < 1:
        raise InputError("must be at least 1", field="--workers", expected=">= 1", found=args.workers)
    if args.days is not None and not args.days > 0:
        raise InputError("must be a positive number of days", field="--days", expected="> 0", found=args.days)
    if args.column not in COLUMNS or args.column == "day":
        raise InputError("unknown time series", field="--column", expected=", ".join(list(COLUMNS)[1:]),
                         found=args.column)
    bar = ProgressBar(f"ensemble of {args.seeds}", 1000, enabled=True if args.progress else None)
    res = run_ensemble(args.scenario, args.seeds, workers=args.workers, days=args.days,
                       scheduler=args.scheduler, connect_timeout=args.timeout,
                       progress=lambda p: bar(int(round(1000 * p.fraction)), 1000))
    if args.csv:
        text = res.to_csv()
        if args.csv == "-":
            sys.stdout.write(text)
        else:
            atomic_write_text(args.csv, text)
    if args.json:
        atomic_write_text(args.json, res.to_json())
    if args.svg and res.runs:
        atomic_write_text(args.svg, res.plot_svg(args.column))
    if not args.quiet:
        sys.stderr.write(res.summary_text())
    if not res.runs:
        sys.stderr.write("nichelab ensemble: error: every run failed\n")
        return 1
    return 1 if res.failures else 0
