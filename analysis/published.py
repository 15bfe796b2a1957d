"""Published observations as data: the tables in ``resources/data/`` (one TOML file per figure or
table of a paper), their schema, and the series a scenario's plots show. No Qt.

    from analysis.published import published_for_scenario, load_table
    for s in published_for_scenario("v08_5fu"):        # [] when none
        s.column, s.days, s.mean, s.lower, s.upper, s.label, s.citation
    t = load_table("bunting1997_abstract")
    v = t.value("thpo_platelets_rel")                  # mean, spread, SD of single animals ...

A table (file stem = its id) names its source exactly (authors, journal, year, figure/table), the
species, strain and regimen, whether it is used for calibration or for testing, the scenarios it
belongs to, and one or more *series*: a quantity in a unit with mean values and their spread, given
as SD, SEM, a range, or a sample of study-level values (``spread = "sample"``: mean and SD are those
of the listed values, e.g. one central value per trial of a meta-analysis). A series may be the
ratio of two others (``ratio_of``; SDs propagated to first order). Statements without numbers are
recorded under ``statements`` (what they say, paraphrased, and the direction they give).

Time points: ``days`` are in the scenario's day axis, or, with ``days_after = "<event kind>"``, days
after that event (converted per scenario). Steady-state values have no days; a scenario's plot shows
them once, at three quarters of its length. Values are stored as published; ``model_factor``
converts them into the unit of the model observable ``column`` (engine/observables.py).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

Use = Literal["calibration", "test"]
Spread = Literal["sd", "sem", "range", "sample", "none"]
SPREAD_TEXT = {"sd": "mean ± SD", "sem": "mean ± SEM", "range": "range", "sample": "mean ± SD of studies",
               "none": "no spread given"}


class Source(BaseModel):
    model_config = ConfigDict(extra="forbid")

    authors: str = Field(min_length=1)
    title: str = Field(min_length=1)
    journal: str = Field(min_length=1)
    year: int = Field(ge=1900, le=2100)
    volume: str = ""
    pages: str = ""
    doi: str = ""
    url: str = ""
    #: where in the paper: "Table 1", "Fig. 3B legend", "abstract"
    locator: str = Field(min_length=1)

    def short(self) -> str:
        first = self.authors.split(",")[0].strip()
        parts = first.split()
        if len(parts) > 1 and parts[-1].isupper():      # "de Sauvage FJ" -> "de Sauvage"
            first = " ".join(parts[:-1])
        etal = " et al." if "," in self.authors else ""
        return f"{first}{etal} {self.year}"

    def citation(self) -> str:
        vol = f" {self.volume}" if self.volume else ""
        pages = f":{self.pages}" if self.pages else ""
        doi = f" doi:{self.doi}" if self.doi else ""
        return f"{self.authors} ({self.year}). {self.title}. {self.journal}{vol}{pages}.{doi} [{self.locator}]"


class Statement(BaseModel):
    """A finding the source states without a number (paraphrased, never copied)."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    says: str = Field(min_length=1)
    direction: Literal["higher", "lower", "no_change", "none"] = "none"


class SeriesSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=1)                 # short legend text, e.g. "Thpo-/-"
    quantity: str = Field(min_length=1)
    unit: str = Field(min_length=1)
    genotype: Literal["wt", "thpo_ko", "mpl_ko", "human"] | None = None
    regimen: str = ""
    use: Use | None = None                           # default: the table's
    scenarios: list[str] | None = None               # default: the table's
    column: str | None = None                        # model observable it compares with
    model_factor: float = Field(1.0, gt=0)           # published unit -> model unit of ``column``
    days: list[float] = Field(default_factory=list)
    days_after: str | None = None                    # event kind the days count from
    mean: list[float] = Field(default_factory=list)
    spread: Spread = "none"
    sd: list[float] | None = None                    # SD or SEM as given (spread sd / sem)
    lower: list[float] | None = None                 # range ends (spread range)
    upper: list[float] | None = None
    sample: list[float] | None = None                # study-level values (spread sample)
    n: int | None = Field(None, ge=1)
    ratio_of: tuple[str, str] | None = None          # numerator, denominator series ids
    derived: str = ""                                # how a statement became a number, what was computed

    @model_validator(mode="after")
    def _consistent(self) -> "SeriesSpec":
        from engine.observables import COLUMNS

        if self.column is not None and self.column not in COLUMNS:
            raise ValueError(f"unknown observable '{self.column}' (one of: {', '.join(COLUMNS)})")
        if self.ratio_of is not None:
            if self.mean or self.sd or self.lower or self.upper or self.sample:
                raise ValueError("a 'ratio_of' series takes no values of its own")
            return self
        if self.spread == "sample":
            if not self.sample or len(self.sample) < 2:
                raise ValueError("spread 'sample' needs 'sample' with at least two values")
            if self.mean:
                raise ValueError("spread 'sample' computes the mean from 'sample': give no 'mean'")
            if not self.derived:
                raise ValueError("spread 'sample' needs 'derived' (what the values are)")
            return self
        if not self.mean:
            raise ValueError("give 'mean' (or 'ratio_of', or spread 'sample')")
        k = len(self.mean)
        if self.days and len(self.days) != k:
            raise ValueError(f"'days' has {len(self.days)} values, 'mean' has {k}")
        if not self.days and k != 1:
            raise ValueError("a series without 'days' (a steady state) has exactly one mean")
        if self.days_after and not self.days:
            raise ValueError("'days_after' needs 'days'")
        if self.spread in ("sd", "sem"):
            if self.sd is None or len(self.sd) != k:
                raise ValueError(f"spread '{self.spread}' needs 'sd' with {k} value(s)")
            if any(v < 0 for v in self.sd):
                raise ValueError("'sd' values must not be negative")
        elif self.sd is not None:
            raise ValueError(f"'sd' is for spread 'sd' or 'sem', not '{self.spread}'")
        if self.spread == "range":
            if self.lower is None or self.upper is None or len(self.lower) != k or len(self.upper) != k:
                raise ValueError(f"spread 'range' needs 'lower' and 'upper' with {k} value(s)")
            if any(lo > m or m > hi for lo, m, hi in zip(self.lower, self.mean, self.upper)):
                raise ValueError("each mean must lie inside its range: lower <= mean <= upper")
        elif self.lower is not None or self.upper is not None:
            raise ValueError(f"'lower'/'upper' are for spread 'range', not '{self.spread}'")
        return self


class DataTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1)
    kind: Literal["table", "figure", "abstract", "text", "meta-analysis"]
    use: Use
    species: Literal["mouse", "human", "rat"]
    strain: str = ""
    source: Source
    scenarios: list[str] = Field(default_factory=list)
    notes: str = ""
    series: list[SeriesSpec] = Field(default_factory=list)
    statements: list[Statement] = Field(default_factory=list)

    #: the file stem (set when loaded)
    id: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "DataTable":
        ids = [s.id for s in self.series] + [s.id for s in self.statements]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"series/statement id appears twice: {', '.join(dup)}")
        if not self.series and not self.statements:
            raise ValueError("a table needs at least one series or statement")
        known = {s.id for s in self.series}
        for s in self.series:
            if s.ratio_of:
                missing = [x for x in s.ratio_of if x not in known or x == s.id]
                if missing:
                    raise ValueError(f"series '{s.id}': ratio_of names unknown series {missing}")
            extra = sorted(set(s.scenarios or []) - set(self.scenarios))
            if extra:
                raise ValueError(f"series '{s.id}': scenarios {extra} are not in the table's 'scenarios'")
        return self

    # ---------------------------------------------------------------- values
    def spec(self, series_id: str) -> SeriesSpec:
        for s in self.series:
            if s.id == series_id:
                return s
        raise KeyError(f"{self.id}: no series '{series_id}'")

    def value(self, series_id: str, point: int = 0) -> "Value":
        """One published value (a point of a series) with its spread."""
        s = self.spec(series_id)
        if s.ratio_of:
            a, b = (self.value(x, point) for x in s.ratio_of)
            mean = a.mean / b.mean
            if a.sd_single is not None and b.sd_single is not None:
                rel = math.hypot(a.sd_single / a.mean, b.sd_single / b.mean)
                sd = mean * rel
                return Value(mean, mean - sd, mean + sd, sd, "sd", min(a.n or 0, b.n or 0) or None,
                             f"ratio {s.ratio_of[0]}/{s.ratio_of[1]} with SDs propagated to first order")
            return Value(mean, mean, mean, None, "none", None, f"ratio {s.ratio_of[0]}/{s.ratio_of[1]}")
        if s.spread == "sample":
            arr = np.asarray(s.sample, float)
            m, sd = float(arr.mean()), float(arr.std(ddof=1))
            return Value(m, m - sd, m + sd, sd, "sample", len(arr), s.derived)
        m = float(s.mean[point])
        if s.spread == "sd":
            sd = float(s.sd[point])
            return Value(m, m - sd, m + sd, sd, "sd", s.n, s.derived)
        if s.spread == "sem":
            sem = float(s.sd[point])
            sd = sem * math.sqrt(s.n) if s.n else None
            return Value(m, m - sem, m + sem, sd, "sem", s.n, s.derived)
        if s.spread == "range":
            return Value(m, float(s.lower[point]), float(s.upper[point]), None, "range", s.n, s.derived)
        return Value(m, m, m, None, "none", s.n, s.derived)

    def model_value(self, series_id: str, point: int = 0) -> "Value":
        """:meth:`value` converted into the unit of the model observable (``model_factor``)."""
        v = self.value(series_id, point)
        f = self.spec(series_id).model_factor
        if f == 1.0:
            return v
        return Value(v.mean * f, v.lower * f, v.upper * f, None if v.sd_single is None else v.sd_single * f,
                     v.spread, v.n, v.derived)

    def label(self, series_id: str) -> str:
        s = self.spec(series_id)
        v = self.value(series_id)
        n = f", n={v.n}" if v.n else ""
        kind = "ratio" if s.ratio_of else SPREAD_TEXT[v.spread]
        return f"{self.source.short()}, {s.label} ({kind}{n})"


@dataclass(frozen=True)
class Value:
    mean: float
    lower: float            # error-bar ends (mean -/+ SD or SEM, or the range)
    upper: float
    sd_single: float | None  # SD of single animals / patients / studies, where it can be known
    spread: str
    n: int | None
    derived: str = ""

    def tolerance(self, k: float = 2.0) -> tuple[float, float] | None:
        """Acceptance interval for a model mean: mean ± k x SD of single animals (SD given, or SEM x sqrt(n),
        or the SD of the study-level sample); the range itself for a range; None when no spread is known."""
        if self.spread == "range":
            return (self.lower, self.upper)
        if self.sd_single is not None:
            return (self.mean - k * self.sd_single, self.mean + k * self.sd_single)
        return None

    def text(self, digits: int = 3) -> str:
        def g(v):
            return f"{v:.{digits}g}"

        if self.spread == "range":
            return f"{g(self.mean)} [{g(self.lower)}-{g(self.upper)}]"
        if self.spread in ("sd", "sample") and self.sd_single is not None:
            return f"{g(self.mean)} ± {g(self.sd_single)} (SD)"
        if self.spread == "sem":
            return f"{g(self.mean)} ± {g(self.upper - self.mean)} (SEM)"
        return g(self.mean)


# ------------------------------------------------------------------ loading

def data_dir() -> Path:
    from engine.runtime import resource_dir

    return resource_dir() / "data"


def parse_table(data: dict, table_id: str, source: str = "<data table>") -> DataTable:
    from engine.errors import from_validation_error

    try:
        t = DataTable.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, source) from None
    t.id = table_id
    return t


def read_table(path: str | Path) -> DataTable:
    from engine.files import read_toml

    path = Path(path)
    return parse_table(read_toml(path, "data table"), path.stem, str(path))


@functools.lru_cache(maxsize=None)
def _all_tables(folder: str) -> dict[str, DataTable]:
    return {p.stem: read_table(p) for p in sorted(Path(folder).glob("*.toml"))}


def all_tables() -> dict[str, DataTable]:
    """Every table in resources/data/ (file stem -> table), read once per process."""
    return dict(_all_tables(str(data_dir())))


def load_table(table_id: str) -> DataTable:
    from engine.errors import InputError

    tables = _all_tables(str(data_dir()))
    if table_id not in tables:
        raise InputError("unknown data table", field="table", expected="a file stem in resources/data/: "
                         + ", ".join(tables), found=table_id)
    return tables[table_id]


# ------------------------------------------------------------------ what a scenario's plots show

@dataclass(frozen=True)
class PublishedSeries:
    table_id: str        # file stem under resources/data/
    column: str          # the observable it compares with (a column of engine/observables.py)
    days: np.ndarray     # time points in the scenario's day axis
    mean: np.ndarray
    lower: np.ndarray    # error-bar ends, same unit as mean (mean - SD/SEM, or the published range)
    upper: np.ndarray
    label: str           # short legend text, e.g. "Bunting 1997, Thpo-/- (range)"
    citation: str        # full citation with figure/table


def _scenario_days(spec: SeriesSpec, scn) -> np.ndarray | None:
    if not spec.days:
        return np.array([0.75 * float(scn.days)])
    days = np.asarray(spec.days, float)
    if spec.days_after:
        starts = [float(e.start_day) for e in scn.events if e.kind == spec.days_after]
        if not starts:
            return None
        days = days + min(starts)
    return days


def published_for_scenario(scenario_id: str) -> list[PublishedSeries]:
    """The published series a built-in scenario's plots show with error bars ([] when none).

    Series are mapped to scenarios through the tables' (and series') ``scenarios`` lists and converted
    to the model column's unit. A ``platelets_rel`` series (relative to the paper's own control) is
    also given as ``platelets``, on the scenario species' baseline count."""
    from engine import load_scenario

    out: list[PublishedSeries] = []
    scn = None
    for tid, t in all_tables().items():
        if scenario_id not in t.scenarios:
            continue
        for s in t.series:
            if s.column is None or scenario_id not in (s.scenarios if s.scenarios is not None else t.scenarios):
                continue
            scn = scn or load_scenario(scenario_id)
            days = _scenario_days(s, scn)
            if days is None:
                continue
            points = range(1) if s.ratio_of or s.spread == "sample" else range(len(s.mean))
            vals = [t.value(s.id, i) for i in points]
            f = s.model_factor
            mean = np.array([v.mean for v in vals]) * f
            lower = np.array([v.lower for v in vals]) * f
            upper = np.array([v.upper for v in vals]) * f
            days = days[: len(mean)]
            label, cite = t.label(s.id), t.source.citation()
            out.append(PublishedSeries(tid, s.column, days, mean, lower, upper, label, cite))
            if s.column == "platelets_rel":
                base = float(scn.parameter_set()["platelet_baseline"])
                out.append(PublishedSeries(tid, "platelets", days, mean * base, lower * base, upper * base,
                                           label, cite))
    return out
