"""Responsiveness measurements of a running MainWindow (for benchmarks, not tests).

    from gui.diagnostics import measure_ui_latency, measure_rates, benchmark_window
    lat = measure_ui_latency(window, seconds=10)   # {'p50_ms': ..., 'p99_ms': ..., ...}
    rates = measure_rates(window, seconds=10)      # {'frames_per_s': ..., 'steps_per_s': ...}
    everything = benchmark_window(window, seconds=20, speed=None)   # engine flat out

UI latency is what a click or key press waits for while the engine runs and
the view renders: a helper thread posts an event every 10 ms and we time how
long it waits for the GUI thread (measure_timer_latency gives the 0-ms
single-shot variant).
"""
from __future__ import annotations

import time

import numpy as np


def _stats(delays) -> dict:
    d = np.array(delays) if len(delays) else np.array([np.nan])
    return {"n": int(len(delays)), "p50_ms": float(np.percentile(d, 50)), "p90_ms": float(np.percentile(d, 90)),
            "p99_ms": float(np.percentile(d, 99)), "max_ms": float(np.max(d)), "mean_ms": float(np.mean(d))}


def measure_timer_latency(seconds: float = 5.0, interval_ms: int = 10) -> dict:
    """Delay (ms) of 0-ms single-shot timers posted from the GUI thread every ``interval_ms``.

    Only samples while the event loop runs (a timer is posted from the previous callback), so long
    blocking paints are under-represented; see :func:`measure_ui_latency`.
    """
    from PySide6.QtCore import QEventLoop, QTimer

    delays: list[float] = []
    loop = QEventLoop()
    t_end = time.perf_counter() + float(seconds)
    pending = {"t": 0.0}

    def fired():
        delays.append((time.perf_counter() - pending["t"]) * 1000.0)
        if time.perf_counter() >= t_end:
            loop.quit()
        else:
            QTimer.singleShot(interval_ms, post)

    def post():
        pending["t"] = time.perf_counter()
        QTimer.singleShot(0, fired)

    QTimer.singleShot(0, post)
    QTimer.singleShot(int(seconds * 1000) + 5000, loop.quit)   # safety net
    loop.exec()
    return _stats(delays)


def measure_ui_latency(window=None, seconds: float = 5.0, interval_ms: int = 10) -> dict:
    """How long an event waits for the GUI thread: p50/p99 (ms) over ``seconds``.

    A helper thread posts an event to a GUI-thread object every ``interval_ms`` (as input events
    arrive, whatever the GUI thread is doing); the delay is the time until the GUI thread handles
    it. This counts the whole of a slow paint or a long Python call, unlike a timer posted from the
    GUI thread itself. ``window`` is unused (kept so callers pass the window they measure).
    """
    import collections
    import threading

    from PySide6.QtCore import QCoreApplication, QEvent, QEventLoop, QObject, QTimer

    etype = QEvent.Type(QEvent.registerEventType())
    sent: collections.deque = collections.deque()      # send times; events arrive in order
    delays: list[float] = []

    class Probe(QObject):
        def event(self, ev):
            if ev.type() == etype:
                if sent:
                    delays.append((time.perf_counter() - sent.popleft()) * 1000.0)
                return True
            return super().event(ev)

    probe = Probe()
    stop = threading.Event()

    def sender():
        while not stop.wait(interval_ms / 1000.0):
            sent.append(time.perf_counter())
            QCoreApplication.postEvent(probe, QEvent(etype))

    th = threading.Thread(target=sender, name="latency-probe", daemon=True)
    th.start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    stop.set()
    th.join(2.0)
    QCoreApplication.sendPostedEvents(probe)
    result = _stats(delays)
    probe.deleteLater()
    return result


def measure_rates(window, seconds: float = 5.0) -> dict:
    """Viewport frames/s, new frames/s and engine steps/s over ``seconds`` (event loop keeps running)."""
    from PySide6.QtCore import QEventLoop, QTimer

    c = window.controller
    vp = window.viewport
    d0, t0 = vp.draw_count, time.perf_counter()
    f0 = c.frame
    s0 = f0.step if f0 is not None else 0
    day0 = f0.day if f0 is not None else 0.0
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    dt = time.perf_counter() - t0
    f1 = c.frame
    s1 = f1.step if f1 is not None else s0
    day1 = f1.day if f1 is not None else day0
    return {"seconds": dt, "frames_per_s": (vp.draw_count - d0) / dt, "steps_per_s": (s1 - s0) / dt,
            "sim_days_per_s": (day1 - day0) / dt,
            "agents": int(f1.snapshot.counts.get("agents", 0)) if f1 is not None else 0}


def benchmark_window(window, seconds: float = 10.0, speed=None) -> dict:
    """Run the loaded scenario at ``speed`` (None = flat out) and measure rates and UI latency together."""
    from PySide6.QtCore import QEventLoop, QTimer

    c = window.controller
    while not c.ready or c.frame is None:   # wait for the tile to be built
        loop = QEventLoop()
        QTimer.singleShot(100, loop.quit)
        loop.exec()
    c.set_speed(speed)
    c.run_free()
    warm = QEventLoop()
    QTimer.singleShot(1500, warm.quit)
    warm.exec()
    rates = measure_rates(window, seconds / 2)
    latency = measure_ui_latency(window, seconds / 4)
    timer = measure_timer_latency(seconds / 4)
    c.pause()
    return {**rates, "paint_ms": 1000.0 * window.viewport.last_paint_s,
            **{f"latency_{k}": v for k, v in latency.items()},
            **{f"timer_latency_{k}": v for k, v in timer.items()}}


def gui_benchmark(scenario: str = "wt_steady_state", seconds: float = 20.0, speed=None,
                  size=(1600, 1000)) -> dict:
    """Open a window on ``scenario`` and return :func:`benchmark_window`'s numbers (for `bench` commands).

    Needs a display (use xvfb-run on a headless machine). The first call builds the tile (spin-up).
    """
    import os

    from PySide6.QtCore import QEventLoop, QTimer

    from engine import builtin_scenarios, load_scenario

    from .app import make_app
    from .main_window import MainWindow

    app = make_app()
    win = MainWindow()
    win.resize(*size)
    win.show()
    t0 = time.perf_counter()
    builtin = scenario if scenario in builtin_scenarios() else None
    win.controller.load_scenario(load_scenario(scenario), builtin_id=builtin)
    while win.controller.frame is None:
        loop = QEventLoop()
        QTimer.singleShot(100, loop.quit)
        loop.exec()
    build_s = time.perf_counter() - t0
    try:
        result = benchmark_window(win, seconds=seconds, speed=speed)
    finally:
        win.shutdown()
        win.close()
        app.processEvents()
    result.update({"build_s": build_s, "scenario": scenario, "speed": speed, "window": list(size),
                   "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None})
    return result
