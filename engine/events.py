"""Scheduled treatments and perturbations: which are active now, and what the
instant ones (5-FU, irradiation, infusions) do at the moment they are given."""
from __future__ import annotations

import math

from .scenario import Event
from .systemic import LEVEL_KINDS


class Schedule:
    """The events of a run (scenario events plus those applied during the run)."""

    def __init__(self, events: list[Event]):
        self.events: list[Event] = [e.model_copy() for e in events]
        self._fired: list[bool] = [False] * len(self.events)

    def add(self, event: Event) -> None:
        self.events.append(event)
        self._fired.append(False)

    def _index(self, event: Event) -> int:
        for i, e in enumerate(self.events):
            if e is event:
                return i
        raise ValueError("event is not in this schedule")

    def cancel(self, event: Event, now_hours: float) -> bool:
        """Withdraw an event: one not yet started (or an instant one not yet given) disappears;
        a running treatment ends now. Returns False when there is nothing left to undo
        (an instant event already given, a treatment already over)."""
        i = self._index(event)
        start = event.start_day * 24.0
        if event.instant:
            if self._fired[i]:
                return False
        elif start < now_hours:
            end = start + event.duration_days * 24.0
            if end <= now_hours:
                return False
            event.duration_days = (now_hours - start) / 24.0
            return True
        del self.events[i]
        del self._fired[i]
        return True

    def targets(self, t_hours: float) -> dict[str, float]:
        """Sum of doses of the continuous events active at t (keys: LEVEL_KINDS)."""
        out = {k: 0.0 for k in LEVEL_KINDS}
        for e in self.events:
            if e.kind in out:
                start = e.start_day * 24.0
                if start <= t_hours < start + e.duration_days * 24.0:
                    out[e.kind] += float(e.dose)
        return out

    def due(self, t_hours: float, dt: float) -> list[Event]:
        """Instant events whose time falls in [t, t + dt) and that have not fired yet."""
        fired = []
        for idx, e in enumerate(self.events):
            if not e.instant or self._fired[idx]:
                continue
            if e.start_day * 24.0 < t_hours + dt - 1e-9:
                self._fired[idx] = True
                fired.append(e)
        return fired

    def markers(self) -> list[tuple[float, float, str]]:
        """(start day, end day, label) of every event, for plot markers."""
        out = []
        for e in self.events:
            end = e.start_day if e.instant else e.start_day + e.duration_days
            out.append((e.start_day, end, e.summary()))
        return out


def kill_probability(event: Event, params) -> dict[str, float]:
    """Per-kind death probability of an instant cytotoxic event."""
    if event.kind == "fu5":
        dose = float(event.dose)

        def p(base):
            return 1.0 - (1.0 - base) ** dose

        return {"hspc": p(params["fu5_kill_hspc"]), "mkp": p(params["fu5_kill_mkp"]),
                "mk": p(params["fu5_kill_mk"])}
    if event.kind == "irradiation":
        gy = float(event.dose)
        return {"hspc": 1.0 - math.exp(-gy / params["irradiation_d0_hspc_gy"]),
                "mkp": 1.0 - math.exp(-gy / params["irradiation_d0_mkp_gy"]),
                "mk": 1.0 - math.exp(-gy / params["irradiation_d0_mk_gy"])}
    return {}


def vessel_damage(event: Event, params) -> float:
    """Fraction of sinusoid integrity lost at once."""
    if event.kind == "fu5":
        return min(1.0, params["fu5_vessel_damage"] * min(float(event.dose), 1.5))
    if event.kind == "irradiation":
        return min(0.95, params["irradiation_vessel_damage_per_gy"] * float(event.dose))
    return 0.0
