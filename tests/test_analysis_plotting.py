"""Report plots (analysis.plotting): deterministic SVG with text kept as text, error bars, heat maps, PNG."""
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from analysis import palette
from analysis.plotting import ErrorPoints, HLine, Line, Span, heatmap_figure, line_figure, save, svg_text


def _fig():
    t = np.linspace(0, 30, 121)
    return line_figure([Line("WT <ref>", t, 1000 + 0 * t), Line("KO & co", t, 150 + 0 * t, 120 + 0 * t, 180 + 0 * t,
                                                                 band_label="range")],
                       errorbars=[ErrorPoints("Bunting 1997", [25.0], [100.0], [50.0], [150.0])],
                       title="Platelets", xlabel="day", ylabel="10^3/uL", hlines=[HLine(1000, "baseline")],
                       spans=[Span(20, 30, "window")])


def test_svg_is_identical_each_time_and_names_its_parts():
    a, b = svg_text(_fig()), svg_text(_fig())
    assert a == b and "Date" not in a
    root = ET.fromstring(a)
    ids = {e.get("id") for e in root.iter()}
    assert {"line-0", "line-1", "band-1", "data-0"} <= ids
    texts = " ".join(e.text or "" for e in root.iter("{http://www.w3.org/2000/svg}text"))
    assert "WT <ref>" in texts and "KO & co" in texts and "Bunting 1997" in texts and "baseline" in texts
    assert palette.series_colour(0).lower() in a.lower()


def test_heat_map_writes_cell_values_and_marks_missing_cells():
    grid = np.array([[1.0, 2.0], [np.nan, 4.0]])
    svg = svg_text(heatmap_figure([0.0, 1.0], [10.0, 20.0], grid, xlabel="a", ylabel="b", value_label="v"))
    texts = [e.text for e in ET.fromstring(svg).iter("{http://www.w3.org/2000/svg}text")]
    assert {"1", "2", "4", "n/a"} <= set(texts)
    with pytest.raises(ValueError, match="does not match"):
        heatmap_figure([0.0], [1.0, 2.0], grid, xlabel="a", ylabel="b")


def test_save_by_suffix(tmp_path):
    png = save(_fig(), tmp_path / "p.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert save(_fig(), tmp_path / "p.svg").read_text().lstrip().startswith("<?xml")
    with pytest.raises(ValueError, match=".svg or .png"):
        save(_fig(), tmp_path / "p.pdf")
