"""Scenario files: what to simulate (species, genotype, events, overrides).

A scenario is a TOML file validated against a strict schema (unknown keys,
wrong types and out-of-range values are errors that name the file and field).
Built-in scenarios live in ``resources/scenarios/``; a scenario can be given by
its id (the file stem) or by a path.
"""
from __future__ import annotations

import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .errors import InputError, from_validation_error
from .files import read_toml
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
}
TREATMENTS = ("il6", "il11", "sdf1", "fgf4", "msc", "msc_ev")
PERTURBATIONS = ("fu5", "irradiation", "niche_disruption", "cxcr4_block", "vla4_block")

DOSE_UNIT_BY_SPECIES = {"mouse": "10^6 donor marrow cells", "human": "10^6 CD34+ cells/kg"}


class Event(BaseModel):
    """A scheduled treatment or perturbation."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["il6", "il11", "sdf1", "fgf4", "msc", "msc_ev", "fu5", "irradiation",
                  "niche_disruption", "cxcr4_block", "vla4_block", "transplant"]
    start_day: float = Field(0.0, ge=0.0, le=3650.0)
    duration_days: float = Field(14.0, ge=0.0, le=3650.0)
    dose: float | None = Field(None, ge=0.0)
    msc_coinfusion: float = Field(0.0, ge=0.0, le=20.0)

    @model_validator(mode="after")
    def _dose_in_range(self) -> "Event":
        label, default, maximum, unit, _ = EVENT_KINDS[self.kind]
        if self.dose is None:
            self.dose = default
        if not math.isfinite(self.dose) or self.dose > maximum:
            raise ValueError(f"dose of {label} must be 0..{maximum:g} {unit}, found {self.dose!r}")
        if self.msc_coinfusion and self.kind != "transplant":
            raise ValueError("msc_coinfusion only applies to kind 'transplant'")
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

    model_config = ConfigDict(extra="forbid")

    name: str = Field("Untitled", min_length=1, max_length=200)
    description: str = ""
    explanation: str = ""
    group: str = "General"
    species: Literal["mouse", "human"] = "mouse"
    genotype: Literal["wt", "thpo_ko", "mpl_ko"] = "wt"
    days: float = Field(60.0, gt=0.0, le=3650.0)
    seed: int = Field(1, ge=0, lt=2**63)
    parameters: dict[str, float] = Field(default_factory=dict)
    events: list[Event] = Field(default_factory=list)

    #: where it was loaded from (not part of the file)
    _source: str | None = None

    def parameter_set(self) -> ParameterSet:
        return ParameterSet(self.species, self.parameters, source_file=self._source)

    def to_toml(self) -> str:
        return scenario_to_toml(self)

    def copy_with(self, **changes) -> "Scenario":
        new = self.model_copy(update=changes, deep=True)
        new._source = self._source
        return new


# ------------------------------------------------------------------- loading

def scenario_dir() -> Path:
    return resource_dir() / "scenarios"


def builtin_scenarios() -> dict[str, Path]:
    """Built-in scenario ids (file stems) mapped to their files, sorted."""
    return {p.stem: p for p in sorted(scenario_dir().glob("*.toml"))}


def parse_scenario(data: dict, source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dictionary (e.g. parsed TOML)."""
    try:
        scn = Scenario.model_validate(data)
    except ValidationError as err:
        raise from_validation_error(err, source) from None
    scn._source = source
    # parameter overrides are checked against the parameter table (names, ranges)
    scn.parameter_set()
    return scn


def load_scenario(name_or_path: str | Path) -> Scenario:
    """Load a built-in scenario by id, or a scenario file by path."""
    text = str(name_or_path)
    builtins = builtin_scenarios()
    if text in builtins:
        path = builtins[text]
    else:
        path = Path(text)
        if not path.suffix and not path.exists():
            raise InputError("unknown scenario name", field="scenario",
                             expected="a file path or one of: " + ", ".join(builtins), found=text)
    data = read_toml(path, "scenario file")
    return parse_scenario(data, str(path))


# ------------------------------------------------------------------- writing

def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else "nan"
    if isinstance(v, str):
        escaped = (v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                   .replace("\t", "\\t"))
        return f'"{escaped}"'
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
            lines.append(f"{k} = {_toml_value(float(scn.parameters[k]))}")
    for ev in scn.events:
        lines += ["", "[[events]]", f"kind = {_toml_value(ev.kind)}",
                  f"start_day = {_toml_value(float(ev.start_day))}",
                  f"duration_days = {_toml_value(float(ev.duration_days))}",
                  f"dose = {_toml_value(float(ev.dose))}"]
        if ev.msc_coinfusion:
            lines.append(f"msc_coinfusion = {_toml_value(float(ev.msc_coinfusion))}")
    return "\n".join(lines) + "\n"
