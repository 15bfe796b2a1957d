"""Live pyqtgraph plots: a schedule strip, platelets, neutrophils (ANC; shown when the schedule has a
transplant, irradiation or 5-FU), engraftment, TPO, megakaryocytes.

Curves are created once; new observable rows are appended to growing numpy
buffers and the curves get ``setData`` on views of them (clip-to-view and peak
downsampling keep long runs smooth). The treatment schedule is drawn once per
change: as labelled bars in a strip above the plots (labels placed in lanes so
that they never overlap) and as faint lines and bands in the plots.

Interaction is pyqtgraph's own: drag to pan, wheel to zoom (the x axis is shared),
right-click for the view menu and "Export..." (PNG, SVG, CSV); the "A" button in a
plot's corner brings back the automatic range. Hovering shows the values at that
day in each plot's read-out, which sits in the title row, never over the data.
Published measurements of the loaded built-in scenario (analysis/published.py,
when present) are drawn as points with error bars, their citation on hover.
"""
from __future__ import annotations

import html
import logging
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFont, QFontMetrics, QTextDocument

from . import palette as P

log = logging.getLogger("nichelab.gui")

pg.setConfigOptions(antialias=True, background="w", foreground="#303030")

HUMAN_ENGRAFTMENT_THRESHOLD = 20.0  # 10^9/L, platelet engraftment (first of 3 days >= 20)
ANC_ENGRAFTMENT_THRESHOLD = 0.5    # 10^9/L, neutrophil engraftment (first of 3 days >= 0.5)
#: events after which the neutrophil count means something to watch (the ANC plot is shown)
ANC_EVENT_KINDS = ("transplant", "irradiation", "fu5", "gcsf")
ANC_ROW = 2
#: the curves are redrawn at most this often (each redraw repaints the plots on the GUI thread)
UPDATE_INTERVAL_S = 0.25
#: height of one lane of the schedule strip (pixels)
LANE_PX = 17
MAX_LANES = 4
PUBLISHED_COLOUR = "#000000"
#: the schedule strip's note when there is no schedule, longest first (the first that fits is shown)
NO_SCHEDULE_NOTES = ("schedule: no treatments or perturbations", "no treatments or perturbations", "no treatments",
                     "")


class SeriesBuffer:
    """All observable columns, appended row by row (capacity doubles)."""

    def __init__(self, columns):
        self.columns = list(columns)
        self.index = {c: i for i, c in enumerate(self.columns)}
        self._data = np.zeros((256, len(self.columns)))
        self.n = 0

    def extend(self, rows) -> None:
        if not rows:
            return
        arr = np.asarray(rows, float).reshape(len(rows), len(self.columns))
        need = self.n + len(arr)
        if need > len(self._data):
            cap = max(need, 2 * len(self._data))
            new = np.zeros((cap, len(self.columns)))
            new[:self.n] = self._data[:self.n]
            self._data = new
        self._data[self.n:need] = arr
        self.n = need

    def __getitem__(self, name: str) -> np.ndarray:
        return self._data[:self.n, self.index[name]]

    def table(self) -> np.ndarray:
        return self._data[:self.n].copy()

    def value(self, row: int, col: int) -> float:
        return float(self._data[row, col])

    def last(self, name: str) -> float:
        return float(self._data[self.n - 1, self.index[name]]) if self.n else float("nan")

    def at_day(self, name: str, day: float) -> float:
        """The sample nearest to ``day`` (nan when empty)."""
        if not self.n:
            return float("nan")
        d = self["day"]
        i = int(np.clip(np.searchsorted(d, day), 0, self.n - 1))
        if i > 0 and abs(d[i - 1] - day) < abs(d[i] - day):
            i -= 1
        return float(self._data[i, self.index[name]])

    def nearest_day(self, day: float) -> float:
        if not self.n:
            return float("nan")
        d = self["day"]
        return float(d[int(np.argmin(np.abs(d - day)))])


def _nice_ceiling(x: float) -> float:
    """1, 1.5, 2, 2.5, 3, 4, 5, 6, 8 x 10^k at or above x."""
    if not np.isfinite(x) or x <= 0:
        return 1.0
    e = 10.0 ** np.floor(np.log10(x))
    for m in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0):
        if m * e >= x * (1 - 1e-9):
            return float(m * e)
    return float(10.0 * e)


def _pen(colour, width=2.0, style=None):
    pen = pg.mkPen(colour, width=width)
    if style is not None:
        pen.setStyle(style)
    return pen


def _swatch(colour: str, dashed: bool = False) -> str:
    """An inline legend swatch (a short line) for HTML titles."""
    glyph = "\u2504\u2504" if dashed else "\u2501\u2501"
    return f"<span style='color:{colour}'>{glyph}</span>"


def _colour_hex(c) -> str:
    if isinstance(c, str):
        return c
    return "#%02X%02X%02X" % tuple(int(v) for v in c[:3])


def assign_lanes(intervals: list[tuple[float, float]], gap: float = 0.0) -> list[int]:
    """Greedy lane for each (start, end) interval (in the given order, sorted by start) so that no two
    intervals in a lane overlap (closer than ``gap``)."""
    ends: list[float] = []
    lanes = []
    for start, end in intervals:
        for k, e in enumerate(ends):
            if start >= e + gap:
                ends[k] = end
                lanes.append(k)
                break
        else:
            ends.append(end)
            lanes.append(len(ends) - 1)
    return lanes


def _event_end(e) -> float:
    start = float(e.start_day)
    return start if e.instant else start + float(e.duration_days)


def _label_day(members) -> float:
    """Where a strip label starts: at its event's start, or after the last of a repeated dose's markers."""
    return float(members[0].start_day) if len(members) == 1 else max(_event_end(e) for e in members)


def group_repeats(events) -> list[tuple[list, str]]:
    """The schedule strip's labels: events of one kind with the same label and length (a dose given
    again, e.g. five daily injections) share one label, "label x n", placed after the last of them;
    ``events`` sorted by start. Returns (members, label) in the order of the first member."""
    groups: dict[tuple, list] = {}
    for e in events:
        groups.setdefault((e.kind, e.label, e.instant, float(e.duration_days)), []).append(e)
    out = []
    for members in groups.values():
        label = members[0].label if len(members) == 1 else f"{members[0].label} \u00d7{len(members)}"
        out.append((members, label))
    return sorted(out, key=lambda g: float(g[0][0].start_day))


class Part:
    """A piece of a title row: its HTML, a shorter form (or None) and how readily it gives way when
    the row is too narrow (lower ``rank``: shortened or left out first; ``keep``: never left out)."""

    __slots__ = ("html", "short", "rank", "keep")

    def __init__(self, html_text: str, rank: int = 0, short: str | None = None, keep: bool = False):
        self.html, self.short, self.rank, self.keep = html_text, short, rank, keep


def _plain(html_text: str) -> str:
    doc = QTextDocument()
    doc.setHtml(html_text)
    return doc.toPlainText()


class _Plot:
    """One plot's title row: a single line that names the plot, gives its live values with a swatch
    of each curve (it is the legend too) and sits above the data, never on it.

    The row uses the plot's whole width. When it is too narrow, the parts give way in order of rank:
    legend entries first (the published data's citation, the normal range), then shorter forms
    (a shorter name, a value without its words); what is still too wide ends in an ellipsis, never a
    word cut short. The row's tooltip then holds the whole text."""

    #: the row's left edge in the plot (over the left axis: the row may use the plot's whole width)
    X = 3.0
    STYLE = "<span style='color:#202020; font-size:8.5pt'>{}</span>"

    def __init__(self, item: pg.PlotItem, key: str, title: str, short_title: str | None = None):
        self.item = item
        self.key = key
        self.title = title
        self.short_title = short_title
        item.setTitle("&nbsp;", size="8.5pt")        # reserves the row; the text is the read-out below
        self.readout = pg.TextItem(anchor=(0, 0))
        self.readout.setParentItem(item)
        self.readout.setZValue(50)
        self.html = ""            # the whole row (its values and legend), without the name
        self.shown = ""           # the HTML on screen
        self.full = ""            # the whole row's HTML, name included
        self._parts: list[Part] = []
        item.geometryChanged.connect(self.fit)
        item.titleLabel.geometryChanged.connect(self.fit)

    def set_readout(self, parts: list[Part]) -> None:
        html_text = " ".join(p.html for p in parts)
        if html_text == self.html:
            return
        self.html = html_text
        self._parts = parts
        self.fit()

    def room(self) -> float:
        """Pixels the row's text may use: from its left edge to 2 px before the plot's right edge."""
        margin = float(self.readout.textItem.document().documentMargin())
        return max(0.0, float(self.item.size().width()) - self.X - margin - 2.0)

    def text_rect(self) -> QRectF:
        """The row's text (without the text item's margins) in scene coordinates."""
        t = self.readout.textItem
        m = float(t.document().documentMargin())
        return t.mapRectToScene(t.boundingRect().adjusted(m, m, -m, -m))

    def _text_width(self, html_text: str) -> float:
        t = self.readout.textItem
        t.setHtml(self.STYLE.format(html_text))
        return float(t.document().idealWidth()) - 2.0 * float(t.document().documentMargin())

    def fit(self, *_args) -> None:
        """Show as much of the row as the plot's width holds (see the class)."""
        self.readout.setPos(self.X, float(self.item.titleLabel.pos().y()) - 3.0)
        name = Part(f"<b>{self.title}</b>", rank=2, keep=True,
                    short=f"<b>{self.short_title}</b>" if self.short_title else None)
        parts = [name] + list(self._parts)
        self.full = " ".join(p.html for p in parts)
        room = self.room()
        forms = [p.html for p in parts]

        def width():
            return self._text_width(" ".join(f for f in forms if f))

        if width() > room:
            # legend entries and longer forms give way, lowest rank first
            steps = sorted((p.rank, i) for i, p in enumerate(parts) if p.short is not None or not p.keep)
            for _rank, i in steps:
                p = parts[i]
                forms[i] = p.short if p.short is not None else ""
                if width() <= room:
                    break
        if width() > room:
            # still too wide: the last parts give way to an ellipsis
            forms = [f for f in forms if f] + ["\u2026"]
            while width() > room and len(forms) > 2:
                del forms[-2]
        shown = " ".join(f for f in forms if f)
        if width() > room:                      # the name alone is too wide: elide it
            font = QFont(self.readout.textItem.font())
            font.setPointSizeF(8.5)
            font.setBold(True)
            shown = html.escape(QFontMetrics(font).elidedText(_plain(shown), Qt.ElideRight, int(room)))
        self.shown = shown
        self.readout.setHtml(self.STYLE.format(shown))
        tip = self.STYLE.format(self.full) if shown != self.full else ""
        self.readout.setToolTip(tip)
        self.readout.textItem.setToolTip(tip)

    def shown_text(self) -> str:
        """The row's text on screen (plain)."""
        return self.readout.textItem.toPlainText()

    def full_text(self) -> str:
        """The whole row's text (plain)."""
        return _plain(self.full)


class LivePlots(pg.GraphicsLayoutWidget):
    """A schedule strip and four or five linked time plots (x = simulated day): platelets, neutrophils
    (only while the schedule has a transplant, irradiation or 5-FU), engraftment, TPO, megakaryocytes."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(280, 360)
        self.ci.layout.setSpacing(2)
        # (left, right, bottom: room for the axis labels, which pyqtgraph draws a few pixels past their axes)
        self.ci.setContentsMargins(6, 2, 6, 4)
        self.buffer: SeriesBuffer | None = None
        self.units = {"platelets": "10^3/uL"}
        self._dirty = False
        self._last_flush = 0.0
        #: redraw on append (rate-limited); the main window turns this off and paces the redraws itself
        self.auto_flush = True
        self._days = 60.0
        self._events: list = []
        self._markers_key = None
        self._marker_items: list[tuple[pg.PlotItem, object]] = []
        self._strip_items: list = []
        self._auto_x = True
        self._auto_y: dict[int, bool] = {}
        self._ymax: dict[int, float] = {}
        self._y_floor: dict[int, float] = {}
        self._hover_day: float | None = None
        self._cursor_day: float | None = None
        self._published_items: list[tuple[pg.PlotItem, object]] = []
        self._published: list = []
        self._baselines: dict[str, float] = {}
        self._published_legend: dict[str, str] = {}
        self._runs_legend = ""
        # 0. schedule strip
        self.p_evt = self.addPlot(row=0, col=0)
        self.p_evt.hideAxis("bottom")
        self.p_evt.getAxis("left").setWidth(52)
        self.p_evt.getAxis("left").setStyle(showValues=False, tickLength=0)
        self.p_evt.getAxis("left").setPen(pg.mkPen(None))
        self.p_evt.showAxis("right")
        self.p_evt.getAxis("right").setWidth(34)
        self.p_evt.getAxis("right").setStyle(showValues=False, tickLength=0)
        self.p_evt.getAxis("right").setPen(pg.mkPen(None))
        self.p_evt.setMouseEnabled(x=True, y=False)
        self.p_evt.setMenuEnabled(False)
        self.p_evt.hideButtons()
        self.p_evt.setYRange(0, 1, padding=0)
        self.p_evt.setMaximumHeight(LANE_PX + 4)
        self.p_evt.vb.setBackgroundColor("#F4F4F4")
        # 1. platelets
        self.p_plt = self.addPlot(row=1, col=0)
        self.normal_band = pg.LinearRegionItem(values=(0, 1), orientation="horizontal", movable=False,
                                               brush=pg.mkBrush(P.PLOT_COLOURS["normal_range"]),
                                               pen=pg.mkPen(None))
        self.normal_band.setZValue(-20)
        self.p_plt.addItem(self.normal_band, ignoreBounds=True)
        self.threshold = pg.InfiniteLine(angle=0, pen=_pen("#555555", 1.0, Qt.DashLine), movable=False,
                                         label="20: engraftment", labelOpts={"position": 0.8,
                                                                           "color": "#555555"})
        self.threshold.setVisible(False)
        self.p_plt.addItem(self.threshold, ignoreBounds=True)
        self.c_plt = self.p_plt.plot(pen=_pen(P.PLOT_COLOURS["platelets"], 2.5), name="platelets")
        # 2. neutrophils (ANC), with the engraftment threshold; in the layout only while shown
        self.p_anc = self.addPlot(row=ANC_ROW, col=0)
        self.anc_threshold = pg.InfiniteLine(pos=ANC_ENGRAFTMENT_THRESHOLD, angle=0,
                                             pen=_pen("#555555", 1.0, Qt.DashLine), movable=False,
                                             label="0.5: engraftment", labelOpts={"position": 0.8,
                                                                                  "color": "#555555"})
        self.p_anc.addItem(self.anc_threshold, ignoreBounds=True)
        self.c_anc = self.p_anc.plot(pen=_pen(P.PLOT_COLOURS["anc"], 2.5), name="ANC")
        self.p_anc.setLabel("left", P.pretty_unit("10^9/L"))
        self._anc_shown = True
        # 3. engraftment: donor chimerism drawn above the niche occupancy, y from -4 to 108 so that a
        # curve at 100% is not hidden by the frame
        self.p_eng = self.addPlot(row=3, col=0)
        self.c_occ = self.p_eng.plot(pen=_pen(P.PLOT_COLOURS["niche_occupancy"], 2.0, Qt.DashLine),
                                     name="niches filled")
        self.c_chim = self.p_eng.plot(pen=_pen(P.PLOT_COLOURS["donor_chimerism"], 3.0), name="donor")
        self.c_chim.setZValue(5)
        self.p_eng.setLabel("left", "%")
        self.p_eng.getAxis("left").setTicks([[(v, f"{v}") for v in (0, 25, 50, 75, 100)]])
        # 4. TPO
        self.p_tpo = self.addPlot(row=4, col=0)
        self.c_tpo = self.p_tpo.plot(pen=_pen(P.PLOT_COLOURS["tpo"], 2.5), name="TPO")
        self.p_tpo.setLabel("left", "pg/mL")
        # 5. megakaryocytes (count left, % at sinusoid right)
        self.p_mk = self.addPlot(row=5, col=0)
        self.c_mk = self.p_mk.plot(pen=_pen(P.PLOT_COLOURS["mk"], 2.5), name="MKs")
        self.p_mk.setLabel("left", "cells")
        self.vb_frac = pg.ViewBox()
        self.p_mk.showAxis("right")
        self.p_mk.scene().addItem(self.vb_frac)
        self.p_mk.getAxis("right").linkToView(self.vb_frac)
        self.p_mk.getAxis("right").setLabel("% at sinusoid")
        self.vb_frac.setXLink(self.p_mk)
        self.vb_frac.setYRange(-4, 104, padding=0)
        self.vb_frac.setMouseEnabled(x=False, y=False)
        self.c_frac = pg.PlotDataItem(pen=_pen(P.PLOT_COLOURS["mk_vessel_fraction"], 2.0, Qt.DashLine))
        self.vb_frac.addItem(self.c_frac)
        self.p_mk.vb.sigResized.connect(self._sync_right_axis)
        self._all_plots = [self.p_plt, self.p_anc, self.p_eng, self.p_tpo, self.p_mk]
        for p in self.plots:
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setMenuEnabled(True)                    # the view menu and "Export..."
            p.getAxis("left").setWidth(52)
            # every plot has a right axis of the same width (only the MK plot labels it), so that the
            # x-linked views are equally wide and show the same days
            p.showAxis("right")
            p.getAxis("right").setWidth(34)
            if p is not self.p_mk:
                p.getAxis("right").setStyle(showValues=False)
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")
            p.vb.setMouseEnabled(x=True, y=True)
            p.enableAutoRange(axis="x", enable=False)
            p.enableAutoRange(axis="y", enable=False)
            p.setXLink(self.p_plt)
            p.vb.sigRangeChangedManually.connect(lambda mask, p=p: self._on_manual_range(p, mask))
            p.autoBtn.clicked.disconnect()
            p.autoBtn.clicked.connect(lambda _c=False, p=p: self.reset_view(p))
            p.autoBtn.setToolTip("Back to the automatic range")
        self.p_evt.setXLink(self.p_plt)
        self.p_evt.vb.sigRangeChangedManually.connect(lambda mask: self._on_manual_range(self.p_evt, mask))
        self.p_plt.vb.sigXRangeChanged.connect(lambda *_: self._layout_strip())
        self.p_evt.vb.sigResized.connect(self._layout_strip)
        self.p_mk.setLabel("bottom", "day")
        for p in self.plots[:-1]:
            p.getAxis("bottom").setStyle(showValues=False)
        self.p_eng.setYRange(-4, 108, padding=0)
        self.curves = [self.c_plt, self.c_anc, self.c_chim, self.c_occ, self.c_tpo, self.c_mk, self.c_frac]
        self._info = {
            "platelets": _Plot(self.p_plt, "platelets", "Platelets"),
            "anc": _Plot(self.p_anc, "anc", "Neutrophils (ANC)", "ANC"),
            "engraftment": _Plot(self.p_eng, "engraftment", "HSC engraftment", "Engraftment"),
            "tpo": _Plot(self.p_tpo, "tpo", "Plasma TPO"),
            "mk": _Plot(self.p_mk, "mk", "Megakaryocytes", "MKs"),
        }
        self._set_titles()
        # hover: a line at the day under the mouse in every plot; the read-outs show that day
        self._hover_lines = []
        for p in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=_pen("#444444", 1.0, Qt.DotLine))
            line.setVisible(False)
            line.setZValue(40)
            p.addItem(line, ignoreBounds=True)
            self._hover_lines.append(line)
        self._cursor_lines = []
        for p in self.plots:
            line = pg.InfiniteLine(angle=90, movable=False, pen=_pen(P.ORANGE, 2.0))
            line.setVisible(False)
            line.setZValue(39)
            p.addItem(line, ignoreBounds=True)
            self._cursor_lines.append(line)
        self._mouse_proxy = pg.SignalProxy(self.scene().sigMouseMoved, rateLimit=30, slot=self._on_mouse_moved)
        self.show_anc(False)
        self._readouts()

    # ------------------------------------------------------------------ the neutrophil plot
    @property
    def plots(self) -> list:
        """The time plots in the layout now, top to bottom (the ANC plot only while shown)."""
        return [p for p in self._all_plots if p is not self.p_anc or self._anc_shown]

    @property
    def anc_shown(self) -> bool:
        return self._anc_shown

    def show_anc(self, show: bool) -> None:
        """Put the ANC plot into the layout (below the platelets) or take it out (the others close up)."""
        show = bool(show)
        if show == self._anc_shown:
            return
        self._anc_shown = show
        if show:
            self.addItem(self.p_anc, row=ANC_ROW, col=0)
        else:
            self.ci.removeItem(self.p_anc)

    def _anc_wanted(self, events) -> bool:
        return any(getattr(e, "kind", "") in ANC_EVENT_KINDS for e in events or ())

    def _sync_right_axis(self) -> None:
        self.vb_frac.setGeometry(self.p_mk.vb.sceneBoundingRect())
        self.vb_frac.linkedViewChanged(self.p_mk.vb, self.vb_frac.XAxis)

    # ------------------------------------------------------------------ titles and read-outs
    def _set_titles(self) -> None:
        """(the titles are part of the read-outs)"""
        self._readouts()

    def _readouts(self) -> None:
        """Each plot's title row: name, a swatch and the value of each curve -- at the hovered day, the
        replay cursor's day, or the newest sample -- and the legend of what else is drawn."""
        b = self.buffer
        units = self.units
        day = self._hover_day if self._hover_day is not None else self._cursor_day
        c = {k: _colour_hex(v) for k, v in P.PLOT_COLOURS.items() if not isinstance(v, tuple) or len(v) == 3}
        pub = self._published_legend

        def val(name, fmt):
            if b is None or not b.n or name not in b.index:
                return "\u2013"
            v = b.at_day(name, day) if day is not None else b.last(name)
            return fmt.format(v) if np.isfinite(v) else "\u2013"
        prefix = ""
        if day is not None and b is not None and b.n:
            prefix = f"<i>day {b.nearest_day(day):.1f}</i> "
        band = "<span style='color:#009E73'>\u25a0</span>\u00a0normal"
        day_part = [Part(prefix.strip(), rank=9)] if prefix else []

        def legend(key):
            return [Part(pub[key].strip(), rank=0)] if key in pub else []
        self._info["platelets"].set_readout(
            day_part + [Part(f"{_swatch(c['platelets'])} <b>{val('platelets', '{:,.0f}')}</b> "
                             f"{P.pretty_unit(units['platelets'])}", keep=True),
                        Part(f"({val('platelets_rel', '{:.0%}')})", rank=4), Part(band, rank=1)]
            + legend("platelets") + ([Part(self._runs_legend.strip(), rank=3)] if self._runs_legend else []))
        self._info["anc"].set_readout(
            day_part + [Part(f"{_swatch(c['anc'])} <b>{val('anc', '{:.2f}')}</b> {P.pretty_unit('10^9/L')}",
                             keep=True),
                        Part(f"{_swatch('#555555', True)} 0.5 engraftment", rank=1)]
            + legend("anc"))
        self._info["engraftment"].set_readout(
            day_part + [Part(f"{_swatch(c['donor_chimerism'])} donor <b>{val('donor_chimerism', '{:.0%}')}</b>",
                             keep=True),
                        Part(f"{_swatch(c['niche_occupancy'], True)} niches {val('niche_occupancy', '{:.0%}')}",
                             rank=5, keep=True,
                             short=f"{_swatch(c['niche_occupancy'], True)} {val('niche_occupancy', '{:.0%}')}")]
            + legend("engraftment"))
        self._info["tpo"].set_readout(
            day_part + [Part(f"{_swatch(c['tpo'])} <b>{val('tpo_pg_ml', '{:,.0f}')}</b> pg/mL", keep=True)]
            + legend("tpo"))
        frac = val('mk_vessel_fraction', '{:.0%}')
        self._info["mk"].set_readout(
            day_part + [Part(f"{_swatch(c['mk'])} <b>{val('mk', '{:,.0f}')}</b>", keep=True),
                        Part(f"{_swatch(c['mk_vessel_fraction'], True)} {frac} at sinusoid", rank=1, keep=True,
                             short=f"{_swatch(c['mk_vessel_fraction'], True)} {frac}")]
            + legend("mk"))

    def readout_text(self, name: str) -> str:
        """The read-out HTML of a plot ('platelets', 'anc', 'engraftment', 'tpo', 'mk')."""
        return self._info[name].html

    def readout_item(self, name: str) -> pg.TextItem:
        return self._info[name].readout

    def title_row(self, name: str) -> _Plot:
        """A plot's title row (its shown_text, full_text and read-out item)."""
        return self._info[name]

    # ------------------------------------------------------------------ a new run
    def reset(self, world) -> None:
        """Empty the curves and set units, the normal range and the x span for a new run."""
        self.buffer = SeriesBuffer(world.columns)
        self.units = world.units
        self._days = float(world.scenario.days)
        unit = P.pretty_unit(world.units["platelets"])
        self.p_plt.setLabel("left", unit)
        lo, hi = world.normal_range
        self.normal_band.setRegion((lo, hi))
        self.threshold.setVisible(world.species == "human")
        self.threshold.setValue(HUMAN_ENGRAFTMENT_THRESHOLD)
        self._baselines = dict(getattr(world, "baselines", {}) or {})
        self._dirty = False
        for c in self.curves:
            c.setData([], [])
        self._markers_key = None
        self._clear_markers()
        self._auto_x = True
        self._auto_y = {id(p): True for p in self._all_plots}
        self._ymax = {}
        self._y_floor = {id(self.p_plt): hi * 1.12, id(self.p_anc): 1.0, id(self.p_tpo): 10.0, id(self.p_mk): 10.0}
        self.show_anc(self._anc_wanted(world.scenario.events))
        self.set_x_span(self._days)
        for p in (self.p_plt, self.p_anc, self.p_tpo, self.p_mk):
            self._set_ymax(p, self._y_floor[id(p)])
        self.p_eng.setYRange(-4, 108, padding=0)
        self._hover_day = None
        self.set_cursor(None)
        self._draw_published()
        self._readouts()

    def set_x_span(self, days: float) -> None:
        self._days = max(float(days), 1.0)
        if self._auto_x:
            self.p_plt.setXRange(0.0, self._days, padding=0.01)

    @property
    def x_span(self) -> float:
        return self._days

    # ------------------------------------------------------------------ interaction
    def _on_manual_range(self, plot, mask) -> None:
        """The user zoomed or panned: stop following the data on that axis until "A" is pressed."""
        mx, my = (mask if mask is not None else (True, True))[:2]
        if mx:
            self._auto_x = False
        if my and plot in self.plots:
            self._auto_y[id(plot)] = False

    def reset_view(self, plot=None) -> None:
        """Back to the automatic ranges (all plots' x; ``plot``'s y, or every plot's)."""
        self._auto_x = True
        for p in ([plot] if plot is not None else self.plots):
            self._auto_y[id(p)] = True
            self._ymax.pop(id(p), None)
        self.set_x_span(max(self._days, self._last_day() * 1.1 if self.buffer is not None and self.buffer.n else 0))
        self._autoscale_y(force=True)
        if plot is not None:
            plot.autoBtn.hide()

    def _last_day(self) -> float:
        return float(self.buffer["day"][-1]) if self.buffer is not None and self.buffer.n else 0.0

    def _on_mouse_moved(self, evt) -> None:
        pos = evt[0]
        day = None
        for p in self.plots + [self.p_evt]:
            if p.vb.sceneBoundingRect().contains(pos):
                day = float(p.vb.mapSceneToView(pos).x())
                break
        self.set_hover(day)

    def set_hover(self, day: float | None) -> None:
        """Show the values at ``day`` (None: the newest) and a line there in every plot."""
        if day is not None and (self.buffer is None or not self.buffer.n):
            day = None
        self._hover_day = day
        for line in self._hover_lines:
            line.setVisible(day is not None)
            if day is not None:
                line.setValue(day)
        self._readouts()

    def leaveEvent(self, ev):
        self.set_hover(None)
        super().leaveEvent(ev)

    def set_cursor(self, day: float | None) -> None:
        """Mark the replayed day in every plot (None: no mark); the read-outs show that day."""
        self._cursor_day = day
        for line in self._cursor_lines:
            line.setVisible(day is not None)
            if day is not None:
                line.setValue(day)
        self._readouts()

    # ------------------------------------------------------------------ data
    def append(self, rows) -> None:
        """Append observable rows; with ``auto_flush`` the curves are redrawn at most every
        UPDATE_INTERVAL_S (see flush), else only when the owner calls flush (the main window's frame pacer)."""
        if self.buffer is None or not rows:
            return
        self.buffer.extend(rows)
        self._dirty = True
        if self.auto_flush:
            self.flush()

    @property
    def dirty(self) -> bool:
        """Rows arrived that the curves do not show yet."""
        return self._dirty

    def flush(self, force: bool = False) -> bool:
        """Push new data to the curves (one setData each) if due; True if they were updated."""
        now = time.perf_counter()
        if not self._dirty or self.buffer is None or self.buffer.n == 0:
            return False
        if not force and now - self._last_flush < UPDATE_INTERVAL_S:
            return False
        self._dirty = False
        self._last_flush = now
        b = self.buffer
        day = b["day"]
        self.c_plt.setData(day, b["platelets"])
        if "anc" in b.index:
            self.c_anc.setData(day, b["anc"])
        self.c_chim.setData(day, 100.0 * b["donor_chimerism"])
        self.c_occ.setData(day, 100.0 * b["niche_occupancy"])
        self.c_tpo.setData(day, b["tpo_pg_ml"])
        self.c_mk.setData(day, b["mk"])
        self.c_frac.setData(day, 100.0 * b["mk_vessel_fraction"])
        if day[-1] > self._days:
            self.set_x_span(day[-1] * 1.1)
        self._autoscale_y()
        self._readouts()
        return True

    def _autoscale_y(self, force: bool = False) -> None:
        b = self.buffer
        if b is None or not b.n:
            for p in (self.p_plt, self.p_anc, self.p_tpo, self.p_mk):
                if self._auto_y.get(id(p), True) and id(p) in self._y_floor:
                    self._set_ymax(p, self._y_floor[id(p)], force)
            return
        for p, col in ((self.p_plt, "platelets"), (self.p_anc, "anc"), (self.p_tpo, "tpo_pg_ml"), (self.p_mk, "mk")):
            if col not in b.index:
                continue
            if self._auto_y.get(id(p), True):
                top = max(self._y_floor[id(p)], 1.12 * float(np.nanmax(b[col])), self._published_top(p))
                self._set_ymax(p, top, force)
        if self._auto_y.get(id(self.p_eng), True) and force:
            self.p_eng.setYRange(-4, 108, padding=0)

    def _set_ymax(self, plot, ymax: float, force: bool = False) -> None:
        """Zero-based y axis that grows (or shrinks by more than 30%) with the data."""
        ymax = _nice_ceiling(ymax)
        cur = self._ymax.get(id(plot))
        if force or cur is None or ymax > cur or ymax < 0.7 * cur:
            self._ymax[id(plot)] = ymax
            plot.setYRange(0.0, ymax, padding=0.0)

    # ------------------------------------------------------------------ schedule
    @staticmethod
    def _events_key(events) -> tuple:
        return tuple((e.kind, e.start_day, e.duration_days, e.dose, getattr(e, "msc_coinfusion", 0.0))
                     for e in events)

    def markers_differ(self, events) -> bool:
        """The markers drawn are not those of ``events``."""
        return self._events_key(events) != self._markers_key

    def set_events(self, events) -> None:
        """Draw the schedule (only when it changed): bars in the strip, lines and bands in the plots."""
        key = self._events_key(events)
        if key == self._markers_key:
            return
        self._markers_key = key
        self._clear_markers()
        self._events = sorted(events, key=lambda e: (e.start_day, e.kind))
        self.show_anc(self._anc_wanted(self._events))
        for e in self._events:
            start, end = float(e.start_day), _event_end(e)
            for p in self.plots:
                if end > start:
                    region = pg.LinearRegionItem(values=(start, end), movable=False,
                                                 brush=pg.mkBrush(P.PLOT_COLOURS["event_region"]),
                                                 pen=pg.mkPen(None))
                    region.setZValue(-15)
                    self._add_marker(p, region)
                line = pg.InfiniteLine(pos=start, angle=90, movable=False,
                                       pen=_pen(P.PLOT_COLOURS["event_instant"], 1.2, Qt.DashLine))
                line.setToolTip(e.summary())
                self._add_marker(p, line)
        self._layout_strip()

    def _layout_strip(self) -> None:
        """Place the schedule's labels in lanes so that none overlaps another (depends on the zoom)."""
        for item in self._strip_items:
            self.p_evt.removeItem(item)
        self._strip_items = []
        events = self._events
        vb = self.p_evt.vb
        (x0, x1), _ = vb.viewRange()
        width_px = max(1.0, vb.width())
        per_px = (x1 - x0) / width_px
        fm_w = 6.2                                 # ~ pixels per character at the strip's font
        groups = group_repeats(events)
        spans = []
        for members, label in groups:
            start, end = float(members[0].start_day), max(_event_end(e) for e in members)
            label_end = _label_day(members) + (len(label) * fm_w + 14) * per_px
            spans.append((start, max(end, label_end)))
        lanes = assign_lanes(spans, gap=4 * per_px) if groups else []
        n_lanes = min(MAX_LANES, max(lanes) + 1) if lanes else 1
        self.p_evt.setMaximumHeight(n_lanes * LANE_PX + 4)
        self.p_evt.setMinimumHeight(n_lanes * LANE_PX + 4)
        self.p_evt.setYRange(0, n_lanes, padding=0)
        if not events:
            # the longest form of the note that fits the strip (never a word cut short)
            for text in NO_SCHEDULE_NOTES:
                note = pg.TextItem(html=f"<span style='font-size:7.5pt; color:#777'>{text}</span>", anchor=(0, 0.5))
                doc = note.textItem.document()
                if doc.idealWidth() - 2 * doc.documentMargin() <= width_px - 8:
                    break
            note.setToolTip(NO_SCHEDULE_NOTES[0])
            note.setPos(x0 + 4 * per_px, 0.5)
            self.p_evt.addItem(note, ignoreBounds=True)
            self._strip_items.append(note)
        for (members, label), lane in zip(groups, lanes):
            lane = min(lane, n_lanes - 1)
            y = n_lanes - lane - 1
            tip = "\n".join(e.summary() for e in members)
            for e in members:
                start, end = float(e.start_day), _event_end(e)
                if end > start:
                    bar = pg.QtWidgets.QGraphicsRectItem(QRectF(start, y + 0.2, end - start, 0.6))
                    bar.setBrush(pg.mkBrush(230, 159, 0, 110))
                    bar.setPen(pg.mkPen(None))
                else:
                    bar = pg.ScatterPlotItem([start], [y + 0.5], symbol="d", size=9, brush=pg.mkBrush("#555555"),
                                             pen=pg.mkPen(None))
                bar.setToolTip(tip)
                self.p_evt.addItem(bar, ignoreBounds=True)
                self._strip_items.append(bar)
            text = pg.TextItem(html=f"<span style='font-size:7.5pt; color:#222'>{html.escape(label)}</span>",
                               anchor=(0, 0.5))
            text.setPos(_label_day(members) + 5 * per_px, y + 0.5)
            text.setToolTip(tip)
            self.p_evt.addItem(text, ignoreBounds=True)
            self._strip_items.append(text)

    def strip_labels(self) -> list[tuple[str, float, int]]:
        """(label, start day, lane from the top) of each schedule label (for tests)."""
        out = []
        for it in self._strip_items:
            if isinstance(it, pg.TextItem) and self._events:
                out.append((it.textItem.toPlainText(), float(it.pos().x()), int(it.pos().y())))
        return out

    def _add_marker(self, plot, item) -> None:
        plot.addItem(item, ignoreBounds=True)
        self._marker_items.append((plot, item))

    def _clear_markers(self) -> None:
        for plot, item in self._marker_items:
            plot.removeItem(item)
        self._marker_items = []
        self._events = []
        self._layout_strip()

    @property
    def marker_count(self) -> int:
        return len(self._marker_items)

    def set_runs_legend(self, entries: list[tuple[str, str]]) -> None:
        """Kept runs drawn on the platelet plot: (colour, short name) each, named in the title row."""
        if entries:
            self._runs_legend = " runs" + "".join(f"\u00a0{_swatch(colour)}{html.escape(text.split()[-1])}"
                                                  for colour, text in entries)
        else:
            self._runs_legend = ""
        self._readouts()

    # ------------------------------------------------------------------ published data
    def set_published(self, series: list) -> None:
        """Published measurements to draw with error bars (analysis.published.PublishedSeries)."""
        self._published = list(series)
        self._draw_published()

    def _target(self, column: str):
        """(plot, view box, scale, base column) for a published column; None if no plot shows it."""
        b = self.buffer
        direct = {"platelets": (self.p_plt, 1.0), "anc": (self.p_anc, 1.0), "tpo_pg_ml": (self.p_tpo, 1.0),
                  "mk": (self.p_mk, 1.0),
                  "donor_chimerism": (self.p_eng, 100.0), "niche_occupancy": (self.p_eng, 100.0),
                  "mk_vessel_fraction": (self.vb_frac, 100.0)}
        if column in direct:
            plot, k = direct[column]
            return plot, k
        if column.endswith("_rel"):
            base = column[:-4]
            if base == "tpo":
                base = "tpo_pg_ml"
            if base in direct and base not in ("donor_chimerism", "niche_occupancy", "mk_vessel_fraction"):
                known = {"platelets": "platelet_baseline", "tpo_pg_ml": "tpo_baseline_pg_ml"}
                ref = self._baselines.get(known.get(base, ""), None)
                if ref is None and b is not None and b.n:
                    ref = float(b[base][0])           # relative to the run's day 0
                if ref:
                    plot, k = direct[base]
                    return plot, k * float(ref)
        return None

    def _draw_published(self) -> None:
        for plot, item in self._published_items:
            plot.removeItem(item)
        self._published_items = []
        legend: dict[str, list[str]] = {}
        names = {id(self.p_plt): "platelets", id(self.p_anc): "anc", id(self.p_eng): "engraftment",
                 id(self.p_tpo): "tpo",
                 id(self.p_mk): "mk", id(self.vb_frac): "mk"}
        for s in self._published:
            target = self._target(s.column)
            if target is None:
                log.info("published series %s/%s: no plot shows %s", s.table_id, s.column, s.column)
                continue
            plot, k = target
            days = np.asarray(s.days, float)
            mean = np.asarray(s.mean, float) * k
            lo = np.asarray(s.lower, float) * k
            hi = np.asarray(s.upper, float) * k
            err = pg.ErrorBarItem(x=days, y=mean, top=np.maximum(hi - mean, 0), bottom=np.maximum(mean - lo, 0),
                                  beam=0.0, pen=_pen(PUBLISHED_COLOUR, 1.3))
            tip = f"{s.label}\n{s.citation}"

            def tip_fn(x, y, data, tip=tip):
                return f"{tip}\nday {x:g}: {y:,.4g}"
            pts = pg.ScatterPlotItem(x=days, y=mean, symbol="s", size=7, brush=pg.mkBrush("#FFFFFF"),
                                     pen=_pen(PUBLISHED_COLOUR, 1.5), hoverable=True, tip=tip_fn,
                                     hoverSize=10)
            for it in (err, pts):
                it.setZValue(30)
                plot.addItem(it)
                self._published_items.append((plot, it))
            short = s.citation.split(".")[0] if s.citation else s.label
            legend.setdefault(names[id(plot)], []).append(html.escape(short))
        self._published_legend = {k: " <span style='color:#000'>\u25a1</span>\u00a0" + "; ".join(v)
                                  for k, v in legend.items()}
        self._set_titles()
        self._autoscale_y(force=True)

    def _published_top(self, plot) -> float:
        top = 0.0
        for p, item in self._published_items:
            if p is plot and isinstance(item, pg.ErrorBarItem):
                y = item.opts.get("y")
                t = item.opts.get("top")
                if y is not None and len(y):
                    top = max(top, float(np.nanmax(np.asarray(y) + (np.asarray(t) if t is not None else 0))))
        return top * 1.05

    @property
    def published_count(self) -> int:
        return sum(1 for _p, it in self._published_items if isinstance(it, pg.ScatterPlotItem))
