"""Static plots for reports (SVG, PNG) on matplotlib, with NicheLab's palette. No Qt, no pyplot.

    fig = line_figure([Line("WT", t, y), Line("Thpo-/-", t, y2, lo, hi, band_label="range of seeds")],
                      title="Platelets", xlabel="day", ylabel="platelets [10^3/uL]",
                      errorbars=[ErrorPoints("Bunting 1997", days, mean, lower, upper)],
                      hlines=[HLine(1000, "baseline")])
    svg = svg_text(fig)          # deterministic text (no date, fixed ids), text kept as text
    save(fig, "plot.png")        # by suffix: .svg or .png, written atomically

Figures are built with :class:`matplotlib.figure.Figure` and rendered by the Agg/SVG backends
directly, so nothing touches a GUI toolkit or pyplot's global state. Artists carry ``gid``s
("line-<i>", "band-<i>", "data-<i>") that end up as element ids in the SVG.
"""
from __future__ import annotations

import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from . import palette

#: figure size in inches at 100 dpi: 7.2 x 4.6 in = 720 x 460 px
SIZE = (7.2, 4.6)
DPI = 100
_RC = {"svg.fonttype": "none", "svg.hashsalt": "nichelab", "font.size": 10,
       "font.family": ["DejaVu Sans"], "axes.spines.top": False, "axes.spines.right": False}


@dataclass
class Line:
    label: str
    x: Sequence[float]
    y: Sequence[float]
    lo: Sequence[float] | None = None      # band (e.g. the range over seeds)
    hi: Sequence[float] | None = None
    band_label: str = ""
    colour: str | None = None
    markers: bool = False


@dataclass
class ErrorPoints:
    """Measured points (e.g. published data) with error-bar ends ``lower`` .. ``upper``."""

    label: str
    x: Sequence[float]
    y: Sequence[float]
    lower: Sequence[float] | None = None
    upper: Sequence[float] | None = None
    colour: str | None = None


@dataclass
class HLine:
    y: float
    label: str = ""


@dataclass
class Span:
    x0: float
    x1: float
    label: str = ""


def _figure():
    from matplotlib.figure import Figure

    return Figure(figsize=SIZE, dpi=DPI, layout="constrained")


def _rc():
    import matplotlib

    return matplotlib.rc_context(_RC)


def line_figure(lines: Sequence[Line], *, xlabel: str, ylabel: str, title: str = "",
                errorbars: Sequence[ErrorPoints] = (), points: Sequence[tuple[float, float]] = (),
                points_label: str = "", hlines: Sequence[HLine] = (), spans: Sequence[Span] = (),
                y_from_zero: bool = False, logx: bool = False, logy: bool = False):
    """Lines with optional bands, measured points with error bars, scatter points, reference lines and
    shaded spans (evaluation windows). Returns a matplotlib Figure."""
    with _rc():
        fig = _figure()
        ax = fig.add_subplot()
        for k, s in enumerate(spans):
            ax.axvspan(s.x0, s.x1, color=palette.GREY, alpha=0.12, lw=0,
                       label=s.label if k == 0 and s.label else None)
        for k, ln in enumerate(lines):
            col = ln.colour or palette.series_colour(k)
            x, y = np.asarray(ln.x, float), np.asarray(ln.y, float)
            if ln.lo is not None and ln.hi is not None:
                band = ax.fill_between(x, np.asarray(ln.lo, float), np.asarray(ln.hi, float), color=col,
                                       alpha=0.18, lw=0, label=ln.band_label or None)
                band.set_gid(f"band-{k}")
            (art,) = ax.plot(x, y, color=col, lw=1.8, label=ln.label,
                             marker="o" if ln.markers else None, ms=4)
            art.set_gid(f"line-{k}")
        for k, e in enumerate(errorbars):
            col = e.colour or palette.BLACK
            x, y = np.asarray(e.x, float), np.asarray(e.y, float)
            yerr = None
            if e.lower is not None and e.upper is not None:
                lo, hi = np.asarray(e.lower, float), np.asarray(e.upper, float)
                yerr = np.vstack([np.maximum(0.0, y - lo), np.maximum(0.0, hi - y)])
            cont = ax.errorbar(x, y, yerr=yerr, fmt="s", color=col, mfc="white", mew=1.5, ms=6, capsize=4,
                               lw=1.3, label=e.label or None, zorder=5)
            cont.lines[0].set_gid(f"data-{k}")
        if points:
            px = [p[0] for p in points]
            py = [p[1] for p in points]
            ax.scatter(px, py, s=14, facecolors="none", edgecolors=palette.GREY, label=points_label or None)
        for h in hlines:
            ax.axhline(h.y, color=palette.GREY, lw=1.0, ls="--", label=h.label or None)
        if logx:
            ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        if y_from_zero and not logy:
            ax.set_ylim(bottom=min(0.0, ax.get_ylim()[0]))
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, fontsize=11)
        ax.grid(True, color="#e6e6e6", lw=0.6)
        handles, labels = ax.get_legend_handles_labels()
        if handles:
            ax.legend(fontsize=8, loc="best", framealpha=0.85)
    return fig


def heatmap_figure(xvals: Sequence[float], yvals: Sequence[float], grid: np.ndarray, *, xlabel: str,
                   ylabel: str, title: str = "", value_label: str = "", annotate: bool = True):
    """Heat map of grid[i, j] at (xvals[i], yvals[j]) with a colour bar; NaN cells grey, values written
    in the cells when there are at most 64 of them."""
    grid = np.asarray(grid, float)
    nx, ny = len(xvals), len(yvals)
    if grid.shape != (nx, ny):
        raise ValueError(f"grid shape {grid.shape} does not match axes ({nx}, {ny})")
    with _rc():
        import matplotlib

        fig = _figure()
        ax = fig.add_subplot()
        cmap = matplotlib.colormaps["viridis"].with_extremes(bad="#d9d9d9")
        img = ax.imshow(np.ma.masked_invalid(grid.T), origin="lower", aspect="auto", cmap=cmap,
                        extent=(-0.5, nx - 0.5, -0.5, ny - 0.5))
        img.set_gid("heatmap")
        ax.set_xticks(range(nx), [fmt(v) for v in xvals])
        ax.set_yticks(range(ny), [fmt(v) for v in yvals])
        if nx > 12:
            for lab in ax.get_xticklabels():
                lab.set_rotation(60)
        finite = grid[np.isfinite(grid)]
        mid = float(np.mean([finite.min(), finite.max()])) if finite.size else 0.0
        if annotate and nx * ny <= 64:
            for i in range(nx):
                for j in range(ny):
                    v = grid[i, j]
                    ok = math.isfinite(v)
                    ax.text(i, j, fmt(v) if ok else "n/a", ha="center", va="center", fontsize=8,
                            color=("black" if ok and v > mid else "white") if ok else "#333333")
        cb = fig.colorbar(img, ax=ax)
        cb.set_label(value_label)
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
        if title:
            ax.set_title(title, fontsize=11)
    return fig


def fmt(v: float) -> str:
    """Short tick / cell text for a number."""
    if v is None or not math.isfinite(v):
        return "n/a"
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.2e}"
    if a >= 1000:
        return f"{v:.0f}"
    return f"{v:.4g}" if a >= 1 else f"{v:.3g}"


def svg_text(fig) -> str:
    """The figure as SVG text: the same figure always gives the same bytes (no date, fixed ids)."""
    buf = io.StringIO()
    with _rc():
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": "NicheLab"})
    return buf.getvalue()


def png_bytes(fig) -> bytes:
    buf = io.BytesIO()
    with _rc():
        fig.savefig(buf, format="png", dpi=DPI, metadata={"Software": "NicheLab"})
    return buf.getvalue()


def save(fig, path: str | Path) -> Path:
    """Write the figure as .svg or .png (by the suffix), atomically; returns the path."""
    from engine.files import atomic_write
    from engine.observables import atomic_write_text

    path = Path(path)
    if path.suffix.lower() == ".svg":
        atomic_write_text(path, svg_text(fig))
    elif path.suffix.lower() == ".png":
        data = png_bytes(fig)
        atomic_write(path, lambda tmp: Path(tmp).write_bytes(data), suffix=".png")
    else:
        raise ValueError(f"plot files are .svg or .png, not {path.suffix or 'no suffix'}")
    return path
