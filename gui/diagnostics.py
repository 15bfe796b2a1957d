"""Responsiveness measurements of a running MainWindow (for benchmarks, not tests).

    from gui.diagnostics import measure_ui_latency, measure_rates, benchmark_window
    lat = measure_ui_latency(window, seconds=10)   # {'p50_ms': ..., 'p99_ms': ..., ...}
    rates = measure_rates(window, seconds=10)      # {'frames_per_s': ..., 'steps_per_s': ...}
    everything = benchmark_window(window, seconds=20, speed=None)   # engine flat out

UI latency is what a click or key press waits for while the engine runs and
the view renders: a helper thread posts an event every 10 ms and we time how
long it waits for the GUI thread (measure_timer_latency gives the 0-ms
single-shot variant). The event's handler is Python, like every slot a click
reaches, so waiting for the GIL (held by the engine thread between its nogil
kernels) counts too.

benchmark_window measures the frame rate and the latency over the same seconds
(the latency used to be sampled over a quarter of the run only: ~500 events, so
the p99 rested on the 5 slowest); events are posted at a fixed 10 ms pace,
independent of the GUI thread, so a paint that blocks it is sampled in
proportion to its length, as a user's input would be.
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


class LatencyProbe:
    """Posts an event to a GUI-thread object every ``interval_ms`` from a helper thread (as input
    events arrive, whatever the GUI thread is doing) and records how long each waited until the GUI
    thread handled it. Counts the whole of a slow paint or a long Python call, unlike a timer posted
    from the GUI thread itself. ``start()``, run the event loop, ``stop()`` -> stats (ms)."""

    def __init__(self, interval_ms: int = 10):
        import collections
        import threading

        from PySide6.QtCore import QEvent, QObject

        self.interval_s = interval_ms / 1000.0
        self.etype = QEvent.Type(QEvent.registerEventType())
        self.sent: collections.deque = collections.deque()      # send times; events arrive in order
        self.delays: list[float] = []
        etype, sent, delays = self.etype, self.sent, self.delays

        class Probe(QObject):
            def event(self, ev):
                if ev.type() == etype:
                    if sent:
                        delays.append((time.perf_counter() - sent.popleft()) * 1000.0)
                    return True
                return super().event(ev)

        self.probe = Probe()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._send, name="latency-probe", daemon=True)

    def _send(self) -> None:
        from PySide6.QtCore import QCoreApplication, QEvent

        while not self._stop.wait(self.interval_s):
            self.sent.append(time.perf_counter())
            QCoreApplication.postEvent(self.probe, QEvent(self.etype))

    def start(self) -> "LatencyProbe":
        self._thread.start()
        return self

    def stop(self) -> dict:
        from PySide6.QtCore import QCoreApplication

        self._stop.set()
        self._thread.join(2.0)
        QCoreApplication.sendPostedEvents(self.probe)
        self.probe.deleteLater()
        return _stats(self.delays)


def measure_ui_latency(window=None, seconds: float = 5.0, interval_ms: int = 10) -> dict:
    """How long an event waits for the GUI thread: p50/p99 (ms) over ``seconds`` (see LatencyProbe).
    ``window`` is unused (kept so callers pass the window they measure)."""
    from PySide6.QtCore import QEventLoop, QTimer

    probe = LatencyProbe(interval_ms).start()
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    return probe.stop()


def measure_rates(window, seconds: float = 5.0, latency: bool = False) -> dict:
    """Viewport frames/s, new frames/s and engine steps/s over ``seconds`` (event loop keeps running);
    with ``latency`` also the UI event latency over the same seconds (``latency_*`` keys)."""
    from PySide6.QtCore import QEventLoop, QTimer

    c = window.controller
    vp = window.viewport
    probe = LatencyProbe().start() if latency else None
    d0, t0 = vp.draw_count, time.perf_counter()
    pacer = getattr(window, "pacer", None)
    f0 = c.frame
    s0 = f0.step if f0 is not None else 0
    day0 = f0.day if f0 is not None else 0.0
    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    dt = time.perf_counter() - t0
    lat = probe.stop() if probe is not None else {}
    f1 = c.frame
    s1 = f1.step if f1 is not None else s0
    day1 = f1.day if f1 is not None else day0
    out = {"seconds": dt, "frames_per_s": (vp.draw_count - d0) / dt, "steps_per_s": (s1 - s0) / dt,
           "sim_days_per_s": (day1 - day0) / dt,
           "agents": int(f1.snapshot.counts.get("agents", 0)) if f1 is not None else 0}
    if pacer is not None:      # window repaints (3D view + composition, plots, labels) in these seconds
        paints = [d for t, d in pacer.paints if t >= t0]
        out.update(pacer.paint_stats(t0))
        out["paint_busy_fraction"] = sum(paints) / dt
    out.update({f"latency_{k}": v for k, v in lat.items()})
    return out


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
    rates = measure_rates(window, seconds * 0.75, latency=True)
    timer = measure_timer_latency(seconds / 4)
    c.pause()
    vp = window.viewport
    out = {**rates, **{f"timer_latency_{k}": v for k, v in timer.items()}}
    # paint_ms: median window repaint while running (the last 3D paint alone when there is no pacer)
    out["paint_ms"] = rates.get("paint_p50_ms", 1000.0 * vp.last_paint_s)
    out["native_view"] = bool(getattr(vp, "native_window", False))
    from .viewport import gl_renderer

    out["gl_renderer"] = gl_renderer()
    out["engine_niceness"] = getattr(c.worker, "niceness", 0)
    return out


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
