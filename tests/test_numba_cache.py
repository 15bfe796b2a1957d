"""A damaged numba kernel cache never stops NicheLab; kernels shipped for a portable CPU give the same numbers.

One truncated or garbled ``.nbi``/``.nbc`` file used to make every launch fail (EOFError,
UnpicklingError) until the user deleted the cache by hand. Now the damaged kernel's files (only
those) are removed, the kernel is compiled again and one line says so, in the CLI (stderr) and the
GUI (log file; the splash says it is repairing). Each damage is tried in a separate process.
"""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from engine import numba_cache, runtime, shipped_kernels

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
DAMAGES = ["truncated_index", "garbage_index", "truncated_data", "garbage_data"]
TINY = {"tile_x_um": 300.0, "tile_y_um": 300.0, "tile_z_um": 150.0, "spinup_days": 0.5}


def _damage(folder: Path, base: str, how: str) -> Path:
    """Damage the index, or every data file, of the kernel whose cache files start with ``base``
    (its index may name several data files: signatures, targets); returns the first file damaged."""
    targets = [folder / f"{base}.nbi"] if how.endswith("index") else sorted(folder.glob(f"{base}.*.nbc"))
    for target in targets:
        data = target.read_bytes()
        target.write_bytes(data[: len(data) // 2] if how.startswith("truncated") else
                           bytes(np.random.default_rng(1).integers(0, 256, len(data), dtype=np.uint8)))
    return targets[0]


def _damage_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "damaged" in line]


# ------------------------------------------------------------------ check_cache (no process needed)

def _fake_kernel(folder: Path, base: str, n_data: int = 1) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    overloads = {("sig", i): f"{base}.{i}.nbc" for i in range(1, n_data + 1)}
    (folder / f"{base}.nbi").write_bytes(pickle.dumps("0.68.1") + pickle.dumps(("stamp", overloads)))
    for i in range(1, n_data + 1):
        (folder / f"{base}.{i}.nbc").write_bytes(pickle.dumps((b"object code", "library", i)))


@pytest.mark.parametrize("how", DAMAGES)
def test_check_cache_removes_only_the_damaged_kernel(tmp_path, how, caplog, monkeypatch):
    monkeypatch.setattr(numba_cache, "damaged", [])
    folder = tmp_path / "engine"
    _fake_kernel(folder, "fates.apply-81.py311", n_data=2)
    _fake_kernel(folder, "field.react-12.py311")
    (folder / "notes.txt").write_text("not numba's")
    damaged_file = _damage(folder, "fates.apply-81.py311", how)
    with caplog.at_level("WARNING", logger="nichelab"):
        assert numba_cache.check_cache([folder]) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["field.react-12.py311.1.nbc", "field.react-12.py311.nbi",
                                                        "notes.txt"]
    assert len(_damage_lines(caplog.text)) == 1 and damaged_file.name in caplog.text
    assert numba_cache.check_cache([folder]) == 0     # what is left is sound


def test_check_cache_refuses_files_others_could_write(tmp_path, monkeypatch):
    monkeypatch.setattr(numba_cache, "damaged", [])
    folder = tmp_path / "engine"
    _fake_kernel(folder, "fates.apply-81.py311")
    os.chmod(folder / "fates.apply-81.py311.1.nbc", 0o666)
    assert numba_cache.check_cache([folder]) == 1 and not list(folder.iterdir())


# ------------------------------------------------------------------ the guard inside numba, one small kernel

SMALL_KERNEL = textwrap.dedent("""
    import os, sys, types
    sys.frozen = True                      # as in a PyInstaller bundle: the cache is NicheLab's folder
    sys._MEIPASS = sys.argv[1]
    sys.path.insert(0, sys.argv[1])
    from engine.runtime import configure_numba_cache, setup_logging
    setup_logging()
    cache = configure_numba_cache()
    src = "from numba import njit\\n@njit(cache=True)\\ndef twice(x):\\n    return 2 * x\\n"
    mod = sys.modules["kern.mod"] = types.ModuleType("kern.mod")
    exec(compile(src, os.path.join("kern", "mod.py"), "exec"), mod.__dict__)
    assert mod.twice(21) == 42
    print(cache, sum(mod.twice.stats.cache_hits.values()), sep="|")
""")


@pytest.mark.parametrize("how", DAMAGES)
def test_a_damaged_kernel_file_is_compiled_again(tmp_path, how):
    env = dict(os.environ, NICHELAB_HOME=str(tmp_path / "home"))
    env.pop("NUMBA_CACHE_DIR", None)

    def run():
        out = subprocess.run([PY, "-c", SMALL_KERNEL, str(ROOT)], cwd=tmp_path, env=env, capture_output=True,
                             text=True, timeout=300)
        assert out.returncode == 0 and "Traceback" not in out.stderr, out.stderr
        cache, hits = out.stdout.strip().splitlines()[-1].split("|")
        return Path(cache), int(hits), out.stderr

    cache, hits, _ = run()
    folder = cache / "kern"
    base = next(folder.glob("mod.twice-*.nbi")).name.removesuffix(".nbi")
    assert hits == 0
    assert run()[1] == 1                   # cached
    _damage(folder, base, how)
    _, hits, stderr = run()
    assert hits == 0 and len(_damage_lines(stderr)) == 1
    assert "compiled-kernel cache was damaged" in stderr and stderr.count("\n") == 1
    assert run()[1:] == (1, "")            # saved again, sound: the next launch loads it silently


# ------------------------------------------------------------------ the real CLI and GUI with the engine's kernels

LOADED = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    from engine import Simulation, load_scenario
    from engine.kernel_warmup import kernel_report
    scn = load_scenario(sys.argv[2])
    Simulation.from_scenario(scn).advance(2.0)
    import importlib
    for name, (hits, misses) in kernel_report().items():
        if hits:     # loaded from the cache: print its index file's name
            module, func = name.rsplit(".", 1)
            print(getattr(importlib.import_module(module), func)._cache._cache_file._index_name)
""")


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """(NUMBA_CACHE_DIR holding every engine kernel, tiny scenario file, reference CSV, a loaded kernel's
    folder and file name base). Starts from the source tree's cache when it is warm."""
    from numba.core.caching import _CacheLocator

    from engine import load_scenario

    top = tmp_path_factory.mktemp("numba-cli")
    base = top / "cache"
    base.mkdir(mode=0o700)
    sub = base / _CacheLocator.get_suitable_cache_subpath(str(ROOT / "engine" / "fates.py"))
    sub.mkdir()
    for f in (ROOT / "engine" / "__pycache__").glob("*.nb[ic]"):
        shutil.copy2(f, sub / f.name)
    scn = top / "tiny.toml"
    scn.write_text(load_scenario("wt_steady_state").copy_with(parameters=TINY).to_toml(), encoding="utf-8")
    env = _env(base, top / "home")
    ref = top / "ref.csv"
    out = subprocess.run([PY, str(ROOT / "main.py"), "run", "--scenario", str(scn), "--days", "1", "--csv", str(ref),
                          "--quiet"], env=env, capture_output=True, text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    probe = subprocess.run([PY, "-c", LOADED, str(ROOT), str(scn)], env=env, capture_output=True, text=True,
                           timeout=900)
    assert probe.returncode == 0, probe.stderr
    kernel = sorted(probe.stdout.split())[0].removesuffix(".nbi")
    assert (sub / f"{kernel}.nbi").is_file()
    return base, scn, ref, sub.name, kernel


def _env(cache: Path, home: Path) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), NICHELAB_HOME=str(home))
    env.pop("NUMBA_CPU_NAME", None)
    return env


def _case(tmp_path, warm_cache, how):
    base, scn, ref, sub, kernel = warm_cache
    cache = tmp_path / "cache"
    shutil.copytree(base, cache)
    os.chmod(cache, 0o700)
    _damage(cache / sub, kernel, how)
    return cache, scn, ref


@pytest.mark.parametrize("how", DAMAGES)
def test_cli_run_survives_a_damaged_kernel_cache(tmp_path, warm_cache, how):
    cache, scn, ref = _case(tmp_path, warm_cache, how)
    out_csv = tmp_path / "out.csv"
    out = subprocess.run([PY, str(ROOT / "main.py"), "run", "--scenario", str(scn), "--days", "1", "--csv",
                          str(out_csv), "--quiet"], env=_env(cache, tmp_path / "home"), capture_output=True,
                         text=True, timeout=900)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    lines = _damage_lines(out.stderr)
    assert len(lines) == 1 and lines[0].startswith("nichelab: WARNING: the compiled-kernel cache was damaged")
    assert out_csv.read_text() == ref.read_text()            # same numbers as with the sound cache
    assert numba_cache.check_cache([cache / warm_cache[3]]) == 0   # the kernel was saved again, sound


@pytest.mark.gui
@pytest.mark.parametrize("how", ["garbage_index", "truncated_data"])
def test_gui_start_survives_a_damaged_kernel_cache(tmp_path, warm_cache, how, qapp):
    cache, scn, _ = _case(tmp_path, warm_cache, how)
    marker = cache / f"warm-{runtime.kernel_cache_key()}.json"
    marker.write_text("{}")               # compiled before, so only the damage makes a splash
    shot = tmp_path / "shot.png"
    home = tmp_path / "home"
    out = subprocess.run([PY, str(ROOT / "main.py"), "--screenshot", str(shot), "--scenario", str(scn),
                          "--days", "0.05"], env=_env(cache, home), capture_output=True, text=True, timeout=900,
                         cwd=str(ROOT))
    assert out.returncode == 0, out.stderr
    assert shot.is_file() and "Traceback" not in out.stderr
    assert len(_damage_lines(out.stderr)) == 1
    log_text = (home / "data" / "nichelab.log").read_text(encoding="utf-8")
    assert "compiled-kernel cache was damaged" in log_text
    assert "kernels compiled and cached" in log_text and marker.is_file()     # the splash repaired it


@pytest.mark.gui
def test_splash_says_it_is_repairing(qapp, monkeypatch, tmp_path):
    splash = pytest.importorskip("gui.splash")
    monkeypatch.setattr(splash, "repair_cache", lambda: 1)
    monkeypatch.setattr(splash, "compile_kernels", lambda progress=None: 1)
    shown = []
    monkeypatch.setattr(splash, "_splash_pixmap", lambda *a, text="", **k: shown.append(text) or
                        splash.QPixmap(10, 10))
    monkeypatch.setattr(splash, "_write_marker", lambda *a: None)
    assert splash.warm_up_kernels(qapp, force=True) is True
    assert shown == [splash.REPAIR_EXPLANATION]
    assert "a minute" in splash.EXPLANATION and "up to two" in splash.EXPLANATION


# ------------------------------------------------------------------ shipped kernels

PORTABLE = textwrap.dedent("""
    import sys
    sys.path.insert(0, sys.argv[1])
    import numpy as np
    from engine import Simulation, load_scenario
    import numba
    scn = load_scenario("wt_steady_state").copy_with(parameters={"tile_x_um": 300.0, "tile_y_um": 300.0,
                                                                 "tile_z_um": 150.0, "spinup_days": 1.0})
    sim = Simulation.from_scenario(scn)
    sim.advance(2.0)
    np.save(sys.argv[2], sim.observables.table())
    print(numba.config.CPU_NAME)
""")


@pytest.mark.slow
def test_portable_kernels_give_the_same_numbers(tmp_path):
    """Kernels compiled for each portable target the installers ship (numba's generic CPU; x86-64-v3)
    and for this machine's CPU give identical numbers (no fastmath: the compiler may not reorder or
    fuse floating-point operations whatever the instruction set)."""
    import platform

    targets = [cpu for cpu in shipped_kernels.SHIP_TARGETS.get(platform.machine().lower(),
                                                               (shipped_kernels.PORTABLE_CPU,))
               if set(shipped_kernels.TARGET_REQUIRES[cpu]) <= shipped_kernels.host_features()]
    tables = {}
    for cpu in ("host", *targets):
        if cpu == "host":       # the source tree's own cache (warm after the other tests)
            env = dict(os.environ, NICHELAB_HOME=str(tmp_path / "home"))
            env.pop("NUMBA_CACHE_DIR", None)
            env.pop("NUMBA_CPU_NAME", None)
        else:
            cache = tmp_path / f"cache-{cpu}"
            cache.mkdir(mode=0o700)
            env = dict(_env(cache, tmp_path / "home"), NUMBA_CPU_NAME=cpu, NUMBA_CPU_FEATURES="")
        out = subprocess.run([PY, "-c", PORTABLE, str(ROOT), str(tmp_path / f"{cpu}.npy")], env=env,
                             capture_output=True, text=True, timeout=900)
        assert out.returncode == 0, out.stderr
        assert out.stdout.strip() == ("None" if cpu == "host" else cpu)
        tables[cpu] = np.load(tmp_path / f"{cpu}.npy")
    assert shipped_kernels.PORTABLE_CPU in targets
    for cpu in targets:
        np.testing.assert_array_equal(tables["host"], tables[cpu], err_msg=cpu)
