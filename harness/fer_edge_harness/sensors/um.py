"""RDTech UM24C / UM25C / UM34C USB meters over a serial port (the paper's MakerHawk UM34C).

`um34c:/dev/rfcomm0` (Bluetooth RFCOMM, bound with `rfcomm bind`) or any serial device such as
/dev/ttyUSB0: 9600 baud, write 0xF0, read one 130-byte record (umrecord.py). The meter never
sends on its own, so a silent meter is a read that times out, and an unplugged one is a port
that errors or cannot be reopened; both end in the sampling thread's retries and reconnects.
pyserial is imported only when a UM sensor is opened. Python 3.6 compatible.
"""

import errno

from fer_edge_harness.sensors.base import (
    PollingSensor,
    SensorReadError,
    SensorSpecError,
    SensorUnavailable,
    positive_float,
)
from fer_edge_harness.sensors.umrecord import MODELS, RECORD_BYTES, REQUEST, RecordError, decode

BAUD_RATE = 9600


def _serial_module(spec):
    try:
        import serial
    except ImportError:
        raise SensorUnavailable(spec, "pyserial is not installed (pip install pyserial)")
    return serial


class UmSensor(PollingSensor):
    """One UM meter on a serial device; `timeout_s` bounds each record (default 1 s, as
    sigrok's driver waits for a probe answer)."""

    model_key = "um34c"
    # 130 bytes at 9600 baud take 0.135 s on the wire: about 7 records a second at most.
    default_interval_ms = 200.0
    stamp_at_request = True  # the meter reports its reading when 0xF0 arrives
    options = {"interval_ms": (positive_float, None), "timeout_s": (positive_float, 1.0)}

    def __init__(self, spec):
        super(UmSensor, self).__init__(spec)
        if not spec.target:
            raise SensorSpecError(spec, "needs the meter's serial device, e.g. {}:/dev/rfcomm0"
                                  .format(spec.name))
        self.device = spec.target
        self.model = MODELS[self.model_key]
        self.timeout_s = self.settings["timeout_s"]
        self._port = None

    @property
    def name(self):
        return self.model_key

    def details(self):
        info = super(UmSensor, self).details()
        info.update({"meter": self.model.title, "device": self.device,
                     "baud_rate": BAUD_RATE, "timeout_s": self.timeout_s})
        return info

    def open(self):
        serial = _serial_module(self.spec)
        try:
            self._port = serial.Serial(self.device, baudrate=BAUD_RATE, timeout=self.timeout_s,
                                       write_timeout=self.timeout_s)
        except (serial.SerialException, OSError) as exc:
            if getattr(exc, "errno", None) == errno.EACCES:
                raise SensorUnavailable(self.spec, "permission denied on {} (join the dialout "
                                        "group, or pass the device into the container)"
                                        .format(self.device))
            raise SensorReadError("cannot open {}: {}".format(self.device, _reason(exc)))

    def read_power_w(self):
        if self._port is None:
            raise SensorReadError("{} is not open".format(self.device))
        try:
            self._port.reset_input_buffer()  # a late half-record must not shift the next one
            self._port.write(REQUEST)
            record = self._port.read(RECORD_BYTES)
        except Exception as exc:  # SerialException, OSError, termios.error: the port is gone
            raise SensorReadError("meter lost on {}: {}".format(self.device, _reason(exc)))
        if not record:
            raise SensorReadError("no answer from the meter on {} within {} s".format(
                self.device, self.timeout_s))
        try:
            return decode(record, self.model).watts
        except RecordError as exc:
            raise SensorReadError("{} on {}".format(exc, self.device))

    def close(self):
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # closing a port whose device vanished may fail; it is gone
                pass


def _reason(exc):
    return str(exc).strip() or type(exc).__name__


class Um24cSensor(UmSensor):
    model_key = "um24c"


class Um25cSensor(UmSensor):
    model_key = "um25c"


class Um34cSensor(UmSensor):
    model_key = "um34c"
