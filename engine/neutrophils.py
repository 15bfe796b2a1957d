"""Blood neutrophils: the Friberg transit-compartment model of granulopoiesis, fed by the tile's stem cells.

Friberg et al. 2002 (J Clin Oncol 20:4713) describe myelosuppression with one proliferating
compartment (Prol), three transit compartments (maturation, T1..T3) and the circulating
neutrophils (Circ), all passed at the same rate ktr = 4 / MTT (the mean time from Prol to the
blood), with a feedback (Circ0 / Circ)^gamma on proliferation. Here Prol is fed by the marrow's
stem/progenitor supply, the tile's lodged HSPCs (host and donor) relative to their steady-state
count H, so that conditioning stops the feed and donor engraftment restores it. Friberg's Prol is
the mitotic pool, fed in his patients by intact stem cells; after a transplant the donor's cells
must first make that pool, so their output reaches Prol through a chain of ``anc_transit_stages``
equal first-order stages Y (the cycling myeloid progenitors in between; mean transit = stages x
``anc_transit_stage_hours`` = n / r):

    dY1/dt   = r * (H - Y1),   dYk/dt = r * (Y(k-1) - Yk),   S = Yn
    dProl/dt = ktr * Circ0 * S * (Circ0 / max(Circ, floor))^gamma - ktr * Prol
    dT1/dt   = ktr * (Prol - T1),   dT2/dt = ktr * (T1 - T2),   dT3/dt = ktr * (T2 - T3)
    dCirc/dt = ktr * (T3 - Circ)                                 (ANC = Circ, 10^9/L)

After a transplant the graft's short-term myeloid progenitors (engine.systemic: G x
``graft_short_term_myeloid_factor``, in units of a lodged HSPC's output, over H) add to S through a
chain of their own, ``graft_myeloid_stages`` stages of ``graft_myeloid_stage_hours``: the committed
progenitors the graft brings make the first neutrophils, before the donor stem cells have refilled
the niches. It holds 0 without a graft.

At steady state (H = 1) every transit stage holds 1 and every Friberg compartment Circ0. 5-FU and
irradiation kill the cycling cells, the transit and Prol (the same share as of MK progenitors); the
maturing and circulating cells are spared, as in Friberg's drug effect on Prol only.

G-CSF (filgrastim), at effect E (0 without it, 1 at the standard dose: engine.systemic.emax of its
plasma level), does what Price et al. 1996 measured in healthy volunteers: it expands the mitotic
pool, Prol's influx x (1 + ``gcsf_production_gain`` E), and shortens the time the neutrophils spend
maturing, T1..T3 passed at ktr / f^E with f = ``gcsf_maturation_time_factor``; the circulating
neutrophils still leave at ktr (their blood half-life did not change). With E > 0 the chain's rates
differ, and the step is the exact solution of the linear chain through its matrix exponential.

A step reads Prol's influx at its start (the feedback, S and G-CSF), then solves the transit and
the five Friberg stages exactly (closed form; with G-CSF the matrix exponential), each for its inflow
held over the step, so any dt is stable.
No Qt here.
"""
from __future__ import annotations

import math

import numpy as np

#: compartments: Prol, T1, T2, T3, Circ (the MTT spans the first four)
N_STAGES = 5
N_TRANSIT = 4


class Neutrophils:
    def __init__(self, params, reference_hspcs: float):
        self.set_constants(params)
        self.reference = max(float(reference_hspcs), 1e-9)
        self.chain = np.full(N_STAGES, self.circ0)
        #: the myeloid progenitor transit between the stem cells and Prol: each stage's content
        #: relative to steady state (its number of stages is the state's shape, fixed for a run)
        self.transit = np.ones(int(round(params["anc_transit_stages"])))
        #: the graft's short-term myeloid progenitors on their way to Prol (relative to steady state;
        #: all 0 without a graft): a transit of their own (engine.systemic.graft_myeloid_output)
        self.graft_transit = np.zeros(int(round(params["graft_myeloid_stages"])))

    def set_constants(self, params) -> None:
        """Read the constants from the parameters: at set-up, and again when a parameter changes
        during a run (``SetParameter``), keeping the state."""
        p = params
        self.circ0 = p["anc_baseline"]
        self.mtt_h = p["anc_mtt_hours"]
        self.gamma = p["anc_feedback_gamma"]
        self.floor = p["anc_feedback_floor"]
        self.ktr = N_TRANSIT / self.mtt_h
        self.transit_rate = 1.0 / p["anc_transit_stage_hours"]
        self.graft_rate = 1.0 / p["graft_myeloid_stage_hours"]
        self.gcsf_gain = p["gcsf_production_gain"]
        self.gcsf_time_factor = p["gcsf_maturation_time_factor"]

    # ------------------------------------------------------------ state
    @property
    def anc(self) -> float:
        """Absolute neutrophil count (10^9/L)."""
        return float(self.chain[-1])

    def stem_output(self, lodged_hspcs: float) -> float:
        """What the lodged stem/progenitor cells put into the progenitor transit, relative to steady state."""
        return max(float(lodged_hspcs), 0.0) / self.reference

    def supply(self) -> float:
        """Supply of Prol relative to steady state: the progenitor transit's output and the graft's
        short-term myeloid progenitors' (0 without a graft)."""
        return float(self.transit[-1]) + float(self.graft_transit[-1])

    def feedback(self) -> float:
        """Friberg's feedback (Circ0 / Circ)^gamma, Circ held at or above the floor."""
        return (self.circ0 / max(self.anc, self.floor)) ** self.gamma

    def production(self, gcsf: float = 0.0) -> float:
        """Influx into Prol (10^9/L per hour), at G-CSF effect ``gcsf``."""
        return self.ktr * self.circ0 * self.supply() * self.feedback() * (1.0 + self.gcsf_gain * gcsf)

    def rates(self, gcsf: float = 0.0) -> np.ndarray:
        """Rate (1/h) at which each Friberg compartment (Prol, T1..T3, Circ) is left, at G-CSF effect
        ``gcsf``: all ktr without it; the maturing compartments faster with it."""
        r = np.full(N_STAGES, self.ktr)
        r[1:N_TRANSIT] = self.ktr / self.gcsf_time_factor ** gcsf
        return r

    def kill(self, share: float) -> None:
        """A cytotoxic event kills this share of the cycling cells: the progenitor transit and Prol."""
        s = 1.0 - min(max(float(share), 0.0), 1.0)
        self.transit *= s
        self.graft_transit *= s
        self.chain[0] *= s

    # ------------------------------------------------------------ integration
    def advance(self, dt: float, lodged_hspcs: float, gcsf: float = 0.0, graft: float = 0.0) -> None:
        """Advance by dt hours at G-CSF effect ``gcsf``, with ``graft`` the output of a graft's
        short-term myeloid progenitors (units of a lodged HSPC's output): Prol's influx read at the
        step's start, then the two transits and the Friberg chain, each exact for its inflow held
        constant over the step."""
        u = self.production(gcsf)
        r = self.transit_rate
        self.transit[:] = step_chain(self.transit, r * self.stem_output(lodged_hspcs), r, dt)
        if graft > 0.0 or self.graft_transit.any():
            g = self.graft_rate
            self.graft_transit[:] = step_chain(self.graft_transit, g * self.stem_output(graft), g, dt)
        if gcsf > 0.0:
            self.chain[:] = step_linear_chain(self.chain, u, self.rates(gcsf), dt)
        else:
            self.chain[:] = step_chain(self.chain, u, self.ktr, dt)


def step_chain(x: np.ndarray, inflow: float, rate: float, dt: float) -> np.ndarray:
    """Exact step of a chain of equal first-order stages (rate per hour) with a constant inflow
    into the first: x_k(dt) = sum_j<=k x_j e^-s s^(k-j)/(k-j)! + inflow/rate * P(k+1, s),
    s = rate*dt, P the regularised lower incomplete gamma function (for whole k+1)."""
    s = rate * dt
    e = math.exp(-s)
    n = x.size
    powers = [1.0]
    for m in range(1, n):
        powers.append(powers[-1] * s / m)           # s^m / m!
    out = np.empty(n)
    partial = 0.0
    for k in range(n):
        acc = 0.0
        for j in range(k + 1):
            acc += x[j] * powers[k - j]
        partial += powers[k]                         # sum_{m<=k} s^m/m!
        out[k] = acc * e + inflow / rate * (1.0 - e * partial)
    return out


def step_linear_chain(x: np.ndarray, inflow: float, rates: np.ndarray, dt: float) -> np.ndarray:
    """Exact step of a chain of first-order stages with rates of their own (stage k is left at
    rates[k] into stage k+1, the last one out of the chain) and a constant inflow into the first:
    the exponential of the chain's matrix, augmented with the inflow, times (x, 1). The exponential
    by its Taylor series after scaling by a power of 2 (norm <= 1/2), then squaring: exact to
    rounding for any rates and dt. Equal rates give :func:`step_chain`'s numbers (to rounding)."""
    n = x.size
    m = np.zeros((n + 1, n + 1))
    for k in range(n):
        m[k, k] = -rates[k] * dt
        if k:
            m[k, k - 1] = rates[k - 1] * dt
    m[0, n] = inflow * dt
    norm = float(np.abs(m).sum(axis=0).max())
    squarings = max(0, int(math.ceil(math.log2(norm / 0.5)))) if norm > 0.5 else 0
    a = m / 2.0 ** squarings
    term = np.eye(n + 1)
    e = np.eye(n + 1)
    for j in range(1, 30):
        term = term @ a / j
        e += term
        if np.abs(term).max() < 1e-18:
            break
    for _ in range(squarings):
        e = e @ e
    return e[:n, :n] @ x + e[:n, n]
