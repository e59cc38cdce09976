"""`openvino`: the OpenVINO IR (or the ONNX file) on the CPU or an Intel NCS2 (MYRIAD).

Works with the new API (`openvino.Core`, 2023.1+) and the 2022.3 LTS one (`openvino.runtime`),
the last with the MYRIAD plugin. Everything that changes the numbers is set, not defaulted:
precision (a CPU with AVX512_BF16 otherwise runs bf16; docs/runtimes.md, pitfall 3), threads (pitfall 4),
a static [1, H, W, 1] input (pitfall 7), latency hint with one stream, one reusable InferRequest.
"""

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    float_nhwc,
    short_error,
)

# What each device is asked to compute in; the NCS2 computes only in FP16.
DEVICE_PRECISION = {"CPU": "f32", "MYRIAD": "f16", "GPU": "f16"}
_NAMES = {"f32": "fp32", "f16": "fp16", "bf16": "bf16", "float32": "fp32", "float16": "fp16",
          "bfloat16": "bf16"}


def _openvino_api():
    """(Core, Tensor, version) from whichever OpenVINO API is installed."""
    try:
        import openvino

        return openvino.Core, openvino.Tensor, openvino.get_version()
    except (ImportError, AttributeError):
        pass
    try:
        from openvino.runtime import Core, Tensor, get_version
    except Exception as exc:
        raise BackendUnavailable("openvino not importable ({})".format(
            short_error(exc))) from None
    return Core, Tensor, get_version()


def precision_name(value):
    """OpenVINO's precision (a Type or a string, by version) as fp32 / fp16 / bf16."""
    getter = getattr(value, "get_type_name", None)
    text = str(getter() if getter else value).strip().lower()
    return _NAMES.get(text, text)


class OpenvinoBackend(Backend):
    """OpenVINO Runtime, synchronous InferRequest, batch 1."""

    name = "openvino"
    precision = "fp32"
    artifact_formats = ("openvino_fp16", "onnx")

    def __init__(self):
        Backend.__init__(self)
        self._Core, self._Tensor, self._version = _openvino_api()
        self._core = self._Core()
        self._device = "CPU"
        self._request = None
        self._bound = None  # the prepared input tensor the request holds now

    def versions(self):
        return {"openvino": self._version}

    def device_config(self, device, threads):
        """Properties set at compile time for `device`."""
        config = {"PERFORMANCE_HINT": "LATENCY"}
        if device in DEVICE_PRECISION:
            config["INFERENCE_PRECISION_HINT"] = DEVICE_PRECISION[device]
        if device == "CPU":
            config.update(INFERENCE_NUM_THREADS=str(threads), NUM_STREAMS="1")
        return config

    def _compile(self, model, device, config):
        """Compile; a plugin that refuses the precision hint (older MYRIAD) runs at its only
        precision, so the hint is dropped there rather than the run failing."""
        try:
            return self._core.compile_model(model, device, config)
        except RuntimeError as exc:
            if device == "CPU" or "INFERENCE_PRECISION_HINT" not in config:
                raise
            if "INFERENCE_PRECISION_HINT" not in str(exc) and "precision" not in str(exc):
                raise
            config = dict((k, v) for k, v in config.items() if k != "INFERENCE_PRECISION_HINT")
            return self._core.compile_model(model, device, config)

    def load(self, artifact_path, options):
        self.artifact_format = options.artifact_format
        self._device = options.openvino_device
        self._scale = options.input_scale
        model = self._core.read_model(str(artifact_path))
        model.reshape([1] + list(options.input_shape))
        config = self.device_config(self._device, options.threads)
        compiled = self._compile(model, self._device, config)
        try:
            self.precision = precision_name(compiled.get_property("INFERENCE_PRECISION_HINT"))
        except RuntimeError:  # a plugin without the property computes in its one precision
            self.precision = _NAMES[DEVICE_PRECISION.get(self._device, "f16")]
        self.threads = None  # host threads do not drive an accelerator
        if self._device == "CPU":
            self.threads = int(compiled.get_property("INFERENCE_NUM_THREADS"))
        self._compiled = compiled
        self._request = compiled.create_infer_request()

    def prepare(self, x_uint8):
        # Bound to the request here, outside the timed call, as benchmark_app binds its inputs
        # before its loop; infer() rebinds only when handed another prepared input.
        tensor = self._Tensor(float_nhwc(x_uint8, self._scale))
        self._request.set_input_tensor(tensor)
        self._bound = tensor
        return tensor

    def infer(self, prepared):
        if prepared is not self._bound:
            self._request.set_input_tensor(prepared)
            self._bound = prepared
        self._request.infer()
        return self._request.get_output_tensor(0).data

    def accelerator(self):
        if self._device == "CPU":
            return None
        try:
            return "{} ({})".format(self._core.get_property(self._device, "FULL_DEVICE_NAME"),
                                    self._device)
        except RuntimeError:
            return self._device

    def close(self):
        self._request = None
        self._bound = None
        self._compiled = None
