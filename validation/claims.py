"""The claims the model is held to, read from ``resources/claims.toml`` (schema and checks).

A claim names the published data it is held to (``data``: file stems of ``resources/data/``), the
scenarios (arms) it runs, the observables to plot, its acceptance rule in words, and *checks*. A
check computes one outcome measure (:mod:`validation.metrics`) on one arm per seed and keeps it
(``kind = "value"``), divides it by the same measure of a reference arm run with the same seed
(``"ratio"``), subtracts it (``"difference"``), or compares arms in order (``"decreasing"`` /
``"increasing"``). Each check has exactly one acceptance rule:

* ``target`` (two-sided, against data): the model's mean over seeds must lie inside the tolerance of
  a published value: mean ± k x SD of single animals (SD as published, SEM x sqrt(n), or the SD of a
  study-level sample), or the published range itself.
* ``expect`` (a direction): ``"increase"`` / ``"decrease"`` passes only when the 95% interval of the
  mean (t-based, over seeds) excludes no change (0 for a difference, 1 for a ratio; for an ordered
  list of arms, every adjacent paired difference); ``"no_change"`` passes when the whole interval
  lies inside ``equivalence`` (an equivalence test).
* bounds (``min``/``max``/``gt``/``lt``): a design bound where no number was published, applied to
  the mean (``require = "mean"``), to every seed (``"each"``) or to the seed-mean curve (``"curve"``).

A check measures one observable (``column``) or the quotient of two (``column`` / ``per``, sample by
sample: MKs per MK progenitor).

A claim whose data tables are used for calibration (``use = "calibration"``) is a calibration target;
all others are test targets (data not used in any fit).
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InputError, from_validation_error
from engine.files import read_toml
from engine.observables import COLUMNS
from engine.runtime import resource_dir

from .metrics import METRICS, describe


class Target(BaseModel):
    """A published value a check is held to (two-sided)."""

    model_config = ConfigDict(extra="forbid")

    table: str = Field(min_length=1)
    series: str = Field(min_length=1)
    point: int = Field(0, ge=0)
    #: tolerance in SDs of single animals (ignored for a published range)
    k: float = Field(2.0, gt=0, le=10)


def target_value(table, series: str, point: int = 0):
    """The published value a ``target`` is held to, in the model's unit (``table.model_value``). A
    ratio of two series published as ranges (``ratio_of``, no SDs) becomes a range too: from the
    lowest numerator over the highest denominator to the highest over the lowest (Niswander's MKs per
    MK progenitor: 52 414 / 13 272 to 53 946 / 12 420, the two experiments' own ratios)."""
    from analysis.published import Value

    v = table.model_value(series, point)
    spec = table.spec(series)
    if spec.ratio_of and v.spread == "none":
        a, b = (table.value(x, point) for x in spec.ratio_of)
        if a.spread == "range" and b.spread == "range" and b.lower > 0:
            f = spec.model_factor
            n = min(a.n or 0, b.n or 0) or None
            return Value(v.mean, a.lower / b.upper * f, a.upper / b.lower * f, None, "range", n,
                         f"ratio {spec.ratio_of[0]}/{spec.ratio_of[1]}, the ranges' extremes divided")
    return v


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    kind: Literal["value", "ratio", "difference", "decreasing", "increasing"] = "value"
    arm: str | None = None
    reference: str | None = None
    arms: list[str] = Field(default_factory=list)
    metric: Literal[tuple(METRICS)]  # type: ignore[valid-type]
    column: str
    #: another observable: the measure is taken on column / per, sample by sample (MKs per MK
    #: progenitor); a run with ``per`` = 0 at a sample the measure reads has no value
    per: str | None = None
    window: tuple[float, float] | None = None
    day: float | None = None
    level: float | None = None
    #: the second, higher level of metric rise_days
    level_to: float | None = None
    hours: float = Field(6.0, gt=0, le=240)
    consecutive: int = Field(3, ge=1, le=30)
    origin_day: float = 0.0
    # one acceptance rule
    target: Target | None = None
    expect: Literal["increase", "decrease", "no_change"] | None = None
    equivalence: tuple[float, float] | None = None
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    lt: float | None = None
    require: Literal["mean", "each", "curve"] = "mean"
    #: where a direction or a bound comes from ("table:statement" or free text for a design bound)
    basis: str = ""
    unit: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "Check":
        if self.column not in COLUMNS:
            raise ValueError(f"unknown observable '{self.column}' (one of: {', '.join(COLUMNS)})")
        if self.per is not None and (self.per not in COLUMNS or self.per == self.column):
            raise ValueError(f"'per' must be another observable than '{self.column}', found '{self.per}' "
                             f"(one of: {', '.join(COLUMNS)})")
        for key in METRICS[self.metric][1]:
            if getattr(self, key) is None:
                raise ValueError(f"metric '{self.metric}' needs '{key}'")
        if (self.level_to is not None) != (self.metric == "rise_days"):
            raise ValueError("'level_to' goes with metric 'rise_days' (and only with it)")
        if self.level_to is not None and not self.level_to > self.level:
            raise ValueError(f"'level_to' must be above 'level', found {self.level_to:g} <= {self.level:g}")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise ValueError(f"window must be [start, end] with start < end, found {list(self.window)}")
        rules = [self.target is not None, self.expect is not None, bool(self.bounds())]
        if sum(rules) != 1:
            raise ValueError("give exactly one acceptance rule: 'target' (data), 'expect' (direction) or "
                             "bounds (min, max, gt, lt)")
        if self.kind in ("decreasing", "increasing"):
            if len(self.arms) < 2:
                raise ValueError(f"kind '{self.kind}' needs 'arms' with at least two scenarios")
            if self.arm or self.reference or not self.expect:
                raise ValueError(f"kind '{self.kind}' takes 'arms' and 'expect' only")
            want = "decrease" if self.kind == "decreasing" else "increase"
            if self.expect != want:
                raise ValueError(f"kind '{self.kind}' needs expect = '{want}'")
        else:
            if not self.arm:
                raise ValueError(f"kind '{self.kind}' needs 'arm'")
            if (self.kind == "value") == bool(self.reference):
                raise ValueError("'reference' is needed for kinds ratio/difference and only for them")
        if self.expect is not None and self.kind == "value":
            raise ValueError("a direction ('expect') compares arms: use kind ratio, difference, "
                             "decreasing or increasing")
        if (self.expect == "no_change") != (self.equivalence is not None):
            raise ValueError("expect = 'no_change' needs 'equivalence' = [low, high], and only it")
        if self.equivalence is not None and not self.equivalence[0] < self.equivalence[1]:
            raise ValueError("equivalence must be [low, high] with low < high")
        if self.require != "mean" and not self.bounds():
            raise ValueError("require 'each' / 'curve' applies to bounds only")
        if self.require == "curve" and self.kind != "value":
            raise ValueError("require = 'curve' is for kind 'value' only")
        if (self.expect or self.bounds()) and not self.basis:
            raise ValueError("a direction or a bound needs 'basis' (the statement or design rule it holds)")
        return self

    # -------------------------------------------------------------- helpers
    def bounds(self) -> list[tuple[str, float]]:
        return [(k, getattr(self, k)) for k in ("min", "gt", "max", "lt") if getattr(self, k) is not None]

    def involved(self) -> list[str]:
        if self.kind in ("decreasing", "increasing"):
            return list(self.arms)
        return [a for a in (self.arm, self.reference) if a]

    def end_day(self) -> float | None:
        """The last simulated day this check reads."""
        if self.window is not None:
            return float(self.window[1])
        if self.metric == "half_life" and self.day is not None:
            return float(self.day) + self.hours / 24.0
        return self.day

    @property
    def rule(self) -> str:
        return "data" if self.target else ("direction" if self.expect else "bound")

    def metric_kwargs(self) -> dict:
        kw = {}
        for key in ("window", "day", "level", "level_to"):
            if getattr(self, key) is not None:
                kw[key] = getattr(self, key)
        if self.metric in ("engraftment_day", "rise_days"):
            kw["consecutive"] = self.consecutive
        if self.metric in ("recovery_day", "engraftment_day", "rise_days", "nadir_day", "peak_day"):
            kw["origin_day"] = self.origin_day
        if self.metric == "half_life":
            kw["hours"] = self.hours
        return kw

    @property
    def quantity(self) -> str:
        """The observable measured: the column, or 'column/per'."""
        return f"{self.column}/{self.per}" if self.per else self.column

    def series(self, run) -> "np.ndarray":
        """The measured series of a run (``run[column]`` an array per observable): the column, or
        the column divided by ``per`` sample by sample (NaN where ``per`` is 0)."""
        x = np.asarray(run[self.column], float)
        if self.per is None:
            return x
        d = np.asarray(run[self.per], float)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(d != 0, x / np.where(d != 0, d, 1.0), np.nan)

    def measure_text(self) -> str:
        return describe(self.metric, self.quantity, self.window, self.day, self.level, self.consecutive,
                        self.origin_day, self.level_to)

    def neutral(self) -> float:
        """The value of 'no change' for this kind (1 for a ratio, 0 otherwise)."""
        return 1.0 if self.kind == "ratio" else 0.0

    def bounds_text(self) -> str:
        sym = {"min": ">=", "gt": ">", "max": "<=", "lt": "<"}
        lo = [(k, v) for k, v in self.bounds() if k in ("min", "gt")]
        hi = [(k, v) for k, v in self.bounds() if k in ("max", "lt")]
        unit = f" {self.unit}" if self.unit else ""
        if lo and hi:
            lsym = "<=" if lo[0][0] == "min" else "<"
            hsym = "<=" if hi[0][0] == "max" else "<"
            text = f"{lo[0][1]:g} {lsym} x {hsym} {hi[0][1]:g}{unit}"
        else:
            k, v = (lo or hi)[0]
            text = f"{sym[k]} {v:g}{unit}"
        if self.require == "each":
            text += " (every seed)"
        elif self.require == "curve":
            text += " (seed-mean curve)"
        return text

    def accepts(self, value: float | None) -> bool:
        if value is None or value != value:  # None / NaN
            return False
        ok = True
        if self.min is not None:
            ok &= value >= self.min
        if self.gt is not None:
            ok &= value > self.gt
        if self.max is not None:
            ok &= value <= self.max
        if self.lt is not None:
            ok &= value < self.lt
        return bool(ok)

    @property
    def role(self) -> str:
        """'calibration' when the check's target is a series a calibrated parameter was fitted to
        (``use = "calibration"`` in its data table), else 'test' (also for checks without a target)."""
        if not self.target:
            return "test"
        from analysis.published import load_table

        t = load_table(self.target.table)
        return "calibration" if (t.spec(self.target.series).use or t.use) == "calibration" else "test"


class Line(BaseModel):
    """A horizontal reference line drawn on a claim's plot."""

    model_config = ConfigDict(extra="forbid")

    column: str
    y: float
    label: str = ""


class Claim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
    title: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    #: the DESIGN.md section-4 direction it keeps ("V1".."V12", "H1") or "" for a data-only claim
    design: str = ""
    data: list[str] = Field(default_factory=list)
    rule: str = Field(min_length=1)
    scenarios: list[str] = Field(min_length=1)
    plot: list[str] = Field(min_length=1)
    lines: list[Line] = Field(default_factory=list)
    baseline_line: bool = True
    checks: list[Check] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> "Claim":
        for c in self.plot:
            if c not in COLUMNS:
                raise ValueError(f"unknown observable '{c}' in plot (one of: {', '.join(COLUMNS)})")
        used = {a for ch in self.checks for a in ch.involved()}
        missing = sorted(used - set(self.scenarios))
        if missing:
            raise ValueError(f"checks use scenarios not listed in 'scenarios': {', '.join(missing)}")
        targets = {ch.target.table for ch in self.checks if ch.target}
        unnamed = sorted(targets - set(self.data))
        if unnamed:
            raise ValueError(f"checks use data tables not listed in 'data': {', '.join(unnamed)}")
        return self

    @property
    def role(self) -> str:
        """'calibration' when every check against published data checks a calibration series (the
        claim shows that a fit holds), else 'test'. Each check has a role of its own
        (:meth:`Check.role`): a test claim may hold a calibration check (V3's Mpl-null TPO ratio). A
        check against a published statement (``basis`` naming a data table, not a design rule) is a
        test (D6's Mpl-/- recipients)."""
        roles = {ch.role for ch in self.checks if ch.target or (ch.basis and not ch.basis.startswith("design"))}
        return "calibration" if roles == {"calibration"} else "test"


class ClaimFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 2
    claims: list[Claim] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "ClaimFile":
        seen = set()
        for c in self.claims:
            if c.id in seen:
                raise ValueError(f"claim id '{c.id}' appears twice")
            seen.add(c.id)
        return self


def claims_file() -> Path:
    return resource_dir() / "claims.toml"


def parse_claims(data: dict, source: str = "<claims>") -> list[Claim]:
    """Validate claims given as a dictionary; scenario ids, windows and data tables are checked too."""
    try:
        doc = ClaimFile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, source) from None
    _check_against_scenarios(doc.claims, source)
    _check_against_data(doc.claims, source)
    return doc.claims


def _check_against_scenarios(claims: list[Claim], source: str) -> None:
    from engine import builtin_scenarios, load_scenario

    known = builtin_scenarios()
    days: dict[str, float] = {}
    for ci, claim in enumerate(claims):
        for si, sid in enumerate(claim.scenarios):
            if sid not in known:
                raise InputError("unknown scenario", file=source, field=f"claims[{ci}].scenarios[{si}]",
                                 expected="a built-in scenario id (resources/scenarios/*.toml)", found=sid)
            if sid not in days:
                days[sid] = load_scenario(sid).days
        for ki, check in enumerate(claim.checks):
            end = check.end_day()
            for arm in check.involved():
                if end is not None and end > days[arm] + 1e-9:
                    raise InputError("window reaches past the end of the scenario", file=source,
                                     field=f"claims[{ci}].checks[{ki}]", expected=f"<= {days[arm]:g} days ({arm})",
                                     found=end)


def _check_against_data(claims: list[Claim], source: str) -> None:
    from analysis.published import all_tables

    tables = all_tables()
    for ci, claim in enumerate(claims):
        for di, tid in enumerate(claim.data):
            if tid not in tables:
                raise InputError("unknown data table", file=source, field=f"claims[{ci}].data[{di}]",
                                 expected="a file stem in resources/data/", found=tid)
        for ki, check in enumerate(claim.checks):
            t = check.target
            if t is None:
                continue
            table = tables[t.table]
            field = f"claims[{ci}].checks[{ki}].target"
            try:
                spec = table.spec(t.series)
            except KeyError:
                raise InputError("unknown series", file=source, field=field + ".series",
                                 expected=", ".join(s.id for s in table.series), found=t.series) from None
            npts = 1 if (spec.ratio_of or spec.spread == "sample") else len(spec.mean)
            if t.point >= npts:
                raise InputError("no such point in the series", file=source, field=field + ".point",
                                 expected=f"0..{npts - 1}", found=t.point)
            if target_value(table, t.series, t.point).tolerance(t.k) is None:
                raise InputError("the published value has no spread to derive a tolerance from", file=source,
                                 field=field, expected="a series with SD, SEM and n, a range or a sample",
                                 found=f"{t.table}:{t.series}")


def load_claims(path: str | Path | None = None) -> list[Claim]:
    """Read and check the claim list (default: the built-in ``resources/claims.toml``)."""
    path = Path(path) if path else claims_file()
    data = read_toml(path, "claims file")
    return parse_claims(data, str(path))


def select(claims: list[Claim], ids: str | list[str] | None) -> list[Claim]:
    """Claims whose id is listed (comma-separated string or list); all when ids is empty."""
    if not ids:
        return list(claims)
    wanted = [s.strip() for s in (ids.split(",") if isinstance(ids, str) else ids) if s.strip()]
    by_id = {c.id.lower(): c for c in claims}
    unknown = [w for w in wanted if w.lower() not in by_id]
    if unknown:
        raise InputError("unknown claim id", field="--claims", expected=", ".join(c.id for c in claims),
                         found=", ".join(unknown))
    return [by_id[w.lower()] for w in wanted]
