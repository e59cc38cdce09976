"""x86 package power from the Linux powercap RAPL energy counters.

Each top-level zone /sys/class/powercap/intel-rapl:N has `name` (package-0, psys, ...),
`energy_uj` (a counter in microjoules) and `max_energy_range_uj` (where the counter wraps to
zero). Power over an interval is the counter's increase divided by the time, the wrap added
back when the counter went down. By default every package-* zone is summed; `domain=NAME`
reads one zone (e.g. psys, the whole platform where the CPU offers it). `root=DIR` reads a
copy of the tree. energy_uj is readable by root only on current kernels (the fix for
CVE-2020-8694). Python 3.6 compatible.
"""

import collections
import os
import re
import time

from fer_edge_harness.sensors.base import (
    PollingSensor,
    SensorReadError,
    SensorUnavailable,
    positive_float,
)

POWERCAP = os.path.join("sys", "class", "powercap")

Zone = collections.namedtuple("Zone", "name path max_energy_uj")


def _read_int(path):
    with open(path) as handle:
        return int(handle.read().strip())


def energy_delta_uj(before, after, max_energy_uj):
    """Energy used between two counter readings, across at most one wrap-around."""
    return after - before if after >= before else after + max_energy_uj - before


def find_zones(root="/"):
    """Top-level RAPL zones under `root` (intel-rapl:N, not their sub-zones intel-rapl:N:M)."""
    base = os.path.join(root, POWERCAP)
    try:
        entries = sorted(os.listdir(base))
    except OSError:
        return []
    zones = []
    for entry in entries:
        if not re.match(r"intel-rapl:\d+$", entry):
            continue
        path = os.path.join(base, entry)
        with open(os.path.join(path, "name")) as handle:
            name = handle.read().strip()
        zones.append(Zone(name, path, _read_int(os.path.join(path, "max_energy_range_uj"))))
    return zones


class RaplSensor(PollingSensor):
    name = "rapl"
    options = {"interval_ms": (positive_float, None), "domain": (str, None),
               "root": (str, "/")}

    def __init__(self, spec):
        super(RaplSensor, self).__init__(spec)
        self.root = spec.target or self.settings["root"]
        self.zones = []
        self._last = None  # (monotonic time, [energy_uj per zone])

    def details(self):
        info = super(RaplSensor, self).details()
        info.update({"zones": [z.name for z in self.zones], "root": self.root})
        return info

    def _choose(self, zones):
        wanted = self.settings["domain"]
        if wanted:
            chosen = [z for z in zones if z.name == wanted]
        else:
            chosen = [z for z in zones if z.name.startswith("package")]
        if not chosen:
            raise SensorUnavailable(self.spec, "no RAPL zone {} (zones: {})".format(
                wanted or "package-*", ", ".join(z.name for z in zones)))
        return chosen

    def open(self):
        zones = find_zones(self.root)
        if not zones:
            raise SensorUnavailable(self.spec, "no RAPL zones under {} (not an x86 CPU with "
                                    "RAPL, or powercap not visible here)".format(
                                        os.path.join(self.root, POWERCAP)))
        self.zones = self._choose(zones)
        try:
            self._energies()
        except PermissionError:
            raise SensorUnavailable(self.spec, "energy_uj is readable by root only (run as "
                                    "root, or give the container read access)")
        self._last = None

    def _energies(self):
        return [_read_int(os.path.join(z.path, "energy_uj")) for z in self.zones]

    def read_power_w(self):
        """Watts since the previous reading; None at the first one (nothing to compare yet)."""
        try:
            now, energies = time.monotonic(), self._energies()
        except (OSError, ValueError) as exc:
            raise SensorReadError("cannot read energy_uj: {}".format(exc))
        previous, self._last = self._last, (now, energies)
        if previous is None or now <= previous[0]:
            return None
        then, before = previous
        used = sum(energy_delta_uj(b, a, z.max_energy_uj)
                   for b, a, z in zip(before, energies, self.zones))
        return used / 1e6 / (now - then)
