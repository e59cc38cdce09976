"""The demo's pure pieces: options and their checks, the time estimate, the stage-3 decision,
what counts as a finished step, and the step record. No training, no child processes."""

import json
from pathlib import Path

import pytest
from merge_factory import run_cli

from fer_edge.pipeline.budget import (
    StepCosts,
    describe_estimate,
    estimate_seconds,
    training_scale,
)
from fer_edge.pipeline.options import (
    HOST_BACKENDS,
    QUICK,
    DemoOptions,
    DemoPaths,
    bundle_formats,
    check_options,
    device_label,
    with_overrides,
)
from fer_edge.pipeline.power import decide_power
from fer_edge.pipeline.record import DemoRecord
from fer_edge.pipeline.reuse import results_match, selection_matches, stage1_bundle_matches
from fer_edge_core.errors import UserInputError

FIXTURE = Path(__file__).parent / "fixtures" / "merge" / "pytest_benchmark_5.3.1_host.json"


def test_overrides_skip_unset_options_and_parse_backends():
    opts = with_overrides(QUICK, trials=None, epochs=3, backends="tflite, keras")
    assert (opts.trials, opts.epochs, opts.backends) == (QUICK.trials, 3, ("tflite", "keras"))
    assert with_overrides(DemoOptions(), backends="all").backends == HOST_BACKENDS
    with pytest.raises(TypeError, match="bogus"):
        with_overrides(QUICK, bogus=1)


@pytest.mark.parametrize(("changes", "flag"), [
    ({"stage1_top": 3, "trials": 2}, "--stage1-top"),
    ({"stage2_top": 3, "stage1_top": 2}, "--stage2-top"),
    ({"backends": ("tflite", "cuda-magic")}, "--backends"),
    ({"backends": ("tflite", "tflite")}, "--backends"),
    ({"rounds": 0}, "--rounds"),
    ({"threads": 0}, "--threads"),
    ({"split": "by-day"}, "--split"),
])
def test_check_options_names_the_bad_option(changes, flag):
    with pytest.raises(UserInputError) as info:
        check_options(with_overrides(QUICK, **changes))
    assert info.value.where == flag


def test_defaults_and_quick_pass_their_own_checks():
    assert check_options(DemoOptions()) == DemoOptions()
    assert check_options(QUICK) == QUICK


def test_each_backend_is_a_board_and_gets_its_formats():
    assert [device_label(b) for b in ("tflite", "tflite-int8")] == \
        ["host-tflite", "host-tflite-int8"]
    assert bundle_formats(("tflite", "onnxruntime")) == ["tflite_fp32", "onnx"]
    assert bundle_formats(("openvino", "keras")) == ["keras", "onnx", "openvino_fp16"]
    paths = DemoPaths(Path("out"))
    assert paths.results(2, "host-keras") == Path("out/stage2/results/host-keras.json")
    assert paths.selected(2) == Path("out/stage2/bundles")


def test_training_scale_follows_the_synthetic_size():
    assert training_scale("synthetic") == 1.0
    assert training_scale("synthetic:n=350") == 0.25
    assert training_scale("synthetic:seed=3,n=700") == 0.5
    assert training_scale("ck+:/data/ck") == 1.0


def test_estimate_is_the_cost_model_arithmetic():
    costs = StepCosts(trial_s=1, epoch_s=2, search_start_s=10, bundle_start_s=5, export_s=0.5,
                      suite_start_s=1, suite_model_s=0.25, keras_start_s=4, keras_model_s=1,
                      report_s=3, warmup_s=0.25)
    opts = with_overrides(DemoOptions(), data="synthetic", trials=10, epochs=4, stage1_top=8,
                          backends="tflite,keras", rounds=40, warmup_rounds=10)
    estimate = estimate_seconds(opts, n_formats=3, costs=costs)
    # Stage 2: per model its load and accuracy, a warm-up and the 1 s minimum of timed rounds.
    timing = 0.25 + 1.0
    assert estimate == {"stage 1 search": 10 + 10 * (1 + 4 * 2), "stage 1 bundle": 5 + 8 * 3 * 0.5,
                        "stage 2": (1 + 8 * (0.25 + timing)) + (4 + 8 * (1 + timing)),
                        "report": 3}
    no_minimum = with_overrides(opts, min_time_s=0.0, max_warmup_s=0.0)
    assert estimate_seconds(no_minimum, n_formats=3, costs=costs)["stage 2"] == \
        (1 + 8 * 0.25) + (4 + 8 * 1)
    assert describe_estimate({"a": 30, "b": 120}) == "about 2.5 min (a 30 s, b 2.0 min)"


def test_baselines_add_their_training_exports_and_measurements():
    costs = StepCosts(trial_s=1, epoch_s=2, search_start_s=10, bundle_start_s=5, export_s=0.5,
                      suite_start_s=1, suite_model_s=0.25, keras_start_s=4, keras_model_s=1,
                      report_s=3, warmup_s=0.25, baselines_epoch_s=20,
                      baselines_export_s=3, baselines_suite_s=2, baselines_keras_s=7)
    opts = with_overrides(DemoOptions(), trials=10, epochs=4, stage1_top=8,
                          backends="tflite,keras", rounds=40, warmup_rounds=10)
    without = estimate_seconds(opts, n_formats=3, costs=costs)
    with_them = estimate_seconds(with_overrides(opts, baselines=True), n_formats=3, costs=costs)
    assert list(with_them) == ["stage 1 search", "stage 1 baselines", "stage 1 bundle",
                               "stage 2", "report"]
    # the default data's epochs cost training_scale x the default synthetic set's
    assert with_them["stage 1 baselines"] == 10 + 2 * 1 + 4 * 20 * training_scale(opts.data)
    assert with_them["stage 1 bundle"] == without["stage 1 bundle"] + 3 * 3
    timing = 0.25 + 1.0  # each baseline's warm-up and timed rounds, on each board
    assert with_them["stage 2"] == without["stage 2"] + (2 + 2 * timing) + (7 + 2 * timing)
    assert DemoOptions().baselines is False and QUICK.baselines is False


def test_paper_sizes_with_a_sensor_add_the_power_stage():
    opts = with_overrides(DemoOptions(), trials=1000, stage1_top=1000, stage2_top=10,
                          power_sensor="um34c", power_seconds=180)
    estimate = estimate_seconds(opts, n_formats=5)
    # Idle once per board, then each of its 10 models: 5 boards x 11 x 180 s.
    assert estimate["stage 3"] == 5 * 11 * 180
    assert "stage 3" not in estimate_seconds(DemoOptions(), n_formats=5)
    assert describe_estimate(estimate).startswith("about ")
    assert " h (" in describe_estimate(estimate)


def test_no_sensor_skips_stage_3_and_says_so():
    decision = decide_power("none", 180)
    assert not decision.runs
    assert decision.suite_args() == []
    assert decision.message().startswith("stage 3 skipped: no power sensor on this machine")


def test_a_named_sensor_is_checked_against_the_harness_up_front():
    with pytest.raises(UserInputError, match=r"--power-sensor: ina219: unknown sensor 'ina219' "
                                             r"\(known: ina3221, none, nvml"):
        decide_power("ina219", 180)
    with pytest.raises(UserInputError, match="um34c: needs the meter's serial device"):
        decide_power("um34c", 180)
    with pytest.raises(UserInputError, match="unknown option baud"):
        decide_power("um34c:/dev/rfcomm0,baud=115200", 180)
    decision = decide_power("um34c:/dev/rfcomm0", 60)
    assert decision.runs and not decision.stand_in
    assert decision.suite_args() == ["--power-sensor", "um34c:/dev/rfcomm0",
                                     "--power-seconds", "60", "--idle-seconds", "60"]


def test_the_stand_in_meter_says_it_is_one():
    decision = decide_power("um34c-emulator", 5)
    assert decision.runs and decision.stand_in
    assert "STAND-IN" in decision.message()


def test_bad_demo_options_stop_before_anything_runs(monkeypatch, tmp_path, capsys):
    out = tmp_path / "demo"
    code = run_cli(monkeypatch, "demo", "--out", str(out), "--trials", "2",
                   "--stage1-top", "5")
    assert code == 2
    assert "error: --stage1-top: 5 is more than the 2 trials" in capsys.readouterr().err
    assert not out.exists()


def _results_file(tmp_path, **run_info):
    data = json.loads(FIXTURE.read_text())
    data["fer_edge"].update(run_info)
    path = tmp_path / "host-tflite.json"
    path.write_text(json.dumps(data))
    return path


def test_results_are_reused_only_when_complete_and_matching(tmp_path):
    info = {"bundle_sha256": "ab" * 32, "device_label": "host-tflite", "stage": "latency",
            "backends": ["tflite"], "rounds": 40}
    assert results_match(_results_file(tmp_path, complete=True, **info), info)
    assert not results_match(_results_file(tmp_path, complete=False, **info), info)
    assert not results_match(_results_file(tmp_path, complete=True, **info),
                             {**info, "rounds": 3})
    assert not results_match(_results_file(tmp_path, complete=True, **info),
                             {**info, "bundle_sha256": "cd" * 32})
    (tmp_path / "host-tflite.json").write_text('{"benchmarks": [')
    assert not results_match(tmp_path / "host-tflite.json", info)
    assert not results_match(tmp_path / "absent.json", info)


def test_bundles_are_reused_only_for_the_same_models_and_formats():
    manifest = {"models": [{"id": "t0003", "artifacts": {"keras": {}, "onnx": {}}},
                           {"id": "t0001", "artifacts": {"keras": {}, "onnx": {}}}],
                "parent": {"bundle_sha256": "p" * 64},
                "selection": {"by": "latency", "top": 2}}
    assert stage1_bundle_matches(manifest, ["t0003", "t0001"], ["onnx"])
    assert not stage1_bundle_matches(manifest, ["t0001", "t0003"], ["onnx"])
    assert not stage1_bundle_matches(manifest, ["t0003", "t0001"], ["onnx", "tflite_int8"])
    assert selection_matches(manifest, "p" * 64, "latency", 2, ["t0003", "t0001"])
    assert not selection_matches(manifest, "q" * 64, "latency", 2, ["t0003", "t0001"])
    assert not selection_matches(manifest, "p" * 64, "latency", 3, ["t0003", "t0001"])
    assert not selection_matches(manifest, "p" * 64, "latency", 2, ["t0003"])


def test_a_failed_step_is_still_recorded(tmp_path):
    record = DemoRecord(tmp_path / "demo.json", {"trials": 2})
    with record.step("stage 1", "search") as step:
        step.detail = "2 trials"
    with pytest.raises(RuntimeError), record.step("stage 2", "bench host-tflite"):
        raise RuntimeError("boom")
    saved = json.loads((tmp_path / "demo.json").read_text())
    assert [(s["stage"], s["name"]) for s in saved["steps"]] == \
        [("stage 1", "search"), ("stage 2", "bench host-tflite")]
    assert saved["steps"][0]["detail"] == "2 trials"
    assert saved["options"] == {"trials": 2}
    assert set(record.stage_seconds()) == {"stage 1", "stage 2"}
