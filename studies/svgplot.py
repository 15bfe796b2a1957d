"""Dependency-free SVG plots for headless outputs: line plot (with bands) and heat map.

Plain string building, no matplotlib. Colours follow a colour-blind-safe palette
(Okabe-Ito) for lines and a viridis-like ramp for heat maps.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Sequence
from xml.sax.saxutils import escape

import numpy as np

PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
# viridis anchor colours (0, 0.25, 0.5, 0.75, 1)
_VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], float)

W, H = 720, 460
ML, MR, MT, MB = 80, 30, 50, 64


@dataclass
class Series:
    label: str
    x: Sequence[float]
    y: Sequence[float]
    lo: Sequence[float] | None = None
    hi: Sequence[float] | None = None
    band_label: str = ""


def nice_ticks(lo: float, hi: float, n: int = 6) -> list[float]:
    """About n round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)
    raw = (hi - lo) / max(1, n - 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=10 * mag)
    start = math.floor(lo / step) * step
    ticks = []
    v = start
    while v <= hi + 1e-9 * step:
        if v >= lo - 1e-9 * step:
            ticks.append(round(v, 12))
        v += step
    return ticks or [lo, hi]


def _fmt(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.2e}"
    if a >= 1000:
        return f"{v:.0f}"
    return f"{v:.4g}" if a >= 1 else f"{v:.3g}"


def colormap(t: float) -> str:
    """Viridis-like colour for t in [0, 1]."""
    t = min(1.0, max(0.0, t)) * (len(_VIRIDIS) - 1)
    i = min(int(t), len(_VIRIDIS) - 2)
    c = _VIRIDIS[i] + (t - i) * (_VIRIDIS[i + 1] - _VIRIDIS[i])
    return "#%02x%02x%02x" % tuple(int(round(v)) for v in c)


def _head(title: str) -> list[str]:
    return [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
            'font-family="Helvetica, Arial, sans-serif" font-size="13">',
            f'<rect width="{W}" height="{H}" fill="white"/>',
            f'<text x="{W / 2}" y="28" text-anchor="middle" font-size="16" font-weight="bold">{escape(title)}</text>']


def _finite_range(arrays) -> tuple[float, float]:
    vals = np.concatenate([np.asarray(a, float).ravel() for a in arrays if a is not None and len(a)])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0:
        return 0.0, 1.0
    lo, hi = float(vals.min()), float(vals.max())
    if hi == lo:
        pad = abs(lo) * 0.1 or 1.0
        return lo - pad, hi + pad
    return lo, hi


def line_plot(series: Sequence[Series], *, xlabel: str, ylabel: str, title: str = "",
              points: Sequence[tuple[float, float]] = (), points_label: str = "",
              y_from_zero: bool = False) -> str:
    """Lines (with optional lo/hi bands) and optional scatter points; returns SVG text."""
    xs = [s.x for s in series]
    ys = [s.y for s in series] + [s.lo for s in series] + [s.hi for s in series]
    if points:
        xs.append([p[0] for p in points])
        ys.append([p[1] for p in points])
    x0, x1 = _finite_range(xs)
    y0, y1 = _finite_range(ys)
    if y_from_zero:
        y0 = min(0.0, y0)
    xt, yt = nice_ticks(x0, x1), nice_ticks(y0, y1)
    x0, x1 = min(x0, xt[0]), max(x1, xt[-1])
    y0, y1 = min(y0, yt[0]), max(y1, yt[-1])
    pw, ph = W - ML - MR, H - MT - MB

    def px(x):
        return ML + (x - x0) / (x1 - x0) * pw

    def py(y):
        return MT + ph - (y - y0) / (y1 - y0) * ph

    out = _head(title)
    out.append(f'<rect x="{ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    for t in xt:
        out.append(f'<line x1="{px(t):.1f}" y1="{MT + ph}" x2="{px(t):.1f}" y2="{MT + ph + 5}" stroke="#444"/>')
        out.append(f'<text x="{px(t):.1f}" y="{MT + ph + 19}" text-anchor="middle">{_fmt(t)}</text>')
    for t in yt:
        out.append(f'<line x1="{ML}" y1="{py(t):.1f}" x2="{ML + pw}" y2="{py(t):.1f}" stroke="#eee"/>')
        out.append(f'<text x="{ML - 8}" y="{py(t) + 4:.1f}" text-anchor="end">{_fmt(t)}</text>')
    out.append(f'<text x="{ML + pw / 2}" y="{H - 18}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(16,{MT + ph / 2}) rotate(-90)" text-anchor="middle">'
               f'{escape(ylabel)}</text>')
    legend = []
    for k, s in enumerate(series):
        col = PALETTE[k % len(PALETTE)]
        x = np.asarray(s.x, float)
        y = np.asarray(s.y, float)
        if s.lo is not None and s.hi is not None:
            lo, hi = np.asarray(s.lo, float), np.asarray(s.hi, float)
            ok = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(x)
            if ok.sum() >= 2:
                pts = [f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok], hi[ok])]
                pts += [f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok][::-1], lo[ok][::-1])]
                out.append(f'<polygon points="{" ".join(pts)}" fill="{col}" fill-opacity="0.18" stroke="none"/>')
            elif ok.sum() == 1:
                a, b0, b1 = x[ok][0], lo[ok][0], hi[ok][0]
                out.append(f'<line x1="{px(a):.1f}" y1="{py(b0):.1f}" x2="{px(a):.1f}" y2="{py(b1):.1f}" '
                           f'stroke="{col}" stroke-opacity="0.4" stroke-width="6"/>')
        ok = np.isfinite(x) & np.isfinite(y)
        path = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok], y[ok]))
        if ok.sum() >= 2:
            out.append(f'<polyline points="{path}" fill="none" stroke="{col}" stroke-width="2.2"/>')
        if ok.sum() <= 40:  # markers only where points are few (sweeps), not on dense time series
            for a, b in zip(x[ok], y[ok]):
                out.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="3.2" fill="{col}"/>')
        legend.append((col, s.label, "line"))
        if s.lo is not None and s.band_label:
            legend.append((col, s.band_label, "band"))
    if points:
        for a, b in points:
            if math.isfinite(a) and math.isfinite(b):
                out.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="2.2" fill="none" stroke="#555"/>')
        if points_label:
            legend.append(("#555", points_label, "point"))
    ly = MT + 12
    if legend:
        lw = 44 + 7 * max(len(label) for _, label, _ in legend)
        out.append(f'<rect x="{ML + 4}" y="{MT + 2}" width="{lw}" height="{18 * len(legend) + 4}" fill="white" '
                   'fill-opacity="0.85" stroke="#ccc"/>')
    for col, label, kind in legend:
        lx = ML + 12
        if kind == "line":
            out.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 22}" y2="{ly}" stroke="{col}" stroke-width="2.2"/>')
        elif kind == "band":
            out.append(f'<rect x="{lx}" y="{ly - 6}" width="22" height="12" fill="{col}" fill-opacity="0.18"/>')
        else:
            out.append(f'<circle cx="{lx + 11}" cy="{ly}" r="2.5" fill="none" stroke="{col}"/>')
        out.append(f'<text x="{lx + 30}" y="{ly + 4}">{escape(label)}</text>')
        ly += 18
    out.append("</svg>")
    return "\n".join(out) + "\n"


def heatmap(xvals: Sequence[float], yvals: Sequence[float], grid: np.ndarray, *, xlabel: str, ylabel: str,
            title: str = "", value_label: str = "") -> str:
    """Heat map of grid[i, j] at (xvals[i], yvals[j]) with a colour bar; NaN cells hatched grey."""
    grid = np.asarray(grid, float)
    nx, ny = len(xvals), len(yvals)
    if grid.shape != (nx, ny):
        raise ValueError(f"grid shape {grid.shape} does not match axes ({nx}, {ny})")
    finite = grid[np.isfinite(grid)]
    v0, v1 = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if v1 == v0:
        v1 = v0 + (abs(v0) * 0.1 or 1.0)
    cbw = 90
    pw, ph = W - ML - MR - cbw, H - MT - MB
    cw, ch = pw / nx, ph / ny
    out = _head(title)
    out.append('<defs><pattern id="nan" width="6" height="6" patternUnits="userSpaceOnUse">'
               '<rect width="6" height="6" fill="#ddd"/><path d="M0,6 L6,0" stroke="#999"/></pattern></defs>')
    for i in range(nx):
        for j in range(ny):
            v = grid[i, j]
            x = ML + i * cw
            y = MT + ph - (j + 1) * ch
            fill = colormap((v - v0) / (v1 - v0)) if math.isfinite(v) else "url(#nan)"
            out.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{cw + 0.5:.1f}" height="{ch + 0.5:.1f}" '
                       f'fill="{fill}"><title>{escape(_fmt(xvals[i]))}, {escape(_fmt(yvals[j]))}: '
                       f'{escape(_fmt(v) if math.isfinite(v) else "n/a")}</title></rect>')
            if nx * ny <= 64:
                t = (v - v0) / (v1 - v0) if math.isfinite(v) else 0.0
                col = "black" if t > 0.6 else "white"
                txt = _fmt(v) if math.isfinite(v) else "n/a"
                out.append(f'<text x="{x + cw / 2:.1f}" y="{y + ch / 2 + 4:.1f}" text-anchor="middle" '
                           f'font-size="11" fill="{col if math.isfinite(v) else "#333"}">{escape(txt)}</text>')
    out.append(f'<rect x="{ML}" y="{MT}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>')
    step_x = max(1, nx // 10)
    for i in range(0, nx, step_x):
        out.append(f'<text x="{ML + (i + 0.5) * cw:.1f}" y="{MT + ph + 18}" text-anchor="middle">'
                   f'{_fmt(float(xvals[i]))}</text>')
    step_y = max(1, ny // 10)
    for j in range(0, ny, step_y):
        out.append(f'<text x="{ML - 8}" y="{MT + ph - (j + 0.5) * ch + 4:.1f}" text-anchor="end">'
                   f'{_fmt(float(yvals[j]))}</text>')
    out.append(f'<text x="{ML + pw / 2}" y="{H - 18}" text-anchor="middle">{escape(xlabel)}</text>')
    out.append(f'<text transform="translate(16,{MT + ph / 2}) rotate(-90)" text-anchor="middle">'
               f'{escape(ylabel)}</text>')
    # colour bar
    bx = ML + pw + 24
    nb = 40
    for k in range(nb):
        y = MT + ph - (k + 1) * ph / nb
        out.append(f'<rect x="{bx}" y="{y:.1f}" width="18" height="{ph / nb + 0.5:.1f}" '
                   f'fill="{colormap((k + 0.5) / nb)}"/>')
    for t in nice_ticks(v0, v1, 5):
        if v0 <= t <= v1:
            y = MT + ph - (t - v0) / (v1 - v0) * ph
            out.append(f'<text x="{bx + 22}" y="{y + 4:.1f}" font-size="11">{_fmt(t)}</text>')
    out.append(f'<text transform="translate({bx + 80},{MT + ph / 2}) rotate(-90)" text-anchor="middle" '
               f'font-size="12">{escape(value_label)}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
