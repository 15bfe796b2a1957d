"""The published claims the model must reproduce, read from ``resources/claims.toml``.

A claim has an id, a statement, a source, the scenarios (arms) it involves, the
observables to plot, the exact acceptance rule in words, and one or more
*checks*. A check computes one outcome measure (see :mod:`validation.metrics`)
on one arm per seed and either keeps it (``kind = "value"``), divides it by the
same measure on a reference arm run with the same seed (``"ratio"``) or
subtracts it (``"difference"``); ``"decreasing"`` / ``"increasing"`` ask that the
seed-means over a list of arms be strictly monotone. The bounds apply to the mean
over seeds (``require = "mean"``), to every seed (``require = "each"``), or, for a
value, to the measure of the seed-mean curve (``require = "curve"``: the arm's
observable averaged over seeds sample by sample, as a cohort of mice is averaged).
The claim passes when all its checks pass.
"""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InputError, from_validation_error
from engine.files import read_toml
from engine.observables import COLUMNS
from engine.runtime import resource_dir

from .metrics import METRICS, describe


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(min_length=1)
    kind: Literal["value", "ratio", "difference", "decreasing", "increasing"] = "value"
    arm: str | None = None
    reference: str | None = None
    arms: list[str] = Field(default_factory=list)
    metric: Literal[tuple(METRICS)]  # type: ignore[valid-type]
    column: str
    window: tuple[float, float] | None = None
    day: float | None = None
    level: float | None = None
    consecutive: int = Field(3, ge=1, le=30)
    origin_day: float = 0.0
    min: float | None = None
    max: float | None = None
    gt: float | None = None
    lt: float | None = None
    require: Literal["mean", "each", "curve"] = "mean"
    unit: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "Check":
        if self.column not in COLUMNS:
            raise ValueError(f"unknown observable '{self.column}' (one of: {', '.join(COLUMNS)})")
        for key in METRICS[self.metric][1]:
            if getattr(self, key) is None:
                raise ValueError(f"metric '{self.metric}' needs '{key}'")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise ValueError(f"window must be [start, end] with start < end, found {list(self.window)}")
        if self.kind in ("decreasing", "increasing"):
            if len(self.arms) < 2:
                raise ValueError(f"kind '{self.kind}' needs 'arms' with at least two scenarios")
            if self.arm or self.reference or self.bounds():
                raise ValueError(f"kind '{self.kind}' takes 'arms' only (no arm, reference or bounds)")
        else:
            if not self.arm:
                raise ValueError(f"kind '{self.kind}' needs 'arm'")
            if (self.kind == "value") == bool(self.reference):
                raise ValueError("'reference' is needed for kinds ratio/difference and only for them")
            if not self.bounds():
                raise ValueError("give at least one bound: min, max (inclusive), gt, lt (strict)")
            if self.require == "curve" and self.kind != "value":
                raise ValueError("require = 'curve' is for kind 'value' only")
        return self

    # -------------------------------------------------------------- helpers
    def bounds(self) -> list[tuple[str, float]]:
        return [(k, getattr(self, k)) for k in ("min", "gt", "max", "lt") if getattr(self, k) is not None]

    def involved(self) -> list[str]:
        if self.kind in ("decreasing", "increasing"):
            return list(self.arms)
        return [a for a in (self.arm, self.reference) if a]

    def metric_kwargs(self) -> dict:
        kw = {}
        for key in ("window", "day", "level"):
            if getattr(self, key) is not None:
                kw[key] = getattr(self, key)
        if self.metric == "engraftment_day":
            kw["consecutive"] = self.consecutive
        if self.metric in ("recovery_day", "engraftment_day"):
            kw["origin_day"] = self.origin_day
        return kw

    def measure_text(self) -> str:
        return describe(self.metric, self.column, self.window, self.day, self.level, self.consecutive,
                        self.origin_day)

    def expected_text(self) -> str:
        if self.kind == "decreasing":
            return "strictly decreasing"
        if self.kind == "increasing":
            return "strictly increasing"
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

    def accepts(self, value: float) -> bool:
        if value != value:  # NaN
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
    source: str = Field(min_length=1)
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
        return self


class ClaimFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = 1
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
    """Validate claims given as a dictionary; scenario ids and windows are checked too."""
    try:
        doc = ClaimFile.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, source) from None
    _check_against_scenarios(doc.claims, source)
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
            end = check.window[1] if check.window else check.day
            for arm in check.involved():
                if end is not None and end > days[arm] + 1e-9:
                    raise InputError("window reaches past the end of the scenario", file=source,
                                     field=f"claims[{ci}].checks[{ki}]", expected=f"<= {days[arm]:g} days ({arm})",
                                     found=end)


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
