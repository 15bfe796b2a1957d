"""Performance workloads for ``python main.py bench`` (see docs/performance.md).

Each section module has ``run(opts) -> dict`` and never asserts a speed: the numbers go to the
console and to a JSON file. Sections, in the order they run:

    engine      throughput and time per simulated day at 10k..300k agents, per phase
    numpy       the same step done by a plain vectorised NumPy implementation, side by side
    field       SDF-1 field solver voxel-updates per second at three grid sizes
    scenario    wall time of the 60-day default scenario (and of its equilibration)
    memory      bytes per agent, peak memory at 100k agents, day 1 versus day 365 of a long run
    startup     time to a built simulation and to the first drawn window frame, cold and warm cache
    gui         frame time and UI event latency while the engine runs flat out (under Xvfb)
"""
from __future__ import annotations

SECTIONS = ("engine", "numpy", "field", "scenario", "memory", "startup", "gui")
