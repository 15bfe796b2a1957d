"""Key outcomes of one run, computed from its time series.

    from studies.outcomes import compute_outcomes
    out = compute_outcomes(sim.observables)          # or a RunRecord, or {column: array}
    out.nadir, out.nadir_day, out.days_to_recovery, out.chimerism_d30, out.engraftment_day

Definitions (all days are simulated days since day 0 of the run, the day the
scenario's treatments and transplants are normally scheduled from):

* **baseline**: the species' normal platelet count (``platelets / platelets_rel``;
  mouse 1,000 x10^3/uL, human 250 x10^9/L by default), or the run's own day-0
  count with ``baseline="run"``, or a number.
* **nadir / nadir_day**: the lowest platelet count and the first day it occurs.
* **days_to_recovery**: the first day after the nadir on which platelets are back
  at >= 80% of baseline. 0.0 when they never fell below 80%; None when they have
  not recovered by the end of the run.
* **area_below_baseline**: integral over the run of max(0, baseline - platelets)
  (trapezoid rule), in platelet unit x days: depth and duration of thrombocytopenia.
* **chimerism_d30 / chimerism_d60**: donor share of HSPCs at day 30 / 60 (linear
  interpolation between samples); None when the run is shorter.
* **engraftment_day**: platelet engraftment, the first of 3 consecutive days
  (daily values) with platelets >= threshold, searched from the first day below
  the threshold. Threshold 20 x10^9/L for human (the clinical CIBMTR definition),
  50% of baseline for mouse. 0.0 when platelets never fell below the threshold;
  None when engraftment has not happened by the end of the run.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any, Mapping

import numpy as np

HUMAN_PLATELET_UNIT = "10^9/L"
MOUSE_PLATELET_UNIT = "10^3/uL"
HUMAN_ENGRAFTMENT_THRESHOLD = 20.0   # x10^9/L, first of 3 consecutive days (CIBMTR)
MOUSE_ENGRAFTMENT_FRACTION = 0.5     # of baseline
RECOVERY_FRACTION = 0.8              # of baseline
CONSECUTIVE_DAYS = 3


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
                                    "first day after the nadir with platelets >= 80% of baseline", False),
    "area_below_baseline": OutcomeInfo("area below baseline", "platelet x d",
                                       "integral of the platelet deficit below baseline", False),
    "chimerism_d30": OutcomeInfo("donor chimerism day 30", "1", "donor share of HSPCs at day 30", True),
    "chimerism_d60": OutcomeInfo("donor chimerism day 60", "1", "donor share of HSPCs at day 60", True),
    "engraftment_day": OutcomeInfo("platelet engraftment day", "d",
                                   "first of 3 consecutive days with platelets >= threshold", False),
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
                "chimerism_d60", "engraftment_day")


@dataclass(frozen=True)
class Outcomes:
    species: str
    platelet_unit: str
    baseline: float
    engraftment_threshold: float
    days_run: float
    nadir: float
    nadir_rel: float
    nadir_day: float
    days_to_recovery: float | None
    area_below_baseline: float
    chimerism_d30: float | None
    chimerism_d60: float | None
    engraftment_day: float | None
    platelets_final: float
    platelets_mean: float
    platelets_final_rel: float
    mk_vessel_fraction_mean: float | None
    chimerism_final: float | None

    def get(self, name: str) -> float | None:
        if name not in OUTCOMES:
            raise KeyError(name)
        return getattr(self, name)

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


# ------------------------------------------------------------------ helpers

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


def daily_values(day: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Values at whole days 0, 1, ... up to the last sample (linear interpolation)."""
    if day.size == 0:
        return np.zeros(0), np.zeros(0)
    days = np.arange(math.ceil(day[0] - 1e-9), math.floor(day[-1] + 1e-9) + 1, dtype=float)
    return days, np.interp(days, day, y)


def first_sustained_day(days: np.ndarray, values: np.ndarray, threshold: float,
                        consecutive: int = CONSECUTIVE_DAYS) -> float | None:
    """First of ``consecutive`` days >= threshold, searched from the first day below it.

    0.0 if never below the threshold; None if not reached by the end.
    """
    below = np.flatnonzero(values < threshold)
    if below.size == 0:
        return 0.0
    run = 0
    for i in range(int(below[0]), values.size):
        run = run + 1 if values[i] >= threshold else 0
        if run >= consecutive:
            return float(days[i - consecutive + 1])
    return None


def _trapezoid(y: np.ndarray, x: np.ndarray) -> float:
    if y.size < 2:
        return 0.0
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)))


# ------------------------------------------------------------------ main entry

def compute_outcomes(source: Any, *, species: str | None = None, baseline: str | float = "species",
                     recovery_fraction: float = RECOVERY_FRACTION,
                     engraftment_threshold: float | None = None) -> Outcomes:
    """Key outcomes of one run.

    ``source``: an ``engine`` Observables, a :class:`studies.runs.RunRecord`, or any
    mapping ``column -> array`` with at least ``day`` and ``platelets`` (and
    ``platelets_rel`` for the species baseline, ``donor_chimerism`` for chimerism).
    ``species``: 'mouse' / 'human'; default from the source's metadata or platelet unit.
    ``baseline``: 'species' (normal count), 'run' (day-0 count) or a number.
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

    i_nadir = int(np.nanargmin(plt))
    nadir = float(plt[i_nadir])
    nadir_day = float(day[i_nadir])
    threshold = recovery_fraction * base
    if nadir >= threshold:
        recovery: float | None = 0.0
    else:
        after = np.flatnonzero(plt[i_nadir:] >= threshold)
        recovery = float(day[i_nadir + after[0]]) if after.size else None

    deficit = np.clip(base - plt, 0.0, None)
    area = _trapezoid(deficit, day)

    if engraftment_threshold is None:
        engraftment_threshold = (HUMAN_ENGRAFTMENT_THRESHOLD if sp == "human"
                                 else MOUSE_ENGRAFTMENT_FRACTION * base)
    ddays, dvals = daily_values(day, plt)
    engraft = first_sustained_day(ddays, dvals, engraftment_threshold)

    chim = _column(source, "donor_chimerism")
    if chim is not None and chim.size == day.size:
        c30, c60 = _value_at(day, chim, 30.0), _value_at(day, chim, 60.0)
        c_final = float(chim[-1])
    else:
        c30 = c60 = c_final = None
    mkv = _column(source, "mk_vessel_fraction")
    span = float(day[-1] - day[0])
    if mkv is not None and mkv.size == day.size:
        mkv_mean = _trapezoid(mkv, day) / span if span > 0 else float(mkv[0])
    else:
        mkv_mean = None
    plt_mean = _trapezoid(plt, day) / span if span > 0 else float(plt[0])
    return Outcomes(species=sp, platelet_unit=unit, baseline=base,
                    engraftment_threshold=float(engraftment_threshold), days_run=float(day[-1]),
                    nadir=nadir, nadir_rel=nadir / base, nadir_day=nadir_day, days_to_recovery=recovery,
                    area_below_baseline=area, chimerism_d30=c30, chimerism_d60=c60, engraftment_day=engraft,
                    platelets_final=float(plt[-1]), platelets_mean=float(plt_mean),
                    platelets_final_rel=float(plt[-1]) / base, mk_vessel_fraction_mean=mkv_mean,
                    chimerism_final=c_final)


def format_outcome(value: float | None, name: str, platelet_unit: str = "") -> str:
    """Human-readable value for tables ('not reached' for None)."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "not reached" if name in ("days_to_recovery", "engraftment_day") else "n/a"
    unit = OUTCOMES[name].unit if name in OUTCOMES else ""
    if unit == "1":
        return f"{100 * value:.0f}%"
    if unit == "d":
        return f"day {value:.1f}"
    return f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
