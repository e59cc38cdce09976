"""Stage 3's method with the real UM34C reader on a stand-in meter whose watts follow the
inference loop: idle then active, dynamic power and energy per inference from the samples and
the sustained run's own latency; a meter that dies is a partial record, never a crash; and the
probe, on the command line, as an owner runs it first."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

import pytest

from fer_edge_harness import results
from fer_edge_harness.power import PowerSettings, PowerStage
from fer_edge_harness.sensors import create_sensor
from fer_edge_harness.sensors.emulator import TracePower, UmEmulator
from fer_edge_harness.session import Case

IDLE_W, BUSY_W = 2.0, 3.5
CASE = Case("t0001", "tflite")
FER_EDGE = str(sys.executable).rsplit("/", 1)[0] + "/fer-edge"


class LoadFollowingPower:
    """A meter's view of a board: BUSY_W while inferences ran in the last 200 ms, else IDLE_W
    (200 ms: a loaded CI machine can stall the 1 ms loop for tens of milliseconds)."""

    def __init__(self):
        self.last_inference = float("-inf")

    def infer(self, prepared):
        time.sleep(0.001)  # one "inference"
        self.last_inference = time.monotonic()
        return prepared

    def __call__(self):
        return BUSY_W if time.monotonic() - self.last_inference < 0.2 else IDLE_W

    def describe(self):
        return {"model": "test"}


class FakeBoard:
    def state(self):
        return {"time_unix_s": time.time()}


@pytest.fixture
def board_meter():
    power = LoadFollowingPower()
    emulator = UmEmulator(power).start()
    yield power, emulator
    emulator.close()


def _stage(emulator, seconds=0.6, **options):
    extra = "".join(f",{k}={v}" for k, v in {"interval_ms": 20, "timeout_s": 0.2,
                                              **options}.items())
    spec = f"um34c:{emulator.device}{extra}"
    return PowerStage(PowerSettings(spec, power_seconds=seconds, idle_seconds=seconds))


def test_dynamic_power_and_energy_follow_from_the_samples_and_the_runs_latency(board_meter):
    power, emulator = board_meter
    stage = _stage(emulator)
    stage.measure_idle(FakeBoard())
    record = stage.measure_case(CASE, power.infer, "x", FakeBoard())

    assert record["status"] == "measured" and record["reason"] is None
    idle = stage.run_record()["power"]["idle"]
    active = record["active"]
    idle_watts = [w for _, w in idle["data"]]
    active_watts = [w for _, w in active["data"]]
    assert set(idle_watts) == {IDLE_W}
    # At most the first request of the run can land before the first inference finished.
    assert active_watts.count(BUSY_W) >= len(active_watts) - 1
    assert idle["samples"] == len(idle_watts) >= 10 and active["samples"] >= 10
    assert active["std_w"] == pytest.approx(statistics.stdev(active_watts))
    assert active["rate_hz"] == pytest.approx(active["samples"] / active["seconds"])
    # The latency in the PDP is the sustained run's own: its duration over its inferences.
    assert record["latency_ms"] == pytest.approx(
        record["loop_seconds"] * 1000 / record["inferences"])
    assert record["latency_ms"] >= 1.0  # each "inference" sleeps 1 ms

    fields = results.power_fields(record)
    dynamic = statistics.fmean(active_watts) - statistics.fmean(idle_watts)
    assert fields["dynamic_power_w"] == pytest.approx(dynamic) == pytest.approx(BUSY_W - IDLE_W)
    assert fields["energy_mj"] == pytest.approx(dynamic * record["latency_ms"])
    assert fields["power_seconds"] == pytest.approx(0.6, abs=0.15)
    assert fields["power_sensor"].startswith("um34c:/dev/pts/")
    assert record["board_state_before"] and record["board_state_after"]


def test_a_meter_unplugged_during_a_model_marks_it_partial_and_the_run_goes_on(board_meter):
    power, emulator = board_meter
    stage = _stage(emulator, seconds=5.0)
    stage.measure_idle(FakeBoard())
    answered = emulator.answers
    emulator.answers_before_unplug = answered + 10  # about 0.2 s into the next model

    started = time.monotonic()
    record = stage.measure_case(CASE, power.infer, "x", FakeBoard())
    assert time.monotonic() - started < 4.5  # the loop stopped with the meter, not at 5 s
    assert record["status"] == "partial"
    assert record["reason"].startswith("meter failed during the run: meter lost on /dev/pts/")
    assert record["inferences"] > 0 and record["active"]["samples"] >= 5
    fields = results.power_fields(record)
    assert fields["dynamic_power_w"] is None and fields["energy_mj"] is None
    # What was measured is kept, just not ranked.
    assert fields["active_power_w"] == statistics.fmean(w for _, w in record["active"]["data"])

    second = stage.measure_case(Case("t0002", "tflite"), power.infer, "x", FakeBoard())
    assert second["status"] == "partial" and second["reason"].startswith("meter: cannot open")
    assert second["inferences"] == 0
    assert [p["model_id"] for p in stage.run_record()["partial"]] == ["t0001", "t0002"]


def test_a_silent_meter_at_idle_makes_every_model_partial(board_meter):
    _, emulator = board_meter
    emulator.behaviour = "silent"
    stage = _stage(emulator, seconds=0.3)
    stage.measure_idle(FakeBoard())
    assert stage.idle is None and stage.idle_reason.startswith("idle baseline: no answer")
    emulator.behaviour = "answer"
    record = stage.measure_case(CASE, LoadFollowingPower().infer, "x", FakeBoard())
    assert record["status"] == "partial" and record["reason"] == stage.idle_reason
    assert results.power_fields(record)["dynamic_power_w"] is None


def test_no_sensor_records_why_and_runs_nothing():
    stage = PowerStage(PowerSettings("none", 180, 180))
    stage.measure_idle(FakeBoard())
    calls = []
    record = stage.measure_case(CASE, calls.append, "x", FakeBoard())
    assert calls == [] and stage.idle is None
    assert record["status"] == "not-measured"
    assert record["reason"] == "no power sensor (--power-sensor none)"
    assert all(v is None for k, v in results.power_fields(record).items() if k != "power")


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


def test_the_stand_in_sensor_is_marked_and_models_this_processes_cpu_use():
    sensor = create_sensor("um34c-emulator:interval_ms=50,idle_w=2.0,cpu_w=1.0")
    sensor.start()
    time.sleep(0.5)
    idle = sensor.stop()
    sensor.start()
    wall, cpu = time.monotonic(), _cpu_seconds()
    while time.monotonic() < wall + 1.5:
        sum(i * i for i in range(1000))  # as busy as this (shared) machine lets one thread be
    busy_fraction = (_cpu_seconds() - cpu) / (time.monotonic() - wall)
    busy = sensor.stop()
    info = sensor.describe()
    assert info["stand_in"] is True and "modelled, not measured" in info["note"]
    assert info["meter"] == "UM34C" and info["model"] == "cpu" and info["window_s"] == 0.25
    assert statistics.fmean(s.power_w for s in idle[1:]) == pytest.approx(2.0, abs=0.05)
    # idle_w + cpu_w x CPU seconds per second (over 0.25 s windows), whatever share of a CPU
    # this process got on a shared machine.
    settled = [s.power_w for s in busy if s.time_s >= wall + 0.3]
    assert len(settled) >= 4  # 50 ms sampling over ~1.2 s; fewer on a loaded machine
    assert statistics.fmean(settled) == pytest.approx(2.0 + busy_fraction, abs=0.1)
    assert busy_fraction > 0


def _serve(trace: list[float], behaviour: str = "answer") -> UmEmulator:
    return UmEmulator(TracePower(trace), behaviour=behaviour).start()


def test_power_probe_prints_the_traces_mean():
    emulator = _serve([2.4, 2.6])
    try:
        done = subprocess.run([FER_EDGE, "power", "probe", f"um34c:{emulator.device}",
                               "--seconds", "2", "--json"], capture_output=True, text=True,
                              timeout=60)
    finally:
        emulator.close()
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    # Values alternate 2.4, 2.6: the mean is 2.5 over any even count, 2.5 +- 0.1/n otherwise.
    assert summary["samples"] >= 8
    assert abs(summary["mean_w"] - 2.5) <= 0.1 / summary["samples"] + 1e-9
    assert (summary["min_w"], summary["max_w"]) == (2.4, 2.6)
    assert summary["describe"]["meter"] == "UM34C" and summary["stand_in"] is False


def test_power_probe_of_a_silent_meter_exits_with_one_line():
    emulator = _serve([2.5], behaviour="silent")
    try:
        done = subprocess.run([FER_EDGE, "power", "probe",
                               f"um34c:{emulator.device},timeout_s=0.3", "--seconds", "2"],
                              capture_output=True, text=True, timeout=60)
    finally:
        emulator.close()
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.strip().splitlines()
    assert lines == [f"error: um34c:{emulator.device},timeout_s=0.3: no answer from the meter "
                     f"on {emulator.device} within 0.3 s (gave up after 4 tries)"]


def test_power_probe_inside_a_board_image_is_the_harness_module():
    emulator = _serve([3.0])
    try:
        done = subprocess.run([sys.executable, "-m", "fer_edge_harness.probe",
                               f"um34c:{emulator.device}", "--seconds", "1"],
                              capture_output=True, text=True, timeout=60)
    finally:
        emulator.close()
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"um34c:{emulator.device}: mean 3.000 W (min 3.000, ")
    bad = subprocess.run([sys.executable, "-m", "fer_edge_harness.probe", "ina219"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and bad.stderr.startswith("error: ina219: unknown sensor")
