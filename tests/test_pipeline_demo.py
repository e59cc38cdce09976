"""`fer-edge demo --quick` end to end: every stage's files, rankings per board, verified
next-stage bundles, a report that says stage 3 was not run, a second run that reuses, and stage 3
run for real with the stand-in meter."""

import json

import pytest
from merge_factory import run_cli

from fer_edge.pipeline import QUICK, run_demo
from fer_edge_harness.bundle import verify_bundle
from fer_edge_merge.tables import NO_POWER_NOTE

BOARDS = ["host-onnxruntime", "host-tflite"]  # QUICK's backends, each its own board


def _steps(out):
    record = json.loads((out / "demo.json").read_text())
    return {s["name"]: s for s in record["steps"]}, record


def demo_cli(out, *options):
    """`fer-edge demo --quick OPTIONS --quiet --out OUT` through the command line, as a user
    runs it; OUT."""
    monkeypatch = pytest.MonkeyPatch()
    try:
        code = run_cli(monkeypatch, "demo", "--quick", *options, "--quiet", "--out", str(out))
    finally:
        monkeypatch.undo()
    assert code in (0, None)
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One quick demo through the command line, as a user runs it (quiet)."""
    return demo_cli(tmp_path_factory.mktemp("demo") / "out")


@pytest.mark.slow
def test_every_stage_leaves_its_files(demo):
    run = demo / "stage1" / "run"
    assert json.loads((run / "run.json").read_text())["data"]["spec"] == QUICK.data
    top = json.loads((run / "top.json").read_text())
    assert len(top) == QUICK.stage1_top
    assert all((run / row["model_path"]).is_file() for row in top)

    parent = verify_bundle(demo / "stage1" / "bundle")
    assert len(parent["models"]) == QUICK.stage1_top
    for model in parent["models"]:
        assert {"tflite_fp32", "onnx"} <= set(model["artifacts"])

    for board in BOARDS:
        results = json.loads((demo / "stage2" / "results" / f"{board}.json").read_text())
        assert results["fer_edge"]["device_label"] == board
        assert results["fer_edge"]["bundle_sha256"] == parent["bundle_sha256"]
        assert len(results["benchmarks"]) == QUICK.stage1_top
        assert "passed" in (demo / "stage2" / "results" / f"{board}.log").read_text()


@pytest.mark.slow
def test_ranking_has_every_board_without_power(demo):
    rows = json.loads((demo / "stage2" / "ranking" / "ranking.json").read_text())
    assert sorted({r["device_label"] for r in rows}) == BOARDS
    for board in BOARDS:
        mine = [r for r in rows if r["device_label"] == board]
        assert len(mine) == QUICK.stage1_top
        assert min(r["rank_latency"] for r in mine) == 1
    assert all(r["dynamic_power_w"] is None and r["fit_pdp"] is None for r in rows)


@pytest.mark.slow
def test_selected_bundles_verify_and_hold_each_boards_best(demo):
    parent = verify_bundle(demo / "stage1" / "bundle")
    rows = json.loads((demo / "stage2" / "ranking" / "ranking.json").read_text())
    for board in BOARDS:
        child = verify_bundle(demo / "stage2" / "bundles" / board)
        assert child["parent"]["bundle_sha256"] == parent["bundle_sha256"]
        best = min((r for r in rows if r["device_label"] == board),
                   key=lambda r: (r["rank_latency"], r["model_id"]))
        assert [m["id"] for m in child["models"]] == [best["model_id"]]
        assert child["selection"]["by"] == "latency"


@pytest.mark.slow
def test_report_says_stage_3_was_not_run(demo):
    page = (demo / "report" / "index.html").read_text()
    assert NO_POWER_NOTE in page
    assert "stage-2 decision" in page
    for png in ("figure4_accuracy.png", "figure5_accuracy_vs_latency.png",
                *(f"pareto_{b}.png" for b in BOARDS)):
        assert (demo / "report" / png).stat().st_size > 1000
        assert png in page
    steps, record = _steps(demo)
    assert record["stage3"].startswith("stage 3 skipped: no power sensor on this machine")
    assert record["report"] == str(demo / "report" / "index.html")
    assert "stage 3" not in {s["stage"] for s in steps.values()}


@pytest.mark.slow
def test_a_second_run_reuses_every_finished_step(demo):
    results = demo / "stage2" / "results" / "host-tflite.json"
    manifest = demo / "stage1" / "bundle" / "manifest.json"
    before = (results.stat().st_mtime_ns, manifest.stat().st_mtime_ns)

    index = run_demo(demo, QUICK, show_progress=False)

    assert index == demo / "report" / "index.html"
    steps, _ = _steps(demo)
    for name in ("search", "bundle", *(f"bench {b}" for b in BOARDS), "select top 1 by latency"):
        assert steps[name]["reused"], name
    assert (results.stat().st_mtime_ns, manifest.stat().st_mtime_ns) == before
    assert len(list((demo / "stage1" / "run" / "trials").iterdir())) == QUICK.trials


@pytest.mark.slow
def test_changed_rounds_remeasure_but_keep_the_bundle(demo):
    run_demo(demo, QUICK, show_progress=False, rounds=4)
    steps, _ = _steps(demo)
    assert steps["bundle"]["reused"]
    assert not any(steps[f"bench {b}"]["reused"] for b in BOARDS)
    results = json.loads((demo / "stage2" / "results" / "host-tflite.json").read_text())
    assert results["fer_edge"]["rounds"] == 4


@pytest.mark.slow
def test_the_stand_in_meter_runs_stage_3_and_fills_the_reports_power_parts(demo):
    """Stage 3 for real through the harness's own options, with the stand-in meter (the
    real UM34C reader on an emulated meter): measured rows, the PDP decision, a report whose
    power columns and Figure 7 are filled and say the watts are a stand-in's."""
    from matplotlib.image import imread

    index = run_demo(demo, QUICK, show_progress=False, power_sensor="um34c-emulator",
                     power_seconds=2)
    steps, record = _steps(demo)
    assert "STAND-IN" in record["stage3"] and record["stage3"].startswith("stage 3: power")
    for board in BOARDS:
        assert not steps[f"power {board}"]["reused"]
        results = json.loads((demo / "stage3" / "results" / f"{board}.json").read_text())
        run = results["fer_edge"]
        assert (run["stage"], run["power_sensor"], run["complete"]) == (
            "power", "um34c-emulator", True)
        assert run["power"]["idle"]["samples"] >= 5
        for bench in results["benchmarks"]:
            power = bench["extra_info"]["power"]
            assert power["status"] == "measured" and power["sensor"]["stand_in"] is True
            assert bench["extra_info"]["energy_mj"] is not None

    rows = json.loads((demo / "stage3" / "ranking" / "ranking.json").read_text())
    for board in BOARDS:
        powered = [r for r in rows if r["device_label"] == board and r["fit_pdp"] is not None]
        assert len(powered) == QUICK.stage2_top and all(r["power_stand_in"] for r in powered)
        best = verify_bundle(demo / "stage3" / "bundles" / board)
        top = min(powered, key=lambda r: (r["rank_pdp"], r["model_id"]))
        assert [m["id"] for m in best["models"]] == [top["model_id"]]

    page = index.read_text()
    assert NO_POWER_NOTE not in page
    assert "Power from a STAND-IN meter (um34c-emulator)" in page
    assert "stage 3, Accuracy/PDP" in page  # the final choice is stage 3's
    figure7 = imread(demo / "report" / "figure7_power_top10.png")
    assert figure7.shape[0] > 400  # bars drawn (the no-power placeholder is 242 px high)

    run_demo(demo, QUICK, show_progress=False, power_sensor="um34c-emulator", power_seconds=2)
    steps, _ = _steps(demo)
    assert all(steps[f"power {board}"]["reused"] for board in BOARDS)
