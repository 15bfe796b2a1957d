"""Turn claim checks and arm runs into verdicts with honest statistics.

Per seed, a check computes its measure (a ratio or difference against the reference arm run with the
same seed). Over seeds: the mean and its 95% t-interval (:mod:`analysis.stats`). Event days that do
not exist (a course that never fell below the level) are left out and counted apart; events not
reached inside the window enter as the window's end, a lower bound, and are counted as censored.

Checks that compute the same numbers (the same per-seed values, e.g. Thpo-/- and Mpl-/- arms while
the model treats them alike) against the same acceptance interval are reported once: the later ones
are marked as duplicates, and a claim made only of duplicates of one earlier claim is merged with it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from analysis.published import Value, load_table
from analysis.stats import Interval, excludes, mean_interval, paired_differences

from .arms import ArmRun, Job
from .claims import Check, Claim, target_value
from .metrics import EVENT_METRICS, Measure, compute


@dataclass
class CheckResult:
    check: Check
    passed: bool
    #: the number compared: mean over seeds (or the measure of the seed-mean curve, require = "curve")
    observed: float | None
    interval: Interval
    per_seed: list[float | None] = field(default_factory=list)
    censored: list[bool] = field(default_factory=list)
    never_below: int = 0
    #: ordered arms: arm -> per-seed values, and the paired intervals of adjacent arms (b - a)
    arm_per_seed: dict[str, list[float | None]] = field(default_factory=dict)
    pair_intervals: list[tuple[str, str, Interval]] = field(default_factory=list)
    published: Value | None = None
    source: str = ""            # short source, e.g. "Bunting et al. 1997 (bunting1997_abstract)"
    citation: str = ""
    tolerance: tuple[float, float] | None = None
    notes: list[str] = field(default_factory=list)
    #: "<claim id>: <check label>" of the first check with the same numbers and the same rule
    duplicate_of: str | None = None

    @property
    def rule(self) -> str:
        return self.check.rule

    # -------------------------------------------------------------- text
    def expected_text(self) -> str:
        c = self.check
        unit = f" {c.unit}" if c.unit else ""
        if c.target:
            lo, hi = self.tolerance or (math.nan, math.nan)
            return f"{_g(lo)} to {_g(hi)}{unit}"
        if c.expect == "no_change":
            return f"95% CI inside {_g(c.equivalence[0])} to {_g(c.equivalence[1])}{unit}"
        if c.expect:
            op = ">" if c.expect == "increase" else "<"
            if c.kind in ("decreasing", "increasing"):
                return f"95% CI of each step {op} 0 ({'decreasing' if c.kind == 'decreasing' else 'increasing'})"
            return f"95% CI {op} {_g(c.neutral())}{unit}"
        return c.bounds_text()

    def published_text(self) -> str:
        if self.published is not None:
            unit = f" {self.check.unit}" if self.check.unit else ""
            return self.published.text() + unit
        if self.check.expect:
            return {"increase": "higher", "decrease": "lower", "no_change": "no change"}[self.check.expect] + \
                " (statement)"
        if self.citation:          # a bound on a published statement (basis "table:statement")
            return "statement (bound)"
        return "no published number (design bound)"

    def observed_text(self) -> str:
        unit = f" {self.check.unit}" if self.check.unit else ""
        if self.check.kind in ("decreasing", "increasing"):
            parts = []
            for arm, vals in self.arm_per_seed.items():
                iv = mean_interval(vals)
                parts.append(_g(iv.mean))
            sep = " > " if self.check.kind == "decreasing" else " < "
            text = sep.join(parts)
            steps = "; ".join(f"{_g(iv.lo)} to {_g(iv.hi)}" for _, _, iv in self.pair_intervals)
            return f"{text} (steps 95% CI {steps})"
        if self.observed is None or self.observed != self.observed:
            text = "n/a"
        else:
            text = _g(self.observed)
        iv = self.interval
        if self.check.require == "curve":
            vals = [v for v in self.per_seed if v is not None]
            if len(vals) > 1:
                text += f" (single seeds {_g(min(vals))} to {_g(max(vals))})"
            return text + unit
        if iv.n > 1:
            text += f" [{_g(iv.lo)}, {_g(iv.hi)}]"
        text += unit
        extra = []
        if any(self.censored):
            extra.append(f"{sum(self.censored)} censored*")
        if self.never_below:
            extra.append(f"{self.never_below} never below, left out")
        if extra:
            text += " (" + "; ".join(extra) + ")"
        return text

    def to_dict(self) -> dict:
        c = self.check
        d = {"label": c.label, "kind": c.kind, "rule": c.rule, "measure": c.measure_text(), "column": c.column,
             "per": c.per, "metric": c.metric, "arms": c.involved(), "expected": self.expected_text(),
             "published": self.published_text(), "source": self.source, "citation": self.citation,
             "tolerance": [_r(x) for x in self.tolerance] if self.tolerance else None,
             "passed": self.passed, "observed_text": self.observed_text(), "duplicate_of": self.duplicate_of,
             "notes": list(self.notes)}
        iv = self.interval
        d.update({"observed_mean": _r(self.observed), "ci95": [_r(iv.lo), _r(iv.hi)], "n": iv.n,
                  "per_seed": [_r(v) for v in self.per_seed], "censored": list(self.censored),
                  "never_below": self.never_below})
        if self.arm_per_seed:
            d["arm_per_seed"] = {k: [_r(x) for x in v] for k, v in self.arm_per_seed.items()}
            d["steps_ci95"] = [[a, b, _r(iv.lo), _r(iv.hi)] for a, b, iv in self.pair_intervals]
        return d


@dataclass
class ClaimResult:
    claim: Claim
    checks: list[CheckResult]
    #: id of an earlier claim that computes the same numbers against the same rules
    merged_with: str | None = None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def role(self) -> str:
        return self.claim.role


def _g(v: float | None) -> str:
    if v is None or v != v:
        return "n/a"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
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


# ------------------------------------------------------------------ which runs

def arm_days(claims: list[Claim]) -> dict[str, float]:
    """How long each arm must run: the last day any check reads (the scenario's length if none does)."""
    from engine import load_scenario

    need: dict[str, float] = {}
    for claim in claims:
        for check in claim.checks:
            end = check.end_day()
            for arm in check.involved():
                if end is not None:
                    need[arm] = max(need.get(arm, 0.0), float(end))
    out = {}
    for claim in claims:
        for sid in claim.scenarios:
            full = float(load_scenario(sid).days)
            out[sid] = float(min(full, math.ceil(need[sid]))) if sid in need else full
    return out


def jobs_for(claims: list[Claim], seeds: list[int], overrides: dict[str, float] | None = None) -> list[Job]:
    """Every (arm, seed) run the claims need, each as long as its checks read, duplicates removed."""
    ov = tuple(sorted((overrides or {}).items()))
    days = arm_days(claims)
    out, seen = [], set()
    for claim in claims:
        for sid in claim.scenarios:
            for seed in seeds:
                j = Job(sid, int(seed), days[sid], ov)
                if j.key not in seen:
                    seen.add(j.key)
                    out.append(j)
    return out


# ------------------------------------------------------------------ one check

def _measure(check: Check, run: ArmRun) -> Measure:
    try:
        return compute(check.metric, run.day, check.series(run), **check.metric_kwargs())
    except ValueError as exc:
        return Measure(None, note=str(exc), status="error")


def _seed_values(check: Check, runs: dict[tuple[str, int], ArmRun], arm: str, seeds: list[int],
                 notes: list[str]) -> tuple[list[float | None], list[bool], int]:
    vals, cens, below = [], [], 0
    for s in seeds:
        m = _measure(check, runs[(arm, s)])
        if m.note:
            notes.append(f"seed {s}, {arm}: {m.note}")
        below += m.status == "never_below"
        vals.append(None if m.value is None or not math.isfinite(m.value) else float(m.value))
        cens.append(m.censored)
    return vals, cens, below


def _curve_measure(check: Check, arm_runs: list[ArmRun], notes: list[str]) -> float | None:
    """The check's measure on the arm's observable averaged over seeds, sample by sample."""
    days = arm_runs[0].day
    if any(len(r.day) != len(days) or not np.allclose(r.day, days) for r in arm_runs):
        notes.append(f"{check.arm}: the seeds' runs were sampled on different days; no seed-mean curve")
        return None
    curve = np.mean([check.series(r) for r in arm_runs], axis=0)
    try:
        return compute(check.metric, days, curve, **check.metric_kwargs()).value
    except ValueError as exc:
        notes.append(f"seed-mean curve, {check.arm}: {exc}")
        return None


def evaluate_check(check: Check, runs: dict[tuple[str, int], ArmRun], seeds: list[int]) -> CheckResult:
    notes: list[str] = []
    if check.kind in ("decreasing", "increasing"):
        per_arm = {arm: _seed_values(check, runs, arm, seeds, notes)[0] for arm in check.arms}
        pairs = []
        for a, b in zip(check.arms, check.arms[1:]):
            pairs.append((a, b, mean_interval(paired_differences(per_arm[b], per_arm[a]))))
        side = "below" if check.expect == "decrease" else "above"
        ok = all(excludes(iv, 0.0, side) for _, _, iv in pairs)
        res = CheckResult(check, ok, None, mean_interval([]), arm_per_seed=per_arm, pair_intervals=pairs,
                          notes=sorted(set(notes)))
        _attach_source(res)
        return res
    vals, cens, below = _seed_values(check, runs, check.arm, seeds, notes)
    if check.kind != "value":
        rvals, rcens, rbelow = _seed_values(check, runs, check.reference, seeds, notes)
        if check.metric in EVENT_METRICS:
            below = sum(a is None or b is None for a, b in zip(vals, rvals))
        if check.kind == "ratio":
            vals = [a / b if a is not None and b not in (None, 0.0) else None for a, b in zip(vals, rvals)]
        else:
            vals = paired_differences(vals, rvals)
        cens = [a or b for a, b in zip(cens, rcens)]
    iv = mean_interval(vals)
    observed = _curve_measure(check, [runs[(check.arm, s)] for s in seeds], notes) \
        if check.require == "curve" else iv.mean
    res = CheckResult(check, False, observed, iv, per_seed=vals, censored=cens, never_below=below,
                      notes=sorted(set(notes)))
    _attach_source(res)
    if check.target:
        lo, hi = res.tolerance
        res.passed = observed is not None and lo - 1e-12 <= observed <= hi + 1e-12
    elif check.expect == "no_change":
        e0, e1 = check.equivalence
        res.passed = iv.n >= 2 and iv.lo >= e0 and iv.hi <= e1
    elif check.expect:
        res.passed = excludes(iv, check.neutral(), "above" if check.expect == "increase" else "below")
    elif check.require == "each":
        res.passed = len(vals) > 0 and all(check.accepts(v) for v in vals)
    else:
        res.passed = check.accepts(observed)
    return res


def _attach_source(res: CheckResult) -> None:
    t = res.check.target
    if t is not None:
        table = load_table(t.table)
        res.published = target_value(table, t.series, t.point)
        res.tolerance = res.published.tolerance(t.k)
        res.source = f"{table.source.short()} ({t.table})"
        res.citation = table.source.citation()
    elif res.check.basis:
        tid, _, sid = res.check.basis.partition(":")
        try:
            table = load_table(tid)
        except Exception:  # noqa: BLE001 - a design bound names no table
            res.source = res.check.basis
            return
        res.source = f"{table.source.short()} ({res.check.basis})"
        res.citation = table.source.citation()


# ------------------------------------------------------------------ all claims

def _signature(res: CheckResult) -> tuple | None:
    c = res.check
    if c.kind in ("decreasing", "increasing") or all(v is None for v in res.per_seed):
        return None
    numbers = tuple(None if v is None else float(f"{v:.12g}") for v in res.per_seed)
    if c.target:
        rule = ("data", res.tolerance)
    elif c.expect:
        rule = ("direction", c.expect, c.equivalence)
    else:
        rule = ("bound", tuple(c.bounds()), c.require)
    return (c.kind, c.metric, c.column, c.per, c.window, c.day, c.level, c.level_to, numbers, rule)


def evaluate(claims: list[Claim], runs_by_job: dict[tuple, ArmRun], seeds: list[int]) -> list[ClaimResult]:
    runs = {(r.job.scenario, r.job.seed): r for r in runs_by_job.values()}
    results = [ClaimResult(c, [evaluate_check(k, runs, seeds) for k in c.checks]) for c in claims]
    first: dict[tuple, tuple[str, CheckResult]] = {}
    for r in results:
        for c in r.checks:
            sig = _signature(c)
            if sig is None:
                continue
            if sig in first and set(first[sig][1].check.involved()) != set(c.check.involved()):
                cid, orig = first[sig]
                c.duplicate_of = f"{cid}: {orig.check.label}"
            else:
                first.setdefault(sig, (r.claim.id, c))
    for r in results:
        owners = {c.duplicate_of.split(":")[0] if c.duplicate_of else None for c in r.checks}
        if len(owners) == 1 and None not in owners and owners != {r.claim.id}:
            r.merged_with = owners.pop()
    return results
