"""`um34c-emulator`: the real UM34C reader (um.py) reading the stand-in meter (emulator.py) on a
pseudo-terminal it starts itself, so stage 3 can be run and seen end to end on a machine
without a meter. Every result it gives says `stand_in: true`: its watts are modelled from this
process's CPU use (or replayed from a trace), never measured. Python 3.6 compatible.

    um34c-emulator                         watts = 2.7 + 1.2 x busy CPUs of this process
    um34c-emulator:idle_w=3.0,cpu_w=0.8    the same model with other constants
    um34c-emulator:trace=FILE              one watt value per answer, replayed
"""

from fer_edge_harness.sensors.base import (
    Sensor,
    SensorSpec,
    SensorSpecError,
    positive_float,
)
from fer_edge_harness.sensors.emulator import CpuPower, UmEmulator, read_trace
from fer_edge_harness.sensors.um import Um34cSensor

NOTE = ("stand-in: a UM34C emulator on a pseudo-terminal read by the real UM34C reader; "
        "its watts are modelled, not measured")


class EmulatedUm34cSensor(Sensor):
    name = "um34c-emulator"
    stand_in = True
    options = {"interval_ms": (positive_float, 200.0), "idle_w": (float, 2.7),
               "cpu_w": (float, 1.2), "trace": (str, None)}

    def __init__(self, spec):
        super(EmulatedUm34cSensor, self).__init__(spec)
        if spec.target:
            raise SensorSpecError(spec, "takes no device: it makes its own pseudo-terminal")
        self._emulator = None
        self._reader = None

    @property
    def fault(self):
        return self._reader.fault if self._reader is not None else self._fault

    def _power_model(self):
        if self.settings["trace"]:
            try:
                return read_trace(self.settings["trace"])
            except (OSError, ValueError) as exc:
                raise SensorSpecError(self.spec, "trace: {}".format(exc))
        return CpuPower(idle_w=self.settings["idle_w"], cpu_w=self.settings["cpu_w"])

    def details(self):
        info = {"note": NOTE}
        if self._reader is not None:
            info.update(self._reader.details())
        if self._emulator is not None:
            info.update(self._emulator.describe())
        return info

    def start(self):
        self._emulator = UmEmulator(self._power_model(), model="um34c").start()
        reader_spec = SensorSpec("um34c:" + self._emulator.device, "um34c",
                                 self._emulator.device,
                                 {"interval_ms": str(self.settings["interval_ms"])})
        self._reader = Um34cSensor(reader_spec)
        try:
            self._reader.start()
        except Exception:
            self._emulator.close()
            raise

    def stop(self):
        samples = self._reader.stop() if self._reader is not None else []
        if self._emulator is not None:
            self._emulator.close()
        return samples
