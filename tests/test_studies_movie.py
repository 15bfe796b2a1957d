"""Movie writer (studies.movie): decodable MP4/GIF with the right frame count, burned-in day, atomic files."""
import imageio.v3 as iio
import imageio_ffmpeg
import numpy as np
import pytest

from engine import InputError
from studies.movie import MovieWriter, _FONT, burn_in_text, text_mask, write_movie


def frames(n, h=75, w=101):
    """Distinct coloured frames (odd size on purpose)."""
    out = []
    for i in range(n):
        f = np.zeros((h, w, 3), np.uint8)
        f[..., 0] = 40 + 12 * i
        f[..., 2] = 120
        out.append(f)
    return out


def test_text_mask_draws_the_glyphs_exactly():
    m = text_mask("1", scale=1)
    assert m.shape == (7, 5) and np.array_equal(m, _FONT["1"])
    m2 = text_mask("10", scale=2)
    assert m2.shape == (14, 22)
    assert np.array_equal(m2[::2, 12::2], _FONT["0"])
    assert np.array_equal(text_mask("day", 1), text_mask("DAY", 1))


def test_burn_in_puts_white_ink_in_the_corner_and_leaves_the_rest():
    f = np.full((120, 200, 3), 100, np.uint8)
    out = burn_in_text(f, "Day 1", scale=2, margin=4)
    assert out is not f and np.array_equal(f, np.full((120, 200, 3), 100, np.uint8))
    ink = np.all(out == 255, axis=2)
    assert ink.sum() == text_mask("Day 1", 2).sum()
    ys, xs = np.nonzero(ink)
    assert ys.max() < 40 and xs.max() < 100           # top-left
    assert np.array_equal(out[60:, 120:], f[60:, 120:])  # far corner untouched
    br = burn_in_text(f, "Day 1", corner="bottom-right", scale=2)
    ys, xs = np.nonzero(np.all(br == 255, axis=2))
    assert ys.min() > 80 and xs.min() > 100


def test_mp4_is_decodable_with_all_frames_even_size_and_the_day_label(tmp_path):
    path = tmp_path / "run.mp4"
    calls = []
    write_movie(path, frames(12), fps=10, days=[0.5 * i for i in range(12)], total_frames=12,
                progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (12, 12) and len(calls) == 12
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = reader.__next__()
    assert tuple(meta["size"]) == (100, 74)  # cropped to even width and height
    decoded = [np.frombuffer(b, np.uint8).reshape(74, 100, 3) for b in reader]
    assert len(decoded) == 12
    # the label area is brighter than the same area of the source frame (white text on a dark box)
    label = decoded[3][8:30, 8:70].astype(float)
    assert (label.max(axis=2) > 200).sum() > 30
    assert not list(tmp_path.glob(".run.*"))  # no temporary file left


def test_gif_has_the_right_frame_count(tmp_path):
    path = tmp_path / "run.gif"
    with MovieWriter(path, fps=5) as mw:
        for i, f in enumerate(frames(4)):
            mw.add_frame(f, day=float(i))
    imgs = iio.imread(path, index=None)
    assert imgs.shape[0] == 4 and imgs.shape[1:3] == (75, 101)


def test_failed_recording_leaves_no_file_and_keeps_an_existing_one(tmp_path):
    path = tmp_path / "keep.mp4"
    path.write_bytes(b"old movie")
    with pytest.raises(RuntimeError):
        with MovieWriter(path, fps=10) as mw:
            mw.add_frame(frames(1)[0])
            raise RuntimeError("grab failed")
    assert path.read_bytes() == b"old movie"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.mp4"]
    with pytest.raises(ValueError, match="no frames"):
        MovieWriter(tmp_path / "empty.mp4").close()
    assert not (tmp_path / "empty.mp4").exists()


def test_bad_arguments():
    with pytest.raises(InputError, match=r"\.mp4 or \.gif"):
        MovieWriter("movie.avi")
    with pytest.raises(InputError, match="frame rate"):
        MovieWriter("movie.mp4", fps=0)
    with pytest.raises(ValueError, match="frame"):
        burn_in_text(np.zeros((5,)), "x")
