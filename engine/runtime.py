"""Where NicheLab finds its resources and where it may write.

Handles the frozen (PyInstaller) case: resources live under ``sys._MEIPASS``
and the numba cache must go to a writable per-user folder. This module must be
imported before numba compiles anything; ``engine/__init__.py`` does that.
"""
from __future__ import annotations

import atexit
import logging
import os
import sys
import tempfile
from pathlib import Path

from .private_folders import UnsafeFolder, describe, fallback_dir, open_private_file, private_dir

log = logging.getLogger("nichelab")

APP_NAME = "NicheLab"


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def project_root() -> Path:
    """Folder holding ``resources/`` and ``pyproject.toml`` (source tree or bundle)."""
    if is_frozen():
        return Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent))
    return Path(__file__).resolve().parent.parent


def resource_dir() -> Path:
    return project_root() / "resources"


def _writable(path: Path) -> bool:
    """True when a file can be made in ``path`` (an existing folder); makes nothing else."""
    try:
        fd, probe = tempfile.mkstemp(prefix=".write-probe-", dir=path)   # O_EXCL: follows no link
        os.close(fd)
        os.unlink(probe)
        return True
    except OSError:
        return False


#: kind -> (preferred folder, fallback used, why) for folders that could not be used
_fallbacks: dict[str, tuple[Path, Path, str]] = {}
#: (level, text) of messages logged before ``setup_logging`` (the folders and the kernel cache are set up
#: when ``engine`` is imported, before there is a log file); it repeats them into the log file
_early: list[tuple[int, str]] = []


def _note(level: int, msg: str, *args) -> None:
    text = msg % args if args else msg
    log.log(level, text)
    if not logging.getLogger("nichelab").handlers:
        _early.append((level, text))
#: fallback folders made with mkdtemp for this process only (removed at exit: nobody can find them again)
_temporary: list[Path] = []


def _preferred_dir(kind: str) -> Path:
    override = os.environ.get("NICHELAB_HOME")
    if override:
        return Path(override) / kind
    import platformdirs

    getter = {
        "data": platformdirs.user_data_dir,
        "cache": platformdirs.user_cache_dir,
        "config": platformdirs.user_config_dir,
    }[kind]
    return Path(getter(APP_NAME, appauthor=False))


def _usable(base: Path) -> str | None:
    """None when ``base`` is (now) a private, writable folder of this user's, else why not."""
    try:
        private_dir(base)
    except UnsafeFolder as exc:
        return f"is not safe to use ({describe(exc)})"
    except OSError as exc:
        return f"is not writable ({describe(exc)})"
    return None if _writable(base) else "is not writable"


def _fallback_dir(kind: str) -> Path:
    path = fallback_dir(kind)
    if kind == "cache" and path.name.startswith("nichelab-cache-"):
        # a fresh temporary folder of this process's (not the session's runtime folder): nobody
        # will find it again, so it goes when the process ends
        if not _temporary:
            atexit.register(_remove_temporary)
        _temporary.append(path)
    return path


def _remove_temporary() -> None:
    import shutil

    for path in _temporary:
        shutil.rmtree(path, ignore_errors=True)


def user_dir(kind: str) -> Path:
    """A private, writable per-user folder ('data', 'cache' or 'config').

    The folder is made (mode 0700) or checked by ``engine.private_folders.private_dir``: a folder of
    another user's, a symbolic link or a folder others may write in is refused. Falls back to a private
    folder of the login session or a fresh temporary folder (and logs it) when the usual place cannot
    be used, so that a locked-down classroom machine still starts.
    """
    base = _preferred_dir(kind)
    if kind in _fallbacks and _fallbacks[kind][0] == base:
        return _fallbacks[kind][1]
    why = _usable(base)
    if why is None:
        return base
    fallback = _fallback_dir(kind)
    _fallbacks[kind] = (base, fallback, why)
    _note(logging.WARNING, "%s folder %s %s; using %s instead", kind, base, why, fallback)
    return fallback


def _bundle_code_hash() -> str:
    """Short hash of the engine's source files (changes whenever a kernel may have changed)."""
    import hashlib

    h = hashlib.sha1()
    for path in sorted(Path(__file__).resolve().parent.glob("*.py")):
        try:
            h.update(path.name.encode())
            h.update(path.read_bytes())
        except OSError:
            pass
    return h.hexdigest()[:10]


def kernel_cache_key() -> str:
    """Names one build of the kernels: app version plus a hash of the engine sources."""
    return f"{app_version()}-{_bundle_code_hash()}"


def _numba_cache_from_environment() -> Path | None:
    """``NUMBA_CACHE_DIR`` as set by the user, if it is a private folder of this user's."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if not configured:
        return None
    try:
        return private_dir(configured, tighten=False)
    except OSError as exc:
        _note(logging.WARNING, "ignoring NUMBA_CACHE_DIR=%s: %s", configured, describe(exc))
        del os.environ["NUMBA_CACHE_DIR"]
        return None


def configure_numba_cache() -> Path | None:
    """Point numba's on-disk kernel cache at a private, writable folder.

    In the source tree numba caches next to the modules (``__pycache__``), which
    is fine; in a frozen app the bundle is read-only (and shared by all users),
    so kernels go to ``<user cache>/numba/<version>-<code hash>``: one folder
    per build, so an updated app never loads kernels compiled for an older one.
    numba unpickles its cache index, so the folder must be this user's alone
    (``engine.private_folders``). When frozen, ``engine.numba_cache`` adds a cache
    locator that works with the bundle's relative source paths and fills the
    folder from the kernels compiled when the bundle was built. In every case
    ``engine.numba_cache.install_guard`` makes a damaged cache file a cache miss.
    Must run before the first ``@njit(cache=True)`` function is compiled; if numba
    was already imported its config is updated.
    """
    cache = _numba_cache_from_environment()
    if cache is None and (is_frozen() or not _writable_source_cache()):
        root = user_dir("cache")
        cache = root / "numba" / kernel_cache_key()
        try:
            private_dir(cache, root)
        except OSError as exc:
            fallback = _fallback_dir("cache")
            _note(logging.WARNING, "kernel cache folder %s cannot be used (%s); using %s instead", cache,
                  describe(exc), fallback)
            cache = private_dir(fallback / "numba" / kernel_cache_key(), fallback)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
    if is_frozen():
        from . import shipped_kernels

        if shipped_kernels.select_target(kernel_cache_key()) is None:   # before numba reads its configuration
            _note(logging.INFO, "no usable shipped kernels (%s): kernels are compiled on demand",
                  shipped_kernels.why_not)
    from . import numba_cache

    numba_cache.install_guard(cache)
    numba = sys.modules["numba"]
    numba.config.CACHE_DIR = "" if cache is None else str(cache)   # (numba may have read it before us)
    if cache is None:
        return None
    if is_frozen():
        numba_cache.install(kernel_cache_key(), str(cache))
        from . import shipped_kernels

        copied = shipped_kernels.seed(cache)
        if copied:
            _note(logging.INFO, "copied %d compiled kernel files shipped with the app into %s", copied, cache)
    return cache


def _writable_source_cache() -> bool:
    folder = Path(__file__).resolve().parent / "__pycache__"
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return False
    return _writable(folder)


def kernel_cache_dir() -> Path:
    """Folder that holds this build's compiled kernels (numba's cache, or a per-build marker folder)."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return Path(configured)
    root = user_dir("cache")
    path = root / "kernels" / kernel_cache_key()
    try:
        private_dir(path, root)
    except OSError:
        pass
    return path


def app_version() -> str:
    """Version string from pyproject.toml (shipped inside the bundle too)."""
    import tomllib

    try:
        with open(project_root() / "pyproject.toml", "rb") as fh:
            return str(tomllib.load(fh)["project"]["version"])
    except (OSError, KeyError, tomllib.TOMLDecodeError):
        return "unknown"


def log_file() -> Path:
    return user_dir("data") / "nichelab.log"


class PrivateFileHandler(logging.FileHandler):
    """A log file opened without following a symbolic link, made with mode 0600
    (``engine.private_folders.open_private_file``)."""

    def _open(self):
        fd = open_private_file(self.baseFilename)
        return os.fdopen(fd, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(level: int = logging.INFO) -> Path | None:
    """Log to a file in the user's data folder (and warnings to stderr).

    Startup errors must never be lost in a console that does not exist (Windows
    GUI builds), so the file handler is installed before anything else runs.
    """
    root = logging.getLogger("nichelab")
    if root.handlers:
        return None
    root.setLevel(level)
    path = None
    try:
        path = log_file()
        fh = PrivateFileHandler(path, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
    except OSError:
        path = None
    for level, text in _early:
        root.log(level, "%s", text)
    _early.clear()
    if sys.stderr is not None:
        sh = logging.StreamHandler()
        sh.setLevel(logging.WARNING)
        sh.setFormatter(logging.Formatter("nichelab: %(levelname)s: %(message)s"))
        root.addHandler(sh)
    return path
