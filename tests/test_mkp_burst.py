"""The MK progenitor's burst (engine/fates.py): above the WT Mpl signal a committed progenitor divides
before its daughters become megakaryocytes, 2**d MKs per progenitor on average (Akahori 1996: six
times the MKs from twice the progenitors under a saturating agonist, d = log2 3)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from engine import agents as A
from engine import fates as FT
from engine.parameters import ParameterSet


def test_no_burst_at_or_below_the_wt_signal_and_log2_3_at_saturation():
    p = ParameterSet("mouse")
    d, ec50 = p["mkp_tpo_burst_divisions"], p["tpo_signal_ec50_rel"]
    assert d == pytest.approx(math.log2(3.0), abs=1e-3)
    assert FT.mkp_burst_divisions(p, 0.0) == 0.0          # Thpo-/- and Mpl-/-
    assert FT.mkp_burst_divisions(p, 1.0) == 0.0          # steady state: no burst
    assert FT.mkp_burst_divisions(p, 1.0 + 0.5 * ec50) == pytest.approx(0.5 * d)
    assert FT.mkp_burst_divisions(p, 1.0 + ec50) == pytest.approx(d)
    assert FT.mkp_burst_divisions(p, 1.0 + 5.0 * ec50) == pytest.approx(d)
    # the human agonist response only doubles megakaryopoiesis (Harker 2000): no burst
    assert ParameterSet("human")["mkp_tpo_burst_divisions"] == 0.0


def test_every_progenitor_amplifies_and_the_burst_adds_to_it():
    """The transit amplification (mkp_divisions_wt, fitted to Niswander's 4.1 MKs per progenitor) acts
    at any signal, the knockouts' included; the TPO burst adds to it above WT. The human preset has
    neither (one MK per progenitor, no burst)."""
    p = ParameterSet("mouse")
    d0, burst, ec50 = p["mkp_divisions_wt"], p["mkp_tpo_burst_divisions"], p["tpo_signal_ec50_rel"]
    assert 2.0 <= d0 <= 2.6
    assert FT.mkp_divisions(p, 0.0) == d0
    assert FT.mkp_divisions(p, 1.0) == d0
    assert FT.mkp_divisions(p, 1.0 + ec50) == pytest.approx(d0 + burst)
    # the HSPC output is lowered by the same factor, so the MK output per stem cell is what it was
    assert p["hspc_mkp_output_per_day"] * 2.0 ** d0 == pytest.approx(2.3, rel=0.01)
    # the splenic yield is relative to WT: the amplification cancels
    assert FT.splenic_yield(p, 1.0) == pytest.approx(1.0)
    h = ParameterSet("human")
    assert FT.mkp_divisions(h, 1.0) == 0.0 and FT.mkp_divisions(h, 3.0) == 0.0


def test_the_burst_divides_whole_divisions_surely_and_the_rest_by_chance():
    fp = np.zeros(FT.F_SIZE)
    fp[FT.F_MKP_DIVISIONS] = 1.585
    fp[FT.F_MKP_DIVISIONS_DONOR] = 0.0
    n = 20000
    origin = np.zeros(n, np.int8)
    for g, expected in ((0.0, 1.0), (1.0, 2.0 ** 0.585 - 1.0), (2.0, 0.0)):
        timer = np.full(n, g)
        share = np.mean([FT._mkp_divides(i, origin, timer, fp, 3, 11) for i in range(n)])
        assert share == pytest.approx(expected, abs=0.012)
    # donor cells follow their own (here: WT) signal
    origin[:] = A.DONOR
    timer = np.zeros(n)
    assert not any(FT._mkp_divides(i, origin, timer, fp, 3, 11) for i in range(200))


def test_a_progenitor_yields_two_to_the_d_megakaryocytes_on_average():
    fp = np.zeros(FT.F_SIZE)
    n = 6000
    for d in (0.0, 0.5, 1.585, 2.3):
        fp[FT.F_MKP_DIVISIONS] = d
        origin = np.zeros(1, np.int8)
        sizes = []
        for lineage in range(n):
            # one lineage: generation by generation, each cell with its own agent id and the step
            cells, mks, step = [0.0], 0, 0
            while cells:
                nxt = []
                for k, g in enumerate(cells):
                    timer = np.array([g])
                    if FT._mkp_divides(0, origin, timer, fp, 1000 + lineage, step * 64 + k):
                        nxt += [g + 1.0, g + 1.0]
                    else:
                        mks += 1
                cells, step = nxt, step + 1
            sizes.append(mks)
        assert np.mean(sizes) == pytest.approx(2.0 ** d, rel=0.03)
        assert max(sizes) <= 2 ** math.ceil(d)


def test_the_census_counts_progenitors_in_their_stage_not_their_dividing_clones():
    """The divisions at the end of the stage take one step each; the census counts a progenitor only
    while age < mkp_stage_hours, so the MK progenitor count does not depend on the time step (the WT
    tile holds 4.11 MKs per progenitor with 1 h steps and 4.12 with 0.5 h, seeds 1-3)."""
    from engine import census as C

    kind = np.array([A.MKP, A.MKP, A.MKP, A.MKP, A.MK], np.int8)
    age = np.array([0.0, 47.9, 48.0, 51.0, 60.0])
    zeros = np.zeros(kind.size)
    state = np.zeros(kind.size, np.int8)
    origin = np.zeros(kind.size, np.int8)
    members = np.arange(kind.size)
    occupant = np.full(3, -1, np.int64)
    counts = C.tally(kind, state, origin, zeros, np.full(kind.size, 16.0), age, 48.0, members, occupant, 0.25)
    assert counts[C.C_MKP] == 2 and counts[C.C_MK] == 1
