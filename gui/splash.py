"""First-launch splash: compile the numba kernels once, with a message on screen.

The installers ship the compiled kernels (``engine.shipped_kernels``): an installed copy copies
them into the per-user kernel cache at its first start and shows no splash. Without them (the
source tree's ``./nichelab.sh``, or an install whose kernels do not fit) the first run compiles
them (40 s on a quiet machine, nearly two minutes on a busy one) and caches them
(``engine.runtime.configure_numba_cache``); later launches load them in about a second.
``warm_up_kernels(app)`` first removes damaged cache files (``engine.numba_cache.check_cache``),
then, if the kernels of this build are not cached, runs a tiny simulation in a worker thread while
a splash screen stays painted, and leaves a marker file keyed by the app version and a hash of the
engine sources, so the splash appears only while the cache for this build is cold or was damaged.

The worker thread touches no Qt object; the GUI thread polls it from a timer.
"""
from __future__ import annotations

import json
import logging
import threading
import time
from pathlib import Path

from PySide6.QtCore import QEventLoop, QRectF, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QLinearGradient, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QSplashScreen

log = logging.getLogger("nichelab.splash")

MESSAGE = "Preparing the simulation engine (first launch only)…"
REPAIR_MESSAGE = "Repairing the simulation engine (its saved copy was damaged)…"
#: the splash's explanation (measured: 40 s on a quiet 2-core machine, 114 s on a busy one)
EXPLANATION = ("The first time NicheLab runs on this computer it translates its simulation engine "
               "into fast machine code. This takes about a minute (up to two on a busy computer), "
               "once; later launches start in seconds.")
REPAIR_EXPLANATION = ("NicheLab's saved copy of its compiled simulation engine was damaged and has been "
                      "removed; it is being prepared again. This takes about a minute (up to two on a "
                      "busy computer).")


def marker_path() -> Path:
    """File whose presence says this build's kernels are already compiled and cached."""
    from engine.runtime import kernel_cache_dir, kernel_cache_key

    return kernel_cache_dir() / f"warm-{kernel_cache_key()}.json"


def kernels_cached() -> bool:
    """True when this build's kernels need no compile: shipped with the app, or compiled before."""
    from engine import shipped_kernels

    if shipped_kernels.active():
        return True
    try:
        return marker_path().is_file()
    except OSError:
        return False


def repair_cache() -> int:
    """Remove damaged kernel cache files (and the marker, if a compile is needed); returns the number
    of kernels affected (``engine.numba_cache.check_cache``, which logs one line)."""
    from engine import numba_cache

    try:
        damaged = numba_cache.check_cache()
    except Exception:  # noqa: BLE001 - the guard inside numba still catches damaged files later
        log.exception("could not check the kernel cache")
        return 0
    if damaged:
        try:
            marker_path().unlink(missing_ok=True)
        except OSError:
            pass
    return damaged


def _write_marker(seconds: float, steps: int) -> None:
    from engine.observables import atomic_write_text
    from engine.runtime import app_version, kernel_cache_key

    path = marker_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps({"app_version": app_version(), "key": kernel_cache_key(),
                                        "compile_seconds": round(seconds, 2), "steps": steps,
                                        "written": time.strftime("%Y-%m-%d %H:%M:%S")}, indent=1))


def compile_kernels(progress=None) -> int:
    """Run a tiny simulation so that numba compiles (and caches) its kernels; returns steps run.

    ``progress(step, max_steps)`` is called after each step (from this thread).
    """
    from engine.kernel_warmup import compile_kernels as run

    return run(progress)


def _splash_pixmap(width: int = 520, height: int = 300, text: str = EXPLANATION) -> QPixmap:
    from engine.runtime import APP_NAME, app_version, resource_dir

    pm = QPixmap(width, height)
    pm.fill(QColor("#fbf7f4"))
    p = QPainter(pm)
    p.setRenderHint(QPainter.Antialiasing)
    grad = QLinearGradient(0, 0, 0, 110)
    grad.setColorAt(0.0, QColor("#7a1631"))
    grad.setColorAt(1.0, QColor("#4a0e24"))
    p.fillRect(QRectF(0, 0, width, 110), grad)
    icon = QPixmap(str(resource_dir() / "icons" / "nichelab-128.png"))
    if not icon.isNull():
        p.drawPixmap(24, 15, icon.scaled(80, 80, Qt.KeepAspectRatio, Qt.SmoothTransformation))
    p.setPen(QColor("white"))
    f = QFont()
    f.setPointSize(24)
    f.setBold(True)
    p.setFont(f)
    p.drawText(QRectF(120, 18, width - 130, 44), Qt.AlignLeft | Qt.AlignVCenter, APP_NAME)
    f.setPointSize(10)
    f.setBold(False)
    p.setFont(f)
    p.drawText(QRectF(122, 60, width - 130, 30), Qt.AlignLeft | Qt.AlignVCenter,
               f"version {app_version()}  ·  bone-marrow niche simulator")
    p.setPen(QColor("#5a4a4f"))
    p.drawText(QRectF(24, 130, width - 48, 90), Qt.AlignLeft | Qt.TextWordWrap, text)
    p.end()
    return pm


def warm_up_kernels(app: QApplication | None = None, *, force: bool = False) -> bool:
    """Compile the kernels behind a splash screen if this build has not cached them yet.

    Returns True when it compiled (the splash was shown), False when the kernels
    were already cached. A failure is logged, never raised: the simulation will
    then compile (or report the error) when it first runs. Damaged cache files are
    removed first; the splash then says it is repairing.
    """
    repaired = repair_cache()
    if not force and kernels_cached():
        return False
    app = app or QApplication.instance()
    from engine.kernel_warmup import WARMUP_MAX_STEPS

    state = {"step": 0, "total": WARMUP_MAX_STEPS, "done": False, "error": None, "steps": 0}

    def work():
        try:
            state["steps"] = compile_kernels(lambda i, n: state.update(step=i, total=n))
        except Exception as exc:  # noqa: BLE001 - reported on the GUI thread
            state["error"] = exc
            log.exception("kernel warm-up failed")
        finally:
            state["done"] = True

    t0 = time.perf_counter()
    message = REPAIR_MESSAGE if repaired else MESSAGE
    splash = QSplashScreen(_splash_pixmap(text=REPAIR_EXPLANATION if repaired else EXPLANATION))
    splash.setWindowFlag(Qt.WindowStaysOnTopHint, True)

    def show_message():
        elapsed = time.perf_counter() - t0
        detail = f"{elapsed:.0f} s" if state["step"] == 0 else \
            f"{elapsed:.0f} s, test run step {state['step']}"
        splash.showMessage(f"{message}   ({detail})", Qt.AlignBottom | Qt.AlignHCenter, QColor("#4a0e24"))

    splash.show()
    show_message()
    if app is not None:
        app.processEvents()
    worker = threading.Thread(target=work, name="nichelab-kernel-warmup", daemon=True)
    worker.start()
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(100)

    def poll():
        if state["done"]:
            timer.stop()
            loop.quit()
        else:
            show_message()

    timer.timeout.connect(poll)
    timer.start()
    if not state["done"]:
        loop.exec()
    worker.join()
    seconds = time.perf_counter() - t0
    splash.close()
    splash.deleteLater()
    if state["error"] is None:
        log.info("kernels compiled and cached in %.1f s (%d warm-up steps)", seconds, state["steps"])
        try:
            _write_marker(seconds, state["steps"])
        except OSError:
            log.warning("could not write the kernel-cache marker %s", marker_path(), exc_info=True)
    return True
