"""How long the marrow's MK lineage takes, from an MK progenitor's birth to its platelets.

    .venv/bin/python scripts/mk_lineage_delay.py [SCENARIO] [DAYS] [SEED]

Runs a scenario (default v01_wt, 10 days, seed 1) and records the age of every megakaryocyte the
step it starts to release (an MK's age starts at 0 when its progenitor becomes an MK). The delay
from the progenitor's birth to its platelets is the progenitor stage (mkp_stage_hours, fixed) plus
that age plus half the release time; the script prints its mean, spread and coefficient of
variation, and the number of equal stages a chain with that spread has (1 / CV^2). The splenic
stress output's chain (stress_spleen_stages, docs/model.md section 7.1.1) takes its stage count from
this measurement.
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from engine import Simulation, load_scenario  # noqa: E402
from engine import agents as A  # noqa: E402
from engine.systemic import mk_lineage_hours  # noqa: E402


def lineage_delay(scenario: str = "v01_wt", days: float = 10.0, seed: int = 1) -> dict:
    """The MK ages at the start of release over ``days`` of ``scenario``, and the delay they imply."""
    sim = Simulation.from_scenario(load_scenario(scenario), seed=seed)
    st, p = sim.store, sim.params
    release_h = p["mk_release_hours"]
    ages: list[float] = []
    for _ in range(int(round(days * 24.0 / sim.dt))):
        sim.step()
        # an MK that started to release this step still holds the whole release time
        starting = (st.kind == A.MK) & (st.state == A.RELEASING) & (st.timer == release_h)
        ages.extend(st.age[starting].tolist())
    return delay_of_ages(np.array(ages), p)


def delay_of_ages(a: np.ndarray, p) -> dict:
    """The lineage delay that MK ages at the start of release ``a`` (hours; one run's, or several
    runs' pooled) imply under parameters ``p``."""
    if a.size == 0:
        return {"n": 0}
    release_h = p["mk_release_hours"]
    mean = p["mkp_stage_hours"] + float(a.mean()) + release_h / 2.0
    sd = float(np.sqrt(a.var() + release_h ** 2 / 12.0))        # (release spread evenly over its hours)
    return {"n": int(a.size), "ages": a, "mean_h": mean, "sd_h": sd, "cv": sd / mean,
            "stages": (mean / sd) ** 2,
            "nominal_h": mk_lineage_hours(p)}


def main(argv: list[str]) -> int:
    scenario = argv[0] if argv else "v01_wt"
    days = float(argv[1]) if len(argv) > 1 else 10.0
    seed = int(argv[2]) if len(argv) > 2 else 1
    r = lineage_delay(scenario, days, seed)
    if not r["n"]:
        print(f"{scenario}: no megakaryocyte started to release in {days:g} days")
        return 1
    a = r["ages"]
    print(f"{scenario}, seed {seed}, {days:g} days: {r['n']} MKs started to release")
    print(f"  MK age at the start of release: {a.mean():.1f} h (sd {a.std():.1f} h; "
          f"5-95% {np.percentile(a, 5):.1f}-{np.percentile(a, 95):.1f} h)")
    print(f"  MK progenitor's birth to its platelets: {r['mean_h']:.1f} h, sd {r['sd_h']:.1f} h, CV {r['cv']:.3f}; "
          f"a chain of 1/CV^2 = {r['stages']:.1f} equal stages has that spread")
    print(f"  nominal: mkp_stage_hours + mk_maturation_days + mk_release_hours = {r['nominal_h']:.1f} h")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
