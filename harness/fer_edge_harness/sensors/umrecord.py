"""The RDTech UM24C / UM25C / UM34C record: 130 big-endian bytes answering the request byte 0xF0.

Layout and scalings as read from kolinger/rd-usb (interfaces/um.py) and sigrok's rdtech-um
driver (src/hardware/rdtech-um/protocol.c); docs/power.md lists every field with its source.
The first two bytes are the model id; UM24C and UM25C end with 0xFFF1, the UM34C ends with an
XOR checksum of fixed byte positions. Decoding checks length, model id and that ending, so a
short or garbled record is refused by name instead of becoming a wrong watt. The encoder is
what the stand-in meter (emulator.py) sends. Python 3.6 compatible.
"""

import collections
import struct

REQUEST = b"\xf0"
RECORD_BYTES = 130

UmModel = collections.namedtuple("UmModel", "key title model_id volts_per_unit amps_per_unit "
                                            "ending")

# UM25C reports voltage and current with ten times the resolution of the other two.
MODELS = {
    "um24c": UmModel("um24c", "UM24C", 0x0963, 0.01, 0.001, "fff1"),
    "um25c": UmModel("um25c", "UM25C", 0x09C9, 0.001, 0.0001, "fff1"),
    "um34c": UmModel("um34c", "UM34C", 0x0D4C, 0.01, 0.001, "xor"),
}

# (offset, struct format) of each field; scale applied in decode().
FIELDS = {
    "model_id": (0, ">H"),
    "voltage": (2, ">H"),
    "current": (4, ">H"),
    "power_mw": (6, ">I"),
    "temperature_c": (10, ">H"),
    "data_plus": (96, ">H"),   # 1/100 V
    "data_minus": (98, ">H"),  # 1/100 V
    "charge_mah": (102, ">I"),
    "energy_mwh": (106, ">I"),
    "record_time_s": (112, ">I"),
    "load_ohm_x10": (122, ">I"),
}

# The bytes the UM34C's last-byte XOR checksum covers (sigrok rdtech-um, poll_csum_um34c).
UM34C_CHECKSUM_POSITIONS = (1, 3, 7, 9, 15, 17, 19, 23, 31, 39, 41, 45, 49, 53, 55, 57, 59,
                            63, 67, 69, 73, 79, 83, 89, 97, 99, 109, 111, 113, 119, 121, 127)
FFF1 = b"\xff\xf1"

UmReading = collections.namedtuple("UmReading", "volts amps watts temperature_c energy_wh")


class RecordError(ValueError):
    """A record that is not a whole, valid answer of the expected meter."""


def um34c_checksum(record):
    value = 0
    for position in UM34C_CHECKSUM_POSITIONS:
        value ^= bytearray(record)[position]
    return value


def _field(record, name):
    offset, fmt = FIELDS[name]
    return struct.unpack_from(fmt, bytes(record), offset)[0]


def check_record(record, model):
    """Raise RecordError unless `record` is one whole record of `model`."""
    if len(record) != RECORD_BYTES:
        raise RecordError("short record: {} of {} bytes".format(len(record), RECORD_BYTES))
    found = _field(record, "model_id")
    if found != model.model_id:
        raise RecordError("garbled record: model id 0x{:04x}, a {} sends 0x{:04x}".format(
            found, model.title, model.model_id))
    if model.ending == "fff1" and bytes(record[-2:]) != FFF1:
        raise RecordError("garbled record: ends 0x{}, not 0xfff1".format(
            bytes(record[-2:]).hex()))
    if model.ending == "xor" and um34c_checksum(record) != bytearray(record)[-1]:
        raise RecordError("garbled record: checksum 0x{:02x} does not match 0x{:02x}".format(
            bytearray(record)[-1], um34c_checksum(record)))


def decode(record, model):
    """The reading in a checked record (volts, amps, watts, temperature, energy)."""
    check_record(record, model)
    return UmReading(
        volts=_field(record, "voltage") * model.volts_per_unit,
        amps=_field(record, "current") * model.amps_per_unit,
        watts=_field(record, "power_mw") / 1000.0,
        temperature_c=_field(record, "temperature_c"),
        energy_wh=_field(record, "energy_mwh") / 1000.0)


def encode(model, volts, amps, watts=None, temperature_c=25, energy_wh=0.0):
    """A valid record of `model` reading these values (watts default: volts x amps)."""
    watts = volts * amps if watts is None else watts
    record = bytearray(RECORD_BYTES)
    values = {"model_id": model.model_id,
              "voltage": int(round(volts / model.volts_per_unit)),
              "current": int(round(amps / model.amps_per_unit)),
              "power_mw": int(round(watts * 1000.0)),
              "temperature_c": int(temperature_c),
              "energy_mwh": int(round(energy_wh * 1000.0))}
    for name, value in values.items():
        offset, fmt = FIELDS[name]
        struct.pack_into(fmt, record, offset, value)
    if model.ending == "fff1":
        record[-2:] = FFF1
    else:
        record[-1] = um34c_checksum(record)
    return bytes(record)
