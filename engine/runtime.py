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
    if _writable(base):
        return base
    fallback = Path(tempfile.gettempdir()) / f"nichelab-{kind}-{os.getuid() if hasattr(os, 'getuid') else 'user'}"
    fallback.mkdir(parents=True, exist_ok=True)
    log.warning("%s folder %s is not writable; using %s instead", kind, base, fallback)
    return fallback


def configure_numba_cache() -> Path | None:
    """Point numba's on-disk kernel cache at a writable folder.

    In the source tree numba caches next to the modules (``__pycache__``), which
    is fine; in a frozen app the bundle is read-only, so use the user cache.
    Must run before the first ``@njit(cache=True)`` function is compiled.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    if is_frozen() or not _writable(Path(__file__).resolve().parent / "__pycache__"):
        cache = user_dir("cache") / "numba"
        cache.mkdir(parents=True, exist_ok=True)
        os.environ["NUMBA_CACHE_DIR"] = str(cache)
        return cache
    return None


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
    if sys.stderr is not None:
        sh = logging.StreamHandler()
        sh.setLevel(logging.WARNING)
        sh.setFormatter(logging.Formatter("nichelab: %(levelname)s: %(message)s"))
        root.addHandler(sh)
    return path
