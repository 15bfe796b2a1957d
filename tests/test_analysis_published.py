"""Published data tables (resources/data, analysis.published): schema, values, what the plots show."""
import math
from pathlib import Path

import numpy as np
import pytest

from analysis.published import all_tables, data_dir, load_table, parse_table, published_for_scenario
from engine import InputError, builtin_scenarios
from engine.parameters import ParameterSet
from engine.observables import COLUMNS

MINIMAL = {
    "title": "t", "kind": "table", "use": "test", "species": "mouse", "scenarios": ["v01_wt"],
    "source": {"authors": "Doe J, Roe R", "title": "x", "journal": "J", "year": 2000, "locator": "Table 1"},
    "series": [{"id": "a", "label": "WT", "quantity": "q", "unit": "u", "column": "platelets",
                "mean": [1.0], "spread": "sd", "sd": [0.1], "n": 4}],
}


def test_every_table_loads_names_real_scenarios_and_is_indexed():
    tables = all_tables()
    assert len(tables) >= 15
    index = (data_dir() / "README.md").read_text(encoding="utf-8")
    known = set(builtin_scenarios())
    for tid, t in tables.items():
        assert f"`{tid}`" in index, f"{tid} missing from resources/data/README.md"
        assert set(t.scenarios) <= known, tid
        assert t.source.locator and t.source.year
        for s in t.series:
            if s.column:
                assert s.column in COLUMNS
            v = t.value(s.id)
            assert math.isfinite(v.mean) and v.lower <= v.mean <= v.upper


def test_required_observations_are_present():
    """The issue's minimum: WT platelets, lifespan, TPO, MK density and ploidy; knockouts; 5-FU; HSCT +/- MSC;
    EV clearance (sublethal irradiation: rat statements only, see the index)."""
    ids = set(all_tables())
    assert {"zingariello2017_tab1", "ault1995_abstract", "corash1989_abstract", "jackson1990_abstract",
            "bunting1997_abstract", "desauvage1996_abstract", "gurney1994_abstract", "alexander1996_abstract",
            "yeager1983_abstract", "levin2001_abstract", "li2021_tab2", "takahashi2013_abstract",
            "tanum1984_abstract"} <= ids


def test_ratio_series_propagate_the_sds_and_samples_give_study_level_sd():
    t = load_table("zingariello2017_tab1")
    v = t.value("mpl_tpo_ratio")
    assert v.mean == pytest.approx(1287 / 351)
    rel = math.hypot(205 / 1287, 31 / 351)
    assert v.sd_single == pytest.approx(v.mean * rel) and v.tolerance(2.0) == pytest.approx(
        (v.mean - 2 * v.mean * rel, v.mean + 2 * v.mean * rel))
    assert t.model_value("wt_platelets").mean == pytest.approx(900.0)      # 10^6/uL -> 10^3/uL
    s = load_table("li2021_tab2").value("control_engraftment_day")
    assert s.mean == pytest.approx(np.mean([15, 20, 23, 16.02])) and s.sd_single == pytest.approx(
        np.std([15, 20, 23, 16.02], ddof=1)) and s.n == 4
    assert load_table("kaluzhny2002_fig3").value("wt_platelets").tolerance() is None   # no spread: no tolerance


def test_series_for_a_scenario_are_shifted_to_its_event_and_converted():
    shown = published_for_scenario("v08_5fu")
    five = {(s.table_id, s.column): s for s in shown}
    day7, rebound = [s for s in shown if (s.table_id, s.column) == ("yeager1983_abstract", "platelets_rel")]
    assert day7.days.tolist() == [9.0] and rebound.days.tolist() == [13.0, 16.0, 19.0]     # 5-FU on day 2
    assert day7.mean.tolist() == [0.4] and rebound.mean.tolist() == [2.25, 2.25, 2.25] and day7.lower[0] == 0.35
    assert "Yeager" in day7.label and "Exp Hematol" in day7.citation and "rebound" in rebound.label
    abs_ = [s for s in shown if (s.table_id, s.column) == ("yeager1983_abstract", "platelets")][0]
    assert abs_.mean[0] == pytest.approx(0.4 * ParameterSet("mouse")["platelet_baseline"])
    lesson = [s for s in published_for_scenario("lesson_5fu") if s.column == "platelets_rel"]
    assert [s.days[0] for s in lesson if s.table_id == "yeager1983_abstract"] == [7.0, 11.0]   # 5-FU on day 0
    mpl = [s for s in published_for_scenario("v03_mpl_ko") if s.column == "tpo_pg_ml"]
    assert [(s.mean[0], s.lower[0], s.upper[0]) for s in mpl] == [(1287.0, 1082.0, 1492.0)]
    assert published_for_scenario("lesson_hsct") == []


@pytest.mark.parametrize("change, field, words", [
    ({"use": "fit"}, "'use'", "not an allowed value"),
    ({"series": [{**MINIMAL["series"][0], "sd": [0.1, 0.2]}]}, "'series[0]'", "'sd' with 1 value"),
    ({"series": [{**MINIMAL["series"][0], "column": "platelet"}]}, "'series[0]'", "unknown observable"),
    ({"series": [{**MINIMAL["series"][0], "spread": "range", "sd": None, "lower": [1.2], "upper": [2.0]}]},
     "'series[0]'", "inside its range"),
    ({"series": [{**MINIMAL["series"][0], "ratio_of": ["a", "b"], "mean": [], "sd": None, "spread": "none"}]},
     "", "unknown series"),
    ({"colour": "red"}, "colour", "unknown key"),
])
def test_bad_tables_name_the_file_and_field(change, field, words):
    with pytest.raises(InputError) as err:
        parse_table({**MINIMAL, **change}, "x", "resources/data/x.toml")
    text = str(err.value)
    assert "resources/data/x.toml" in text and words in text and (field in text)


def test_unknown_table_is_an_input_error():
    with pytest.raises(InputError, match="unknown data table"):
        load_table("nobody2099")
