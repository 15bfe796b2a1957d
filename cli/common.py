"""Helpers shared by the headless subcommands."""
from __future__ import annotations

import sys
import time


class ProgressBar:
    """A one-line text progress bar on stderr (silent when stderr is not a terminal, unless forced)."""

    def __init__(self, label: str, total: int, enabled: bool | None = None, width: int = 30):
        self.label = label
        self.total = max(1, total)
        self.width = width
        self.enabled = sys.stderr is not None and (sys.stderr.isatty() if enabled is None else enabled)
        self.t0 = time.perf_counter()
        self._last = -1.0

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        total = total or self.total
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        frac = min(1.0, done / total)
        bar = "#" * int(frac * self.width)
        elapsed = now - self.t0
        eta = elapsed / frac - elapsed if frac > 0 else 0.0
        sys.stderr.write(f"\r{self.label} [{bar:<{self.width}}] {100 * frac:5.1f}%  "
                         f"{elapsed:5.1f}s elapsed, {eta:5.1f}s left ")
        if done >= total:
            sys.stderr.write("\n")
        sys.stderr.flush()
