"""What the view draws: copies of agent and vessel state at one moment."""
from __future__ import annotations

from dataclasses import dataclass, field as dc_field

import numpy as np


@dataclass
class Snapshot:
    day: float
    step: int
    #: (n, 3) float32 positions of alive agents, um
    positions: np.ndarray
    #: agent kind (see engine.agents: 0 HSPC, 1 MKP, 2 MK, 3 stroma, 4 infused MSC, 5 platelet)
    kinds: np.ndarray
    origin: np.ndarray       # 0 host, 1 donor
    state: np.ndarray        # HSPC 0 homing / 1 lodged; MK 0 free / 1 docked / 2 releasing
    maturity: np.ndarray     # 0..1 (MKs)
    radius: np.ndarray       # um
    age_hours: np.ndarray
    ids: np.ndarray          # stable agent ids, for sim.describe_agent(id); -1 for platelet particles
    vessel_integrity: np.ndarray
    vessel_vcam: np.ndarray
    #: SDF-1 field (float32, ng/mL) or None if not requested
    field: np.ndarray | None = None
    field_voxel_um: float = 10.0
    counts: dict = dc_field(default_factory=dict)
