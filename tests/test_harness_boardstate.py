"""Board state and hardware, read from a Raspberry Pi-like and a Jetson Nano-like /sys, /proc and
/etc built in a temporary folder, with vcgencmd and nvpmodel stand-ins on PATH printing the real
tools' formats."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from fer_edge_harness.boardstate import (
    Board,
    clocks_pinned,
    parse_cpu_model,
    parse_dpkg_installed,
    parse_jetson_clocks_show,
    parse_measure_clock,
    parse_nvpmodel,
    parse_tegra_release,
    parse_throttled,
    parse_vcgencmd_temp,
    run_command,
)

PI4_CPUINFO = "".join(
    f"processor\t: {i}\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\n"
    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\n"
    "CPU revision\t: 3\n\n" for i in range(4)
) + "Hardware\t: BCM2835\nRevision\t: c03114\nModel\t\t: Raspberry Pi 4 Model B Rev 1.4\n"

NANO_CPUINFO = "".join(
    f"processor\t: {i}\nmodel name\t: ARMv8 Processor rev 1 (v8l)\nBogoMIPS\t: 38.40\n"
    "CPU implementer\t: 0x41\nCPU architecture: 8\nCPU part\t: 0xd07\nCPU revision\t: 1\n\n"
    for i in range(4))

X86_CPUINFO = ("processor\t: 0\nvendor_id\t: GenuineIntel\n"
               "model name\t: Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz\n\n")

# `jetson_clocks --show` on a Nano, before and after `sudo jetson_clocks` (the format jetson-stats
# parses in jtop/core/jetson_clocks.py).
def jetson_clocks_show(cpu_min_khz: int, cpu_khz: int, gpu_min_hz: int, gpu_hz: int,
                       emc_override: int, idle: int) -> str:
    """The tool's lines for a Nano (one CPU shown), with the clocks given."""
    return ("SOC family:tegra210  Machine:NVIDIA Jetson Nano Developer Kit\nOnline CPUs: 0-3\n"
            f"cpu0: Online=1 Governor=schedutil MinFreq={cpu_min_khz} MaxFreq=1479000 "
            f"CurrentFreq={cpu_khz} IdleStates: WFI={idle} c7={idle}\n"
            f"GPU MinFreq={gpu_min_hz} MaxFreq=921600000 CurrentFreq={gpu_hz}\n"
            "EMC MinFreq=204000000 MaxFreq=1600000000 CurrentFreq=1600000000 "
            f"FreqOverride={emc_override}\nFan: speed=0\nNV Power Mode: MAXN\n")


SHOW_DYNAMIC = jetson_clocks_show(102000, 921600, 76800000, 76800000, 0, 1)
SHOW_LOCKED = jetson_clocks_show(1479000, 1479000, 921600000, 921600000, 1, 0)

NV_TEGRA_RELEASE = ("# R32 (release), REVISION: 7.1, GCID: 29818004, BOARD: t210ref, "
                    "EABI: aarch64, DATE: Sat Feb 19 17:05:08 UTC 2022\n"
                    "# KERNEL_VARIANT: oot\nTARGET_USERSPACE_LIB_DIR=nvidia\n")


def write(root: Path, relative: str, text: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)


def cpufreq(root: Path, cpu: int, governor: str, cur: int, low: int, high: int) -> None:
    base = f"sys/devices/system/cpu/cpu{cpu}/cpufreq/"
    for name, value in (("scaling_governor", governor), ("scaling_cur_freq", cur),
                        ("scaling_min_freq", low), ("scaling_max_freq", high)):
        write(root, base + name, f"{value}\n")


def fake_tool(bin_dir: Path, name: str, body: str) -> None:
    """A shell script on PATH standing in for a board tool."""
    bin_dir.mkdir(exist_ok=True)
    path = bin_dir / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def pi_root(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "pi"
    write(root, "proc/device-tree/model", b"Raspberry Pi 4 Model B Rev 1.4\x00")
    write(root, "proc/cpuinfo", PI4_CPUINFO)
    for cpu in range(4):
        cpufreq(root, cpu, "ondemand", 1500000, 600000, 1500000)
    write(root, "sys/devices/system/cpu/online", "0-3\n")
    write(root, "sys/devices/system/cpu/cpuidle/current_driver", "psci_idle\n")
    write(root, "sys/class/thermal/thermal_zone0/type", "cpu-thermal\n")
    write(root, "sys/class/thermal/thermal_zone0/temp", "47236\n")
    write(root, "sys/class/thermal/cooling_device0/type", "gpio-fan\n")
    bin_dir = tmp_path / "pi-bin"
    fake_tool(bin_dir, "vcgencmd", 'case "$1" in\n  get_throttled) echo "throttled=0x50005";;\n'
              "  measure_temp) echo \"temp=47.2'C\";;\n"
              '  measure_clock) [ "$2" = arm ] && echo "frequency(48)=1500398464";;\n'
              "  *) exit 1;;\nesac\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return root


@pytest.fixture
def nano_root(tmp_path: Path, monkeypatch) -> Path:
    root = tmp_path / "nano"
    write(root, "proc/device-tree/model", b"NVIDIA Jetson Nano Developer Kit\x00")
    write(root, "proc/cpuinfo", NANO_CPUINFO)
    write(root, "etc/nv_tegra_release", NV_TEGRA_RELEASE)
    for cpu in range(4):
        cpufreq(root, cpu, "schedutil", 921600, 102000, 1479000)
    zones = [("AO-therm", 36500), ("CPU-therm", 31000), ("GPU-therm", 30500),
             ("PLL-therm", 29000), ("PMIC-Die", 100000), ("thermal-fan-est", 31000)]
    for i, (kind, milli) in enumerate(zones):
        write(root, f"sys/class/thermal/thermal_zone{i}/type", kind + "\n")
        write(root, f"sys/class/thermal/thermal_zone{i}/temp", f"{milli}\n")
    gpu = "sys/class/devfreq/57000000.gpu/"
    for name, value in (("governor", "nvhost_podgov"), ("cur_freq", 76800000),
                        ("min_freq", 76800000), ("max_freq", 921600000)):
        write(root, gpu + name, f"{value}\n")
    bin_dir = tmp_path / "nano-bin"
    fake_tool(bin_dir, "nvpmodel", 'if [ "$1" = "-q" ]; then\n'
              '  echo "NV Fan Mode:quiet"; echo "NV Power Mode: 5W"; echo "1"\nelse exit 1; fi\n')
    fake_tool(bin_dir, "jetson_clocks", f'[ "$1" = "--show" ] || exit 1\ncat <<"EOF"\n'
              f"{SHOW_DYNAMIC}EOF\n")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    return root


def test_raspberry_pi_state_and_hardware(pi_root):
    board = Board(root=str(pi_root))
    state = board.state()
    assert state["cpus"] == {f"cpu{i}": {"governor": "ondemand", "cur_mhz": 1500.0,
                                         "min_mhz": 600.0, "max_mhz": 1500.0} for i in range(4)}
    assert state["thermal"] == [{"zone": "thermal_zone0", "type": "cpu-thermal",
                                 "temp_c": 47.236}]
    assert state["throttled"] == {"raw": "0x50005", "now": ["under-voltage", "throttled"],
                                  "occurred": ["under-voltage", "throttled"]}
    assert state["vcgencmd_temp_c"] == 47.2
    assert state["vcgencmd_arm_mhz"] == pytest.approx(1500.398464)
    assert state["nvpmodel"] is None and state["jetson_clocks"] is None
    assert state["devfreq"] == {}
    hardware = board.hardware()
    assert hardware["board"] == "Raspberry Pi 4 Model B Rev 1.4"
    assert hardware["cpu"] == "4x Cortex-A72"
    assert hardware["l4t"] is None


def test_jetson_nano_state_and_hardware(nano_root):
    board = Board(root=str(nano_root))
    state = board.state()
    assert state["nvpmodel"] == {"mode": "5W", "id": 1}
    assert state["cpus"]["cpu3"] == {"governor": "schedutil", "cur_mhz": 921.6,
                                     "min_mhz": 102.0, "max_mhz": 1479.0}
    assert [(z["type"], z["temp_c"]) for z in state["thermal"]] == [
        ("AO-therm", 36.5), ("CPU-therm", 31.0), ("GPU-therm", 30.5), ("PLL-therm", 29.0),
        ("PMIC-Die", 100.0), ("thermal-fan-est", 31.0)]
    assert state["throttled"] is None and state["vcgencmd_temp_c"] is None
    assert state["devfreq"] == {"57000000.gpu": {"governor": "nvhost_podgov", "cur_mhz": 76.8,
                                                 "min_mhz": 76.8, "max_mhz": 921.6}}
    assert state["jetson_clocks"] == {
        "pinned": False,
        "show": {"gpu": {"min_mhz": 76.8, "max_mhz": 921.6, "cur_mhz": 76.8},
                 "emc": {"min_mhz": 204.0, "max_mhz": 1600.0, "cur_mhz": 1600.0,
                         "freq_override": 0}}}
    hardware = board.hardware()
    assert hardware["board"] == "NVIDIA Jetson Nano Developer Kit"
    assert hardware["cpu"] == "4x Cortex-A57"
    assert hardware["l4t"] == {"release": "R32.7.1", "board": "t210ref"}


def test_an_empty_root_reads_as_unknown_not_an_error(tmp_path):
    board = Board(root=str(tmp_path), run=lambda argv: None)
    state = board.state()
    assert (state["cpus"], state["thermal"], state["throttled"], state["nvpmodel"]) == (
        {}, [], None, None)
    assert board.hardware()["board"] is None and board.hardware()["cpu"] is None


def test_pc_board_name_comes_from_dmi(tmp_path):
    write(tmp_path, "sys/class/dmi/id/sys_vendor", "LENOVO\n")
    write(tmp_path, "sys/class/dmi/id/product_name", "20L8S2N800\n")
    write(tmp_path, "proc/cpuinfo", X86_CPUINFO)
    hardware = Board(root=str(tmp_path), run=lambda argv: None).hardware()
    assert hardware["board"] == "LENOVO 20L8S2N800"
    assert hardware["cpu"] == "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"


def test_runner_is_swappable_and_sees_the_arguments(tmp_path):
    asked = []

    def run(argv):
        asked.append(argv)
        return {"nvpmodel": "NV Power Mode: MAXN\n0\n"}.get(argv[0])

    state = Board(root=str(tmp_path), run=run).state()
    assert state["nvpmodel"] == {"mode": "MAXN", "id": 0}
    assert ["vcgencmd", "get_throttled"] in asked and ["nvpmodel", "-q"] in asked


def test_run_command_absent_failing_and_working(tmp_path, monkeypatch):
    fake_tool(tmp_path, "fails", "echo partial; exit 3\n")
    fake_tool(tmp_path, "works", 'echo "got $1"\n')
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert run_command(["no-such-tool-here"]) is None
    assert run_command(["fails"]) is None
    assert run_command(["works", "x"]) == "got x\n"


@pytest.mark.parametrize(("text", "expected"), [
    ("throttled=0x0\n", {"raw": "0x0", "now": [], "occurred": []}),
    ("throttled=0x80008\n", {"raw": "0x80008", "now": ["soft-temperature-limit"],
                             "occurred": ["soft-temperature-limit"]}),
    ("throttled=0x20000\n", {"raw": "0x20000", "now": [], "occurred": ["arm-frequency-capped"]}),
    ("error=1 error_msg=\"Command not registered\"", None),
])
def test_parse_throttled(text, expected):
    assert parse_throttled(text) == expected


def test_parsers_on_literal_tool_output():
    assert parse_vcgencmd_temp("temp=62.3'C\n") == 62.3
    assert parse_vcgencmd_temp("") is None
    assert parse_nvpmodel("NV Fan Mode:quiet\nNV Power Mode: MAXN\n0\n") == {"mode": "MAXN",
                                                                            "id": 0}
    assert parse_nvpmodel("NVPM ERROR: failed to read") is None
    assert parse_tegra_release("# R36 (release), REVISION: 4.3, GCID: 38968081, BOARD: "
                               "generic, EABI: aarch64") == {"release": "R36.4.3",
                                                             "board": "generic"}
    assert parse_cpu_model(X86_CPUINFO) == "Intel(R) Core(TM) i7-8650U CPU @ 1.90GHz"
    mixed = "CPU part\t: 0xd03\n" * 4 + "CPU part\t: 0xd08\n" * 2
    assert parse_cpu_model(mixed) == "4x Cortex-A53 + 2x Cortex-A72"


def test_jetson_clocks_pinned_is_read_from_sysfs_without_root(nano_root):
    """After `sudo jetson_clocks`: every CPU and the GPU at min = max = current. The tool's own
    --show needs root, so the verdict comes from sysfs and the tool only adds EMC."""
    for cpu in range(4):
        cpufreq(nano_root, cpu, "schedutil", 1479000, 1479000, 1479000)
    for name in ("cur_freq", "min_freq", "max_freq"):
        write(nano_root, f"sys/class/devfreq/57000000.gpu/{name}", "921600000\n")
    board = Board(root=str(nano_root), run=lambda argv: None)  # no root: --show fails
    assert board.state()["jetson_clocks"] == {"pinned": True, "show": None}
    assert parse_jetson_clocks_show(SHOW_LOCKED)["emc"]["freq_override"] == 1
    assert parse_jetson_clocks_show(SHOW_LOCKED)["gpu"]["cur_mhz"] == 921.6


def test_clocks_pinned_needs_every_clock():
    pinned = {"min_mhz": 1479.0, "max_mhz": 1479.0, "cur_mhz": 1479.0}
    assert clocks_pinned({"cpu0": pinned}, [pinned]) is True
    assert clocks_pinned({"cpu0": pinned}, [dict(pinned, cur_mhz=76.8)]) is False
    assert clocks_pinned({}, []) is None


def test_libedgetpu_variant_comes_from_dpkg(tmp_path, monkeypatch):
    """A Coral board: `dpkg-query -W` lists both variants; only the installed one counts."""
    fake_tool(tmp_path / "bin", "dpkg-query",
              'printf "libedgetpu1-max 16.0 install ok installed\\n'
              'libedgetpu1-std  unknown ok not-installed\\n"\n')
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    assert Board(root=str(tmp_path)).hardware()["libedgetpu"] == {"libedgetpu1-max": "16.0"}
    assert parse_dpkg_installed("libedgetpu1-std 15.0 deinstall ok config-files\n") == {}


def test_measure_clock_parser():
    assert parse_measure_clock("frequency(0)=2400000000\n") == 2400.0
    assert parse_measure_clock("error=2 error_msg=\"Invalid arguments\"") is None
