"""Outcome measures computed on one recorded time series.

Every function takes the sample times ``t`` (days) and values ``x`` of one
observable and returns a :class:`Measure`: a number, plus a note and a
``censored`` flag when the event it looks for did not happen inside the window
(then the value is the window's end, i.e. "later than this").
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Measure:
    value: float
    censored: bool = False
    note: str = ""


def _window(t: np.ndarray, x: np.ndarray, window: tuple[float, float]):
    a, b = window
    m = (t >= a - 1e-9) & (t <= b + 1e-9)
    if not m.any():
        raise ValueError(f"no samples in days {a:g}-{b:g}")
    return t[m], x[m]


def mean(t, x, window, **_):
    """Mean over the samples in the window."""
    return Measure(float(_window(t, x, window)[1].mean()))


def minimum(t, x, window, **_):
    """Lowest value in the window."""
    return Measure(float(_window(t, x, window)[1].min()))


def maximum(t, x, window, **_):
    """Highest value in the window."""
    return Measure(float(_window(t, x, window)[1].max()))


def at(t, x, day, **_):
    """Value at the sample nearest to ``day``."""
    i = int(np.argmin(np.abs(t - day)))
    return Measure(float(x[i]))


def max_abs_dev(t, x, window, level=1.0, **_):
    """Largest distance from ``level`` in the window."""
    return Measure(float(np.max(np.abs(_window(t, x, window)[1] - level))))


def area_below(t, x, window, level=1.0, **_):
    """Area between ``level`` and the curve where the curve is below it (value x days), trapezoid rule."""
    tw, xw = _window(t, x, window)
    gap = np.maximum(0.0, level - xw)
    if tw.size < 2:
        return Measure(0.0)
    return Measure(float(np.sum(0.5 * (gap[1:] + gap[:-1]) * np.diff(tw))))


def nadir_depth(t, x, window, level=1.0, **_):
    """How far the lowest point of the window lies below ``level`` (0 if never below)."""
    return Measure(float(max(0.0, level - _window(t, x, window)[1].min())))


def recovery_day(t, x, window, level, origin_day=0.0, **_):
    """Day (minus ``origin_day``) the curve is back at or above ``level`` after first falling below it.

    Never below the level in the window: the window's start (nothing to recover).
    Not back by the window's end: the window's end, censored.
    """
    tw, xw = _window(t, x, window)
    below = np.flatnonzero(xw < level)
    if below.size == 0:
        return Measure(float(tw[0] - origin_day), note=f"never below {level:g}")
    after = np.flatnonzero(xw[below[0]:] >= level)
    if after.size == 0:
        return Measure(float(tw[-1] - origin_day), censored=True,
                       note=f"not back to {level:g} by day {tw[-1]:g}")
    return Measure(float(tw[below[0] + after[0]] - origin_day))


def engraftment_day(t, x, window, level, consecutive=3, origin_day=0.0, **_):
    """Clinical platelet engraftment: the first of ``consecutive`` daily counts >= ``level``
    after the count has fallen below it; days counted from ``origin_day`` (the transplant).

    Daily counts are the samples at whole days. A count that never falls below the level is
    recorded as engrafted at the origin (day 0), as registries do ("never below", CIBMTR forms).
    Not engrafted by the window's end: the window's end, censored.
    """
    tw, xw = _window(t, x, window)
    whole = np.abs(tw - np.round(tw)) < 1e-6
    days, counts = np.round(tw[whole]), xw[whole]
    below = np.flatnonzero(counts < level)
    if below.size == 0:
        return Measure(0.0, note=f"count never fell below {level:g}: engrafted at day 0")
    ok = counts >= level
    for i in range(below[0] + 1, days.size - consecutive + 1):
        if ok[i:i + consecutive].all() and np.all(np.diff(days[i:i + consecutive]) == 1):
            return Measure(float(days[i] - origin_day))
    return Measure(float(days[-1] - origin_day), censored=True, note=f"not engrafted by day {days[-1]:g}")


#: metric name -> (function, the keys it needs besides the column)
METRICS = {
    "mean": (mean, ("window",)),
    "min": (minimum, ("window",)),
    "max": (maximum, ("window",)),
    "at": (at, ("day",)),
    "max_abs_dev": (max_abs_dev, ("window", "level")),
    "area_below": (area_below, ("window", "level")),
    "nadir_depth": (nadir_depth, ("window", "level")),
    "recovery_day": (recovery_day, ("window", "level")),
    "engraftment_day": (engraftment_day, ("window", "level")),
}

DESCRIPTIONS = {
    "mean": "mean of {col} over days {w}",
    "min": "lowest {col} in days {w}",
    "max": "highest {col} in days {w}",
    "at": "{col} at day {day:g}",
    "max_abs_dev": "largest |{col} - {level:g}| in days {w}",
    "area_below": "area of {col} below {level:g} over days {w} (value x days)",
    "nadir_depth": "depth of the {col} nadir below {level:g} in days {w}",
    "recovery_day": "day {col} is back to {level:g} after falling below it (days {w}{origin})",
    "engraftment_day": "engraftment day: first of {consecutive} daily {col} >= {level:g} after falling below "
                       "it (days {w}{origin})",
}


def compute(metric: str, t, x, **kw) -> Measure:
    fn, _ = METRICS[metric]
    return fn(np.asarray(t, float), np.asarray(x, float), **kw)


def describe(metric: str, column: str, window=None, day=None, level=None, consecutive=3, origin_day=0.0) -> str:
    w = f"{window[0]:g}-{window[1]:g}" if window else ""
    origin = f", counted from day {origin_day:g}" if origin_day else ""
    return DESCRIPTIONS[metric].format(col=column, w=w, day=day or 0.0, level=level if level is not None else 1.0,
                                       consecutive=consecutive, origin=origin)
