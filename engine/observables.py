"""Named time series recorded at a fixed sampling interval (Mesa-style reporters)."""
from __future__ import annotations

import csv
import io
import json
import math
from .files import atomic_write_text  # noqa: F401  (re-exported: used across the app)

import numpy as np

#: column -> (unit, description). The platelet unit label depends on the species.
COLUMNS: dict[str, tuple[str, str]] = {
    "day": ("d", "simulated day (0 = start of the scenario, after equilibration)"),
    "platelets": ("10^3/uL", "blood platelet count"),
    "platelets_rel": ("1", "platelet count relative to the species' baseline"),
    "anc": ("10^9/L", "absolute neutrophil count in blood (Friberg chain fed by the lodged HSPCs)"),
    "tpo_pg_ml": ("pg/mL", "plasma thrombopoietin (with an injected TPO agonist, as TPO-equivalent)"),
    "tpo_signal": ("1", "Mpl signal (0 none, 1 saturated)"),
    "hspc_host": ("cells", "host HSPCs in the tile"),
    "hspc_donor": ("cells", "donor HSPCs in the tile"),
    "donor_chimerism": ("1", "donor share of HSPCs"),
    "niche_occupancy": ("1", "share of HSPC niche sites occupied"),
    "hspc_activation": ("1", "share of stem cells recruited into cycle by injury (stress output)"),
    "mkp": ("cells", "MK progenitors in the tile"),
    "mk": ("cells", "megakaryocytes in the tile"),
    "mk_at_vessel": ("cells", "megakaryocytes docked at / releasing into sinusoids"),
    "mk_vessel_fraction": ("1", "share of megakaryocytes in contact with sinusoids"),
    "mk_mean_ploidy": ("N", "mean MK ploidy (2N..64N)"),
    "mk_immature": ("cells", "megakaryocytes at 2N-4N now (early endomitosis; nearest ploidy class)"),
    "sdf1_mean": ("ng/mL", "mean SDF-1 in the marrow tile"),
    "platelets_released_cum": ("10^6", "platelets released in the tile since day 0"),
    "vessel_integrity": ("1", "mean sinusoid integrity"),
    "vcam1": ("x baseline", "mean endothelial VCAM-1"),
    "msc_cells": ("cells", "infused MSCs in the tile"),
    "il6": ("level", "IL-6 treatment level (1 = standard dose)"),
    "il11": ("level", "IL-11 treatment level"),
    "sdf1_plasma": ("level", "exogenous SDF-1 level"),
    "fgf4": ("level", "FGF-4 level"),
    "msc_ev": ("level", "MSC-EV plasma level"),
    "msc_ev_marrow": ("level", "MSC-EV level taken up by the marrow (what acts)"),
    "msc_secretome": ("10^6 MSCs/kg", "plasma level of the factors secreted by infused MSCs held in the lungs"),
    "niche_disruption": ("level", "anti-VE-cadherin level"),
    "cxcr4_block": ("level", "CXCR4 antagonist level"),
    "vla4_block": ("level", "VLA-4 blocking antibody level"),
    "gcsf": ("level", "G-CSF (filgrastim) level (1 = standard dose)"),
    "agents": ("cells", "cells alive in the tile"),
}


def _fmt(v: float) -> str:
    if isinstance(v, float):
        if not math.isfinite(v):
            return "nan"
        return f"{v:.6g}"
    return str(v)


class Observables:
    """Time series: ``obs["platelets"]`` is a numpy array over samples."""

    def __init__(self, platelet_unit: str = "10^3/uL"):
        self.columns = list(COLUMNS)
        self.units = {k: u for k, (u, _) in COLUMNS.items()}
        self.units["platelets"] = platelet_unit
        self._rows: list[list[float]] = []

    def record(self, row: dict[str, float]) -> None:
        self._rows.append([float(row[c]) for c in self.columns])

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, name: str) -> np.ndarray:
        j = self.columns.index(name)
        return np.array([r[j] for r in self._rows])

    def table(self) -> np.ndarray:
        return np.array(self._rows, dtype=float).reshape(len(self._rows), len(self.columns))

    def last(self) -> dict[str, float]:
        return dict(zip(self.columns, self._rows[-1])) if self._rows else {}

    def since(self, n: int) -> list[list[float]]:
        """Rows from index n on (for incremental GUI updates)."""
        return self._rows[n:]

    def to_csv(self, metadata: dict[str, str] | None = None) -> str:
        buf = io.StringIO()
        for k, v in (metadata or {}).items():
            buf.write(f"# {k}: {v}\n")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        w.writerow(["# unit: " + self.units[self.columns[0]]] + [self.units[c] for c in self.columns[1:]])
        for r in self._rows:
            w.writerow([_fmt(v) for v in r])
        return buf.getvalue()

    def to_json(self, metadata: dict[str, str] | None = None) -> str:
        doc = {"metadata": metadata or {}, "units": self.units,
               "series": {c: [float(f"{r[j]:.6g}") for r in self._rows] for j, c in enumerate(self.columns)}}
        return json.dumps(doc, indent=1, allow_nan=False, default=str) + "\n"
