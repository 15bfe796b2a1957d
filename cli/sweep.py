"""`sweep`: vary one or two parameters over a range; table (CSV/JSON) and SVG plot of an outcome."""
from __future__ import annotations

import sys

NAME = "sweep"
HELP = ("Vary one or two model parameters over a range (NAME=lo:hi:n) and record an outcome per grid point; "
        "runs in parallel local processes, or on a Dask cluster with --scheduler. Writes sweep.csv, "
        "sweep.json and sweep.svg (line plot for one parameter, heat map for two) into --out.")


def parents():
    from .common import dask_parent, days_parent, progress_parent, scenario_parent, workers_parent

    return [scenario_parent(), days_parent(), workers_parent(), dask_parent(), progress_parent()]


def add_arguments(ap):
    from analysis.outcomes import OUTCOMES

    from .common import seeds_value

    ap.add_argument("--param", action="append", required=True, metavar="NAME=lo:hi:n",
                    help="parameter to vary (see `params`); give it once or twice")
    ap.add_argument("--outcome", default="nadir", help="outcome to record: " + ", ".join(OUTCOMES))
    ap.add_argument("--seeds", type=seeds_value, default=1, help="seeds per grid point (default 1)")
    ap.add_argument("--out", required=True, metavar="DIR", help="output folder (created if needed)")


def main(args) -> int:
    from engine import InputError, load_scenario
    from engine.files import check_output_dir
    from engine.scenario import SEED_MAX
    from analysis.outcomes import OUTCOMES, format_outcome
    from studies.sweep import run_sweep

    from .common import ProgressBar

    scn = load_scenario(args.scenario)
    if scn.seed + args.seeds - 1 > SEED_MAX:
        raise InputError("the seeds would run past the largest seed", field="--seeds",
                         expected=f"at most {SEED_MAX - scn.seed + 1} seeds from the scenario's seed {scn.seed}",
                         found=args.seeds)
    check_output_dir(args.out, "--out", need_bytes=1024 * 1024)
    bar = ProgressBar("sweep", 1000, enabled=True if args.progress else None)
    res = run_sweep(scn, args.param, args.outcome, seeds=args.seeds, days=args.days,
                    scheduler=args.scheduler, workers=args.workers, connect_timeout=args.timeout,
                    progress=lambda p: bar(int(round(1000 * p.fraction)), 1000))
    try:
        paths = res.write(args.out)
    except OSError as exc:
        raise InputError(f"cannot write the results: {exc.strerror or exc}", file=args.out, field="--out") from None
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
