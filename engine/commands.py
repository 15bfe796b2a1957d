"""Commands that change a running simulation (``Simulation.apply(command)``): the only way a view
or a script changes a run between steps. Each is plain data, so it can cross a thread queue."""
from __future__ import annotations

from dataclasses import dataclass

from .schedule import Past
from .scenario import Event


@dataclass(frozen=True)
class AddEvent:
    """Schedule ``event``; ``apply`` returns its id. ``past``: what to do when it would start before
    now -- "refuse" (an InputError) or "start_now"."""
    event: Event
    past: Past = "refuse"


@dataclass(frozen=True)
class EditEvent:
    """Replace scheduled event ``event_id`` by ``event`` (see :mod:`engine.schedule` for what may
    change once an event has started)."""
    event_id: int
    event: Event
    past: Past = "refuse"


@dataclass(frozen=True)
class RemoveEvent:
    """Withdraw scheduled event ``event_id``: one not started yet disappears; a running treatment
    ends now."""
    event_id: int


@dataclass(frozen=True)
class SetParameter:
    """Change a model parameter from now on (not those that shape the tile: see
    ``engine.simulation.LIVE_PARAMETERS_EXCLUDED``)."""
    name: str
    value: float
