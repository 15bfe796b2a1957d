"""Colour-vision deficiency simulation for checking NicheLab's colours and screenshots (numpy only).

Machado, Oliveira & Fernandes (2009), "A physiologically-based model for simulation of color vision
deficiency", IEEE TVCG 15(6):1291-1298, doi:10.1109/TVCG.2009.113: the severity-1.0 matrices of
their Table, applied to linear RGB. Differences are CIE76 Delta E in CIELAB (D65).

    python -m gui.colour_vision shot.png      # writes shot.deuteranopia.png, ... beside it
"""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

MACHADO_2009 = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868],
                            [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968],
                              [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779],
                            [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}
DEFICIENCIES = tuple(MACHADO_2009)


def srgb_to_linear(c: np.ndarray) -> np.ndarray:
    c = np.asarray(c, float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def linear_to_srgb(c: np.ndarray) -> np.ndarray:
    c = np.clip(np.asarray(c, float), 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def simulate(rgb: np.ndarray, deficiency: str) -> np.ndarray:
    """sRGB values in 0..1 (any shape ending in 3) as seen with ``deficiency``."""
    lin = srgb_to_linear(rgb)
    return linear_to_srgb(lin @ MACHADO_2009[deficiency].T)


def to_lab(rgb: np.ndarray) -> np.ndarray:
    """sRGB 0..1 -> CIELAB (D65)."""
    lin = srgb_to_linear(rgb)
    m = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]])
    xyz = lin @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(to_lab(a) - to_lab(b), axis=-1)


def hex_rgb(colour: str) -> np.ndarray:
    c = colour.lstrip("#")
    return np.array([int(c[i:i + 2], 16) / 255.0 for i in (0, 2, 4)])


def blend(colour: np.ndarray, background: np.ndarray, alpha: float) -> np.ndarray:
    """A translucent colour as it shows on ``background``."""
    return alpha * np.asarray(colour) + (1 - alpha) * np.asarray(background)


def min_difference(colours: dict[str, np.ndarray]) -> dict[str, tuple[float, str, str]]:
    """Smallest pairwise Delta E of ``colours`` for normal vision and each deficiency:
    {vision: (delta E, name, name)}."""
    names = list(colours)
    rgb = np.array([colours[n] for n in names])
    out = {}
    for vision in ("normal", *DEFICIENCIES):
        seen = rgb if vision == "normal" else simulate(rgb, vision)
        best = (np.inf, "", "")
        for i in range(len(names)):
            for j in range(i + 1, len(names)):
                d = float(delta_e(seen[i], seen[j]))
                if d < best[0]:
                    best = (d, names[i], names[j])
        out[vision] = best
    return out


def simulate_image(path: str | Path) -> list[Path]:
    """Write ``<stem>.<deficiency>.png`` beside ``path`` for each deficiency (needs imageio)."""
    import imageio.v3 as iio

    path = Path(path)
    img = iio.imread(path)[..., :3].astype(float) / 255.0
    out = []
    for d in DEFICIENCIES:
        sim = (simulate(img, d) * 255.0 + 0.5).astype(np.uint8)
        target = path.with_name(f"{path.stem}.{d}.png")
        iio.imwrite(target, sim)
        out.append(target)
    return out


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        for p in simulate_image(arg):
            print(p)
