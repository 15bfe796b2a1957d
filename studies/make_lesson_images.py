"""Generate the lesson diagrams (small hand-drawn SVGs) into resources/lessons/images/.

    python -m studies.make_lesson_images          # rewrites the SVG files (deterministic output)

The diagrams are schematic (not to scale) and take their colours from analysis/palette.py, the
palette of the 3D view's legend. Plain string building.
"""
from __future__ import annotations

import math
import sys
from pathlib import Path

from analysis import palette as P

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "resources" / "lessons" / "images"

# colours: the one palette (analysis/palette.py), so a cell type has the colour of the 3D view's legend

C_BONE = P.BONE
C_BONE_EDGE = "#b59f6b"
C_VESSEL = "#f6d5c4"            # a light tint of the vessel colour, for the lumen
C_VESSEL_EDGE = P.VESSEL
C_HSC = P.CELL["hsc_host"]
C_DONOR = P.CELL["hsc_donor"]
C_MKP = P.CELL["mkp"]
C_MK = P.CELL["mk"]
C_STROMA = P.CELL["stroma"]
C_MSC = P.CELL["msc"]
C_PLT = P.CELL["platelet"]
C_PLT_EDGE = "#7a6a00"           # a dark rim: yellow alone is too pale on white
C_CURVE = P.OBSERVABLE["platelets"]
C_TEXT = "#222222"
C_SDF = P.BLUISH_GREEN

FONT = 'font-family="Helvetica, Arial, sans-serif"'


def svg(w: int, h: int, body: list[str], title: str) -> str:
    return "\n".join([
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" {FONT} '
        f'font-size="14" role="img" aria-label="{title}">',
        f"<title>{title}</title>",
        '<defs><marker id="arr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker>'
        '<marker id="arrg" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{C_SDF}"/></marker>'
        '<marker id="arrr" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{C_VESSEL_EDGE}"/></marker></defs>',
        f'<rect width="{w}" height="{h}" fill="white"/>',
        *body, "</svg>", ""])


def text(x, y, s, size=14, anchor="start", weight="normal", color=C_TEXT, italic=False) -> str:
    style = ' font-style="italic"' if italic else ""
    return (f'<text x="{x}" y="{y}" font-size="{size}" text-anchor="{anchor}" font-weight="{weight}" '
            f'fill="{color}"{style}>{s}</text>')


def circle(x, y, r, fill, stroke="#333", sw=1.2, extra="") -> str:
    return f'<circle cx="{x}" cy="{y}" r="{r}" fill="{fill}" stroke="{stroke}" stroke-width="{sw}" {extra}/>'


def arrow(x1, y1, x2, y2, color="#333", marker="arr", width=1.8, dash="") -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return (f'<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" stroke="{color}" stroke-width="{width}"{d} '
            f'marker-end="url(#{marker})"/>')


def curve_arrow(path, color="#333", marker="arr", width=1.8, dash="") -> str:
    d = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<path d="{path}" fill="none" stroke="{color}" stroke-width="{width}"{d} marker-end="url(#{marker})"/>'


def mk(x, y, r, lobes=True) -> str:
    """A megakaryocyte: big cell with a lobulated (polyploid) nucleus."""
    out = [circle(x, y, r, C_MK)]
    if lobes:
        for k in range(4):
            a = k * math.pi / 2 + 0.4
            out.append(circle(round(x + 0.35 * r * math.cos(a), 1), round(y + 0.35 * r * math.sin(a), 1),
                              round(0.28 * r, 1), "#8e3d72", stroke="none"))
    return "\n".join(out)


# ------------------------------------------------------------------ 1: the vascular niche

def vascular_niche() -> str:
    w, h = 760, 420
    b = []
    # bone at the bottom
    b.append(f'<rect x="0" y="360" width="{w}" height="60" fill="{C_BONE}" stroke="{C_BONE_EDGE}"/>')
    b.append(text(16, 398, "bone (endosteal surface)", 13, color="#6b5a2e"))
    # sinusoid across the top
    b.append(f'<rect x="0" y="40" width="{w}" height="70" fill="{C_VESSEL}" stroke="{C_VESSEL_EDGE}" '
             'stroke-width="2"/>')
    b.append(text(16, 64, "sinusoid lumen (blood flow →)", 13, color="#8b2f2b"))
    # endothelial lining
    for x in range(0, w, 40):
        b.append(f'<path d="M{x},110 q20,8 40,0" fill="none" stroke="{C_VESSEL_EDGE}" stroke-width="2"/>')
    b.append(text(w - 16, 132, "endothelium (VCAM-1, VE-cadherin)", 12, "end", color="#8b2f2b"))
    # SDF-1 gradient (green shading, strongest near the vessel)
    b.append('<defs><linearGradient id="sdf" x1="0" y1="0" x2="0" y2="1">'
             f'<stop offset="0" stop-color="{C_SDF}" stop-opacity="0.28"/>'
             f'<stop offset="1" stop-color="{C_SDF}" stop-opacity="0.02"/></linearGradient></defs>')
    b.append(f'<rect x="0" y="112" width="{w}" height="246" fill="url(#sdf)"/>')
    b.append(text(w - 16, 345, "SDF-1 (CXCL12) gradient: high near the sinusoid", 12, "end", color="#00694c"))
    # CAR / stromal cells near the vessel
    for (x, y) in ((120, 150), (420, 160), (650, 150)):
        b.append(f'<ellipse cx="{x}" cy="{y}" rx="22" ry="9" fill="{C_STROMA}" stroke="#333"/>')
    b.append(text(90, 182, "CAR cell", 12, color="#00694c"))
    # HSC in its niche near bone
    b.append(circle(90, 330, 11, C_HSC))
    b.append(text(108, 335, "HSC", 12))
    # MK progenitor migrating up the gradient
    b.append(circle(250, 300, 10, C_MKP))
    b.append(text(266, 305, "MK progenitor (CXCR4+)", 12))
    b.append(arrow(130, 322, 238, 306))
    b.append(text(150, 300, "TPO: expansion", 11, italic=True))
    b.append(curve_arrow("M250,288 C260,250 290,225 320,205", C_SDF, "arrg", 2.2))
    b.append(text(295, 250, "migrates up SDF-1", 12, color="#00694c"))
    # maturing MK away from the vessel (stalls)
    b.append(mk(560, 280, 22))
    b.append(text(592, 285, "maturing MK", 12))
    b.append(text(592, 301, "away from vessel: stalls", 11, italic=True))
    # docked MK at the vessel with proplatelets
    b.append(mk(360, 144, 32))
    b.append(text(402, 196, "mature megakaryocyte docked", 12))
    b.append(text(402, 212, "(VLA-4 on MK binds VCAM-1)", 12))
    b.append(f'<path d="M355,118 C350,95 330,80 300,70" fill="none" stroke="{C_MK}" stroke-width="5" '
             'stroke-linecap="round"/>')
    b.append(f'<path d="M372,118 C380,92 410,80 440,76" fill="none" stroke="{C_MK}" stroke-width="5" '
             'stroke-linecap="round"/>')
    b.append(text(450, 92, "proplatelets", 12, color="#7a2e5f"))
    for (x, y) in ((290, 66), (276, 60), (450, 72), (470, 68), (520, 58), (560, 62), (610, 70), (660, 60)):
        b.append(f'<ellipse cx="{x}" cy="{y}" rx="5" ry="3" fill="{C_PLT}" stroke="{C_PLT_EDGE}" stroke-width="0.8"/>')
    b.append(text(560, 90, "platelets", 12, color="#a04000"))
    return svg(w, h, b, "The vascular niche: SDF-1 and VCAM-1 bring megakaryocytes to the sinusoid, "
               "where they release platelets")


# ------------------------------------------------------------------ 2: TPO, knockouts and three kinds of help

def tpo_routes() -> str:
    w, h = 760, 400
    b = []
    # three stages
    stages = [(110, "HSC / progenitor", C_HSC, 14), (330, "MK progenitor", C_MKP, 14), (560, "megakaryocyte", C_MK, 26)]
    for x, label, col, r in stages:
        if col == C_MK:
            b.append(mk(x, 250, r))
        else:
            b.append(circle(x, 250, r, col))
        b.append(text(x, 250 + r + 22, label, 13, "middle"))
    b.append(arrow(128, 250, 312, 250))
    b.append(arrow(348, 250, 530, 250))
    b.append(f'<rect x="640" y="200" width="100" height="100" rx="10" fill="{C_VESSEL}" stroke="{C_VESSEL_EDGE}"/>')
    b.append(text(690, 240, "sinusoid", 13, "middle", color="#8b2f2b"))
    b.append(text(690, 258, "→ platelets", 13, "middle", color="#a04000"))
    b.append(arrow(588, 250, 636, 250))
    # TPO box
    b.append(f'<rect x="20" y="20" width="300" height="92" rx="10" fill="#eef5fb" stroke="{C_HSC}"/>')
    b.append(text(34, 44, "TPO (liver) → Mpl receptor", 14, weight="bold", color="#00467a"))
    b.append(text(34, 66, "drives EXPANSION of stem cells and", 13))
    b.append(text(34, 84, "progenitors. Missing in Thpo−/−;", 13))
    b.append(text(34, 102, "not sensed in Mpl−/− (TPO stays high).", 13))
    b.append(arrow(200, 114, 200, 226, "#00467a"))
    # chemokines box
    b.append(f'<rect x="360" y="20" width="380" height="92" rx="10" fill="#eaf6f1" stroke="{C_STROMA}"/>')
    b.append(text(374, 44, "SDF-1 and FGF-4 → CXCR4, VCAM-1/VLA-4", 14, weight="bold", color="#00694c"))
    b.append(text(374, 66, "RELOCATE progenitors to the vascular niche, where", 13))
    b.append(text(374, 84, "they survive, mature and release platelets: this", 13))
    b.append(text(374, 102, "restores platelets in Thpo−/− and Mpl−/− mice.", 13))
    b.append(arrow(560, 114, 610, 210, "#00694c"))
    # IL-6/IL-11 box
    b.append(f'<rect x="300" y="316" width="440" height="72" rx="10" fill="#f8eef4" stroke="{C_MK}"/>')
    b.append(text(314, 340, "IL-6 and IL-11", 14, weight="bold", color="#7a2e5f"))
    b.append(text(314, 360, "enhance MATURATION (size, ploidy) only: no expansion,", 13))
    b.append(text(314, 378, "no relocation, so they do not rescue Thpo−/− or Mpl−/−.", 13))
    b.append(arrow(520, 314, 548, 282, "#7a2e5f"))
    return svg(w, h, b, "Three kinds of signal: TPO expands, SDF-1 and FGF-4 relocate, IL-6 and IL-11 mature")


# ------------------------------------------------------------------ 3: platelet course after 5-FU

def fu5_course() -> str:
    """The course after one dose of 5-FU in a mouse, drawn to the published shape (Yeager et al. 1983:
    40% of control at day 7, 200-250% on days 11-17; nadir 4-8 days after the dose, Levin et al. 2001)."""
    w, h = 760, 400
    x0, y0, pw, ph = 80, 50, 640, 280
    top = 2.7
    b = []

    def px(d):
        return x0 + d / 30.0 * pw

    def py(v):
        return y0 + ph - v / top * ph

    # axes
    b.append(f'<line x1="{x0}" y1="{y0 + ph}" x2="{x0 + pw}" y2="{y0 + ph}" stroke="#333"/>')
    b.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y0 + ph}" stroke="#333"/>')
    for d in range(0, 31, 5):
        b.append(text(round(px(d), 1), y0 + ph + 20, str(d), 12, "middle"))
    b.append(text(x0 + pw / 2, y0 + ph + 44, "days after one dose of 5-FU (150 mg/kg)", 13, "middle"))
    b.append(f'<text transform="translate(24,{y0 + ph / 2}) rotate(-90)" text-anchor="middle" font-size="13">'
             'platelets (fraction of normal)</text>')
    for v in (0.0, 0.5, 1.0, 1.5, 2.0, 2.5):
        b.append(text(x0 - 8, round(py(v) + 4, 1), f"{v:.1f}", 12, "end"))
    b.append(f'<line x1="{x0}" y1="{py(1.0):.1f}" x2="{x0 + pw}" y2="{py(1.0):.1f}" stroke="#888" '
             'stroke-dasharray="6 4"/>')
    b.append(text(x0 + pw - 4, round(py(1.0) + 16, 1), "baseline (normal count)", 12, "end", color="#555"))

    def curve(depth, t_nadir, width, overshoot):
        """Smooth schematic: a slow start down to the nadir, the way back, a rebound above baseline."""
        pts = []
        for i in range(121):
            d = 30.0 * i / 120
            if d <= t_nadir:
                u = d / t_nadir
                dip = depth * u * u * (3 - 2 * u)
            else:
                dip = depth * math.exp(-((d - t_nadir) / width) ** 2)
            rebound = overshoot * math.exp(-((d - 14.0) / 3.6) ** 2)
            pts.append((d, 1.0 - dip + rebound))
        return pts

    plain = curve(0.62, 6.5, 3.0, 1.25)
    helped = curve(0.4, 6.0, 2.6, 1.15)
    # the published points: 40% (35-45%) at day 7, 200-250% on days 11-17
    for d, lo, hi in ((7, 0.35, 0.45), (11, 2.0, 2.5), (14, 2.0, 2.5), (17, 2.0, 2.5)):
        b.append(f'<line x1="{px(d):.1f}" y1="{py(lo):.1f}" x2="{px(d):.1f}" y2="{py(hi):.1f}" stroke="#333" '
                 'stroke-width="2"/>')
        b.append(f'<rect x="{px(d) - 4:.1f}" y="{py((lo + hi) / 2) - 4:.1f}" width="8" height="8" fill="white" '
                 'stroke="#333" stroke-width="1.5"/>')
    area = [f"{px(d):.1f},{py(min(v, 1.0)):.1f}" for d, v in plain]
    area_poly = f"{px(0):.1f},{py(1.0):.1f} " + " ".join(area) + f" {px(30):.1f},{py(1.0):.1f}"
    b.append(f'<polygon points="{area_poly}" fill="{C_CURVE}" fill-opacity="0.14" stroke="none"/>')
    b.append(f'<polyline points="{" ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in plain)}" fill="none" '
             f'stroke="{C_CURVE}" stroke-width="3"/>')
    b.append(f'<polyline points="{" ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in helped)}" fill="none" '
             f'stroke="{C_SDF}" stroke-width="3" stroke-dasharray="8 5"/>')
    nd, nv = min(plain, key=lambda p: p[1])
    b.append(circle(round(px(nd), 1), round(py(nv), 1), 5, C_CURVE))
    b.append(text(round(px(nd), 1), round(py(nv) + 24, 1), "nadir (4-8 days after the dose)", 13, "middle",
                  color="#00467a"))
    b.append(text(round(px(18.5), 1), round(py(2.3), 1), "rebound thrombocytosis", 13, color="#00467a", italic=True))
    b.append(text(round(px(18.5), 1), round(py(2.3) + 16, 1), "(about 2x normal for a week)", 12, color="#00467a"))
    b.append(text(round(px(8.2), 1), round(py(0.78), 1), "area below baseline", 12, color="#00467a", italic=True))
    # legend
    lx, ly = x0 + 330, y0 + 196
    b.append(f'<line x1="{lx}" y1="{ly}" x2="{lx + 30}" y2="{ly}" stroke="{C_CURVE}" stroke-width="3"/>')
    b.append(text(lx + 38, ly + 4, "5-FU alone", 12))
    b.append(f'<line x1="{lx}" y1="{ly + 20}" x2="{lx + 30}" y2="{ly + 20}" stroke="{C_SDF}" stroke-width="3" '
             'stroke-dasharray="8 5"/>')
    b.append(text(lx + 38, ly + 24, "+ SDF-1 or FGF-4: smaller dip (Avecilla 2004)", 12))
    b.append(f'<rect x="{lx + 11}" y="{ly + 36}" width="8" height="8" fill="white" stroke="#333" stroke-width="1.5"/>')
    b.append(text(lx + 38, ly + 44, "published (Yeager et al. 1983)", 12))
    b.append(text(x0 + pw / 2, 24, "Platelets after 5-FU in mice: the published shape (schematic, not model output)",
                  14, "middle", "bold"))
    return svg(w, h, b, "Platelet count after 5-FU in mice: a moderate fall to a nadir about a week after the "
               "dose, then a rebound to about twice normal before the count settles; smaller dip with SDF-1 or FGF-4")


# ------------------------------------------------------------------ 4: transplant and MSC support

def transplant() -> str:
    w, h = 760, 400
    b = []
    panels = [(20, "1. Conditioning", "irradiation empties the niches"),
            (270, "2. Transplant", "donor HSCs home via SDF-1/CXCR4"),
            (520, "3. Engraftment", "donor cells refill niches, make blood")]
    for x, title, sub in panels:
        b.append(f'<rect x="{x}" y="40" width="220" height="250" rx="12" fill="#fafafa" stroke="#999"/>')
        b.append(text(x + 110, 30, title, 15, "middle", "bold"))
        b.append(text(x + 110, 312, sub, 12, "middle"))
        b.append(f'<rect x="{x + 10}" y="60" width="200" height="26" fill="{C_VESSEL}" stroke="{C_VESSEL_EDGE}"/>')
        b.append(text(x + 18, 78, "sinusoid", 11, color="#8b2f2b"))
        b.append(f'<rect x="{x + 10}" y="258" width="200" height="22" fill="{C_BONE}" stroke="{C_BONE_EDGE}"/>')
    sites = [(55, 130), (115, 160), (175, 125), (70, 215), (140, 230), (190, 200)]
    # panel 1: empty niche sites (dashed) with one dying host cell
    for (sx, sy) in sites:
        b.append(f'<circle cx="{20 + sx}" cy="{sy}" r="12" fill="none" stroke="#888" stroke-dasharray="3 3"/>')
    b.append(circle(20 + 115, 160, 9, "#9ecae1", "#777"))
    b.append(f'<path d="M{20 + 108},153 l14,14 M{20 + 122},153 l-14,14" stroke="#c00" stroke-width="2"/>')
    b.append(text(130, 112, "empty niche sites", 11, "middle", color="#555"))
    # panel 2: donor HSCs entering from the vessel towards sites
    for (sx, sy) in sites:
        b.append(f'<circle cx="{270 + sx}" cy="{sy}" r="12" fill="none" stroke="#888" stroke-dasharray="3 3"/>')
    for (x1, y1, x2, y2) in ((320, 80, 330, 118), (390, 80, 385, 146), (450, 80, 440, 114)):
        b.append(circle(x1, y1 - 6, 7, C_DONOR))
        b.append(arrow(x1, y1 + 2, x2, y2, C_DONOR))
    b.append(f'<ellipse cx="{270 + 105}" cy="194" rx="16" ry="7" fill="{C_MSC}" stroke="#333"/>')
    b.append(text(270 + 12, 254, "co-infused MSC (+SDF-1)", 11, color="#8a5a00"))
    b.append(arrow(270 + 70, 244, 270 + 96, 203, "#8a5a00", width=1.2))
    for k in range(5):
        a = k * 2 * math.pi / 5
        b.append(circle(round(270 + 190 + 9 * math.cos(a), 1), round(238 + 5 * math.sin(a), 1), 2.6, C_MSC, "none"))
    b.append(text(270 + 176, 242, "EVs", 11, "end", color="#8a5a00"))
    # panel 3: niches filled with donor cells and a megakaryocyte releasing platelets
    for (sx, sy) in sites:
        b.append(circle(520 + sx, sy, 10, C_DONOR))
    b.append(mk(520 + 120, 104, 15))
    for k in range(4):
        b.append(f'<ellipse cx="{520 + 140 + 14 * k}" cy="70" rx="4" ry="2.5" fill="{C_PLT}" '
                 f'stroke="{C_PLT_EDGE}" stroke-width="0.8"/>')
    # recovery strip
    b.append(text(20, 350, "Watch: donor chimerism rises towards 100%; platelets fall, then recover. "
                  "MSC support is expected to speed engraftment;", 12))
    b.append(text(20, 370, "MSC-derived vesicles (EVs) help only while they are given.", 12))
    return svg(w, h, b, "Transplant after conditioning: empty niches, homing of donor stem cells with MSC "
               "support, engraftment")


IMAGES = {
    "vascular_niche.svg": vascular_niche,
    "tpo_routes.svg": tpo_routes,
    "fu5_course.svg": fu5_course,
    "transplant_msc.svg": transplant,
}


def main(out: Path = OUT) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, fn in IMAGES.items():
        p = out / name
        p.write_text(fn(), encoding="utf-8")
        paths.append(p)
    return paths


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT):
        print(f"{p} ({p.stat().st_size} bytes)")
