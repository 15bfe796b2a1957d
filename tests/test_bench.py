"""`main.py bench --quick` writes a complete JSON of positive numbers (no speed is asserted)."""
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent


def _bench(*args):
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return subprocess.run([sys.executable, "main.py", "bench", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("bench") / "bench.json"
    p = _bench("--quick", "--quiet", "--out", str(out))
    assert p.returncode == 0, p.stderr[-3000:]
    return json.loads(out.read_text()), p.stdout, out


def _positive(s):
    return s["median"] > 0 and s["min"] > 0 and s["max"] >= s["median"] >= s["min"]


def test_quick_bench_writes_all_sections(quick):
    res, text, out = quick
    assert res["quick"] is True
    for key in ("machine", "engine", "numpy", "field", "scenario", "memory", "startup", "gui"):
        assert key in res, key
    assert res["machine"]["cpu_count"] >= 1 and res["machine"]["numba"]
    assert "skipped" in res["startup"] and "skipped" in res["gui"]   # too slow for --quick
    assert (out.parent / "throughput.png").stat().st_size > 1000
    assert "M agent-upd/s" in text and "voxel-updates/s" in text


def test_quick_bench_engine_numbers_are_positive(quick):
    res = quick[0]
    sizes = res["engine"]["sizes"]
    assert len(sizes) >= 2 and sizes[0]["agents"] < sizes[-1]["agents"]
    for row in sizes:
        assert row["agents"] > 500
        assert row["how"].startswith("tile ")
        for key in ("step_ms", "agent_phase_ms", "agent_updates_per_s", "whole_step_agent_updates_per_s",
                    "with_particles_ms", "with_particles_agent_updates_per_s", "s_per_sim_day"):
            assert _positive(row[key]), key
        # the agent phases are movement and fates (DESIGN.md: display particles not counted)
        assert row["with_particles_ms"]["median"] > row["agent_phase_ms"]["median"]
        for phase in ("field", "movement", "fates"):
            assert _positive(row["phase_ms"][phase]), phase
    assert "exponent" in res["engine"]["scaling"]["agent_phase_ms"]


def test_quick_bench_other_sections_are_positive(quick):
    res = quick[0]
    np_row = res["numpy"]["sizes"][0]
    assert np_row["speedup"]["core"] > 0
    assert 0.0 <= np_row["agreement"]["death_decisions_agreeing"] <= 1.0
    assert np_row["agreement"]["max_position_difference_um"] >= 0.0
    for g in res["field"]["grids"]:
        assert _positive(g["voxel_updates_per_s"]) and g["voxels"] == np.prod(g["shape"])
    sc = res["scenario"]
    assert _positive(sc["run_s"]) and _positive(sc["build_and_equilibration_s"]) and sc["days"] > 0
    mem = res["memory"]
    assert mem["bytes_per_agent_state"] > 0
    assert mem["peak"]["peak_rss_mb"] > 0 and mem["peak"]["agents"] > 0
    lr = mem["long_run"]
    assert lr["day_last"]["rss_mb"] > 0 and lr["step_ms_last_days"] > 0 and lr["step_cpu_ms_last_days"] > 0
    assert res["machine"]["parallel_probe"]["speedup"] > 0 and res["parallel_probe_end"]["ms_1_threads"] > 0
    lat = res["machine"]["memory_probe"]
    assert set(lat) == {"ns_per_read_1_mib", "ns_per_read_16_mib"} and set(res["memory_probe_end"]) == set(lat)
    assert all(0.1 < v < 10_000 for v in lat.values())


def test_unknown_section_is_rejected(tmp_path):
    p = _bench("--only", "warp-drive", "--out", str(tmp_path / "b.json"))
    assert p.returncode == 2
    assert "--only" in p.stderr and "warp-drive" in p.stderr
    assert not (tmp_path / "b.json").exists()


def test_markdown_report_formats_every_number(quick):
    from benchmarks.report import tables

    md = tables(quick[0])
    assert "{:" not in md and "nan" not in md.lower()
    rows = [line for line in md.splitlines() if line.startswith("| ") and " M |" in line]
    assert rows and all(" M (" in r or " M |" in r for r in rows)
    # agent-updates/s written as a number of millions with two decimals
    assert any(__import__("re").search(r"\| \d+\.\d\d \(\d+\.\d+–\d+\.\d+\) M \|", r) for r in rows)


def test_numpy_reference_reproduces_the_engine_step_exactly(quick):
    agreement = quick[0]["numpy"]["sizes"][0]["agreement"]
    assert agreement["max_position_difference_um"] < 1e-9
    assert agreement["death_decisions_agreeing"] == 1.0 and agreement["field_max_relative_difference"] == 0.0


def test_kernel_profile_times_every_kernel_and_changes_no_number():
    """benchmarks.kernel_profile wraps the step's kernels: each named kernel is called and timed
    (a renamed kernel would fail here), the run gives the bits of an unwrapped one, and the
    wrappers are gone afterwards."""
    import engine.simulation as S
    from benchmarks import kernel_profile as KP
    from engine import Simulation, load_scenario

    scn = load_scenario("wt_steady_state").copy_with(
        parameters={**load_scenario("wt_steady_state").parameters, "spinup_days": 1.0})
    plain, timed = Simulation.from_scenario(scn, seed=5), Simulation.from_scenario(scn, seed=5)
    move = S.move_mobile
    plain.advance(6 * plain.dt)
    rows = KP.profile(timed, 6)
    assert S.move_mobile is move
    for _, names in KP.KERNELS:
        for name in names:
            if name in ("shed", "shed_counts"):      # only in steps that release platelets
                continue
            if name == "wall_sources":   # only in steps whose walls' rates change (none after the set-up here)
                assert name not in rows
                continue
            assert len(rows[name]) == 6 and min(rows[name + " cpu"]) >= 0.0, name
    assert len(rows["agent phases"]) == 6 and min(rows["agent phases"]) > 0.0
    assert all(np.array_equal(a, b) for a, b in zip(plain.store.arrays(), timed.store.arrays()))
    assert np.array_equal(plain.field.values, timed.field.values)
