"""Regenerate the screenshots in docs/ (and, with --review, every screen at two window sizes).

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py [--days 21]
    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python docs/make_screenshots.py --review shots/

docs/ pictures (1600 x 1000 window):
screenshot.png  the main window: 5-FU + FGF-4 in a wild-type mouse, mid-recovery (README)
lesson.png      the Lesson panel on lesson 2 (Thpo-/-), on a step with its prediction question
compare.png     Thpo-/-, Thpo-/- + SDF-1 and Thpo-/- + FGF-4 kept and overlaid, with the comparison table
ensemble.png    an ensemble of the Thpo-/- + FGF-4 scenario: mean platelets with the spread band

--review DIR: each screen (main window, schedule, parameters, lesson, runs, plot table, megakaryocyte
focus, SDF-1 slice / isosurface / volume, cell card, replay, a refused edit, sweep, ensemble, help,
glossary, movie options) at 1280 x 720 and 1920 x 1080, plus the 3D view as readers with
deuteranopia, protanopia and tritanopia see it (gui/colour_vision.py, Machado et al. 2009).

A smaller tile than the default keeps this to a few minutes on a laptop (the --tile option).
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class Shooter:
    """A window driven through its screens."""

    def __init__(self, args, size=(1600, 1000)):
        from gui.app import make_app
        from gui.main_window import MainWindow

        self.args = args
        self.app = make_app()
        self.small = {"tile_x_um": args.tile, "tile_y_um": args.tile, "spinup_days": 3.0}
        self.win = MainWindow()
        self.win.headless = True
        self.win.controller.set_speed(None)
        self.win.resize(*size)
        self.win.show()
        self.c = self.win.controller
        self.r = self.win.research

    def scn(self, sid, days=None):
        from engine import load_scenario

        s = load_scenario(sid)
        return s.copy_with(parameters={**dict(s.parameters), **self.small}, days=days or self.args.days)

    def wait(self, pred, timeout=900.0):
        from PySide6.QtWidgets import QApplication

        t0 = time.perf_counter()
        while not pred():
            QApplication.processEvents()
            time.sleep(0.02)
            if time.perf_counter() - t0 > timeout:
                raise TimeoutError("screenshot step timed out")

    def settle(self, seconds=0.4):
        t0 = time.perf_counter()
        self.wait(lambda: time.perf_counter() - t0 > seconds)

    def load_and_run(self, s, days, builtin=None):
        c = self.c
        gen = c.world.generation if c.world is not None else -1
        c.load_scenario(s, builtin_id=builtin)
        self.wait(lambda: c.world is not None and c.world.generation > gen and c.frame is not None and not c.busy)
        c.run_until(days)
        self.wait(lambda: c.frame is not None and c.frame.day >= days - 1e-9 and not c.running)
        c.poll()
        self.win.flush_frame()

    def save(self, path, extra=None):
        from PySide6.QtGui import QPainter

        from gui.app import wait_for_draw

        wait_for_draw(self.win)
        self.win.update_status()
        self.app.processEvents()
        img = self.win.grab().toImage()
        if extra is not None:                      # a dialog painted over the window where it sits
            p = QPainter(img)
            p.drawImage(extra.geometry().topLeft() - self.win.geometry().topLeft(), extra.grab().toImage())
            p.end()
        img.save(str(path))
        print(f"saved {path}")

    def save_view(self, path):
        """The 3D view alone (offscreen render) and its colour-vision simulations."""
        import imageio.v3 as iio

        from gui.colour_vision import simulate_image

        iio.imwrite(path, self.win.viewport.render_image()[..., :3])
        for p in simulate_image(path):
            print(f"saved {p}")

    def close(self):
        self.win.shutdown()
        self.win.close()


def docs_pictures(args) -> None:

    from gui.research import open_ensemble

    out = Path(args.out)
    s = Shooter(args)
    win, r = s.win, s.r
    # 0. the main window ---------------------------------------------------------------
    s.load_and_run(s.scn("lesson_5fu_fgf4"), min(args.days, 12.0), builtin="lesson_5fu_fgf4")
    s.save(out / "screenshot.png")
    # 1. lesson 2 with its question --------------------------------------------------
    lp = r.lessons
    lp.scenario_overrides = s.small
    lp.open_lesson("02_thpo_knockout")
    k = next(i for i, st in enumerate(lp.lesson.steps) if st.scenario and st.question and "thpo" in st.scenario)
    lp.show_step(k)
    r.dock_lessons.raise_()
    s.load_and_run(s.scn(lp.lesson.scenario_ref(k)), min(args.days, 10.0))
    lp.choose(1)
    lp.check_answer()
    s.save(out / "lesson.png")
    # 2. three runs compared ---------------------------------------------------------
    r.dock_runs.raise_()
    for sid in ("lesson_thpo_ko", "lesson_thpo_ko_sdf1", "lesson_thpo_ko_fgf4"):
        s.load_and_run(s.scn(sid), args.days)
        n = len(r.runs.runs)
        r.runs.keep_current()
        s.wait(lambda: len(r.runs.runs) == n + 1)
    s.settle(0.5)
    s.save(out / "compare.png")
    # 3. ensemble band ---------------------------------------------------------------
    dlg = open_ensemble(win, s.scn("lesson_thpo_ko_fgf4"))
    dlg.seeds.setValue(args.seeds)
    dlg.resize(820, 760)
    dlg.move(win.geometry().x() + win.width() - dlg.width() - 10, win.geometry().y() + 60)
    dlg.start()
    s.wait(lambda: dlg.result is not None, timeout=1800.0)
    s.app.processEvents()
    s.save(out / "ensemble.png", extra=dlg)
    dlg.close()
    s.close()


def review(args) -> None:
    """Every screen at two sizes, for a person to look at."""
    out = Path(args.review)
    out.mkdir(parents=True, exist_ok=True)
    for size in ((1280, 720), (1920, 1080)):
        review_size(args, out, size)


def review_size(args, out: Path, size) -> None:
    import numpy as np
    from PySide6.QtWidgets import QMessageBox

    from gui import schedule_questions
    from gui.research import open_ensemble, open_sweep
    from gui.research.glossary_dialog import GlossaryDialog
    from gui.research.help_dialog import HelpDialog
    from gui.research.movie_recorder import MovieOptions

    tag = f"{size[0]}x{size[1]}"
    s = Shooter(args, size)
    win, r, c = s.win, s.r, s.c

    def name(what):
        return out / f"{tag}_{what}.png"

    def show_dialog(dlg, what, w=None, h=None):
        if w:
            dlg.resize(min(w, size[0] - 40), min(h, size[1] - 60))
        dlg.move(win.geometry().x() + (win.width() - dlg.width()) // 2,
                 win.geometry().y() + (win.height() - dlg.height()) // 2)
        dlg.show()
        s.settle(0.4)
        s.save(name(what), extra=dlg)
        dlg.close()

    s.load_and_run(s.scn("lesson_5fu_fgf4"), 12.0, builtin="lesson_5fu_fgf4")
    s.save(name("main"))
    s.save_view(name("view_overview"))
    win.dock_schedule.raise_()
    s.save(name("schedule"))
    win.dock_parameters.raise_()
    win.parameters.select("fgf4_vcam_gain")
    s.save(name("parameters"))
    win.plots_panel.setCurrentIndex(1)
    s.save(name("table"))
    win.plots_panel.setCurrentIndex(0)
    win.plots.set_hover(6.0)
    s.save(name("plots_hover"))
    win.plots.set_hover(None)
    win.apply_preset("megakaryocytes")
    s.save(name("focus_mk"))
    s.save_view(name("view_focus_mk"))
    win.apply_preset("overview")
    for mode in ("slice", "isosurface", "volume"):
        vp = win.view_panel
        if vp.field_mode.findData(mode) < 0:
            continue
        vp.field_mode.setCurrentIndex(vp.field_mode.findData(mode))
        c.step(1)
        s.wait(lambda: win.viewport.field_clim is not None)
        s.settle(0.6)
        c.poll()
        win.flush_frame()
        s.save(name(f"sdf1_{mode}"))
    win.view_panel.field_mode.setCurrentIndex(0)
    # click a cell
    vp = win.viewport
    from gui.app import wait_for_draw
    wait_for_draw(win)
    tr = vp.cells.get_transform("visual", "canvas")
    m = tr.map(vp._pick_pos)
    xy = m[:, :2] / m[:, 3:4]
    w, h = vp.canvas.size
    inside = np.flatnonzero((xy[:, 0] > 0.35 * w) & (xy[:, 0] < 0.65 * w) & (xy[:, 1] > 0.35 * h)
                            & (xy[:, 1] < 0.65 * h))
    if len(inside):
        # the largest cell near the middle: a megakaryocyte, whose card shows the most (maturity, ploidy)
        aid = int(vp._pick_ids[inside[np.argmax(vp._pick_radius[inside])]])
        vp.set_highlight(aid)
        win._on_pick(aid)
        s.wait(lambda: win.view_panel.card.isVisible(), timeout=30)
        s.save(name("cell_card"))
        win._clear_inspection()
    # replay
    win.view_panel.replay.setValue(max(0, len(win.replay) // 3))
    s.save(name("replay"))
    win.show_live()
    # a refused edit: the dialog as the user sees it
    box = {}

    def ask(parent, req):
        from PySide6.QtCore import QTimer

        def grab():
            dlg = next((w for w in s.app.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()), None)
            if dlg is not None:
                s.save(name("refused_edit"), extra=dlg)
                dlg.reject()
        QTimer.singleShot(600, grab)
        box["answer"] = orig_ask(parent, req)
        return "cancel"
    orig_ask = schedule_questions.ask
    schedule_questions.ask = ask
    win.headless = False                 # (headless windows answer "cancel" without asking)
    try:
        win.dock_schedule.raise_()
        win.perturbations.rows["fu5"].dose.setValue(200.0)
        s.wait(lambda: "answer" in box, timeout=60)
    finally:
        schedule_questions.ask = orig_ask
        win.headless = True
    # runs, lesson
    r.dock_runs.raise_()
    for sid in ("lesson_5fu", "lesson_5fu_fgf4"):
        s.load_and_run(s.scn(sid, 14.0), 14.0, builtin=sid)
        n = len(r.runs.runs)
        r.runs.keep_current()
        s.wait(lambda: len(r.runs.runs) == n + 1)
    s.save(name("runs"))
    lp = r.lessons
    lp.scenario_overrides = s.small
    lp.open_lesson("03_5fu_recovery")
    k = next(i for i, st in enumerate(lp.lesson.steps) if st.question)
    lp.show_step(k)
    r.dock_lessons.raise_()
    s.save(name("lesson"))
    img = next((i for i, st in enumerate(lp.lesson.steps) if st.image), None)
    if img is not None:
        lp.show_step(img)
        s.save(name("lesson_image"))
        show_dialog(lp.enlarge_image(), "lesson_image_large")
    # transplant schedule with published-style points would need data: the human HSCT scenario
    s.load_and_run(s.scn("lesson_hsct", 30.0), 30.0, builtin="lesson_hsct")
    win.dock_schedule.raise_()
    s.save(name("transplant"))
    # dialogs
    show_dialog(HelpDialog(win), "help", 760, 680)
    g = GlossaryDialog(win)
    g.select("cxcr4")
    show_dialog(g, "glossary", 820, 560)
    show_dialog(MovieOptions(win, 10.0), "movie_options")
    sweep = open_sweep(win, s.scn("lesson_5fu", 6.0))
    sweep.use2.setChecked(True)
    sweep.axis2.name.setCurrentIndex(sweep.axis2.name.findData("fu5_kill_mkp"))
    for row in (sweep.axis1, sweep.axis2):
        row.n.setValue(3)
    sweep.seeds.setValue(1)
    sweep.headless = True
    sweep.resize(min(950, size[0] - 40), min(760, size[1] - 60))
    sweep.start()
    s.wait(lambda: sweep.result is not None, timeout=1800)
    show_dialog(sweep, "sweep")
    unused = open_sweep(win, s.scn("wt_steady_state", 6.0))
    show_dialog(unused, "sweep_unused_warning", 950, 500)
    ens = open_ensemble(win, s.scn("lesson_5fu_fgf4", 14.0))
    ens.seeds.setValue(3)
    ens.start()
    s.wait(lambda: ens.result is not None, timeout=1800)
    show_dialog(ens, "ensemble", 820, 700)
    s.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "docs"))
    ap.add_argument("--days", type=float, default=21.0)
    ap.add_argument("--tile", type=float, default=500.0, help="tile x and y in µm")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--review", default=None, help="folder for every screen at 1280x720 and 1920x1080")
    args = ap.parse_args(argv)
    if args.review:
        review(args)
    else:
        docs_pictures(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
