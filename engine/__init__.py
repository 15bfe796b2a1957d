"""NicheLab engine: numpy + numba only (never Qt, vispy or pyqtgraph).

Public API::

    from engine import Simulation, load_scenario, builtin_scenarios, AddEvent, SetParameter
"""
from .parallel import configure_worker_threads
from .runtime import configure_numba_cache

configure_numba_cache()
configure_worker_threads()

from .errors import InputError  # noqa: E402
from .parameters import ParameterSet, parameter_table  # noqa: E402
from .scenario import (EVENT_KINDS, GENOTYPES, Event, Scenario, builtin_scenarios,  # noqa: E402
                       load_scenario, parse_scenario)
from .simulation import AddEvent, SetParameter, Simulation  # noqa: E402

__all__ = ["Simulation", "AddEvent", "SetParameter", "Scenario", "Event", "load_scenario", "parse_scenario",
           "builtin_scenarios", "ParameterSet", "parameter_table", "InputError", "EVENT_KINDS", "GENOTYPES"]
