"""File helpers shared by everything that reads or writes user files.

Reading (every failure is an :class:`InputError` naming the file; nothing is read before the
file is known to be a regular file of bounded size):

* :func:`read_user_bytes` refuses folders, devices, pipes and sockets (``/dev/zero``, a FIFO)
  and files above a size cap, and never blocks on a pipe.
* :func:`read_toml` / :func:`parse_toml_text` parse TOML; too deep nesting (a RecursionError in
  the parser), numbers with thousands of digits and malformed text are InputErrors.
* :func:`check_depth` bounds the nesting of parsed data (TOML or JSON).

Writing:

* :func:`atomic_write` / :func:`atomic_write_text` write through a temporary file in the
  same folder, flushed to disk (fsync), then renamed into place, so a crash never leaves a
  half-written file behind. Temporary files carry the writer's process id; ones left by a
  killed process are removed by the next write to the same file and by
  :func:`remove_orphan_temps` (called on start for the app's own folders).
* :func:`check_output_file` / :func:`check_output_dir` check an output path before any work is
  done: not a folder (or not a file), writable, name and path not too long, enough free space.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
import tomllib
from pathlib import Path
from typing import Callable

from .errors import InputError, shorten

#: size caps of user files (bytes); a file above its cap is refused before it is read
MAX_TOML_BYTES = 4 * 1024 * 1024
MAX_SCENARIO_BYTES = 1024 * 1024
#: deepest nesting of tables/lists accepted in a user file (the schemas need 4)
MAX_DEPTH = 32
#: free space an output needs beyond its own estimated size
FREE_SPACE_MARGIN = 256 * 1024

TMP_MARK = ".nichelab-tmp-"
#: a temporary file of a process still alive is left alone unless older than this (pid reuse)
ORPHAN_MAX_AGE_S = 24 * 3600.0


# ------------------------------------------------------------------ reading

def path_exists(path) -> bool:
    """``Path.exists`` that is False (not an OSError) for names too long or otherwise impossible."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def read_user_bytes(path, what: str = "file", max_bytes: int = MAX_TOML_BYTES) -> bytes:
    """The bytes of a user's file; InputError for a missing, unreadable, non-regular or too large file.

    Opened without blocking (a named pipe with no writer would hang a plain open), checked with
    fstat on the open descriptor (no race with a swap of the path), read up to ``max_bytes``."""
    path = Path(path)
    file = str(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise InputError("file not found", file=file) from None
    except IsADirectoryError:
        raise InputError(f"is a folder, not a {what}", file=file) from None
    except PermissionError:
        raise InputError("permission denied: cannot read the file", file=file) from None
    except OSError as exc:
        raise InputError(f"cannot open file: {exc.strerror or exc}", file=file) from None
    except ValueError:  # a NUL character in the path
        raise InputError("not a valid file name", file=shorten(file)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise InputError(f"is a folder, not a {what}", file=file)
        if not stat.S_ISREG(st.st_mode):
            raise InputError(f"not a regular file (a device, pipe or socket), not a {what}", file=file)
        if st.st_size > max_bytes:
            raise InputError(f"file too large for a {what}", file=file, expected=f"at most {max_bytes} bytes",
                             found=st.st_size)
        chunks, total = [], 0
        while total <= max_bytes:
            try:
                chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            except BlockingIOError:          # a regular file never blocks; be safe anyway
                break
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:
            raise InputError(f"file too large for a {what}", file=file, expected=f"at most {max_bytes} bytes",
                             found=f"more than {max_bytes}")
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", file=file) from None
    finally:
        os.close(fd)


def decode_text(raw: bytes, file: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InputError("not a text (UTF-8) file", file=file) from None


def number_error_text(exc: ValueError) -> str:
    """The parsers' ValueError in words (Python's limit on the digits of an integer, NaN, ...)."""
    text = str(exc)
    if "Exceeds the limit" in text and "digits" in text:
        return "a number with thousands of digits (at most 4300)"
    return text


def check_depth(data: object, file: str | None, limit: int = MAX_DEPTH) -> None:
    """InputError when tables/lists in ``data`` nest deeper than ``limit`` (checked without recursion)."""
    stack = [(data, 1)]
    while stack:
        obj, depth = stack.pop()
        if isinstance(obj, dict):
            children = obj.values()
        elif isinstance(obj, list):
            children = obj
        else:
            continue
        if depth > limit:
            raise InputError("tables or lists nested too deeply", file=file,
                             expected=f"at most {limit} levels", found=f"more than {limit}")
        stack.extend((c, depth + 1) for c in children if isinstance(c, (dict, list)))


def parse_toml_text(text: str, file: str | None, what: str = "file") -> dict:
    """Parse TOML text from a user; every failure (syntax, nesting, huge numbers) is an InputError."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"malformed TOML: {exc}", file=file) from None
    except RecursionError:
        raise InputError("tables or lists nested too deeply", file=file,
                         expected=f"at most {MAX_DEPTH} levels") from None
    except ValueError as exc:    # e.g. an integer beyond Python's digit limit
        raise InputError(f"malformed TOML: {number_error_text(exc)}", file=file) from None
    check_depth(data, file)
    return data


def read_toml(path, what: str = "file", max_bytes: int = MAX_TOML_BYTES) -> dict:
    """Read a TOML file into a dict; every failure is an InputError naming the file."""
    raw = read_user_bytes(path, what, max_bytes)
    return parse_toml_text(decode_text(raw, str(path)), str(path), what)


# ------------------------------------------------------------------ writing

def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _tmp_prefix(path: Path) -> str:
    """Start of the temporary files' names for ``path`` (kept short: the name must stay legal)."""
    name = path.name
    if len(name.encode("utf-8", "surrogateescape")) > 60:
        name = name[:24] + "-" + hashlib.sha1(name.encode("utf-8", "surrogateescape")).hexdigest()[:10]
    return f".{name}{TMP_MARK}"


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True                     # no cheap check: age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def remove_orphan_temps(folder, prefix: str | None = None) -> list[Path]:
    """Remove temporary files of atomic writes left in ``folder`` by killed processes.

    A temporary file is an orphan when the process named in it is gone, or when it is older than
    ORPHAN_MAX_AGE_S. ``prefix``: only those of one target file. Returns the files removed; never
    raises for a folder it cannot list."""
    removed = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    now = time.time()
    for entry in entries:
        name = entry.name
        if TMP_MARK not in name or not name.startswith(".") or (prefix and not name.startswith(prefix)):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            pid_text = name.split(TMP_MARK, 1)[1].split("-", 1)[0]
            pid = int(pid_text) if pid_text.isdigit() else -1
            old = now - entry.stat(follow_symlinks=False).st_mtime > ORPHAN_MAX_AGE_S
            if pid == os.getpid() and not old:
                continue
            if pid < 0 or old or not _pid_alive(pid):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
        except OSError:
            continue
    return removed


def _fsync_path(path: str | Path, directory: bool = False) -> None:
    if directory and os.name != "posix":
        return
    flags = os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        if directory:
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not directory:               # some file systems cannot sync a folder
            raise
    finally:
        os.close(fd)


def atomic_write(path: str | Path, write: Callable[[str], None], suffix: str = "") -> None:
    """Call ``write(tmp_path)`` on a temporary file beside ``path``, flush it to disk, then rename it
    into place (and flush the folder), so a crash leaves either the old or the new file.

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
    prefix = _tmp_prefix(path)
    remove_orphan_temps(path.parent, prefix)
    fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", suffix=suffix, dir=str(path.parent))
    os.close(fd)
    try:
        write(tmp)
        _fsync_path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the file the usual permissions
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_path(path.parent, directory=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file (UTF-8, newlines as given) atomically."""
    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)

    atomic_write(path, write)


# ------------------------------------------------------------------ checking outputs before work

def _limits(folder: Path) -> tuple[int, int]:
    """(longest file name in bytes, longest path in bytes) for ``folder``."""
    name_max, path_max = 255, 4096 if os.name == "posix" else 260
    if hasattr(os, "pathconf"):
        try:
            name_max = int(os.pathconf(folder, "PC_NAME_MAX"))
            path_max = int(os.pathconf(folder, "PC_PATH_MAX"))
        except (OSError, ValueError):
            pass
    return name_max, path_max


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not path_exists(p):
        if p.parent == p:
            break
        p = p.parent
    return p


def _check_names(path: Path, value: str, field: str) -> Path:
    """The absolute path, after checking the lengths of its parts; returns its nearest existing folder."""
    if "\x00" in value:
        raise InputError("the path contains a NUL character", field=field, expected="a file path",
                         found=value)
    full = Path(os.path.abspath(path))
    name_max, path_max = _limits(Path(full.anchor or "/"))
    size = len(os.fsencode(str(full)))
    if size >= path_max:
        raise InputError("path too long", field=field, expected=f"fewer than {path_max} bytes", found=size)
    for part in full.parts[1:]:
        if len(os.fsencode(part)) > name_max:
            raise InputError("file or folder name too long", field=field,
                             expected=f"at most {name_max} bytes per name", found=part)
    return _existing_ancestor(full.parent)


def _probe_folder(folder: Path, value: str, field: str, need_bytes: int) -> None:
    if not folder.is_dir():
        raise InputError(f"not a folder: {folder}", field=field, expected="a path inside a writable folder",
                         found=value)
    try:
        fd, probe = tempfile.mkstemp(prefix=".nichelab-write-check-", dir=str(folder))
    except OSError as exc:
        raise InputError(f"cannot write in folder {folder}: {exc.strerror or exc}", field=field,
                         expected="a writable folder", found=value) from None
    os.close(fd)
    try:
        os.unlink(probe)
    except OSError:
        pass
    _check_space(folder, value, field, need_bytes)


def _probe_create(anc: Path, value: str, field: str, need_bytes: int) -> None:
    """The missing folders of an output path can be made inside ``anc`` (tried with a scratch folder)."""
    if not anc.is_dir():
        raise InputError(f"not a folder: {anc}", field=field, expected="a path inside a folder", found=value)
    try:
        probe = tempfile.mkdtemp(prefix=".nichelab-write-check-", dir=str(anc))
    except OSError as exc:
        raise InputError(f"cannot create a folder in {anc}: {exc.strerror or exc}", field=field,
                         expected="a writable folder", found=value) from None
    try:
        os.rmdir(probe)
    except OSError:
        pass
    _check_space(anc, value, field, need_bytes)


def _check_space(folder: Path, value: str, field: str, need_bytes: int) -> None:
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return
    need = int(need_bytes) + FREE_SPACE_MARGIN
    if free < need:
        raise InputError(f"not enough free disk space in {folder}", field=field,
                         expected=f"at least {need} bytes free", found=f"{free} bytes free")


def check_output_file(value: str, field: str, *, stdout_ok: bool = True, need_bytes: int = 0) -> str:
    """Check an output file given by the user before any work is done; returns the value.

    ``-`` means standard output (when ``stdout_ok``). Refused, as InputError naming ``field``: an
    empty name, a folder, a device or pipe (except the null device), a read-only file, a folder
    that cannot be written or created, a name or path too long, less free space than
    ``need_bytes``."""
    if value is None:
        return value
    if value == "":
        raise InputError("empty file name", field=field,
                         expected="a file path" + (" or '-' for standard output" if stdout_ok else ""), found="")
    if value == "-":
        if stdout_ok:
            return value
        raise InputError("standard output is not possible here", field=field, expected="a file path",
                         found=value)
    path = Path(value)
    anc = _check_names(path, value, field)
    try:
        target = path.resolve() if path.is_symlink() else path
    except (OSError, RuntimeError):        # a symbolic-link loop
        raise InputError("cannot follow the symbolic link", field=field, expected="a file path",
                         found=value) from None
    if path_exists(target):
        if target.is_dir():
            raise InputError("is a folder, not a file", field=field, expected="a file path", found=value)
        if not target.is_file():
            if os.path.realpath(target) == os.path.realpath(os.devnull):
                return value
            raise InputError("not a regular file (a device, pipe or socket)", field=field,
                             expected="a file path" + (" ('-' for standard output)" if stdout_ok else ""),
                             found=value)
        if not os.access(target, os.W_OK):
            raise InputError("the file is read-only", field=field, expected="a writable file", found=value)
    folder = Path(os.path.abspath(target)).parent
    if path_exists(folder):
        _probe_folder(folder, value, field, need_bytes)
    else:
        _probe_create(anc, value, field, need_bytes)
    return value


def check_output_dir(value: str, field: str, *, need_bytes: int = 0) -> str:
    """Check an output folder (created later if missing) before any work is done; returns the value."""
    if value is None:
        return value
    if value == "":
        raise InputError("empty folder name", field=field, expected="a folder path", found="")
    path = Path(value)
    anc = _check_names(path / "x", value, field)
    if path_exists(path):
        if not path.is_dir():
            raise InputError("not a folder", field=field, expected="a folder path", found=value)
        _probe_folder(path, value, field, need_bytes)
        return value
    _probe_create(anc, value, field, need_bytes)
    return value
