"""`params`: list model parameters with units, defaults, ranges and sources."""
from __future__ import annotations

NAME = "params"
HELP = "List every model parameter with unit, default (mouse/human), range and source."


def add_arguments(ap):
    ap.add_argument("--group", help="only this group (e.g. tpo, megakaryocytes, sdf1)")
    ap.add_argument("--sources", action="store_true", help="also print each parameter's source")


def main(args) -> int:
    from engine import parameter_table

    table = parameter_table()
    rows = [p for p in table.values() if not args.group or p.group == args.group]
    rows.sort(key=lambda p: (p.group, p.name))
    w = max(len(p.name) for p in rows) if rows else 4
    print(f"{'parameter':<{w}}  {'group':<14} {'mouse':>10} {'human':>10}  {'range':<20} unit / meaning")
    for p in rows:
        human = f"{p.human:g}" if p.human is not None else "="
        rng = f"{p.min:g}..{p.max:g}"
        print(f"{p.name:<{w}}  {p.group:<14} {p.default:>10g} {human:>10}  {rng:<20} [{p.unit}] {p.description}")
        if args.sources:
            print(f"{'':<{w}}  source: {p.source}")
    return 0
