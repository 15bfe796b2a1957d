"""The one colour palette of NicheLab: the 3D view, the live plots, report figures and lesson
images all take their colours from here, so that a megakaryocyte is the same colour everywhere.

Okabe & Ito (2008), "Color Universal Design": eight colours that stay distinct under the common
colour-vision deficiencies.
"""
from __future__ import annotations

BLACK = "#000000"
ORANGE = "#E69F00"
SKY_BLUE = "#56B4E9"
BLUISH_GREEN = "#009E73"
YELLOW = "#F0E442"
BLUE = "#0072B2"
VERMILLION = "#D55E00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#999999"
WHITE = "#FFFFFF"

#: the eight Okabe-Ito colours in the order series of a plot take them
SERIES = (BLUE, VERMILLION, BLUISH_GREEN, REDDISH_PURPLE, ORANGE, SKY_BLUE, YELLOW, BLACK)

#: colour of each kind of cell (keys as the 3D view's cell classes). Chosen with a colour-vision
#: simulation (Machado et al. 2009) on the 3D view's dark background: where two classes come within
#: Delta E 20 for some reader (host HSC / MKP, donor HSC / platelet, MK / MSC ...), they also differ
#: in symbol or size (gui/palette.py), so colour is never the only cue.
CELL = {
    "hsc_host": SKY_BLUE,
    "hsc_donor": ORANGE,
    "mkp": BLUE,
    "mk": REDDISH_PURPLE,
    "stroma": BLUISH_GREEN,
    "msc": BLUISH_GREEN,
    "platelet": YELLOW,
}
#: outlines that mark a megakaryocyte's state in the 3D view
MK_DOCKED_EDGE = WHITE
MK_RELEASING_EDGE = YELLOW

VESSEL = VERMILLION
#: damaged sinusoids: a pale grey (lighter than the dim stroma, so the two differ in lightness too)
VESSEL_DISRUPTED = "#D9D9D9"
BONE = "#DCD3BC"

#: colour of each observable when it is drawn on its own
OBSERVABLE = {
    "platelets": BLUE,
    "platelets_rel": BLUE,
    "donor_chimerism": ORANGE,
    "niche_occupancy": BLUE,
    "tpo_pg_ml": VERMILLION,
    "mk": REDDISH_PURPLE,
    "mkp": SKY_BLUE,
    "mk_vessel_fraction": BLUISH_GREEN,
}


def series_colour(i: int) -> str:
    """Colour of the i-th series of a plot (wraps around after eight)."""
    return SERIES[i % len(SERIES)]


def hex_to_rgb(colour: str) -> tuple[int, int, int]:
    c = colour.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)
