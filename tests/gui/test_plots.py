"""The live plots (gui/plots.py) as a user sees them in the window: the title rows and the axis labels
fit the Live plots dock, down to the window's minimum size."""
from __future__ import annotations

import types

import numpy as np
import pytest
from PySide6.QtCore import QRectF

from gui_helpers import WAIT_MS, run_to

ROWS = ("platelets", "engraftment", "tpo", "mk")


def _resize(qtbot, window, w, h):
    window.resize(w, h)
    want = window.size()                   # (the window's minimum size may have raised it)
    qtbot.waitUntil(lambda: window.size() == want, timeout=WAIT_MS)
    qtbot.wait(100)                        # docks and rows settle


def _plain(html_text: str) -> str:
    from PySide6.QtGui import QTextDocument

    doc = QTextDocument()
    doc.setHtml(html_text)
    return doc.toPlainText()


def _crowd_the_title_rows(plots):
    """Everything a title row can hold at once: a hovered day, two kept runs, published data."""
    series = [types.SimpleNamespace(table_id="t", column=col, days=np.array([2.0]), mean=np.array([m]),
                                    lower=np.array([0.9 * m]), upper=np.array([1.1 * m]), label="published",
                                    citation="Zingariello M, et al. Blood. 2017")
              for col, m in (("platelets", 900.0), ("tpo_pg_ml", 300.0), ("donor_chimerism", 0.5), ("mk", 1000.0))]
    plots.set_published(series)
    plots.set_runs_legend([("#D55E00", "run 1: wild type"), ("#CC79A7", "run 2: Thpo-/-")])
    plots.set_hover(1.0)


@pytest.mark.parametrize("size", [(1, 1), (1280, 720)], ids=["min", "1280x720"])
def test_title_rows_fit_or_give_way_with_the_whole_text_in_a_tooltip(qtbot, window, size):
    _resize(qtbot, window, *size)
    run_to(qtbot, window, 1.5)
    plots = window.plots
    _crowd_the_title_rows(plots)
    qtbot.wait(50)
    view = QRectF(plots.viewport().rect())
    plot_of = {"platelets": plots.p_plt, "engraftment": plots.p_eng, "tpo": plots.p_tpo, "mk": plots.p_mk}
    for name in ROWS:
        t = plots.readout_item(name).textItem
        m = t.document().documentMargin()
        text = t.mapRectToScene(t.boundingRect().adjusted(m, m, -m, -m))      # the text, less its margins
        plot = plot_of[name].sceneBoundingRect()
        assert text.right() <= plot.right() and view.contains(text), (name, text, plot, t.toPlainText())
        row = plots.title_row(name)
        shown, full = row.shown_text(), row.full_text()
        assert "day 1.0" in shown and row.title.split()[-1][:3].lower() in shown.lower()   # the name, the day
        if shown != full:
            # shortened: whole words of the full text (or the short name) and maybe an ellipsis; the
            # tooltip holds the whole text
            allowed = set(full.split()) | set((row.short_title or "").split()) | {"\u2026"}
            assert set(shown.split()) <= allowed, (name, shown, full)
            assert _plain(row.readout.toolTip()) == full
        else:
            assert row.readout.toolTip() == ""
    if size == (1, 1):
        # the dock is narrow: the legend gave way, the values did not
        assert plots.title_row("platelets").shown_text() != plots.title_row("platelets").full_text()
        assert "Zingariello" not in plots.title_row("tpo").shown_text()


@pytest.mark.parametrize("size", [(1, 1), (1280, 720), (1600, 1000)], ids=["min", "1280x720", "default"])
def test_axis_labels_and_schedule_note_are_inside_the_plots(qtbot, window, size):
    _resize(qtbot, window, *size)
    plots = window.plots
    view = QRectF(plots.viewport().rect())
    for p in plots.plots:
        for side in ("left", "right", "bottom"):
            axis = p.getAxis(side)
            if axis.isVisible() and axis.label.isVisible() and axis.label.toPlainText().strip():
                r = axis.label.mapRectToScene(axis.label.boundingRect())
                assert view.contains(r), (side, axis.label.toPlainText(), r, view)
    assert plots.p_mk.getAxis("right").label.toPlainText().strip() == "% at sinusoid"
    notes = [it for it in plots._strip_items if hasattr(it, "textItem")]
    assert len(notes) == 1
    doc = notes[0].textItem.document()
    text_width = doc.idealWidth() - 2 * doc.documentMargin()
    assert text_width <= plots.p_evt.vb.width()              # a note that fits (never cut mid-word)
    assert "no treatments" in notes[0].textItem.toPlainText()


def test_neutrophil_plot_is_shown_with_its_threshold_only_after_myelosuppression_or_a_transplant(qtbot, window):
    from engine.scenario import Event

    plots = window.plots
    run_to(qtbot, window, 1.5)
    assert not plots.anc_shown and plots.p_anc not in plots.plots        # WT, no events: not shown
    assert plots.p_anc not in plots.ci.items
    plots.set_events([Event(kind="transplant", start_day=1.0, dose=5.0)])
    assert plots.anc_shown and plots.plots.index(plots.p_anc) == 1       # right below the platelets
    assert plots.p_anc in plots.ci.items and plots.anc_threshold.value() == 0.5
    plots.flush(force=True)
    x, y = plots.c_anc.getData()
    np.testing.assert_array_equal(y, plots.buffer["anc"])
    assert "0.5 engraftment" in plots.title_row("anc").full_text()
    plots.set_events([Event(kind="il6", start_day=2.0, duration_days=3.0, dose=1.0)])
    assert not plots.anc_shown and plots.p_anc not in plots.ci.items
    plots.set_events([Event(kind="fu5", start_day=2.0, dose=1.0)])
    assert plots.anc_shown
