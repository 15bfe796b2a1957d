"""`bench`: measure the engine's speed and memory (workloads in benchmarks/), print and save them."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

NAME = "bench"
HELP = ("Measure engine throughput (10k..300k agents), the field solver, the 60-day default scenario, memory, "
        "start-up and GUI latency, and a NumPy reference implementation beside the engine. Prints a summary "
        "and writes JSON (median and spread of repeated runs) and a throughput plot.")

DEFAULT_OUT = "bench-results/bench.json"


def parents():
    from .common import quiet_parent

    return [quiet_parent(help="no progress lines on standard error")]


def add_arguments(ap):
    from benchmarks import SECTIONS

    ap.add_argument("--quick", action="store_true",
                    help="few repeats, small sizes (a smoke run of about a minute; start-up and GUI skipped)")
    ap.add_argument("--only", action="append", metavar="SECTION", default=None,
                    help=f"run only this section (repeatable or comma-separated): {', '.join(SECTIONS)}")
    ap.add_argument("--out", default=DEFAULT_OUT, metavar="FILE", help=f"JSON results file (default {DEFAULT_OUT})")
    ap.add_argument("--plot", default=None, metavar="PNG",
                    help="throughput plot (default: throughput.png next to the JSON file; 'none' to skip)")


class _Options:
    def __init__(self, quick: bool, quiet: bool):
        self.quick = quick
        self.quiet = quiet
        self.t0 = time.perf_counter()

    def log(self, msg: str) -> None:
        if not self.quiet:
            sys.stderr.write(f"[{time.perf_counter() - self.t0:7.1f} s] {msg}\n")
            sys.stderr.flush()


def _sections(only) -> list[str]:
    from benchmarks import SECTIONS
    from engine import InputError

    if not only:
        return list(SECTIONS)
    names = [s.strip() for item in only for s in item.split(",") if s.strip()]
    bad = [s for s in names if s not in SECTIONS]
    if bad:
        raise InputError("unknown benchmark section", field="--only", expected=" or ".join(SECTIONS),
                         found=", ".join(bad))
    return [s for s in SECTIONS if s in names]


def _latency(probe) -> str:
    """'1 MiB 4.1 ns, 16 MiB 38 ns' from a memory_probe result."""
    from benchmarks.stats import latency_parts

    return ", ".join(f"{mib} MiB {ns:.3g} ns" for mib, ns in latency_parts(probe)) or "?"


def summary_text(res: dict) -> str:
    """The console summary of a result dict."""
    from benchmarks.report import median_range as _m

    lines = []
    mc = res.get("machine", {})
    lines.append(f"machine: {mc.get('lscpu_model_name', '?')}, {mc.get('cpu_count')} cores, numba threads "
                 f"{mc.get('numba_threads')}, load {mc.get('load_average')} (start) -> {res.get('load_average_end')}; "
                 f"parallel speed-up of a compute kernel {mc.get('parallel_probe', {}).get('speedup', 0):.2f} (start), "
                 f"{res.get('parallel_probe_end', {}).get('speedup', 0):.2f} (end); random-read latency "
                 f"{_latency(mc.get('memory_probe'))} (start), {_latency(res.get('memory_probe_end'))} (end)")
    eng = res.get("engine")
    if eng:
        lines.append("engine (median (min-max) over repeats; ms per step):")
        lines.append(f"  {'agents':>8} {'step':>18} {'movement':>18} {'fates':>18} {'particles':>18} "
                     f"{'field':>18} {'M agent-upd/s':>20} {'with particles':>20} {'s/sim-day':>8}")
        for r in eng["sizes"]:
            ph = r["phase_ms"]
            lines.append(f"  {r['agents']:>8.0f} {_m(r['step_ms']):>18} {_m(ph['movement']):>18} "
                         f"{_m(ph['fates']):>18} {_m(ph['platelets']):>18} {_m(ph['field']):>18} "
                         f"{_m(r['agent_updates_per_s'], 1e-6):>20} "
                         f"{_m(r['with_particles_agent_updates_per_s'], 1e-6):>20} {r['s_per_sim_day']['median']:>8.3f}")
        lines.append("  (M agent-upd/s: cells per second of movement, neighbours and fates, the design target's "
                     "count; with particles: the display particles' phase added, as in the app)")
        for r in eng["sizes"]:
            one = r.get("one_thread")
            extra = (f"; on 1 thread {_m(one['agent_updates_per_s'], 1e-6)} M agent-updates/s, step "
                     f"{_m(one['step_ms'])} ms" if one else "")
            lines.append(f"    {r['agents']:.0f} agents: {r['how']}; field {r['field_shape']}{extra}")
        sc = eng.get("scaling", {})
        if sc:
            lines.append(f"  scaling exponent (1 = linear): agent phases {sc['agent_phase_ms']['exponent']:.2f}, "
                         f"whole step {sc['step_ms']['exponent']:.2f}")
    npy = res.get("numpy")
    if npy:
        for r in npy["sizes"]:
            sp = r["speedup"]
            ag = r["agreement"]
            lines.append(f"numpy reference at {r['agents']} agents: engine faster x{sp['core']:.1f} (movement "
                         f"x{sp['movement']:.1f}, fates x{sp['fates']:.1f}, field x{sp['field']:.1f}); agreement: "
                         f"positions {ag['max_position_difference_um']:.1e} um, deaths "
                         f"{100 * ag['death_decisions_agreeing']:.2f}%, field {ag['field_max_relative_difference']:.1e}")
    fld = res.get("field")
    if fld:
        for g in fld["grids"]:
            extra = f"; NumPy x{g['speedup_over_numpy']:.1f} slower" if "speedup_over_numpy" in g else ""
            lines.append(f"field {tuple(g['shape'])} ({g['voxels']} voxels): "
                         f"{_m(g['voxel_updates_per_s'], 1e-6, 'M')} voxel-updates/s, {_m(g['step_ms'])} ms{extra}")
    scn = res.get("scenario")
    if scn:
        lines.append(f"scenario {scn['scenario']} {scn['days']:g} days: run {_m(scn['run_s'], unit=' s')}, "
                     f"build + {scn['spinup_days']:g}-day equilibration {_m(scn['build_and_equilibration_s'], unit=' s')}, "
                     f"total {_m(scn['total_s'], unit=' s')}")
    mem = res.get("memory")
    if mem:
        pk = mem.get("peak", {})
        if "error" in pk:
            lines.append(f"memory peak: error {pk['error']}")
        elif pk:
            lines.append(f"memory: {mem['bytes_per_agent_state']} B/agent state; at {pk['agents']} agents: peak RSS "
                         f"{pk['peak_rss_mb']:.0f} MB (before the tile {pk['rss_after_imports_mb']:.0f} MB), tracemalloc "
                         f"peak {pk['tracemalloc_peak_mb']:.0f} MB; store {pk['store_bytes_per_live_agent']:.0f} "
                         f"B/live agent, scratch {pk['scratch_bytes_per_slot']:.0f} B/slot")
        lr = mem.get("long_run", {})
        if lr and "error" not in lr:
            lines.append(f"long run {lr['days']} days: RSS {lr['day_first']['rss_mb']:.0f} -> {lr['day_last']['rss_mb']:.0f} MB "
                         f"({lr['rss_growth_pct']:+.1f}%), step {lr['step_ms_first_days']:.2f} -> "
                         f"{lr['step_ms_last_days']:.2f} ms wall ({lr['slowdown_pct']:+.1f}%), "
                         f"{lr['step_cpu_ms_first_days']:.2f} -> {lr['step_cpu_ms_last_days']:.2f} ms CPU "
                         f"({lr['cpu_slowdown_pct']:+.1f}%); CPU trend over the run "
                         f"{lr['cpu_change_second_half_vs_first_pct']:+.1f}% (halves), "
                         f"{lr['cpu_change_fitted_line_pct']:+.1f}% (fitted line); agents "
                         f"{lr['agents_change_pct']:+.1f}%, CPU per agent-step {lr['cpu_per_agent_change_pct']:+.1f}%")
        elif lr:
            lines.append(f"long run: error {lr['error']}")
    st = res.get("startup")
    if st:
        if "skipped" in st:
            lines.append(f"startup: skipped ({st['skipped']})")
        else:
            for k, v in st.items():
                if isinstance(v, dict):
                    keys = [x for x in ("kernels_ready_s", "default_scenario_ready_s", "first_frame_s",
                                        "process_wall_s") if x in v]
                    lines.append(f"startup {k}: " + ", ".join(f"{x} {v[x]:.1f}" for x in keys)
                                 + (f" ERROR {v['error']}" if "error" in v else ""))
    gui = res.get("gui")
    if gui:
        if "skipped" in gui:
            lines.append(f"gui: skipped ({gui['skipped']})")
        else:
            for r in gui["runs"]:
                if "error" in r:
                    lines.append(f"gui: error {r['error']}")
                    continue
                lines.append(f"gui: {r.get('frames_per_s', 0):.1f} frames/s, paint {r.get('paint_ms', 0):.1f} ms, "
                             f"engine {r.get('steps_per_s', 0):.0f} steps/s; UI latency p50 "
                             f"{r.get('latency_p50_ms', float('nan')):.1f} ms, p99 {r.get('latency_p99_ms', float('nan')):.1f} ms")
    return "\n".join(lines)


def main(args) -> int:
    from benchmarks import engine_scaling, field_solver, gui_latency, memory, plot, scenario_wall, startup
    from benchmarks.stats import load_average, machine, memory_probe, parallel_probe
    from engine.files import check_output_file

    from .common import write_output

    sections = _sections(args.only)
    check_output_file(args.out, "--out", stdout_ok=False, need_bytes=1024 * 1024)
    if args.plot not in (None, "none"):
        check_output_file(args.plot, "--plot", stdout_ok=False, need_bytes=1024 * 1024)
    opts = _Options(args.quick, args.quiet)
    res: dict = {"command": "python main.py bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else
                 "python main.py bench", "quick": bool(args.quick), "sections": sections, "machine": machine()}
    t0 = time.perf_counter()
    if "engine" in sections or "numpy" in sections:
        res.update(engine_scaling.run(opts, sections))
    runners = {"field": field_solver.run, "scenario": scenario_wall.run, "memory": memory.run,
               "startup": startup.run, "gui": gui_latency.run}
    for name in sections:
        if name in runners:
            res[name] = runners[name](opts)
    res["seconds"] = time.perf_counter() - t0
    res["load_average_end"] = load_average()
    res["parallel_probe_end"] = parallel_probe()
    res["memory_probe_end"] = memory_probe()
    out = Path(args.out)
    write_output(str(out), json.dumps(res, indent=1, default=float) + "\n", "--out")
    text = summary_text(res)
    print(text)
    if args.plot != "none" and res.get("engine"):
        png = plot.throughput_png(res, args.plot or out.with_name("throughput.png"))
        if png:
            print(f"plot: {png}")
    print(f"results: {out}")
    return 0
