"""Colours, symbols and display names of what the 3D view and the plots draw.

The colours come from analysis/palette.py (Okabe & Ito 2008); every cell class
that a colour-vision deficiency could confuse with another also differs from it
by symbol (star, triangle, diamond, cross), size or outline, so colour is never
the only cue (tests/gui/test_colour_vision.py checks it). View presets name which
classes are shown.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import agents as A

from analysis.palette import (BLACK, BLUE, BLUISH_GREEN, BONE, CELL, GREY, MK_DOCKED_EDGE,  # noqa: F401
                              MK_RELEASING_EDGE, ORANGE, REDDISH_PURPLE, SKY_BLUE, VERMILLION, WHITE,
                              YELLOW, VESSEL, VESSEL_DISRUPTED)

VIEW_BACKGROUND = "#1D2127"
TILE_OUTLINE = "#6B7280"
TEXT_ON_VIEW = "#F2F2F2"


@dataclass(frozen=True)
class CellClass:
    key: str
    label: str
    colour: str
    symbol: str          # vispy marker symbol
    edge: str | None     # outline colour (None: no outline)
    tooltip: str
    #: drawn as a shaded sphere (large cells) or as a flat glyph whose shape names the class
    spherical: bool = False
    #: shown when the app starts (the legend toggles it)
    shown: bool = True


#: small cells are drawn at least this wide (µm) so that their glyphs can be told apart at the
#: overview zoom; the inspector gives their true size
MIN_GLYPH_UM = 12.0

# index = display class id (see classify)
CELL_CLASSES: tuple[CellClass, ...] = (
    CellClass("hsc_host", "HSC (host)", CELL["hsc_host"], "disc", None,
              "Haematopoietic stem/progenitor cell of the recipient, lodged in a niche or homing to one.",
              spherical=True),
    CellClass("hsc_donor", "HSC (donor)", CELL["hsc_donor"], "star", None,
              "Transplanted donor stem/progenitor cell (star): it homes to a free niche and engrafts."),
    CellClass("mkp", "MK progenitor", CELL["mkp"], "triangle_up", "#A9D6F5",
              "CXCR4+ megakaryocyte progenitor (triangle): expands under TPO and follows SDF-1 towards the "
              "sinusoids."),
    CellClass("mk", "Megakaryocyte", CELL["mk"], "disc", None,
              "Maturing megakaryocyte; its size grows with maturity (ploidy). Away from a sinusoid it "
              "matures slowly and may die.", spherical=True),
    CellClass("mk_docked", "MK docked at sinusoid", CELL["mk"], "disc", MK_DOCKED_EDGE,
              "Megakaryocyte bound to sinusoidal endothelium (white ring; VLA-4 on the cell, VCAM-1 on the "
              "vessel): the vascular niche lets it finish maturing.", spherical=True),
    CellClass("mk_releasing", "MK releasing platelets", CELL["mk"], "disc", MK_RELEASING_EDGE,
              "Megakaryocyte extending proplatelets into the vessel lumen (yellow ring): platelets are "
              "being released.", spherical=True),
    CellClass("stroma", "Stroma (CAR cell / MSC)", CELL["stroma"], "cross", None,
              "Resident CXCL12-abundant reticular (CAR) stromal cells and MSCs (faint crosses): the main SDF-1 "
              "source. Hidden at start so the haematopoietic cells stand out; click to show them.",
              shown=False),
    CellClass("msc", "Infused MSC", CELL["msc"], "diamond", WHITE,
              "Mesenchymal stromal cell given as therapy (diamond): extra SDF-1 and niche support."),
    CellClass("platelet", "Platelets in blood flow", CELL["platelet"], "disc", None,
              "Released platelets carried along the sinusoids (small dots; display particles, the blood count "
              "is in the plots)."),
)
N_CLASSES = len(CELL_CLASSES)
CLASS_INDEX = {c.key: i for i, c in enumerate(CELL_CLASSES)}


@dataclass(frozen=True)
class ViewPreset:
    key: str
    label: str
    tooltip: str
    classes: frozenset          # class keys shown
    vessels: bool = True
    bone: bool = True
    #: camera zoom relative to the overview (1 = whole tile)
    zoom: float = 1.0
    #: thickness (µm) of the section through the tile's centre, facing the camera (None: whole tile)
    section_um: float | None = None


_ALL = frozenset(c.key for c in CELL_CLASSES)
VIEW_PRESETS: tuple[ViewPreset, ...] = (
    ViewPreset("overview", "Overview",
               "Haematopoietic cells, megakaryocytes, infused MSCs and platelets in a 200 \u00b5m slice through "
               "the tile; stroma hidden.",
               frozenset(c.key for c in CELL_CLASSES if c.shown), section_um=200.0),
    ViewPreset("megakaryocytes", "Focus on megakaryocytes",
               "Only megakaryocytes, their progenitors and the sinusoids, closer in and in a 120 \u00b5m "
               "section: watch them dock (white ring) and release platelets (yellow ring).",
               frozenset({"mkp", "mk", "mk_docked", "mk_releasing"}), zoom=0.7, section_um=120.0),
    ViewPreset("stem_cells", "Stem cells and niches",
               "Host and donor stem cells with the stroma and infused MSCs that make their niches.",
               frozenset({"hsc_host", "hsc_donor", "stroma", "msc"}), section_um=200.0),
    ViewPreset("everything", "Everything", "Every cell class, stroma included, in the whole tile.", _ALL),
)
PRESET_INDEX = {p.key: i for i, p in enumerate(VIEW_PRESETS)}


def hex_to_rgba(colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    c = colour.lstrip("#")
    return (int(c[0:2], 16) / 255.0, int(c[2:4], 16) / 255.0, int(c[4:6], 16) / 255.0, float(alpha))


STROMA_ALPHA = 0.45
#: opacity of the sinusoid tubes, intact and fully disrupted (in between: blended)
VESSEL_ALPHA = 0.30
VESSEL_DISRUPTED_ALPHA = 0.15
#: (N_CLASSES, 4) face colours
FACE_RGBA = np.array([hex_to_rgba(c.colour, STROMA_ALPHA if c.key == "stroma" else 1.0) for c in CELL_CLASSES],
                     np.float32)
#: (N_CLASSES, 4) edge colours (transparent where no outline)
EDGE_RGBA = np.array([hex_to_rgba(c.edge) if c.edge else (0.0, 0.0, 0.0, 0.0) for c in CELL_CLASSES],
                     np.float32)
#: (N_CLASSES,) outline width in µm (scene scaling): MK states by a thick ring
EDGE_WIDTH_UM = np.array([(4.0 if c.key.startswith("mk_") else 1.5) if c.edge else 0.0 for c in CELL_CLASSES],
                         np.float32)
SPHERICAL = np.array([c.spherical for c in CELL_CLASSES], bool)
SYMBOLS = np.array([c.symbol for c in CELL_CLASSES])
DEFAULT_SHOWN = np.array([c.shown for c in CELL_CLASSES], bool)


def classify(kinds: np.ndarray, origin: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Display class of each agent (index into CELL_CLASSES)."""
    cls = np.full(kinds.shape, CLASS_INDEX["stroma"], np.int8)
    hspc = kinds == A.HSPC
    cls[hspc & (origin == A.DONOR)] = CLASS_INDEX["hsc_donor"]
    cls[hspc & (origin != A.DONOR)] = CLASS_INDEX["hsc_host"]
    cls[kinds == A.MKP] = CLASS_INDEX["mkp"]
    mk = kinds == A.MK
    cls[mk] = CLASS_INDEX["mk"]
    cls[mk & (state == A.DOCKED)] = CLASS_INDEX["mk_docked"]
    cls[mk & (state == A.RELEASING)] = CLASS_INDEX["mk_releasing"]
    cls[kinds == A.STROMA] = CLASS_INDEX["stroma"]
    cls[kinds == A.MSC] = CLASS_INDEX["msc"]
    cls[kinds == A.PLATELET] = CLASS_INDEX["platelet"]
    return cls


# plot series colours
PLOT_COLOURS = {
    "platelets": BLUE,
    "anc": SKY_BLUE,
    "normal_range": (0, 158, 115, 45),      # bluish green, translucent
    "donor_chimerism": ORANGE,
    "niche_occupancy": BLUE,
    "tpo": VERMILLION,
    "mk": REDDISH_PURPLE,
    "mk_vessel_fraction": BLUISH_GREEN,
    "event_instant": (90, 90, 90),
    "event_region": (230, 159, 0, 28),
}


def pretty_unit(unit: str) -> str:
    """'10^3/uL' -> '×10³/µL' for labels."""
    sup = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    out = unit.replace("uL", "µL").replace("um", "µm")
    if "^" in out:
        head, _, tail = out.partition("^")
        digits = ""
        while tail and (tail[0].isdigit() or tail[0] == "-"):
            digits += tail[0]
            tail = tail[1:]
        out = head + digits.translate(sup) + tail
    if out.startswith("10"):
        out = "\u00d7" + out
    return out
