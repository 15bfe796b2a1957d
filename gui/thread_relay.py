"""One way back from worker threads to the GUI thread.

Code running in another thread (the engine thread, a study's background thread) never emits a Qt
signal and never touches a widget: it ``post``s a call into a relay, and the GUI thread runs the
queued calls when it ``pump``s the relay (the run controller does, on every render tick, about
30 times a second). No Python object crosses threads inside a Qt signal (PySide6 6.12 corrupted
the reference counts of such arguments, which crashed the interpreter at exit).

    relay = ThreadRelay()
    relay.post(dialog.on_progress, progress)     # any thread
    relay.pump()                                 # GUI thread: runs dialog.on_progress(progress)
"""
from __future__ import annotations

import logging
import queue
from typing import Any, Callable

log = logging.getLogger("nichelab.gui")


class ThreadRelay:
    """A thread-safe queue of calls that the GUI thread runs in order."""

    def __init__(self) -> None:
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def post(self, fn: Callable[..., Any], *args: Any) -> None:
        """Queue ``fn(*args)`` for the GUI thread (any thread; never blocks)."""
        self._queue.put((fn, args))

    def pump(self, limit: int | None = None) -> int:
        """Run the queued calls (GUI thread); returns how many ran. A call that raises is logged
        and the others still run."""
        n = 0
        while limit is None or n < limit:
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                break
            n += 1
            try:
                fn(*args)
            except Exception:  # noqa: BLE001 - one broken receiver must not stop the others
                log.exception("a relayed call failed")
        return n

    def empty(self) -> bool:
        return self._queue.empty()
