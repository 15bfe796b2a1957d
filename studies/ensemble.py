"""Ensembles: one scenario over N seeds in parallel processes; mean, spread band, 95% intervals.

    from studies.ensemble import run_ensemble
    res = run_ensemble("lesson_5fu", seeds=8, workers=2, progress=print)
    day, mean, lo, hi = res.band("platelets")             # 2.5-97.5 percentile band
    res.outcome_intervals()["nadir"]                     # mean and 95% CI of the mean
    res.failures                                         # seeds that failed, with the error

Blocking call; run it from a worker thread in the GUI (or use
:func:`start_ensemble`, which runs it in a background thread and returns a job
with ``cancel()``, ``done()`` and ``result()``).
"""
from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from engine.errors import InputError

from analysis.outcomes import EVENT_OUTCOMES, KEY_OUTCOMES, OUTCOMES
from analysis.runner import CancelFlag, StudyJob, StudyProgress, Task, TaskFailure, run_tasks
from analysis.stats import Interval, mean_interval

from .runs import RunRecord, treatment_summary
from . import worker

MAX_SEEDS = 1000


def resolve_scenario(scenario: Any):
    """An engine Scenario from a Scenario, a built-in id or a file path."""
    from engine import Scenario, load_scenario

    if isinstance(scenario, Scenario):
        return scenario
    return load_scenario(scenario)


def resolve_seeds(seeds: int | Sequence[int], base: int) -> list[int]:
    if isinstance(seeds, (int, np.integer)) and not isinstance(seeds, bool):
        n = int(seeds)
        if not 1 <= n <= MAX_SEEDS:
            raise InputError("number of seeds out of range", field="seeds", expected=f"1..{MAX_SEEDS}", found=n)
        return [base + i for i in range(n)]
    out = [int(s) for s in seeds]
    if not out:
        raise InputError("no seeds given", field="seeds", expected="at least one seed")
    if len(set(out)) != len(out):
        raise InputError("seeds must be distinct", field="seeds", found=out)
    if any(s < 0 for s in out):
        raise InputError("seeds must not be negative", field="seeds", found=out)
    return out


@dataclass
class Band:
    day: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    n: int
    method: str


@dataclass
class EnsembleResult:
    scenario_name: str
    scenario_toml: str
    species: str
    seeds: list[int]                 # requested
    runs: list[RunRecord]            # finished, sorted by seed
    failures: list[TaskFailure]
    cancelled: bool
    wall_seconds: float
    backend: str
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        return self.runs[0].columns if self.runs else []

    @property
    def units(self) -> dict[str, str]:
        return self.runs[0].units if self.runs else {}

    def _stack(self, column: str) -> tuple[np.ndarray, np.ndarray]:
        if not self.runs:
            raise ValueError("no finished runs in this ensemble")
        n = min(len(r) for r in self.runs)
        day = self.runs[0]["day"][:n]
        return day, np.vstack([r[column][:n] for r in self.runs])

    def band(self, column: str, method: str = "percentile", level: float = 0.95) -> Band:
        """Mean over seeds per time point and a band: 'percentile' (spread of the runs: the
        central ``level`` range, e.g. 2.5-97.5%) or 'ci' (mean +/- t x SE, the 95% CI of the mean)."""
        day, ys = self._stack(column)
        mean = ys.mean(axis=0)
        if method == "percentile":
            q = 100.0 * (1.0 - level) / 2.0
            lo, hi = np.percentile(ys, [q, 100.0 - q], axis=0)
        elif method in ("ci", "se"):
            lo, hi = np.empty_like(mean), np.empty_like(mean)
            for j in range(mean.size):
                iv = mean_interval(ys[:, j], level)
                lo[j], hi[j] = iv.lo, iv.hi
        else:
            raise ValueError("method must be 'percentile' or 'ci'")
        return Band(day, mean, lo, hi, ys.shape[0], method)

    def outcome_values(self) -> dict[str, list[float | None]]:
        """Each outcome for each finished run (in seed order)."""
        outs = [r.outcomes() for r in self.runs]
        return {name: [o.get(name) for o in outs] for name in OUTCOMES}

    def never_below(self, name: str) -> int:
        """Runs whose course never fell below the threshold of an event outcome (no day: not averaged)."""
        if name not in EVENT_OUTCOMES:
            return 0
        return sum(r.outcomes().status(name) == "never_below" for r in self.runs)

    def outcome_intervals(self, level: float = 0.95, names: Sequence[str] = tuple(OUTCOMES)) -> dict[str, Interval]:
        """Mean and ``level`` confidence interval of each outcome over seeds (t distribution);
        runs where an outcome is undefined (e.g. never recovered) are counted in ``n_missing``."""
        vals = self.outcome_values()
        return {n: mean_interval(vals[n], level) for n in names}

    def summary_text(self, names: Sequence[str] = KEY_OUTCOMES) -> str:
        ivs = self.outcome_intervals(names=names)
        unit = self.units.get("platelets", "")
        lines = [f"{self.scenario_name}: {len(self.runs)} of {len(self.seeds)} seeds finished"
                 + (" (cancelled)" if self.cancelled else "") + f" in {self.wall_seconds:.1f} s on {self.backend}"]
        for n in names:
            text = ivs[n].text(OUTCOMES[n].unit.replace('platelet', unit))
            below = self.never_below(n)
            if below:
                text += f" ({below} of them never fell below the threshold)"
            lines.append(f"  {OUTCOMES[n].label:<28} {text}")
        for f in self.failures:
            lines.append("  " + f.describe())
        return "\n".join(lines) + "\n"

    # ------------------------------------------------------------ export
    def _meta(self) -> dict[str, str]:
        meta = dict(self.metadata)
        meta.update({"ensemble_seeds": " ".join(str(s) for s in self.seeds),
                     "ensemble_finished_seeds": " ".join(str(r.seed) for r in self.runs),
                     "ensemble_failed": "; ".join(f.describe() for f in self.failures) or "none",
                     "band": "mean and 2.5-97.5 percentiles over seeds"})
        return meta

    def to_csv(self, columns: Sequence[str] | None = None) -> str:
        """Per time point: mean, p2.5 and p97.5 of each column over the finished seeds."""
        cols = [c for c in (columns or self.columns) if c != "day"]
        buf = io.StringIO()
        for k, v in self._meta().items():
            buf.write(f"# {k}: {v}\n")
        if not self.runs:
            return buf.getvalue()
        bands = {c: self.band(c) for c in cols}
        day = bands[cols[0]].day if cols else self._stack("day")[0]
        header = ["day"] + [f"{c}_{s}" for c in cols for s in ("mean", "p2.5", "p97.5")]
        buf.write(",".join(header) + "\n")
        for j in range(day.size):
            vals = [f"{day[j]:.6g}"]
            for c in cols:
                b = bands[c]
                vals += [f"{b.mean[j]:.6g}", f"{b.lo[j]:.6g}", f"{b.hi[j]:.6g}"]
            buf.write(",".join(vals) + "\n")
        return buf.getvalue()

    def to_json(self) -> str:
        doc: dict[str, Any] = {"metadata": self._meta(), "units": self.units, "seeds": self.seeds,
                               "cancelled": self.cancelled,
                               "failures": [{"seed": f.key, "parameters": f.parameters, "error": f.error}
                                            for f in self.failures]}
        if self.runs:
            ivs = self.outcome_intervals()
            doc["outcomes"] = {n: iv.as_dict() for n, iv in ivs.items()}
            series = {}
            for c in self.columns:
                if c == "day":
                    continue
                b = self.band(c)
                series[c] = {"mean": _clean(b.mean), "p2.5": _clean(b.lo), "p97.5": _clean(b.hi)}
            doc["day"] = _clean(self.band("platelets").day)
            doc["series"] = series
        return json.dumps(doc, indent=1, allow_nan=False) + "\n"


    def plot_svg(self, column: str = "platelets", title: str | None = None) -> str:
        """SVG plot of the mean over seeds with the 2.5-97.5 percentile band of ``column``."""
        from analysis.plotting import Line, line_figure, svg_text

        b = self.band(column)
        unit = self.units.get(column, "")
        fig = line_figure([Line(f"mean of {b.n} seeds", b.day, b.mean, b.lo, b.hi,
                                band_label="2.5-97.5 percentile of the runs")],
                          xlabel="day", ylabel=f"{column} [{unit}]" if unit else column,
                          title=title or f"{self.scenario_name}: {column}", y_from_zero=True)
        return svg_text(fig)


def _clean(a: np.ndarray) -> list[float | None]:
    return [float(f"{v:.6g}") if math.isfinite(v) else None for v in np.asarray(a, float)]


def run_ensemble(scenario: Any, seeds: int | Sequence[int] = 8, *, workers: int | None = None,
                 days: float | None = None, progress: Callable[[StudyProgress], None] | None = None,
                 cancel: CancelFlag | None = None, scheduler: str | None = None,
                 connect_timeout: float = 5.0, task: Callable[..., Any] | None = None) -> EnsembleResult:
    """Run ``scenario`` (Scenario, built-in id or path) once per seed, in parallel processes.

    ``seeds``: a count N (seeds scenario.seed .. scenario.seed+N-1) or explicit seeds.
    ``workers``: local processes (default: CPU cores, at most one per seed).
    ``scheduler``: a Dask scheduler address instead of local processes.
    ``task``: the top-level worker function (default :func:`studies.worker.run_seed`).
    A seed that fails is reported in ``failures``; the others finish.
    """
    scn = resolve_scenario(scenario)
    if days is not None:
        if not (isinstance(days, (int, float)) and 0 < days <= 3650):
            raise InputError("days out of range", field="days", expected="0 < days <= 3650", found=days)
        scn = scn.copy_with(days=float(days))
    seed_list = resolve_seeds(seeds, scn.seed)
    text = scn.to_toml()
    fn = task or worker.run_seed
    tasks = [Task(key=s, fn=fn, args=(text, s, None, None), parameters={"seed": s, "scenario": scn.name})
             for s in seed_list]
    out = run_tasks(tasks, scheduler=scheduler, workers=workers, progress=progress, cancel=cancel,
                    connect_timeout=connect_timeout)
    runs = []
    for s in sorted(out.results):
        r = out.results[s]
        r["metadata"]["scenario_file"] = str(scn._source or "")
        runs.append(RunRecord.from_series(scenario=scn, seed=s, columns=r["columns"], units=r["units"],
                                          rows=r["rows"], metadata=r["metadata"]))
    meta = dict(runs[0].metadata) if runs else {}
    meta.pop("seed", None)
    meta["events"] = treatment_summary(scn.events)
    return EnsembleResult(scenario_name=scn.name, scenario_toml=text, species=scn.species, seeds=seed_list,
                          runs=runs, failures=sorted(out.failures, key=lambda f: str(f.key)),
                          cancelled=out.cancelled, wall_seconds=out.wall_seconds, backend=out.backend,
                          metadata=meta)


def start_ensemble(scenario: Any, seeds: int | Sequence[int] = 8, *,
                   finished: Callable[[StudyJob], None] | None = None, **kw) -> StudyJob:
    """:func:`run_ensemble` in a background thread; returns a :class:`StudyJob`."""
    return StudyJob(run_ensemble, dict(scenario=scenario, seeds=seeds, **kw), finished)
