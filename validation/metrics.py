"""Outcome measures a claim check can ask for, on one recorded time series.

Each function takes the sample times ``t`` (days) and values ``x`` of one observable and returns a
:class:`Measure`. The event measures (recovery, engraftment) use the one definition in
:mod:`analysis.outcomes`: a course that never falls below the level has no day (``value`` None,
status ``"never_below"``, counted apart and never averaged in); one that is not back by the end of
the window gets the window's end as a lower bound (``censored``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from analysis import outcomes as O


@dataclass(frozen=True)
class Measure:
    value: float | None
    censored: bool = False
    note: str = ""
    status: str = "reached"      # reached | never_below | not_reached (event measures)


def mean(t, x, window, **_):
    """Mean over the samples in the window."""
    return Measure(float(O.window(t, x, window)[1].mean()))


def minimum(t, x, window, **_):
    """Lowest value in the window."""
    return Measure(float(O.window(t, x, window)[1].min()))


def maximum(t, x, window, **_):
    """Highest value in the window."""
    return Measure(float(O.window(t, x, window)[1].max()))


def at(t, x, day, **_):
    """Value at the sample nearest to ``day``."""
    i = int(np.argmin(np.abs(np.asarray(t, float) - day)))
    return Measure(float(np.asarray(x, float)[i]))


def change(t, x, window, **_):
    """Value at the sample nearest the window's last day minus that nearest its first day (a course
    that rises over the window has a positive change)."""
    t = np.asarray(t, float)
    x = np.asarray(x, float)
    return Measure(float(x[int(np.argmin(np.abs(t - window[1])))] - x[int(np.argmin(np.abs(t - window[0])))]))


def max_abs_dev(t, x, window, level=1.0, **_):
    """Largest distance from ``level`` in the window."""
    return Measure(float(np.max(np.abs(O.window(t, x, window)[1] - level))))


def area_below(t, x, window, level=1.0, **_):
    """Area between ``level`` and the curve where the curve is below it (value x days)."""
    return Measure(O.area_below(t, x, level, window))


def nadir_depth(t, x, window, level=1.0, **_):
    """How far the lowest point of the window lies below ``level`` (0 if never below)."""
    return Measure(float(max(0.0, level - O.window(t, x, window)[1].min())))


def nadir_day(t, x, window, origin_day=0.0, **_):
    """Day of the lowest value in the window, counted from ``origin_day``."""
    return Measure(O.nadir(t, x, window)[1] - origin_day)


def peak_day(t, x, window, origin_day=0.0, **_):
    """Day of the highest value in the window (the first, if several are equal), counted from
    ``origin_day``."""
    tw, xw = O.window(t, x, window)
    return Measure(float(tw[int(np.argmax(xw))]) - origin_day)


def _event(ev: O.EventDay, origin_day: float) -> Measure:
    if ev.status == "reached":
        return Measure(float(ev.day))
    if ev.status == "never_below":
        return Measure(None, note=ev.note(), status="never_below")
    return Measure(float(ev.end_day - origin_day), censored=True, note=ev.note(), status="not_reached")


def recovery_day(t, x, window, level, origin_day=0.0, **_):
    """First sample back at >= ``level`` after the nadir, counted from ``origin_day``."""
    return _event(O.recovery(t, x, level, origin_day=origin_day, win=window), origin_day)


def engraftment_day(t, x, window, level, consecutive=3, origin_day=0.0, **_):
    """First of ``consecutive`` daily values >= ``level`` after the nadir, counted from ``origin_day``."""
    return _event(O.engraftment(t, x, level, consecutive=consecutive, origin_day=origin_day, win=window),
                  origin_day)


def rise_days(t, x, window, level, level_to, consecutive=3, origin_day=0.0, **_):
    """Days from engraftment at ``level`` to engraftment at the higher ``level_to`` (each: the first
    of ``consecutive`` daily values at or above it after the nadir): how fast the count climbs once
    it has come back. A course that never falls below ``level`` has no value (``never_below``), nor
    one that never gets back to it (``not_reached``); one back to ``level`` but not to ``level_to``
    by the window's end gets that end as a lower bound (``censored``)."""
    a = O.engraftment(t, x, level, consecutive=consecutive, origin_day=origin_day, win=window)
    if a.status != "reached":
        return Measure(None, note=a.note(), status=a.status)
    b = O.engraftment(t, x, level_to, consecutive=consecutive, origin_day=origin_day, win=window)
    if b.status == "reached":
        return Measure(float(b.day - a.day))
    return Measure(float(b.end_day - origin_day - a.day), censored=True, note=b.note(), status="not_reached")


def half_life(t, x, day, hours=6.0, **_):
    """Half-life (hours) of the decay that starts at ``day``, from the values at ``day`` and ``hours``
    later (exponential decay assumed; inf if the value does not fall)."""
    hl = O.half_life(t, x, day, hours)
    return Measure(hl * 24.0 if math.isfinite(hl) else math.inf)


#: metric name -> (function, the keys it needs besides the column)
METRICS = {
    "mean": (mean, ("window",)),
    "min": (minimum, ("window",)),
    "max": (maximum, ("window",)),
    "at": (at, ("day",)),
    "change": (change, ("window",)),
    "max_abs_dev": (max_abs_dev, ("window", "level")),
    "area_below": (area_below, ("window", "level")),
    "nadir_depth": (nadir_depth, ("window", "level")),
    "nadir_day": (nadir_day, ("window",)),
    "peak_day": (peak_day, ("window",)),
    "recovery_day": (recovery_day, ("window", "level")),
    "engraftment_day": (engraftment_day, ("window", "level")),
    "rise_days": (rise_days, ("window", "level", "level_to")),
    "half_life": (half_life, ("day",)),
}
EVENT_METRICS = ("recovery_day", "engraftment_day", "rise_days")

DESCRIPTIONS = {
    "mean": "mean of {col} over days {w}",
    "min": "lowest {col} in days {w}",
    "max": "highest {col} in days {w}",
    "at": "{col} at day {day:g}",
    "change": "{col} on day {w1} minus on day {w0}",
    "max_abs_dev": "largest |{col} - {level:g}| in days {w}",
    "area_below": "area of {col} below {level:g} over days {w} (value x days)",
    "nadir_depth": "depth of the {col} nadir below {level:g} in days {w}",
    "nadir_day": "day of the lowest {col} in days {w}{origin}",
    "peak_day": "day of the highest {col} in days {w}{origin}",
    "recovery_day": "day {col} is back to {level:g} after its nadir (days {w}{origin})",
    "engraftment_day": "engraftment day: first of {consecutive} daily {col} >= {level:g} after the nadir "
                       "(days {w}{origin})",
    "rise_days": "days from engraftment at {level:g} to engraftment at {level_to:g} (each the first of "
                 "{consecutive} daily {col} at or above it after the nadir; days {w}{origin})",
    "half_life": "half-life of {col} from day {day:g} (hours)",
}


def compute(metric: str, t, x, **kw) -> Measure:
    fn, _ = METRICS[metric]
    return fn(np.asarray(t, float), np.asarray(x, float), **kw)


def describe(metric: str, column: str, window=None, day=None, level=None, consecutive=3, origin_day=0.0,
             level_to=None) -> str:
    w = f"{window[0]:g}-{window[1]:g}" if window else ""
    w0, w1 = (f"{window[0]:g}", f"{window[1]:g}") if window else ("", "")
    origin = f", counted from day {origin_day:g}" if origin_day else ""
    return DESCRIPTIONS[metric].format(col=column, w=w, w0=w0, w1=w1, day=day or 0.0,
                                       level=level if level is not None else 1.0, consecutive=consecutive,
                                       origin=origin, level_to=level_to if level_to is not None else 0.0)
