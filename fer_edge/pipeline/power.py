"""Decide whether stage 3 (power) can run here, and with which sensor: never invent watts.

Stage 3 needs a power meter (README, "What it does"). The harness gets its sensors in a
later issue, as the module `fer_edge_harness.sensors` with a {name: "module:Class"} table
`SENSORS` (the same lazy registry as its backends). Until that module exists, and whenever the
user keeps the default `--power-sensor none`, the demo skips stage 3, says so, and the report
shows the stage-2 decision with the power columns empty.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fer_edge.pipeline.options import NO_SENSOR
from fer_edge_core.errors import UserInputError

SENSORS_MODULE = "fer_edge_harness.sensors"


@dataclass(frozen=True)
class PowerDecision:
    """Stage 3 runs with `sensor` for `seconds` per model, or is skipped for `reason`."""

    sensor: str | None
    seconds: int
    reason: str | None = None

    @property
    def runs(self) -> bool:
        return self.sensor is not None

    def suite_args(self) -> list[str]:
        """The harness options that switch its power measurement on (stage 3 only)."""
        if self.sensor is None:
            return []
        return ["--power-sensor", self.sensor, "--power-seconds", str(self.seconds)]

    def message(self) -> str:
        if self.runs:
            return (f"stage 3: power with sensor {self.sensor}, {self.seconds} s idle and "
                    f"{self.seconds} s active per model")
        return f"stage 3 skipped: {self.reason}"


def _sensor_table() -> dict[str, Any] | None:
    """The harness's sensor registry, or None when this harness has no sensors module."""
    try:
        module = importlib.import_module(SENSORS_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name == SENSORS_MODULE:
            return None
        raise
    return dict(getattr(module, "SENSORS", {}))


def decide_power(sensor: str, seconds: int,
                 sensor_table: Callable[[], dict[str, Any] | None] = _sensor_table,
                 ) -> PowerDecision:
    """The stage-3 decision for `--power-sensor SENSOR`. `none` skips it with the reason; a
    named sensor this harness does not have is refused up front (before a long stage 1), not
    discovered after it. `sensor_table` gives the harness's registry (None: no sensors)."""
    if sensor == NO_SENSOR:
        return PowerDecision(None, seconds, "no power sensor on this machine "
                             "(--power-sensor none): power columns stay empty and the report "
                             "shows the stage-2 decision (best accuracy/latency per board)")
    table = sensor_table()
    if table is None:
        raise UserInputError("--power-sensor", f"{sensor!r}: this fer-edge has no power sensors "
                             f"yet ({SENSORS_MODULE} is missing); use --power-sensor none")
    if sensor not in table:
        known = ", ".join([*sorted(table), NO_SENSOR])
        raise UserInputError("--power-sensor", f"unknown sensor {sensor!r} (known: {known})")
    return PowerDecision(sensor, seconds)
