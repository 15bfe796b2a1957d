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


def _ensure_streams() -> None:
    """Give a windowed build (no console: sys.stdout/stderr are None) harmless streams."""
    import os

    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115 - lives with the process


def _can_show_dialog() -> bool:
    import os

    if sys.platform.startswith(("linux", "freebsd")):
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                    or os.environ.get("QT_QPA_PLATFORM"))
    return True


def _show_startup_error(exc: BaseException, dialog: bool = True) -> None:
    """Log a GUI startup failure and show it in a dialog (a windowed build has no console)."""
    import traceback

    from engine.runtime import log_file

    details = "".join(traceback.format_exception(exc))
    logging.getLogger("nichelab").error("the GUI failed to start:\n%s", details)
    try:
        where = str(log_file())
    except OSError:
        where = "(no log file)"
    print(f"nichelab: the graphical interface failed: {exc}\n(details in {where})", file=sys.stderr)
    if not (dialog and _can_show_dialog()):
        return
    try:
        from PySide6.QtWidgets import QApplication, QMessageBox

        app = QApplication.instance() or QApplication(sys.argv[:1])  # noqa: F841 - needed by the box
        box = QMessageBox()
        box.setIcon(QMessageBox.Critical)
        box.setWindowTitle("NicheLab could not start")
        box.setText("NicheLab could not start.")
        box.setInformativeText(f"{type(exc).__name__}: {exc}\n\nThe details are saved in the log file:\n{where}")
        box.setDetailedText(details)
        box.exec()
    except Exception:  # noqa: BLE001 - no display, no Qt: the log file and stderr already have it
        logging.getLogger("nichelab").exception("could not show the startup error dialog")


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _ensure_streams()
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
        _show_startup_error(exc, dialog=not args.screenshot)
        return 1
    try:
        return int(run_gui(args) or 0)
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - startup errors must reach the log and a dialog
        if isinstance(exc, KeyboardInterrupt):
            return 130
        _show_startup_error(exc, dialog=not args.screenshot)  # no modal box in unattended runs
        return 1


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # worker processes of a frozen (PyInstaller) build start here
    sys.exit(main())
