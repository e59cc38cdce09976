"""The UM24C / UM25C / UM34C reader against the documented record, then against a pseudo-terminal
that answers 0xF0 like the meter (emulator.py): a trace's mean, a silent meter, short and
garbled records, a meter unplugged mid-run; no thread is left behind."""

from __future__ import annotations

import threading
import time

import pytest

from fer_edge_harness.sensors import SensorError, create_sensor
from fer_edge_harness.sensors.emulator import TracePower, UmEmulator, read_trace
from fer_edge_harness.sensors.umrecord import MODELS, RecordError, decode, encode


def _record(head_hex: str, tail_hex: str) -> bytes:
    """130 bytes: `head_hex` from byte 0, zeros, `tail_hex` as the last bytes."""
    head, tail = bytes.fromhex(head_hex), bytes.fromhex(tail_hex)
    return head + bytes(130 - len(head) - len(tail)) + tail


# Written by hand from the byte tables of kolinger/rd-usb (interfaces/um.py) and sigrok's
# rdtech-um driver, not from this project's encoder: model id, 5.10 V (510 = 0x01fe, 1/100 V),
# 0.490 A (490 = 0x01ea, 1/1000 A), 2.499 W (2499 mW = 0x000009c3), 27 C (0x001b); the UM34C's
# last byte is the XOR of bytes 1, 3, 7, 9, ... 127: 0x4c ^ 0xfe ^ 0x00 ^ 0xc3 = 0x71.
UM34C_RECORD = _record("0d4c01fe01ea000009c3001b", "71")
# UM25C: 5.123 V in 1/1000 V (0x1403), 0.4567 A in 1/10000 A (0x11d7), 2.339 W, ends 0xfff1.
UM25C_RECORD = _record("09c9140311d7000009230019", "fff1")
UM24C_RECORD = _record("0963020d0064000001450018", "fff1")  # 5.25 V, 0.100 A, 0.325 W


def test_documented_records_decode_to_their_readings():
    um34c = decode(UM34C_RECORD, MODELS["um34c"])
    assert (um34c.volts, um34c.amps, um34c.watts, um34c.temperature_c) == pytest.approx(
        (5.10, 0.490, 2.499, 27))
    um25c = decode(UM25C_RECORD, MODELS["um25c"])
    assert (um25c.volts, um25c.amps, um25c.watts) == pytest.approx((5.123, 0.4567, 2.339))
    um24c = decode(UM24C_RECORD, MODELS["um24c"])
    assert (um24c.volts, um24c.amps, um24c.watts) == pytest.approx((5.25, 0.100, 0.325))


def test_the_stand_in_sends_exactly_the_documented_bytes():
    assert encode(MODELS["um34c"], 5.10, 0.490, watts=2.499, temperature_c=27) == UM34C_RECORD
    assert encode(MODELS["um25c"], 5.123, 0.4567, watts=2.339, temperature_c=25) == UM25C_RECORD


@pytest.mark.parametrize(("record", "model", "message"), [
    (UM34C_RECORD[:64], "um34c", "short record: 64 of 130 bytes"),
    (UM24C_RECORD, "um34c", "model id 0x0963, a UM34C sends 0x0d4c"),
    (UM34C_RECORD[:-1] + b"\x00", "um34c", "checksum 0x00 does not match 0x71"),
    (UM25C_RECORD[:-2] + b"\x00\x00", "um25c", "ends 0x0000, not 0xfff1"),
])
def test_short_and_garbled_records_are_refused_by_name(record, model, message):
    with pytest.raises(RecordError, match=message):
        decode(record, MODELS[model])


def _threads() -> set[str]:
    return {t.name for t in threading.enumerate()}


@pytest.fixture
def meter():
    """Start emulators; every one is closed at the end, and no sampling thread survives."""
    started = []
    before = _threads()

    def start(power, **kwargs):
        emulator = UmEmulator(power, **kwargs).start()
        started.append(emulator)
        return emulator

    yield start
    for emulator in started:
        emulator.close()
    assert _threads() <= before


def _read(device: str, seconds: float, **options) -> tuple[list, object]:
    extra = "".join(f",{k}={v}" for k, v in {"interval_ms": 20, **options}.items())
    sensor = create_sensor(f"um34c:{device}{extra}")
    sensor.start()
    time.sleep(seconds)
    return sensor.stop(), sensor


def test_the_reader_gets_the_traces_watts_in_order(meter):
    emulator = meter(TracePower([2.0, 3.0, 2.5, 4.0]))
    samples, sensor = _read(emulator.device, 0.6)
    watts = [s.power_w for s in samples]
    assert len(watts) >= 8 and sensor.fault is None
    assert watts[:8] == [2.0, 3.0, 2.5, 4.0] * 2
    times = [s.time_s for s in samples]
    assert times == sorted(times) and times[-1] <= time.monotonic()
    assert sensor.describe()["meter"] == "UM34C" and sensor.describe()["stand_in"] is False


def test_um25c_scaling_reads_the_same_watts(meter):
    emulator = meter(TracePower([1.234]), model="um25c")
    sensor = create_sensor(f"um25c:{emulator.device},interval_ms=20")
    sensor.start()
    samples = sensor.stop()
    assert samples and all(s.power_w == pytest.approx(1.234) for s in samples)


@pytest.mark.parametrize(("behaviour", "reason"), [
    ("silent", "no answer from the meter on {} within 0.2 s"),
    ("short", "short record: 60 of 130 bytes on {}"),
    ("garbled", "garbled record: model id 0x1234"),
])
def test_a_meter_that_never_answers_right_fails_at_start_with_its_reason(meter, behaviour,
                                                                         reason):
    emulator = meter(TracePower([2.0]), behaviour=behaviour)
    sensor = create_sensor(f"um34c:{emulator.device},timeout_s=0.2,interval_ms=20")
    with pytest.raises(SensorError) as error:
        sensor.start()
    assert reason.format(emulator.device) in str(error.value)
    assert "gave up after 4 tries" in str(error.value)


def test_a_meter_unplugged_mid_run_keeps_its_samples_and_gives_the_reason(meter):
    emulator = meter(TracePower([2.5]), answers_before_unplug=10)
    samples, sensor = _read(emulator.device, 3.0, timeout_s=0.2)
    assert len(samples) == 10 and all(s.power_w == 2.5 for s in samples)
    assert sensor.fault.startswith(f"meter lost on {emulator.device}")
    assert "reopening: cannot open" in sensor.fault
    assert "gave up after 3 reconnects" in sensor.fault
    assert sensor.describe()["reconnects"] == 3


def test_a_trace_file_is_read_with_comments(tmp_path):
    trace = tmp_path / "trace.txt"
    trace.write_text("# watts\n2.0\n\n3.5  # busy\n")
    assert read_trace(str(trace)).watts == [2.0, 3.5]
    trace.write_text("2.0\nlots\n")
    with pytest.raises(ValueError, match=r"trace\.txt:2: not a watt value"):
        read_trace(str(trace))
