"""`calibrate`: fit the calibrated parameters to the data tables named in resources/calibration.toml."""
from __future__ import annotations

NAME = "calibrate"
HELP = ("Fit the calibrated parameters (resources/calibration.toml: parameter -> data table, series, "
        "method) from WT runs, and print the values and source texts to put into "
        "resources/parameters.toml. Only calibration tables are used; validate reports them apart.")


def add_arguments(ap):
    from .common import count_value, days_value

    ap.add_argument("--species", choices=["mouse", "human"], default="mouse")
    ap.add_argument("--days", type=days_value, default=24.0, help="length of each WT run (default 24)")
    ap.add_argument("--rounds", type=count_value(20), default=3, help="fixed-point rounds (default 3)")
    ap.add_argument("--seeds", type=count_value(100), default=2, help="WT runs per round, seeds 1..N (default 2)")
    ap.add_argument("--only", metavar="NAME", action="append", default=None,
                    help="fit only this calibrated parameter (repeatable); the others keep their values in "
                         "resources/parameters.toml")


def main(args) -> int:
    from engine import InputError

    from analysis.calibration import calibrate

    if args.rounds < 1:
        raise InputError("must be at least 1", field="--rounds", expected=">= 1", found=args.rounds)
    if args.seeds < 1:
        raise InputError("must be at least 1", field="--seeds", expected=">= 1", found=args.seeds)
    if not 1.0 <= args.days <= 365.0:
        raise InputError("out of range", field="--days", expected="1..365", found=args.days)
    entries = None
    if args.only:
        from analysis.calibration import load_calibration

        known = [e for e in load_calibration() if e.species == args.species]
        unknown = sorted(set(args.only) - {e.name for e in known})
        if unknown:
            raise InputError(f"not a calibrated {args.species} parameter", field="--only",
                             expected="a name in resources/calibration.toml", found=", ".join(unknown))
        entries = [e for e in known if e.name in args.only]
    fits = calibrate(args.species, days=args.days, seeds=tuple(range(1, args.seeds + 1)), rounds=args.rounds,
                     entries=entries)
    print(f"# calibrated values ({args.species}); put them into resources/parameters.toml "
          f"({'human' if args.species == 'human' else 'default'} = ...)")
    for f in fits:
        print(f"{f.name} = {f.value:g}")
        print(f"#   source = \"{f.source_text()}\"")
    return 0
