"""Regenerate the screenshots of the classroom and research features (docs/*.png).

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python docs/make_screenshots.py [--days 21]

lesson.png   the Lesson panel on lesson 2 (Thpo-/-), on a step with its prediction question
compare.png  Thpo-/-, Thpo-/- + SDF-1 and Thpo-/- + FGF-4 kept and overlaid, with the comparison table
ensemble.png an ensemble of the Thpo-/- + FGF-4 scenario: mean platelets with the spread band

A smaller tile than the default keeps this to a few minutes on a laptop (the --tile option).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--days", type=float, default=21.0)
    ap.add_argument("--tile", type=float, default=500.0, help="tile x and y in µm")
    ap.add_argument("--seeds", type=int, default=4)
    args = ap.parse_args(argv)
    out = Path(args.out)

    from PySide6.QtCore import Qt
    from PySide6.QtGui import QPainter
    from PySide6.QtWidgets import QApplication

    from engine import load_scenario
    from gui.app import make_app, wait_for_draw
    from gui.main_window import MainWindow
    from gui.research import open_ensemble

    app = make_app()
    small = {"tile_x_um": args.tile, "tile_y_um": args.tile, "spinup_days": 3.0}

    def scn(sid):
        s = load_scenario(sid)
        return s.copy_with(parameters={**dict(s.parameters), **small}, days=args.days)

    def wait(pred, timeout=900.0):
        t0 = time.perf_counter()
        while not pred():
            QApplication.processEvents()
            time.sleep(0.02)
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError("screenshot step timed out")

    win = MainWindow()
    win.headless = True
    win.controller.set_speed(None)
    win.resize(1600, 1000)
    win.show()
    c = win.controller
    r = win.research

    def load_and_run(s, days):
        gen = c.world.generation if c.world is not None else -1
        c.load_scenario(s)
        wait(lambda: c.world is not None and c.world.generation > gen and c.frame is not None and not c.busy)
        c.run_until(days)
        wait(lambda: c.frame is not None and c.frame.day >= days - 1e-9 and not c.running)
        c.poll()
        win.plots.flush(force=True)

    def save(name, extra=None):
        wait_for_draw(win)
        win.update_status()
        app.processEvents()
        img = win.grab().toImage()
        if extra is not None:                      # a dialog painted over the window where it sits
            p = QPainter(img)
            p.drawImage(extra.geometry().topLeft() - win.geometry().topLeft(), extra.grab().toImage())
            p.end()
        img.save(str(out / name))
        print(f"saved {out / name}")

    # 1. lesson 2 with its question --------------------------------------------------
    lp = r.lessons
    lp.scenario_overrides = small
    lp.open_lesson("02_thpo_knockout")
    k = next(i for i, st in enumerate(lp.lesson.steps) if st.scenario and st.question and "thpo" in st.scenario)
    lp.show_step(k)
    r.dock_lessons.raise_()
    load_and_run(scn(lp.lesson.scenario_ref(k)), min(args.days, 10.0))
    lp.choose(1)
    lp.check_answer()
    save("lesson.png")

    # 2. three runs compared ---------------------------------------------------------
    win.dock_scenario.raise_()
    r.dock_runs.raise_()
    win.resizeDocks([win.dock_plots, r.dock_runs], [600, 330], Qt.Vertical)
    for sid in ("lesson_thpo_ko", "lesson_thpo_ko_sdf1", "lesson_thpo_ko_fgf4"):
        load_and_run(scn(sid), args.days)
        n = len(r.runs.runs)
        r.runs.keep_current()
        wait(lambda: len(r.runs.runs) == n + 1)
    t0 = time.perf_counter()
    wait(lambda: time.perf_counter() - t0 > 0.5)     # let the docks settle and repaint
    save("compare.png")

    # 3. ensemble band ---------------------------------------------------------------
    dlg = open_ensemble(win, scn("lesson_thpo_ko_fgf4"))
    dlg.seeds.setValue(args.seeds)
    dlg.resize(820, 760)
    dlg.move(win.geometry().x() + win.width() - dlg.width() - 10, win.geometry().y() + 60)
    dlg.start()
    wait(lambda: dlg.result is not None, timeout=1800.0)
    app.processEvents()
    save("ensemble.png", extra=dlg)
    dlg.close()
    win.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
