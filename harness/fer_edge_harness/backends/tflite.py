"""`tflite` (tflite_fp32) and `tflite-int8` (tflite_int8): the TFLite/LiteRT interpreter on the CPU.

Each backend names the TFLite runtimes it may use, most preferred first: on the CPU
ai_edge_litert (current), tflite_runtime (older boards), tf.lite (a full TensorFlow); the Edge
TPU backend puts tflite_runtime first (edgetpu.py). Threads are always set: LiteRT's default
is 1, other runtimes' is every core (docs/runtimes.md, pitfall 4).

tflite_runtime's wheels (2.14, its last release, and every earlier one) are built against
NumPy 1.x: beside NumPy 2 the interpreter fails at creation with an opaque "SystemError ...
returned a result with an exception set" (docs/runtimes.md, pitfall 1). That failure is
reported as what it is.
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


_OPENERS = {"ai_edge_litert": _from_litert, "tflite_runtime": _from_tflite_runtime,
            "tensorflow": _from_tensorflow}
CPU_ORDER = ("ai_edge_litert", "tflite_runtime", "tensorflow")
_FOUND = {}  # runtime order -> the TfliteRuntime it gave


def tflite_runtime(order=CPU_ORDER):
    """The first runtime of `order` that imports (cached); BackendUnavailable naming why none
    did."""
    order = tuple(order)
    if order in _FOUND:
        return _FOUND[order]
    problems = []
    for name in order:
        try:
            _FOUND[order] = _OPENERS[name]()
            return _FOUND[order]
        except Exception as exc:  # a broken wheel fails in many ways (numpy ABI, missing .so)
            problems.append("{} ({})".format(name, short_error(exc)))
    raise BackendUnavailable("no TFLite runtime importable: " + "; ".join(problems))


def numpy_abi_problem(runtime, exc):
    """A clear RuntimeError when `exc` is a runtime built for NumPy 1.x failing beside NumPy 2
    (the cause NumPy prints to stderr only), else None."""
    chain, seen = [], exc
    while seen is not None and len(chain) < 5:
        chain.append(seen)
        seen = seen.__cause__ or seen.__context__
    if not any(isinstance(e, ImportError) and "numpy" in str(e) for e in chain):
        return None
    names = ", ".join("{} {}".format(k, v) for k, v in sorted(runtime.versions.items()))
    return RuntimeError("{} was built against NumPy 1.x and cannot run with NumPy {} ({}): "
                        "install numpy<2 beside it (pip install \"./harness[tflite-runtime]\")"
                        .format(names, np.__version__, short_error(chain[-1])))


class TfliteBackend(Backend):
    """Float32 TFLite. Input and output quantization, when the model has it, is read from the
    model's own tensors, so the int8 backend below differs only in its artifact."""

    name = "tflite"
    precision = "fp32"
    artifact_formats = ("tflite_fp32",)

    runtime_order = CPU_ORDER

    def __init__(self):
        Backend.__init__(self)
        self._runtime = tflite_runtime(self.runtime_order)
        self._interpreter = None

    def versions(self):
        return dict(self._runtime.versions)

    def delegates(self):
        """Delegates to attach (none: the CPU, with the runtime's default XNNPACK kernels)."""
        return None

    def load(self, artifact_path, options):
        self.threads = options.threads
        self._scale = options.input_scale
        try:
            self._interpreter = self._runtime.Interpreter(
                model_path=str(artifact_path), num_threads=options.threads,
                experimental_delegates=self.delegates())
            self._interpreter.allocate_tensors()
        except (SystemError, ImportError) as exc:
            problem = numpy_abi_problem(self._runtime, exc)
            if problem is None:
                raise
            raise problem from exc
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
