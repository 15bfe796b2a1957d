"""A PNG chart of throughput against agent count (analysis.plotting, on matplotlib)."""
from __future__ import annotations

from pathlib import Path

NAMES = {"agent": "engine, agent phases (movement+neighbours+fates), 2 threads",
         "agent1": "the same on 1 thread", "whole": "engine, whole step (+ field), 2 threads",
         "numpy": "NumPy reference: field + movement + fates"}


def series_of(result: dict) -> dict[str, list[tuple[float, dict]]]:
    """Per curve: (agents, {median, min, max} agent-updates/s) points, from a bench result."""
    rows = (result.get("engine") or {}).get("sizes") or []
    if not rows:
        return {}
    series = {
        "agent": [(r["agents"], r["agent_updates_per_s"]) for r in rows],
        "whole": [(r["agents"], r["whole_step_agent_updates_per_s"]) for r in rows],
    }
    one = [(r["one_thread"]["agents"], r["one_thread"]["agent_updates_per_s"]) for r in rows if r.get("one_thread")]
    if one:
        series["agent1"] = one
    np_rows = (result.get("numpy") or {}).get("sizes") or []
    if np_rows:
        series["numpy"] = [(r["agents"], {"median": r["agents"] / (r["numpy_core_ms"]["median"] / 1e3),
                                          "min": r["agents"] / (r["numpy_core_ms"]["max"] / 1e3),
                                          "max": r["agents"] / (r["numpy_core_ms"]["min"] / 1e3)})
                           for r in np_rows]
    return series


def throughput_png(result: dict, path: str | Path, target: float = 10e6) -> Path | None:
    """Plot agent-updates/s (agent phases and whole step, median with min-max bars) against agents."""
    from analysis.plotting import ErrorPoints, HLine, Line, line_figure, save

    series = series_of(result)
    if not series:
        return None
    lines, bars = [], []
    for k, key in enumerate(k for k in ("agent", "agent1", "whole", "numpy") if k in series):
        pts = sorted(series[key], key=lambda p: p[0])
        x = [a for a, _ in pts]
        med = [v["median"] for _, v in pts]
        lines.append(Line(NAMES[key], x, med, markers=True))
        bars.append(ErrorPoints("", x, med, [v["min"] for _, v in pts], [v["max"] for _, v in pts],
                                colour=_colour(k)))
    fig = line_figure(lines, errorbars=bars, title="NicheLab engine throughput against agent count",
                      xlabel="agents in the tile (log scale)", ylabel="agent-updates per second (log)",
                      hlines=[HLine(target, "target 10M/s at 100k (agent phases)")], logx=True, logy=True)
    return save(fig, Path(path))


def _colour(k: int) -> str:
    from analysis.palette import series_colour

    return series_colour(k)
