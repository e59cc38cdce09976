"""Decide whether stage 3 (power) can run here, and with which sensor: never invent watts.

Stage 3 needs a power meter. The harness's sensors (`fer_edge_harness.sensors`, a lazy
{name: "module:Class"} table `SENSORS`) are chosen by a spec string such as
`um34c:/dev/rfcomm0`. With the default `--power-sensor none` the demo skips stage 3, says so,
and the report shows the stage-2 decision with the power columns empty. The stand-in
`um34c-emulator` runs stage 3 end to end with modelled watts, and says so everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass

from fer_edge.pipeline.options import NO_SENSOR
from fer_edge_core.errors import UserInputError


@dataclass(frozen=True)
class PowerDecision:
    """Stage 3 runs with `sensor` for `seconds` per model (and `seconds` of idle baseline per
    board), or is skipped for `reason`."""

    sensor: str | None
    seconds: int
    reason: str | None = None
    stand_in: bool = False

    @property
    def runs(self) -> bool:
        return self.sensor is not None

    def suite_args(self) -> list[str]:
        """The harness options that switch its power measurement on (stage 3 only)."""
        if self.sensor is None:
            return []
        return ["--power-sensor", self.sensor, "--power-seconds", str(self.seconds),
                "--idle-seconds", str(self.seconds)]

    def message(self) -> str:
        if not self.runs:
            return f"stage 3 skipped: {self.reason}"
        text = (f"stage 3: power with sensor {self.sensor}, {self.seconds} s idle and "
                f"{self.seconds} s active per model")
        if self.stand_in:
            text += (" (a STAND-IN meter: its watts are modelled from this machine's CPU use, "
                     "not measured)")
        return text


def decide_power(sensor: str, seconds: int) -> PowerDecision:
    """The stage-3 decision for `--power-sensor SENSOR`. `none` skips it with the reason; a
    sensor spec this harness does not know, or with a bad option, is refused up front (before
    a long stage 1), not discovered after it."""
    from fer_edge_harness.sensors import SensorError, create_sensor, is_stand_in

    if sensor == NO_SENSOR:
        return PowerDecision(None, seconds, "no power sensor on this machine "
                             "(--power-sensor none): power columns stay empty and the report "
                             "shows the stage-2 decision (best accuracy/latency per board)")
    try:
        create_sensor(sensor)  # checks the name and the options; opens nothing
    except SensorError as exc:
        raise UserInputError("--power-sensor", str(exc)) from None
    return PowerDecision(sensor, seconds, stand_in=is_stand_in(sensor))
