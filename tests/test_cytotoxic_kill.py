"""Who a cytotoxic event kills: irradiation kills megakaryocytes still in endomitosis as it kills MK
progenitors and spares most of those past it (Tanum 1984); 5-FU has one probability for all
megakaryocytes (docs/model.md section 3)."""
import math

import numpy as np
import pytest

from engine import Event, Scenario, Simulation
from engine import agents as A
from engine.interventions import give, kill_probabilities, event_kill
from engine.parameters import ParameterSet
from tests.conftest import SMALL_TILE


def _store(maturities):
    """A store of megakaryocytes with the given maturities (and nothing else)."""
    n = len(maturities)
    kind = np.full(n, A.MK, np.int8)
    state = np.zeros(n, np.int8)
    link = np.full(n, -1, np.int32)
    free = np.zeros(n, np.int32)
    top = np.zeros(1, np.int64)
    return kind, state, link, np.asarray(maturities, float), free, top


@pytest.mark.parametrize("p_mature, p_endo, dead", [(0.0, 1.0, [True, True, False, False]),
                                                     (1.0, 0.0, [False, False, True, True])])
def test_a_megakaryocyte_in_endomitosis_dies_with_its_own_probability(p_mature, p_endo, dead):
    kind, state, link, maturity, free, top = _store([0.0, 0.2, 0.3, 0.9])
    p_kill = np.zeros(6)
    p_kill[A.MK] = p_mature
    killed = event_kill(kind, state, link, maturity, np.arange(4), p_kill, p_endo, 0.25, 1, 0, 7,
                        np.zeros(0, np.int32), free, top)
    assert list(kind == A.DEAD) == dead
    assert killed[A.MK] == sum(dead)


def test_irradiation_kills_megakaryocytes_in_endomitosis_as_progenitors_and_5fu_all_alike():
    p = ParameterSet("mouse", {})
    irr = kill_probabilities(Event(kind="irradiation", dose=2.0), p)
    assert irr["mk_endomitosis"] == pytest.approx(irr["mkp"])
    assert irr["mk_endomitosis"] == pytest.approx(1 - math.exp(-2.0 / p["irradiation_d0_mkp_gy"]))
    assert irr["mk"] == pytest.approx(1 - math.exp(-2.0 / p["irradiation_d0_mk_gy"]))
    assert irr["mk"] < 0.3 < 0.8 < irr["mk_endomitosis"]       # Tanum: 16N-64N stay, 2N-8N fall
    fu = kill_probabilities(Event(kind="fu5", dose=1.0), p)
    assert fu["mk_endomitosis"] == fu["mk"] == pytest.approx(p["fu5_kill_mk"])


def test_after_2_gy_most_megakaryocytes_past_endomitosis_are_left_and_few_of_the_others():
    scn = Scenario(name="2 Gy", days=1.0, seed=3, parameters={**SMALL_TILE, "tile_x_um": 800.0,
                                                               "tile_y_um": 800.0})
    sim = Simulation.from_scenario(scn)
    share = sim.params["mk_endomitosis_share"]
    st = sim.store

    def counts():
        mk = st.kind == A.MK
        young = mk & (st.maturity < share)
        return int(young.sum()), int((mk & ~young).sum())

    young0, mature0 = counts()
    assert young0 > 50 and mature0 > 50
    give(sim, Event(kind="irradiation", dose=2.0))
    young1, mature1 = counts()
    left_mature, left_young = mature1 / mature0, young1 / young0
    assert left_mature == pytest.approx(math.exp(-2.0 / sim.params["irradiation_d0_mk_gy"]), abs=0.08)
    assert left_young == pytest.approx(math.exp(-2.0 / sim.params["irradiation_d0_mkp_gy"]), abs=0.08)
