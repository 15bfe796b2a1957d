"""Finished runs kept for comparison: RunRecord, RunList and the comparison table.

    rec = RunRecord.from_simulation(sim)              # after sim.run()
    runs = RunList(); runs.add(rec)
    table = compare_runs(runs.records, reference=0)   # key outcomes and differences
    print(table.to_text())

A RunRecord holds everything needed to redraw and to reproduce a run: the
scenario as TOML text (with the events actually scheduled, including those
added while it ran), the seed, a label, a treatment summary, the time series
(columns, units, rows) and the run's metadata. It converts to and from plain
JSON-ready dictionaries (for session files); no pickle anywhere.
"""
from __future__ import annotations

import csv
import io
import math
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Iterable, Iterator

import numpy as np

from analysis.outcomes import KEY_OUTCOMES, OUTCOMES, Outcomes, compute_outcomes, format_outcome, transplant_day


def treatment_summary(events: Iterable[Any]) -> str:
    """One line naming every scheduled treatment ('no treatment' if none)."""
    parts = [e.summary() for e in events]
    return "; ".join(parts) if parts else "no treatment"


def _now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass
class RunRecord:
    scenario_toml: str
    seed: int
    label: str
    treatment_summary: str
    columns: list[str]
    units: dict[str, str]
    #: (n_samples, n_columns) float array, columns in ``columns`` order
    data: np.ndarray
    metadata: dict[str, str] = field(default_factory=dict)
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    created: str = field(default_factory=_now_iso)

    def __post_init__(self) -> None:
        self.data = np.asarray(self.data, dtype=float).reshape(-1, len(self.columns))
        if "day" not in self.columns or "platelets" not in self.columns:
            raise ValueError("a run record needs at least the 'day' and 'platelets' columns")

    # ------------------------------------------------------------ construction
    @classmethod
    def from_simulation(cls, sim: Any, label: str | None = None) -> "RunRecord":
        """Record a (finished or paused) Simulation: its scenario, seed and time series.

        Events added during the run are stored as scheduled events (same numbers on a re-run);
        parameter changes made during the run are stored as overrides from the start. Call it from
        the thread that owns the simulation (or while it is paused): it reads the observables.
        """
        scn = sim.scenario.copy_with(events=[e.model_copy() for e in sim.schedule.events],
                                     parameters=dict(sim.params.overrides), seed=int(sim.seed))
        obs = sim.observables
        summary = treatment_summary(sim.schedule.events)
        return cls(scenario_toml=scn.to_toml(), seed=int(sim.seed),
                   label=label or default_label(scn.name, int(sim.seed), summary),
                   treatment_summary=summary, columns=list(obs.columns), units=dict(obs.units),
                   data=obs.table(), metadata=dict(sim.metadata()))

    @classmethod
    def from_series(cls, *, scenario: Any, seed: int, columns: list[str], units: dict[str, str],
                    rows: Any, metadata: dict[str, str] | None = None, label: str | None = None) -> "RunRecord":
        """Record from plain data (e.g. what a worker process sent back)."""
        summary = treatment_summary(scenario.events)
        return cls(scenario_toml=scenario.to_toml(), seed=int(seed),
                   label=label or default_label(scenario.name, int(seed), summary), treatment_summary=summary,
                   columns=list(columns), units=dict(units), data=np.asarray(rows, dtype=float),
                   metadata=dict(metadata or {}))

    # ------------------------------------------------------------ access
    def __getitem__(self, column: str) -> np.ndarray:
        try:
            j = self.columns.index(column)
        except ValueError:
            raise KeyError(column) from None
        return self.data[:, j].copy()

    def __len__(self) -> int:
        return int(self.data.shape[0])

    @property
    def scenario_name(self) -> str:
        return self.metadata.get("scenario") or self.scenario().name

    @property
    def species(self) -> str:
        sp = self.metadata.get("species")
        return sp if sp in ("mouse", "human") else self.scenario().species

    def scenario(self):
        """The recorded scenario, parsed and validated (engine.Scenario)."""
        import tomllib

        from engine import parse_scenario

        return parse_scenario(tomllib.loads(self.scenario_toml), f"<run {self.label}>")

    def legend(self) -> str:
        """Legend text for overlaid plots: scenario name, seed, treatment summary."""
        return default_label(self.scenario_name, self.seed, self.treatment_summary)

    def outcomes(self, **kw) -> Outcomes:
        """Key outcomes; engraftment and recovery days are counted from the run's first transplant."""
        kw.setdefault("origin_day", transplant_day(self.scenario().events))
        return compute_outcomes(self, species=self.species, **kw)

    def to_csv(self) -> str:
        buf = io.StringIO()
        for k, v in self.metadata.items():
            buf.write(f"# {k}: {v}\n")
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(self.columns)
        for row in self.data:
            w.writerow([f"{v:.6g}" if math.isfinite(v) else "nan" for v in row])
        return buf.getvalue()

    # ------------------------------------------------------------ plain data (sessions)
    def to_dict(self) -> dict[str, Any]:
        rows = [[float(f"{v:.7g}") if math.isfinite(v) else None for v in r] for r in self.data.tolist()]
        return {"run_id": self.run_id, "label": self.label, "seed": self.seed, "created": self.created,
                "scenario_toml": self.scenario_toml, "treatment_summary": self.treatment_summary,
                "columns": list(self.columns), "units": dict(self.units), "rows": rows,
                "metadata": dict(self.metadata)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "RunRecord":
        rows = np.array([[np.nan if v is None else float(v) for v in r] for r in d["rows"]], dtype=float)
        return cls(scenario_toml=d["scenario_toml"], seed=int(d["seed"]), label=d["label"],
                   treatment_summary=d["treatment_summary"], columns=list(d["columns"]),
                   units=dict(d["units"]), data=rows.reshape(-1, len(d["columns"])),
                   metadata=dict(d.get("metadata", {})), run_id=d["run_id"], created=d.get("created", ""))


def default_label(scenario_name: str, seed: int, summary: str) -> str:
    return f"{scenario_name} · seed {seed} · {summary}"


class RunList:
    """The finished runs the user keeps (ordered, each with a unique id)."""

    def __init__(self, records: Iterable[RunRecord] = (), max_runs: int = 50):
        self.max_runs = max_runs
        self.records: list[RunRecord] = []
        for r in records:
            self.add(r)

    def add(self, record: RunRecord) -> RunRecord:
        """Append; the oldest run is dropped when the list is full. Returns the record."""
        if any(r.run_id == record.run_id for r in self.records):
            record.run_id = uuid.uuid4().hex[:12]
        self.records.append(record)
        while len(self.records) > self.max_runs:
            self.records.pop(0)
        return record

    def remove(self, run_id: str) -> RunRecord:
        for i, r in enumerate(self.records):
            if r.run_id == run_id:
                return self.records.pop(i)
        raise KeyError(run_id)

    def get(self, run_id: str) -> RunRecord:
        for r in self.records:
            if r.run_id == run_id:
                return r
        raise KeyError(run_id)

    def rename(self, run_id: str, label: str) -> None:
        self.get(run_id).label = label

    def clear(self) -> None:
        self.records.clear()

    def __iter__(self) -> Iterator[RunRecord]:
        return iter(self.records)

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, i: int) -> RunRecord:
        return self.records[i]


# ------------------------------------------------------------------ comparison

@dataclass
class ComparisonRow:
    run_id: str
    label: str
    platelet_unit: str
    values: dict[str, float | None]
    #: 'reached' / 'never_below' / 'not_reached' (event outcomes) or 'reached' / 'undefined'
    statuses: dict[str, str]
    #: value minus the reference run's value (None where either is missing); reference row: all 0/None
    differences: dict[str, float | None]


@dataclass
class ComparisonTable:
    outcomes: tuple[str, ...]
    reference_index: int
    rows: list[ComparisonRow]

    def header(self) -> list[str]:
        return ["run"] + [OUTCOMES[o].label for o in self.outcomes]

    def cell_text(self, row: ComparisonRow, outcome: str, with_difference: bool = True) -> str:
        """'day 12.0 (+3.0)' style text for a GUI table cell."""
        v = row.values[outcome]
        text = format_outcome(v, outcome, row.platelet_unit, row.statuses.get(outcome))
        d = row.differences.get(outcome)
        if with_difference and d is not None and row is not self.rows[self.reference_index]:
            unit = OUTCOMES[outcome].unit
            dtext = f"{100 * d:+.0f} pp" if unit == "1" else f"{d:+.3g}"
            text += f" ({dtext})"
        return text

    def to_text(self) -> str:
        header = self.header()
        body = [[r.label] + [self.cell_text(r, o) for o in self.outcomes] for r in self.rows]
        widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
        lines = ["  ".join(str(x).ljust(w) for x, w in zip(header, widths))]
        lines += ["  ".join(str(x).ljust(w) for x, w in zip(b, widths)) for b in body]
        lines.append(f"(differences relative to: {self.rows[self.reference_index].label})" if self.rows else "")
        return "\n".join(lines) + "\n"

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(["run_id", "label", "platelet_unit"] + list(self.outcomes) +
                   [f"delta_{o}" for o in self.outcomes])

        def fmt(v):
            return "" if v is None else f"{v:.6g}"

        for r in self.rows:
            w.writerow([r.run_id, r.label, r.platelet_unit] + [fmt(r.values[o]) for o in self.outcomes] +
                       [fmt(r.differences[o]) for o in self.outcomes])
        return buf.getvalue()


def compare_runs(records: Iterable[RunRecord], reference: int = 0,
                 outcomes: Iterable[str] = KEY_OUTCOMES, **outcome_kw) -> ComparisonTable:
    """Key outcomes of each run and their differences to the reference run (index into records)."""
    records = list(records)
    names = tuple(outcomes)
    for n in names:
        if n not in OUTCOMES:
            raise KeyError(f"unknown outcome {n!r}")
    if records and not 0 <= reference < len(records):
        raise IndexError(f"reference index {reference} out of range for {len(records)} runs")
    computed = [r.outcomes(**outcome_kw) for r in records]
    rows = []
    ref = computed[reference] if computed else None
    for rec, out in zip(records, computed):
        vals = {n: out.get(n) for n in names}
        diffs = {}
        for n in names:
            a, b = vals[n], ref.get(n) if ref else None
            diffs[n] = None if a is None or b is None else float(a - b)
        rows.append(ComparisonRow(run_id=rec.run_id, label=rec.label, platelet_unit=out.platelet_unit,
                                  values=vals, statuses={n: out.status(n) for n in names}, differences=diffs))
    return ComparisonTable(outcomes=names, reference_index=reference, rows=rows)
