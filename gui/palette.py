"""Colours, symbols and display names of what the 3D view and the plots draw.

The palette is Okabe & Ito (2008), readable with the common colour-vision
deficiencies; every cell class also differs from its neighbours by symbol or
outline, so colour is never the only cue.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import agents as A

from analysis.palette import (BLACK, BLUE, BLUISH_GREEN, BONE, CELL, GREY, ORANGE,  # noqa: F401
                              REDDISH_PURPLE, SKY_BLUE, VERMILLION, WHITE, YELLOW, VESSEL,
                              VESSEL_DISRUPTED)

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


# index = display class id (see classify)
CELL_CLASSES: tuple[CellClass, ...] = (
    CellClass("hsc_host", "HSC (host)", BLUE, "disc", None,
              "Haematopoietic stem/progenitor cell of the recipient, lodged in a niche or homing to one."),
    CellClass("hsc_donor", "HSC (donor)", ORANGE, "disc", None,
              "Transplanted donor stem/progenitor cell: it homes to a free niche and engrafts."),
    CellClass("mkp", "MK progenitor", SKY_BLUE, "disc", None,
              "CXCR4+ megakaryocyte progenitor: expands under TPO and follows SDF-1 towards the sinusoids."),
    CellClass("mk", "Megakaryocyte", REDDISH_PURPLE, "disc", None,
              "Maturing megakaryocyte; its size grows with maturity (ploidy). Away from a sinusoid it "
              "matures slowly and may die."),
    CellClass("mk_docked", "MK docked at sinusoid", REDDISH_PURPLE, "disc", WHITE,
              "Megakaryocyte bound to sinusoidal endothelium (VLA-4 on the cell, VCAM-1 on the vessel): "
              "the vascular niche lets it finish maturing."),
    CellClass("mk_releasing", "MK releasing platelets", REDDISH_PURPLE, "disc", YELLOW,
              "Megakaryocyte extending proplatelets into the vessel lumen: platelets are being released."),
    CellClass("stroma", "Stroma (CAR cell / MSC)", BLUISH_GREEN, "disc", None,
              "Resident CXCL12-abundant reticular (CAR) stromal cells and MSCs: the main SDF-1 source."),
    CellClass("msc", "Infused MSC", BLUISH_GREEN, "diamond", WHITE,
              "Mesenchymal stromal cell given as therapy: extra SDF-1 and niche support."),
    CellClass("platelet", "Platelets in blood flow", YELLOW, "disc", None,
              "Released platelets carried along the sinusoids (display particles; the blood count is in "
              "the plots)."),
)
N_CLASSES = len(CELL_CLASSES)
CLASS_INDEX = {c.key: i for i, c in enumerate(CELL_CLASSES)}


def hex_to_rgba(colour: str, alpha: float = 1.0) -> tuple[float, float, float, float]:
    c = colour.lstrip("#")
    return (int(c[0:2], 16) / 255.0, int(c[2:4], 16) / 255.0, int(c[4:6], 16) / 255.0, float(alpha))


#: (N_CLASSES, 4) face colours
FACE_RGBA = np.array([hex_to_rgba(c.colour) for c in CELL_CLASSES], np.float32)
#: (N_CLASSES, 4) edge colours (transparent where no outline)
EDGE_RGBA = np.array([hex_to_rgba(c.edge) if c.edge else (0.0, 0.0, 0.0, 0.0) for c in CELL_CLASSES],
                     np.float32)
#: (N_CLASSES,) outline width in µm (scene scaling)
EDGE_WIDTH_UM = np.array([3.0 if c.edge else 0.0 for c in CELL_CLASSES], np.float32)
STROMA_ALPHA = 0.35


def classify(kinds: np.ndarray, origin: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Display class of each agent (index into CELL_CLASSES)."""
    cls = np.full(kinds.shape, CLASS_INDEX["stroma"], np.int16)
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
