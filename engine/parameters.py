"""The model's parameter table: every constant with unit, default, range and source.

Loaded from ``resources/parameters.toml``. A :class:`ParameterSet` holds the
values for one species with a scenario's overrides applied; the engine reads
plain floats from it (``params["dt_hours"]``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .errors import InputError
from .files import read_toml
from .runtime import resource_dir

SPECIES = ("mouse", "human")
REQUIRED_KEYS = ("group", "unit", "default", "min", "max", "description", "source")


@dataclass(frozen=True)
class Parameter:
    name: str
    group: str
    unit: str
    default: float
    human: float | None
    min: float
    max: float
    description: str
    source: str

    def default_for(self, species: str) -> float:
        if species == "human" and self.human is not None:
            return self.human
        return self.default


def parameter_file() -> Path:
    return resource_dir() / "parameters.toml"


@lru_cache(maxsize=1)
def parameter_table() -> dict[str, Parameter]:
    """Read and check the parameter table (cached)."""
    path = parameter_file()
    raw = read_toml(path, "parameter table")
    table: dict[str, Parameter] = {}
    for name, entry in raw.items():
        if not isinstance(entry, dict):
            raise InputError("parameter entry is not a table", file=str(path), field=name)
        missing = [k for k in REQUIRED_KEYS if k not in entry]
        if missing:
            raise InputError("parameter entry incomplete", file=str(path), field=name,
                             expected="keys " + ", ".join(REQUIRED_KEYS), found=sorted(entry))
        p = Parameter(name=name, group=entry["group"], unit=entry["unit"],
                      default=float(entry["default"]),
                      human=float(entry["human"]) if "human" in entry else None,
                      min=float(entry["min"]), max=float(entry["max"]),
                      description=entry["description"], source=entry["source"])
        for species in SPECIES:
            v = p.default_for(species)
            if not p.min <= v <= p.max:
                raise InputError("default outside its range", file=str(path), field=name,
                                 expected=f"{p.min}..{p.max}", found=v)
        table[name] = p
    for species in SPECIES:
        check_consistency({n: p.default_for(species) for n, p in table.items()},
                          source_file=f"{path} ({species} defaults)")
    return table


# ------------------------------------------------------------------ consistency across parameters

#: (first, relation, second, why): each rule must hold for every parameter set. Relations:
#: "<" and "<=" compare the two values; "< half" requires first < second / 2.
CONSISTENCY_RULES: tuple[tuple[str, str, str, str], ...] = (
    ("platelet_normal_low", "<", "platelet_normal_high", "the normal range's lower limit must lie below its upper limit"),
    ("mk_radius_min_um", "<=", "mk_radius_max_um", "a new megakaryocyte cannot be larger than a mature one"),
    ("vessel_radius_um", "< half", "vessel_spacing_um", "sinusoids wider than their spacing would overlap"),
    ("dt_hours", "<=", "sample_hours", "observables cannot be recorded more often than once per time step"),
)
#: parameters that count things (must be whole numbers)
WHOLE_NUMBERS = ("platelet_age_stages", "mkp_niche_max_divisions", "hspc_activation_stages", "mk_transit_stages",
                 "stress_spleen_stages", "anc_transit_stages", "graft_myeloid_stages")


def _holds(a: float, relation: str, b: float) -> bool:
    if relation == "<":
        return a < b
    if relation == "<=":
        return a <= b
    return a < 0.5 * b


def check_consistency(values: dict[str, float], *, source_file: str | None = None, field_prefix: str = "",
                      changed: str | Iterable[str] | None = None) -> None:
    """InputError when the values contradict each other (CONSISTENCY_RULES, WHOLE_NUMBERS).

    The error names the parameter of the broken rule that is in ``changed`` (a name or names,
    e.g. a scenario's overrides), else the rule's first parameter."""
    names = {changed} if isinstance(changed, str) else set(changed or ())
    for name in WHOLE_NUMBERS:
        v = values.get(name)
        if v is not None and v != math.floor(v):
            raise InputError("must be a whole number (it counts things)", file=source_file,
                             field=f"{field_prefix}{name}", expected="a whole number", found=v)
    for a, rel, b, why in CONSISTENCY_RULES:
        if a not in values or b not in values:
            continue
        va, vb = values[a], values[b]
        if not _holds(va, rel, vb):
            field = a if a in names or b not in names else b
            bound = {"<": f"below {b}", "<=": f"at most {b}", "< half": f"below half of {b}"}[rel]
            raise InputError(f"contradicts {b if field == a else a}: {why}", file=source_file,
                             field=f"{field_prefix}{field}",
                             expected=f"{a} {bound} ({a} = {va:g}, {b} = {vb:g})", found=values[field])


class ParameterSet:
    """Values of all parameters for one species, with overrides applied and checked."""

    def __init__(self, species: str = "mouse", overrides: dict[str, float] | None = None,
                 source_file: str | None = None):
        if species not in SPECIES:
            raise InputError("unknown species", file=source_file, field="species",
                             expected=" or ".join(SPECIES), found=species)
        self.species = species
        self.table = parameter_table()
        self._values = {n: p.default_for(species) for n, p in self.table.items()}
        self.overrides: dict[str, float] = {}
        for name, value in (overrides or {}).items():
            self.set(name, value, source_file=source_file, field_prefix="parameters.", check=False)
        check_consistency(self._values, source_file=source_file, field_prefix="parameters.",
                          changed=(overrides or {}).keys())

    def set(self, name: str, value: object, *, source_file: str | None = None,
            field_prefix: str = "", check: bool = True) -> None:
        """Set one value (range checked; with ``check``, also against the other parameters)."""
        field = f"{field_prefix}{name}"
        if name not in self.table:
            close = [n for n in self.table if name.split("_")[0] in n][:3]
            hint = f"; similar: {', '.join(close)}" if close else ""
            raise InputError(f"unknown parameter{hint}", file=source_file, field=field,
                             expected="a name listed by `python main.py params`", found=name)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError("wrong type", file=source_file, field=field,
                             expected="a number", found=value)
        p = self.table[name]
        try:
            v = float(value)
        except OverflowError:       # an integer beyond the float range
            v = math.inf
        if not (p.min <= v <= p.max):
            raise InputError("value out of range", file=source_file, field=field,
                             expected=f"{p.min:g}..{p.max:g} {p.unit}", found=value)
        old = self._values[name]
        self._values[name] = v
        if check:
            try:
                check_consistency(self._values, source_file=source_file, field_prefix=field_prefix,
                                  changed=name)
            except InputError:
                self._values[name] = old
                raise
        if v != p.default_for(self.species):
            self.overrides[name] = v
        else:
            self.overrides.pop(name, None)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def as_dict(self) -> dict[str, float]:
        return dict(self._values)

    def copy(self) -> "ParameterSet":
        new = ParameterSet.__new__(ParameterSet)
        new.species = self.species
        new.table = self.table
        new._values = dict(self._values)
        new.overrides = dict(self.overrides)
        return new
