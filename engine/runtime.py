"""Where NicheLab finds its resources and where it may write.

Handles the frozen (PyInstaller) case: resources live under ``sys._MEIPASS``
and the numba cache must go to a writable per-user folder. This module must be
imported before numba compiles anything; ``engine/__init__.py`` does that.
"""
from __future__ import annotations

import logging
import os
import sys
import tempfile
from pathlib import Path

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
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".write-probe"
        probe.write_text("ok")
        probe.unlink()
        return True
    except OSError:
        return False


#: kind -> (preferred folder, fallback used) for folders that were not writable;
#: ``setup_logging`` repeats these warnings into the log file once it exists.
_fallbacks: dict[str, tuple[Path, Path]] = {}


def _fallback_dir(kind: str) -> Path:
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    fallback = Path(tempfile.gettempdir()) / f"nichelab-{kind}-{user}"
    if _writable(fallback):
        return fallback
    # the shared temp name exists but belongs to someone else: a fresh private folder
    return Path(tempfile.mkdtemp(prefix=f"nichelab-{kind}-"))


def user_dir(kind: str) -> Path:
    """A writable per-user folder ('data', 'cache' or 'config').

    Falls back to a temporary folder (and logs it) when the usual place is not
    writable, so that a locked-down classroom machine still starts.
    """
    override = os.environ.get("NICHELAB_HOME")
    if override:
        base = Path(override) / kind
    else:
        import platformdirs

        getter = {
            "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir,
            "config": platformdirs.user_config_dir,
        }[kind]
        base = Path(getter(APP_NAME, appauthor=False))
    if kind in _fallbacks and _fallbacks[kind][0] == base:
        return _fallbacks[kind][1]
    if _writable(base):
        return base
    fallback = _fallback_dir(kind)
    _fallbacks[kind] = (base, fallback)
    log.warning("%s folder %s is not writable; using %s instead", kind, base, fallback)
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


def configure_numba_cache() -> Path | None:
    """Point numba's on-disk kernel cache at a writable folder.

    In the source tree numba caches next to the modules (``__pycache__``), which
    is fine; in a frozen app the bundle is read-only (and shared by all users),
    so kernels go to ``<user cache>/numba/<version>-<code hash>``: one folder
    per build, so an updated app never loads kernels compiled for an older one.
    When frozen, ``engine.numba_cache`` adds a cache locator that works with
    the bundle's relative source paths. Must run before the first
    ``@njit(cache=True)`` function is compiled; if numba was already imported
    its config is updated.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        cache = Path(os.environ["NUMBA_CACHE_DIR"])
    elif is_frozen() or not _writable(Path(__file__).resolve().parent / "__pycache__"):
        cache = user_dir("cache") / "numba" / kernel_cache_key()
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:
            cache = _fallback_dir("cache") / "numba" / kernel_cache_key()
            cache.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
    else:
        return None
    numba = sys.modules.get("numba")
    if numba is not None:  # imported before us: its config has already read the environment
        numba.config.CACHE_DIR = str(cache)
    if is_frozen():
        from .numba_cache import install

        install(kernel_cache_key(), str(cache))
    return cache


def kernel_cache_dir() -> Path:
    """Folder that holds this build's compiled kernels (numba's cache, or a per-build marker folder)."""
    configured = os.environ.get("NUMBA_CACHE_DIR")
    if configured:
        return Path(configured)
    return user_dir("cache") / "kernels" / kernel_cache_key()


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
        fh = logging.FileHandler(path, encoding="utf-8")
        fh.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(fh)
    except OSError:
        path = None
    for kind, (base, fallback) in _fallbacks.items():
        root.warning("%s folder %s is not writable; using %s instead", kind, base, fallback)
    if sys.stderr is not None:
        sh = logging.StreamHandler()
        sh.setLevel(logging.WARNING)
        sh.setFormatter(logging.Formatter("nichelab: %(levelname)s: %(message)s"))
        root.addHandler(sh)
    return path
