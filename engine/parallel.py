"""How the parallel numba kernels' worker threads wait between kernels.

numba's OpenMP layer by default lets idle worker threads spin for a while before they sleep. A
step runs a dozen short parallel kernels, so on a busy machine (the GUI thread drawing, other
programs, a test run) the spinning threads eat the CPU the others need and every kernel waits for
a descheduled worker (measured: docs/performance.md, appendix). Results never depend on this (the
kernels give the same numbers on any number of threads).

Must run before the first parallel kernel starts the thread pool; ``engine/__init__`` calls it.
A value the user already set in the environment is kept.
"""
from __future__ import annotations

import os


def configure_worker_threads() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
