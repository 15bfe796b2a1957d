"""numba's on-disk kernel cache inside a frozen (PyInstaller) app.

numba looks a kernel's cache up by its source file. In a PyInstaller bundle the
code objects carry relative file names (``engine/fates.py``), so numba's own
locators either fail or fall back to a cache under ``~/.cache/numba`` whose
folder name depends on the current directory: every launch from another
folder would compile again. This locator puts the cache of every kernel in
``NUMBA_CACHE_DIR/<package>/`` (set by ``engine.runtime.configure_numba_cache``
to a per-build folder) and stamps entries with the build's key (app version +
engine source hash), so a launch from anywhere reuses it and an update never
loads stale kernels. Only used when frozen; imported only then.
"""
from __future__ import annotations

import os
import sys

from numba.core import caching, config

_STAMP = "unset"
#: the class whose ``_locator_classes`` numba walks (public name since numba 0.6x, private before)
CACHE_IMPL = getattr(caching, "CacheImpl", None) or getattr(caching, "_CacheImpl")


class FrozenAppCacheLocator(caching._CacheLocator):
    """Cache kernels of a frozen app in ``NUMBA_CACHE_DIR`` whatever the current directory."""

    def __init__(self, py_func, py_file):
        self._lineno = py_func.__code__.co_firstlineno
        package = os.path.basename(os.path.dirname(py_file)) or "kernels"
        self._cache_path = os.path.join(config.CACHE_DIR, package)

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
