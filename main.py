#!/usr/bin/env python3
"""NicheLab entry point.

    python main.py                      open the app on the default scenario
    python main.py --scenario NAME      open the app on a built-in scenario or a file
    python main.py --screenshot out.png [--scenario NAME] [--days N]
                                        open, advance, save a window screenshot, exit
    python main.py run|scenarios|params|validate|bench|sweep|... --help
                                        headless subcommands (see each --help)
"""
from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_SCENARIO = "wt_steady_state"


def _cli_modules():
    """Subcommand modules in cli/: each defines NAME, HELP, add_arguments(parser), main(args)."""
    import cli

    mods = {}
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"cli.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "main"):
            mods[mod.NAME] = mod
    return mods


def _gui_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="nichelab", description="NicheLab desktop app. Headless subcommands: "
                                 "run, scenarios, params, validate, bench, ... (python main.py SUBCOMMAND --help)")
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO, help="built-in scenario id or a scenario .toml file")
    ap.add_argument("--seed", type=int, default=None, help="random seed (default: the scenario's)")
    ap.add_argument("--screenshot", metavar="PNG", help="advance the scenario, save a window screenshot, exit")
    ap.add_argument("--days", type=float, default=5.0, help="days to advance before --screenshot (default 5)")
    ap.add_argument("--session", metavar="FILE", help="open a saved session/workspace file")
    return ap


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    from engine.runtime import setup_logging

    setup_logging()
    if argv and not argv[0].startswith("-"):
        from engine.errors import InputError

        mods = _cli_modules()
        name = argv[0]
        if name not in mods:
            print(f"nichelab: unknown subcommand '{name}' (expected one of: {', '.join(mods)})",
                  file=sys.stderr)
            return 2
        mod = mods[name]
        ap = argparse.ArgumentParser(prog=f"nichelab {name}", description=mod.HELP)
        mod.add_arguments(ap)
        args = ap.parse_args(argv[1:])
        try:
            return int(mod.main(args) or 0)
        except InputError as exc:
            print(f"nichelab {name}: error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
    args = _gui_parser().parse_args(argv)
    try:
        from gui.app import run_gui
    except ImportError as exc:  # missing Qt libraries and the like
        logging.getLogger("nichelab").exception("cannot start the GUI")
        print(f"nichelab: cannot start the graphical interface: {exc}", file=sys.stderr)
        return 1
    return int(run_gui(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
