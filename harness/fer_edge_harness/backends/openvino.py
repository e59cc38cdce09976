"""`openvino`: the OpenVINO IR (or the ONNX file) on the CPU or an Intel NCS2 (MYRIAD).

Works with the new API (`openvino.Core`, 2023.1+) and the 2022.3 LTS one (`openvino.runtime`),
the last with the MYRIAD plugin. Everything that changes the numbers is set, not defaulted:
precision (a CPU with AVX512_BF16 otherwise runs bf16; docs/runtimes.md, pitfall 3), threads
(pitfall 4), a static [1, H, W, 1] input (pitfall 7), latency hint with one stream, one reusable
InferRequest.

Only properties the device lists in SUPPORTED_PROPERTIES are sent: the 2022-era ARM CPU plugin
(openvino_contrib modules/arm_plugin, src/arm_config.cpp) throws NOT_FOUND on any key it does not
know, INFERENCE_PRECISION_HINT among them, and so does MYRIAD on the hint. What could not be set
is recorded, and so are the precision asked for and the one the compiled model reports.
An IR a runtime cannot read (an IR from a newer OpenVINO on 2022.3) falls back to the bundle's
ONNX file, and the result says so (docs/boards.md).

The rounds are timed on the request's own clock (`InferRequest.latency`, the C++ timer around
the inference that `benchmark_app` reports), not on the wall clock around the Python call: on
the CPU that call adds 20-51 us to a 0.2-0.4 ms model (mostly caches the interpreter refills
between calls; benchmarks/openvino_call_cost.py), a tenth or more of the figure, and would rank
OpenVINO by its Python binding.
The wall-clock median is recorded next to it (docs/latency.md, "Which clock").
"""

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    short_error,
)
from fer_edge_harness.manifest_schema import ChosenArtifact, chosen_artifact
from fer_edge_harness.timing import RuntimeClock

# How the results name the request's own clock (extra_info latency_clock).
REQUEST_CLOCK = "openvino InferRequest.latency"

# What each device is asked to compute in; the NCS2 computes only in FP16 (OpenVINO's MYRIAD
# plugin documentation), AUTO/HETERO are left to choose (and what they chose is recorded).
DEVICE_PRECISION = {"CPU": "f32", "MYRIAD": "f16", "GPU": "f16"}
FIXED_PRECISION = {"MYRIAD": "fp16"}
# Pre-2022 names of the thread and stream settings, which the 2022-era ARM CPU plugin still
# lists (its streams executor's keys) where it lacks the new ones.
LEGACY_KEYS = {"INFERENCE_NUM_THREADS": "CPU_THREADS_NUM", "NUM_STREAMS": "CPU_THROUGHPUT_STREAMS"}
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


def settable(supported):
    """The writable property names of a SUPPORTED_PROPERTIES answer: a dict {name: "RW"/"RO"}
    from the Python API (2022.1+), or a plain list of names."""
    if isinstance(supported, dict):
        return set(str(k) for k, v in supported.items() if str(v).upper() != "RO")
    return set(str(k) for k in supported)


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
        self._details = {}
        self._loaded = None
        self._clock = None

    def versions(self):
        return {"openvino": self._version}

    def details(self):
        return dict(self._details)

    def loaded_artifact(self):
        return self._loaded

    def device_config(self, device, threads):
        """Properties wanted at compile time for `device`."""
        config = {"PERFORMANCE_HINT": "LATENCY"}
        if device in DEVICE_PRECISION:
            config["INFERENCE_PRECISION_HINT"] = DEVICE_PRECISION[device]
        if device == "CPU":
            config.update(INFERENCE_NUM_THREADS=str(threads), NUM_STREAMS="1")
        return config

    def split_config(self, device, config):
        """(what the device can take, {name: value} it does not list as settable); a setting
        the device knows only by its legacy name is sent under that name."""
        try:
            supported = settable(self._core.get_property(device, "SUPPORTED_PROPERTIES"))
        except Exception:  # a plugin that cannot say: send everything, let it refuse
            return dict(config), {}
        sent, unset = {}, {}
        for key, value in config.items():
            if key in supported:
                sent[key] = value
            elif LEGACY_KEYS.get(key) in supported:
                sent[LEGACY_KEYS[key]] = value
            else:
                unset[key] = value
        return sent, unset

    def _compile(self, path, options):
        model = self._core.read_model(str(path))
        model.reshape([1] + list(options.input_shape))
        wanted = self.device_config(self._device, options.threads)
        sent, unset = self.split_config(self._device, wanted)
        compiled = self._core.compile_model(model, self._device, sent)
        self._details.update(properties_sent=sent, properties_unset=unset)
        return compiled

    def _compile_with_fallback(self, artifact_path, options):
        """Compile the IR; if this runtime cannot read or compile it, the ONNX file instead."""
        try:
            return self._compile(artifact_path, options)
        except Exception as exc:
            onnx = [a for a in options.alternatives if a[ChosenArtifact.FORMAT] == "onnx"]
            if options.artifact_format == "onnx" or not onnx:
                raise
            reason = "{} did not load on OpenVINO {} ({}): ran the bundle's ONNX file".format(
                options.artifact_format, self._version, short_error(exc))
        compiled = self._compile(onnx[0][ChosenArtifact.PATH], options)
        self._details["fallback"] = reason
        self._loaded = chosen_artifact("onnx", onnx[0][ChosenArtifact.PATH],
                                       onnx[0][ChosenArtifact.SHA256])
        self.artifact_format = "onnx"
        return compiled

    def _read_property(self, compiled, name):
        try:
            return compiled.get_property(name)
        except Exception:  # the plugin does not report it
            return None

    def _record_precision(self, compiled):
        """Requested and reported precision; `precision` says what ran where it can be read."""
        asked = DEVICE_PRECISION.get(self._device)
        reported = self._read_property(compiled, "INFERENCE_PRECISION_HINT")
        ran = precision_name(reported) if reported is not None else None
        ran = ran or FIXED_PRECISION.get(self._device)
        devices = self._read_property(compiled, "EXECUTION_DEVICES")
        self._details.update(precision_requested=_NAMES.get(asked) if asked else None,
                             precision_reported=ran,
                             execution_devices=list(devices) if devices else None)
        self.precision = ran or "unknown"

    def load(self, artifact_path, options):
        self.artifact_format = options.artifact_format
        self._device = options.openvino_device
        self._scaling = options.input_scaling
        self._details = {"device": self._device}
        self._loaded = None
        compiled = self._compile_with_fallback(artifact_path, options)
        self._record_precision(compiled)
        self.threads = None  # host threads do not drive an accelerator
        if self._device == "CPU":
            threads = (self._read_property(compiled, "INFERENCE_NUM_THREADS")
                       or self._read_property(compiled, "CPU_THREADS_NUM"))
            self.threads = int(threads) if threads is not None else None
        self._compiled = compiled
        self._request = compiled.create_infer_request()
        # Every OpenVINO Python API since 2022.1 has the property; without it, the wall clock.
        has_latency = hasattr(type(self._request), "latency")
        self._clock = RuntimeClock(REQUEST_CLOCK) if has_latency else None

    def runtime_clock(self):
        return self._clock

    def prepare(self, x_uint8):
        # Bound to the request here, outside the timed call, as benchmark_app binds its inputs
        # before its loop; infer() rebinds only when handed another prepared input.
        tensor = self._Tensor(self._scaling.apply(x_uint8))
        self._request.set_input_tensor(tensor)
        self._bound = tensor
        return tensor

    def infer(self, prepared):
        if prepared is not self._bound:
            self._request.set_input_tensor(prepared)
            self._bound = prepared
        self._request.infer()
        if self._clock is not None:
            self._clock.add(self._request.latency / 1000.0)  # milliseconds
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
        self._clock = None
