"""Measurements inside a real NicheLab window (run under Xvfb by the bench; prints one JSON line).

    python -m benchmarks.gui_probe startup          seconds to the first drawn simulation frame
    python -m benchmarks.gui_probe latency SECONDS  frame rate, engine rate and UI event latency
                                                    while the engine runs flat out

Start-up is counted from NICHELAB_T0 (time.time() of the parent just before it started this
process; the interpreter's own start-up is included) to the moment the viewport has drawn the
first frame of the default scenario (tile built, genotype equilibrated, day 0 on screen).
"""
from __future__ import annotations

import json
import os
import sys
import time

T_IMPORT = time.time()


def _open_window():
    from PySide6.QtWidgets import QApplication

    from engine import load_scenario
    from gui.app import DEFAULT_SCENARIO, _warm_up, make_app
    from gui.main_window import MainWindow

    app = make_app()
    _warm_up(app)
    t_warm = time.time()
    win = MainWindow()
    win.controller.load_scenario(load_scenario(DEFAULT_SCENARIO), builtin_id=DEFAULT_SCENARIO)
    win.resize(1400, 900)
    win.show()
    t_shown = time.time()
    deadline = time.time() + 600
    while time.time() < deadline:
        QApplication.processEvents()
        c = win.controller
        c.poll()
        if c.frame is not None and win.viewport.draw_count > 0:
            before = win.viewport.draw_count
            win.viewport.canvas.update()
            t1 = time.time() + 5
            while win.viewport.draw_count == before and time.time() < t1:
                QApplication.processEvents()
                time.sleep(0.002)
            break
        time.sleep(0.002)
    return app, win, {"kernels_ready": t_warm, "window_shown": t_shown, "first_frame": time.time()}


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    t0 = float(os.environ.get("NICHELAB_T0", T_IMPORT))
    app, win, marks = _open_window()
    out = {k + "_s": v - t0 for k, v in marks.items()}
    out["python_start_to_probe_s"] = T_IMPORT - t0
    if argv and argv[0] == "latency":
        from gui.diagnostics import benchmark_window

        seconds = float(argv[1]) if len(argv) > 1 else 20.0
        load0 = list(os.getloadavg())
        out.update(benchmark_window(win, seconds=seconds, speed=None))
        out["load_average"] = [load0, list(os.getloadavg())]   # (1, 5, 15 min) before and after
    win.shutdown()
    win.close()
    print(json.dumps(out))
    sys.stdout.flush()
    os._exit(0)  # skip interpreter teardown of Qt/GL objects under Xvfb


if __name__ == "__main__":
    main()
