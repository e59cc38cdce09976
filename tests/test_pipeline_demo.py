"""`fer-edge demo --quick` end to end: every stage's files, rankings per board, verified
next-stage bundles, a report that says stage 3 was not run, a second run that reuses, and the
stage-3 plug point fed by a stand-in sensor run."""

import json
from datetime import UTC, datetime

import pytest
from merge_factory import run_cli

from fer_edge.pipeline import QUICK, run_demo, stage3
from fer_edge.pipeline.console import DemoConsole
from fer_edge.pipeline.measure import BoardRun
from fer_edge.pipeline.options import DemoPaths, with_overrides
from fer_edge.pipeline.power import PowerDecision
from fer_edge.pipeline.record import DemoRecord
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


def _fake_power_run(opts, bundle, bundle_sha256, backend, label, stage, results, log,
                    extra_args=()):
    """Stands in for a harness with a sensor: the board's stage-2 figures on its stage-3
    models, with 0.5 W of dynamic power (test data: the demo itself never makes watts up)."""
    assert extra_args == ("--power-sensor", "fake", "--power-seconds", "7")
    doc = json.loads((results.parents[2] / "stage2" / "results" / f"{label}.json").read_text())
    wanted = {m["id"] for m in verify_bundle(bundle)["models"]}
    doc["benchmarks"] = [b for b in doc["benchmarks"] if b["extra_info"]["model_id"] in wanted]
    for bench in doc["benchmarks"]:
        extra = bench["extra_info"]
        extra.update(stage=stage, power_sensor="fake", idle_power_w=1.0, active_power_w=1.5,
                     dynamic_power_w=0.5, power_seconds=7, bundle_sha256=bundle_sha256,
                     energy_mj=0.5 * extra["latency_ms"])
    doc["fer_edge"].update(stage=stage, bundle_sha256=bundle_sha256, complete=True)
    doc["datetime"] = datetime.now(UTC).isoformat()
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps(doc))
    return BoardRun(label, backend, results, log, exit_code=0, measured=len(wanted),
                    usable=True)


def stage3_on(demo, opts, record_name):
    """Stage 3 of the demo in `demo` on its stage-2 bundles, with the stand-in sensor "fake"
    (stage3.measure_board replaced by the caller); (ranking folder, record)."""
    paths = DemoPaths(demo)
    record = DemoRecord(demo / record_name, opts.as_dict())
    runs = [BoardRun(label, label.removeprefix("host-"), paths.results(2, label),
                     paths.log(2, label), exit_code=0, measured=2, usable=True)
            for label in BOARDS]
    selected = {label: paths.selected(2) / label for label in BOARDS}
    ranking = stage3.power_stage(opts, paths, DemoConsole(enabled=False), record,
                                 PowerDecision("fake", 7), runs, selected, paths.bundle)
    return ranking, record


@pytest.mark.slow
def test_a_sensor_plugs_into_stage_3(demo, monkeypatch):
    monkeypatch.setattr(stage3, "measure_board", _fake_power_run)
    opts = with_overrides(QUICK, power_sensor="fake", power_seconds=7)
    ranking, record = stage3_on(demo, opts, "stage3-test.json")

    rows = json.loads((ranking / "ranking.json").read_text())
    for label in BOARDS:
        powered = [r for r in rows if r["device_label"] == label and r["fit_pdp"] is not None]
        assert len(powered) == QUICK.stage2_top
        best = verify_bundle(demo / "stage3" / "bundles" / label)
        top = min(powered, key=lambda r: (r["rank_pdp"], r["model_id"]))
        assert [m["id"] for m in best["models"]] == [top["model_id"]]
    assert record.stage3.startswith("stage 3: power with sensor fake")
