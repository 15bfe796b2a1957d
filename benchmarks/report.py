"""Markdown tables from a bench JSON (for docs/performance.md).

    python -m benchmarks.report bench-results/bench.json
"""
from __future__ import annotations

import json
import sys


def median_range(s, scale=1.0, unit="", fmt="{:.3g}"):
    """'median (min–max)' of a summary dict ('-' when missing; the range only over 2+ repeats)."""
    if not isinstance(s, dict) or "median" not in s:
        return "-"
    med = fmt.format(s["median"] * scale) + unit
    if s.get("min") is None or s["min"] != s["min"] or s.get("n", 2) < 2:
        return med
    return f"{med} ({fmt.format(s['min'] * scale)}–{fmt.format(s['max'] * scale)})"


def _latency_sentence(start, end) -> str:
    """'; a dependent random read took 4.1 ns in 1 MiB and 38 ns in 16 MiB at the start, ...'."""
    from .stats import latency_parts

    if not start:
        return ""

    def part(p):
        return " and ".join(f"{ns:.3g} ns in {mib} MiB" for mib, ns in latency_parts(p))

    return (f"; a dependent random read took {part(start)} at the start"
            + (f", {part(end)} at the end" if end else ""))


def tables(res: dict) -> str:
    out = []
    mc = res.get("machine", {})
    out.append(f"Measured {mc.get('time', '?')}: {mc.get('lscpu_model_name', '?')}, {mc.get('cpu_count')} cores "
               f"({mc.get('lscpu_l2_cache', '?')} L2, {mc.get('lscpu_l3_cache', '?')} L3), "
               f"{mc.get('mem_total_gib', '?')} GiB; Python {mc.get('python')}, numpy {mc.get('numpy')}, "
               f"numba {mc.get('numba')} ({mc.get('numba_threads')} threads). Load average (1, 5, 15 min) at the "
               f"start {mc.get('load_average')}, at the end {res.get('load_average_end')}; a compute-only kernel ran "
               f"{mc.get('parallel_probe', {}).get('speedup', float('nan')):.2f}x faster on {mc.get('numba_threads')} "
               f"threads than on 1 at the start, {res.get('parallel_probe_end', {}).get('speedup', float('nan')):.2f}x "
               f"at the end (2.0 = both cores free){_latency_sentence(mc.get('memory_probe'), res.get('memory_probe_end'))}.")
    out.append("")
    eng = res.get("engine")
    if eng:
        out.append("| agents | how | field grid | whole step, ms | movement + neighbours, ms | fates, ms | "
                   "display particles, ms | field, ms | agent-updates/s (agent phases) | agent-updates/s (with display "
                   "particles) | agent-updates/s (whole step) | s per simulated day |")
        out.append("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for r in eng["sizes"]:
            ph = r["phase_ms"]
            out.append(f"| {r['agents']:,.0f} | {r['how']} | {'×'.join(map(str, r['field_shape']))} | "
                       f"{median_range(r['step_ms'])} | {median_range(ph['movement'])} | {median_range(ph['fates'])} | "
                       f"{median_range(ph['platelets'])} | {median_range(ph['field'])} | "
                       f"{median_range(r['agent_updates_per_s'], 1e-6, fmt='{:.2f}')} M | "
                       f"{median_range(r['with_particles_agent_updates_per_s'], 1e-6, fmt='{:.2f}')} M | "
                       f"{median_range(r['whole_step_agent_updates_per_s'], 1e-6, fmt='{:.2f}')} M | "
                       f"{median_range(r['s_per_sim_day'], 1.0, fmt='{:.3f}')} |")
        if any(r.get("one_thread") for r in eng["sizes"]):
            out.append("")
            out.append("The same tiles on one worker thread (NUMBA_NUM_THREADS=1 equivalent), same run:")
            out.append("")
            out.append("| agents | whole step, ms | agent phases, ms | agent-updates/s | 2 threads / 1 thread |")
            out.append("|---:|---:|---:|---:|---:|")
            for r in eng["sizes"]:
                one = r.get("one_thread")
                if not one:
                    continue
                gain = one["agent_phase_ms"]["median"] / r["agent_phase_ms"]["median"]
                out.append(f"| {r['agents']:,.0f} | {median_range(one['step_ms'])} | {median_range(one['agent_phase_ms'])} | "
                           f"{median_range(one['agent_updates_per_s'], 1e-6, fmt='{:.2f}')} M | ×{gain:.2f} (agent phases), "
                           f"×{one['step_ms']['median'] / r['step_ms']['median']:.2f} (step) |")
        sc = eng.get("scaling") or {}
        if sc:
            out.append("")
            out.append(f"Scaling (least-squares exponent of time against agents; 1 = linear): agent phases "
                       f"{sc['agent_phase_ms']['exponent']:.2f} (cost per agent at the largest size / smallest: "
                       f"{sc['agent_phase_ms']['cost_per_agent_largest_over_smallest']:.2f}), whole step "
                       f"{sc['step_ms']['exponent']:.2f} ({sc['step_ms']['cost_per_agent_largest_over_smallest']:.2f}).")
        out.append("")
    npy = res.get("numpy")
    if npy:
        out.append("| agents | NumPy field / movement / fates, ms | engine field / movement / fates, ms | "
                   "engine faster by | agreement |")
        out.append("|---:|---|---|---|---|")
        for r in npy["sizes"]:
            n, e, sp, ag = r["numpy_phase_ms"], r["engine_phase_ms"], r["speedup"], r["agreement"]
            out.append(f"| {r['agents']:,} | {n['field']['median']:.1f} / {n['movement']['median']:.1f} / "
                       f"{n['fates']['median']:.1f} | {e['field']['median']:.2f} / {e['movement']['median']:.2f} / "
                       f"{e['fates']['median']:.2f} | ×{sp['core']:.1f} overall (field ×{sp['field']:.1f}, movement "
                       f"×{sp['movement']:.1f}, fates ×{sp['fates']:.1f}) | positions within "
                       f"{ag['max_position_difference_um']:.0e} µm, {100 * ag['death_decisions_agreeing']:.2f}% of "
                       f"deaths, MK states {100 * ag['mk_state_agreeing']:.2f}%, field {ag['field_max_relative_difference']:.0e} |")
        out.append("")
    fld = res.get("field")
    if fld:
        out.append("| field grid | voxels | ms per step | voxel-updates/s | NumPy LOD |")
        out.append("|---|---:|---:|---:|---|")
        for g in fld["grids"]:
            npx = (f"{g['numpy_step_ms']['median']:.1f} ms (engine ×{g['speedup_over_numpy']:.0f} faster)"
                   if "numpy_step_ms" in g else "")
            out.append(f"| {'×'.join(map(str, g['shape']))} | {g['voxels']:,} | {median_range(g['step_ms'])} | "
                       f"{median_range(g['voxel_updates_per_s'], 1e-6, fmt='{:.0f}')} M | {npx} |")
        out.append("")
    scn = res.get("scenario")
    if scn:
        out.append(f"Default scenario `{scn['scenario']}`, {scn['days']:g} days ({scn['steps_including_equilibration']} "
                   f"steps including the {scn['spinup_days']:g}-day equilibration; {scn['agents_mean']:,.0f} agents on "
                   f"average): build + equilibration {median_range(scn['build_and_equilibration_s'])} s, the {scn['days']:g} days "
                   f"{median_range(scn['run_s'])} s, total {median_range(scn['total_s'])} s.")
        out.append("")
    mem = res.get("memory")
    if mem:
        pk, lr = mem.get("peak", {}), mem.get("long_run", {})
        if pk and "error" not in pk:
            out.append(f"Memory: agent state {mem['bytes_per_agent_state']} B per agent slot "
                       f"(engine.agents.BYTES_PER_AGENT; with the free-slot stack "
                       f"{pk['store_bytes_per_slot']:.0f} B/slot, {pk['store_bytes_per_live_agent']:.0f} B per live "
                       f"agent including spare capacity) plus {pk['scratch_bytes_per_slot']:.0f} B/slot of step scratch. "
                       f"At {pk['agents']:,} agents ({pk['how']}; field grid {'×'.join(map(str, pk['field_shape']))}): "
                       f"peak resident memory {pk['peak_rss_mb']:.0f} MB (of which {pk['rss_after_imports_mb']:.0f} MB "
                       f"is the process before the tile: interpreter, libraries, loaded kernels), tracemalloc peak "
                       f"(a second, traced build) {pk['tracemalloc_peak_mb']:.0f} MB; "
                       f"agent store {pk['agent_store_mb']:.1f} MB, field arrays {pk['field_mb']:.0f} MB, sinusoid "
                       f"look-up grid {pk['vessel_lookup_mb']:.0f} MB.")
        if lr and "error" not in lr:
            out.append("")
            out.append(f"Long run ({lr['days']} days of the default scenario): resident memory "
                       f"{lr['day_first']['rss_mb']:.0f} MB on day 1, {lr['day_last']['rss_mb']:.0f} MB on day "
                       f"{lr['days']} ({lr['rss_growth_pct']:+.1f}%); step time (lower quartile over the first and the "
                       f"last {lr['window_days']} days) {lr['step_ms_first_days']:.2f} → {lr['step_ms_last_days']:.2f} ms "
                       f"wall ({lr['slowdown_pct']:+.1f}%), {lr['step_cpu_ms_first_days']:.2f} → "
                       f"{lr['step_cpu_ms_last_days']:.2f} ms CPU ({lr['cpu_slowdown_pct']:+.1f}%); CPU time per step "
                       f"over the whole run: second half against first half "
                       f"{lr['cpu_change_second_half_vs_first_pct']:+.1f}%, along a fitted line "
                       f"{lr['cpu_change_fitted_line_pct']:+.1f}%; the model's agent count drifts "
                       f"{lr['agents_change_pct']:+.1f}% (first against last {lr['window_days']} days), CPU time per "
                       f"agent-step {lr['cpu_per_agent_change_pct']:+.1f}%.")
        out.append("")
    st = res.get("startup")
    if st and "skipped" not in st:
        out.append("| start-up | cold caches | warm caches | warm kernels, tile not kept yet |")
        out.append("|---|---:|---:|---:|")

        def cell(d, key):
            d = st.get(d, {})
            return "error" if "error" in d else (f"{d[key]:.1f} s" if key in d else "-")
        out.append(f"| engine kernels compiled/loaded (fresh process) | {cell('engine_cold', 'kernels_ready_s')} | "
                   f"{cell('engine_warm', 'kernels_ready_s')} | |")
        out.append(f"| default scenario built and equilibrated (no kept tile) | "
                   f"{cell('engine_cold', 'default_scenario_ready_s')} | "
                   f"{cell('engine_warm', 'default_scenario_ready_s')} | |")
        out.append(f"| window with the first frame drawn (Xvfb) | {cell('gui_first_frame_cold', 'first_frame_s')} | "
                   f"{cell('gui_first_frame_warm', 'first_frame_s')} | "
                   f"{cell('gui_first_frame_warm_new_tile', 'first_frame_s')} |")
        out.append(f"| `main.py --screenshot … --days 0.05`, whole process | "
                   f"{cell('screenshot_command_cold', 'process_wall_s')} | "
                   f"{cell('screenshot_command_warm', 'process_wall_s')} | |")
        out.append("")
    gui = res.get("gui")
    if gui and "skipped" not in gui:
        out.append("| GUI run (Xvfb, software OpenGL) | frames/s | paint, ms | engine steps/s | UI latency p50, ms | p99, ms | max, ms |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for i, r in enumerate(gui["runs"]):
            if "error" in r:
                out.append(f"| {i + 1} | error: {r['error']} | | | | | |")
                continue
            out.append(f"| {i + 1} | {r['frames_per_s']:.1f} | {r['paint_ms']:.0f} | {r['steps_per_s']:.0f} | "
                       f"{r['latency_p50_ms']:.1f} | {r['latency_p99_ms']:.1f} | {r['latency_max_ms']:.0f} |")
        out.append("")
    return "\n".join(out)


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    path = argv[0] if argv else "bench-results/bench.json"
    with open(path) as fh:
        print(tables(json.load(fh)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
