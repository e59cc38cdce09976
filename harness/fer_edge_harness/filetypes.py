"""Is an artifact file what its format says? Each format's own identifier, read without
importing any runtime (the harness runs on Python 3.6 with numpy only).

A bundle's hashes prove a file is the one the manifest lists, not that the file is a model:
random bytes hashed into a manifest verify. These checks catch that before a board loads it:

- LiteRT / TFLite and Edge TPU: a FlatBuffer whose file identifier, bytes 4-8, is "TFL3"
  (tensorflow/compiler/mlir/lite/schema/schema.fbs: `file_identifier "TFL3"`; the Edge TPU
  compiler writes a TFLite file with a custom op, same identifier).
- ONNX: a protobuf ModelProto (onnx/onnx.proto): the top-level fields parse to the end of the
  file, with ir_version (field 1, varint) and graph (field 7, length-delimited) present.
- OpenVINO IR: an XML file whose root element is <net> (the .bin beside it is raw weights).
- Keras: a .keras file is a zip holding config.json (Keras 3's format); an .h5 file starts with
  the HDF5 signature \\x89HDF\\r\\n\\x1a\\n.
"""

import mmap
import os
import zipfile

TFLITE_IDENTIFIER = b"TFL3"
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_ONNX_IR_VERSION, _ONNX_GRAPH = 1, 7
_XML_HEAD_BYTES = 4096


def _read_head(path, size):
    with open(path, "rb") as handle:
        return handle.read(size)


def tflite_problem(path):
    """None for a TFLite FlatBuffer, else what is wrong."""
    head = _read_head(path, 8)
    if len(head) < 8 or head[4:8] != TFLITE_IDENTIFIER:
        return "not a TFLite model: bytes 4-8 are {!r}, a TFLite FlatBuffer has {!r}".format(
            head[4:8], TFLITE_IDENTIFIER)
    return None


def _varint(data, pos):
    """(value, next position) of the protobuf varint at `pos`; ValueError past the end."""
    value, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError("a varint runs past the end of the file")
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7


def protobuf_fields(data):
    """{field number: wire type} of a protobuf message's top level; ValueError when the bytes
    are not a well-formed message (a field running past the end, a bad wire type)."""
    fields, pos = {}, 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if number == 0:
            raise ValueError("field number 0 at byte {}".format(pos))
        if wire == 0:
            _, pos = _varint(data, pos)
        elif wire in (1, 5):
            pos += 8 if wire == 1 else 4
        elif wire == 2:
            length, pos = _varint(data, pos)
            pos += length
        else:
            raise ValueError("wire type {} of field {}".format(wire, number))
        if pos > len(data):
            raise ValueError("field {} runs past the end of the file".format(number))
        fields.setdefault(number, wire)
    return fields


def onnx_problem(path):
    """None for an ONNX ModelProto, else what is wrong. The file is mapped, not read, so a
    large model costs a board no memory."""
    if os.path.getsize(path) == 0:
        return "not an ONNX model: the file is empty"
    with open(path, "rb") as handle:
        data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            fields = protobuf_fields(data)
        except ValueError as exc:
            return "not an ONNX model: not a protobuf message ({})".format(exc)
        finally:
            data.close()
    if fields.get(_ONNX_IR_VERSION) != 0 or fields.get(_ONNX_GRAPH) != 2:
        return "not an ONNX model: no ir_version and graph fields"
    return None


def openvino_problem(path):
    """None for an OpenVINO IR .xml (root element <net>), else what is wrong."""
    text = _read_head(path, _XML_HEAD_BYTES).decode("utf-8", "replace").lstrip("\ufeff \t\r\n")
    while text.startswith("<?") or text.startswith("<!--"):
        end = text.find("?>" if text.startswith("<?") else "-->")
        if end < 0:
            break
        text = text[end + (2 if text.startswith("<?") else 3):].lstrip()
    if not (text.startswith("<net ") or text.startswith("<net>")):
        return "not an OpenVINO IR: its XML root element is not <net>"
    return None


def keras_problem(path):
    """None for a Keras .keras zip (with config.json) or .h5 file, else what is wrong."""
    if os.path.splitext(path)[1].lower() in (".h5", ".hdf5"):
        if _read_head(path, len(HDF5_SIGNATURE)) != HDF5_SIGNATURE:
            return "not a Keras .h5 model: no HDF5 signature"
        return None
    if not zipfile.is_zipfile(path):
        return "not a Keras .keras model: not a zip file"
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
    except (zipfile.BadZipfile, OSError) as exc:
        return "not a Keras .keras model: {}".format(exc)
    if "config.json" not in names:
        return "not a Keras .keras model: the zip holds no config.json"
    return None


# format -> the check of its main file
CHECKS = {
    "keras": keras_problem,
    "tflite_fp32": tflite_problem,
    "tflite_int8": tflite_problem,
    "edgetpu": tflite_problem,
    "onnx": onnx_problem,
    "openvino_fp16": openvino_problem,
}


def artifact_problem(fmt, path):
    """None when the file at `path` is a model of format `fmt` (or a format with no check),
    else one phrase saying what it is not."""
    check = CHECKS.get(fmt)
    return check(path) if check is not None else None
