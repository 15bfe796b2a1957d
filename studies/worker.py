"""Top-level task functions run in worker processes (local pool or Dask workers).

They take and return plain data only (TOML text, numbers, lists, dicts): a
worker imports ``engine``, rebuilds the scenario from its TOML text, runs it and
sends back the time series or the outcomes. Nothing here imports Qt.

Progress and cancellation go through :mod:`analysis.runner` (a queue and a flag shared
with the parent in a local pool; absent on Dask workers, where runs report only when
they finish).
"""
from __future__ import annotations

import time
import tomllib
from typing import Any

from analysis.runner import RunCancelled, cancel_requested, report_progress


def build_scenario(scenario_toml: str, overrides: dict[str, float] | None = None,
                   days: float | None = None, source: str = "<study scenario>"):
    """Scenario from TOML text with extra parameter overrides (validated like a file)."""
    from engine import parse_scenario

    data = tomllib.loads(scenario_toml)
    if overrides:
        params = dict(data.get("parameters", {}))
        params.update({k: float(v) for k, v in overrides.items()})
        data["parameters"] = params
    if days is not None:
        data["days"] = float(days)
    return parse_scenario(data, source)


def run_seed(scenario_toml: str, seed: int, days: float | None = None,
             overrides: dict[str, float] | None = None, task_key: Any = None) -> dict[str, Any]:
    """Run one scenario with one seed; return its time series and metadata as plain data."""
    from engine import Simulation

    scn = build_scenario(scenario_toml, overrides, days)
    t0 = time.perf_counter()
    # progress counts the (unrecorded) equilibration as part of the work, so a bar moves evenly
    spin = float(scn.parameter_set()["spinup_days"])
    setup_share = spin / (spin + scn.days)
    if cancel_requested():
        raise RunCancelled(f"seed {seed} cancelled before it started")
    sim = Simulation.from_scenario(scn, seed=int(seed))
    report_progress(task_key, setup_share)

    def progress(done: int, total: int) -> None:
        if cancel_requested():
            raise RunCancelled(f"seed {seed} cancelled at step {done} of {total}")
        report_progress(task_key, setup_share + (1.0 - setup_share) * done / max(total, 1))

    sim.run(progress=progress)
    obs = sim.observables
    return {"seed": int(seed), "columns": list(obs.columns), "units": dict(obs.units),
            "rows": obs.table().tolist(), "metadata": sim.metadata(),
            "wall_seconds": time.perf_counter() - t0}


def run_point(scenario_toml: str, overrides: dict[str, float], seed: int, days: float | None = None,
              task_key: Any = None) -> dict[str, Any]:
    """One sweep run: the scenario with ``overrides`` and ``seed``; return all its outcomes."""
    from analysis.outcomes import EVENT_OUTCOMES, compute_outcomes, transplant_day

    res = run_seed(scenario_toml, seed, days, overrides, task_key)
    cols = res["columns"]
    import numpy as np

    table = np.asarray(res["rows"], dtype=float).reshape(-1, len(cols))
    series = {c: table[:, j] for j, c in enumerate(cols)}
    origin = transplant_day(build_scenario(scenario_toml, overrides, days).events)
    out = compute_outcomes(series, species=res["metadata"].get("species"), origin_day=origin)
    values = {k: v for k, v in out.as_dict().items() if isinstance(v, (int, float)) or v is None}
    statuses = {k: out.status(k) for k in EVENT_OUTCOMES}
    return {"seed": int(seed), "overrides": dict(overrides), "outcomes": values, "statuses": statuses,
            "platelet_unit": out.platelet_unit, "metadata": res["metadata"],
            "wall_seconds": res["wall_seconds"]}
