"""`calibrate`: recompute the tile-to-body scale constants from a WT run."""
from __future__ import annotations

NAME = "calibrate"
HELP = ("Recompute platelet_output_scale and mk_baseline_per_mm3 so the WT steady state sits at the "
        "baseline platelet count (prints values to put into resources/parameters.toml).")


def add_arguments(ap):
    from .common import count_value, days_value

    ap.add_argument("--species", choices=["mouse", "human"], default="mouse")
    ap.add_argument("--days", type=days_value, default=24.0)
    ap.add_argument("--rounds", type=count_value(20), default=3)


def main(args) -> int:
    from engine.calibration import calibrate

    result = calibrate(args.species, days=args.days, seeds=(1, 2), rounds=args.rounds)
    for k, v in result.items():
        print(f"{k} = {v}  ({args.species})")
    return 0
