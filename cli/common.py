"""Helpers shared by the headless subcommands."""
from __future__ import annotations

from analysis.progress import ProgressBar  # noqa: F401  (the bar of every subcommand lives there)
