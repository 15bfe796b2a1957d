"""NicheLab engine: numpy + numba only (never Qt, vispy or pyqtgraph).

Public API::

    from engine import Simulation, load_scenario, builtin_scenarios
    from engine import AddEvent, EditEvent, RemoveEvent, SetParameter     # commands: sim.apply(cmd)
"""
from .parallel import configure_worker_threads
from .runtime import configure_numba_cache

configure_numba_cache()
configure_worker_threads()

from .errors import InputError  # noqa: E402
from .parameters import ParameterSet, parameter_table  # noqa: E402
from .scenario import (EVENT_KINDS, GENOTYPES, Event, Scenario, builtin_scenarios,  # noqa: E402
                       load_scenario, parse_scenario)
from .commands import AddEvent, EditEvent, RemoveEvent, SetParameter  # noqa: E402
from .simulation import Simulation  # noqa: E402

__all__ = ["Simulation", "AddEvent", "EditEvent", "RemoveEvent", "SetParameter", "Scenario", "Event", "load_scenario", "parse_scenario",
           "builtin_scenarios", "ParameterSet", "parameter_table", "InputError", "EVENT_KINDS", "GENOTYPES"]
