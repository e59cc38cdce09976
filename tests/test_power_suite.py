"""Stage 3 through the board suite itself (`--stage power`, a child process, a real tiny bundle):
the pytest-benchmark JSON's power fields follow from the kept samples and the sustained run's
latency; a meter unplugged mid-run leaves every benchmark with its latency and accuracy, marked
partial with the reason; bad power options stop the run before anything is timed."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from harness_fixtures import shared_tiny_bundle

from fer_edge_harness.results_schema import RUN_INFO_KEY
from fer_edge_harness.runner import suite_command
from fer_edge_harness.sensors.emulator import TracePower, UmEmulator

pytestmark = pytest.mark.slow

BENCH_BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    return shared_tiny_bundle(tmp_path_factory)


def run_power(bundle: Path, json_out: Path, sensor: str, *extra: str, seconds: str = "2",
              idle_seconds: str = "2") -> subprocess.CompletedProcess:
    argv = suite_command(bundle, ["tflite", "onnxruntime"], "test-board", "power", json_out,
                         threads=1, rounds=5, warmup_rounds=1,
                         extra_args=("--power-sensor", sensor, "--power-seconds", seconds,
                                     "--idle-seconds", idle_seconds, *extra))
    return subprocess.run(argv, capture_output=True, text=True, timeout=600)


def test_power_fields_follow_from_the_samples_and_the_measured_latency(tiny, tmp_path):
    out = tmp_path / "power.json"
    done = run_power(tiny, out, "um34c-emulator")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "fer-edge: idle power for 2 s with um34c-emulator" in done.stdout
    document = json.loads(out.read_text())
    run = document[RUN_INFO_KEY]
    assert (run["stage"], run["power_sensor"], run["power_seconds"], run["idle_seconds"]) == (
        "power", "um34c-emulator", 2.0, 2.0)
    assert run["partial"] == [] and run["complete"] is True
    idle = run["power"]["idle"]
    idle_mean = statistics.fmean(w for _, w in idle["data"])
    assert idle["samples"] == len(idle["data"]) >= 5 and idle["mean_w"] == idle_mean
    assert run["power"]["sensor"]["stand_in"] is True

    assert len(document["benchmarks"]) == 4
    for bench in document["benchmarks"]:
        info, power = bench["extra_info"], bench["extra_info"]["power"]
        assert power["status"] == "measured" and power["sensor"]["stand_in"] is True
        active = [w for _, w in power["active"]["data"]]
        assert len(active) == power["active"]["samples"] >= 5
        assert power["active"]["rate_hz"] == pytest.approx(len(active) / power["loop_seconds"])
        assert info["idle_power_w"] == idle_mean
        assert info["active_power_w"] == pytest.approx(statistics.fmean(active))
        assert info["dynamic_power_w"] == pytest.approx(statistics.fmean(active) - idle_mean)
        assert info["dynamic_power_w"] > 0  # the stand-in models the loop's CPU use
        latency_ms = power["loop_seconds"] * 1000 / power["inferences"]
        assert power["latency_ms"] == pytest.approx(latency_ms)
        assert info["energy_mj"] == pytest.approx(info["dynamic_power_w"] * latency_ms)
        assert info["power_seconds"] == pytest.approx(2.0, abs=0.1)
        assert power["inferences"] > 100
        assert info["latency_ms"] == bench["stats"]["median"] * 1000  # the timed rounds' median
        assert "cpus" in power["board_state_before"] and "thermal" in power["board_state_after"]
    compared = subprocess.run([str(BENCH_BIN / "pytest-benchmark"), "compare", str(out)],
                              capture_output=True, text=True)
    assert compared.returncode == 0, compared.stderr


def test_a_meter_unplugged_mid_run_leaves_partial_benchmarks_and_the_run_goes_on(tiny,
                                                                                 tmp_path):
    # 50 ms polls: at most 21 answers in the 1 s idle baseline, then it vanishes during the
    # first model's 3 s (however slowly a loaded machine polls, 9 more answers come first).
    emulator = UmEmulator(TracePower([2.0, 2.1]), answers_before_unplug=30).start()
    out = tmp_path / "unplugged.json"
    try:
        done = run_power(tiny, out, f"um34c:{emulator.device},interval_ms=50,timeout_s=0.2",
                         seconds="3", idle_seconds="1")
    finally:
        emulator.close()
    assert done.returncode == 0, done.stdout[-3000:]
    document = json.loads(out.read_text())
    run = document[RUN_INFO_KEY]
    assert run["complete"] is True and run["failures"] == []
    assert run["power"]["idle"]["samples"] >= 2 and run["power"]["idle_reason"] is None
    benches = document["benchmarks"]
    assert len(benches) == 4  # every model still has its latency and accuracy
    first, *rest = [b["extra_info"] for b in benches]
    assert first["power"]["status"] == "partial"
    assert first["power"]["reason"].startswith("meter failed during the run: meter lost on ")
    for info in rest:
        assert info["power"]["status"] == "partial"
        assert info["power"]["reason"].startswith(f"meter: cannot open {emulator.device}")
    for info in (first, *rest):
        assert info["dynamic_power_w"] is None and info["energy_mj"] is None
        assert 0 <= info["accuracy"] <= 100 and info["latency_ms"] > 0
    assert [(p["model_id"], p["backend"]) for p in run["partial"]] == [
        (b["extra_info"]["model_id"], b["extra_info"]["backend"]) for b in benches]
    assert "fer-edge power PARTIAL for" in done.stdout


def test_power_options_are_checked_before_anything_runs(tiny, tmp_path):
    done = run_power(tiny, tmp_path / "x.json", "ina219")
    assert done.returncode == 4
    assert "--power-sensor: ina219: unknown sensor 'ina219'" in done.stderr
    done = run_power(tiny, tmp_path / "x.json", "um34c-emulator", seconds="0")
    assert done.returncode == 4 and "--power-seconds: must be more than 0 seconds" in done.stderr
    argv = suite_command(tiny, ["tflite"], "x", "latency", tmp_path / "x.json",
                         extra_args=("--power-sensor", "rapl"))
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600)
    assert done.returncode == 4
    assert "--power-sensor: only measured with --stage power" in done.stderr
    assert not (tmp_path / "x.json").exists()


def test_the_bench_command_runs_stage_3_with_a_sensor(tiny, tmp_path):
    out = tmp_path / "bench.json"
    base = [str(BENCH_BIN / "fer-edge"), "bench", "--bundle", str(tiny), "--backend", "tflite",
            "--device-label", "cli-board", "--json", str(out), "--rounds", "2",
            "--warmup-rounds", "1", "--threads", "1", "--stage", "power"]
    done = subprocess.run([*base, "--power-sensor", "um34c-emulator", "--power-seconds", "1",
                           "--idle-seconds", "1"], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    document = json.loads(out.read_text())
    assert document[RUN_INFO_KEY]["power_sensor"] == "um34c-emulator"
    assert all(b["extra_info"]["power"]["status"] == "measured"
               for b in document["benchmarks"])
    done = subprocess.run([*base, "--power-sensor", "um34c"], capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 2
    assert done.stderr.strip() == ("error: --power-sensor: um34c: needs the meter's serial "
                                   "device, e.g. um34c:/dev/rfcomm0")
