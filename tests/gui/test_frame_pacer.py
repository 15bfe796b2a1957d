"""Frame pacing (gui/frame_pacer.py), the engine thread's priority and the 3D view's own window.

The pacer is driven by a fake clock and fake paint costs: the assertions are about order and
counts, never about how long something took on this machine.
"""
from __future__ import annotations

import sys
import threading
import time

import pytest

from gui_helpers import WAIT_MS, wait_day


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def simulate(paint_s: float, seconds: float = 4.0, job_s: float = 0.002, plots: bool = True, rest: float = 1.0):
    """Drive a pacer whose jobs always have new work and whose every job causes one paint of
    ``paint_s`` (fake clock, no event loop). Returns (pacer, log of (time, what))."""
    from gui.frame_pacer import PLOTS, VIEW, FramePacer

    clock = FakeClock()
    log = []
    pacer = FramePacer(lambda: log.append((clock.t, VIEW)), lambda: log.append((clock.t, PLOTS)),
                       rest=rest, clock=clock)
    end = clock.t + seconds
    while clock.t < end:
        pacer._want[VIEW] = True                 # the engine always has a newer frame
        pacer._want[PLOTS] = plots
        job, wait = pacer.next_job(clock.t)
        if job is None:
            clock.t += max(wait, 1e-4)
            continue
        pacer.run(job)
        clock.t += job_s                         # the job's own code
        pacer._job_end = clock.t
        pacer._job_s = job_s
        clock.t += 0.001                         # Qt delivers the repaint
        t0 = clock.t
        clock.t += paint_s
        log.append((t0, "paint"))
        pacer.painted(t0, clock.t)
    pacer._timer.stop()
    return pacer, log


def test_the_view_rate_adapts_to_the_paint_cost_and_the_gui_thread_keeps_half_its_time(qtbot):
    from gui.frame_pacer import VIEW

    fast, _ = simulate(paint_s=0.003)
    slow, log = simulate(paint_s=0.040)
    assert fast.jobs_run[VIEW] / 4.0 <= 30.5            # capped at max_view_hz
    assert fast.jobs_run[VIEW] > 2 * slow.jobs_run[VIEW]
    # with rest = 1 the next job starts no sooner than (job + paint) after the paint ended
    paints = [t for t, what in log if what == "paint"]
    starts = [t for t, what in log if what != "paint"]
    for p_start, nxt in zip(paints, starts[1:]):
        assert nxt >= p_start + 0.040 + 0.040 + 0.002 - 1e-9
    busy = len(paints) * (0.040 + 0.002)
    span = paints[-1] + 0.040 - starts[0]
    assert busy <= 0.5 * span + 0.042 + 1e-9          # (+ the last job, cut off before its rest)


def test_every_job_gets_its_own_paint_and_view_and_plots_take_turns(qtbot):
    from gui.frame_pacer import PLOTS, VIEW

    pacer, log = simulate(paint_s=0.030)
    seq = [what for _, what in log]
    # job, paint, job, paint ...: never two jobs (3D view and plots) in one paint
    assert all(a != "paint" and b == "paint" for a, b in zip(seq[0::2], seq[1::2]))
    jobs = [w for w in seq if w != "paint"]
    assert pacer.jobs_run[PLOTS] > 0 and pacer.jobs_run[VIEW] > pacer.jobs_run[PLOTS]
    assert all(not (a == PLOTS and b == PLOTS) for a, b in zip(jobs, jobs[1:]))
    # plots at most every plot_interval_s
    plot_times = [t for t, w in log if w == PLOTS]
    assert min(b - a for a, b in zip(plot_times, plot_times[1:])) >= pacer.plot_interval_s - 1e-9


def test_a_job_waits_for_its_paint_and_a_job_without_a_paint_times_out(qtbot):
    from gui.frame_pacer import VIEW, FramePacer

    clock = FakeClock()
    ran = []
    pacer = FramePacer(lambda: ran.append(clock.t), lambda: None, clock=clock)
    pacer._want[VIEW] = True
    assert pacer.next_job(clock.t)[0] == VIEW
    pacer.run(VIEW)
    pacer._want[VIEW] = True
    clock.t += 0.05
    assert pacer.next_job(clock.t)[0] is None           # its paint has not happened yet
    clock.t += pacer.paint_timeout_s
    assert pacer.next_job(clock.t)[0] == VIEW           # a hidden window must not stop the pacer
    pacer._timer.stop()


def test_a_paint_the_pacer_did_not_cause_also_gets_its_rest(qtbot):
    from gui.frame_pacer import VIEW, FramePacer

    clock = FakeClock()
    pacer = FramePacer(lambda: None, lambda: None, clock=clock)
    pacer._want[VIEW] = True
    pacer.painted(clock.t, clock.t + 0.050)              # e.g. the user rotates the camera
    clock.t += 0.050 + 0.049
    assert pacer.next_job(clock.t)[0] is None
    clock.t += 0.002
    assert pacer.next_job(clock.t)[0] == VIEW
    pacer._timer.stop()


def test_input_that_arrives_during_a_paint_is_handled_before_the_next_job(qtbot):
    """Real event loop: each job causes a (fake, 30 ms) paint during which an input event is posted;
    that event must be handled before the pacer starts the next job."""
    from PySide6.QtCore import QCoreApplication, QEvent, QObject, QTimer

    from gui.frame_pacer import VIEW, FramePacer

    etype = QEvent.Type(QEvent.registerEventType())
    log = []

    class Input(QObject):
        def event(self, ev):
            if ev.type() == etype:
                log.append("input")
                return True
            return super().event(ev)

    inp = Input()

    def paint():
        t0 = time.perf_counter()
        log.append("paint")
        QCoreApplication.postEvent(inp, QEvent(etype))     # a click arrives while the GUI thread paints
        time.sleep(0.03)                                    # the paint's cost
        pacer.painted(t0, time.perf_counter())

    def job():
        log.append("job")
        QTimer.singleShot(0, paint)

    pacer = FramePacer(job, lambda: None, rest=1.0)
    feeder = QTimer()
    feeder.timeout.connect(lambda: pacer.want(VIEW))     # the engine always has a new frame
    feeder.start(5)
    qtbot.waitUntil(lambda: log.count("job") >= 6, timeout=WAIT_MS)
    feeder.stop()
    pacer.stop()
    for i, what in enumerate(log):
        if what == "paint" and "job" in log[i + 1:]:
            nxt = log.index("job", i + 1)
            assert "input" in log[i + 1:nxt], log


def test_running_window_paces_view_and_plots(qtbot, window):
    """While running, frames reach the view through the pacer and the curves keep growing."""
    from gui.frame_pacer import PLOTS, VIEW

    w = window
    n0 = len(w.plots.c_plt.getData()[0] if w.plots.c_plt.getData()[0] is not None else [])
    w.controller.set_speed(48.0)                 # 2 days/s: a few seconds of running frames
    w.controller.play()
    wait_day(qtbot, w, 1.0)
    qtbot.waitUntil(lambda: w.pacer.jobs_run[VIEW] >= 2 and w.pacer.jobs_run[PLOTS] >= 1, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: len(w.plots.c_plt.getData()[0]) > n0 + 1, timeout=WAIT_MS)
    w.controller.pause()
    qtbot.waitUntil(lambda: not w.controller.running, timeout=WAIT_MS)
    # paused: the last frame is shown at once, the curves hold every recorded row
    qtbot.waitUntil(lambda: len(w.plots.c_plt.getData()[0]) == w.plots.buffer.n, timeout=WAIT_MS)
    assert w.pacer.paint_stats()["paints"] > 0


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread niceness is Linux only")
def test_engine_thread_runs_at_a_lower_priority_than_the_gui():
    import os

    from gui.engine_worker import lower_thread_priority

    seen = {}

    def body():
        tid = threading.get_native_id()
        before = os.getpriority(os.PRIO_PROCESS, tid)
        seen["ok"] = lower_thread_priority(5)
        seen["delta"] = os.getpriority(os.PRIO_PROCESS, tid) - before

    main_before = os.getpriority(os.PRIO_PROCESS, threading.get_native_id())
    th = threading.Thread(target=body)
    th.start()
    th.join()
    assert seen["ok"] and seen["delta"] == min(5, 19 - main_before)
    assert os.getpriority(os.PRIO_PROCESS, threading.get_native_id()) == main_before   # only that thread


def test_view_gets_its_own_window_under_software_opengl(qtbot, window, monkeypatch):
    from gui import viewport as V

    assert window.viewport.native_window == V.software_gl()
    monkeypatch.setenv("NICHELAB_NATIVE_VIEW", "0")
    assert not V.own_native_window()
    monkeypatch.setenv("NICHELAB_NATIVE_VIEW", "1")
    assert V.own_native_window()
    monkeypatch.setattr(V, "_renderer", "llvmpipe (LLVM 15.0.6, 256 bits)")
    monkeypatch.delenv("NICHELAB_NATIVE_VIEW")
    assert V.software_gl() and V.own_native_window()
    monkeypatch.setattr(V, "_renderer", "NVIDIA GeForce RTX 3060/PCIe/SSE2")
    assert not V.software_gl() and not V.own_native_window()
