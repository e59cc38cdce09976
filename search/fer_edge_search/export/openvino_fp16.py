"""The `openvino_fp16` format: OpenVINO IR (.xml + .bin) with FP16 weights (Intel NCS2, CPU)."""

from __future__ import annotations

import warnings

from fer_edge_harness.manifest_schema import Artifact
from fer_edge_search.export.base import ExportContext, Exporter, ExportOutput


class OpenvinoFp16Exporter(Exporter):
    """Converted from the ONNX file when it was built, else from the in-memory batch-1 model."""

    format = "openvino_fp16"
    precision = "fp16"
    runtime = "openvino"
    prefers = ("onnx",)
    file_name = "model_fp16.xml"
    extra_files = ("model_fp16.bin",)

    def export(self, ctx: ExportContext) -> ExportOutput:
        import openvino as ov

        source = ctx.built.get("onnx")
        with warnings.catch_warnings():
            # Tracing a Keras model, OpenVINO passes its one input as a tuple: Keras warns.
            warnings.filterwarnings("ignore", message="The structure of `inputs`")
            model = ov.convert_model(str(source) if source else ctx.model_b1)
        shape = [1, *ctx.input_hw1]
        # Static batch 1 whatever the source said (docs/runtimes.md, pitfall 7).
        model.reshape(shape)
        path = ctx.target(self.file_name)
        ov.save_model(model, str(path), compress_to_fp16=True)
        info = {Artifact.SOURCE: "onnx" if source else "keras",
                Artifact.WEIGHTS_PRECISION: "fp16", Artifact.OPENVINO: ov.get_version()}
        return ExportOutput(path=path, weights=path.with_suffix(".bin"), info=info)
