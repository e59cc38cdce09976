"""Which class makes which format ({format: "module:Class"}, imported lazily) and in what order."""

from __future__ import annotations

import importlib

from fer_edge_core.errors import UserInputError
from fer_edge_harness.bundle import FORMATS
from fer_edge_search.export.base import Exporter

_PACKAGE = "fer_edge_search.export"

EXPORTERS: dict[str, str] = {
    "keras": f"{_PACKAGE}.keras_file:KerasExporter",
    "tflite_fp32": f"{_PACKAGE}.tflite_fp32:TfliteFp32Exporter",
    "tflite_int8": f"{_PACKAGE}.tflite_int8:TfliteInt8Exporter",
    "onnx": f"{_PACKAGE}.onnx_file:OnnxExporter",
    "openvino_fp16": f"{_PACKAGE}.openvino_fp16:OpenvinoFp16Exporter",
    "edgetpu": f"{_PACKAGE}.edgetpu:EdgetpuExporter",
}


def exporter_for(fmt: str) -> Exporter:
    """A fresh exporter of one format (its module imported only now)."""
    module_name, class_name = EXPORTERS[fmt].split(":")
    return getattr(importlib.import_module(module_name), class_name)()


def check_formats(names: list[str]) -> list[str]:
    """The names, if every one is a format; a UserInputError naming the others otherwise."""
    unknown = [name for name in names if name not in EXPORTERS]
    if unknown:
        raise UserInputError("--formats", f"unknown format {', '.join(unknown)} "
                             f"(known: {', '.join(FORMATS)})")
    return names


def parse_formats(text: str | None) -> list[str] | None:
    """`--formats keras,onnx` as a list (None: all), refusing names that are not formats."""
    if text is None or not text.strip():
        return None
    return check_formats([name.strip() for name in text.split(",") if name.strip()])


def plan_formats(requested: list[str] | None) -> list[str]:
    """The formats to make, in bundle order, with the prerequisites of each added.

    `keras` is always made: it is the reference every other format is checked against.
    """
    wanted = set(FORMATS if requested is None else check_formats(requested)) | {"keras"}
    pending = list(wanted)
    while pending:
        for need in exporter_for(pending.pop()).requires:
            if need not in wanted:
                wanted.add(need)
                pending.append(need)
    return [fmt for fmt in FORMATS if fmt in wanted]
