"""The `tflite_fp32` format: float TFLite from the batch-1 model, for CPU boards (Raspberry Pi)."""

from __future__ import annotations

from fer_edge_harness.manifest_schema import Artifact
from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput
from fer_edge_search.export.tflite_ops import convert_quietly, op_names


class TfliteFp32Exporter(Exporter):
    """Float32 TFLite with a static batch of 1 (no SHAPE/PACK ops around Flatten)."""

    format = "tflite_fp32"
    precision = "fp32"
    runtime = "tflite"
    file_name = "model_fp32.tflite"

    def export(self, ctx: ExportContext) -> ExportOutput:
        import tensorflow as tf

        converter = tf.lite.TFLiteConverter.from_keras_model(ctx.model_b1)
        flat = convert_quietly(converter)
        path = ctx.target(self.file_name)
        path.write_bytes(flat)
        return ExportOutput(path=path, info={Artifact.OPS: op_names(flat)})
