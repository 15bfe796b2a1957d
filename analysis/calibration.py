"""Calibration: fit the calibrated parameters to the data tables named in resources/calibration.toml.

    from analysis.calibration import calibrate, load_calibration
    fits = calibrate("mouse")          # [Fit(name, value, method, table, series, note), ...]

Each entry of ``resources/calibration.toml`` names a parameter, the species, a method and the table
(``resources/data/<table>.toml``) and series it is fitted to. ``table_value`` entries are read first;
then every fitted entry is updated from WT runs (``seeds``), repeated ``rounds`` times, because the
TPO feedback makes the steady state depend on the values themselves (a fixed point, 2-4 rounds).

Nothing is written: the caller prints the values for resources/parameters.toml.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from engine.errors import InputError, from_validation_error
from engine.files import read_toml
from engine.runtime import resource_dir

METHODS = ("table_value", "receptor_clearance_share", "release_balance", "scale_to_target", "self_consistency",
           "response_to_target")
#: methods read straight from a table (no run needed)
FROM_TABLE = ("table_value", "receptor_clearance_share")
OBSERVABLES = ("mk_density",)


class Entry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    species: Literal["mouse", "human"]
    method: Literal["table_value", "receptor_clearance_share", "release_balance", "scale_to_target",
                    "self_consistency", "response_to_target"]
    table: str | None = None
    series: str | None = None
    point: int = Field(0, ge=0)
    target_parameter: str | None = None
    observable: str | None = None
    exponent: float = Field(1.0, ge=-4, le=4)
    #: response_to_target: the built-in scenario run, its days averaged, and the level the response
    #: is counted from (the observable's value without the response, e.g. 1 for a count / baseline)
    scenario: str | None = None
    #: response_to_target with a reference scenario: the response is the ratio of the two means
    #: (same seeds), e.g. an experiment in two genotypes
    reference: str | None = None
    window: tuple[float, float] | None = None
    level: float = 0.0
    #: response_to_target: what each run gives: the mean of `observable` over `window` ("mean"), its
    #: highest value there ("max", e.g. a peak after a dose), or its engraftment day ("engraftment_day": the first of `consecutive` daily values >= `threshold`
    #: after the nadir, within `window`, counted from `origin_day`, as validation's metric of that
    #: name). With a reference scenario a mean is divided by the reference's and an engraftment day
    #: has the reference's subtracted (same seed)
    metric: Literal["mean", "max", "engraftment_day"] = "mean"
    threshold: float | None = None
    consecutive: int = Field(3, ge=1, le=10)
    origin_day: float = 0.0
    seeds: int = Field(4, ge=1, le=20)
    note: str = ""

    @model_validator(mode="after")
    def _consistent(self) -> "Entry":
        if self.exponent == 0:
            raise ValueError("'exponent' must not be 0")
        has_table = self.table is not None or self.series is not None
        if has_table and (self.table is None or self.series is None):
            raise ValueError("give both 'table' and 'series'")
        if self.method in FROM_TABLE and not has_table:
            raise ValueError(f"method '{self.method}' needs 'table' and 'series'")
        if self.method in ("release_balance", "scale_to_target") and has_table == bool(self.target_parameter):
            raise ValueError(f"method '{self.method}' needs either 'table'/'series' or 'target_parameter'")
        if self.method == "scale_to_target" and not self.observable:
            raise ValueError("method 'scale_to_target' needs 'observable' (a column of the observables)")
        if self.method == "self_consistency":
            if has_table or self.target_parameter:
                raise ValueError("method 'self_consistency' takes no table: it reads the model's own WT value")
            if self.observable not in OBSERVABLES:
                raise ValueError(f"method 'self_consistency' needs 'observable', one of {', '.join(OBSERVABLES)}")
        if self.method == "response_to_target":
            if not has_table or not self.scenario or not self.window or not self.observable:
                raise ValueError("method 'response_to_target' needs 'table', 'series', 'scenario', 'window' "
                                 "and 'observable'")
            if not self.window[0] < self.window[1]:
                raise ValueError("'window' must be [first day, last day] with first < last")
            if (self.metric == "engraftment_day") != (self.threshold is not None):
                raise ValueError("'threshold' is needed for metric 'engraftment_day' and only for it")
        elif self.scenario or self.window or self.reference:
            raise ValueError(f"'scenario', 'reference' and 'window' belong to method 'response_to_target', "
                             f"not '{self.method}'")
        return self


class CalibrationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    parameters: list[Entry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> "CalibrationFile":
        seen = set()
        for e in self.parameters:
            key = (e.name, e.species)
            if key in seen:
                raise ValueError(f"parameter '{e.name}' ({e.species}) is listed twice")
            seen.add(key)
        return self


@dataclass(frozen=True)
class Fit:
    name: str
    species: str
    value: float
    method: str
    table: str | None
    series: str | None
    note: str

    def source_text(self) -> str:
        """What parameters.toml's ``source`` should say for this value."""
        if self.table:
            return (f"calibrated (main.py calibrate, {self.method}): fitted to resources/data/{self.table}.toml, "
                    f"series {self.series}; see resources/calibration.toml")
        return f"calibrated (main.py calibrate, {self.method}): {self.note}; see resources/calibration.toml"


def calibration_file() -> Path:
    return resource_dir() / "calibration.toml"


def load_calibration(path: str | Path | None = None) -> list[Entry]:
    """The entries of resources/calibration.toml, checked against the parameter table and the data."""
    from engine.parameters import parameter_table

    path = Path(path) if path else calibration_file()
    try:
        doc = CalibrationFile.model_validate(read_toml(path, "calibration file"))
    except ValidationError as err:
        raise from_validation_error(err, str(path)) from None
    params = parameter_table()
    for i, e in enumerate(doc.parameters):
        for key in ("name", "target_parameter"):
            v = getattr(e, key)
            if v is not None and v not in params:
                raise InputError("unknown parameter", file=str(path), field=f"parameters[{i}].{key}",
                                 expected="a name in resources/parameters.toml", found=v)
        if e.table is not None:
            _table_value(e, str(path), i)
    return doc.parameters


def _table_value(e: Entry, source: str = "<calibration>", index: int = 0) -> float:
    from analysis.published import load_table

    try:
        t = load_table(e.table)
        spec = t.spec(e.series)
        v = t.model_value(e.series, e.point)
    except (InputError, KeyError, IndexError) as exc:
        raise InputError(f"no such data: {exc}", file=source, field=f"parameters[{index}]",
                         expected="a table and series of resources/data/", found=f"{e.table}:{e.series}") from None
    if (spec.use or t.use) != "calibration":
        raise InputError("a calibration entry must use a calibration series", file=source,
                         field=f"parameters[{index}].series", expected="use = 'calibration' in the data table",
                         found=f"{e.table}:{e.series}")
    return float(v.mean)


def value_from_table(e: Entry) -> float:
    """A parameter read from its table: the value itself (``table_value``), or, for
    ``receptor_clearance_share``, the share of TPO clearance through Mpl from the published
    Mpl-null / WT plasma TPO ratio R. Production is the same in both (Fielder 1996: no rise in TPO
    mRNA in c-mpl-/- mice) and Mpl-null mice lack the receptor route, so at steady state
    R = 1 / (1 - share), share = 1 - 1/R (engine/systemic.py)."""
    v = _table_value(e)
    if e.method == "receptor_clearance_share":
        if v <= 1.0:
            raise InputError("an Mpl-null / WT TPO ratio must exceed 1", field=f"{e.table}:{e.series}",
                             expected="> 1", found=v)
        return 1.0 - 1.0 / v
    return v


def _run_measure(base, e: Entry, values: dict, seed: int) -> float | None:
    """``e.metric`` of ``e.observable`` in scenario ``base`` run with ``values`` and ``seed``: the mean
    or the highest value over ``e.window``, or the engraftment day (None when the count never fell below the threshold;
    the days to the window's end when it was not reached by then)."""
    from analysis.outcomes import engraftment
    from engine.simulation import Simulation

    days = e.window[1] if e.metric == "engraftment_day" else max(base.days, e.window[1])
    scn = base.model_copy(update={"seed": seed, "days": days, "parameters": {**base.parameters, **values}})
    sim = Simulation.from_scenario(scn)
    sim.run()
    o = sim.observables
    d = o["day"]
    if e.metric == "engraftment_day":
        ev = engraftment(d, o[e.observable], e.threshold, consecutive=e.consecutive, origin_day=e.origin_day,
                         win=e.window)
        if ev.status == "reached":
            return float(ev.day)
        return None if ev.status == "never_below" else float(ev.end_day - e.origin_day)
    sel = (d >= e.window[0] - 1e-9) & (d <= e.window[1] + 1e-9)
    x = o[e.observable][sel]
    return float(x.max() if e.metric == "max" else x.mean())


def response_of(e: Entry, values: dict, seeds: int | None = None) -> float:
    """``e.metric`` of ``e.observable`` in the built-in scenario ``e.scenario`` (a mean divided by, an
    engraftment day minus, that of ``e.reference`` with the same seed, if given), averaged over seeds
    1..``e.seeds`` (a seed whose count never fell below the engraftment threshold is left out), with
    the parameters ``values``."""
    from engine.scenario import load_scenario

    arm = load_scenario(e.scenario)
    reference = load_scenario(e.reference) if e.reference else None
    out = []
    for seed in range(1, (seeds or e.seeds) + 1):
        x = _run_measure(arm, e, values, seed)
        if reference is not None and x is not None:
            ref = _run_measure(reference, e, values, seed)
            if ref is None:
                x = None
            elif e.metric == "engraftment_day":
                x = x - ref
            else:
                x = x / ref if ref > 0 else float("inf")
        if x is not None:
            out.append(x)
    if not out:
        raise InputError("no seed gave a response (the count never fell below the engraftment threshold)",
                         field=e.name, expected=f"{e.observable} below {e.threshold:g} in {e.scenario}",
                         found="none")
    return float(np.mean(out))


def _fit_response(e: Entry, species: str, values: dict, rounds: int, log) -> float:
    """``response_to_target``: the parameter scales the response above ``e.level``; fixed point
    value x ((target - level) / (observed - level))^exponent, ``rounds`` + 1 times."""
    from engine.parameters import ParameterSet

    target = _table_value(e)
    value = float(values.get(e.name, ParameterSet(species)[e.name]))
    for r in range(rounds + 1):
        obs = response_of(e, {**values, e.name: value})
        if (obs - e.level) * (target - e.level) <= 0:
            raise InputError("the response is on the other side of its level: cannot scale to the target",
                             field=e.name, expected=f"{e.observable} beyond {e.level:g} in {e.scenario}",
                             found=f"{obs:.4g}")
        new = round(value * ((target - e.level) / (obs - e.level)) ** e.exponent, 4)
        if e.metric == "engraftment_day":
            what = f"{e.scenario} - {e.reference}" if e.reference else e.scenario
            log(f"{e.name}: {what}: {e.observable} engraftment day (>= {e.threshold:g}, days "
                f"{e.window[0]:g}-{e.window[1]:g}){' (difference)' if e.reference else ''} = {obs:.4g} "
                f"(target {target:.4g}) at {value:g} -> {new:g}")
        else:
            what = f"{e.scenario} / {e.reference}" if e.reference else e.scenario
            log(f"{e.name}: {what}: {e.metric} {e.observable} over days {e.window[0]:g}-{e.window[1]:g}"
                f"{' (ratio)' if e.reference else ''} = {obs:.4g} (target {target:.4g}) at {value:g} -> {new:g}")
        value = new
    return value


def calibrate(species: str = "mouse", days: float = 24.0, seeds=(1, 2), rounds: int = 3,
              overrides: dict | None = None, entries: list[Entry] | None = None, log=print) -> list[Fit]:
    """Fit every calibrated parameter of ``species``; returns the fits in file order."""
    from engine.scenario import Scenario
    from engine.simulation import REFERENCE_TILE_UM3, Simulation

    entries = [e for e in (entries if entries is not None else load_calibration()) if e.species == species]
    if not entries:
        raise InputError("no calibrated parameters for this species", field="--species",
                         expected="an entry in resources/calibration.toml", found=species)
    values = dict(overrides or {})
    for e in entries:
        if e.method in FROM_TABLE:
            values[e.name] = round(value_from_table(e), 6)
            log(f"{e.name} = {values[e.name]:g} (table {e.table}: {e.series}, {e.method})")
    responses = [e for e in entries if e.method == "response_to_target"]
    fitted = [e for e in entries if e.method not in FROM_TABLE and e not in responses]

    def target_of(e: Entry, p) -> float:
        return float(values.get(e.target_parameter, p[e.target_parameter])) if e.target_parameter \
            else _table_value(e)

    for r in range(rounds if fitted else 0):
        rates, mks, cols, plts = [], [], {}, []
        for seed in seeds:
            scn = Scenario(name="calibration", species=species, genotype="wt", days=days, seed=seed,
                           parameters=dict(values))
            sim = Simulation.from_scenario(scn)
            sim.run()
            o = sim.observables
            third = len(o) // 3
            d = o["day"]
            rel = o["platelets_released_cum"]
            rates.append((rel[-1] - rel[third]) * 1e6 / ((d[-1] - d[third]) * 24.0))
            mks.append(o["mk"][third:].mean() / sim.tile_mm3)
            plts.append(o["platelets"][third:].mean())
            for e in fitted:
                if e.method == "scale_to_target":
                    cols.setdefault(e.observable, []).append(o[e.observable][third:].mean())
            p = sim.params
            vol_ratio = REFERENCE_TILE_UM3 / sim.tile_um3
        rate = float(np.mean(rates)) * vol_ratio     # platelets/h in the reference tile
        parts = []
        for e in fitted:
            if e.method == "release_balance":
                if p["platelet_fixed_requirement_per_day"] > 0.0:
                    # (count = release x lifespan holds only without it: the count is then a convex
                    # function of the release, and the release's fluctuations lift its mean)
                    raise InputError("release_balance assumes no fixed platelet requirement; fit "
                                     "platelet_output_scale with scale_to_target (observable platelets)",
                                     field=f"calibration.{e.name}.method", expected="scale_to_target",
                                     found="release_balance")
                new = target_of(e, p) / (rate * 1e-6 * p["platelet_lifespan_days"] * 24.0)
                values[e.name] = round(new, 4)
            elif e.method == "scale_to_target":
                obs = float(np.mean(cols[e.observable]))
                values[e.name] = round(float(p[e.name]) * (target_of(e, p) / obs) ** e.exponent, 6)
            elif e.observable == "mk_density":
                values[e.name] = round(float(np.mean(mks)), 1)
            parts.append(f"{e.name} {values[e.name]:g}")
        log(f"round {r + 1}: platelets {np.mean(plts):.1f}, release {rate:.0f}/h, MK density "
            f"{np.mean(mks):.0f}/mm3 -> " + ", ".join(parts))
    for e in responses:
        values[e.name] = _fit_response(e, species, values, rounds, log)
    by_name = {e.name: e for e in entries}

    def data_of(e: Entry) -> tuple[str | None, str | None]:
        if e.table:
            return e.table, e.series
        if e.target_parameter in by_name:
            return data_of(by_name[e.target_parameter])
        return None, None

    return [Fit(e.name, e.species, float(values[e.name]), e.method, *data_of(e), e.note) for e in entries]
