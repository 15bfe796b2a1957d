"""numba's on-disk kernel cache: a locator for the frozen app, and damaged or foreign files.

Frozen app. numba looks a kernel's cache up by its source file. In a PyInstaller bundle the
code objects carry relative file names (``engine/fates.py``), so numba's own
locators either fail or fall back to a cache under ``~/.cache/numba`` whose
folder name depends on the current directory: every launch from another
folder would compile again. ``FrozenAppCacheLocator`` puts the cache of every kernel in
``NUMBA_CACHE_DIR/<package>/`` (set by ``engine.runtime.configure_numba_cache``
to a private per-build folder) and stamps entries with the build's key (app version +
engine source hash), so a launch from anywhere reuses it (and the kernels shipped in the
bundle, ``engine.shipped_kernels``, match) and an update never loads stale kernels.

Damaged files (every run, frozen or not). numba unpickles a kernel's index (``.nbi``) and data
(``.nbc``) files; a truncated or garbled one raises EOFError or UnpicklingError from inside the
compiler, so one bad file made every launch fail until the user deleted the cache by hand.
``install_guard`` wraps numba's cache look-up for NicheLab's own kernels: a file that is not a
private regular file of this user's is never read, and one that cannot be read back is removed
with the rest of that kernel's files (nothing else), the kernel is restored from the shipped
copy or compiled again, and one line says so (stderr through the ``nichelab`` logger, the log
file). ``check_cache`` does the same for a whole cache folder without loading anything (it parses
the pickle streams' structure, runs none of them): the GUI runs it before deciding whether its
start-up needs the compile splash.
"""
from __future__ import annotations

import glob
import io
import logging
import os
import pickletools
import re
import sys
from pathlib import Path

from numba.core import caching, config

from . import shipped_kernels
from .private_folders import private_dir, trusted_file

log = logging.getLogger("nichelab")

_STAMP = "unset"
#: the class whose ``_locator_classes`` numba walks (public name since numba 0.6x, private before)
CACHE_IMPL = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")
#: top-level packages whose kernels are NicheLab's own (the guard leaves other programs' caches alone)
OWN_PACKAGES = frozenset({"engine", "analysis", "studies", "validation", "gui", "cli", "benchmarks"})
#: cache folders NicheLab chose (``configure_numba_cache``): every kernel cached there is its own
_own_dirs: list[str] = []
#: (file, why) of each kernel cache file this process found damaged and removed
damaged: list[tuple[str, str]] = []
_ORIGINAL = {}
#: ``<qualname>-<line>.py<ver>[.<n>].nb[ic]`` -> the kernel's file name base
_BASE = re.compile(r"^(?P<base>.+\.py\d+[^.]*?)(?:\.\d+)?\.nb[ic]$")


class FrozenAppCacheLocator(caching._CacheLocator):
    """Cache kernels of a frozen app in ``NUMBA_CACHE_DIR`` whatever the current directory."""

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        package = os.path.basename(os.path.dirname(py_file)) or "kernels"
        self._root = config.CACHE_DIR
        self._cache_path = os.path.join(config.CACHE_DIR, package)

    def ensure_cache_path(self):
        private_dir(self._cache_path, self._root)      # made 0700 and checked, never through a link
        super().ensure_cache_path()

    def get_cache_path(self):
        return self._cache_path

    def get_source_stamp(self):
        return _STAMP

    def get_disambiguator(self):
        return str(self._lineno)

    @classmethod
    def from_function(cls, py_func, py_file):
        if not getattr(sys, "frozen", False) or not config.CACHE_DIR:
            return None
        self = cls(py_func, py_file)
        try:
            self.ensure_cache_path()
        except OSError:  # not writable after all: numba's other locators (or no cache) take over
            return None
        return self


def install(stamp: str, cache_dir: str) -> None:
    """Make numba try this locator first (before its own), with ``stamp`` naming the build."""
    global _STAMP
    _STAMP = stamp
    config.CACHE_DIR = cache_dir
    locators = CACHE_IMPL._locator_classes
    if FrozenAppCacheLocator not in locators:
        locators.insert(0, FrozenAppCacheLocator)


# ---------------------------------------------------------------- damaged or foreign cache files

def _is_own(cache) -> bool:
    module = getattr(cache._py_func, "__module__", None) or ""
    if module.split(".")[0] in OWN_PACKAGES:
        return True
    path = os.path.abspath(cache._cache_path)
    return any(path == d or path.startswith(d + os.sep) for d in _own_dirs)


def _kernel_files(folder: str, base: str) -> list[str]:
    """The index and data files of one kernel (by numba's file name base) that exist in ``folder``."""
    pattern = os.path.join(glob.escape(folder), glob.escape(base))
    return sorted(glob.glob(pattern + ".nbi") + glob.glob(pattern + ".*.nbc"))


def _report(path: str, why: str) -> None:
    first = not damaged
    damaged.append((path, why))
    if first:
        log.warning("the compiled-kernel cache was damaged (%s: %s); removed that kernel's files, "
                    "preparing it again", os.path.basename(path), why)
    else:
        log.info("damaged kernel cache file %s (%s) removed", path, why)


def _discard(folder: str, base: str, path: str, why: str) -> None:
    """Remove one kernel's cache files (only those) and put back the shipped copy if there is one."""
    _report(path, why)
    removed = []
    for f in _kernel_files(folder, base):
        try:
            os.unlink(f)
            removed.append(f)
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not remove the damaged kernel cache file %s: %s", f, exc)
    cache_root = config.CACHE_DIR
    if shipped_kernels.active() and cache_root and os.path.dirname(folder) == os.path.abspath(cache_root):
        package = os.path.basename(folder)
        shipped_kernels.seed(cache_root, {f"{package}/{os.path.basename(f)}" for f in removed} |
                             {f"{package}/{base}.nbi"})


def _guarded_load(self, sig, target_context):
    if not _is_own(self):
        return _ORIGINAL["load"](self, sig, target_context)
    folder, base = self._cache_path, self._impl.filename_base
    for attempt in range(2):
        files = _kernel_files(folder, base)
        foreign = next((f for f in files if not trusted_file(f)), None)
        if foreign is not None:
            _discard(folder, base, foreign, "not a private file of this user's")
            continue
        try:
            return _ORIGINAL["load"](self, sig, target_context)
        except Exception as exc:  # noqa: BLE001 - EOFError, UnpicklingError, ValueError, ... : unreadable
            _discard(folder, base, files[0] if files else os.path.join(folder, base),
                     f"{type(exc).__name__}: {exc}"[:200])
    return None


def _guarded_save(self, sig, data):
    try:
        return _ORIGINAL["save"](self, sig, data)
    except Exception as exc:  # noqa: BLE001 - a full disk or a read-only folder must not stop the run
        if not _is_own(self):
            raise
        log.warning("could not save a compiled kernel in %s (%s); it will be compiled again next time",
                    self._cache_path, exc)
        return None


def install_guard(own_dir: str | os.PathLike | None = None) -> None:
    """Route numba's cache look-ups of NicheLab's kernels through the checks above (idempotent).
    ``own_dir``: a cache folder NicheLab chose, every kernel in which is its own."""
    if own_dir is not None:
        d = os.path.abspath(own_dir)
        if d not in _own_dirs:
            _own_dirs.append(d)
    if not _ORIGINAL:
        _ORIGINAL["load"] = caching.Cache.load_overload
        _ORIGINAL["save"] = caching.Cache.save_overload
        caching.Cache.load_overload = _guarded_load
        caching.Cache.save_overload = _guarded_save


def uninstall_guard() -> None:
    """Tests: numba's own look-up again."""
    if _ORIGINAL:
        caching.Cache.load_overload = _ORIGINAL.pop("load")
        caching.Cache.save_overload = _ORIGINAL.pop("save")


def _complete_pickles(data: bytes, count: int) -> bool:
    """True when ``data`` is exactly ``count`` complete pickle streams (parsed, not run)."""
    pos = 0
    try:
        for _ in range(count):
            end = None
            stream = io.BytesIO(data[pos:])
            for op, _arg, at in pickletools.genops(stream):
                if op.name == "STOP":
                    end = at + 1
                    break
            if end is None:
                return False
            pos += end
    except Exception:  # noqa: BLE001 - ValueError for garbage, and friends
        return False
    return pos == len(data)


def _file_problem(path: Path) -> str | None:
    if not trusted_file(path):
        return "not a private file of this user's"
    try:
        data = path.read_bytes()
    except OSError as exc:
        return str(exc)
    # index: numba's version, then (stamp, {key: data file}); data: one pickle
    if not _complete_pickles(data, 2 if path.suffix == ".nbi" else 1):
        return "truncated or not a numba cache file"
    return None


def cache_folders() -> list[Path]:
    """Folders holding NicheLab's kernel cache in this process: ``NUMBA_CACHE_DIR`` (its package
    subfolders), or the ``__pycache__`` folders of the source tree's packages."""
    configured = config.CACHE_DIR or os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        root = Path(configured)
        return [root, *(p for p in sorted(root.iterdir()) if p.is_dir())] if root.is_dir() else []
    here = Path(__file__).resolve().parent.parent
    return [here / pkg / "__pycache__" for pkg in sorted(OWN_PACKAGES) if (here / pkg / "__pycache__").is_dir()]


def check_cache(folders: list[Path] | None = None) -> int:
    """Remove the files of every kernel whose cache files are damaged or not this user's private
    files (and restore shipped copies); returns how many kernels were affected. Loads nothing."""
    bad = 0
    for folder in cache_folders() if folders is None else folders:
        try:
            names = sorted(os.listdir(folder))
        except OSError:
            continue
        seen = set()
        for name in names:
            m = _BASE.match(name)
            if not m or m["base"] in seen:
                continue
            path = Path(folder, name)
            why = _file_problem(path)
            if why is not None:
                seen.add(m["base"])
                bad += 1
                _discard(str(folder), m["base"], str(path), why)
    return bad
