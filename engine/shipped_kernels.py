"""Compiled kernels shipped inside the installed app, so that its first launch compiles nothing.

numba compiles the engine's kernels on first use (40 s on a quiet machine, nearly two minutes on a
busy one). ``packaging/build.py`` therefore runs the freshly built app (``NicheLab kernels --ship``) once per
target of ``SHIP_TARGETS`` with ``NUMBA_CPU_NAME`` set to it: numba then generates code for that
target instead of the build machine's CPU: ``generic``, the baseline of the architecture (x86-64 or
arm64), which every machine of that OS and architecture can run, and on x86-64 also
``x86-64-v3``. All targets' kernels share one cache folder (numba's index holds one entry per
target). The files go into the bundle (``<bundle>/kernels/``) with a manifest naming the build they
belong to (``engine.runtime.kernel_cache_key``), the numba version, the targets with the CPU
features each needs, and a SHA-256 of each file.

numba's cache index is keyed by the kernel's source (here, in a frozen app: the build key, see
``engine.numba_cache.FrozenAppCacheLocator``, not a path or a time stamp, so an install anywhere
matches), the signature, the bytecode and the code generator's CPU name and features. So at start
the frozen app (``engine.runtime.configure_numba_cache``):

1. reads the manifest; if it is for this build and machine, selects the best shipped target this
   processor can run (``select_target``: on x86-64 the x86-64-v3 level if the CPU has AVX2 and
   friends, else the generic baseline; ``NUMBA_CPU_NAME`` set by the user wins, and then only a
   shipped target of that name matches);
2. copies the shipped files that are missing from the user's private kernel cache (``seed``: a few
   MB, milliseconds; files whose hash does not match the manifest are skipped).

numba then loads every kernel from the user's cache. Any kernel the shipped set lacks, or whose
file turns out damaged, is compiled on demand as before (and cached for the next launch). Portable
code gives the same numbers as code for the build machine's CPU: the kernels do not use fastmath, so
the compiler may not reorder or fuse floating-point operations whatever the instruction set
(tests/test_numba_cache.py checks a run both ways).

Imports nothing from numba: it must run before numba reads its configuration.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import sys
import tempfile
from pathlib import Path

log = logging.getLogger("nichelab")

MANIFEST = "manifest.json"
#: numba's portable code-generation target (its documented way to make caches for other machines)
PORTABLE_CPU = "generic"
#: targets the installers may ship, with the CPU features (LLVM's names) a machine needs to run their
#: code: the x86-64-v3 micro-architecture level (AVX2, FMA, BMI; Intel Haswell and AMD Excavator or
#: newer, 2013-) runs a step as fast as code for the build machine's own CPU, the generic baseline
#: (SSE2) runs anywhere, a few to fifteen per cent slower
TARGET_REQUIRES: dict[str, tuple[str, ...]] = {
    "x86-64-v3": ("cx16", "sahf", "popcnt", "sse3", "ssse3", "sse4.1", "sse4.2", "avx", "avx2", "bmi", "bmi2",
                  "f16c", "fma", "lzcnt", "movbe", "xsave"),
    PORTABLE_CPU: (),
}
#: what packaging/build.py ships, best first, per architecture (platform.machine())
SHIP_TARGETS: dict[str, tuple[str, ...]] = {"x86_64": ("x86-64-v3", PORTABLE_CPU), "amd64": ("x86-64-v3", PORTABLE_CPU)}
#: folder of the bundle that holds them
FOLDER = "kernels"
#: file suffixes of numba's cache (index, data)
SUFFIXES = (".nbi", ".nbc")

#: what ``seed`` did in this process: None (not run), else the number of files copied
seeded: int | None = None
#: why ``select_target`` found nothing to use (for the log)
why_not = ""
_manifest: dict | None = None


def bundle_dir() -> Path | None:
    """``<bundle>/kernels`` of a frozen app, or None."""
    if not getattr(sys, "frozen", False):
        return None
    base = getattr(sys, "_MEIPASS", None) or os.path.dirname(sys.executable)
    return Path(base) / FOLDER


def describe_machine() -> dict:
    """What a shipped cache must have been built for: Python's version, the OS and the architecture
    (numba's own version is checked by numba: an index of another version is ignored)."""
    return {"python": f"{sys.version_info[0]}.{sys.version_info[1]}", "platform": sys.platform,
            "machine": platform.machine().lower()}


def read_manifest(folder: Path | None, key: str) -> dict | None:
    """The manifest of ``folder`` if it was built for this build ``key`` and machine, else None
    (``why_not`` says why)."""
    global why_not
    if folder is None:
        why_not = "not a frozen app"
        return None
    try:
        with open(folder / MANIFEST, encoding="utf-8") as fh:
            manifest = json.load(fh)
    except (OSError, ValueError) as exc:
        why_not = f"{folder / MANIFEST}: {exc}"
        return None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), dict):
        why_not = f"{folder / MANIFEST}: not a manifest"
        return None
    expected = {"key": key, **describe_machine()}
    mismatch = {k: (manifest.get(k), v) for k, v in expected.items() if manifest.get(k) != v}
    if mismatch:
        why_not = "built for another build or machine: " + ", ".join(
            f"{k} {a!r}, here {b!r}" for k, (a, b) in mismatch.items())
        return None
    return manifest


def select_target(key: str) -> dict | None:
    """Frozen app: if the bundle ships kernels for this build, make numba generate (and look up) code
    for their portable target. Returns the manifest, or None (nothing shipped: numba's defaults)."""
    global _manifest, why_not
    manifest = read_manifest(bundle_dir(), key)
    if manifest is None:
        return None
    targets = [t for t in manifest.get("targets", []) if isinstance(t, dict)
               and isinstance(t.get("cpu_name"), str) and isinstance(t.get("cpu_features"), str)
               and isinstance(t.get("requires"), list)]
    host = host_features()
    runnable = [t for t in targets if set(t["requires"]) <= host]
    wanted = os.environ.get("NUMBA_CPU_NAME")
    if wanted is not None:
        runnable = [t for t in runnable if t["cpu_name"] == wanted
                    and os.environ.get("NUMBA_CPU_FEATURES", t["cpu_features"]) == t["cpu_features"]]
    if not runnable:
        why_not = (f"NUMBA_CPU_NAME={wanted!r} is not a shipped target this processor runs" if wanted is not None
                   else "no shipped target this processor runs")
        return None
    cpu, features = runnable[0]["cpu_name"], runnable[0]["cpu_features"]
    os.environ["NUMBA_CPU_NAME"] = cpu
    os.environ["NUMBA_CPU_FEATURES"] = features
    numba = sys.modules.get("numba")
    if numba is not None:  # imported already: its config has read the environment
        numba.config.CPU_NAME = cpu
        numba.config.CPU_FEATURES = features
    _manifest = manifest
    return manifest


def host_features() -> set[str]:
    """LLVM's names of the CPU features this processor (and its OS) has, e.g. {"sse4.2", "avx2", ...}."""
    try:
        import llvmlite.binding as ll

        return {name for name, on in ll.get_host_cpu_features().items() if on}
    except Exception:  # noqa: BLE001 - unknown: only the generic target is safe
        return set()


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _safe_name(name: str) -> bool:
    parts = name.split("/")
    return (len(parts) == 2 and all(p and p not in (".", "..") and "\\" not in p for p in parts)
            and name.endswith(SUFFIXES))


def seed(cache_dir: str | Path, only: set[str] | None = None) -> int:
    """Copy the shipped cache files (those named in ``only``: ``<package>/<file>``, or all) that are
    missing from ``cache_dir``; returns how many were copied. Needs ``select_target`` first."""
    global seeded
    if _manifest is None:
        return 0
    src, dst = bundle_dir(), Path(cache_dir)
    copied = 0
    # data files before index files: an index never names a data file that is not there yet
    names = sorted((n for n in _manifest["files"] if _safe_name(n) and (only is None or n in only)),
                   key=lambda n: (n.endswith(".nbi"), n))
    for name in names:
        target = dst / name
        if os.path.lexists(target):
            continue
        source = src / name
        try:
            if _sha256(source) != _manifest["files"][name]:
                log.warning("shipped kernel file %s is damaged; that kernel will be compiled", source)
                continue
            from .private_folders import private_dir

            private_dir(target.parent, dst)
            fd, tmp = tempfile.mkstemp(prefix=".seed-", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as out, open(source, "rb") as inp:
                    for block in iter(lambda: inp.read(1 << 20), b""):
                        out.write(block)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
            copied += 1
        except OSError as exc:
            log.warning("could not copy the shipped kernel file %s: %s", source, exc)
    seeded = (seeded or 0) + copied
    return copied


def active() -> bool:
    """True when this process uses kernels shipped with the app."""
    return _manifest is not None


def write_manifest(folder: Path, key: str) -> dict:
    """Packaging: add the target numba compiled for in this process (``NUMBA_CPU_NAME``, by ``NicheLab
    kernels --ship``) to the manifest of the cache files in ``folder``, and list those files."""
    import numba

    cpu, features = numba.config.CPU_NAME, numba.config.CPU_FEATURES or ""
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        if manifest.get("key") != key:
            manifest = {}
    except (OSError, ValueError):
        manifest = {}
    targets = [t for t in manifest.get("targets", []) if t.get("cpu_name") != cpu]
    targets.append({"cpu_name": cpu, "cpu_features": features, "requires": list(TARGET_REQUIRES[cpu])})
    order = list(TARGET_REQUIRES)
    targets.sort(key=lambda t: order.index(t["cpu_name"]))     # best first
    files = {p.relative_to(folder).as_posix(): _sha256(p) for p in sorted(folder.rglob("*"))
             if p.is_file() and p.suffix in SUFFIXES}
    manifest = {"key": key, **describe_machine(), "numba": numba.__version__, "targets": targets, "files": files}
    (folder / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True), encoding="utf-8")
    return manifest
