"""Before/after timing of two engine versions on a shared machine: alternate steps in one process.

    python -m benchmarks.interleaved OLD_TREE [--agents 100000] [--steps 30]

OLD_TREE is another checkout of NicheLab (``git worktree add ../old COMMIT``). Its ``engine/`` package
is copied under the name ``engine_old`` (its imports are relative, so it runs as it was), beside the
``engine`` of this tree. Both build the same tile from their own parameters and scenarios, then step
alternately (old, new; new, old; ...), so that both see the same minutes of a host whose speed varies
by tens of percent within minutes. Prints the median agent-phase time per step of each and the median
of the per-pair ratios, the phases (each with its median per-pair ratio), and whether both ended in the same state (expected when the change
leaves every number as it was).
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("movement", "fates", "platelets", "field")


def _import_old(tree: Path, into: Path):
    """The ``engine`` package of ``tree`` imported as ``engine_old`` (resources from that tree)."""
    if not (tree / "engine" / "__init__.py").is_file():
        raise SystemExit(f"interleaved: {tree} has no engine/ package")
    shutil.copytree(tree / "engine", into / "engine_old", ignore=shutil.ignore_patterns("__pycache__"))
    (into / "resources").symlink_to((tree / "resources").resolve(), target_is_directory=True)
    shutil.copy(tree / "pyproject.toml", into / "pyproject.toml")
    sys.path.insert(0, str(into))
    import engine_old

    return engine_old


def _step(sim) -> tuple[float, dict]:
    before = dict(sim.phase_seconds)
    sim.advance(sim.dt)
    d = {k: 1e3 * (sim.phase_seconds[k] - before[k]) for k in before}
    return d["movement"] + d["fates"], d   # (the agent phases: the display particles' phase is listed apart)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.interleaved", description=__doc__.split("\n\n")[0])
    ap.add_argument("old_tree", type=Path, help="checkout of the engine version to compare against")
    ap.add_argument("--agents", type=int, default=100_000, help="tile size in agents (default 100000)")
    ap.add_argument("--steps", type=int, default=30, help="steps of each version (default 30)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    import engine

    from .workloads import overrides_for

    with tempfile.TemporaryDirectory(prefix="nichelab-interleaved-") as tmp:
        old_engine = _import_old(args.old_tree.resolve(), Path(tmp))
        over, how = overrides_for(args.agents)
        sims = []
        for pkg in (old_engine, engine):
            scn = pkg.load_scenario("wt_steady_state").copy_with(parameters=over)
            sim = pkg.Simulation(scn, seed=1)
            sim.advance(2 * sim.dt)
            sims.append(sim)
        times = ([], [])
        phases = ([], [])
        for i in range(args.steps):
            for v in ((0, 1) if i % 2 == 0 else (1, 0)):
                t, d = _step(sims[v])
                times[v].append(t)
                phases[v].append(d)
        old, new = (np.array(t) for t in times)
        ratio = new / old
        n = sims[1].store.n_alive
        print(f"{n} agents ({how}), {args.steps} steps each, alternating")
        print(f"agent phases, ms per step: old {np.median(old):.2f} (min {old.min():.2f}), "
              f"new {np.median(new):.2f} (min {new.min():.2f}); new/old {np.median(ratio):.3f} "
              f"(quartiles {np.percentile(ratio, 25):.3f}-{np.percentile(ratio, 75):.3f}); "
              f"{n / np.median(old) / 1e3:.2f} -> {n / np.median(new) / 1e3:.2f} M agent-updates/s")
        for k in PHASES:
            po, pn = (np.array([d[k] for d in phases[v]]) for v in (0, 1))
            print(f"  {k:10s} old {np.median(po):.2f}  new {np.median(pn):.2f} ms  "
                  f"new/old {np.median(pn / po):.3f} (quartiles {np.percentile(pn / po, 25):.3f}-"
                  f"{np.percentile(pn / po, 75):.3f})")
        same = all(np.array_equal(a, b) for a, b in zip(sims[0].store.arrays(), sims[1].store.arrays()))
        print("same agent state after both runs:", "yes" if same else "no (the change alters the numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
