"""Parameter sweeps: vary one or two model parameters over a range, record an outcome.

    from studies.sweep import parse_axis, run_sweep
    axes = [parse_axis("fgf4_vcam_gain=0:3:4")]
    res = run_sweep("lesson_5fu", axes, "nadir", seeds=2)             # local processes
    res = run_sweep("lesson_5fu", axes, "nadir", scheduler="tcp://10.0.0.5:8786")   # Dask cluster
    res.write("out/")      # sweep.csv, sweep.json, sweep.svg (line plot, or heat map for 2 axes)

Parameters are checked against the parameter table (name, allowed range);
problems are :class:`engine.errors.InputError` naming the field. Each grid point
runs with the same seeds (common random numbers), so differences between points
are not seed noise. A run that fails is reported with its parameter values; the
others finish.
"""
from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from engine.errors import InputError
from engine.observables import atomic_write_text

from .ensemble import resolve_scenario, resolve_seeds
from analysis.outcomes import OUTCOMES, check_outcome_name, outcome_unit
from analysis.runner import CancelFlag, StudyJob, StudyProgress, Task, TaskFailure, run_tasks
from analysis.stats import Interval, mean_interval

from .runs import treatment_summary
from . import worker

MAX_POINTS_PER_AXIS = 101
MAX_RUNS = 5000


@dataclass(frozen=True)
class SweepAxis:
    name: str
    lo: float
    hi: float
    n: int

    @property
    def values(self) -> np.ndarray:
        return np.linspace(self.lo, self.hi, self.n) if self.n > 1 else np.array([self.lo])

    def label(self) -> str:
        from engine import parameter_table

        p = parameter_table().get(self.name)
        return f"{self.name} [{p.unit}]" if p else self.name


def parse_axis(text: str, field_name: str = "--param") -> SweepAxis:
    """'NAME=lo:hi:n' -> SweepAxis (n points from lo to hi inclusive); syntax only, see validate_axes."""
    if not isinstance(text, str) or "=" not in text:
        raise InputError("expected NAME=lo:hi:n", field=field_name, expected="e.g. fgf4_vcam_gain=0:3:4",
                         found=text)
    name, _, rng = text.partition("=")
    name = name.strip()
    parts = rng.split(":")
    if not name or len(parts) != 3:
        raise InputError("expected NAME=lo:hi:n", field=field_name, expected="e.g. fgf4_vcam_gain=0:3:4",
                         found=text)
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise InputError("range bounds must be numbers", field=field_name, expected="NAME=lo:hi:n",
                         found=text) from None
    try:
        n = int(parts[2])
    except ValueError:
        raise InputError("number of points must be a whole number", field=field_name, expected="NAME=lo:hi:n",
                         found=text) from None
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise InputError("range bounds must be finite", field=field_name, found=text)
    return SweepAxis(name, lo, hi, n)


def validate_axes(axes: Sequence[SweepAxis], species: str = "mouse", field_name: str = "--param") -> None:
    """Names known, ranges inside the parameter's allowed range, 1..101 points, at most two axes."""
    from engine import parameter_table

    table = parameter_table()
    if not 1 <= len(axes) <= 2:
        raise InputError("a sweep varies one or two parameters", field=field_name, expected="1 or 2",
                         found=len(axes))
    if len(axes) == 2 and axes[0].name == axes[1].name:
        raise InputError("the two swept parameters must differ", field=field_name, found=axes[0].name)
    for ax in axes:
        if ax.name not in table:
            close = [n for n in table if ax.name.split("_")[0] and ax.name.split("_")[0] in n][:4]
            hint = f"; similar: {', '.join(close)}" if close else ""
            raise InputError(f"unknown parameter{hint}", field=f"{field_name} {ax.name}",
                             expected="a name listed by `python main.py params`", found=ax.name)
        p = table[ax.name]
        if not 1 <= ax.n <= MAX_POINTS_PER_AXIS:
            raise InputError("number of points out of range", field=f"{field_name} {ax.name}",
                             expected=f"1..{MAX_POINTS_PER_AXIS}", found=ax.n)
        if ax.n == 1 and ax.lo != ax.hi:
            raise InputError("one point needs lo == hi", field=f"{field_name} {ax.name}",
                             expected="n >= 2 for a range", found=f"{ax.lo:g}:{ax.hi:g}:1")
        for v in (ax.lo, ax.hi):
            if not p.min <= v <= p.max:
                raise InputError("value out of the parameter's allowed range", field=f"{field_name} {ax.name}",
                                 expected=f"{p.min:g}..{p.max:g} {p.unit}", found=v)


@dataclass
class SweepPoint:
    index: tuple[int, ...]             # grid index (i,) or (i, j)
    values: dict[str, float]           # parameter -> value
    outcome: Interval                  # over seeds
    per_seed: dict[int, float | None]  # seed -> outcome value (missing seeds failed)


@dataclass
class SweepResult:
    scenario_name: str
    scenario_toml: str
    axes: list[SweepAxis]
    outcome: str
    platelet_unit: str
    seeds: list[int]
    points: list[SweepPoint]
    failures: list[TaskFailure]
    cancelled: bool
    wall_seconds: float
    backend: str
    metadata: dict[str, str] = field(default_factory=dict)
    #: (point index, seed) -> all outcomes of that run
    run_outcomes: dict[tuple, dict[str, float | None]] = field(default_factory=dict)

    @property
    def outcome_unit(self) -> str:
        return outcome_unit(self.outcome, self.platelet_unit)

    def grid(self) -> np.ndarray:
        """Mean outcome per grid point: shape (n1,) or (n1, n2); NaN where undefined or failed."""
        shape = tuple(ax.n for ax in self.axes)
        g = np.full(shape, np.nan)
        for p in self.points:
            if p.outcome.mean is not None:
                g[p.index] = p.outcome.mean
        return g

    # ------------------------------------------------------------ tables
    def table_rows(self) -> list[dict[str, Any]]:
        rows = []
        for p in self.points:
            row: dict[str, Any] = dict(p.values)
            iv = p.outcome
            row.update({f"{self.outcome}_mean": iv.mean, f"{self.outcome}_ci_lo": iv.lo,
                        f"{self.outcome}_ci_hi": iv.hi, "n_ok": iv.n, "n_undefined": iv.n_missing,
                        "n_failed": len(self.seeds) - len(p.per_seed)})
            rows.append(row)
        return rows

    def _meta(self) -> dict[str, str]:
        meta = dict(self.metadata)
        meta.update({"sweep": "; ".join(f"{a.name}={a.lo:g}:{a.hi:g}:{a.n}" for a in self.axes),
                     "outcome": f"{self.outcome} ({OUTCOMES[self.outcome].description}) [{self.outcome_unit}]",
                     "seeds": " ".join(str(s) for s in self.seeds),
                     "backend": self.backend, "cancelled": str(self.cancelled),
                     "failed_runs": "; ".join(f.describe() for f in self.failures) or "none"})
        return meta

    def to_csv(self) -> str:
        buf = io.StringIO()
        for k, v in self._meta().items():
            buf.write(f"# {k}: {v}\n")
        rows = self.table_rows()
        header = [a.name for a in self.axes] + [f"{self.outcome}_mean", f"{self.outcome}_ci_lo",
                                                 f"{self.outcome}_ci_hi", "n_ok", "n_undefined", "n_failed"]
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r[h] is None else (f"{r[h]:.6g}" if isinstance(r[h], float) else r[h])
                        for h in header])
        return buf.getvalue()

    def to_json(self) -> str:
        doc = {"metadata": self._meta(),
               "axes": [{"name": a.name, "lo": a.lo, "hi": a.hi, "n": a.n, "values": a.values.tolist()}
                        for a in self.axes],
               "outcome": self.outcome, "unit": self.outcome_unit, "seeds": self.seeds,
               "points": [{"index": list(p.index), "parameters": p.values, "interval": p.outcome.as_dict(),
                           "per_seed": {str(k): v for k, v in p.per_seed.items()}} for p in self.points],
               "failures": [{"point": list(f.key[0]), "seed": f.key[1], "parameters": f.parameters,
                             "error": f.error} for f in self.failures]}
        return json.dumps(doc, indent=1, allow_nan=False, default=_jsonable) + "\n"

    # ------------------------------------------------------------ plot
    def plot_svg(self, title: str | None = None) -> str:
        from analysis.plotting import Line, heatmap_figure, line_figure, svg_text

        label = OUTCOMES[self.outcome].label
        unit = self.outcome_unit
        ylabel = f"{label} [{unit}]" if unit and unit != "1" else label
        title = title or f"{self.scenario_name}: {label}"
        if len(self.axes) == 1:
            ax = self.axes[0]
            x = ax.values
            mean = np.array([np.nan if p.outcome.mean is None else p.outcome.mean for p in self.points])
            lo = np.array([np.nan if p.outcome.lo is None else p.outcome.lo for p in self.points])
            hi = np.array([np.nan if p.outcome.hi is None else p.outcome.hi for p in self.points])
            pts = [(float(x[p.index[0]]), v) for p in self.points for v in p.per_seed.values() if v is not None]
            fig = line_figure([Line(f"mean over {len(self.seeds)} seed(s)", x, mean, lo, hi,
                                    band_label="95% CI of the mean", markers=True)],
                              xlabel=ax.label(), ylabel=ylabel, title=title, points=pts,
                              points_label="single runs")
            return svg_text(fig)
        ax1, ax2 = self.axes
        return svg_text(heatmap_figure(ax1.values, ax2.values, self.grid(), xlabel=ax1.label(),
                                       ylabel=ax2.label(), title=title, value_label=ylabel))

    def write(self, out_dir: str | Path, stem: str = "sweep") -> dict[str, Path]:
        """Write STEM.csv, STEM.json and STEM.svg atomically into ``out_dir``; return the paths."""
        out = Path(out_dir)
        if out.exists() and not out.is_dir():
            raise InputError("not a folder", file=str(out), field="--out")
        paths = {"csv": out / f"{stem}.csv", "json": out / f"{stem}.json", "svg": out / f"{stem}.svg"}
        atomic_write_text(paths["csv"], self.to_csv())
        atomic_write_text(paths["json"], self.to_json())
        atomic_write_text(paths["svg"], self.plot_svg())
        return paths


def _jsonable(v: Any) -> Any:
    if isinstance(v, (np.floating, np.integer)):
        return v.item()
    if isinstance(v, tuple):
        return list(v)
    return str(v)


def _clean_float(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def run_sweep(scenario: Any, axes: Sequence[SweepAxis | str], outcome: str = "nadir", *,
              seeds: int | Sequence[int] = 1, days: float | None = None, scheduler: str | None = None,
              workers: int | None = None, progress: Callable[[StudyProgress], None] | None = None,
              cancel: CancelFlag | None = None, connect_timeout: float = 5.0,
              task: Callable[..., Any] | None = None) -> SweepResult:
    """Run the scenario at every grid point of ``axes`` (1 or 2) for each seed; collect ``outcome``.

    ``axes``: SweepAxis or 'NAME=lo:hi:n' strings. ``seeds``: a count K (scenario seed .. +K-1) or a list.
    ``scheduler``: Dask scheduler address (tcp://host:port); default: local processes (``workers``).
    ``task``: top-level worker function (default :func:`studies.worker.run_point`).
    """
    scn = resolve_scenario(scenario)
    axes = [parse_axis(a) if isinstance(a, str) else a for a in axes]
    validate_axes(axes, scn.species)
    check_outcome_name(outcome, "--outcome")
    if days is not None:
        if not (isinstance(days, (int, float)) and 0 < days <= 3650):
            raise InputError("days out of range", field="days", expected="0 < days <= 3650", found=days)
        scn = scn.copy_with(days=float(days))
    seed_list = resolve_seeds(seeds, scn.seed)
    grid_shape = tuple(a.n for a in axes)
    n_runs = int(np.prod(grid_shape)) * len(seed_list)
    if n_runs > MAX_RUNS:
        raise InputError("too many runs in this sweep", field="--param", expected=f"<= {MAX_RUNS} runs "
                         "(points x seeds)", found=n_runs)
    # every grid point must give a valid scenario (e.g. overrides combined with the scenario's own)
    text = scn.to_toml()
    fn = task or worker.run_point
    tasks = []
    point_values: dict[tuple, dict[str, float]] = {}
    for index in np.ndindex(*grid_shape):
        values = {a.name: float(a.values[i]) for a, i in zip(axes, index)}
        point_values[index] = values
        worker.build_scenario(text, values, None, scn._source or "<scenario>")
        for s in seed_list:
            tasks.append(Task(key=(index, s), fn=fn, args=(text, values, s, None),
                              parameters={**values, "seed": s}))
    out = run_tasks(tasks, scheduler=scheduler, workers=workers, progress=progress, cancel=cancel,
                    connect_timeout=connect_timeout)
    points = []
    platelet_unit = ""
    run_outcomes: dict[tuple, dict[str, float | None]] = {}
    meta: dict[str, str] = {}
    for index, values in point_values.items():
        per_seed: dict[int, float | None] = {}
        for s in seed_list:
            r = out.results.get((index, s))
            if r is None:
                continue
            platelet_unit = platelet_unit or r.get("platelet_unit", "")
            outs = {k: _clean_float(v) for k, v in r["outcomes"].items()}
            run_outcomes[(index, s)] = outs
            per_seed[s] = outs.get(outcome)
            if not meta:
                meta = dict(r.get("metadata", {}))
        points.append(SweepPoint(index=index, values=values, outcome=mean_interval(per_seed.values()),
                                 per_seed=per_seed))
    for k in ("seed", "parameter_overrides"):
        meta.pop(k, None)
    meta["scenario"] = scn.name
    meta["scenario_file"] = str(scn._source or "")
    meta["events"] = treatment_summary(scn.events)
    meta["scenario_overrides"] = ", ".join(f"{k}={v:g}" for k, v in sorted(scn.parameters.items())) or "none"
    if not platelet_unit:
        platelet_unit = "10^9/L" if scn.species == "human" else "10^3/uL"
    return SweepResult(scenario_name=scn.name, scenario_toml=text, axes=list(axes), outcome=outcome,
                       platelet_unit=platelet_unit, seeds=seed_list, points=points,
                       failures=sorted(out.failures, key=lambda f: str(f.key)), cancelled=out.cancelled,
                       wall_seconds=out.wall_seconds, backend=out.backend, metadata=meta,
                       run_outcomes=run_outcomes)


def start_sweep(scenario: Any, axes: Sequence[SweepAxis | str], outcome: str = "nadir", *,
                finished: Callable[[StudyJob], None] | None = None, **kw) -> StudyJob:
    """:func:`run_sweep` in a background thread; returns a StudyJob (cancel(), done(), result())."""
    return StudyJob(run_sweep, dict(scenario=scenario, axes=axes, outcome=outcome, **kw), finished)
