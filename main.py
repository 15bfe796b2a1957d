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
    """Subcommand modules in cli/: each defines NAME, HELP, add_arguments(parser), main(args), and
    optionally parents() (the shared argument blocks of cli/common.py it uses)."""
    import cli

    mods = {}
    for info in sorted(pkgutil.iter_modules(cli.__path__), key=lambda m: m.name):
        if info.name.startswith("_") or info.name == "common":
            continue
        mod = importlib.import_module(f"cli.{info.name}")
        if hasattr(mod, "NAME") and hasattr(mod, "main"):
            mods[mod.NAME] = mod
    return mods


def _gui_parser() -> argparse.ArgumentParser:
    from cli.common import CliParser, day_value, seed_parent

    ap = CliParser(prog="nichelab", parents=[seed_parent()],
                   description="NicheLab desktop app. Headless subcommands: "
                   "run, scenarios, params, validate, bench, ... (python main.py SUBCOMMAND --help)")
    ap.add_argument("--scenario", default=DEFAULT_SCENARIO, help="built-in scenario id or a scenario .toml file")
    ap.add_argument("--screenshot", metavar="PNG", help="advance the scenario, save a window screenshot, exit")
    ap.add_argument("--days", type=day_value, default=5.0, help="days to advance before --screenshot (default 5)")
    ap.add_argument("--session", metavar="FILE", help="open a saved session/workspace file")
    return ap


def _parse(ap: argparse.ArgumentParser, argv: list[str]):
    """(args, None), or (None, exit status) when argparse exits (--help: 0, an error: 2)."""
    try:
        return ap.parse_args(argv), None
    except SystemExit as exc:
        code = exc.code
        return None, (code if isinstance(code, int) else (0 if code is None else 2))


def _run_subcommand(name: str, argv: list[str]) -> int:
    """Parse and run one headless subcommand. Bad input: one line on stderr, exit status 2; any other
    failure: one line (the details go to the log file), exit status 1. Never a traceback."""
    from cli.common import CliParser
    from engine.errors import InputError, one_line

    mods = _cli_modules()
    if name not in mods:
        print(f"nichelab: unknown subcommand '{one_line(name, 80)}' (expected one of: {', '.join(mods)})",
              file=sys.stderr)
        return 2
    mod = mods[name]
    parents = mod.parents() if hasattr(mod, "parents") else []
    ap = CliParser(prog=f"nichelab {name}", description=mod.HELP, parents=parents)
    mod.add_arguments(ap)
    args, code = _parse(ap, argv)
    if args is None:
        return code
    try:
        return int(mod.main(args) or 0)
    except InputError as exc:
        print(f"nichelab {name}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:          # e.g. `nichelab run --csv - | head`: the reader left
        _silence_stdout()
        return 1
    except MemoryError:
        print(f"nichelab {name}: error: out of memory (try a smaller scenario or fewer workers)", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: one line for the user, the traceback in the log
        where = _log_exception(f"nichelab {name} failed", exc)
        print(f"nichelab {name}: internal error: {type(exc).__name__}: {one_line(str(exc), 300)} "
              f"(details in {where})", file=sys.stderr)
        return 1


def _silence_stdout() -> None:
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):
        pass


def _log_exception(what: str, exc: BaseException) -> str:
    """Write the traceback to the log file only (never to the terminal); returns where it went."""
    logger = logging.getLogger("nichelab")
    record = logger.makeRecord(logger.name, logging.ERROR, __file__, 0, "%s", (what,),
                               (type(exc), exc, exc.__traceback__))
    for handler in logger.handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)
    try:
        from engine.runtime import log_file

        return str(log_file())
    except Exception:  # noqa: BLE001 - no log file: say so
        return "the log (not available)"


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
    _remove_orphan_temps()
    if argv and not argv[0].startswith("-"):
        return _run_subcommand(argv[0], argv[1:])
    args, code = _parse(_gui_parser(), argv)
    if args is None:
        return code
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


def _remove_orphan_temps() -> None:
    """Temporary files of writes a killed NicheLab left in its own data folders (autosaves)."""
    try:
        from engine.files import remove_orphan_temps
        from engine.runtime import user_dir
        from studies.session import autosave_dir

        for folder in (user_dir("data"), autosave_dir()):
            remove_orphan_temps(folder)
    except Exception:  # noqa: BLE001 - housekeeping must never stop a start
        logging.getLogger("nichelab").debug("orphan clean-up skipped", exc_info=True)


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # worker processes of a frozen (PyInstaller) build start here
    sys.exit(main())
