"""Small statistics for ensembles and sweeps (no SciPy): confidence interval of a mean."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Iterable

import numpy as np

# two-sided 95% Student t quantiles (0.975) for 1..30 degrees of freedom
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160, 2.145,
         2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048,
         2.045, 2.042)


def _z(level: float) -> float:
    """Standard normal quantile for a two-sided ``level`` (Acklam-free: bisection on erf)."""
    p = 0.5 + level / 2.0
    lo, hi = 0.0, 10.0
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        if 0.5 * (1.0 + math.erf(mid / math.sqrt(2.0))) < p:
            lo = mid
        else:
            hi = mid
    return 0.5 * (lo + hi)


def t_quantile(df: int, level: float = 0.95) -> float:
    """Two-sided Student t quantile: exact table for 95% and df <= 30, else Cornish-Fisher."""
    if df < 1:
        return math.inf
    if abs(level - 0.95) < 1e-12 and df <= 30:
        return _T975[df - 1]
    z = _z(level)
    return (z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df ** 2)
            + (3 * z ** 7 + 19 * z ** 5 + 17 * z ** 3 - 15 * z) / (384 * df ** 3))


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
            s = f"{f(self.mean)}{u} (95% CI {f(self.lo)} to {f(self.hi)}, n={self.n})"
        if self.n_missing:
            s += f"; undefined in {self.n_missing} run(s)"
        return s


def mean_interval(values: Iterable[float | None], level: float = 0.95) -> Interval:
    """Mean and the ``level`` confidence interval of the mean (t distribution), skipping None/NaN."""
    raw = list(values)
    vals = np.array([v for v in raw if v is not None and math.isfinite(v)], dtype=float)
    missing = len(raw) - vals.size
    if vals.size == 0:
        return Interval(None, None, None, None, 0, missing, level)
    m = float(vals.mean())
    if vals.size < 2:
        return Interval(m, m, m, None, 1, missing, level)
    sd = float(vals.std(ddof=1))
    half = t_quantile(vals.size - 1, level) * sd / math.sqrt(vals.size)
    return Interval(m, m - half, m + half, sd, int(vals.size), missing, level)
