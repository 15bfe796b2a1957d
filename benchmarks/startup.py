"""Start-up: time to a ready simulation and to the first drawn window frame, cold and warm.

Cold: numba's kernel cache points at an empty temporary folder (NUMBA_CACHE_DIR) and the user
folders (NICHELAB_HOME, which holds the kept equilibrated tiles) at another, so every kernel is
compiled and the default tile built and equilibrated, as on the very first launch after installing.
Warm: the same folders again, as on every later launch. "Warm, new tile": warm kernels but empty
user folders, as when a scenario is opened for the first time. Each measurement is a fresh process;
the GUI ones run under xvfb-run (software OpenGL), as on CI.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DAYS = 0.05  # --screenshot needs days > 0: one hour-step past day 0


def engine_probe() -> dict:
    """In a fresh process: import, compile (first step of a tiny tile), build the default scenario."""
    t0 = float(os.environ.get("NICHELAB_T0", time.time()))
    t_start = time.time()
    from engine import Simulation, load_scenario

    t_import = time.time()
    scn = load_scenario("wt_steady_state")
    tiny = Simulation.from_scenario(scn.copy_with(parameters={"tile_x_um": 200.0, "tile_y_um": 200.0,
                                                              "tile_z_um": 100.0, "spinup_days": 0.0}))
    tiny.advance(1.0)
    t_kernels = time.time()
    Simulation.from_scenario(scn)
    t_default = time.time()
    return {"python_start_s": t_start - t0, "import_engine_s": t_import - t_start,
            "kernels_ready_s": t_kernels - t0, "default_scenario_ready_s": t_default - t0,
            "default_build_and_equilibration_s": t_default - t_kernels}


def _env(cache_dir: str | None, home: str | None = None) -> dict:
    """Environment of a probe process; ``cache_dir`` None keeps the usual numba cache, ``home``
    None the usual user folders."""
    env = dict(os.environ)
    if cache_dir is not None:
        env["NUMBA_CACHE_DIR"] = cache_dir
    if home is not None:
        env["NICHELAB_HOME"] = home
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env["NICHELAB_T0"] = repr(time.time())
    return env


def _run(cmd, cache_dir, timeout, home):
    """(finished process, its wall-clock seconds) of ``cmd`` in a probe environment."""
    env = _env(cache_dir, home)
    t0 = time.time()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    return p, time.time() - t0


def _json_run(cmd, cache_dir, timeout, home=None) -> dict:
    p, wall = _run(cmd, cache_dir, timeout, home)
    lines = [ln for ln in p.stdout.strip().splitlines() if ln.startswith("{")]
    if p.returncode != 0 or not lines:
        tail = (p.stderr.strip().splitlines() or [f"exit {p.returncode}"])[-1]
        return {"error": tail, "process_wall_s": wall}
    return {**json.loads(lines[-1]), "process_wall_s": wall}


def _timed(cmd, cache_dir, timeout, home=None) -> dict:
    p, wall = _run(cmd, cache_dir, timeout, home)
    out = {"process_wall_s": wall, "exit_code": p.returncode}
    if p.returncode != 0:
        out["error"] = (p.stderr.strip().splitlines() or ["?"])[-1]
    return out


def run(opts) -> dict:
    if opts.quick:
        return {"skipped": "not run with --quick (a cold start compiles every kernel: minutes)"}
    py = sys.executable
    xvfb = shutil.which("xvfb-run")
    res = {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " ")}
    with tempfile.TemporaryDirectory(prefix="nichelab-numba-") as eng_cache, \
            tempfile.TemporaryDirectory(prefix="nichelab-numba-") as gui_cache, \
            tempfile.TemporaryDirectory(prefix="nichelab-home-") as gui_home, \
            tempfile.TemporaryDirectory(prefix="nichelab-home-") as new_home, \
            tempfile.TemporaryDirectory(prefix="nichelab-home-") as shot_home, \
            tempfile.TemporaryDirectory(prefix="nichelab-shot-") as shots:
        for label in ("cold", "warm"):
            opts.log(f"startup: engine, {label} cache")
            res[f"engine_{label}"] = _json_run([py, "-m", "benchmarks.startup"], eng_cache, 1800)
        if xvfb is None:
            res["gui"] = {"skipped": "xvfb-run not found"}
            return res
        xv = [xvfb, "-a", "-s", "-screen 0 1600x1000x24"]
        for label in ("cold", "warm"):
            opts.log(f"startup: window to first drawn frame, {label} cache")
            res[f"gui_first_frame_{label}"] = _json_run([*xv, py, "-m", "benchmarks.gui_probe", "startup"],
                                                        gui_cache, 1800, gui_home)
        opts.log("startup: window to first drawn frame, warm cache, tile not kept yet")
        res["gui_first_frame_warm_new_tile"] = _json_run([*xv, py, "-m", "benchmarks.gui_probe", "startup"],
                                                         gui_cache, 1800, new_home)
        with tempfile.TemporaryDirectory(prefix="nichelab-numba-") as shot_cache:
            for label in ("cold", "warm"):
                opts.log(f"startup: `main.py --screenshot --days {SCREENSHOT_DAYS}`, {label} cache")
                res[f"screenshot_command_{label}"] = _timed(
                    [*xv, py, "main.py", "--screenshot", str(Path(shots) / f"{label}.png"), "--days",
                     str(SCREENSHOT_DAYS)], shot_cache, 1800, shot_home)
    return res


if __name__ == "__main__":
    print(json.dumps(engine_probe()))
