"""Well-mixed (systemic) compartments integrated as ODEs once per step.

* Blood platelets: an Erlang chain of ageing compartments fed by release from the
  marrow tile (scaled to the whole body), each draining into the next; the last
  is cleared (senescence). Sum = platelet count (10^3/uL). In people a fixed
  requirement is used as well: a fixed number a day taken at random whatever the
  count (Hanson & Slichter 1985), so a low count falls fast and platelets live
  shorter (``platelet_fixed_requirement_per_day``; 0 in the mouse).
* Plasma TPO: constant hepatic production (raised by IL-6), non-specific clearance
  plus Mpl-receptor clearance proportional to platelet and MK mass (relative to
  WT baseline). Thpo-/-: no production. Mpl-/-: no receptor, so no receptor
  clearance and no signal. A TPO-receptor agonist (PEG-MGDF) given as an injection adds to the Mpl
  ligand in plasma and clears with its own measured half-life; the Mpl signal reads the sum.
* Treatment levels: each plasma level relaxes toward the sum of the doses active now. MSC-EVs also
  have a marrow (tissue) level: vesicles leave the blood within minutes, taken up by tissues, where
  they stay for about a day; the marrow level follows the plasma level with that slower time
  constant, and the EV effects read the marrow level.
* Stem-cell activation after injury: a cytotoxic event (5-FU, irradiation) that kills a share of
  the HSPCs feeds that share (x hspc_activation_per_killed_share) into a chain of equal first-order
  stages; the last stage, scaled so that its peak equals that input, capped
  at 1, is the activation A: quiescent stem cells are
  recruited into cycle over the following days and return to quiescence about a week later
  (Harrison & Lerner 1991). Activated stem cells feed the MK lineage without TPO (stress
  megakaryopoiesis).
* The transit between stem cells and MK progenitors: the multipotent and committed progenitors a
  stem cell's MK-lineage output passes through (a chain of equal first-order stages). They cycle, so
  5-FU and irradiation kill them as they kill MK progenitors, and MK-progenitor production stays low
  until the surviving stem cells have refilled the chain (marrow Meg-CFC stay decreased for 2 days
  after 5-FU, Yeager 1983). Held as the deficit D of the normal flux
  (0 at steady state) and the stress flux Z that activated stem cells feed in (A in, delayed):
  the host's MK-lineage output is F x (1 - D) + stress gain x Z, F the TPO expansion factor. Donor
  cells have no deficit (the graft brings its progenitors) and no stress output.
* The graft's short-term repopulating progenitors: a graft brings, besides the cells that engraft
  for good (the donor HSPC agents), multipotent and committed progenitors that make blood cells for
  a few weeks and are then spent (successive waves of repopulation). Held as G, in units of the
  output of a lodged HSPC: each donor HSPC agent that arrives brings ``graft_short_term_units`` of
  them, and G decays with the mean time ``graft_short_term_days``. Their MK-lineage output is made
  at the lodged donor HSPCs (the donor output per lodged donor cell x (1 + G / lodged donor cells));
  their myeloid output, G x ``graft_short_term_myeloid_factor``, reaches the neutrophils' proliferating
  compartment through a transit of its own (engine.neutrophils). 5-FU and irradiation kill them as
  they kill the cycling progenitors. 0 in a set-up without a transplant, and so exactly 0 there.
* Splenic stress megakaryopoiesis: in the mouse the stress output is made in the spleen (the rebound
  of MK colony-forming cells after 5-FU is splenic, Yeager 1983), so a share of stress gain x Z
  leaves the tile's output and feeds a chain of equal stages whose mean is the transit time of the
  marrow's MK lineage plus the splenic lag (splenic MK progenitors stay depleted 3 days longer). Its
  last stage, times the platelet release that holds the baseline count, the host's lodged HSPCs
  relative to the set-up's (the activated survivors) and the platelet yield the host's Mpl signal
  gives new MKs (engine.fates.splenic_yield), is released into the blood. Untouched, and so exactly
  0, until the first cytotoxic event; the human share is 0.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .neutrophils import step_chain

LEVEL_KINDS = ("il6", "il11", "sdf1", "fgf4", "msc_ev", "niche_disruption", "cxcr4_block", "vla4_block", "gcsf")
#: tissue levels, each taking up from the plasma level named (time constant: level_taus[tissue level])
TISSUE_LEVELS = {"msc_ev_marrow": "msc_ev"}


@dataclass(frozen=True)
class Drive:
    """What TPO (and the stress activation) asks of the lineage this step, for host cells and for
    donor cells (which carry Mpl whatever the host's genotype): MK-lineage output per lodged HSPC
    and Mpl signal, relative to WT baseline, and the factor on niche-filling self-renewal."""
    host_output: float
    donor_output: float
    host_signal: float
    donor_signal: float
    host_renewal: float
    donor_renewal: float


def emax(level: float) -> float:
    """Effect of a treatment level: 1 at a standard dose (level 1), saturating at 2."""
    level = max(level, 0.0)
    return 2.0 * level / (1.0 + level)


@lru_cache(maxsize=8)
def chain_operator(n: int, rate: float, dt: float) -> tuple[np.ndarray, np.ndarray]:
    """The exact step of a chain of ``n`` equal first-order stages (``rate`` per hour) over ``dt`` hours
    as a matrix and a vector: x(dt) = M x + (inflow / rate) g for a constant inflow into the first
    stage, M[k, j] = e^-s s^(k-j) / (k-j)! (j <= k), g[k] = P(Poisson(s) > k), s = rate dt: the
    solution :func:`engine.neutrophils.step_chain` computes stage by stage, as one matrix product (the
    64-stage splenic chain in microseconds instead of half a millisecond)."""
    s = rate * dt
    e = math.exp(-s)
    powers = np.empty(n)
    powers[0] = 1.0
    for m in range(1, n):
        powers[m] = powers[m - 1] * s / m
    M = np.zeros((n, n))
    for k in range(n):
        M[k, :k + 1] = powers[k::-1] * e
    # g[k] = P(Poisson(s) > k), summed from the tail (1 - the head would round to -1e-16 for long
    # chains, and a stage must never go below 0)
    terms = [1.0]
    for m in range(1, n + int(3.0 * s) + 60):
        terms.append(terms[-1] * s / m)
    tail = np.cumsum(np.array(terms[::-1]))[::-1] * e          # tail[k] = e^-s sum_{m>=k} s^m / m!
    g = np.minimum(tail[1:n + 1], 1.0)
    M.setflags(write=False)
    g.setflags(write=False)
    return M, g


def mk_lineage_hours(params) -> float:
    """Nominal time (h) from an MK progenitor's birth to its platelets in the marrow: the progenitor
    stage, the MK's maturation and its release (the splenic chain's mean adds its lag to this;
    scripts/mk_lineage_delay.py measures the real one against it)."""
    p = params
    return p["mkp_stage_hours"] + 24.0 * p["mk_maturation_days"] + p["mk_release_hours"]


def platelet_steady_state(n_stages: int, lifespan_h: float, fixed_h: float, count: float):
    """The blood platelets' ageing chain at steady state with ``count`` (10^3/uL) in all: the
    stage contents, and the release (10^3/uL per hour) that holds them. Each of the ``n_stages``
    stages is left at rate n / lifespan (ageing); the fixed requirement (``fixed_h`` per hour in all,
    taken at random) removes every platelet at rate r = fixed_h / count as well, so each stage
    holds q = k / (k + r) times the one before, and the release is the first stage x (k + r).
    Without a fixed requirement: count / n per stage, released at count / lifespan."""
    n = int(n_stages)
    k = n / lifespan_h
    if fixed_h <= 0.0 or count <= 0.0:
        return np.full(n, count / n), count / lifespan_h
    r = fixed_h / count
    w = (k / (k + r)) ** np.arange(n)
    x = count * w / w.sum()
    return x, float(x[0] * (k + r))


class Systemic:
    def __init__(self, params, genotype: str, mk_reference: float):
        p = params
        self.genotype = genotype
        self.mpl = 0.0 if genotype == "mpl_ko" else 1.0
        self.set_constants(p, mk_reference)
        self.n_stages = int(round(p["platelet_age_stages"]))
        self.chain = np.zeros(self.n_stages)
        #: the donor-derived part of the blood platelets (same ageing chain): in an Mpl-/- host
        #: only these carry Mpl and clear TPO
        self.donor_chain = np.zeros(self.n_stages)
        self.tpo = self.T0
        #: injected TPO-receptor agonist in plasma (pg/mL of TPO-equivalent Mpl ligand)
        self.tpo_agonist = 0.0
        self.levels = {k: 0.0 for k in LEVEL_KINDS + tuple(TISSUE_LEVELS)}
        n = int(round(p["hspc_activation_stages"]))
        #: the activation chain (stage 1 takes the injury); peak of the last stage after a unit input
        self.activation_chain = np.zeros(n)
        self._activation_peak = (n - 1) ** (n - 1) / math.factorial(n - 1) * math.exp(-(n - 1)) if n > 1 else 1.0
        #: the MK-lineage transit chain: deficit of the normal flux and the stress flux, per stage
        m = int(round(p["mk_transit_stages"]))
        self.transit_deficit = np.zeros(m)
        self.transit_stress = np.zeros(m)
        #: the splenic stress output on its way to the blood (units of the stress flux)
        self.spleen_chain = np.zeros(int(round(p["stress_spleen_stages"])))
        #: the graft's short-term repopulating progenitors in the tile (units of a lodged HSPC's output)
        self.graft_progenitors = 0.0

    def set_constants(self, params, mk_reference: float) -> None:
        """Read every constant of the compartments from the parameters: at set-up, and again when a
        parameter changes during a run (``SetParameter``), keeping the state. The numbers of stages
        of the chains are the state's shape: they cannot change during a run
        (``engine.simulation.LIVE_PARAMETERS_EXCLUDED``)."""
        p = params
        self.P0 = p["platelet_baseline"]
        self.T0 = p["tpo_baseline_pg_ml"]
        self.lifespan_h = p["platelet_lifespan_days"] * 24.0
        #: platelets used per hour whatever the count (the fixed requirement, 10^3/uL/h; 0: none)
        self.fixed_h = p["platelet_fixed_requirement_per_day"] / 24.0
        # the measured half-life is that of the non-receptor routes: pharmacological doses saturate
        # the Mpl sink; at physiological levels the receptors clear f_r of all (Li et al. 1999)
        f_r = p["tpo_receptor_clearance_fraction"]
        self.k_ns = math.log(2.0) / p["tpo_half_life_hours"]
        k_total = self.k_ns / (1.0 - f_r)
        self.k_r = k_total * f_r
        self.mk_share = p["tpo_mk_clearance_share"]
        self.production = 0.0 if self.genotype == "thpo_ko" else k_total * self.T0
        self.ec50 = p["tpo_signal_ec50_rel"]
        self.signal_wt = 1.0 / (1.0 + self.ec50)
        self.a0 = p["tpo_independent_output"]
        self.b0 = p["hspc_tpo_independent_expansion"]
        self.mk_reference = max(mk_reference, 1e-9)
        self.agonist_rate = math.log(2.0) / p["tpo_agonist_half_life_hours"]
        self.agonist_pg_ml_per_ug_kg = 1e6 * p["tpo_agonist_potency"] / p["tpo_agonist_volume_ml_per_kg"]
        self.activation_tau_h = p["hspc_activation_stage_hours"]
        self.stress_gain = p["stress_mkp_output"]
        self.activation_per_kill = p["hspc_activation_per_killed_share"]
        self.transit_rate = 1.0 / p["mk_transit_stage_hours"]
        self.spleen_share = p["stress_output_spleen_share"]
        spleen_h = p["stress_spleen_lag_hours"] + mk_lineage_hours(p)
        self.spleen_rate = int(round(p["stress_spleen_stages"])) / spleen_h
        self.graft_units = p["graft_short_term_units"]
        self.graft_myeloid = p["graft_short_term_myeloid_factor"]
        self.graft_rate = 1.0 / (24.0 * p["graft_short_term_days"])
        #: platelets released per hour (10^3/uL or 10^9/L per h) that hold the baseline count
        self.release0 = platelet_steady_state(int(round(p["platelet_age_stages"])), self.lifespan_h, self.fixed_h,
                                              self.P0)[1]

    # ------------------------------------------------------------ state
    @property
    def platelets(self) -> float:
        return float(self.chain.sum())

    def set_platelets(self, value: float) -> None:
        """Blood platelets at ``value`` (10^3/uL), host-derived, spread over the ageing chain as they
        are at steady state (evenly without a fixed requirement)."""
        self.chain[:] = platelet_steady_state(self.n_stages, self.lifespan_h, self.fixed_h, value)[0]
        self.donor_chain[:] = 0.0

    @property
    def mpl_ligand(self) -> float:
        """Plasma Mpl ligand (pg/mL): endogenous TPO plus an injected agonist (TPO-equivalent)."""
        return self.tpo + self.tpo_agonist if self.tpo_agonist > 0.0 else self.tpo

    def inject_tpo_agonist(self, ug_per_kg: float) -> None:
        """An injection of a TPO-receptor agonist (PEG-MGDF, ug/kg body weight): it distributes in
        ``tpo_agonist_volume_ml_per_kg`` at once."""
        self.tpo_agonist += max(ug_per_kg, 0.0) * self.agonist_pg_ml_per_ug_kg

    def tpo_signal(self, mpl: float | None = None) -> float:
        """Mpl signal of a cell with ``mpl`` receptors (default: the host's genotype)."""
        rel = self.mpl_ligand / self.T0
        return (self.mpl if mpl is None else mpl) * rel / (rel + self.ec50)

    def relative_signal(self, mpl: float | None = None) -> float:
        """Mpl signal relative to the WT baseline: 0 without TPO or Mpl, 1 at WT steady state,
        at most 1 + ec50 when TPO is far above baseline."""
        return self.tpo_signal(mpl) / self.signal_wt

    def _output(self, signal: float) -> float:
        """MK-lineage output per lodged HSPC at a relative Mpl signal: TPO-independent part + signal."""
        return self.a0 + (1.0 - self.a0) * signal

    def _renewal(self, signal: float) -> float:
        """Niche-filling self-renewal at a relative Mpl signal: TPO-independent part + signal (HSCs
        expand after a transplant 10-20 times less in Thpo-/- recipients, Fox 2002)."""
        return self.b0 + (1.0 - self.b0) * signal

    def drive(self, donor_lodged: float = 0.0) -> Drive:
        """This step's :class:`Drive`: host cells have the host's Mpl and the stress output of the
        activated survivors; donor cells have Mpl and no stress output (section 7.1.1 of the model).
        The ``donor_lodged`` lodged donor HSPCs also make the output of the graft's short-term
        progenitors (:attr:`graft_progenitors`), shared among them."""
        s_host, s_donor = self.relative_signal(), self.relative_signal(1.0)
        donor = self._output(s_donor)
        if self.graft_progenitors > 0.0 and donor_lodged > 0.0:
            donor *= 1.0 + self.graft_progenitors / donor_lodged
        return Drive(host_output=self.expansion_factor(), donor_output=donor,
                     host_signal=s_host, donor_signal=s_donor,
                     host_renewal=self._renewal(s_host), donor_renewal=self._renewal(s_donor))

    def expansion_factor(self) -> float:
        """MK-lineage output per lodged host HSPC relative to WT baseline: TPO-independent part +
        Mpl signal, less the transit deficit an injury left, plus the TPO-independent stress output
        of the host's stem cells activated by it, after the transit (both 0 at steady state; donor
        cells: :meth:`drive`)."""
        return (self._output(self.relative_signal()) * (1.0 - float(self.transit_deficit[-1]))
                + self.stress_gain * (1.0 - self.spleen_share) * float(self.transit_stress[-1]))

    def activation(self) -> float:
        """Share of the stem cells recruited into cycle by injury (0 at steady state, at most 1)."""
        return min(1.0, float(self.activation_chain[-1]) / self._activation_peak)

    def injure(self, killed_share: float) -> None:
        """A cytotoxic event killed this share of the HSPCs: the survivors are recruited into cycle
        over the following days (the share enters the first stage of the activation chain)."""
        self.activation_chain[0] += min(max(killed_share, 0.0), 1.0) * self.activation_per_kill

    def kill_transit(self, share: float) -> None:
        """A cytotoxic event killed this share of the cycling progenitors in transit to the MK
        progenitor stage: every stage loses it (the deficit rises by share x what is left), and so do
        the graft's short-term progenitors."""
        k = min(max(float(share), 0.0), 1.0)
        self.transit_deficit += k * (1.0 - self.transit_deficit)
        self.transit_stress *= 1.0 - k
        if self.graft_progenitors > 0.0:
            self.graft_progenitors *= 1.0 - k

    def add_graft(self, donor_cells: int) -> None:
        """``donor_cells`` donor HSPC agents arrived: their graft's short-term progenitors with them."""
        self.graft_progenitors += donor_cells * self.graft_units

    def graft_myeloid_output(self) -> float:
        """What the graft's short-term progenitors feed the neutrophils now (units of a lodged HSPC's
        output): G x graft_short_term_myeloid_factor."""
        return self.graft_progenitors * self.graft_myeloid

    def advance_graft(self, dt: float) -> None:
        """The graft's short-term progenitors are spent with the mean time graft_short_term_days."""
        if self.graft_progenitors > 0.0:
            self.graft_progenitors *= math.exp(-dt * self.graft_rate)

    def tpo_steady_state(self, platelets: float, mk_mass: float, production_factor: float = 1.0) -> float:
        """Plasma TPO at which production (x ``production_factor``, e.g. IL-6 induction) balances
        clearance with the given platelet count and MK number (all of the host's genotype)."""
        clear = self.k_ns + self.k_r * self.mpl * self._receptor_mass(platelets, mk_mass)
        return self.production * production_factor / clear

    def _receptor_mass(self, platelets, mk_mass):
        return (1.0 - self.mk_share) * platelets / self.P0 + self.mk_share * mk_mass / self.mk_reference

    # ------------------------------------------------------------ integration
    def advance_levels(self, dt: float, targets: dict[str, float], level_taus: dict[str, float]) -> None:
        """Each treatment level relaxes toward the sum of the doses active now (time constant
        ``level_taus[kind]`` hours); then each tissue level toward its plasma level."""
        for k in LEVEL_KINDS:
            tau = level_taus[k]
            self.levels[k] += (targets.get(k, 0.0) - self.levels[k]) * (1.0 - math.exp(-dt / tau))
        for k, plasma in TISSUE_LEVELS.items():
            self.levels[k] += (self.levels[plasma] - self.levels[k]) * (1.0 - math.exp(-dt / level_taus[k]))

    def advance_activation(self, dt: float) -> None:
        """Advance the activation chain by dt hours (exact for a chain of equal stages: the closed form
        of engine.neutrophils.step_chain without inflow, kept apart because the two add their terms in
        opposite orders and sharing one would change the reference runs' bytes)."""
        x = self.activation_chain
        if not x.any():
            return
        s = dt / self.activation_tau_h
        e = math.exp(-s)
        old = x.copy()
        for k in range(x.size):
            acc, term = 0.0, 1.0
            for j in range(k, -1, -1):      # x_k += sum_j x_j s^(k-j) / (k-j)!
                acc += old[j] * term
                term *= s / (k - j + 1)
            x[k] = acc * e

    def advance_transit(self, dt: float) -> None:
        """Advance the MK-lineage transit chain by dt hours (exact, with this step's activation fed
        into the stress flux). Untouched, and so exactly 0, until the first cytotoxic event."""
        a = self.activation()
        if a > 0.0 or self.transit_stress.any():
            self.transit_stress[:] = step_chain(self.transit_stress, a * self.transit_rate, self.transit_rate, dt)
        if self.transit_deficit.any():
            self.transit_deficit[:] = step_chain(self.transit_deficit, 0.0, self.transit_rate, dt)

    def advance_spleen(self, dt: float, host_hspcs_rel: float) -> None:
        """Advance the splenic stress output by dt hours (exact, fed with the spleen's share of this
        step's stress flux from ``host_hspcs_rel``, the host's lodged HSPCs relative to the set-up's).
        Untouched, and so exactly 0, until the first stress flux."""
        feed = self.spleen_share * self.stress_gain * float(self.transit_stress[-1]) * max(host_hspcs_rel, 0.0)
        if feed > 0.0 or self.spleen_chain.any():
            M, g = chain_operator(self.spleen_chain.size, self.spleen_rate, dt)
            self.spleen_chain[:] = M @ self.spleen_chain + feed * g

    def spleen_release(self, yield_factor: float = 1.0) -> float:
        """Platelets the spleen releases into the blood per hour now (0 until the first injury):
        ``yield_factor`` x what the same output makes at the WT steady state (the splenic MKs answer
        the host's Mpl signal as marrow MKs do: engine.simulation passes the factor)."""
        return self.release0 * yield_factor * float(self.spleen_chain[-1])

    def advance_blood(self, dt: float, release_rate: float, mk_mass: float, tpo_production: float = 1.0,
                      donor_release_rate: float = 0.0, donor_mk_mass: float = 0.0) -> None:
        """Advance blood platelets and plasma TPO by dt hours. release_rate: platelets added to blood
        per hour (10^3/uL/h); mk_mass: megakaryocytes in the tile; tpo_production: hepatic
        production x this (IL-6 induction); donor_*: the donor-derived part of release and MKs
        (they carry Mpl, and in an Mpl-/- host they are the only receptor mass)."""
        # platelets: Erlang chain, exact exponential step per stage (feed held constant over dt).
        # With a fixed requirement every platelet is also used at random at r = fixed_h / N per hour
        # (N the count at the step's start, host and donor: N r = fixed_h); of what leaves a stage the
        # share k / (k + r) ages into the next. A steady state keeps r, so the step holds it exactly
        # for any dt; it never takes more than there is. (Without one, r = 0 and onward = 1 exactly.)
        rate = self.n_stages / self.lifespan_h
        r = self.fixed_h / max(float(self.chain.sum() + self.donor_chain.sum()), 1e-12) if self.fixed_h > 0.0 \
            else 0.0
        loss = rate + r
        e = math.exp(-loss * dt)
        onward = rate / loss
        for chain, feed in ((self.chain, release_rate), (self.donor_chain, donor_release_rate)):
            inflow = feed
            for s in range(self.n_stages):
                old = chain[s]
                new = old * e + inflow / loss * (1.0 - e)
                # mean outflow over the step: the ageing part feeds the next stage
                out_mean = (inflow * dt + old - new) / dt
                chain[s] = new
                inflow = out_mean * onward
        # TPO: production minus clearance (receptors on Mpl-bearing platelets and MKs), exact for
        # the frozen clearance rate
        if self.mpl > 0.0:
            mass = self.mpl * self._receptor_mass(self.platelets, mk_mass)
        else:
            mass = self._receptor_mass(float(self.donor_chain.sum()), donor_mk_mass)
        clear = self.k_ns + self.k_r * mass
        prod = self.production * tpo_production
        ec = math.exp(-clear * dt)
        self.tpo = self.tpo * ec + prod / clear * (1.0 - ec)
        if self.tpo_agonist > 0.0:
            self.tpo_agonist *= math.exp(-self.agonist_rate * dt)
            if self.tpo_agonist < 1e-6 * self.T0:
                self.tpo_agonist = 0.0
