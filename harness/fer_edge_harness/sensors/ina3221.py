"""Jetson power rails read straight from the INA3221 monitors in sysfs (no tegrastats needed).

The monitors are the I2C devices whose `name` contains "ina3221" under /sys/bus/i2c/devices:
- JetPack 4 (L4T r32, driver ina3221x): an IIO device, `iio:device*/rail_name_N` with
  `in_power{N}_input` in milliwatts;
- JetPack 5 and later (mainline hwmon driver ina3221): `hwmon/hwmon*/in{N}_label` with
  `in{N}_input` (bus voltage, mV) and `curr{N}_input` (mA); channel 7 is the sum of shunt
  voltages and channels labelled NC are not connected, both skipped.
The total is POM_5V_IN or VDD_IN; `rail=NAME` picks another; a board with neither (Jetson AGX
Xavier) is read as the sum of its rails, which describe() says. `root=DIR` reads a copy of the
tree (tests, or a container with /sys mounted elsewhere). Python 3.6 compatible.
"""

import collections
import os
import re

from fer_edge_harness.sensors.base import (
    PollingSensor,
    SensorReadError,
    SensorUnavailable,
    positive_float,
)
from fer_edge_harness.sensors.tegrastats import total_rail

I2C_DEVICES = os.path.join("sys", "bus", "i2c", "devices")
SUM_OF_SHUNTS_CHANNEL = 7

# kind "iio": power_path in mW; kind "hwmon": volts_path in mV and amps_path in mA.
Rail = collections.namedtuple("Rail", "name kind power_path volts_path amps_path")


def _read(path):
    with open(path) as handle:
        return handle.read().strip()


def _listdir(path):
    try:
        return sorted(os.listdir(path))
    except OSError:
        return []


def _hwmon_rails(folder):
    rails = []
    for entry in _listdir(folder):
        match = re.match(r"in(\d+)_label$", entry)
        if not match or int(match.group(1)) == SUM_OF_SHUNTS_CHANNEL:
            continue
        label = _read(os.path.join(folder, entry))
        if label == "NC" or label.startswith("NC "):
            continue
        channel = match.group(1)
        rails.append(Rail(label, "hwmon", None, os.path.join(folder, "in{}_input".format(channel)),
                          os.path.join(folder, "curr{}_input".format(channel))))
    return rails


def _iio_rails(folder):
    rails = []
    for entry in _listdir(folder):
        match = re.match(r"rail_name_(\d+)$", entry)
        if match:
            power = os.path.join(folder, "in_power{}_input".format(match.group(1)))
            rails.append(Rail(_read(os.path.join(folder, entry)), "iio", power, None, None))
    return rails


def find_rails(root="/"):
    """Every INA3221 rail under `root`, by the layout its driver uses."""
    base = os.path.join(root, I2C_DEVICES)
    rails = []
    for device in _listdir(base):
        folder = os.path.join(base, device)
        name_path = os.path.join(folder, "name")
        if not os.path.isfile(name_path) or "ina3221" not in _read(name_path):
            continue
        hwmon = os.path.join(folder, "hwmon")
        for sub in _listdir(hwmon):
            rails.extend(_hwmon_rails(os.path.join(hwmon, sub)))
        for sub in _listdir(folder):
            if sub.startswith("iio:device"):
                rails.extend(_iio_rails(os.path.join(folder, sub)))
    return rails


def rail_watts(rail):
    if rail.kind == "iio":
        return int(_read(rail.power_path)) / 1000.0
    return int(_read(rail.volts_path)) * int(_read(rail.amps_path)) / 1e6


class Ina3221Sensor(PollingSensor):
    name = "ina3221"
    options = {"interval_ms": (positive_float, None), "rail": (str, None), "root": (str, "/")}

    def __init__(self, spec):
        super(Ina3221Sensor, self).__init__(spec)
        self.root = spec.target or self.settings["root"]
        self.rails = []

    def details(self):
        info = super(Ina3221Sensor, self).details()
        info.update({"rails": [r.name for r in self.rails],
                     "layout": self.rails[0].kind if self.rails else None,
                     "root": self.root})
        if len(self.rails) > 1:
            info["note"] = "no total input rail: the sum of these rails"
        return info

    def open(self):
        found = find_rails(self.root)
        if not found:
            raise SensorUnavailable(self.spec, "no INA3221 rails under {} (not a Jetson, or "
                                    "/sys not visible in this container)".format(
                                        os.path.join(self.root, I2C_DEVICES)))
        names = dict((r.name, r) for r in found)
        chosen = total_rail(names, self.settings["rail"])
        if chosen is None and self.settings["rail"]:
            raise SensorUnavailable(self.spec, "no rail {} (rails: {})".format(
                self.settings["rail"], ", ".join(sorted(names))))
        self.rails = [names[chosen]] if chosen else found

    def read_power_w(self):
        try:
            return sum(rail_watts(rail) for rail in self.rails)
        except (OSError, ValueError) as exc:
            raise SensorReadError("cannot read the INA3221 rails: {}".format(exc))
