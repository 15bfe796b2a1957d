"""A progress bar for the headless commands, on tqdm: ``bar(done, total)`` as work proceeds.

    bar = ProgressBar("validate", total=1000)     # silent unless stderr is a terminal (or enabled=True)
    bar(250); bar(1000)                           # closes itself when done >= total

A windowed build has no stderr (None): the bar is then silent.
"""
from __future__ import annotations

import sys


class ProgressBar:
    def __init__(self, label: str, total: int, enabled: bool | None = None):
        self.label = label
        self.total = max(1, int(total))
        stream = sys.stderr
        self.enabled = stream is not None and (_isatty(stream) if enabled is None else bool(enabled))
        self._bar = None
        self._done = 0

    def __call__(self, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        total = max(1, int(total or self.total))
        if self._bar is None:
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=self.label, file=sys.stderr, leave=True, mininterval=0.1,
                             bar_format="{desc} |{bar}| {percentage:3.0f}% [{elapsed}<{remaining}]")
        if total != self._bar.total:
            self._bar.total = total
        done = min(int(done), total)
        if done > self._done:
            self._bar.update(done - self._done)
            self._done = done
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
