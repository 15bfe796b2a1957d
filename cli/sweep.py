"""`sweep`: vary one or two parameters over a range; table (CSV/JSON) and SVG plot of an outcome."""
from __future__ import annotations

import sys

NAME = "sweep"
HELP = ("Vary one or two model parameters over a range (NAME=lo:hi:n) and record an outcome per grid point; "
        "runs in parallel local processes, or on a Dask cluster with --scheduler. Writes sweep.csv, "
        "sweep.json and sweep.svg (line plot for one parameter, heat map for two) into --out.")


def add_arguments(ap):
    from analysis.outcomes import OUTCOMES

    ap.add_argument("--scenario", required=True, help="built-in scenario id (see `scenarios`) or a .toml file")
    ap.add_argument("--param", action="append", required=True, metavar="NAME=lo:hi:n",
                    help="parameter to vary (see `params`); give it once or twice")
    ap.add_argument("--outcome", default="nadir", help="outcome to record: " + ", ".join(OUTCOMES))
    ap.add_argument("--seeds", type=int, default=1, help="seeds per grid point (default 1)")
    ap.add_argument("--days", type=float, default=None, help="simulated days (default: the scenario's)")
    ap.add_argument("--workers", type=int, default=None, help="local worker processes (default: CPU cores)")
    ap.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                    "(default: local processes)")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for the Dask scheduler (default 5)")
    ap.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")
    ap.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")


def main(args) -> int:
    from engine import InputError
    from analysis.outcomes import OUTCOMES, format_outcome
    from studies.sweep import run_sweep

    from .common import ProgressBar

    if args.workers is not None and args.workers < 1:
        raise InputError("must be at least 1", field="--workers", expected=">= 1", found=args.workers)
    if args.days is not None and not args.days > 0:
        raise InputError("must be a positive number of days", field="--days", expected="> 0", found=args.days)
    bar = ProgressBar("sweep", 1000, enabled=True if args.progress else None)
    res = run_sweep(args.scenario, args.param, args.outcome, seeds=args.seeds, days=args.days,
                    scheduler=args.scheduler, workers=args.workers, connect_timeout=args.timeout,
                    progress=lambda p: bar(int(round(1000 * p.fraction)), 1000))
    paths = res.write(args.out)
    names = [a.name for a in res.axes]
    print("  ".join(f"{n:>14}" for n in names) + f"  {OUTCOMES[res.outcome].label} [{res.outcome_unit}]")
    for p in res.points:
        iv = p.outcome
        vals = "  ".join(f"{p.values[n]:>14.6g}" for n in names)
        cell = format_outcome(iv.mean, res.outcome, res.platelet_unit)
        if iv.n >= 2:
            cell += f"  (95% CI {iv.lo:.4g} to {iv.hi:.4g}, n={iv.n})"
        if iv.n_missing:
            cell += f"  [undefined in {iv.n_missing}]"
        print(f"{vals}  {cell}")
    for f in res.failures:
        sys.stderr.write(f"nichelab sweep: {f.describe()}\n")
    sys.stderr.write(f"{len(res.points)} points x {len(res.seeds)} seed(s) in {res.wall_seconds:.1f} s on "
                     f"{res.backend}; wrote {', '.join(str(p) for p in paths.values())}\n")
    return 1 if res.failures else 0
