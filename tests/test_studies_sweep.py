"""Parameter sweeps: validation, local processes, a real local Dask cluster, CLI (studies.sweep, cli/sweep.py)."""
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from engine import InputError, load_scenario
from analysis.plotting import fmt
from studies import worker
from studies.sweep import SweepAxis, parse_axis, run_sweep, validate_axes

TINY = {"tile_x_um": 250.0, "tile_y_um": 250.0, "spinup_days": 1.0}
AXES = ["fgf4_vcam_gain=0:4:2", "mk_release_hours=6:6:1"]
BAD_GAIN = 4.0


def fails_at_high_gain(scenario_toml, overrides, seed, days=None, task_key=None):
    """Worker task for tests: the grid point with fgf4_vcam_gain == 4 raises; the others run normally."""
    if overrides.get("fgf4_vcam_gain") == BAD_GAIN:
        raise ValueError("injected failure at high gain")
    return worker.run_point(scenario_toml, overrides, seed, days, task_key)


def tiny(days=1.0):
    return load_scenario("lesson_5fu_fgf4").copy_with(days=days, parameters=dict(TINY))


@pytest.fixture(scope="module")
def local_result():
    return run_sweep(tiny(), AXES, "platelets_final", seeds=1, workers=2)


# ------------------------------------------------------------------ validation (no runs)

def test_axis_syntax_and_parameter_table_checks():
    assert parse_axis("dt_hours=0.5:1:3") == SweepAxis("dt_hours", 0.5, 1.0, 3)
    assert parse_axis("dt_hours=0.5:1:3").values.tolist() == [0.5, 0.75, 1.0]
    for bad in ("dt_hours", "dt_hours=1:2", "dt_hours=a:2:3", "dt_hours=1:2:x", "=1:2:3"):
        with pytest.raises(InputError, match="--param"):
            parse_axis(bad)
    with pytest.raises(InputError, match="unknown parameter.*fgf4_vcam_gain") as exc:
        validate_axes([parse_axis("fgf4_gain=0:1:2")])
    assert "fgf4_gain" in str(exc.value)
    with pytest.raises(InputError, match=r"allowed range.*0\.25\.\.2 h.*found 5"):
        validate_axes([parse_axis("dt_hours=0.5:5:3")])
    with pytest.raises(InputError, match="number of points"):
        validate_axes([parse_axis("dt_hours=0.5:1:0")])
    with pytest.raises(InputError, match="one or two"):
        validate_axes([parse_axis("dt_hours=1:1:1")] * 3)
    with pytest.raises(InputError, match="unknown outcome"):
        run_sweep(tiny(), ["dt_hours=1:1:1"], "platelet_nadir")


def test_unreachable_scheduler_is_a_clear_error_not_a_fallback():
    with pytest.raises(InputError) as exc:
        run_sweep(tiny(), ["dt_hours=1:1:1"], "nadir", scheduler="tcp://127.0.0.1:9", connect_timeout=2.0)
    msg = str(exc.value)
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in msg and "scheduler" in msg


# ------------------------------------------------------------------ local processes

def test_local_sweep_grid_table_and_outputs(local_result, tmp_path):
    res = local_result
    assert [a.name for a in res.axes] == ["fgf4_vcam_gain", "mk_release_hours"]
    assert res.grid().shape == (2, 1) and not res.failures
    assert [p.values for p in res.points] == [{"fgf4_vcam_gain": 0.0, "mk_release_hours": 6.0},
                                              {"fgf4_vcam_gain": 4.0, "mk_release_hours": 6.0}]
    # the outcome is the run's last platelet value: consistent with the per-run outcome table
    for p in res.points:
        assert p.outcome.mean == pytest.approx(res.run_outcomes[(p.index, 1)]["platelets_final"])
    paths = res.write(tmp_path / "out")
    lines = [ln for ln in paths["csv"].read_text().splitlines() if not ln.startswith("#")]
    assert lines[0] == ("fgf4_vcam_gain,mk_release_hours,platelets_final_mean,platelets_final_ci_lo,"
                        "platelets_final_ci_hi,n_ok,n_undefined,n_failed")
    assert len(lines) == 3 and lines[1].startswith("0,6,")
    assert "# sweep: fgf4_vcam_gain=0:4:2; mk_release_hours=6:6:1" in paths["csv"].read_text()
    doc = json.loads(paths["json"].read_text())
    assert doc["metadata"]["app"].startswith("NicheLab") and doc["unit"] == "10^3/uL"
    svg = ET.parse(paths["svg"]).getroot()
    ids = {e.get("id") for e in svg.iter()}
    assert "heatmap" in ids
    # one written cell value per grid point (2 x 1 grid), the same numbers as the table
    texts = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    for p in res.points:
        assert fmt(p.outcome.mean) in texts


def test_one_failing_run_is_reported_with_its_parameters_locally():
    res = run_sweep(tiny(), AXES, "platelets_final", seeds=1, workers=2, task=fails_at_high_gain)
    assert len(res.failures) == 1
    f = res.failures[0]
    assert f.parameters == {"fgf4_vcam_gain": 4.0, "mk_release_hours": 6.0, "seed": 1}
    assert "injected failure" in f.error
    ok, bad = res.points
    assert ok.outcome.n == 1 and bad.outcome.n == 0 and np.isnan(res.grid()[1, 0])
    assert "fgf4_vcam_gain=4.0" in res.to_csv()


def test_line_plot_for_one_parameter(local_result):
    # hold mk_release_hours at the value the 2-parameter sweep used, so the grid points are the same model
    scn = tiny().copy_with(parameters={**TINY, "mk_release_hours": 6.0})
    res = run_sweep(scn, ["fgf4_vcam_gain=0:4:2"], "nadir", seeds=1, workers=1)
    svg = ET.fromstring(res.plot_svg())
    ids = {e.get("id") for e in svg.iter()}
    assert {"line-0", "band-0"} <= ids  # the mean over seeds and its interval
    # same grid point and seed as in the 2-parameter sweep: identical numbers
    assert res.points[1].per_seed[1] == pytest.approx(local_result.run_outcomes[((1, 0), 1)]["nadir"])


# ------------------------------------------------------------------ a real local Dask cluster

@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                       dashboard_address=None)
    yield cluster
    cluster.close()


def test_sweep_on_local_dask_cluster_matches_local_processes(dask_cluster, local_result):
    res = run_sweep(tiny(), AXES, "platelets_final", seeds=1, scheduler=dask_cluster.scheduler_address)
    assert res.backend == f"dask {dask_cluster.scheduler_address}"
    assert not res.failures
    for p in res.points:
        assert res.run_outcomes[(p.index, 1)] == local_result.run_outcomes[(p.index, 1)]


def test_failure_on_dask_is_reported_and_the_other_run_finishes(dask_cluster):
    res = run_sweep(tiny(), AXES, "platelets_final", seeds=1, scheduler=dask_cluster.scheduler_address,
                    task=fails_at_high_gain)
    assert [f.parameters["fgf4_vcam_gain"] for f in res.failures] == [4.0]
    assert "injected failure" in res.failures[0].error
    assert res.points[0].outcome.n == 1


# ------------------------------------------------------------------ CLI

def test_cli_sweep_bad_input_exits_2_with_a_message(capsys):
    import main

    assert main.main(["sweep", "--scenario", "lesson_5fu", "--param", "no_such=0:1:2", "--outcome", "nadir",
                      "--out", "unused"]) == 2
    err = capsys.readouterr().err
    assert "unknown parameter" in err and "no_such" in err
    assert main.main(["sweep", "--scenario", "lesson_5fu", "--param", "dt_hours=1:1:1", "--outcome", "nadir",
                      "--scheduler", "tcp://127.0.0.1:9", "--timeout", "1", "--out", "unused"]) == 2
    assert "cannot reach the Dask scheduler" in capsys.readouterr().err


def test_cli_sweep_writes_table_and_plot(tmp_path, capsys):
    import main

    scn = tmp_path / "tiny.toml"
    scn.write_text(tiny().to_toml())
    rc = main.main(["sweep", "--scenario", str(scn), "--param", "fgf4_vcam_gain=0:4:2", "--outcome",
                    "platelets_final", "--workers", "2", "--out", str(tmp_path / "sw")])
    out = capsys.readouterr()
    assert rc == 0, out.err
    assert {p.name for p in (tmp_path / "sw").iterdir()} == {"sweep.csv", "sweep.json", "sweep.svg"}
    assert "fgf4_vcam_gain" in out.out and "platelets at end" in out.out
