#!/usr/bin/env python3
"""Render the app icon (resources/icons/nichelab.svg) to PNG sizes, a Windows .ico and a macOS .icns.

    python packaging/make_icons.py            # writes resources/icons/nichelab-{16..1024}.png, .ico, .icns
    python packaging/make_icons.py --check    # exit 1 if an output is missing or older than the SVG

Uses Qt's SVG renderer offscreen (no display needed). The .ico and .icns
containers hold PNG images, which Windows (Vista and later) and macOS read;
they are written here directly, so no image library beyond Qt is needed.
"""
from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SVG = ICONS / "nichelab.svg"
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
#: ICNS element types holding PNG data, by pixel size (the @2x types ic10..ic14 would only repeat
#: these images, or add a 1024 px one, and make the file several times larger)
ICNS_TYPES = ((b"icp4", 16), (b"icp5", 32), (b"icp6", 64), (b"ic07", 128), (b"ic08", 256), (b"ic09", 512))


def render_png(size: int) -> bytes:
    """The SVG drawn at size x size pixels, as PNG bytes."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(SVG))
    if not renderer.isValid():
        raise SystemExit(f"make_icons: {SVG}: not a valid SVG")
    img = QImage(size, size, QImage.Format_ARGB32_Premultiplied)
    img.fill(Qt.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.Antialiasing)
    p.setRenderHint(QPainter.SmoothPixmapTransform)
    renderer.render(p)
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A .ico file whose entries are PNG images (one per size)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = 6 + 16 * len(sizes)
    entries, blobs = b"", b""
    for s in sizes:
        data = pngs[s]
        dim = 0 if s >= 256 else s  # 0 means 256 in the ICO directory
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        blobs += data
        offset += len(data)
    return header + entries + blobs


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A .icns file of PNG elements (macOS 10.7+)."""
    body = b""
    for kind, size in ICNS_TYPES:
        if size in pngs:
            body += kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size]
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def outputs() -> list[Path]:
    return ([ICONS / f"nichelab-{s}.png" for s in PNG_SIZES] + [ICONS / "nichelab.ico", ICONS / "nichelab.icns"])


def up_to_date() -> bool:
    if not SVG.is_file():
        return False
    t = SVG.stat().st_mtime
    return all(p.is_file() and p.stat().st_mtime >= t for p in outputs())


def make_icons() -> list[Path]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 - fonts/painting need it
    pngs = {s: render_png(s) for s in sorted(set(PNG_SIZES) | set(ICO_SIZES))}
    written = []
    for s in PNG_SIZES:
        path = ICONS / f"nichelab-{s}.png"
        path.write_bytes(pngs[s])
        written.append(path)
    (ICONS / "nichelab.ico").write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    (ICONS / "nichelab.icns").write_bytes(icns_bytes(pngs))
    written += [ICONS / "nichelab.ico", ICONS / "nichelab.icns"]
    return written


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only check that the outputs exist and are current")
    args = ap.parse_args(argv)
    if args.check:
        ok = up_to_date()
        print("icons up to date" if ok else "icons missing or older than the SVG")
        return 0 if ok else 1
    for path in make_icons():
        print(f"{path.relative_to(ROOT)}  {path.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
