"""The board suite end to end, as a board runs it (`python -m pytest <suite> --bundle ...` in a
child process) on a real tiny bundle: the JSON it writes, skips, failures, a bad bundle, a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from harness_fixtures import (
    break_artifact,
    copy_bundle,
    rewrite_manifest,
    shared_tiny_bundle,
)
from harness_fixtures import run_host_suite as run_suite

from fer_edge_harness.bundle import BundleError, verify_bundle
from fer_edge_harness.quality import FLAG_NAMES
from fer_edge_harness.results_schema import (
    OPTIONAL_EXTRA_INFO,
    REQUIRED_EXTRA_INFO,
    RUN_INFO_KEY,
    TIMING_EXTRA_INFO,
)
from fer_edge_harness.runner import run_benchmarks

pytestmark = pytest.mark.slow

HOST_BACKENDS = ["tflite", "tflite-int8", "onnxruntime", "openvino", "keras"]
PRECISION = {"tflite": "fp32", "tflite-int8": "int8", "onnxruntime": "fp32", "openvino": "fp32",
             "keras": "fp32"}
RUNTIME = {"tflite": "ai_edge_litert", "tflite-int8": "ai_edge_litert",
           "onnxruntime": "onnxruntime", "openvino": "openvino", "keras": "tensorflow"}
BENCH_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


def model_ids(bundle: Path) -> list[str]:
    return [m["id"] for m in verify_bundle(bundle)["models"]]


def test_every_host_backend_gives_one_complete_json(tiny, tmp_path):
    """At the harness's default timing: a settled warm-up, then >= 40 rounds and >= 1 s."""
    out = tmp_path / "host.json"
    done = run_suite(tiny, out, [*HOST_BACKENDS, "edgetpu", "tensorrt"], timing={})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    document = json.loads(out.read_text())
    manifest = verify_bundle(tiny)
    benches = document["benchmarks"]
    assert sorted((b["extra_info"]["model_id"], b["extra_info"]["backend"]) for b in benches) \
        == sorted((m, b) for m in model_ids(tiny) for b in HOST_BACKENDS)
    for bench in benches:
        info, stats = bench["extra_info"], bench["stats"]
        assert set(REQUIRED_EXTRA_INFO + OPTIONAL_EXTRA_INFO + TIMING_EXTRA_INFO) <= set(info)
        assert 0 <= info["accuracy"] <= 100
        assert info["latency_ms"] == stats["median"] * 1000
        assert info["latency_mean_ms"] == stats["mean"] * 1000
        assert info["latency_iqr_ms"] == stats["iqr"] * 1000
        assert stats["rounds"] == info["rounds"] >= 40 and stats["iterations"] == 1
        # Rounds planned to last 1 s at the warm-up's median call, capped at 3 s at its mean:
        # shorter only where a busy machine held the warm-up's mean far above its median.
        assert info["timed_s"] == stats["total"]
        assert info["timed_s"] >= 0.9 or info["warmup_settled"] is False or info["flags"], info
        assert "data" not in stats  # per-round times only with --round-times
        # OpenVINO's rounds on its request's own clock (benchmark_app's figure), the others on
        # the wall clock; the wall median kept beside, never below the runtime's (each round's
        # wall time holds that round's own latency).
        clock = "openvino InferRequest.latency" if info["backend"] == "openvino" else "wall"
        assert info["latency_clock"] == clock == bench["options"]["timer"].replace(
            "perf_counter", "wall")
        if clock == "wall":
            assert info["wall_latency_ms"] == info["latency_ms"]
        else:
            assert info["wall_latency_ms"] > info["latency_ms"]
        assert info["warmup_rounds"] >= 10 and info["warmup_settled"] in (True, False)
        assert info["warmup_s"] >= 0.2 or info["warmup_settled"] is False
        assert all(f["flag"] in FLAG_NAMES for f in info["flags"])
        assert info["n_test"] == manifest["test_set"]["n"]
        assert info["bundle_sha256"] == manifest["bundle_sha256"]
        assert (info["device_label"], info["stage"], info["threads"]) == ("test-host",
                                                                           "latency", 1)
        assert info["precision"] == PRECISION[info["backend"]]
        assert RUNTIME[info["backend"]] in info["runtime_versions"]
        assert info["hardware"]["cpu_count"] >= 1 and "accelerator" in info["hardware"]
        assert "cpus" in info["board_state_before"] and "thermal" in info["board_state_after"]
        assert all(info[k] is None for k in ("power_sensor", "dynamic_power_w", "energy_mj"))
    run = document[RUN_INFO_KEY]
    assert run["failures"] == [] and run["complete"] is True
    assert run["bundle_sha256"] == manifest["bundle_sha256"]
    reasons = {s["backend"]: s["reason"] for s in run["skipped"]}
    assert set(reasons) == {"edgetpu", "tensorrt"}
    assert reasons["tensorrt"].startswith("tensorrt not importable")
    assert "libedgetpu.so.1" in reasons["edgetpu"]
    compared = subprocess.run([str(BENCH_BIN / "pytest-benchmark"), "compare", str(out)],
                              capture_output=True, text=True)
    assert compared.returncode == 0, compared.stderr
    assert all(b["name"] in compared.stdout for b in benches)


def test_fp32_backends_score_the_same_accuracy_as_keras(tiny, tmp_path):
    out = tmp_path / "fp32.json"
    done = run_suite(tiny, out, ["keras", "tflite", "onnxruntime", "openvino"])
    assert done.returncode == 0, done.stdout[-3000:]
    scores: dict[str, dict[str, float]] = {}
    for bench in json.loads(out.read_text())["benchmarks"]:
        info = bench["extra_info"]
        scores.setdefault(info["model_id"], {})[info["backend"]] = info["accuracy"]
    for per_backend in scores.values():
        assert len(set(per_backend.values())) == 1, per_backend


def test_a_bundle_that_fails_verification_stops_before_anything_is_timed(tiny, tmp_path):
    bad = copy_bundle(tiny, tmp_path / "bad")
    first = model_ids(bad)[0]
    (bad / first / "model.onnx").write_bytes(b"not the file the manifest hashed")
    with pytest.raises(BundleError) as verifier:
        verify_bundle(bad)
    out = tmp_path / "bad.json"
    done = run_suite(bad, out, ["tflite"])
    assert done.returncode == 4
    assert str(verifier.value) in done.stderr
    assert "test_latency" not in done.stdout and not out.exists()


def test_a_broken_artifact_is_recorded_as_failed_and_the_rest_runs(tiny, tmp_path):
    broken = copy_bundle(tiny, tmp_path / "broken")
    victim, other = model_ids(broken)
    break_artifact(broken, victim, "onnx")
    out = tmp_path / "broken.json"
    done = run_suite(broken, out, ["onnxruntime", "tflite"])
    assert done.returncode == 1
    document = json.loads(out.read_text())
    failures = document[RUN_INFO_KEY]["failures"]
    assert [(f["model_id"], f["backend"]) for f in failures] == [(victim, "onnxruntime")]
    assert failures[0]["reason"].startswith("load failed: ")
    measured = {(b["extra_info"]["model_id"], b["extra_info"]["backend"])
                for b in document["benchmarks"]}
    assert measured == {(other, "onnxruntime"), (victim, "tflite"), (other, "tflite")}


def test_an_artifact_the_bundle_lacks_is_skipped_with_its_status(tiny, tmp_path):
    partial = copy_bundle(tiny, tmp_path / "partial")
    victim = model_ids(partial)[0]

    def drop_onnx(manifest: dict) -> None:
        model = next(m for m in manifest["models"] if m["id"] == victim)
        model["artifacts"]["onnx"] = {"path": None, "sha256": None, "bytes": None,
                                      "status": "failed", "reason": "tf2onnx crashed"}

    rewrite_manifest(partial, drop_onnx)
    out = tmp_path / "partial.json"
    done = run_suite(partial, out, ["onnxruntime"])
    assert done.returncode == 0  # a skip is not a failure while the other model is measured
    document = json.loads(out.read_text())
    assert [b["extra_info"]["model_id"] for b in document["benchmarks"]] == \
        [m for m in model_ids(partial) if m != victim]
    assert document[RUN_INFO_KEY]["skipped"] == [
        {"backend": "onnxruntime", "model_id": victim,
         "reason": "no usable artifact (onnx failed: tf2onnx crashed)"}]
    alone = run_suite(partial, tmp_path / "alone.json", ["onnxruntime"], "--models", victim)
    assert alone.returncode == 5  # nothing measured at all: pytest's "nothing ran" (issue 9)
    assert "fer-edge: nothing was measured: every case was skipped (onnxruntime: no usable " \
        "artifact" in alone.stdout


KILLER = '''
import json, os, signal
import pytest

@pytest.hookimpl(trylast=True)
def pytest_runtest_logfinish(nodeid, location):
    with open(os.environ["FER_TEST_JSON"]) as handle:
        document = json.load(handle)
    with open(os.environ["FER_TEST_LOG"], "a") as log:
        log.write("{} {}\\n".format(len(document["benchmarks"]),
                                    document["fer_edge"]["complete"]))
    if len(document["benchmarks"]) == int(os.environ["FER_KILL_AFTER"]):
        os.kill(os.getpid(), signal.SIGKILL)
'''


def test_json_is_valid_after_every_benchmark_and_survives_a_kill(tiny, tmp_path):
    (tmp_path / "fer_killer.py").write_text(KILLER)
    out, log = tmp_path / "killed.json", tmp_path / "seen.log"
    env = {"PYTHONPATH": str(tmp_path), "FER_TEST_JSON": str(out), "FER_TEST_LOG": str(log),
           "FER_KILL_AFTER": "3"}
    done = run_suite(tiny, out, ["tflite", "onnxruntime"], "-p", "fer_killer", env=env)
    assert done.returncode == -9  # SIGKILL: no session end, no final write
    assert log.read_text().split("\n")[:3] == ["1 False", "2 False", "3 False"]
    document = json.loads(out.read_text())
    assert len(document["benchmarks"]) == 3 and document[RUN_INFO_KEY]["complete"] is False
    assert not list(tmp_path.glob(".killed.json.*"))  # no temporary file left behind
    compared = subprocess.run([str(BENCH_BIN / "pytest-benchmark"), "compare", str(out)],
                              capture_output=True, text=True)
    assert compared.returncode == 0 and "test_latency" in compared.stdout


def test_options_are_checked_before_running(tiny, tmp_path):
    done = run_suite(tiny, tmp_path / "x.json", ["tflite"], "--models", "nope")
    assert done.returncode == 4 and "--models: not in the bundle: nope" in done.stderr
    done = run_suite(tiny, tmp_path / "x.json", ["tflite"], "--rounds", "0")
    assert done.returncode == 4 and "--rounds: must be at least 1, got 0" in done.stderr


def test_run_benchmarks_and_the_bench_command(tiny, tmp_path):
    out = tmp_path / "api" / "run.json"
    code = run_benchmarks(tiny, ["tflite"], "api-host", "latency", out, threads=1, rounds=2,
                          warmup_rounds=0, models=model_ids(tiny)[:1], min_time_s=0,
                          max_warmup_s=0)
    assert code == 0
    [bench] = json.loads(out.read_text())["benchmarks"]
    assert bench["stats"]["rounds"] == 2 and bench["extra_info"]["device_label"] == "api-host"
    cli = BENCH_BIN / "fer-edge"
    out = tmp_path / "cli.json"
    done = subprocess.run([str(cli), "bench", "--bundle", str(tiny), "--backend", "tflite-int8",
                           "--device-label", "cli-host", "--json", str(out), "--rounds", "2",
                           "--warmup-rounds", "1", "--threads", "1", "--min-time", "0.1"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    benches = json.loads(out.read_text())["benchmarks"]
    assert {b["extra_info"]["backend"] for b in benches} == {"tflite-int8"}
    assert len(benches) == len(model_ids(tiny))
    done = subprocess.run([str(cli), "bench", "--bundle", str(tiny), "--device-label", "x",
                           "--json", str(out), "--stage", "idle"], capture_output=True,
                          text=True)
    assert done.returncode == 2 and "error: --stage: must be one of latency, power" in done.stderr


DISTURBER = '''
import threading
from fer_edge_harness import timing
from fer_edge_harness.backends import tflite

planned = {}
real_plan = timing.planned_rounds
real_infer = tflite.TfliteBackend.infer


def plan(min_rounds, min_time_s, call_s, mean_call_s=None):
    planned["rounds"] = real_plan(min_rounds, min_time_s, call_s, mean_call_s)
    planned["calls"] = 0
    return planned["rounds"]


def busy():
    while True:
        pass


def infer(self, prepared):
    if "rounds" in planned:
        planned["calls"] += 1
        if planned["calls"] == planned["rounds"] // 2:
            threading.Thread(target=busy, daemon=True).start()
    return real_infer(self, prepared)


timing.planned_rounds = plan
tflite.TfliteBackend.infer = infer
'''


def test_a_busy_thread_started_mid_run_flags_the_result_through_to_the_report(tiny, tmp_path):
    """The board suite at its default timing, with a busy thread started halfway through the
    timed rounds of the first model (a pure-Python loop: it takes Python's interpreter from
    the timing loop for a switch interval at a time): its result is flagged in the JSON, in
    merge's ranking and in the report."""
    from fer_edge_merge.ranking import merge_results
    from fer_edge_merge.report import write_report

    (tmp_path / "fer_disturber.py").write_text(DISTURBER)
    out = tmp_path / "disturbed.json"
    first = model_ids(tiny)[0]
    done = run_suite(tiny, out, ["tflite"], "-p", "fer_disturber", "--models", first,
                     env={"PYTHONPATH": str(tmp_path)}, timing={})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    [bench] = json.loads(out.read_text())["benchmarks"]
    flags = [f["flag"] for f in bench["extra_info"]["flags"]]
    # The thread holds up many rounds for a whole switch interval: the mean far above the
    # median, or (where the runtime lets go of the interpreter) every round slower.
    assert {"heavy-tail", "drift"} & set(flags), bench["extra_info"]["flags"]
    ranking = tmp_path / "ranking"
    warnings: list[str] = []
    merge_results([out], ranking, warn=warnings.append)
    assert any("latency is flagged: " in w and first in w for w in warnings)
    page = write_report(ranking, tmp_path / "report").read_text()
    assert "Flagged latencies" in page and first in page.split("Flagged latencies")[1]


def test_round_times_are_kept_when_asked(tiny, tmp_path):
    out = tmp_path / "data.json"
    done = run_suite(tiny, out, ["tflite"], "--models", model_ids(tiny)[0], "--round-times")
    assert done.returncode == 0, done.stderr[-2000:]
    [bench] = json.loads(out.read_text())["benchmarks"]
    assert len(bench["stats"]["data"]) == bench["stats"]["rounds"] == 3
