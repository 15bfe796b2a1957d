"""Live pyqtgraph plots: platelets, engraftment, TPO, megakaryocytes.

Curves are created once; new observable rows are appended to growing numpy
buffers and the curves get ``setData`` on views of them (clip-to-view and
peak downsampling keep long runs smooth). Event markers are rebuilt only when
the schedule changes.
"""
from __future__ import annotations

import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from . import palette as P

pg.setConfigOptions(antialias=True, background="w", foreground="#303030")

HUMAN_ENGRAFTMENT_THRESHOLD = 20.0  # 10^9/L, platelet engraftment (first of 3 days >= 20)
#: the curves are redrawn at most this often (each redraw repaints four plots on the GUI thread)
UPDATE_INTERVAL_S = 0.25


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

    def last(self, name: str) -> float:
        return float(self._data[self.n - 1, self.index[name]]) if self.n else float("nan")


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


class LivePlots(pg.GraphicsLayoutWidget):
    """Four linked time plots (x = simulated day)."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(360, 400)
        self.ci.layout.setSpacing(4)
        self.buffer: SeriesBuffer | None = None
        self._dirty = False
        self._last_flush = 0.0
        #: redraw on append (rate-limited); the main window turns this off and paces the redraws itself
        self.auto_flush = True
        self._days = 60.0
        self._markers_key = None
        self._marker_items: list[tuple[pg.PlotItem, object]] = []
        # 1. platelets
        self.p_plt = self.addPlot(row=0, col=0)
        self.normal_band = pg.LinearRegionItem(values=(0, 1), orientation="horizontal", movable=False,
                                               brush=pg.mkBrush(P.PLOT_COLOURS["normal_range"]),
                                               pen=pg.mkPen(None))
        self.normal_band.setZValue(-20)
        self.p_plt.addItem(self.normal_band)
        self.threshold = pg.InfiniteLine(angle=0, pen=_pen("#555555", 1.0, Qt.DashLine), movable=False,
                                         label="20: engraftment", labelOpts={"position": 0.8,
                                                                           "color": "#555555"})
        self.threshold.setVisible(False)
        self.p_plt.addItem(self.threshold)
        self.c_plt = self.p_plt.plot(pen=_pen(P.PLOT_COLOURS["platelets"], 2.5), name="platelets")
        # 2. engraftment
        self.p_eng = self.addPlot(row=1, col=0)
        self.p_eng.addLegend(offset=(-4, 4), labelTextSize="8pt", verSpacing=-6)
        self.c_chim = self.p_eng.plot(pen=_pen(P.PLOT_COLOURS["donor_chimerism"], 2.5), name="donor")
        self.c_occ = self.p_eng.plot(pen=_pen(P.PLOT_COLOURS["niche_occupancy"], 2.0, Qt.DashLine),
                                     name="niches filled")
        self.p_eng.setYRange(0, 100, padding=0.02)
        self.p_eng.setLabel("left", "%")
        # 3. TPO
        self.p_tpo = self.addPlot(row=2, col=0)
        self.c_tpo = self.p_tpo.plot(pen=_pen(P.PLOT_COLOURS["tpo"], 2.5), name="TPO")
        self.p_tpo.setLabel("left", "pg/mL")
        # 4. megakaryocytes (count left, % at sinusoid right)
        self.p_mk = self.addPlot(row=3, col=0)
        self.p_mk.addLegend(offset=(-4, 4), labelTextSize="8pt", verSpacing=-6)
        self.c_mk = self.p_mk.plot(pen=_pen(P.PLOT_COLOURS["mk"], 2.5), name="MKs")
        self.p_mk.setLabel("left", "cells")
        self.vb_frac = pg.ViewBox()
        self.p_mk.showAxis("right")
        self.p_mk.scene().addItem(self.vb_frac)
        self.p_mk.getAxis("right").linkToView(self.vb_frac)
        self.p_mk.getAxis("right").setLabel("% at sinusoid")
        self.vb_frac.setXLink(self.p_mk)
        self.vb_frac.setYRange(0, 100, padding=0.02)
        self.vb_frac.setMouseEnabled(x=False, y=False)
        self.c_frac = pg.PlotDataItem(pen=_pen(P.PLOT_COLOURS["mk_vessel_fraction"], 2.0, Qt.DashLine))
        self.vb_frac.addItem(self.c_frac)
        self.p_mk.legend.addItem(self.c_frac, "% at sinusoid")
        self.p_mk.vb.sigResized.connect(self._sync_right_axis)
        self.plots = [self.p_plt, self.p_eng, self.p_tpo, self.p_mk]
        for p in self.plots:
            p.showGrid(x=True, y=True, alpha=0.15)
            p.setMenuEnabled(False)
            p.getAxis("left").setWidth(52)
            p.getAxis("right").setWidth(40) if p is self.p_mk else None
            p.setClipToView(True)
            p.setDownsampling(auto=True, mode="peak")
            p.vb.setMouseEnabled(x=False, y=False)
            p.enableAutoRange(axis="x", enable=False)
            p.enableAutoRange(axis="y", enable=False)
            if p is not self.p_plt:
                p.setXLink(self.p_plt)
        self.p_mk.setLabel("bottom", "day")
        for p in self.plots[:-1]:
            p.getAxis("bottom").setStyle(showValues=False)
        self.curves = [self.c_plt, self.c_chim, self.c_occ, self.c_tpo, self.c_mk, self.c_frac]
        # titles are set once (see _set_titles); live numbers go to read-outs
        for plot, title in ((self.p_plt, "Blood platelets <span style='color:#009E73'>\u25a0</span> "
                                          "<span style='font-weight:normal'>normal range</span>"),
                            (self.p_eng, "HSC engraftment"), (self.p_tpo, "Plasma TPO"),
                            (self.p_mk, "Megakaryocytes")):
            plot.setTitle(f"<b>{title}</b>", size="9pt")
        self._titles: dict[int, str] = {}
        self._readouts: dict[int, pg.TextItem] = {}
        self._set_titles()

    def _sync_right_axis(self) -> None:
        self.vb_frac.setGeometry(self.p_mk.vb.sceneBoundingRect())
        self.vb_frac.linkedViewChanged(self.p_mk.vb, self.vb_frac.XAxis)

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
        self._dirty = False
        for c in self.curves:
            c.setData([], [])
        self._markers_key = None
        self._clear_markers()
        self.set_x_span(self._days)
        self._ymax = {}
        self._y_floor = {id(self.p_plt): hi * 1.12, id(self.p_tpo): 10.0, id(self.p_mk): 10.0}
        for p in (self.p_plt, self.p_tpo, self.p_mk):
            self._set_ymax(p, self._y_floor[id(p)])
        self._set_titles()

    def set_x_span(self, days: float) -> None:
        self._days = max(float(days), 1.0)
        self.p_plt.setXRange(0.0, self._days, padding=0.01)

    def _set_titles(self) -> None:
        """Live read-outs in the top-left corner of each plot (TextItems in view coordinates).

        Plot titles stay fixed: pyqtgraph's LabelItem.setText (PlotItem.setTitle), called many times,
        corrupts Python's reference counts under PySide6 6.12 (interpreter abort at exit).
        """
        b = self.buffer
        units = getattr(self, "units", {"platelets": "10^3/uL"})

        def val(name, fmt):
            return fmt.format(b.last(name)) if b is not None and b.n else "\u2013"
        self._readout(self.p_plt, f"<b>{val('platelets', '{:,.0f}')}</b> {P.pretty_unit(units['platelets'])} "
                                  f"({val('platelets_rel', '{:.0%}')} of baseline)")
        self._readout(self.p_eng, f"donor <b>{val('donor_chimerism', '{:.0%}')}</b>, "
                                  f"niches filled {val('niche_occupancy', '{:.0%}')}")
        self._readout(self.p_tpo, f"<b>{val('tpo_pg_ml', '{:,.0f}')}</b> pg/mL")
        self._readout(self.p_mk, f"<b>{val('mk', '{:,.0f}')}</b> MKs, "
                                 f"{val('mk_vessel_fraction', '{:.0%}')} at a sinusoid")

    def _readout(self, plot, html: str) -> None:
        key = id(plot)
        if self._titles.get(key) == html:
            return
        self._titles[key] = html
        item = self._readouts.get(key)
        if item is None:
            item = pg.TextItem(anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 210))
            item.setParentItem(plot.vb)          # view (pixel) coordinates: stays in the corner
            item.setPos(2, 0)
            item.setZValue(50)
            self._readouts[key] = item
        item.setHtml(f"<span style='color:#202020; font-size:9pt'>{html}</span>")

    def readout_text(self, name: str) -> str:
        """The read-out HTML of a plot ('platelets', 'engraftment', 'tpo', 'mk')."""
        plot = {"platelets": self.p_plt, "engraftment": self.p_eng, "tpo": self.p_tpo, "mk": self.p_mk}[name]
        return self._titles.get(id(plot), "")

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
        self.c_chim.setData(day, 100.0 * b["donor_chimerism"])
        self.c_occ.setData(day, 100.0 * b["niche_occupancy"])
        self.c_tpo.setData(day, b["tpo_pg_ml"])
        self.c_mk.setData(day, b["mk"])
        self.c_frac.setData(day, 100.0 * b["mk_vessel_fraction"])
        if day[-1] > self._days:
            self.set_x_span(day[-1] * 1.1)
        for p, col in ((self.p_plt, "platelets"), (self.p_tpo, "tpo_pg_ml"), (self.p_mk, "mk")):
            self._set_ymax(p, max(self._y_floor[id(p)], 1.12 * float(np.nanmax(b[col]))))
        self._set_titles()
        return True

    def _set_ymax(self, plot, ymax: float) -> None:
        """Zero-based y axis that grows (or shrinks by more than 30%) with the data."""
        ymax = _nice_ceiling(ymax)
        cur = self._ymax.get(id(plot))
        if cur is None or ymax > cur or ymax < 0.7 * cur:
            self._ymax[id(plot)] = ymax
            plot.setYRange(0.0, ymax, padding=0.0)

    # ------------------------------------------------------------------ events
    @staticmethod
    def _events_key(events) -> tuple:
        return tuple((e.kind, e.start_day, e.duration_days, e.dose) for e in events)

    def markers_differ(self, events) -> bool:
        """The markers drawn are not those of ``events``."""
        return self._events_key(events) != self._markers_key

    def set_events(self, events) -> None:
        """Draw treatment/perturbation markers (only when the schedule changed)."""
        key = self._events_key(events)
        if key == self._markers_key:
            return
        self._markers_key = key
        self._clear_markers()
        near = 0.12 * self._days          # labels closer than this stack vertically
        prev_start, level = None, -1
        for e in sorted(events, key=lambda e: e.start_day):
            start = float(e.start_day)
            end = start if e.instant else start + float(e.duration_days)
            level = level + 1 if prev_start is not None and start - prev_start < near else 0
            prev_start = start
            for p in self.plots:
                if end > start:
                    region = pg.LinearRegionItem(values=(start, end), movable=False,
                                                 brush=pg.mkBrush(P.PLOT_COLOURS["event_region"]),
                                                 pen=pg.mkPen(None))
                    region.setZValue(-15)
                    self._add_marker(p, region)
                opts = {}
                if p is self.p_plt:
                    opts = dict(label=e.label, labelOpts={"position": 0.08 + 0.13 * (level % 5),
                                                          "color": "#333333", "anchors": [(0, 0.5), (0, 0.5)],
                                                          "fill": (255, 255, 255, 170)})
                line = pg.InfiniteLine(pos=start, angle=90, movable=False,
                                       pen=_pen(P.PLOT_COLOURS["event_instant"], 1.2, Qt.DashLine), **opts)
                line.setToolTip(e.summary())
                self._add_marker(p, line)

    def _add_marker(self, plot, item) -> None:
        plot.addItem(item, ignoreBounds=True)
        self._marker_items.append((plot, item))

    def _clear_markers(self) -> None:
        for plot, item in self._marker_items:
            plot.removeItem(item)
        self._marker_items = []

    @property
    def marker_count(self) -> int:
        return len(self._marker_items)
