"""The other readers against stand-ins built from their documented formats: recorded tegrastats
lines of both JetPack formats through a fake `tegrastats` on PATH, INA3221 sysfs trees of both
driver layouts, RAPL counters that wrap, a fake pynvml module, and the spec grammar."""

from __future__ import annotations

import os
import stat
import sys
import textwrap
import time
from pathlib import Path

import pytest

from fer_edge_harness.sensors import (
    SensorError,
    SensorSpecError,
    SensorUnavailable,
    create_sensor,
    parse_spec,
)
from fer_edge_harness.sensors.rapl import energy_delta_uj
from fer_edge_harness.sensors.tegrastats import parse_rails

# JetPack 4 (L4T r32), Jetson Nano: rails in mW without a unit. The line jetson-stats' tegrastats
# emulator keeps for the Nano (rbonghi/jetson_stats, tests/tegrastats).
NANO_JP4 = ("RAM 1180/3965MB (lfb 1x2MB) SWAP 149/1024MB (cached 7MB) IRAM 0/252kB(lfb 252kB) "
            "CPU [30%@1036,33%@1036,28%@1036,26%@1036] EMC_FREQ 10%@1600 GR3D_FREQ 0%@76 "
            "NVENC 716 NVDEC 716 APE 25 PLL@57C CPU@60.5C PMIC@100C GPU@59C AO@65C "
            "thermal@59.75C POM_5V_IN 4520/4680 POM_5V_GPU 0/0 POM_5V_CPU 1078/1205")
# JetPack 5/6 (L4T r35/r36), Jetson Orin Nano: a timestamp first, rails with a mW unit.
ORIN_JP6 = ("11-21-2024 10:51:45 RAM 2981/7620MB (lfb 9x4MB) SWAP 0/3810MB (cached 0MB) "
            "CPU [1%@729,4%@729,8%@729,4%@729,5%@729,4%@729] GR3D_FREQ 0% cpu@44.156C "
            "soc2@43.781C soc0@44.687C gpu@45.968C tj@45.968C soc1@45.312C "
            "VDD_IN 7701mW/7701mW VDD_CPU_GPU_CV 717mW/717mW VDD_SOC 1794mW/1794mW")
# Jetson AGX Orin prints per-domain rails and no total input rail.
AGX_ORIN = ("RAM 3400/30536MB (lfb 7x4MB) CPU [0%@729,0%@729] GR3D_FREQ 0%@[0,0] "
            "VDD_GPU_SOC 2387mW/2387mW VDD_CPU_CV 397mW/397mW VIN_SYS_5V0 2320mW/2320mW")

FAKE_TEGRASTATS = """\
#!{python}
# Stands in for NVIDIA's tegrastats: `--interval MS`, then one recorded line per interval.
import os, sys, time
state = os.environ["FAKE_TEGRASTATS_STATE"]
starts = len(os.listdir(state))
open(os.path.join(state, "start-%d-%d" % (starts, os.getpid())), "w").close()
if starts >= int(os.environ.get("FAKE_TEGRASTATS_MAX_STARTS", "1000")):
    sys.exit(1)
interval = int(sys.argv[sys.argv.index("--interval") + 1]) / 1000.0
lines = open(os.environ["FAKE_TEGRASTATS_LINES"]).read().splitlines()
for number, line in enumerate(lines * 1000):
    if number == int(os.environ.get("FAKE_TEGRASTATS_LINES_PER_RUN", "100000")):
        sys.exit(0)
    print(line, flush=True)
    time.sleep(interval)
"""


def test_rails_of_both_jetpack_formats():
    assert parse_rails(NANO_JP4) == {"POM_5V_IN": 4520, "POM_5V_GPU": 0, "POM_5V_CPU": 1078}
    assert parse_rails(ORIN_JP6) == {"VDD_IN": 7701, "VDD_CPU_GPU_CV": 717, "VDD_SOC": 1794}
    # RAM 1180/3965MB, SWAP and IRAM are not rails.
    assert "RAM" not in parse_rails(NANO_JP4) and "SWAP" not in parse_rails(NANO_JP4)


@pytest.fixture
def fake_tegrastats(tmp_path, monkeypatch):
    """Put a fake tegrastats first on PATH; returns a function that sets its lines."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    script = bin_dir / "tegrastats"
    script.write_text(FAKE_TEGRASTATS.format(python=sys.executable))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    state = tmp_path / "state"
    state.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_TEGRASTATS_STATE", str(state))

    def with_lines(*lines: str, **env: int) -> Path:
        path = tmp_path / "lines.txt"
        path.write_text("\n".join(lines) + "\n")
        monkeypatch.setenv("FAKE_TEGRASTATS_LINES", str(path))
        for key, value in env.items():
            monkeypatch.setenv(f"FAKE_TEGRASTATS_{key.upper()}", str(value))
        return state

    return with_lines


def _children_gone(state: Path) -> bool:
    pids = [int(p.name.split("-")[-1]) for p in state.iterdir()]
    return bool(pids) and not any(Path(f"/proc/{pid}").exists() for pid in pids)


@pytest.mark.parametrize(("line", "watts", "rail"), [
    (NANO_JP4, 4.520, "POM_5V_IN"), (ORIN_JP6, 7.701, "VDD_IN"),
    (AGX_ORIN, 2.387 + 0.397 + 2.320, "sum of VDD_CPU_CV+VDD_GPU_SOC+VIN_SYS_5V0"),
])
def test_tegrastats_samples_the_input_rail_and_ends_its_child(fake_tegrastats, line, watts,
                                                              rail):
    state = fake_tegrastats(line)
    sensor = create_sensor("tegrastats:interval_ms=50")
    sensor.start()
    time.sleep(0.5)
    samples = sensor.stop()
    assert len(samples) >= 4 and sensor.fault is None
    assert all(s.power_w == pytest.approx(watts) for s in samples)
    assert sensor.describe()["rail"] == rail and sensor.describe()["interval_s"] == 0.05
    assert _children_gone(state)


def test_tegrastats_reads_a_named_rail(fake_tegrastats):
    fake_tegrastats(NANO_JP4)
    sensor = create_sensor("tegrastats:rail=POM_5V_CPU,interval_ms=50")
    sensor.start()
    assert [s.power_w for s in sensor.stop()][:1] == [1.078]


def test_a_tegrastats_that_exits_is_restarted_then_given_up_on(fake_tegrastats):
    state = fake_tegrastats(ORIN_JP6, lines_per_run=3, max_starts=2)
    sensor = create_sensor("tegrastats:interval_ms=20")
    sensor.start()
    deadline = time.monotonic() + 10
    while sensor.fault is None and time.monotonic() < deadline:
        time.sleep(0.05)
    samples = sensor.stop()
    assert len(samples) == 6  # two runs of three lines, then it would not start again
    assert sensor.fault.startswith("tegrastats exited")
    assert "gave up after 3 reconnects" in sensor.fault
    assert _children_gone(state)


def test_a_garbled_tegrastats_line_is_named(fake_tegrastats):
    fake_tegrastats("RAM 1180/3965MB (lfb 1x2MB) CPU [30%@1036]")
    with pytest.raises(SensorError, match="garbled tegrastats line: no power rail"):
        create_sensor("tegrastats:interval_ms=20").start()


def test_no_tegrastats_on_path_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SensorUnavailable, match="tegrastats is not on PATH"):
        create_sensor("tegrastats").start()


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def jetpack4_ina3221(root: Path) -> None:
    """L4T r32's ina3221x IIO layout (Jetson Nano): rail_name_N and in_power{N}_input (mW)."""
    iio = root / "sys/bus/i2c/devices/6-0040/iio:device0"
    _write(root / "sys/bus/i2c/devices/6-0040/name", "ina3221x")
    for channel, (name, mw) in enumerate([("POM_5V_IN", 4520), ("POM_5V_GPU", 0),
                                          ("POM_5V_CPU", 1078)]):
        _write(iio / f"rail_name_{channel}", name)
        _write(iio / f"in_power{channel}_input", str(mw))


def jetpack5_ina3221(root: Path, with_total: bool = True) -> None:
    """The mainline hwmon driver (JetPack 5+): inN_label, inN_input (mV), currN_input (mA);
    channel 7 (sum of shunt voltages) and NC channels are skipped."""
    device = root / "sys/bus/i2c/devices/1-0040"
    hwmon = device / "hwmon/hwmon3"
    _write(device / "name", "ina3221")
    rails = [("VDD_IN" if with_total else "VDD_GPU_SOC", 5000, 1540),
             ("VDD_CPU_GPU_CV", 5000, 143), ("VDD_SOC", 5000, 359)]
    for channel, (label, mv, ma) in enumerate(rails, start=1):
        _write(hwmon / f"in{channel}_label", label)
        _write(hwmon / f"in{channel}_input", str(mv))
        _write(hwmon / f"curr{channel}_input", str(ma))
    _write(hwmon / "in7_label", "sum of shunt voltages")
    _write(hwmon / "in7_input", "1")


@pytest.mark.parametrize(("build", "spec", "watts", "layout"), [
    (jetpack4_ina3221, "ina3221:root={root}", 4.520, "iio"),
    (jetpack5_ina3221, "ina3221:root={root}", 5.000 * 1.540, "hwmon"),
    (jetpack5_ina3221, "ina3221:root={root},rail=VDD_SOC", 5.000 * 0.359, "hwmon"),
])
def test_ina3221_reads_both_driver_layouts(tmp_path, build, spec, watts, layout):
    build(tmp_path)
    sensor = create_sensor(spec.format(root=tmp_path) + ",interval_ms=10")
    sensor.start()
    time.sleep(0.1)
    samples = sensor.stop()
    assert len(samples) >= 3 and all(s.power_w == pytest.approx(watts) for s in samples)
    assert sensor.describe()["layout"] == layout and len(sensor.describe()["rails"]) == 1


def test_ina3221_without_a_total_rail_sums_and_says_so(tmp_path):
    jetpack5_ina3221(tmp_path, with_total=False)
    sensor = create_sensor(f"ina3221:root={tmp_path}")
    sensor.start()
    samples = sensor.stop()
    assert samples[0].power_w == pytest.approx(5.0 * (1.540 + 0.143 + 0.359))
    assert sensor.describe()["note"] == "no total input rail: the sum of these rails"


def test_ina3221_faults(tmp_path):
    with pytest.raises(SensorUnavailable, match="no INA3221 rails under"):
        create_sensor(f"ina3221:root={tmp_path}").start()
    jetpack4_ina3221(tmp_path)
    with pytest.raises(SensorUnavailable, match=r"no rail VDD_IN \(rails: POM_5V_CPU"):
        create_sensor(f"ina3221:root={tmp_path},rail=VDD_IN").start()


def _powercap(root: Path, zones: dict[str, tuple[int, int]]) -> Path:
    base = root / "sys/class/powercap"
    for index, (name, (energy, max_range)) in enumerate(zones.items()):
        zone = base / f"intel-rapl:{index}"
        _write(zone / "name", name)
        _write(zone / "energy_uj", str(energy))
        _write(zone / "max_energy_range_uj", str(max_range))
        _write(base / f"intel-rapl:{index}:0" / "name", "core")  # a sub-zone: not counted
    return base


def test_rapl_energy_wraps_around():
    assert energy_delta_uj(1_000, 3_000, 262_143_328_850) == 2_000
    assert energy_delta_uj(262_143_000_000, 500_000, 262_143_328_850) == 828_850


def test_rapl_power_from_counters_across_a_wrap(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from fer_edge_harness.sensors import rapl

    max_uj = 2_000_000
    base = _powercap(tmp_path, {"package-0": (1_900_000, max_uj), "psys": (0, max_uj),
                                "package-1": (0, max_uj)})
    clock = iter([100.0, 100.5, 101.0, 101.25])
    monkeypatch.setattr(rapl, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    sensor = create_sensor(f"rapl:root={tmp_path}")
    sensor.open()
    assert sensor.describe()["zones"] == ["package-0", "package-1"]  # psys is not a package
    readings = [(1_900_000, 0), (400_000, 1_000_000), (1_900_000, 1_500_000),
                (100_000, 1_750_000)]
    watts = []
    for package0, package1 in readings:
        (base / "intel-rapl:0/energy_uj").write_text(f"{package0}\n")
        (base / "intel-rapl:2/energy_uj").write_text(f"{package1}\n")
        watts.append(sensor.read_power_w())
    # 0.5 s: package-0 wrapped (0.5 J), package-1 1.0 J -> 3 W; then 3.0 + 1.0 W; then the
    # wrap again: 0.2 J + 0.25 J in 0.25 s.
    assert watts == [None, pytest.approx(3.0), pytest.approx(4.0), pytest.approx(1.8)]


def test_rapl_faults(tmp_path):
    with pytest.raises(SensorUnavailable, match="no RAPL zones under"):
        create_sensor(f"rapl:root={tmp_path}").start()
    _powercap(tmp_path, {"package-0": (0, 100)})
    with pytest.raises(SensorUnavailable, match=r"no RAPL zone dram \(zones: package-0\)"):
        create_sensor(f"rapl:root={tmp_path},domain=dram").start()


FAKE_PYNVML = textwrap.dedent("""\
    # Stands in for nvidia-ml-py's pynvml: the calls the NVML sensor makes, nothing else.
    class NVMLError(Exception):
        pass
    state = {"init": 0, "shutdown": 0, "mw": [61000, 305000], "calls": 0}
    def nvmlInit():
        state["init"] += 1
    def nvmlShutdown():
        state["shutdown"] += 1
    def nvmlDeviceGetHandleByIndex(index):
        if index != 0:
            raise NVMLError("Invalid Argument")
        return "gpu0"
    def nvmlDeviceGetName(handle):
        return b"NVIDIA H200"
    def nvmlDeviceGetPowerUsage(handle):
        state["calls"] += 1
        return state["mw"][state["calls"] % 2]
    """)


@pytest.fixture
def fake_pynvml(tmp_path, monkeypatch):
    (tmp_path / "pynvml.py").write_text(FAKE_PYNVML)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "pynvml", raising=False)
    import pynvml

    yield pynvml
    sys.modules.pop("pynvml", None)


def test_nvml_reads_milliwatts_and_shuts_down(fake_pynvml):
    sensor = create_sensor("nvml:0,interval_ms=10")
    sensor.start()
    time.sleep(0.1)
    samples = sensor.stop()
    assert {s.power_w for s in samples} == {61.0, 305.0}
    assert sensor.describe()["gpu"] == "NVIDIA H200"
    assert fake_pynvml.state["init"] == fake_pynvml.state["shutdown"] == 1


def test_nvml_faults(fake_pynvml):
    with pytest.raises(SensorUnavailable, match="no GPU 3: Invalid Argument"):
        create_sensor("nvml:3").start()
    assert fake_pynvml.state["init"] == fake_pynvml.state["shutdown"]
    with pytest.raises(SensorSpecError, match="GPU index must be a whole number"):
        create_sensor("nvml:first")


def test_spec_grammar():
    spec = parse_spec("um25c:/dev/ttyUSB0,interval_ms=500,timeout_s=2")
    assert (spec.name, spec.target, spec.options) == (
        "um25c", "/dev/ttyUSB0", {"interval_ms": "500", "timeout_s": "2"})
    assert parse_spec("tegrastats").target is None
    with pytest.raises(SensorSpecError, match="unknown sensor 'ina219'"):
        parse_spec("ina219")
    with pytest.raises(SensorSpecError, match="two targets"):
        parse_spec("um34c:/dev/a,/dev/b")
    with pytest.raises(SensorSpecError, match="option interval_ms='fast' is not valid"):
        create_sensor("rapl:interval_ms=fast")
    with pytest.raises(SensorSpecError, match="unknown option baud"):
        create_sensor("um34c:/dev/rfcomm0,baud=9600")
    none = create_sensor("none")
    none.start()
    assert none.stop() == [] and none.describe() == {"name": "none", "spec": "none",
                                                     "stand_in": False}
