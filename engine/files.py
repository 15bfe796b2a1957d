"""File helpers shared by everything that reads or writes user files.

* :func:`read_toml` reads a TOML file; every failure is an InputError naming the file.
* :func:`atomic_write` / :func:`atomic_write_text` write through a temporary file in the
  same folder and a rename, so a crash never leaves a half-written file behind.
"""
from __future__ import annotations

import os
import tempfile
import tomllib
from pathlib import Path
from typing import Callable

from .errors import InputError

def read_toml(path, what: str = "file") -> dict:
    """Read a TOML file into a dict; every failure is an InputError naming the file."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("file not found", file=str(path)) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a {what}", file=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", file=str(path)) from None
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", file=str(path)) from None


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str | Path, write: Callable[[str], None], suffix: str = "") -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, then rename it into place.

    A symbolic link is followed (its target is replaced, the link kept). A path that is neither a
    regular file nor a folder (``/dev/null``, a named pipe, a terminal) is written directly: renaming
    a file onto it would replace the device itself."""
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()
    if path.exists() and not path.is_file() and not path.is_dir():
        write(str(path))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=str(path.parent))
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file (UTF-8, newlines as given) atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    atomic_write(path, write)
