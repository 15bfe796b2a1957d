"""Calibration entries (resources/calibration.toml, analysis.calibration): tables, methods, sources."""
import pytest

from analysis.calibration import Entry, calibrate, load_calibration
from engine import InputError, parameter_table


def test_every_calibrated_parameter_names_its_method_and_data_and_its_source_says_so():
    entries = load_calibration()
    names = {e.name for e in entries}
    assert {"platelet_output_scale", "mk_baseline_per_mm3", "platelet_baseline"} <= names
    table = parameter_table()
    for e in entries:
        assert e.species in ("mouse", "human")
        assert "calibrat" in table[e.name].source and "calibration.toml" in table[e.name].source, e.name
        if e.table:
            assert e.table in table[e.name].source or e.method != "table_value"


def test_table_values_are_read_from_calibration_series_only(tmp_path):
    fits = calibrate("mouse", entries=[e for e in load_calibration() if e.method == "table_value"], log=lambda *_: None)
    assert sorted((f.name, f.value, f.table) for f in fits) == [
        ("ev_plasma_half_life_hours", 0.033, "takahashi2013_abstract"),
        ("msc_lung_half_life_hours", 24.0, "lee2009_abstract"),
        ("platelet_baseline", 900.0, "zingariello2017_tab1"),
        ("tpo_baseline_pg_ml", 351.0, "zingariello2017_tab1")]
    assert all(f.table in f.source_text() for f in fits)
    bad = tmp_path / "cal.toml"
    bad.write_text('[[parameters]]\nname = "platelet_baseline"\nspecies = "mouse"\nmethod = "table_value"\n'
                   'table = "zingariello2017_tab1"\nseries = "mpl_platelets"\n')
    with pytest.raises(InputError, match="calibration series"):
        load_calibration(bad)


@pytest.mark.parametrize("species, table, series, healthy, receptorless, attribute", [
    # Same TPO production in Mpl-null and WT mice (Fielder 1996), no receptor route in Mpl-null: the
    # published ratio R = 1287 / 351 gives share = 1 - 1/R, and the Mpl-/- model sits at R again.
    ("mouse", "zingariello2017_tab1", "mpl_tpo_ratio", 351.0, 1287.0, "default"),
    # A marrow without megakaryocytes and with few platelets taken as holding no receptor mass: the SAA /
    # healthy TPO ratio of one assay (Hou 1998: 1514 / 52 = 29.1) gives the human share, 0.966 where
    # version 0.8.0 kept an unfitted 0.88 (whose aplasia ceiling was 8.3x).
    ("human", "hou1998_abstract", "saa_tpo_ratio", 52.0, 1514.0, "human"),
])
def test_receptor_share_comes_from_a_tpo_ratio_without_receptor_mass(species, table, series, healthy,
                                                                     receptorless, attribute):
    fits = calibrate(species, entries=[e for e in load_calibration() if e.method == "receptor_clearance_share"],
                     log=lambda *_: None)
    assert [(f.name, f.table, f.series) for f in fits] == [("tpo_receptor_clearance_fraction", table, series)]
    assert fits[0].value == pytest.approx(1.0 - healthy / receptorless, abs=1e-6)
    assert getattr(parameter_table()["tpo_receptor_clearance_fraction"], attribute) == pytest.approx(
        fits[0].value, abs=1e-6)
    assert 1.0 / (1.0 - fits[0].value) == pytest.approx(receptorless / healthy, rel=1e-5)


@pytest.mark.parametrize("text, words", [
    ('name = "no_such"\nspecies = "mouse"\nmethod = "table_value"\ntable = "zingariello2017_tab1"\n'
     'series = "wt_platelets"', "unknown parameter"),
    ('name = "platelet_baseline"\nspecies = "mouse"\nmethod = "table_value"', "needs 'table'"),
    ('name = "mk_baseline_per_mm3"\nspecies = "mouse"\nmethod = "self_consistency"\nobservable = "x"',
     "needs 'observable'"),
    ('name = "platelet_output_scale"\nspecies = "mouse"\nmethod = "guess"', "not an allowed value"),
    ('name = "stress_mkp_output"\nspecies = "mouse"\nmethod = "response_to_target"\n'
     'table = "yeager1983_abstract"\nseries = "rebound_rel"\nscenario = "v08_5fu"\nobservable = "platelets_rel"',
     "needs 'table', 'series', 'scenario', 'window'"),
    ('name = "stress_mkp_output"\nspecies = "mouse"\nmethod = "response_to_target"\n'
     'table = "yeager1983_abstract"\nseries = "rebound_rel"\nscenario = "v08_5fu"\nobservable = "platelets_rel"\n'
     'window = [19.0, 13.0]', "first < last"),
    ('name = "platelet_output_scale"\nspecies = "mouse"\nmethod = "release_balance"\n'
     'target_parameter = "platelet_baseline"\nwindow = [1.0, 2.0]', "belong to method 'response_to_target'"),
])
def test_bad_calibration_entries_name_the_field(tmp_path, text, words):
    p = tmp_path / "cal.toml"
    p.write_text("[[parameters]]\n" + text + "\n")
    with pytest.raises(InputError) as err:
        load_calibration(p)
    assert "cal.toml" in str(err.value) and words in str(err.value)


def test_a_fitted_parameter_is_a_new_entry():
    e = Entry(name="tpo_half_life_hours", species="mouse", method="scale_to_target", observable="tpo_pg_ml",
              target_parameter="tpo_baseline_pg_ml")
    assert e.exponent == 1.0
    with pytest.raises(ValueError):
        Entry(name="tpo_half_life_hours", species="mouse", method="scale_to_target", target_parameter="x")


def test_a_response_gain_is_scaled_until_the_response_meets_its_table(monkeypatch):
    """response_to_target: value x ((target - level) / (observed - level))^exponent; with a response
    linear in the gain (1 + 0.1 x gain) it settles on the gain that gives Yeager's 2.25."""
    import analysis.calibration as cal

    e = next(x for x in load_calibration() if x.name == "stress_mkp_output")
    assert (e.name, e.table, e.series, e.scenario, e.level) == (
        "stress_mkp_output", "yeager1983_abstract", "rebound_rel", "v08_5fu", 1.0)
    monkeypatch.setattr(cal, "response_of", lambda entry, values, seeds=None: 1.0 + 0.1 * values[entry.name])
    value = cal._fit_response(e, "mouse", {e.name: 4.0}, rounds=8, log=lambda *_: None)
    assert value == pytest.approx(12.5, rel=1e-3)
    monkeypatch.setattr(cal, "response_of", lambda entry, values, seeds=None: 0.5)     # a fall, not a rise
    with pytest.raises(InputError, match="other side of its level"):
        cal._fit_response(e, "mouse", {e.name: 4.0}, rounds=1, log=lambda *_: None)


def test_a_ratio_response_divides_by_the_reference_scenario_and_a_negative_exponent_lowers_the_value(monkeypatch):
    """Fox 2002's recipient experiment: donor HSPCs in a WT over a Thpo-/- recipient; the TPO-independent
    expansion lowers that ratio, so its exponent is negative."""
    import analysis.calibration as cal

    e = next(x for x in load_calibration() if x.name == "hspc_tpo_independent_expansion")
    assert (e.scenario, e.reference, e.observable, e.exponent < 0) == (
        "d6_transplant_wt_recipient", "d6_transplant_thpo_recipient", "hspc_donor", True)
    # WT recipient always full (300), Thpo-/- recipient's pool grows with the parameter: 300 x value x 4
    monkeypatch.setattr(cal, "_run_measure",
                        lambda base, entry, values, seed: 300.0 if base.genotype == "wt"      # the WT recipient
                        else 1200.0 * values[entry.name])
    assert cal.response_of(e, {e.name: 0.05}) == pytest.approx(5.0)
    value = cal._fit_response(e, "mouse", {e.name: 0.05}, rounds=12, log=lambda *_: None)
    assert 300.0 / (1200.0 * value) == pytest.approx(15.0, rel=1e-2)
    with pytest.raises(ValueError, match="must not be 0"):
        Entry(name="x", species="mouse", method="scale_to_target", observable="mk", target_parameter="y", exponent=0)


def test_a_peak_response_uses_the_highest_value_of_the_window(monkeypatch):
    """The mouse agonist half-life is fitted to Daw 1998's peak after 250 ug/kg: metric "max" takes the
    highest value of each run over the window (not the mean), and the fit settles on the half-life
    whose peak meets 5.7x (a peak growing linearly with the half-life here)."""
    import numpy as np

    import analysis.calibration as cal
    import engine.simulation as simulation

    e = next(x for x in load_calibration() if x.name == "tpo_agonist_half_life_hours")
    assert (e.metric, e.table, e.series, e.scenario, e.level) == (
        "max", "daw1998_abstract", "peak_rel_250", "t1_tpo_250", 1.0)
    with pytest.raises(ValueError):
        Entry(name="tpo_agonist_half_life_hours", species="mouse", method="response_to_target",
              table="daw1998_abstract", series="peak_rel_250", scenario="t1_tpo_250", observable="platelets_rel",
              window=(2.0, 20.0), metric="min")

    class FakeSim:
        """A run whose platelets rise to 1 + 0.5 x half-life on day 7 and are 1 elsewhere."""

        def __init__(self, scn):
            self.h = scn.parameters["tpo_agonist_half_life_hours"]

        @classmethod
        def from_scenario(cls, scn):
            return cls(scn)

        def run(self):
            d = np.arange(0.0, 20.5, 0.5)
            self.observables = {"day": d, "platelets_rel": np.where(d == 7.0, 1.0 + 0.5 * self.h, 1.0)}

    monkeypatch.setattr(simulation, "Simulation", FakeSim)
    assert cal.response_of(e, {e.name: 6.0}, seeds=2) == pytest.approx(4.0)
    value = cal._fit_response(e, "mouse", {e.name: 6.0}, rounds=30, log=lambda *_: None)
    assert 1.0 + 0.5 * value == pytest.approx(5.7, rel=1e-3)


def test_release_balance_refuses_a_fixed_platelet_requirement():
    """release_balance rests on count = release x lifespan, which a fixed requirement breaks (the human
    preset fits platelet_output_scale with scale_to_target since version 0.8.0): the fit stops with
    a message naming the method to use, before any run."""
    from analysis.calibration import calibrate
    e = Entry(name="platelet_output_scale", species="human", method="release_balance",
              target_parameter="platelet_baseline")
    with pytest.raises(InputError, match="scale_to_target") as err:
        calibrate("human", days=2.0, seeds=(1,), rounds=1, entries=[e], log=lambda *_: None,
                  overrides={"tile_x_um": 300.0, "tile_y_um": 300.0, "spinup_days": 1.0})
    assert err.value.field == "calibration.platelet_output_scale.method"
