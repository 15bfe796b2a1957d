"""Turn claim checks and arm runs into pass/fail results with observed numbers."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .claims import Check, Claim
from .metrics import Measure, compute
from .runner import ArmRun, Job


@dataclass
class CheckResult:
    check: Check
    passed: bool
    #: the number compared with the bounds: mean over seeds, or the measure of the seed-mean curve
    #: (require = "curve"); None for monotone checks
    observed: float | None
    per_seed: list[float] = field(default_factory=list)
    censored: list[bool] = field(default_factory=list)
    #: monotone checks: arm -> mean over seeds (in order)
    arm_means: dict[str, float] = field(default_factory=dict)
    arm_censored: dict[str, int] = field(default_factory=dict)
    arm_per_seed: dict[str, list[float]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def spread(self) -> tuple[float, float, float]:
        """(SD, min, max) over seeds; SD is 0 for one seed."""
        v = np.array([x for x in self.per_seed if x == x], float)
        if v.size == 0:
            return (math.nan, math.nan, math.nan)
        sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
        return (sd, float(v.min()), float(v.max()))

    def observed_text(self) -> str:
        unit = f" {self.check.unit}" if self.check.unit else ""
        if self.check.kind in ("decreasing", "increasing"):
            parts = []
            for arm, m in self.arm_means.items():
                c = self.arm_censored.get(arm, 0)
                parts.append(f"{_g(m)}{'*' if c else ''}")
            return " > ".join(parts) if self.check.kind == "decreasing" else " < ".join(parts)
        if self.observed is None or self.observed != self.observed:
            return "n/a"
        n = len(self.per_seed)
        text = _g(self.observed)
        if self.check.require == "curve":
            if n > 1:
                sd, lo, hi = self.spread
                text += f" (single seeds [{_g(lo)}, {_g(hi)}])"
            return text + unit
        if n > 1:
            sd, lo, hi = self.spread
            text += f" ± {_g(sd)} [{_g(lo)}, {_g(hi)}]"
        text += unit
        if any(self.censored):
            text += f" ({sum(self.censored)}/{n} censored*)"
        return text

    def to_dict(self) -> dict:
        c = self.check
        d = {"label": c.label, "kind": c.kind, "measure": c.measure_text(), "column": c.column,
             "metric": c.metric, "expected": c.expected_text(), "require": c.require,
             "arms": c.involved(), "passed": self.passed, "observed_text": self.observed_text(),
             "notes": list(self.notes)}
        if c.kind in ("decreasing", "increasing"):
            d["arm_means"] = {k: _r(v) for k, v in self.arm_means.items()}
            d["arm_per_seed"] = {k: [_r(x) for x in v] for k, v in self.arm_per_seed.items()}
            d["arm_censored_seeds"] = dict(self.arm_censored)
        else:
            sd, lo, hi = self.spread
            d.update({"observed_mean": _r(self.observed), "observed_sd": _r(sd), "observed_min": _r(lo),
                      "observed_max": _r(hi), "per_seed": [_r(v) for v in self.per_seed],
                      "censored": list(self.censored)})
        return d


@dataclass
class ClaimResult:
    claim: Claim
    checks: list[CheckResult]

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)


def _g(v: float) -> str:
    if v is None or v != v:
        return "n/a"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1000:
        return f"{v:.0f}"
    return f"{v:.3g}"


def _r(v):
    """Round for the machine-readable output (stable text across platforms)."""
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return None
    return float(f"{v:.6g}")


def jobs_for(claims: list[Claim], seeds: list[int], overrides: dict[str, float] | None = None) -> list[Job]:
    """Every (arm, seed) run the claims need, in a stable order, duplicates removed."""
    from engine import load_scenario

    ov = tuple(sorted((overrides or {}).items()))
    out, seen = [], set()
    days_of: dict[str, float] = {}
    for claim in claims:
        for sid in claim.scenarios:
            if sid not in days_of:
                days_of[sid] = float(load_scenario(sid).days)
            for seed in seeds:
                j = Job(sid, int(seed), days_of[sid], ov)
                if j.key not in seen:
                    seen.add(j.key)
                    out.append(j)
    return out


def _measure(check: Check, run: ArmRun) -> Measure:
    try:
        return compute(check.metric, run.day, run[check.column], **check.metric_kwargs())
    except ValueError as exc:
        return Measure(math.nan, note=str(exc))


def _curve_measure(check: Check, arm_runs: list[ArmRun], notes: list[str]) -> float:
    """The check's measure on the arm's observable averaged over seeds, sample by sample."""
    days = arm_runs[0].day
    if any(len(r.day) != len(days) or not np.allclose(r.day, days) for r in arm_runs):
        notes.append(f"{check.arm}: the seeds' runs were sampled on different days; no seed-mean curve")
        return math.nan
    curve = np.mean([np.asarray(r[check.column], float) for r in arm_runs], axis=0)
    try:
        m = compute(check.metric, days, curve, **check.metric_kwargs())
    except ValueError as exc:
        notes.append(f"seed-mean curve, {check.arm}: {exc}")
        return math.nan
    return float(m.value)


def evaluate_check(check: Check, runs: dict[tuple[str, int], ArmRun], seeds: list[int]) -> CheckResult:
    notes: list[str] = []
    if check.kind in ("decreasing", "increasing"):
        means, cens, per = {}, {}, {}
        for arm in check.arms:
            ms = [_measure(check, runs[(arm, s)]) for s in seeds]
            per[arm] = [float(m.value) for m in ms]
            means[arm] = float(np.mean(per[arm]))
            cens[arm] = sum(m.censored for m in ms)
            notes += sorted({f"{arm}: {m.note}" for m in ms if m.note})
        vals = list(means.values())
        if check.kind == "decreasing":
            ok = all(b < a for a, b in zip(vals, vals[1:]))
        else:
            ok = all(b > a for a, b in zip(vals, vals[1:]))
        ok = ok and all(v == v for v in vals)
        return CheckResult(check, ok, None, arm_means=means, arm_censored=cens, arm_per_seed=per, notes=notes)
    per_seed, censored = [], []
    for s in seeds:
        m = _measure(check, runs[(check.arm, s)])
        cen = m.censored
        if m.note:
            notes.append(f"seed {s}, {check.arm}: {m.note}")
        if check.kind == "value":
            v = m.value
        else:
            r = _measure(check, runs[(check.reference, s)])
            cen = cen or r.censored
            if r.note:
                notes.append(f"seed {s}, {check.reference}: {r.note}")
            if check.kind == "ratio":
                v = m.value / r.value if r.value != 0.0 and math.isfinite(r.value) else math.nan
            else:
                v = m.value - r.value
        per_seed.append(float(v))
        censored.append(bool(cen))
    if check.require == "curve":
        observed = _curve_measure(check, [runs[(check.arm, s)] for s in seeds], notes)
    else:
        finite = [v for v in per_seed if v == v]
        observed = float(np.mean(per_seed)) if finite and len(finite) == len(per_seed) else math.nan
    if check.require == "each":
        ok = all(check.accepts(v) for v in per_seed)
    else:
        ok = check.accepts(observed)
    return CheckResult(check, ok, observed, per_seed=per_seed, censored=censored, notes=notes)


def evaluate(claims: list[Claim], runs_by_job: dict[tuple, ArmRun], seeds: list[int]) -> list[ClaimResult]:
    runs = {(r.job.scenario, r.job.seed): r for r in runs_by_job.values()}
    return [ClaimResult(c, [evaluate_check(k, runs, seeds) for k in c.checks]) for c in claims]
