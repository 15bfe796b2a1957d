"""Statistics over seeds: the mean and its t-based confidence interval (scipy.stats).

    iv = mean_interval([12.0, 14.5, None, 13.0])     # None / NaN: undefined in that run
    iv.mean, iv.lo, iv.hi, iv.n, iv.n_missing
    paired_differences(a, b)                         # per-seed a - b, skipping seeds undefined in either

A direction is shown only when its whole interval lies on one side (:func:`excludes`).
"""
from __future__ import annotations

import functools
import math
from dataclasses import asdict, dataclass
from typing import Iterable, Sequence

import numpy as np

LEVEL = 0.95


@functools.lru_cache(maxsize=256)
def t_quantile(df: int, level: float = LEVEL) -> float:
    """Two-sided Student t quantile: the half-width of a ``level`` interval is t * SE (inf for df < 1).

    scipy is imported on first use (it costs about half a second; the GUI starts without it)."""
    if df < 1:
        return math.inf
    from scipy import stats

    return float(stats.t.ppf(0.5 + level / 2.0, df))


def finite(values: Iterable[float | None]) -> np.ndarray:
    """The defined values (None and NaN dropped) as a float array."""
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)


@dataclass(frozen=True)
class Interval:
    mean: float | None
    lo: float | None
    hi: float | None
    sd: float | None
    n: int              # values used
    n_missing: int      # runs where the value is undefined (None / NaN)
    level: float

    def as_dict(self) -> dict:
        return asdict(self)

    @property
    def defined(self) -> bool:
        return self.mean is not None

    def text(self, unit: str = "") -> str:
        if self.mean is None:
            return f"undefined in all {self.n_missing} runs"
        u = "%" if unit == "1" else (f" {unit}" if unit else "")
        k = 100.0 if unit == "1" else 1.0

        def f(v):
            v = k * v
            return f"{v:.0f}" if abs(v) >= 100 else (f"{v:.1f}" if abs(v) >= 10 else f"{v:.3g}")

        if self.n < 2:
            s = f"{f(self.mean)}{u} (n=1, no interval)"
        else:
            s = f"{f(self.mean)}{u} ({100 * self.level:g}% CI {f(self.lo)} to {f(self.hi)}, n={self.n})"
        if self.n_missing:
            s += f"; undefined in {self.n_missing} run(s)"
        return s


def mean_interval(values: Iterable[float | None], level: float = LEVEL) -> Interval:
    """Mean and the ``level`` confidence interval of the mean (t distribution), skipping None/NaN.

    One defined value: the mean with lo = hi = mean and no SD (no interval can be formed)."""
    raw = list(values)
    vals = finite(raw)
    missing = len(raw) - vals.size
    if vals.size == 0:
        return Interval(None, None, None, None, 0, missing, level)
    m = float(vals.mean())
    if vals.size < 2:
        return Interval(m, m, m, None, 1, missing, level)
    sd = float(vals.std(ddof=1))
    half = t_quantile(vals.size - 1, level) * sd / math.sqrt(vals.size)
    return Interval(m, m - half, m + half, sd, int(vals.size), missing, level)


def paired_differences(a: Sequence[float | None], b: Sequence[float | None]) -> list[float | None]:
    """Per-seed a - b; None where either is undefined."""
    out: list[float | None] = []
    for x, y in zip(a, b):
        ok = x is not None and y is not None and math.isfinite(x) and math.isfinite(y)
        out.append(float(x) - float(y) if ok else None)
    return out


def excludes(iv: Interval, value: float, side: str) -> bool:
    """Whether the interval lies wholly above (side 'above') or below ('below') ``value``.

    Needs at least two defined values: one run gives no interval, hence no evidence of a direction."""
    if iv.mean is None or iv.n < 2 or iv.lo is None or iv.hi is None:
        return False
    if side == "above":
        return iv.lo > value
    if side == "below":
        return iv.hi < value
    raise ValueError(f"side must be 'above' or 'below', not {side!r}")
