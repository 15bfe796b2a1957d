"""Small, dependency-free SVG line plots for the validation report.

    svg = line_plot([Series("WT", t, y), Series("Thpo-/-", t, y2, lo, hi)],
                    title="Platelets", xlabel="day", ylabel="10^3/uL",
                    hlines=[HLine(1000, "baseline")])

Axes with "nice" ticks, one colour and dash style per series from the Okabe-Ito
palette (safe for colour-blind readers), an optional spread band per series,
horizontal reference lines, shaded x-spans (evaluation windows) and a legend
under the plot. The output is a standalone, well-formed SVG document.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from xml.sax.saxutils import escape

import numpy as np

#: Okabe & Ito (2008) colour-blind-safe palette (yellow left out: too pale on white)
PALETTE = ("#000000", "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
DASHES = ("", "6,3", "2,2", "8,3,2,3")
FONT = "DejaVu Sans, Arial, Helvetica, sans-serif"


@dataclass
class Series:
    label: str
    x: np.ndarray
    y: np.ndarray
    lo: np.ndarray | None = None   # band (e.g. min over seeds)
    hi: np.ndarray | None = None


@dataclass
class HLine:
    y: float
    label: str = ""


@dataclass
class Span:
    x0: float
    x1: float
    label: str = ""


def nice_ticks(lo: float, hi: float, target: int = 6) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return [0.0, 1.0]
    if hi <= lo:
        hi = lo + (abs(lo) if lo else 1.0)
    raw = (hi - lo) / max(1, target)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * mag >= raw)
    first = math.floor(lo / step + 1e-9) * step
    ticks = []
    v = first
    while v <= hi + step * 1e-9:
        ticks.append(round(v, 12))
        v += step
    if ticks[-1] < hi - 1e-12:
        ticks.append(round(ticks[-1] + step, 12))
    return ticks


def _fmt_tick(v: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e5 or a < 1e-3:
        return f"{v:.0e}"
    return f"{v:.6g}"


def line_plot(series: list[Series], *, title: str = "", xlabel: str = "", ylabel: str = "",
              hlines: list[HLine] | None = None, spans: list[Span] | None = None,
              width: int = 640, height: int = 340, y_from_zero: bool = True) -> str:
    """An SVG document (text) with the given series drawn as lines."""
    hlines = hlines or []
    spans = spans or []
    legend_rows = len(series) + len([h for h in hlines if h.label])
    ml, mr, mt, mb = 70, 20, 34 if title else 14, 44
    legend_h = 18 * legend_rows + 8
    total_h = height + legend_h
    pw, ph = width - ml - mr, height - mt - mb

    xs = [np.asarray(s.x, float) for s in series if len(s.x)]
    ys = [np.asarray(v, float) for s in series for v in (s.y, s.lo, s.hi) if v is not None and len(v)]
    xlo = min((float(np.nanmin(x)) for x in xs), default=0.0)
    xhi = max((float(np.nanmax(x)) for x in xs), default=1.0)
    finite = [v[np.isfinite(v)] for v in ys]
    ylo = min((float(v.min()) for v in finite if v.size), default=0.0)
    yhi = max((float(v.max()) for v in finite if v.size), default=1.0)
    for h in hlines:
        ylo, yhi = min(ylo, h.y), max(yhi, h.y)
    if y_from_zero:
        ylo = min(0.0, ylo)
    if yhi <= ylo:
        yhi = ylo + 1.0
    xt = nice_ticks(xlo, xhi, 8)
    yt = nice_ticks(ylo, yhi + 0.04 * (yhi - ylo), 5)
    x0, x1, y0, y1 = xt[0], xt[-1], yt[0], yt[-1]

    def px(x):
        return ml + (x - x0) / (x1 - x0) * pw

    def py(y):
        return mt + ph - (y - y0) / (y1 - y0) * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{total_h}" '
           f'viewBox="0 0 {width} {total_h}" font-family="{FONT}" font-size="12">',
           f'<title>{escape(title)}</title>',
           f'<rect x="0" y="0" width="{width}" height="{total_h}" fill="#ffffff"/>']
    if title:
        out.append(f'<text x="{width / 2:.1f}" y="20" text-anchor="middle" font-size="14" '
                   f'font-weight="bold">{escape(title)}</text>')
    # evaluation windows
    for sp in spans:
        a, b = max(sp.x0, x0), min(sp.x1, x1)
        if b > a:
            out.append(f'<rect x="{px(a):.1f}" y="{mt}" width="{px(b) - px(a):.1f}" height="{ph}" '
                       f'fill="#000000" fill-opacity="0.06"/>')
            if sp.label:
                out.append(f'<text x="{(px(a) + px(b)) / 2:.1f}" y="{mt + 12}" text-anchor="middle" '
                           f'font-size="10" fill="#555555">{escape(sp.label)}</text>')
    # grid and ticks
    out.append('<g stroke="#dddddd" stroke-width="1">')
    for v in yt:
        out.append(f'<line x1="{ml}" y1="{py(v):.1f}" x2="{ml + pw}" y2="{py(v):.1f}"/>')
    for v in xt:
        out.append(f'<line x1="{px(v):.1f}" y1="{mt}" x2="{px(v):.1f}" y2="{mt + ph}"/>')
    out.append('</g>')
    out.append(f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#333333"/>')
    for v in yt:
        out.append(f'<text x="{ml - 6}" y="{py(v) + 4:.1f}" text-anchor="end">{escape(_fmt_tick(v))}</text>')
    for v in xt:
        out.append(f'<text x="{px(v):.1f}" y="{mt + ph + 16}" text-anchor="middle">{escape(_fmt_tick(v))}</text>')
    if xlabel:
        out.append(f'<text x="{ml + pw / 2:.1f}" y="{mt + ph + 34}" text-anchor="middle">{escape(xlabel)}</text>')
    if ylabel:
        cy = mt + ph / 2
        out.append(f'<text x="16" y="{cy:.1f}" text-anchor="middle" transform="rotate(-90 16 {cy:.1f})">'
                   f'{escape(ylabel)}</text>')
    # clip series to the plot area
    out.append(f'<defs><clipPath id="plotarea"><rect x="{ml}" y="{mt}" width="{pw}" height="{ph}"/></clipPath></defs>')
    out.append('<g clip-path="url(#plotarea)">')
    for i, h in enumerate(hlines):
        out.append(f'<line x1="{ml}" y1="{py(h.y):.1f}" x2="{ml + pw}" y2="{py(h.y):.1f}" stroke="#777777" '
                   f'stroke-width="1.2" stroke-dasharray="{"4,4" if i == 0 else "1,3"}"/>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        x = np.asarray(s.x, float)
        if s.lo is not None and s.hi is not None and len(x):
            lo, hi = np.asarray(s.lo, float), np.asarray(s.hi, float)
            ok = np.isfinite(lo) & np.isfinite(hi)
            if ok.any() and np.any(hi[ok] > lo[ok]):
                pts = [f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok], hi[ok])]
                pts += [f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok][::-1], lo[ok][::-1])]
                out.append(f'<polygon points="{" ".join(pts)}" fill="{colour}" fill-opacity="0.15" stroke="none"/>')
        y = np.asarray(s.y, float)
        ok = np.isfinite(y)
        if ok.any():
            pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok], y[ok]))
            dash = DASHES[(i // len(PALETTE) + i) % len(DASHES)]
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"'
                       f' stroke-linejoin="round"{dash_attr}/>')
    out.append('</g>')
    # legend
    ly = height + 4
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        dash = DASHES[(i // len(PALETTE) + i) % len(DASHES)]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        y = ly + 18 * i
        out.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + 28}" y2="{y:.1f}" stroke="{colour}" stroke-width="2.5"'
                   f'{dash_attr}/>')
        out.append(f'<text x="{ml + 36}" y="{y + 4:.1f}">{escape(s.label)}</text>')
    j = len(series)
    for i, h in enumerate(hlines):
        if not h.label:
            continue
        y = ly + 18 * j
        out.append(f'<line x1="{ml}" y1="{y:.1f}" x2="{ml + 28}" y2="{y:.1f}" stroke="#777777" stroke-width="1.2" '
                   f'stroke-dasharray="{"4,4" if i == 0 else "1,3"}"/>')
        out.append(f'<text x="{ml + 36}" y="{y + 4:.1f}">{escape(h.label)}</text>')
        j += 1
    out.append('</svg>')
    return "\n".join(out) + "\n"
