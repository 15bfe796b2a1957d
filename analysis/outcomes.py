"""Outcome measures of a run: nadir, recovery, engraftment, chimerism. The one definition of each,
used by ``main.py validate``, the GUI's comparison and ensemble tables, and the studies.

    from analysis.outcomes import compute_outcomes, engraftment, recovery
    out = compute_outcomes(run, origin_day=1.0)        # Observables, RunRecord or {column: array}
    out.engraftment_day, out.engraftment_status        # e.g. 15.0, "reached"
    ev = engraftment(day, platelets, threshold=20.0, origin_day=1.0)

Definitions:

* **nadir**: the lowest value (and the first day it occurs) in the window.
* **engraftment** (platelets, CIBMTR-style): the first of ``consecutive`` (3) consecutive daily
  values >= threshold after the nadir, in days counted from ``origin_day`` (the transplant).
  Daily values are the series at whole days (linear interpolation between samples).
  Threshold 20 x10^9/L for the human preset (the clinical definition), 50% of baseline for mice.
* **neutrophil engraftment**: the same rule on the absolute neutrophil count (column ``anc``) with
  the clinical threshold 0.5 x10^9/L (both species; the mouse count in 10^3/uL is the same number).
* **recovery**: the first sample after the nadir back at >= ``level`` (80% of baseline by
  default), in days counted from ``origin_day``.

A course that never falls below the threshold has *no* engraftment or recovery day: its status is
``"never_below"``, and it is reported as a separate count, never averaged in as day 0. A course
that does not come back by the end of the window has status ``"not_reached"`` (censored at the
window's end). Only ``"reached"`` events carry a day.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Literal, Mapping

import numpy as np

HUMAN_PLATELET_UNIT = "10^9/L"
MOUSE_PLATELET_UNIT = "10^3/uL"
HUMAN_ENGRAFTMENT_THRESHOLD = 20.0   # x10^9/L, first of 3 consecutive days (CIBMTR)
MOUSE_ENGRAFTMENT_FRACTION = 0.5     # of baseline
RECOVERY_FRACTION = 0.8              # of baseline
CONSECUTIVE_DAYS = 3
NEUTROPHIL_ENGRAFTMENT_THRESHOLD = 0.5   # x10^9/L ANC, first of 3 consecutive days

Status = Literal["reached", "never_below", "not_reached"]
STATUS_TEXT = {"reached": "reached", "never_below": "never below the threshold",
               "not_reached": "not reached"}


@dataclass(frozen=True)
class EventDay:
    """When a course gets back above a threshold: ``day`` (from the origin) only if reached."""

    day: float | None
    status: Status
    threshold: float
    end_day: float          # the last day searched, in the run's day axis

    @property
    def reached(self) -> bool:
        return self.status == "reached"

    def note(self) -> str:
        if self.status == "never_below":
            return f"never below {self.threshold:g}"
        if self.status == "not_reached":
            return f"not back to {self.threshold:g} by day {self.end_day:g}"
        return ""


# ------------------------------------------------------------------ primitives

def window(day, y, win: tuple[float, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The samples inside ``win`` = (first day, last day), both included; all samples if None."""
    day, y = np.asarray(day, float), np.asarray(y, float)
    if day.shape != y.shape or day.size == 0:
        raise ValueError("need non-empty day and value series of equal length")
    if win is None:
        return day, y
    a, b = win
    m = (day >= a - 1e-9) & (day <= b + 1e-9)
    if not m.any():
        raise ValueError(f"no samples in days {a:g}-{b:g}")
    return day[m], y[m]


def daily_values(day, y) -> tuple[np.ndarray, np.ndarray]:
    """Values at whole days from the first to the last sample (linear interpolation)."""
    day, y = np.asarray(day, float), np.asarray(y, float)
    if day.size == 0:
        return np.zeros(0), np.zeros(0)
    days = np.arange(math.ceil(day[0] - 1e-9), math.floor(day[-1] + 1e-9) + 1, dtype=float)
    return days, np.interp(days, day, y)


def nadir(day, y, win: tuple[float, float] | None = None) -> tuple[float, float]:
    """(lowest value, first day it occurs)."""
    d, v = window(day, y, win)
    i = int(np.nanargmin(v))
    return float(v[i]), float(d[i])


def first_sustained_day(days, values, threshold: float, consecutive: int = CONSECUTIVE_DAYS,
                        start: int = 0) -> float | None:
    """The first day of ``consecutive`` consecutive values >= threshold at or after index ``start``."""
    run = 0
    for i in range(int(start), len(values)):
        run = run + 1 if values[i] >= threshold else 0
        if run >= consecutive:
            return float(days[i - consecutive + 1])
    return None


def _after_nadir(days: np.ndarray, vals: np.ndarray, threshold: float, consecutive: int,
                 origin_day: float) -> EventDay:
    end = float(days[-1])
    if vals.size == 0 or float(np.nanmin(vals)) >= threshold:
        return EventDay(None, "never_below", threshold, end)
    i0 = int(np.nanargmin(vals))
    hit = first_sustained_day(days, vals, threshold, consecutive, start=i0)
    if hit is None:
        return EventDay(None, "not_reached", threshold, end)
    return EventDay(hit - origin_day, "reached", threshold, end)


def engraftment(day, y, threshold: float, *, consecutive: int = CONSECUTIVE_DAYS, origin_day: float = 0.0,
                win: tuple[float, float] | None = None) -> EventDay:
    """Platelet engraftment: first of ``consecutive`` daily values >= threshold after the nadir,
    counted from ``origin_day``; the search covers days >= origin_day (and the window)."""
    d, v = window(day, y, win)
    days, vals = daily_values(d, v)
    keep = days >= origin_day - 1e-9
    if not keep.any():
        raise ValueError(f"no whole days after the origin (day {origin_day:g})")
    return _after_nadir(days[keep], vals[keep], threshold, consecutive, origin_day)


def recovery(day, y, level: float, *, origin_day: float = 0.0,
             win: tuple[float, float] | None = None) -> EventDay:
    """First sample after the nadir back at >= ``level``, counted from ``origin_day``."""
    d, v = window(day, y, win)
    return _after_nadir(d, v, level, 1, origin_day)


def area_below(day, y, level: float, win: tuple[float, float] | None = None) -> float:
    """Area between ``level`` and the curve where it is below (value x days), trapezoid rule."""
    d, v = window(day, y, win)
    return trapezoid(np.maximum(0.0, level - v), d)


def half_life(day, y, start_day: float, win_hours: float = 24.0) -> float:
    """Half-life (days) of a decay that starts at ``start_day``: from the values at the start and
    ``win_hours`` later (assumes exponential decay; inf if it does not fall)."""
    d, v = np.asarray(day, float), np.asarray(y, float)
    a = float(np.interp(start_day, d, v))
    b = float(np.interp(start_day + win_hours / 24.0, d, v))
    if not (a > 0 and b > 0) or b >= a:
        return math.inf
    return (win_hours / 24.0) * math.log(2.0) / math.log(a / b)


def trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    y, x = np.asarray(y, float), np.asarray(x, float)
    if y.size < 2:
        return 0.0
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


def transplant_day(events) -> float:
    """Day of the first transplant among scenario events (0 when there is none)."""
    days = [float(e.start_day) for e in events or () if getattr(e, "kind", "") == "transplant"]
    return min(days) if days else 0.0


# ------------------------------------------------------------------ outcomes of a run

@dataclass(frozen=True)
class OutcomeInfo:
    label: str
    unit: str            # "platelet" means the run's platelet unit
    description: str
    higher_is_better: bool | None


#: every outcome a sweep or a comparison can ask for (name -> what it is)
OUTCOMES: dict[str, OutcomeInfo] = {
    "nadir": OutcomeInfo("platelet nadir", "platelet", "lowest platelet count of the run", True),
    "nadir_rel": OutcomeInfo("platelet nadir / baseline", "1", "nadir as a fraction of baseline", True),
    "nadir_day": OutcomeInfo("day of nadir", "d", "first day the lowest platelet count is reached", None),
    "days_to_recovery": OutcomeInfo("days to recovery", "d",
                                    "first day after the nadir with platelets >= 80% of baseline "
                                    "(undefined when they never fell below)", False),
    "area_below_baseline": OutcomeInfo("area below baseline", "platelet x d",
                                       "integral of the platelet deficit below baseline", False),
    "chimerism_d30": OutcomeInfo("donor chimerism day 30", "1", "donor share of HSPCs at day 30", True),
    "chimerism_d60": OutcomeInfo("donor chimerism day 60", "1", "donor share of HSPCs at day 60", True),
    "engraftment_day": OutcomeInfo("platelet engraftment day", "d",
                                   "first of 3 consecutive days with platelets >= threshold after the nadir, "
                                   "counted from the transplant (undefined when never below)", False),
    "neutrophil_engraftment_day": OutcomeInfo("neutrophil engraftment day", "d",
                                              "first of 3 consecutive days with ANC >= 0.5 x10^9/L after the "
                                              "nadir, counted from the transplant (undefined when never below)",
                                              False),
    "platelets_final": OutcomeInfo("platelets at end", "platelet", "platelet count at the last sample", True),
    "platelets_mean": OutcomeInfo("mean platelets", "platelet", "time-averaged platelet count", True),
    "platelets_final_rel": OutcomeInfo("platelets at end / baseline", "1",
                                       "final platelet count as a fraction of baseline", True),
    "mk_vessel_fraction_mean": OutcomeInfo("MKs at sinusoids (mean)", "1",
                                           "time-averaged share of megakaryocytes touching sinusoids", None),
    "chimerism_final": OutcomeInfo("donor chimerism at end", "1", "donor share of HSPCs at the last sample",
                                   True),
}

#: outcomes shown in a comparison table, in order
KEY_OUTCOMES = ("nadir", "nadir_day", "days_to_recovery", "area_below_baseline", "chimerism_d30",
                "chimerism_d60", "engraftment_day", "neutrophil_engraftment_day")
#: outcomes that are event days (with a status besides the value)
EVENT_OUTCOMES = {"days_to_recovery": "recovery_status", "engraftment_day": "engraftment_status",
                  "neutrophil_engraftment_day": "neutrophil_engraftment_status"}


@dataclass(frozen=True)
class Outcomes:
    species: str
    platelet_unit: str
    baseline: float
    engraftment_threshold: float
    origin_day: float
    days_run: float
    nadir: float
    nadir_rel: float
    nadir_day: float
    days_to_recovery: float | None
    recovery_status: str
    area_below_baseline: float
    chimerism_d30: float | None
    chimerism_d60: float | None
    engraftment_day: float | None
    engraftment_status: str
    neutrophil_engraftment_day: float | None
    neutrophil_engraftment_status: str      # 'undefined' when the run has no ANC series
    platelets_final: float
    platelets_mean: float
    platelets_final_rel: float
    mk_vessel_fraction_mean: float | None
    chimerism_final: float | None

    def get(self, name: str) -> float | None:
        if name not in OUTCOMES:
            raise KeyError(name)
        return getattr(self, name)

    def status(self, name: str) -> str:
        """'reached' / 'never_below' / 'not_reached' for event outcomes; 'reached' or 'undefined' else."""
        if name in EVENT_OUTCOMES:
            return getattr(self, EVENT_OUTCOMES[name])
        return "reached" if self.get(name) is not None else "undefined"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def unit_of(self, name: str) -> str:
        return OUTCOMES[name].unit.replace("platelet", self.platelet_unit)


def outcome_unit(name: str, platelet_unit: str) -> str:
    return OUTCOMES[name].unit.replace("platelet", platelet_unit)


def check_outcome_name(name: str, field: str = "outcome") -> str:
    from engine.errors import InputError

    if name not in OUTCOMES:
        raise InputError("unknown outcome", field=field, expected="one of " + ", ".join(OUTCOMES), found=name)
    return name


def _column(source: Any, name: str) -> np.ndarray | None:
    try:
        return np.asarray(source[name], dtype=float)
    except (KeyError, ValueError, IndexError):
        return None


def _units(source: Any) -> Mapping[str, str]:
    units = getattr(source, "units", None)
    return units if isinstance(units, Mapping) else {}


def species_of(source: Any, species: str | None = None) -> str:
    """'human' or 'mouse': explicit, else from metadata, else from the platelet unit."""
    if species is not None:
        if species not in ("mouse", "human"):
            raise ValueError(f"species must be 'mouse' or 'human', not {species!r}")
        return species
    meta = getattr(source, "metadata", None)
    if isinstance(meta, Mapping) and meta.get("species") in ("mouse", "human"):
        return str(meta["species"])
    return "human" if _units(source).get("platelets") == HUMAN_PLATELET_UNIT else "mouse"


def _value_at(day: np.ndarray, y: np.ndarray, at: float) -> float | None:
    if day.size == 0 or at > day[-1] + 1e-6 or at < day[0] - 1e-6:
        return None
    return float(np.interp(at, day, y))


def compute_outcomes(source: Any, *, species: str | None = None, baseline: str | float = "species",
                     recovery_fraction: float = RECOVERY_FRACTION,
                     engraftment_threshold: float | None = None, origin_day: float = 0.0) -> Outcomes:
    """Key outcomes of one run.

    ``source``: an ``engine`` Observables, a :class:`studies.runs.RunRecord`, or any mapping
    ``column -> array`` with at least ``day`` and ``platelets`` (``platelets_rel`` for the species
    baseline, ``donor_chimerism`` for chimerism). ``species``: default from metadata or unit.
    ``baseline``: 'species' (normal count), 'run' (day-0 count) or a number. ``origin_day``: the
    transplant day, from which engraftment and recovery days are counted.
    """
    day = _column(source, "day")
    plt = _column(source, "platelets")
    if day is None or plt is None or day.size == 0 or day.size != plt.size:
        raise ValueError("outcomes need non-empty 'day' and 'platelets' series of equal length")
    sp = species_of(source, species)
    unit = _units(source).get("platelets") or (HUMAN_PLATELET_UNIT if sp == "human" else MOUSE_PLATELET_UNIT)
    if isinstance(baseline, str):
        if baseline == "species":
            rel = _column(source, "platelets_rel")
            ok = None if rel is None else np.flatnonzero((rel > 0) & np.isfinite(rel) & np.isfinite(plt))
            if ok is None or ok.size == 0:
                raise ValueError("baseline='species' needs a 'platelets_rel' series")
            base = float(plt[ok[0]] / rel[ok[0]])
        elif baseline == "run":
            base = float(plt[0])
        else:
            raise ValueError(f"baseline must be 'species', 'run' or a number, not {baseline!r}")
    else:
        base = float(baseline)
    if not (base > 0 and math.isfinite(base)):
        raise ValueError(f"baseline must be a positive number, found {base!r}")

    low, low_day = nadir(day, plt)
    rec = recovery(day, plt, recovery_fraction * base, origin_day=origin_day)
    area = trapezoid(np.clip(base - plt, 0.0, None), day)
    if engraftment_threshold is None:
        engraftment_threshold = (HUMAN_ENGRAFTMENT_THRESHOLD if sp == "human"
                                 else MOUSE_ENGRAFTMENT_FRACTION * base)
    eng = _engraftment_or_not_reached(day, plt, float(engraftment_threshold), origin_day)
    anc = _column(source, "anc")
    if anc is not None and anc.size == day.size:
        n_eng = _engraftment_or_not_reached(day, anc, NEUTROPHIL_ENGRAFTMENT_THRESHOLD, origin_day)
        n_day, n_status = n_eng.day, n_eng.status
    else:
        n_day, n_status = None, "undefined"
    chim = _column(source, "donor_chimerism")
    if chim is not None and chim.size == day.size:
        c30, c60 = _value_at(day, chim, 30.0), _value_at(day, chim, 60.0)
        c_final = float(chim[-1])
    else:
        c30 = c60 = c_final = None
    mkv = _column(source, "mk_vessel_fraction")
    span = float(day[-1] - day[0])
    if mkv is not None and mkv.size == day.size:
        mkv_mean = trapezoid(mkv, day) / span if span > 0 else float(mkv[0])
    else:
        mkv_mean = None
    plt_mean = trapezoid(plt, day) / span if span > 0 else float(plt[0])
    return Outcomes(species=sp, platelet_unit=unit, baseline=base,
                    engraftment_threshold=float(engraftment_threshold), origin_day=float(origin_day),
                    days_run=float(day[-1]), nadir=low, nadir_rel=low / base, nadir_day=low_day,
                    days_to_recovery=rec.day, recovery_status=rec.status, area_below_baseline=area,
                    chimerism_d30=c30, chimerism_d60=c60, engraftment_day=eng.day,
                    engraftment_status=eng.status, neutrophil_engraftment_day=n_day,
                    neutrophil_engraftment_status=n_status, platelets_final=float(plt[-1]),
                    platelets_mean=float(plt_mean), platelets_final_rel=float(plt[-1]) / base,
                    mk_vessel_fraction_mean=mkv_mean, chimerism_final=c_final)


def _engraftment_or_not_reached(day, y, threshold: float, origin_day: float) -> EventDay:
    """:func:`engraftment`, or 'not reached' when the run ends before the origin (the transplant)."""
    try:
        return engraftment(day, y, threshold, origin_day=origin_day)
    except ValueError:
        return EventDay(None, "not_reached", threshold, float(day[-1]))


def format_outcome(value: float | None, name: str, platelet_unit: str = "", status: str | None = None) -> str:
    """Human-readable value for tables ('never below' / 'not reached' for undefined event days)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        if name in EVENT_OUTCOMES and status != "undefined":
            return "never below" if status == "never_below" else "not reached"
        return "n/a"
    unit = OUTCOMES[name].unit if name in OUTCOMES else ""
    if unit == "1":
        return f"{100 * value:.0f}%"
    if unit == "d":
        return f"day {value:.1f}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
