"""The `onnx` format: tf2onnx opset 17 with a static batch of 1 (ONNX Runtime, TensorRT)."""

from __future__ import annotations

import contextlib
import io

from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput

OPSET = 17
INPUT_NAME = "input"


class OnnxExporter(Exporter):
    """tf2onnx keeps the batch dynamic unless told (docs/runtimes.md, pitfall 7): the
    signature fixes it."""

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
        return ExportOutput(path=path, info={"opset": OPSET, "input_name": INPUT_NAME,
                                             "tf2onnx": tf2onnx.__version__})
