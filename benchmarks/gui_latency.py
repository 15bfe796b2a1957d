"""GUI responsiveness while the engine runs flat out: frame rate, paint time, UI event latency.

The default scenario is opened in the real window under Xvfb (software OpenGL: frame rates are a
smoke test, not the GPU target), played at full speed, and gui.diagnostics.benchmark_window
measures frames/s, engine steps/s and, over the same seconds, how long an event posted from
another thread every 10 ms waits for the GUI thread (p50, p99, max), plus 0-ms timer latency.
Three runs (the machine has 2 cores and may be busy: each run records its load average).
"""
from __future__ import annotations

import shutil
import sys

from .startup import _json_run


def run(opts) -> dict:
    if opts.quick:
        return {"skipped": "not run with --quick"}
    xvfb = shutil.which("xvfb-run")
    if xvfb is None:
        return {"skipped": "xvfb-run not found"}
    seconds = 20.0
    out = []
    runs = 3
    for r in range(runs):
        opts.log(f"gui: latency run {r + 1}/{runs} ({seconds:g} s, engine flat out)")
        res = _json_run([xvfb, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, "-m", "benchmarks.gui_probe",
                         "latency", str(seconds)], None, 900)
        out.append(res)
    return {"definition": __doc__.strip().split("\n\n")[1].replace("\n", " "), "runs": out}
