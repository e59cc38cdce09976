"""The result fields (one function each for extra_info and the run record), the atomic JSON
write, and the checking of the suite's options: pure logic against literal values."""

from __future__ import annotations

import json
import os

import pytest

from fer_edge_harness import results
from fer_edge_harness.backends.base import Backend
from fer_edge_harness.jsonout import take_over_json_path, write_json_atomically
from fer_edge_harness.results_schema import (
    DESCRIPTIVE_EXTRA_INFO,
    OPTIONAL_EXTRA_INFO,
    REQUIRED_EXTRA_INFO,
    TIMING_EXTRA_INFO,
)
from fer_edge_harness.session import Case, CaseFailure
from fer_edge_harness.settings import RunSettings, SettingsError, settings_from_options


class FakeBackend(Backend):
    precision = "int8"

    def __init__(self):
        Backend.__init__(self)
        self.threads = 4


def settings(**kw) -> RunSettings:
    base = {"bundle_dir": "/b", "backends": ["tflite-int8"], "device_label": "coral-dev",
            "threads": 4, "rounds": 40, "warmup_rounds": 10}
    return RunSettings(**{**base, **kw})


LATENCY = {"latency_ms": 0.52, "latency_mean_ms": 0.55, "latency_iqr_ms": 0.01,
           "latency_cv": 0.2, "rounds": 1923, "timed_s": 1.06, "warmup_rounds": 400,
           "warmup_s": 0.2, "warmup_settled": True, "flags": [], "latency_clock": "wall",
           "wall_latency_ms": 0.52}


def extra_info(power=None, stage="latency") -> dict:
    return results.build_extra_info(
        settings(stage=stage), Case("t0001", "tflite-int8"), FakeBackend(), LATENCY, 96.95, 327,
        {"board": "Coral Dev Board"}, {"cpus": {}}, {"cpus": {}}, "ab" * 32, {"x": "1"},
        {"format": "tflite_int8", "sha256": "cd" * 32}, power=power)


def test_extra_info_has_every_schema_field_and_the_timed_median():
    info = extra_info()
    assert set(info) == set(REQUIRED_EXTRA_INFO + OPTIONAL_EXTRA_INFO + TIMING_EXTRA_INFO
                            + DESCRIPTIVE_EXTRA_INFO)
    assert info["latency_ms"] == 0.52 and info["latency_statistic"] == "median"
    assert {k: info[k] for k in LATENCY} == LATENCY
    assert info["timing_settings"] == {"min_rounds": 40, "min_time_s": 1.0,
                                       "min_warmup_rounds": 10, "max_warmup_s": 2.0}
    assert (info["model_id"], info["backend"], info["precision"], info["threads"]) == (
        "t0001", "tflite-int8", "int8", 4)
    assert (info["accuracy"], info["n_test"], info["stage"]) == (96.95, 327, "latency")
    assert all(info[name] is None for name in ("power_sensor", "idle_power_w", "active_power_w",
                                               "dynamic_power_w", "power_seconds", "energy_mj"))


class FallbackBackend(FakeBackend):
    """A backend that ran another file than it was handed, and says so."""

    def loaded_artifact(self):
        return {"format": "onnx", "path": "/b/t0001/model.onnx", "sha256": "ef" * 32}

    def details(self):
        return {"fallback": "openvino_fp16 did not load", "precision_requested": "fp32"}


def test_extra_info_names_the_file_that_ran_and_the_backends_details():
    info = results.build_extra_info(
        settings(), Case("t0001", "openvino"), FallbackBackend(), LATENCY, 50.0, 10, {}, {}, {},
        "ab" * 32, {}, {"format": "openvino_fp16", "sha256": "cd" * 32})
    assert (info["artifact_format"], info["artifact_sha256"]) == ("onnx", "ef" * 32)
    assert info["backend_details"]["fallback"] == "openvino_fp16 did not load"
    assert info["throttling_during"] is None  # no vcgencmd on this "board"


def test_extra_info_compares_sticky_throttle_bits_before_and_after():
    before = {"throttled": {"raw": "0x50000", "now": [],
                            "occurred": ["under-voltage", "throttled"]}}
    after = {"throttled": {"raw": "0xe0008", "now": ["soft-temperature-limit"],
                           "occurred": ["arm-frequency-capped", "throttled",
                                        "soft-temperature-limit"]}}
    info = results.build_extra_info(
        settings(), Case("t0001", "tflite"), FakeBackend(), LATENCY, 50.0, 10, {}, before, after,
        "ab" * 32, {}, {"format": "tflite_fp32", "sha256": "cd" * 32})
    # 0x50000 -> 0xe0008: capping and soft limit are new; "throttled" was already set before.
    assert info["throttling_during"] == {
        "new": ["arm-frequency-capped", "soft-temperature-limit"],
        "active_after": ["soft-temperature-limit"], "set_before": ["under-voltage", "throttled"]}


def power_record(status="measured", idle_w=2.48, active_w=3.00, latency_ms=0.39):
    """A power stage record (power.py's shape) with the paper's Coral Dev Board figures."""
    return {"status": status, "reason": None if status == "measured" else "meter lost",
            "sensor": {"name": "um34c", "spec": "um34c:/dev/rfcomm0", "stand_in": False},
            "idle": {"mean_w": idle_w}, "active": {"mean_w": active_w},
            "inferences": 346153, "loop_seconds": 180.0, "latency_ms": latency_ms}


def test_power_fields_follow_the_papers_units():
    # Paper, Table 4 (Coral Dev Board): 0.52 W dynamic power x 0.39 ms = 0.2028 mJ/inference.
    info = extra_info(power=power_record(), stage="power")
    assert info["idle_power_w"] == 2.48 and info["active_power_w"] == 3.00
    assert info["dynamic_power_w"] == pytest.approx(0.52)
    assert info["energy_mj"] == pytest.approx(0.2028)
    assert info["power_sensor"] == "um34c:/dev/rfcomm0" and info["power_seconds"] == 180.0
    assert info["power"]["inferences"] == 346153


def test_energy_uses_the_sustained_runs_latency_not_the_timed_rounds():
    # The timed rounds said 0.52 ms (their median); the sustained run managed 0.60 ms each.
    info = extra_info(power=power_record(latency_ms=0.60), stage="power")
    assert info["latency_ms"] == pytest.approx(0.52)
    assert info["energy_mj"] == pytest.approx(0.52 * 0.60)


def test_a_partial_power_record_keeps_its_means_but_gives_no_dynamic_power():
    info = extra_info(power=power_record(status="partial"), stage="power")
    assert info["idle_power_w"] == 2.48 and info["active_power_w"] == 3.00
    assert info["dynamic_power_w"] is None and info["energy_mj"] is None
    assert info["power"]["reason"] == "meter lost"


def test_run_info_record():
    run = results.run_info(settings(), "ab" * 32, [{"model_id": "t1", "backend": "x",
                                                    "reason": "r"}], [], complete=False)
    assert run["schema_version"] == 2 and run["complete"] is False
    assert (run["min_time_s"], run["max_warmup_s"], run["latency_statistic"]) == (1.0, 2.0,
                                                                                  "median")
    assert run["flag_limits"] == {"max_relative_iqr": 0.1, "max_drift": 0.1,
                                  "max_mean_excess": 0.5}
    assert (run["device_label"], run["stage"], run["rounds"], run["threads"]) == (
        "coral-dev", "latency", 40, 4)
    assert run["failures"][0]["reason"] == "r" and run["skipped"] == []


def test_case_failure_names_the_step_and_the_last_line():
    error = CaseFailure("load", RuntimeError("first line\n\n  the real reason  \n"))
    assert str(error) == "load failed: RuntimeError: the real reason"


def test_write_json_atomically_replaces_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "out.json"
    path.write_text("old, not json")
    write_json_atomically(str(path), {"benchmarks": [1, 2]})
    assert json.loads(path.read_text()) == {"benchmarks": [1, 2]}
    assert os.listdir(tmp_path) == ["out.json"]


def test_the_json_path_is_taken_over_from_pytest_benchmark(tmp_path):
    class Session:
        json = None

    class Config:
        _benchmarksession = Session()

    config = Config()
    assert take_over_json_path(config) is None
    config._benchmarksession.json = tmp_path / "a.json"  # pytest-benchmark 4+: a Path
    assert take_over_json_path(config) == str(tmp_path / "a.json")
    assert config._benchmarksession.json is None  # its own end-of-run write is off
    with open(tmp_path / "b.json", "wb") as handle:  # pytest-benchmark 3.x: an open file
        config._benchmarksession.json = handle
        assert take_over_json_path(config) == str(tmp_path / "b.json") and handle.closed


OPTIONS = {"fer_bundle": "/b", "fer_backend": "tflite,keras", "fer_device_label": "rpi4",
           "fer_stage": "latency", "fer_threads": None, "fer_rounds": 40,
           "fer_warmup_rounds": 10, "fer_models": "t1, t2", "fer_openvino_device": "CPU",
           "fer_cache_dir": None, "fer_min_time": 1.0, "fer_max_warmup_time": "2.5",
           "fer_round_times": False}


def test_settings_from_options():
    made = settings_from_options(OPTIONS.get)
    assert made.backends == ["tflite", "keras"] and made.models == ["t1", "t2"]
    assert made.threads >= 1 and made.rounds == 40 and made.cache_dir == "/b/engines"
    assert (made.min_time_s, made.max_warmup_s, made.keep_round_times) == (1.0, 2.5, False)


@pytest.mark.parametrize(("change", "message"), [
    ({"fer_bundle": None}, "--bundle: required"),
    ({"fer_device_label": ""}, "--device-label: required"),
    ({"fer_backend": "tflite,gpu"}, "--backend: unknown backend gpu"),
    ({"fer_stage": "energy"}, "--stage: must be one of latency, power"),
    ({"fer_rounds": "0"}, "--rounds: must be at least 1, got 0"),
    ({"fer_warmup_rounds": "-1"}, "--warmup-rounds: must be at least 0"),
    ({"fer_threads": "two"}, "--threads: 'two' is not a whole number"),
    ({"fer_min_time": "-1"}, "--min-time: must be a finite number of seconds >= 0"),
    ({"fer_min_time": "nan"}, "--min-time: must be a finite number of seconds >= 0"),
    ({"fer_max_warmup_time": "soon"}, "--max-warmup-time: 'soon' is not a number"),
])
def test_bad_options_name_the_option(change, message):
    with pytest.raises(SettingsError, match=message):
        settings_from_options({**OPTIONS, **change}.get)
