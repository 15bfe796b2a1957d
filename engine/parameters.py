"""The model's parameter table: every constant with unit, default, range and source.

Loaded from ``resources/parameters.toml``. A :class:`ParameterSet` holds the
values for one species with a scenario's overrides applied; the engine reads
plain floats from it (``params["dt_hours"]``).
"""
from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError
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
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except OSError as exc:
        raise InputError(f"cannot read parameter table: {exc.strerror}", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", file=str(path)) from None
    table: dict[str, Parameter] = {}
    for name, entry in raw.items():
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
    return table


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
            self.set(name, value, source_file=source_file, field_prefix="parameters.")

    def set(self, name: str, value: object, *, source_file: str | None = None,
            field_prefix: str = "") -> None:
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
        v = float(value)
        if not (p.min <= v <= p.max):
            raise InputError("value out of range", file=source_file, field=field,
                             expected=f"{p.min:g}..{p.max:g} {p.unit}", found=value)
        self._values[name] = v
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
