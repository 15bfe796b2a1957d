"""A PNG chart of throughput against agent count (Pillow, which imageio already brings; no matplotlib)."""
from __future__ import annotations

import math
from pathlib import Path

from engine.files import atomic_write

W, H = 900, 560
LEFT, RIGHT, TOP, BOTTOM = 95, 30, 60, 80
COLORS = {"agent": (31, 119, 180), "agent1": (140, 190, 230), "whole": (214, 39, 40), "numpy": (44, 160, 44),
          "target": (120, 120, 120)}


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow < 10.1: one bitmap size
        return ImageFont.load_default()


def _nice_ticks(lo, hi):
    """Powers of ten and their 2x, 5x between lo and hi (log axis)."""
    ticks = []
    e = math.floor(math.log10(lo))
    while 10 ** e <= hi * 1.0001:
        for m in (1, 2, 5):
            v = m * 10 ** e
            if lo * 0.9999 <= v <= hi * 1.0001:
                ticks.append(v)
        e += 1
    return ticks


def _fmt(v):
    if v >= 1e6:
        return f"{v / 1e6:g}M"
    if v >= 1e3:
        return f"{v / 1e3:g}k"
    return f"{v:g}"


def throughput_png(result: dict, path: str | Path, target: float = 10e6) -> Path | None:
    """Plot agent-updates/s (agent phases and whole step, median with min-max bars) against agents."""
    from PIL import Image, ImageDraw

    rows = (result.get("engine") or {}).get("sizes") or []
    if not rows:
        return None
    series = {
        "agent": [(r["agents"], r["agent_updates_per_s"]) for r in rows],
        "whole": [(r["agents"], r["whole_step_agent_updates_per_s"]) for r in rows],
    }
    one = [(r["one_thread"]["agents"], r["one_thread"]["agent_updates_per_s"]) for r in rows if r.get("one_thread")]
    if one:
        series["agent1"] = one
    np_rows = (result.get("numpy") or {}).get("sizes") or []
    if np_rows:
        series["numpy"] = [(r["agents"], {"median": r["agents"] / (r["numpy_core_ms"]["median"] / 1e3),
                                          "min": r["agents"] / (r["numpy_core_ms"]["max"] / 1e3),
                                          "max": r["agents"] / (r["numpy_core_ms"]["min"] / 1e3)})
                           for r in np_rows]
    xs = [x for s in series.values() for x, _ in s]
    ys = [v[k] for s in series.values() for _, v in s for k in ("min", "max") if v[k] == v[k] and v[k] > 0]
    ys.append(target)
    x0, x1 = min(xs) / 1.5, max(xs) * 1.5
    y0, y1 = min(ys) / 2.0, max(ys) * 2.5

    def px(x):
        return LEFT + (math.log10(x) - math.log10(x0)) / (math.log10(x1) - math.log10(x0)) * (W - LEFT - RIGHT)

    def py(y):
        return H - BOTTOM - (math.log10(y) - math.log10(y0)) / (math.log10(y1) - math.log10(y0)) * (H - TOP - BOTTOM)

    img = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(img)
    f_small, f_mid, f_big = _font(13), _font(15), _font(18)
    # grid and axes
    for t in _nice_ticks(y0, y1):
        y = py(t)
        d.line([(LEFT, y), (W - RIGHT, y)], fill=(230, 230, 230))
        d.text((LEFT - 8, y), _fmt(t), fill="black", font=f_small, anchor="rm")
    for t in _nice_ticks(x0, x1):
        x = px(t)
        d.line([(x, TOP), (x, H - BOTTOM)], fill=(230, 230, 230))
        d.text((x, H - BOTTOM + 8), _fmt(t), fill="black", font=f_small, anchor="mt")
    d.rectangle([LEFT, TOP, W - RIGHT, H - BOTTOM], outline="black")
    d.text((W / 2, 20), "NicheLab engine throughput against agent count", fill="black", font=f_big, anchor="mm")
    d.text((W / 2, H - 30), "agents in the tile (log scale)", fill="black", font=f_mid, anchor="mm")
    label = Image.new("RGB", (300, 24), "white")
    ImageDraw.Draw(label).text((150, 12), "agent-updates per second (log)", fill="black", font=f_mid, anchor="mm")
    img.paste(label.rotate(90, expand=True), (8, int(TOP + (H - TOP - BOTTOM) / 2 - 150)))
    # target
    yt = py(target)
    for xx in range(LEFT, W - RIGHT, 12):
        d.line([(xx, yt), (min(xx + 6, W - RIGHT), yt)], fill=COLORS["target"], width=2)
    d.text((W - RIGHT - 6, yt - 4), "target 10M/s at 100k (agent phases)", fill=COLORS["target"], font=f_small,
           anchor="rb")
    names = {"agent": "engine, agent phases (movement+neighbours+fates), 2 threads",
             "agent1": "the same on 1 thread", "whole": "engine, whole step (+ field), 2 threads",
             "numpy": "NumPy reference: field + movement + fates"}
    for key, pts in series.items():
        col = COLORS[key]
        pts = sorted(pts, key=lambda p: p[0])
        coords = [(px(x), py(v["median"])) for x, v in pts]
        if len(coords) > 1:
            d.line(coords, fill=col, width=3)
        for (x, v), (cx, cy) in zip(pts, coords):
            if v["min"] > 0 and v["max"] > 0:
                d.line([(cx, py(v["min"])), (cx, py(v["max"]))], fill=col, width=2)
            d.ellipse([cx - 5, cy - 5, cx + 5, cy + 5], fill=col)
    # legend, bottom right (the curves run across the upper half)
    keys = [k for k in ("agent", "agent1", "whole", "numpy") if k in series]
    lx, ly = W - RIGHT - 430, H - BOTTOM - 12 - 20 * len(keys)
    d.rectangle([lx - 8, ly - 6, W - RIGHT - 6, H - BOTTOM - 8], fill="white", outline=(200, 200, 200))
    for key in keys:
        d.line([(lx, ly + 7), (lx + 28, ly + 7)], fill=COLORS[key], width=3)
        d.ellipse([lx + 10, ly + 3, lx + 18, ly + 11], fill=COLORS[key])
        d.text((lx + 36, ly), names[key], fill="black", font=f_small)
        ly += 20
    path = Path(path)
    atomic_write(path, lambda tmp: img.save(tmp, format="PNG"), suffix=".png")
    return path
