"""`kernels`: compile the simulation engine's kernels now, as a first launch would.

A teacher can run it once per computer (and user account) before a lesson; packaging/build.py runs
it on the freshly built app with ``--ship`` to put the compiled kernels into the installers
(engine/shipped_kernels.py).
"""
from __future__ import annotations

import argparse
import sys
import time

NAME = "kernels"
HELP = ("Compile and cache the simulation engine's kernels now (what the first launch does); "
        "--check only says whether they are cached.")


def add_arguments(ap):
    ap.add_argument("--check", action="store_true", help="report the kernel cache's state, compile nothing")
    # packaging/build.py: --ship writes the manifest of a portable cache; --expect-cached fails if the
    # run had to compile anything (the shipped cache is complete)
    ap.add_argument("--ship", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--expect-cached", action="store_true", help=argparse.SUPPRESS)


def main(args) -> int:
    import os

    from engine import numba_cache, shipped_kernels
    from engine.kernel_warmup import compile_kernels, kernel_report
    from engine.runtime import kernel_cache_dir, kernel_cache_key

    folder = kernel_cache_dir()
    repaired = numba_cache.check_cache()
    if args.check:
        where = ", ".join(str(f) for f in numba_cache.cache_folders()) or str(folder)
        shipped = " (shipped with the app)" if shipped_kernels.active() else ""
        print(f"kernel cache{shipped}: {where}; {repaired} damaged kernel(s) removed")
        return 0
    if args.ship:
        import numba

        cpu = numba.config.CPU_NAME
        if cpu not in shipped_kernels.TARGET_REQUIRES or not os.environ.get("NUMBA_CACHE_DIR"):
            print(f"nichelab kernels: error: --ship needs NUMBA_CPU_NAME set to one of "
                  f"{', '.join(shipped_kernels.TARGET_REQUIRES)} and NUMBA_CACHE_DIR to a private folder",
                  file=sys.stderr)
            return 2
        lacking = set(shipped_kernels.TARGET_REQUIRES[cpu]) - shipped_kernels.host_features()
        if lacking:       # the test run would execute code this processor cannot run
            print(f"nichelab kernels: error: this processor cannot run {cpu} code (no {', '.join(sorted(lacking))})",
                  file=sys.stderr)
            return 2
    t0 = time.perf_counter()
    steps = compile_kernels(thorough=args.ship or args.expect_cached)
    report = kernel_report()
    loaded = sum(h for h, _ in report.values())
    compiled = [name for name, (_, m) in report.items() if m]
    print(f"kernels ready in {time.perf_counter() - t0:.1f} s ({steps} test steps): {loaded} loaded from the "
          f"cache, {len(compiled)} compiled; cache: {folder}")
    if args.expect_cached and compiled:
        print(f"nichelab kernels: error: compiled although expected in the cache: {', '.join(compiled)}",
              file=sys.stderr)
        return 1
    if args.ship:
        from pathlib import Path

        manifest = shipped_kernels.write_manifest(Path(os.environ["NUMBA_CACHE_DIR"]), kernel_cache_key())
        print(f"manifest: {len(manifest['files'])} files for {manifest['key']} ({manifest['platform']} "
              f"{manifest['machine']}, targets {', '.join(t['cpu_name'] for t in manifest['targets'])})")
    return 0
