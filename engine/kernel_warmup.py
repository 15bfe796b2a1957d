"""Compile (and cache) every numba kernel a run uses, by running a tiny simulation.

Used behind the first-launch splash (``gui/splash.py``) and by ``nichelab kernels`` (which
``packaging/build.py`` runs to ship the compiled kernels in the installers, see
``engine.shipped_kernels``). ``kernel_report`` lists the engine's cached kernels and which of them
have been compiled in this process, so that packaging can check that nothing was left out.
"""
from __future__ import annotations

import importlib
import pkgutil

#: tiny tile used to compile every kernel a normal run uses (platelet release included)
WARMUP_PARAMETERS = {"tile_x_um": 300.0, "tile_y_um": 300.0, "tile_z_um": 150.0, "spinup_days": 0.0}
#: at most this many steps; the loop stops earlier once platelet particles have been shed
WARMUP_MAX_STEPS = 48


def _tiny(scenario):
    return scenario.copy_with(days=1.0, parameters={**scenario.parameters, **WARMUP_PARAMETERS})


def compile_kernels(progress=None, *, thorough: bool = False) -> int:
    """Run a tiny simulation so that numba compiles (and caches) its kernels; returns steps run.

    ``progress(step, max_steps)`` is called after each step (from the calling thread). The default
    scenario runs until platelets have been shed and moved. ``thorough`` (packaging) then also runs
    every built-in scenario and one with an event of every kind, so that kernels only some
    species, genotypes or treatments use are compiled too.
    """

    from . import Event, Simulation, builtin_scenarios, load_scenario
    from .scenario import EVENT_KINDS

    sim = Simulation.from_scenario(_tiny(load_scenario("wt_steady_state").copy_with(events=[])))
    steps, shed = 0, None
    for steps in range(1, WARMUP_MAX_STEPS + 1):
        sim.advance(sim.dt)
        if progress:
            progress(steps, WARMUP_MAX_STEPS)
        if shed is None and sim.particles.n:
            shed = steps
        if shed is not None and steps >= shed + 3:    # particles placed, moved along and freed
            break
    sim.snapshot(include_field=True)
    if thorough:
        every = [Event(kind=k, start_day=0.0, duration_days=1.0) for k in EVENT_KINDS]
        scenarios = [_tiny(load_scenario(sid)) for sid in builtin_scenarios()]
        scenarios.append(_tiny(load_scenario("wt_steady_state")).copy_with(events=every))
        for scn in scenarios:
            sim = Simulation.from_scenario(scn)
            sim.advance(WARMUP_MAX_STEPS * sim.dt)
            sim.snapshot(include_field=True)
            steps += WARMUP_MAX_STEPS
    return steps


def kernel_report() -> dict[str, tuple[int, int]]:
    """``module.function`` -> (signatures loaded from the cache, signatures compiled) in this process,
    for every cached kernel of the engine. After ``compile_kernels`` in a fresh process, nothing
    compiled means the cache holds every kernel a run calls (a kernel only ever called from other
    kernels is compiled into its callers and never looked up on its own)."""
    from numba.core.caching import NullCache
    from numba.core.registry import CPUDispatcher

    from . import __path__ as engine_path

    report = {}
    for info in pkgutil.iter_modules(engine_path):
        module = importlib.import_module(f"engine.{info.name}")
        for name, obj in vars(module).items():
            if (isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == module.__name__
                    and not isinstance(obj._cache, NullCache)):
                stats = obj.stats
                report[f"{module.__name__}.{name}"] = (sum(stats.cache_hits.values()),
                                                       sum(stats.cache_misses.values()))
    return dict(sorted(report.items()))
