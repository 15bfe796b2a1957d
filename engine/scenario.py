"""Scenario files: what to simulate (species, genotype, events, overrides).

A scenario is a TOML file validated against a strict schema (unknown keys,
wrong types and out-of-range values are errors that name the file and field).
Strict means strict: a number is never taken from a string or from true/false
(an integer is accepted where a decimal number is expected), and no value may be
infinite or NaN. Doses are capped per event and in sum (:data:`DOSE_TOTAL_MAX`),
parameters are checked against each other (engine.parameters), and the size of
the simulation is estimated and refused over budget (engine.budget) before
anything is built. Built-in scenarios live in ``resources/scenarios/``; a
scenario can be given by its id (the file stem) or by a path.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from . import budget
from .errors import InputError, from_validation_error
from .files import MAX_SCENARIO_BYTES, path_exists, read_toml
from .parameters import ParameterSet
from .runtime import resource_dir

GENOTYPES = {"wt": "wild type", "thpo_ko": "Thpo-/-", "mpl_ko": "Mpl-/-"}

#: kind -> (label, default dose, max dose, dose unit, is_instant)
EVENT_KINDS: dict[str, tuple[str, float, float, str, bool]] = {
    "il6": ("IL-6", 1.0, 10.0, "x standard dose", False),
    "il11": ("IL-11", 1.0, 10.0, "x standard dose", False),
    "sdf1": ("SDF-1", 1.0, 10.0, "x standard dose", False),
    "fgf4": ("FGF-4", 1.0, 10.0, "x standard dose", False),
    "msc": ("MSC infusion", 1.0, 20.0, "x standard co-infusion", True),
    "msc_ev": ("MSC-EVs", 1.0, 10.0, "x standard dose", False),
    "fu5": ("5-FU", 1.0, 3.0, "x 150 mg/kg", True),
    "irradiation": ("Irradiation", 9.5, 20.0, "Gy", True),
    "niche_disruption": ("Anti-VE-cadherin", 1.0, 5.0, "x standard dose", False),
    "cxcr4_block": ("CXCR4 block", 1.0, 5.0, "x standard dose", False),
    "vla4_block": ("VLA-4 block", 1.0, 5.0, "x standard dose", False),
    "transplant": ("HSC transplant", 1.0, 100.0, "donor dose units", True),
    "tpo": ("TPO agonist (PEG-MGDF)", 25.0, 1000.0, "ug/kg", True),
    "gcsf": ("G-CSF (filgrastim)", 1.0, 10.0, "x standard dose", False),
}
TREATMENTS = ("il6", "il11", "sdf1", "fgf4", "tpo", "msc", "msc_ev", "gcsf")
PERTURBATIONS = ("fu5", "irradiation", "niche_disruption", "cxcr4_block", "vla4_block")

DOSE_UNIT_BY_SPECIES = {"mouse": "10^6 donor marrow cells", "human": "10^6 CD34+ cells/kg"}

#: seeds: 0 .. SEED_MAX everywhere (schema, command line, the window's seed box: a Qt spin box
#: holds a signed 32-bit integer)
SEED_MAX = 2 ** 31 - 1
#: longest simulated run (days) and most events in one scenario
MAX_DAYS = 3650.0
MAX_EVENTS = 100
#: most a kind's doses may add up to. Continuous kinds: the doses of the events running at the
#: same moment (the single-event maximum: a level above it is outside what the model was made
#: for). Instant kinds: all the doses of the run together (MSC: infusions and transplant
#: co-infusions together).
DOSE_TOTAL_MAX: dict[str, float] = {
    **{k: EVENT_KINDS[k][2] for k in ("il6", "il11", "sdf1", "fgf4", "msc_ev", "gcsf", "niche_disruption",
                                      "cxcr4_block", "vla4_block")},
    "fu5": 6.0,            # x 150 mg/kg over the run: twice the single-event maximum
    "irradiation": 20.0,   # Gy over the run: the single-event maximum
    "msc": 40.0,           # standard doses over the run: a maximal infusion plus a maximal co-infusion
    "transplant": 100.0,   # donor dose units over the run
    "tpo": 5000.0,         # ug/kg over the run: five maximal injections
}
MAX_TEXT = 20_000   # characters of a description or explanation


def _check_text(value: str, single_line: bool) -> str:
    """Text fields: valid Unicode (no lone surrogates); single-line fields without control characters."""
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise ValueError("holds an invalid character (a lone surrogate)")
    bad = [c for c in value if (ord(c) < 32 and (single_line or c not in "\n\t\r")) or ord(c) == 127
           or 0x80 <= ord(c) < 0xA0]
    if bad:
        raise ValueError(f"holds a control character ({bad[0]!r}); "
                         + ("use plain text on one line" if single_line else "only line breaks and tabs are allowed"))
    return value


class Event(BaseModel):
    """A scheduled treatment or perturbation."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    kind: Literal["il6", "il11", "sdf1", "fgf4", "msc", "msc_ev", "fu5", "irradiation",
                  "niche_disruption", "cxcr4_block", "vla4_block", "transplant", "tpo", "gcsf"]
    start_day: float = Field(0.0, ge=0.0, le=MAX_DAYS)
    duration_days: float = Field(14.0, ge=0.0, le=MAX_DAYS)
    dose: float | None = Field(None, ge=0.0)
    msc_coinfusion: float = Field(0.0, ge=0.0, le=20.0)

    @model_validator(mode="after")
    def _dose_in_range(self) -> "Event":
        label, default, maximum, unit, _ = EVENT_KINDS[self.kind]
        if self.dose is None:
            self.dose = default
        if not math.isfinite(self.dose) or self.dose > maximum:
            raise ValueError(f"@dose: dose of {label} must be 0..{maximum:g} {unit}, found {self.dose!r}")
        if self.msc_coinfusion and self.kind != "transplant":
            raise ValueError("@msc_coinfusion: msc_coinfusion only applies to kind 'transplant'")
        return self

    @property
    def instant(self) -> bool:
        return EVENT_KINDS[self.kind][4]

    @property
    def label(self) -> str:
        return EVENT_KINDS[self.kind][0]

    def summary(self) -> str:
        label, _, _, unit, instant = EVENT_KINDS[self.kind]
        text = f"{label} {self.dose:g} {unit} day {self.start_day:g}"
        if not instant:
            text += f" for {self.duration_days:g} d"
        if self.msc_coinfusion:
            text += f" + MSC x{self.msc_coinfusion:g}"
        return text


class Scenario(BaseModel):
    """Everything needed to reproduce a run (with a seed)."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    name: str = Field("Untitled", min_length=1, max_length=200)
    description: str = Field("", max_length=MAX_TEXT)
    explanation: str = Field("", max_length=MAX_TEXT)
    group: str = Field("General", max_length=100)
    species: Literal["mouse", "human"] = "mouse"
    genotype: Literal["wt", "thpo_ko", "mpl_ko"] = "wt"
    days: float = Field(60.0, gt=0.0, le=MAX_DAYS)
    seed: int = Field(1, ge=0, le=SEED_MAX)
    parameters: dict[str, float] = Field(default_factory=dict, max_length=200)
    events: list[Event] = Field(default_factory=list, max_length=MAX_EVENTS)

    @field_validator("name", "group")
    @classmethod
    def _single_line(cls, v: str) -> str:
        return _check_text(v, single_line=True)

    @field_validator("description", "explanation")
    @classmethod
    def _text(cls, v: str) -> str:
        return _check_text(v, single_line=False)

    @model_validator(mode="after")
    def _dose_totals(self) -> "Scenario":
        check_dose_totals(self.events)
        return self

    #: where it was loaded from (not part of the file)
    _source: str | None = None

    def parameter_set(self) -> ParameterSet:
        return ParameterSet(self.species, self.parameters, source_file=self._source)

    def to_toml(self) -> str:
        return scenario_to_toml(self)

    def check_size(self) -> budget.Estimate:
        """Check the parameters (ranges, consistency) and estimate the simulation's size before
        anything is built; InputError (with the estimate) over the budget (engine.budget)."""
        return check_budget(self)

    def copy_with(self, **changes) -> "Scenario":
        """A copy with ``changes`` applied, validated like a file (InputError naming the field)."""
        new = self.model_copy(update=changes, deep=True)
        try:
            new = Scenario.model_validate(new.model_dump(warnings=False))
        except ValidationError as err:
            raise from_validation_error(err, self._source) from None
        new._source = self._source
        return new


def _dose_text(kind: str, value: float) -> str:
    return f"{value:g} {EVENT_KINDS[kind][3]}"


def check_dose_totals(events: list[Event]) -> None:
    """ValueError when doses add up beyond DOSE_TOTAL_MAX (see there); the message starts with
    '@events[i].dose: ' (engine.errors puts it in the field)."""
    totals: dict[str, float] = {}
    for i, ev in enumerate(events):
        if not ev.instant:
            continue
        parts = [(ev.kind, float(ev.dose))]
        if ev.kind == "transplant" and ev.msc_coinfusion:
            parts.append(("msc", float(ev.msc_coinfusion)))
        for kind, dose in parts:
            totals[kind] = totals.get(kind, 0.0) + dose
            if totals[kind] > DOSE_TOTAL_MAX[kind] * (1 + 1e-9):
                raise ValueError(f"@events[{i}].{'dose' if kind == ev.kind else 'msc_coinfusion'}: {EVENT_KINDS[kind][0]} doses add up to "
                                 f"{_dose_text(kind, totals[kind])} over the run, more than the total allowed "
                                 f"({_dose_text(kind, DOSE_TOTAL_MAX[kind])})")
    by_kind: dict[str, list[tuple[float, int, float, int]]] = {}
    for i, ev in enumerate(events):
        if ev.instant or ev.duration_days <= 0 or not ev.dose:
            continue
        marks = by_kind.setdefault(ev.kind, [])
        marks.append((ev.start_day, 1, float(ev.dose), i))                     # starts after ends at a time
        marks.append((ev.start_day + ev.duration_days, 0, -float(ev.dose), i))
    for kind, marks in by_kind.items():
        level = 0.0
        for day, _order, change, i in sorted(marks):
            level += change
            if change > 0 and level > DOSE_TOTAL_MAX[kind] * (1 + 1e-9):
                raise ValueError(f"@events[{i}].dose: {EVENT_KINDS[kind][0]} events running at the same time add up to "
                                 f"{_dose_text(kind, level)} on day {day:g}, more than the most allowed at once "
                                 f"({_dose_text(kind, DOSE_TOTAL_MAX[kind])})")


# ------------------------------------------------------------------- loading

def scenario_dir() -> Path:
    return resource_dir() / "scenarios"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario ids (file stems) mapped to their files, sorted."""
    return {p.stem: p for p in sorted(scenario_dir().glob("*.toml"))}


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dictionary (e.g. parsed TOML): the schema, the parameter
    overrides (names, ranges, consistency) and the size of its simulation (engine.budget)."""
    if not isinstance(data, dict):
        raise InputError("not a scenario", file=source, expected="a table of scenario keys",
                         found=type(data).__name__)
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, source) from None
    scn._source = source
    check_budget(scn)
    return scn


def check_budget(scn: Scenario) -> budget.Estimate:
    """Check the scenario's parameters and the size of its simulation; the estimate, or InputError."""
    params = scn.parameter_set()
    return budget.check(params, scn.events, scn.genotype, file=scn._source)


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by id, or a scenario file by path."""
    text = str(name_or_path)
    builtins = builtin_scenarios()
    if text in builtins:
        path = builtins[text]
    else:
        path = Path(text)
        if not path.suffix and not path_exists(path):
            raise InputError("unknown scenario name", field="scenario",
                             expected="a file path or one of: " + ", ".join(builtins), found=text)
    data = read_toml(path, "scenario file", MAX_SCENARIO_BYTES)
    return parse_scenario(data, str(path))


# ------------------------------------------------------------------- writing

_TOML_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f",
                 "\r": "\\r"}


def toml_string(text: str) -> str:
    """A TOML basic string that reads back as exactly ``text`` (every control character escaped)."""
    out = []
    for c in text:
        if c in _TOML_ESCAPES:
            out.append(_TOML_ESCAPES[c])
        elif ord(c) < 32 or ord(c) == 127:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "nan"
    if isinstance(v, str):
        return toml_string(v)
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def scenario_to_toml(scn: Scenario) -> str:
    lines = ["# NicheLab scenario", ""]
    for key in ("name", "description", "explanation", "group", "species", "genotype", "days", "seed"):
        value = getattr(scn, key)
        if key in ("description", "explanation") and not value:
            continue
        lines.append(f"{key} = {_toml_value(value)}")
    if scn.parameters:
        lines += ["", "[parameters]"]
        for k in sorted(scn.parameters):
            lines.append(f"{toml_string(k)} = {_toml_value(float(scn.parameters[k]))}")
    for ev in scn.events:
        lines += ["", "[[events]]", f"kind = {_toml_value(ev.kind)}",
                  f"start_day = {_toml_value(float(ev.start_day))}",
                  f"duration_days = {_toml_value(float(ev.duration_days))}",
                  f"dose = {_toml_value(float(ev.dose))}"]
        if ev.msc_coinfusion:
            lines.append(f"msc_coinfusion = {_toml_value(float(ev.msc_coinfusion))}")
    return "\n".join(lines) + "\n"
