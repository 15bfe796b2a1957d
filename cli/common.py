"""Helpers shared by the headless subcommands: the argument parser, the argument blocks several
subcommands share (argparse parent parsers), checked argument types, output writing, a progress bar.

    ap = CliParser(prog="nichelab run", parents=[scenario_parent(), days_parent(), seed_parent(),
                                                 outputs_parent(), progress_parent(), quiet_parent()])

A subcommand module lists the blocks it uses in ``parents()``; main.py builds its parser from them
and adds the module's own arguments (``add_arguments``).

Every argument error is one line on standard error and exit status 2 (never a usage block
with a traceback); numbers are checked for range and finiteness as they are parsed, output
paths (:func:`check_outputs`) before any work starts.
"""
from __future__ import annotations

import argparse
import math
import sys

from engine.errors import InputError, one_line, shorten
from engine.scenario import MAX_DAYS, SEED_MAX

#: most local worker processes, Dask wait (s), seeds of one study
MAX_WORKERS = 1024
MAX_TIMEOUT_S = 3600.0
MAX_SEEDS = 1000


class CliParser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (``prog: error: ...``) and exit status 2."""

    def error(self, message: str):  # noqa: D102 - argparse API
        self.exit(2, f"{self.prog}: error: {one_line(message, 400)} (see {self.prog} --help)\n")


def parent() -> argparse.ArgumentParser:
    """An empty parent parser (no -h of its own)."""
    return argparse.ArgumentParser(add_help=False)


# ------------------------------------------------------------------ argument types

def _number_text(text: str, what: str) -> str:
    text = text.strip()
    if len(text) > 40:
        raise argparse.ArgumentTypeError(f"not {what}: {shorten(text, 40)} (too long)")
    return text


def seed_value(text: str) -> int:
    """A random seed: an integer 0..SEED_MAX (the same range as scenario files and the window)."""
    text = _number_text(text, "a seed")
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {shorten(text)} (expected 0..{SEED_MAX})") from None
    if not 0 <= value <= SEED_MAX:
        raise argparse.ArgumentTypeError(f"seed out of range: {value} (expected 0..{SEED_MAX})")
    return value


def days_value(text: str) -> float:
    """Simulated days: a finite number in (0, MAX_DAYS]."""
    text = _number_text(text, "a number of days")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {shorten(text)}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_DAYS):
        raise argparse.ArgumentTypeError(f"days out of range: {shorten(text)} (expected a number > 0 and "
                                         f"<= {MAX_DAYS:g})")
    return value


def day_value(text: str) -> float:
    """A simulated day (e.g. how far to run before a screenshot): a finite number in [0, MAX_DAYS]."""
    text = _number_text(text, "a number of days")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {shorten(text)}") from None
    if not (math.isfinite(value) and 0 <= value <= MAX_DAYS):
        raise argparse.ArgumentTypeError(f"days out of range: {shorten(text)} (expected a number 0..{MAX_DAYS:g})")
    return value


def seconds_value(text: str) -> float:
    """A waiting time in seconds: a finite number in (0, MAX_TIMEOUT_S]."""
    text = _number_text(text, "a number of seconds")
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {shorten(text)}") from None
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT_S):
        raise argparse.ArgumentTypeError(f"seconds out of range: {shorten(text)} (expected a number > 0 and "
                                         f"<= {MAX_TIMEOUT_S:g})")
    return value


def count_value(maximum: int):
    """A type: a whole number 1..maximum."""
    def parse(text: str) -> int:
        text = _number_text(text, "a whole number")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a whole number: {shorten(text)}") from None
        if not 1 <= value <= maximum:
            raise argparse.ArgumentTypeError(f"out of range: {value} (expected 1..{maximum})")
        return value

    parse.__name__ = "count"
    return parse


workers_value = count_value(MAX_WORKERS)
seeds_value = count_value(MAX_SEEDS)


# ------------------------------------------------------------------ shared argument blocks (parents)

def scenario_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--scenario", required=True, help="built-in scenario id (see `scenarios`) or a .toml file")
    return ap


def days_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--days", type=days_value, default=None, help="simulated days (default: the scenario's)")
    return ap


def seed_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--seed", type=seed_value, default=None, help="random seed (default: the scenario's)")
    return ap


def workers_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--workers", type=workers_value, default=None,
                    help="local worker processes (default: CPU cores)")
    return ap


def dask_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler, e.g. tcp://10.0.0.5:8786 "
                    "(default: local processes)")
    ap.add_argument("--timeout", type=seconds_value, default=5.0,
                    help="seconds to wait for the Dask scheduler (default 5)")
    return ap


def outputs_parent(csv_help: str = "write the time series as CSV ('-' for standard output)",
                   json_help: str = "write the time series as JSON ('-' for standard output)"
                   ) -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--csv", metavar="FILE", help=csv_help)
    ap.add_argument("--json", metavar="FILE", help=json_help)
    return ap


def progress_parent() -> argparse.ArgumentParser:
    ap = parent()
    ap.add_argument("--progress", action="store_true", help="show a progress bar even when not on a terminal")
    return ap


def quiet_parent(help: str = "no summary on standard error") -> argparse.ArgumentParser:  # noqa: A002
    ap = parent()
    ap.add_argument("--quiet", action="store_true", help=help)
    return ap


# ------------------------------------------------------------------ outputs

def check_outputs(args, fields: dict[str, str], *, need_bytes: int = 0) -> None:
    """Check the output files named by ``fields`` (attribute -> option, e.g. {'csv': '--csv'})
    before any work: writable, not folders, '-' for standard output at most once."""
    from engine.files import check_output_file

    to_stdout = []
    for attr, option in fields.items():
        value = getattr(args, attr, None)
        if value is None:
            continue
        check_output_file(value, option, need_bytes=need_bytes)
        if value == "-":
            to_stdout.append(option)
    if len(to_stdout) > 1:
        raise InputError("only one output can go to standard output", field=to_stdout[1],
                         expected="a file path", found="-")


def write_output(path: str, text: str, field: str) -> None:
    """Write ``text`` to ``path`` ('-': standard output) atomically; failures as InputError."""
    from engine.files import atomic_write_text

    if path == "-":
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        atomic_write_text(path, text)
    except (OSError, UnicodeError) as exc:
        raise InputError(f"cannot write the file: {getattr(exc, 'strerror', None) or exc}", file=path,
                         field=field) from None


def series_bytes(days: float, sample_hours: float, columns: int = 40, per_value: int = 16) -> int:
    """About how many bytes a time series of ``days`` written as CSV or JSON takes."""
    rows = int(days * 24.0 / max(sample_hours, 1e-3)) + 2
    return rows * columns * per_value


# ------------------------------------------------------------------ progress

from analysis.progress import ProgressBar  # noqa: E402,F401  (the bar of every subcommand lives there)
