"""`tflite` (tflite_fp32) and `tflite-int8` (tflite_int8): the TFLite/LiteRT interpreter on the CPU.

Uses whichever runtime imports first: ai_edge_litert (current), tflite_runtime (older boards;
Coral's wheels), tf.lite (a full TensorFlow). Threads are always set: LiteRT's default is 1,
other runtimes' is every core (docs/runtimes.md, pitfall 4).
"""

import numpy as np

from fer_edge_harness.backends.base import (
    Backend,
    BackendUnavailable,
    dequantize,
    float_nhwc,
    module_version,
    quantize,
    short_error,
)


class TfliteRuntime(object):
    """The interpreter class and delegate loader of one TFLite runtime, and its version."""

    def __init__(self, interpreter, load_delegate, versions):
        self.Interpreter = interpreter
        self.load_delegate = load_delegate
        self.versions = versions


def _from_litert():
    import ai_edge_litert
    from ai_edge_litert import interpreter

    return TfliteRuntime(interpreter.Interpreter, interpreter.load_delegate,
                         {"ai_edge_litert": module_version(ai_edge_litert)})


def _from_tflite_runtime():
    import tflite_runtime
    from tflite_runtime import interpreter

    return TfliteRuntime(interpreter.Interpreter, interpreter.load_delegate,
                         {"tflite_runtime": module_version(tflite_runtime)})


def _from_tensorflow():
    import tensorflow as tf

    return TfliteRuntime(tf.lite.Interpreter, tf.lite.experimental.load_delegate,
                         {"tensorflow": module_version(tf)})


_RUNTIMES = (("ai_edge_litert", _from_litert), ("tflite_runtime", _from_tflite_runtime),
             ("tensorflow", _from_tensorflow))
_FOUND = []


def tflite_runtime():
    """The first TFLite runtime that imports (cached); BackendUnavailable naming why none did."""
    if _FOUND:
        return _FOUND[0]
    problems = []
    for name, opener in _RUNTIMES:
        try:
            _FOUND.append(opener())
            return _FOUND[0]
        except Exception as exc:  # a broken wheel fails in many ways (numpy ABI, missing .so)
            problems.append("{} ({})".format(name, short_error(exc)))
    raise BackendUnavailable("no TFLite runtime importable: " + "; ".join(problems))


class TfliteBackend(Backend):
    """Float32 TFLite. Input and output quantization, when the model has it, is read from the
    model's own tensors, so the int8 backend below differs only in its artifact."""

    name = "tflite"
    precision = "fp32"
    artifact_formats = ("tflite_fp32",)

    def __init__(self):
        Backend.__init__(self)
        self._runtime = tflite_runtime()
        self._interpreter = None

    def versions(self):
        return dict(self._runtime.versions)

    def delegates(self):
        """Delegates to attach (none: the CPU, with the runtime's default XNNPACK kernels)."""
        return None

    def load(self, artifact_path, options):
        self.threads = options.threads
        self._scale = options.input_scale
        self._interpreter = self._runtime.Interpreter(
            model_path=str(artifact_path), num_threads=options.threads,
            experimental_delegates=self.delegates())
        self._interpreter.allocate_tensors()
        self._input = self._interpreter.get_input_details()[0]
        self._output = self._interpreter.get_output_details()[0]

    def prepare(self, x_uint8):
        x = float_nhwc(x_uint8, self._scale).reshape(self._input["shape"])
        if self._input["dtype"] != np.float32:
            scale, zero_point = self._input["quantization"]
            x = quantize(x, scale, zero_point, self._input["dtype"])
        return x

    def infer(self, prepared):
        self._interpreter.set_tensor(self._input["index"], prepared)
        self._interpreter.invoke()
        return self._interpreter.get_tensor(self._output["index"])

    def probabilities(self, output):
        if self._output["dtype"] != np.float32:
            scale, zero_point = self._output["quantization"]
            output = dequantize(output, scale, zero_point)
        return Backend.probabilities(self, output)

    def close(self):
        self._interpreter = None


class TfliteInt8Backend(TfliteBackend):
    """Full-integer TFLite on the CPU: the reference for the Edge TPU's precision."""

    name = "tflite-int8"
    precision = "int8"
    artifact_formats = ("tflite_int8",)
