"""Packaging: per-user folders and their fallbacks, version, frozen kernel cache, build plan, spec.

The slow end-to-end check (build the bundle, run it, install the .deb) is packaging/smoke_test.sh.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from engine import runtime

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


# ------------------------------------------------------------------ per-user folders

def test_user_dir_is_under_nichelab_home(monkeypatch, tmp_path, fresh_runtime):
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    d = runtime.user_dir("data")
    assert d == tmp_path / "home" / "data"
    assert d.is_dir()


def test_user_dir_falls_back_to_a_temp_folder_and_says_so(monkeypatch, tmp_path, fresh_runtime, caplog):
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").write_text("a file where the folder should be")  # cannot be a folder: not writable
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    with caplog.at_level(logging.WARNING, logger="nichelab"):
        d = runtime.user_dir("cache")
    assert d.parent == fresh_runtime
    assert d.name.startswith("nichelab-cache-")
    (d / "probe").write_text("ok")  # writable
    assert f"cache folder {home / 'cache'} is not writable" in caplog.text and f"; using {d} instead" in caplog.text
    # asked again: the same folder, without a second warning
    caplog.clear()
    assert runtime.user_dir("cache") == d
    assert "not writable" not in caplog.text


def test_fallback_when_the_shared_temp_name_is_taken(monkeypatch, tmp_path, fresh_runtime):
    home = tmp_path / "home"
    home.mkdir()
    (home / "data").write_text("x")
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    (fresh_runtime / f"nichelab-data-{user}").write_text("someone else's file")
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    d = runtime.user_dir("data")
    assert d.is_dir() and d.parent == fresh_runtime and d.name != f"nichelab-data-{user}"


def test_log_file_records_the_fallback(monkeypatch, tmp_path, fresh_runtime):
    """The warning about an unwritable folder reaches the log file, even if it came before the log existed."""
    home = tmp_path / "home"
    home.mkdir()
    (home / "cache").write_text("x")
    monkeypatch.setenv("NICHELAB_HOME", str(home))
    logger = logging.getLogger("nichelab")
    monkeypatch.setattr(logger, "handlers", [])
    fallback = runtime.user_dir("cache")  # before logging is set up, like configure_numba_cache
    path = runtime.setup_logging()
    try:
        assert path == home / "data" / "nichelab.log"
        for h in logger.handlers:
            h.flush()
        text = path.read_text(encoding="utf-8")
        assert "is not writable" in text and f"; using {fallback} instead" in text
    finally:
        for h in logger.handlers:
            h.close()


# ------------------------------------------------------------------ version

def test_app_version_reads_pyproject():
    with open(ROOT / "pyproject.toml", "rb") as fh:
        expected = tomllib.load(fh)["project"]["version"]
    assert runtime.app_version() == expected


def test_app_version_of_a_bundle_and_without_pyproject(monkeypatch, tmp_path):
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "nichelab"\nversion = "9.8.7"\n')
    monkeypatch.setattr(runtime, "project_root", lambda: tmp_path)
    assert runtime.app_version() == "9.8.7"
    (tmp_path / "pyproject.toml").unlink()
    assert runtime.app_version() == "unknown"


def test_frozen_paths_point_into_the_bundle(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert runtime.project_root() == tmp_path
    assert runtime.resource_dir() == tmp_path / "resources"


# ------------------------------------------------------------------ numba kernel cache when frozen

def test_frozen_numba_cache_is_per_user_and_per_build(monkeypatch, tmp_path, fresh_runtime):
    import numba
    from engine.numba_cache import CACHE_IMPL, FrozenAppCacheLocator

    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", "placeholder")
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(numba.config, "CACHE_DIR", numba.config.CACHE_DIR)
    monkeypatch.setattr(CACHE_IMPL, "_locator_classes", list(CACHE_IMPL._locator_classes))
    cache = runtime.configure_numba_cache()
    key = runtime.kernel_cache_key()
    assert key.startswith(runtime.app_version() + "-")
    assert cache == tmp_path / "home" / "cache" / "numba" / key
    assert cache.is_dir()
    assert os.environ["NUMBA_CACHE_DIR"] == str(cache)
    assert numba.config.CACHE_DIR == str(cache)
    assert CACHE_IMPL._locator_classes[0] is FrozenAppCacheLocator

    def kernel(x):
        return x + 1

    # a frozen module's code carries a relative file name; the cache must not depend on the cwd
    loc = FrozenAppCacheLocator.from_function(kernel, os.path.join("engine", "fates.py"))
    assert Path(loc.get_cache_path()) == cache / "engine"
    assert loc.get_source_stamp() == key
    monkeypatch.setattr(sys, "frozen", False)
    assert FrozenAppCacheLocator.from_function(kernel, os.path.join("engine", "fates.py")) is None


FROZEN_KERNEL = textwrap.dedent("""
    import os, sys, types
    sys.frozen = True                      # as in a PyInstaller bundle
    sys._MEIPASS = sys.argv[1]             # resources and pyproject.toml come from the repository
    sys.path.insert(0, sys.argv[1])
    from engine.runtime import configure_numba_cache
    cache = configure_numba_cache()
    from numba import njit
    src = "from numba import njit\\n@njit(cache=True)\\ndef twice(x):\\n    return 2 * x\\n"
    mod = sys.modules["kern.mod"] = types.ModuleType("kern.mod")
    exec(compile(src, os.path.join("kern", "mod.py"), "exec"), mod.__dict__)  # relative name, like PyInstaller
    assert mod.twice(21) == 42
    print(cache, sum(mod.twice.stats.cache_hits.values()), sep="|")
""")


def test_frozen_kernel_cache_is_reused_from_another_directory(tmp_path):
    """A kernel compiled by one 'frozen' launch is loaded from the cache by the next, started elsewhere."""
    env = dict(os.environ, NICHELAB_HOME=str(tmp_path / "home"))
    env.pop("NUMBA_CACHE_DIR", None)
    runs = []
    for cwd in (tmp_path / "a", tmp_path / "b"):
        cwd.mkdir()
        out = subprocess.run([PY, "-c", FROZEN_KERNEL, str(ROOT)], cwd=cwd, env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0, out.stderr
        runs.append(out.stdout.strip().split("|"))
    (cache1, hits1), (cache2, hits2) = runs
    assert cache1 == cache2
    assert Path(cache1, "kern").is_dir() and list(Path(cache1, "kern").glob("mod.twice-*.nbi"))
    assert (int(hits1), int(hits2)) == (0, 1)


# ------------------------------------------------------------------ windowed builds: no console streams

def test_none_streams_are_replaced(monkeypatch):
    import main

    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    main._ensure_streams()
    try:
        print("goes nowhere")
        sys.stderr.write("nowhere either\n")
        from cli.common import ProgressBar

        bar = ProgressBar("x", 10)
        assert bar.enabled is False
        bar(5)
    finally:
        sys.stdout.close()
        sys.stderr.close()


def test_gui_startup_error_is_logged_not_lost(monkeypatch, tmp_path, fresh_runtime, capsys):
    import types

    import main

    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    logger = logging.getLogger("nichelab")
    monkeypatch.setattr(logger, "handlers", [])

    def broken(args):
        raise RuntimeError("no OpenGL 2.1 context")

    monkeypatch.setitem(sys.modules, "gui.app", types.SimpleNamespace(run_gui=broken))
    try:
        # --screenshot: an unattended run, so no modal dialog
        assert main.main(["--screenshot", str(tmp_path / "x.png"), "--days", "0"]) == 1
    finally:
        for h in logger.handlers:
            h.flush()
            h.close()
    log_text = (tmp_path / "home" / "data" / "nichelab.log").read_text(encoding="utf-8")
    assert "the GUI failed to start" in log_text
    assert "RuntimeError: no OpenGL 2.1 context" in log_text
    assert "Traceback" in log_text
    err = capsys.readouterr().err
    assert "no OpenGL 2.1 context" in err and "nichelab.log" in err


# ------------------------------------------------------------------ first-launch splash

@pytest.mark.gui
def test_splash_compiles_once_then_is_skipped(qapp, monkeypatch, tmp_path, fresh_runtime):
    splash = pytest.importorskip("gui.splash")
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    calls = []

    def fake_compile(progress=None):
        import time

        for i in range(1, 4):
            time.sleep(0.1)
            progress(i, 3)
        calls.append("compiled")
        return 3

    monkeypatch.setattr(splash, "compile_kernels", fake_compile)
    assert not splash.kernels_cached()
    assert splash.warm_up_kernels(qapp) is True
    assert calls == ["compiled"]
    marker = splash.marker_path()
    assert marker.is_file() and runtime.kernel_cache_key() in marker.name
    assert splash.warm_up_kernels(qapp) is False  # second launch: nothing to do, no splash
    assert calls == ["compiled"]


@pytest.mark.gui
def test_splash_failure_leaves_no_marker(qapp, monkeypatch, tmp_path, fresh_runtime):
    splash = pytest.importorskip("gui.splash")
    monkeypatch.setenv("NICHELAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)

    def failing(progress=None):
        raise MemoryError("simulated")

    monkeypatch.setattr(splash, "compile_kernels", failing)
    assert splash.warm_up_kernels(qapp) is True  # logged, not raised
    assert not splash.kernels_cached()


# ------------------------------------------------------------------ build plan and recipes

def _dry_run(*args: str) -> str:
    out = subprocess.run([PY, str(ROOT / "packaging" / "build.py"), "--dry-run", *args], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_build_dry_run_prints_each_platform_plan():
    version = runtime.app_version()
    linux = _dry_run("--platform", "linux")
    assert f"NicheLab {version} build plan for linux" in linux
    assert f"packaging/dist/nichelab_{version}_" in linux and ".deb" in linux
    assert f"packaging/dist/NicheLab-{version}-linux-" in linux and ".tar.gz" in linux
    assert "AppImage" in linux
    windows = _dry_run("--platform", "windows")
    assert f"NicheLab-{version}-windows-x64-setup.exe" in windows and "per-user" in windows
    assert ".deb" not in windows
    macos = _dry_run("--platform", "macos")
    assert "packaging/dist/NicheLab.app" in macos and f"NicheLab-{version}-macos-" in macos and ".dmg" in macos
    assert "without ffmpeg" in _dry_run("--no-ffmpeg")


def test_build_refuses_to_cross_build():
    other = "windows" if not sys.platform.startswith("win") else "linux"
    out = subprocess.run([PY, str(ROOT / "packaging" / "build.py"), "--platform", other], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 2
    assert "does not cross-compile" in out.stderr


def test_spec_bundles_resources_pyproject_and_the_project_packages():
    spec = (ROOT / "packaging" / "nichelab.spec").read_text(encoding="utf-8")
    assert '(str(ROOT / "resources"), "resources")' in spec
    assert '(str(ROOT / "pyproject.toml"), ".")' in spec
    assert '"cli"' in spec and "collect_submodules(pkg" in spec  # subcommands are found at run time
    assert 'module_collection_mode={"engine": "pyz+py"}' in spec
    assert '_extension_modules("numba"' in spec  # numba._devicearray is imported from C
    for unused in ("PySide6.QtWebEngineCore", "PySide6.Qt3DCore", "PySide6.QtMultimedia", "PySide6.QtQuick",
                   "tkinter", "matplotlib"):
        assert f'"{unused}"' in spec
    for name in ("THIRD_PARTY_LICENSES.md", "icons/nichelab.svg", "icons/nichelab.ico", "icons/nichelab.icns",
                 "icons/nichelab-256.png"):
        assert (ROOT / "resources" / name).is_file(), name


def test_windows_installer_is_per_user_with_shortcuts_and_uninstaller():
    iss = (ROOT / "packaging" / "windows" / "nichelab.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss
    assert "{autoprograms}" in iss and "{autodesktop}" in iss
    assert "DefaultDirName={autopf}" in iss
    assert "Uninstall" in iss  # uninstaller entry shown in Apps & features


def test_icons_are_current_and_well_formed():
    import struct

    sys.path.insert(0, str(ROOT / "packaging"))
    try:
        import make_icons
    finally:
        sys.path.remove(str(ROOT / "packaging"))
    icons = ROOT / "resources" / "icons"
    ico = (icons / "nichelab.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, len(make_icons.ICO_SIZES))
    icns = (icons / "nichelab.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    for size in make_icons.PNG_SIZES:
        png = (icons / f"nichelab-{size}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        assert struct.unpack(">II", png[16:24]) == (size, size)


def test_licence_files():
    assert "MIT License" in (ROOT / "LICENSE").read_text(encoding="utf-8")
    licences = ROOT / "resources" / "licenses"
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in (licences / "LGPL-3.0.txt").read_text(encoding="utf-8")
    assert "GNU GENERAL PUBLIC LICENSE" in (licences / "GPL-3.0.txt").read_text(encoding="utf-8")
    spec = (ROOT / "packaging" / "nichelab.spec").read_text(encoding="utf-8")
    assert "datas += _licence_files()" in spec  # components' own licence files travel with the bundle
    text = (ROOT / "resources" / "THIRD_PARTY_LICENSES.md").read_text(encoding="utf-8")
    for component in ("PySide6", "LGPL-3.0", "numpy", "numba", "llvmlite", "vispy", "pyqtgraph", "pydantic",
                      "platformdirs", "imageio", "FFmpeg", "GPL-3.0", "Python"):
        assert component in text, component


def test_build_plan_ships_compiled_kernels():
    linux = _dry_run("--platform", "linux")
    assert "kernels" in linux and "NUMBA_CPU_NAME=generic" in linux
    assert "packaging/dist/NicheLab/_internal/kernels" in linux
    assert "NicheLab.app/Contents/Resources/kernels" in _dry_run("--platform", "macos")
    assert "skipped: --no-kernels" in _dry_run("--platform", "linux", "--no-kernels")


# ------------------------------------------------------------------ kernels shipped in the bundle

@pytest.fixture
def fake_bundle(monkeypatch, tmp_path):
    """A frozen app whose bundle ships two cache files of one kernel, with their manifest. The
    target selection writes NUMBA_CPU_NAME/FEATURES and numba's config: restored afterwards (left
    set, later worker processes would compile for the generic CPU)."""
    import hashlib
    import json

    import numba

    for name in ("NUMBA_CPU_NAME", "NUMBA_CPU_FEATURES"):
        monkeypatch.setenv(name, "")          # records the original value (or its absence) for the undo
        monkeypatch.delenv(name)
    monkeypatch.setattr(numba.config, "CPU_NAME", numba.config.CPU_NAME)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", numba.config.CPU_FEATURES)

    from engine import shipped_kernels

    bundle = tmp_path / "bundle"
    bundle.mkdir()
    (bundle / "pyproject.toml").write_bytes((ROOT / "pyproject.toml").read_bytes())   # the version, as bundled
    files = {"engine/fates.apply-81.py311.1.nbc": b"data", "engine/fates.apply-81.py311.nbi": b"index"}
    for name, data in files.items():
        (bundle / "kernels" / name).parent.mkdir(parents=True, exist_ok=True)
        (bundle / "kernels" / name).write_bytes(data)
    targets = [{"cpu_name": cpu, "cpu_features": "", "requires": list(shipped_kernels.TARGET_REQUIRES[cpu])}
               for cpu in ("x86-64-v3", "generic")]
    manifest = {"key": runtime.kernel_cache_key(), **shipped_kernels.describe_machine(), "targets": targets,
                "files": {n: hashlib.sha256(d).hexdigest() for n, d in files.items()}}
    (bundle / "kernels" / "manifest.json").write_text(json.dumps(manifest))
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "_MEIPASS", str(bundle), raising=False)
    monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
    monkeypatch.delenv("NUMBA_CPU_FEATURES", raising=False)
    monkeypatch.setattr(numba.config, "CPU_NAME", numba.config.CPU_NAME)
    monkeypatch.setattr(numba.config, "CPU_FEATURES", numba.config.CPU_FEATURES)
    monkeypatch.setattr(shipped_kernels, "_manifest", None)
    monkeypatch.setattr(shipped_kernels, "seeded", None)
    return bundle / "kernels", manifest


def test_shipped_kernels_select_their_target_and_fill_the_user_cache(fake_bundle, tmp_path, monkeypatch):
    import numba

    from engine import shipped_kernels

    folder, manifest = fake_bundle
    monkeypatch.setattr(shipped_kernels, "host_features", lambda: set())     # a processor without AVX2
    assert shipped_kernels.select_target(runtime.kernel_cache_key()) == manifest
    assert os.environ["NUMBA_CPU_NAME"] == "generic" and os.environ["NUMBA_CPU_FEATURES"] == ""
    assert numba.config.CPU_NAME == "generic"          # numba was imported already: its config follows
    cache = tmp_path / "cache"
    assert shipped_kernels.seed(cache) == 2
    assert (cache / "engine" / "fates.apply-81.py311.nbi").read_bytes() == b"index"
    assert shipped_kernels.seed(cache) == 0           # present already: kept as they are
    (cache / "engine" / "fates.apply-81.py311.nbi").unlink()
    (folder / "engine" / "fates.apply-81.py311.nbi").write_bytes(b"damaged in the bundle")
    assert shipped_kernels.seed(cache) == 0           # hash differs from the manifest: not copied


def test_shipped_kernels_pick_the_best_target_the_processor_runs(fake_bundle, monkeypatch):
    from engine import shipped_kernels

    v3 = set(shipped_kernels.TARGET_REQUIRES["x86-64-v3"])
    for host, expected in [(v3 | {"avx512f"}, "x86-64-v3"), (v3 - {"avx2"}, "generic")]:
        monkeypatch.setattr(shipped_kernels, "host_features", lambda host=host: host)
        monkeypatch.delenv("NUMBA_CPU_NAME", raising=False)
        assert shipped_kernels.select_target(runtime.kernel_cache_key()) is not None
        assert os.environ["NUMBA_CPU_NAME"] == expected
    monkeypatch.setenv("NUMBA_CPU_NAME", "generic")        # the user's choice, when shipped, is kept
    monkeypatch.setattr(shipped_kernels, "host_features", lambda: v3)
    assert shipped_kernels.select_target(runtime.kernel_cache_key()) is not None
    assert os.environ["NUMBA_CPU_NAME"] == "generic"


@pytest.mark.parametrize("change", ["key", "machine", "user_cpu"])
def test_shipped_kernels_for_another_build_or_target_are_not_used(fake_bundle, monkeypatch, change):
    import json

    from engine import shipped_kernels

    folder, manifest = fake_bundle
    if change == "user_cpu":
        monkeypatch.setenv("NUMBA_CPU_NAME", "skylake")
    else:
        manifest[change] = "something else"
        (folder / "manifest.json").write_text(json.dumps(manifest))
    assert shipped_kernels.select_target(runtime.kernel_cache_key()) is None
    assert not shipped_kernels.active()
    assert os.environ.get("NUMBA_CPU_NAME") == ("skylake" if change == "user_cpu" else None)
