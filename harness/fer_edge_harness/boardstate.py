"""What was seen of the board: its hardware (model, CPU, L4T release, libedgetpu variant) and
its state around a benchmark (governor and clocks per CPU and per devfreq device such as a
Jetson's GPU, whether jetson_clocks pinned them, temperatures, throttling, the Pi's ARM clock,
Jetson power mode).

Throttling, governors and clocks silently change latency (docs/runtimes.md, "Board state";
docs/boards.md), so every result carries them.
Every file is read under a root folder and every command goes through a runner, so tests can
build a Raspberry Pi's or a Jetson's /sys and /proc in a temporary folder. Nothing here fails:
what cannot be read is left out (None), never guessed.
"""

import os
import platform
import re
import shutil
import subprocess
import time

# ARM's "CPU part" codes for the cores these boards carry (/proc/cpuinfo has no model name).
ARM_PARTS = {"0xd03": "Cortex-A53", "0xd04": "Cortex-A35", "0xd05": "Cortex-A55",
             "0xd07": "Cortex-A57", "0xd08": "Cortex-A72", "0xd09": "Cortex-A73",
             "0xd0b": "Cortex-A76", "0xd42": "Cortex-A78AE", "0xd41": "Cortex-A78"}

# `vcgencmd get_throttled` bits (Raspberry Pi documentation, "vcgencmd").
THROTTLE_BITS = {0: "under-voltage", 1: "arm-frequency-capped", 2: "throttled",
                 3: "soft-temperature-limit"}
OCCURRED_OFFSET = 16


def run_command(argv, timeout_s=5):
    """stdout of a command on PATH, or None when it is absent, fails or hangs."""
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              universal_newlines=True, timeout=timeout_s)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def parse_throttled(text):
    """`throttled=0x50005` -> {raw, now: [...], occurred: [...]}."""
    match = re.search(r"throttled=(0x[0-9a-fA-F]+)", text or "")
    if not match:
        return None
    value = int(match.group(1), 16)
    now = [name for bit, name in sorted(THROTTLE_BITS.items()) if value & (1 << bit)]
    occurred = [name for bit, name in sorted(THROTTLE_BITS.items())
                if value & (1 << (bit + OCCURRED_OFFSET))]
    return {"raw": match.group(1), "now": now, "occurred": occurred}


def throttling_between(before, after):
    """What `vcgencmd get_throttled` says of the time between two states. Bits 16-19 stay set
    from the first event until reboot, so their value after a run says nothing alone: `new` are
    the events first seen during the run, `active_after` the conditions still on after it, and
    `set_before` the sticky ones already set (a repeat of those cannot be seen). None when the
    board has no vcgencmd."""
    first = (before or {}).get("throttled")
    last = (after or {}).get("throttled")
    if not first or not last:
        return None
    return {"new": [name for name in last["occurred"] if name not in first["occurred"]],
            "active_after": list(last["now"]), "set_before": list(first["occurred"])}


def parse_measure_clock(text):
    """`vcgencmd measure_clock arm` (`frequency(48)=1500398464`, Hz) -> MHz."""
    match = re.search(r"frequency\(\d+\)=(\d+)", text or "")
    return int(match.group(1)) / 1e6 if match else None


# `jetson_clocks --show` lines, as jetson-stats parses them (jtop/core/jetson_clocks.py).
_SHOW_CLOCK = re.compile(r"^(GPU|EMC) MinFreq=(\d+) MaxFreq=(\d+) CurrentFreq=(\d+)"
                         r"(?: FreqOverride=(\d+))?", re.MULTILINE)


def parse_jetson_clocks_show(text):
    """`jetson_clocks --show` (root only) -> {gpu: {min_mhz, max_mhz, cur_mhz}, emc: {...,
    freq_override}}; EMC (memory) clocks are not in devfreq on JetPack 4, only here."""
    found = {}
    for match in _SHOW_CLOCK.finditer(text or ""):
        entry = dict(zip(("min_mhz", "max_mhz", "cur_mhz"),
                         (int(match.group(i)) / 1e6 for i in (2, 3, 4))))
        if match.group(5) is not None:
            entry["freq_override"] = int(match.group(5))
        found[match.group(1).lower()] = entry
    return found or None


def clocks_pinned(cpus, gpus):
    """jetson_clocks' signature (jetson-stats' rule): every CPU and GPU at min = max = current.
    None when nothing was read."""
    clocks = list(cpus.values()) + list(gpus)
    if not clocks or any(c.get("cur_mhz") is None for c in clocks):
        return None
    return all(c["min_mhz"] == c["max_mhz"] == c["cur_mhz"] for c in clocks)


def parse_dpkg_installed(text):
    """`dpkg-query -W -f '${Package} ${Version} ${Status}\\n'` lines -> {package: version} of
    the installed ones."""
    found = {}
    for line in (text or "").splitlines():
        parts = line.split()
        if len(parts) >= 3 and line.rstrip().endswith("installed") and "not-installed" not in line:
            found[parts[0]] = parts[1]
    return found


def parse_vcgencmd_temp(text):
    """`temp=47.2'C` -> 47.2."""
    match = re.search(r"temp=([-0-9.]+)", text or "")
    return float(match.group(1)) if match else None


def parse_nvpmodel(text):
    """`nvpmodel -q` (`NV Power Mode: MAXN` then the mode number) -> {mode, id}."""
    match = re.search(r"NV Power Mode:\s*(\S.*?)\s*$", text or "", re.MULTILINE)
    if not match:
        return None
    ids = re.findall(r"^\s*(\d+)\s*$", text, re.MULTILINE)
    return {"mode": match.group(1), "id": int(ids[0]) if ids else None}


def parse_tegra_release(text):
    """`# R32 (release), REVISION: 7.1, ...` -> {release: "R32.7.1", board: "t210ref"}."""
    match = re.search(r"#\s*R(\d+)\s*\(release\),\s*REVISION:\s*([0-9.]+)", text or "")
    if not match:
        return None
    board = re.search(r"BOARD:\s*([^,\s]+)", text)
    return {"release": "R{}.{}".format(match.group(1), match.group(2)),
            "board": board.group(1) if board else None}


def parse_cpu_model(text):
    """The CPU's name from /proc/cpuinfo: on ARM the cores from their part codes (`4x
    Cortex-A72`: ARM's `model name`, where present, only says "ARMv8 Processor"), else x86's
    `model name`."""
    parts = re.findall(r"^CPU part\s*:\s*(0x[0-9a-fA-F]+)", text or "", re.MULTILINE)
    if parts:
        counts = {}
        for part in parts:
            name = ARM_PARTS.get(part.lower(), "ARM part " + part)
            counts[name] = counts.get(name, 0) + 1
        return " + ".join("{}x {}".format(n, name) for name, n in sorted(counts.items()))
    names = re.findall(r"^model name\s*:\s*(.+?)\s*$", text or "", re.MULTILINE)
    return names[0] if names else None


class Board(object):
    """Reads one board's files under `root` and runs its tools through `run`."""

    def __init__(self, root="/", run=run_command):
        self.root = root
        self.run = run

    def path(self, *parts):
        return os.path.join(self.root, *parts)

    def read(self, *parts):
        """A file's text (NUL bytes of device-tree strings dropped), or None."""
        try:
            with open(self.path(*parts), "rb") as handle:
                return handle.read().decode("utf-8", "replace").replace("\0", "").strip()
        except (IOError, OSError):
            return None

    def read_number(self, *parts):
        text = self.read(*parts)
        try:
            return int(text)
        except (TypeError, ValueError):
            return None

    def cpus(self):
        """{cpuN: {governor, cur_mhz, min_mhz, max_mhz}} from cpufreq (kHz there)."""
        base = self.path("sys", "devices", "system", "cpu")
        names = sorted((n for n in _listdir(base) if re.match(r"cpu\d+$", n)),
                       key=lambda n: int(n[3:]))
        found = {}
        for name in names:
            freq = ("sys", "devices", "system", "cpu", name, "cpufreq")
            if not os.path.isdir(self.path(*freq)):
                continue
            found[name] = {"governor": self.read(*(freq + ("scaling_governor",)))}
            for key, file_name in (("cur_mhz", "scaling_cur_freq"),
                                   ("min_mhz", "scaling_min_freq"),
                                   ("max_mhz", "scaling_max_freq")):
                khz = self.read_number(*(freq + (file_name,)))
                found[name][key] = None if khz is None else khz / 1000.0
        return found

    def devfreq(self):
        """{device: {governor, cur_mhz, min_mhz, max_mhz}} of /sys/class/devfreq (Hz there):
        on a Jetson the GPU (57000000.gpu on a Nano, 17000000.ga10b or .gpu on an Orin), whose
        governor and clock set GPU latency as cpufreq sets the CPU's."""
        base = self.path("sys", "class", "devfreq")
        found = {}
        for name in sorted(_listdir(base)):
            entry = {"governor": self.read("sys", "class", "devfreq", name, "governor")}
            for key, file_name in (("cur_mhz", "cur_freq"), ("min_mhz", "min_freq"),
                                   ("max_mhz", "max_freq")):
                hz = self.read_number("sys", "class", "devfreq", name, file_name)
                entry[key] = None if hz is None else hz / 1e6
            found[name] = entry
        return found

    def jetson_clocks(self, cpus, devfreq):
        """Whether jetson_clocks pinned the clocks (read from sysfs, so no root is needed), and
        the GPU and EMC clocks `jetson_clocks --show` prints where it runs. None off a Jetson."""
        gpus = [v for k, v in devfreq.items() if "gpu" in k or "ga10b" in k or "gv11b" in k]
        shown = parse_jetson_clocks_show(self.run(["jetson_clocks", "--show"]))
        if not gpus and not shown:
            return None
        return {"pinned": clocks_pinned(cpus, gpus), "show": shown}

    def temperatures(self):
        """[{zone, type, temp_c}] of every thermal zone (millidegrees there)."""
        base = self.path("sys", "class", "thermal")
        zones = sorted((n for n in _listdir(base) if re.match(r"thermal_zone\d+$", n)),
                       key=lambda n: int(n[len("thermal_zone"):]))
        found = []
        for zone in zones:
            milli = self.read_number("sys", "class", "thermal", zone, "temp")
            found.append({"zone": zone, "type": self.read("sys", "class", "thermal", zone, "type"),
                          "temp_c": None if milli is None else milli / 1000.0})
        return found

    def state(self):
        """The board's state now: what can change between two benchmarks."""
        cpus = self.cpus()
        devfreq = self.devfreq()
        return {
            "time_unix_s": round(time.time(), 3),
            "cpus": cpus,
            "devfreq": devfreq,
            "jetson_clocks": self.jetson_clocks(cpus, devfreq),
            "thermal": self.temperatures(),
            "throttled": parse_throttled(self.run(["vcgencmd", "get_throttled"])),
            "vcgencmd_temp_c": parse_vcgencmd_temp(self.run(["vcgencmd", "measure_temp"])),
            "vcgencmd_arm_mhz": parse_measure_clock(self.run(["vcgencmd", "measure_clock",
                                                              "arm"])),
            "nvpmodel": parse_nvpmodel(self.run(["nvpmodel", "-q"])),
        }

    def board_model(self):
        """Device-tree model on ARM boards; DMI vendor and product on PCs."""
        model = self.read("proc", "device-tree", "model")
        if model:
            return model
        dmi = [self.read("sys", "class", "dmi", "id", name) for name in ("sys_vendor",
                                                                        "product_name")]
        return " ".join(part for part in dmi if part) or None

    def hardware(self):
        """What the board is (stays the same for a run): model, CPU, L4T release."""
        return {
            "board": self.board_model(),
            "cpu": parse_cpu_model(self.read("proc", "cpuinfo")),
            "cpu_count": cpu_count(),
            "machine": platform.machine(),
            "system": platform.platform(),
            "l4t": parse_tegra_release(self.read("etc", "nv_tegra_release")),
            # libedgetpu1-std or -max (faster, hotter): the Edge TPU's clock (coral.ai docs).
            "libedgetpu": parse_dpkg_installed(self.run(
                ["dpkg-query", "-W", "-f", "${Package} ${Version} ${Status}\n",
                 "libedgetpu1-*"])) or None,
        }


def _listdir(path):
    try:
        return os.listdir(path)
    except OSError:
        return []


def cpu_count():
    """CPUs this process may use (a container may be given fewer than the board has)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return len(affinity(0)) if affinity else os.cpu_count()
