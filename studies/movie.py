"""Movies of a run: MP4 (H.264 through imageio-ffmpeg) or GIF (imageio/Pillow), day burned in.

    with MovieWriter("run.mp4", fps=24, total_frames=n, progress=bar) as mw:
        for frame, day in frames:           # RGB uint8 (h, w, 3) arrays grabbed by the GUI
            mw.add_frame(frame, day=day)     # draws "Day 12.5" into the corner
    # the file appears (atomically) only when the writer closes without error

``burn_in_text(frame, text)`` draws text with a built-in 5x7 bitmap font (no
font files, no Qt), so the day label looks the same on every platform.
MP4 frames are cropped to even width and height (H.264 / yuv420p needs that);
later frames of another size are cropped or padded to the first frame's size.
GIF frames are kept in memory until the file is closed (GIFs are meant short);
Pillow merges identical consecutive GIF frames into one longer frame.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from engine.errors import InputError

# 5x7 bitmap font: each glyph is 7 rows of 5 columns ('#' = ink), rows separated by '|'.
# Lower case is drawn as upper case; unknown characters as '?'.
_FONT_SRC = {
    "0": ".###.|#...#|#..##|#.#.#|##..#|#...#|.###.", "1": "..#..|.##..|..#..|..#..|..#..|..#..|.###.",
    "2": ".###.|#...#|....#|...#.|..#..|.#...|#####", "3": "#####|...#.|..#..|...#.|....#|#...#|.###.",
    "4": "...#.|..##.|.#.#.|#..#.|#####|...#.|...#.", "5": "#####|#....|####.|....#|....#|#...#|.###.",
    "6": "..##.|.#...|#....|####.|#...#|#...#|.###.", "7": "#####|....#|...#.|..#..|.#...|.#...|.#...",
    "8": ".###.|#...#|#...#|.###.|#...#|#...#|.###.", "9": ".###.|#...#|#...#|.####|....#|...#.|.##..",
    "A": ".###.|#...#|#...#|#####|#...#|#...#|#...#", "B": "####.|#...#|#...#|####.|#...#|#...#|####.",
    "C": ".###.|#...#|#....|#....|#....|#...#|.###.", "D": "###..|#..#.|#...#|#...#|#...#|#..#.|###..",
    "E": "#####|#....|#....|####.|#....|#....|#####", "F": "#####|#....|#....|####.|#....|#....|#....",
    "G": ".###.|#...#|#....|#.###|#...#|#...#|.####", "H": "#...#|#...#|#...#|#####|#...#|#...#|#...#",
    "I": ".###.|..#..|..#..|..#..|..#..|..#..|.###.", "J": "..###|...#.|...#.|...#.|...#.|#..#.|.##..",
    "K": "#...#|#..#.|#.#..|##...|#.#..|#..#.|#...#", "L": "#....|#....|#....|#....|#....|#....|#####",
    "M": "#...#|##.##|#.#.#|#.#.#|#...#|#...#|#...#", "N": "#...#|#...#|##..#|#.#.#|#..##|#...#|#...#",
    "O": ".###.|#...#|#...#|#...#|#...#|#...#|.###.", "P": "####.|#...#|#...#|####.|#....|#....|#....",
    "Q": ".###.|#...#|#...#|#...#|#.#.#|#..#.|.##.#", "R": "####.|#...#|#...#|####.|#.#..|#..#.|#...#",
    "S": ".####|#....|#....|.###.|....#|....#|####.", "T": "#####|..#..|..#..|..#..|..#..|..#..|..#..",
    "U": "#...#|#...#|#...#|#...#|#...#|#...#|.###.", "V": "#...#|#...#|#...#|#...#|#...#|.#.#.|..#..",
    "W": "#...#|#...#|#...#|#.#.#|#.#.#|#.#.#|.#.#.", "X": "#...#|#...#|.#.#.|..#..|.#.#.|#...#|#...#",
    "Y": "#...#|#...#|.#.#.|..#..|..#..|..#..|..#..", "Z": "#####|....#|...#.|..#..|.#...|#....|#####",
    " ": ".....|.....|.....|.....|.....|.....|.....", ".": ".....|.....|.....|.....|.....|.##..|.##..",
    ",": ".....|.....|.....|.....|.##..|..#..|.#...", ":": ".....|.##..|.##..|.....|.##..|.##..|.....",
    "-": ".....|.....|.....|#####|.....|.....|.....", "+": ".....|..#..|..#..|#####|..#..|..#..|.....",
    "/": ".....|....#|...#.|..#..|.#...|#....|.....", "(": "...#.|..#..|.#...|.#...|.#...|..#..|...#.",
    ")": ".#...|..#..|...#.|...#.|...#.|..#..|.#...", "%": "##...|##..#|...#.|..#..|.#...|#..##|...##",
    "=": ".....|.....|#####|.....|#####|.....|.....", "×": ".....|#...#|.#.#.|..#..|.#.#.|#...#|.....",
    "µ": ".....|.....|#..#.|#..#.|#..#.|###.#|#....", "'": "..#..|..#..|.#...|.....|.....|.....|.....",
    "?": ".###.|#...#|....#|...#.|..#..|.....|..#..", "_": ".....|.....|.....|.....|.....|.....|#####",
    "#": ".#.#.|.#.#.|#####|.#.#.|#####|.#.#.|.#.#.", "[": ".###.|.#...|.#...|.#...|.#...|.#...|.###.",
    "]": ".###.|...#.|...#.|...#.|...#.|...#.|.###.",
}
GLYPH_W, GLYPH_H = 5, 7
_FONT = {ch: np.array([[c == "#" for c in row] for row in rows.split("|")], bool)
         for ch, rows in _FONT_SRC.items()}
assert all(g.shape == (GLYPH_H, GLYPH_W) for g in _FONT.values())


def text_mask(text: str, scale: int = 2) -> np.ndarray:
    """Boolean ink mask (h, w) of ``text`` in the built-in font; unknown characters draw as '?'."""
    scale = max(1, int(scale))
    lines = text.split("\n")
    width = max((len(line) for line in lines), default=0)
    h = len(lines) * (GLYPH_H + 2) - 2
    w = max(1, width * (GLYPH_W + 1) - 1)
    mask = np.zeros((max(1, h), w), bool)
    for li, line in enumerate(lines):
        for ci, ch in enumerate(line):
            g = _FONT.get(ch, _FONT.get(ch.upper(), _FONT["?"]))
            y, x = li * (GLYPH_H + 2), ci * (GLYPH_W + 1)
            mask[y:y + GLYPH_H, x:x + GLYPH_W] = g
    return np.kron(mask, np.ones((scale, scale), bool))


def as_rgb_frame(frame: np.ndarray) -> np.ndarray:
    """uint8 (h, w, 3) copy of an RGB/RGBA/grey frame (floats are taken as 0..1)."""
    a = np.asarray(frame)
    if a.ndim == 2:
        a = np.repeat(a[:, :, None], 3, axis=2)
    if a.ndim != 3 or a.shape[2] not in (3, 4) or a.shape[0] < 2 or a.shape[1] < 2:
        raise ValueError(f"a frame must be an (h, w, 3) RGB or (h, w, 4) RGBA array, got shape {a.shape}")
    a = a[:, :, :3]
    if a.dtype != np.uint8:
        if np.issubdtype(a.dtype, np.floating):
            a = np.clip(np.nan_to_num(a) * 255.0 + 0.5, 0, 255)
        else:
            a = np.clip(a, 0, 255)
        a = a.astype(np.uint8)
    return np.ascontiguousarray(a)


def burn_in_text(frame: np.ndarray, text: str, *, corner: str = "top-left", scale: int | None = None,
                 color: tuple[int, int, int] = (255, 255, 255), background: tuple[int, int, int] | None = (0, 0, 0),
                 alpha: float = 0.55, margin: int = 8) -> np.ndarray:
    """A copy of ``frame`` with ``text`` drawn in a corner ('top-left', 'top-right', 'bottom-left',
    'bottom-right') on a translucent box. ``scale`` (glyphs are 5x7 pixels times scale) defaults to
    about 1/240 of the frame height, at least 2."""
    out = as_rgb_frame(frame).copy()
    h, w = out.shape[:2]
    if scale is None:
        scale = max(2, round(h / 240))
    mask = text_mask(text, scale)
    pad = max(2, scale * 2)
    mh, mw = mask.shape
    bh, bw = min(h, mh + 2 * pad), min(w, mw + 2 * pad)
    y0 = margin if corner.startswith("top") else h - margin - bh
    x0 = margin if corner.endswith("left") else w - margin - bw
    y0, x0 = max(0, min(y0, h - bh)), max(0, min(x0, w - bw))
    box = out[y0:y0 + bh, x0:x0 + bw].astype(np.float32)
    if background is not None:
        box = (1.0 - alpha) * box + alpha * np.array(background, np.float32)
    m = mask[:bh - pad, :bw - pad] if (bh - pad > 0 and bw - pad > 0) else mask[:0, :0]
    sub = box[pad:pad + m.shape[0], pad:pad + m.shape[1]]
    sub[m] = np.array(color, np.float32)
    out[y0:y0 + bh, x0:x0 + bw] = np.clip(box + 0.5, 0, 255).astype(np.uint8)
    return out


def day_label(day: float) -> str:
    return f"Day {day:.1f}"


def frame_days(start_day: float, days: float, per_day: float, dt_hours: float | None = None) -> list[float]:
    """Simulated days of the frames of a movie: ``per_day`` frames per simulated day from ``start_day``
    for ``days`` days, first and last included. With ``dt_hours`` (the model's step) the days fall on
    whole steps and no two frames share a step (a rate above one frame per step is capped)."""
    if not (days > 0 and per_day > 0):
        raise InputError("a movie needs a positive length and frame rate", field="days / frames per day",
                         expected="> 0", found=(days, per_day))
    n = max(1, int(round(days * per_day)))
    out = [start_day + days * k / n for k in range(n + 1)]
    if dt_hours:
        step = dt_hours / 24.0
        snapped = []
        for d in out:
            d = round(d / step) * step
            if not snapped or d > snapped[-1] + 1e-9:
                snapped.append(d)
        out = snapped
    return out


class MovieWriter:
    """Write frames to an MP4 or GIF file; the file appears atomically on :meth:`close`.

    ``progress(done, total)`` is called after each frame (total is ``total_frames`` or None).
    """

    FORMATS = (".mp4", ".gif")

    def __init__(self, path: str | Path, fps: float = 24.0, *, total_frames: int | None = None,
                 progress: Callable[[int, int | None], None] | None = None, quality: float = 7.0,
                 label_corner: str = "top-left"):
        self.path = Path(path)
        self.format = self.path.suffix.lower()
        if self.format not in self.FORMATS:
            raise InputError("unsupported movie format", file=str(self.path), expected=".mp4 or .gif",
                             found=self.path.suffix or "(no extension)")
        if not (0 < float(fps) <= 120):
            raise InputError("frame rate out of range", field="fps", expected="0 < fps <= 120", found=fps)
        self.fps = float(fps)
        self.total_frames = total_frames
        self.progress = progress
        self.quality = quality
        self.label_corner = label_corner
        self.frames_written = 0
        self.size: tuple[int, int] | None = None  # (height, width)
        self._gen = None
        self._gif = None
        self._closed = False
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.path.stem}.", suffix=self.format, dir=str(self.path.parent))
        os.close(fd)
        self._tmp = Path(tmp)

    # ------------------------------------------------------------ frames
    def _fit(self, a: np.ndarray) -> np.ndarray:
        h, w = self.size
        if a.shape[0] == h and a.shape[1] == w:
            return a
        out = np.zeros((h, w, 3), np.uint8)
        hh, ww = min(h, a.shape[0]), min(w, a.shape[1])
        out[:hh, :ww] = a[:hh, :ww]
        return out

    def add_frame(self, frame: np.ndarray, day: float | None = None, text: str | None = None) -> None:
        """Append an RGB frame; ``day`` burns 'Day N.N' in (``text`` adds/replaces the label)."""
        if self._closed:
            raise RuntimeError("movie writer is closed")
        a = as_rgb_frame(frame)
        label = text if text is not None else (day_label(day) if day is not None else None)
        if text is not None and day is not None:
            label = f"{day_label(day)}  {text}"
        if label:
            a = burn_in_text(a, label, corner=self.label_corner)
        if self.size is None:
            h, w = a.shape[:2]
            if self.format == ".mp4":
                h, w = h - h % 2, w - w % 2
            self.size = (h, w)
            self._open()
        a = self._fit(a)
        if self.format == ".mp4":
            self._gen.send(np.ascontiguousarray(a))
        else:
            self._gif.write(a, duration=1000.0 / self.fps, loop=0)
        self.frames_written += 1
        if self.progress:
            self.progress(self.frames_written, self.total_frames)

    def _open(self) -> None:
        h, w = self.size
        if self.format == ".mp4":
            import imageio_ffmpeg

            self._gen = imageio_ffmpeg.write_frames(
                str(self._tmp), (w, h), fps=self.fps, codec="libx264", pix_fmt_in="rgb24",
                pix_fmt_out="yuv420p", quality=self.quality, macro_block_size=1, ffmpeg_log_level="error",
                output_params=["-movflags", "+faststart"])
            self._gen.send(None)
        else:
            import imageio.v3 as iio

            self._gif = iio.imopen(str(self._tmp), "w", plugin="pillow", extension=".gif")

    # ------------------------------------------------------------ finish
    def close(self) -> Path:
        """Finish encoding and move the file into place; returns its path."""
        if self._closed:
            return self.path
        self._closed = True
        try:
            if self.frames_written == 0:
                raise ValueError("no frames were added to the movie")
            if self._gen is not None:
                self._gen.close()
            if self._gif is not None:
                self._gif.close()
            os.replace(self._tmp, self.path)
        except BaseException:
            self._cleanup()
            raise
        return self.path

    def abort(self) -> None:
        """Stop and delete the partial file (the target path is left untouched)."""
        if self._closed:
            return
        self._closed = True
        try:
            if self._gen is not None:
                self._gen.close()
            if self._gif is not None:
                self._gif.close()
        except Exception:
            pass
        self._cleanup()

    def _cleanup(self) -> None:
        try:
            self._tmp.unlink()
        except OSError:
            pass

    def __enter__(self) -> "MovieWriter":
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def write_movie(path: str | Path, frames: Iterable[np.ndarray], fps: float = 24.0, *,
                days: Iterable[float] | None = None, total_frames: int | None = None,
                progress: Callable[[int, int | None], None] | None = None) -> Path:
    """Encode a sequence of frames (optionally with their simulated days) into ``path``."""
    day_iter = iter(days) if days is not None else None
    with MovieWriter(path, fps, total_frames=total_frames, progress=progress) as mw:
        for frame in frames:
            mw.add_frame(frame, day=next(day_iter) if day_iter is not None else None)
    return Path(path)
