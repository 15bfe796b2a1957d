"""Application start-up: QApplication, optional splash warm-up, main window, screenshot mode.

    run_gui(args)   args: scenario, seed, screenshot, days, session (see main.py)
"""
from __future__ import annotations

import logging
import os
import sys
import time

log = logging.getLogger("nichelab.gui")

DEFAULT_SCENARIO = "wt_steady_state"
SCREENSHOT_SIZE = (1600, 1000)
SCREENSHOT_TIMEOUT_S = 1800.0


def make_app(argv: list[str] | None = None):
    """The QApplication (created once), with NicheLab's name, version and style."""
    from PySide6.QtWidgets import QApplication

    from engine.runtime import APP_NAME, app_version

    app = QApplication.instance()
    if app is None:
        app = QApplication(list(argv) if argv else [sys.argv[0] if sys.argv else "nichelab"])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(app_version())
    app.setStyle("Fusion")
    from PySide6.QtGui import QIcon

    from engine.runtime import resource_dir

    icon = QIcon()
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        png = resource_dir() / "icons" / f"nichelab-{size}.png"
        if png.exists():
            icon.addFile(str(png))
    app.setWindowIcon(icon)
    app.setDesktopFileName("nichelab")  # lets Wayland desktops match the window to nichelab.desktop
    return app


def qt_binding_problem() -> str | None:
    """A known-bad Qt binding for this Python, described (None when fine).

    PySide6 6.12.0 on Python < 3.12 releases a reference to None (and True) on most calls into Qt:
    pyqtgraph and vispy make thousands per second, so the interpreter eventually aborts
    ("Fatal Python error: none_dealloc"), at exit or during a long run.
    """
    try:
        import PySide6
    except ImportError:
        return None
    version = tuple(int(p) for p in PySide6.__version__.split(".")[:2] if p.isdigit())
    if version >= (6, 12) and sys.version_info < (3, 12):
        return (f"PySide6 {PySide6.__version__} on Python {sys.version_info.major}.{sys.version_info.minor} "
                "has a reference-counting bug that can crash NicheLab; install PySide6-Essentials<6.12 "
                "(e.g. 6.11.3) or use Python 3.12+")
    return None


def _warm_up(app) -> None:
    """Show the splash while numba compiles (gui/splash.py, when present)."""
    try:
        from gui.splash import warm_up_kernels
    except ImportError:
        return
    try:
        warm_up_kernels(app)
    except Exception:  # noqa: BLE001 - a failed warm-up must not stop the app
        log.exception("kernel warm-up failed")


def _resolve_scenario(args):
    """(scenario, builtin id or None, path or None) from the command line; raises InputError."""
    from engine import InputError, builtin_scenarios, load_scenario
    from engine.scenario import SEED_MAX

    name = getattr(args, "scenario", None) or DEFAULT_SCENARIO
    scn = load_scenario(name)
    seed = getattr(args, "seed", None)
    if seed is not None:
        if not 0 <= seed <= SEED_MAX:
            raise InputError("seed out of range", field="--seed", expected=f"0..{SEED_MAX}", found=seed)
        scn = scn.copy_with(seed=int(seed))
    builtin = name if name in builtin_scenarios() else None
    return scn, builtin, (None if builtin else name)


def display_problem(environ=None, platform: str | None = None) -> str | None:
    """Why no window can be shown here (None when a display looks usable). Checked before Qt starts:
    without a display, Qt aborts the process (SIGABRT) instead of raising an error."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if not platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        return None
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip().lower()
    if qpa and qpa not in ("xcb", "wayland", "wayland-egl"):
        return None                    # offscreen, vnc, eglfs, ...: Qt needs no desktop for these
    display, wayland = env.get("DISPLAY", ""), env.get("WAYLAND_DISPLAY", "")
    if qpa.startswith("wayland"):
        display = ""
    if qpa == "xcb":
        wayland = ""
    if wayland:
        runtime = env.get("XDG_RUNTIME_DIR", "")
        sock = wayland if os.path.isabs(wayland) else os.path.join(runtime, wayland)
        if os.path.exists(sock):
            return None
    if display:
        if _x_display_reachable(display):
            return None
        return (f"cannot connect to the X display {display!r}. Start NicheLab from a desktop session, or "
                "use the headless commands (python main.py run --help)")
    return ("no graphical display (DISPLAY and WAYLAND_DISPLAY are not set). Start NicheLab from a desktop "
            "session, or use the headless commands (python main.py run --help)")


def _x_display_reachable(display: str, timeout: float = 2.0) -> bool:
    """Can an X client connect to ``display`` (':0', 'host:10.0', 'unix:0')? Checked with a socket."""
    import socket

    host, _, rest = display.rpartition(":")
    number = rest.split(".")[0]
    if not number.isdigit():
        return True                    # a form this check does not know: let Qt try
    n = int(number)
    if host in ("", "unix") or host.startswith("/"):
        path = host if host.startswith("/") else f"/tmp/.X11-unix/X{n}"
        if not os.path.exists(path):
            return os.path.exists(f"/tmp/.X11-unix/X{n}") or _abstract_socket(n)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        target = path
    else:
        sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
        target = (host.strip("[]"), 6000 + n)
    sock.settimeout(timeout)
    try:
        sock.connect(target)
        return True
    except OSError:
        return False
    finally:
        sock.close()


def _abstract_socket(n: int) -> bool:
    """Linux X servers may listen only on an abstract socket (@/tmp/.X11-unix/Xn)."""
    import socket

    if not sys.platform.startswith("linux"):
        return False
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(1.0)
    try:
        sock.connect(f"\0/tmp/.X11-unix/X{n}")
        return True
    except OSError:
        return False
    finally:
        sock.close()


def run_gui(args) -> int:
    """Open the NicheLab window (or take a screenshot and exit). Returns the exit code.

    A bad ``--scenario`` or ``--seed`` stops an unattended ``--screenshot`` run (exit status 2); an
    interactive start (e.g. a desktop shortcut opening a broken file) shows the error in a dialog
    and opens the default scenario instead."""
    from engine import InputError

    screenshot = getattr(args, "screenshot", None)
    start_error = None
    try:
        days = float(getattr(args, "days", 5.0) if getattr(args, "days", None) is not None else 5.0)
        if screenshot and not days > 0:
            raise InputError("must be a positive number of days", field="--days", expected="> 0", found=days)
        scn, builtin, path = _resolve_scenario(args)
    except InputError as exc:
        print(f"nichelab: error: {exc}", file=sys.stderr)
        if screenshot:
            return 2
        start_error = exc
        scn, builtin, path = _resolve_scenario(argparse_namespace(scenario=DEFAULT_SCENARIO))
    problem = display_problem()
    if problem:                         # Qt would abort the process: say why instead
        print(f"nichelab: {problem}", file=sys.stderr)
        return 1
    problem = qt_binding_problem()
    if problem:
        log.warning("%s", problem)
    app = make_app()
    _warm_up(app)
    from .main_window import MainWindow

    win = MainWindow()
    win.controller.load_scenario(scn, path=path, builtin_id=builtin)
    if screenshot:
        return _exit_code(take_screenshot(app, win, screenshot, days))
    _close_on_interrupt(win)
    win.show()
    if start_error is not None:
        from . import dialogs

        dialogs.show_error(win, "Cannot open the scenario", f"{start_error}\n\nThe default scenario is open "
                           "instead.")
    from .research import startup
    startup(win, session=getattr(args, "session", None))
    rc = app.exec()
    win.shutdown()
    return _exit_code(int(rc))


def argparse_namespace(**kw):
    import argparse

    return argparse.Namespace(**kw)


def _close_on_interrupt(win) -> None:
    """Ctrl+C in the terminal closes the window as the close button would (unsaved edits: asked)."""
    import signal

    from PySide6.QtCore import QTimer

    try:
        signal.signal(signal.SIGINT, lambda *_: QTimer.singleShot(0, win.close))
    except ValueError:        # not the main thread
        return
    # Python only runs signal handlers between bytecodes: a slow no-op timer gives it the chance
    win._sigint_timer = QTimer(win)
    win._sigint_timer.timeout.connect(lambda: None)
    win._sigint_timer.start(250)


def _exit_code(rc: int) -> int:
    """Return ``rc``; with a known-bad Qt binding, end the process now instead (files are saved and
    threads joined): its reference-count bug aborts the interpreter while it shuts down."""
    if qt_binding_problem() is None:
        return rc
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001 - closed or missing stream
            pass
    os._exit(rc)


def wait_for_draw(win, timeout_s: float = 5.0) -> bool:
    """Process events until the vispy canvas has drawn the newest frame."""
    from PySide6.QtWidgets import QApplication

    win.controller.poll()
    before = win.viewport.draw_count
    win.flush_frame()
    win.viewport.canvas.update()
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout_s:
        QApplication.processEvents()
        if win.viewport.draw_count > before:
            QApplication.processEvents()
            return True
        time.sleep(0.01)
    return False


def take_screenshot(app, win, path: str, days: float, size=SCREENSHOT_SIZE,
                    timeout_s: float = SCREENSHOT_TIMEOUT_S) -> int:
    """Advance the loaded scenario ``days`` days, grab the whole window to ``path``, return 0 (1 on failure)."""
    from PySide6.QtCore import QTimer

    win.headless = True
    win.resize(*size)
    win.show()
    state = {"rc": None}

    def finish(rc: int) -> None:
        if state["rc"] is None:
            state["rc"] = rc
            app.quit()

    def grab() -> None:
        wait_for_draw(win)
        win.update_status()
        app.processEvents()
        ok = win.files.save_window_png(path)
        if ok:
            print(f"nichelab: saved {os.path.abspath(path)} (day {win.controller.day:.2f})", file=sys.stderr)
        finish(0 if ok else 1)

    def on_error(title, message, _details) -> None:
        print(f"nichelab: {title}: {message}", file=sys.stderr)
        finish(1)

    win.controller.reached.connect(lambda _d: QTimer.singleShot(200, grab))
    win.controller.error.connect(on_error)
    win.controller.run_until(days)
    QTimer.singleShot(int(timeout_s * 1000), lambda: (print("nichelab: screenshot timed out", file=sys.stderr),
                                                      finish(1)))
    app.exec()
    win.shutdown()
    win.close()
    return int(state["rc"] if state["rc"] is not None else 1)
