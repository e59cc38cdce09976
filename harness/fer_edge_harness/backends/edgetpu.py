"""`edgetpu`: the compiled *_edgetpu.tflite on a Coral Edge TPU through the libedgetpu delegate.

libedgetpu is built against one TFLite ABI: a TFLite runtime other than the one Coral pairs it
with fails with "Unsupported data type in custom op handler" (google-coral/edgetpu#214,
google-coral/pycoral#1). So this backend prefers tflite_runtime (Coral's builds, from Coral's
package index https://google-coral.github.io/py-repo/ or its apt repository) over ai_edge_litert,
and records the versions of both the runtime and libedgetpu.

A .tflite without the `edgetpu-custom-op` (not compiled by edgetpu_compiler) loads with the
delegate and runs entirely on the CPU, far slower, while the result would say Edge TPU: such a
file, and one whose compiler log says no op was mapped, is refused. The delegate is loaded
when the backend is made, so a board without libedgetpu (or without a TPU attached) skips
with the runtime's own reason. Ops the compiler left to the CPU still use threads.
"""

import ctypes
import platform

from fer_edge_harness.backends.base import BackendUnavailable, short_error
from fer_edge_harness.backends.tflite import TfliteInt8Backend
from fer_edge_harness.manifest_schema import Artifact

# Coral's library names (coral.ai "Run inference on the Edge TPU with Python").
_LIBRARIES = {"Linux": "libedgetpu.so.1", "Darwin": "libedgetpu.1.dylib", "Windows": "edgetpu.dll"}
# The custom op name edgetpu_compiler gives the subgraph it maps to the TPU.
CUSTOM_OP = b"edgetpu-custom-op"
# Coral's TFLite runtime first, then the others (which libedgetpu may not match).
EDGETPU_ORDER = ("tflite_runtime", "ai_edge_litert", "tensorflow")


def runtime_version(library):
    """libedgetpu's own version string (`edgetpu_version()` of edgetpu_c.h, the string
    pycoral's get_runtime_version() returns), or None."""
    try:
        function = library.edgetpu_version
        function.restype = ctypes.c_char_p
        function.argtypes = []
        text = function()
    except Exception:
        return None
    return text.decode("utf-8", "replace") if text else None


def mapped_ops_problem(path, record):
    """Why a file cannot be timed as Edge TPU work, or None: the manifest's compiler log says
    no op was mapped, or the file has no edgetpu-custom-op at all."""
    record = record or {}
    if record.get(Artifact.OPS_ON_TPU) == 0:
        return ("the Edge TPU compiler mapped none of its {} ops: it would run entirely on the "
                "CPU".format(record.get(Artifact.OPS_TOTAL, "?")))
    with open(str(path), "rb") as handle:
        if CUSTOM_OP not in handle.read():
            return ("{} has no {}: it was not compiled by edgetpu_compiler and would run "
                    "entirely on the CPU".format(path, CUSTOM_OP.decode("ascii")))
    return None


class EdgetpuBackend(TfliteInt8Backend):
    """The Edge TPU: int8, delegate attached at load."""

    name = "edgetpu"
    precision = "int8"
    artifact_formats = ("edgetpu",)
    runtime_order = EDGETPU_ORDER

    def __init__(self):
        TfliteInt8Backend.__init__(self)
        self._library_name = _LIBRARIES.get(platform.system(), _LIBRARIES["Linux"])
        self._details = {}
        try:
            # Opened with ctypes first: a failed load_delegate leaves a half-made Delegate
            # whose __del__ raises (ai_edge_litert 2.3).
            self._library = ctypes.CDLL(self._library_name)
            self._delegate = self._runtime.load_delegate(self._library_name)
        except Exception as exc:
            raise BackendUnavailable("Edge TPU delegate {} could not be loaded ({})"
                                     .format(self._library_name, short_error(exc))) from None

    def versions(self):
        versions = TfliteInt8Backend.versions(self)
        versions["libedgetpu"] = runtime_version(self._library) or "unknown"
        return versions

    def details(self):
        return dict(self._details)

    def delegates(self):
        return [self._delegate]

    def load(self, artifact_path, options):
        record = options.artifact_info or {}
        problem = mapped_ops_problem(artifact_path, record)
        if problem:
            raise RuntimeError("refused: " + problem)
        runtime = sorted(self._runtime.versions)[0]
        # the manifest's compiler facts, under the manifest's names
        self._details = {key: record.get(key) for key in (
            Artifact.OPS_ON_TPU, Artifact.OPS_TOTAL, Artifact.COMPILER_VERSION)}
        self._details["tflite_runtime_used"] = runtime
        if runtime != EDGETPU_ORDER[0]:
            self._details["note"] = ("ran on {}: libedgetpu is built for the tflite_runtime "
                                     "Coral ships, which is not installed".format(runtime))
        TfliteInt8Backend.load(self, artifact_path, options)

    def accelerator(self):
        return "Google Edge TPU ({})".format(self._library_name)
