"""The interface every backend implements, and the helpers they share (Python 3.6 compatible).

A backend wraps one runtime. Its constructor imports the runtime and raises BackendUnavailable
when it cannot, so a board without it skips the backend with a reason instead of crashing.
`prepare` does every allocation, conversion and quantization; `infer` is the one call the suite
times (one batch-1 inference, output read back to the host), and backends never time themselves.
"""

import numpy as np

from fer_edge_harness.inputs import InputScaling


class BackendUnavailable(Exception):
    """This runtime (or its accelerator) cannot be used here; the message says why."""


class LoadOptions(object):
    """What a backend needs besides the artifact: threads, input scaling and device choices.

    `input_scaling` is the bundle's InputScaling (a bare number is a scale with no offset)."""

    def __init__(self, threads, input_scaling, input_shape, artifact_format, artifact_sha256=None,
                 model_id=None, openvino_device="CPU", cache_dir=None, artifact_info=None,
                 alternatives=None, hardware=None):
        self.threads = int(threads)
        if not isinstance(input_scaling, InputScaling):
            input_scaling = InputScaling(input_scaling)
        self.input_scaling = input_scaling
        self.input_shape = tuple(int(d) for d in input_shape)  # (H, W, 1)
        self.artifact_format = artifact_format
        self.artifact_sha256 = artifact_sha256
        self.model_id = model_id
        self.openvino_device = openvino_device
        self.cache_dir = cache_dir
        # The manifest's record of the artifact (opset, ops on the Edge TPU...), or None.
        self.artifact_info = artifact_info
        # Other usable artifacts of the model, [{format, path, sha256, record}], for a backend
        # that may fall back to one (OpenVINO: the ONNX file when the IR does not load).
        self.alternatives = list(alternatives or [])
        # The board's hardware facts (boardstate.Board.hardware()), or None: read when needed.
        self.hardware = hardware


class Backend(object):
    """One runtime. Subclasses set the class attributes and implement load/prepare/infer."""

    name = ""
    precision = "fp32"
    artifact_formats = ()  # usable bundle formats, most preferred first

    def __init__(self):
        self.artifact_format = self.artifact_formats[0] if self.artifact_formats else None
        self.threads = None  # the thread count the runtime was actually given

    def versions(self):
        """{package: version} of the runtime and what it builds on."""
        raise NotImplementedError

    def load(self, artifact_path, options):
        """Load the artifact; after this, `precision` and `threads` say what really runs."""
        raise NotImplementedError

    def prepare(self, x_uint8):
        """The runtime's input for a uint8 (1, H, W) or (1, H, W, 1) image, made ahead of time."""
        raise NotImplementedError

    def infer(self, prepared):
        """One batch-1 inference on a prepared input; returns the raw output (timed)."""
        raise NotImplementedError

    def probabilities(self, output):
        """The class scores (1, n_classes) float32 of one raw output (dequantized if needed)."""
        return np.array(output, dtype=np.float32).reshape(1, -1)

    def predict_batch(self, x_uint8):
        """Class scores (N, n_classes) for uint8 (N, H, W) images, through the very prepare/infer
        path that is timed, one image at a time (most artifacts have a static batch of 1)."""
        rows = [self.probabilities(self.infer(self.prepare(x_uint8[i:i + 1])))
                for i in range(len(x_uint8))]
        return np.concatenate(rows, axis=0)

    def runtime_clock(self):
        """None: `infer` is timed on the wall clock around the Python call. A backend whose
        runtime times its own inference returns a timing.RuntimeClock it advances in `infer`,
        and the rounds are timed on it (the figure the runtime's own tool reports)."""
        return None

    def accelerator(self):
        """The accelerator the model runs on (None for the CPU)."""
        return None

    def details(self):
        """What this runtime did that a result should say (precision asked for and run, which
        file or fallback was used, ops on the accelerator...): a JSON-able dict."""
        return {}

    def loaded_artifact(self):
        """{format, path, sha256} of the file really loaded when it is not the one handed to
        load() (a fallback), else None."""
        return None

    def close(self):
        """Release the runtime's objects (the next load may be another model)."""


def quantize(x_float, scale, zero_point, dtype):
    """Float input -> the integer input of a quantized model (its own scale and zero point)."""
    info = np.iinfo(dtype)
    q = np.round(x_float / np.float32(scale)) + zero_point
    return np.ascontiguousarray(np.clip(q, info.min, info.max).astype(dtype))


def dequantize(q, scale, zero_point):
    """Integer output -> float32, with the output tensor's own scale and zero point."""
    return (np.asarray(q, dtype=np.float32) - np.float32(zero_point)) * np.float32(scale)


def module_version(module):
    """A module's __version__, or its distribution's version, or "unknown"."""
    version = getattr(module, "__version__", None)
    if version:
        return str(version)
    name = module.__name__.split(".")[0]
    try:
        from importlib import metadata  # novermin (3.8+; guarded: older Pythons say unknown)
    except ImportError:
        return "unknown"
    try:
        return metadata.version(name.replace("_", "-"))
    except Exception:
        return "unknown"


def short_error(exc):
    """`Type: last line of the message`: why a runtime could not be imported or opened."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return "{}: {}".format(type(exc).__name__, lines[-1] if lines else "").rstrip(": ")
