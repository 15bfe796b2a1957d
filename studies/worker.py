"""Top-level task functions run in worker processes (local pool or Dask workers).

They take and return plain data only (TOML text, numbers, lists, dicts): a
worker imports ``engine``, rebuilds the scenario from its TOML text, runs it and
sends back the time series or the outcomes. Nothing here imports Qt.

In a local process pool, :func:`init_local_worker` installs a progress queue and
a cancel flag shared with the parent; on Dask workers they are absent and runs
report only when they finish.
"""
from __future__ import annotations

import time
import tomllib
from typing import Any

_PROGRESS_QUEUE: Any = None
_CANCEL_EVENT: Any = None


class RunCancelled(Exception):
    """Raised inside a worker when the parent asked to cancel the study."""


def init_local_worker(progress_queue: Any, cancel_event: Any) -> None:
    """ProcessPoolExecutor initializer: remember the shared queue and cancel flag."""
    global _PROGRESS_QUEUE, _CANCEL_EVENT
    _PROGRESS_QUEUE = progress_queue
    _CANCEL_EVENT = cancel_event
    try:
        # progress messages are disposable: never let a worker wait at exit to flush them
        progress_queue.cancel_join_thread()
    except AttributeError:
        pass


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
    queue, cancel = _PROGRESS_QUEUE, _CANCEL_EVENT
    # progress counts the (unrecorded) equilibration as part of the work, so a bar moves evenly
    spin = float(scn.parameter_set()["spinup_days"])
    setup_share = spin / (spin + scn.days)

    def post(fraction: float) -> None:
        if queue is not None:
            try:
                queue.put_nowait((task_key, fraction))
            except Exception:  # a full or closed queue must never break a run
                pass

    if cancel is not None and cancel.is_set():
        raise RunCancelled(f"seed {seed} cancelled before it started")
    sim = Simulation.from_scenario(scn, seed=int(seed))
    post(setup_share)

    def progress(done: int, total: int) -> None:
        if cancel is not None and cancel.is_set():
            raise RunCancelled(f"seed {seed} cancelled at step {done} of {total}")
        post(setup_share + (1.0 - setup_share) * done / max(total, 1))

    sim.run(progress=progress)
    obs = sim.observables
    return {"seed": int(seed), "columns": list(obs.columns), "units": dict(obs.units),
            "rows": obs.table().tolist(), "metadata": sim.metadata(),
            "wall_seconds": time.perf_counter() - t0}


def run_point(scenario_toml: str, overrides: dict[str, float], seed: int, days: float | None = None,
              task_key: Any = None) -> dict[str, Any]:
    """One sweep run: the scenario with ``overrides`` and ``seed``; return all its outcomes."""
    from .outcomes import compute_outcomes

    res = run_seed(scenario_toml, seed, days, overrides, task_key)
    cols = res["columns"]
    import numpy as np

    table = np.asarray(res["rows"], dtype=float).reshape(-1, len(cols))
    series = {c: table[:, j] for j, c in enumerate(cols)}
    out = compute_outcomes(series, species=res["metadata"].get("species"))
    values = {k: v for k, v in out.as_dict().items() if isinstance(v, (int, float)) or v is None}
    return {"seed": int(seed), "overrides": dict(overrides), "outcomes": values,
            "platelet_unit": out.platelet_unit, "metadata": res["metadata"],
            "wall_seconds": res["wall_seconds"]}
