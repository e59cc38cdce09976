"""The `tflite_int8` format: full-integer TFLite (int8 in and out), the Edge TPU's input.

Calibrated on training images. Built from the batch-1 model: with a dynamic batch, Flatten
becomes SHAPE/STRIDED_SLICE/PACK/RESHAPE, which the Edge TPU cannot run (docs/runtimes.md,
pitfall 2).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from fer_edge_harness.manifest_schema import Artifact
from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput
from fer_edge_search.export.tflite_ops import (
    DYNAMIC_SHAPE_OPS,
    convert_quietly,
    edgetpu_unmappable,
    op_names,
)

# Calibration images used at most (TFLite's own guidance: a few hundred are enough).
MAX_CALIBRATION = 200


def representative(images: np.ndarray) -> Iterator[list[np.ndarray]]:
    """Yield batch-1 float32 inputs, already scaled as the model was trained (its
    InputScaling)."""
    for image in images[:MAX_CALIBRATION]:
        yield [image[np.newaxis].astype(np.float32)]


def convert_int8(model: Any, calibration: np.ndarray) -> bytes:
    """Full-integer TFLite (int8 input and output) of a Keras model, calibrated on images."""
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: representative(calibration)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return convert_quietly(converter)


def refuse_dynamic_shape_ops(ops: list[str]) -> None:
    """ValueError naming the dynamic-shape ops (SHAPE, STRIDED_SLICE, PACK) among `ops`: a
    model holding them stays off the Edge TPU, so it is no int8 artifact for a board."""
    dynamic = sorted(set(ops) & set(DYNAMIC_SHAPE_OPS))
    if dynamic:
        raise ValueError(f"int8 model holds {', '.join(dynamic)} (a dynamic shape): "
                         "the Edge TPU cannot map them")


class TfliteInt8Exporter(Exporter):
    """Full-integer quantization; refuses a result holding ops the Edge TPU cannot map."""

    format = "tflite_int8"
    precision = "int8"
    runtime = "tflite-int8"
    file_name = "model_int8.tflite"

    def export(self, ctx: ExportContext) -> ExportOutput:
        if len(ctx.calibration) == 0:
            raise ValueError("no calibration images (the training part is empty)")
        flat = convert_int8(ctx.model_b1, ctx.calibration)
        ops = op_names(flat)
        refuse_dynamic_shape_ops(ops)  # before anything is written
        path = ctx.target(self.file_name)
        path.write_bytes(flat)
        n = min(len(ctx.calibration), MAX_CALIBRATION)
        unmappable = edgetpu_unmappable(ops)
        note = (f"ops the Edge TPU cannot map (they would run on the CPU): "
                f"{', '.join(unmappable)}" if unmappable else None)
        return ExportOutput(path=path, note=note, info={
            Artifact.OPS: ops, Artifact.EDGETPU_UNMAPPABLE_OPS: unmappable,
            Artifact.CALIBRATION_IMAGES: n})
