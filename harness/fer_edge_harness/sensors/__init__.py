"""The power sensors a board can use, by name ({name: "module:Class"}), imported only when asked for.

A sensor is chosen by a spec string `NAME[:TARGET][,KEY=VALUE...]`, e.g. `um34c:/dev/rfcomm0`,
`um25c:/dev/ttyUSB0,interval_ms=500`, `tegrastats`, `ina3221:rail=VDD_IN`, `nvml:0`, `rapl`,
`none`, or the stand-in `um34c-emulator`. Every sensor has `describe()`, `start()` and
`stop() -> [Sample(time_s, power_w)]` (monotonic seconds, watts); see base.py. Nothing here
imports pyserial, pynvml or a reader module until a sensor is created.
"""

import importlib

from fer_edge_harness.sensors.base import (
    Sample,
    SensorError,
    SensorSpec,
    SensorSpecError,
    SensorUnavailable,
)

_PACKAGE = "fer_edge_harness.sensors"

SENSORS = {
    "um34c": _PACKAGE + ".um:Um34cSensor",
    "um25c": _PACKAGE + ".um:Um25cSensor",
    "um24c": _PACKAGE + ".um:Um24cSensor",
    "tegrastats": _PACKAGE + ".tegrastats:TegrastatsSensor",
    "ina3221": _PACKAGE + ".ina3221:Ina3221Sensor",
    "nvml": _PACKAGE + ".nvml:NvmlSensor",
    "rapl": _PACKAGE + ".rapl:RaplSensor",
    "none": _PACKAGE + ".none:NoSensor",
    "um34c-emulator": _PACKAGE + ".standin:EmulatedUm34cSensor",
}

NO_SENSOR = "none"
# Sensors whose watts are modelled, not measured: everything they touch says so.
STAND_INS = ("um34c-emulator",)


def parse_spec(text):
    """`NAME[:TARGET][,KEY=VALUE...]` -> SensorSpec; SensorSpecError for an unknown name."""
    text = str(text or "").strip()
    name, _, rest = text.partition(":")
    name = name.strip()
    if name not in SENSORS:
        raise SensorSpecError(text or "(empty)", "unknown sensor {!r} (known: {})".format(
            name, ", ".join(sorted(SENSORS))))
    target, options = None, {}
    for item in [part.strip() for part in rest.split(",")] if rest else []:
        if "=" in item:
            key, _, value = item.partition("=")
            options[key.strip()] = value.strip()
        elif item and target is None:
            target = item
        elif item:
            raise SensorSpecError(text, "two targets ({} and {}); options are KEY=VALUE"
                                  .format(target, item))
    return SensorSpec(text, name, target, options)


def is_stand_in(text):
    """Whether a spec names a stand-in (emulated) sensor."""
    return parse_spec(text).name in STAND_INS


def create_sensor(text):
    """A sensor for the spec, not started yet (SensorSpecError for a bad spec)."""
    spec = parse_spec(text)
    module_name, class_name = SENSORS[spec.name].split(":")
    return getattr(importlib.import_module(module_name), class_name)(spec)


__all__ = ["NO_SENSOR", "SENSORS", "STAND_INS", "Sample", "SensorError", "SensorSpec",
           "SensorSpecError", "SensorUnavailable", "create_sensor", "is_stand_in",
           "parse_spec"]
