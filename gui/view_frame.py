"""What the 3D view draws at one moment, in a compact form; and the replay store of a run's frames.

A ``ViewFrame`` holds, per drawn agent, its position (float32), display class (int8, see
palette.classify) and radius (float16), plus the sinusoid integrity (float16) and optionally the
SDF-1 field. Live frames also carry the stable agent ids used to click a cell; replay frames do not
(a cell of the past cannot be inspected), which keeps them at 15 bytes per agent.

``ReplayStore`` keeps one frame per sampling interval of the run (the engine thread makes them when
it records a row of observables) within a memory budget: when the budget is reached it drops every
other frame (keeping the first and the newest), so a long or large run is kept at a coarser spacing
instead of being cut off. 5,000 agents take ~75 kB per frame: 60 days sampled every 6 h is ~18 MB.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from . import palette as P

#: memory for the stored frames of one run (the oldest are thinned, never dropped)
REPLAY_BUDGET_BYTES = 256 * 1024 * 1024


@dataclass(frozen=True)
class ViewFrame:
    day: float
    positions: np.ndarray               # (n, 3) float32, µm
    classes: np.ndarray                 # (n,) int8 display class
    radius: np.ndarray                  # (n,) float16 / float32, µm
    vessel_integrity: np.ndarray | None  # (segments,) float16 / float32
    ids: np.ndarray | None = None       # (n,) int64 stable agent ids (live frames only; -1: not clickable)
    field: np.ndarray | None = None     # SDF-1, ng/mL (live frames only, when asked for)
    field_voxel_um: float = 10.0

    @property
    def nbytes(self) -> int:
        n = self.positions.nbytes + self.classes.nbytes + self.radius.nbytes
        if self.vessel_integrity is not None:
            n += self.vessel_integrity.nbytes
        if self.ids is not None:
            n += self.ids.nbytes
        if self.field is not None:
            n += self.field.nbytes
        return int(n)

    def __len__(self) -> int:
        return int(len(self.classes))


def snapshot_ids(snap) -> np.ndarray:
    """Stable agent ids of an engine snapshot (``ids``; older engines: their slots)."""
    ids = getattr(snap, "ids", None)
    if ids is None:
        ids = snap.slots
    return np.asarray(ids, np.int64)


def live_frame(snap) -> ViewFrame:
    """A ViewFrame of an engine Snapshot (with ids and the field, if the snapshot has it)."""
    return ViewFrame(day=float(snap.day), positions=np.asarray(snap.positions, np.float32),
                     classes=P.classify(snap.kinds, snap.origin, snap.state),
                     radius=np.asarray(snap.radius, np.float32),
                     vessel_integrity=(None if snap.vessel_integrity is None
                                       else np.asarray(snap.vessel_integrity, np.float32)),
                     ids=snapshot_ids(snap), field=snap.field, field_voxel_um=float(snap.field_voxel_um))


def replay_frame(snap) -> ViewFrame:
    """A compact copy for replay: float32 positions, int8 classes, float16 radii and integrity."""
    return ViewFrame(day=float(snap.day), positions=np.array(snap.positions, np.float32),
                     classes=P.classify(snap.kinds, snap.origin, snap.state),
                     radius=np.asarray(snap.radius, np.float16),
                     vessel_integrity=(None if snap.vessel_integrity is None
                                       else np.asarray(snap.vessel_integrity, np.float16)))


class ReplayStore:
    """The stored frames of one run, in day order, within ``budget_bytes``."""

    def __init__(self, budget_bytes: int = REPLAY_BUDGET_BYTES):
        self.budget_bytes = int(budget_bytes)
        self._frames: list[ViewFrame] = []
        self._days: list[float] = []
        self._bytes = 0
        #: how many sampling intervals lie between two kept frames (doubles at each thinning)
        self.stride = 1

    def clear(self) -> None:
        self._frames, self._days, self._bytes, self.stride = [], [], 0, 1

    def add(self, frame: ViewFrame) -> None:
        if self._days and frame.day <= self._days[-1]:
            return                       # already have this moment (or an older one)
        self._frames.append(frame)
        self._days.append(frame.day)
        self._bytes += frame.nbytes
        while self._bytes > self.budget_bytes and len(self._frames) > 2:
            self._thin()

    def _thin(self) -> None:
        """Keep every other frame (the first and the newest always)."""
        keep = list(range(0, len(self._frames) - 1, 2)) + [len(self._frames) - 1]
        self._frames = [self._frames[i] for i in keep]
        self._days = [self._days[i] for i in keep]
        self._bytes = sum(f.nbytes for f in self._frames)
        self.stride *= 2

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def nbytes(self) -> int:
        return self._bytes

    @property
    def days(self) -> list[float]:
        return list(self._days)

    def index_at(self, day: float) -> int:
        """Index of the last frame at or before ``day`` (0 if ``day`` is before the first)."""
        return max(0, bisect.bisect_right(self._days, day + 1e-9) - 1)

    def frame(self, index: int) -> ViewFrame:
        return self._frames[index]

    def frame_at(self, day: float) -> ViewFrame | None:
        return self._frames[self.index_at(day)] if self._frames else None
