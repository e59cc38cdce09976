"""`onnxruntime`: the ONNX file on ONNX Runtime's CPU execution provider (the fp32 CPU reference).

Threads are set (intra-op = --threads, inter-op 1, sequential execution): ONNX Runtime's
default is every core (docs/runtimes.md, pitfall 4). The input is bound once as an OrtValue in
`prepare`, so the timed call is the run alone, as in onnxruntime_perf_test.
"""

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    float_nhwc,
    module_version,
    short_error,
)


class OnnxRuntimeBackend(Backend):
    """ONNX Runtime InferenceSession with IO binding, batch 1."""

    name = "onnxruntime"
    precision = "fp32"
    artifact_formats = ("onnx",)

    def __init__(self):
        Backend.__init__(self)
        try:
            import onnxruntime
        except Exception as exc:
            raise BackendUnavailable("onnxruntime not importable ({})".format(
                short_error(exc))) from None
        self._ort = onnxruntime
        self._session = None

    def versions(self):
        return {"onnxruntime": module_version(self._ort)}

    def load(self, artifact_path, options):
        ort = self._ort
        settings = ort.SessionOptions()
        settings.intra_op_num_threads = options.threads
        settings.inter_op_num_threads = 1
        settings.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        settings.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(artifact_path), sess_options=settings,
                                             providers=["CPUExecutionProvider"])
        self.threads = options.threads
        self._scale = options.input_scale
        self._shape = [1] + list(options.input_shape)
        self._input_name = self._session.get_inputs()[0].name
        self._binding = self._session.io_binding()
        self._binding.bind_output(self._session.get_outputs()[0].name)

    def prepare(self, x_uint8):
        x = float_nhwc(x_uint8, self._scale).reshape(self._shape)
        return self._ort.OrtValue.ortvalue_from_numpy(x)

    def infer(self, prepared):
        self._binding.bind_ortvalue_input(self._input_name, prepared)
        self._session.run_with_iobinding(self._binding)
        return self._binding.copy_outputs_to_cpu()[0]

    def close(self):
        self._binding = None
        self._session = None
