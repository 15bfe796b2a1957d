"""Frame pacing on the GUI thread: one repaint at a time, and input gets a turn after each.

Under software OpenGL (Mesa llvmpipe) every repaint of the main window is expensive: the window
holds an OpenGL widget (the vispy canvas), so Qt composes the whole window with OpenGL on each
paint (~10-15 ms for a status label alone), the 3D scene adds ~15-30 ms, a redraw of the four
pyqtgraph plots ~15-20 ms. An input event that arrives while the GUI thread paints waits for the
paint to end; events wait longer when paints follow each other back to back, or when the 3D view
and the plots repaint in the same paint (their costs add up to 50-70 ms).

The pacer runs the two heavy jobs of a running simulation -- "view" (apply the newest frame to
the 3D view and the status read-outs) and "plots" (redraw the curves) -- under three rules:

* one job at a time: after a job, the next one waits until the window has finished the paint
  that job caused (``painted``, called by the main window after each window repaint; a job that
  caused no paint is over after ``paint_timeout_s``);
* then a rest: the next job starts at least ``rest`` x (job + paint time) after that paint ended
  (and never sooner than ``min_gap_s``), so the GUI thread is busy at most 1/(1 + rest) of the time
  and whatever input was queued during the paint is handled before the next job (the next job is a
  timer, and Qt delivers posted and window-system events before a timer that is not yet due).
  The rate of the 3D view adapts to its paint cost: ~30 frames/s on a GPU (``max_view_hz``), fewer
  under software rendering;
* the view and the plots never share a paint; the plots are redrawn at most every ``plot_interval_s``.

Every window paint counts, also those the pacer did not cause (camera drags, resizes): a job
waits for the rest after them too, so interaction stays responsive while the engine runs.
"""
from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, QTimer

VIEW, PLOTS = "view", "plots"


class FramePacer(QObject):
    """Schedules ``run_view()`` and ``run_plots()`` (see the module docstring)."""

    def __init__(self, run_view: Callable[[], object], run_plots: Callable[[], object], *, rest: float = 1.0,
                 min_gap_s: float = 0.008, max_view_hz: float = 30.0, plot_interval_s: float = 0.25,
                 paint_timeout_s: float = 0.2, clock: Callable[[], float] = time.perf_counter, parent=None):
        super().__init__(parent)
        self._jobs = {VIEW: run_view, PLOTS: run_plots}
        self.rest = float(rest)
        self.min_gap_s = float(min_gap_s)
        self.view_interval_s = 1.0 / float(max_view_hz)
        self.plot_interval_s = float(plot_interval_s)
        self.paint_timeout_s = float(paint_timeout_s)
        self.clock = clock
        self._want = {VIEW: False, PLOTS: False}
        self._last_start = {VIEW: -1e9, PLOTS: -1e9}
        self._last_job: str | None = None
        self._job_s = 0.0               # GUI-thread time of the running job's own code
        self._awaiting_paint = False     # a job ran and its paint has not happened yet
        self._job_end = -1e9
        self.ready_at = -1e9             # earliest start of the next job
        self.last_busy_s = 0.0           # job + paint of the last job (what the rest is scaled by)
        self.paints: list[tuple[float, float]] = []   # (end time, duration) of recent window paints
        self.jobs_run = {VIEW: 0, PLOTS: 0}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._fire)

    # ------------------------------------------------------------------ inputs
    def want(self, job: str) -> None:
        """There is new work for ``job`` (VIEW or PLOTS); it runs when the rules allow."""
        self._want[job] = True
        self._schedule()

    def drop(self, job: str) -> None:
        """Forget pending work (it was done outside the pacer, e.g. while paused)."""
        self._want[job] = False

    def pending(self, job: str) -> bool:
        return self._want[job]

    def painted(self, t0: float, t1: float) -> None:
        """The window finished a repaint that kept the GUI thread busy from ``t0`` to ``t1``."""
        paint_s = max(0.0, t1 - t0)
        self.paints.append((t1, paint_s))
        if len(self.paints) > 256:
            del self.paints[:128]
        if self._awaiting_paint:
            self._awaiting_paint = False
            busy = self._job_s + paint_s
        else:
            busy = paint_s               # a paint the pacer did not cause (camera, resize, labels)
        self.last_busy_s = busy
        self.ready_at = max(self.ready_at, t1 + max(self.min_gap_s, self.rest * busy))
        self._schedule()

    # ------------------------------------------------------------------ decisions
    def next_job(self, now: float) -> tuple[str | None, float]:
        """The job to start at ``now`` (or None) and, if none, seconds until one may be due (inf: no work)."""
        if self._awaiting_paint:
            if now - self._job_end < self.paint_timeout_s:
                return None, self._job_end + self.paint_timeout_s - now
            self._awaiting_paint = False        # the job changed nothing visible (or the window is hidden)
            self.ready_at = max(self.ready_at, self._job_end + max(self.min_gap_s, self.rest * self._job_s))
        if now < self.ready_at:
            return None, self.ready_at - now
        due = {VIEW: self._last_start[VIEW] + self.view_interval_s,
               PLOTS: self._last_start[PLOTS] + self.plot_interval_s}
        ready = [j for j in (VIEW, PLOTS) if self._want[j] and due[j] <= now]
        if ready:
            if len(ready) == 2:     # both due: take turns, so that neither starves the other
                return (PLOTS if self._last_job == VIEW else VIEW), 0.0
            return ready[0], 0.0
        waits = [due[j] - now for j in (VIEW, PLOTS) if self._want[j]]
        return None, (min(waits) if waits else float("inf"))

    # ------------------------------------------------------------------ running
    def _schedule(self) -> None:
        """(Re)start the timer for the next decision (a paint that just ended may make it sooner)."""
        job, wait = self.next_job(self.clock())
        if job is None and wait == float("inf"):
            self._timer.stop()
            return
        self._timer.start(0 if job is not None else max(1, int(wait * 1000.0 + 0.999)))

    def _fire(self) -> None:
        now = self.clock()
        job, _wait = self.next_job(now)
        if job is not None:
            self.run(job, now)
        self._schedule()

    def run(self, job: str, now: float | None = None) -> None:
        """Start ``job`` now (the timer calls this when the rules allow it)."""
        t0 = self.clock() if now is None else now
        self._want[job] = False
        self._last_start[job] = t0
        self._last_job = job
        self.jobs_run[job] += 1
        self._jobs[job]()
        self._job_end = self.clock()
        self._job_s = max(0.0, self._job_end - t0)
        self._awaiting_paint = True

    def stop(self) -> None:
        self._timer.stop()
        self._want = {VIEW: False, PLOTS: False}

    # ------------------------------------------------------------------ diagnostics
    def paint_stats(self, since: float = -1e9) -> dict:
        """Window paints ended after ``since``: count, median and max duration (ms)."""
        d = sorted(1000.0 * s for t, s in self.paints if t >= since)
        if not d:
            return {"paints": 0, "paint_p50_ms": float("nan"), "paint_max_ms": float("nan")}
        return {"paints": len(d), "paint_p50_ms": d[len(d) // 2], "paint_max_ms": d[-1]}
