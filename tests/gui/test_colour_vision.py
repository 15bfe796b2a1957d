"""The 3D view's cell classes stay apart for readers with a colour-vision deficiency (Machado 2009)."""
from __future__ import annotations

import itertools

import numpy as np

from gui.colour_vision import DEFICIENCIES, blend, delta_e, hex_rgb, simulate

#: below this CIE76 Delta E two colours are hard to tell apart at a glance (about 10x a just-noticeable
#: difference); such classes must differ in symbol or size too
CLOSE = 20.0


def _seen(rgb, vision):
    return rgb if vision == "normal" else simulate(rgb, vision)


def _classes():
    from gui import palette as P

    bg = hex_rgb(P.VIEW_BACKGROUND)
    out = {}
    for c in P.CELL_CLASSES:
        rgb = hex_rgb(c.colour)
        if c.key == "stroma":
            rgb = blend(rgb, bg, P.STROMA_ALPHA)
        out[c.key] = rgb
    return out, bg


def _size_class(key):
    return {"mk": "large", "mk_docked": "large", "mk_releasing": "large", "platelet": "dot"}.get(key, "small")


def test_every_class_stands_out_from_the_background():
    colours, bg = _classes()
    for vision in ("normal", *DEFICIENCIES):
        for key, rgb in colours.items():
            limit = 15.0 if key == "stroma" else 40.0        # stroma is meant to be faint
            assert delta_e(_seen(rgb, vision), _seen(bg, vision)) > limit, (vision, key)


def test_classes_that_look_alike_differ_in_shape_size_or_outline():
    from gui import palette as P

    colours, _ = _classes()
    cls = {c.key: c for c in P.CELL_CLASSES}
    close_pairs = set()
    for vision in ("normal", *DEFICIENCIES):
        for a, b in itertools.combinations(colours, 2):
            if delta_e(_seen(colours[a], vision), _seen(colours[b], vision)) < CLOSE:
                close_pairs.add((a, b))
                ca, cb = cls[a], cls[b]
                assert (ca.symbol != cb.symbol or _size_class(a) != _size_class(b) or ca.edge != cb.edge), \
                    (vision, a, b)
    # the megakaryocyte states share a colour and differ only by their rings
    assert ("mk", "mk_docked") in close_pairs


def test_megakaryocytes_differ_from_stroma_and_damaged_vessels_for_every_reader():
    """The issue's finding: deuteranopia turned MKs, stroma and disrupted vessels into one grey."""
    from gui import palette as P

    colours, bg = _classes()
    bad_vessel = blend(hex_rgb(P.VESSEL_DISRUPTED), bg, P.VESSEL_DISRUPTED_ALPHA)
    for vision in ("normal", *DEFICIENCIES):
        mk = _seen(colours["mk"], vision)
        assert delta_e(mk, _seen(colours["stroma"], vision)) > 30, vision
        assert delta_e(mk, _seen(bad_vessel, vision)) > 30, vision


def test_simulation_matrices_keep_white_and_grey():
    grey = np.array([0.5, 0.5, 0.5])
    for d in DEFICIENCIES:
        np.testing.assert_allclose(simulate(np.ones(3), d), np.ones(3), atol=0.02)
        np.testing.assert_allclose(simulate(grey, d), grey, atol=0.02)
    # and they do change a red-green pair for the red-green deficiencies
    red, green = hex_rgb("#D55E00"), hex_rgb("#009E73")
    assert delta_e(simulate(red, "deuteranopia"), simulate(green, "deuteranopia")) < delta_e(red, green)
