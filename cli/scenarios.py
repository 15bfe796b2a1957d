"""`scenarios`: list the built-in scenarios."""
from __future__ import annotations

NAME = "scenarios"
HELP = "List the built-in scenarios (id, group, name, description)."


def add_arguments(ap):
    ap.add_argument("--group", help="only this group")


def main(args) -> int:
    from engine import builtin_scenarios, load_scenario

    rows = []
    for sid in builtin_scenarios():
        s = load_scenario(sid)
        if args.group and s.group != args.group:
            continue
        rows.append((sid, s.group, s.name, s.description))
    w = max((len(r[0]) for r in rows), default=2)
    g = max((len(r[1]) for r in rows), default=5)
    print(f"{'id':<{w}}  {'group':<{g}}  name")
    for sid, group, name, desc in rows:
        print(f"{sid:<{w}}  {group:<{g}}  {name}")
    return 0
