"""The `onnx` format: tf2onnx at opset 13 with a static batch of 1 (ONNX Runtime, OpenVINO,
TensorRT).

Opset 13 because the oldest TensorRT a board runs, 8.2 (JetPack 4.6, the Jetson Nano's last),
reads ONNX opsets up to 13 (https://github.com/onnx/onnx-tensorrt/blob/release/8.2-GA/docs/
operators.md); ONNX Runtime and OpenVINO read it too, so one file serves every backend. The
opset is recorded in the manifest, and the tensorrt backend refuses a file newer than its
TensorRT reads.
"""

from __future__ import annotations

import contextlib
import io

from fer_edge_harness.manifest_schema import Artifact
from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput

OPSET = 13
INPUT_NAME = "input"


class OnnxExporter(Exporter):
    """tf2onnx keeps the batch dynamic unless told (docs/runtimes.md, pitfall 7): the input
    signature fixes it to 1."""

    format = "onnx"
    precision = "fp32"
    runtime = "onnxruntime"
    file_name = "model.onnx"

    def export(self, ctx: ExportContext) -> ExportOutput:
        import onnx
        import tensorflow as tf
        import tf2onnx

        signature = [tf.TensorSpec((1, *ctx.input_hw1), tf.float32, name=INPUT_NAME)]
        path = ctx.target(self.file_name)
        with contextlib.redirect_stdout(io.StringIO()):
            proto, _ = tf2onnx.convert.from_keras(ctx.model_b1, input_signature=signature,
                                                  opset=OPSET, output_path=str(path))
        onnx.checker.check_model(proto)
        dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
        if dims != [1, *ctx.input_hw1]:
            raise ValueError(f"ONNX input shape {dims} is not static [1, H, W, 1]")
        return ExportOutput(path=path, info={Artifact.OPSET: OPSET, Artifact.INPUT_NAME: INPUT_NAME,
                                             Artifact.TF2ONNX: tf2onnx.__version__})
